#!/usr/bin/env bash
# Per-recipe speed on the 2,023,070-row generated log (issue #7):
#   1. `recprep split RECIPE` end to end (load, digest, compute, write), best of N;
#   2. recprepd's first (uncached) summary of each recipe, each on a fresh
#      parameter set so nothing is cached (k=5 then k=6 ... per recipe).
# Usage: tests/bench/bench_recipes.sh BUILD_DIR [RUNS]
set -euo pipefail
build=${1:?usage: bench_recipes.sh BUILD_DIR [RUNS]}
runs=${2:-3}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$build/recprep" generate "$work/log.csv" >/dev/null
# recipe names: the "name" right before each "title" of `recprep recipes`
recipes=$("$build/recprep" recipes | grep -B1 '"title"' | sed -n 's/.*"name": "\(.*\)",/\1/p')
echo "recipe            CLI best of $runs (s)"
for r in $recipes; do
  best=999
  for _ in $(seq "$runs"); do
    t0=$(date +%s.%N)
    "$build/recprep" split "$r" "$work/log.csv" "$work/out-$r" >/dev/null
    t=$(echo "$(date +%s.%N) - $t0" | bc)
    best=$(echo "if ($t < $best) $t else $best" | bc)
  done
  printf '%-17s %.3f\n' "$r" "$best"
done
port=$((20000 + RANDOM % 20000))
"$build/recprepd" --listen 127.0.0.1:$port --dataset gen="$work/log.csv" 2>/dev/null &
pid=$!
until curl -sf "127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done
echo "recipe            first summary (ms), k=5 / k=6 / k=7"
for r in $recipes; do
  printf '%-17s' "$r"
  for k in 5 6 7; do
    t=$(curl -s -o /dev/null -w '%{time_total}' "127.0.0.1:$port/v1/datasets/gen/splits/$r?k=$k")
    printf ' %7.1f' "$(echo "$t * 1000" | bc)"
  done
  echo
done
