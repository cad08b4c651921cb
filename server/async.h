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

/* The result for key (computed by fn(arg) on a miss, arg_size bytes copied),
 * with file (may be NULL) materialised as well. When it is not ready the
 * request is suspended, a worker computes it, and libmicrohttpd calls the
 * handler again; that second call gets SRV_ACQ_READY (or the error). */
enum srv_acquire srv_result_acquire(struct srv_req *rq, const char *key, size_t key_len,
                                    srv_compute_fn fn, const void *arg, size_t arg_size,
                                    const char *file, struct srv_entry **e, int *ret);

#endif
