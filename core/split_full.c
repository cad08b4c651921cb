/*
 * core/split_full.c - the `full` pipeline (notebook part 2).
 *
 * Common filters (filter.c), then the k-core on every surviving row; kept
 * users get IDs in order of first surviving row - without filters the dense
 * user order itself (the interner numbers users by first appearance).
 * Item IDs follow the notebook's quirk: it walks ALL users in first-row order,
 * dropped ones included, and numbers every kept item it meets in their rows
 * (file order). So a user the k-core removed can still decide which kept item
 * is number 1 (tests/golden/full_item_order_dropped_user covers it).
 * all.txt: one line per kept user by ID over the kept rows in time order
 * (user_rows_t), i.e. one sequence file entry (uid, len, len).
 * Complexity O(n + U + I) after the k-core.
 *
 * Once every kept item has its ID the walk goes on through the users only (the
 * kept ones' order), not their rows: the kept items - the popular ones - are
 * met early, and the rows of the rest were the walk's random reads.
 * A kept user's sequence is taken in the same walk, right after its rows
 * (ids_and_sequences). The walks of users' rows read, per row, its filter
 * byte and item, then the item's ID and kept flag at random: on a big log
 * each a cache miss, fetched ahead by look-ahead cursors over the same rows
 * (walk.h, rpi_walk_prefetch).
 *
 * Rejected: walking only kept users for item IDs (the "obvious" rule, and what
 * the temporal pipeline does) - it gives different item IDs than the notebook.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "dataset_impl.h"
#include "split_impl.h"
#include "walk.h"

/* Kept rows of user u in time order, as item IDs, at out - every kept item
 * of u's rows has its ID by then (see ids_and_sequences); far and near
 * (NULL: none) walk ahead. */
static uint32_t user_sequence(const rp_dataset *ds, const uint8_t *alive, const uint32_t *iid,
                              uint32_t u, uint32_t *out, rpi_walk *far, rpi_walk *near)
{
    uint32_t len = 0;
    for (uint32_t p = ds->user_off[u]; p < ds->user_off[u + 1]; p++) {
        if (far != NULL)
            rpi_walk_prefetch(far, near, alive, ds->item, iid, NULL);
        uint32_t r = ds->user_rows_t[p];
        uint32_t id = alive == NULL || alive[r] ? iid[ds->item[r]] : 0;
        if (id != 0)
            out[len++] = id;
    }
    return len;
}

/* The sequence of the user with ID id (user_dense filled that far). */
static void add_sequence(rp_split *s, const uint8_t *alive, const uint32_t *iid, uint32_t id,
                         rpi_walk *far, rpi_walk *near)
{
    s->seq_off[id] = s->seq_off[id - 1] + user_sequence(s->ds, alive, iid, s->user_dense[id - 1],
                                                        s->seq + s->seq_off[id - 1], far, near);
}

/* Item IDs and the sequences in one walk. Users of surviving rows in
 * first-row order (all of them: the quirk), each one's surviving rows in
 * file order, give the item IDs - without filters that order is the dense
 * one (no array: 4 bytes a user of fresh memory, 4.8 MB on the 2M log, to
 * hold 0, 1, 2 ...). A kept user's sequence is taken right after its rows
 * were walked for IDs, from the lines that walk just fetched: its kept
 * items all have IDs then (from it or an earlier user). Once every kept
 * item has its ID, the kept users left get theirs from a walk of their own
 * (cursors over their time-ordered rows). seq is sized exactly: a
 * sequence's rows are its user's k-core interactions. */
