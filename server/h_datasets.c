/*
 * server/h_datasets.c - /v1/datasets, /v1/datasets/{ds}, /v1/datasets/{ds}/kcore
 * and /v1/datasets/{ds}/kcore/curve.
 *
 * What: the dataset list, the statistics computed once at load time (served
 * from their stored JSON bytes), and k-core results through the shared
 * result cache.
 * Invariants: a dataset is looked up by name only; nothing in a path is ever
 * used to open a file. ETags are fingerprint + a hash of what was asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "recprep/json.h"
#include <microhttpd.h>

#include "async.h"
#include "encoding.h"
#include "handlers.h"
#include "params.h"
#include "recprep/kcore.h"
#include "recprep/kcore_curve.h"
#include "reply.h"
#include "util.h"

struct srv_dataset *srv_require_dataset(struct srv_req *rq, const struct srv_match *m, int *ret)
{
    const struct srv_slice *name = &m->args[0];
    struct srv_dataset *d = srv_registry_find(&rq->app->reg, name->ptr, name->len);
    if (d == NULL) {
        *ret = srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL, "unknown dataset");
        return NULL;
    }
    if (srv_dataset_state(d) != SRV_DS_READY) {
        *ret = srv_reply_error_header(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
                                      MHD_HTTP_HEADER_RETRY_AFTER, "1",
                                      "dataset %s is still loading", d->name);
        return NULL;
    }
    return d;
}

int srv_reply_params_error(struct srv_req *rq, const struct srv_params_error *err)
{
    return srv_reply_error(rq, MHD_HTTP_BAD_REQUEST, err->code, err->param, "%s", err->message);
}

/* A dataset that failed to load: its one-line error (file, line, problem).
 * At start-up the process exits 2 right after; until then it is listed so. */
static json_t *failed_entry(const struct srv_dataset *d)
{
    char line[RP_ERROR_FILE_LEN + RP_ERROR_TEXT_LEN + 32];
    if (d->err.message[0])
        rp_error_line(&d->err, line, sizeof line);
    else
        snprintf(line, sizeof line, "%s", rp_status_str(d->status));
    return json_pack("{s:s, s:s, s:n, s:n, s:n, s:s}", "name", d->name, "status", "failed",
                     "interactions", "users", "items", "error", line);
}

json_t *srv_dataset_entry(const struct srv_dataset *d)
{
    enum srv_ds_state state = srv_dataset_state(d);
    int ready = state == SRV_DS_READY;
    if (state == SRV_DS_FAILED)
        return failed_entry(d);
    if (!ready)
        return json_pack("{s:s, s:s, s:n, s:n, s:n, s:o?}", "name", d->name, "status", "loading",
                         "interactions", "users", "items", "progress",
                         srv_dataset_progress_json(d));
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:f}", "name", d->name, "status", "ready",
                     "interactions", (json_int_t)rp_dataset_rows(d->ds), "users",
                     (json_int_t)rp_dataset_users(d->ds), "items",
                     (json_int_t)rp_dataset_items(d->ds), "load_seconds", d->load_seconds);
}

json_t *srv_dataset_list(const struct srv_registry *reg)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < reg->n; i++)
        if (json_array_append_new(list, srv_dataset_entry(&reg->items[i])) != 0)
            json_decref(list), list = NULL;
    return list;
}

int h_datasets(struct srv_req *rq, const struct srv_match *m)
{
    struct srv_params_error perr;
    (void)m;
    if (srv_params_none(rq->args, rq->n_args, &perr) != 0)
        return srv_reply_params_error(rq, &perr);
    json_t *list = srv_dataset_list(&rq->app->reg);
    return srv_reply_json(rq, MHD_HTTP_OK, list ? json_pack("{s:o}", "datasets", list) : NULL);
}

int h_dataset(struct srv_req *rq, const struct srv_match *m)
{
    struct srv_params_error perr;
    int ret;
    struct srv_dataset *d = srv_require_dataset(rq, m, &ret);
    if (d == NULL)
        return ret;
    if (srv_params_none(rq->args, rq->n_args, &perr) != 0)
        return srv_reply_params_error(rq, &perr);
    char etag[SRV_ETAG_LEN];
    srv_etag(etag, d->fingerprint, srv_fnv1a(SRV_FNV_INIT, "stats", 5));
    if (srv_etag_matches(rq, etag))
        return srv_reply_not_modified(rq, etag);
    return srv_reply_static(rq, MHD_HTTP_OK, SRV_CT_JSON, d->stats_json, d->stats_len, etag);
}

