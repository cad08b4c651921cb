/*
 * tests/server/test_params.c - strict query parameters (server/params.c).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "../check_run.h"

#define KV(k, v) ((struct srv_kv){(k), (v)})

static int split(rp_method m, const struct srv_kv *kv, size_t n, rp_params *p,
                 struct srv_params_error *e)
{
    memset(e, 0, sizeof *e);
    return srv_params_split(m, kv, n, p, e);
}

START_TEST(defaults_are_canonical)
{
    rp_params a, b;
    struct srv_params_error e;
    struct srv_kv k4[] = {KV("k", "4")};
    ck_assert_int_eq(split(RP_METHOD_TEMPORAL, NULL, 0, &a, &e), 0);
    ck_assert_int_eq(split(RP_METHOD_TEMPORAL, k4, 1, &b, &e), 0);
    char ca[256], cb[256];
    rp_params_canonical(&a, ca, sizeof ca);
    rp_params_canonical(&b, cb, sizeof cb);
    ck_assert_str_eq(ca, cb);
    ck_assert_uint_eq(a.user_k, 4);
    ck_assert_uint_eq(a.item_k, 4);
    ck_assert_uint_eq(a.min_len, 4);
    ck_assert(a.val_start == 0.8 && a.test_start == 0.9);
    ck_assert_int_eq(split(RP_METHOD_FULL, NULL, 0, &a, &e), 0);
    ck_assert_uint_eq(a.user_k, 5);
}
END_TEST

START_TEST(k_then_overrides)
{
    rp_params p;
    struct srv_params_error e;
    struct srv_kv kv[] = {KV("item_k", "7"), KV("k", "3"), KV("min_len", "2"),
                          KV("val_start", "0.5"), KV("test_start", "0.75")};
    ck_assert_int_eq(split(RP_METHOD_TEMPORAL, kv, 5, &p, &e), 0);
    ck_assert_uint_eq(p.user_k, 3);
    ck_assert_uint_eq(p.item_k, 7); /* the specific parameter wins whatever the order */
    ck_assert_uint_eq(p.min_len, 2);
    ck_assert(p.val_start == 0.5 && p.test_start == 0.75);
}
END_TEST

/* Expect failure naming `param` with `code`. */
static void expect_error(rp_method m, struct srv_kv *kv, size_t n, const char *code,
                         const char *param)
{
    rp_params p;
    struct srv_params_error e;
    ck_assert_int_eq(split(m, kv, n, &p, &e), -1);
    ck_assert_str_eq(e.code, code);
    ck_assert_str_eq(e.param, param);
    ck_assert(strlen(e.message) > 0);
}

START_TEST(errors_name_the_parameter)
{
    struct srv_kv unknown[] = {KV("k", "4"), KV("kk", "4")};
    expect_error(RP_METHOD_TEMPORAL, unknown, 2, "unknown_parameter", "kk");
    struct srv_kv repeated[] = {KV("k", "4"), KV("k", "4")};
    expect_error(RP_METHOD_TEMPORAL, repeated, 2, "invalid_parameter", "k");
    struct srv_kv nonint[] = {KV("k", "four")};
    expect_error(RP_METHOD_FULL, nonint, 1, "invalid_parameter", "k");
    struct srv_kv novalue[] = {KV("user_k", NULL)};
    expect_error(RP_METHOD_FULL, novalue, 1, "invalid_parameter", "user_k");
    struct srv_kv zero[] = {KV("item_k", "0")};
    expect_error(RP_METHOD_FULL, zero, 1, "invalid_parameter", "item_k");
    struct srv_kv q1[] = {KV("val_start", "1")};
    expect_error(RP_METHOD_TEMPORAL, q1, 1, "invalid_parameter", "val_start");
    struct srv_kv q0[] = {KV("test_start", "0.0")};
    expect_error(RP_METHOD_TEMPORAL, q0, 1, "invalid_parameter", "test_start");
    struct srv_kv temporal_only[] = {KV("k", "5"), KV("test_start", "0.9")};
    expect_error(RP_METHOD_FULL, temporal_only, 2, "unknown_parameter", "test_start");
    struct srv_kv minlen_full[] = {KV("min_len", "2")};
    expect_error(RP_METHOD_FULL, minlen_full, 1, "unknown_parameter", "min_len");
}
END_TEST

