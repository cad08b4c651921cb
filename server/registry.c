/*
 * server/registry.c - datasets loaded in the background, as generations.
 *
 * What: one loader thread per configured dataset: load (or generate `demo`),
 * compute statistics once, serialise them, publish the first generation and
 * READY. The HTTP port is already served meanwhile; /readyz and dataset
 * requests consult the state. Reloads (reload.c) build later generations
 * with the same srv_gen_load and swap them in with srv_dataset_publish.
 * Invariants: state changes once; a generation's fields are written before
 * the store that publishes it; a FAILED dataset triggers on_failure, which
 * stops the process (exit 2), so nothing ever serves a half-loaded dataset.
 * A generation is freed by its last reference: the registry holds one for
 * the current generation, each request one for the generation it started
 * with.
 * Taking a reference without a lock: a request counts itself in d->readers,
 * reads d->gen, increments its refs, and uncounts itself. The publisher
 * swaps d->gen and then waits until readers is 0 before dropping the old
 * generation's reference; every request that could have read the old
 * pointer has incremented its refs by then (all sequentially consistent
 * atomics: a reader's count precedes its read of d->gen, which precedes the
 * swap, so the publisher sees it until it is uncounted). Requests never wait;
 * the publisher waits for a few instructions of each reader in the window.
 * Rejected: a mutex or rwlock per dataset - as cheap when uncontended, but
 * every request of every thread would serialise on it; the cost here is
 * three atomic increments per request, which the cached-summary benchmark
 * cannot tell apart from none.
 * Complexity: O(rows) per load (the core's loader and statistics).
 * Rejected: loading before opening the port - /healthz and /readyz would then
 * be unreachable during a multi-second load, and orchestrators could not tell
 * "starting" from "dead".
 *
 * Test-only knobs: RECPREP_TEST_LOAD_DELAY_MS=N makes each loader sleep N ms
 * before loading, so end-to-end tests can observe the loading state;
 * RECPREP_TEST_DIGEST_DELAY_MS=N delays each file's digest by N ms, so they
 * can observe results computed before it landed.
 */
#define _DEFAULT_SOURCE 1 /* syscall(SYS_gettid) for the digest's priority */
#include "registry.h"
#include "memory.h"

#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "recprep/json.h"

#include "recprep/generate.h"
#include "recprep/load.h"
#include "recprep/stats.h"
#include "util.h"

static struct srv_registry *the_registry; /* for the loader threads' callback */

/* The demo log: the generator's defaults scaled down to SRV_DEMO_ROWS rows
 * (users and items keep their default proportion to rows), seed 42. */
static rp_status load_demo(struct srv_gen *g, rp_load_progress *pg, rp_error *err)
{
    rp_gen_params p = rp_gen_for_rows(SRV_DEMO_ROWS);
    char *buf = NULL;
    size_t len = 0;
    rp_status st = rp_generate(&p, &buf, &len, err);
    if (st == RP_OK)
        st = rp_load_buffer_progress("demo.csv", buf, len, RP_FORMAT_AMAZON_CSV, pg, &g->ds, err);
    if (st == RP_OK) { /* in memory and small: its digest costs a few ms */
        rp_sha256_buffer(buf, len, g->sha256);
        g->input_bytes = len;
        atomic_store_explicit(&g->sha_ready, 1, memory_order_release);
    }
    free(buf);
    return st;
}

void srv_file_id_of(const char *path, struct srv_file_id *out)
{
    struct stat sb;
    memset(out, 0, sizeof *out);
    if (path == NULL || stat(path, &sb) != 0)
        return;
    out->dev = (uint64_t)sb.st_dev;
    out->ino = (uint64_t)sb.st_ino;
    out->size = (uint64_t)sb.st_size;
    out->mtime_sec = (int64_t)sb.st_mtim.tv_sec;
    out->mtime_nsec = (int64_t)sb.st_mtim.tv_nsec;
}

static void log_event(const char *event, const char *name, const char *text)
{
    struct srv_buf b = {0};
    srv_buf_printf(&b, "{\"event\":\"%s\",\"dataset\":\"%s\",\"error\":\"", event, name);
    srv_buf_json_escape(&b, text, strlen(text));
    srv_buf_printf(&b, "\"}\n");
    srv_buf_emit(&b);
}

