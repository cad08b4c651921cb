/*
 * core/filter.c - the common filters and the user orders the recipes share.
 *
 * Filters (RECIPES.md) run in their order - min_rating, since, until, dedup -
 * and produce a row mask: survivors keep their file positions, so every "file
 * order" rule later in a pipeline is the dataset's own order with the masked
 * rows skipped. No filter given means no mask at all, and the pipelines run
 * exactly as before on every row.
 *
 * dedup walks each user's rows in time order at the input's precision (the
 * dataset's user_rows_tp, stable: ties in file order) and keeps the first (or,
 * walking backwards, the last) row of every item, marking items seen with the
 * user's index + 1 in a per-item stamp array, so it is O(n + I) with no
 * hashing of pairs. Users of one or two rows (most of them in Amazon logs)
 * skip the stamps: the walk's cost is its random reads of mask, item and
 * stamp per row, and such a user needs at most one comparison.
 *
 * "Users in order of their first row" over surviving rows: without a mask it
 * is the dense order itself (the interner numbers users by first appearance);
 * with one, either a walk over the rows (many users wanted) or, for the few
 * users a k-core keeps, each user's first surviving row sorted by row number.
 *
 * Rejected: materialising the filtered rows as a new dataset (a copy of every
 * column and index per request; the mask is n bytes).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "mem.h"
#include "radix.h"
#include "split_impl.h"

#define GIVEN(p, id) (((p)->given >> (id)) & 1u)

/* Keep in mask only rows for which keep(r) holds; returns the rows dropped. */
static uint64_t filter_pass(const rp_dataset *ds, const rp_params *p, uint8_t *mask, int which)
{
    uint64_t dropped = 0;
    for (uint32_t r = 0; r < ds->n_rows; r++) {
        if (!mask[r])
            continue;
        int keep;
        if (which == RP_PARAM_MIN_RATING) {
            double v = rpi_rating(ds, r);
            keep = !isnan(v) && v >= p->min_rating;
        } else if (which == RP_PARAM_SINCE)
            keep = rpi_ts_sec(ds, r) >= p->since;
        else
            keep = rpi_ts_sec(ds, r) < p->until;
        mask[r] = (uint8_t)keep;
        dropped += !keep;
    }
    return dropped;
}

#define PREFETCH_ROWS 32u

/* The dedup of a mask where every row survives: the dataset's duplicate
 * index as bytes. */
static rp_status dedup_all(const rp_dataset *ds, uint8_t *mask, int keep_last, uint64_t *dropped)
{
    const rpi_dups *d = rpi_dataset_dups(ds);
    if (d == NULL)
        return RP_ERR_NOMEM;
    const uint64_t *bits = keep_last ? d->last : d->first;
    for (uint32_t r = 0; r < ds->n_rows; r++)
        mask[r] = (uint8_t)!rpi_bit(bits, r);
    *dropped = d->n_dup;
    return RP_OK;
}

rp_status rpi_dedup_rows(const rp_dataset *ds, uint8_t *mask, int keep_last, uint64_t *dropped)
{
    /* No row dropped before the dedup (the usual case, and az23's without
     * filters): which rows repeat a pair is known. Else the walk below, which
     * skips the rows the earlier filters dropped. */
    if (memchr(mask, 0, ds->n_rows) == NULL)
        return dedup_all(ds, mask, keep_last, dropped);
    uint32_t *stamp = rpi_calloc_big((size_t)ds->n_items + 1, sizeof *stamp);
    if (!stamp)
        return RP_ERR_NOMEM;
    *dropped = 0;
    uint32_t ahead = 0; /* users below it have had their rows prefetched */
    for (uint32_t u = 0; u < ds->n_users; u++) {
        uint32_t lo = ds->user_off[u], hi = ds->user_off[u + 1];
        /* The rows of a user are anywhere in the columns: fetch the item
         * and mask bytes of the users' rows PREFETCH_ROWS positions ahead. */
        for (; ahead < ds->n_users && ds->user_off[ahead] < (uint64_t)lo + PREFETCH_ROWS; ahead++)
            for (uint32_t p = ds->user_off[ahead];
                 ds->user_off[ahead + 1] - ds->user_off[ahead] >= 2 && p < ds->user_off[ahead + 1];
                 p++) {
                __builtin_prefetch(&ds->item[ds->user_rows_tp[p]]);
                __builtin_prefetch(&mask[ds->user_rows_tp[p]]);
            }
        if (hi - lo < 2)
            continue; /* one row repeats nothing: no random reads for it */
        if (hi - lo == 2) {
            uint32_t r0 = ds->user_rows_tp[lo], r1 = ds->user_rows_tp[lo + 1];
            if (ds->item[r0] == ds->item[r1] && mask[r0] && mask[r1]) {
                mask[keep_last ? r0 : r1] = 0;
                (*dropped)++;
            }
            continue;
        }
        for (uint32_t k = 0; k < hi - lo; k++) {
            uint32_t r = ds->user_rows_tp[keep_last ? hi - 1 - k : lo + k];
            if (!mask[r])
                continue;
            uint32_t i = ds->item[r];
            if (stamp[i] == u + 1) {
                mask[r] = 0;
                (*dropped)++;
            } else {
                stamp[i] = u + 1;
            }
        }
    }
    free(stamp);
    return RP_OK;
}

