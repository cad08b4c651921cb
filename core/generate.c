/*
 * core/generate.c - a deterministic Amazon-like interaction log.
 *
 * Shape. Real review logs are heavy-tailed on both sides: most users write
 * one review, a few write hundreds; most items get a handful, a few get
 * thousands. We grow both sides by preferential attachment (a Yule-Simon
 * process): slot j is a new user/item with probability remaining-new /
 * remaining-slots (so the distinct counts hit the targets exactly), else a copy
 * of a uniformly chosen earlier slot, i.e. chosen in proportion to activity.
 * Rows are then grouped by item in order of first appearance, as in Amazon's
 * ratings_*.csv, and each row draws its user from the user multiset, shuffled
 * and then partly sorted by activity (see assort) so that the log has a
 * k-core like real ones.
 * Within an item, about one row in 200 repeats the previous row's user, giving
 * repeated (user, item) pairs. Timestamps are whole days (UTC midnight) after
 * the item's launch day, biased towards recent days like a growing shop.
 *
 * Determinism. The bytes depend only on the parameters: xoshiro256** seeded
 * by splitmix64, integer arithmetic only (no libm, whose rounding may differ
 * between machines), IDs derived from bijective integer mixes, so distinct
 * indices give distinct IDs and the same seed gives the same file everywhere.
 *
 * Cost: O(rows) time; ~20 bytes per row of scratch plus the ~40-byte text row.
 * Rejected: sampling from explicit Zipf weights (needs pow/log, and a fixed
 * population sampled with replacement reaches far fewer distinct users than
 * Amazon logs show for the same row count).
 */
#include "recprep/generate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_BASE_TS 946684800 /* 2000-01-01T00:00:00Z */
#define GEN_MAX_ROWS 1000000000ull
#define USER_PREF_PCT 70
#define ITEM_PREF_PCT 40
#define ASSORT_PCT 75

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next64(rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3];
    s[2] ^= t, s[3] = rotl(s[3], 45);
    return out;
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int k = 0; k < 4; k++)
        r->s[k] = splitmix64(&seed);
}

/* Uniform in [0, n) for n <= 2^32 by multiply-shift (bias < 2^-32). */
static uint64_t below(rng *r, uint64_t n)
{
    return ((next64(r) >> 32) * n) >> 32;
}

rp_gen_params rp_gen_defaults(void)
{
    rp_gen_params p = {
        .rows = 2023070, .users = 1210271, .items = 249274, .seed = 42, .days = 5000};
    return p;
}

rp_gen_params rp_gen_for_rows(uint64_t rows)
{
    rp_gen_params p = rp_gen_defaults();
    /* rows * users stays below 2^64 for any rows rp_gen_check accepts; larger
     * values are clamped here and then refused by rp_gen_check. */
    uint64_t r = rows > GEN_MAX_ROWS ? GEN_MAX_ROWS : rows;
    uint64_t users = r * p.users / p.rows, items = r * p.items / p.rows;
    p.users = users ? (uint32_t)users : 1;
    p.items = items ? (uint32_t)items : 1;
    p.rows = rows;
    return p;
}

rp_status rp_gen_check(const rp_gen_params *p, rp_error *err)
{
    if (p->rows < 1 || p->rows > GEN_MAX_ROWS) {
        rp_error_param(err, "rows", "rows must be an integer from 1 to %llu",
                       (unsigned long long)GEN_MAX_ROWS);
        return RP_ERR_PARAM;
    }
    if (p->users < 1) {
        rp_error_param(err, "users", "users must be an integer >= 1");
        return RP_ERR_PARAM;
    }
    if (p->items < 1) {
        rp_error_param(err, "items", "items must be an integer >= 1");
        return RP_ERR_PARAM;
    }
    if (p->days < 1 || p->days > 36500) {
        rp_error_param(err, "days", "days must be an integer from 1 to 36500");
        return RP_ERR_PARAM;
    }
    return RP_OK;
}

/* Preferential attachment: slots[0..n) get ids < distinct (distinct <= n),
 * every id used at least once, ids numbered in order of first appearance. A
 * repeat copies an earlier slot (proportional to activity) pref_pct percent
 * of the time, else picks any existing id uniformly: pure attachment gives
 * the first item ~10% of all rows, far more than real logs show. */
static void attach(rng *r, uint32_t *slots, uint64_t n, uint32_t distinct, unsigned pref_pct)
{
    uint32_t next_id = 0;
    for (uint64_t j = 0; j < n; j++) {
        uint64_t left_new = distinct - next_id, left = n - j;
        if (j == 0 || below(r, left) < left_new)
            slots[j] = next_id++;
        else if (below(r, 100) < pref_pct)
            slots[j] = slots[below(r, j)];
        else
            slots[j] = (uint32_t)below(r, next_id);
    }
}

