#!/usr/bin/python3
"""Regenerate tests/golden/<case>/ from the reference notebook.

NOT run by the tests: it needs /work/shared/reference/notebook_pipeline.py and
Debian's python3-pandas. The tests only compare against what this script
committed (tests/golden/run.sh).

  make_golden.py --inputs [CASE...]   (re)write input.* and args of the scripted cases
  make_golden.py [CASE...]            (re)write expected/ of every case (or the named ones)

expected/ holds the reference's own files, renamed (train_new.txt -> train.txt,
validation_new.txt -> validation.txt, test_new.txt -> test.txt,
all_data.txt -> all.txt), users.tsv / items.tsv built from the reference's
user_mapping / item_mapping (captured from temporal()/full() locals with
sys.setprofile) and the raw IDs recorded from its pd.factorize calls, and
summary.json {"users","items","rounds"} from its mappings and k-core trace.

Formats the reference cannot read (movielens-dat, csv-header with other column
names, the Amazon 2023 JSON layout) are converted here into an equivalent file
it can read; the case's input stays in its own format.
"""
import argparse
import csv
import gzip
import io
import json
import os
import random
import shutil
import sys
import tempfile

REFERENCE = os.environ.get('RECPREP_REFERENCE', '/work/shared/reference')
HERE = os.path.dirname(os.path.abspath(__file__))
RENAME = {'train_new.txt': 'train.txt', 'validation_new.txt': 'validation.txt',
          'test_new.txt': 'test.txt', 'all_data.txt': 'all.txt'}
REF_FORMAT = {'amazon-csv': 'csv', 'amazon-csv-item-first': 'csv-item-first',
              'movielens-tsv': 'tsv', 'amazon-json': 'json', 'csv-header': 'mlcsv'}
DAY = 86400
T0 = 1262304000  # 2010-01-01


# ---------------------------------------------------------------- inputs

def amazon_id(rng, prefix, n):
    """An ASIN-like or reviewer-like opaque ID; some are all digits with a leading 0."""
    r = random.Random(n * 7919 + len(prefix))
    if prefix == 'B' and n % 5 == 0:
        return '0' + ''.join(r.choice('0123456789') for _ in range(9))
    alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'
    body = ''.join(r.choice(alphabet) for _ in range(13 if prefix == 'A' else 9))
    return prefix + body


def skewed(rng, n, power):
    return int(n * rng.random() ** power)


def random_log(seed, rows, users, items, days, repeat=0.03, by_item=True):
    """Heavy-tailed users and items, day-resolution timestamps, some repeats."""
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        if out and rng.random() < repeat:
            u, i, _t = rng.choice(out)
        else:
            u, i = skewed(rng, users, 2.5), skewed(rng, items, 2.0)
        out.append((u, i, T0 + rng.randrange(days) * DAY))
    if by_item:  # Amazon's ratings_*.csv are grouped by item, not by time
        out.sort(key=lambda r: r[1])
    return [(amazon_id(rng, 'A', u), amazon_id(rng, 'B', i), t) for u, i, t in out]


def chain_log(length, seed):
    """A peeling chain u0-i0-u1-i1-... (needs many k=2 rounds) beside a dense core."""
    rows = []
    for j in range(length):
        rows.append(('chainU%d' % j, 'chainI%d' % j, T0 + j * DAY))
        rows.append(('chainU%d' % j, 'chainI%d' % (j + 1), T0 + j * DAY + 60))
    rng = random.Random(seed)
    for _ in range(300):
        rows.append(('core%d' % rng.randrange(12), 'item%d' % rng.randrange(15),
                     T0 + rng.randrange(400) * DAY))
    rng.shuffle(rows)
    return rows


def dropped_user_log():
    """full --k 3: early users drop out but still number the kept items first."""
    rows = []
    t = T0
    # 'early' users have 1-2 rows (dropped by k=3) and meet the items in reverse order
    for n, item in enumerate(['i9', 'i8', 'i7', 'i6', 'i5']):
        rows.append(('early%d' % n, item, t + n))
    for u in range(6):
        for item in ['i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8', 'i9']:
            if (u + int(item[1])) % 3 != 0:
                t += 3600
                rows.append(('kept%d' % u, item, t))
    return rows


