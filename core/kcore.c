/*
 * core/kcore.c - iterated k-core with the reference notebook's synchronous rounds.
 *
 * Round r keeps users with >= user_k considered rows whose item survived round
 * r-1, and items with >= item_k considered rows whose user survived round r-1.
 * Both kept sets only shrink from round to round (induction: fewer items kept
 * means fewer users reach user_k, and vice versa), so "the counts equal the
 * previous round's" is the same as "nobody was dropped in this round", and
 * each user and item is dropped at most once.
 *
 * That makes the whole run incremental. We keep, per user, the number of its
 * considered rows whose item is still kept (ucnt) and, per item, the rows
 * whose user is still kept (icnt). A round only walks the rows of the users
 * and items dropped in the previous round, decrementing their neighbours'
 * counts; a kept neighbour whose count falls from k to k-1 is exactly a drop
 * of the next round. Drops go into one queue per side, one contiguous segment
 * per round. Total work O(E + U + I + rounds), whatever the number of rounds
 * (a peeling chain of length L costs O(L), not O(L^2)). When a round's drops
 * own more than n/16 rows, one branch-free recount of all rows replaces the
 * CSR walks (random access); every row is in at most one dropped segment per
 * side, so there are at most 32 recounts and the bound stays O(E + U + I).
 * Round 1's drops are not even queued when they are that many: the recount
 * of round 2 finds what they changed without reading them. A recount walks
 * only the kept users' rows when those are few (recount_by_users: both
 * sides' counts from one walk), else it reads every row or the kept ones'
 * CSR rows, one side a thread.
 *
 * Users' counters are compact when few users can be kept: only a user with
 * at least user_k rows (all rows, not only considered ones) can ever reach
 * user_k, and in a sparse log those are a few percent of the users (2M-row
 * generated log, k=5: 50,000 of 1.2M). Their counters are then numbered by
 * rank among those candidates - a bitmap with a running count a word,
 * uslot() - instead of one counter per user: 0.2 MB instead of 4.8 MB of
 * fresh memory at every run, which on this project's VMs cost ~11 ms of a
 * first temporal summary (a first touch runs at ~0.4 GB/s). Counting a
 * candidate then walks its own rows (the user CSR), not every row of the log.
 * Only kept users' counters are ever read or lowered (lose_row), and kept
 * users are candidates.
 *
 * Rejected: recounting every row every round like the notebook (O(E*rounds):
 * a chain of 10^5 rounds on 2M rows would never finish), and the classical
 * asynchronous peeling queue (finds the same final core but a different,
 * non-reference round trace).
 */
#include "mem.h"
#include "recprep/kcore.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "kcore_impl.h"
#include "walk.h"

typedef struct kstate {
    const rp_dataset *ds;
    const uint8_t *mask;
    uint8_t bits; /* a row counts when mask[r] & bits */
    uint32_t uk, ik;
    uint32_t csr_min;      /* CSR walks from this many rows on */
    uint32_t par_min;      /* the two sides' passes on two threads from this many rows on */
    int walk;              /* recount: through the CSRs (walk_kept), decided for both sides */
    uint32_t r1[2];        /* round 1's kept users, items */
    int r1_unqueued[2];    /* round 1's drops of a side too many to queue (big_drops) */
    uint32_t *ucnt, *icnt; /* considered rows whose other side is kept; ucnt by uslot() */
    uint64_t *ucand;       /* users with >= uk rows, a bit each; NULL: counters not compact */
    uint32_t *urank;       /* [words]: candidates in the words before */
    uint32_t n_ucnt;       /* ucnt's entries */
    uint32_t *uq, *iq;     /* drop queues, one segment per round */
    size_t uq_len, iq_len;
    uint8_t *ukept, *ikept;
    size_t from[2], to[2]; /* drop_side: last round's segments of uq, iq */
} kstate;

static int row_on(const kstate *st, uint32_t r)
{
    return st->mask == NULL || (st->mask[r] & st->bits) != 0;
}

/* Bits set in w, branch-free and inline: __builtin_popcountll is a call into
 * libgcc on the baseline x86-64 this builds for (no POPCNT instruction), and
 * it sat in uslot() on every counted row (4% of a first filtered summary). */
