/* Check suite for core/dataset.c: builder, indexes, fingerprint, refcount. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "split_impl.h"
#include "recprep/dataset.h"
#include "check_run.h"

static rp_dataset *make(const char *const *u, const char *const *i, const int64_t *ts, uint32_t n)
{
    rp_dataset *ds = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, NULL, n, &ds, &err), RP_OK);
    ck_assert_ptr_nonnull(ds);
    return ds;
}

START_TEST(interns_in_first_appearance_order)
{
    const char *u[] = {"bob", "amy", "bob", "cid"};
    const char *i[] = {"x", "0205616461", "205616461", "x"};
    int64_t ts[] = {5, 3, 5, 1};
    rp_dataset *ds = make(u, i, ts, 4);
    ck_assert_uint_eq(rp_dataset_rows(ds), 4);
    ck_assert_uint_eq(rp_dataset_users(ds), 3);
    ck_assert_uint_eq(rp_dataset_items(ds), 3); /* leading zero makes a distinct ID */
    size_t len;
    const char *s = rp_dataset_user_raw(ds, 1, &len);
    ck_assert_int_eq((int)len, 3);
    ck_assert_int_eq(memcmp(s, "amy", 3), 0);
    s = rp_dataset_item_raw(ds, 2, &len);
    ck_assert_int_eq((int)len, 9);
    ck_assert_int_eq(memcmp(s, "205616461", 9), 0);
    ck_assert_uint_eq(ds->user[2], 0);
    ck_assert_uint_eq(ds->item[3], 0);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(by_time_is_stable)
{
    enum { N = 2000 };
    static char names[N][8];
    const char *u[N], *i[N];
    int64_t ts[N];
    uint32_t seed = 7;
    for (int r = 0; r < N; r++) {
        seed = seed * 1103515245u + 12345u;
        snprintf(names[r], sizeof names[r], "u%d", (int)(seed >> 16) % 50);
        u[r] = names[r];
        i[r] = (r % 3) ? "a" : "b";
        /* few distinct values with a huge spread: ties and several radix
           passes (one row a second off, so that no common factor makes the
           times a few counted keys: by_time is sorted) */
        ts[r] = ((int64_t)((seed >> 8) % 7) - 3) * 1000000007LL + (r == 5);
    }
    rp_dataset *ds = make(u, i, ts, N);
    ck_assert_ptr_nonnull(ds->by_time);
    for (uint32_t k = 1; k < N; k++) {
        uint32_t a = ds->by_time[k - 1], b = ds->by_time[k];
        ck_assert(ts[a] < ts[b] || (ts[a] == ts[b] && a < b));
    }
    rp_dataset_unref(ds);
}
END_TEST

/* Row r of a random log: *seed stepped (an LCG; the caller draws the
 * timestamp from it too), user "u<k>" of users (named in names[r]), item
 * "b" every item_every rows, else "a". */
static void random_row(uint64_t *seed, int r, uint16_t users, int item_every, char (*names)[8],
                       const char **u, const char **i)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    snprintf(names[r], sizeof names[r], "u%u", (unsigned)(uint16_t)((*seed >> 40) % users));
    u[r] = names[r];
    i[r] = (r % item_every) ? "a" : "b";
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Places where the time order disagrees with the times ts[0..n) (seconds)
 * sorted, among the rows with alive[r] (all when alive is NULL): every
 * rpi_time_at (alive NULL), rpi_times_at at every rank, and the runs of
 * rpi_time_run (each of one time, together n rows). */
static uint32_t time_order_broken(const rp_dataset *ds, const int64_t *ts, uint32_t n,
                                  const uint8_t *alive)
{
    int64_t *sorted = malloc((n + 1) * sizeof *sorted), *got = malloc((n + 1) * sizeof *got);
    size_t *idx = malloc((n + 1) * sizeof *idx), m = 0;
    for (uint32_t r = 0; r < n; r++)
        if (alive == NULL || alive[r])
            sorted[m++] = ts[r];
    qsort(sorted, m, sizeof *sorted, cmp_i64);
    for (size_t k = 0; k < m; k++)
        idx[k] = m - 1 - k; /* any order of ranks */
    uint32_t bad = rpi_times_at(ds, alive, idx, m, got) != RP_OK;
    for (size_t k = 0; k < m; k++)
        bad += got[k] != sorted[m - 1 - k];
    if (alive == NULL) {
        uint32_t k = 0;
        while (k < n) {
            uint32_t run = rpi_time_run(ds, k);
            bad += run == 0 || run > n - k || rpi_time_at(ds, k) != sorted[k] ||
                   rpi_time_at(ds, k + run - 1) != sorted[k];
            k += run ? run : n;
        }
    }
    free(sorted), free(got), free(idx);
    return bad;
}

