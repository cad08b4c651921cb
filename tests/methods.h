/*
 * tests/methods.h - the split methods the test drivers iterate over (the
 * allocation-failure test, the pipeline fuzz target). One list: a new
 * method or recipe is covered everywhere by adding its name here.
 */
#ifndef RECPREP_TESTS_METHODS_H
#define RECPREP_TESTS_METHODS_H

static const char *const rp_test_method_names[] = {"temporal", "full"};
#define RP_TEST_N_METHODS (sizeof rp_test_method_names / sizeof rp_test_method_names[0])

#endif
