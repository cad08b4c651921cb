/*
 * core/walk.h - a look-ahead cursor over the CSR rows of chosen users or
 * items (private to the core).
 *
 * The k-core's and the temporal split's walks visit, for a set of users (or
 * items), every row of each in the CSR (off/rows) and then read per-row
 * columns (item[r], mask[r]) and per-item counters at random. Prefetching a
 * fixed distance ahead inside one user's rows does little on these logs: a
 * user owns 1-5 rows, so the look-ahead falls off the end of the row at
 * almost every step and the next user's reads start cold. An rpi_walk is a
 * second (and third) cursor over the same sequence of rows, across row
 * boundaries, run RPI_WALK_AHEAD rows ahead of the loop that does the work:
 * the loop asks it for the row D ahead and prefetches what that row will
 * read. The cursor reads only off[] and rows[] (sequential) and the set's
 * flags (sequential).
 *
 * The set is one of: a list of IDs (a queue segment), a flag byte per ID
 * (kept[]), a bitmap (the k-core's user candidates), or every ID, over
 * [from, to). A cursor only ever gives prefetch addresses: a walk that
 * disagreed with its loop would cost time, never a wrong result.
 *
 * Measured in-process on the 20M-row generated log (`recprep generate`),
 * rp_kcore_run k=5 and rp_split_run temporal, runs 2-5 of 5, three
 * alternated pairs: kcore 328-360 -> 278-311 ms, temporal 880-942 -> 763-847
 * ms. A first try gave kcore 306-314 -> 255-265 ms, with look-ahead 16 rows
 * 260-274 ms and 64 rows 263-276 ms (32 kept). The 2M log does not change
 * (kcore 22-24 ms, temporal 62-72 ms either way): its counters sit in the
 * cache. A cursor over a list (kept users in ID order, a round's drops) then
 * also fetches its IDs' offsets and first rows ahead: in a profile of the
 * 100M-row split its own loop was the stall (walk.h, 5% of the split's
 * samples). 20M temporal, alternated: 776-828 -> 708-756 ms (the same
 * machine's slower hour: 912-1047 -> 748-963), kcore 457-516 -> 305-434 ms.
 */
#ifndef RECPREP_WALK_H
#define RECPREP_WALK_H

#include <stddef.h>
#include <stdint.h>

/* Rows between the working loop and its near cursor (twice that for far). */
#define RPI_WALK_AHEAD 32

/* IDs between a cursor over a list and the ID whose first row it prefetches
 * (twice that: the ID's offsets). */
#define RPI_WALK_LIST_AHEAD 8

typedef struct rpi_walk {
    const uint32_t *list; /* the set as IDs, or NULL */
    const uint8_t *flag;  /* else ID x when flag[x] != 0, or NULL */
    const uint64_t *bits; /* else ID x when bit x is set, or NULL: every ID */
    size_t next, to;      /* next list index (or ID) to look at; its end */
    const uint32_t *off, *rows;
    uint32_t p, end; /* the current ID's rows still to give: rows[p..end) */
} rpi_walk;

/* A cursor over the rows of the IDs of [from, to) in the set (list: the IDs
 * list[from..to); flag / bits: the IDs x in [from, to) chosen; all NULL:
 * every x in [from, to)), in that order, each ID's rows in CSR order. */
static inline void rpi_walk_init(rpi_walk *w, const uint32_t *list, const uint8_t *flag,
                                 const uint64_t *bits, size_t from, size_t to, const uint32_t *off,
                                 const uint32_t *rows)
{
    *w = (rpi_walk){
        .list = list, .flag = flag, .bits = bits, .next = from, .to = to, .off = off, .rows = rows};
}

/* Move to the next chosen ID; 0 when there is none. */
static inline int rpi_walk_id(rpi_walk *w)
{
    size_t x;
    if (w->list != NULL) {
        if (w->next >= w->to)
            return 0;
        size_t i = w->next++;
        /* a list is in no order of the IDs: its IDs' offsets, then their
         * first rows, are random reads of their own, fetched ahead */
        if (i + 2 * RPI_WALK_LIST_AHEAD < w->to)
            __builtin_prefetch(&w->off[w->list[i + 2 * RPI_WALK_LIST_AHEAD]]);
        if (i + RPI_WALK_LIST_AHEAD < w->to)
            __builtin_prefetch(&w->rows[w->off[w->list[i + RPI_WALK_LIST_AHEAD]]]);
        x = w->list[i];
    } else {
        x = w->next;
        if (w->flag != NULL)
            while (x < w->to && !w->flag[x])
                x++;
        else if (w->bits != NULL)
            while (x < w->to) { /* a word at a time: candidates are sparse */
                uint64_t word = w->bits[x >> 6] >> (x & 63);
                if (word != 0) {
                    x += (size_t)__builtin_ctzll(word);
                    break;
                }
                x = (x | 63) + 1;
            }
        if (x >= w->to) {
            w->next = x;
            return 0;
        }
        w->next = x + 1;
    }
    w->p = w->off[x];
    w->end = w->off[x + 1];
    return 1;
}

/* The next row of the walk into *row: 1, or 0 at its end (for good). */
static inline int rpi_walk_next(rpi_walk *w, uint32_t *row)
{
    while (w->p == w->end)
        if (!rpi_walk_id(w))
            return 0;
    *row = w->rows[w->p++];
    return 1;
}

/* Pass over n rows (fewer at the end). */
static inline void rpi_walk_skip(rpi_walk *w, uint32_t n)
{
    uint32_t r;
    while (n-- > 0 && rpi_walk_next(w, &r))
        ;
}

/* A walk's two look-ahead cursors over the set of rpi_walk_init: near
 * RPI_WALK_AHEAD rows ahead of the walk's start, far twice that. */
static inline void rpi_walk_ahead(rpi_walk *far, rpi_walk *near, const uint32_t *list,
                                  const uint8_t *flag, const uint64_t *bits, size_t from, size_t to,
                                  const uint32_t *off, const uint32_t *rows)
{
    rpi_walk_init(near, list, flag, bits, from, to, off, rows);
    rpi_walk_skip(near, RPI_WALK_AHEAD);
    *far = *near;
    rpi_walk_skip(far, RPI_WALK_AHEAD);
}

/* The look-ahead of a walk that reads, per row r, a byte flag[r] (NULL:
 * none) and a column col[r], then, for x = col[r], a word a[x] and a byte
 * b[x] (NULL: none) - a split's walk of kept users' rows: its filter or
 * part byte, its item, the item's ID and kept flag. The far cursor's row
 * gets its byte and column value fetched, the near cursor's (whose column
 * value is then in cache) the value's word and byte. */
static inline void rpi_walk_prefetch(rpi_walk *far, rpi_walk *near, const uint8_t *flag,
                                     const uint32_t *col, const uint32_t *a, const uint8_t *b)
{
    uint32_t r;
    if (rpi_walk_next(far, &r)) {
        if (flag != NULL)
            __builtin_prefetch(&flag[r]);
        __builtin_prefetch(&col[r]);
    }
    if (rpi_walk_next(near, &r)) {
        uint32_t x = col[r];
        __builtin_prefetch(&a[x]);
        if (b != NULL)
            __builtin_prefetch(&b[x]);
    }
}

#endif
