/*
 * server/h_splits.c - /v1/datasets/{ds}/splits/{recipe}[/{file}] and
 * /v1/recipes.
 *
 * What: find the recipe in the core's table, let the core read and resolve
 * the parameters (canonical form), check the file name, and
 * fetch the result from the shared cache (computed once per dataset and
 * canonical parameters, single-flight; on a miss the connection is
 * suspended and a worker computes, see async.c). Summaries are served from their
 * stored JSON bytes; files from a buffer materialised once through the
 * core's cursor, handed to libmicrohttpd without copying while the response
 * holds a cache reference. Files too large to keep are streamed through a
 * cursor instead.
 * Invariants: the file name is only ever compared with the core's list of
 * file names; the Content-Disposition name is the core's string, not the
 * client's.
 * Test-only knob: RECPREP_TEST_COMPUTE_DELAY_MS=N delays every split
 * computation by N ms (end-to-end tests of single-flight and shutdown).
 * Rejected: writing files to a temporary directory and sendfile() - a
 * second copy of the data on disk, and paths derived from requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "recprep/json.h"
#include <microhttpd.h>

#include "async.h"
#include "handlers.h"
#include "params.h"
#include "recprep/cursor.h"
#include "recprep/recipe.h"
#include "reply.h"
#include "util.h"

#define KEY_MAX (SRV_NAME_MAX + 256)
#define STREAM_BLOCK (256 * 1024)

struct split_job {
    rp_dataset *ds;
    struct srv_dataset *d; /* for the provenance: name, size, SHA-256 */
    rp_params p;
};

struct split_req {
    struct srv_dataset *d;
    struct split_job job;
    char key[KEY_MAX];
    size_t key_len;
};

static rp_status split_compute(void *arg, struct srv_result *out, rp_error *err)
{
    const struct split_job *job = arg;
    rp_split *s = NULL;
    srv_test_delay("RECPREP_TEST_COMPUTE_DELAY_MS");
    rp_status st = rp_split_run(job->ds, &job->p, &s, err);
    if (st != RP_OK)
        return st;
    rp_provenance prov;
    srv_dataset_provenance(job->d, &prov);
    json_t *j = rp_split_summary(s, &prov);
    char *text = j ? json_dumps(j, RP_JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL) {
        rp_split_free(s);
        return RP_ERR_NOMEM;
    }
    out->split = s;
    out->json = text;
    out->json_len = strlen(text);
    return RP_OK;
}

/* The recipe named by the route's {recipe}, or NULL with the 404 queued. */
static const rp_recipe *require_recipe(struct srv_req *rq, const struct srv_match *m, int *ret)
{
    const rp_recipe *r = rp_recipe_find(m->args[1].ptr, m->args[1].len);
    if (r == NULL)
        *ret = srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL,
                               "unknown recipe (GET /v1/recipes lists them)");
    return r;
}

/* Common prologue: dataset, recipe, parameters, cache key. Returns 1 when a
 * reply (error) was already queued, with *ret its result. The key is
 * name \0 sha256-or-"-" \0 canonical parameters: a summary carries the
 * input's digest, which becomes known after the dataset does. */
static int prepare(struct srv_req *rq, const struct srv_match *m, struct split_req *sr, int *ret)
{
    struct srv_params_error perr;
    const rp_recipe *r;
    if ((sr->d = srv_require_dataset(rq, m, ret)) == NULL ||
        (r = require_recipe(rq, m, ret)) == NULL)
        return 1;
    if (srv_params_split(r->method, rq->args, rq->n_args, &sr->job.p, &perr) != 0) {
        *ret = srv_reply_params_error(rq, &perr);
        return 1;
    }
    sr->job.ds = sr->d->ds;
    sr->job.d = sr->d;
    const char *sha = srv_dataset_sha256(sr->d);
    int head = snprintf(sr->key, sizeof sr->key, "%s%c%s%c", sr->d->name, 0, sha ? sha : "-", 0);
    int c = head < 0 || (size_t)head >= sizeof sr->key
                ? -1
                : rp_params_canonical(&sr->job.p, sr->key + head, sizeof sr->key - (size_t)head);
    if (c < 0 || (size_t)c >= sizeof sr->key - (size_t)head) {
        *ret = srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
        return 1;
    }
    sr->key_len = (size_t)head + (size_t)c;
    return 0;
}

/* ETag of one representation of the result: fingerprint + hash(key, what). */
static void result_etag(const struct split_req *sr, const char *what, char *etag)
{
    uint64_t h = srv_fnv1a(SRV_FNV_INIT, sr->key, sr->key_len);
    h = srv_fnv1a(h, "", 1);
    srv_etag(etag, sr->d->fingerprint, srv_fnv1a(h, what, strlen(what)));
}

/* The result (file: also materialised, may be NULL). Returns 0 with *e held,
 * or 1 when the request was suspended or answered, with *ret to return. */
