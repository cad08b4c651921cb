#!/usr/bin/env bash
# Install the Debian packages recprep needs to build, test and run, if any is
# missing. Idempotent; runs apt-get only when something is absent.
# Usage: tests/deps.sh [--with-test-tools]
set -euo pipefail

pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev check libsubunit-dev
      uthash-dev zlib1g-dev libyaml-dev libcurl4-openssl-dev curl)
if [ "${1:-}" = "--with-test-tools" ]; then
  pkgs+=(clang-format clang)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
