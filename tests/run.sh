#!/usr/bin/env bash
# The test command (README.md, .ci/run): installs dependencies, then
#   1. checks formatting of our C sources,
#   2. builds Release with -Werror and runs every ctest suite,
#   3. builds with AddressSanitizer + UndefinedBehaviorSanitizer and runs them again,
#   4. runs the container test (Docker image + compose + trainer) unless
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

if [ "${RECPREP_SKIP_DOCKER:-0}" != "1" ] && [ -f tests/container/run.sh ]; then
  echo "== container test"
  bash tests/container/run.sh "$root/build"
fi
echo "== all test stages passed"
