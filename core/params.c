/*
 * core/params.c - pipeline parameters: defaults, validation, canonical text.
 *
 * rp_params is a plain struct where 0 means "unset"; rp_params_resolve turns
 * it into the canonical form (every field set, or 0 where a method has no such
 * parameter), so two requests that mean the same thing compare equal and give
 * the same canonical text - the cache key and the ETag. Quantiles print in the
 * shortest form that reads back to the same double, so 0.8 is "0.8" and not
 * "0.80000000000000004".
 *
 * rp_parse_uint, rp_parse_count and rp_parse_quantile are the one grammar for
 * numbers given as text: the HTTP query parser and the CLI both call them, so "k=0", "k=+4"
 * or "val_start=1e-1" are refused the same way everywhere.
 *
 * Rejected: NAN as the "unset" marker for quantiles. Zeroed structs are the
 * documented idiom, and 0 is invalid for every parameter anyway, so the
 * text parsers are where an explicit 0 is refused.
 */
#include "recprep/split.h"
#include "recprep/kcore.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_K_TEMPORAL 4u
#define DEFAULT_K_FULL RP_KCORE_DEFAULT_K
#define DEFAULT_VAL_START 0.8
#define DEFAULT_TEST_START 0.9

static const char QUANTILE_MSG[] = "must be a number with 0 < val_start <= test_start < 1";

rp_params rp_params_defaults(rp_method method)
{
    rp_params p;
    memset(&p, 0, sizeof p);
    p.method = method;
    return p;
}

const char *rp_method_name(rp_method m)
{
    return m == RP_METHOD_FULL ? "full" : "temporal";
}

rp_status rp_method_from_name(const char *name, rp_method *out)
{
    if (name != NULL && strcmp(name, "temporal") == 0) {
        *out = RP_METHOD_TEMPORAL;
        return RP_OK;
    }
    if (name != NULL && strcmp(name, "full") == 0) {
        *out = RP_METHOD_FULL;
        return RP_OK;
    }
    return RP_ERR_PARAM;
}

static int quantile_ok(double q)
{
    return q > 0.0 && q < 1.0; /* false for NaN too */
}

static rp_status resolve_quantiles(rp_params *p, rp_error *err)
{
    if (p->val_start == 0.0)
        p->val_start = DEFAULT_VAL_START;
    if (p->test_start == 0.0)
        p->test_start = DEFAULT_TEST_START;
    if (!quantile_ok(p->val_start)) {
        rp_error_param(err, "val_start", "val_start %s", QUANTILE_MSG);
        return RP_ERR_PARAM;
    }
    if (!quantile_ok(p->test_start) || p->test_start < p->val_start) {
        rp_error_param(err, "test_start", "test_start %s", QUANTILE_MSG);
        return RP_ERR_PARAM;
    }
    return RP_OK;
}

rp_status rp_params_resolve(rp_params *p, rp_error *err)
{
    if (p->method != RP_METHOD_TEMPORAL && p->method != RP_METHOD_FULL) {
        rp_error_param(err, "method", "method must be temporal or full");
        return RP_ERR_PARAM;
    }
    uint32_t k = p->method == RP_METHOD_FULL ? DEFAULT_K_FULL : DEFAULT_K_TEMPORAL;
    if (p->user_k == 0)
        p->user_k = k;
    if (p->item_k == 0)
        p->item_k = k;
    if (p->method == RP_METHOD_FULL) {
        p->min_len = 0;
        p->val_start = 0.0;
        p->test_start = 0.0;
        return RP_OK;
    }
    if (p->min_len == 0)
        p->min_len = p->user_k;
    return resolve_quantiles(p, err);
}

/* Shortest %.*g text of x that strtod reads back as x. */
static void format_double(double x, char *buf, size_t cap)
{
    for (int prec = 1; prec <= 17; prec++) {
        int n = snprintf(buf, cap, "%.*g", prec, x);
        if (n > 0 && (size_t)n < cap && strtod(buf, NULL) == x)
            return;
    }
    (void)snprintf(buf, cap, "%.17g", x);
}

int rp_params_canonical(const rp_params *p, char *buf, size_t cap)
{
    if (p->method == RP_METHOD_FULL)
        return snprintf(buf, cap, "full:user_k=%u,item_k=%u", (unsigned)p->user_k,
                        (unsigned)p->item_k);
    char v[32], t[32];
    format_double(p->val_start, v, sizeof v);
    format_double(p->test_start, t, sizeof t);
    return snprintf(buf, cap, "temporal:user_k=%u,item_k=%u,min_len=%u,val_start=%s,test_start=%s",
                    (unsigned)p->user_k, (unsigned)p->item_k, (unsigned)p->min_len, v, t);
}

int rp_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t v = 0;
    if (s == NULL || *s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int rp_parse_count(const char *s, uint32_t *out)
{
    uint64_t v;
    if (rp_parse_uint(s, 1, UINT32_MAX, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int rp_parse_quantile(const char *s, double *out)
{
    size_t digits = 0;
    if (s == NULL)
        return -1;
    for (const char *c = s; *c != '\0'; c++) {
        if (*c >= '0' && *c <= '9')
            digits++;
        else if (*c != '.')
            return -1;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (digits == 0 || errno != 0 || end == s || *end != '\0' || !quantile_ok(v))
        return -1;
    *out = v;
    return 0;
}
