/* Time rp_kcore_curve (k = 1..max_k) against max_k separate rp_kcore_run
 * calls on one loaded log, best of RUNS, in one process.
 * usage: bench_curve INPUT [MAX_K] [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "recprep/kcore.h"
#include "recprep/kcore_curve.h"
#include "recprep/load.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return fprintf(stderr, "usage: bench_curve INPUT [MAX_K] [RUNS]\n"), 2;
    unsigned max_k = argc > 2 ? (unsigned)atoi(argv[2]) : RP_KCORE_CURVE_DEFAULT_K;
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    rp_dataset *ds = NULL;
    rp_error err = {0};
    if (rp_load_file(argv[1], RP_FORMAT_AUTO, &ds, &err) != RP_OK)
        return fprintf(stderr, "%s\n", err.message), 1;
    rp_kcore_point *pts = malloc(max_k * sizeof *pts);
    double best = 1e9, best_sep = 1e9;
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        if (rp_kcore_curve(ds, max_k, pts) != RP_OK)
            return 1;
        double t1 = now_ms();
        for (unsigned k = 1; k <= max_k; k++) {
            rp_kcore kc;
            if (rp_kcore_run(ds, NULL, k, k, &kc) != RP_OK)
                return 1;
            rp_kcore_cleanup(&kc);
        }
        double t2 = now_ms();
        best = t1 - t0 < best ? t1 - t0 : best;
        best_sep = t2 - t1 < best_sep ? t2 - t1 : best_sep;
    }
    printf("rows %u, max_k %u: curve best %.1f ms; %u separate rp_kcore_run best %.1f ms\n",
           rp_dataset_rows(ds), max_k, best, max_k, best_sep);
    printf("k=%u: users %u items %u interactions %u\n", max_k, pts[max_k - 1].users,
           pts[max_k - 1].items, pts[max_k - 1].interactions);
    free(pts);
    rp_dataset_unref(ds);
    return 0;
}
