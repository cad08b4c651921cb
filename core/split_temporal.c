/*
 * core/split_temporal.c - the `temporal` pipeline (notebook part 1).
 *
 * Every step is a linear walk over an index the dataset built at load time:
 *   filters       the common filters' row mask (filter.c); a filtered row is
 *                 in no part, has no item ID and so appears in no file;
 *   boundaries    two lookups in the time order (rpi_times_at), or with
 *                 filters the two quantile ranks among surviving rows;
 *                 then one byte a row: its part, as one bit (T_TRAIN, T_VAL,
 *                 T_TEST), or 0 for a row the filters dropped - from two
 *                 compares of the stored timestamp with the boundaries
 *                 converted to its unit and base (branch-free, vectorised);
 *   k-core        the k-core on the train rows (ts < b_val) only;
 *   user IDs      rows in file order: the first train row of each kept user;
 *   item IDs      kept users by ID, their rows in file order (user CSR), kept
 *                 train rows only - the notebook's item_mapping walk;
 *   sequences     each kept user's rows in time order (user_rows_t) whose item
 *                 has an ID. Train < validation < test in time, so that walk
 *                 yields the train part, then validation, then test: one
 *                 sequence per user whose prefixes are all the file lines.
 *                 Done in the same walk of the users as the item IDs, each
 *                 user's rows twice in a row (ids_and_sequences);
 *   file order    validation (test) users in order of their first kept row in
 *                 the validation (test) slice of the time order: each kept
 *                 user's first such row is noted while its sequence is
 *                 built, and those users are sorted by its (second, row) key.
 * The notebook's item loop after the user loop adds nothing (every kept item
 * has a kept user's row, every kept user is already mapped), and "item has an
 * ID" equals "item kept": the notebook's own test (item_mapping) for
 * validation and test rows is the former, we read the latter (the k-core's
 * flags, final before any ID is given) and check the two agree.
 * Complexity O(n + U + I) after the k-core, plus a sort of the kept users
 * with validation (test) rows - no walk of the parts in time order, whose
 * random reads of the row and user columns cost more than the sort. The
 * walk in user order is bound by memory latency: part[r] and item[r] are the
 * random reads, iid[] and item_kept[] (5 bytes an item) mostly in cache.
 * Scratch is kept small: fresh pages cost more than the passes (below).
 * Dropped (measured December 2026): a row -> item-ID column (rid, 4 bytes a
 * row) and a user -> user-ID table (uid, 4 bytes a user) - on this project's
 * 2-core VMs a first touch of fresh memory runs at ~0.6 GB/s, and recprepd's
 * first temporal summary of the 2M log spent a quarter of its samples
 * zeroing pages (clear_page_erms; 1.5% in the second, which reuses them).
 *
 * Rejected: materialising per-user history lists like the notebook (several
 * allocations per user, 10x the time and memory on 2M rows).
 */
#include <stdlib.h>
#include <string.h>

#include "beside.h"
#include "dataset_impl.h"
#include "kcore_impl.h"
#include "mem.h"
#include "radix.h"
#include "split_impl.h"
#include "walk.h"

/* A row's part: one bit each, so that the k-core and the user order select
 * the train rows with a bit mask; part index (0 train, 1 validation, 2
 * test) = code >> 1. */
enum { T_TRAIN = 1, T_VAL = 2, T_TEST = 4 };

typedef struct tctx {
    rp_split *s;
    const rp_dataset *ds;
    uint8_t *alive;   /* [n] rows the common filters keep; NULL: every row */
    uint32_t n_alive; /* rows surviving the filters */
    uint8_t *part;    /* [n] T_TRAIN, T_VAL, T_TEST; 0: dropped by a filter */
    rp_kcore kc;
    uint32_t *iid;         /* [I]: assigned ID, 0 = none */
    uint32_t *tlen, *vlen; /* [n_users] train / validation part of each sequence */
    uint32_t *first[2];    /* [n_users] row + 1 of each user's first validation
                              (test) row in its sequence, 0 = none */
} tctx;

static size_t quantile_index(uint32_t n, double q)
{
    size_t idx = (size_t)((double)n * q);
    return idx >= n ? n - 1 : idx;
}

/* The first stored timestamp of the second b, in the terms of the stored
 * column: a row's second is >= b exactly when its stored value is >= this
 * (floor(t / 1000) >= b <=> t >= 1000 b for whole t). ts32 holds t - ts_base
 * as unsigned: the bound is clamped to [0, 2^32] (0: every row, 2^32: none). */
