/*
 * tests/server/e2e_cache.c - bounded, useful caching (issue 10 item 4)
 * against the real recprepd.
 *
 * "files": with --cache-mb 1, a temporal split whose small part (the
 * rp_split: sequences, ID maps, offsets) fits the budget but whose files do
 * not - train/validation/test.txt are megabytes, users.tsv and items.tsv
 * about a quarter of the budget each, so keeping both beside the split
 * would outgrow it. Every file is downloaded (identity, gzip accepted, a
 * Range), each twice: the split is computed once, and the bytes are the
 * CLI's.
 * "rss": with --cache-mb 1 and a generated 2M-row log, 60 distinct
 * computations leave the resident set within load + cache + 64 MB (before
 * the fix glibc kept freed results and scratch arrays: +190 MB). Skipped
 * under AddressSanitizer, whose allocator keeps freed memory on purpose.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "e2e_cases.h"
#include "e2e_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define N_USERS 4000
#define PER_USER 30
#define SPLIT "/v1/datasets/wide/splits/temporal"

static const char *const FILES[] = {"train.txt", "validation.txt", "test.txt", "users.tsv",
                                    "items.tsv"};

/* 4000 users x 30 rows, 4000 items of 30 rows each, raw IDs of 55 bytes
 * (users.tsv and items.tsv ~240 KB); timestamps interleave the users so each
 * has 24 train, 3 validation and 3 test rows. */
static void write_wide_log(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int j = 0; j < PER_USER; j++)
        for (int u = 0; u < N_USERS; u++)
            fprintf(f, "user-%050d,item-%050d,%d.0,%d\n", u, (u * 31 + j * 101) % N_USERS,
                    1 + (u + j) % 5, 1500000000 + j * 10000 + u);
    ck_assert_int_eq(fclose(f), 0);
}

/* The body of r decoded (gzip when Content-Encoding says so). */
static char *decoded(const struct resp *r, size_t cap, size_t *len)
{
    char h[64];
    if (resp_header(r, "Content-Encoding", h, sizeof h) != NULL) {
        ck_assert_str_eq(h, "gzip");
        char *plain = gunzip_body(r->body, r->len, cap, len);
        ck_assert_msg(plain != NULL, "not one complete gzip member of at most %zu bytes", cap);
        return plain;
    }
    char *copy = malloc(r->len + 1);
    memcpy(copy, r->body, r->len);
    *len = r->len;
    return copy;
}

/* One file three ways: identity, gzip accepted (decoded, same bytes; an
 * ETag per coding), and the range [len/3, len/3 + 1000). */
static void check_file(const struct server *s, const char *name, const char *want, size_t n)
{
    static const char *const gz[] = {"Accept-Encoding: gzip", NULL};
    char path[256], range[96], tag_id[64], tag_gz[64], h[64];
    snprintf(path, sizeof path, SPLIT "/%s", name);
    struct resp r = http_get(s, path, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, n);
    ck_assert_msg(memcmp(r.body, want, n) == 0, "%s differs from the CLI's", name);
    ck_assert_ptr_nonnull(resp_header(&r, "ETag", tag_id, sizeof tag_id));
    resp_free(&r);
    r = http_get(s, path, gz);
    ck_assert_int_eq(r.status, 200);
    size_t len;
    char *body = decoded(&r, n + 1, &len);
    ck_assert_uint_eq(len, n);
    ck_assert_msg(memcmp(body, want, n) == 0, "%s (gzip accepted) differs", name);
    free(body);
    ck_assert_ptr_nonnull(resp_header(&r, "ETag", tag_gz, sizeof tag_gz));
    int coded = resp_header(&r, "Content-Encoding", h, sizeof h) != NULL;
    ck_assert_int_eq(strcmp(tag_id, tag_gz) != 0, coded); /* a tag names exact bytes */
    resp_free(&r);
    size_t start = n / 3, end = start + 999 < n ? start + 999 : n - 1;
    snprintf(range, sizeof range, "Range: bytes=%zu-%zu", start, end);
    const char *hdrs[] = {range, NULL};
    r = http_get(s, path, hdrs);
    ck_assert_int_eq(r.status, 206);
    ck_assert_uint_eq(r.len, end - start + 1);
    ck_assert(memcmp(r.body, want + start, r.len) == 0);
    resp_free(&r);
}