/* The JSON result for key: 304 when the client has it, else from the cache
 * or computed once by fn(arg) on the pool (the connection suspends). */
static int reply_cached_json(struct srv_req *rq, const struct srv_dataset *d, const char *key,
                             size_t n, srv_compute_fn fn, const void *arg, size_t arg_size)
{
    char etag[SRV_ETAG_LEN];
    int ret;
    srv_etag(etag, d->fingerprint, srv_fnv1a(SRV_FNV_INIT, key, n));
    if (srv_not_modified(rq, etag, &ret))
        return ret;
    struct srv_entry *e;
    const struct srv_acquire_req a = {
        key, n, fn, arg, arg_size, NULL, etag, srv_resume_json, srv_req_gzip(rq)};
    switch (srv_result_acquire(rq, &a, &e, &ret)) {
    case SRV_ACQ_SUSPENDED:
        return MHD_YES;
    case SRV_ACQ_REPLIED:
        return ret;
    case SRV_ACQ_READY:
        break;
    }
    ret = srv_reply_result_json(rq, e, etag);
    srv_entry_release(e);
    return ret;
}

struct kcore_job {
    rp_dataset *ds;
    struct srv_kcore_params p;
};

static rp_status kcore_compute(void *arg, struct srv_result *out, rp_error *err)
{
    const struct kcore_job *job = arg;
    rp_kcore kc = {0};
    rp_status st = rp_kcore_run(job->ds, NULL, job->p.user_k, job->p.item_k, &kc);
    if (st != RP_OK) {
        rp_error_set(err, NULL, 0, 0, "k-core failed: %s", rp_status_str(st));
        return st;
    }
    json_t *j = rp_kcore_to_json(&kc, job->p.user_k, job->p.item_k);
    rp_kcore_cleanup(&kc);
    return srv_result_set_json(out, j);
}

int h_kcore(struct srv_req *rq, const struct srv_match *m)
{
    struct srv_params_error perr;
    int ret;
    struct srv_dataset *d = srv_require_dataset(rq, m, &ret);
    if (d == NULL)
        return ret;
    struct kcore_job job = {d->ds, {0, 0}};
    if (srv_params_kcore(rq->args, rq->n_args, &job.p, &perr) != 0)
        return srv_reply_params_error(rq, &perr);
    char key[SRV_NAME_MAX + 64];
    int n = snprintf(key, sizeof key, "%s%ckcore:user_k=%u,item_k=%u", d->name, 0, job.p.user_k,
                     job.p.item_k);
    if (n < 0 || (size_t)n >= sizeof key)
        return srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
    return reply_cached_json(rq, d, key, (size_t)n, kcore_compute, &job, sizeof job);
}

struct curve_job {
    rp_dataset *ds;
    uint32_t max_k;
};

static rp_status curve_compute(void *arg, struct srv_result *out, rp_error *err)
{
    const struct curve_job *job = arg;
    rp_kcore_point *pts = malloc(job->max_k * sizeof *pts);
    rp_status st = pts ? rp_kcore_curve(job->ds, job->max_k, pts) : RP_ERR_NOMEM;
    json_t *j = st == RP_OK ? rp_kcore_curve_to_json(pts, job->max_k) : NULL;
    free(pts);
    if (st != RP_OK) {
        rp_error_set(err, NULL, 0, 0, "k-core curve failed: %s", rp_status_str(st));
        return st;
    }
    return srv_result_set_json(out, j);
}

int h_kcore_curve(struct srv_req *rq, const struct srv_match *m)
{
    struct srv_params_error perr;
    int ret;
    struct srv_dataset *d = srv_require_dataset(rq, m, &ret);
    if (d == NULL)
        return ret;
    struct curve_job job = {d->ds, 0};
    if (srv_params_curve(rq->args, rq->n_args, &job.max_k, &perr) != 0)
        return srv_reply_params_error(rq, &perr);
    char key[SRV_NAME_MAX + 64];
    int n = snprintf(key, sizeof key, "%s%ckcore_curve:max_k=%u", d->name, 0, job.max_k);
    if (n < 0 || (size_t)n >= sizeof key)
        return srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
    return reply_cached_json(rq, d, key, (size_t)n, curve_compute, &job, sizeof job);
}
