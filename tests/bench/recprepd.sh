# shellcheck shell=sh
# tests/bench/recprepd.sh - sourced by the benches that measure a running
# recprepd (POSIX sh; not executable on its own).
#
# recprepd_start RECPREPD LOG PORTFILE [ARG ...]
#   Starts RECPREPD --listen 127.0.0.1:0 --port-file PORTFILE ARG ... in the
#   background, its stderr (the JSON log) into LOG, and returns once /readyz
#   answers 200 with $pid and $base (http://127.0.0.1:PORT) set. A daemon
#   that exits first, or writes no port within 20 s, ends the script with
#   its log on stderr. The caller's trap stops $pid.
recprepd_start() {
    _rp_bin=$1 _rp_log=$2 _rp_portfile=$3
    shift 3
    rm -f "$_rp_portfile"
    "$_rp_bin" --listen 127.0.0.1:0 --port-file "$_rp_portfile" "$@" 2>"$_rp_log" &
    pid=$!
    _rp_i=0
    until [ -s "$_rp_portfile" ]; do
        _rp_i=$((_rp_i + 1))
        if [ "$_rp_i" -ge 2000 ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "recprepd did not start:" >&2
            cat "$_rp_log" >&2
            exit 1
        fi
        sleep 0.01
    done
    base="http://127.0.0.1:$(cat "$_rp_portfile")"
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; do
        kill -0 "$pid" 2>/dev/null || { cat "$_rp_log" >&2; exit 1; }
        sleep 0.02
    done
}