/* The calling thread yields to request threads: the digest runs while the
 * first requests of a just-loaded dataset compute (on 2 cores, a first 2M-row
 * temporal summary took 77-112 ms beside it at the same priority). Linux
 * takes a thread id for a per-thread nice; elsewhere this does nothing. */
static void background_priority(void)
{
#ifdef __linux__
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
}

/* The input file's digest, after publishing: requests are served meanwhile,
 * their summaries say "sha256": null until it lands. The file is read
 * again, so it must still be the one loaded: a file replaced (or unreadable)
 * since leaves the digest unknown, logged. */
void srv_gen_digest(struct srv_gen *g)
{
    const char *path = g->owner->conf->path;
    struct srv_file_id after;
    rp_error err;
    rp_error_clear(&err);
    if (path == NULL || atomic_load(&g->sha_ready))
        return;
    srv_test_delay("RECPREP_TEST_DIGEST_DELAY_MS");
    background_priority();
    if (rp_sha256_file(path, g->sha256, &g->input_bytes, &err) != RP_OK) {
        char line[512];
        log_event("digest_failed", g->owner->name, rp_error_line(&err, line, sizeof line));
        return;
    }
    srv_file_id_of(path, &after);
    if (memcmp(&after, &g->file, sizeof after) != 0) {
        log_event("digest_failed", g->owner->name, "the file changed since it was loaded");
        return;
    }
    atomic_store_explicit(&g->sha_ready, 1, memory_order_release);
}

const char *srv_gen_sha256(const struct srv_gen *g)
{
    return atomic_load_explicit(&g->sha_ready, memory_order_acquire) ? g->sha256 : NULL;
}

const char *srv_gen_name(const struct srv_gen *g)
{
    return g->owner->name;
}

void srv_gen_provenance(const struct srv_gen *g, rp_provenance *out)
{
    out->sha256 = srv_gen_sha256(g);
    out->dataset = g->owner->name;
    out->bytes = out->sha256 ? g->input_bytes : 0;
}

int srv_gen_key_prefix(const struct srv_gen *g, char *buf, size_t cap)
{
    return snprintf(buf, cap, "%s%c%llu%c", g->owner->name, 0, (unsigned long long)g->id, 0);
}

struct srv_gen *srv_gen_ref(struct srv_gen *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    return g;
}

