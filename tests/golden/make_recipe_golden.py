#!/usr/bin/python3
"""Regenerate the recipe goldens tests/golden/recipe_*/ from the reference.

NOT run by the tests: it needs /work/shared/reference/recipes.py (and, for
temporal/full, notebook_pipeline.py with Debian's python3-pandas). The tests
only compare against what this script committed (tests/golden/run.sh).

  make_recipe_golden.py            (re)write every recipe case: input, args, expected/
  make_recipe_golden.py CASE...    only these

A case's args line is "split RECIPE --format F [--param value ...]": the CLI
flags, which recipes.py takes under the same names. expected/ holds the
reference's files and summary.json with the fields the runner compares:
users, items, interactions (an integer; temporal reports per split), and
dropped (temporal) / splits (az23) / rounds (notebook recipes).
"""
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

REFERENCE = os.environ.get('RECPREP_REFERENCE', '/work/shared/reference')
HERE = os.path.dirname(os.path.abspath(__file__))
REF_FORMAT = {'amazon-csv': 'csv', 'amazon-csv-item-first': 'csv-item-first',
              'movielens-tsv': 'tsv', 'movielens-dat': 'dat', 'amazon-json': 'json',
              'csv-header': 'mlcsv'}
T0 = 1262304000  # 2010-01-01
DAY = 86400
RATINGS = ['1.0', '2.0', '3.0', '4.0', '5.0', '4.5', '3.5', '5', '2.25', '']


def skewed(rng, n, power):
    return int(n * rng.random() ** power)


