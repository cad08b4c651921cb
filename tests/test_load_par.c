/* Check suite for core/load_par.c: a file loaded on several threads in chunks
 * (forced tiny, so that every line boundary case falls on a chunk edge) is
 * the same dataset as the one-thread load - every row's IDs, timestamp and
 * rating, the ID numbering, the unit, the format - and a bad line gives the
 * same error, line and column. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "temp_file.h"
#include "dataset_impl.h"
#include "recprep/load.h"

/* The fingerprint hashed at load, or on demand when lazy (the same value:
 * same_dataset compares it with a serial load's, hashed at load). */
static rp_status load_batch(const char *path, rp_format fmt, unsigned threads, size_t chunk,
                            size_t batch, int lazy, rp_dataset **ds, rp_error *err)
{
    rp_load_opts o = {
        .threads = threads, .chunk_bytes = chunk, .batch_rows = batch, .lazy_fingerprint = lazy};
    memset(err, 0, sizeof *err);
    return rp_load_file_opts(path, fmt, &o, NULL, ds, err);
}

static rp_status load(const char *path, rp_format fmt, unsigned threads, size_t chunk,
                      rp_dataset **ds, rp_error *err)
{
    rp_load_opts o = {.threads = threads, .chunk_bytes = chunk};
    memset(err, 0, sizeof *err);
    return rp_load_file_opts(path, fmt, &o, NULL, ds, err);
}

static void same_ids(const rp_intern *a, const rp_intern *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        size_t la, lb;
        const char *sa = rp_intern_get(a, i, &la), *sb = rp_intern_get(b, i, &lb);
        ck_assert_msg(la == lb && memcmp(sa, sb, la) == 0, "ID %u: %.*s vs %.*s", i, (int)la, sa,
                      (int)lb, sb);
    }
}

/* Every column and both ID tables equal, so also the numbering. */
static void same_dataset(const rp_dataset *a, const rp_dataset *b)
{
    ck_assert_uint_eq(a->n_rows, b->n_rows);
    ck_assert_uint_eq(a->n_users, b->n_users);
    ck_assert_uint_eq(a->n_items, b->n_items);
    ck_assert_int_eq(a->format, b->format);
    ck_assert_int_eq(a->ts_unit, b->ts_unit);
    for (uint32_t r = 0; r < a->n_rows; r++) {
        ck_assert_msg(a->user[r] == b->user[r] && a->item[r] == b->item[r], "row %u", r);
        ck_assert_msg(rpi_ts(a, r) == rpi_ts(b, r), "row %u ts", r);
        double ra = rpi_rating(a, r), rb = rpi_rating(b, r);
        ck_assert_msg(memcmp(&ra, &rb, sizeof(double)) == 0, "row %u rating", r);
    }
    same_ids(a->user_ids, b->user_ids, a->n_users);
    same_ids(a->item_ids, b->item_ids, a->n_items);
    ck_assert_uint_eq(rp_dataset_fingerprint(a), rp_dataset_fingerprint(b));
}

/* Load text serially and on 1..4 threads with chunks of many sizes, the
 * user IDs of the chunks after the first interned in batches of 1, 3 and
 * 4000 rows or of the default size (intern_batch.c), in turn. */
static void check_same(const char *text, const char *suffix, rp_format fmt)
{
    static const size_t tiny[] = {1, 2, 3, 5, 7, 13, 64, 1000, 0},
                        mid[] = {97, 997, 4099, 32768, 0}, big[] = {997, 65536, 300000, 0},
                        batches[] = {0, 1, 3, 4000};
    size_t len = strlen(text);
    /* 1-byte chunks of a big file take long (under ASan above all) */
    const size_t *chunks = len > 100000 ? big : len > 2000 ? mid : tiny;
    char *path = write_temp(text, len, suffix);
    rp_dataset *ref = NULL;
    rp_error err;
    ck_assert_msg(load(path, fmt, 1, 0, &ref, &err) == RP_OK, "serial: %s", err.message);
    rp_dataset *lazy = NULL; /* serial, the fingerprint on demand */
    ck_assert_int_eq(load_batch(path, fmt, 1, 0, 0, 1, &lazy, &err), RP_OK);
    same_dataset(ref, lazy);
    rp_dataset_unref(lazy);
    for (unsigned t = 2; t <= 4; t++)
        for (size_t c = 0; chunks[c] != 0; c++) {
            rp_dataset *ds = NULL;
            size_t batch = batches[(t + c) % 4];
            rp_status st = load_batch(path, fmt, t, chunks[c], batch, (int)(c % 2), &ds, &err);
            ck_assert_msg(st == RP_OK, "%u threads, chunk %zu, batch %zu: %s (line %zu)", t,
                          chunks[c], batch, err.message, err.line);
            same_dataset(ref, ds);
            rp_dataset_unref(ds);
        }
    rp_dataset_unref(ref);
    remove_temp(path);
}

