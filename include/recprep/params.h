/*
 * recprep/params.h - recipe parameters: the one place their rules live.
 *
 * Every recipe (recipe.h) takes a fixed list of parameters from one table of
 * names and types. Adapters hand the core the text a user typed (a query
 * string value, a CLI flag) through rp_params_set, which applies the one
 * number grammar, refuses names the recipe does not take and repeated names;
 * rp_params_resolve then fills defaults and checks relations between fields
 * (val_start <= test_start, since < until, ...). The resolved struct is the
 * canonical form: rp_params_canonical prints it (cache keys, ETags,
 * provenance) and rp_params_to_json is the summary's "params".
 *
 * `k` is a shorthand: it sets user_k and item_k unless those are given too.
 * For the az23 recipes k = 0 turns the k-core off.
 *
 * All functions are pure over their arguments: thread-safe, no allocation
 * except the JSON ones.
 */
#ifndef RECPREP_PARAMS_H
#define RECPREP_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recprep/error.h"

/* The recipes (recipe.h has their table). "method" is the historical name. */
typedef enum rp_method {
    RP_METHOD_TEMPORAL = 0,  /* the notebook, part 1 */
    RP_METHOD_FULL,          /* the notebook, part 2 */
    RP_METHOD_SASREC,        /* kang205/SASRec DataProcessing.py */
    RP_METHOD_S3REC,         /* RUCAIBox/CIKM2020-S3Rec data_process.py */
    RP_METHOD_AZ23_LAST_OUT, /* hyp1231/AmazonReviews2023 last_out_split.py */
    RP_METHOD_AZ23_TIMESTAMP /* hyp1231/AmazonReviews2023 timestamp_split.py */
} rp_method;

#define RP_METHOD_COUNT 6

typedef enum rp_param_id {
    RP_PARAM_K = 0,
    RP_PARAM_USER_K,
    RP_PARAM_ITEM_K,
    RP_PARAM_MIN_LEN,
    RP_PARAM_VAL_START,
    RP_PARAM_TEST_START,
    RP_PARAM_VAL_TIME,
    RP_PARAM_TEST_TIME,
    RP_PARAM_MAX_LEN,
    RP_PARAM_MIN_RATING, /* the common filters, in their order */
    RP_PARAM_SINCE,
    RP_PARAM_UNTIL,
    RP_PARAM_DEDUP,
    RP_PARAM_COUNT
} rp_param_id;

/* How a parameter's text is read (rp_parse_* below). */
typedef enum rp_param_type {
    RP_PT_COUNT,    /* integer >= 1 */
    RP_PT_UINT,     /* integer >= 0 */
    RP_PT_QUANTILE, /* decimal strictly between 0 and 1 */
    RP_PT_DECIMAL,  /* decimal >= 0 */
    RP_PT_TIME,     /* integer Unix time >= 0 (seconds or ms, see the name) */
    RP_PT_DEDUP     /* none | first | last */
} rp_param_type;

typedef enum rp_dedup { RP_DEDUP_NONE = 0, RP_DEDUP_FIRST, RP_DEDUP_LAST } rp_dedup;

/* Parameters of one run. Start from rp_params_defaults and set fields with
 * rp_params_set (or directly: integer fields at 0 and quantiles at 0.0 mean
 * "unset"); the `given` bits record what rp_params_set saw. */
typedef struct rp_params {
    rp_method method;
    uint32_t given;              /* bit (1u << rp_param_id) per parameter set */
    uint32_t k;                  /* as given (the shorthand); see user_k */
    uint32_t user_k, item_k;     /* resolved: both 0 = no k-core (az23 k=0) */
    uint32_t min_len;            /* temporal; default user_k */
    double val_start;            /* temporal; default 0.8 */
    double test_start;           /* temporal; default 0.9 */
    int64_t val_time, test_time; /* az23-timestamp, ms */
    uint32_t max_len;            /* 0 = lines are not cut (temporal, full) */
    double min_rating;           /* with bit RP_PARAM_MIN_RATING */
    int64_t since, until;        /* seconds, with their bits */
    rp_dedup dedup;
} rp_params;

/* Every field unset except method. */
rp_params rp_params_defaults(rp_method method);

/* Does the recipe take this parameter? */
int rp_params_takes(rp_method m, rp_param_id id);

/* Name of a parameter ("user_k"); static string. */
const char *rp_param_name(rp_param_id id);

/* Set parameter `name` from text. RP_ERR_PARAM_UNKNOWN when the recipe does
 * not take it, RP_ERR_PARAM when the value is malformed or out of range or
 * the name was set already; err->param names it either way. */
rp_status rp_params_set(rp_params *p, const char *name, const char *value, rp_error *err);

/* Fill unset fields with the recipe's defaults and validate relations.
 * RP_ERR_PARAM with err->param naming the offending parameter. After RP_OK
 * every field the recipe uses is set: the canonical form. Idempotent. */
rp_status rp_params_resolve(rp_params *p, rp_error *err);

/* Canonical text of resolved parameters, e.g.
 * "temporal:user_k=4,item_k=4,min_len=4,val_start=0.8,test_start=0.9"; the
 * filters follow when given. Equal texts <=> equal results for a dataset.
 * Returns the needed length like snprintf. */
int rp_params_canonical(const rp_params *p, char *buf, size_t cap);

/* The summary's "params": every parameter of the recipe, defaults filled
 * in, null for filters not given; "k" is null when user_k != item_k.
 * New reference; NULL on OOM. */
json_t *rp_params_to_json(const rp_params *p);

/* The one grammar for numbers given as text (query strings, CLI flags, server
 * options). rp_parse_uint takes plain decimal digits (leading zeros are fine;
 * no sign, space or exponent) with a value in [lo, hi]. A count is plain
 * decimal digits from 1 to UINT32_MAX. A decimal is digits with at most one
 * '.', at least one digit, no sign or exponent; a quantile is a decimal
 * strictly between 0 and 1. Return 0 and set *out, or -1. Thread-safe. */
int rp_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int rp_parse_count(const char *s, uint32_t *out);
int rp_parse_decimal(const char *s, double *out);
int rp_parse_quantile(const char *s, double *out);

#endif
