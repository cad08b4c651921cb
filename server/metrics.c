/*
 * server/metrics.c - counters and their Prometheus rendering.
 *
 * What: fixed arrays of atomic counters indexed by (route, method, status
 * class) plus a latency histogram per route; rendering walks them and skips
 * zero series.
 * Invariants: statuses outside `statuses` are counted under "other", so the
 * arrays are bounded: (routes + 1) x 5 methods x 15 statuses. Process
 * figures are read from /proc at render time (Linux only, like the
 * Prometheus client libraries' process collector).
 * Complexity: O(1) per request; rendering O(routes x methods x statuses).
 * Rejected: a mutex-protected hash of label sets - flexible but a lock on the
 * hottest path, for label sets we know at compile time.
 */
#include "metrics.h"

#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "recprep/recipe.h"
#include "router.h"

#define MAX_RECIPES 32
static atomic_uint_least64_t compute_ns[MAX_RECIPES], computes[MAX_RECIPES];

void srv_metrics_compute(int method, uint64_t ns)
{
    if (method < 0 || method >= MAX_RECIPES)
        return;
    atomic_fetch_add_explicit(&compute_ns[method], ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&computes[method], 1, memory_order_relaxed);
}

#define MAX_ROUTES 24 /* table size + 1 for "unmatched" must fit */

static const unsigned statuses[] = {200, 202, 204, 206, 304, 400, 401, 404,
                                    405, 409, 414, 416, 500, 503, 0};
#define N_STATUS (sizeof statuses / sizeof statuses[0]) /* last: other */

static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

static const char *const method_names[SRV_N_METHODS] = {"GET", "HEAD", "OPTIONS", "POST", "other"};

static atomic_uint_least64_t requests[MAX_ROUTES][SRV_N_METHODS][N_STATUS];
static atomic_uint_least64_t hist[MAX_ROUTES][N_BUCKETS + 1]; /* last: +Inf only */
static atomic_uint_least64_t sum_us[MAX_ROUTES];
static atomic_uint_least64_t bytes_sent[MAX_ROUTES];

static size_t status_index(unsigned status)
{
    for (size_t i = 0; i + 1 < N_STATUS; i++)
        if (statuses[i] == status)
            return i;
    return N_STATUS - 1;
}

