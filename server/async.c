/*
 * server/async.c - suspend, compute on the worker pool, resume.
 *
 * What: a cached result answers at once; anything that would block (a
 * pipeline run, waiting for another request's run, materialising a file)
 * suspends the connection (MHD_suspend_connection) and queues a job; the
 * worker fetches the result through the blocking single-flight cache, stores
 * it in the request and resumes the connection; libmicrohttpd then calls the
 * access handler again, which re-dispatches and finds the result waiting.
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

#include "reply.h"

static void run(struct srv_job *job)
{
    struct srv_req *rq = (struct srv_req *)((char *)job - offsetof(struct srv_req, pending));
    struct srv_pending *p = &rq->pending;
    int hit;
    rp_error_clear(&p->err);
    p->status =
        srv_cache_get(rq->app->cache, p->key, p->key_len, p->fn, p->arg, &p->entry, &hit, &p->err);
    if (p->status == RP_OK && p->file[0] != '\0') {
        const char *data;
        size_t len;
        (void)srv_entry_file(p->entry, p->file, &data, &len); /* the handler reports errors */
    }
    p->done = 1;
    MHD_resume_connection(rq->conn);
}

/* The outcome of a finished job. */
static enum srv_acquire collect(struct srv_req *rq, struct srv_entry **e, int *ret)
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

enum srv_acquire srv_result_acquire(struct srv_req *rq, const char *key, size_t key_len,
                                    srv_compute_fn fn, const void *arg, size_t arg_size,
                                    const char *file, struct srv_entry **e, int *ret)
{
    struct srv_pending *p = &rq->pending;
    if (p->done)
        return collect(rq, e, ret);
    if (srv_cache_peek(rq->app->cache, key, key_len, e)) {
        if (file == NULL || srv_entry_file_cached(*e, file))
            return SRV_ACQ_READY;
        srv_entry_release(*e); /* ready, but the file must be built: worker */
    }
    if (key_len > sizeof p->key || arg_size > sizeof p->arg ||
        (file != NULL && strlen(file) >= sizeof p->file)) {
        *ret = srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
        return SRV_ACQ_REPLIED;
    }
    memcpy(p->key, key, key_len);
    p->key_len = key_len;
    memcpy(p->arg, arg, arg_size);
    p->fn = fn;
    p->file[0] = '\0';
    if (file != NULL)
        memcpy(p->file, file, strlen(file) + 1);
    p->job.run = run;
    MHD_suspend_connection(rq->conn);
    srv_pool_submit(rq->app->pool, &p->job);
    return SRV_ACQ_SUSPENDED;
}
