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
 * of round 2 finds what they changed without reading them. A recount reads
 * every row or the kept ones' CSR rows, one side a thread - unless the kept
 * users own few rows (after round 1 of a sparse log): then that round and
 * every later one run on a copy of the rows between the kept users and
 * items, renumbered densely (sub_rounds: the same rounds, on arrays that
 * stay in the cache).
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

#include <stdlib.h>
#include <string.h>

#include "beside.h"
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
    int sub_done;          /* the last rounds ran on the subgraph (sub_rounds) */
    uint32_t sub_inter;    /* then the core's rows */
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
    rpi_beside items;
    rpi_beside_start(&items, items_side, &j, big);
    fn(st, 0);
    rpi_beside_finish(&items);
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

static void recount(kstate *st)
{
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

/* ---- the last rounds on the kept ones' subgraph ---------------------------
 *
 * Once the kept users own few rows (after round 1 of a sparse log: the
 * users with k rows or more, 17% of the 20M-row generated log's rows), every
 * later round reads only the considered rows between a kept user and a kept
 * item. The next round's counts come from one walk of the kept users' rows
 * (what a recount through them cost; on two threads in a big log), which
 * also copies those rows as each kept user's list of item IDs. That round
 * drops most of the items left - on the 20M-row log it keeps 136,000 of 1.2
 * million, whose counts barely reached k. The lists are then squeezed in
 * place to the rows between the round's survivors, numbered densely in ID
 * order, and the items' lists built from them (a counting sort): the rounds
 * left - a recount, then drops walked from user to item and back - run on a
 * few arrays of the survivors that stay in the cache, instead of the log's
 * columns and its users' and items' counters. Memory: 4 bytes a copied row,
 * and 4 a surviving row for the items' lists, freed when the rounds end.
 *
 * Measured (December 2026, the generated logs, rp_kcore_run k=5, this
 * change and the old code alternated in one process; mean of the runs):
 * 2M rows 29.7 -> 18 ms (with an 80% row mask 32.3 -> 17.7 ms), 20M 320 ->
 * 196 ms, 100M 2.13 -> 1.37 s. Steps on one thread, 20M then 100M: the
 * copy walk 81 / 730 ms; the squeeze 15 / 160 ms; the counting sort 25 / 280
 * ms; the 16-18 rounds after it 35 / 240 ms, where the old code's rounds
 * from round 3 on took 160 / 1050 ms. The walk on two threads took the
 * whole run from 221 to 196 ms at 20M and from 1.49 to 1.37 s at 100M;
 * the sort's writes fetched ahead, and the squeeze's reads twice as far
 * ahead, another 5% at 20M.
 */
/* From this many kept users' rows on, sub_build walks them on two threads. */
#define SUB_PAR_MIN_ROWS (1u << 16)

typedef struct subgraph {
    uint32_t nu, ni;        /* users, items in it */
    uint32_t *user, *item;  /* number -> dataset ID */
    uint32_t *uoff, *uadj;  /* each user's rows: its items (IDs, then numbers) */
    uint32_t *ioff, *iadj;  /* each item's rows: its users' numbers (sub_squeeze) */
    uint32_t *ucnt, *icnt;  /* rows whose other side is kept */
    uint8_t *ukept, *ikept; /* kept in the last round applied */
    uint32_t *uq, *iq;      /* drops, one segment a round */
    size_t uq_len, iq_len;
} subgraph;

static void sub_free(subgraph *g)
{
    free(g->user);
    free(g->item);
    free(g->uoff);
    free(g->uadj);
    free(g->ioff);
    free(g->iadj);
    free(g->ucnt);
    free(g->icnt);
    free(g->ukept);
    free(g->ikept);
    free(g->uq);
    free(g->iq);
}

/* Where the kept users' rows are cut in two for sub_build's threads: users
 * [0, cut) hold `users` kept ones with `rows` rows (all, not only
 * considered ones) - about half the total, the cut at one of 64 blocks'
 * bounds. Returns the total. */
typedef struct kept_cut {
    uint32_t cut, users;
    uint64_t rows;
} kept_cut;

static uint64_t kept_rows_cut(const uint32_t *off, const uint8_t *kept, uint32_t nx, kept_cut *kc)
{
    enum { BLOCKS = 64 };
    uint64_t rows[BLOCKS] = {0}, total = 0;
    uint32_t users[BLOCKS] = {0}, step = nx / BLOCKS + 1;
    for (uint32_t x = 0; x < nx; x++)
        if (kept[x]) {
            rows[x / step] += off[x + 1] - off[x];
            users[x / step]++;
        }
    for (int b = 0; b < BLOCKS; b++)
        total += rows[b];
    *kc = (kept_cut){0, 0, 0};
    for (int b = 0; b < BLOCKS && kc->rows < total / 2; b++) {
        kc->cut = (uint32_t)(b + 1) * step < nx ? (uint32_t)(b + 1) * step : nx;
        kc->users += users[b];
        kc->rows += rows[b];
    }
    return total;
}

/* One thread's share of sub_build: the kept users of [u0, u1), numbered
 * from c to c_end, their lists written from uadj[e] on. With two threads
 * the items' counters are shared (atomic increments). */
typedef struct sub_walk {
    kstate *st;
    subgraph *g;
    uint32_t u0, u1, c, c_end, e;
    int shared;
    rp_status rc;
} sub_walk;

static void *sub_walk_run(void *arg)
{
    sub_walk *w = arg;
    kstate *st = w->st;
    subgraph *g = w->g;
    const rp_dataset *ds = st->ds;
    const uint32_t *off = ds->user_off, *rows = ds->user_rows, *item = ds->item;
    uint32_t *icnt = st->icnt, e = w->e, c = w->c;
    rpi_walk far, near;
    rpi_walk_ahead(&far, &near, NULL, st->ukept, NULL, w->u0, w->u1, off, rows);
    for (uint32_t u = w->u0; u < w->u1; u++) {
        if (!st->ukept[u])
            continue;
        if (c == w->c_end) { /* more kept users than the round counted: a bug */
            w->rc = RP_ERR_INTERNAL;
            return NULL;
        }
        g->user[c] = u;
        g->uoff[c] = e;
        for (uint32_t p = off[u]; p < off[u + 1]; p++) {
            prefetch_row(st, &far, item);
            prefetch_counter(st, &near, 1, item, st->ikept);
            uint32_t r = rows[p], i = item[r];
            if (st->ikept[i] && row_on(st, r)) {
                g->uadj[e++] = i;
                if (w->shared)
                    __atomic_fetch_add(&icnt[i], 1u, __ATOMIC_RELAXED);
                else
                    icnt[i]++;
            }
        }
        g->ucnt[c] = e - g->uoff[c];
        c++;
    }
    w->e = e;
    w->rc = c == w->c_end ? RP_OK : RP_ERR_INTERNAL;
    return NULL;
}

/* The users' lists of the considered rows between the nu kept users and the
 * kept items (at most m rows: the kept users' rows), as item IDs, with each
 * user's count of them (ucnt; its list starts at uoff) and each kept item's
 * (the dataset-wide icnt): the counts of a recount. One walk of the kept
 * users' rows, whose random reads (item[], the item's kept flag and
 * counter) the cursors prefetch (walk.h); in a big log on two threads, each
 * over half the rows (the lists of the second start at the first's bound:
 * a gap, zeroed, may lie between). */
static rp_status sub_build(kstate *st, subgraph *g, uint32_t nu, uint64_t m, const kept_cut *kc)
{
    const rp_dataset *ds = st->ds;
    g->nu = nu;
    g->user = malloc(((size_t)nu + 1) * sizeof *g->user);
    g->uoff = malloc(((size_t)nu + 1) * sizeof *g->uoff);
    g->ucnt = malloc(((size_t)nu + 1) * sizeof *g->ucnt);
    g->ukept = malloc((size_t)nu + 1);
    g->uq = malloc(((size_t)nu + 1) * sizeof *g->uq);
    g->uadj = rpi_alloc_big((size_t)m + 1, sizeof *g->uadj);
    if (!g->user || !g->uoff || !g->ucnt || !g->ukept || !g->uq || !g->uadj)
        return RP_ERR_NOMEM;
    memset(g->ukept, 1, (size_t)nu + 1);
    memset(st->icnt, 0, (size_t)ds->n_items * sizeof *st->icnt);
    int two = (st->par_min == 0 || (big_pass(st) && m >= SUB_PAR_MIN_ROWS)) && kc->users <= nu;
    sub_walk w[2] = {
        {st, g, 0, two ? kc->cut : ds->n_users, 0, two ? kc->users : nu, 0, two, RP_OK},
        {st, g, two ? kc->cut : ds->n_users, ds->n_users, two ? kc->users : nu, nu,
         two ? (uint32_t)kc->rows : 0, two, RP_OK}};
    rpi_beside second;
    rpi_beside_start(&second, sub_walk_run, &w[1], two);
    sub_walk_run(&w[0]);
    rpi_beside_finish(&second);
    if (w[0].rc != RP_OK)
        return w[0].rc;
    if (w[1].rc != RP_OK)
        return w[1].rc;
    if (two) /* the gap between the halves' lists */
        memset(g->uadj + w[0].e, 0, (size_t)(kc->rows - w[0].e) * sizeof *g->uadj);
    g->uoff[nu] = two ? w[1].e : w[0].e;
    return RP_OK;
}

/* The round of sub_build's counts: drops the kept ones below k (applied
 * at once: both sides' counts are taken), records it, and numbers the
 * items left in ID order (st->icnt becomes ID -> number + 1, 0: none). 1 when
 * the round dropped anyone. */
static int sub_first_round(kstate *st, subgraph *g, rp_kcore_round *cur, rp_kcore *out, size_t *cap,
                           rp_status *rc)
{
    uint32_t du = 0, di = 0, ni = 0;
    for (uint32_t y = 0; y < g->nu; y++)
        if (g->ucnt[y] < st->uk) {
            g->ukept[y] = 0;
            st->ukept[g->user[y]] = 0;
            du++;
        }
    uint32_t *num = st->icnt;
    for (uint32_t i = 0; i < st->ds->n_items; i++) {
        uint32_t keep = st->ikept[i] && num[i] >= st->ik;
        di += st->ikept[i] && !keep;
        st->ikept[i] = (uint8_t)keep;
        num[i] = keep ? ++ni : 0;
    }
    g->ni = ni;
    g->item = malloc(((size_t)ni + 1) * sizeof *g->item);
    if (g->item == NULL) {
        *rc = RP_ERR_NOMEM;
        return 0;
    }
    for (uint32_t i = 0; i < st->ds->n_items; i++)
        if (num[i] != 0)
            g->item[num[i] - 1] = i;
    cur->users -= du;
    cur->items -= di;
    *rc = push_round(out, cap, *cur);
    return *rc == RP_OK && (du != 0 || di != 0);
}

/* Squeeze the subgraph to the kept users (renumbered in order) and their
 * rows with a kept item (st->icnt: its number + 1), and build the items'
 * lists: the counts are then the next round's (a recount). The users' side
 * in place; num[] is read at random, fetched ahead along the lists. */
static rp_status sub_squeeze(kstate *st, subgraph *g)
{
    enum { AHEAD = 32 };
    const uint32_t *num = st->icnt;
    uint32_t nu = 0, ni = g->ni, e = 0, end = g->uoff[g->nu];
    for (uint32_t y = 0; y < g->nu; y++) {
        uint32_t lo = g->uoff[y], hi = lo + g->ucnt[y]; /* lists may have gaps */
        if (!g->ukept[y])
            continue;
        g->user[nu] = g->user[y];
        g->uoff[nu] = e;
        for (uint32_t k = lo; k < hi; k++) {
            if (k + AHEAD < end)
                __builtin_prefetch(&num[g->uadj[k + AHEAD]]);
            uint32_t x = num[g->uadj[k]];
            if (x != 0)
                g->uadj[e++] = x - 1;
        }
        g->ucnt[nu] = e - g->uoff[nu];
        nu++;
    }
    g->uoff[nu] = e;
    g->nu = nu;
    g->ioff = calloc((size_t)ni + 1, sizeof *g->ioff);
    g->iadj = malloc(((size_t)e + 1) * sizeof *g->iadj);
    g->icnt = malloc(((size_t)ni + 1) * sizeof *g->icnt);
    g->ikept = malloc((size_t)ni + 1);
    g->iq = malloc(((size_t)ni + 1) * sizeof *g->iq);
    if (!g->ioff || !g->iadj || !g->icnt || !g->ikept || !g->iq)
        return RP_ERR_NOMEM;
    for (uint32_t k = 0; k < e; k++)
        g->ioff[g->uadj[k] + 1]++;
    for (uint32_t x = 0; x < ni; x++)
        g->ioff[x + 1] += g->ioff[x];
    memcpy(g->icnt, g->ioff, (size_t)ni * sizeof *g->icnt);
    /* a counting sort's scatter: each write lands at random in iadj, its
     * line fetched AHEAD rows before (the position read then is the
     * item's next one, or a few short: a hint either way) */
    for (uint32_t y = 0; y < nu; y++)
        for (uint32_t k = g->uoff[y]; k < g->uoff[y + 1]; k++) {
            if (k + AHEAD < e)
                __builtin_prefetch(&g->iadj[g->icnt[g->uadj[k + AHEAD]]], 1);
            g->iadj[g->icnt[g->uadj[k]]++] = y;
        }
    for (uint32_t x = 0; x < ni; x++)
        g->icnt[x] = g->ioff[x + 1] - g->ioff[x];
    memset(g->ukept, 1, nu);
    memset(g->ikept, 1, ni);
    return RP_OK;
}

/* A recount's round: the kept ones whose count is below k. */
static void sub_below_k(subgraph *g, uint32_t uk, uint32_t ik)
{
    for (uint32_t y = 0; y < g->nu; y++)
        if (g->ukept[y] && g->ucnt[y] < uk)
            g->uq[g->uq_len++] = y;
    for (uint32_t x = 0; x < g->ni; x++)
        if (g->ikept[x] && g->icnt[x] < ik)
            g->iq[g->iq_len++] = x;
}

/* Rows of the drops q[from..to) of one side leave the counts of the other
 * side's kept (adj: their lists); who crosses below k is queued at q2. */
static size_t sub_drop(const uint32_t *q, size_t from, size_t to, const uint32_t *off,
                       const uint32_t *adj, const uint8_t *kept, uint32_t *cnt, uint32_t k,
                       uint32_t *q2, size_t q2_len)
{
    for (size_t j = from; j < to; j++)
        for (uint32_t e = off[q[j]]; e < off[q[j] + 1]; e++) {
            uint32_t y = adj[e];
            if (kept[y] && --cnt[y] == k - 1)
                q2[q2_len++] = y;
        }
    return q2_len;
}

/* The drops queued since [ufrom, ifrom) end a round: applied to the
 * subgraph's and the dataset's kept flags, and the round recorded. 1 when
 * the round dropped anyone. */
static int sub_apply(kstate *st, subgraph *g, size_t ufrom, size_t ifrom, rp_kcore_round *cur,
                     rp_kcore *out, size_t *cap, rp_status *rc)
{
    for (size_t j = ufrom; j < g->uq_len; j++) {
        g->ukept[g->uq[j]] = 0;
        st->ukept[g->user[g->uq[j]]] = 0;
    }
    for (size_t j = ifrom; j < g->iq_len; j++) {
        g->ikept[g->iq[j]] = 0;
        st->ikept[g->item[g->iq[j]]] = 0;
    }
    cur->users -= (uint32_t)(g->uq_len - ufrom);
    cur->items -= (uint32_t)(g->iq_len - ifrom);
    *rc = push_round(out, cap, *cur);
    return *rc == RP_OK && (g->uq_len > ufrom || g->iq_len > ifrom);
}

/* The rounds from this one (a recount's: counts against the current kept
 * sets; cur the previous round, m its kept users' rows, cut in two by kc)
 * to the last. */
static rp_status sub_rounds(kstate *st, rp_kcore *out, size_t *cap, rp_kcore_round cur, uint64_t m,
                            const kept_cut *kc)
{
    subgraph g;
    memset(&g, 0, sizeof g);
    rp_status rc = sub_build(st, &g, cur.users, m, kc);
    if (rc == RP_OK && sub_first_round(st, &g, &cur, out, cap, &rc)) {
        rc = sub_squeeze(st, &g);
        if (rc == RP_OK)
            sub_below_k(&g, st->uk, st->ik);
        size_t ufrom = 0, ifrom = 0;
        while (rc == RP_OK && sub_apply(st, &g, ufrom, ifrom, &cur, out, cap, &rc)) {
            /* the next round's drops: this round's lower their neighbours' counts */
            size_t uto = g.uq_len, ito = g.iq_len;
            g.iq_len =
                sub_drop(g.uq, ufrom, uto, g.uoff, g.uadj, g.ikept, g.icnt, st->ik, g.iq, g.iq_len);
            g.uq_len =
                sub_drop(g.iq, ifrom, ito, g.ioff, g.iadj, g.ukept, g.ucnt, st->uk, g.uq, g.uq_len);
            ufrom = uto;
            ifrom = ito;
        }
    }
    /* no round dropped anyone: a kept user's count is its rows in the core */
    st->sub_inter = 0;
    for (uint32_t y = 0; rc == RP_OK && y < g.nu; y++)
        st->sub_inter += g.ukept[y] ? g.ucnt[y] : 0;
    st->sub_done = 1;
    sub_free(&g);
    return rc;
}

/* The kept users own fewer rows than this share of the log: the rounds
 * left run on their subgraph. A quarter: where walking their rows beat the
 * recount passes (recount_by_users, which the subgraph replaced: 2M-row log,
 * rounds 2 and 3 of temporal k=5, 16 + 10 ms on two threads -> 9 + 7 ms). */
#define SUB_SHARE 4

/* Rounds 2..last. Both queues' last segments hold the previous round's drops. */
static rp_status later_rounds(kstate *st, rp_kcore *out, size_t *cap, size_t ufrom, size_t ifrom)
{
    rp_kcore_round cur = out->rounds[0];
    for (int round2 = 1;; round2 = 0) {
        size_t uto = st->uq_len, ito = st->iq_len;
        if ((round2 && (st->r1_unqueued[0] || st->r1_unqueued[1])) ||
            big_segment(st, st->ds->user_off, st->uq, ufrom, uto) ||
            big_segment(st, st->ds->item_off, st->iq, ifrom, ito)) {
            kept_cut kc;
            uint64_t m = kept_rows_cut(st->ds->user_off, st->ukept, st->ds->n_users, &kc);
            if (m < st->ds->n_rows / SUB_SHARE)
                return sub_rounds(st, out, cap, cur, m, &kc);
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
        out->interactions = st.sub_done ? st.sub_inter : count_interactions(&st);
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
