/* Check suite for core/params.c: defaults, validation naming the parameter,
 * canonical text, textual parsing. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recprep/split.h"
#include "check_run.h"

START_TEST(defaults_resolve)
{
    rp_params p = rp_params_defaults(RP_METHOD_TEMPORAL);
    ck_assert_uint_eq(p.user_k, 0);
    rp_error err = {0};
    ck_assert_int_eq(rp_params_resolve(&p, &err), RP_OK);
    ck_assert_uint_eq(p.user_k, 4);
    ck_assert_uint_eq(p.item_k, 4);
    ck_assert_uint_eq(p.min_len, 4);
    ck_assert(p.val_start == 0.8 && p.test_start == 0.9);
    char buf[128];
    int n = rp_params_canonical(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "temporal:user_k=4,item_k=4,min_len=4,val_start=0.8,test_start=0.9");
    ck_assert_int_eq(n, (int)strlen(buf));

    p = rp_params_defaults(RP_METHOD_FULL);
    p.min_len = 3; /* meaningless for full: dropped */
    p.val_start = 0.5;
    ck_assert_int_eq(rp_params_resolve(&p, &err), RP_OK);
    ck_assert_uint_eq(p.user_k, 5);
    ck_assert_uint_eq(p.min_len, 0);
    ck_assert(p.val_start == 0.0);
    rp_params_canonical(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "full:user_k=5,item_k=5");
}
END_TEST

START_TEST(min_len_follows_user_k)
{
    rp_params p = rp_params_defaults(RP_METHOD_TEMPORAL);
    p.user_k = 7;
    p.item_k = 2;
    p.test_start = 0.95;
    ck_assert_int_eq(rp_params_resolve(&p, NULL), RP_OK);
    ck_assert_uint_eq(p.min_len, 7);
    char buf[128];
    rp_params_canonical(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "temporal:user_k=7,item_k=2,min_len=7,val_start=0.8,test_start=0.95");
    /* truncation reports the needed length like snprintf */
    char small[8];
    ck_assert_int_eq(rp_params_canonical(&p, small, sizeof small), (int)strlen(buf));
}
END_TEST

static void expect_bad(rp_params p, const char *param)
{
    rp_error err = {0};
    ck_assert_int_eq(rp_params_resolve(&p, &err), RP_ERR_PARAM);
    ck_assert_str_eq(err.param, param);
    ck_assert_ptr_nonnull(strstr(err.message, "0 < val_start <= test_start < 1"));
}

START_TEST(bad_quantiles_named)
{
    rp_params p = rp_params_defaults(RP_METHOD_TEMPORAL);
    p.val_start = 1.0;
    expect_bad(p, "val_start");
    p.val_start = -0.1;
    expect_bad(p, "val_start");
    p.val_start = NAN;
    expect_bad(p, "val_start");
    p = rp_params_defaults(RP_METHOD_TEMPORAL);
    p.test_start = 1.5;
    expect_bad(p, "test_start");
    p.val_start = 0.7;
    p.test_start = 0.6; /* val_start > test_start */
    expect_bad(p, "test_start");
    p.test_start = 0.7; /* equal is allowed */
    ck_assert_int_eq(rp_params_resolve(&p, NULL), RP_OK);
}
END_TEST

static void set_bad(rp_method m, const char *name, const char *value, const char *msg)
{
    rp_params p = rp_params_defaults(m);
    rp_error err = {0};
    ck_assert_int_eq(rp_params_set(&p, name, value, &err), RP_ERR_PARAM);
    ck_assert_str_eq(err.param, name);
    ck_assert_msg(strstr(err.message, msg) != NULL, "%s=%s: %s", name, value, err.message);
}

START_TEST(set_rejects_with_names)
{
    set_bad(RP_METHOD_TEMPORAL, "k", "0", "k must be an integer >= 1");
    set_bad(RP_METHOD_TEMPORAL, "k", "-3", "k must be an integer >= 1");
    set_bad(RP_METHOD_TEMPORAL, "k", "4x", "k must be an integer >= 1");
    set_bad(RP_METHOD_TEMPORAL, "k", "", "k must be an integer >= 1");
    set_bad(RP_METHOD_TEMPORAL, "k", "99999999999", "k must be an integer >= 1");
    set_bad(RP_METHOD_TEMPORAL, "user_k", "1.5", "user_k must be an integer >= 1");
    set_bad(RP_METHOD_TEMPORAL, "item_k", " 2", "item_k must be an integer >= 1");
    set_bad(RP_METHOD_TEMPORAL, "min_len", "0", "min_len must be an integer >= 1");
    set_bad(RP_METHOD_TEMPORAL, "val_start", "0", "0 < val_start <= test_start < 1");
    set_bad(RP_METHOD_TEMPORAL, "val_start", "1", "0 < val_start <= test_start < 1");
    set_bad(RP_METHOD_TEMPORAL, "test_start", "nan", "0 < val_start <= test_start < 1");
    set_bad(RP_METHOD_TEMPORAL, "test_start", "1e-1", "0 < val_start <= test_start < 1");
    set_bad(RP_METHOD_FULL, "min_len", "3", "temporal method only");
    set_bad(RP_METHOD_FULL, "val_start", "0.5", "temporal method only");
    set_bad(RP_METHOD_TEMPORAL, "kk", "3", "unknown parameter");
}
END_TEST

START_TEST(set_then_resolve)
{
    rp_params p = rp_params_defaults(RP_METHOD_TEMPORAL);
    ck_assert_int_eq(rp_params_set(&p, "k", "3", NULL), RP_OK);
    ck_assert_int_eq(rp_params_set(&p, "item_k", "2", NULL), RP_OK);
    ck_assert_int_eq(rp_params_set(&p, "val_start", "0.70", NULL), RP_OK);
    ck_assert_int_eq(rp_params_set(&p, "test_start", ".85", NULL), RP_OK);
    ck_assert_int_eq(rp_params_resolve(&p, NULL), RP_OK);
    char buf[128];
    rp_params_canonical(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "temporal:user_k=3,item_k=2,min_len=3,val_start=0.7,test_start=0.85");
}
END_TEST

START_TEST(method_names)
{
    rp_method m;
    ck_assert_int_eq(rp_method_from_name("full", &m), RP_OK);
    ck_assert_int_eq(m, RP_METHOD_FULL);
    ck_assert_int_eq(rp_method_from_name("temporal", &m), RP_OK);
    ck_assert_int_eq(m, RP_METHOD_TEMPORAL);
    ck_assert_int_eq(rp_method_from_name("Full", &m), RP_ERR_PARAM);
    ck_assert_int_eq(rp_method_from_name(NULL, &m), RP_ERR_PARAM);
    ck_assert_str_eq(rp_method_name(RP_METHOD_FULL), "full");
    ck_assert_str_eq(rp_method_name(RP_METHOD_TEMPORAL), "temporal");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_resolve);
    tcase_add_test(tc, min_len_follows_user_k);
    tcase_add_test(tc, bad_quantiles_named);
    tcase_add_test(tc, set_rejects_with_names);
    tcase_add_test(tc, set_then_resolve);
    tcase_add_test(tc, method_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