static inline uint32_t popcount64(uint64_t w)
{
    w -= (w >> 1) & 0x5555555555555555ull;
    w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
    w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((w * 0x0101010101010101ull) >> 56);
}

/* User u's counter in ucnt (u a candidate when counters are compact). */
static inline uint32_t uslot(const kstate *st, uint32_t u)
{
    if (st->ucand == NULL)
        return u;
    uint64_t below = st->ucand[u >> 6] & (((uint64_t)1 << (u & 63)) - 1);
    return st->urank[u >> 6] + popcount64(below);
}

static inline int ucandidate(const kstate *st, uint32_t u)
{
    return st->ucand == NULL || ((st->ucand[u >> 6] >> (u & 63)) & 1u);
}

/* Counter x of one side (0 users, 1 items). */
static inline uint32_t *counter(const kstate *st, int side, uint32_t x)
{
    return side ? &st->icnt[x] : &st->ucnt[uslot(st, x)];
}

/* Compact users' counters when at most a quarter of the users have uk rows;
 * 0, or -1 out of memory. */
static int candidates(kstate *st)
{
    const rp_dataset *ds = st->ds;
    uint32_t nu = ds->n_users;
    size_t words = (size_t)nu / 64 + 1;
    st->n_ucnt = nu;
    st->ucand = calloc(words, sizeof *st->ucand);
    st->urank = malloc(words * sizeof *st->urank);
    if (!st->ucand || !st->urank)
        return -1;
    for (uint32_t u = 0; u < nu; u++)
        if (ds->user_off[u + 1] - ds->user_off[u] >= st->uk)
            st->ucand[u >> 6] |= (uint64_t)1 << (u & 63);
    uint32_t run = 0;
    for (size_t w = 0; w < words; w++) {
        st->urank[w] = run;
        run += popcount64(st->ucand[w]);
    }
    if (run > nu / 4) { /* counters one a user: no ranks to look up */
        free(st->ucand);
        free(st->urank);
        st->ucand = NULL;
        st->urank = NULL;
        return 0;
    }
    st->n_ucnt = run;
    return 0;
}

static rp_status state_alloc(kstate *st, rp_kcore *out)
{
    size_t nu = st->ds->n_users, ni = st->ds->n_items;
    if (candidates(st) != 0)
        return RP_ERR_NOMEM;
    st->ucnt = rpi_calloc_big((size_t)st->n_ucnt + 1, sizeof *st->ucnt);
    st->icnt = calloc(ni + 1, sizeof *st->icnt);
    /* The queues are plain malloc, not huge pages: a round's drops fill
     * only their head, and a huge page would be 2 MiB of fresh memory for the
     * first entry (rounds after the first drop few users: 2M-row log, k=5,
     * ~30,000 of 1.2M entries). */
    st->uq = malloc((nu + 1) * sizeof *st->uq);
    st->iq = malloc((ni + 1) * sizeof *st->iq);
    out->user_kept = rpi_calloc_big(nu + 1, 1);
    out->item_kept = calloc(ni + 1, 1);
    st->ukept = out->user_kept;
    st->ikept = out->item_kept;
    if (!st->ucnt || !st->icnt || !st->uq || !st->iq || !out->user_kept || !out->item_kept)
        return RP_ERR_NOMEM;
    return RP_OK;
}

static void state_free(kstate *st)
{
    free(st->ucnt);
    free(st->icnt);
    free(st->ucand);
    free(st->urank);
    free(st->uq);
    free(st->iq);
}

/* The far cursor's next row: prefetch its mask byte and its other-side ID
 * (other[r], NULL: not read), which the near cursor will then look up. */
static inline void prefetch_row(const kstate *st, rpi_walk *far, const uint32_t *other)
{
    uint32_t r;
    if (rpi_walk_next(far, &r)) {
        if (st->mask != NULL)
            __builtin_prefetch(&st->mask[r]);
        if (other != NULL)
            __builtin_prefetch(&other[r]);
    }
}

/* The near cursor's next row: prefetch the kept flag and (for write) the
 * counter of its ID on side `side`, x = other[r]. A compact user counter's
 * slot would need the candidate bitmap, a random read itself: only the flag
 * then (the counter is touched only when the flag is set). */
