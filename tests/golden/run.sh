#!/bin/sh
# Golden runner: run the CLI on one case and compare with the reference's files.
#
#   run.sh RECPREP_BIN CASE_DIR
#
# CASE_DIR holds input.* (one file), args (one line: "<method> [options]" or
# "split <recipe> [options]") and expected/ made by make_golden.py (reference
# notebook) or make_recipe_golden.py (reference recipes.py). The runner
# executes `recprep <method> <input> <tmpdir> <options>` (or `recprep split
# <recipe> <input> ...`), cmp's every expected file except summary.json byte
# for byte, and checks each field of expected/summary.json (users, items,
# rounds, interactions, dropped, splits, filtered) against the printed
# summary. Both JSON texts are compared after deleting whitespace, so no JSON
# tool is needed. Exit 0 when
# everything matches, 1 with a diff excerpt on any mismatch, 2 on usage errors.
set -u

bin=${1:?usage: run.sh RECPREP_BIN CASE_DIR}
case_dir=${2:?usage: run.sh RECPREP_BIN CASE_DIR}
name=$(basename "$case_dir")

input=
for f in "$case_dir"/input.*; do
    [ -f "$f" ] && input=$f
done
if [ -z "$input" ] || [ ! -f "$case_dir/args" ] || [ ! -d "$case_dir/expected" ]; then
    echo "golden $name: needs input.*, args and expected/" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/recprep-golden.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM

# shellcheck disable=SC2046 # args is one line of words, split on purpose
set -- $(cat "$case_dir/args")
method=$1
shift
if [ "$method" = split ]; then
    method="split $1"
    shift
fi
# shellcheck disable=SC2086 # "split <recipe>" is two words on purpose
if ! "$bin" $method "$input" "$work/out" "$@" >"$work/summary.json" 2>"$work/stderr"; then
    echo "golden $name: recprep $method failed:" >&2
    cat "$work/stderr" >&2
    exit 1
fi

fail=0
for exp in "$case_dir"/expected/*; do
    file=$(basename "$exp")
    [ "$file" = summary.json ] && continue
    if [ ! -f "$work/out/$file" ]; then
        echo "golden $name: $file was not written" >&2
        fail=1
    elif ! cmp -s "$exp" "$work/out/$file"; then
        echo "golden $name: $file differs from the reference (first differences):" >&2
        cmp "$exp" "$work/out/$file" >&2
        diff "$exp" "$work/out/$file" | head -n 20 >&2
        fail=1
    fi
done

# One field of a JSON text with whitespace removed: "key":N, "key":[[u,i],...]
# or "key":{...} with at most one level of nested objects. The keys compared
# are spelled only once at the top level of a summary ("users.tsv" has a
# suffix; "splits" and "dropped" hold no other compared key).
field() {
    tr -d ' \t\r\n' <"$1" |
        grep -o "\"$2\":\\([0-9][0-9]*\\|\\[[][0-9,]*\\]\\|{[^{}]*\\({[^{}]*}[^{}]*\\)*}\\)" |
        head -n 1
}
for key in users items rounds interactions dropped splits filtered; do
    want=$(field "$case_dir/expected/summary.json" "$key")
    [ -z "$want" ] && [ "$key" != users ] && [ "$key" != items ] && continue
    got=$(field "$work/summary.json" "$key")
    if [ -z "$want" ] || [ "$want" != "$got" ]; then
        echo "golden $name: summary $key: want '$want', got '$got'" >&2
        fail=1
    fi
done

if [ "$fail" -eq 0 ]; then
    echo "golden $name: ok"
fi
exit "$fail"
