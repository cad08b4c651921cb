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
    p.min_len = 3; /* meaningless for full: not part of its canonical form */
    p.val_start = 0.5;
    ck_assert_int_eq(rp_params_resolve(&p, &err), RP_OK);
    ck_assert_uint_eq(p.user_k, 5);
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

START_TEST(uint_bounds)
{
    uint64_t v = 7;
    ck_assert_int_eq(rp_parse_uint("0", 0, 10, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(rp_parse_uint("65535", 0, 65535, &v), 0);
    ck_assert_uint_eq(v, 65535);
    ck_assert_int_eq(rp_parse_uint("65536", 0, 65535, &v), -1);
    ck_assert_int_eq(rp_parse_uint("0", 1, 10, &v), -1);
    ck_assert_int_eq(rp_parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
    ck_assert(v == UINT64_MAX);
    ck_assert_int_eq(rp_parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -1);
    ck_assert_int_eq(rp_parse_uint("99999999999999999999", 0, UINT64_MAX, &v), -1);
    static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1x", "0x1", "1e2", "1.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(rp_parse_uint(bad[i], 0, UINT64_MAX, &v) == -1, "accepted '%s'", bad[i]);
    ck_assert_int_eq(rp_parse_uint(NULL, 0, 1, &v), -1);
}
END_TEST

START_TEST(count_grammar)
{
    uint32_t v = 0;
    ck_assert_int_eq(rp_parse_count("4", &v), 0);
    ck_assert_uint_eq(v, 4);
    ck_assert_int_eq(rp_parse_count("0004", &v), 0);
    ck_assert_uint_eq(v, 4);
    ck_assert_int_eq(rp_parse_count("4294967295", &v), 0);
    ck_assert_uint_eq(v, 4294967295u);
    static const char *const bad[] = {"",   "0",   "-1",  "+4",         " 4",          "4 ",
                                      "4a", "0x4", "4.0", "4294967296", "99999999999", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(rp_parse_count(bad[i], &v) == -1, "accepted '%s'", bad[i]);
    ck_assert_int_eq(rp_parse_count(NULL, &v), -1);
}
END_TEST

START_TEST(quantile_grammar)
{
    double d = 0;
    ck_assert_int_eq(rp_parse_quantile("0.8", &d), 0);
    ck_assert(d == 0.8);
    ck_assert_int_eq(rp_parse_quantile(".5", &d), 0);
    ck_assert(d == 0.5);
    static const char *const bad[] = {"",     "0",       "1",   "1.0",  "0.0",  "-0.5",
                                      "+0.5", "nan",     "inf", "5e-1", "0.5.", "0..5",
                                      " 0.5", "0x0.8p0", ".",   "0.8 ", "2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(rp_parse_quantile(bad[i], &d) == -1, "accepted '%s'", bad[i]);
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

/* rp_params_set: the recipe table decides which names exist; one grammar. */
START_TEST(set_reads_the_recipe_table)
{
    rp_error err = {0};
    rp_params p = rp_params_defaults(RP_METHOD_SASREC);
    ck_assert_int_eq(rp_params_set(&p, "max_len", "5", &err), RP_ERR_PARAM_UNKNOWN);
    ck_assert_str_eq(err.param, "max_len");
    rp_error_clear(&err);
    ck_assert_int_eq(rp_params_set(&p, "k", "3", &err), RP_OK);
    ck_assert_int_eq(rp_params_set(&p, "k", "4", &err), RP_ERR_PARAM); /* repeated */
    rp_error_clear(&err);
    ck_assert_int_eq(rp_params_set(&p, "user_k", "0", &err), RP_ERR_PARAM);
    ck_assert_str_eq(err.param, "user_k");
    ck_assert_int_eq(rp_params_set(&p, "dedup", "first", NULL), RP_OK);
    ck_assert_int_eq(rp_params_set(&p, "min_rating", "0", NULL), RP_OK); /* 0 is a value */
    ck_assert_int_eq(rp_params_resolve(&p, NULL), RP_OK);
    ck_assert_uint_eq(p.user_k, 3);
    ck_assert_uint_eq(p.item_k, 3);
    char buf[160];
    rp_params_canonical(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "sasrec:user_k=3,item_k=3,min_rating=0,dedup=first");
}
END_TEST

/* az23: k = 0 turns the k-core off; max_len and the split times default. */
START_TEST(az23_defaults_and_k0)
{
    char buf[200];
    rp_error err = {0};
    rp_params p = rp_params_defaults(RP_METHOD_AZ23_TIMESTAMP);
    ck_assert_int_eq(rp_params_resolve(&p, NULL), RP_OK);
    rp_params_canonical(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "az23-timestamp:user_k=5,item_k=5,max_len=50,val_time=1628643414042,"
                          "test_time=1658002729837");
    p = rp_params_defaults(RP_METHOD_AZ23_LAST_OUT);
    ck_assert_int_eq(rp_params_set(&p, "k", "0", NULL), RP_OK);
    ck_assert_int_eq(rp_params_resolve(&p, NULL), RP_OK);
    ck_assert_uint_eq(p.user_k, 0);
    rp_params_canonical(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "az23-last-out:user_k=0,item_k=0,max_len=50");
    p = rp_params_defaults(RP_METHOD_AZ23_LAST_OUT);
    ck_assert_int_eq(rp_params_set(&p, "k", "0", NULL), RP_OK);
    ck_assert_int_eq(rp_params_set(&p, "user_k", "3", NULL), RP_OK);
    ck_assert_int_eq(rp_params_resolve(&p, &err), RP_ERR_PARAM); /* ambiguous: refused */
    ck_assert_str_eq(err.param, "k");
    /* k = 0 is only a value where the table says so */
    p = rp_params_defaults(RP_METHOD_FULL);
    ck_assert_int_eq(rp_params_set(&p, "k", "0", NULL), RP_ERR_PARAM);
    p = rp_params_defaults(RP_METHOD_AZ23_TIMESTAMP);
    ck_assert_int_eq(rp_params_set(&p, "val_time", "9", NULL), RP_OK);
    ck_assert_int_eq(rp_params_set(&p, "test_time", "8", NULL), RP_OK);
    rp_error_clear(&err);
    ck_assert_int_eq(rp_params_resolve(&p, &err), RP_ERR_PARAM);
    ck_assert_str_eq(err.param, "test_time");
}
END_TEST

START_TEST(filters_are_checked)
{
    rp_error err = {0};
    rp_params p = rp_params_defaults(RP_METHOD_FULL);
    ck_assert_int_eq(rp_params_set(&p, "since", "10", NULL), RP_OK);
    ck_assert_int_eq(rp_params_set(&p, "until", "10", NULL), RP_OK);
    ck_assert_int_eq(rp_params_resolve(&p, &err), RP_ERR_PARAM);
    ck_assert_str_eq(err.param, "until");
    p = rp_params_defaults(RP_METHOD_FULL);
    ck_assert_int_eq(rp_params_set(&p, "dedup", "all", NULL), RP_ERR_PARAM);
    ck_assert_int_eq(rp_params_set(&p, "min_rating", "-1", NULL), RP_ERR_PARAM);
    ck_assert_int_eq(rp_params_set(&p, "min_rating", "1e3", NULL), RP_ERR_PARAM);
    ck_assert_int_eq(rp_params_set(&p, "max_len", "4", NULL), RP_OK);
    ck_assert_int_eq(rp_params_resolve(&p, NULL), RP_OK);
    char buf[80];
    rp_params_canonical(&p, buf, sizeof buf);
    ck_assert_str_eq(buf, "full:user_k=5,item_k=5,max_len=4");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_resolve);
    tcase_add_test(tc, set_reads_the_recipe_table);
    tcase_add_test(tc, az23_defaults_and_k0);
    tcase_add_test(tc, filters_are_checked);
    tcase_add_test(tc, min_len_follows_user_k);
    tcase_add_test(tc, bad_quantiles_named);
    tcase_add_test(tc, uint_bounds);
    tcase_add_test(tc, count_grammar);
    tcase_add_test(tc, quantile_grammar);
    tcase_add_test(tc, method_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
