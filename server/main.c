/*
 * server/main.c - recprepd: options, start-up, signals, shutdown.
 *
 * Life cycle: parse options (exit 2 on error) -> bind the port -> start the
 * HTTP daemon -> start dataset loaders -> wait for a signal. SIGTERM/SIGINT
 * stop gracefully (exit 0) after draining for --drain-seconds; SIGHUP reloads the datasets whose
 * file changed, in the background (reload.c); a loader failure raises SIGUSR1 and the process
 * exits 2 with one line naming file, line and problem. Every start-up error is one JSON log line
 * {"level":"error","event",...,"message"} (log.h), like the rest of the log. Signals are blocked
 * in every thread (the mask is set before any thread starts) and taken synchronously with sigwait
 * here, so no handler runs in an arbitrary thread and nothing async-signal-unsafe can happen.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "access.h"
#include "app.h"
#include "cache.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "memory.h"
#include "registry.h"
#include "util.h"

static void loader_failed(void)
{
    kill(getpid(), SIGUSR1);
}

/* A reload replaced old: its cached results can never be asked for again. */
static void drop_results(const struct srv_gen *old, void *ctx)
{
    char prefix[SRV_NAME_MAX + 32];
    int n = srv_gen_key_prefix(old, prefix, sizeof prefix);
    if (n > 0 && (size_t)n < sizeof prefix)
        srv_cache_drop_prefix(((struct srv_app *)ctx)->cache, prefix, (size_t)n);
}

static int write_port_file(const char *path, unsigned port)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    int bad = fprintf(f, "%u\n", port) < 0;
    bad |= fclose(f) != 0;
    return bad || rename(tmp, path) != 0 ? -1 : 0;
}

static void log_listening(const struct srv_config *cfg, unsigned port)
{
    int v6 = strchr(cfg->listen_host, ':') != NULL;
    struct srv_buf b = {0};
    srv_buf_printf(&b, "{\"event\":\"listening\",\"address\":\"%s", v6 ? "[" : "");
    srv_buf_json_escape(&b, cfg->listen_host, strlen(cfg->listen_host));
    srv_buf_printf(&b, "%s:%u\",\"threads\":%u,\"cache_mb\":%zu,\"datasets\":%zu}\n", v6 ? "]" : "",
                   port, cfg->threads, cfg->cache_mb, cfg->n_datasets);
    srv_buf_emit(&b);
}

static void report_failure(struct srv_app *app)
{
    const struct srv_dataset *d = srv_registry_failed(&app->reg);
    char line[RP_ERROR_FILE_LEN + RP_ERROR_TEXT_LEN + 32];
    if (d == NULL)
        return;
    srv_dataset_error_line(d, d->status, &d->err, line, sizeof line);
    const struct srv_log_field f[] = {{"dataset", d->name}, {"file", d->conf->path}, {NULL, NULL}};
    srv_log(SRV_LOG_ERROR, "dataset_failed", f, "dataset %s: %s", d->name, line);
}

/* A start-up step failed: one log line; start() then returns NULL. */
static void startup_failed(const char *event, const char *what)
{
    srv_log(SRV_LOG_ERROR, event, NULL, "%s", what);
}

