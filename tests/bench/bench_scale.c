/*
 * tests/bench/bench_scale.c - per-stage wall time and memory at one log size.
 *
 * usage: bench_scale INPUT [runs]
 *
 * Loads INPUT with rp_load_file, then times statistics, a k-core with k=5
 * over all rows, and every recipe of the table (rp_split_run with the
 * recipe's defaults plus rp_split_summary), best of `runs` each, in one
 * process. Prints one tab-separated line per stage for bench_scale.sh:
 *
 *   rows  N  users  U  items  I
 *   stage NAME  wall_s  cpu_s  peak_kb  rss_kb
 *
 * peak_kb is VmHWM over that stage's runs: the high-water mark is reset
 * before each stage by writing 5 to /proc/self/clear_refs (Linux >= 4.0), so
 * it is the stage's own peak (dataset included), not the load's; it is
 * the process-lifetime peak when the kernel refuses the reset. rss_kb is
 * VmRSS after the stage, with its results freed: the steady state (after
 * "load" that is the loaded dataset). Built and run by bench_scale.sh; not
 * part of ctest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recprep/kcore.h"
#include "recprep/load.h"
#include "recprep/recipe.h"
#include "recprep/split.h"
#include "recprep/stats.h"

typedef struct timing {
    double wall, cpu; /* best of the runs, seconds */
} timing;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A field of /proc/self/status in kB ("VmRSS", "VmHWM"); 0 when absent. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            kb = atol(line + n + 1);
    if (f)
        fclose(f);
    return kb;
}

static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static void timing_add(timing *t, double wall, double cpu)
{
    t->wall = wall < t->wall ? wall : t->wall;
    t->cpu = cpu < t->cpu ? cpu : t->cpu;
}

/* Stage lines are kept until the end, so the load (measured first for its
 * memory, timed last, see bench_load) still prints first. */
#define MAX_STAGES 32
static char lines[MAX_STAGES][160];
static int n_lines;

static void report_at(int slot, const char *stage, const timing *t, long peak_kb, long rss_kb)
{
    snprintf(lines[slot], sizeof lines[slot], "stage\t%s\t%.6f\t%.6f\t%ld\t%ld\n", stage, t->wall,
             t->cpu, peak_kb, rss_kb);
}

static void report(const char *stage, const timing *t, long peak_kb)
{
    if (n_lines < MAX_STAGES)
        report_at(n_lines++, stage, t, peak_kb, status_kb("VmRSS"));
}

/* Stop on a failed call: err's line when it says something, else the status. */
static void die(const char *what, rp_status st, const rp_error *err)
{
    char line[512];
    const char *why =
        err && err->message[0] ? rp_error_line(err, line, sizeof line) : rp_status_str(st);
    fprintf(stderr, "bench_scale: %s: %s\n", what, why);
    exit(1);
}

static void load_once(const char *path, rp_dataset **ds, timing *t)
{
    rp_error err = {0};
    double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    rp_status st = rp_load_file(path, RP_FORMAT_AUTO, ds, &err);
    if (st != RP_OK)
        die(path, st, &err);
    timing_add(t, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
}

/* The first load gives the memory figures of a fresh process (peak during
 * the load, RSS after it); its dataset serves the other stages. */
static rp_dataset *bench_load(const char *path, timing *t, long *peak_kb, long *rss_kb)
{
    rp_dataset *ds = NULL;
    reset_peak();
    load_once(path, &ds, t);
    *peak_kb = status_kb("VmHWM");
    *rss_kb = status_kb("VmRSS");
    printf("rows\t%u\tusers\t%u\titems\t%u\n", rp_dataset_rows(ds), rp_dataset_users(ds),
           rp_dataset_items(ds));
    return ds;
}

/* The other runs-1 loads only for time, once everything else is measured:
 * the memory they leave in the allocator would blur the other stages. */
static void bench_reload(const char *path, int runs, timing *t)
{
    for (int r = 1; r < runs; r++) {
        rp_dataset *ds = NULL;
        load_once(path, &ds, t);
        rp_dataset_unref(ds);
    }
}

static void bench_stats(const rp_dataset *ds, int runs)
{
    timing t = {1e30, 1e30};
    reset_peak();
    for (int r = 0; r < runs; r++) {
        rp_stats st;
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        rp_status rc = rp_stats_compute(ds, &st);
        if (rc != RP_OK)
            die("stats", rc, NULL);
        timing_add(&t, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
    }
    report("stats", &t, status_kb("VmHWM"));
}

static void bench_kcore(const rp_dataset *ds, uint32_t k, int runs)
{
    timing t = {1e30, 1e30};
    reset_peak();
    for (int r = 0; r < runs; r++) {
        rp_kcore kc;
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        rp_status st = rp_kcore_run(ds, NULL, k, k, &kc);
        if (st != RP_OK)
            die("kcore", st, NULL);
        timing_add(&t, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
        rp_kcore_cleanup(&kc);
    }
    char name[32];
    snprintf(name, sizeof name, "kcore-%u", k);
    report(name, &t, status_kb("VmHWM"));
}

/* One recipe with its defaults: rp_split_run + rp_split_summary. */
static void bench_recipe(rp_dataset *ds, const rp_recipe *rc, int runs)
{
    timing t = {1e30, 1e30};
    rp_error err = {0};
    rp_params p = rp_params_defaults(rc->method);
    rp_status st = rp_params_resolve(&p, &err);
    if (st != RP_OK)
        die(rc->name, st, &err);
    reset_peak();
    for (int r = 0; r < runs; r++) {
        rp_split *s = NULL;
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        st = rp_split_run(ds, &p, &s, &err);
        if (st != RP_OK)
            die(rc->name, st, &err);
        json_t *j = rp_split_summary(s, NULL);
        timing_add(&t, clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
        if (!j)
            die(rc->name, RP_ERR_NOMEM, NULL);
        json_decref(j);
        rp_split_free(s);
    }
    char name[64];
    snprintf(name, sizeof name, "split-%s", rc->name);
    report(name, &t, status_kb("VmHWM"));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_scale INPUT [runs]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 1;
    runs = runs < 1 ? 1 : runs;
    timing load = {1e30, 1e30};
    long load_peak, load_rss;
    rp_dataset *ds = bench_load(argv[1], &load, &load_peak, &load_rss);
    n_lines = 1; /* slot 0: the load, written last */
    bench_stats(ds, runs);
    bench_kcore(ds, RP_KCORE_DEFAULT_K, runs);
    size_t n;
    const rp_recipe *table = rp_recipes(&n);
    for (size_t i = 0; i < n; i++)
        bench_recipe(ds, &table[i], runs);
    rp_dataset_unref(ds);
    bench_reload(argv[1], runs, &load);
    report_at(0, "load", &load, load_peak, load_rss);
    for (int i = 0; i < n_lines; i++)
        fputs(lines[i], stdout);
    return 0;
}
