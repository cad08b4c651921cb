#!/usr/bin/env bash
# Benchmark `recprep temporal` end to end (read, intern, split, k-core, write)
# on the generator's default 2,023,070-row log: wall time and peak RSS from
# GNU time, best of N runs. Optionally times another command on the same file
# for comparison (e.g. the reference notebook script).
#
# usage: tests/bench/bench_temporal.sh BUILD_DIR [RUNS] [-- COMPARE_CMD ...]
#   COMPARE_CMD gets the input path and an output dir appended.
set -euo pipefail
build=${1:?usage: bench_temporal.sh BUILD_DIR [RUNS] [-- CMD ...]}
shift
runs=5
if [ $# -gt 0 ] && [ "$1" != "--" ]; then runs=$1; shift; fi
[ "${1:-}" = "--" ] && shift
work=${RECPREP_BENCH_DIR:-/tmp/recprep-bench}
mkdir -p "$work"
input=$work/gen-2023070.csv
[ -s "$input" ] || "$build/recprep" generate "$input" --rows 2023070
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null; }

measure() { # prints "wall_s rss_mb"
  /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >/dev/null
  awk '{printf "%.3f %.1f\n", $1, $2/1024}' "$work/time.txt"
}

echo "input: $input ($(wc -c <"$input") bytes, $(wc -l <"$input") rows)"
best=""
for r in $(seq "$runs"); do
  rm -rf "$work/out"
  m=$(measure "$build/recprep" temporal "$input" "$work/out")
  echo "run $r: wall ${m% *} s, peak RSS ${m#* } MB"
  if [ -z "$best" ] || awk -v a="${m% *}" -v b="${best% *}" 'BEGIN{exit !(a<b)}'; then best=$m; fi
done
echo "recprep temporal: best wall ${best% *} s, peak RSS ${best#* } MB"
if [ $# -gt 0 ]; then
  rm -rf "$work/cmp"; mkdir -p "$work/cmp"
  m=$(measure "$@" "$input" "$work/cmp")
  echo "compare ($*): wall ${m% *} s, peak RSS ${m#* } MB"
fi
