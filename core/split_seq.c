/*
 * core/split_seq.c - the `sasrec` and `s3rec` recipes (RECIPES.md).
 *
 * sasrec (kang205/SASRec data/DataProcessing.py): counts per user and item
 * over the surviving rows, ONE pass: a row is kept when its user has >= user_k
 * rows and its item >= item_k rows, so a kept user may end up with fewer than
 * user_k rows - that is the published data. IDs at first appearance walking
 * kept rows in file order; data.txt is "uid iid" per kept row, users by ID,
 * each user's rows in stable time order (user_rows_tp): a pairs file.
 *
 * s3rec (RUCAIBox/CIKM2020-S3Rec data/data_process.py): the iterative k-core
 * (rp_kcore_run: the unique largest row set where every user has >= user_k
 * and every item >= item_k rows); kept users in order of their first
 * SURVIVING row - not their first kept row, so a user whose first row the
 * k-core removed keeps its place - get 1, 2, ...; items are numbered at first
 * encounter along those users' time-ordered sequences. data.txt is one line
 * per user: a sequence file with entries (uid, len, len).
 *
 * Both are O(n + U + I) after the k-core, with the per-user time order read
 * from the dataset's index instead of sorting at request time.
 */
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "mem.h"
#include "split_impl.h"
#include "walk.h"

/* The walks below visit the rows of s->user_dense's users in time order
 * (user_rows_tp) and read, per row, a flag (keep or alive), its item and
 * that item's ID at random: on a big log each a cache miss, fetched ahead
 * by look-ahead cursors over the same rows (rpi_walk_prefetch). sasrec at
 * 20M rows, in process: 27 ns/row against 18 at 2M before. */
static void walk_users_tp(const rp_split *s, rpi_walk *far, rpi_walk *near)
{
    rpi_walk_ahead(far, near, s->user_dense, NULL, NULL, 0, s->n_users, s->ds->user_off,
                   s->ds->user_rows_tp);
}

/* The sequences of the users s->user_dense[0..n_users): each one's rows in
 * time order with keep[r] set, as item IDs iid[item]. */
static rp_status build_sequences(rp_split *s, const uint8_t *keep, const uint32_t *iid,
                                 uint64_t bound)
{
    const rp_dataset *ds = s->ds;
    s->seq_off = malloc(((size_t)s->n_users + 1) * sizeof *s->seq_off);
    s->seq = rpi_alloc_big(bound + 1, sizeof *s->seq);
    if (!s->seq_off || !s->seq)
        return RP_ERR_NOMEM;
    uint32_t len = 0;
    s->seq_off[0] = 0;
    rpi_walk far, near;
    walk_users_tp(s, &far, &near);
    for (uint32_t id = 1; id <= s->n_users; id++) {
        uint32_t u = s->user_dense[id - 1];
        for (uint32_t p = ds->user_off[u]; p < ds->user_off[u + 1]; p++) {
            rpi_walk_prefetch(&far, &near, keep, ds->item, iid, NULL);
            uint32_t r = ds->user_rows_tp[p];
            if (keep[r])
                s->seq[len++] = iid[ds->item[r]];
        }
        s->seq_off[id] = len;
    }
    s->interactions = len;
    return RP_OK;
}

/* ---- sasrec ------------------------------------------------------------- */

/* Rows are read in file order, so the per-user and per-item arrays they
 * index are read at random: on a big log each access is a cache miss unless
 * fetched ahead. AHEAD rows ahead: the user's and the item's lines. These
 * loops do little a row, so a miss's latency spans many rows: 16 left the
 * 20M-row log's keep pass waiting on the user flags. When only kept rows
 * read the arrays, only theirs are fetched (keep non-NULL). */
enum { AHEAD = 64 };

static inline void prefetch_ui(const rp_dataset *ds, uint32_t r, const void *ua, size_t usz,
                               const void *ia, size_t isz, int write, const uint8_t *keep)
{
    if ((uint64_t)r + AHEAD >= ds->n_rows || (keep != NULL && !keep[r + AHEAD]))
        return;
    const char *u = (const char *)ua + (size_t)ds->user[r + AHEAD] * usz;
    const char *i = (const char *)ia + (size_t)ds->item[r + AHEAD] * isz;
    if (write) {
        __builtin_prefetch(u, 1);
        __builtin_prefetch(i, 1);
    } else {
        __builtin_prefetch(u);
        __builtin_prefetch(i);
    }
}

