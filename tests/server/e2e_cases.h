/*
 * tests/server/e2e_cases.h - end-to-end test cases that start their own
 * servers (auth, life cycle).
 */
#ifndef E2E_CASES_H
#define E2E_CASES_H

#include <check.h>

TCase *e2e_auth_tcase(void);
TCase *e2e_lifecycle_tcase(void);
TCase *e2e_golden_tcase(void);
TCase *e2e_hostile_tcase(void);
TCase *e2e_hostile_life_tcase(void);
TCase *e2e_serve_tcase(void);
TCase *e2e_reload_tcase(void);
TCase *e2e_openapi_tcase(void);
TCase *e2e_cache_tcase(void);

#endif
