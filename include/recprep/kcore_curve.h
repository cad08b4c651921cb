/*
 * recprep/kcore_curve.h - the k-core survival curve: how many users, items
 * and interactions the k-core keeps for k = 1, 2, ..., max_k.
 *
 * Each point is the final core of rp_kcore_run(ds, NULL, k, k) (users and
 * items with at least k interactions, repeats counted, inside the core);
 * the round traces are not part of the curve (ask rp_kcore_run for one k).
 */
#ifndef RECPREP_KCORE_CURVE_H
#define RECPREP_KCORE_CURVE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recprep/dataset.h"
#include "recprep/error.h"

/* max_k when none is given, and the largest accepted. */
#define RP_KCORE_CURVE_DEFAULT_K 20u
#define RP_KCORE_CURVE_MAX_K 1000u

typedef struct rp_kcore_point {
    uint32_t k;
    uint32_t users, items, interactions;
} rp_kcore_point;

/* Fill out[0..max_k) with the cores for k = 1..max_k (out[k-1] is k).
 * 1 <= max_k <= RP_KCORE_CURVE_MAX_K. O(E + (U + I) * max_k) in the worst
 * case, in one pass over k: each core starts from the previous one.
 * Returns RP_OK, RP_ERR_PARAM or RP_ERR_NOMEM. Thread-safe (ds read-only). */
rp_status rp_kcore_curve(const rp_dataset *ds, uint32_t max_k, rp_kcore_point *out);

/* {"max_k": K, "curve": [{"k","users","items","interactions"}, ...]}.
 * New reference; NULL on OOM. */
json_t *rp_kcore_curve_to_json(const rp_kcore_point *pts, uint32_t max_k);

#endif