/* keep[r]: surviving rows whose user and item reach the thresholds in one
 * count over the surviving rows. Returns the kept rows. The decision reads
 * one flag byte per user (uk) and item (4x less memory to read at random
 * than counters): 1 when it reaches its threshold, else 0. Without filters
 * the counts are the CSRs' row counts, and uk is written from them (cu
 * unused); with filters the users are counted into cu, whose first bytes
 * then become uk (uk == (uint8_t *)cu). The items' counters ci always become
 * their flags in place. */
static uint64_t one_pass_filter(const rp_split *s, const uint8_t *alive, uint8_t *keep,
                                uint32_t *cu, uint8_t *uk, uint32_t *ci)
{
    const rp_dataset *ds = s->ds;
    uint64_t kept = 0;
    if (alive == NULL) {
        for (uint32_t u = 0; u < ds->n_users; u++)
            uk[u] = ds->user_off[u + 1] - ds->user_off[u] >= s->p.user_k;
        for (uint32_t i = 0; i < ds->n_items; i++)
            ci[i] = ds->item_off[i + 1] - ds->item_off[i];
    } else {
        for (uint32_t r = 0; r < ds->n_rows; r++) {
            prefetch_ui(ds, r, cu, sizeof *cu, ci, sizeof *ci, 1, NULL);
            cu[ds->user[r]] += alive[r] != 0;
            ci[ds->item[r]] += alive[r] != 0;
        }
        /* in place: byte u lies in a counter at or before cu[u], read */
        for (uint32_t u = 0; u < ds->n_users; u++)
            uk[u] = cu[u] >= s->p.user_k;
    }
    uint8_t *ik = (uint8_t *)ci;
    for (uint32_t i = 0; i < ds->n_items; i++)
        ik[i] = ci[i] >= s->p.item_k;
    /* flags are 0 or 1: an AND, not a branch on a flag read at random */
    for (uint32_t r = 0; r < ds->n_rows; r++) {
        prefetch_ui(ds, r, uk, 1, ik, 1, 0, NULL);
        keep[r] = (uint8_t)(uk[ds->user[r]] & ik[ds->item[r]] & (alive == NULL || alive[r]));
        kept += keep[r];
    }
    return kept;
}

/* Users and items numbered at first appearance walking kept rows in file
 * order. A kept row's user has uk[u] = 1, set to 2 once numbered (only
 * user_dense keeps the users' order: no user ID column); iid is a zeroed
 * [I] array, the items' IDs. */
static rp_status number_by_rows(rp_split *s, const uint8_t *keep, uint8_t *uk, uint32_t *iid)
{
    const rp_dataset *ds = s->ds;
    s->user_dense = malloc(((size_t)ds->n_users + 1) * sizeof *s->user_dense);
    s->item_dense = malloc(((size_t)ds->n_items + 1) * sizeof *s->item_dense);
    if (!s->user_dense || !s->item_dense)
        return RP_ERR_NOMEM;
    for (uint32_t r = 0; r < ds->n_rows; r++) {
        prefetch_ui(ds, r, uk, 1, iid, sizeof *iid, 1, keep);
        if (!keep[r])
            continue;
        uint32_t u = ds->user[r], i = ds->item[r];
        if (uk[u] == 1) {
            s->user_dense[s->n_users++] = u;
            uk[u] = 2;
        }
        if (iid[i] == 0) {
            s->item_dense[s->n_items++] = i;
            iid[i] = s->n_items;
        }
    }
    return RP_OK;
}

