/*
 * server/params.c - strict query-parameter parsing.
 *
 * What: turns decoded (key, value) pairs into rp_params / kcore parameters.
 * A recipe's parameters are entirely the core's business: each pair goes to
 * rp_params_set (which knows the recipe's names, types and ranges from the
 * recipe table) and rp_params_resolve fills defaults and checks relations;
 * this file only maps the core's verdict to an error code. /kcore takes k,
 * user_k and item_k, integers >= 1, each at most once.
 * Complexity: O(n) in the number of arguments (n <= SRV_PARAMS_MAX).
 * Values follow the core's one grammar (rp_parse_count, rp_parse_quantile):
 * strtoul/strtod alone would accept signs, spaces, hex, "inf", "nan" and
 * exponents, so "k= 4", "k=+4" and "val_start=1e-1" would slip through.
 */
#include "params.h"

#include "recprep/kcore_curve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum param_id { P_K, P_USER_K, P_ITEM_K, P_COUNT };

static const char *const kcore_names[P_COUNT] = {"k", "user_k", "item_k"};

struct parsed {
    int seen[P_COUNT];
    uint32_t u[P_COUNT];
};

/* Copy a client-supplied name into dst as printable ASCII ('?' otherwise),
 * truncated, so it can go into a JSON body and a log line safely. */
static void copy_name(char *dst, size_t cap, const char *name)
{
    size_t i = 0;
    for (; name != NULL && name[i] != '\0' && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)name[i];
        dst[i] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    dst[i] = '\0';
}

/* Record an error about parameter `name`; message formatted from fmt. */
__attribute__((format(printf, 4, 5))) static int
fail(struct srv_params_error *err, const char *code, const char *name, const char *fmt, ...)
{
    err->code = code;
    copy_name(err->param, sizeof err->param, name);
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (w < 0)
        err->message[0] = '\0'; /* truncation (w >= cap) is harmless: vsnprintf terminated it */
    return -1;
}

static int find_name(const char *key)
{
    for (int i = 0; i < P_COUNT; i++)
        if (strcmp(kcore_names[i], key) == 0)
            return i;
    return -1;
}

/* Parse /kcore's arguments. */
static int parse_all(const struct srv_kv *kv, size_t n, struct parsed *p,
                     struct srv_params_error *err)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        if (i >= SRV_PARAMS_MAX)
            return fail(err, "invalid_parameter", kv[i].key,
                        "too many query parameters (at most %d)", SRV_PARAMS_MAX);
        int id = find_name(kv[i].key);
        if (id < 0)
            return fail(err, "unknown_parameter", kv[i].key, "unknown parameter '%s'", err->param);
        if (p->seen[id])
            return fail(err, "invalid_parameter", kv[i].key, "parameter %s given more than once",
                        err->param);
        if (rp_parse_count(kv[i].value, &p->u[id]) != 0)
            return fail(err, "invalid_parameter", kv[i].key, "%s must be an integer >= 1",
                        kcore_names[id]);
        p->seen[id] = 1;
    }
    return 0;
}

int srv_params_split(rp_method m, const struct srv_kv *kv, size_t n, rp_params *out,
                     struct srv_params_error *err)
{
    rp_params rp = rp_params_defaults(m);
    rp_error e;
    rp_error_clear(&e);
    for (size_t i = 0; i < n; i++) {
        if (i >= SRV_PARAMS_MAX)
            return fail(err, "invalid_parameter", kv[i].key,
                        "too many query parameters (at most %d)", SRV_PARAMS_MAX);
        rp_status st = rp_params_set(&rp, kv[i].key, kv[i].value, &e);
        if (st != RP_OK)
            return fail(err, st == RP_ERR_PARAM_UNKNOWN ? "unknown_parameter" : "invalid_parameter",
                        kv[i].key, "%s", e.message);
    }
    if (rp_params_resolve(&rp, &e) != RP_OK)
        return fail(err, "invalid_parameter", e.param, "%s", e.message);
    *out = rp;
    return 0;
}

int srv_params_kcore(const struct srv_kv *kv, size_t n, struct srv_kcore_params *out,
                     struct srv_params_error *err)
{
    struct parsed p;
    if (parse_all(kv, n, &p, err) != 0)
        return -1;
    uint32_t k = p.seen[P_K] ? p.u[P_K] : RP_KCORE_DEFAULT_K;
    out->user_k = p.seen[P_USER_K] ? p.u[P_USER_K] : k;
    out->item_k = p.seen[P_ITEM_K] ? p.u[P_ITEM_K] : k;
    return 0;
}

int srv_params_none(const struct srv_kv *kv, size_t n, struct srv_params_error *err)
{
    if (n == 0)
        return 0;
    return fail(err, "unknown_parameter", kv[0].key, "unknown parameter '%s'", err->param);
}

int srv_params_curve(const struct srv_kv *kv, size_t n, uint32_t *max_k,
                     struct srv_params_error *err)
{
    uint64_t v = RP_KCORE_CURVE_DEFAULT_K;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(kv[i].key, "max_k") != 0)
            return fail(err, "unknown_parameter", kv[i].key, "unknown parameter '%s'", err->param);
        if (i > 0)
            return fail(err, "invalid_parameter", "max_k", "parameter max_k given more than once");
        if (rp_parse_uint(kv[i].value, 1, RP_KCORE_CURVE_MAX_K, &v) != 0)
            return fail(err, "invalid_parameter", "max_k", "max_k must be an integer in 1..%u",
                        RP_KCORE_CURVE_MAX_K);
    }
    *max_k = (uint32_t)v;
    return 0;
}