void srv_metrics_observe(size_t route_index, enum srv_method method, unsigned status,
                         uint64_t micros, uint64_t bytes)
{
    size_t r = route_index < MAX_ROUTES ? route_index : MAX_ROUTES - 1;
    size_t b = 0;
    while (b < N_BUCKETS && (double)micros > buckets[b] * 1e6)
        b++;
    atomic_fetch_add_explicit(&requests[r][method][status_index(status)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&hist[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sum_us[r], micros, memory_order_relaxed);
    atomic_fetch_add_explicit(&bytes_sent[r], bytes, memory_order_relaxed);
}

static uint64_t load(atomic_uint_least64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static const char *route_label(size_t r)
{
    size_t n;
    const struct srv_route *routes = srv_routes(&n);
    return r < n ? routes[r].pattern : "unmatched";
}

static void render_requests(struct srv_buf *b, size_t n_routes)
{
    srv_buf_printf(b, "# HELP recprep_http_requests_total HTTP requests by route, method and "
                      "status.\n# TYPE recprep_http_requests_total counter\n");
    for (size_t r = 0; r <= n_routes; r++)
        for (size_t m = 0; m < SRV_N_METHODS; m++)
            for (size_t s = 0; s < N_STATUS; s++) {
                uint64_t v = load(&requests[r][m][s]);
                if (v == 0)
                    continue;
                char st[8];
                snprintf(st, sizeof st, "%u", statuses[s]);
                srv_buf_printf(b,
                               "recprep_http_requests_total{route=\"%s\",method=\"%s\","
                               "status=\"%s\"} %" PRIu64 "\n",
                               route_label(r), method_names[m], statuses[s] ? st : "other", v);
            }
}

static void render_histogram(struct srv_buf *b, size_t n_routes)
{
    srv_buf_printf(b, "# HELP recprep_http_request_duration_seconds Time from request headers "
                      "to response sent.\n"
                      "# TYPE recprep_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= n_routes; r++) {
        uint64_t cum = 0;
        for (size_t i = 0; i <= N_BUCKETS; i++)
            cum += load(&hist[r][i]);
        if (cum == 0)
            continue;
        const char *label = route_label(r);
        cum = 0;
        for (size_t i = 0; i < N_BUCKETS; i++) {
            cum += load(&hist[r][i]);
            srv_buf_printf(b,
                           "recprep_http_request_duration_seconds_bucket{route=\"%s\","
                           "le=\"%g\"} %" PRIu64 "\n",
                           label, buckets[i], cum);
        }
        cum += load(&hist[r][N_BUCKETS]);
        srv_buf_printf(b,
                       "recprep_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                       "%" PRIu64 "\n"
                       "recprep_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                       "recprep_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
                       label, cum, label, (double)load(&sum_us[r]) / 1e6, label, cum);
    }
}

static void render_bytes(struct srv_buf *b, size_t n_routes)
{
    srv_buf_printf(b, "# HELP recprep_http_response_bytes_total Response body bytes sent.\n"
                      "# TYPE recprep_http_response_bytes_total counter\n");
    for (size_t r = 0; r <= n_routes; r++) {
        uint64_t v = load(&bytes_sent[r]);
        if (v != 0)
            srv_buf_printf(b, "recprep_http_response_bytes_total{route=\"%s\"} %" PRIu64 "\n",
                           route_label(r), v);
    }
}

static void render_cache(struct srv_app *app, struct srv_buf *b)
{
    struct srv_cache_counters c;
    srv_cache_counters(app->cache, &c);
    srv_buf_printf(b,
                   "# HELP recprep_cache_hits_total Result lookups answered by the cache.\n"
                   "# TYPE recprep_cache_hits_total counter\n"
                   "recprep_cache_hits_total %" PRIu64 "\n"
                   "# HELP recprep_cache_misses_total Result lookups that computed.\n"
                   "# TYPE recprep_cache_misses_total counter\n"
                   "recprep_cache_misses_total %" PRIu64 "\n"
                   "# HELP recprep_cache_evictions_total Results evicted for space.\n"
                   "# TYPE recprep_cache_evictions_total counter\n"
                   "recprep_cache_evictions_total %" PRIu64 "\n"
                   "# HELP recprep_cache_oversize_total Results not kept: larger than the "
                   "budget even without their files.\n"
                   "# TYPE recprep_cache_oversize_total counter\n"
                   "recprep_cache_oversize_total %" PRIu64 "\n"
                   "# HELP recprep_cache_bytes Bytes held by cached results.\n"
                   "# TYPE recprep_cache_bytes gauge\n"
                   "recprep_cache_bytes %" PRIu64 "\n"
                   "# HELP recprep_cache_max_bytes Cache budget.\n"
                   "# TYPE recprep_cache_max_bytes gauge\n"
                   "recprep_cache_max_bytes %" PRIu64 "\n"
                   "# HELP recprep_cache_entries Cached results.\n"
                   "# TYPE recprep_cache_entries gauge\n"
                   "recprep_cache_entries %" PRIu64 "\n",
                   c.hits, c.misses, c.evictions, c.oversize, c.bytes, c.max_bytes, c.entries);
    srv_buf_printf(b,
                   "# HELP recprep_gzip_total Bodies compressed (once per cached result).\n"
                   "# TYPE recprep_gzip_total counter\n"
                   "recprep_gzip_total %" PRIu64 "\n"
                   "# HELP recprep_gzip_seconds_total Time spent compressing.\n"
                   "# TYPE recprep_gzip_seconds_total counter\n"
                   "recprep_gzip_seconds_total %.6f\n"
                   "# HELP recprep_gzip_input_bytes_total Bytes compressed.\n"
                   "# TYPE recprep_gzip_input_bytes_total counter\n"
                   "recprep_gzip_input_bytes_total %" PRIu64 "\n"
                   "# HELP recprep_gzip_output_bytes_total Bytes they compressed to.\n"
                   "# TYPE recprep_gzip_output_bytes_total counter\n"
                   "recprep_gzip_output_bytes_total %" PRIu64 "\n",
                   c.gzips, c.gzip_seconds, c.gzip_in, c.gzip_out);
}

/* One gauge or counter line per dataset: value(d, g) with g its generation
 * in service (NULL before READY, then the line is left out if skip_loading). */
static void render_per_dataset(struct srv_app *app, struct srv_buf *b, const char *metric,
                               const char *type, const char *help, int skip_loading,
                               double (*value)(struct srv_dataset *, const struct srv_gen *))
{
    srv_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
    for (size_t i = 0; i < app->reg.n; i++) {
        struct srv_dataset *d = &app->reg.items[i];
        struct srv_gen *g = srv_dataset_acquire(d);
        double v = g != NULL || !skip_loading ? value(d, g) : 0;
        if (g != NULL || !skip_loading) /* integers as such, seconds to the microsecond */
            srv_buf_printf(b,
                           v == (double)(uint64_t)v ? "%s{dataset=\"%s\"} %.0f\n"
                                                    : "%s{dataset=\"%s\"} %.6f\n",
                           metric, d->name, v);
        srv_gen_release(g);
    }
}

static double ds_ready(struct srv_dataset *d, const struct srv_gen *g)
{
    (void)g;
    return srv_dataset_state(d) == SRV_DS_READY;
}

static double ds_load_seconds(struct srv_dataset *d, const struct srv_gen *g)
{
    (void)d;
    return g->load_seconds;
}

static double ds_rows(struct srv_dataset *d, const struct srv_gen *g)
{
    (void)d;
    return rp_dataset_rows(g->ds);
}

static double ds_generation(struct srv_dataset *d, const struct srv_gen *g)
{
    (void)d;
    return (double)g->id;
}

static double ds_reloads(struct srv_dataset *d, const struct srv_gen *g)
{
    (void)g;
    return (double)atomic_load(&d->reloads);
}

static double ds_reload_failures(struct srv_dataset *d, const struct srv_gen *g)
{
    (void)g;
    return (double)atomic_load(&d->reload_failures);
}

static double ds_reloading(struct srv_dataset *d, const struct srv_gen *g)
{
    (void)g;
    return srv_reload_busy(d);
}

static void render_datasets(struct srv_app *app, struct srv_buf *b)
{
    render_per_dataset(app, b, "recprep_dataset_ready", "gauge", "1 once the dataset is loaded.", 0,
                       ds_ready);
    render_per_dataset(app, b, "recprep_dataset_load_seconds", "gauge",
                       "Time to load and index the dataset in service.", 1, ds_load_seconds);
    render_per_dataset(app, b, "recprep_dataset_rows", "gauge",
                       "Interactions loaded (the generation in service).", 1, ds_rows);
    render_per_dataset(app, b, "recprep_dataset_generation", "gauge",
                       "Loads of the dataset in service: 1 at start-up, +1 per reload.", 1,
                       ds_generation);
    render_per_dataset(app, b, "recprep_dataset_reloads_total", "counter",
                       "Reloads that put new data in service (SIGHUP or POST .../reload).", 0,
                       ds_reloads);
    render_per_dataset(app, b, "recprep_dataset_reload_failures_total", "counter",
                       "Reloads that failed and left the old data in service.", 0,
                       ds_reload_failures);
    render_per_dataset(app, b, "recprep_dataset_reloading", "gauge",
                       "1 while a reload of the dataset is queued or running.", 0, ds_reloading);
}

static void render_recipes(struct srv_buf *b)
{
    size_t n;
    const rp_recipe *r = rp_recipes(&n);
    srv_buf_printf(b, "# HELP recprep_compute_seconds_total Time spent computing results, by "
                      "recipe.\n# TYPE recprep_compute_seconds_total counter\n");
    for (size_t i = 0; i < n && i < MAX_RECIPES; i++)
        srv_buf_printf(b, "recprep_compute_seconds_total{recipe=\"%s\"} %.6f\n", r[i].name,
                       (double)atomic_load(&compute_ns[r[i].method]) / 1e9);
    srv_buf_printf(b, "# HELP recprep_computations_total Results computed, by recipe.\n"
                      "# TYPE recprep_computations_total counter\n");
    for (size_t i = 0; i < n && i < MAX_RECIPES; i++)
        srv_buf_printf(b, "recprep_computations_total{recipe=\"%s\"} %" PRIu64 "\n", r[i].name,
                       (uint64_t)atomic_load(&computes[r[i].method]));
}

/* Seconds since the epoch when this process started: its start in clock
 * ticks after boot (/proc/self/stat, field 22) plus the boot time. */
static double start_time(void)
{
    char buf[1024];
    unsigned long long ticks = 0, btime = 0;
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    for (int field = 2; p != NULL && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL || sscanf(p, " %llu", &ticks) != 1)
        return 0;
    if ((f = fopen("/proc/stat", "r")) == NULL)
        return 0;
    while (fgets(buf, sizeof buf, f) != NULL && sscanf(buf, "btime %llu", &btime) != 1)
        ;
    fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? (double)btime + (double)ticks / (double)hz : 0;
}

/* The start never changes: read once, at the first scrape. */
static double start_seconds;
static pthread_once_t start_once = PTHREAD_ONCE_INIT;

static void start_init(void)
{
    start_seconds = start_time();
}

static double process_start(void)
{
    pthread_once(&start_once, start_init);
    return start_seconds;
}

static unsigned long long resident_bytes(void)
{
    unsigned long long size = 0, pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL && fscanf(f, "%llu %llu", &size, &pages) != 2)
        pages = 0;
    if (f != NULL)
        fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? pages * (unsigned long long)page : 0;
}

static unsigned open_fds(void)
{
    unsigned n = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d != NULL) {
        closedir(d);
        n--; /* the directory's own descriptor */
    }
    return n;
}

static void render_process(struct srv_buf *b)
{
    srv_buf_printf(b,
                   "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                   "# TYPE process_resident_memory_bytes gauge\n"
                   "process_resident_memory_bytes %llu\n"
                   "# HELP process_start_time_seconds Start time of the process since the "
                   "epoch in seconds.\n"
                   "# TYPE process_start_time_seconds gauge\n"
                   "process_start_time_seconds %.2f\n"
                   "# HELP process_open_fds Number of open file descriptors.\n"
                   "# TYPE process_open_fds gauge\n"
                   "process_open_fds %u\n"
                   "# HELP recprep_build_info The running version (value 1).\n"
                   "# TYPE recprep_build_info gauge\n"
                   "recprep_build_info{version=\"%s\"} 1\n",
                   resident_bytes(), process_start(), open_fds(), RECPREP_VERSION);
}

void srv_metrics_render(struct srv_app *app, struct srv_buf *b)
{
    size_t n_routes;
    srv_routes(&n_routes);
    if (n_routes + 1 > MAX_ROUTES)
        n_routes = MAX_ROUTES - 1;
    render_requests(b, n_routes);
    render_histogram(b, n_routes);
    render_bytes(b, n_routes);
    render_cache(app, b);
    render_datasets(app, b);
    render_recipes(b);
    render_process(b);
    srv_buf_printf(b,
                   "# HELP recprep_http_inflight_requests Requests being served.\n"
                   "# TYPE recprep_http_inflight_requests gauge\n"
                   "recprep_http_inflight_requests %ld\n",
                   atomic_load(&app->inflight));
}
