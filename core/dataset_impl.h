/*
 * core/dataset_impl.h - the inside of rp_dataset, shared by core modules only.
 *
 * Rows are columns in file order. Dense user/item indices are 0-based, in order
 * of first appearance. After rpi_builder_finish() the dataset also carries
 * immutable indexes that every pipeline needs, built once at load time so a
 * request never pays for them:
 *   time order  the rows' times (whole seconds) in order: for a log whose
 *               times take at most 2^16 values after the common factor is
 *               divided out (days, hours), the number of rows before each
 *               value (time_before); for any other, by_time, the row
 *               numbers stably sorted by timestamp (ties in file order).
 *               Read it through rpi_time_at and rpi_times_at;
 *   user CSR    each user's rows in file order, and again by time (stable);
 *   item CSR    each item's rows in file order.
 * Building them is O(n) (LSD radix sort on timestamps, counting sorts for the
 * CSRs); see dataset.c. One index is built on first use instead, under a
 * lock: which rows repeat a (user, item) pair (dups.c) - recprepd's
 * statistics build it at load, a CLI split only when it dedups.
 *
 * Timestamps and ratings are stored compactly when they allow it (they
 * nearly always do): timestamps as 32-bit offsets from the smallest when the
 * range fits, ratings as 1-byte codes into a table of at most 256 distinct
 * values (bit patterns; NaN is "no rating"). Read them through rpi_ts and
 * rpi_rating, never through the arrays.
 */
#ifndef RECPREP_DATASET_IMPL_H
#define RECPREP_DATASET_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "prefault.h"
#include "recprep/dataset.h"
#include "recprep/intern.h"

/* Rows that repeat a (user, item) pair (dups.c): bit r of first is set when
 * an earlier row of r's pair exists (in each user's time order at the
 * input's precision, ties in file order), of last when a later one does. */
typedef struct rpi_dups {
    uint64_t *first, *last;
    uint64_t n_dup; /* rows with a first bit = rows with a last bit */
} rpi_dups;

struct rp_dataset {
    atomic_uint refs;
    rp_format format;
    char *source;
    uint32_t n_rows, n_users, n_items;
    uint32_t *user;     /* [n_rows] dense user index */
    uint32_t *item;     /* [n_rows] dense item index */
    rp_ts_unit ts_unit; /* of ts: seconds, or ms (Amazon 2023 JSON) */
    int64_t *ts;        /* [n_rows] Unix time in ts_unit, as in the input; or NULL: */
    uint32_t *ts32;     /* [n_rows] ts - ts_base, when the range fits 32 bits */
    int64_t ts_base;
    double *rating;   /* [n_rows]; NAN where the row has no rating; or NULL: */
    uint8_t *rating8; /* [n_rows] codes into rating_dict */
    double rating_dict[256];
    rp_intern *user_ids, *item_ids; /* sealed: lookups by index only */
    uint64_t fingerprint;           /* once fp_ready (at load, or lazily) */
    atomic_int fp_ready;
    /* indexes */
    uint32_t *by_time;     /* [n_rows], or NULL when time_before is set */
    uint32_t *time_before; /* [time_keys + 1]: rows whose time key is below k */
    uint32_t time_keys;
    int64_t time_lo;             /* time key k is time_lo + (k * time_odd << time_shift) s */
    uint64_t time_odd, time_inv; /* time_inv: time_odd's inverse mod 2^64 */
    unsigned time_shift;
    uint32_t *user_off;     /* [n_users + 1] */
    uint32_t *user_rows;    /* [n_rows] file order within each user */
    uint32_t *user_rows_t;  /* [n_rows] time order in whole seconds (stable) within each user */
    uint32_t *user_rows_tp; /* [n_rows] time order at ts_unit precision (stable); the same
                               array as user_rows_t when ts_unit is seconds */
    uint32_t *item_off;     /* [n_items + 1] */
    uint32_t *item_rows;    /* [n_rows] file order within each item */
    /* built on first use (rpi_dataset_dups; and the fingerprint of a
     * dataset loaded with lazy_fingerprint), under lazy_mu */
    pthread_mutex_t lazy_mu;
    _Atomic(rpi_dups *) dups;
};

/*
 * The builder (builder.c): what a loader appends rows to. It owns two
 * interners and growing columns; rpi_builder_finish turns it into a dataset
 * (consuming it). One thread at a time.
 */
struct rpi_bintern;

