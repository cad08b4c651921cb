/*
 * core/kcore_curve.c - the k-core survival curve for k = 1..max_k in one pass.
 *
 * Cores are nested: every user and item of the (k+1)-core has at least k+1
 * >= k interactions inside it, so it lies inside the k-core (the k-core is
 * the largest such set). The final sets do not depend on the order in which
 * under-threshold users and items are removed (the core is the greatest
 * fixed point of "keep whoever reaches k"), so rp_kcore_run's synchronous
 * rounds and the plain peeling queue used here end in the same sets; only
 * the round trace differs, and the curve does not report one.
 *
 * So k+1 starts from the k-core: per user the rows whose item is still kept
 * (ucnt), per item the rows whose user is still kept (icnt); every kept one
 * below k+1 is removed and pushed, and removing one decrements its kept
 * neighbours, which may fall below k+1 in turn. Every user and item is
 * removed at most once over all k, so the CSR walks cost O(E) in total; the
 * scans for new removals walk compacted lists of the kept, O(U + I) per k at
 * worst and far less once the core shrinks (a sparse log loses most users at
 * k = 2). Interactions of a core = sum of ucnt over kept users.
 * Measured on the 2,023,070-row generated log (tests/bench/bench_curve.sh):
 * see the README's benchmark table.
 *
 * Rejected: max_k separate rp_kcore_run calls (each starts from all rows:
 * O(E * max_k), ~20x the work for the default curve).
 */
#include "recprep/kcore_curve.h"

#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "mem.h"

typedef struct cstate {
    const rp_dataset *ds;
    uint32_t *ucnt, *icnt;   /* rows whose other side is kept */
    uint8_t *ukept, *ikept;  /* 1 = in the current core */
    uint32_t *ulist, *ilist; /* the kept, compacted after each k */
    size_t un, in;
    uint32_t *ustack, *istack; /* removed, neighbours not yet updated */
    size_t usp, isp;
} cstate;

static rp_status cstate_init(cstate *st, const rp_dataset *ds)
{
    size_t nu = ds->n_users, ni = ds->n_items;
    memset(st, 0, sizeof *st);
    st->ds = ds;
    st->ucnt = rpi_alloc_big(nu + 1, sizeof *st->ucnt);
    st->icnt = rpi_alloc_big(ni + 1, sizeof *st->icnt);
    st->ukept = rpi_alloc_big(nu + 1, 1);
    st->ikept = rpi_alloc_big(ni + 1, 1);
    st->ulist = rpi_alloc_big(nu + 1, sizeof *st->ulist);
    st->ilist = rpi_alloc_big(ni + 1, sizeof *st->ilist);
    st->ustack = rpi_alloc_big(nu + 1, sizeof *st->ustack);
    st->istack = rpi_alloc_big(ni + 1, sizeof *st->istack);
    if (!st->ucnt || !st->icnt || !st->ukept || !st->ikept || !st->ulist || !st->ilist ||
        !st->ustack || !st->istack)
        return RP_ERR_NOMEM;
    /* The 1-core is everything: every user and item has a row. */
    for (uint32_t u = 0; u < ds->n_users; u++) {
        st->ucnt[u] = ds->user_off[u + 1] - ds->user_off[u];
        st->ukept[u] = 1;
        st->ulist[u] = u;
    }
    for (uint32_t i = 0; i < ds->n_items; i++) {
        st->icnt[i] = ds->item_off[i + 1] - ds->item_off[i];
        st->ikept[i] = 1;
        st->ilist[i] = i;
    }
    st->un = nu;
    st->in = ni;
    return RP_OK;
}

static void cstate_cleanup(cstate *st)
{
    free(st->ucnt);
    free(st->icnt);
    free(st->ukept);
    free(st->ikept);
    free(st->ulist);
    free(st->ilist);
    free(st->ustack);
    free(st->istack);
}

/* Remove every kept one in list[0..n) whose count is below k. */
static void seed(const uint32_t *list, size_t n, const uint32_t *cnt, uint8_t *kept, uint32_t k,
                 uint32_t *stack, size_t *sp)
{
    for (size_t x = 0; x < n; x++) {
        uint32_t v = list[x];
        if (cnt[v] < k) {
            kept[v] = 0;
            stack[(*sp)++] = v;
        }
    }
}

/* A removed node's rows leave its kept neighbours' counts (one side). */
static void unlink_rows(const uint32_t *off, const uint32_t *rows, const uint32_t *other,
                        uint32_t v, uint32_t *ncnt, uint8_t *nkept, uint32_t k, uint32_t *nstack,
                        size_t *nsp)
{
    for (uint32_t p = off[v]; p < off[v + 1]; p++) {
        uint32_t w = other[rows[p]];
        if (nkept[w] && --ncnt[w] < k) {
            nkept[w] = 0;
            nstack[(*nsp)++] = w;
        }
    }
}

static void peel(cstate *st, uint32_t k)
{
    const rp_dataset *ds = st->ds;
    seed(st->ulist, st->un, st->ucnt, st->ukept, k, st->ustack, &st->usp);
    seed(st->ilist, st->in, st->icnt, st->ikept, k, st->istack, &st->isp);
    while (st->usp > 0 || st->isp > 0) {
        while (st->usp > 0)
            unlink_rows(ds->user_off, ds->user_rows, ds->item, st->ustack[--st->usp], st->icnt,
                        st->ikept, k, st->istack, &st->isp);
        while (st->isp > 0)
            unlink_rows(ds->item_off, ds->item_rows, ds->user, st->istack[--st->isp], st->ucnt,
                        st->ukept, k, st->ustack, &st->usp);
    }
}

/* Drop the removed from a list; returns the new length. */
static size_t compact(uint32_t *list, size_t n, const uint8_t *kept)
{
    size_t m = 0;
    for (size_t x = 0; x < n; x++)
        if (kept[list[x]])
            list[m++] = list[x];
    return m;
}

static rp_kcore_point point(cstate *st, uint32_t k)
{
    st->un = compact(st->ulist, st->un, st->ukept);
    st->in = compact(st->ilist, st->in, st->ikept);
    uint32_t rows = 0;
    for (size_t x = 0; x < st->un; x++)
        rows += st->ucnt[st->ulist[x]];
    return (rp_kcore_point){k, (uint32_t)st->un, (uint32_t)st->in, rows};
}

rp_status rp_kcore_curve(const rp_dataset *ds, uint32_t max_k, rp_kcore_point *out)
{
    if (max_k == 0 || max_k > RP_KCORE_CURVE_MAX_K)
        return RP_ERR_PARAM;
    cstate st;
    rp_status rc = cstate_init(&st, ds);
    for (uint32_t k = 1; rc == RP_OK && k <= max_k; k++) {
        if (st.un > 0 || st.in > 0)
            peel(&st, k);
        out[k - 1] = point(&st, k);
    }
    cstate_cleanup(&st);
    return rc;
}

json_t *rp_kcore_curve_to_json(const rp_kcore_point *pts, uint32_t max_k)
{
    json_t *curve = json_array();
    for (uint32_t x = 0; curve != NULL && x < max_k; x++) {
        json_t *o = json_pack("{sIsIsIsI}", "k", (json_int_t)pts[x].k, "users",
                              (json_int_t)pts[x].users, "items", (json_int_t)pts[x].items,
                              "interactions", (json_int_t)pts[x].interactions);
        if (o == NULL || json_array_append_new(curve, o) != 0)
            json_decref(curve), curve = NULL;
    }
    if (curve == NULL)
        return NULL;
    return json_pack("{sIso}", "max_k", (json_int_t)max_k, "curve", curve);
}