def empty_test_log(seed):
    """The last 10% of rows by time belong to users never seen before: test.txt is empty."""
    rows = random_log(seed, 1500, 120, 80, 300, by_item=False)
    rows.sort(key=lambda r: r[2])
    late = len(rows) - 160
    for k in range(late, len(rows)):
        rows[k] = ('newcomer%d' % k, rows[k][1], T0 + 400 * DAY + k)
    random.Random(seed).shuffle(rows)
    return rows


def write_csv(path, rows, item_first=False, sep=',', header=None, rating='5.0'):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'wt', newline='') as f:
        if header:
            f.write(sep.join(header) + '\n')
        for u, i, t in rows:
            a, b = (i, u) if item_first else (u, i)
            f.write(sep.join([a, b, rating, str(t)]) + '\n')


def write_json(path, rows, layout):
    rng = random.Random(7)
    with open(path, 'w') as f:
        for n, (u, i, t) in enumerate(rows):
            if layout == 2014:
                d = {'reviewerID': u, 'asin': i, 'reviewerName': 'R\u00e9my "%d"' % n,
                     'overall': float(1 + n % 5), 'reviewText': 'ok, {fine}\n\tthanks',
                     'unixReviewTime': t, 'reviewTime': '01 1, 2010'}
                keys = list(d)
                rng.shuffle(keys)  # key order must not matter
                d = {k: d[k] for k in keys}
            else:  # 2023: milliseconds, parent_asin (asin on some lines)
                d = {'rating': 5.0, 'title': 'Nice \u2603', 'asin': 'X' + i,
                     'user_id': u, 'timestamp': t * 1000 + n % 1000, 'helpful_vote': 0}
                if n % 7:
                    d['parent_asin'] = i
                else:
                    d['asin'] = i
            f.write(json.dumps(d, ensure_ascii=(n % 2 == 0)) + '\n')


def ml_log(seed, rows, users, items):
    rng = random.Random(seed)
    out = [(str(1 + skewed(rng, users, 1.5)), str(1 + skewed(rng, items, 2.0)),
            964982000 + rng.randrange(2000000)) for _ in range(rows)]
    out.sort(key=lambda r: (int(r[0]), r[2]))  # MovieLens files are sorted by user
    return out


