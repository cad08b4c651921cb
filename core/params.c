/*
 * core/params.c - recipe parameters: text in, canonical form out.
 *
 * rp_params_set reads one parameter given as text with the type the recipe
 * table (recipe.c) gives it; rp_params_resolve fills the table's defaults and
 * checks what a single value cannot show (val_start <= test_start, since <
 * until, val_time <= test_time). The resolved struct is the canonical form,
 * so two requests that mean the same thing print the same canonical text -
 * the cache key and the ETag. Decimals print in the shortest form that reads
 * back to the same double ("0.8", not "0.80000000000000004").
 *
 * rp_parse_uint / _count / _decimal / _quantile are the one grammar for
 * numbers given as text: the HTTP query parser, the CLI and the server's
 * options all call them, so "k=0", "k=+4" or "val_start=1e-1" are refused the
 * same way everywhere.
 *
 * Rejected: NAN as the "unset" marker for decimals. Zeroed structs are the
 * documented idiom; the `given` bits mark the parameters where 0 is a value
 * (min_rating=0, since=0, az23's k=0).
 */
#include "recprep/params.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recprep/recipe.h"

#define BIT(id) (1u << (id))

static const char *const NAMES[RP_PARAM_COUNT] = {
    [RP_PARAM_K] = "k",
    [RP_PARAM_USER_K] = "user_k",
    [RP_PARAM_ITEM_K] = "item_k",
    [RP_PARAM_MIN_LEN] = "min_len",
    [RP_PARAM_VAL_START] = "val_start",
    [RP_PARAM_TEST_START] = "test_start",
    [RP_PARAM_VAL_TIME] = "val_time",
    [RP_PARAM_TEST_TIME] = "test_time",
    [RP_PARAM_MAX_LEN] = "max_len",
    [RP_PARAM_MIN_RATING] = "min_rating",
    [RP_PARAM_SINCE] = "since",
    [RP_PARAM_UNTIL] = "until",
    [RP_PARAM_DEDUP] = "dedup",
};

static const char *const DEDUP_NAMES[] = {"none", "first", "last"};

const char *rp_param_name(rp_param_id id)
{
    return (unsigned)id < RP_PARAM_COUNT ? NAMES[id] : "?";
}

rp_params rp_params_defaults(rp_method method)
{
    rp_params p;
    memset(&p, 0, sizeof p);
    p.method = method;
    return p;
}

int rp_params_takes(rp_method m, rp_param_id id)
{
    return rp_recipe_param_get(rp_recipe_get(m), id) != NULL;
}

/* ---- reading one value --------------------------------------------------- */

static const char *type_text(rp_param_type t)
{
    switch (t) {
    case RP_PT_COUNT:
        return "an integer >= 1";
    case RP_PT_UINT:
        return "an integer >= 0";
    case RP_PT_QUANTILE:
        return "a decimal with 0 < value < 1";
    case RP_PT_DECIMAL:
        return "a decimal >= 0";
    case RP_PT_TIME:
        return "an integer Unix time >= 0";
    case RP_PT_DEDUP:
        return "one of none, first, last";
    }
    return "valid";
}