/* The serial error, then the same from every split. */
static void check_same_error(const char *text, const char *suffix, size_t want_line)
{
    static const size_t chunks[] = {1, 3, 8, 17, 100};
    char *path = write_temp(text, strlen(text), suffix);
    rp_dataset *ds = NULL;
    rp_error ref, err;
    rp_status st0 = load(path, RP_FORMAT_AUTO, 1, 0, &ds, &ref);
    ck_assert_int_ne(st0, RP_OK);
    ck_assert_uint_eq(ref.line, want_line);
    for (unsigned t = 2; t <= 3; t++)
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
            rp_status st = load(path, RP_FORMAT_AUTO, t, chunks[c], &ds, &err);
            ck_assert_ptr_null(ds);
            ck_assert_int_eq(st, st0);
            ck_assert_msg(err.line == ref.line && err.column == ref.column &&
                              strcmp(err.message, ref.message) == 0,
                          "%u threads, chunk %zu: %zu:%zu %s, want %zu:%zu %s", t, chunks[c],
                          err.line, err.column, err.message, ref.line, ref.column, ref.message);
        }
    remove_temp(path);
}

START_TEST(csv_edges)
{
    /* repeats across chunks, blank lines, CRLF, a quoted field, no final newline */
    check_same("A1,B1,5.0,100\nA2,B1,4,200\n\n\nA1,B2,3.5,-300\r\nA3,\"B,3\",1,7\n"
               "A2,B2,2,8\n\nA4,B1,,9\nA1,B3,5,10",
               ".csv", RP_FORMAT_AUTO);
}
END_TEST

START_TEST(csv_bom_and_blank_start)
{
    check_same("\xEF\xBB\xBF"
               "U1,I1,1,1\nU2,I2,2,2\nU1,I2,3,3\n",
               ".csv", RP_FORMAT_AUTO);
    /* chunk 0 holds no row at all: the load falls back to one thread */
    check_same("\n\n\n\n\n\n\n\n\n\nU1,I1,1,1\nU2,I2,2,2\n", ".csv", RP_FORMAT_AUTO);
}
END_TEST

START_TEST(csv_header)
{
    check_same("rating,userId,timestamp,movieId\n4.5,u1,10,m1\n3,u2,11,m1\n\n2,u1,12,m2\n"
               "1,u3,13,m3\n5,u2,14,m3\n",
               ".csv", RP_FORMAT_AUTO);
}
END_TEST

START_TEST(other_formats)
{
    check_same("1::10::5::978300760\n2::10::3::978300761\n1::20::4::978300762\n", ".dat",
               RP_FORMAT_AUTO);
    check_same("1\t10\t5\t978300760\n2\t10\t3\t978300761\n1\t20\t4\t978300762\n", ".tsv",
               RP_FORMAT_MOVIELENS_TSV);
    check_same("I1,U1,5,1\nI1,U2,4,2\nI2,U1,3,3\n", ".csv", RP_FORMAT_AMAZON_CSV_ITEM_FIRST);
}
END_TEST

START_TEST(json_units)
{
    check_same(
        "{\"reviewerID\": \"A1\", \"asin\": \"B1\", \"overall\": 5.0, \"unixReviewTime\": 1}\n"
        "{\"reviewerID\": \"A2\", \"asin\": \"B1\", \"overall\": 4.0, \"unixReviewTime\": 2}\n"
        "{\"reviewerID\": \"A1\", \"asin\": \"B2\", \"overall\": 3.0, \"unixReviewTime\": 3}\n",
        ".json", RP_FORMAT_AUTO);
    check_same("{\"user_id\": \"A1\", \"parent_asin\": \"B1\", \"rating\": 5.0, \"timestamp\": "
               "1000}\n{\"user_id\": \"A2\", \"parent_asin\": \"B1\", \"rating\": 4.0, "
               "\"timestamp\": 2001}\n{\"user_id\": \"A1\", \"parent_asin\": \"B2\", \"rating\": "
               "1.0, \"timestamp\": 2999}\n",
               ".jsonl", RP_FORMAT_AUTO);
}
END_TEST

