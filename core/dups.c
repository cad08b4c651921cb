/*
 * core/dups.c - which rows repeat a (user, item) pair: the dataset's lazily
 * built duplicate index (dataset_impl.h, rpi_dataset_dups).
 *
 * Two bitmaps of one bit a row, for the pair dedup of the contract (each
 * user's rows in time order at the input's precision, ties in file order):
 *   first  row r has an earlier row of the same pair - dropped when the
 *          first row of each pair is kept (dedup=first, az23's dedup);
 *   last   row r has a later row of the same pair - dropped by dedup=last.
 * One walk of the user CSR in that order (user_rows_tp) finds both: last[i]
 * is the position + 1 of item i's latest row seen, so "seen in this user" is
 * last[i] > the user's first position (positions only grow) and no stamp is
 * reset between users; a repeat sets its own first bit and the last bit of
 * the row it repeats. Users with one row are skipped, and a user with at
 * most SMALL rows compares each row's item with its earlier rows' instead
 * (kept in a local array): no random read-modify-write of last[] for the
 * most users (in process, 100M-row generated log: 2.3-2.5 -> 1.6-2.0 s;
 * 20M: 335-465 -> 240-335 ms). Reads of item[] and
 * last[] are random: both are prefetched, the item 2D positions ahead and its
 * last[] entry D ahead, so a big log's walk keeps misses in flight (measured
 * when this walk only counted the duplicates, in stats.c: 20M-row generated
 * log 434-495 -> 190-207 ms with the prefetches).
 *
 * Why an index: az23 dedups every row of every request, and recprepd counts
 * the duplicates for the statistics at each load - the same walk. Built once
 * (the statistics at load build it), a request's dedup is a pass over bits:
 * az23-last-out on the 2M-row generated log spent 18-20 ms of each summary in
 * the walk (recprepd, k=5/6/7). Lazy, so a CLI split that never dedups does
 * not pay for it; 2 bits a row while the dataset lives.
 */
#include <stdlib.h>

#include "dataset_impl.h"
#include "mem.h"

/* Row r repeats row prev's pair, the latest before it. */
static inline void mark_repeat(rpi_dups *d, uint32_t r, uint32_t prev)
{
    d->first[r >> 6] |= (uint64_t)1 << (r & 63);
    d->last[prev >> 6] |= (uint64_t)1 << (prev & 63);
}

static rp_status build(const rp_dataset *ds, rpi_dups *d)
{
    enum { D = 16, SMALL = 16 };
    const uint32_t n = ds->n_rows, *rows = ds->user_rows_tp, *item = ds->item;
    size_t words = ((size_t)n + 63) / 64 + 1;
    uint32_t *last = rpi_calloc_big((size_t)ds->n_items + 1, sizeof *last);
    d->first = rpi_calloc_big(words, sizeof *d->first);
    d->last = rpi_calloc_big(words, sizeof *d->last);
    if (!last || !d->first || !d->last) {
        free(last);
        return RP_ERR_NOMEM;
    }
    uint64_t dup = 0;
    for (uint32_t u = 0; u < ds->n_users; u++) {
        uint32_t lo = ds->user_off[u], hi = ds->user_off[u + 1];
        if (hi - lo < 2)
            continue; /* one row repeats nothing */
        if (hi - lo <= SMALL) {
            /* a few rows: the earlier ones' items are in its[], no last[] */
            uint32_t its[SMALL];
            for (uint32_t p = lo; p < hi; p++) {
                if ((uint64_t)p + 2 * D < n)
                    __builtin_prefetch(&item[rows[p + 2 * D]]);
                uint32_t r = rows[p], i = item[r], k = p - lo;
                its[k] = i;
                while (k-- > 0)
                    if (its[k] == i) {
                        mark_repeat(d, r, rows[lo + k]);
                        dup++;
                        break;
                    }
            }
            continue;
        }
        for (uint32_t p = lo; p < hi; p++) {
            if ((uint64_t)p + 2 * D < n)
                __builtin_prefetch(&item[rows[p + 2 * D]]);
            if ((uint64_t)p + D < n)
                __builtin_prefetch(&last[item[rows[p + D]]], 1);
            uint32_t r = rows[p], i = item[r], q = last[i];
            if (q > lo) {
                mark_repeat(d, r, rows[q - 1]);
                dup++;
            }
            last[i] = p + 1;
        }
    }
    free(last);
    d->n_dup = dup;
    return RP_OK;
}

const rpi_dups *rpi_dataset_dups(const rp_dataset *cds)
{
    /* The index is a cache of immutable data: built under the dataset's
     * lock by the first caller, read without it once published. */
    rp_dataset *ds = (rp_dataset *)cds;
    rpi_dups *d = atomic_load_explicit(&ds->dups, memory_order_acquire);
    if (d != NULL)
        return d;
    pthread_mutex_lock(&ds->lazy_mu);
    d = atomic_load_explicit(&ds->dups, memory_order_relaxed);
    if (d == NULL && (d = calloc(1, sizeof *d)) != NULL) {
        if (build(ds, d) == RP_OK) {
            atomic_store_explicit(&ds->dups, d, memory_order_release);
        } else {
            rpi_dups_free(d);
            d = NULL; /* out of memory: a later call tries again */
        }
    }
    pthread_mutex_unlock(&ds->lazy_mu);
    return d;
}

void rpi_dups_free(rpi_dups *d)
{
    if (d == NULL)
        return;
    free(d->first);
    free(d->last);
    free(d);
}
