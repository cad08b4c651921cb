/*
 * recprep/generate.h - a deterministic Amazon-like interaction log.
 *
 * Heavy-tailed user activity and item popularity, day-resolution timestamps,
 * some repeated (user, item) pairs, rows grouped by item like Amazon's
 * ratings_*.csv. The same parameters give the same bytes on every machine
 * (own PRNG, no libc rand, integer arithmetic for anything that is printed).
 * With the defaults it has the shape of ratings_Beauty.csv: 2,023,070 rows,
 * about 1.2M users and 0.2-0.25M items.
 */
#ifndef RECPREP_GENERATE_H
#define RECPREP_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "recprep/error.h"

typedef struct rp_gen_params {
    uint64_t rows;  /* default 2023070 */
    uint32_t users; /* user population to draw from; default 1210271 */
    uint32_t items; /* item population to draw from; default 249274 */
    uint64_t seed;  /* default 42 */
    uint32_t days;  /* span of timestamps in days; default 5000 */
} rp_gen_params;

/* The defaults above. */
rp_gen_params rp_gen_defaults(void);

/* The defaults scaled to `rows` rows: users and items keep the defaults'
 * ratios to rows (at least 1 each), so a smaller log has the same shape. */
rp_gen_params rp_gen_for_rows(uint64_t rows);

/* Validate p (rows >= 1, users >= 1, items >= 1, days >= 1, rows <= 1e9).
 * RP_ERR_PARAM with err->param set otherwise. */
rp_status rp_gen_check(const rp_gen_params *p, rp_error *err);

/* Generate the log as amazon-csv text into a new malloc'd buffer (*out,
 * *len; caller frees). Thread-safe. */
rp_status rp_generate(const rp_gen_params *p, char **out, size_t *len, rp_error *err);

/* Generate straight to a file (created/truncated). RP_ERR_IO names path. */
rp_status rp_generate_file(const rp_gen_params *p, const char *path, rp_error *err);

#endif
