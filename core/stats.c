/*
 * core/stats.c - descriptive statistics of a loaded dataset.
 *
 * History lengths come straight from the CSR offsets (user_off, item_off).
 * Quantiles need the lengths in order; instead of sorting U values we count
 * how many users have each length (lengths are <= n) and read order
 * statistics off the cumulative counts: O(U + max) and no O(U log U) sort.
 * Quantiles follow numpy's default "linear" method: position q*(m-1), linear
 * interpolation between the two neighbouring order statistics.
 *
 * Duplicates (rows repeating an earlier (user, item) pair) = rows minus
 * distinct pairs, which does not depend on the order we look at rows in: we
 * walk each user's rows with a per-item "last user seen" stamp, O(n) with one
 * array of I words. Rejected: sorting 64-bit (user, item) keys, O(n log n)
 * and 16 MB extra on 2M rows for the same number.
 *
 * Interactions per month: a table maps each day of the log's span to its
 * month bucket, and the rows are counted in file order through it (day =
 * seconds / 86400, a multiplication); spans over 11,000 years fall back to
 * walking the rows in time order (rpi_time_at) comparing each timestamp with the
 * next bucket's start. Either way O(n + buckets or days), with dates computed per bucket by
 * Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian,
 * UTC, valid for the whole int64 range we can meet). Rejected: gmtime_r per
 * row (~100 ns each: 0.2 s on 2M rows, at every load).
 *
 * Ratings: distinct values go into a 128-slot open-addressing table keyed by
 * the float's bits; ratings are stars or half stars in every real log, so
 * the table stays tiny. Past RP_RATING_VALUES_MAX distinct values we switch
 * to equal-width bins (a second pass), which is what a chart wants then.
 */
#include "recprep/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beside.h"
#include "dataset_impl.h"