START_TEST(quantile_order_checked)
{
    rp_params p;
    struct srv_params_error e;
    struct srv_kv crossed[] = {KV("val_start", "0.95")}; /* > default test_start 0.9 */
    ck_assert_int_eq(split(RP_METHOD_TEMPORAL, crossed, 1, &p, &e), -1);
    ck_assert_str_eq(e.code, "invalid_parameter");
    ck_assert(strcmp(e.param, "val_start") == 0 || strcmp(e.param, "test_start") == 0);
    struct srv_kv equal[] = {KV("val_start", "0.6"), KV("test_start", "0.6")};
    ck_assert_int_eq(split(RP_METHOD_TEMPORAL, equal, 2, &p, &e), 0); /* <= is allowed */
}
END_TEST

START_TEST(hostile_names_are_sanitised)
{
    rp_params p;
    struct srv_params_error e;
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    struct srv_kv kv[] = {KV(longname, "1")};
    ck_assert_int_eq(split(RP_METHOD_TEMPORAL, kv, 1, &p, &e), -1);
    ck_assert_uint_lt(strlen(e.param), sizeof e.param);
    struct srv_kv quote[] = {KV("a\"b\\c\n\x80", "1")};
    ck_assert_int_eq(split(RP_METHOD_TEMPORAL, quote, 1, &p, &e), -1);
    ck_assert_str_eq(e.param, "a?b?c??");
}
END_TEST

START_TEST(too_many_arguments)
{
    struct srv_kv kv[SRV_PARAMS_MAX + 1];
    rp_params p;
    struct srv_params_error e;
    for (size_t i = 0; i < SRV_PARAMS_MAX + 1; i++)
        kv[i] = KV("k", "4");
    ck_assert_int_eq(split(RP_METHOD_TEMPORAL, kv, SRV_PARAMS_MAX + 1, &p, &e), -1);
}
END_TEST

START_TEST(kcore_params)
{
    struct srv_kcore_params kp;
    struct srv_params_error e;
    ck_assert_int_eq(srv_params_kcore(NULL, 0, &kp, &e), 0);
    ck_assert_uint_eq(kp.user_k, RP_KCORE_DEFAULT_K);
    ck_assert_uint_eq(kp.item_k, RP_KCORE_DEFAULT_K);
    struct srv_kv kv[] = {KV("k", "2"), KV("user_k", "9")};
    ck_assert_int_eq(srv_params_kcore(kv, 2, &kp, &e), 0);
    ck_assert_uint_eq(kp.user_k, 9);
    ck_assert_uint_eq(kp.item_k, 2);
    struct srv_kv bad[] = {KV("min_len", "2")};
    ck_assert_int_eq(srv_params_kcore(bad, 1, &kp, &e), -1);
    ck_assert_str_eq(e.code, "unknown_parameter");
    ck_assert_str_eq(e.param, "min_len");
}
END_TEST

START_TEST(no_params_endpoints)
{
    struct srv_params_error e;
    struct srv_kv kv[] = {KV("verbose", "1")};
    ck_assert_int_eq(srv_params_none(NULL, 0, &e), 0);
    ck_assert_int_eq(srv_params_none(kv, 1, &e), -1);
    ck_assert_str_eq(e.param, "verbose");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("server_params");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_are_canonical);
    tcase_add_test(tc, k_then_overrides);
    tcase_add_test(tc, errors_name_the_parameter);
    tcase_add_test(tc, quantile_order_checked);
    tcase_add_test(tc, hostile_names_are_sanitised);
    tcase_add_test(tc, too_many_arguments);
    tcase_add_test(tc, kcore_params);
    tcase_add_test(tc, no_params_endpoints);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