static void shuffle(rng *r, uint32_t *a, uint64_t n)
{
    for (uint64_t j = n; j > 1; j--) {
        uint64_t k = below(r, j);
        uint32_t t = a[j - 1];
        a[j - 1] = a[k];
        a[k] = t;
    }
}

/* Assortative mixing. Pairing users with item slots at random spreads heavy
 * users over the whole catalogue, and the k-core of such a log is empty;
 * in real logs active users meet popular items far more often. So about
 * ASSORT_PCT percent of the slots of users with two or more rows go to a pool
 * sorted by activity (counting sort, most active first, ties in shuffled
 * order); each position then draws from that pool or from the shuffled rest
 * in proportion to what is left in each. Items are emitted roughly in
 * popularity order, so heavy users land on popular items. With the defaults
 * the temporal 4-core keeps ~31k users and ~12k items (Beauty: 33k, 17k). */
static rp_status assort(rng *r, uint32_t *users, uint64_t n, uint32_t n_users)
{
    uint32_t *deg = calloc(n_users, sizeof *deg), max = 0;
    uint32_t *pool = malloc(sizeof *pool * n), *rest = malloc(sizeof *rest * n);
    uint64_t *start = NULL, np = 0, nr = 0;
    if (deg && pool && rest) {
        for (uint64_t j = 0; j < n; j++)
            max = ++deg[users[j]] > max ? deg[users[j]] : max;
        start = calloc((size_t)max + 2, sizeof *start);
    }
    if (!start) {
        free(deg), free(pool), free(rest);
        return RP_ERR_NOMEM;
    }
    for (uint64_t j = 0; j < n; j++) {
        if (deg[users[j]] >= 2 && below(r, 100) < ASSORT_PCT)
            pool[np++] = users[j], start[max - deg[users[j]] + 1]++;
        else
            rest[nr++] = users[j];
    }
    for (uint32_t d = 0; d <= max; d++)
        start[d + 1] += start[d];
    for (uint64_t j = 0; j < np; j++) /* users[] as scratch for the sorted pool */
        users[start[max - deg[pool[j]]]++] = pool[j];
    memcpy(pool, users, sizeof *pool * np);
    for (uint64_t j = 0, ip = 0, ir = 0; j < n; j++) {
        uint64_t lp = np - ip, lr = nr - ir;
        users[j] = lp && (lr == 0 || below(r, lp + lr) < lp) ? pool[ip++] : rest[ir++];
    }
    free(deg), free(pool), free(rest), free(start);
    return RP_OK;
}

/* Bijective 64-bit mix (invertible steps only), so distinct inputs stay distinct. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    return x ^ (x >> 33);
}

static const char B36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Reviewer-like ID: 'A' + 13 base-36 digits of a bijective mix (36^13 > 2^64). */
static size_t user_id(uint64_t seed, uint32_t u, char *out)
{
    uint64_t x = mix64(u ^ (seed << 32));
    out[0] = 'A';
    for (int k = 13; k >= 1; k--) {
        out[k] = B36[x % 36];
        x /= 36;
    }
    return 14;
}

/* ASIN-like ID: one item in ten is a 10-digit ISBN with leading zeros kept
 * ("0205616461"), the rest "B0" + 8 base-36 digits. Both from a bijective
 * 32-bit mix of the index, so IDs are distinct. */
static size_t item_id(uint64_t seed, uint32_t i, char *out)
{
    uint32_t x = i ^ (uint32_t)seed;
    x ^= x >> 16, x *= 0x7FEB352Du, x ^= x >> 15, x *= 0x846CA68Bu, x ^= x >> 16;
    if (i % 10 == 3) {
        for (int k = 9; k >= 0; k--, x /= 10)
            out[k] = (char)('0' + x % 10);
    } else {
        out[0] = 'B', out[1] = '0';
        for (int k = 9; k >= 2; k--, x /= 36)
            out[k] = B36[x % 36];
    }
    return 10;
}

/* Day of a row for an item launched on day `launch`: the later of two uniform
 * days in [launch, days), so activity grows towards the end of the log. */
static uint32_t row_day(rng *r, uint32_t launch, uint32_t days)
{
    uint64_t span = days - launch, a = below(r, span), b = below(r, span);
    return launch + (uint32_t)(a > b ? a : b);
}

