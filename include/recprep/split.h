/*
 * recprep/split.h - the `temporal` and `full` pipelines of the contract.
 *
 * rp_split_run computes everything a request or a CLI run needs - k-core,
 * ID assignment, sequences and the exact line and byte counts of every file -
 * without materialising the files. Files are produced on demand through a
 * pull cursor (cursor.h), so the summary is cheap and a download streams.
 *
 * A result holds a reference on its dataset and is immutable once built:
 * any number of threads may read it and open cursors on it concurrently.
 */
#ifndef RECPREP_SPLIT_H
#define RECPREP_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recprep/dataset.h"
#include "recprep/error.h"

typedef enum rp_method { RP_METHOD_TEMPORAL = 0, RP_METHOD_FULL } rp_method;

/* Pipeline parameters. Use rp_params_defaults, then override fields. Integers
 * set to 0 mean "unset" until rp_params_resolve fills the defaults. */
typedef struct rp_params {
    rp_method method;
    uint32_t user_k;   /* default: k (temporal 4, full 5) */
    uint32_t item_k;   /* default: k */
    uint32_t min_len;  /* temporal only; default user_k */
    double val_start;  /* temporal only; default 0.8 */
    double test_start; /* temporal only; default 0.9 */
} rp_params;

/* Parameters with every field unset (0) except method. */
rp_params rp_params_defaults(rp_method method);

/* Fill unset fields with defaults and validate (0 < val_start <= test_start < 1,
 * integers >= 1). On RP_ERR_PARAM err->param names the offending parameter
 * ("val_start", ...). After RP_OK every field is set: the canonical form. */
rp_status rp_params_resolve(rp_params *p, rp_error *err);

/* Canonical text of resolved parameters, e.g.
 * "temporal:user_k=4,item_k=4,min_len=4,val_start=0.8,test_start=0.9"
 * (doubles in shortest round-trip form). Equal texts <=> equal results for a
 * dataset: cache keys and ETags use it. Returns needed length like snprintf. */
int rp_params_canonical(const rp_params *p, char *buf, size_t cap);

/* The one grammar for numbers given as text (query strings, CLI flags, server
 * options). rp_parse_uint takes plain decimal digits (leading zeros are fine;
 * no sign, space or exponent) with a value in [lo, hi]. A count is
 * plain decimal digits with a value from 1 to UINT32_MAX (leading zeros are
 * fine; no sign, space or exponent). A quantile is digits with at most one
 * '.', at least one digit, no sign or exponent, strictly between 0 and 1.
 * Return 0 and set *out, or -1. Thread-safe. */
int rp_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int rp_parse_count(const char *s, uint32_t *out);
int rp_parse_quantile(const char *s, double *out);

/* Short name of a method: "temporal" or "full". Static string. */
const char *rp_method_name(rp_method m);

/* Parse "temporal" / "full". Returns RP_OK or RP_ERR_PARAM. */
rp_status rp_method_from_name(const char *name, rp_method *out);

typedef struct rp_split rp_split;

/* Run the pipeline on ds with resolved parameters p (rp_params_resolve is
 * applied again defensively). On success *out is a new result holding a
 * reference on ds. Complexity O(n + output lines). Thread-safe. */
rp_status rp_split_run(rp_dataset *ds, const rp_params *p, rp_split **out, rp_error *err);

/* Free a result (drops its dataset reference). NULL is a no-op. */
void rp_split_free(rp_split *s);

/* The resolved parameters. Borrowed. */
const rp_params *rp_split_params(const rp_split *s);

/* The dataset the result was computed on. Borrowed. */
const rp_dataset *rp_split_dataset(const rp_split *s);

/* Files this method offers, in a fixed order: temporal "train.txt",
 * "validation.txt", "test.txt", "users.tsv", "items.tsv"; full "all.txt",
 * "users.tsv", "items.tsv". Borrowed static array of *n names. */
const char *const *rp_split_files(const rp_split *s, size_t *n);

/* Lines and bytes of a file by name. RP_ERR_NOT_FOUND for other names. */
rp_status rp_split_file_size(const rp_split *s, const char *name, uint64_t *lines, uint64_t *bytes);

/* The summary JSON of the contract: method, params (all, defaults filled in),
 * users, items, interactions, rounds [[u,i],...], files {name: {lines, bytes}};
 * temporal adds boundaries {validation, test} and interactions {train,
 * validation, test} (after filtering). New reference; NULL on OOM. */
json_t *rp_split_summary(const rp_split *s);

/* Approximate heap bytes held by the result (for caches). */
size_t rp_split_memory(const rp_split *s);

#endif
