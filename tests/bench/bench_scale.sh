#!/usr/bin/env bash
# Scale benchmark (issue #10): per log size, each stage's wall time, ns/row and
# peak RSS, recprepd's load time, steady RSS and first (uncached) latencies,
# `recprep temporal` end to end, and optionally the Polars / DuckDB peers on
# the same file in the same run. Ends with markdown tables for an issue note.
#
# usage: tests/bench/bench_scale.sh BUILD_DIR [--sizes 2M,20M] [--with-100m]
#                                   [--peers] [--runs N] [--daemon-runs N]
#                                   [--baseline BUILD_DIR]
#   --sizes      comma-separated row counts; 2M is the house log of 2,023,070
#                rows (the other benches' gen-2023070.csv), otherwise N with an
#                optional K/M suffix (20M = 20,000,000)
#   --with-100m  add 100M rows (4.1 GB CSV, ~5 GB peak: the CLI and recprepd, December 2026)
#   --peers      also run ../shared/bench-peers (RECPREP_PEERS_DIR) polars and
#                duckdb `temporal`, at 20M rows and below only
#   --runs N     best of N for the in-process stages, recprep temporal and
#                the peers (default 3; rounds interleave recprep and peers)
#   --daemon-runs N  recprepd started N times per size (default 1): its load
#                time and each first request are the best of N, the spread
#                of the loads is shown (a shared VM's loads vary 2x by hour)
#   --baseline B another Release build (e.g. of the commit an issue measured),
#                run beside BUILD_DIR at every step: in process, recprepd
#                (starts alternated) and recprep temporal (rounds alternated);
#                the summary gives each figure / the baseline's, a ratio the
#                machine's speed of the hour (2-3x apart here) mostly cancels
#
# Logs are `recprep generate --rows N`, cached in RECPREP_BENCH_DIR (default
# /tmp/recprep-bench) like the other benches. The in-process stages come from
# bench_scale.c, compiled against BUILD_DIR's core library and the headers of
# the source tree BUILD_DIR was configured from; see its header for what
# "peak" and "RSS after" mean. recprepd is started per size on port 0; its
# load time is its own log line's (spawn to the first 200 of /readyz is shown
# too), its steady RSS is VmRSS once the process is idle again (the post-load
# SHA-256 of the input done), and then kcore?k=5 and each recipe's summary are
# requested once, each a different cache key: every one a first (uncached)
# request. Peers: whole-process wall and peak RSS from GNU time, their
# train/validation/test files compared with recprep's.
# Figures are noisy on a shared 2-core box: compare ratios from one run.
set -euo pipefail

usage() {
  sed -n '7,23p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 1 ] || usage
build=$(cd "$1" && pwd)
shift
sizes=2M,20M
with100=0
peers=0
runs=3
druns=1
base=""
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=${2:?--sizes needs a value}; shift 2 ;;
    --with-100m) with100=1; shift ;;
    --peers) peers=1; shift ;;
    --runs) runs=${2:?--runs needs a value}; shift 2 ;;
    --daemon-runs) druns=${2:?--daemon-runs needs a value}; shift 2 ;;
    --baseline) base=$(cd "${2:?--baseline needs a build directory}" && pwd); shift 2 ;;
    *) usage ;;
  esac
done
[ "$with100" = 1 ] && sizes="$sizes,100M"

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=recprepd.sh
. "$here/recprepd.sh"
repo=$(cd "$here/../.." && pwd)
work=${RECPREP_BENCH_DIR:-/tmp/recprep-bench}
peers_dir=${RECPREP_PEERS_DIR:-$repo/../shared/bench-peers}
tmp=$(mktemp -d)
mkdir -p "$work"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in curl awk cc pkg-config; do
  command -v "$tool" >/dev/null || { echo "bench_scale.sh: needs $tool" >&2; exit 2; }
done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

# --- helpers ---------------------------------------------------------------