typedef struct rpi_builder {
    rp_intern *users, *items;
    struct rpi_bintern *ubatch; /* the parallel load's users after its first
                                   chunk (intern_batch.h): rows from there on
                                   get their user index when it flushes */
    size_t batch_rows;          /* its batch; 0: chosen from the size */
    int lazy_fp;                /* the fingerprint on demand (rp_load_opts) */
    uint32_t *user, *item;
    int32_t *tsd;     /* timestamps as differences from the first row's (ts_first) */
    int64_t ts_first; /* while every row's fits 32 bits (seconds: within 68 years), */
    int64_t *ts;      /* then as they are (tsd NULL) */
    uint8_t *rating8; /* ratings as codes into rdict while <= 256 distinct, */
    double *rating;   /* then as doubles (rating8 NULL) */
    double rdict[256];
    uint16_t rslot[512]; /* open addressing on the bits: code + 1, 0 empty */
    unsigned n_rdict;
    uint32_t n, cap;
    rp_ts_unit ts_unit; /* set by the loader; seconds unless it says otherwise */
} rpi_builder;

/* Initialise with a row-count hint (0 is fine). RP_OK or RP_ERR_NOMEM. */
rp_status rpi_builder_init(rpi_builder *b, size_t expected_rows);

/* The same, the user interner sized for user_rows rows only (the parallel
 * load's first chunk, when the users of the rows after it are to go to
 * ubatch: see rpi_builder_user_rows). */
rp_status rpi_builder_init_users(rpi_builder *b, size_t expected_rows, size_t user_rows);

/* Rows to size the user interner for, when the parallel load's first chunk
 * is about first_rows of expected_rows: all of them, unless the merge will
 * take the later users into a batch interner (a big load). */
size_t rpi_builder_user_rows(size_t expected_rows, size_t first_rows);

/* Append one row. IDs are byte slices. RP_OK, RP_ERR_NOMEM or RP_ERR_LIMIT. */
rp_status rpi_builder_add(rpi_builder *b, const char *user, size_t ulen, const char *item,
                          size_t ilen, int64_t ts, double rating);

/* rpi_builder_add with the IDs' rp_intern_hash values known. */
rp_status rpi_builder_add_h(rpi_builder *b, const char *user, size_t ulen, uint64_t uhash,
                            const char *item, size_t ilen, uint64_t ihash, int64_t ts,
                            double rating);

/* Rows parsed but not interned: what the parallel load's later chunks hand
 * to the merger (load_par.c), so that each ID is interned once, into the
 * dataset's interners, instead of into a chunk's and then again. The IDs are
 * copied back to back into bytes: user r is bytes[off[2r] .. off[2r+1]),
 * item r bytes[off[2r+1] .. off[2r+2]). */
typedef struct rpi_rowbuf {
    uint32_t n, cap;
    uint64_t *uh, *ih; /* [cap] the IDs' rp_intern_hash */
    uint32_t *off;     /* [2 cap + 1] */
    int64_t *ts;       /* [cap] */
    double *rating;    /* [cap] */
    char *bytes;
    size_t len, bcap;
} rpi_rowbuf;

/* Reserve room for about rows rows (a hint: a failure is not an error). */
void rpi_rowbuf_reserve(rpi_rowbuf *rb, size_t rows);

/* Append one row. RP_OK, RP_ERR_NOMEM or RP_ERR_LIMIT (over 4 GB of ID
 * bytes, or of rows, in one buffer). */
rp_status rpi_rowbuf_add(rpi_rowbuf *rb, const char *user, size_t ulen, uint64_t uhash,
                         const char *item, size_t ilen, uint64_t ihash, int64_t ts, double rating);

/* Empty it for reuse, keeping its memory; or free everything. */
void rpi_rowbuf_reset(rpi_rowbuf *rb);
void rpi_rowbuf_cleanup(rpi_rowbuf *rb);

/* Append rb's rows to b in order, interning their IDs into b's (order of
 * first appearance kept). rb is left as it was. RP_OK, RP_ERR_NOMEM or
 * RP_ERR_LIMIT. */
rp_status rpi_builder_append_rows(rpi_builder *b, const rpi_rowbuf *rb);

/* Free everything a builder holds (after failure). Safe after finish. */
void rpi_builder_cleanup(rpi_builder *b);

/* The builder's growing buffers (columns, the batch interner's arena and
 * records) for a prefaulter (prefault.h): at most max into out; returns
 * how many. */