rp_status rpi_filter_rows(rp_split *s, uint8_t **mask, uint32_t *alive)
{
    const rp_dataset *ds = s->ds;
    const rp_params *p = &s->p;
    *mask = NULL;
    *alive = ds->n_rows;
    memset(&s->filtered, 0, sizeof s->filtered);
    if (!GIVEN(p, RP_PARAM_MIN_RATING) && !GIVEN(p, RP_PARAM_SINCE) && !GIVEN(p, RP_PARAM_UNTIL) &&
        p->dedup == RP_DEDUP_NONE)
        return RP_OK;
    uint8_t *m = rpi_alloc_big((size_t)ds->n_rows + 1, 1);
    if (!m)
        return RP_ERR_NOMEM;
    memset(m, 1, ds->n_rows);
    if (GIVEN(p, RP_PARAM_MIN_RATING))
        s->filtered.min_rating = filter_pass(ds, p, m, RP_PARAM_MIN_RATING);
    if (GIVEN(p, RP_PARAM_SINCE))
        s->filtered.since = filter_pass(ds, p, m, RP_PARAM_SINCE);
    if (GIVEN(p, RP_PARAM_UNTIL))
        s->filtered.until = filter_pass(ds, p, m, RP_PARAM_UNTIL);
    if (p->dedup != RP_DEDUP_NONE &&
        rpi_dedup_rows(ds, m, p->dedup == RP_DEDUP_LAST, &s->filtered.dedup) != RP_OK) {
        free(m);
        return RP_ERR_NOMEM;
    }
    const rpi_filtered *f = &s->filtered;
    *alive = ds->n_rows - (uint32_t)(f->min_rating + f->since + f->until + f->dedup);
    *mask = m;
    return RP_OK;
}

/* ---- users in order of their first surviving row -------------------------- */

/* Few wanted users: each one's first surviving row, then a sort by row
 * (radix.h: row above, user below). */
static rp_status few_users(const rp_dataset *ds, const uint8_t *mask, uint8_t bits,
                           const uint8_t *want, uint32_t hint, uint32_t *out, uint32_t *n)
{
    uint64_t *fr = malloc(((size_t)hint + 1) * sizeof *fr);
    size_t k = 0;
    if (!fr)
        return RP_ERR_NOMEM;
    for (uint32_t u = 0; u < ds->n_users && k < hint; u++) {
        if (!want[u])
            continue;
        uint32_t p = ds->user_off[u];
        while (p < ds->user_off[u + 1] && mask && !(mask[ds->user_rows[p]] & bits))
            p++;
        if (p < ds->user_off[u + 1])
            fr[k++] = (uint64_t)ds->user_rows[p] << 32 | u;
    }
    if (rpi_sort_u64(fr, k, 32) != RP_OK) {
        free(fr);
        return RP_ERR_NOMEM;
    }
    for (size_t j = 0; j < k; j++)
        out[j] = (uint32_t)fr[j];
    *n = (uint32_t)k;
    free(fr);
    return RP_OK;
}

rp_status rpi_users_by_first_row(const rp_dataset *ds, const uint8_t *mask, uint8_t bits,
                                 const uint8_t *want, uint32_t kept_hint, uint32_t *out,
                                 uint32_t *n)
{
    *n = 0;
    if (want != NULL && kept_hint > 0 && kept_hint < ds->n_users / 8)
        return few_users(ds, mask, bits, want, kept_hint, out, n);
    if (mask == NULL) { /* dense order is first-appearance order */
        for (uint32_t u = 0; u < ds->n_users; u++)
            if (want == NULL || want[u])
                out[(*n)++] = u;
        return RP_OK;
    }
    uint8_t *seen = calloc((size_t)ds->n_users + 1, 1);
    if (!seen)
        return RP_ERR_NOMEM;
    for (uint32_t r = 0; r < ds->n_rows; r++) {
        uint32_t u = ds->user[r];
        if ((mask[r] & bits) && !seen[u] && (want == NULL || want[u])) {
            seen[u] = 1;
            out[(*n)++] = u;
        }
    }
    free(seen);
    return RP_OK;
}
