#!/bin/sh
# tests/bench/bench_dashboard.sh - the dashboard issue's speed figures.
#
# usage: tests/bench/bench_dashboard.sh BUILD_DIR [ROWS]
#
# On the generated log (default 2,023,070 rows, cached in $BENCH_DIR,
# default /tmp/recprep-bench):
#   1. rp_kcore_curve in one process (best of 5) vs 20 separate k-core runs;
#   2. recprepd: GET /v1/datasets/{ds}/kcore/curve?max_k=20 uncached (first
#      request after start, curl time_total) and cached;
#   3. GET /, /assets/app.js, /assets/app.css: best and median of 50;
#   4. the page's first render with real data in headless chromium (a fresh
#      server, so the page's own statistics and curve requests are uncached).
# Targets: curve <= 150 ms uncached; page and assets <= 5 ms; first render <= 1 s.
set -eu
build=${1:?usage: bench_dashboard.sh BUILD_DIR [ROWS]}
rows=${2:-2023070}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=recprepd.sh
. "$here/recprepd.sh"
dir=${BENCH_DIR:-/tmp/recprep-bench}
mkdir -p "$dir"
data="$dir/gen-$rows.csv"
[ -s "$data" ] || "$build/recprep" generate "$data" --rows "$rows"

echo "== core: rp_kcore_curve"
${CC:-cc} -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$here/../../include" \
    "$here/bench_curve.c" "$build/core/librecprep_core.a" \
    $(pkg-config --cflags --libs jansson zlib) -lpthread -lm -o "$dir/bench_curve"
"$dir/bench_curve" "$data" 20 5

pid=
start() {
    recprepd_start "$build/recprepd" "$dir/recprepd.log" "$dir/port" --dataset "bench=$data"
}
stop() { kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }
trap stop EXIT INT TERM
ms() { curl -s -o /dev/null -w '%{time_total}\n' "$1" | awk '{printf "%.2f\n", $1 * 1000}'; }

start
echo "== recprepd: kcore/curve?max_k=20"
echo "uncached: $(ms "$base/v1/datasets/bench/kcore/curve?max_k=20") ms; cached: $(ms "$base/v1/datasets/bench/kcore/curve?max_k=20") ms"

echo "== recprepd: the page and its assets (50 requests each)"
for path in / /assets/app.js /assets/app.css; do
    i=0
    while [ $i -lt 50 ]; do ms "$base$path"; i=$((i + 1)); done | sort -n |
        awk -v p="$path" '{a[NR]=$1} END {printf "%-16s best %.2f ms, median %.2f ms, max %.2f ms\n", p, a[1], a[int((NR+1)/2)], a[NR]}'
done
stop

echo "== headless chromium: first render (fresh server)"
start
node "$here/../browser/first_render.mjs" "$base/" 3