START_TEST(errors_name_the_line)
{
    check_same_error("A1,B1,5,1\nA2,B2,4,2\n\nA3,B3,x,3\nA4,B4,5,4\nA5,B5,oops,5\n", ".csv", 4);
    check_same_error("A1,B1,5,1\nA2,B2,4,2\nA3,B3,3,3\nA4,B4,5,4\nA5,,5,5\n", ".csv", 5);
    /* a JSON file switching layout half-way is refused where it switches */
    check_same_error(
        "{\"reviewerID\": \"A1\", \"asin\": \"B1\", \"overall\": 5.0, \"unixReviewTime\": 1}\n"
        "{\"reviewerID\": \"A2\", \"asin\": \"B1\", \"overall\": 4.0, \"unixReviewTime\": 2}\n"
        "{\"user_id\": \"A1\", \"parent_asin\": \"B2\", \"rating\": 1.0, \"timestamp\": 2999}\n",
        ".json", 3);
}
END_TEST

START_TEST(large_generated)
{
    enum { ROWS = 60000 };
    size_t cap = (size_t)ROWS * 48, n = 0;
    char *text = malloc(cap);
    unsigned x = 7;
    for (int r = 0; r < ROWS; r++) {
        x = x * 1103515245u + 12345u;
        n += (size_t)snprintf(text + n, cap - n, "AU%u,B%u,%u.0,%d\n", (x >> 8) % 9000,
                              (x >> 4) % 700, 1 + (x >> 20) % 5, r);
    }
    check_same(text, ".csv", RP_FORMAT_AUTO);
    free(text);
}
END_TEST

/* A first line 60x the others': the size hint falls far short, so the
 * batch interner's parts start small and their tables double many times. */
START_TEST(hint_far_short)
{
    enum { ROWS = 30000 };
    size_t cap = (size_t)ROWS * 40 + 4096, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text, cap, "U%01500d,I0,5,1\n", 0);
    for (int r = 1; r < ROWS; r++)
        n += (size_t)snprintf(text + n, cap - n, "U%d,I%d,4,%d\n", r * 7 % 20011, r % 300, r);
    check_same(text, ".csv", RP_FORMAT_AUTO);
    free(text);
}
END_TEST

/* Ratings past 256 distinct values from some line on: chunks before it keep
 * 1-byte codes, later ones widen to doubles, and the merge mixes both. */
START_TEST(many_distinct_ratings)
{
    enum { ROWS = 4000 };
    size_t cap = (size_t)ROWS * 40, n = 0;
    char *text = malloc(cap);
    for (int r = 0; r < ROWS; r++)
        n += (size_t)snprintf(text + n, cap - n, "U%d,I%d,%.4f,%d\n", r % 97, r % 13,
                              r < 3000 ? (double)(r % 5) : r / 7.0, r);
    check_same(text, ".csv", RP_FORMAT_AUTO);
    free(text);
}
END_TEST

/* The builder keeps timestamps as 32-bit differences from the first row's
 * until one is too far: chunks whose own first rows differ, a chunk that
 * widens when the first did not (and the other way round), and the int64
 * extremes all read back as written, serially and merged. */