/* The k-th smallest (0-based) length given freq[len] = how many have len. */
static uint32_t order_stat(const uint32_t *cum, uint32_t max, uint64_t k)
{
    uint32_t lo = 0, hi = max; /* smallest len with cum[len] > k */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static double quantile(const uint32_t *cum, uint32_t max, uint32_t m, double q)
{
    double pos = q * (double)(m - 1);
    uint64_t below = (uint64_t)pos;
    double frac = pos - (double)below;
    double a = order_stat(cum, max, below);
    if (frac == 0.0 || below + 1 >= m)
        return a;
    double b = order_stat(cum, max, below + 1);
    return a + (b - a) * frac;
}

static void histogram(rp_history_stats *h, const uint32_t *off, uint32_t m)
{
    h->n_buckets = 0;
    for (uint32_t lo = 1; h->n_buckets < RP_HIST_BUCKETS; lo *= 2) {
        size_t b = h->n_buckets++;
        h->bucket_lo[b] = lo;
        h->bucket_hi[b] = lo > UINT32_MAX / 2 ? UINT32_MAX : 2 * lo - 1;
        h->counts[b] = 0;
        if (h->bucket_hi[b] >= h->max || lo > UINT32_MAX / 2)
            break;
    }
    for (uint32_t x = 0; x < m; x++) {
        uint32_t len = off[x + 1] - off[x], b = 0;
        while (len > 1) {
            len >>= 1;
            b++;
        }
        h->counts[b]++;
    }
}

/* Statistics of the m lengths off[x+1] - off[x]. */
static rp_status history_stats(rp_history_stats *h, const uint32_t *off, uint32_t m)
{
    memset(h, 0, sizeof *h);
    if (m == 0)
        return RP_OK;
    h->min = UINT32_MAX;
    uint64_t sum = 0;
    for (uint32_t x = 0; x < m; x++) {
        uint32_t len = off[x + 1] - off[x];
        h->min = len < h->min ? len : h->min;
        h->max = len > h->max ? len : h->max;
        sum += len;
    }
    uint32_t *cum = calloc((size_t)h->max + 1, sizeof *cum);
    if (!cum)
        return RP_ERR_NOMEM;
    for (uint32_t x = 0; x < m; x++)
        cum[off[x + 1] - off[x]]++;
    for (uint32_t len = 1; len <= h->max; len++)
        cum[len] += cum[len - 1];
    h->mean = (double)sum / (double)m;
    h->median = quantile(cum, h->max, m, 0.5);
    h->p90 = quantile(cum, h->max, m, 0.9);
    free(cum);
    histogram(h, off, m);
    return RP_OK;
}

/* Rows whose (user, item) pair came before in the same user's rows: the
 * dataset's duplicate index (dups.c), built here on a dataset's first
 * statistics - recprepd's load - and then reused by every dedup. */
static rp_status count_duplicates(const rp_dataset *ds, uint32_t *out)
{
    const rpi_dups *d = rpi_dataset_dups(ds);
    if (d == NULL)
        return RP_ERR_NOMEM;
    *out = (uint32_t)d->n_dup;
    return RP_OK;
}

/* ---- interactions per month ------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int64_t m)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5; /* day 1 of the month */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Month index (year * 12 + month - 1) of Unix second ts. */
static int64_t month_index(int64_t ts)
{
    int64_t z = floor_div(ts, 86400) + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    return y * 12 + m - 1;
}

/* Unix second at which month index mi starts, saturated to the int64 range. */
static int64_t month_start(int64_t mi)
{
    int64_t y = floor_div(mi, 12);
    int64_t days = days_from_civil(y, mi - y * 12 + 1);
    if (days > INT64_MAX / 86400)
        return INT64_MAX;
    if (days < INT64_MIN / 86400)
        return INT64_MIN;
    return days * 86400;
}

/* Day number (Unix days) of a time in whole seconds, floored. */
static int64_t day_of(int64_t sec)
{
    return floor_div(sec, 86400);
}

/* Day number of row r. */
static int64_t row_day(const rp_dataset *ds, uint32_t r)
{
    return day_of(rpi_ts_sec(ds, r));
}

/* Walking times in ascending order: the bucket of time sec (seconds), the
 * walk's current bucket moved forward past the month starts sec reached. */
typedef struct bucket_walk {
    size_t b;
    int64_t next; /* where bucket b ends */
} bucket_walk;

static size_t bucket_of(bucket_walk *w, const rp_timeline *t, int64_t first, int64_t per,
                        int64_t sec)
{
    while (sec >= w->next && w->b + 1 < t->n_buckets)
        w->next = month_start(first + per * (int64_t)(++w->b + 1));
    return w->b;
}

/* Count rows per bucket walking the rows in file order: a table maps each
 * day of the span to its bucket, so a row costs a subtraction, a division
 * by a constant and a table lookup - sequential reads, where following
 * the time order (by_time, when sorted) reads every timestamp at random (3x
 * slower at 20M rows). */
static int count_by_day(const rp_dataset *ds, rp_timeline *t, int64_t first, int64_t per)
{
    int64_t d0 = day_of(rpi_time_at(ds, 0)), d1 = day_of(rpi_time_at(ds, ds->n_rows - 1));
    if (d1 - d0 >= (1 << 22)) /* over 11,000 years: fall back to the time order */
        return -1;
    uint16_t *bucket = malloc(((size_t)(d1 - d0) + 1) * sizeof *bucket);
    if (bucket == NULL)
        return -1;
    bucket_walk w = {0, month_start(first + per)};
    for (int64_t d = d0; d <= d1; d++)
        bucket[d - d0] = (uint16_t)bucket_of(&w, t, first, per, d * 86400);
    for (uint32_t r = 0; r < ds->n_rows; r++)
        t->counts[bucket[row_day(ds, r) - d0]]++;
    free(bucket);
    return 0;
}

static void timeline(const rp_dataset *ds, rp_timeline *t)
{
    memset(t, 0, sizeof *t);
    if (ds->n_rows == 0)
        return;
    int64_t first = month_index(rpi_time_at(ds, 0));
    int64_t span = month_index(rpi_time_at(ds, ds->n_rows - 1)) - first + 1;
    int64_t per = span <= RP_TIMELINE_MAX ? 1 : (span + RP_TIMELINE_MAX - 1) / RP_TIMELINE_MAX;
    t->months_per_bucket = per > UINT32_MAX ? UINT32_MAX : (uint32_t)per;
    t->n_buckets = (size_t)((span + per - 1) / per);
    t->first_year = floor_div(first, 12);
    t->first_month = (uint32_t)(first - t->first_year * 12 + 1);
    if (count_by_day(ds, t, first, per) == 0)
        return;
    /* the rows in time order; with the order kept as counts per time key,
     * each key's rows at once */
    bucket_walk w = {0, month_start(first + per)};
    for (uint32_t k = 0; k < ds->n_rows;) {
        uint32_t run = rpi_time_run(ds, k);
        t->counts[bucket_of(&w, t, first, per, rpi_time_at(ds, k))] += run;
        k += run;
    }
}

/* ---- ratings -------------------------------------------------------------- */

#define RATING_SLOTS 128

struct rating_table {
    uint64_t bits[RATING_SLOTS];
    uint32_t count[RATING_SLOTS];
    uint8_t used[RATING_SLOTS];
    size_t n;
};

/* Count rating v; 0, or -1 when a new value would exceed RP_RATING_VALUES_MAX. */
static int rating_add(struct rating_table *t, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    size_t h = (size_t)((bits * 0x9E3779B97F4A7C15ull) >> 57); /* 7 bits: 0..127 */
    while (t->used[h] && t->bits[h] != bits)
        h = (h + 1) % RATING_SLOTS;
    if (!t->used[h]) {
        if (t->n == RP_RATING_VALUES_MAX)
            return -1;
        t->used[h] = 1;
        t->bits[h] = bits;
        t->n++;
    }
    t->count[h]++;
    return 0;
}

static void rating_values(const struct rating_table *t, rp_rating_stats *r)
{
    r->n = 0;
    for (size_t h = 0; h < RATING_SLOTS; h++) {
        if (!t->used[h])
            continue;
        double f;
        memcpy(&f, &t->bits[h], sizeof f);
        size_t k = r->n++; /* insertion sort: at most 64 values */
        for (; k > 0 && r->value[k - 1] > f; k--) {
            r->value[k] = r->value[k - 1];
            r->count[k] = r->count[k - 1];
        }
        r->value[k] = f;
        r->count[k] = t->count[h];
    }
}

static void rating_bins(const rp_dataset *ds, rp_rating_stats *r)
{
    double w = (r->max - r->min) / RP_RATING_BINS;
    r->binned = 1;
    r->n = RP_RATING_BINS;
    for (size_t b = 0; b < RP_RATING_BINS; b++) {
        r->value[b] = r->min + w * (double)b;
        r->count[b] = 0;
    }
    for (uint32_t k = 0; k < ds->n_rows; k++) {
        double v = rpi_rating(ds, k);
        if (isnan(v))
            continue;
        size_t b = w > 0 ? (size_t)((v - r->min) / w) : 0;
        r->count[b < RP_RATING_BINS ? b : RP_RATING_BINS - 1]++;
    }
}

static rp_status ratings(const rp_dataset *ds, rp_rating_stats *r)
{
    struct rating_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return RP_ERR_NOMEM;
    memset(r, 0, sizeof *r);
    double sum = 0;
    int overflow = 0;
    r->min = INFINITY;
    r->max = -INFINITY;
    for (uint32_t k = 0; k < ds->n_rows; k++) {
        double v = rpi_rating(ds, k);
        if (isnan(v)) {
            r->missing++;
            continue;
        }
        r->rated++;
        sum += v;
        r->min = v < r->min ? v : r->min;
        r->max = v > r->max ? v : r->max;
        overflow |= !overflow && rating_add(t, v) != 0;
    }
    if (r->rated == 0)
        r->min = r->max = 0;
    else
        r->mean = sum / r->rated;
    if (overflow)
        rating_bins(ds, r);
    else
        rating_values(t, r);
    free(t);
    return RP_OK;
}

/* count_duplicates on a thread of its own. */
typedef struct dup_job {
    const rp_dataset *ds;
    uint32_t dup;
    rp_status st;
} dup_job;

static void *dup_thread(void *arg)
{
    dup_job *j = arg;
    j->st = count_duplicates(j->ds, &j->dup);
    return NULL;
}

/* Duplicates are the one pass of random reads (each user's rows' items); on
 * a big log it runs on a second thread beside the sequential rest (20M rows:
 * about half the time). */
#define DUP_THREAD_MIN_ROWS (1u << 20)

rp_status rp_stats_compute(const rp_dataset *ds, rp_stats *out)
{
    memset(out, 0, sizeof *out);
    out->interactions = ds->n_rows;
    out->users = ds->n_users;
    out->items = ds->n_items;
    if (ds->n_users > 0 && ds->n_items > 0)
        out->density = (double)ds->n_rows / ((double)ds->n_users * (double)ds->n_items);
    if (ds->n_rows > 0) {
        out->ts_min = rpi_time_at(ds, 0);
        out->ts_max = rpi_time_at(ds, ds->n_rows - 1);
    }
    dup_job dj = {ds, 0, RP_OK};
    rpi_beside dups;
    rpi_beside_start(&dups, dup_thread, &dj, ds->n_rows >= DUP_THREAD_MIN_ROWS);
    rp_status rc = history_stats(&out->user_history, ds->user_off, ds->n_users);
    if (rc == RP_OK)
        rc = history_stats(&out->item_history, ds->item_off, ds->n_items);
    if (rc == RP_OK)
        rc = ratings(ds, &out->ratings);
    timeline(ds, &out->timeline);
    rpi_beside_finish(&dups);
    out->duplicates = dj.dup;
    return rc != RP_OK ? rc : dj.st;
}

static json_t *history_json(const rp_history_stats *h)
{
    json_t *hist = json_array();
    for (size_t b = 0; hist != NULL && b < h->n_buckets; b++) {
        json_t *o = json_pack("{sIsIsI}", "min", (json_int_t)h->bucket_lo[b], "max",
                              (json_int_t)h->bucket_hi[b], "count", (json_int_t)h->counts[b]);
        if (json_array_append_new(hist, o) != 0) {
            json_decref(hist);
            return NULL;
        }
    }
    if (hist == NULL)
        return NULL;
    return json_pack("{sIsfsfsfsIso}", "min", (json_int_t)h->min, "mean", h->mean, "median",
                     h->median, "p90", h->p90, "max", (json_int_t)h->max, "histogram", hist);
}

/* Append o to a (stealing it); -1 on failure (a is then left as it was). */
static int append(json_t *a, json_t *o)
{
    return o == NULL ? -1 : json_array_append_new(a, o);
}

static json_t *timeline_json(const rp_timeline *t)
{
    json_t *buckets = json_array();
    int64_t first = t->first_year * 12 + t->first_month - 1;
    for (size_t b = 0; buckets != NULL && b < t->n_buckets; b++) {
        int64_t mi = first + (int64_t)b * t->months_per_bucket;
        int64_t y = floor_div(mi, 12);
        char label[32];
        snprintf(label, sizeof label, "%04lld-%02d", (long long)y, (int)(mi - y * 12 + 1));
        if (append(buckets,
                   json_pack("{sssIsI}", "month", label, "start", (json_int_t)month_start(mi),
                             "count", (json_int_t)t->counts[b])) != 0)
            json_decref(buckets), buckets = NULL;
    }
    if (buckets == NULL)
        return NULL;
    return json_pack("{sIso}", "months_per_bucket", (json_int_t)t->months_per_bucket, "buckets",
                     buckets);
}

/* A rating as a person writes it: floats hold 4.5 exactly but 3.7 as
 * 3.70000004768..., so round to the 7 digits a float has. */
static json_t *rating_real(double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.7g", v);
    return json_real(strtod(buf, NULL));
}

static json_t *ratings_json(const rp_rating_stats *r)
{
    json_t *list = json_array();
    double w = (r->max - r->min) / RP_RATING_BINS;
    for (size_t k = 0; list != NULL && k < r->n; k++) {
        json_t *o = r->binned ? json_pack("{sososI}", "min", rating_real(r->value[k]), "max",
                                          rating_real(k + 1 == r->n ? r->max : r->value[k] + w),
                                          "count", (json_int_t)r->count[k])
                              : json_pack("{sosI}", "rating", rating_real(r->value[k]), "count",
                                          (json_int_t)r->count[k]);
        if (append(list, o) != 0)
            json_decref(list), list = NULL;
    }
    if (list == NULL)
        return NULL;
    return json_pack("{sIsIsosososo}", "rated", (json_int_t)r->rated, "missing",
                     (json_int_t)r->missing, "min", rating_real(r->min), "max", rating_real(r->max),
                     "mean", json_real(r->mean), r->binned ? "bins" : "values", list);
}

/* Add the timeline and the ratings to the statistics object o; 0 or -1. */
static int add_distributions(json_t *o, const rp_stats *st)
{
    return json_object_set_new(o, "interactions_over_time", timeline_json(&st->timeline)) |
           json_object_set_new(o, "ratings", ratings_json(&st->ratings));
}

json_t *rp_stats_to_json(const rp_stats *st, const char *name, rp_format fmt)
{
    json_t *uh = history_json(&st->user_history);
    json_t *ih = history_json(&st->item_history);
    json_t *o = NULL;
    if (uh != NULL && ih != NULL)
        o = json_pack("{sssIsIsIsfs{sIsI}sIsOsO}", "format", rp_format_name(fmt), "interactions",
                      (json_int_t)st->interactions, "users", (json_int_t)st->users, "items",
                      (json_int_t)st->items, "density", st->density, "timestamp", "min",
                      (json_int_t)st->ts_min, "max", (json_int_t)st->ts_max, "duplicates",
                      (json_int_t)st->duplicates, "user_history", uh, "item_history", ih);
    json_decref(uh);
    json_decref(ih);
    if (o != NULL && (add_distributions(o, st) != 0 ||
                      (name != NULL && json_object_set_new(o, "name", json_string(name)) != 0))) {
        json_decref(o);
        return NULL;
    }
    return o;
}