/* Parse text as type t into the field of id. 0 ok, -1 malformed. */
static int read_value(rp_params *p, rp_param_id id, rp_param_type t, const char *s)
{
    uint64_t u;
    double d;
    switch (t) {
    case RP_PT_COUNT:
    case RP_PT_UINT:
        if (rp_parse_uint(s, t == RP_PT_COUNT ? 1 : 0, UINT32_MAX, &u) != 0)
            return -1;
        *(id == RP_PARAM_K         ? &p->k
          : id == RP_PARAM_USER_K  ? &p->user_k
          : id == RP_PARAM_ITEM_K  ? &p->item_k
          : id == RP_PARAM_MIN_LEN ? &p->min_len
                                   : &p->max_len) = (uint32_t)u;
        return 0;
    case RP_PT_QUANTILE:
    case RP_PT_DECIMAL:
        if ((t == RP_PT_QUANTILE ? rp_parse_quantile(s, &d) : rp_parse_decimal(s, &d)) != 0)
            return -1;
        *(id == RP_PARAM_VAL_START    ? &p->val_start
          : id == RP_PARAM_TEST_START ? &p->test_start
                                      : &p->min_rating) = d;
        return 0;
    case RP_PT_TIME:
        if (rp_parse_uint(s, 0, INT64_MAX, &u) != 0)
            return -1;
        *(id == RP_PARAM_VAL_TIME    ? &p->val_time
          : id == RP_PARAM_TEST_TIME ? &p->test_time
          : id == RP_PARAM_SINCE     ? &p->since
                                     : &p->until) = (int64_t)u;
        return 0;
    case RP_PT_DEDUP:
        for (size_t k = 0; s != NULL && k < 3; k++)
            if (strcmp(s, DEDUP_NAMES[k]) == 0) {
                p->dedup = (rp_dedup)k;
                return 0;
            }
        return -1;
    }
    return -1;
}

static int find_id(const char *name)
{
    for (int id = 0; name != NULL && id < RP_PARAM_COUNT; id++)
        if (strcmp(NAMES[id], name) == 0)
            return id;
    return -1;
}

rp_status rp_params_set(rp_params *p, const char *name, const char *value, rp_error *err)
{
    const rp_recipe *r = rp_recipe_get(p->method);
    int id = find_id(name);
    const rp_recipe_param *rp = id < 0 ? NULL : rp_recipe_param_get(r, (rp_param_id)id);
    if (rp == NULL) {
        rp_error_param(err, name ? name : "", "%s does not take parameter '%.40s'",
                       r ? r->name : "this recipe", name ? name : "");
        return RP_ERR_PARAM_UNKNOWN;
    }
    if (p->given & BIT(id)) {
        rp_error_param(err, name, "parameter %s given more than once", name);
        return RP_ERR_PARAM;
    }
    if (read_value(p, (rp_param_id)id, rp->type, value) != 0) {
        rp_error_param(err, name, "%s must be %s", name, type_text(rp->type));
        return RP_ERR_PARAM;
    }
    p->given |= BIT(id);
    return RP_OK;
}

/* ---- resolving ------------------------------------------------------------ */

/* The recipe's default of a parameter as a number (0 when it has none). */
static double default_of(const rp_recipe *r, rp_param_id id)
{
    const rp_recipe_param *rp = rp_recipe_param_get(r, id);
    return rp && rp->def ? strtod(rp->def, NULL) : 0.0;
}

static rp_status fail(rp_error *err, rp_param_id id, const char *msg)
{
    rp_error_param(err, NAMES[id], "%s %s", NAMES[id], msg);
    return RP_ERR_PARAM;
}

/* k, user_k, item_k: user_k and item_k fall back to k, k to the default.
 * An explicit k = 0 (az23 only: the table's type allows it) means no k-core. */
static rp_status resolve_k(rp_params *p, const rp_recipe *r, rp_error *err)
{
    uint32_t k = (p->given & BIT(RP_PARAM_K)) || p->k ? p->k : (uint32_t)default_of(r, RP_PARAM_K);
    if (k == 0) {
        if (p->given & (BIT(RP_PARAM_USER_K) | BIT(RP_PARAM_ITEM_K)))
            return fail(err, RP_PARAM_K,
                        "= 0 turns the k-core off, so user_k and item_k cannot be given with it");
        p->user_k = p->item_k = 0;
        return RP_OK;
    }
    p->user_k = p->user_k ? p->user_k : k;
    p->item_k = p->item_k ? p->item_k : k;
    return RP_OK;
}

