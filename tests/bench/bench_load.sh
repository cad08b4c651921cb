#!/bin/sh
# Time rp_load_file alone (read, parse, intern, build the dataset indexes) on
# the generator's 2,023,070-row amazon-csv log, its gzip, and the same rows as
# Amazon JSON lines; best of RUNS in one process, then peak RSS of one load
# from GNU time.
#
# usage: tests/bench/bench_load.sh BUILD_DIR [RUNS]
# Compiles a small driver against BUILD_DIR's core library (Release build).
set -eu
build=${1:?usage: bench_load.sh BUILD_DIR [RUNS]}
runs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=${RECPREP_BENCH_DIR:-/tmp/recprep-bench}
mkdir -p "$work"
csv=$work/gen-2023070.csv
[ -s "$csv" ] || "$build/recprep" generate "$csv" --rows 2023070
[ -s "$csv.gz" ] || gzip -1 -c "$csv" >"$csv.gz"
json=$work/gen-2023070.json
# Real Amazon 2014 review lines carry ~250 bytes of text we must skip.
[ -s "$json" ] || awk -F, '{printf "{\"reviewerID\": \"%s\", \"asin\": \"%s\", \"reviewerName\": \"J. Doe\", \"helpful\": [0, 0], \"reviewText\": \"Bought it for my \\\"wife\\\", she loves it. Works as described, arrived quickly; would buy again.\", \"overall\": %s, \"summary\": \"Great\", \"unixReviewTime\": %s, \"reviewTime\": \"05 28, 2013\"}\n", $1, $2, $3, $4}' "$csv" >"$json"
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

cat >"$work/bench_load.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "recprep/load.h"
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static double cpu(void) /* user + system of this process: robust on a busy box */
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
int main(int argc, char **argv)
{
    int runs = atoi(argv[2]);
    double best = 1e9, best_cpu = 1e9;
    rp_dataset *ds = NULL;
    for (int r = 0; r < runs; r++) {
        rp_error err = {0};
        double t0 = now(), c0 = cpu();
        if (rp_load_file(argv[1], RP_FORMAT_AUTO, &ds, &err) != RP_OK) {
            fprintf(stderr, "%s:%zu: %s\n", err.file, err.line, err.message);
            return 1;
        }
        double t = now() - t0, c = cpu() - c0;
        best = t < best ? t : best;
        best_cpu = c < best_cpu ? c : best_cpu;
        if (r + 1 < runs)
            rp_dataset_unref(ds);
    }
    printf("%-14s %7.1f ms wall, %7.1f ms cpu  (%u rows, %u users, %u items)\n",
           rp_format_name(rp_dataset_format(ds)), best * 1e3, best_cpu * 1e3, rp_dataset_rows(ds),
           rp_dataset_users(ds), rp_dataset_items(ds));
    rp_dataset_unref(ds);
    return 0;
}
C
${CC:-cc} -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$here/../../include" \
    "$work/bench_load.c" "$build/core/librecprep_core.a" \
    $(pkg-config --cflags --libs jansson zlib) -lpthread -lm -o "$work/bench_load"
for f in "$csv" "$csv.gz" "$json"; do
    echo "== $f ($(wc -c <"$f") bytes), best of $runs"
    "$work/bench_load" "$f" "$runs"
    /usr/bin/time -f 'one load: %e s wall, peak RSS %M KB' "$work/bench_load" "$f" 1 >/dev/null
done
