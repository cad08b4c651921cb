/*
 * server/async.h - fetching a cached result without blocking an HTTP thread.
 */
#ifndef SRV_ASYNC_H
#define SRV_ASYNC_H

#include <stddef.h>

#include "app.h"

enum srv_acquire {
    SRV_ACQ_READY = 0, /* *e holds a reference: reply now */
    SRV_ACQ_SUSPENDED, /* the connection is suspended: return MHD_YES */
    SRV_ACQ_REPLIED    /* an error reply was queued: return *ret */
};

/* What a handler asks for: the result for key (computed by fn(arg) on a
 * miss, arg_size bytes copied), with file (may be NULL) materialised as
 * well (and its gzip coding when gzip is set); etag names the representation and resume answers the
 * request once the result is there. */
struct srv_acquire_req {
    const char *key;
    size_t key_len;
    srv_compute_fn fn;
    const void *arg;
    size_t arg_size;
    const char *file;
    const char *etag;
    int (*resume)(struct srv_req *rq);
    int gzip; /* the gzip coding of the body is wanted: compress on the worker too */
};

/* The result of a->key. When it is not ready the request is suspended with
 * a copy of *a in rq->pending, a worker computes it, and once libmicrohttpd
 * resumes the connection http.c calls a->resume(rq) - the route is not
 * matched nor the parameters parsed again - which takes the result with
 * srv_result_collect. */
enum srv_acquire srv_result_acquire(struct srv_req *rq, const struct srv_acquire_req *a,
                                    struct srv_entry **e, int *ret);

/* In a resume callback: the finished job's result (SRV_ACQ_READY, *e held)
 * or its error (SRV_ACQ_REPLIED, *ret to return). */
enum srv_acquire srv_result_collect(struct srv_req *rq, struct srv_entry **e, int *ret);

/* A resume callback for results served as their JSON bytes with
 * rq->pending.etag. */
int srv_resume_json(struct srv_req *rq);

#endif
