/*
 * server/params.h - strict parsing of query parameters.
 *
 * The HTTP layer hands over the decoded (key, value) pairs in request order;
 * these functions accept exactly the parameters an endpoint documents, each
 * at most once, and fill the core's parameter structs. Any problem is
 * reported with a stable error code and the parameter's name, so the reply
 * can say {"code":"invalid_parameter","parameter":"k"}.
 *
 * Pure functions over their arguments: thread-safe, no allocation.
 */
#ifndef SRV_PARAMS_H
#define SRV_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "recprep/kcore.h"
#include "recprep/split.h"

/* One decoded query argument. value is NULL for "?k" without '='. */
struct srv_kv {
    const char *key;
    const char *value;
};

#define SRV_PARAMS_MAX 16 /* more arguments than this is itself an error */

struct srv_params_error {
    const char *code; /* "invalid_parameter" or "unknown_parameter" */
    char param[64];   /* the parameter's name, sanitised to printable ASCII */
    char message[192];
};

struct srv_kcore_params {
    uint32_t user_k, item_k;
};

/* Parameters of a split summary or file for recipe m, read by the core
 * (rp_params_set: a name the recipe does not take is unknown_parameter). On
 * success *out is resolved (every default filled in: the canonical form) and
 * 0 is returned; on failure -1 with err filled. */
int srv_params_split(rp_method m, const struct srv_kv *kv, size_t n, rp_params *out,
                     struct srv_params_error *err);

/* Parameters of /kcore: k, user_k, item_k (default RP_KCORE_DEFAULT_K). */
int srv_params_kcore(const struct srv_kv *kv, size_t n, struct srv_kcore_params *out,
                     struct srv_params_error *err);

/* Parameters of /kcore/curve: max_k, 1..RP_KCORE_CURVE_MAX_K (default
 * RP_KCORE_CURVE_DEFAULT_K). */
int srv_params_curve(const struct srv_kv *kv, size_t n, uint32_t *max_k,
                     struct srv_params_error *err);

/* Endpoints without parameters: any argument is unknown_parameter. */
int srv_params_none(const struct srv_kv *kv, size_t n, struct srv_params_error *err);

#endif
