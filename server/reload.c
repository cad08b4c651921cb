/*
 * server/reload.c - re-reading datasets while the service keeps answering.
 *
 * What: one reloader thread per registry. SIGHUP (srv_reload_changed) asks
 * it to stat every READY dataset's file and reload those whose identity
 * (size, mtime, inode, device) differs from the one recorded when the
 * current generation was read - a file that vanished counts as changed and
 * then fails to load. POST /v1/datasets/{ds}/reload (srv_reload_request)
 * queues one dataset whatever its file says: an operator who asks gets a
 * fresh read. A reload builds a new generation with srv_gen_load (the same
 * code as the start-up load) while requests are answered from the current
 * one, then publishes it in one atomic swap (registry.c); the replaced
 * generation is freed by its last request, and on_replaced drops its cached
 * results (cache keys carry the generation, so they could never be served
 * for the new data anyway). A reload that fails is logged as one JSON line
 * naming the file, line and problem, counted, and leaves the current
 * generation in service.
 * Invariants: only this thread creates generations after start-up, so a
 * dataset's reloads are sequential and last_id needs no lock; a dataset's
 * reload state goes IDLE -> QUEUED (request) -> RUNNING -> IDLE (here).
 * Complexity: O(datasets) stat calls per SIGHUP, O(rows) per reload.
 * Rejected: a thread per reload - two reloads of one file could race to
 * publish, and joining finished threads would need bookkeeping of its own;
 * reloads are rare and one at a time keeps the memory peak at one extra
 * dataset. Rejected too: reloading from the signal handler's thread (main)
 * - SIGTERM must stay answerable during a long reload.
 *
 * Test-only knob: RECPREP_TEST_RELOAD_DELAY_MS=N makes each reload sleep N
 * ms before reading, so end-to-end tests can observe "reloading".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry.h"
#include "util.h"

static void wake(struct srv_reloader *r, int scan)
{
    pthread_mutex_lock(&r->mu);
    r->work = 1;
    r->scan |= scan;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void srv_reload_changed(struct srv_registry *reg)
{
    wake(&reg->reloader, 1);
}

int srv_reload_request(struct srv_registry *reg, struct srv_dataset *d)
{
    int idle = SRV_RELOAD_IDLE;
    if (srv_dataset_state(d) != SRV_DS_READY)
        return -1;
    if (!atomic_compare_exchange_strong(&d->reload, &idle, SRV_RELOAD_QUEUED))
        return 1;
    wake(&reg->reloader, 0);
    return 0;
}

int srv_reload_busy(const struct srv_dataset *d)
{
    return atomic_load(&d->reload) != SRV_RELOAD_IDLE;
}

void srv_reload_info(struct srv_dataset *d, struct srv_reload_info *out)
{
    pthread_mutex_lock(&d->info_mu);
    *out = d->info;
    pthread_mutex_unlock(&d->info_mu);
}

/* Queue the READY datasets whose file is not the one their current
 * generation was read from. */
static void queue_changed(struct srv_registry *reg)
{
    for (size_t i = 0; i < reg->n; i++) {
        struct srv_dataset *d = &reg->items[i];
        struct srv_file_id now;
        int idle = SRV_RELOAD_IDLE;
        if (d->conf->path == NULL || srv_dataset_state(d) != SRV_DS_READY)
            continue;
        srv_file_id_of(d->conf->path, &now);
        struct srv_gen *g = srv_dataset_acquire(d);
        int changed = g != NULL && memcmp(&now, &g->file, sizeof now) != 0;
        srv_gen_release(g);
        if (changed)
            atomic_compare_exchange_strong(&d->reload, &idle, SRV_RELOAD_QUEUED);
    }
}

static void set_info(struct srv_dataset *d, int ok, const char *error)
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    pthread_mutex_lock(&d->info_mu);
    d->info.done = 1;
    d->info.ok = ok;
    strftime(d->info.time, sizeof d->info.time, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(d->info.error, sizeof d->info.error, "%s", error);
    pthread_mutex_unlock(&d->info_mu);
}

