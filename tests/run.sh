#!/usr/bin/env bash
# The test command (README.md, .ci/run): installs dependencies, then
#   1. checks formatting of our C sources,
#   2. builds Release with -Werror and runs every ctest suite (among them the
#      OpenAPI lint, tests/deploy/openapi-lint: skipped with a message without npx),
#   3. builds with AddressSanitizer + UndefinedBehaviorSanitizer and runs them again,
#   4. builds the libFuzzer targets with clang and runs each for 10 s from its
#      committed corpus (tests/fuzz/corpus/<target>/),
#   5. runs the container test (Docker image + compose + trainer) unless
#      RECPREP_SKIP_DOCKER=1.
# Build trees: build/ (Release) and build-asan/ (sanitizers), next to the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

bash tests/deps.sh --with-test-tools

echo "== format check"
git ls-files -- '*.c' '*.h' | xargs clang-format --dry-run --Werror

echo "== Release build + tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRECPREP_WERROR=ON -DRECPREP_TESTS=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== ASan+UBSan build + tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRECPREP_SANITIZE=ON -DRECPREP_WERROR=ON -DRECPREP_TESTS=ON >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== fuzz smoke (clang, libFuzzer): every target for ${RECPREP_FUZZ_SECONDS:-10} s"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRECPREP_FUZZ=ON -DRECPREP_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_all
for bin in build-fuzz/tests/fuzz/fuzz_*; do
  t=$(basename "$bin")
  [ -x "$bin" ] || continue
  # Start from the committed seeds, grow a scratch copy (the seeds stay as committed).
  corpus=$(mktemp -d)
  cp tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  "$bin" -max_total_time="${RECPREP_FUZZ_SECONDS:-10}" -max_len=4096 -timeout=25 \
    -print_final_stats=0 "$corpus" >"build-fuzz/$t.log" 2>&1 ||
    { tail -40 "build-fuzz/$t.log"; rm -rf "$corpus"; exit 1; }
  echo "$t: $(grep -E "^Done [0-9]+ runs" "build-fuzz/$t.log")"
  rm -rf "$corpus"
done

if [ "${RECPREP_SKIP_DOCKER:-0}" != "1" ] && [ -f tests/container/run.sh ]; then
  echo "== container test"
  bash tests/container/run.sh "$root/build"
fi
echo "== all test stages passed"