/* Pairs of by_time (when it is sorted) and of each user's user_rows_t out
 * of (time, row) order, and the time order's disagreements with the times:
 * 0 proves both stable orders, and (with n rows strictly increasing)
 * permutations. Counted, not asserted per pair: check logs every
 * assertion. */
static uint32_t orders_broken(const rp_dataset *ds, const int64_t *ts, uint32_t n)
{
    uint32_t bad = time_order_broken(ds, ts, n, NULL);
    for (uint32_t k = 1; ds->by_time != NULL && k < n; k++) {
        uint32_t a = ds->by_time[k - 1], b = ds->by_time[k];
        bad += !(ts[a] < ts[b] || (ts[a] == ts[b] && a < b));
    }
    for (uint32_t x = 0; x < ds->n_users; x++) {
        for (uint32_t p = ds->user_off[x] + 1; p < ds->user_off[x + 1]; p++) {
            uint32_t a = ds->user_rows_t[p - 1], b = ds->user_rows_t[p];
            bad += ds->user[a] != x || ds->user[b] != x ||
                   !(ts[a] < ts[b] || (ts[a] == ts[b] && a < b));
        }
    }
    return bad + (ds->user_off[ds->n_users] != n);
}

/* Timestamps sharing a factor (whole days, hours: dataset.c's key_map sorts
 * on the quotients): all rows on it, its odd part broken only after the
 * rows it is guessed from (a day log with one row on an hour, one on a
 * second), its power of two broken, negative times, a sample of equal
 * times. Each must give the orders the timestamps themselves give. */