size_t rpi_builder_regions(const rpi_builder *b, rpi_region *out, size_t max);

/* Turn the builder into a dataset with one reference: seals the interners,
 * computes the fingerprint and builds the indexes. The builder is emptied
 * whatever the outcome. RP_ERR_PARSE (via err, with source) when there are no
 * rows. */
rp_status rpi_builder_finish(rpi_builder *b, rp_format fmt, const char *source, rp_dataset **out,
                             rp_error *err);

/* Make a dataset (one reference) from a finished builder's columns and
 * interners (n > 0), build its indexes and fingerprint. The
 * builder is emptied whatever the outcome. dataset.c. */
rp_status rpi_dataset_adopt(rpi_builder *b, rp_format fmt, const char *source, rp_dataset **out,
                            rp_error *err);

/* Row r's timestamp in ts_unit, as in the input. */
static inline int64_t rpi_ts(const rp_dataset *ds, uint32_t r)
{
    return ds->ts32 ? ds->ts_base + (int64_t)ds->ts32[r] : ds->ts[r];
}

/* Fetch row r's timestamp into the cache (a walk's look-ahead). */
static inline void rpi_ts_prefetch(const rp_dataset *ds, uint32_t r)
{
    if (ds->ts32)
        __builtin_prefetch(&ds->ts32[r]);
    else
        __builtin_prefetch(&ds->ts[r]);
}

/* Row r's rating; NAN for none. */
static inline double rpi_rating(const rp_dataset *ds, uint32_t r)
{
    return ds->rating8 ? ds->rating_dict[ds->rating8[r]] : ds->rating[r];
}

/* A timestamp t of ds's unit in whole seconds: floor(ms / 1000) for
 * millisecond datasets, as the contract's temporal/full pipelines and
 * filters compare. */
static inline int64_t rpi_sec_of(const rp_dataset *ds, int64_t t)
{
    if (ds->ts_unit == RP_TS_SECONDS)
        return t;
    int64_t q = t / 1000;
    return (t % 1000 < 0) ? q - 1 : q;
}

/* Row r's timestamp in whole seconds (rpi_sec_of). */
static inline int64_t rpi_ts_sec(const rp_dataset *ds, uint32_t r)
{
    return rpi_sec_of(ds, rpi_ts(ds, r));
}

/* The time (whole seconds) of the idx-th row in time order (idx < n_rows). */
int64_t rpi_time_at(const rp_dataset *ds, size_t idx);

/* Rows from the idx-th in time order on (at least 1) that share its time
 * (all of them, or just 1: a caller walks the order in runs of these). */
uint32_t rpi_time_run(const rp_dataset *ds, size_t idx);

/* The times (whole seconds) of the idx[j]-th rows in time order among the
 * rows with alive[r] != 0 (every row when alive is NULL), idx[j] below
 * their count, for j < n: sec[j]. RP_OK or RP_ERR_NOMEM. */
rp_status rpi_times_at(const rp_dataset *ds, const uint8_t *alive, const size_t *idx, size_t n,
                       int64_t *sec);

/* A row under a time key, ordered as the time order orders rows: by key, ties in
 * file order. rpi_by_time_row is a qsort comparator for arrays of structs
 * that begin with one (dataset.c). */
typedef struct rpi_time_row {
    int64_t key;
    uint32_t row;
} rpi_time_row;

int rpi_by_time_row(const void *a, const void *b);

/* A CSR of n rows by keycol (< nkeys): off[nkeys + 1], rows[n] the rows of
 * each key in file order, carried[n] (when carry is given) carry[row] in the
 * same places. part_rows > 0 builds it partitioned, in buckets of about
 * that many rows (dataset.c); 0 directly. Exposed for the tests. */
void rpi_build_csr(uint32_t n, const uint32_t *keycol, uint32_t nkeys, uint32_t *off,
                   uint32_t *rows, const uint32_t *carry, uint32_t *carried, uint32_t part_rows);

/* The dataset's duplicate index, built by the first caller (thread-safe);
 * NULL when out of memory. */
const rpi_dups *rpi_dataset_dups(const rp_dataset *ds);
void rpi_dups_free(rpi_dups *d);

static inline int rpi_bit(const uint64_t *bits, uint32_t r)
{
    return (int)((bits[r >> 6] >> (r & 63)) & 1u);
}

#endif