static inline void prefetch_counter(const kstate *st, rpi_walk *near, int side,
                                    const uint32_t *other, const uint8_t *kept)
{
    uint32_t r;
    if (rpi_walk_next(near, &r)) {
        uint32_t x = other[r];
        __builtin_prefetch(&kept[x]);
        if (side == 1 || st->ucand == NULL)
            __builtin_prefetch(counter(st, side, x), 1);
    }
}

/* cnt[x], for every x of one side with want[x] (want NULL: all), = the
 * considered rows of x (its CSR off/rows) whose other side (other[r]) is
 * kept (okept NULL: any). A walk of the CSR: sequential but for the reads of
 * the mask and other[] at each row, prefetched by a cursor 2 * RPI_WALK_AHEAD
 * rows ahead (across x's: most own a few rows), and of okept, by a cursor
 * half as far - so a big log's counts cost gathers in flight, not a random
 * read-modify-write of a counter per row. */
static void csr_count(const kstate *st, int side, const uint32_t *off, const uint32_t *rows,
                      uint32_t nx, const uint32_t *other, const uint8_t *okept, const uint8_t *want)
{
    /* the cursors' set: want, else the candidates (users), else all */
    const uint64_t *bits = want == NULL && side == 0 ? st->ucand : NULL;
    rpi_walk far, near;
    rpi_walk_ahead(&far, &near, NULL, want, bits, 0, nx, off, rows);
    for (uint32_t x = 0; x < nx; x++) {
        if ((want != NULL && !want[x]) || (side == 0 && !ucandidate(st, x)))
            continue;
        uint32_t c = 0;
        for (uint32_t p = off[x]; p < off[x + 1]; p++) {
            prefetch_row(st, &far, okept != NULL ? other : NULL);
            if (okept != NULL) {
                uint32_t ra;
                if (rpi_walk_next(&near, &ra))
                    __builtin_prefetch(&okept[other[ra]]);
            }
            uint32_t r = rows[p];
            c += row_on(st, r) && (okept == NULL || okept[other[r]]);
        }
        *counter(st, side, x) = c;
    }
}

/* Below this many rows the counters sit in cache and one sequential pass over
 * the rows with random increments beats the CSR walks' gathers; above it the
 * increments miss the cache. Measured (tests/bench/bench_split.sh, temporal
 * k=5): 2M rows 53 ms pass vs 63 ms walks; 20M rows 1185 ms vs 867 ms. */
#define CSR_COUNT_MIN_ROWS (4u << 20)

/* One side of a pass: 0 users (ucnt, ukept, uq), 1 items. Each side writes
 * only its own arrays, so the two run on two threads at once. */
typedef void (*side_fn)(kstate *st, int side);

struct side_job {
    kstate *st;
    side_fn fn;
};

static void *items_side(void *arg)
{
    struct side_job *j = arg;
    j->fn(j->st, 1);
    return NULL;
}

/* fn for users and items: the items' on a thread of its own when big (and
 * the thread starts), else one after the other. Same result either way: the
 * sides share nothing they write. */
static void both_sides(kstate *st, side_fn fn, int big)
{
    struct side_job j = {st, fn};
    pthread_t tid;
    int threaded = big && pthread_create(&tid, NULL, items_side, &j) == 0;
    fn(st, 0);
    if (threaded)
        pthread_join(tid, NULL);
    else
        fn(st, 1);
}

/* Is a pass over every row worth a second thread (tests: par_min 0, always)? */
static int big_pass(const kstate *st)
{
    return st->ds->n_rows >= st->par_min;
}

/* n drops owning rows rows (all, not only considered) are many enough to be
 * cheaper as one sequential recount of the rows than as CSR walks that jump
 * through the row columns at random (round 1 drops most of a sparse log). */
static int big_drops(const kstate *st, size_t n, uint64_t rows)
{
    return n > 1024 && rows > st->ds->n_rows / 16;
}

/* Round 1 for one side: count considered rows, keep whoever reaches k,
 * queue the rest. */
