#!/bin/sh
# tests/bench/bench_cache.sh - caching with a small budget (issue #10 item 4).
#
# Usage: tests/bench/bench_cache.sh BUILD_DIR [ROWS] [N]
#
# Uses BUILD_DIR/recprep (to generate the log, cached in $BENCH_DIR, default
# /tmp/recprep-bench) and BUILD_DIR/recprepd. Prints:
#   - downloads with a cache smaller than the result (--cache-mb 4 by
#     default, $DOWNLOAD_MB): every file of the default temporal split, 5
#     rounds on one keep-alive connection; MB/s of payload and how many times the split was computed
#     (1 when no download recomputes it);
#   - resident memory after the load and after N (default 20) distinct
#     parameter sets x 3 recipes (summary and users.tsv) with --cache-mb 1
#     and 64, and its bound (load + cache + 64 MB).
# Run it with the BUILD_DIR of an older commit for the "before" figures.
set -eu
# shellcheck source=recprepd.sh
. "$(dirname "$0")/recprepd.sh"

build=${1:?usage: bench_cache.sh BUILD_DIR [ROWS] [N]}
rows=${2:-2023070}
n=${3:-20}
dir=${BENCH_DIR:-/tmp/recprep-bench}
mkdir -p "$dir"
data="$dir/gen-$rows.csv"
log="$dir/recprepd-cache.log"
portfile="$dir/port-cache"
command -v curl >/dev/null || { echo "bench_cache.sh: needs curl" >&2; exit 2; }
[ -s "$data" ] || "$build/recprep" generate "$data" --rows "$rows"

pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT HUP INT PIPE TERM

start() { # start CACHE_MB: recprepd on $data, $base and $pid set once ready
    recprepd_start "$build/recprepd" "$log" "$portfile" --cache-mb "$1" --dataset "bench=$data"
}

stop() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=""
}

rss_mb() {
    awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"
}

metric() {
    curl -s "$base/metrics" | awk -v m="$1" '$1 == m {print $2}'
}

mb=${DOWNLOAD_MB:-4}
start "$mb"
split="$base/v1/datasets/bench/splits/temporal"
files="train.txt validation.txt test.txt users.tsv items.tsv"
args=""
for _ in 1 2 3 4 5; do
    for f in $files; do args="$args -o /dev/null $split/$f"; done
done
curl -s -o /dev/null "$split" # computed here: the downloads should not compute again
t0=$(date +%s%N)
# shellcheck disable=SC2086 # $args is a list of words
bytes=$(curl -s -w '%{size_download}\n' $args | awk '{s += $1} END {print s}')
t1=$(date +%s%N)
computed=$(metric 'recprep_computations_total{recipe="temporal"}')
echo "downloads, --cache-mb $mb: $((bytes / 1000000)) MB in $(((t1 - t0) / 1000000)) ms" \
    "= $(awk "BEGIN{printf \"%.0f\", $bytes / (($t1 - $t0) / 1e9) / 1e6}") MB/s;" \
    "split computed $computed time(s) for 5 x 5 files"
stop

for mb in 1 64; do
    start "$mb"
    load=$(rss_mb)
    k=2
    while [ $k -lt $((n + 2)) ]; do
        for r in temporal full sasrec; do
            curl -s -o /dev/null "$base/v1/datasets/bench/splits/$r?k=$k"
            curl -s -o /dev/null "$base/v1/datasets/bench/splits/$r/users.tsv?k=$k"
        done
        k=$((k + 1))
    done
    after=$(rss_mb)
    echo "--cache-mb $mb: RSS $load MB after load, $after MB after $n x 3 distinct results" \
        "(bound $((load + mb + 64)) MB; cache holds $(metric recprep_cache_bytes) bytes)"
    stop
done
trap - EXIT HUP INT PIPE TERM
