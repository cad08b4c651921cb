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

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
