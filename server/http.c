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
 * ephemeral port before any thread starts. MHD's own accepting on that
 * socket, stopped with MHD_quiesce_daemon - with epoll and a thread pool
 * quiescing races the workers' own removal of the listen socket from their
 * epoll sets, and MHD (0.9.75) aborts the process ("Failed to remove listen
 * FD from epoll set"; seen here, in about one run of three of the parallel
 * test suite). One thread of ours accepts and hands each connection over
 * with MHD_add_connection, which applies the same connection limits; a stop
 * is shutdown(2) of the socket, so new clients are refused at once.
 */
#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "access.h"
#include "log.h"
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
    const char *step = fd < 0 ? "socket" : NULL;
    if (step == NULL && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        step = "setsockopt";
    if (step == NULL && bind(fd, res->ai_addr, res->ai_addrlen) != 0)
        step = "bind";
    if (step == NULL && listen(fd, 1024) != 0)
        step = "listen";
    if (step != NULL) { /* "Address already in use", "Permission denied", ... */
        snprintf(msg, cap, "--listen %s:%u: cannot %s: %s", host, port, step, strerror(errno));
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

/* Unlike MHD's default it leaves "%00" encoded: a decoded NUL would
 * silently cut a C string short, so "small%00x" would name dataset "small"
 * and "k=4%00junk" would read as k=4. Kept encoded, both are simply unknown
 * or invalid. */
size_t srv_unescape(void *cls, struct MHD_Connection *conn, char *s)
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
    if (strcmp(m, "POST") == 0)
        return SRV_POST;
    return SRV_OTHER;
}

static struct srv_req *req_alloc(struct srv_app *app)
{
    struct srv_req *rq = calloc(1, sizeof *rq);
    if (rq == NULL)
        return NULL;
    rq->app = app;
    rq->t0_ns = srv_now_ns();
    atomic_fetch_add(&app->inflight, 1);
    return rq;
}

/* The numeric address of the client, for the access log ("" if unknown). */
static void client_address(struct MHD_Connection *conn, char *buf, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    buf[0] = '\0';
    if (ci == NULL || ci->client_addr == NULL)
        return;
    socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in);
    if (getnameinfo(ci->client_addr, len, buf, (socklen_t)cap, NULL, 0, NI_NUMERICHOST) != 0)
        buf[0] = '\0';
}

/* The first access-handler call: the request head is complete. rq comes
 * from on_uri, or is NULL when that allocation failed. */
static struct srv_req *req_start(struct srv_app *app, struct srv_req *rq,
                                 struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version)
{
    if (rq == NULL && (rq = req_alloc(app)) == NULL)
        return NULL;
    rq->conn = conn;
    rq->started = 1;
    rq->method = method_of(method);
    rq->head = rq->method == SRV_HEAD;
    srv_routes(&rq->route_index); /* "unmatched" until routing says otherwise */
    snprintf(rq->method_name, sizeof rq->method_name, "%s", method);
    snprintf(rq->path, sizeof rq->path, "%s", url);
    /* MHD ends the target with the NUL that separates it from the version,
     * so a shorter C string means a NUL byte sent by the client. */
    if (rq->target_end != NULL && version[0] != '\0' && version != rq->target_end + 1)
        rq->bad_target = 1;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci != NULL)
        srv_guard_done(app->guard, ci->socket_context);
    client_address(conn, rq->client, sizeof rq->client);
    return rq;
}

/* At target_end (a NUL), does the HTTP version follow? MHD has checked the
 * version ("HTTP/1.x") before calling on_uri. Compares byte by byte and
 * stops at the first difference, so it never reads past the line. */
static int version_follows(const char *target_end)
{
    static const char v[] = "HTTP/1.";
    for (size_t i = 0; i < sizeof v - 1; i++)
        if (target_end[1 + i] != v[i])
            return 0;
    return 1;
}

/* The first '?' after the raw NUL at end, where MHD will find the query
 * (it searches the whole target). Each step stays inside the target: until
 * the version follows a NUL, that NUL is the client's. A client that also
 * fakes "HTTP/1." after a NUL escapes this and meets the header deadline. */
static char *hidden_query(char *end)
{
    for (char *p = end; !version_follows(p);) {
        char *segment = p + 1, *q = strchr(segment, '?');
        if (q != NULL)
            return q;
        p = segment + strlen(segment);
    }
    return NULL;
}