static void first_round_side(kstate *st, int side)
{
    const rp_dataset *ds = st->ds;
    const uint32_t *off = side ? ds->item_off : ds->user_off;
    const uint32_t *col = side ? ds->item : ds->user;
    uint32_t nx = side ? ds->n_items : ds->n_users, k = side ? st->ik : st->uk;
    uint32_t *cnt = side ? st->icnt : st->ucnt, *q = side ? st->iq : st->uq;
    uint8_t *kept = side ? st->ikept : st->ukept;
    size_t q_len = 0;
    int compact = side == 0 && st->ucand != NULL;
    if (st->mask == NULL) { /* every row counts: the degrees are the CSR offsets */
        for (uint32_t x = 0; x < nx; x++)
            if (!compact || ucandidate(st, x))
                *counter(st, side, x) = off[x + 1] - off[x];
    } else if (ds->n_rows >= st->csr_min || compact) {
        csr_count(st, side, off, side ? ds->item_rows : ds->user_rows, nx, NULL, NULL, NULL);
    } else {
        enum { D = 16 }; /* the counters' lines fetched D rows ahead */
        for (uint32_t r = 0; r < ds->n_rows; r++) {
            if ((uint64_t)r + D < ds->n_rows)
                __builtin_prefetch(&cnt[col[r + D]], 1);
            cnt[col[r]] += (st->mask[r] & st->bits) != 0;
        }
    }
    uint32_t n_kept = 0, n_drop = 0;
    uint64_t drop_rows = 0;
    for (uint32_t x = 0; x < nx; x++) {
        if (compact && !ucandidate(st, x)) {
            /* cannot be kept (kept[x] stays 0): dropped, uncounted, so queued
             * even when none of its rows is considered - walking them lowers
             * no count */
            n_drop++;
            drop_rows += off[x + 1] - off[x];
            continue;
        }
        uint32_t c = *counter(st, side, x);
        if (c == 0)
            continue; /* not in the considered rows at all */
        kept[x] = c >= k;
        n_kept += kept[x];
        n_drop += !kept[x];
        drop_rows += kept[x] ? 0 : off[x + 1] - off[x];
    }
    /* Drops that own a big share of the rows are handled by a recount in
     * round 2, which never reads them from the queue (later_rounds): those
     * are not queued at all - on a sparse log most users, whose queue would
     * be fresh memory written and never read (100M-row generated log: ~200
     * MB of the first request's). */
    st->r1_unqueued[side] = big_drops(st, n_drop, drop_rows);
    if (!st->r1_unqueued[side])
        for (uint32_t x = 0; x < nx; x++)
            if (!kept[x] && (compact || cnt[x] != 0))
                q[q_len++] = x;
    st->r1[side] = n_kept;
    if (side)
        st->iq_len = q_len;
    else
        st->uq_len = q_len;
}

/* Round 1: both sides. */
static void first_round(kstate *st, rp_kcore_round *r1)
{
    both_sides(st, first_round_side, big_pass(st));
    r1->users = st->r1[0];
    r1->items = st->r1[1];
}

/* Fewer drops than this in a round (both sides): its walks stay on one thread. */
#define PAR_MIN_DROPS 4096

/* Rows (all, not only considered) of the queue segment q[from..to). */
static uint64_t segment_rows(const uint32_t *off, const uint32_t *q, size_t from, size_t to)
{
    uint64_t rows = 0;
    for (size_t k = from; k < to; k++)
        rows += off[q[k] + 1] - off[q[k]];
    return rows;
}

/* One row leaves the count of x (side's); queue x if it crosses below k.
 * Only a kept x's count matters (and only kept users have counters when
 * those are compact). */
static inline void lose_row(const kstate *st, int side, const uint8_t *kept, uint32_t k, uint32_t x,
                            uint32_t *q, size_t *q_len)
{
    if (kept[x] && --*counter(st, side, x) == k - 1)
        q[(*q_len)++] = x;
}

/* Is the round of drops q[from..to) big (big_drops)? Summing its rows costs
 * less than the walk of those rows it would otherwise get. */
static int big_segment(const kstate *st, const uint32_t *off, const uint32_t *q, size_t from,
                       size_t to)
{
    return big_drops(st, to - from, segment_rows(off, q, from, to));
}

/* Rows of the kept ones of one side, O(side). */
static uint64_t kept_rows(const uint32_t *off, const uint8_t *kept, uint32_t nx)
{
    uint64_t rows = 0;
    for (uint32_t x = 0; x < nx; x++)
        rows += kept[x] ? off[x + 1] - off[x] : 0;
    return rows;
}

