#!/usr/bin/env bash
# Install the Debian packages recprep needs, if any is missing. Idempotent:
# runs apt-get only when something is absent.
#
# Usage: tests/deps.sh                     build and run
#        tests/deps.sh --with-test-tools   ... plus clang, clang-format, gdb (stacks of a
#                                          server that hung in an e2e test), and chromium
#                                          and nodejs for the browser test and the
#                                          OpenAPI lint (npx; tests/deploy/openapi-lint)
#        tests/deps.sh --only PKG...       exactly these packages (e.g. Docker's)
set -euo pipefail

pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev check libsubunit-dev
      uthash-dev zlib1g-dev nettle-dev libyaml-dev libcurl4-openssl-dev curl)
case "${1:-}" in
  --with-test-tools) pkgs+=(clang-format clang chromium nodejs gdb) ;;
  --only) shift; pkgs=("$@") ;;
  "") ;;
  *) echo "deps: unknown option $1" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# On a machine with systemd a package install may start services (docker.io
# would start the system daemon, which creates docker0 and iptables rules):
# forbid service starts during the install with policy-rc.d, as Debian's
# container images do, unless the machine already has its own policy.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null &&
    $SUDO chmod 0755 /usr/sbin/policy-rc.d && guard=1
fi
rc=0
$SUDO apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || rc=$?
[ -n "$guard" ] && $SUDO rm -f /usr/sbin/policy-rc.d
exit $rc