static const char *rating_text(rng *r)
{
    uint64_t x = below(r, 20); /* 5 stars 60%, 4 20%, 3 10%, 2 and 1 5% each */
    return x < 12 ? "5.0" : x < 16 ? "4.0" : x < 18 ? "3.0" : x < 19 ? "2.0" : "1.0";
}

typedef struct outbuf {
    char *p;
    size_t len, cap;
} outbuf;

static int out_reserve(outbuf *o, size_t more)
{
    if (o->len + more <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap : 1u << 16;
    while (cap < o->len + more)
        cap *= 2;
    char *q = realloc(o->p, cap);
    if (!q)
        return -1;
    o->p = q, o->cap = cap;
    return 0;
}

static size_t put_u64(char *dst, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while (v /= 10);
    for (size_t k = 0; k < n; k++)
        dst[k] = tmp[n - 1 - k];
    return n;
}

static void emit_row(outbuf *o, const rp_gen_params *p, uint32_t u, uint32_t i, rng *r,
                     uint32_t day)
{
    char *d = o->p + o->len;
    size_t n = user_id(p->seed, u, d);
    d[n++] = ',';
    n += item_id(p->seed, i, d + n);
    d[n++] = ',';
    memcpy(d + n, rating_text(r), 3);
    n += 3;
    d[n++] = ',';
    n += put_u64(d + n, (uint64_t)GEN_BASE_TS + (uint64_t)day * 86400u);
    d[n++] = '\n';
    o->len += n;
}

/* Write rows grouped by item: item slots are sorted by item (counting sort,
 * items in first-appearance order), each row takes the next shuffled user. */
static rp_status emit(const rp_gen_params *p, rng *r, const uint32_t *users, const uint32_t *items,
                      uint32_t n_items, outbuf *o)
{
    uint64_t *count = calloc((size_t)n_items + 1, sizeof *count);
    if (!count)
        return RP_ERR_NOMEM;
    for (uint64_t j = 0; j < p->rows; j++)
        count[items[j]]++;
    uint64_t next = 0;
    for (uint32_t i = 0; i < n_items; i++) {
        /* launch days spread over the first 90% of the span, later ones denser */
        uint32_t launch = row_day(r, 0, p->days - p->days / 10);
        uint32_t prev_user = UINT32_MAX;
        for (uint64_t c = 0; c < count[i]; c++, next++) {
            uint32_t u = users[next];
            if (prev_user != UINT32_MAX && below(r, 200) == 0)
                u = prev_user; /* a repeated (user, item) pair */
            if (out_reserve(o, 64)) {
                free(count);
                return RP_ERR_NOMEM;
            }
            emit_row(o, p, u, i, r, row_day(r, launch, p->days));
            prev_user = u;
        }
    }
    free(count);
    return RP_OK;
}

rp_status rp_generate(const rp_gen_params *p, char **out, size_t *len, rp_error *err)
{
    *out = NULL, *len = 0;
    rp_status st = rp_gen_check(p, err);
    if (st != RP_OK)
        return st;
    uint32_t n_users = p->users < p->rows ? p->users : (uint32_t)p->rows;
    uint32_t n_items = p->items < p->rows ? p->items : (uint32_t)p->rows;
    uint32_t *users = malloc(sizeof *users * p->rows), *items = malloc(sizeof *items * p->rows);
    outbuf o = {0};
    rng r;
    rng_seed(&r, p->seed);
    if (!users || !items || out_reserve(&o, p->rows * 40)) {
        st = RP_ERR_NOMEM;
    } else {
        attach(&r, users, p->rows, n_users, USER_PREF_PCT);
        shuffle(&r, users, p->rows);
        st = assort(&r, users, p->rows, n_users);
        attach(&r, items, p->rows, n_items, ITEM_PREF_PCT);
        if (st == RP_OK)
            st = emit(p, &r, users, items, n_items, &o);
    }
    free(users);
    free(items);
    if (st != RP_OK) {
        free(o.p);
        rp_error_set(err, NULL, 0, 0, "out of memory generating %llu rows",
                     (unsigned long long)p->rows);
        return st;
    }
    *out = o.p, *len = o.len;
    return RP_OK;
}

rp_status rp_generate_file(const rp_gen_params *p, const char *path, rp_error *err)
{
    char *buf;
    size_t len;
    rp_status st = rp_generate(p, &buf, &len, err);
    if (st != RP_OK)
        return st;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    int saved = errno;
    if (f && fclose(f) != 0)
        ok = 0, saved = errno;
    free(buf);
    if (!ok) {
        rp_error_set(err, path, 0, 0, "cannot write: %s", strerror(saved));
        return RP_ERR_IO;
    }
    return RP_OK;
}