rows_of() { # 2M -> 2023070, 20M -> 20000000, 500K -> 500000, 123 -> 123
  case $1 in
    2M | 2m) echo 2023070 ;;
    *[kK]) echo $((${1%?} * 1000)) ;;
    *[mM]) echo $((${1%?} * 1000000)) ;;
    *[gG]) echo $((${1%?} * 1000000000)) ;;
    *[!0-9]* | "") echo "bench_scale.sh: bad size '$1'" >&2; exit 2 ;;
    *) echo "$1" ;;
  esac
}

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPR
mb() { calc '%.0f' "$1 / 1024"; }               # KB -> MB
bpr() { calc '%.0f' "$1 * 1024 / $2"; }         # KB, rows -> bytes per row
nspr() { calc '%.0f' "$1 * 1e9 / $2"; }         # seconds, rows -> ns per row
commas() { printf '%s' "$1" | rev | sed 's/[0-9]\{3\}/&,/g; s/,$//' | rev; }
short() { awk -v n="$1" 'BEGIN { if (n >= 1e8) printf "%.0fM", n / 1e6; else if (n >= 1e6) printf "%.1fM", n / 1e6; else printf "%d", n }'; }
secs() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%.0f ms", s * 1000; else printf "%.2f s", s }'; }
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; } # PID FIELD
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# The log of $1 rows, generated once (atomically: a killed run leaves no
# half file for the next one to trust).
gen_log() {
  local f=$work/gen-$1.csv
  if [ ! -s "$f" ]; then
    echo "generating $(commas "$1") rows -> $f" >&2
    "$build/recprep" generate "$f.tmp.$$" --rows "$1" >&2
    mv "$f.tmp.$$" "$f"
  fi
  echo "$f"
}

# Link line of the CLI (the core's dependencies as this build resolved them),
# falling back to pkg-config when the build tree has another layout.
core_libs() { # BUILD_DIR
  local lt=$1/server/cli/CMakeFiles/recprep.dir/link.txt
  if [ -f "$lt" ]; then
    tr ' ' '\n' <"$lt" | awk 'after && NF { print } /librecprep_core\.a$/ { after = 1 }'
    tr ' ' '\n' <"$lt" | grep '^-fsanitize' || true
  else
    pkg-config --libs jansson zlib nettle
  fi
  echo -lpthread -lm
}

build_driver() { # BUILD_DIR OUT
  local src
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$1/CMakeCache.txt" 2>/dev/null || true)
  [ -d "${src:-/nonexistent}/include/recprep" ] || src=$repo
  # shellcheck disable=SC2046 # word splitting of the flag lists is intended
  ${CC:-cc} -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/include" "$here/bench_scale.c" \
    "$1/core/librecprep_core.a" $(pkg-config --cflags jansson) $(core_libs "$1") -o "$2"
}

recipes_of() { "$1/recprep" recipes | grep -B1 '"title"' | sed -n 's/.*"name": "\(.*\)",/\1/p'; }
recipes=$(recipes_of "$build")
if [ -n "$base" ] && [ "$(recipes_of "$base")" != "$recipes" ]; then
  echo "bench_scale.sh: the baseline's recipes differ: $(recipes_of "$base" | tr '\n' ' ')" >&2
  exit 2
fi
# Results: R[rows,key], R a name for RN (BUILD_DIR's) or RB (the baseline's),
# whose binaries are bin/recprep, bin/recprepd and the driver drv (use_build).
declare -A RN RB R # R: declared associative for shellcheck, then made a name
unset R
# shellcheck disable=SC2178 # R names RN or RB (use_build)
declare -n R=RN
bin=$build
drv=$tmp/bench_scale
label=""
use_build() { # new | base
  if [ "$1" = base ]; then
    # shellcheck disable=SC2178
    declare -gn R=RB
    bin=$base
    drv=$tmp/bench_scale_base
    label="baseline: "
  else
    # shellcheck disable=SC2178
    declare -gn R=RN
    bin=$build
    drv=$tmp/bench_scale
    label=""
  fi
}

# --- in process: bench_scale.c ----------------------------------------------

