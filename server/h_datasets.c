/*
 * server/h_datasets.c - /v1/datasets, /v1/datasets/{ds}, /v1/datasets/{ds}/kcore
 * and /v1/datasets/{ds}/kcore/curve.
 *
 * and POST /v1/datasets/{ds}/reload.
 *
 * What: the dataset list, the statistics computed once per load (served
 * from their stored JSON bytes), k-core results through the shared result
 * cache, and the reload trigger (reload.c does the work).
 * Invariants: a dataset is looked up by name only; nothing in a path is ever
 * used to open a file. A request reads one generation of its dataset from
 * start to end (rq->gen, held until completion), so a reload never changes
 * data under it. Cache keys are "<name>\0<generation>\0<what>": a result
 * of replaced data is never served for the new one. ETags are the
 * fingerprint (the parsed content) + a hash of name and what was asked, so
 * a reload of identical content keeps them, and any other reload changes
 * them.
 * A reload asked for while one of the same dataset is queued or running is
 * 409 (not 202): the running reload may have read the file before the
 * change the client wants picked up.
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

/* The dataset named by the route's {ds}, or NULL with the 404 queued. */
static struct srv_dataset *find_dataset(struct srv_req *rq, const struct srv_match *m, int *ret)
{
    const struct srv_slice *name = &m->args[0];
    struct srv_dataset *d = srv_registry_find(&rq->app->reg, name->ptr, name->len);
    if (d == NULL)
        *ret = srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL, "unknown dataset");
    return d;
}

struct srv_gen *srv_require_dataset(struct srv_req *rq, const struct srv_match *m, int *ret)
{
    struct srv_dataset *d = find_dataset(rq, m, ret);
    if (d == NULL)
        return NULL;
    if (rq->gen == NULL && srv_dataset_state(d) == SRV_DS_READY)
        rq->gen = srv_dataset_acquire(d); /* released at completion (http.c) */
    if (rq->gen == NULL)
        *ret = srv_reply_error_header(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
                                      MHD_HTTP_HEADER_RETRY_AFTER, "1",
                                      "dataset %s is still loading", d->name);
    return rq->gen;
}

int srv_reply_params_error(struct srv_req *rq, const struct srv_params_error *err)
{
    return srv_reply_error(rq, MHD_HTTP_BAD_REQUEST, err->code, err->param, "%s", err->message);
}

/* {"result": "reloaded"|"failed", "time", "error" (failed only)}, or
 * null before the first reload. */
static json_t *last_reload_json(struct srv_dataset *d)
{
    struct srv_reload_info info;
    srv_reload_info(d, &info);
    if (!info.done)
        return json_null();
    json_t *o =
        json_pack("{s:s, s:s}", "result", info.ok ? "reloaded" : "failed", "time", info.time);
    if (o != NULL && !info.ok && json_object_set_new(o, "error", json_string(info.error)) != 0)
        json_decref(o), o = NULL;
    return o;
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

/* The counts of the generation in service and its reload state. */
static json_t *ready_entry(struct srv_dataset *d)
{
    struct srv_gen *g = srv_dataset_acquire(d);
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:I, s:b, s:o?}", "name", d->name, "status",
                  "ready", "interactions", (json_int_t)rp_dataset_rows(g->ds), "users",
                  (json_int_t)rp_dataset_users(g->ds), "items", (json_int_t)rp_dataset_items(g->ds),
                  "load_seconds", g->load_seconds, "generation", (json_int_t)g->id, "reloading",
                  srv_reload_busy(d), "last_reload", last_reload_json(d));
    srv_gen_release(g);
    return o;
}

json_t *srv_dataset_entry(struct srv_dataset *d)
{
    enum srv_ds_state state = srv_dataset_state(d);
    if (state == SRV_DS_READY)
        return ready_entry(d);
    if (state == SRV_DS_FAILED)
        return failed_entry(d);
    return json_pack("{s:s, s:s, s:n, s:n, s:n, s:o?}", "name", d->name, "status", "loading",
                     "interactions", "users", "items", "progress", srv_dataset_progress_json(d));
}

json_t *srv_dataset_list(struct srv_registry *reg)
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

static void release_gen(void *cls)
{
    srv_gen_release(cls);
}

/* The dataset of a route that takes no query parameters: NULL with *ret
 * the reply when the dataset is unknown or not ready, or a parameter is given. */
static struct srv_gen *dataset_without_params(struct srv_req *rq, const struct srv_match *m,
                                              int *ret)
{
    struct srv_params_error perr;
    struct srv_gen *g = srv_require_dataset(rq, m, ret);
    if (g != NULL && srv_params_none(rq->args, rq->n_args, &perr) != 0) {
        *ret = srv_reply_params_error(rq, &perr);
        return NULL;
    }
    return g;
}

int h_dataset(struct srv_req *rq, const struct srv_match *m)
{
    int ret;
    struct srv_gen *g = dataset_without_params(rq, m, &ret);
    if (g == NULL)
        return ret;
    char etag[SRV_ETAG_LEN];
    srv_etag(etag, g->fingerprint, srv_fnv1a(SRV_FNV_INIT, "stats", 5));
    if (srv_etag_matches(rq, etag))
        return srv_reply_not_modified(rq, etag);
    /* the body is the generation's: the response holds a reference */
    struct MHD_Response *resp =
        srv_response_mem(rq, g->stats_json, g->stats_len, release_gen, srv_gen_ref(g));
    if (resp == NULL)
        return srv_reply_status(rq, RP_ERR_NOMEM, NULL);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SRV_CT_JSON);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    return srv_reply_response(rq, MHD_HTTP_OK, resp, g->stats_len);
}

