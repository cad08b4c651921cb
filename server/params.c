/*
 * server/params.c - strict query-parameter parsing.
 *
 * What: turns decoded (key, value) pairs into rp_params / kcore parameters.
 * Invariants: an endpoint accepts only the names in `specs` that apply to it;
 * each at most once; integers are plain decimal >= 1 that fit in uint32_t;
 * quantiles are plain decimals strictly inside (0, 1). The relation
 * val_start <= test_start and the defaults are the core's business
 * (rp_params_resolve), so the server never restates pipeline rules.
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

enum param_id { P_K, P_USER_K, P_ITEM_K, P_MIN_LEN, P_VAL_START, P_TEST_START, P_COUNT };

static const struct spec {
    const char *name;
    int quantile;      /* 1: decimal in (0,1); 0: integer >= 1 */
    int temporal_only; /* only temporal splits accept it */
} specs[P_COUNT] = {
    [P_K] = {"k", 0, 0},
    [P_USER_K] = {"user_k", 0, 0},
    [P_ITEM_K] = {"item_k", 0, 0},
    [P_MIN_LEN] = {"min_len", 0, 1},
    [P_VAL_START] = {"val_start", 1, 1},
    [P_TEST_START] = {"test_start", 1, 1},
};

struct parsed {
    int seen[P_COUNT];
    uint32_t u[P_COUNT];
    double d[P_COUNT];
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

static int find_spec(const char *key)
{
    for (int i = 0; i < P_COUNT; i++)
        if (strcmp(specs[i].name, key) == 0)
            return i;
    return -1;
}

static int parse_value(int id, const char *value, struct parsed *p, struct srv_params_error *err)
{
    const char *name = specs[id].name;
    if (specs[id].quantile) {
        if (rp_parse_quantile(value, &p->d[id]) != 0)
            return fail(err, "invalid_parameter", name, "%s must be a decimal with 0 < %s < 1",
                        name, name);
    } else if (rp_parse_count(value, &p->u[id]) != 0) {
        return fail(err, "invalid_parameter", name, "%s must be an integer >= 1", name);
    }
    p->seen[id] = 1;
    return 0;
}

/* Parse every argument; `temporal` says whether temporal-only names apply,
 * `kcore` whether min_len & co. exist at all for the endpoint. */
static int parse_all(const struct srv_kv *kv, size_t n, int temporal, int kcore, struct parsed *p,
                     struct srv_params_error *err)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        if (i >= SRV_PARAMS_MAX)
            return fail(err, "invalid_parameter", kv[i].key,
                        "too many query parameters (at most %d)", SRV_PARAMS_MAX);
        int id = find_spec(kv[i].key);
        if (id < 0 || (kcore && specs[id].temporal_only))
            return fail(err, "unknown_parameter", kv[i].key, "unknown parameter '%s'", err->param);
        if (specs[id].temporal_only && !temporal)
            return fail(err, "unknown_parameter", kv[i].key, "%s applies to temporal splits only",
                        err->param);
        if (p->seen[id])
            return fail(err, "invalid_parameter", kv[i].key, "parameter %s given more than once",
                        err->param);
        if (parse_value(id, kv[i].value, p, err) != 0)
            return -1;
    }
    return 0;
}

int srv_params_split(rp_method m, const struct srv_kv *kv, size_t n, rp_params *out,
                     struct srv_params_error *err)
{
    struct parsed p;
    if (parse_all(kv, n, m == RP_METHOD_TEMPORAL, 0, &p, err) != 0)
        return -1;
    rp_params rp = rp_params_defaults(m);
    if (p.seen[P_K])
        rp.user_k = rp.item_k = p.u[P_K];
    if (p.seen[P_USER_K])
        rp.user_k = p.u[P_USER_K];
    if (p.seen[P_ITEM_K])
        rp.item_k = p.u[P_ITEM_K];
    if (p.seen[P_MIN_LEN])
        rp.min_len = p.u[P_MIN_LEN];
    if (p.seen[P_VAL_START])
        rp.val_start = p.d[P_VAL_START];
    if (p.seen[P_TEST_START])
        rp.test_start = p.d[P_TEST_START];
    rp_error e;
    rp_error_clear(&e);
    if (rp_params_resolve(&rp, &e) != RP_OK)
        return fail(err, "invalid_parameter", e.param[0] ? e.param : "val_start", "%s",
                    e.message[0] ? e.message : "invalid parameters");
    *out = rp;
    return 0;
}

int srv_params_kcore(const struct srv_kv *kv, size_t n, struct srv_kcore_params *out,
                     struct srv_params_error *err)
{
    struct parsed p;
    if (parse_all(kv, n, 0, 1, &p, err) != 0)
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
