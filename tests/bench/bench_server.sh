#!/bin/sh
# tests/bench/bench_server.sh - recprepd speed figures (issue #3 "Speed").
#
# Usage: tests/bench/bench_server.sh BUILD_DIR [ROWS]
#
# Builds nothing: uses BUILD_DIR/recprep (to generate the log) and
# BUILD_DIR/recprepd. Generates the default 2,023,070-row log (cached in
# $BENCH_DIR, default /tmp/recprep-bench), starts recprepd on it, waits for
# /readyz and prints:
#   - the dataset load time (from the daemon's own log line),
#   - the first (uncached) temporal summary request time (curl time_total),
#   - wrk -t2 -c64 -d10s --latency on the cached summary (req/s, p99),
#   - the rate of a cached train.txt download on loopback.
# Targets: first summary <= 100 ms; >= 20,000 req/s with p99 <= 10 ms;
# train.txt >= 500 MB/s.
set -eu
# shellcheck source=recprepd.sh
. "$(dirname "$0")/recprepd.sh"

build=${1:?usage: bench_server.sh BUILD_DIR [ROWS]}
rows=${2:-2023070}
dir=${BENCH_DIR:-/tmp/recprep-bench}
mkdir -p "$dir"
data="$dir/gen-$rows.csv"
log="$dir/recprepd.log"
portfile="$dir/port"

for tool in curl wrk; do
    command -v "$tool" >/dev/null || { echo "bench_server.sh: needs $tool" >&2; exit 2; }
done

if [ ! -s "$data" ]; then
    echo "generating $rows rows -> $data"
    "$build/recprep" generate "$data" --rows "$rows"
fi

pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT INT TERM
recprepd_start "$build/recprepd" "$log" "$portfile" --dataset "bench=$data"

summary="$base/v1/datasets/bench/splits/temporal"
load=$(grep -o '"seconds":[0-9.]*' "$log" | head -n1 | cut -d: -f2)
first=$(curl -s -o /dev/null -w '%{time_total}' "$summary")
second=$(curl -s -o /dev/null -w '%{time_total}' "$summary")

echo "rows:                         $rows"
echo "dataset load (daemon log):    ${load} s"
server_us=$(grep '"path":"/v1/datasets/bench/splits/temporal"' "$log" | head -n1 |
    grep -o '"microseconds":[0-9]*' | cut -d: -f2)
echo "first temporal summary:       $(awk "BEGIN{printf \"%.1f\", $first*1000}") ms (uncached; server side $(awk "BEGIN{printf \"%.1f\", $server_us/1000}") ms)"
echo "second temporal summary:      $(awk "BEGIN{printf \"%.1f\", $second*1000}") ms (cached)"

echo "wrk -t2 -c64 -d10s --latency $summary"
wrk -t2 -c64 -d10s --latency "$summary" >"$dir/wrk.txt"
rps=$(awk '/^Requests\/sec/ {print $2}' "$dir/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$dir/wrk.txt")
errors=$(grep -E 'Non-2xx|Socket errors' "$dir/wrk.txt" || true)
echo "cached summary:               $rps req/s, p99 $p99"
[ -z "$errors" ] || echo "wrk reported: $errors"

# train.txt with the default parameters (3.4 MB on the default log), and with
# k=2 (13 MB) where one transfer lasts long enough to time well.
for query in "" "?k=2"; do
    train="$base/v1/datasets/bench/splits/temporal/train.txt$query"
    curl -s -o /dev/null "$train" # materialise once (cache miss)
    best=0
    for n in 1 2 3 4 5; do
        out=$(curl -s -o /dev/null -w '%{size_download} %{time_total}' "$train")
        rate=$(echo "$out" | awk '{printf "%.0f", $1 / $2 / 1e6}')
        [ "$rate" -gt "$best" ] && best=$rate
        size=$(echo "$out" | awk '{print $1}')
    done
    echo "cached train.txt${query:+ $query}:$(printf '%*s' $((15 - ${#query})) '')$best MB/s (best of 5, $size bytes)"
done

kill -TERM "$pid"
wait "$pid" && echo "recprepd exited 0 on SIGTERM"
trap - EXIT INT TERM