/* The JSON result `what` of generation g: 304 when the client has it, else
 * from the cache or computed once by fn(arg) on the pool (the connection
 * suspends). Key "<name>\0<generation>\0<what>"; ETag the fingerprint and a
 * hash of "<name>\0<what>". */
static int reply_cached_json(struct srv_req *rq, const struct srv_gen *g, const char *what,
                             size_t what_len, srv_compute_fn fn, const void *arg, size_t arg_size)
{
    char etag[SRV_ETAG_LEN], key[SRV_NAME_MAX + 128];
    int ret, head = srv_gen_key_prefix(g, key, sizeof key);
    if (head < 0 || (size_t)head + what_len > sizeof key)
        return srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
    memcpy(key + head, what, what_len);
    const char *name = srv_gen_name(g);
    uint64_t h = srv_fnv1a(SRV_FNV_INIT, name, strlen(name) + 1);
    srv_etag(etag, g->fingerprint, srv_fnv1a(h, what, what_len));
    if (srv_not_modified(rq, etag, &ret))
        return ret;
    struct srv_entry *e;
    const struct srv_acquire_req a = {key,
                                      (size_t)head + what_len,
                                      fn,
                                      arg,
                                      arg_size,
                                      NULL,
                                      etag,
                                      srv_resume_json,
                                      srv_req_gzip(rq)};
    switch (srv_result_acquire(rq, &a, &e, &ret)) {
    case SRV_ACQ_SUSPENDED:
        return MHD_YES;
    case SRV_ACQ_REPLIED:
        return ret;
    case SRV_ACQ_READY:
        break;
    }
    ret = srv_reply_entry_json(rq, e, 0, etag);
    srv_entry_release(e);
    return ret;
}

struct kcore_job {
    struct srv_gen *gen; /* held by the request that computes */
    struct srv_kcore_params p;
};

static rp_status kcore_compute(void *arg, struct srv_result *out, rp_error *err)
{
    const struct kcore_job *job = arg;
    rp_kcore kc = {0};
    rp_status st = rp_kcore_run(job->gen->ds, NULL, job->p.user_k, job->p.item_k, &kc);
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
    struct srv_gen *g = srv_require_dataset(rq, m, &ret);
    if (g == NULL)
        return ret;
    struct kcore_job job = {g, {0, 0}};
    if (srv_params_kcore(rq->args, rq->n_args, &job.p, &perr) != 0)
        return srv_reply_params_error(rq, &perr);
    char what[64];
    int n = snprintf(what, sizeof what, "kcore:user_k=%u,item_k=%u", job.p.user_k, job.p.item_k);
    if (n < 0 || (size_t)n >= sizeof what)
        return srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
    return reply_cached_json(rq, g, what, (size_t)n, kcore_compute, &job, sizeof job);
}

struct curve_job {
    struct srv_gen *gen; /* held by the request that computes */
    uint32_t max_k;
};

static rp_status curve_compute(void *arg, struct srv_result *out, rp_error *err)
{
    const struct curve_job *job = arg;
    rp_kcore_point *pts = malloc(job->max_k * sizeof *pts);
    rp_status st = pts ? rp_kcore_curve(job->gen->ds, job->max_k, pts) : RP_ERR_NOMEM;
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
    struct srv_gen *g = srv_require_dataset(rq, m, &ret);
    if (g == NULL)
        return ret;
    struct curve_job job = {g, 0};
    if (srv_params_curve(rq->args, rq->n_args, &job.max_k, &perr) != 0)
        return srv_reply_params_error(rq, &perr);
    char what[64];
    int n = snprintf(what, sizeof what, "kcore_curve:max_k=%u", job.max_k);
    if (n < 0 || (size_t)n >= sizeof what)
        return srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
    return reply_cached_json(rq, g, what, (size_t)n, curve_compute, &job, sizeof job);
}

/* POST /v1/datasets/{ds}/reload: 202 {"dataset","status":"reloading",
 * "generation"} (the generation in service until the new one is READY), 409
 * when a reload of it is already queued or running, 503 while it is still
 * loading at start-up. Re-reads the file even when it did not change. */
int h_reload(struct srv_req *rq, const struct srv_match *m)
{
    int ret;
    struct srv_gen *g = dataset_without_params(rq, m, &ret);
    if (g == NULL)
        return ret;
    struct srv_dataset *d = g->owner;
    if (srv_reload_request(&rq->app->reg, d) != 0)
        return srv_reply_error(rq, MHD_HTTP_CONFLICT, "reload_in_progress", NULL,
                               "a reload of %s is already queued or running; GET /v1/datasets "
                               "shows when it is done",
                               d->name);
    return srv_reply_json(rq, MHD_HTTP_ACCEPTED,
                          json_pack("{s:s, s:s, s:I}", "dataset", d->name, "status", "reloading",
                                    "generation", (json_int_t)g->id));
}
