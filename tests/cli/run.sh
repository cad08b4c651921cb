#!/usr/bin/env bash
# End-to-end checks of the recprep CLI as a user runs it: exit codes, one-line
# errors naming the parameter or file:line, determinism, gzip equivalence.
# usage: tests/cli/run.sh RECPREP_BIN
set -uo pipefail
bin=${1:?usage: run.sh RECPREP_BIN}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect_fail NAME PATTERN CMD...: exit status 2, exactly one stderr line matching PATTERN
expect_fail() {
  local name=$1 pattern=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ $rc -ne 2 ]; then bad "$name: exit $rc, want 2"; return; fi
  if [ "$(wc -l <"$work/err")" -ne 1 ]; then bad "$name: stderr not one line: $(cat "$work/err")"; return; fi
  if ! grep -Eq -- "$pattern" "$work/err"; then bad "$name: '$(cat "$work/err")' !~ $pattern"; return; fi
  ok
}

"$bin" generate "$work/log.csv" --rows 5000 --seed 9 || bad "generate failed"
[ "$(wc -l <"$work/log.csv")" -eq 5000 ] && ok || bad "generate: wrong row count"

expect_fail "k not integer" 'option --k: k must be an integer' "$bin" temporal "$work/log.csv" "$work/o" --k abc
expect_fail "k zero" 'k must be an integer >= 1' "$bin" temporal "$work/log.csv" "$work/o" --k 0
expect_fail "val_start range" 'val.start' "$bin" temporal "$work/log.csv" "$work/o" --val-start 1.5
expect_fail "val>test" 'val.start|test.start' "$bin" temporal "$work/log.csv" "$work/o" --val-start 0.9 --test-start 0.8
expect_fail "min-len on full" 'min-len' "$bin" full "$work/log.csv" "$work/o" --min-len 3
expect_fail "repeated option" 'given more than once' "$bin" full "$work/log.csv" "$work/o" --k 3 --k 4
expect_fail "unknown format" 'format' "$bin" stats "$work/log.csv" --format parquet
expect_fail "threads zero" 'threads must be an integer >= 1' "$bin" stats "$work/log.csv" --threads 0
# --threads, any position and either form: a parallel load gives the same files
# (the 5000-row log is small, so this checks the option's plumbing; the
# chunked load itself is tests/test_load_par.c).
"$bin" temporal --threads 1 "$work/log.csv" "$work/t1" >"$work/t1.json" && \
  "$bin" temporal "$work/log.csv" "$work/t2" --threads=2 >"$work/t2.json" && \
  cmp -s "$work/t1/train.txt" "$work/t2/train.txt" && cmp -s "$work/t1.json" "$work/t2.json" && ok ||
  bad "--threads 1 and --threads=2 differ"
expect_fail "missing file" "$work/nope.csv" "$bin" stats "$work/nope.csv"
expect_fail "unknown command" 'unknown command' "$bin" frobnicate
printf 'u1,i1,5.0,100\nu2,i1,4.0,200\nu3,i2,3.0,12a\n' >"$work/bad.csv"
expect_fail "bad timestamp" "bad\\.csv:3(:[0-9]+)?: .*timestamp" "$bin" temporal "$work/bad.csv" "$work/o" --format amazon-csv

# Invalid UTF-8 in an ID stops the load, naming file, line and column.
printf 'A1,B1,5,100\nA\3771,B1,5,100\n' >"$work/latin1.csv"
expect_fail "invalid utf-8 id" "latin1\\.csv:2:2: invalid UTF-8 in the user ID" "$bin" stats "$work/latin1.csv"
gzip -c "$work/latin1.csv" >"$work/latin1.csv.gz"
expect_fail "invalid utf-8 id, gzip" "latin1\\.csv\\.gz:2:2: invalid UTF-8" "$bin" stats "$work/latin1.csv.gz"

# Determinism and gzip equivalence: same files from the same input, plain or gzip.
"$bin" temporal "$work/log.csv" "$work/a" --k 2 >"$work/a.json" || bad "temporal a"
"$bin" temporal "$work/log.csv" "$work/b" --k 2 >"$work/b.json" || bad "temporal b"
gzip -c "$work/log.csv" >"$work/log.csv.gz"
"$bin" temporal "$work/log.csv.gz" "$work/c" --k 2 >"$work/c.json" || bad "temporal gz"
for f in train.txt validation.txt test.txt users.tsv items.tsv; do
  [ -f "$work/a/$f" ] || { bad "missing $f"; continue; }
  cmp -s "$work/a/$f" "$work/b/$f" && ok || bad "$f differs between runs"
  cmp -s "$work/a/$f" "$work/c/$f" && ok || bad "$f differs for gzip input"