void srv_gen_release(struct srv_gen *g)
{
    if (g == NULL || atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
        return;
    rp_dataset_unref(g->ds);
    free(g->stats_json);
    free(g);
}

struct srv_gen *srv_dataset_acquire(struct srv_dataset *d)
{
    atomic_fetch_add(&d->readers, 1);
    struct srv_gen *g = atomic_load(&d->gen);
    if (g != NULL)
        atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    atomic_fetch_sub(&d->readers, 1);
    return g;
}

int srv_gen_current(const struct srv_gen *g)
{
    return atomic_load(&g->owner->gen) == g;
}

struct srv_gen *srv_dataset_publish(struct srv_dataset *d, struct srv_gen *g)
{
    struct srv_gen *old = atomic_exchange(&d->gen, g);
    while (atomic_load(&d->readers) != 0) /* see the design note */
        sched_yield();
    return old;
}

void srv_dataset_error_line(const struct srv_dataset *d, rp_status st, const rp_error *err,
                            char *buf, size_t cap)
{
    if (err->message[0])
        rp_error_line(err, buf, cap);
    else
        snprintf(buf, cap, "%s: %s", d->conf->path ? d->conf->path : d->name, rp_status_str(st));
}

static rp_status compute_stats(struct srv_gen *g)
{
    rp_stats st;
    rp_status s = rp_stats_compute(g->ds, &st);
    if (s != RP_OK)
        return s;
    json_t *j = rp_stats_to_json(&st, g->owner->name, rp_dataset_format(g->ds));
    char *text = j ? json_dumps(j, RP_JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        return RP_ERR_NOMEM;
    g->stats_json = text;
    g->stats_len = strlen(text);
    return RP_OK;
}

rp_status srv_gen_load(struct srv_dataset *d, rp_load_progress *pg, uint64_t t0,
                       struct srv_gen **out, rp_error *err)
{
    struct srv_gen *g = calloc(1, sizeof *g);
    *out = NULL;
    if (g == NULL)
        return RP_ERR_NOMEM;
    atomic_init(&g->refs, 1);
    atomic_init(&g->sha_ready, 0);
    g->owner = d;
    srv_file_id_of(d->conf->path, &g->file); /* before reading: a change meanwhile shows */
    rp_load_opts opts = {.threads = the_registry->load_threads};
    rp_status st = d->conf->path == NULL
                       ? load_demo(g, pg, err)
                       : rp_load_file_opts(d->conf->path, d->conf->format, &opts, pg, &g->ds, err);
    if (st == RP_OK)
        st = compute_stats(g);
    srv_memory_trim(); /* the load's scratch, the parse threads' arenas */
    if (st != RP_OK) {
        srv_gen_release(g);
        return st;
    }
    g->id = ++d->last_id;
    g->fingerprint = rp_dataset_fingerprint(g->ds);
    g->load_seconds = (double)(srv_now_ns() - t0) / 1e9;
    *out = g;
    return RP_OK;
}

static void log_loaded(const struct srv_gen *g)
{
    struct srv_buf b = {0};
    srv_buf_printf(&b,
                   "{\"event\":\"dataset_loaded\",\"dataset\":\"%s\",\"rows\":%u,"
                   "\"users\":%u,\"items\":%u,\"seconds\":%.3f}\n",
                   g->owner->name, rp_dataset_rows(g->ds), rp_dataset_users(g->ds),
                   rp_dataset_items(g->ds), g->load_seconds);
    srv_buf_emit(&b);
}

static const char *stage_name(const struct srv_dataset *d)
{
    static const char *const names[] = {"waiting", "reading", "indexing", "statistics"};
    int stage = atomic_load_explicit(&d->progress.stage, memory_order_acquire);
    return stage >= 0 && stage <= RP_LOAD_DONE ? names[stage] : "waiting";
}

struct json_t *srv_dataset_progress_json(const struct srv_dataset *d)
{
    uint64_t t0 = atomic_load(&d->t0_ns), now = srv_now_ns();
    uint64_t total = atomic_load_explicit(&d->progress.total_bytes, memory_order_relaxed);
    double elapsed = t0 != 0 && now > t0 ? (double)(now - t0) / 1e9 : 0.0;
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:f}", "stage", stage_name(d), "rows",
        (json_int_t)atomic_load_explicit(&d->progress.rows, memory_order_relaxed), "bytes",
        (json_int_t)atomic_load_explicit(&d->progress.bytes, memory_order_relaxed),
        "elapsed_seconds", (double)(uint64_t)(elapsed * 1000) / 1000);
    if (o != NULL && json_object_set_new(o, "total_bytes",
                                         total ? json_integer((json_int_t)total) : json_null()))
        json_decref(o), o = NULL;
    return o;
}

/* The loader's progress callback: one event when reading starts, then at
 * most one a second (a load of a few hundred ms logs one line). */
static void on_progress(const rp_load_progress *pg, void *ctx)
{
    struct srv_dataset *d = ctx;
    uint64_t now = srv_now_ns();
    int first = d->last_log_ns == 0;
    if (!first && now - d->last_log_ns < 1000000000ull)
        return;
    d->last_log_ns = now;
    json_t *p = srv_dataset_progress_json(d);
    json_t *ev =
        p ? json_pack("{s:s, s:s}", "event", "dataset_progress", "dataset", d->name) : NULL;
    char *text = ev && json_object_update(ev, p) == 0 ? json_dumps(ev, RP_JSON_COMPACT) : NULL;
    if (text != NULL) {
        struct srv_buf b = {0};
        srv_buf_printf(&b, "%s\n", text);
        srv_buf_emit(&b);
    }
    free(text);
    json_decref(ev);
    json_decref(p);
    (void)pg;
}