/* Start everything; returns the daemon or NULL (message logged). */
static struct MHD_Daemon *start(struct srv_app *app, const struct srv_config *cfg)
{
    char msg[512];
    unsigned port;
    if (cfg->token_file != NULL &&
        srv_token_load(cfg->token_file, &app->token, &app->token_len, msg, sizeof msg) != 0) {
        startup_failed("token_file_invalid", msg);
        return NULL;
    }
    if (cfg->header_timeout > 0 && (app->guard = srv_guard_new(cfg->header_timeout)) == NULL) {
        startup_failed("startup_failed", "cannot start the header-deadline thread");
        return NULL;
    }
    if ((app->cache = srv_cache_new(cfg->cache_mb * 1024 * 1024)) == NULL) {
        startup_failed("startup_failed", "out of memory");
        return NULL;
    }
    if ((app->pool = srv_pool_new(cfg->threads < 2 ? 2 : cfg->threads)) == NULL) {
        startup_failed("startup_failed", "cannot start worker threads");
        return NULL;
    }
    if (srv_registry_init(&app->reg, cfg) != 0) {
        startup_failed("startup_failed", "out of memory");
        return NULL;
    }
    app->reg.on_replaced = drop_results;
    app->reg.ctx = app;
    int fd = srv_listen(cfg->listen_host, cfg->listen_port, &port, msg, sizeof msg);
    if (fd < 0) {
        startup_failed("listen_failed", msg);
        return NULL;
    }
    struct MHD_Daemon *d = srv_http_start(app, fd);
    if (d == NULL) {
        startup_failed("startup_failed", "cannot start the HTTP daemon");
        close(fd);
        return NULL;
    }
    log_listening(cfg, port);
    if (cfg->port_file != NULL && write_port_file(cfg->port_file, port) != 0)
        srv_log(SRV_LOG_WARNING, "port_file_failed", NULL, "cannot write --port-file %s",
                cfg->port_file);
    if (srv_registry_start(&app->reg, loader_failed) != 0) {
        startup_failed("startup_failed", "cannot start loader threads");
        srv_http_stop_accepting(app);
        MHD_stop_daemon(d);
        return NULL;
    }
    return d;
}

/* Wait for SIGTERM/SIGINT (returns 0) or a loader failure (returns 2);
 * SIGHUP starts a reload and waits on. */
static int wait_for_signal(const sigset_t *set, struct srv_app *app)
{
    for (;;) {
        int sig;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGUSR1 && srv_registry_failed(&app->reg) != NULL)
            return 2;
        if (sig == SIGHUP) {
            static const char line[] =
                "{\"event\":\"sighup\",\"action\":\"reload changed datasets\"}\n";
            srv_log_write(line, sizeof line - 1);
            srv_reload_changed(&app->reg);
        }
        if (sig == SIGTERM || sig == SIGINT)
            return 0;
    }
}

static int all_settled(struct srv_registry *reg)
{
    for (size_t i = 0; i < reg->n; i++)
        if (srv_dataset_state(&reg->items[i]) == SRV_DS_LOADING)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    static struct srv_config cfg; /* static: still reachable when exiting early */
    char msg[512];
    srv_memory_init();
    enum srv_config_result cr = srv_config_parse(&cfg, argc, argv, msg, sizeof msg);
    if (cr != SRV_CONFIG_RUN) {
        if (cr == SRV_CONFIG_ERROR)
            startup_failed("config_invalid", msg);
        srv_config_cleanup(&cfg);
        return cr == SRV_CONFIG_ERROR ? 2 : 0;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    srv_log_start(); /* batched from here on; on failure each line is one write */

    static struct srv_app app; /* static: reachable for the whole process */
    app.cfg = &cfg;
    struct MHD_Daemon *d = start(&app, &cfg);
    if (d == NULL)
        return 2;
    int rc = wait_for_signal(&set, &app);
    if (rc != 0) {
        report_failure(&app);
        srv_test_delay("RECPREP_TEST_FAIL_EXIT_DELAY_MS"); /* tests: see the failed state served */
        srv_http_stop_accepting(&app);
        srv_pool_free(app.pool); /* no suspended connection may remain */
        MHD_stop_daemon(d);
        srv_guard_free(app.guard);
        srv_registry_join_settled(&app.reg);
        return rc; /* other loaders may still run: no cleanup, the OS reclaims */
    }
    srv_http_stop(d, &app, cfg.drain_seconds * 1000u);
    srv_guard_free(app.guard);
    static const char stopped[] = "{\"event\":\"stopped\"}\n";
    srv_log_write(stopped, sizeof stopped - 1);
    if (srv_reload_stop(&app.reg) != 0 || !all_settled(&app.reg)) {
        srv_registry_join_settled(&app.reg);
        return 0; /* a loader is still running: exit without waiting for it */
    }
    srv_registry_free(&app.reg);
    srv_cache_free(app.cache);
    free(app.token);
    srv_config_cleanup(&cfg);
    return 0;
}
