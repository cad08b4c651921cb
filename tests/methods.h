/*
 * tests/methods.h - the split methods the test drivers iterate over (the
 * allocation-failure test, the pipeline fuzz target): every recipe of the
 * core's table, so a new recipe is covered everywhere without a second list.
 */
#ifndef RECPREP_TESTS_METHODS_H
#define RECPREP_TESTS_METHODS_H

#include "recprep/recipe.h"

#define RP_TEST_N_METHODS ((size_t)RP_METHOD_COUNT)
#define rp_test_method_name(i) (rp_recipe_get((rp_method)(i))->name)

#endif