static void *loader(void *arg)
{
    struct srv_dataset *d = arg;
    struct srv_gen *g;
    uint64_t t0 = atomic_load(&d->t0_ns);
    srv_test_delay("RECPREP_TEST_LOAD_DELAY_MS");
    rp_error_clear(&d->err);
    d->progress.on_update = on_progress;
    d->progress.ctx = d;
    rp_status st = srv_gen_load(d, &d->progress, t0, &g, &d->err);
    if (st != RP_OK) {
        d->status = st;
        atomic_store_explicit(&d->state, SRV_DS_FAILED, memory_order_release);
        if (the_registry->on_failure)
            the_registry->on_failure();
        return NULL;
    }
    log_loaded(g);
    srv_gen_ref(g); /* for the digest below: a reload may replace g meanwhile */
    srv_gen_release(srv_dataset_publish(d, g)); /* none at start-up */
    atomic_store_explicit(&d->state, SRV_DS_READY, memory_order_release);
    atomic_fetch_add(&the_registry->n_ready, 1);
    srv_gen_digest(g);
    srv_gen_release(g);
    return NULL;
}

int srv_registry_init(struct srv_registry *reg, const struct srv_config *cfg)
{
    memset(reg, 0, sizeof *reg);
    reg->items = calloc(cfg->n_datasets, sizeof *reg->items);
    if (reg->items == NULL)
        return -1;
    reg->n = cfg->n_datasets;
    reg->load_threads = cfg->load_threads;
    pthread_mutex_init(&reg->reloader.mu, NULL);
    pthread_cond_init(&reg->reloader.cv, NULL);
    for (size_t i = 0; i < reg->n; i++) {
        struct srv_dataset *d = &reg->items[i];
        memcpy(d->name, cfg->datasets[i].name, sizeof d->name);
        d->conf = &cfg->datasets[i];
        atomic_init(&d->state, SRV_DS_LOADING);
        rp_load_progress_init(&d->progress);
        atomic_init(&d->t0_ns, 0);
        atomic_init(&d->gen, NULL);
        atomic_init(&d->readers, 0);
        atomic_init(&d->reload, SRV_RELOAD_IDLE);
        atomic_init(&d->reloads, 0);
        atomic_init(&d->reload_failures, 0);
        pthread_mutex_init(&d->info_mu, NULL);
    }
    return 0;
}

int srv_registry_start(struct srv_registry *reg, void (*on_failure)(void))
{
    reg->on_failure = on_failure;
    the_registry = reg;
    for (size_t i = 0; i < reg->n; i++) {
        struct srv_dataset *d = &reg->items[i];
        atomic_store(&d->t0_ns, srv_now_ns());
        if (pthread_create(&d->thread, NULL, loader, d) != 0)
            return -1;
        d->started = 1;
    }
    return srv_reload_start(reg);
}

struct srv_dataset *srv_registry_find(struct srv_registry *reg, const char *name, size_t len)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strlen(reg->items[i].name) == len && memcmp(reg->items[i].name, name, len) == 0)
            return &reg->items[i];
    return NULL;
}

enum srv_ds_state srv_dataset_state(const struct srv_dataset *d)
{
    return (enum srv_ds_state)atomic_load_explicit(&d->state, memory_order_acquire);
}

int srv_registry_ready(struct srv_registry *reg)
{
    return atomic_load(&reg->n_ready) == reg->n;
}

const struct srv_dataset *srv_registry_failed(struct srv_registry *reg)
{
    for (size_t i = 0; i < reg->n; i++)
        if (srv_dataset_state(&reg->items[i]) == SRV_DS_FAILED)
            return &reg->items[i];
    return NULL;
}

void srv_registry_join_settled(struct srv_registry *reg)
{
    for (size_t i = 0; i < reg->n; i++) {
        struct srv_dataset *d = &reg->items[i];
        if (d->started && srv_dataset_state(d) != SRV_DS_LOADING) {
            pthread_join(d->thread, NULL);
            d->started = 0;
        }
    }
}

void srv_registry_free(struct srv_registry *reg)
{
    for (size_t i = 0; i < reg->n; i++) {
        struct srv_dataset *d = &reg->items[i];
        if (d->started)
            pthread_join(d->thread, NULL);
        srv_gen_release(atomic_load(&d->gen));
        pthread_mutex_destroy(&d->info_mu);
    }
    free(reg->items);
    pthread_mutex_destroy(&reg->reloader.mu);
    pthread_cond_destroy(&reg->reloader.cv);
    memset(reg, 0, sizeof *reg);
}
