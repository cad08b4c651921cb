/*
 * recprep/dataset.h - an immutable, loaded interaction log.
 *
 * A dataset is rows (user, item, timestamp, rating) in file order, with user
 * and item raw IDs interned into dense 0-based indices in order of first
 * appearance. After loading it never changes, so any number of threads may
 * read it at once; it is reference-counted so that a result or a stream can
 * keep it alive (rp_dataset_ref / rp_dataset_unref are atomic).
 *
 * Dense indices (0-based) are what the core works on; the 1-based IDs written
 * to output files are assigned by the pipelines (see split.h).
 */
#ifndef RECPREP_DATASET_H
#define RECPREP_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "recprep/error.h"

typedef struct rp_dataset rp_dataset;

/* Input formats of the contract. RP_FORMAT_AUTO asks the loader to detect. */
typedef enum rp_format {
    RP_FORMAT_AUTO = 0,
    RP_FORMAT_AMAZON_CSV,            /* user,item,rating,timestamp */
    RP_FORMAT_AMAZON_CSV_ITEM_FIRST, /* item,user,rating,timestamp */
    RP_FORMAT_AMAZON_JSON,           /* JSON lines, 2014/2018 or 2023 keys */
    RP_FORMAT_MOVIELENS_TSV,         /* user\titem\trating\ttimestamp */
    RP_FORMAT_MOVIELENS_DAT,         /* user::item::rating::timestamp */
    RP_FORMAT_CSV_HEADER             /* CSV with a header naming the columns */
} rp_format;

/* The unit of a dataset's timestamps: the input's own precision. */
typedef enum rp_ts_unit {
    RP_TS_SECONDS = 0, /* every format but the Amazon 2023 JSON layout */
    RP_TS_MILLIS       /* Amazon 2023 JSON lines ("timestamp" in ms) */
} rp_ts_unit;

/* Parse a contract format name ("amazon-csv", ...). Returns RP_OK or
 * RP_ERR_FORMAT (err says which names exist). "auto" gives RP_FORMAT_AUTO. */
rp_status rp_format_from_name(const char *name, rp_format *out, rp_error *err);

/* The contract name of a format ("auto" for RP_FORMAT_AUTO). Static string. */
const char *rp_format_name(rp_format fmt);

/* Take one more reference. Returns ds. Thread-safe. */
rp_dataset *rp_dataset_ref(rp_dataset *ds);

/* Drop a reference; frees the dataset when it was the last. NULL is a no-op.
 * Thread-safe. */
void rp_dataset_unref(rp_dataset *ds);

/* Counts. Thread-safe, O(1). */
uint32_t rp_dataset_rows(const rp_dataset *ds);
uint32_t rp_dataset_users(const rp_dataset *ds);
uint32_t rp_dataset_items(const rp_dataset *ds);

/* The format the data was parsed as (never RP_FORMAT_AUTO). */
rp_format rp_dataset_format(const rp_dataset *ds);

/* The unit of the dataset's timestamps. Thread-safe, O(1). */
rp_ts_unit rp_dataset_ts_unit(const rp_dataset *ds);

/* The path (or name) the dataset was loaded from. Borrowed, lives as long as ds. */
const char *rp_dataset_source(const rp_dataset *ds);

/* A 64-bit fingerprint of the parsed content (format + every row), stable across
 * runs and machines: equal fingerprints mean equal results. For ETags. */
uint64_t rp_dataset_fingerprint(const rp_dataset *ds);

/* Raw ID string of dense user/item index idx (< rp_dataset_users/items).
 * Borrowed pointer into the dataset's arena, NOT NUL-terminated: *len is set.
 * Thread-safe. */
const char *rp_dataset_user_raw(const rp_dataset *ds, uint32_t idx, size_t *len);
const char *rp_dataset_item_raw(const rp_dataset *ds, uint32_t idx, size_t *len);

/* Build a dataset from in-memory rows (tests, generators, embedders). users[r]
 * and items[r] are NUL-terminated raw IDs; ts are Unix seconds; ratings may be
 * NULL (no row has a rating; NAN marks one row without). Interns and indexes
 * exactly as the loader does. On success *out holds one reference. */
rp_status rp_dataset_from_rows(const char *const *users, const char *const *items,
                               const int64_t *ts, const double *ratings, uint32_t n,
                               rp_dataset **out, rp_error *err);

/* The same with timestamps in `unit`. */
rp_status rp_dataset_from_rows_unit(const char *const *users, const char *const *items,
                                    const int64_t *ts, const double *ratings, uint32_t n,
                                    rp_ts_unit unit, rp_dataset **out, rp_error *err);

#endif