in_process() { # ROWS FILE
  local rows=$1 csv=$2 tag name wall cpu peak rss
  "$drv" "$csv" "$runs" >"$tmp/drv.tsv"
  printf '%-26s %10s %8s %10s %10s %10s\n' "${label}in process, best of $runs" wall ns/row cpu "peak RSS" "RSS after"
  while IFS=$'\t' read -r tag name wall cpu peak rss; do
    if [ "$tag" = rows ]; then
      R[$rows,users]=$cpu # rows N users U items I
      R[$rows,items]=$rss
      continue
    fi
    R[$rows,ns:$name]=$(nspr "$wall" "$rows")
    R[$rows,peak:$name]=$peak
    R[$rows,rss:$name]=$rss
    printf '%-26s %10s %8s %10s %7s MB %7s MB\n' "$name" "$(secs "$wall")" "${R[$rows,ns:$name]}" \
      "$(secs "$cpu")" "$(mb "$peak")" "$(mb "$rss")"
  done <"$tmp/drv.tsv"
  echo "  ($(commas "${R[$rows,users]}") users, $(commas "${R[$rows,items]}") items; after the load" \
    "$(bpr "${R[$rows,rss:load]}" "$rows") B/row, its peak $(calc '%.2f' "${R[$rows,peak:load]} / ${R[$rows,rss:load]}")x that)"
}

# --- recprepd ----------------------------------------------------------------

wait_idle() { # PID: until the process spends < 2 ticks per 0.3 s (max 120 s)
  local prev cur
  prev=$(proc_ticks "$1")
  for _ in $(seq 400); do
    sleep 0.3
    cur=$(proc_ticks "$1")
    [ $((cur - prev)) -lt 2 ] && return 0
    prev=$cur
  done
}