static rp_status ids_and_sequences(rp_split *s, const rp_kcore *kc, const uint8_t *alive,
                                   uint32_t *iid)
{
    enum { T_AHEAD = 4 };
    const rp_dataset *ds = s->ds;
    uint32_t *order = NULL, n_order = ds->n_users;
    s->user_dense = malloc(((size_t)kc->users + 1) * sizeof *s->user_dense);
    s->item_dense = malloc(((size_t)kc->items + 1) * sizeof *s->item_dense);
    s->seq_off = malloc(((size_t)kc->users + 1) * sizeof *s->seq_off);
    s->seq = rpi_alloc_big((size_t)kc->interactions + 1, sizeof *s->seq);
    if (!s->user_dense || !s->item_dense || !s->seq_off || !s->seq)
        return RP_ERR_NOMEM;
    if (alive != NULL &&
        ((order = rpi_alloc_big((size_t)ds->n_users + 1, sizeof *order)) == NULL ||
         rpi_users_by_first_row(ds, alive, 0xFF, NULL, 0, order, &n_order) != RP_OK)) {
        free(order);
        return RP_ERR_NOMEM;
    }
    s->seq_off[0] = 0;
    rp_status st = RP_OK;
    rpi_walk far, near;
    rpi_walk_ahead(&far, &near, order, NULL, NULL, 0, n_order, ds->user_off, ds->user_rows);
    uint32_t k = 0;
    for (; k < n_order && s->n_items < kc->items && st == RP_OK; k++) {
        uint32_t u = order ? order[k] : k;
        if (k + T_AHEAD < n_order) {
            uint32_t v = order ? order[k + T_AHEAD] : k + T_AHEAD;
            __builtin_prefetch(&ds->user_rows_t[ds->user_off[v]]);
        }
        for (uint32_t p = ds->user_off[u]; p < ds->user_off[u + 1]; p++) {
            rpi_walk_prefetch(&far, &near, alive, ds->item, iid, kc->item_kept);
            uint32_t r = ds->user_rows[p], i = ds->item[r];
            if ((alive && !alive[r]) || !kc->item_kept[i] || iid[i] != 0)
                continue;
            if (s->n_items == kc->items) {
                st = RP_ERR_INTERNAL;
                break;
            }
            s->item_dense[s->n_items++] = i;
            iid[i] = s->n_items;
        }
        if (kc->user_kept[u] && s->n_users == kc->users) {
            st = RP_ERR_INTERNAL; /* more users than the k-core kept */
        } else if (kc->user_kept[u]) {
            s->user_dense[s->n_users++] = u;
            add_sequence(s, alive, iid, s->n_users, NULL, NULL);
        }
    }
    uint32_t id0 = s->n_users + 1; /* the first user whose sequence is left */
    for (; k < n_order && st == RP_OK; k++) {
        uint32_t u = order ? order[k] : k;
        if (kc->user_kept[u] && s->n_users == kc->users)
            st = RP_ERR_INTERNAL;
        else if (kc->user_kept[u])
            s->user_dense[s->n_users++] = u;
    }
    free(order);
    if (st != RP_OK || s->n_items != kc->items || s->n_users != kc->users)
        return RP_ERR_INTERNAL;
    rpi_walk_ahead(&far, &near, s->user_dense, NULL, NULL, id0 - 1, s->n_users, ds->user_off,
                   ds->user_rows_t);
    for (uint32_t id = id0; id <= s->n_users; id++)
        add_sequence(s, alive, iid, id, &far, &near);
    s->interactions = s->seq_off[s->n_users];
    return s->interactions == kc->interactions ? RP_OK : RP_ERR_INTERNAL;
}

rp_status rpi_split_full(rp_split *s, rp_error *err)
{
    rp_kcore kc;
    uint32_t *iid = NULL, alive_n;
    uint8_t *alive = NULL;
    rp_status rc = rpi_filter_rows(s, &alive, &alive_n);
    if (rc != RP_OK)
        return rc;
    rc = rp_kcore_run(s->ds, alive, s->p.user_k, s->p.item_k, &kc);
    if (rc != RP_OK) {
        free(alive);
        return rc;
    }
    rc = rpi_split_take_rounds(s, &kc);
    if (rc == RP_OK) {
        iid = rpi_calloc_big((size_t)s->ds->n_items + 1, sizeof *iid);
        rc = iid ? ids_and_sequences(s, &kc, alive, iid) : RP_ERR_NOMEM;
    }
    if (rc == RP_OK)
        rc = rpi_split_user_files(s, RPI_SEQ_PREFIX);
    if (rc == RP_ERR_INTERNAL)
        rp_error_set(err, NULL, 0, 0, "full: ID assignment disagrees with the k-core");
    free(iid);
    free(alive);
    rp_kcore_cleanup(&kc);
    return rc;
}
