/*
 * tests/alloc/alloc_fail.c - every allocation of the core fails once.
 *
 * The executable is linked with -Wl,--wrap=malloc,... (tests/alloc/
 * CMakeLists.txt), so every malloc/calloc/realloc/aligned_alloc/strdup the
 * core makes goes through the counting wrappers below; jansson's
 * allocations are routed there with json_set_alloc_funcs. The scenario is a
 * list of independent steps: loading each input (plain, gzip, JSON lines, a
 * file, rp_dataset_from_rows), and on each loaded dataset statistics,
 * k-core, and every split method with and without the common filters - its
 * summary and every file through a cursor. A first run of a step counts its
 * allocations and records its output. Then for every n the step runs again
 * with its n-th allocation failing: it must return an error status, or
 * succeed with output identical to the first run; it must never crash, and
 * under ASan never leak (LeakSanitizer checks the whole process at exit,
 * after every run freed everything it made).
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

static unsigned long counter, fail_at, failed;
static int paused; /* the harness's own serialisation is not under test */

/* The step running, and ALLOC_FAIL_ABORT=INPUT,STEP,N (as a failure report
 * names them): abort at that allocation instead, for a debugger's backtrace. */
static int cur_input, cur_analysis;
static int abort_input = -1, abort_analysis;
static unsigned long abort_at;

/* Count one allocation; 1 if this one must fail. */
static int fail_now(void)
{
    if (paused || ++counter != fail_at)
        return 0;
    if (counter == abort_at && cur_input == abort_input && cur_analysis == abort_analysis)
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

/* The analyses of a loaded dataset, each a step of its own. Each run of a
 * step gets a dataset loaded just before it (uncounted): a dataset builds
 * some indexes on first use (the duplicate index, core/dups.c), and those
 * allocations belong to the step that first needs them, in every run. */
enum { N_ANALYSES = 2 + 2 * RP_TEST_N_METHODS };

static rp_status analyse(rp_dataset *ds, int a)
{
    rp_status st;
    if (a == 0) {
        rp_stats stats;
        st = rp_stats_compute(ds, &stats);
        return st == RP_OK ? mix_json(rp_stats_to_json(&stats, "x", RP_FORMAT_AMAZON_CSV)) : st;
    }
    if (a == 1) {
        rp_kcore kc;
        if ((st = rp_kcore_run(ds, NULL, 2, 2, &kc)) == RP_OK) {
            st = mix_json(rp_kcore_to_json(&kc, 2, 2));
            rp_kcore_cleanup(&kc);
        }
        return st;
    }
    a -= 2; /* every method without, then with the common filters */
    return run_method(ds, rp_test_method_name((size_t)a % RP_TEST_N_METHODS), 2,
                      a >= (int)RP_TEST_N_METHODS);
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

static rp_status load_buffer(const char *name, const void *data, size_t len, rp_format fmt,
                             rp_dataset **ds)
{
    rp_error err;
    rp_error_clear(&err);
    rp_status st = rp_load_buffer(name, data, len, fmt, ds, &err);
    if (st != RP_OK && fail_at == 0)
        fprintf(stderr, "alloc_fail: %s:%zu: %s\n", name, err.line, err.message);
    return st;
}

static rp_status from_rows(rp_dataset **ds)
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
    return rp_dataset_from_rows(users, items, ts, ratings, N, ds, NULL);
}

/* The inputs: the buffer loaders over CSV, gzip and JSON lines, the file path
 * the CLI and recprepd use (open, read, detect), and rp_dataset_from_rows. */
enum { N_INPUTS = 5 };

static rp_status load_input(int i, rp_dataset **ds)
{
    *ds = NULL;
    switch (i) {
    case 0:
        return load_buffer("a.csv", csv, csv_len, RP_FORMAT_AUTO, ds);
    case 1:
        return load_buffer("a.csv.gz", gz, gz_len, RP_FORMAT_AMAZON_CSV, ds);
    case 2:
        return load_buffer("a.json", json, json_len, RP_FORMAT_AUTO, ds);
    case 3:
        return rp_load_file(path, RP_FORMAT_AUTO, ds, NULL);
    default:
        return from_rows(ds);
    }
}

/* One step of the scenario: loading input `input` when `analysis` < 0, else
 * that analysis of a fresh dataset of the input (loaded uncounted). */
typedef struct step {
    int input, analysis;
} step;

static rp_status run_step(const step *s)
{
    cur_input = s->input;
    cur_analysis = s->analysis;
    rp_dataset *ds = NULL;
    rp_status st;
    if (s->analysis >= 0) {
        paused = 1;
        st = load_input(s->input, &ds);
        paused = 0;
        if (st == RP_OK)
            st = analyse(ds, s->analysis);
        else
            st = RP_ERR_INTERNAL; /* the input loaded in its own step */
        rp_dataset_unref(ds);
        return st;
    }
    st = load_input(s->input, &ds);
    if (st != RP_OK && ds != NULL)
        st = RP_ERR_INTERNAL; /* a failed load must not hand out a dataset */
    rp_dataset_unref(ds);
    return st;
}

static unsigned long total, errors, successes;

/* Run the step once to count its allocations and record its output, then
 * once per allocation with that one failing: each run must report an error,
 * or succeed with the same output. Steps are independent, so failing the
 * n-th allocation of one step alone covers what failing it inside the whole
 * scenario would, at a fraction of the cost (the whole scenario once per
 * allocation took 4 minutes under ASan). 0 on success. */
static int check_step(const step *s)
{
    counter = failed = fail_at = 0;
    digest = 0xcbf29ce484222325ull;
    if (run_step(s) != RP_OK) {
        fprintf(stderr, "alloc_fail: input %d, step %d fails without injected failures\n", s->input,
                s->analysis);
        return 1;
    }
    uint64_t want = digest;
    unsigned long n_alloc = counter;
    for (unsigned long n = 1; n <= n_alloc; n++) {
        counter = failed = 0;
        fail_at = n;
        digest = 0xcbf29ce484222325ull;
        rp_status st = run_step(s);
        if (st == RP_ERR_INTERNAL || failed != 1 || (st == RP_OK && digest != want)) {
            fprintf(stderr, "alloc_fail: allocation %d,%d,%lu (input, step, n) failed: %s\n",
                    s->input, s->analysis, n,
                    st == RP_ERR_INTERNAL ? "internal error"
                    : failed != 1         ? "the allocation was not reached again"
                                          : "the run succeeded with different output");
            return 1;
        }
        st == RP_OK ? successes++ : errors++;
    }
    total += n_alloc;
    return 0;
}

int main(void)
{
    const char *a = getenv("ALLOC_FAIL_ABORT");
    if (a && sscanf(a, "%d,%d,%lu", &abort_input, &abort_analysis, &abort_at) != 3) {
        fprintf(stderr, "alloc_fail: ALLOC_FAIL_ABORT must be INPUT,STEP,N\n");
        return 2;
    }
    json_set_alloc_funcs(json_alloc, free);
    make_inputs();
    int bad = 0;
    for (int i = 0; i < N_INPUTS && !bad; i++) {
        step s = {i, -1};
        bad = check_step(&s);
        for (s.analysis = 0; s.analysis < N_ANALYSES && !bad; s.analysis++)
            bad = check_step(&s);
    }
    remove(path);
    if (bad)
        return 1;
    printf("alloc_fail: %lu allocations, each failed once: %lu runs reported an error, %lu "
           "recovered with identical output\n",
           total, errors, successes);
    return errors > 0 && successes > 0 ? 0 : 1; /* else failures go unnoticed or untested */
}