static int64_t stored_bound(const rp_dataset *ds, int64_t b)
{
    int64_t t = ds->ts_unit == RP_TS_SECONDS ? b : b * 1000;
    if (ds->ts32 == NULL)
        return t;
    int64_t d = t - ds->ts_base;
    return d < 0 ? 0 : d > (int64_t)UINT32_MAX ? (int64_t)UINT32_MAX + 1 : d;
}

/* Each row's part from its stored timestamp: 1.5 ms on the 2M-row log,
 * where the loop through rpi_ts_sec (its unit test and division at every
 * row) with a second column for the k-core mask took 6-14 ms. */
static void mark_parts(tctx *t)
{
    const rp_dataset *ds = t->ds;
    uint8_t *part = t->part;
    uint32_t n = ds->n_rows;
    int64_t bv = stored_bound(ds, t->s->b_val), bt = stored_bound(ds, t->s->b_test);
    if (ds->ts32 != NULL) {
        const uint32_t *ts = ds->ts32;
        uint64_t v = (uint64_t)bv, w = (uint64_t)bt;
        for (uint32_t r = 0; r < n; r++)
            part[r] = (uint8_t)(1u << (((uint64_t)ts[r] >= v) + ((uint64_t)ts[r] >= w)));
    } else {
        const int64_t *ts = ds->ts;
        for (uint32_t r = 0; r < n; r++)
            part[r] = (uint8_t)(1u << ((ts[r] >= bv) + (ts[r] >= bt)));
    }
    if (t->alive != NULL)
        for (uint32_t r = 0; r < n; r++)
            part[r] = (uint8_t)(part[r] * t->alive[r]);
}

/* The boundaries over the surviving rows (the reference sorts the rows the
 * filters kept), then each row's part; filtered rows are in no part. */
static rp_status boundaries(tctx *t)
{
    const rp_dataset *ds = t->ds;
    rp_split *s = t->s;
    t->part = rpi_calloc_big((size_t)ds->n_rows + 1, 1);
    if (!t->part)
        return RP_ERR_NOMEM;
    if (t->n_alive == 0)
        return RP_OK; /* no boundaries: every file is empty */
    size_t idx[2] = {quantile_index(t->n_alive, s->p.val_start),
                     quantile_index(t->n_alive, s->p.test_start)};
    int64_t sec[2];
    if (rpi_times_at(ds, t->alive, idx, 2, sec) != RP_OK)
        return RP_ERR_NOMEM;
    s->b_val = sec[0];
    s->b_test = sec[1];
    s->have_boundaries = 1;
    mark_parts(t);
    return RP_OK;
}

/* Kept users in order of their first train row (file order): filter.c's
 * user order over the train mask, which for the few users a k-core keeps
 * sorts their first train rows instead of walking every row of the log. */
static rp_status order_kept_users(tctx *t)
{
    return rpi_users_by_first_row(t->ds, t->part, T_TRAIN, t->kc.user_kept, t->kc.users,
                                  t->s->user_dense, &t->s->n_users);
}

/* Cursors RPI_WALK_AHEAD and twice that rows ahead of a walk of kept
 * users' rows (walk.h): the far one prefetches the row's part and item, the
 * near one the item's ID and kept flag - the walk's random reads. */
static inline void prefetch_ahead(const tctx *t, rpi_walk *far, rpi_walk *near)
{
    rpi_walk_prefetch(far, near, t->part, t->ds->item, t->iid, t->kc.item_kept);
}

/* The look-ahead cursors over the rows (user_rows or user_rows_t) of the
 * kept users in ID order. */
static void walk_users(const tctx *t, const uint32_t *rows, rpi_walk *far, rpi_walk *near)
{
    rpi_walk_ahead(far, near, t->s->user_dense, NULL, NULL, 0, t->s->n_users, t->ds->user_off,
                   rows);
}

/* User u's rows in file order: its kept train rows' kept items get the next
 * IDs at first sight (the notebook's item_mapping walk). */
