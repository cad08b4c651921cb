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
 */
#include "recprep/stats.h"

#include <stdlib.h>
#include <string.h>

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

static rp_status count_duplicates(const rp_dataset *ds, uint32_t *out)
{
    uint32_t *stamp = calloc((size_t)ds->n_items + 1, sizeof *stamp);
    if (!stamp)
        return RP_ERR_NOMEM;
    uint32_t dup = 0;
    for (uint32_t u = 0; u < ds->n_users; u++) {
        for (uint32_t p = ds->user_off[u]; p < ds->user_off[u + 1]; p++) {
            uint32_t i = ds->item[ds->user_rows[p]];
            dup += stamp[i] == u + 1;
            stamp[i] = u + 1;
        }
    }
    free(stamp);
    *out = dup;
    return RP_OK;
}

rp_status rp_stats_compute(const rp_dataset *ds, rp_stats *out)
{
    memset(out, 0, sizeof *out);
    out->interactions = ds->n_rows;
    out->users = ds->n_users;
    out->items = ds->n_items;
    if (ds->n_users > 0 && ds->n_items > 0)
        out->density = (double)ds->n_rows / ((double)ds->n_users * (double)ds->n_items);
    if (ds->n_rows > 0) {
        out->ts_min = rpi_ts_sec(ds, ds->by_time[0]);
        out->ts_max = rpi_ts_sec(ds, ds->by_time[ds->n_rows - 1]);
    }
    rp_status rc = count_duplicates(ds, &out->duplicates);
    if (rc == RP_OK)
        rc = history_stats(&out->user_history, ds->user_off, ds->n_users);
    if (rc == RP_OK)
        rc = history_stats(&out->item_history, ds->item_off, ds->n_items);
    return rc;
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
    if (o != NULL && name != NULL && json_object_set_new(o, "name", json_string(name)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}
