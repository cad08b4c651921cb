/*
 * recprep/kcore.h - iterated k-core filtering with the reference's rounds.
 *
 * Round 0 keeps every user and item. In round r a user is kept if it has at
 * least user_k interactions (repeats counted) with items kept in round r-1;
 * an item is kept if it has at least item_k interactions with users kept in
 * round r-1 (synchronous rounds, exactly as the reference notebook). Rounds
 * stop at the first round whose (users, items) counts equal those of the
 * round before, where "before round 1" counts as (0, 0) like the notebook.
 * The trace lists rounds 1..last.
 */
#ifndef RECPREP_KCORE_H
#define RECPREP_KCORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recprep/dataset.h"
#include "recprep/error.h"

/* k when none is given for a k-core over all rows: the classic 5-core, the
 * same default as the full pipeline's. */
#define RP_KCORE_DEFAULT_K 5u

typedef struct rp_kcore_round {
    uint32_t users, items;
} rp_kcore_round;

typedef struct rp_kcore {
    uint8_t *user_kept;     /* [rp_dataset_users(ds)], 1 = kept */
    uint8_t *item_kept;     /* [rp_dataset_items(ds)], 1 = kept */
    uint32_t users, items;  /* kept counts */
    uint32_t interactions;  /* considered rows with kept user and kept item */
    rp_kcore_round *rounds; /* the trace, n_rounds entries */
    size_t n_rounds;
} rp_kcore;

/* Run k-core rounds over the rows r of ds with row_mask == NULL or
 * row_mask[r] != 0 (the splits pass the rows their filters keep). Fills *out;
 * release with rp_kcore_cleanup. user_k, item_k >= 1.
 * Returns RP_OK, RP_ERR_NOMEM, RP_ERR_PARAM. Thread-safe. */
rp_status rp_kcore_run(const rp_dataset *ds, const uint8_t *row_mask, uint32_t user_k,
                       uint32_t item_k, rp_kcore *out);

/* Free what rp_kcore_run allocated; leaves *kc zeroed. NULL-safe. */
void rp_kcore_cleanup(rp_kcore *kc);

/* The round trace as JSON, [[users, items], ...]. New reference; NULL on
 * OOM. Thread-safe. */
json_t *rp_kcore_rounds_json(const rp_kcore_round *rounds, size_t n);

/* The contract's k-core answer: {"params": {"user_k", "item_k"}, "users",
 * "items", "interactions", "rounds"} for a result of rp_kcore_run with those
 * thresholds. New reference; NULL on OOM. Thread-safe. */
json_t *rp_kcore_to_json(const rp_kcore *kc, uint32_t user_k, uint32_t item_k);

#endif