static rp_status user_items(tctx *t, uint32_t u, rpi_walk *far, rpi_walk *near)
{
    const rp_dataset *ds = t->ds;
    rp_split *s = t->s;
    for (uint32_t p = ds->user_off[u]; p < ds->user_off[u + 1]; p++) {
        prefetch_ahead(t, far, near);
        uint32_t r = ds->user_rows[p], i = ds->item[r];
        if (t->part[r] != T_TRAIN || !t->kc.item_kept[i] || t->iid[i] != 0)
            continue;
        if (s->n_items == t->kc.items)
            return RP_ERR_INTERNAL; /* more items than the k-core kept */
        s->item_dense[s->n_items++] = i;
        t->iid[i] = s->n_items;
    }
    return RP_OK;
}

/* User u's rows in time order (surviving the filters) whose item is kept,
 * as item indices appended at out. user_items has just read the same rows:
 * their part, item and kept-flag lines are in the cache. */
static uint32_t user_sequence(const tctx *t, uint32_t u, uint32_t *out, uint32_t *tl, uint32_t *vl,
                              uint32_t *first)
{
    const rp_dataset *ds = t->ds;
    uint32_t len = 0, counts[3] = {0, 0, 0};
    for (uint32_t p = ds->user_off[u]; p < ds->user_off[u + 1]; p++) {
        uint32_t r = ds->user_rows_t[p], code = t->part[r], i = ds->item[r];
        if (code == 0 || !t->kc.item_kept[i])
            continue;
        out[len++] = i;
        uint32_t part = code >> 1; /* 0 train, 1 validation, 2 test */
        if (part != 0 && counts[part]++ == 0)
            first[part - 1] = r + 1;
        counts[0] += part == 0;
    }
    *tl = counts[0];
    *vl = counts[1];
    return len;
}

/* Sequences: seq is sized by the kept users' row counts (an upper bound),
 * each sequence written right after the previous one. */
static rp_status alloc_sequences(tctx *t)
{
    rp_split *s = t->s;
    const rp_dataset *ds = t->ds;
    size_t bound = 0;
    for (uint32_t id = 1; id <= s->n_users; id++)
        bound += ds->user_off[s->user_dense[id - 1] + 1] - ds->user_off[s->user_dense[id - 1]];
    t->tlen = malloc(((size_t)s->n_users + 1) * sizeof *t->tlen);
    t->vlen = malloc(((size_t)s->n_users + 1) * sizeof *t->vlen);
    for (int k = 0; k < 2; k++)
        t->first[k] = calloc((size_t)s->n_users + 1, sizeof *t->first[k]);
    s->seq_off = malloc(((size_t)s->n_users + 1) * sizeof *s->seq_off);
    s->seq = rpi_alloc_big(bound + 1, sizeof *s->seq);
    if (!t->tlen || !t->vlen || !t->first[0] || !t->first[1] || !s->seq_off || !s->seq)
        return RP_ERR_NOMEM;
    s->seq_off[0] = 0;
    return RP_OK;
}

/* One walk of the kept users in ID order gives both the item IDs and the
 * sequences: each user's rows in file order (user_items), then the same
 * rows in time order (user_sequence) - which hits the lines the first just
 * fetched, where two walks of the users took two cache misses a row each
 * for part[] and item[]. A sequence holds item indices until the walk ends
 * (an item of a validation row may get its ID from a later user's train
 * row), then one pass makes them IDs. A kept item always gets an ID (the
 * k-core keeps it for its train rows with kept users), the same test. */
static rp_status ids_and_sequences(tctx *t)
{
    enum { T_AHEAD = 4, D = 32 };
    const rp_dataset *ds = t->ds;
    rp_split *s = t->s;
    t->iid = rpi_calloc_big((size_t)ds->n_items + 1, sizeof *t->iid);
    s->user_dense = malloc(((size_t)t->kc.users + 1) * sizeof *s->user_dense);
    s->item_dense = malloc(((size_t)t->kc.items + 1) * sizeof *s->item_dense);
    if (!t->iid || !s->user_dense || !s->item_dense)
        return RP_ERR_NOMEM;
    if (order_kept_users(t) != RP_OK || alloc_sequences(t) != RP_OK)
        return RP_ERR_NOMEM;
    rpi_walk far, near;
    walk_users(t, ds->user_rows, &far, &near);
    for (uint32_t id = 1; id <= s->n_users; id++) {
        uint32_t u = s->user_dense[id - 1], first[2] = {0, 0};
        if (id + T_AHEAD <= s->n_users) /* its offset was fetched by the cursors */
            __builtin_prefetch(&ds->user_rows_t[ds->user_off[s->user_dense[id - 1 + T_AHEAD]]]);
        if (user_items(t, u, &far, &near) != RP_OK)
            return RP_ERR_INTERNAL;
        s->seq_off[id] =
            s->seq_off[id - 1] + user_sequence(t, u, s->seq + s->seq_off[id - 1], &t->tlen[id - 1],
                                               &t->vlen[id - 1], first);
        t->first[0][id - 1] = first[0];
        t->first[1][id - 1] = first[1];
    }
    if (s->n_users != t->kc.users || s->n_items != t->kc.items)
        return RP_ERR_INTERNAL;
    uint32_t *q = s->seq, n = s->seq_off[s->n_users];
    for (uint32_t j = 0; j < n; j++) {
        if (j + D < n)
            __builtin_prefetch(&t->iid[q[j + D]]);
        q[j] = t->iid[q[j]];
    }
    (void)rpi_shrink((void **)&s->seq, (size_t)n + 1, sizeof *s->seq);
    return RP_OK;
}

