#!/bin/sh
# tests/bench/bench_serve.sh - gzip and summary figures (issue #8 "Speed").
#
# Usage: tests/bench/bench_serve.sh BUILD_DIR [ROWS]
#
# Uses BUILD_DIR/recprep (to generate the log, cached in $BENCH_DIR, default
# /tmp/recprep-bench) and BUILD_DIR/recprepd. Prints, for train.txt of the
# temporal split with default parameters and with k=2:
#   - identity and gzip sizes (ratio),
#   - the first gzip request (the file is already materialised: the time is
#     the one compression, also read back from recprep_gzip_seconds_total),
#   - cached gzip downloads: uncompressed payload served per second (best of
#     5 runs of 20 back-to-back requests on one keep-alive connection),
# and wrk -t2 -c64 -d5s on the cached summary with Accept-Encoding: gzip.
# Targets: >= 1 GB/s of uncompressed payload; summary >= 60k req/s.
set -eu
# shellcheck source=recprepd.sh
. "$(dirname "$0")/recprepd.sh"

build=${1:?usage: bench_serve.sh BUILD_DIR [ROWS]}
rows=${2:-2023070}
dir=${BENCH_DIR:-/tmp/recprep-bench}
mkdir -p "$dir"
data="$dir/gen-$rows.csv"
log="$dir/recprepd-serve.log"
portfile="$dir/port-serve"

for tool in curl wrk; do
    command -v "$tool" >/dev/null || { echo "bench_serve.sh: needs $tool" >&2; exit 2; }
done
[ -s "$data" ] || "$build/recprep" generate "$data" --rows "$rows"

pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT INT TERM
# wrk's 64 connections all come from one address: lift the per-address
# limit (64 by default) so a connection of the warm-up still closing cannot
# turn one of them away.
recprepd_start "$build/recprepd" "$log" "$portfile" --cache-mb 1024 \
    --max-client-connections 256 --dataset "bench=$data"

gz_seconds() {
    curl -s "$base/metrics" | awk '$1 == "recprep_gzip_seconds_total" {print $2}'
}

for query in "" "?k=2"; do
    url="$base/v1/datasets/bench/splits/temporal/train.txt$query"
    id=$(curl -s -o /dev/null -w '%{size_download}' "$url") # computes and materialises
    s0=$(gz_seconds)
    first=$(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{size_download} %{time_total}' "$url")
    s1=$(gz_seconds)
    gz=${first% *}
    echo "train.txt${query:+ $query}: identity $id bytes, gzip $gz bytes (ratio $(awk "BEGIN{printf \"%.1f\", $id/$gz}"))"
    echo "  first gzip request: $(awk "BEGIN{printf \"%.0f\", ${first#* }*1000}") ms (compression $(awk "BEGIN{printf \"%.0f\", ($s1-$s0)*1000}") ms, $(awk "BEGIN{printf \"%.0f\", $id/($s1-$s0)/1e6}") MB/s)"
    best=0
    for n in 1 2 3 4 5; do
        args=""
        for k in $(seq 20); do args="$args -o /dev/null $url"; done
        t=$(curl -s -H 'Accept-Encoding: gzip' -w '%{time_total}\n' $args | awk '{s += $1} END {print s}')
        rate=$(awk "BEGIN{printf \"%.0f\", 20*$id/$t/1e6}")
        [ "$rate" -gt "$best" ] && best=$rate
    done
    echo "  cached gzip: $best MB/s of uncompressed payload (best of 5 x 20 requests)"
done

summary="$base/v1/datasets/bench/splits/temporal"
curl -s -o /dev/null "$summary"
wrk -t2 -c64 -d5s -H 'Accept-Encoding: gzip' "$summary" >"$dir/wrk-serve.txt"
echo "cached summary (gzip client): $(awk '/^Requests\/sec/ {print $2}' "$dir/wrk-serve.txt") req/s"
grep -E 'Non-2xx|Socket errors' "$dir/wrk-serve.txt" || true

kill -TERM "$pid"
wait "$pid" || true
trap - EXIT INT TERM