def rows_log(seed, n, users, items, days, repeat=0.15, ms=False, rated=True):
    """(user, item, rating text, ts) with heavy tails, repeats and ties."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if out and rng.random() < repeat:
            u, i, _r, _t = rng.choice(out)
        else:
            u, i = 'U%03d' % skewed(rng, users, 2.2), 'I%03d' % skewed(rng, items, 1.8)
        t = T0 + rng.randrange(days) * DAY + rng.randrange(4) * 3600
        if ms:  # ties in seconds that are not ties in ms, and exact ms ties
            t = t * 1000 + rng.choice([0, 0, 1, 250, 999])
        r = rng.choice(RATINGS) if rated else '5.0'
        out.append((u, i, r, t))
    return out


def first_row_dropped_log():
    """s3rec: 'late' has its first row on an item the k-core removes, but
    enough later rows to stay; another user appears between its rows."""
    rows = [('late', 'rare', '5.0', T0 + 500)]
    rng = random.Random(3)
    for k in range(60):
        rows.append(('u%d' % (k % 6), 'i%d' % (k % 7), '4.0', T0 + rng.randrange(1000)))
    for k in range(4):
        rows.append(('late', 'i%d' % k, '3.0', T0 + 10 * k))
    return rows


def short_user_log():
    """sasrec's one pass: 'short' has 5 rows, 2 of them on rare items, so it
    passes the user count but keeps only 3 rows (fewer than k = 5)."""
    rows = [('short', 'rare1', '5.0', T0 + 1), ('short', 'rare2', '4.0', T0 + 2)]
    rng = random.Random(5)
    for k in range(3):
        rows.append(('short', 'p%d' % k, '3.0', T0 + 10 + k))
    for k in range(120):
        rows.append(('u%d' % (k % 12), 'p%d' % (k % 8), '4.0', T0 + rng.randrange(5000)))
    rng.shuffle(rows)
    return rows


def write_csv(path, rows, sep=',', header=None, item_first=False):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'wt', newline='') as f:
        if header:
            f.write(sep.join(header) + '\n')
        for u, i, r, t in rows:
            a, b = (i, u) if item_first else (u, i)
            f.write(sep.join([a, b, r, str(t)]) + '\n')


def write_json2023(path, rows):
    with open(path, 'w') as f:
        for n, (u, i, r, t) in enumerate(rows):
            d = {'rating': float(r) if r else None, 'title': 'ok', 'user_id': u,
                 'timestamp': t, 'asin': 'X' + i}
            if d['rating'] is None:
                del d['rating']
            if n % 5:
                d['parent_asin'] = i
            else:
                d['asin'] = i
            f.write(json.dumps(d) + '\n')


def cases():
    a = rows_log(21, 2500, 260, 140, 700)
    b = rows_log(22, 2200, 200, 120, 400, ms=True)
    c = rows_log(23, 2400, 150, 300, 900, repeat=0.05)
    d = rows_log(24, 1800, 120, 90, 300, rated=False)
    csv_a = ('input.csv', lambda p: write_csv(p, a))
    json_b = ('input.jsonl', lambda p: write_json2023(p, b))
    dat_c = ('input.dat.gz', lambda p: write_csv(p, c, sep='::'))
    hdr_d = ('input.csv', lambda p: write_csv(p, d, header=['userId', 'movieId', 'rating',
                                                            'timestamp']))
    ms_mid = 1000 * (T0 + 250 * DAY)
    ms_late = 1000 * (T0 + 330 * DAY)
    return {
        'recipe_sasrec_default': (csv_a, 'split sasrec --format amazon-csv'),
        'recipe_sasrec_k3_json2023': (json_b, 'split sasrec --format amazon-json --k 3'),
        'recipe_sasrec_user_item_k': (hdr_d, 'split sasrec --format csv-header --user-k 8 --item-k 3'),
        'recipe_sasrec_short_user': (('input.csv', lambda p: write_csv(p, short_user_log())),
                                     'split sasrec --format amazon-csv'),
        'recipe_sasrec_empty': (csv_a, 'split sasrec --format amazon-csv --k 100000'),
        'recipe_sasrec_filters': (dat_c, 'split sasrec --format movielens-dat --k 4 --min-rating 2.5 --since %d --dedup first' % (T0 + 60 * DAY)),
        'recipe_s3rec_default': (csv_a, 'split s3rec --format amazon-csv'),
        'recipe_s3rec_first_row_dropped': (('input.csv', lambda p: write_csv(p, first_row_dropped_log())),
                                           'split s3rec --format amazon-csv --k 3'),
        'recipe_s3rec_dat_gz_filters': (dat_c, 'split s3rec --format movielens-dat --k 3 --min-rating 3 --dedup last'),
        'recipe_az23_last_out_json2023': (json_b, 'split az23-last-out --format amazon-json'),
        'recipe_az23_last_out_k0': (csv_a, 'split az23-last-out --format amazon-csv --k 0'),
        'recipe_az23_last_out_max_len': (csv_a, 'split az23-last-out --format amazon-csv --k 3 --max-len 3'),
        'recipe_az23_last_out_filters': (dat_c, 'split az23-last-out --format movielens-dat --k 2 --since %d --until %d --min-rating 2.5' % (T0 + 100 * DAY, T0 + 800 * DAY)),
        'recipe_az23_timestamp_json2023': (json_b, 'split az23-timestamp --format amazon-json --k 3 --val-time %d --test-time %d' % (ms_mid, ms_late)),
        'recipe_az23_timestamp_seconds': (csv_a, 'split az23-timestamp --format amazon-csv --val-time %d --test-time %d' % (1000 * (T0 + 400 * DAY), 1000 * (T0 + 600 * DAY))),
        'recipe_az23_timestamp_defaults_empty': (csv_a, 'split az23-timestamp --format amazon-csv --k 2'),
        'recipe_temporal_filters': (csv_a, 'split temporal --format amazon-csv --k 3 --min-rating 3 --since %d --dedup first' % (T0 + 30 * DAY)),
        'recipe_temporal_max_len': (csv_a, 'split temporal --format amazon-csv --k 2 --max-len 3'),
        'recipe_temporal_json2023_dedup_last': (json_b, 'split temporal --format amazon-json --k 2 --dedup last --max-len 5'),
        'recipe_temporal_until_empty_test': (hdr_d, 'split temporal --format csv-header --k 2 --until %d' % (T0 + 200 * DAY)),
        'recipe_full_filters': (dat_c, 'split full --format movielens-dat --k 3 --min-rating 2 --dedup first'),
        'recipe_full_max_len': (json_b, 'split full --format amazon-json --k 3 --max-len 4 --until %d' % (T0 + 300 * DAY)),
    }


def ref_args(args_line, inp, outdir):
    words = args_line.split()
    assert words[0] == 'split'
    recipe, rest = words[1], words[2:]
    out = [recipe, inp, outdir]
    k = 0
    while k < len(rest):
        name, value = rest[k], rest[k + 1]
        out += [name, REF_FORMAT[value] if name == '--format' else value]
        k += 2
    return out


def make_case(name, spec):
    (fname, writer), args_line = spec
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, 'expected'))
    inp = os.path.join(d, fname)
    writer(inp)
    with open(os.path.join(d, 'args'), 'w') as f:
        f.write(args_line + '\n')
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'out')
        res = subprocess.run(['/usr/bin/python3', os.path.join(REFERENCE, 'recipes.py')] +
                             ref_args(args_line, inp, out), capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit('%s: reference failed: %s' % (name, res.stderr))
        s = json.loads(res.stdout)
        for f in os.listdir(out):
            shutil.copy(os.path.join(out, f), os.path.join(d, 'expected', f))
    summary = {'users': s['users'], 'items': s['items']}
    if 'interactions' in s:
        summary['interactions'] = s['interactions']
    elif 'actions' in s:
        summary['interactions'] = s['actions']
    if 'kcore_trace' in s:
        summary['rounds'] = [new for _old, new in s['kcore_trace']]
    if 'dropped' in s:
        summary['dropped'] = s['dropped']
    if 'splits' in s:
        summary['splits'] = {k: v['rows'] for k, v in s['splits'].items()}
    summary['filtered'] = s['filtered']
    with open(os.path.join(d, 'expected', 'summary.json'), 'w') as f:
        f.write(json.dumps(summary, separators=(',', ':')) + '\n')
    print('%-40s users=%-4d items=%-4d %s' % (name, s['users'], s['items'],
                                             summary.get('interactions', '')))


def main():
    todo = cases()
    names = sys.argv[1:] or sorted(todo)
    for n in names:
        make_case(n, todo[n])


if __name__ == '__main__':
    main()