static void train_file(tctx *t)
{
    rp_split *s = t->s;
    for (uint32_t id = 1; id <= s->n_users; id++) {
        uint32_t tl = t->tlen[id - 1];
        s->n_train += tl;
        if (tl >= s->p.min_len)
            rpi_seqfile_add(&s->seqs[0], id, s->p.min_len, tl);
    }
}

/* Validation and test rows dropped because the train k-core left their user
 * or item out, counted in one pass in file order: the parts are sets of
 * rows, and every column here but user_kept and item_kept is read
 * sequentially; those two are prefetched for the validation and test rows
 * DROP_AHEAD rows ahead. (An item is kept exactly when it gets an ID:
 * ids_and_sequences checks it.) */
static void count_dropped(tctx *t)
{
    enum { DROP_AHEAD = 64 };
    rp_split *s = t->s;
    const rp_dataset *ds = t->ds;
    const uint8_t *ukept = t->kc.user_kept, *ikept = t->kc.item_kept;
    for (uint32_t r = 0; r < ds->n_rows; r++) {
        uint32_t a = r + DROP_AHEAD;
        if (a < ds->n_rows && t->part[a] > T_TRAIN) {
            __builtin_prefetch(&ukept[ds->user[a]]);
            __builtin_prefetch(&ikept[ds->item[a]]);
        }
        uint32_t part = t->part[r] >> 1; /* 0: train or filtered */
        if (part == 0)
            continue;
        int no_user = !ukept[ds->user[r]], no_item = !ikept[ds->item[r]];
        if (!no_user && !no_item)
            continue;
        rpi_dropped *d = &s->dropped[part - 1];
        d->rows++;
        d->user_not_kept += (uint64_t)no_user;
        d->item_not_kept += (uint64_t)no_item;
    }
}

static void *dropped_job(void *arg)
{
    count_dropped(arg);
    return NULL;
}

/* From this many rows on, count_dropped runs on a second thread. */
#define DROPPED_PAR_MIN_ROWS (1u << 16)

/* The validation (part 1) or test (part 2) file: users in order of their
 * first kept row of the part in time order (ties in file order), which is
 * the order of those rows' (second, row) keys - each user's first such row
 * was noted while its sequence was built (user_rows_t is in that order
 * within the user), so only the users with rows in the part are sorted,
 * never the part's rows walked. The sort (radix.h) is LSD on entry numbers
 * (entry k: the k-th such user by ID): by row, then stably by the low and
 * the high 32 bits of the second's offset from the smallest. Each entry's
 * second is a random read of its row's timestamp, and each user's lengths
 * one of tlen, vlen and seq_off, fetched D entries ahead. */
