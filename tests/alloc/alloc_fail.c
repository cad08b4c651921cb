/*
 * tests/alloc/alloc_fail.c - every allocation of the core fails once.
 *
 * The executable is linked with -Wl,--wrap=malloc,... (tests/alloc/
 * CMakeLists.txt), so every malloc/calloc/realloc/aligned_alloc/strdup the
 * core makes goes through the counting wrappers below; jansson's
 * allocations are routed there with json_set_alloc_funcs. A first run counts
 * the allocations of one scenario - loading (plain, gzip, JSON lines),
 * rp_dataset_from_rows, statistics, k-core, every split method, its summary
 * and every file through a cursor - and records its output. Then for every
 * n the scenario runs again with the n-th allocation failing: it must return
 * an error status, or succeed with output identical to the first run; it
 * must never crash, and under ASan never leak (LeakSanitizer checks the whole
 * process at exit, after every run freed everything it made).
 *
 * Not covered: zlib's own allocations (libz calls its allocator, which
 * --wrap cannot reach without setting zalloc in the core).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <jansson.h>

#include "recprep/cursor.h"
#include "recprep/kcore.h"
#include "recprep/load.h"
#include "recprep/split.h"
#include "recprep/stats.h"
#include "../methods.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
char *__wrap_strdup(const char *s);

static unsigned long counter, fail_at, failed, abort_at;
static int paused; /* the harness's own serialisation is not under test */

/* Count one allocation; 1 if this one must fail. ALLOC_FAIL_ABORT=n aborts
 * at the n-th instead, for a debugger's backtrace of a reported n. */
