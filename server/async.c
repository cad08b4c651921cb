/*
 * server/async.c - suspend, compute on the worker pool, resume.
 *
 * What: a cached result answers at once; anything that would block (a
 * pipeline run, waiting for another request's run, materialising a file)
 * suspends the connection (MHD_suspend_connection) and queues a job; the
 * worker fetches the result through the blocking single-flight cache, stores
 * it in the request and resumes the connection; libmicrohttpd then calls the
 * access handler again, which calls the handler's resume callback with what
 * the first call parsed (key, parameters, file, ETag) kept in rq->pending:
 * route and parameters are parsed once per request.
 * Invariants: a suspended request is never completed by MHD (suspended
 * connections are not polled), so the request context outlives the job;
 * the worker's writes happen before MHD_resume_connection (a mutex inside
 * MHD orders them before the handler's reads).
 * Complexity: O(1) besides the computation itself.
 * Rejected: computing in the access handler - with a thread pool of one
 * thread per core, one 100 ms computation stalls every connection of that
 * thread, /healthz and /metrics included.
 */
#include "async.h"

#include <string.h>

#include <microhttpd.h>

#include "encoding.h"
#include "reply.h"

/* The handler's computation, then the cache's one question about the data
 * it ran on: was that generation replaced meanwhile (a reload)? Then the
 * result is transient: its waiters get it, the cache never keeps it. */
static rp_status compute(void *arg, struct srv_result *out, rp_error *err)
{
    struct srv_req *rq = arg;
    rp_status st = rq->pending.fn(rq->pending.arg, out, err);
    if (st == RP_OK)
        out->transient = rq->gen != NULL && !srv_gen_current(rq->gen);
    return st;
}

static void run(struct srv_job *job)
{
    struct srv_req *rq = (struct srv_req *)((char *)job - offsetof(struct srv_req, pending));
    struct srv_pending *p = &rq->pending;
    int hit;
    rp_error_clear(&p->err);
    p->status =
        srv_cache_get(rq->app->cache, p->key, p->key_len, compute, rq, &p->entry, &hit, &p->err);
    const char *data, *file = p->file[0] != '\0' ? p->file : NULL;
    size_t len;
    /* the handler reports errors (and serves identity when gzip fails) */
    if (p->status == RP_OK && file != NULL)
        (void)srv_entry_file(p->entry, file, &data, &len);
    if (p->status == RP_OK && p->gzip)
        (void)srv_entry_gzip(p->entry, file, &data, &len);
    p->done = 1;
    MHD_resume_connection(rq->conn);
}

enum srv_acquire srv_result_collect(struct srv_req *rq, struct srv_entry **e, int *ret)
{
    struct srv_pending *p = &rq->pending;
    p->done = 0;
    if (p->status != RP_OK) {
        *ret = srv_reply_status(rq, p->status, &p->err);
        return SRV_ACQ_REPLIED;
    }
    *e = p->entry;
    p->entry = NULL;
    return SRV_ACQ_READY;
}

/* Copy what the worker and the resume need into rq->pending. */
static int pending_set(struct srv_pending *p, const struct srv_acquire_req *a)
{
    if (a->key_len > sizeof p->key || a->arg_size > sizeof p->arg ||
        (a->file != NULL && strlen(a->file) >= sizeof p->file) ||
        (a->etag != NULL && strlen(a->etag) >= sizeof p->etag) || a->resume == NULL)
        return -1;
    memcpy(p->key, a->key, a->key_len);
    p->key_len = a->key_len;
    memcpy(p->arg, a->arg, a->arg_size);
    p->fn = a->fn;
    p->file[0] = p->etag[0] = '\0';
    if (a->file != NULL)
        memcpy(p->file, a->file, strlen(a->file) + 1);
    if (a->etag != NULL)
        memcpy(p->etag, a->etag, strlen(a->etag) + 1);
    p->resume = a->resume;
    p->gzip = a->gzip;
    return 0;
}

enum srv_acquire srv_result_acquire(struct srv_req *rq, const struct srv_acquire_req *a,
                                    struct srv_entry **e, int *ret)
{
    struct srv_pending *p = &rq->pending;
    if (srv_cache_peek(rq->app->cache, a->key, a->key_len, e)) {
        /* srv_entry_gzip_cached covers the file: 0 while it must be built */
        if (a->gzip ? srv_entry_gzip_cached(*e, a->file)
                    : a->file == NULL || srv_entry_file_cached(*e, a->file))
            return SRV_ACQ_READY;
        srv_entry_release(*e); /* ready, but a body must be built: worker */
    }
    if (pending_set(p, a) != 0) {
        *ret = srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
        return SRV_ACQ_REPLIED;
    }
    p->job.run = run;
    MHD_suspend_connection(rq->conn);
    srv_pool_submit(rq->app->pool, &p->job);
    return SRV_ACQ_SUSPENDED;
}

int srv_resume_json(struct srv_req *rq)
{
    struct srv_entry *e;
    int ret;
    if (srv_result_collect(rq, &e, &ret) != SRV_ACQ_READY)
        return ret;
    ret = srv_reply_entry_json(rq, e, 0, rq->pending.etag);
    srv_entry_release(e);
    return ret;
}