static rp_status resolve_temporal(rp_params *p, const rp_recipe *r, rp_error *err)
{
    if (p->min_len == 0)
        p->min_len = p->user_k;
    if (p->val_start == 0.0)
        p->val_start = default_of(r, RP_PARAM_VAL_START);
    if (p->test_start == 0.0)
        p->test_start = default_of(r, RP_PARAM_TEST_START);
    if (!(p->val_start > 0.0 && p->val_start < 1.0)) /* false for NaN too */
        return fail(err, RP_PARAM_VAL_START,
                    "must be a number with 0 < val_start <= test_start < 1");
    if (!(p->test_start > 0.0 && p->test_start < 1.0) || p->test_start < p->val_start)
        return fail(err, RP_PARAM_TEST_START,
                    "must be a number with 0 < val_start <= test_start < 1");
    return RP_OK;
}

static rp_status resolve_times(rp_params *p, const rp_recipe *r, rp_error *err)
{
    if (!(p->given & BIT(RP_PARAM_VAL_TIME)) && p->val_time == 0)
        p->val_time = (int64_t)strtoll(rp_recipe_param_get(r, RP_PARAM_VAL_TIME)->def, NULL, 10);
    if (!(p->given & BIT(RP_PARAM_TEST_TIME)) && p->test_time == 0)
        p->test_time = (int64_t)strtoll(rp_recipe_param_get(r, RP_PARAM_TEST_TIME)->def, NULL, 10);
    if (p->val_time > p->test_time)
        return fail(err, RP_PARAM_TEST_TIME, "must be >= val_time");
    return RP_OK;
}

static rp_status resolve_filters(rp_params *p, rp_error *err)
{
    if ((p->given & BIT(RP_PARAM_MIN_RATING)) && !(p->min_rating >= 0.0))
        return fail(err, RP_PARAM_MIN_RATING, "must be a decimal >= 0");
    if ((p->given & BIT(RP_PARAM_SINCE)) && (p->given & BIT(RP_PARAM_UNTIL)) &&
        p->since >= p->until)
        return fail(err, RP_PARAM_UNTIL, "must be greater than since");
    if ((unsigned)p->dedup > RP_DEDUP_LAST)
        return fail(err, RP_PARAM_DEDUP, "must be one of none, first, last");
    return RP_OK;
}

rp_status rp_params_resolve(rp_params *p, rp_error *err)
{
    const rp_recipe *r = rp_recipe_get(p->method);
    if (r == NULL) {
        rp_error_param(err, "recipe", "unknown recipe");
        return RP_ERR_PARAM;
    }
    if (resolve_k(p, r, err) != RP_OK)
        return RP_ERR_PARAM;
    if (p->max_len == 0 && !(p->given & BIT(RP_PARAM_MAX_LEN)))
        p->max_len = (uint32_t)default_of(r, RP_PARAM_MAX_LEN);
    rp_status st = RP_OK;
    if (p->method == RP_METHOD_TEMPORAL)
        st = resolve_temporal(p, r, err);
    else if (p->method == RP_METHOD_AZ23_TIMESTAMP)
        st = resolve_times(p, r, err);
    return st == RP_OK ? resolve_filters(p, err) : st;
}

/* ---- printing ------------------------------------------------------------- */

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

/* Is parameter id part of the canonical form? Filters only when given, k
 * never (user_k and item_k carry it), max_len when it cuts. */
static int canonical_has(const rp_params *p, rp_param_id id)
{
    switch (id) {
    case RP_PARAM_K:
        return 0;
    case RP_PARAM_MAX_LEN:
        return p->max_len != 0;
    case RP_PARAM_MIN_RATING:
    case RP_PARAM_SINCE:
    case RP_PARAM_UNTIL:
        return (p->given & BIT(id)) != 0;
    case RP_PARAM_DEDUP:
        return p->dedup != RP_DEDUP_NONE;
    default:
        return 1;
    }
}

