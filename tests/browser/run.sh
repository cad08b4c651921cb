#!/bin/sh
# Run the dashboard's browser test (dashboard.test.mjs): Node's standard
# library speaks the DevTools protocol to Debian's chromium over a pipe, so
# there is nothing to install from a package registry. tests/deps.sh
# installs chromium and nodejs.
# usage: tests/browser/run.sh RECPREPD DATA_DIR OUT_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for tool in node "${CHROMIUM:-/usr/bin/chromium}"; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "browser test: $tool is missing (run tests/deps.sh)" >&2; exit 1; }
done
exec node "$here/dashboard.test.mjs" "$@"