def make_inputs():
    """case -> (input file name, args line, writer)."""
    big = random_log(20240, 20000, 6000, 1500, 3000)
    rlog = random_log(11, 3000, 700, 300, 900)
    return {
        'temporal_default': ('input.csv', 'temporal --format amazon-csv',
                             lambda p: write_csv(p, rlog)),
        'full_default': ('input.csv', 'full --format amazon-csv',
                         lambda p: write_csv(p, rlog)),
        'temporal_k2_quantiles': ('input.csv',
                                  'temporal --k 2 --val-start 0.7 --test-start 0.85 --format amazon-csv',
                                  lambda p: write_csv(p, rlog)),
        'full_k3': ('input.csv', 'full --k 3 --format amazon-csv', lambda p: write_csv(p, rlog)),
        'temporal_day_ties': ('input.csv', 'temporal --k 2 --format amazon-csv',
                              lambda p: write_csv(p, random_log(5, 2500, 300, 120, 12))),
        'temporal_repeats': ('input.csv', 'temporal --k 3 --format amazon-csv',
                             lambda p: write_csv(p, random_log(6, 2000, 150, 60, 200, repeat=0.4))),
        'full_item_order_dropped_user': ('input.csv', 'full --k 3 --format amazon-csv',
                                         lambda p: write_csv(p, dropped_user_log())),
        'temporal_empty_validation': ('input.csv',
                                      'temporal --k 2 --val-start 0.75 --test-start 0.75 --format amazon-csv',
                                      lambda p: write_csv(p, random_log(8, 1500, 200, 90, 500))),
        'temporal_empty_test': ('input.csv', 'temporal --k 2 --format amazon-csv',
                                lambda p: write_csv(p, empty_test_log(9))),
        'full_many_rounds': ('input.csv', 'full --k 2 --format amazon-csv',
                             lambda p: write_csv(p, chain_log(150, 3))),
        'temporal_many_rounds': ('input.csv', 'temporal --k 2 --val-start 0.9 --test-start 0.95 --format amazon-csv',
                                 lambda p: write_csv(p, chain_log(150, 4))),
        'temporal_gzip': ('input.csv.gz', 'temporal --k 3 --format amazon-csv',
                          lambda p: write_csv(p, random_log(12, 2500, 400, 150, 700))),
        'temporal_item_first': ('input.csv', 'temporal --k 3 --format amazon-csv-item-first',
                                lambda p: write_csv(p, random_log(13, 2500, 400, 150, 700),
                                                    item_first=True)),
        'temporal_amazon_json': ('input.json', 'temporal --k 3 --format amazon-json',
                                 lambda p: write_json(p, random_log(14, 2000, 300, 120, 600), 2014)),
        'full_amazon_json_2023': ('input.jsonl', 'full --k 3 --format amazon-json',
                                  lambda p: write_json(p, random_log(15, 2000, 300, 120, 600,
                                                                     by_item=False), 2023)),
        'temporal_movielens_tsv': ('input.tsv', 'temporal --k 5 --format movielens-tsv',
                                   lambda p: write_csv(p, ml_log(16, 3000, 150, 400), sep='\t',
                                                       rating='4')),
        'full_movielens_dat': ('input.dat', 'full --k 4 --format movielens-dat',
                               lambda p: write_csv(p, ml_log(17, 3000, 150, 400), sep='::',
                                                   rating='3')),
        'temporal_csv_header': ('input.csv', 'temporal --k 4 --format csv-header',
                                lambda p: write_csv(p, ml_log(18, 3000, 150, 400),
                                                    header=['userId', 'movieId', 'rating', 'timestamp'],
                                                    rating='3.5')),
        'full_csv_header_names': ('input.csv', 'full --k 3 --format csv-header',
                                  lambda p: write_csv(p, ml_log(19, 2000, 120, 300),
                                                      header=['user_id', 'item_id', 'rating', 'timestamp'])),
        'temporal_large': ('input.csv.gz', 'temporal --format amazon-csv',
                           lambda p: write_csv(p, big)),
        'full_large': ('input.csv.gz', 'full --k 3 --format amazon-csv',
                       lambda p: write_csv(p, big)),
    }


# ---------------------------------------------------------------- reference

def parse_args_line(line):
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['temporal', 'full'])
    ap.add_argument('--k', type=int)
    ap.add_argument('--val-start', type=float, default=0.8)
    ap.add_argument('--test-start', type=float, default=0.9)
    ap.add_argument('--format', required=True)
    return ap.parse_args(line.split())


