/*
 * server/http.c - libmicrohttpd glue: socket, dispatch, access log, stop.
 *
 * What: one access handler for every request. The first call allocates the
 * request context; the next (once any body has been skipped) checks limits,
 * CORS preflight, auth and the route table, and calls the route's handler.
 * The handler queues the response, or suspends the connection while a
 * worker computes (async.c); after the resume MHD calls the handler again
 * and the request is dispatched once more, now finding its result. The
 * completion callback records metrics and writes one JSON access-log line,
 * then frees the context.
 *
 * Invariants: every request that reaches the handler gets exactly one
 * response; inflight counts contexts between allocation and completion, so
 * a graceful stop can wait for it to reach zero. Auth runs before routing
 * for every /v1 path, so unauthenticated clients cannot probe which paths
 * or datasets exist.
 *
 * Complexity: O(path + query) per request before the handler.
 *
 * Rejected: MHD's own port binding (MHD_OPTION_SOCK_ADDR) - binding
 * ourselves gives one code path for IPv4/IPv6 and for reading back the
 * ephemeral port before any thread starts.
 */
#include "http.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "access.h"
#include "metrics.h"
#include "reply.h"
#include "router.h"
#include "util.h"

int srv_listen(const char *host, unsigned port, unsigned *bound, char *msg, size_t cap)
{
    struct addrinfo hints = {0}, *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(msg, cap, "--listen %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        snprintf(msg, cap, "--listen %s:%u: cannot listen", host, port);
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    char hbuf[64], sbuf[8];
    *bound = port;
    if (getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof hbuf, sbuf, sizeof sbuf,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        *bound = (unsigned)strtoul(sbuf, NULL, 10);
    return fd;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decoding for paths and query arguments, in place. Unlike MHD's
 * default it leaves "%00" encoded: a decoded NUL would silently cut a C
 * string short, so "small%00x" would name dataset "small" and "k=4%00junk"
 * would read as k=4. Kept encoded, both are simply unknown or invalid. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *out = s;
    (void)cls;
    (void)conn;
    for (const char *in = s; *in != '\0'; in++) {
        int hi = in[0] == '%' ? hex_value(in[1]) : -1;
        int lo = hi >= 0 ? hex_value(in[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

static enum srv_method method_of(const char *m)
{
    if (strcmp(m, "GET") == 0)
        return SRV_GET;
    if (strcmp(m, "HEAD") == 0)
        return SRV_HEAD;
    if (strcmp(m, "OPTIONS") == 0)
        return SRV_OPTIONS;
    return SRV_OTHER;
}

static struct srv_req *req_new(struct srv_app *app, struct MHD_Connection *conn, const char *url,
                               const char *method)
{
    struct srv_req *rq = calloc(1, sizeof *rq);
    if (rq == NULL)
        return NULL;
    rq->app = app;
    rq->conn = conn;
    rq->t0_ns = srv_now_ns();
    rq->method = method_of(method);
    rq->head = rq->method == SRV_HEAD;
    srv_routes(&rq->route_index); /* "unmatched" until routing says otherwise */
    snprintf(rq->method_name, sizeof rq->method_name, "%s", method);
    snprintf(rq->path, sizeof rq->path, "%s", url);
    atomic_fetch_add(&app->inflight, 1);
    return rq;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct srv_req *rq = cls;
    (void)kind;
    rq->args_bytes += strlen(key) + 1 + (value ? strlen(value) : 0);
    if (rq->n_args < SRV_PARAMS_MAX + 1) {
        rq->args[rq->n_args].key = key;
        rq->args[rq->n_args].value = value;
        rq->n_args++;
    }
    return MHD_YES;
}

static int preflight(struct srv_req *rq)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Authorization, If-None-Match");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    return srv_reply_response(rq, MHD_HTTP_NO_CONTENT, resp, 0);
}

static int unauthorized(struct srv_req *rq)
{
    return srv_reply_error_header(rq, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                                  MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer",
                                  "this endpoint needs 'Authorization: Bearer <token>'");
}

static int needs_auth(const struct srv_app *app, const char *url)
{
    return app->token != NULL && strncmp(url, "/v1", 3) == 0 && (url[3] == '\0' || url[3] == '/');
}

static int method_not_allowed(struct srv_req *rq, const struct srv_match *m)
{
    return srv_reply_error_header(rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                  MHD_HTTP_HEADER_ALLOW, m->allow,
                                  "method not allowed here; allowed: %s", m->allow);
}

static int dispatch(struct srv_req *rq, const char *url)
{
    struct srv_app *app = rq->app;
    struct srv_match m;
    rq->n_args = rq->args_bytes = 0; /* dispatch runs again after a resume */
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, collect_arg, rq);
    if (strlen(url) > SRV_MAX_PATH || rq->args_bytes > SRV_MAX_QUERY)
        return srv_reply_error(rq, MHD_HTTP_URI_TOO_LONG, "uri_too_long", NULL,
                               "path or query string too long (limits %d and %d bytes)",
                               SRV_MAX_PATH, SRV_MAX_QUERY);
    const char *origin = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Origin");
    rq->cors_origin = srv_cors_origin(app->cfg, origin);
    enum srv_match_status ms = srv_route_match(rq->method_name, url, &m);
    rq->route_index = m.index;
    if (rq->method == SRV_OPTIONS && app->cfg->n_origins > 0 && ms != SRV_MATCH_NOT_FOUND)
        return preflight(rq);
    if (needs_auth(app, url) &&
        !srv_token_check(
            MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
            app->token, app->token_len))
        return unauthorized(rq);
    if (ms == SRV_MATCH_NOT_FOUND)
        return srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no such path");
    if (ms == SRV_MATCH_METHOD)
        return method_not_allowed(rq, &m);
    return m.route->handler(rq, &m);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct srv_req *rq = *req_cls;
    (void)version;
    (void)upload_data;
    if (rq == NULL) {
        /* Answer on the second call: a response queued before MHD has seen
         * the (empty) body makes it close the connection, which would cost
         * keep-alive for every client. */
        if ((rq = req_new(cls, conn, url, method)) == NULL)
            return MHD_NO;
        *req_cls = rq;
        return MHD_YES;
    }
    if (*upload_data_size != 0) { /* GET/HEAD bodies are ignored */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->status != 0)
        return MHD_YES;
    return dispatch(rq, url) == MHD_YES ? MHD_YES : MHD_NO;
}

/* One JSON line per request on stderr, written with a single write. */
static void access_log(const struct srv_req *rq, uint64_t micros)
{
    struct timespec now;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    struct srv_buf b = {0};
    srv_buf_printf(&b, "{\"time\":\"%s.%03ldZ\",\"method\":\"", when, now.tv_nsec / 1000000);
    srv_buf_json_escape(&b, rq->method_name, strlen(rq->method_name));
    srv_buf_printf(&b, "\",\"path\":\"");
    srv_buf_json_escape(&b, rq->path, strlen(rq->path));
    srv_buf_printf(&b, "\",\"status\":%u,\"bytes\":%llu,\"microseconds\":%llu}\n", rq->status,
                   (unsigned long long)rq->bytes, (unsigned long long)micros);
    if (!b.failed && write(STDERR_FILENO, b.data, b.len) < 0)
        b.failed = 1; /* nothing sensible to do when stderr is gone */
    srv_buf_cleanup(&b);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct srv_app *app = cls;
    struct srv_req *rq = *req_cls;
    (void)conn;
    (void)toe;
    if (rq == NULL)
        return;
    uint64_t micros = (srv_now_ns() - rq->t0_ns) / 1000;
    srv_metrics_observe(rq->route_index, rq->method, rq->status, micros, rq->bytes);
    access_log(rq, micros);
    srv_entry_release(rq->pending.entry); /* resumed, but the client left first */
    free(rq);
    *req_cls = NULL;
    atomic_fetch_sub(&app->inflight, 1);
}

struct MHD_Daemon *srv_http_start(struct srv_app *app, int fd)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, app, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)app->cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)SRV_CONN_TIMEOUT, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SRV_CONN_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_NOTIFY_COMPLETED, on_completed, app,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
}

void srv_http_stop(struct MHD_Daemon *d, struct srv_app *app, unsigned drain_ms)
{
    MHD_socket fd = MHD_quiesce_daemon(d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    for (unsigned waited = 0; atomic_load(&app->inflight) > 0 && waited < drain_ms; waited += 5) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* libmicrohttpd panics when stopped with suspended connections: finish
     * the outstanding computations first (each resumes its connection). */
    srv_pool_free(app->pool);
    app->pool = NULL;
    MHD_stop_daemon(d);
}
