/* Check suite for core/intern_batch.c: rows queued in chunks and flushed in
 * batches of every size get the indices rp_intern gives the same strings in
 * the same order (first appearance), with a seed, runs of one string, long
 * strings (past the one-byte length and past an arena block), parts whose
 * tables grow from a short estimate, and the sealed interner's strings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "intern_batch.h"
#include "recprep/intern.h"

/* Rows of strings laid out like a row buffer's users (side 0: bytes
 * off[2k] .. off[2k + 1]; the item slot is empty). */
typedef struct rows {
    uint32_t n;
    char *bytes;
    uint32_t *off;
    uint64_t *h;
} rows;

static void rows_make(rows *r, uint32_t n, unsigned seed)
{
    size_t cap = 1 << 20, len = 0;
    r->n = n;
    r->bytes = malloc(cap);
    r->off = malloc((2 * (size_t)n + 1) * sizeof *r->off);
    r->h = malloc(n * sizeof *r->h);
    r->off[0] = 0;
    unsigned x = seed;
    char s[40000];
    for (uint32_t k = 0; k < n; k++) {
        x = x * 1103515245u + 12345u;
        unsigned pick = (x >> 8) % 1000;
        size_t l;
        if (k > 0 && pick < 150) { /* a run: the row before's string again */
            l = r->off[2 * k - 1] - r->off[2 * k - 2];
            memcpy(s, r->bytes + r->off[2 * k - 2], l);
        } else if (pick < 153) { /* past an arena block (16 KB) */
            l = 20000 + (x >> 4) % 5;
            memset(s, 'L', l);
            s[0] = (char)('a' + (x >> 12) % 3);
        } else if (pick < 170) { /* past a one-byte length */
            l = 255 + (x >> 4) % 300;
            memset(s, 'M', l);
            l += (size_t)snprintf(s + l, 16, "%u", (x >> 16) % 50);
        } else if (pick < 175) {
            l = 0; /* the empty string */
        } else {
            l = (size_t)snprintf(s, sizeof s, "U%u", (x >> 10) % 3000);
        }
        if (len + l > cap) {
            cap = 2 * (len + l);
            r->bytes = realloc(r->bytes, cap);
        }
        memcpy(r->bytes + len, s, l);
        len += l;
        r->off[2 * k + 1] = (uint32_t)len;
        r->off[2 * k + 2] = (uint32_t)len;
        r->h[k] = rp_intern_hash(s, l);
    }
}

static void rows_free(rows *r)
{
    free(r->bytes);
    free(r->off);
    free(r->h);
}

/* Rows 0 .. seed-1 interned into an rp_intern (the seed), the rest queued
 * in chunks of `chunk` rows into a batch interner of `batch` rows; every
 * row's index and every string checked against rp_intern's. */
static void check(const rows *r, uint32_t seed, uint32_t chunk, size_t batch, size_t expected)
{
    rp_intern *ref = rp_intern_new(0), *first = rp_intern_new(0);
    uint32_t *want = malloc(r->n * sizeof *want), *col = malloc(r->n * sizeof *col);
    rp_status st = RP_OK;
    for (uint32_t k = 0; k < r->n && st == RP_OK; k++) {
        const char *s = r->bytes + r->off[2 * k];
        size_t l = r->off[2 * k + 1] - r->off[2 * k];
        st = rp_intern_put(ref, s, l, &want[k]);
        if (st == RP_OK && k < seed)
            st = rp_intern_put(first, s, l, &col[k]);
    }
    ck_assert_int_eq(st, RP_OK);
    rpi_bintern *bi = rpi_bintern_new(expected, batch);
    ck_assert_ptr_nonnull(bi);
    ck_assert_int_eq(rpi_bintern_seed(bi, first), RP_OK);
    ck_assert_uint_eq(rpi_bintern_count(bi), rp_intern_count(first));
    for (uint32_t k = seed; k < r->n && st == RP_OK; k += chunk) {
        uint32_t m = r->n - k < chunk ? r->n - k : chunk;
        st = rpi_bintern_queue(bi, r->bytes, r->off + 2 * (size_t)k, 0, r->h + k, m, col, k);
        if (st == RP_OK && rpi_bintern_due(bi))
            st = rpi_bintern_flush(bi, col);
    }
    ck_assert_int_eq(st, RP_OK);
    rp_intern *got = NULL;
    ck_assert_int_eq(rpi_bintern_seal(bi, col, &got), RP_OK);
    /* the first difference, then one assertion: Check records every
     * assertion that passes (a write each, in its fork mode) */
    uint32_t k = 0;
    while (k < r->n && col[k] == want[k])
        k++;
    ck_assert_msg(k == r->n, "seed %u chunk %u batch %zu: row %u got %u want %u", seed, chunk,
                  batch, k, k < r->n ? col[k] : 0, k < r->n ? want[k] : 0);
    ck_assert_uint_eq(rp_intern_count(got), rp_intern_count(ref));
    ck_assert_int_eq(rp_intern_seal(ref), RP_OK);
    uint32_t i = 0;
    for (; i < rp_intern_count(ref); i++) {
        size_t la, lb;
        const char *a = rp_intern_get(ref, i, &la), *b = rp_intern_get(got, i, &lb);
        if (la != lb || memcmp(a, b, la) != 0)
            break;
    }
    ck_assert_msg(i == rp_intern_count(ref), "string %u differs", i);
    rp_intern_free(got);
    rp_intern_free(ref);
    rp_intern_free(first);
    free(want);
    free(col);
}

