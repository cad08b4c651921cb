/* Check suite for core/kcore_curve.c: every point of the one-pass curve must
 * equal a separate rp_kcore_run(ds, NULL, k, k) (users, items, interactions),
 * on random logs, a generated Amazon-like log and pathological shapes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "recprep/generate.h"
#include "recprep/kcore.h"
#include "recprep/kcore_curve.h"
#include "recprep/load.h"

static rp_dataset *make_ints(const uint32_t *u, const uint32_t *i, uint32_t n)
{
    char **un = malloc(n * sizeof *un), **in = malloc(n * sizeof *in);
    int64_t *t = malloc(n * sizeof *t);
    ck_assert(un && in && t);
    for (uint32_t r = 0; r < n; r++) {
        un[r] = malloc(16);
        in[r] = malloc(16);
        snprintf(un[r], 16, "u%u", u[r]);
        snprintf(in[r], 16, "i%u", i[r]);
        t[r] = (int64_t)r;
    }
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_dataset_from_rows((const char *const *)un, (const char *const *)in, t, NULL,
                                          n, &ds, NULL),
                     RP_OK);
    for (uint32_t r = 0; r < n; r++) {
        free(un[r]);
        free(in[r]);
    }
    free(un);
    free(in);
    free(t);
    return ds;
}

/* The curve against separate k-core runs; returns how many k had a non-empty core. */
static uint32_t check_curve(const rp_dataset *ds, uint32_t max_k)
{
    rp_kcore_point *pts = malloc(max_k * sizeof *pts);
    ck_assert_int_eq(rp_kcore_curve(ds, max_k, pts), RP_OK);
    uint32_t nonempty = 0;
    for (uint32_t k = 1; k <= max_k; k++) {
        rp_kcore kc;
        ck_assert_int_eq(rp_kcore_run(ds, NULL, k, k, &kc), RP_OK);
        ck_assert_uint_eq(pts[k - 1].k, k);
        ck_assert_msg(pts[k - 1].users == kc.users && pts[k - 1].items == kc.items &&
                          pts[k - 1].interactions == kc.interactions,
                      "k=%u: curve %u/%u/%u, kcore %u/%u/%u", k, pts[k - 1].users, pts[k - 1].items,
                      pts[k - 1].interactions, kc.users, kc.items, kc.interactions);
        nonempty += kc.users > 0;
        rp_kcore_cleanup(&kc);
    }
    free(pts);
    return nonempty;
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

/* Random logs of varied density, skewed so cores of several k exist. */
START_TEST(matches_kcore_on_random_logs)
{
    uint64_t s = 1000 + (uint64_t)_i;
    uint32_t n = 200 + rnd(&s) % 3000, nu = 5 + rnd(&s) % 200, ni = 5 + rnd(&s) % 200;
    uint32_t *u = malloc(n * sizeof *u), *i = malloc(n * sizeof *i);
    for (uint32_t r = 0; r < n; r++) {
        uint32_t a = rnd(&s) % nu, b = rnd(&s) % ni;
        u[r] = rnd(&s) % 2 ? a * a / nu : a; /* skew towards low numbers */
        i[r] = rnd(&s) % 2 ? b * b / ni : b;
    }
    rp_dataset *ds = make_ints(u, i, n);
    uint32_t nonempty = check_curve(ds, 40);
    ck_assert_uint_ge(nonempty, 2); /* the test must see more than the 1-core */
    rp_dataset_unref(ds);
    free(u);
    free(i);
}
END_TEST

/* 100,000 rows of the generator (the demo's shape): sparse, heavy-tailed. */
START_TEST(matches_kcore_on_generated_log)
{
    rp_gen_params p = rp_gen_for_rows(100000);
    char *buf = NULL;
    size_t len = 0;
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_generate(&p, &buf, &len, NULL), RP_OK);
    ck_assert_int_eq(rp_load_buffer("gen.csv", buf, len, RP_FORMAT_AMAZON_CSV, &ds, NULL), RP_OK);
    free(buf);
    ck_assert_uint_ge(check_curve(ds, 20), 3);
    rp_dataset_unref(ds);
}
END_TEST

/* A peeling chain: user j rated items j and j+1, plus repeats of the first
 * pair; the 2-core unravels one link at a time from the far end. */
START_TEST(chain_and_star)
{
    enum { L = 2000 };
    uint32_t u[2 * L + 10], i[2 * L + 10], n = 0;
    for (uint32_t j = 0; j < L; j++) {
        u[n] = j, i[n++] = j;
        u[n] = j, i[n++] = j + 1;
    }
    for (uint32_t j = 0; j < 10; j++) /* a star of repeats on one pair */
        u[n] = L + 1, i[n++] = 7;
    rp_dataset *ds = make_ints(u, i, n);
    check_curve(ds, 12);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(limits_and_json)
{
    uint32_t u[] = {1, 1, 2, 2}, i[] = {1, 2, 1, 2};
    rp_dataset *ds = make_ints(u, i, 4);
    rp_kcore_point pts[3];
    ck_assert_int_eq(rp_kcore_curve(ds, 0, pts), RP_ERR_PARAM);
    ck_assert_int_eq(rp_kcore_curve(ds, RP_KCORE_CURVE_MAX_K + 1, pts), RP_ERR_PARAM);
    ck_assert_int_eq(rp_kcore_curve(ds, 3, pts), RP_OK);
    ck_assert_uint_eq(pts[1].users, 2); /* 2x2 complete: the 2-core is everything */
    ck_assert_uint_eq(pts[1].interactions, 4);
    ck_assert_uint_eq(pts[2].users, 0);
    ck_assert_uint_eq(pts[2].interactions, 0);
    json_t *j = rp_kcore_curve_to_json(pts, 3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "max_k")), 3);
    json_t *c = json_object_get(j, "curve");
    ck_assert_uint_eq(json_array_size(c), 3);
    json_t *p2 = json_array_get(c, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(p2, "k")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(p2, "items")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(p2, "interactions")), 4);
    json_decref(j);
    rp_dataset_unref(ds);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kcore_curve");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, matches_kcore_on_random_logs, 0, 30);
    tcase_add_test(tc, matches_kcore_on_generated_log);
    tcase_add_test(tc, chain_and_star);
    tcase_add_test(tc, limits_and_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