/* The value of a resolved parameter as text. */
static void value_text(const rp_params *p, rp_param_id id, char *buf, size_t cap)
{
    switch (id) {
    case RP_PARAM_VAL_START:
    case RP_PARAM_TEST_START:
    case RP_PARAM_MIN_RATING:
        format_double(id == RP_PARAM_VAL_START    ? p->val_start
                      : id == RP_PARAM_TEST_START ? p->test_start
                                                  : p->min_rating,
                      buf, cap);
        return;
    case RP_PARAM_VAL_TIME:
    case RP_PARAM_TEST_TIME:
    case RP_PARAM_SINCE:
    case RP_PARAM_UNTIL:
        snprintf(buf, cap, "%lld",
                 (long long)(id == RP_PARAM_VAL_TIME    ? p->val_time
                             : id == RP_PARAM_TEST_TIME ? p->test_time
                             : id == RP_PARAM_SINCE     ? p->since
                                                        : p->until));
        return;
    case RP_PARAM_DEDUP:
        snprintf(buf, cap, "%s", DEDUP_NAMES[p->dedup <= RP_DEDUP_LAST ? p->dedup : 0]);
        return;
    default:
        snprintf(buf, cap, "%u",
                 (unsigned)(id == RP_PARAM_K         ? (p->user_k == p->item_k ? p->user_k : 0)
                            : id == RP_PARAM_USER_K  ? p->user_k
                            : id == RP_PARAM_ITEM_K  ? p->item_k
                            : id == RP_PARAM_MIN_LEN ? p->min_len
                                                     : p->max_len));
    }
}

int rp_params_canonical(const rp_params *p, char *buf, size_t cap)
{
    const rp_recipe *r = rp_recipe_get(p->method);
    if (r == NULL)
        return snprintf(buf, cap, "?");
    size_t used = 0;
    int w = snprintf(buf, cap, "%s:", r->name), first = 1;
    for (size_t i = 0; w >= 0 && i < r->n_params; i++) {
        used += (size_t)w;
        w = 0;
        if (!canonical_has(p, r->params[i].id))
            continue;
        char v[40];
        value_text(p, r->params[i].id, v, sizeof v);
        w = snprintf(used < cap ? buf + used : NULL, used < cap ? cap - used : 0, "%s%s=%s",
                     first ? "" : ",", NAMES[r->params[i].id], v);
        first = 0;
    }
    return w < 0 ? w : (int)(used + (size_t)w);
}

/* One parameter's JSON value in the summary. */
static json_t *value_json(const rp_params *p, rp_param_id id, rp_param_type t)
{
    int filter = id >= RP_PARAM_MIN_RATING && id != RP_PARAM_DEDUP;
    if ((filter && !(p->given & BIT(id))) || (id == RP_PARAM_MAX_LEN && p->max_len == 0) ||
        (id == RP_PARAM_K && p->user_k != p->item_k))
        return json_null();
    char v[40];
    value_text(p, id, v, sizeof v);
    if (t == RP_PT_DEDUP)
        return json_string(v);
    if (t == RP_PT_QUANTILE || t == RP_PT_DECIMAL)
        return json_real(strtod(v, NULL));
    return json_integer((json_int_t)strtoll(v, NULL, 10));
}

json_t *rp_params_to_json(const rp_params *p)
{
    const rp_recipe *r = rp_recipe_get(p->method);
    json_t *o = r ? json_object() : NULL;
    for (size_t i = 0; o != NULL && i < r->n_params; i++) {
        const rp_recipe_param *rp = &r->params[i];
        if (json_object_set_new(o, NAMES[rp->id], value_json(p, rp->id, rp->type)) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* ---- the number grammar ------------------------------------------------------ */

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

int rp_parse_decimal(const char *s, double *out)
{
    size_t digits = 0, dots = 0;
    if (s == NULL)
        return -1;
    for (const char *c = s; *c != '\0'; c++) {
        if (*c >= '0' && *c <= '9')
            digits++;
        else if (*c == '.')
            dots++;
        else
            return -1;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (digits == 0 || dots > 1 || errno != 0 || end == s || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int rp_parse_quantile(const char *s, double *out)
{
    double v;
    if (rp_parse_decimal(s, &v) != 0 || !(v > 0.0 && v < 1.0))
        return -1;
    *out = v;
    return 0;
}
