#!/bin/sh
# Lint deploy/openapi.yaml with Redocly's recommended ruleset: any error or
# warning fails. The linter (@redocly/cli, test tooling only) is installed
# from this directory's package.json and package-lock.json with `npm ci`
# into WORK_DIR (under the build tree), once per lock file. Without npx, or
# with a Node.js older than the linter needs, the test is skipped (exit 77)
# with a message saying why.
# usage: tests/deploy/openapi-lint/run.sh OPENAPI_YAML WORK_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
doc=${1:?usage: run.sh OPENAPI_YAML WORK_DIR}
work=${2:?usage: run.sh OPENAPI_YAML WORK_DIR}

skip() { echo "openapi lint: SKIPPED: $*" >&2; exit 77; }
command -v npx >/dev/null 2>&1 || skip "npx not found (Node.js with npm: tests/deps.sh --with-test-tools)"
command -v node >/dev/null 2>&1 || skip "node not found"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || skip "Node.js $(node --version) is older than @redocly/cli needs (20.19)"

mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/installed.lock"; then
    cp "$here/package.json" "$here/package-lock.json" "$here/.npmrc" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --ignore-scripts >npm-ci.log 2>&1) || {
        cat "$work/npm-ci.log" >&2; echo "openapi lint: npm ci failed" >&2; exit 1; }
    cp "$here/package-lock.json" "$work/installed.lock"
fi

# No telemetry or update check (the network is loopback only in tests).
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1
lint() { (cd "$work" && ./node_modules/.bin/redocly lint --extends=recommended "$@" "$doc"); }
lint --format=json >"$work/lint.json" 2>"$work/lint.err" || true
totals=$(node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const t = r.totals || {};
console.log(`${t.errors ?? "?"} ${t.warnings ?? "?"}`);' "$work/lint.json") || {
    cat "$work/lint.err" >&2; echo "openapi lint: no JSON report" >&2; exit 1; }
set -- $totals
if [ "$1" = 0 ] && [ "$2" = 0 ]; then
    echo "openapi lint: $doc passes the recommended ruleset: 0 errors, 0 warnings"
    exit 0
fi
lint --format=codeframe >&2 || true
echo "openapi lint: $1 errors, $2 warnings (zero of each allowed)" >&2
exit 1
