/*
 * server/registry.c - datasets loaded in the background.
 *
 * What: one loader thread per configured dataset: load (or generate `demo`),
 * compute statistics once, serialise them, publish READY. The HTTP port is
 * already served meanwhile; /readyz and dataset requests consult the state.
 * Invariants: state changes once; fields are written before the release
 * store that publishes them; a FAILED dataset triggers on_failure, which
 * stops the process (exit 2), so nothing ever serves a half-loaded dataset.
 * Complexity: O(rows) per dataset (the core's loader and statistics).
 * Rejected: loading before opening the port - /healthz and /readyz would then
 * be unreachable during a multi-second load, and orchestrators could not tell
 * "starting" from "dead".
 *
 * Test-only knob: RECPREP_TEST_LOAD_DELAY_MS=N makes each loader sleep N ms
 * before loading, so end-to-end tests can observe the loading state.
 */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
static rp_status load_demo(struct srv_dataset *d, rp_error *err)
{
    rp_gen_params p = rp_gen_for_rows(SRV_DEMO_ROWS);
    char *buf = NULL;
    size_t len = 0;
    rp_status st = rp_generate(&p, &buf, &len, err);
    if (st == RP_OK)
        st = rp_load_buffer_progress("demo.csv", buf, len, RP_FORMAT_AMAZON_CSV, &d->progress,
                                     &d->ds, err);
    if (st == RP_OK) { /* in memory and small: its digest costs a few ms */
        rp_sha256_buffer(buf, len, d->sha256);
        d->input_bytes = len;
        atomic_store_explicit(&d->sha_ready, 1, memory_order_release);
    }
    free(buf);
    return st;
}

/* The input file's digest, after READY: requests are served meanwhile, their
 * summaries say "sha256": null until it lands. A file that cannot be read
 * again leaves it null (logged). */
static void digest_input(struct srv_dataset *d)
{
    rp_error err;
    rp_error_clear(&err);
    if (d->conf->path == NULL || atomic_load(&d->sha_ready))
        return;
    if (rp_sha256_file(d->conf->path, d->sha256, &d->input_bytes, &err) != RP_OK) {
        char line[512];
        const char *text = rp_error_line(&err, line, sizeof line);
        struct srv_buf b = {0};
        srv_buf_printf(&b, "{\"event\":\"digest_failed\",\"dataset\":\"%s\",\"error\":\"", d->name);
        srv_buf_json_escape(&b, text, strlen(text));
        srv_buf_printf(&b, "\"}\n");
        if (!b.failed)
            fwrite(b.data, 1, b.len, stderr);
        srv_buf_cleanup(&b);
        return;
    }
    atomic_store_explicit(&d->sha_ready, 1, memory_order_release);
}

const char *srv_dataset_sha256(const struct srv_dataset *d)
{
    return atomic_load_explicit(&d->sha_ready, memory_order_acquire) ? d->sha256 : NULL;
}

void srv_dataset_provenance(const struct srv_dataset *d, rp_provenance *out)
{
    out->sha256 = srv_dataset_sha256(d);
    out->dataset = d->name;
    out->bytes = out->sha256 ? d->input_bytes : 0;
}

static rp_status compute_stats(struct srv_dataset *d)
{
    rp_stats st;
    rp_status s = rp_stats_compute(d->ds, &st);
    if (s != RP_OK)
        return s;
    json_t *j = rp_stats_to_json(&st, d->name, rp_dataset_format(d->ds));
    char *text = j ? json_dumps(j, RP_JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        return RP_ERR_NOMEM;
    d->stats_json = text;
    d->stats_len = strlen(text);
    return RP_OK;
}

static void log_loaded(const struct srv_dataset *d)
{
    struct srv_buf b = {0};
    srv_buf_printf(&b,
                   "{\"event\":\"dataset_loaded\",\"dataset\":\"%s\",\"rows\":%u,"
                   "\"users\":%u,\"items\":%u,\"seconds\":%.3f}\n",
                   d->name, rp_dataset_rows(d->ds), rp_dataset_users(d->ds),
                   rp_dataset_items(d->ds), d->load_seconds);
    if (!b.failed)
        fwrite(b.data, 1, b.len, stderr);
    srv_buf_cleanup(&b);
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
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(ev);
    json_decref(p);
    (void)pg;
}

static void *loader(void *arg)
{
    struct srv_dataset *d = arg;
    uint64_t t0 = atomic_load(&d->t0_ns);
    srv_test_delay("RECPREP_TEST_LOAD_DELAY_MS");
    rp_error_clear(&d->err);
    d->progress.on_update = on_progress;
    d->progress.ctx = d;
    rp_load_opts opts = {.threads = the_registry->load_threads};
    rp_status st = d->conf->path == NULL ? load_demo(d, &d->err)
                                         : rp_load_file_opts(d->conf->path, d->conf->format, &opts,
                                                             &d->progress, &d->ds, &d->err);
    if (st == RP_OK)
        st = compute_stats(d);
    if (st != RP_OK) {
        d->status = st;
        atomic_store_explicit(&d->state, SRV_DS_FAILED, memory_order_release);
        if (the_registry->on_failure)
            the_registry->on_failure();
        return NULL;
    }
    d->fingerprint = rp_dataset_fingerprint(d->ds);
    d->load_seconds = (double)(srv_now_ns() - t0) / 1e9;
    log_loaded(d);
    atomic_store_explicit(&d->state, SRV_DS_READY, memory_order_release);
    atomic_fetch_add(&the_registry->n_ready, 1);
    digest_input(d);
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
    for (size_t i = 0; i < reg->n; i++) {
        struct srv_dataset *d = &reg->items[i];
        memcpy(d->name, cfg->datasets[i].name, sizeof d->name);
        d->conf = &cfg->datasets[i];
        atomic_init(&d->state, SRV_DS_LOADING);
        atomic_init(&d->sha_ready, 0);
        rp_load_progress_init(&d->progress);
        atomic_init(&d->t0_ns, 0);
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
    return 0;
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
        rp_dataset_unref(d->ds);
        free(d->stats_json);
    }
    free(reg->items);
    memset(reg, 0, sizeof *reg);
}