/* Is walking the kept ones' rows through the CSRs cheaper than a pass over
 * every row? Only in a big log (the kept rows are summed only there). */
static int walk_kept(const kstate *st)
{
    const rp_dataset *ds = st->ds;
    if (ds->n_rows < st->csr_min)
        return 0;
    return kept_rows(ds->user_off, st->ukept, ds->n_users) +
               kept_rows(ds->item_off, st->ikept, ds->n_items) <
           ds->n_rows;
}

/* Queue the kept ones of a side whose count is below k: a recount's drops. */
static void queue_below_k(kstate *st, int side)
{
    uint32_t nx = side ? st->ds->n_items : st->ds->n_users, k = side ? st->ik : st->uk;
    const uint8_t *kept = side ? st->ikept : st->ukept;
    uint32_t *q = side ? st->iq : st->uq;
    size_t *q_len = side ? &st->iq_len : &st->uq_len;
    for (uint32_t x = 0; x < nx; x++)
        if (kept[x] && *counter(st, side, x) < k)
            q[(*q_len)++] = x;
}

/* Recount one side against the current kept sets and queue its kept whose
 * count is below k: the same drops as the CSR walks (kept ones had >= k
 * before), in O(n + U + I). In a big log whose kept own less than half the
 * rows (after round 1 of a sparse log), only their rows are walked, through
 * the CSRs; otherwise one pass over every row that counts only the rows
 * with both sides kept. */
static void recount_side(kstate *st, int side)
{
    const rp_dataset *ds = st->ds;
    const uint32_t *col = side ? ds->item : ds->user, *ocol = side ? ds->user : ds->item;
    uint32_t nx = side ? ds->n_items : ds->n_users;
    uint32_t *cnt = side ? st->icnt : st->ucnt;
    const uint8_t *kept = side ? st->ikept : st->ukept, *okept = side ? st->ukept : st->ikept;
    if (st->walk) {
        csr_count(st, side, side ? ds->item_off : ds->user_off,
                  side ? ds->item_rows : ds->user_rows, nx, ocol, okept, kept);
    } else {
        memset(cnt, 0, (size_t)(side ? nx : st->n_ucnt) * sizeof *cnt);
        /* Only kept users' and items' counts are read afterwards, and a row
         * counts for its user's (item's) only when its item (user) is kept:
         * both are counted from the rows with both sides kept, and the rest
         * of the rows - most of them, after round 1 of a sparse log - write
         * nothing (the kept arrays are a fraction of the counters' size). */
        for (uint32_t r = 0; r < ds->n_rows; r++) {
            uint32_t x = col[r];
            if (okept[ocol[r]] && kept[x] && row_on(st, r))
                ++*counter(st, side, x);
        }
    }
    queue_below_k(st, side);
}

/* Both sides' recount from the kept users' own rows, in one walk of the
 * user CSR: a kept user's count is its considered rows with a kept item, and
 * a kept item's is its considered rows whose user is kept - exactly the rows
 * of that walk with a kept item. Used when the kept users own a small share
 * of the rows (after round 1 of a sparse log), where the other recounts read
 * every row (the pass) or every kept item's rows (the walks: popular items
 * own most rows). The rows' item[] and mask reads, and the items' counters,
 * are prefetched by two cursors ahead of the walk (walk.h). */
static void recount_by_users(kstate *st)
{
    const rp_dataset *ds = st->ds;
    const uint32_t *off = ds->user_off, *rows = ds->user_rows, *item = ds->item;
    rpi_walk far, near;
    rpi_walk_ahead(&far, &near, NULL, st->ukept, NULL, 0, ds->n_users, off, rows);
    memset(st->icnt, 0, (size_t)ds->n_items * sizeof *st->icnt);
    for (uint32_t u = 0; u < ds->n_users; u++) {
        if (!st->ukept[u])
            continue;
        uint32_t c = 0;
        for (uint32_t p = off[u]; p < off[u + 1]; p++) {
            prefetch_row(st, &far, item);
            prefetch_counter(st, &near, 1, item, st->ikept);
            uint32_t r = rows[p], i = item[r];
            if (row_on(st, r) && st->ikept[i]) {
                c++;
                st->icnt[i]++;
            }
        }
        *counter(st, 0, u) = c;
    }
    queue_below_k(st, 0);
    queue_below_k(st, 1);
}