START_TEST(by_time_common_factors)
{
    enum { N = 70000 }; /* past the guess's sample and the two-thread threshold */
    static char names[N][8];
    static const char *u[N], *i[N];
    static int64_t ts[N];
    struct {
        int64_t base, unit;
        int64_t odd_row; /* -1: none; else that row moves by odd_by */
        int64_t odd_by;
        int equal_head; /* the first 5000 rows share one time */
    } cases[] = {
        {1000000000, 86400, -1, 0, 0},        {1000000000, 86400, 60000, 3600, 0},
        {1000000000, 86400, 69999, 1, 0},     {1000000000, 86400, 50000, 43200, 0},
        {-2000000000, 86400, 65000, 7200, 0}, {1000000000, 675, 66000, 2, 0},
        {1000000000, 86400, 60000, 3600, 1},  {0, 3, -1, 0, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint64_t seed = 777 + c;
        for (int r = 0; r < N; r++) {
            random_row(&seed, r, 4999, 7, names, u, i);
            int64_t day = (int64_t)((seed >> 20) % 5000);
            if (cases[c].equal_head && r < 5000)
                day = 17;
            ts[r] = cases[c].base + day * cases[c].unit;
            if (r == cases[c].odd_row)
                ts[r] += cases[c].odd_by;
        }
        rp_dataset *ds = make(u, i, ts, N);
        uint32_t bad = orders_broken(ds, ts, N);
        ck_assert_msg(bad == 0, "case %zu: %u pairs out of order", c, bad);
        rp_dataset_unref(ds);
    }
}
END_TEST

/* The time order kept as counts per time key (a log in days: 2^16 keys at
 * most after the common factor) and as sorted rows (seconds over years):
 * the times at every rank, among all rows and among those a mask keeps. */
START_TEST(time_order_both_forms)
{
    enum { N = 5000 };
    static char names[N][8];
    static const char *u[N], *i[N];
    static int64_t ts[N];
    static uint8_t alive[N];
    for (int wide = 0; wide < 2; wide++) {
        uint64_t seed = 99 + (uint64_t)wide;
        for (int r = 0; r < N; r++) {
            random_row(&seed, r, 300, 4, names, u, i);
            uint64_t day = (seed >> 20) % 3000;
            ts[r] = 900000000 + (int64_t)day * 86400 + (wide ? (int64_t)((seed >> 8) % 86400) : 0);
            alive[r] = (seed >> 50) % 3 != 0;
        }
        rp_dataset *ds = make(u, i, ts, N);
        ck_assert((ds->by_time == NULL) == !wide);
        ck_assert((ds->time_before == NULL) == wide);
        ck_assert_uint_eq(orders_broken(ds, ts, N), 0);
        ck_assert_uint_eq(time_order_broken(ds, ts, N, alive), 0);
        rp_dataset_unref(ds);
    }
}
END_TEST

/* by_time and each user's time order at every number of radix passes (a
 * constant column, 1 to 4 passes of up to 16 bits, a constant low digit
 * that is skipped), 32- and 64-bit keys, negative times: stable orders of
 * (time, row), which a strictly increasing (time, row) sequence of n rows
 * also proves to be permutations. */
START_TEST(by_time_every_pass_count)
{
    enum { N = 70000 }; /* past the two-thread index threshold */
    static char names[N][8];
    static const char *u[N], *i[N];
    static int64_t ts[N];
    const uint64_t spans[] = {0,
                              1,
                              1000,
                              1u << 16,
                              (1u << 16) + 1,
                              1ull << 31,
                              1ull << 32,
                              (1ull << 32) + 5,
                              1ull << 47,
                              1ull << 62};
    for (size_t s = 0; s < sizeof spans / sizeof spans[0]; s++) {
        for (int step = 1; step <= 65536; step += 65535) { /* 65536: low digit constant */
            uint64_t seed = 12345 + s;
            for (int r = 0; r < N; r++) {
                random_row(&seed, r, 997, 5, names, u, i);
                uint64_t off = spans[s] ? (seed >> 11) % spans[s] : 0;
                if (r % 3 == 0) /* ties */
                    off = spans[s] / 2;
                ts[r] = -((int64_t)1 << 40) + (int64_t)(off / (uint64_t)step * (uint64_t)step);
            }
            rp_dataset *ds = make(u, i, ts, N);
            uint32_t bad = orders_broken(ds, ts, N);
            ck_assert_msg(bad == 0, "span %llu step %d: %u pairs out of order",
                          (unsigned long long)spans[s], step, bad);
            rp_dataset_unref(ds);
        }
    }
}
END_TEST

/* Millisecond data: each user's rows by whole second (user_rows_t) and by
 * millisecond (user_rows_tp), ties in file order - for short histories
 * (sorted by insertion) and long ones (over 16 rows: sorted as pairs). */
START_TEST(millisecond_user_orders)
{
    enum { N = 3000 };
    static char names[N][8];
    const char *u[N], *i[N];
    int64_t ts[N];
    uint64_t seed = 99;
    for (int r = 0; r < N; r++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned who = (unsigned)(seed >> 33) % 1000;
        /* users 0..9 get about 10 rows each (short), u10 the rest of those
           drawn under 600 (long) */
        snprintf(names[r], sizeof names[r], "u%u", who < 100 ? who / 10 : who < 600 ? 10 : 11);
        u[r] = names[r];
        i[r] = "x";
        ts[r] =
            1700000000000 + (int64_t)((seed >> 20) % 4) * 1000 + (int64_t)((seed >> 40) % 3) * 400;
    }
    rp_dataset *ds = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_dataset_from_rows_unit(u, i, ts, NULL, N, RP_TS_MILLIS, &ds, &err), RP_OK);
    ck_assert_ptr_ne(ds->user_rows_t, ds->user_rows_tp);
    uint32_t bad_sec = 0, bad_ms = 0, longest = 0;
    for (uint32_t x = 0; x < ds->n_users; x++) {
        uint32_t lo = ds->user_off[x], hi = ds->user_off[x + 1];
        longest = hi - lo > longest ? hi - lo : longest;
        uint64_t sum_t = 0, sum_tp = 0, sum = 0;
        for (uint32_t p = lo; p < hi; p++) {
            sum += ds->user_rows[p];
            sum_t += ds->user_rows_t[p];
            sum_tp += ds->user_rows_tp[p];
            bad_sec += ds->user[ds->user_rows_t[p]] != x;
            bad_ms += ds->user[ds->user_rows_tp[p]] != x;
            if (p == lo)
                continue;
            uint32_t a = ds->user_rows_t[p - 1], b = ds->user_rows_t[p];
            bad_sec += !(ts[a] / 1000 < ts[b] / 1000 || (ts[a] / 1000 == ts[b] / 1000 && a < b));
            a = ds->user_rows_tp[p - 1], b = ds->user_rows_tp[p];
            bad_ms += !(ts[a] < ts[b] || (ts[a] == ts[b] && a < b));
        }
        bad_sec += sum_t != sum;
        bad_ms += sum_tp != sum;
    }
    ck_assert_uint_gt(longest, 16);
    ck_assert_msg(bad_sec == 0 && bad_ms == 0, "%u second and %u millisecond pairs out of order",
                  bad_sec, bad_ms);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(csr_orders)
{
    const char *u[] = {"a", "b", "a", "a", "b", "c"};
    const char *i[] = {"x", "x", "y", "z", "y", "x"};
    int64_t ts[] = {30, 10, 10, 30, 5, 1};
    rp_dataset *ds = make(u, i, ts, 6);
    /* user a = rows 0, 2, 3 in file order; by time 2 (10), 0 (30), 3 (30, later row) */
    ck_assert_uint_eq(ds->user_off[0], 0);
    ck_assert_uint_eq(ds->user_off[1], 3);
    ck_assert_uint_eq(ds->user_rows[0], 0);
    ck_assert_uint_eq(ds->user_rows[1], 2);
    ck_assert_uint_eq(ds->user_rows[2], 3);
    ck_assert_uint_eq(ds->user_rows_t[0], 2);
    ck_assert_uint_eq(ds->user_rows_t[1], 0);
    ck_assert_uint_eq(ds->user_rows_t[2], 3);
    /* user b = rows 1, 4; by time 4 (5), 1 (10) */
    ck_assert_uint_eq(ds->user_rows_t[3], 4);
    ck_assert_uint_eq(ds->user_rows_t[4], 1);
    /* item x = rows 0, 1, 5 */
    ck_assert_uint_eq(ds->item_off[1], 3);
    ck_assert_uint_eq(ds->item_rows[2], 5);
    ck_assert_uint_eq(ds->item_off[3], 6);
    rp_dataset_unref(ds);
}
END_TEST

/* The partitioned CSR build against the direct one (and against the
 * definition: each key's rows ascending, carried beside) for keys uniform,
 * skewed past a bucket's scratch (one key holding a third of the rows: its
 * bucket is filled by scans), with keys that have no rows, and buckets of
 * 1 row to more than all of them, with and without a carried column. */
static void csr_case(uint32_t n, uint32_t nkeys, int skew, uint64_t seed, uint32_t part_rows,
                     int carry_it)
{
    uint32_t *key = malloc(n * sizeof *key), *carry = malloc(n * sizeof *carry);
    uint32_t *off[2], *rows[2], *car[2];
    for (int v = 0; v < 2; v++) {
        off[v] = malloc(((size_t)nkeys + 1) * sizeof **off);
        rows[v] = malloc(n * sizeof **rows);
        car[v] = malloc(n * sizeof **car);
    }
    for (uint32_t r = 0; r < n; r++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t x = (uint32_t)(seed >> 33);
        key[r] = skew && x % 3 == 0 ? nkeys / 2
                                    : x % (nkeys - nkeys / 4); /* the last quarter: no rows */
        carry[r] = x ^ r;
    }
    const uint32_t *cin = carry_it ? carry : NULL;
    rpi_build_csr(n, key, nkeys, off[0], rows[0], cin, car[0], 0);
    rpi_build_csr(n, key, nkeys, off[1], rows[1], cin, car[1], part_rows);
    ck_assert_msg(memcmp(off[0], off[1], ((size_t)nkeys + 1) * sizeof **off) == 0,
                  "off: n %u keys %u skew %d part %u", n, nkeys, skew, part_rows);
    ck_assert_msg(memcmp(rows[0], rows[1], n * sizeof **rows) == 0, "rows: n %u part %u", n,
                  part_rows);
    if (carry_it)
        ck_assert_msg(memcmp(car[0], car[1], n * sizeof **car) == 0, "carried: part %u", part_rows);
    uint32_t bad = 0;
    for (uint32_t k = 0; k < nkeys; k++)
        for (uint32_t p = off[1][k]; p < off[1][k + 1]; p++)
            bad += key[rows[1][p]] != k || (p > off[1][k] && rows[1][p] <= rows[1][p - 1]) ||
                   (carry_it && car[1][p] != carry[rows[1][p]]);
    ck_assert_msg(bad == 0 && off[1][0] == 0 && off[1][nkeys] == n, "%u rows misplaced", bad);
    for (int v = 0; v < 2; v++)
        free(off[v]), free(rows[v]), free(car[v]);
    free(key), free(carry);
}

START_TEST(csr_partitioned)
{
    static const uint32_t parts[] = {1, 7, 64, 1000, 1u << 17};
    for (size_t p = 0; p < sizeof parts / sizeof *parts; p++)
        for (int skew = 0; skew < 2; skew++)
            for (int carry_it = 0; carry_it < 2; carry_it++) {
                csr_case(20000, 5003, skew, 7 + p, parts[p], carry_it);
                csr_case(3000, 2999, skew, 11 + p, parts[p], carry_it);
            }
    csr_case(1, 1, 0, 3, 64, 1);
}
END_TEST

START_TEST(fingerprint_tracks_content)
{
    const char *u[] = {"a", "b", "a"};
    const char *i[] = {"x", "y", "y"};
    int64_t ts[] = {1, 2, 3}, ts2[] = {1, 2, 4};
    const char *u2[] = {"a", "b", "A"};
    rp_dataset *d1 = make(u, i, ts, 3), *d2 = make(u, i, ts, 3);
    rp_dataset *d3 = make(u, i, ts2, 3), *d4 = make(u2, i, ts, 3);
    ck_assert(rp_dataset_fingerprint(d1) == rp_dataset_fingerprint(d2));
    ck_assert(rp_dataset_fingerprint(d1) != rp_dataset_fingerprint(d3));
    ck_assert(rp_dataset_fingerprint(d1) != rp_dataset_fingerprint(d4));
    rp_dataset_unref(d1);
    rp_dataset_unref(d2);
    rp_dataset_unref(d3);
    rp_dataset_unref(d4);
    /* the rows are hashed in four lanes and a tail (dataset.c): a change
       in any one row, or two rows swapped, shows */
    enum { N = 9 };
    const char *uu[N] = {"a", "b", "c", "a", "b", "c", "a", "b", "c"}, *ii[N];
    int64_t t[N];
    for (int r = 0; r < N; r++) {
        ii[r] = "x";
        t[r] = 100 + r;
    }
    rp_dataset *base = make(uu, ii, t, N);
    for (int r = 0; r < N; r++) {
        t[r] += 1000;
        rp_dataset *d = make(uu, ii, t, N);
        ck_assert_msg(rp_dataset_fingerprint(d) != rp_dataset_fingerprint(base), "row %d", r);
        rp_dataset_unref(d);
        t[r] -= 1000;
    }
    for (int r = 1; r < N; r++) {
        int64_t x = t[0];
        t[0] = t[r];
        t[r] = x;
        rp_dataset *d = make(uu, ii, t, N);
        ck_assert_msg(rp_dataset_fingerprint(d) != rp_dataset_fingerprint(base), "swap 0 %d", r);
        rp_dataset_unref(d);
        t[r] = t[0];
        t[0] = x;
    }
    rp_dataset_unref(base);
    /* so are the IDs' strings: any one user's or item's changed, or two
       users' strings swapped (the same rows, the indices swapped) */
    const char *names[N] = {"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"};
    const char *items[N] = {"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8"};
    const char **sides[2] = {uu, ii};
    for (int r = 0; r < N; r++) {
        uu[r] = names[r];
        ii[r] = items[r];
    }
    base = make(uu, ii, t, N);
    for (int side = 0; side < 2; side++)
        for (int r = 0; r < N; r++) {
            const char *was = sides[side][r];
            sides[side][r] = "zz";
            rp_dataset *d = make(uu, ii, t, N);
            ck_assert_msg(rp_dataset_fingerprint(d) != rp_dataset_fingerprint(base),
                          "side %d id %d", side, r);
            rp_dataset_unref(d);
            sides[side][r] = was;
        }
    /* every byte of a 13-byte ID counts: 8 in a word, 5 in the tail */
    char longid[14] = "user-0123456", changed[14];
    uu[4] = longid;
    rp_dataset *lbase = make(uu, ii, t, N);
    for (int k = 0; k < 13; k++) {
        memcpy(changed, longid, sizeof changed);
        changed[k] ^= 1;
        uu[4] = changed;
        rp_dataset *d = make(uu, ii, t, N);
        ck_assert_msg(rp_dataset_fingerprint(d) != rp_dataset_fingerprint(lbase), "byte %d", k);
        rp_dataset_unref(d);
    }
    rp_dataset_unref(lbase);
    uu[4] = names[4];
    for (int r = 1; r < N; r++) {
        uu[0] = names[r];
        uu[r] = names[0];
        rp_dataset *d = make(uu, ii, t, N);
        ck_assert_msg(rp_dataset_fingerprint(d) != rp_dataset_fingerprint(base), "user swap 0 %d",
                      r);
        rp_dataset_unref(d);
        uu[0] = names[0];
        uu[r] = names[r];
    }
    rp_dataset_unref(base);
}
END_TEST

START_TEST(refcount_keeps_alive)
{
    const char *u[] = {"a"}, *i[] = {"x"};
    int64_t ts[] = {1};
    rp_dataset *ds = make(u, i, ts, 1);
    ck_assert_ptr_eq(rp_dataset_ref(ds), ds);
    rp_dataset_unref(ds);
    ck_assert_uint_eq(rp_dataset_rows(ds), 1); /* still alive: ASan would flag a free */
    rp_dataset_unref(ds);
    rp_dataset_unref(NULL);
}
END_TEST

START_TEST(empty_is_an_error)
{
    rp_dataset *ds = (rp_dataset *)1;
    rp_error err = {0};
    ck_assert_int_eq(rp_dataset_from_rows(NULL, NULL, NULL, NULL, 0, &ds, &err), RP_ERR_PARSE);
    ck_assert_ptr_null(ds);
    ck_assert_str_eq(err.message, "no interaction rows");
}
END_TEST

/* Timestamps within 32 bits of each other and few distinct ratings are kept
 * compact; wider ranges and many ratings stay wide; values read back exactly
 * either way. */
START_TEST(compact_columns_read_back)
{
    enum { N = 600 };
    static char names[N][2][12];
    const char *users[N], *items[N];
    int64_t ts[N], wide[N];
    double few[N], many[N];
    for (int r = 0; r < N; r++) {
        snprintf(names[r][0], 12, "u%d", r % 37);
        snprintf(names[r][1], 12, "i%d", r % 11);
        users[r] = names[r][0];
        items[r] = names[r][1];
        ts[r] = -5000 + (int64_t)r * 7000000; /* range < 2^32 */
        wide[r] = r % 2 ? -((int64_t)1 << 40) + r : ((int64_t)1 << 40) - r;
        few[r] = r % 5 == 0 ? NAN : 0.5 * (r % 9);
        many[r] = r % 7 == 0 ? NAN : r / 3.0; /* about 515 distinct */
    }
    const int64_t *tcol[] = {ts, wide};
    const double *rcol[] = {few, many};
    for (int k = 0; k < 2; k++) {
        rp_dataset *ds = NULL;
        rp_error err = {0};
        ck_assert_int_eq(rp_dataset_from_rows(users, items, tcol[k], rcol[k], N, &ds, &err), RP_OK);
        ck_assert_msg((ds->ts32 != NULL) == (k == 0), "timestamps compact only when they fit");
        ck_assert_msg((ds->rating8 != NULL) == (k == 0), "ratings coded only when few");
        for (uint32_t r = 0; r < N; r++) {
            ck_assert_int_eq(rpi_ts(ds, r), tcol[k][r]);
            double v = rpi_rating(ds, r);
            ck_assert(isnan(rcol[k][r]) ? isnan(v) : v == rcol[k][r]);
        }
        rp_dataset_unref(ds);
    }
}
END_TEST

/* rpi_dedup_rows against the rule spelled out naively: among a user's rows
 * still in the mask, a row is dropped when an earlier one (in time order at
 * the input's precision, ties in file order) - or, keeping the last, a later
 * one - has the same item. Random logs with users of one, two and more rows,
 * tied timestamps, and every row in the mask (answered from the dataset's
 * duplicate index, core/dups.c) or rows masked out beforehand (as
 * min_rating does: the walk). */
START_TEST(dedup_matches_the_naive_rule)
{
    enum { N = 64 };
    char names[2 * N][8];
    const char *users[N], *items[N];
    int64_t ts[N];
    unsigned seed = 7;
    for (int trial = 0; trial < 300; trial++) {
        for (int r = 0; r < N; r++) {
            seed = seed * 1103515245u + 12345u;
            /* 3 users: over 16 rows each (dups.c's path for big users) */
            int u = (int)(seed >> 16) % (trial % 3 == 0 ? 40 : trial % 3 == 1 ? 12 : 3);
            int i = (int)(seed >> 8) % (trial % 2 ? 3 : 6);
            snprintf(names[r], sizeof names[r], "u%d", u);
            snprintf(names[N + r], sizeof names[N + r], "i%d", i);
            users[r] = names[r];
            items[r] = names[N + r];
            ts[r] = (int64_t)((seed >> 4) % 5);
        }
        rp_dataset *ds = make(users, items, ts, N);
        for (int v = 0; v < 4; v++) {
            int keep_last = v & 1, all = v >> 1;
            uint8_t mask[N + 1], want[N], in[N];
            for (int r = 0; r < N; r++)
                in[r] = mask[r] = (uint8_t)(all || (r * 7 + trial) % 5 != 0);
            for (int r = 0; r < N; r++) { /* the naive rule */
                want[r] = mask[r];
                for (int o = 0; want[r] && o < N; o++) {
                    int before = ts[o] < ts[r] || (ts[o] == ts[r] && o < r);
                    int after = ts[o] > ts[r] || (ts[o] == ts[r] && o > r);
                    if (o != r && mask[o] && strcmp(users[o], users[r]) == 0 &&
                        strcmp(items[o], items[r]) == 0 && (keep_last ? after : before))
                        want[r] = 0;
                }
            }
            uint64_t dropped = 0, want_dropped = 0;
            ck_assert_int_eq(rpi_dedup_rows(ds, mask, keep_last, &dropped), RP_OK);
            for (int r = 0; r < N; r++) {
                ck_assert_msg(mask[r] == want[r], "trial %d keep_last %d row %d", trial, keep_last,
                              r);
                want_dropped += (uint64_t)in[r] - want[r];
            }
            ck_assert_uint_eq(dropped, want_dropped);
        }
        rp_dataset_unref(ds);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("core");
    /* the 70,000-row cases take seconds under the sanitizers on a busy
       2-core machine: past Check's default 4 s (seen once in ctest -j2) */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, interns_in_first_appearance_order);
    tcase_add_test(tc, by_time_is_stable);
    tcase_add_test(tc, by_time_every_pass_count);
    tcase_add_test(tc, by_time_common_factors);
    tcase_add_test(tc, time_order_both_forms);
    tcase_add_test(tc, csr_orders);
    tcase_add_test(tc, csr_partitioned);
    tcase_add_test(tc, millisecond_user_orders);
    tcase_add_test(tc, fingerprint_tracks_content);
    tcase_add_test(tc, refcount_keeps_alive);
    tcase_add_test(tc, empty_is_an_error);
    tcase_add_test(tc, compact_columns_read_back);
    tcase_add_test(tc, dedup_matches_the_naive_rule);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