static int fail_now(void)
{
    if (paused || ++counter != fail_at)
        return 0;
    if (counter == abort_at)
        abort();
    failed++;
    return 1;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
    return fail_now() ? NULL : __real_aligned_alloc(align, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

static void *json_alloc(size_t n)
{
    return __wrap_malloc(n);
}

/* ---- the scenario ------------------------------------------------------- */

/* What a successful run produced: FNV-1a over every output byte. */
static uint64_t digest;

static void mix(const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        digest = (digest ^ p[i]) * 0x100000001b3ull;
}

static rp_status mix_json(json_t *j)
{
    paused = 1;
    char *text = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(j);
    paused = 0;
    if (text == NULL)
        return RP_ERR_NOMEM;
    mix(text, strlen(text));
    free(text);
    return RP_OK;
}

static rp_status read_file(const rp_split *s, const char *name)
{
    rp_cursor *c = NULL;
    char buf[97]; /* odd size: lines straddle reads */
    rp_status st = rp_cursor_new(s, name, &c);
    if (st != RP_OK)
        return st;
    ssize_t n;
    while ((n = rp_cursor_read(c, buf, sizeof buf)) > 0)
        mix(buf, (size_t)n);
    rp_cursor_free(c);
    return n == 0 ? RP_OK : RP_ERR_NOMEM; /* -1: out of memory mid-file */
}

static rp_status run_method(rp_dataset *ds, const char *method, uint32_t k, int filters)
{
    rp_params p;
    rp_method m;
    rp_split *s = NULL;
    rp_provenance prov = {"alloc", 1, "00"};
    if (rp_method_from_name(method, &m) != RP_OK)
        return RP_ERR_INTERNAL;
    p = rp_params_defaults(m);
    p.user_k = p.item_k = k;
    if (filters && /* the common filters' code too: a mask and the dedup walk */
        (rp_params_set(&p, "min_rating", "1", NULL) != RP_OK ||
         rp_params_set(&p, "dedup", "last", NULL) != RP_OK))
        return RP_ERR_INTERNAL;
    rp_status st = rp_params_resolve(&p, NULL);
    if (st == RP_OK)
        st = rp_split_run(ds, &p, &s, NULL);
    if (st == RP_OK)
        st = mix_json(rp_split_summary(s, &prov));
    size_t n = 0;
    const char *const *names = st == RP_OK ? rp_split_files(s, &n) : NULL;
    for (size_t i = 0; st == RP_OK && i < n; i++)
        st = read_file(s, names[i]);
    rp_split_free(s);
    return st;
}

static rp_status analyse(rp_dataset *ds)
{
    rp_stats stats;
    rp_kcore kc;
    rp_status st = rp_stats_compute(ds, &stats);
    if (st == RP_OK)
        st = mix_json(rp_stats_to_json(&stats, "x", RP_FORMAT_AMAZON_CSV));
    if (st == RP_OK && (st = rp_kcore_run(ds, NULL, 2, 2, &kc)) == RP_OK) {
        st = mix_json(rp_kcore_to_json(&kc, 2, 2));
        rp_kcore_cleanup(&kc);
    }
    for (size_t i = 0; st == RP_OK && i < RP_TEST_N_METHODS; i++)
        st = run_method(ds, rp_test_method_name(i), 2, 0);
    for (size_t i = 0; st == RP_OK && i < RP_TEST_N_METHODS; i++)
        st = run_method(ds, rp_test_method_name(i), 2, 1);
    return st;
}

static char csv[8192], json[16384], path[64];
static unsigned char gz[8192];
static size_t csv_len, gz_len, json_len;

/* 120 rows over 12 users and 9 items, with repeats and ties. */
static void make_inputs(void)
{
    for (int r = 0; r < 120; r++) {
        int u = (r * 7) % 12, i = (r * 5 + r / 12) % 9, t = 1000 + r * 37 % 400;
        csv_len += (size_t)snprintf(csv + csv_len, sizeof csv - csv_len, "U%d,I%d,%d.0,%d\n", u, i,
                                    1 + r % 5, t);
        json_len += (size_t)snprintf(json + json_len, sizeof json - json_len,
                                     "{\"reviewerID\": \"U%d\", \"asin\": \"I\\u00e9%d\", "
                                     "\"overall\": 4.0, \"unixReviewTime\": %d}\n",
                                     u, i, t);
    }
    snprintf(path, sizeof path, "/tmp/recprep-alloc-%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(csv, 1, csv_len, f) != csv_len || fclose(f) != 0)
        abort();
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (unsigned char *)csv;
    zs.avail_in = (uInt)csv_len;
    zs.next_out = gz;
    zs.avail_out = sizeof gz;
    deflate(&zs, Z_FINISH);
    gz_len = zs.total_out;
    deflateEnd(&zs);
}

static rp_status load_and_analyse(const char *name, const void *data, size_t len, rp_format fmt)
{
    rp_dataset *ds = NULL;
    rp_error err;
    rp_error_clear(&err);
    rp_status st = rp_load_buffer(name, data, len, fmt, &ds, &err);
    if (st != RP_OK && fail_at == 0)
        fprintf(stderr, "alloc_fail: %s:%zu: %s\n", name, err.line, err.message);
    if (st == RP_OK)
        st = analyse(ds);
    else if (ds != NULL)
        st = RP_ERR_INTERNAL; /* a failed load must not hand out a dataset */
    rp_dataset_unref(ds);
    return st;
}

/* The file path the CLI and recprepd use (open, read, detect). */
static rp_status load_file_and_analyse(void)
{
    rp_dataset *ds = NULL;
    rp_status st = rp_load_file(path, RP_FORMAT_AUTO, &ds, NULL);
    if (st == RP_OK)
        st = analyse(ds);
    rp_dataset_unref(ds);
    return st;
}

static rp_status from_rows(void)
{
    enum { N = 40 };
    char names[2 * N][8];
    const char *users[N], *items[N];
    int64_t ts[N];
    double ratings[N];
    for (int r = 0; r < N; r++) {
        snprintf(names[r], sizeof names[r], "u%d", r % 6);
        snprintf(names[N + r], sizeof names[N + r], "i%d", (r * 3) % 5);
        users[r] = names[r];
        items[r] = names[N + r];
        ts[r] = 100 + r;
        ratings[r] = 4.0;
    }
    rp_dataset *ds = NULL;
    rp_status st = rp_dataset_from_rows(users, items, ts, ratings, N, &ds, NULL);
    if (st == RP_OK)
        st = analyse(ds);
    rp_dataset_unref(ds);
    return st;
}

static rp_status scenario(void)
{
    rp_status st = load_and_analyse("a.csv", csv, csv_len, RP_FORMAT_AUTO);
    if (st == RP_OK)
        st = load_and_analyse("a.csv.gz", gz, gz_len, RP_FORMAT_AMAZON_CSV);
    if (st == RP_OK)
        st = load_and_analyse("a.json", json, json_len, RP_FORMAT_AUTO);
    if (st == RP_OK)
        st = load_file_and_analyse();
    if (st == RP_OK)
        st = from_rows();
    return st;
}

int main(void)
{
    const char *a = getenv("ALLOC_FAIL_ABORT");
    abort_at = a ? strtoul(a, NULL, 10) : 0;
    json_set_alloc_funcs(json_alloc, free);
    make_inputs();
    counter = failed = fail_at = 0;
    digest = 0xcbf29ce484222325ull;
    if (scenario() != RP_OK) {
        fprintf(stderr, "alloc_fail: the scenario fails without injected failures\n");
        remove(path);
        return 1;
    }
    uint64_t want = digest;
    unsigned long total = counter, errors = 0, successes = 0;
    for (unsigned long n = 1; n <= total; n++) {
        counter = failed = 0;
        fail_at = n;
        digest = 0xcbf29ce484222325ull;
        rp_status st = scenario();
        if (st == RP_ERR_INTERNAL) {
            fprintf(stderr, "alloc_fail: allocation %lu: internal error\n", n);
            return 1;
        }
        if (st == RP_OK && digest != want) {
            fprintf(stderr, "alloc_fail: allocation %lu failed, run succeeded, output differs\n",
                    n);
            return 1;
        }
        st == RP_OK ? successes++ : errors++;
    }
    printf("alloc_fail: %lu allocations, each failed once: %lu runs reported an error, %lu "
           "recovered with identical output\n",
           total, errors, successes);
    remove(path);
    return errors > 0 ? 0 : 1; /* a scenario that never notices failures tests nothing */
}