/* The raw request target, before MHD splits and decodes the query. Past
 * ~250 arguments MHD's per-connection pool runs out while it stores them
 * and it never answers, so a query with too many arguments (or behind a
 * raw NUL, which is refused anyway) is cut here to an empty one; dispatch
 * then answers 400. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct srv_req *rq = req_alloc(cls);
    (void)conn;
    if (rq == NULL)
        return NULL;
    char *target = (char *)uri; /* MHD's own buffer, parsed in place right after */
    char *query = strchr(target, '?'), *end = target + strlen(target);
    if (query != NULL) /* for the access log, before any cut below */
        snprintf(rq->query, sizeof rq->query, "%s", query + 1);
    rq->target_end = end;
    if (!version_follows(end)) {
        rq->bad_target = 1;
        if (query == NULL)
            query = hidden_query(end);
    }
    size_t n = query != NULL && query[1] != '\0';
    for (const char *p = query; p != NULL && (p = strchr(p + 1, '&')) != NULL;)
        n++;
    rq->too_many_args = n > SRV_PARAMS_MAX;
    if (query != NULL && (rq->too_many_args || rq->bad_target))
        query[1] = '\0';
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
    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                            "Authorization, If-None-Match, Range, If-Range");
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
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, collect_arg, rq);
    if (rq->bad_target)
        return srv_reply_error(rq, MHD_HTTP_BAD_REQUEST, "bad_request", NULL,
                               "NUL byte in the request target");
    if (rq->too_many_args || rq->n_args > SRV_PARAMS_MAX)
        return srv_reply_error(rq, MHD_HTTP_BAD_REQUEST, "too_many_parameters", NULL,
                               "too many query parameters (at most %d)", SRV_PARAMS_MAX);
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
    (void)upload_data;
    if (rq == NULL || !rq->started) {
        /* Answer on the second call: a response queued before MHD has seen
         * the (empty) body makes it close the connection, which would cost
         * keep-alive for every client. */
        if ((rq = req_start(cls, rq, conn, url, method, version)) == NULL)
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
    if (rq->pending.done) /* resumed: parsed and authorised on the first call */
        return rq->pending.resume(rq) == MHD_YES ? MHD_YES : MHD_NO;
    return dispatch(rq, url) == MHD_YES ? MHD_YES : MHD_NO;
}

/* Successful health probes, left out of the log with --quiet-probes. */
static int is_probe(const struct srv_req *rq)
{
    return rq->status == MHD_HTTP_OK &&
           (strcmp(rq->path, "/healthz") == 0 || strcmp(rq->path, "/readyz") == 0);
}

/* "name": of an access-log field. */
static void log_key(struct srv_buf *b, const char *name)
{
    SRV_BUF_LIT(b, "\"");
    srv_buf_append(b, name, strlen(name));
    SRV_BUF_LIT(b, "\":");
}

static void log_field(struct srv_buf *b, const char *name, const char *value)
{
    log_key(b, name);
    SRV_BUF_LIT(b, "\"");
    srv_buf_json_escape(b, value, strlen(value));
    SRV_BUF_LIT(b, "\",");
}

static void log_number(struct srv_buf *b, const char *name, uint64_t v)
{
    log_key(b, name);
    srv_buf_u64(b, v);
    SRV_BUF_LIT(b, ",");
}

/* "2026-12-01T08:13:47.123Z": the seconds are formatted once per second
 * per thread (gmtime_r takes glibc's time-zone lock on every call). */
static void log_time(struct srv_buf *b)
{
    static _Thread_local struct {
        time_t sec;
        char text[32];
    } last = {-1, ""};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != last.sec) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        if (strftime(last.text, sizeof last.text, "%Y-%m-%dT%H:%M:%S.", &tm) == 0)
            last.text[0] = '\0';
        last.sec = now.tv_sec;
    }
    long ms = now.tv_nsec / 1000000;
    char frac[5] = {(char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z',
                    '"'};
    SRV_BUF_LIT(b, "{\"time\":\"");
    srv_buf_append(b, last.text, strlen(last.text));
    srv_buf_append(b, frac, sizeof frac);
    SRV_BUF_LIT(b, ",");
}

/* One JSON line per request on stderr, a whole line to the log's queue
 * (log.h). A response cut short (client gone, drain over) is marked
 * incomplete, with the body bytes actually written and the bytes it should
 * have had.
 * first_byte_us: from the request head to the first body byte handed to
 * the socket (or to the response being queued, for a response without a
 * body or with one MHD sends with its head: up to 16 KB, reply.c). */