/* The kept users own less than this share of the rows: recount_by_users.
 * Measured (bench_split, temporal k=5, the recounts of rounds 2 and 3, where
 * the kept users own 13% of the rows): 2M-row log 16 + 10 ms on two threads
 * -> 9 + 7 ms on one; 20M rows 132 + 97 -> 137 + 102 ms, the same time on
 * one core instead of two. */
#define BY_USERS_SHARE 4

static void recount(kstate *st)
{
    const rp_dataset *ds = st->ds;
    if (kept_rows(ds->user_off, st->ukept, ds->n_users) < ds->n_rows / BY_USERS_SHARE) {
        recount_by_users(st);
        return;
    }
    st->walk = walk_kept(st);
    both_sides(st, recount_side, big_pass(st));
}

/* The other side's drops of last round, q[from..to) of its queue, lower
 * this side's counts; queue this side's crossing below k. Side 1 (items)
 * reads the users dropped, side 0 the items. Cursors ahead of the walk
 * (walk.h) prefetch the rows' IDs and mask, then the counters they lower. */
static void drop_side(kstate *st, int side)
{
    const rp_dataset *ds = st->ds;
    const uint32_t *ooff = side ? ds->user_off : ds->item_off;
    const uint32_t *orows = side ? ds->user_rows : ds->item_rows;
    const uint32_t *col = side ? ds->item : ds->user, *oq = side ? st->uq : st->iq;
    size_t from = st->from[!side], to = st->to[!side];
    uint32_t *q = side ? st->iq : st->uq;
    const uint8_t *kept = side ? st->ikept : st->ukept;
    uint32_t k = side ? st->ik : st->uk;
    size_t *q_len = side ? &st->iq_len : &st->uq_len;
    rpi_walk far, near;
    rpi_walk_ahead(&far, &near, oq, NULL, NULL, from, to, ooff, orows);
    for (size_t j = from; j < to; j++) {
        uint32_t x = oq[j];
        for (uint32_t p = ooff[x]; p < ooff[x + 1]; p++) {
            prefetch_row(st, &far, col);
            prefetch_counter(st, &near, side, col, kept);
            uint32_t r = orows[p];
            if (row_on(st, r))
                lose_row(st, side, kept, k, col[r], q, q_len);
        }
    }
}

static rp_status push_round(rp_kcore *out, size_t *cap, rp_kcore_round r)
{
    if (out->n_rounds == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        rp_kcore_round *nr = realloc(out->rounds, ncap * sizeof *nr);
        if (!nr)
            return RP_ERR_NOMEM;
        out->rounds = nr;
        *cap = ncap;
    }
    out->rounds[out->n_rounds++] = r;
    return RP_OK;
}

/* Rounds 2..last. Both queues' last segments hold the previous round's drops. */
static rp_status later_rounds(kstate *st, rp_kcore *out, size_t *cap, size_t ufrom, size_t ifrom)
{
    rp_kcore_round cur = out->rounds[0];
    for (int round2 = 1;; round2 = 0) {
        size_t uto = st->uq_len, ito = st->iq_len;
        if ((round2 && (st->r1_unqueued[0] || st->r1_unqueued[1])) ||
            big_segment(st, st->ds->user_off, st->uq, ufrom, uto) ||
            big_segment(st, st->ds->item_off, st->iq, ifrom, ito)) {
            recount(st);
        } else {
            st->from[0] = ufrom;
            st->to[0] = uto;
            st->from[1] = ifrom;
            st->to[1] = ito;
            /* small rounds (most after the first few) are not worth a thread
             * (unless a test forces threads with par_min 0) */
            int big =
                big_pass(st) && (st->par_min == 0 || uto - ufrom + ito - ifrom >= PAR_MIN_DROPS);
            both_sides(st, drop_side, big);
        }
        /* Apply this round's drops only now: both sides used round r-1's sets. */
        for (size_t q = uto; q < st->uq_len; q++)
            st->ukept[st->uq[q]] = 0;
        for (size_t q = ito; q < st->iq_len; q++)
            st->ikept[st->iq[q]] = 0;
        cur.users -= (uint32_t)(st->uq_len - uto);
        cur.items -= (uint32_t)(st->iq_len - ito);
        rp_status rc = push_round(out, cap, cur);
        if (rc != RP_OK || (st->uq_len == uto && st->iq_len == ito))
            return rc;
        ufrom = uto;
        ifrom = ito;
    }
}

