#!/bin/sh
# Time the pipeline stages (stats, rp_split_run, summary, cursor per file) on
# the generator's 2,023,070-row log, best of RUNS, inside one process - the
# numbers a server request pays once the dataset is loaded.
#
# usage: tests/bench/bench_split.sh BUILD_DIR [RECIPE] [K] [RUNS]
# Compiles bench_split.c against BUILD_DIR's core library (Release build).
set -eu
build=${1:?usage: bench_split.sh BUILD_DIR [RECIPE] [K] [RUNS]}
method=${2:-temporal}
k=${3:-4}
runs=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=${RECPREP_BENCH_DIR:-/tmp/recprep-bench}
mkdir -p "$work"
input=$work/gen-2023070.csv
[ -s "$input" ] || "$build/recprep" generate "$input" --rows 2023070
${CC:-cc} -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$here/../../include" \
    "$here/bench_split.c" "$build/core/librecprep_core.a" \
    $(pkg-config --cflags --libs jansson zlib nettle) -lpthread -lm -o "$work/bench_split"
"$work/bench_split" "$input" "$method" "$k" "$runs"