is_less() { # A B: whether A < B, or B is empty
  [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}

first_request() { # ROWS KEY URL: time_total of one GET that must answer 200 (best kept)
  local out code t
  out=$(curl -s -o "$tmp/body" -w '%{http_code} %{time_total}' "$3")
  code=${out% *}
  t=${out#* }
  [ "$code" = 200 ] || { echo "bench_scale.sh: $3 answered $code: $(head -c 300 "$tmp/body")" >&2; exit 1; }
  is_less "$t" "${R[$1,first:$2]:-}" && R[$1,first:$2]=$t
  return 0
}

daemon_once() { # ROWS FILE: one start, load, idle RSS and first requests
  local rows=$1 csv=$2 t0 t1 log spawn base r
  t0=$(now)
  recprepd_start "$bin/recprepd" "$tmp/recprepd.log" "$tmp/port" --quiet-probes \
    --dataset "scale=$csv"
  t1=$(now)
  spawn=$(calc '%.3f' "$t1 - $t0")
  log=$(grep -o '"seconds":[0-9.]*' "$tmp/recprepd.log" | head -n1 | cut -d: -f2)
  log=${log:-$spawn} # the log's figure when it has one
  R[$rows,d_loads]="${R[$rows,d_loads]:-}${R[$rows,d_loads]:+ }$(secs "$log")"
  if is_less "$log" "${R[$rows,d_logload]:-}"; then
    R[$rows,d_logload]=$log
    R[$rows,d_load]=$spawn
  fi
  R[$rows,d_hwm_load]=$(proc_kb "$pid" VmHWM)
  wait_idle "$pid"
  R[$rows,d_rss]=$(proc_kb "$pid" VmRSS)
  first_request "$rows" "kcore?k=5" "$base/v1/datasets/scale/kcore?k=5"
  for r in $recipes; do
    first_request "$rows" "$r" "$base/v1/datasets/scale/splits/$r"
  done
  R[$rows,d_rss_after]=$(proc_kb "$pid" VmRSS)
  R[$rows,d_hwm_after]=$(proc_kb "$pid" VmHWM)
  kill -TERM "$pid"
  wait "$pid" || true
  pid=""
}

daemon_report() { # ROWS: the figures of daemon_once's starts
  local rows=$1 r best=""
  [ "$druns" -gt 1 ] && best=", best of $druns: ${R[$rows,d_loads]}"
  echo "${label}recprepd"
  printf '  %-24s %10s  (%s ns/row; spawn to /readyz 200: %s%s)\n' "load (daemon log)" \
    "$(secs "${R[$rows,d_logload]}")" "$(nspr "${R[$rows,d_logload]}" "$rows")" "$(secs "${R[$rows,d_load]}")" "$best"
  printf '  %-24s %7s MB  (%s B/row; peak during load %s MB = %.2fx)\n' "steady RSS (idle)" \
    "$(mb "${R[$rows,d_rss]}")" "$(bpr "${R[$rows,d_rss]}" "$rows")" "$(mb "${R[$rows,d_hwm_load]}")" \
    "$(calc '%.4f' "${R[$rows,d_hwm_load]} / ${R[$rows,d_rss]}")"
  echo "  first request (uncached${best:+, best of $druns}):"
  for r in "kcore?k=5" $recipes; do
    printf '  %-24s %10s\n' "$r" "$(secs "${R[$rows,first:$r]}")"
  done
  printf '  %-24s %7s MB  (results cached; peak %s MB)\n' "RSS after the requests" \
    "$(mb "${R[$rows,d_rss_after]}")" "$(mb "${R[$rows,d_hwm_after]}")"
}

daemon() { # ROWS FILE: daemon_once --daemon-runs times (the baseline's
  # starts alternated with these); memory from the last start
  for _ in $(seq "$druns"); do
    daemon_once "$1" "$2"
    [ -z "$base" ] || { use_build base; daemon_once "$1" "$2"; use_build new; }
  done
  daemon_report "$1"
  [ -z "$base" ] || { use_build base; daemon_report "$1"; use_build new; }
}

# --- end to end: recprep temporal and the peers --------------------------------

timed() { # KEY CMD...: whole-process wall (s) and peak RSS (KB) into T_WALL, T_KB and R[KEY]
  local key=$1
  shift
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/cmd.err" ||
    { echo "bench_scale.sh: failed: $*" >&2; cat "$tmp/cmd.err" >&2; exit 1; }
  read -r T_WALL T_KB <"$tmp/time"
  R[$key]=$T_WALL
  R[$key.kb]=$T_KB
}

keep_best() { # KEY: the last timed run becomes R[KEY] when it is faster
  if [ -z "${R[$1]:-}" ] || awk -v a="$T_WALL" -v b="${R[$1]}" 'BEGIN { exit !(a < b) }'; then
    R[$1]=$T_WALL
    R[$1.kb]=$T_KB
  fi
}

run_recprep() { # ROWS FILE
  rm -rf "$tmp/out-recprep"
  timed "$1,last" "$build/recprep" temporal "$2" "$tmp/out-recprep"
  keep_best "$1,cli"
  [ -n "$base" ] || return 0
  use_build base
  rm -rf "$tmp/out-base"
  timed "$1,last" "$base/recprep" temporal "$2" "$tmp/out-base"
  keep_best "$1,cli"
  diff -rq "$tmp/out-base" "$tmp/out-recprep" >/dev/null || R[$1,same]=no
  R[$1,same]=${R[$1,same]:-yes}
  use_build new
}

run_peer() { # ROWS FILE NAME: after run_recprep, whose files it compares
  local rows=$1 name=$3 f
  rm -rf "$tmp/out-$name"
  timed "$rows,last" node "$peers_dir/${name}_pipeline.mjs" temporal "$2" "$tmp/out-$name"
  keep_best "$rows,$name"
  for f in train validation test; do
    cmp -s "$tmp/out-$name/${f}_new.txt" "$tmp/out-recprep/$f.txt" || R[$rows,$name.same]=no
  done
  R[$rows,$name.same]=${R[$rows,$name.same]:-yes}
}

# Rounds of recprep temporal (and the peers, interleaved so that a busy
# spell of the machine hits them alike), best of each over the rounds.
end_to_end() { # ROWS FILE
  local rows=$1 csv=$2 with=0 fast name
  if [ "$peers" = 1 ] && [ "$rows" -le 20000000 ]; then
    with=1
    if [ ! -d "$peers_dir/node_modules" ]; then
      echo "npm install in $peers_dir" >&2
      (cd "$peers_dir" && npm install --no-audit --no-fund >&2)
    fi
  fi
  echo "end to end, temporal (whole process, GNU time), best of $runs"
  for _ in $(seq "$runs"); do
    run_recprep "$rows" "$csv"
    [ "$with" = 0 ] || { run_peer "$rows" "$csv" polars; run_peer "$rows" "$csv" duckdb; }
  done
  printf '  %-24s %10s  peak RSS %s MB (%s B/row)\n' "recprep temporal" \
    "$(secs "${R[$rows,cli]}")" "$(mb "${R[$rows,cli.kb]}")" "$(bpr "${R[$rows,cli.kb]}" "$rows")"
  [ -z "$base" ] || printf '  %-24s %10s  peak RSS %s MB (%s B/row); files identical: %s\n' \
    "baseline: temporal" "$(secs "${RB[$rows,cli]}")" "$(mb "${RB[$rows,cli.kb]}")" \
    "$(bpr "${RB[$rows,cli.kb]}" "$rows")" "${RB[$rows,same]}"
  if [ "$with" = 0 ]; then
    [ "$peers" = 0 ] || echo "  peers skipped above 20M rows (they do not fit in memory)"
    return 0
  fi
  for name in polars duckdb; do
    printf '  %-24s %10s  peak RSS %s MB; files identical to recprep'"'"'s: %s\n' "$name temporal" \
      "$(secs "${R[$rows,$name]}")" "$(mb "${R[$rows,$name.kb]}")" "${R[$rows,$name.same]}"
  done
  fast=$(awk -v a="${R[$rows,polars]}" -v b="${R[$rows,duckdb]}" 'BEGIN { print (a < b ? "polars" : "duckdb") }')
  R[$rows,ratio]=$(calc '%.1f' "${R[$rows,$fast]} / ${R[$rows,cli]}")
  R[$rows,fast]=$fast
  printf '  %-24s %9sx  (%s %s / recprep %s)\n' "ratio" "${R[$rows,ratio]}" "$fast" \
    "$(secs "${R[$rows,$fast]}")" "$(secs "${R[$rows,cli]}")"
}

# --- the note ------------------------------------------------------------------

vs() { # NOW BASE FORMATTER: "now vs base (now / base)"
  echo "$($3 "$1") vs $($3 "$2") ($(calc '%.2f' "$1 / $2")×)"
}
mbs() { echo "$(mb "$1") MB"; }
plain() { echo "$1"; }

slowest() { # ROWS: the recipe with the slowest first summary in R
  local slow=temporal r
  for r in $recipes; do
    awk -v a="${R[$1,first:$r]}" -v b="${R[$1,first:$slow]}" 'BEGIN { exit !(a > b) }' && slow=$r
  done
  echo "$slow"
}

stage_header() { # MORE_HEADER MORE_SEP: the in-process tables' first two lines
  local hdr="| rows | load | stats | kcore k=5" sep="|---|---|---|---" r
  for r in $recipes; do hdr="$hdr | $r"; sep="$sep|---"; done
  echo "$hdr |$1"
  echo "$sep|$2"
}

baseline_tables() {
  local rows r line sn sb
  echo
  echo "Against the baseline ($base), same run: this build vs the baseline (ratio):"
  echo
  echo "| rows | load (in recprepd) | steady RSS (recprepd) | first temporal summary | slowest first summary | kcore?k=5 | CLI temporal | peak RSS (CLI temporal) |"
  echo "|---|---|---|---|---|---|---|---|"
  for rows in $all_rows; do
    sn=$(slowest "$rows")
    use_build base
    sb=$(slowest "$rows")
    use_build new
    echo "| $(short "$rows") | $(vs "${RN[$rows,d_logload]}" "${RB[$rows,d_logload]}" secs) |" \
      "$(vs "${RN[$rows,d_rss]}" "${RB[$rows,d_rss]}" mbs) |" \
      "$(vs "${RN[$rows,first:temporal]}" "${RB[$rows,first:temporal]}" secs) |" \
      "$(vs "${RN[$rows,first:$sn]}" "${RB[$rows,first:$sb]}" secs) ($sn, $sb) |" \
      "$(vs "${RN[$rows,first:kcore?k=5]}" "${RB[$rows,first:kcore?k=5]}" secs) |" \
      "$(vs "${RN[$rows,cli]}" "${RB[$rows,cli]}" secs) |" \
      "$(vs "${RN[$rows,cli.kb]}" "${RB[$rows,cli.kb]}" mbs) |"
  done
  echo
  echo "In process, ns/row, this build vs the baseline (ratio):"
  echo
  stage_header "" ""
  for rows in $all_rows; do
    line="| $(short "$rows")"
    for r in load stats kcore-5; do
      line="$line | $(vs "${RN[$rows,ns:$r]}" "${RB[$rows,ns:$r]}" plain)"
    done
    for r in $recipes; do
      line="$line | $(vs "${RN[$rows,ns:split-$r]}" "${RB[$rows,ns:split-$r]}" plain)"
    done
    echo "$line |"
  done
}

note_tables() {
  local rows r hdr sep line slow
  echo
  echo "## Summary (markdown)"
  echo
  echo "$(uname -n), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo); build $build; $(date -u +%Y-%m-%dT%H:%MZ); in-process, CLI and peer figures best of $runs; recprepd best of $druns."
  echo
  echo "| rows | load (in recprepd) | ns/row | peak RSS (CLI temporal) | steady RSS (recprepd) | load peak / steady | first temporal summary | slowest first summary | kcore?k=5 | CLI temporal |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for rows in $all_rows; do
    slow=$(slowest "$rows")
    echo "| $(short "$rows") | $(secs "${R[$rows,d_logload]}") | $(nspr "${R[$rows,d_logload]}" "$rows") |" \
      "$(mb "${R[$rows,cli.kb]}") MB ($(bpr "${R[$rows,cli.kb]}" "$rows") B/row) |" \
      "$(mb "${R[$rows,d_rss]}") MB ($(bpr "${R[$rows,d_rss]}" "$rows") B/row) |" \
      "$(calc '%.2f' "${R[$rows,d_hwm_load]} / ${R[$rows,d_rss]}")× |" \
      "$(secs "${R[$rows,first:temporal]}") | $(secs "${R[$rows,first:$slow]}") ($slow) |" \
      "$(secs "${R[$rows,first:kcore?k=5]}") | $(secs "${R[$rows,cli]}") |"
  done
  echo
  echo "In process, ns/row (bench_scale.c; peak RSS of the load / RSS after it):"
  echo
  stage_header " load peak / steady |" "---|"
  for rows in $all_rows; do
    line="| $(short "$rows") | ${R[$rows,ns:load]} | ${R[$rows,ns:stats]} | ${R[$rows,ns:kcore-5]}"
    for r in $recipes; do line="$line | ${R[$rows,ns:split-$r]}"; done
    echo "$line | $(mb "${R[$rows,peak:load]}") / $(mb "${R[$rows,rss:load]}") MB |"
  done
  echo
  echo "recprepd, first (uncached) request:"
  echo
  hdr="| rows | kcore?k=5"
  sep="|---|---"
  for r in $recipes; do hdr="$hdr | $r"; sep="$sep|---"; done
  echo "$hdr |"
  echo "$sep|"
  for rows in $all_rows; do
    line="| $(short "$rows") | $(secs "${R[$rows,first:kcore?k=5]}")"
    for r in $recipes; do line="$line | $(secs "${R[$rows,first:$r]}")"; done
    echo "$line |"
  done
  [ -z "$base" ] || baseline_tables
  [ "$peers" = 1 ] || return 0
  echo
  echo "Temporal pipeline end to end, same file, same run (wall, peak RSS):"
  echo
  echo "| rows | recprep | Polars | DuckDB | faster peer / recprep | files identical |"
  echo "|---|---|---|---|---|---|"
  for rows in $all_rows; do
    [ -n "${R[$rows,ratio]:-}" ] || continue
    echo "| $(short "$rows") | $(secs "${R[$rows,cli]}"), $(mb "${R[$rows,cli.kb]}") MB |" \
      "$(secs "${R[$rows,polars]}"), $(mb "${R[$rows,polars.kb]}") MB |" \
      "$(secs "${R[$rows,duckdb]}"), $(mb "${R[$rows,duckdb.kb]}") MB |" \
      "${R[$rows,ratio]}× (${R[$rows,fast]}) | polars ${R[$rows,polars.same]}, duckdb ${R[$rows,duckdb.same]} |"
  done
}

# --- main ------------------------------------------------------------------------

build_driver "$build" "$tmp/bench_scale"
[ -z "$base" ] || build_driver "$base" "$tmp/bench_scale_base"
all_rows=""
for s in ${sizes//,/ }; do
  rows=$(rows_of "$s")
  all_rows="$all_rows $rows"
  csv=$(gen_log "$rows")
  echo
  echo "== $(commas "$rows") rows: $csv ($(calc '%.0f' "$(stat -c %s "$csv") / 1e6") MB)"
  in_process "$rows" "$csv"
  [ -z "$base" ] || { use_build base; in_process "$rows" "$csv"; use_build new; }
  daemon "$rows" "$csv"
  end_to_end "$rows" "$csv"
done
note_tables
