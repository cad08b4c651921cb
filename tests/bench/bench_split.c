/*
 * tests/bench/bench_split.c - time the pipeline stages on one loaded dataset.
 *
 * usage: bench_split INPUT [RECIPE] [k] [runs]
 *
 * Prints, for the best of `runs`: load, stats, rp_split_run (IDs, sequences,
 * exact sizes), rp_split_summary, and the cursor generating every file into a
 * 1 MiB buffer (bytes discarded) with its throughput. Built and run by
 * bench_split.sh; not part of ctest (speed is measured here, never in tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recprep/cursor.h"
#include "recprep/load.h"
#include "recprep/split.h"
#include "recprep/stats.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this process: less noisy than wall time on a busy machine. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double min_d(double a, double b)
{
    return a < b ? a : b;
}

/* Generate file `name` through a cursor; returns seconds, sets *bytes. */
static double generate(const rp_split *s, const char *name, char *buf, size_t cap, uint64_t *bytes)
{
    rp_cursor *c;
    if (rp_cursor_new(s, name, &c) != RP_OK)
        return -1;
    double t0 = now();
    ssize_t n;
    uint64_t total = 0;
    while ((n = rp_cursor_read(c, buf, cap)) > 0)
        total += (uint64_t)n;
    double dt = now() - t0;
    rp_cursor_free(c);
    *bytes = total;
    return dt;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_split INPUT [RECIPE] [k] [runs]\n");
        return 2;
    }
    rp_method m = RP_METHOD_TEMPORAL;
    if (argc > 2 && rp_method_from_name(argv[2], &m) != RP_OK) {
        fprintf(stderr, "bench_split: unknown recipe %s\n", argv[2]);
        return 2;
    }
    rp_params p = rp_params_defaults(m);
    if (argc > 3)
        p.user_k = p.item_k = (uint32_t)atoi(argv[3]);
    int runs = argc > 4 ? atoi(argv[4]) : 5;
    rp_error err = {0};
    rp_dataset *ds = NULL;
    double t0 = now();
    if (rp_load_file(argv[1], RP_FORMAT_AUTO, &ds, &err) != RP_OK) {
        char line[512];
        fprintf(stderr, "bench_split: %s\n", rp_error_line(&err, line, sizeof line));
        return 1;
    }
    printf("load            %8.1f ms  (%u rows, %u users, %u items)\n", (now() - t0) * 1e3,
           rp_dataset_rows(ds), rp_dataset_users(ds), rp_dataset_items(ds));
    double best_stats = 1e9, best_run = 1e9, best_sum = 1e9, best_cpu = 1e9;
    rp_split *s = NULL;
    for (int r = 0; r < runs; r++) {
        rp_stats st;
        t0 = now();
        rp_stats_compute(ds, &st);
        best_stats = min_d(best_stats, now() - t0);
        rp_split_free(s);
        t0 = now();
        double c0 = cpu();
        if (rp_split_run(ds, &p, &s, &err) != RP_OK)
            return 1;
        best_run = min_d(best_run, now() - t0);
        best_cpu = min_d(best_cpu, cpu() - c0);
        t0 = now();
        json_t *j = rp_split_summary(s, NULL);
        best_sum = min_d(best_sum, now() - t0);
        json_decref(j);
    }
    printf("stats           %8.1f ms\n", best_stats * 1e3);
    printf("rp_split_run    %8.1f ms  (cpu %.1f ms; %s, k=%u)\n", best_run * 1e3, best_cpu * 1e3,
           rp_method_name(rp_split_params(s)->method), rp_split_params(s)->user_k);
    printf("summary         %8.3f ms\n", best_sum * 1e3);
    size_t cap = 1u << 20, n;
    char *buf = malloc(cap);
    const char *const *names = rp_split_files(s, &n);
    for (size_t f = 0; f < n; f++) {
        double best = 1e9;
        uint64_t bytes = 0;
        for (int r = 0; r < runs; r++)
            best = min_d(best, generate(s, names[f], buf, cap, &bytes));
        printf("cursor %-14s %8.1f ms  %12llu bytes  %7.0f MB/s\n", names[f], best * 1e3,
               (unsigned long long)bytes, best > 0 ? (double)bytes / best / 1e6 : 0.0);
    }
    free(buf);
    rp_split_free(s);
    rp_dataset_unref(ds);
    return 0;
}
