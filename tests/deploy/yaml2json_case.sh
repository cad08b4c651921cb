#!/bin/sh
# One yaml2json case: convert IN.yaml and compare with EXPECTED.json byte for
# byte, or with --must-fail check that the converter rejects the input.
# usage: yaml2json_case.sh YAML2JSON IN.yaml EXPECTED.json|--must-fail
set -u
tool=$1 in=$2 expected=$3
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
if [ "$expected" = --must-fail ]; then
    "$tool" --json "$in" "$out"
    rc=$?
    # 1 is the tool's "rejected" status; anything else (0, a crash, a
    # sanitizer abort) fails the case.
    [ "$rc" -eq 1 ] || {
        echo "FAIL: $in: exit status $rc, expected 1" >&2
        exit 1
    }
    [ -e "$out" ] && [ -s "$out" ] && { echo "FAIL: output left behind" >&2; exit 1; }
    exit 0
fi
"$tool" --json "$in" "$out" || exit 1
cmp "$out" "$expected" || { diff "$expected" "$out" >&2; exit 1; }