START_TEST(batches_of_every_size)
{
    rows r;
    rows_make(&r, 6000, 7);
    static const uint32_t chunks[] = {1, 7, 250, 6000};
    static const size_t batches[] = {1, 5, 999, 100000};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
        for (size_t b = 0; b < sizeof batches / sizeof *batches; b++)
            check(&r, 0, chunks[c], batches[b], 20000);
    rows_free(&r);
}
END_TEST

/* A seed (the parallel load's first chunk), then batches. */
START_TEST(seeded)
{
    rows r;
    rows_make(&r, 5000, 11);
    check(&r, 1, 100, 300, 5000);
    check(&r, 900, 33, 1000, 5000);
    check(&r, 4999, 10, 10, 5000);
    rows_free(&r);
}
END_TEST

/* An estimate of 1 string: one part, a table that doubles again and again;
 * one of a million: many parts, each with few strings. */
START_TEST(estimates_far_off)
{
    rows r;
    rows_make(&r, 8000, 3);
    check(&r, 10, 500, 2000, 1);
    check(&r, 10, 500, 2000, 1000000);
    rows_free(&r);
}
END_TEST

/* Batches of over 32k records resolve their parts on two threads. */
START_TEST(two_threads)
{
    rows r;
    rows_make(&r, 90000, 5);
    check(&r, 100, 5000, 60000, 200000);
    check(&r, 0, 30000, 90000, 1); /* one part: one thread */
    rows_free(&r);
}
END_TEST

/* Over 2^18 strings: the seal copies the strings of the lower ranges of
 * 2^16 indices on one thread and the upper ones on a second, from the byte
 * counts of the ranges before - here with a 9 kB ID every 997 rows, so that
 * the ranges' byte counts differ, and runs of one ID across the cut. */
START_TEST(seal_on_two_threads)
{
    enum { N = 400000 };
    rows r = {N, NULL, malloc((2 * (size_t)N + 1) * sizeof(uint32_t)),
              malloc(N * sizeof(uint64_t))};
    size_t cap = (size_t)N * 20 + ((size_t)N / 997 + 1) * 9100, len = 0;
    r.bytes = malloc(cap);
    r.off[0] = 0;
    for (uint32_t k = 0; k < N; k++) {
        char *s = r.bytes + len;
        size_t l;
        if (k % 997 == 0) {
            memset(s, 'L', 9000);
            l = 9000 + (size_t)snprintf(s + 9000, 32, "%u", k);
        } else if (k % 5 == 4) { /* a run */
            l = r.off[2 * k - 1] - r.off[2 * k - 2];
            memmove(s, r.bytes + r.off[2 * k - 2], l);
        } else {
            l = (size_t)snprintf(s, 32, "user-%u", k % 100 == 3 ? k / 2 : k);
        }
        len += l;
        r.off[2 * k + 1] = r.off[2 * k + 2] = (uint32_t)len;
        r.h[k] = rp_intern_hash(s, l);
    }
    check(&r, 10, 20000, 100000, 100000);
    rows_free(&r);
}
END_TEST

START_TEST(nothing_queued)
{
    rp_intern *first = rp_intern_new(0), *got = NULL;
    uint32_t idx;
    ck_assert_int_eq(rp_intern_put(first, "a", 1, &idx), RP_OK);
    ck_assert_int_eq(rp_intern_put(first, "bc", 2, &idx), RP_OK);
    rpi_bintern *bi = rpi_bintern_new(0, 0);
    ck_assert_ptr_nonnull(bi);
    ck_assert_int_eq(rpi_bintern_seed(bi, first), RP_OK);
    ck_assert_int_eq(rpi_bintern_flush(bi, NULL), RP_OK);
    ck_assert_int_eq(rpi_bintern_seal(bi, NULL, &got), RP_OK);
    ck_assert_uint_eq(rp_intern_count(got), 2);
    size_t len;
    const char *s = rp_intern_get(got, 1, &len);
    ck_assert(len == 2 && memcmp(s, "bc", 2) == 0);
    rp_intern_free(got);
    rp_intern_free(first);
    rpi_bintern_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("intern_batch");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, batches_of_every_size);
    tcase_add_test(tc, seeded);
    tcase_add_test(tc, estimates_far_off);
    tcase_add_test(tc, two_threads);
    tcase_add_test(tc, seal_on_two_threads);
    tcase_add_test(tc, nothing_queued);
    suite_add_tcase(s, tc);
    return rp_check_run(s);
}
