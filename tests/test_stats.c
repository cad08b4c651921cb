/* Check suite for core/stats.c on a tiny dataset whose numbers are worked out
 * by hand in the comments. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
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

/* Months: 2013-12-31 23:59:59, 2014-01-31 23:59:59, 2014-02-01 00:00:00,
 * 2014-04-15 (no row in March) -> 2013-12..2014-04, counts 1 1 1 0 1; the
 * boundary second 2014-02-01T00:00:00 = 1391212800 opens February.
 * Ratings 5, 5, 4.5, none, 1: values 1 (1), 4.5 (1), 5 (2), 1 missing,
 * mean 15.5 / 4. */
START_TEST(months_and_ratings)
{
    const char *u[] = {"a", "b", "c", "d", "e"};
    const char *i[] = {"x", "x", "y", "y", "z"};
    int64_t ts[] = {1391212799, 1391212800, 1397520000, 1388534399, 1391212799};
    double r[] = {5.0, 5.0, 4.5, NAN, 1.0};
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, r, 5, &ds, NULL), RP_OK);
    rp_stats st;
    ck_assert_int_eq(rp_stats_compute(ds, &st), RP_OK);
    const rp_timeline *t = &st.timeline;
    ck_assert_uint_eq(t->months_per_bucket, 1);
    ck_assert_uint_eq(t->n_buckets, 5);
    ck_assert_int_eq(t->first_year, 2013);
    ck_assert_uint_eq(t->first_month, 12);
    uint32_t want[] = {1, 2, 1, 0, 1};
    for (size_t b = 0; b < 5; b++)
        ck_assert_uint_eq(t->counts[b], want[b]);
    const rp_rating_stats *rs = &st.ratings;
    ck_assert_uint_eq(rs->rated, 4);
    ck_assert_uint_eq(rs->missing, 1);
    ck_assert_int_eq(rs->binned, 0);
    ck_assert_uint_eq(rs->n, 3);
    ck_assert_double_eq(rs->value[0], 1.0);
    ck_assert_double_eq(rs->value[1], 4.5);
    ck_assert_double_eq(rs->value[2], 5.0);
    ck_assert_uint_eq(rs->count[2], 2);
    ck_assert_double_eq_tol(rs->mean, 15.5 / 4, 1e-12);

    json_t *j = rp_stats_to_json(&st, NULL, RP_FORMAT_AMAZON_CSV);
    json_t *buckets = json_object_get(json_object_get(j, "interactions_over_time"), "buckets");
    ck_assert_uint_eq(json_array_size(buckets), 5);
    json_t *b0 = json_array_get(buckets, 0);
    ck_assert_str_eq(json_string_value(json_object_get(b0, "month")), "2013-12");
    ck_assert_int_eq(json_integer_value(json_object_get(b0, "start")), 1385856000);
    json_t *b3 = json_array_get(buckets, 3);
    ck_assert_str_eq(json_string_value(json_object_get(b3, "month")), "2014-03");
    ck_assert_int_eq(json_integer_value(json_object_get(b3, "count")), 0);
    json_t *vals = json_object_get(json_object_get(j, "ratings"), "values");
    ck_assert_uint_eq(json_array_size(vals), 3);
    ck_assert_double_eq(json_real_value(json_object_get(json_array_get(vals, 1), "rating")), 4.5);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "ratings"), "missing")),
                     1);
    json_decref(j);
    rp_dataset_unref(ds);
}
END_TEST

/* 1969-12-31 23:59:59 (-1) and 2070-01-01 (3155760000): 1201 months, more
 * than RP_TIMELINE_MAX, so 3 months per bucket and 401 buckets; the first
 * bucket starts 1969-12-01 (-2678400). 100 distinct ratings 0..99 are
 * binned: width 4.95, 5 values in the first bin and 5 in the last. */
START_TEST(wide_span_and_many_ratings)
{
    enum { N = 100 };
    const char *u[N], *i[N];
    char names[N][8];
    int64_t ts[N];
    double r[N];
    for (int k = 0; k < N; k++) {
        snprintf(names[k], sizeof names[k], "u%d", k);
        u[k] = names[k];
        i[k] = "item";
        ts[k] = k == 0 ? -1 : k == N - 1 ? 3155760000 : 1000000000;
        r[k] = (double)k;
    }
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, r, N, &ds, NULL), RP_OK);
    rp_stats st;
    ck_assert_int_eq(rp_stats_compute(ds, &st), RP_OK);
    ck_assert_uint_eq(st.timeline.months_per_bucket, 3);
    ck_assert_uint_eq(st.timeline.n_buckets, 401);
    ck_assert_int_eq(st.timeline.first_year, 1969);
    ck_assert_uint_eq(st.timeline.counts[0], 1);
    ck_assert_uint_eq(st.timeline.counts[400], 1);
    ck_assert_int_eq(st.ratings.binned, 1);
    ck_assert_uint_eq(st.ratings.n, RP_RATING_BINS);
    uint32_t sum = 0;
    for (size_t b = 0; b < st.ratings.n; b++)
        sum += st.ratings.count[b];
    ck_assert_uint_eq(sum, N);
    ck_assert_uint_eq(st.ratings.count[0], 5);
    ck_assert_uint_eq(st.ratings.count[RP_RATING_BINS - 1], 5);
    json_t *j = rp_stats_to_json(&st, NULL, RP_FORMAT_AMAZON_CSV);
    json_t *tl = json_object_get(j, "interactions_over_time");
    json_t *b0 = json_array_get(json_object_get(tl, "buckets"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(b0, "start")), -2678400);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(j, "ratings"), "bins"));
    json_decref(j);
    rp_dataset_unref(ds);
}
END_TEST

/* A span past the day table's (over 11,000 years) is counted through the
 * time order instead: the same buckets, every row in one - with the order
 * kept as counts per time (3 distinct times sharing a factor) and as
 * sorted rows (one time a second off: no factor). */
START_TEST(span_past_the_day_table)
{
    const char *u[] = {"a", "b", "c", "d"}, *i[] = {"x", "x", "y", "y"};
    for (int off = 0; off < 2; off++) {
        int64_t ts[] = {400000000000LL, -400000000000LL, off, 400000000000LL}; /* +-12,700 years */
        rp_dataset *ds = NULL;
        ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, NULL, 4, &ds, NULL), RP_OK);
        ck_assert((ds->by_time == NULL) == (off == 0));
        rp_stats st;
        ck_assert_int_eq(rp_stats_compute(ds, &st), RP_OK);
        const rp_timeline *t = &st.timeline;
        ck_assert_uint_gt(t->months_per_bucket, 1);
        uint64_t sum = 0;
        for (size_t b = 0; b < t->n_buckets; b++)
            sum += t->counts[b];
        ck_assert_uint_eq(sum, 4);
        ck_assert_uint_eq(t->counts[0], 1);
        ck_assert_uint_eq(t->counts[t->n_buckets - 1], 2);
        ck_assert_int_eq(st.ts_min, -400000000000LL);
        ck_assert_int_eq(st.ts_max, 400000000000LL);
        rp_dataset_unref(ds);
    }
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
    tcase_add_test(tc, months_and_ratings);
    tcase_add_test(tc, wide_span_and_many_ratings);
    tcase_add_test(tc, span_past_the_day_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
