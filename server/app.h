/*
 * server/app.h - the service's shared state and the per-request context.
 *
 * One srv_app lives for the whole process; MHD passes it to every callback.
 * One srv_req is allocated per request on the first access-handler call,
 * stored in *req_cls and freed by the completion callback, which also writes
 * the access-log line and the metrics.
 */
#ifndef SRV_APP_H
#define SRV_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "guard.h"
#include "config.h"
#include "params.h"
#include "pool.h"
#include "registry.h"

struct MHD_Connection;
struct MHD_Daemon;

struct srv_app {
    const struct srv_config *cfg;
    struct srv_registry reg;
    struct srv_cache *cache;
    struct srv_pool *pool;   /* computations run here, never on MHD threads */
    struct srv_guard *guard; /* the header deadline; NULL when disabled */
    char *token;             /* NULL: no auth */
    size_t token_len;
    atomic_long inflight; /* requests between first call and completion */
    /* http.c: the listening socket and the thread that accepts on it and
     * hands each connection to the daemon */
    struct MHD_Daemon *daemon;
    int listen_fd;
    int accepting;          /* the acceptor thread runs */
    atomic_int accept_stop; /* set before the socket is shut down */
    pthread_t acceptor;
};

enum srv_method { SRV_GET = 0, SRV_HEAD, SRV_OPTIONS, SRV_POST, SRV_OTHER, SRV_N_METHODS };

#define SRV_LOG_PATH_MAX 256
#define SRV_JOB_KEY_MAX 512
#define SRV_JOB_ARG_MAX 256
#define SRV_JOB_FILE_MAX 64
#define SRV_ETAG_LEN 40 /* "\"<16 hex>-<16 hex>\"" and its NUL */

struct srv_req;

/* A result fetched by a worker while the connection is suspended. */
struct srv_pending {
    struct srv_job job;
    int done; /* set by the worker before resuming */
    rp_status status;
    rp_error err;
    struct srv_entry *entry; /* held reference handed to the handler */
    srv_compute_fn fn;
    char key[SRV_JOB_KEY_MAX];
    size_t key_len;
    char file[SRV_JOB_FILE_MAX]; /* "" or a file to materialise too */
    char etag[SRV_ETAG_LEN];     /* of the representation asked for */
    int gzip;                    /* build the gzip coding too (cache.h: srv_entry_gzip) */
    /* Called instead of routing again once the worker resumed the
     * connection: route, parameters and key were parsed on the first call
     * and live here (key, arg, file, etag). */
    int (*resume)(struct srv_req *rq);
    _Alignas(max_align_t) unsigned char arg[SRV_JOB_ARG_MAX]; /* copy of fn's argument */
};

struct srv_req {
    struct srv_app *app;
    struct MHD_Connection *conn;
    uint64_t t0_ns;
    enum srv_method method;
    int head;
    size_t route_index;                     /* metrics label; n_routes when unmatched */
    unsigned status;                        /* 0 until a response is queued */
    uint64_t bytes;                         /* body bytes queued (0 for HEAD and 304) */
    uint64_t sent;                          /* body bytes written so far (reply.c's readers) */
    int started;                            /* the access handler has seen this request */
    int bad_target;                         /* raw NUL byte in the request target */
    int too_many_args;                      /* more than SRV_PARAMS_MAX query arguments */
    const char *target_end;                 /* end of the raw target's C string (on_uri) */
    const char *cors_origin;                /* value of Access-Control-Allow-Origin, or NULL */
    struct srv_kv args[SRV_PARAMS_MAX + 1]; /* borrowed from MHD for the call */
    size_t n_args;
    size_t args_bytes;
    char method_name[16];
    char path[SRV_LOG_PATH_MAX];
    char query[SRV_LOG_PATH_MAX]; /* raw query string (after '?'), cut to fit */
    char client[48];              /* numeric client address */
    int gzip;                     /* the body is sent gzip'd */
    uint64_t queued_ns;           /* when the response was queued (srv_now_ns) */
    uint64_t first_byte_ns;       /* when its first body byte was produced; 0 before */
    struct srv_gen *gen;          /* the dataset generation it reads (held), or NULL */
    struct srv_pending pending;
};

#endif