static void reload_failed(struct srv_dataset *d, rp_status st, const rp_error *err)
{
    char line[RP_ERROR_FILE_LEN + RP_ERROR_TEXT_LEN + 32];
    srv_dataset_error_line(d, st, err, line, sizeof line);
    atomic_fetch_add(&d->reload_failures, 1);
    set_info(d, 0, line);
    struct srv_buf b = {0};
    srv_buf_printf(&b, "{\"event\":\"dataset_reload_failed\",\"dataset\":\"%s\",\"error\":\"",
                   d->name);
    srv_buf_json_escape(&b, line, strlen(line));
    srv_buf_printf(&b, "\",\"serving_generation\":%llu}\n", (unsigned long long)d->last_id);
    srv_buf_emit(&b);
}

static void log_reloaded(const struct srv_gen *g)
{
    struct srv_buf b = {0};
    srv_buf_printf(&b,
                   "{\"event\":\"dataset_reloaded\",\"dataset\":\"%s\",\"generation\":%llu,"
                   "\"rows\":%u,\"users\":%u,\"items\":%u,\"seconds\":%.3f}\n",
                   g->owner->name, (unsigned long long)g->id, rp_dataset_rows(g->ds),
                   rp_dataset_users(g->ds), rp_dataset_items(g->ds), g->load_seconds);
    srv_buf_emit(&b);
}

/* The digest lowers its thread's priority (registry.c) for good: run on a
 * thread of its own, so the reload thread - and the parse threads of the
 * next dataset it reloads, which inherit its nice - keep theirs. */
static void *digest_thread(void *arg)
{
    srv_gen_digest(arg);
    return NULL;
}

static void digest_aside(struct srv_gen *g)
{
    pthread_t t;
    if (pthread_create(&t, NULL, digest_thread, g) == 0)
        pthread_join(t, NULL);
    else
        srv_gen_digest(g);
}

/* Build, publish, digest: the current generation serves until the swap. */
static void reload_one(struct srv_registry *reg, struct srv_dataset *d)
{
    struct srv_gen *g;
    rp_error err;
    rp_error_clear(&err);
    uint64_t t0 = srv_now_ns();
    srv_test_delay("RECPREP_TEST_RELOAD_DELAY_MS");
    rp_status st = srv_gen_load(d, NULL, t0, &g, &err);
    if (st != RP_OK) {
        reload_failed(d, st, &err);
        atomic_store(&d->reload, SRV_RELOAD_IDLE);
        return;
    }
    srv_gen_ref(g); /* for the digest below */
    struct srv_gen *old = srv_dataset_publish(d, g);
    atomic_fetch_add(&d->reloads, 1);
    if (reg->on_replaced != NULL && old != NULL)
        reg->on_replaced(old, reg->ctx);
    srv_gen_release(old);
    set_info(d, 1, "");
    log_reloaded(g);
    atomic_store(&d->reload, SRV_RELOAD_IDLE);
    digest_aside(g);
    srv_gen_release(g);
}

/* One pass: everything queued before it started is reloaded. */
static void pass(struct srv_registry *reg, int scan)
{
    if (scan)
        queue_changed(reg);
    for (size_t i = 0; i < reg->n; i++) {
        struct srv_dataset *d = &reg->items[i];
        int queued = SRV_RELOAD_QUEUED;
        if (atomic_compare_exchange_strong(&d->reload, &queued, SRV_RELOAD_RUNNING))
            reload_one(reg, d);
    }
}

static void *reloader(void *arg)
{
    struct srv_registry *reg = arg;
    struct srv_reloader *r = &reg->reloader;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->stop && !r->work)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stop)
            break;
        int scan = r->scan;
        r->work = r->scan = 0;
        r->busy = 1;
        pthread_mutex_unlock(&r->mu);
        pass(reg, scan);
        pthread_mutex_lock(&r->mu);
        r->busy = 0;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int srv_reload_start(struct srv_registry *reg)
{
    struct srv_reloader *r = &reg->reloader;
    if (pthread_create(&r->thread, NULL, reloader, reg) != 0)
        return -1;
    r->started = 1;
    return 0;
}

int srv_reload_stop(struct srv_registry *reg)
{
    struct srv_reloader *r = &reg->reloader;
    if (!r->started)
        return 0;
    pthread_mutex_lock(&r->mu);
    int busy = r->busy;
    r->stop = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (busy)
        return -1; /* it finishes its pass, sees stop and exits; nobody waits */
    pthread_join(r->thread, NULL);
    r->started = 0;
    return 0;
}