static rp_status later_file(tctx *t, int part)
{
    enum { D = 16 };
    rp_split *s = t->s;
    const uint32_t *first = t->first[part - 1];
    size_t n = 0;
    for (uint32_t id = 1; id <= s->n_users; id++)
        n += first[id - 1] != 0;
    uint32_t *ids = malloc((n + 1) * sizeof *ids);
    uint64_t *sec = malloc((n + 1) * sizeof *sec), *key = malloc((n + 1) * sizeof *key);
    if (!ids || !sec || !key) {
        free(ids), free(sec), free(key);
        return RP_ERR_NOMEM;
    }
    n = 0;
    for (uint32_t id = 1; id <= s->n_users; id++)
        if (first[id - 1] != 0)
            ids[n++] = id;
    int64_t lo = INT64_MAX;
    for (size_t k = 0; k < n; k++) {
        if (k + D < n)
            rpi_ts_prefetch(t->ds, first[ids[k + D] - 1] - 1);
        uint32_t r = first[ids[k] - 1] - 1;
        int64_t v = rpi_ts_sec(t->ds, r);
        sec[k] = (uint64_t)v;
        lo = v < lo ? v : lo;
        key[k] = (uint64_t)r << 32 | k;
    }
    for (size_t k = 0; k < n; k++)
        sec[k] -= (uint64_t)lo;              /* the offset, as unsigned: wraps never (v >= lo) */
    rp_status rc = rpi_sort_u64(key, n, 32); /* by row */
    for (int half = 0; half < 2 && rc == RP_OK; half++) {
        for (size_t j = 0; j < n; j++) {
            uint32_t k = (uint32_t)key[j];
            key[j] = (sec[k] >> (32 * half)) << 32 | k;
        }
        rc = rpi_sort_u64(key, n, 32); /* by the second's low, then high half */
    }
    for (size_t j = 0; rc == RP_OK && j < n; j++) {
        if (j + D < n) {
            uint32_t ahead = ids[(uint32_t)key[j + D]];
            __builtin_prefetch(&t->tlen[ahead - 1]);
            __builtin_prefetch(&t->vlen[ahead - 1]);
            __builtin_prefetch(&s->seq_off[ahead - 1]);
        }
        uint32_t id = ids[(uint32_t)key[j]], tl = t->tlen[id - 1], vl = t->vlen[id - 1];
        uint32_t len = s->seq_off[id] - s->seq_off[id - 1];
        if (part == 1)
            rpi_seqfile_add(&s->seqs[part], id, tl + 1, tl + vl);
        else
            rpi_seqfile_add(&s->seqs[part], id, tl + vl + 1, len);
        *(part == 1 ? &s->n_val : &s->n_test) += part == 1 ? vl : len - tl - vl;
    }
    free(ids);
    free(sec);
    free(key);
    return rc;
}

static rp_status build_files(tctx *t)
{
    rp_split *s = t->s;
    for (int f = 0; f < 3; f++) {
        rpi_split_file_set(s, (size_t)f, RPI_SEQ_PREFIX, f);
        if (rpi_seqfile_alloc(&s->seqs[f], s->n_users) != RP_OK)
            return RP_ERR_NOMEM;
    }
    rpi_split_file_set(s, 3, RPI_TSV_USERS, 0);
    rpi_split_file_set(s, 4, RPI_TSV_ITEMS, 0);
    train_file(t);
    rp_status rc = later_file(t, 1);
    if (rc == RP_OK)
        rc = later_file(t, 2);
    for (int f = 1; f < 3; f++)
        rpi_seqfile_fit(&s->seqs[f]);
    s->interactions = s->n_train + s->n_val + s->n_test;
    return rc;
}

rp_status rpi_split_temporal(rp_split *s, rp_error *err)
{
    tctx t;
    memset(&t, 0, sizeof t);
    t.s = s;
    t.ds = s->ds;
    rp_status rc = rpi_filter_rows(s, &t.alive, &t.n_alive);
    if (rc == RP_OK)
        rc = boundaries(&t);
    if (rc == RP_OK)
        rc = rpi_kcore_bits(t.ds, t.part, T_TRAIN, s->p.user_k, s->p.item_k, &t.kc);
    if (rc == RP_OK)
        rc = rpi_split_take_rounds(s, &t.kc);
    if (rc == RP_OK) {
        /* count_dropped reads only the parts and the k-core's kept users and
         * items: beside the IDs, sequences and files, which never write those */
        rpi_beside dropped;
        rpi_beside_start(&dropped, dropped_job, &t, t.ds->n_rows >= DROPPED_PAR_MIN_ROWS);
        rc = ids_and_sequences(&t);
        if (rc == RP_OK)
            rc = build_files(&t);
        rpi_beside_finish(&dropped);
    }
    if (rc == RP_OK)
        rc = rpi_split_count(s);
    if (rc == RP_ERR_INTERNAL)
        rp_error_set(err, NULL, 0, 0, "temporal: ID assignment disagrees with the k-core");
    free(t.alive);
    free(t.part);
    free(t.iid);
    free(t.tlen);
    free(t.vlen);
    free(t.first[0]);
    free(t.first[1]);
    rp_kcore_cleanup(&t.kc);
    return rc;
}