/* Every file of a split larger than the cache, twice: one computation. */
START_TEST(files_of_a_big_split_compute_once)
{
    char dir[] = "/tmp/recprep-e2e-cache-XXXXXX", csv[128], out[128], cmd[512], ds[160];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(csv, sizeof csv, "%s/wide.csv", dir);
    snprintf(out, sizeof out, "%s/cli", dir);
    write_wide_log(csv);
    const char *cli = getenv("RECPREP");
    snprintf(cmd, sizeof cmd, "%s temporal %s %s >/dev/null", cli ? cli : "recprep", csv, out);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(ds, sizeof ds, "wide=%s", csv);
    const char *args[] = {"--dataset", ds, "--cache-mb", "1", "--threads", "2", NULL};
    struct server s;
    server_start_ready(&s, args, NULL);
    size_t total = 0;
    for (int round = 0; round < 2; round++)
        for (size_t f = 0; f < sizeof FILES / sizeof *FILES; f++) {
            char path[256];
            size_t n;
            snprintf(path, sizeof path, "%s/%s", out, FILES[f]);
            char *want = read_file(path, &n);
            ck_assert_ptr_nonnull(want);
            check_file(&s, FILES[f], want, n);
            total += round == 0 ? n : 0;
            free(want);
        }
    ck_assert_uint_gt(total, 4u << 20); /* the files are far larger than the cache */
    ck_assert_int_eq((int)metric_required(&s, "recprep_cache_misses_total"), 1);
    ck_assert_int_eq((int)metric_required(&s, "recprep_computations_total{recipe=\"temporal\"}"),
                     1);
    ck_assert_int_eq((int)metric_required(&s, "recprep_cache_entries"), 1);
    ck_assert_double_le(metric_required(&s, "recprep_cache_bytes"), 1024.0 * 1024.0);
    server_finish(&s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static long vm_rss_kb(const struct server *s)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)s->pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    ck_assert_int_gt(kb, 0);
    return kb;
}

/* Many distinct results through a 1 MB cache: resident memory stays within
 * what was resident after the load + the cache + 64 MB. */
START_TEST(rss_bounded_by_cache)
{
#ifdef UNDER_ASAN
    return; /* ASan's allocator quarantines freed memory: RSS means nothing */
#endif
    static const char *const recipes[] = {"temporal", "full", "sasrec"};
    char dir[] = "/tmp/recprep-e2e-rss-XXXXXX", csv[128], cmd[512], ds[160];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(csv, sizeof csv, "%s/gen.csv", dir);
    const char *cli = getenv("RECPREP");
    snprintf(cmd, sizeof cmd, "%s generate %s --rows 2000000", cli ? cli : "recprep", csv);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(ds, sizeof ds, "gen=%s", csv);
    const char *args[] = {"--dataset", ds, "--cache-mb", "1", "--threads", "2", NULL};
    struct server s;
    server_start_ready(&s, args, NULL);
    long load = vm_rss_kb(&s), peak = load;
    for (int k = 2; k < 22; k++)
        for (size_t i = 0; i < 3; i++) {
            char path[160];
            snprintf(path, sizeof path, "/v1/datasets/gen/splits/%s/users.tsv?k=%d", recipes[i], k);
            struct resp r = http_get(&s, path, NULL);
            ck_assert_int_eq(r.status, 200);
            resp_free(&r);
            long now = vm_rss_kb(&s);
            peak = now > peak ? now : peak;
        }
    long after = vm_rss_kb(&s);
    ck_assert_msg(after <= load + 1024 + 64 * 1024,
                  "RSS %ld KB after 60 results, %ld KB after the load (peak %ld KB)", after, load,
                  peak);
    server_finish(&s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

TCase *e2e_cache_tcase(void)
{
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, files_of_a_big_split_compute_once);
    tcase_add_test(tc, rss_bounded_by_cache);
    return tc;
}
