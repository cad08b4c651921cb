/*
 * recprep/stats.h - descriptive statistics of a dataset.
 *
 * Quantiles are computed exactly over the per-user / per-item interaction
 * counts (repeats counted): median and p90 use linear interpolation between
 * closest ranks (numpy's default), so a dashboard and a notebook agree.
 * The histogram has power-of-two buckets [1,2), [2,4), [4,8), ... up to the
 * bucket holding max; empty buckets are included so a chart has no gaps.
 *
 * Interactions over time are counted per calendar month (UTC), every month
 * from the first row's to the last row's, empty ones included. A log whose
 * span exceeds RP_TIMELINE_MAX buckets (bad timestamps, centuries of data)
 * gets wider buckets of a whole number of months, so the answer stays small.
 *
 * The rating distribution lists each distinct rating with its count when
 * there are at most RP_RATING_VALUES_MAX of them (stars, half stars);
 * otherwise RP_RATING_BINS equal-width bins between min and max. Rows
 * without a rating are counted apart ("missing").
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

#define RP_TIMELINE_MAX 600
#define RP_RATING_VALUES_MAX 64
#define RP_RATING_BINS 20

typedef struct rp_timeline {
    uint32_t months_per_bucket;       /* 1 unless the span needs wider buckets */
    size_t n_buckets;                 /* 0 for an empty dataset */
    int64_t first_year;               /* the first bucket starts on first_year-first_month-01 */
    uint32_t first_month;             /* 1..12 */
    uint32_t counts[RP_TIMELINE_MAX]; /* rows per bucket */
} rp_timeline;

typedef struct rp_rating_stats {
    uint32_t rated, missing; /* rows with / without a rating */
    double min, max, mean;   /* over rated rows; 0 when none */
    int binned;              /* 0: values[] lists distinct ratings; 1: equal-width bins */
    size_t n;                /* entries used in value[] / count[] */
    double value[RP_RATING_VALUES_MAX]; /* distinct rating, ascending; or a bin's lower bound */
    uint32_t count[RP_RATING_VALUES_MAX];
} rp_rating_stats;

typedef struct rp_stats {
    uint32_t interactions, users, items;
    double density; /* interactions / (users * items), 0 when empty */
    int64_t ts_min, ts_max;
    uint32_t duplicates; /* rows repeating an earlier (user, item) pair */
    rp_history_stats user_history, item_history;
    rp_timeline timeline;
    rp_rating_stats ratings;
} rp_stats;

/* Compute statistics of ds into *out. O(n + U + I + max history length). Returns RP_OK or
 * RP_ERR_NOMEM. Thread-safe (ds is read-only). */
rp_status rp_stats_compute(const rp_dataset *ds, rp_stats *out);

/* The contract's JSON object for statistics (name, format, interactions,
 * users, items, density, timestamp{min,max}, duplicates, user_history,
 * item_history, interactions_over_time{months_per_bucket, buckets:
 * [{month:"YYYY-MM", start, count}]}, ratings{rated, missing, min, max, mean,
 * values:[{rating, count}] or bins:[{min, max, count}]}). name may be NULL (then omitted). New
 * reference; NULL on OOM. */
json_t *rp_stats_to_json(const rp_stats *st, const char *name, rp_format fmt);

#endif