done
[ -s "$work/a/train.txt" ] && ok || bad "train.txt empty on a 5000-row log with k=2"
cmp -s "$work/a.json" "$work/b.json" && ok || bad "summary differs between runs"
# The summary's byte count for train.txt is the file's size.
bytes=$(tr -d ' \n' <"$work/a.json" | grep -o '"train.txt":{"lines":[0-9]*,"bytes":[0-9]*' | grep -o '[0-9]*$')
[ "$bytes" = "$(wc -c <"$work/a/train.txt")" ] && ok || bad "summary bytes $bytes != file size"
"$bin" stats "$work/log.csv" >"$work/stats.json" && grep -q '"interactions": 5000' "$work/stats.json" && ok || bad "stats"
# The provenance names the input's bytes: its size and SHA-256, plain or gzip.
for f in log.csv:a log.csv.gz:c; do
  in=$work/${f%%:*} json=$work/${f##*:}.json
  sha=$(tr -d ' \n' <"$json" | grep -o '"sha256":"[0-9a-f]*"' | cut -d'"' -f4)
  size=$(tr -d ' \n' <"$json" | grep -o '"bytes":[0-9]*,"sha256"' | cut -d: -f2 | cut -d, -f1)
  [ "$sha" = "$(sha256sum "$in" | cut -d' ' -f1)" ] && ok || bad "${f%%:*}: sha256 '$sha' is not the file's"
  [ "$size" = "$(wc -c <"$in")" ] && ok || bad "${f%%:*}: provenance bytes '$size' != file size"
done

# A name ending .gz over plain bytes says "not gzip", naming the file.
cp "$work/log.csv" "$work/plain.csv.gz"
expect_fail "not gzip" 'plain\.csv\.gz: not gzip' "$bin" stats "$work/plain.csv.gz"

# Help: `recprep --help` lists every command; each command's --help (and -h,
# and `recprep help CMD`) prints its own usage on stdout, exit 0, no stderr.
commands="stats kcore split recipes temporal full generate"
"$bin" --help >"$work/out" 2>"$work/err" && [ ! -s "$work/err" ] && ok || bad "--help: exit or stderr"
for c in $commands; do
  grep -Eq "^  $c( |\$)" "$work/out" && ok || bad "--help does not list $c"
done
grep -q -- '--progress' "$work/out" && grep -q -- '--quiet' "$work/out" && ok || bad "--help: no --progress/--quiet"
for c in $commands; do
  for form in "$c --help" "$c -h" "help $c" "$c $work/log.csv --help"; do
    # shellcheck disable=SC2086 # form is split into words on purpose
    "$bin" $form >"$work/out" 2>"$work/err"
    rc=$?
    if [ $rc -ne 0 ]; then bad "recprep $form: exit $rc"; continue; fi
    if [ -s "$work/err" ]; then bad "recprep $form: stderr $(cat "$work/err")"; continue; fi
    head -1 "$work/out" | grep -q "^usage: recprep $c" && ok || bad "recprep $form: $(head -1 "$work/out")"
  done
done
"$bin" temporal --help | grep -q -- '--val-start .*(default 0.8)' && ok || bad "temporal --help: no --val-start default"
"$bin" split az23-timestamp --help | grep -q -- '--val-time' && ok || bad "split RECIPE --help: no recipe parameters"
"$bin" split --help | grep -q '^  az23-last-out ' && ok || bad "split --help: no recipe list"
"$bin" full --help | grep -q -- '--val-start' && bad "full --help lists temporal's --val-start" || ok

# Progress: none by default on a pipe, lines with --progress (first "loading",
# last "done", newline-terminated, no \r), none with --quiet; the last wins.
progress_lines() { # CMD...: run, keep stderr in $work/err, print its line count
  "$@" >/dev/null 2>"$work/err" || bad "progress run failed: $*"
  wc -l <"$work/err"
}
[ "$(progress_lines "$bin" stats "$work/log.csv")" -eq 0 ] && [ ! -s "$work/err" ] && ok ||
  bad "progress by default on a pipe: $(cat "$work/err")"
n=$(progress_lines "$bin" temporal "$work/log.csv" "$work/p" --k 2 --progress)
if [ "$n" -ge 2 ] && head -1 "$work/err" | grep -q "^loading .*log\.csv" &&
   tail -1 "$work/err" | grep -Eq "^done: .*log\.csv, 5\.0k rows, [0-9.]+ s$" &&
   ! grep -q $'\r' "$work/err" && [ "$(tail -c 1 "$work/err" | od -An -c | tr -d ' ')" = '\n' ]; then ok
else bad "--progress on a pipe: $(cat -A "$work/err")"; fi
[ "$(progress_lines "$bin" stats "$work/log.csv" --quiet)" -eq 0 ] && ok || bad "--quiet printed progress"
[ "$(progress_lines "$bin" stats --progress "$work/log.csv" --quiet)" -eq 0 ] && ok || bad "--progress --quiet: the last should win"
[ "$(progress_lines "$bin" --quiet stats "$work/log.csv" --progress)" -ge 2 ] && ok || bad "--quiet ... --progress: the last should win"
n=$(progress_lines "$bin" generate "$work/g.csv" --rows 100 --progress)
[ "$n" -ge 2 ] && head -1 "$work/err" | grep -q "^generating " && ok || bad "generate --progress: $(cat "$work/err")"
# On a terminal (script(1) gives one): lines redraw with \r, none ends in a
# newline, and the last erases itself. Needs a run that outlasts a 250 ms tick
# (the first tick may fall in the reading, the indexing or, on a fast load,
# the statistics: each phase's line names the file).
if command -v script >/dev/null 2>&1; then
  "$bin" generate "$work/big.csv" --rows 1500000 --quiet || bad "generate big"
  script -qec "$bin stats $work/big.csv >/dev/null" /dev/null >"$work/tty" 2>&1 || bad "stats on a tty failed"
  if [ ! -s "$work/tty" ]; then
    echo "note: the tty load took under one tick; tty progress not observed"
  elif grep -Eq '(loading|indexing|computing statistics of) .*big\.csv' "$work/tty" && [ "$(tr -cd '\n' <"$work/tty" | wc -c)" -eq 0 ] &&
       [ "$(tail -c 4 "$work/tty" | od -An -tx1 | tr -d ' ')" = "0d1b5b4b" ]; then ok
  else bad "tty progress: $(od -c "$work/tty" | tail -5)"; fi
  rm -f "$work/big.csv"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