static int lookup(struct srv_req *rq, struct split_req *sr, const char *file, struct srv_entry **e,
                  int *ret)
{
    switch (srv_result_acquire(rq, sr->key, sr->key_len, split_compute, &sr->job, sizeof sr->job,
                               file, e, ret)) {
    case SRV_ACQ_READY:
        return 0;
    case SRV_ACQ_SUSPENDED:
        *ret = MHD_YES;
        return 1;
    default:
        return 1;
    }
}

int h_split_summary(struct srv_req *rq, const struct srv_match *m)
{
    struct split_req sr;
    struct srv_entry *e;
    int ret;
    char etag[SRV_ETAG_LEN];
    if (prepare(rq, m, &sr, &ret))
        return ret;
    result_etag(&sr, "summary", etag);
    if (srv_etag_matches(rq, etag))
        return srv_reply_not_modified(rq, etag);
    if (lookup(rq, &sr, NULL, &e, &ret))
        return ret;
    const struct srv_result *res = srv_entry_result(e);
    ret = srv_reply_copy(rq, MHD_HTTP_OK, SRV_CT_JSON, res->json, res->json_len, etag);
    srv_entry_release(e);
    return ret;
}

static void release_entry(void *cls)
{
    srv_entry_release(cls);
}

struct stream {
    rp_cursor *cur;
    struct srv_entry *e;
    struct srv_req *rq; /* for the bytes written; the reader only runs while it lives */
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    srv_reply_progress(s->rq, pos);
    ssize_t r = rp_cursor_read(s->cur, buf, max);
    return r > 0 ? r : MHD_CONTENT_READER_END_WITH_ERROR; /* never 0: see STYLE.md */
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    rp_cursor_free(s->cur);
    srv_entry_release(s->e);
    free(s);
}

/* A response for a file too large to keep in the cache: pull from a cursor. */
static struct MHD_Response *stream_response(struct srv_req *rq, struct srv_entry *e,
                                            const char *name, uint64_t *size)
{
    const rp_split *split = srv_entry_result(e)->split;
    uint64_t lines;
    struct stream *s = calloc(1, sizeof *s);
    if (s == NULL || rp_split_file_size(split, name, &lines, size) != RP_OK ||
        rp_cursor_new(split, name, &s->cur) != RP_OK) {
        free(s);
        return NULL;
    }
    s->e = srv_entry_ref(e);
    s->rq = rq;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(*size, STREAM_BLOCK, stream_read, s, stream_free);
    if (resp == NULL)
        stream_free(s);
    return resp;
}

/* The response body of file `name`: from memory when it fits the cache. */
static struct MHD_Response *file_response(struct srv_req *rq, struct srv_entry *e, const char *name,
                                          uint64_t *size, rp_status *st)
{
    const char *data;
    size_t len;
    *st = srv_entry_file(e, name, &data, &len);
    if (*st == RP_ERR_LIMIT) {
        *st = RP_OK;
        return stream_response(rq, e, name, size);
    }
    if (*st != RP_OK)
        return NULL;
    *size = len;
    srv_entry_ref(e);
    return srv_response_mem(rq, data, len, release_entry, e); /* releases e on failure */
}

/* The recipe table's spelling of the requested file name, or NULL. */
static const char *known_file(const rp_recipe *r, const struct srv_slice *name)
{
    for (size_t i = 0; i < r->n_files; i++)
        if (strlen(r->files[i]) == name->len && memcmp(r->files[i], name->ptr, name->len) == 0)
            return r->files[i];
    return NULL;
}

static int send_file(struct srv_req *rq, struct split_req *sr, struct srv_entry *e,
                     const char *name)
{
    char etag[SRV_ETAG_LEN], disposition[96];
    result_etag(sr, name, etag);
    if (srv_etag_matches(rq, etag))
        return srv_reply_not_modified(rq, etag);
    uint64_t size = 0;
    rp_status st;
    struct MHD_Response *resp = file_response(rq, e, name, &size, &st);
    if (resp == NULL)
        return srv_reply_status(rq, st == RP_OK ? RP_ERR_NOMEM : st, NULL);
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", name);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SRV_CT_TEXT);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
    return srv_reply_response(rq, MHD_HTTP_OK, resp, size);
}

/* The file is checked against the recipe table before anything is
 * computed: an unknown name is a 404 on a cold cache too. */
int h_split_file(struct srv_req *rq, const struct srv_match *m)
{
    struct split_req sr;
    struct srv_entry *e;
    int ret;
    if (prepare(rq, m, &sr, &ret))
        return ret;
    const char *name = known_file(rp_recipe_get(sr.job.p.method), &m->args[2]);
    if (name == NULL)
        return srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL,
                               "unknown file for this recipe");
    if (lookup(rq, &sr, name, &e, &ret))
        return ret;
    ret = send_file(rq, &sr, e, name);
    srv_entry_release(e);
    return ret;
}

/* GET /v1/recipes: the core's recipe table. */
int h_recipes(struct srv_req *rq, const struct srv_match *m)
{
    (void)m;
    json_t *j = rp_recipes_json();
    char *text = j ? json_dumps(j, RP_JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        return srv_reply_status(rq, RP_ERR_NOMEM, NULL);
    return srv_reply_take(rq, MHD_HTTP_OK, SRV_CT_JSON, text, strlen(text));
}