rp_status rpi_split_sasrec(rp_split *s, rp_error *err)
{
    const rp_dataset *ds = s->ds;
    uint8_t *alive = NULL, *keep = NULL, *uk = NULL;
    uint32_t n_alive, *cu = NULL, *ci = NULL;
    (void)err;
    rp_status rc = rpi_filter_rows(s, &alive, &n_alive);
    if (rc == RP_OK) {
        keep = rpi_alloc_big((size_t)ds->n_rows + 1, 1);
        ci = rpi_calloc_big((size_t)ds->n_items + 1, sizeof *ci);
        /* counters only under filters: else a flag byte a user */
        if (alive != NULL)
            uk = (uint8_t *)(cu = rpi_calloc_big((size_t)ds->n_users + 1, sizeof *cu));
        else
            uk = rpi_alloc_big((size_t)ds->n_users + 1, 1);
        rc = keep && uk && ci ? RP_OK : RP_ERR_NOMEM;
    }
    uint64_t kept = 0;
    if (rc == RP_OK) {
        kept = one_pass_filter(s, alive, keep, cu, uk, ci);
        /* ci is reused, zeroed, as the item ID column */
        memset(ci, 0, sizeof *ci * ds->n_items);
        rc = number_by_rows(s, keep, uk, ci);
    }
    if (rc == RP_OK)
        rc = build_sequences(s, keep, ci, kept);
    if (rc == RP_OK)
        rc = rpi_split_user_files(s, RPI_SEQ_PAIRS);
    free(alive);
    free(keep);
    free(uk); /* cu's block when there is one */
    free(ci);
    return rc;
}

/* ---- s3rec -------------------------------------------------------------- */

/* Items numbered at first encounter along the (kept) users' time-ordered
 * kept rows; the same walk marks those rows in keep (surviving, item kept -
 * keep is read only along these users' rows) and counts them into *kept. */
static rp_status number_items_along(rp_split *s, const uint8_t *alive, const rp_kcore *kc,
                                    uint8_t *keep, uint32_t *iid, uint64_t *kept)
{
    const rp_dataset *ds = s->ds;
    s->item_dense = malloc(((size_t)kc->items + 1) * sizeof *s->item_dense);
    if (!s->item_dense)
        return RP_ERR_NOMEM;
    *kept = 0;
    rpi_walk far, near;
    walk_users_tp(s, &far, &near);
    for (uint32_t id = 1; id <= s->n_users; id++) {
        uint32_t u = s->user_dense[id - 1];
        for (uint32_t p = ds->user_off[u]; p < ds->user_off[u + 1]; p++) {
            rpi_walk_prefetch(&far, &near, alive, ds->item, iid, kc->item_kept);
            uint32_t r = ds->user_rows_tp[p], i = ds->item[r];
            keep[r] = (alive == NULL || alive[r]) && kc->item_kept[i];
            *kept += keep[r];
            if (!keep[r] || iid[i] != 0)
                continue;
            if (s->n_items == kc->items)
                return RP_ERR_INTERNAL;
            s->item_dense[s->n_items++] = i;
            iid[i] = s->n_items;
        }
    }
    return s->n_items == kc->items ? RP_OK : RP_ERR_INTERNAL;
}

rp_status rpi_split_s3rec(rp_split *s, rp_error *err)
{
    const rp_dataset *ds = s->ds;
    rp_kcore kc;
    memset(&kc, 0, sizeof kc);
    uint8_t *alive = NULL, *keep = NULL;
    uint32_t n_alive, *iid = NULL;
    uint64_t kept = 0;
    rp_status rc = rpi_filter_rows(s, &alive, &n_alive);
    if (rc == RP_OK)
        rc = rp_kcore_run(ds, alive, s->p.user_k, s->p.item_k, &kc);
    if (rc == RP_OK)
        rc = rpi_split_take_rounds(s, &kc);
    if (rc == RP_OK) {
        keep = rpi_alloc_big((size_t)ds->n_rows + 1, 1);
        iid = rpi_calloc_big((size_t)ds->n_items + 1, sizeof *iid);
        s->user_dense = malloc(((size_t)kc.users + 1) * sizeof *s->user_dense);
        rc = keep && iid && s->user_dense ? RP_OK : RP_ERR_NOMEM;
    }
    if (rc == RP_OK)
        rc = rpi_users_by_first_row(ds, alive, 0xFF, kc.user_kept, kc.users, s->user_dense,
                                    &s->n_users);
    if (rc == RP_OK)
        rc = number_items_along(s, alive, &kc, keep, iid, &kept);
    if (rc == RP_OK)
        rc = build_sequences(s, keep, iid, kept);
    if (rc == RP_OK)
        rc = rpi_split_user_files(s, RPI_SEQ_PREFIX);
    if (rc == RP_ERR_INTERNAL)
        rp_error_set(err, NULL, 0, 0, "s3rec: ID assignment disagrees with the k-core");
    free(alive);
    free(keep);
    free(iid);
    rp_kcore_cleanup(&kc);
    return rc;
}
