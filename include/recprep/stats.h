/*
 * recprep/stats.h - descriptive statistics of a dataset.
 *
 * Quantiles are computed exactly over the per-user / per-item interaction
 * counts (repeats counted): median and p90 use linear interpolation between
 * closest ranks (numpy's default), so a dashboard and a notebook agree.
 * The histogram has power-of-two buckets [1,2), [2,4), [4,8), ... up to the
 * bucket holding max; empty buckets are included so a chart has no gaps.
 */
#ifndef RECPREP_STATS_H
#define RECPREP_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recprep/dataset.h"
#include "recprep/error.h"

#define RP_HIST_BUCKETS 33

typedef struct rp_history_stats {
    uint32_t min, max;
    double mean, median, p90;
    size_t n_buckets;                    /* buckets used in counts[] */
    uint32_t bucket_lo[RP_HIST_BUCKETS]; /* inclusive lower bound, 1, 2, 4, ... */
    uint32_t bucket_hi[RP_HIST_BUCKETS]; /* inclusive upper bound, 1, 3, 7, ... */
    uint32_t counts[RP_HIST_BUCKETS];    /* users (items) whose length falls inside */
} rp_history_stats;

typedef struct rp_stats {
    uint32_t interactions, users, items;
    double density; /* interactions / (users * items), 0 when empty */
    int64_t ts_min, ts_max;
    uint32_t duplicates; /* rows repeating an earlier (user, item) pair */
    rp_history_stats user_history, item_history;
} rp_stats;

/* Compute statistics of ds into *out. O(n) plus O(U log U + I log I) for the
 * quantiles. Returns RP_OK or RP_ERR_NOMEM. Thread-safe (ds is read-only). */
rp_status rp_stats_compute(const rp_dataset *ds, rp_stats *out);

/* The contract's JSON object for statistics (name, format, interactions,
 * users, items, density, timestamp{min,max}, duplicates, user_history,
 * item_history). name may be NULL (then omitted). New reference; NULL on OOM. */
json_t *rp_stats_to_json(const rp_stats *st, const char *name, rp_format fmt);

#endif
