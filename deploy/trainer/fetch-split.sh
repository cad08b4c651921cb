#!/bin/sh
# Example training job: fetch one temporal split from recprepd with curl and
# check it the way a trainer would before spending GPU hours on it.
#
# Environment: RECPREP_URL (http://recprep:8080), TRAIN_DATASET (demo),
# TRAIN_QUERY (k=4), TRAIN_OUT (/var/lib/recprep/split), RECPREP_TOKEN_FILE
# (optional bearer token). Writes train.txt, validation.txt, test.txt,
# items.tsv and summary.json into TRAIN_OUT, all or nothing; exits non-zero
# with a one-line reason when anything is off.
set -eu

url=${RECPREP_URL:-http://recprep:8080}
ds=${TRAIN_DATASET:-demo}
query=${TRAIN_QUERY:-k=4}
out=${TRAIN_OUT:-/var/lib/recprep/split}
base="$url/v1/datasets/$ds/splits/temporal"
files="train.txt validation.txt test.txt items.tsv"

die() {
    echo "trainer: $*" >&2
    exit 1
}

# curl reads the Authorization header from stdin (-K -), so the token never
# shows in the process list.
auth_config() {
    if [ -n "${RECPREP_TOKEN_FILE:-}" ]; then
        printf 'header = "Authorization: Bearer %s"\n' "$(cat "$RECPREP_TOKEN_FILE")"
    fi
}

# fetch URL DEST [curl options...]: 200 into DEST (headers in DEST.headers).
fetch() {
    u=$1 dest=$2
    shift 2
    auth_config | curl -K - -fsS --retry 5 --retry-connrefused --retry-delay 1 \
        -D "$dest.headers" -o "$dest" "$@" "$u" || die "GET $u failed"
}

# summary_field FILE KEY: the integer "KEY" of files[FILE] in summary.json.
summary_field() {
    grep -o "\"$1\" *: *{[^}]*}" "$tmp/summary.json" | grep -o "\"$2\" *: *[0-9]*" |
        grep -o '[0-9]*$'
}

# check_ids FILE MAX: every line is integers >= 1, fields after the first
# (the user) are item IDs <= MAX, and at least MINF fields per line.
check_ids() {
    awk -v max="$2" -v minf="$3" -v f="$1" '
        NF < minf { print f ":" NR ": " NF " fields"; bad = 1; exit }
        { for (i = 1; i <= NF; i++)
              if ($i !~ /^[1-9][0-9]*$/ || (i > 1 && $i + 0 > max)) {
                  print f ":" NR ": bad ID " $i; bad = 1; exit } }
        END { exit bad }' "$tmp/$1" >&2 || die "$1 is malformed"
}

mkdir -p "$out"
tmp="$out/.partial"
rm -rf "$tmp"
mkdir "$tmp"

fetch "$base?$query" "$tmp/summary.json"
for f in $files; do
    fetch "$base/$f?$query" "$tmp/$f"
    bytes=$(wc -c <"$tmp/$f")
    lines=$(wc -l <"$tmp/$f")
    [ "$bytes" -eq "$(summary_field "$f" bytes)" ] || die "$f: $bytes bytes, summary disagrees"
    [ "$lines" -eq "$(summary_field "$f" lines)" ] || die "$f: $lines lines, summary disagrees"
done

# items.tsv maps IDs 1..n, in order, back to raw IDs.
awk -F '\t' 'NF != 2 || $1 != NR || $2 == "" { bad = 1; exit } END { exit bad }' \
    "$tmp/items.tsv" || die "items.tsv is not id<TAB>raw_id lines 1..n"
n_items=$(wc -l <"$tmp/items.tsv")
[ "$n_items" -gt 0 ] || die "items.tsv is empty"
check_ids train.txt "$n_items" 2
check_ids validation.txt "$n_items" 3
check_ids test.txt "$n_items" 3

# Results are deterministic: a repeated request with the ETag is a 304.
etag=$(tr -d '\r' <"$tmp/train.txt.headers" | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')
[ -n "$etag" ] || die "train.txt has no ETag"
code=$(auth_config | curl -K - -sS -o /dev/null -w '%{http_code}' \
    -H "If-None-Match: $etag" "$base/train.txt?$query")
[ "$code" = 304 ] || die "If-None-Match answered $code, not 304"

for f in $files summary.json; do
    mv "$tmp/$f" "$out/$f"
done
rm -rf "$tmp"
echo "trainer: $ds split ($query): $(wc -l <"$out/train.txt") train lines," \
    "$n_items items, checked"