START_TEST(timestamps_far_apart)
{
    enum { ROWS = 3000 };
    static const int64_t far[] = {INT64_MIN, INT64_MAX, -4000000000LL, 5000000000LL};
    for (int layout = 0; layout < 3; layout++) {
        size_t cap = (size_t)ROWS * 48, n = 0;
        char *text = malloc(cap);
        int64_t *want = malloc(ROWS * sizeof *want);
        for (int r = 0; r < ROWS; r++) {
            int64_t t = 1000000000LL + (int64_t)r * 700000; /* 2.1e9 s in all: each chunk's
                                                               first row is another base */
            if (layout == 1 && r >= 2000 && r % 7 == 0)     /* only later chunks widen */
                t = far[r % 4];
            if (layout == 2 && r < 3) /* the first chunk widens at once */
                t = far[r];
            want[r] = t;
            n += (size_t)snprintf(text + n, cap - n, "U%d,I%d,4,%lld\n", r % 89, r % 11,
                                  (long long)t);
        }
        char *path = write_temp(text, n, ".csv");
        rp_dataset *ds = NULL;
        rp_error err;
        ck_assert_msg(load(path, RP_FORMAT_AUTO, 1, 0, &ds, &err) == RP_OK, "%s", err.message);
        uint32_t wrong = 0;
        for (uint32_t r = 0; r < ROWS; r++)
            wrong += rpi_ts(ds, r) != want[r];
        ck_assert_msg(wrong == 0, "layout %d: %u timestamps read back wrong", layout, wrong);
        ck_assert_msg((ds->ts32 != NULL) == (layout == 0), "32-bit offsets only when they fit");
        rp_dataset_unref(ds);
        remove_temp(path);
        check_same(text, ".csv", RP_FORMAT_AUTO);
        free(want);
        free(text);
    }
}
END_TEST

/* A later chunk failing first must not cut an earlier one short: chunk 1
 * holds more than RP_LOAD_PROGRESS_ROWS lines before its bad line, chunk 2
 * fails at its first; the error is chunk 1's, at its line, on any number of
 * threads (3 and 4 parse all three chunks at once). */
START_TEST(later_failure_keeps_earlier_error)
{
    enum { PER_CHUNK = 100000, LINE = 16 }; /* "U%06d,I1,4,10\n" */
    size_t cb = (size_t)PER_CHUNK * LINE, n = 0, cap = 3 * cb + 64;
    char *text = malloc(cap);
    for (int r = 0; r < 3 * PER_CHUNK; r++) {
        const char *rating = r == 2 * PER_CHUNK - 10 ? "x" : r == 2 * PER_CHUNK ? "y" : "4";
        n += (size_t)snprintf(text + n, cap - n, "U%06d,I1,%s,10\n", r % 999999, rating);
    }
    char *path = write_temp(text, n, ".csv");
    rp_dataset *ds = NULL;
    rp_error ref, err;
    ck_assert_int_eq(load(path, RP_FORMAT_AUTO, 1, 0, &ds, &ref), RP_ERR_PARSE);
    ck_assert_uint_eq(ref.line, 2 * PER_CHUNK - 9);
    for (unsigned t = 2; t <= 4; t++) {
        rp_status st = load(path, RP_FORMAT_AUTO, t, cb, &ds, &err);
        ck_assert_ptr_null(ds);
        ck_assert_int_eq(st, RP_ERR_PARSE);
        ck_assert_msg(err.line == ref.line && strcmp(err.message, ref.message) == 0,
                      "%u threads: line %zu %s, want line %zu %s", t, err.line, err.message,
                      ref.line, ref.message);
    }
    remove_temp(path);
    free(text);
}
END_TEST

/* A name ending .gz over plain data is "not gzip" however the file would
 * be split (the one-thread load's answer). */
START_TEST(plain_data_named_gz)
{
    check_same_error("A1,B1,5,1\nA2,B2,4,2\nA3,B3,3,3\nA4,B4,5,4\n", ".csv.gz", 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_par");
    TCase *tc = tcase_create("same");
    /* Under ASan beside the other suites (ctest -j2) a test of mid-sized
     * texts took over 60 s in CI (the whole suite 197 s; 111 s alone, 22 s
     * in Release); ctest's own limit for this suite stays 300 s. */
    tcase_set_timeout(tc, 150);
    tcase_add_test(tc, csv_edges);
    tcase_add_test(tc, csv_bom_and_blank_start);
    tcase_add_test(tc, csv_header);
    tcase_add_test(tc, other_formats);
    tcase_add_test(tc, json_units);
    tcase_add_test(tc, errors_name_the_line);
    tcase_add_test(tc, large_generated);
    tcase_add_test(tc, hint_far_short);
    tcase_add_test(tc, many_distinct_ratings);
    tcase_add_test(tc, timestamps_far_apart);
    tcase_add_test(tc, later_failure_keeps_earlier_error);
    tcase_add_test(tc, plain_data_named_gz);
    suite_add_tcase(s, tc);
    return rp_check_run(s);
}
