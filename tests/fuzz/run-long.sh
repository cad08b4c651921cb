#!/usr/bin/env bash
# Run every fuzz target long, then report per target (runs, corpus, crashes,
# leaks, timeouts, OOMs) and the line coverage the final corpora reach per
# source file of core/ and server/. Not part of CI (tests/run.sh only
# smoke-runs the targets).
#
# usage: tests/fuzz/run-long.sh SECONDS [TARGET...]
#   JOBS=2 targets run at a time (default 2), each niced; work in
#   build-fuzz-long/ (corpora grow there, starting from tests/fuzz/corpus/);
#   new inputs worth keeping can be minimised back with
#   fuzz_X -merge=1 tests/fuzz/corpus/fuzz_X build-fuzz-long/corpus/fuzz_X
# Needs clang, llvm-profdata and llvm-cov (Debian: clang, llvm).
set -uo pipefail
secs=${1:?usage: run-long.sh SECONDS [TARGET...]}
shift
cd "$(dirname "$0")/../.."
root=$(pwd)
jobs=${JOBS:-2}
all="fuzz_load fuzz_pipeline fuzz_params fuzz_request fuzz_config fuzz_cache"
targets=${*:-$all}
command -v llvm-profdata >/dev/null || apt-get install -y -qq llvm >/dev/null

cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRECPREP_FUZZ=ON -DRECPREP_WERROR=ON -DRECPREP_TESTS=ON >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_all >/dev/null || exit 1
# Coverage build: the same targets with source-based coverage.
cmake -S . -B build-fuzz-cov -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRECPREP_FUZZ=ON -DRECPREP_WERROR=ON -DRECPREP_TESTS=ON \
  -DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" \
  -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" >/dev/null
cmake --build build-fuzz-cov -j "$jobs" --target fuzz_all >/dev/null || exit 1

work=$root/build-fuzz-long
mkdir -p "$work/corpus" "$work/artifacts" "$work/logs" "$work/prof"

run_one() {
  local t=$1
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  cp -n tests/fuzz/corpus/$t/* "$work/corpus/$t/" 2>/dev/null
  nice -n 10 build-fuzz/tests/fuzz/$t -max_total_time="$secs" -max_len=4096 -timeout=25 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" \
    "$work/corpus/$t" >"$work/logs/$t.log" 2>&1
  echo $? >"$work/logs/$t.rc"
}

running=0
for t in $targets; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

echo "== per target ($secs s each)"
printf '%-14s %4s %12s %8s %7s %6s %8s %5s\n' target rc runs exec/s corpus crash leak/oom timeout
for t in $targets; do
  log=$work/logs/$t.log
  runs=$(grep -oE 'stat::number_of_executed_units:[[:space:]]*[0-9]+' "$log" | grep -o '[0-9]*$')
  speed=$(grep -oE 'stat::average_exec_per_sec:[[:space:]]*[0-9]+' "$log" | grep -o '[0-9]*$')
  corpus=$(ls "$work/corpus/$t" | wc -l)
  crash=$(ls "$work/artifacts/$t" | grep -c '^crash-')
  leak=$(ls "$work/artifacts/$t" | grep -cE '^(leak|oom)-')
  tmo=$(ls "$work/artifacts/$t" | grep -c '^timeout-')
  printf '%-14s %4s %12s %8s %7s %6s %8s %5s\n' "$t" "$(cat "$work/logs/$t.rc")" "${runs:-?}" \
    "${speed:-?}" "$corpus" "$crash" "$leak" "$tmo"
done

echo "== line coverage of the final corpora (llvm-cov, per file)"
objs=()
for t in $targets; do
  LLVM_PROFILE_FILE="$work/prof/$t.profraw" build-fuzz-cov/tests/fuzz/$t -runs=0 \
    "$work/corpus/$t" >/dev/null 2>&1
  objs+=(-object "build-fuzz-cov/tests/fuzz/$t")
done
llvm-profdata merge -sparse "$work"/prof/*.profraw -o "$work/prof/all.profdata"
llvm-cov report "${objs[@]:1}" -instr-profile="$work/prof/all.profdata" \
  "$root/core" "$root/server" | sed "s|$root/||"