/* Once no round drops anyone, ucnt[u] of a kept user is exactly its
 * considered rows with a kept item, so the core's rows are their sum: O(U)
 * sequential instead of a pass over every row with two random reads each. */
static uint32_t count_interactions(const kstate *st)
{
    uint32_t n = 0;
    for (uint32_t u = 0; u < st->ds->n_users; u++)
        n += st->ukept[u] ? *counter(st, 0, u) : 0;
    return n;
}

/* Below this many rows a pass costs less than starting a thread for it. */
#define PAR_MIN_ROWS (1u << 16)

rp_status rp_kcore_run(const rp_dataset *ds, const uint8_t *row_mask, uint32_t user_k,
                       uint32_t item_k, rp_kcore *out)
{
    return rpi_kcore_bits(ds, row_mask, 0xFF, user_k, item_k, out);
}

rp_status rpi_kcore_bits(const rp_dataset *ds, const uint8_t *row_mask, uint8_t mask_bits,
                         uint32_t user_k, uint32_t item_k, rp_kcore *out)
{
    return rpi_kcore_run(ds, row_mask, mask_bits, user_k, item_k, CSR_COUNT_MIN_ROWS, PAR_MIN_ROWS,
                         out);
}

rp_status rpi_kcore_run(const rp_dataset *ds, const uint8_t *row_mask, uint8_t mask_bits,
                        uint32_t user_k, uint32_t item_k, uint32_t csr_min_rows,
                        uint32_t par_min_rows, rp_kcore *out)
{
    memset(out, 0, sizeof *out);
    if (user_k == 0 || item_k == 0)
        return RP_ERR_PARAM;
    kstate st = {.ds = ds,
                 .mask = row_mask,
                 .bits = mask_bits,
                 .uk = user_k,
                 .ik = item_k,
                 .csr_min = csr_min_rows,
                 .par_min = par_min_rows};
    size_t cap = 0;
    rp_kcore_round r1;
    rp_status rc = state_alloc(&st, out);
    if (rc == RP_OK) {
        first_round(&st, &r1);
        rc = push_round(out, &cap, r1);
    }
    /* The state before round 1 counts as (0, 0): an empty round 1 repeats it. */
    if (rc == RP_OK && (r1.users != 0 || r1.items != 0))
        rc = later_rounds(&st, out, &cap, 0, 0);
    if (rc == RP_OK) {
        out->users = out->rounds[out->n_rounds - 1].users;
        out->items = out->rounds[out->n_rounds - 1].items;
        out->interactions = count_interactions(&st);
    }
    state_free(&st);
    if (rc != RP_OK)
        rp_kcore_cleanup(out);
    return rc;
}

void rp_kcore_cleanup(rp_kcore *kc)
{
    if (kc == NULL)
        return;
    free(kc->user_kept);
    free(kc->item_kept);
    free(kc->rounds);
    memset(kc, 0, sizeof *kc);
}

json_t *rp_kcore_rounds_json(const rp_kcore_round *rounds, size_t n)
{
    json_t *a = json_array();
    for (size_t r = 0; a != NULL && r < n; r++) {
        json_t *pair = json_pack("[II]", (json_int_t)rounds[r].users, (json_int_t)rounds[r].items);
        if (json_array_append_new(a, pair) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

json_t *rp_kcore_to_json(const rp_kcore *kc, uint32_t user_k, uint32_t item_k)
{
    json_t *rounds = rp_kcore_rounds_json(kc->rounds, kc->n_rounds);
    if (rounds == NULL)
        return NULL;
    return json_pack("{s:{s:I, s:I}, s:I, s:I, s:I, s:o}", "params", "user_k", (json_int_t)user_k,
                     "item_k", (json_int_t)item_k, "users", (json_int_t)kc->users, "items",
                     (json_int_t)kc->items, "interactions", (json_int_t)kc->interactions, "rounds",
                     rounds);
}
