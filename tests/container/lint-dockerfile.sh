#!/bin/sh
# Policy lint of the Dockerfile: what must hold for the image to build on a
# machine with no registry and to run the way deploy/ expects. Complements
# the generic linter (dockerfile-utils), which knows nothing of our rules.
# usage: lint-dockerfile.sh [Dockerfile]; prints one line per violation.
set -u
f=${1:-Dockerfile}
[ -r "$f" ] || {
    echo "lint: cannot read $f"
    exit 1
}
bad=0
fail() {
    echo "lint: $f: $*"
    bad=1
}
# has REGEX: some instruction line matches (extended regex, case-sensitive).
has() { grep -Eq "$1" "$f"; }

has '^# *syntax=' && fail "no '# syntax=' line: BuildKit would pull that frontend"
others=$(grep -E '^FROM ' "$f" | grep -Ev '^FROM debian:bookworm(-slim)?( AS [a-z]+)?$')
[ -z "$others" ] || fail "base must be debian:bookworm-slim by tag, not: $others"
has '@sha256:' && fail "no digest pins: the base image is imported locally"
[ "$(grep -Ec '^FROM ' "$f")" -ge 2 ] || fail "multi-stage build expected"
has '^USER +(10001|[a-z][a-z0-9_-]*)(:[0-9a-z]+)?$' || fail "USER (non-root) missing"
has '^USER +(0|root)' && fail "must not run as root"
has '^EXPOSE +8080$' || fail "EXPOSE 8080 missing"
has '^HEALTHCHECK .*/readyz' || grep -A2 '^HEALTHCHECK' "$f" | grep -q '/readyz' ||
    fail "HEALTHCHECK on /readyz missing"
has '^STOPSIGNAL +SIGTERM$' || fail "STOPSIGNAL SIGTERM missing"
has '^ENV +RECPREP_LISTEN=0\.0\.0\.0:8080$' || fail "RECPREP_LISTEN=0.0.0.0:8080 missing"
has 'ctest ' || fail "the build stage must run the tests"
has 'apt-get install' && ! has 'no-install-recommends' && fail "use --no-install-recommends"
has 'apt-get install' && ! has 'rm -rf /var/lib/apt/lists' && fail "clean apt lists"
has '^(ADD|RUN .*(curl|wget) .*https?://)' && fail "fetch nothing but Debian packages"
exit $bad