static void access_log(const struct srv_req *rq, uint64_t micros, uint64_t bytes, int incomplete)
{
    struct srv_buf b = {0};
    log_time(&b);
    log_field(&b, "client", rq->client);
    log_field(&b, "method", rq->method_name);
    log_field(&b, "path", rq->path);
    log_field(&b, "query", rq->query);
    log_number(&b, "status", rq->status);
    log_number(&b, "bytes", bytes);
    log_field(&b, "encoding", rq->gzip ? "gzip" : "identity");
    if (incomplete) {
        SRV_BUF_LIT(&b, "\"incomplete\":true,");
        log_number(&b, "bytes_expected", rq->bytes);
    }
    uint64_t first = rq->first_byte_ns ? rq->first_byte_ns : rq->queued_ns;
    if (first >= rq->t0_ns)
        log_number(&b, "first_byte_us", (first - rq->t0_ns) / 1000);
    log_key(&b, "microseconds");
    srv_buf_u64(&b, micros);
    SRV_BUF_LIT(&b, "}\n");
    srv_buf_emit(&b);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct srv_app *app = cls;
    struct srv_req *rq = *req_cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci != NULL)
        srv_guard_wait(app->guard, ci->socket_context); /* the next head's deadline */
    if (rq == NULL)
        return;
    if (rq->started) { /* else MHD refused the head itself: nothing to log */
        uint64_t micros = (srv_now_ns() - rq->t0_ns) / 1000;
        int incomplete = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && rq->bytes > 0;
        uint64_t bytes = incomplete && rq->sent < rq->bytes ? rq->sent : rq->bytes;
        incomplete = incomplete && bytes < rq->bytes;
        srv_metrics_observe(rq->route_index, rq->method, rq->status, micros, bytes);
        if (!(app->cfg->quiet_probes && is_probe(rq)))
            access_log(rq, micros, bytes, incomplete);
    }
    srv_entry_release(rq->pending.entry); /* resumed, but the client left first */
    srv_gen_release(rq->gen);
    free(rq);
    *req_cls = NULL;
    atomic_fetch_sub(&app->inflight, 1);
}

/* Connections enter and leave the header-deadline watchdog (guard.c). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct srv_app *app = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? srv_guard_open(app->guard, ci->connect_fd) : NULL;
    } else {
        srv_guard_close(app->guard, *socket_context);
        *socket_context = NULL;
    }
}

/* The acceptor: every connection to MHD until srv_http_stop_accepting. */
static void *accept_loop(void *arg)
{
    struct srv_app *app = arg;
    int said = 0;
    while (!atomic_load(&app->accept_stop)) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int s = accept(app->listen_fd, (struct sockaddr *)&addr, &len);
        if (s >= 0) {
            /* MHD owns s now, and closes it itself when it refuses it
             * (connection limits, out of memory) */
            MHD_add_connection(app->daemon, s, (struct sockaddr *)&addr, len);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == EPERM ||
            atomic_load(&app->accept_stop))
            continue; /* that client, not the socket; or stopping */
        /* out of descriptors or memory (or worse): say so once, let some
         * connections close, and try again - never stop serving silently */
        if (!said++)
            srv_log(SRV_LOG_ERROR, "accept_failed", NULL,
                    "cannot accept connections: %s; retrying every 10 ms", strerror(errno));
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

struct MHD_Daemon *srv_http_start(struct srv_app *app, int fd)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET;
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_CONNECTION_TIMEOUT, SRV_CONN_TIMEOUT, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, SRV_CONN_MEMORY, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, SRV_MAX_CONNECTIONS, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)app->cfg->client_connections, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, app},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, app},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, app},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)srv_unescape, NULL},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)app->cfg->threads, NULL},
        {MHD_OPTION_END, 0, NULL}};
    if (app->cfg->threads < 2) /* one thread: no pool (MHD would say so on stderr, not as JSON) */
        ops[sizeof ops / sizeof ops[0] - 2].option = MHD_OPTION_END;
    app->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, app, MHD_OPTION_ARRAY, ops,
                                   MHD_OPTION_END);
    if (app->daemon == NULL)
        return NULL;
    app->listen_fd = fd;
    if (pthread_create(&app->acceptor, NULL, accept_loop, app) != 0) {
        MHD_stop_daemon(app->daemon);
        return app->daemon = NULL;
    }
    app->accepting = 1;
    return app->daemon;
}

void srv_http_stop_accepting(struct srv_app *app)
{
    if (!app->accepting)
        return;
    /* Linux: wakes the accept(2) blocked in the acceptor with EINVAL, and
     * the port refuses connections from here on */
    atomic_store(&app->accept_stop, 1);
    shutdown(app->listen_fd, SHUT_RDWR);
    pthread_join(app->acceptor, NULL);
    close(app->listen_fd);
    app->accepting = 0;
}

void srv_http_stop(struct MHD_Daemon *d, struct srv_app *app, unsigned drain_ms)
{
    srv_http_stop_accepting(app);
    uint64_t until = srv_now_ns() + (uint64_t)drain_ms * 1000000u;
    while (atomic_load(&app->inflight) > 0 && srv_now_ns() < until) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    long left = atomic_load(&app->inflight);
    if (left > 0) { /* their access-log lines say how far each got */
        struct srv_buf b = {0};
        srv_buf_printf(&b, "{\"event\":\"drain_expired\",\"drain_seconds\":%u,\"requests\":%ld}\n",
                       drain_ms / 1000, left);
        srv_buf_emit(&b);
    }
    /* libmicrohttpd panics when stopped with suspended connections: finish
     * the outstanding computations first (each resumes its connection). */
    srv_pool_free(app->pool);
    app->pool = NULL;
    MHD_stop_daemon(d);
}
