/*
 * tests/check_run.h - the runner every Check suite's main() shares.
 */
#ifndef RECPREP_CHECK_RUN_H
#define RECPREP_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

/* Run suite s (the runner takes ownership), print Check's summary line, and
 * return the process exit status: EXIT_SUCCESS when every test passed. */
static inline int rp_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