def read_rows_generic(path, fmt):
    """(user, item, ts) of formats the reference cannot read, as our loader reads them."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rt', newline='') as f:
        text = f.read()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if fmt == 'movielens-dat':
        return [tuple(ln.split('::')[k] for k in (0, 1, 3)) for ln in lines]
    if fmt == 'csv-header':
        rdr = csv.reader(io.StringIO('\n'.join(lines)))
        head = next(rdr)
        pick = lambda names: next(head.index(n) for n in names if n in head)
        cu, ci = pick(['userId', 'user_id', 'user']), pick(['movieId', 'item_id', 'item'])
        ct = pick(['timestamp'])
        return [(r[cu], r[ci], r[ct]) for r in rdr]
    if fmt == 'amazon-json':
        out = []
        for ln in lines:
            d = json.loads(ln)
            if 'reviewerID' in d:
                out.append((d['reviewerID'], d['asin'], d['unixReviewTime']))
            else:
                out.append((d['user_id'], d.get('parent_asin', d.get('asin')),
                            int(d['timestamp']) // 1000))
        return out
    raise SystemExit('no generic reader for ' + fmt)


def needs_conversion(inp, fmt):
    if fmt == 'movielens-dat':
        return True
    if fmt == 'amazon-json':  # the reference reads only the 2014/2018 keys
        with open(inp) as f:
            return any('reviewerID' not in json.loads(ln) for ln in f if ln.strip())
    if fmt == 'csv-header':  # the reference reads only MovieLens' own header
        with open(inp) as f:
            return not f.readline().startswith('userId,movieId,')
    return False


def reference_input(inp, fmt, tmp):
    """A path and reference format the notebook can read for this input."""
    if not needs_conversion(inp, fmt):
        return inp, REF_FORMAT[fmt]
    conv = os.path.join(tmp, 'converted.csv')
    with open(conv, 'w') as f:
        for u, i, t in read_rows_generic(inp, fmt):
            f.write('%s,%s,1.0,%s\n' % (u, i, t))
    return conv, 'csv'


def run_reference(inp, ref_fmt, a, outdir):
    sys.path.insert(0, REFERENCE)
    import notebook_pipeline as nb
    uniques = []
    real_factorize = nb.pd.factorize

    def factorize(values, *args, **kw):
        codes, uniq = real_factorize(values, *args, **kw)
        uniques.append([str(x) for x in uniq])
        return codes, uniq
    nb.pd.factorize = factorize
    captured = {}

    def profiler(frame, event, arg):
        if event == 'return' and frame.f_code in (nb.temporal.__code__, nb.full.__code__):
            captured['users'] = dict(frame.f_locals['user_mapping'])
            captured['items'] = dict(frame.f_locals['item_mapping'])
    try:
        df = nb.load(inp, ref_fmt)
        sys.setprofile(profiler)
        if a.mode == 'temporal':
            summary = nb.temporal(df, outdir, a.k or 4, a.val_start, a.test_start)
        else:
            summary = nb.full(df, outdir, a.k or 5)
    finally:
        sys.setprofile(None)
        nb.pd.factorize = real_factorize
    return summary, captured, uniques


def write_mapping(path, mapping, raw):
    with open(path, 'w') as f:
        for code, pid in sorted(mapping.items(), key=lambda kv: kv[1]):
            f.write('%d\t%s\n' % (pid, raw[code - 1]))


def make_expected(case_dir):
    with open(os.path.join(case_dir, 'args')) as f:
        a = parse_args_line(f.read().strip())
    inp = next(os.path.join(case_dir, n) for n in sorted(os.listdir(case_dir))
               if n.startswith('input.'))
    exp = os.path.join(case_dir, 'expected')
    shutil.rmtree(exp, ignore_errors=True)
    os.makedirs(exp)
    with tempfile.TemporaryDirectory() as tmp:
        ref_inp, ref_fmt = reference_input(inp, a.format, tmp)
        out = os.path.join(tmp, 'out')
        os.makedirs(out)
        summary, cap, uniques = run_reference(ref_inp, ref_fmt, a, out)
        for name in os.listdir(out):
            shutil.copy(os.path.join(out, name), os.path.join(exp, RENAME[name]))
    write_mapping(os.path.join(exp, 'users.tsv'), cap['users'], uniques[0])
    write_mapping(os.path.join(exp, 'items.tsv'), cap['items'], uniques[1])
    rounds = [new for _old, new in summary['kcore_trace']]
    with open(os.path.join(exp, 'summary.json'), 'w') as f:
        f.write(json.dumps({'users': summary['users'], 'items': summary['items'],
                            'rounds': rounds}, separators=(',', ':')) + '\n')
    print('%-32s users=%-5d items=%-5d rounds=%d' % (os.path.basename(case_dir),
          summary['users'], summary['items'], len(rounds)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--inputs', action='store_true', help='rewrite scripted inputs and args first')
    ap.add_argument('cases', nargs='*')
    o = ap.parse_args()
    if o.inputs:
        for name, (fname, args, writer) in make_inputs().items():
            if o.cases and name not in o.cases:
                continue
            d = os.path.join(HERE, name)
            os.makedirs(d, exist_ok=True)
            for old in os.listdir(d):
                if old.startswith('input.'):
                    os.remove(os.path.join(d, old))
            writer(os.path.join(d, fname))
            with open(os.path.join(d, 'args'), 'w') as f:
                f.write(args + '\n')
    cases = o.cases or sorted(n for n in os.listdir(HERE)
                              if os.path.isfile(os.path.join(HERE, n, 'args')))
    for name in cases:
        make_expected(os.path.join(HERE, name))


if __name__ == '__main__':
    main()
