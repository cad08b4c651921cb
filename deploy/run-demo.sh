#!/usr/bin/env bash
# Build recprep and start recprepd on the built-in demo dataset
# (README.md's "run" command). Extra arguments go to recprepd, e.g.
#   deploy/run-demo.sh --listen 127.0.0.1:9090
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target recprepd recprep
exec build/recprepd "$@"
