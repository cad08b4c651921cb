/* Check suite for core/stats.c on a tiny dataset whose numbers are worked out
 * by hand in the comments. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recprep/stats.h"
#include "check_run.h"

/* u1: a b a (one duplicate), u2: a, u3: b c d e f.
 * user lengths 3 1 5 -> sorted 1 3 5: mean 3, median 3, p90 at 1.8 -> 3 + 2*0.8 = 4.6
 * item lengths a3 b2 c1 d1 e1 f1 -> 1 1 1 1 2 3: mean 1.5, median at 2.5 -> 1,
 * p90 at 4.5 -> 2.5. density 9 / (3 * 6) = 0.5. */
static rp_dataset *tiny(void)
{
    const char *u[] = {"u1", "u2", "u1", "u3", "u1", "u3", "u3", "u3", "u3"};
    const char *i[] = {"a", "a", "b", "b", "a", "c", "d", "e", "f"};
    int64_t ts[] = {100, 50, 300, 200, 150, 10, 20, 30, 40};
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, NULL, 9, &ds, NULL), RP_OK);
    return ds;
}

START_TEST(hand_computed)
{
    rp_dataset *ds = tiny();
    rp_stats st;
    ck_assert_int_eq(rp_stats_compute(ds, &st), RP_OK);
    ck_assert_uint_eq(st.interactions, 9);
    ck_assert_uint_eq(st.users, 3);
    ck_assert_uint_eq(st.items, 6);
    ck_assert_double_eq_tol(st.density, 0.5, 1e-12);
    ck_assert_int_eq(st.ts_min, 10);
    ck_assert_int_eq(st.ts_max, 300);
    ck_assert_uint_eq(st.duplicates, 1);
    const rp_history_stats *h = &st.user_history;
    ck_assert_uint_eq(h->min, 1);
    ck_assert_uint_eq(h->max, 5);
    ck_assert_double_eq_tol(h->mean, 3.0, 1e-12);
    ck_assert_double_eq_tol(h->median, 3.0, 1e-12);
    ck_assert_double_eq_tol(h->p90, 4.6, 1e-12);
    ck_assert_uint_eq(h->n_buckets, 3); /* [1,1] [2,3] [4,7] */
    ck_assert_uint_eq(h->bucket_lo[2], 4);
    ck_assert_uint_eq(h->bucket_hi[2], 7);
    ck_assert_uint_eq(h->counts[0], 1);
    ck_assert_uint_eq(h->counts[1], 1);
    ck_assert_uint_eq(h->counts[2], 1);
    h = &st.item_history;
    ck_assert_double_eq_tol(h->mean, 1.5, 1e-12);
    ck_assert_double_eq_tol(h->median, 1.0, 1e-12);
    ck_assert_double_eq_tol(h->p90, 2.5, 1e-12);
    ck_assert_uint_eq(h->n_buckets, 2);
    ck_assert_uint_eq(h->counts[0], 4);
    ck_assert_uint_eq(h->counts[1], 2);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(json_shape)
{
    rp_dataset *ds = tiny();
    rp_stats st;
    ck_assert_int_eq(rp_stats_compute(ds, &st), RP_OK);
    json_t *j = rp_stats_to_json(&st, "tiny", RP_FORMAT_AMAZON_CSV);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "tiny");
    ck_assert_str_eq(json_string_value(json_object_get(j, "format")), "amazon-csv");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "duplicates")), 1);
    json_t *ts = json_object_get(j, "timestamp");
    ck_assert_int_eq(json_integer_value(json_object_get(ts, "max")), 300);
    json_t *uh = json_object_get(j, "user_history");
    ck_assert_double_eq_tol(json_real_value(json_object_get(uh, "p90")), 4.6, 1e-12);
    json_t *hist = json_object_get(uh, "histogram");
    ck_assert_uint_eq(json_array_size(hist), 3);
    json_t *b = json_array_get(hist, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(b, "min")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(b, "max")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(b, "count")), 1);
    json_decref(j);
    j = rp_stats_to_json(&st, NULL, RP_FORMAT_AMAZON_CSV);
    ck_assert_ptr_null(json_object_get(j, "name"));
    json_decref(j);
    rp_dataset_unref(ds);
}
END_TEST

/* A million repeats of one pair: 999999 duplicates, one bucket per power of two. */
START_TEST(million_duplicates)
{
    enum { N = 1000000 };
    const char **u = malloc(N * sizeof *u), **i = malloc(N * sizeof *i);
    int64_t *ts = malloc(N * sizeof *ts);
    for (uint32_t r = 0; r < N; r++) {
        u[r] = "only";
        i[r] = "pair";
        ts[r] = N - r;
    }
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, NULL, N, &ds, NULL), RP_OK);
    rp_stats st;
    ck_assert_int_eq(rp_stats_compute(ds, &st), RP_OK);
    ck_assert_uint_eq(st.duplicates, N - 1);
    ck_assert_int_eq(st.ts_min, 1);
    ck_assert_uint_eq(st.user_history.max, N);
    ck_assert_double_eq_tol(st.user_history.p90, (double)N, 1e-9);
    ck_assert_uint_eq(st.user_history.n_buckets, 20); /* 2^19 <= 10^6 < 2^20 */
    ck_assert_uint_eq(st.user_history.counts[19], 1);
    rp_dataset_unref(ds);
    free(u);
    free(i);
    free(ts);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hand_computed);
    tcase_add_test(tc, json_shape);
    tcase_add_test(tc, million_duplicates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
