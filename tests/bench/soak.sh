#!/usr/bin/env bash
# Soak test of recprepd (not in CI): wrk rotates summaries, files, k values
# and methods (tests/bench/soak.lua) against a small --cache-mb, so results
# are computed, evicted and streamed the whole time. Every 10 s it prints the
# requests, socket errors (connect/read/write/timeout), non-2xx responses and
# the daemon's RSS; at the end the totals and whether the daemon is healthy.
#
# usage: tests/bench/soak.sh BUILD_DIR [SECONDS] [CACHE_MB]
#   (defaults 600 s and 8 MB; WRK_THREADS=2, WRK_CONNECTIONS=16)
set -euo pipefail
build=${1:?usage: soak.sh BUILD_DIR [SECONDS] [CACHE_MB]}
secs=${2:-600}
cache=${3:-8}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
dir=$(mktemp -d /tmp/recprep-soak.XXXXXX)
"$build/recprepd" --listen 127.0.0.1:0 --port-file "$dir/port" --cache-mb "$cache" \
  2>"$dir/recprepd.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 600); do [ -s "$dir/port" ] && break; sleep 0.1; done
port=$(cat "$dir/port")
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
rss() { awk '/^VmRSS/ {print $2 / 1024}' "/proc/$pid/status"; }
echo "recprepd pid $pid on port $port, --cache-mb $cache, RSS $(rss) MB at start"
printf '%6s %10s %8s %8s %8s\n' t_s requests errors non2xx rss_mb
total=0 errs=0 bad=0 t=0
while [ "$t" -lt "$secs" ]; do
  out=$(wrk -t"${WRK_THREADS:-2}" -c"${WRK_CONNECTIONS:-16}" -d10s -s "$here/soak.lua" \
    "http://127.0.0.1:$port" 2>&1)
  t=$((t + 10))
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  e=$(echo "$out" | awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}')
  b=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  total=$((total + ${n:-0})) errs=$((errs + ${e:-0})) bad=$((bad + ${b:-0}))
  printf '%6d %10d %8d %8d %8.1f\n' "$t" "${n:-0}" "${e:-0}" "${b:-0}" "$(rss)"
done
echo "total: $total requests, $errs socket errors, $bad non-2xx in $secs s;" \
  "RSS $(rss) MB; /healthz $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")"
echo "5xx lines in the access log (not /readyz): $(grep '"status":5' "$dir/recprepd.log" | grep -vc '/readyz')"
