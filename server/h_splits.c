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
 * Cheap checks first: dataset, recipe, parameters, file name and
 * If-None-Match are settled before the cache is asked, so 404 and 304 never
 * compute. What the first call parsed is kept in rq->pending across a
 * suspension; the resume callbacks answer from it without parsing again.
 * Files answer a single Range (range.c) with 206, over memory or, for
 * streamed files, by reading and dropping the bytes before the range.
 * Streamed files (not kept: see cache.h) are served as identity even to a
 * gzip client: compressing on the fly would cost ~50 MB/s of one core per
 * download, give no Content-Length and no ranges over the coded bytes. The
 * tag sent is then the identity tag, so an ETag always names exact bytes.
 * Keys are "<name>\0<generation>\0<canonical parameters>": a reload's new
 * data never meets results of the old. A summary computed before the
 * input's SHA-256 landed says "sha256": null and is marked partial; once
 * the digest is known its final bytes are made once from the kept split
 * (srv_entry_json_finish, no recomputation) and served from then on. Its
 * ETag follows the body: with the digest when the body has it.
 * Invariants: the file name is only ever compared with the core's list of
 * file names; the Content-Disposition name is built from the dataset's
 * configured name, the recipe table and the file table, never the client's
 * bytes.
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
#include "encoding.h"
#include "handlers.h"
#include "metrics.h"
#include "params.h"
#include "range.h"
#include "recprep/cursor.h"
#include "recprep/recipe.h"
#include "reply.h"
#include "util.h"

#define KEY_MAX (SRV_NAME_MAX + 256)
#define STREAM_BLOCK (256 * 1024)

struct split_job {
    struct srv_gen *gen; /* data and provenance; held by the request that computes */
    rp_params p;
};

struct split_req {
    struct srv_gen *gen;
    struct split_job job;
    char key[KEY_MAX];
    size_t key_len;
};

static rp_status split_compute(void *arg, struct srv_result *out, rp_error *err)
{
    const struct split_job *job = arg;
    rp_split *s = NULL;
    srv_test_delay("RECPREP_TEST_COMPUTE_DELAY_MS");
    uint64_t t0 = srv_now_ns();
    rp_status st = rp_split_run(job->gen->ds, &job->p, &s, err);
    srv_metrics_compute((int)job->p.method, srv_now_ns() - t0);
    if (st != RP_OK)
        return st;
    rp_provenance prov;
    srv_gen_provenance(job->gen, &prov);
    if (srv_result_set_json(out, rp_split_summary(s, &prov)) != RP_OK) {
        rp_split_free(s);
        return RP_ERR_NOMEM;
    }
    out->split = s;
    out->json_partial = prov.sha256 == NULL;
    return RP_OK;
}

/* The summary once the input's digest is known (srv_json_fn). */
static rp_status summary_final(void *ctx, const struct srv_result *res, char **buf, size_t *len)
{
    struct srv_result tmp = {0};
    rp_provenance prov;
    srv_gen_provenance(ctx, &prov);
    rp_status st = srv_result_set_json(&tmp, rp_split_summary(res->split, &prov));
    *buf = tmp.json;
    *len = tmp.json_len;
    return st;
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
 * name \0 generation \0 canonical parameters. */
static int prepare(struct srv_req *rq, const struct srv_match *m, struct split_req *sr, int *ret)
{
    struct srv_params_error perr;
    const rp_recipe *r;
    if ((sr->gen = srv_require_dataset(rq, m, ret)) == NULL ||
        (r = require_recipe(rq, m, ret)) == NULL)
        return 1;
    if (srv_params_split(r->method, rq->args, rq->n_args, &sr->job.p, &perr) != 0) {
        *ret = srv_reply_params_error(rq, &perr);
        return 1;
    }
    sr->job.gen = sr->gen;
    int head = srv_gen_key_prefix(sr->gen, sr->key, sizeof sr->key);
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

/* The canonical parameters inside the key (after its second NUL). */
static struct srv_slice key_params(const char *key, size_t key_len)
{
    const char *p = memchr(key, 0, key_len);
    p = p ? memchr(p + 1, 0, key_len - (size_t)(p + 1 - key)) : NULL;
    p = p ? p + 1 : key + key_len;
    return (struct srv_slice){p, key_len - (size_t)(p - key)};
}

/* ETag of one representation of the result: the dataset's fingerprint (its
 * parsed content) + a hash of name, canonical parameters and what. Known
 * before anything is computed, so a conditional request is answered first.
 * A file's bytes depend on content and parameters only, so its tag leaves
 * out the input's SHA-256 (stable when the digest lands, and across
 * restarts); a summary carries the digest, so its tag hashes
 * name \0 sha256-or-"-" \0 canonical parameters (sha NULL: not known). */
static void result_etag(const struct split_req *sr, const char *what, const char *sha, char *etag)
{
    struct srv_slice params = key_params(sr->key, sr->key_len);
    const char *name = srv_gen_name(sr->gen);
    uint64_t h = srv_fnv1a(SRV_FNV_INIT, name, strlen(name) + 1);
    if (strcmp(what, "summary") == 0) {
        sha = sha ? sha : "-";
        h = srv_fnv1a(h, sha, strlen(sha) + 1);
    }
    h = srv_fnv1a(h, params.ptr, params.len);
    h = srv_fnv1a(h, "", 1);
    srv_etag(etag, sr->gen->fingerprint, srv_fnv1a(h, what, strlen(what)));
}

/* A resumed request: the worker's result (NULL with *ret the reply when
 * there is none) and the request's state kept across the suspension in
 * rq->pending. */
static struct srv_entry *split_resume(struct srv_req *rq, struct split_req *sr, int *ret)
{
    struct srv_entry *e;
    if (srv_result_collect(rq, &e, ret) != SRV_ACQ_READY)
        return NULL;
    const struct srv_pending *p = &rq->pending;
    memcpy(&sr->job, p->arg, sizeof sr->job);
    sr->gen = sr->job.gen;
    memcpy(sr->key, p->key, p->key_len);
    sr->key_len = p->key_len;
    return e;
}

/* The result, or 1 when the request was suspended or answered (*ret). */
static int lookup(struct srv_req *rq, struct split_req *sr, const char *file, const char *etag,
                  int (*resume)(struct srv_req *), int gzip, struct srv_entry **e, int *ret)
{
    const struct srv_acquire_req a = {sr->key, sr->key_len, split_compute, &sr->job, sizeof sr->job,
                                      file,    etag,        resume,        gzip};
    switch (srv_result_acquire(rq, &a, e, ret)) {
    case SRV_ACQ_READY:
        return 0;
    case SRV_ACQ_SUSPENDED:
        *ret = MHD_YES;
        return 1;
    default:
        return 1;
    }
}

/* The summary in e: its final bytes once the digest is known (made once
 * when the result was computed before), with the tag of the body sent. */
static int send_summary(struct srv_req *rq, const struct split_req *sr, struct srv_entry *e)
{
    char etag[SRV_ETAG_LEN];
    const char *sha = srv_gen_sha256(sr->gen);
    int partial = srv_entry_result(e)->json_partial;
    int final = partial && sha != NULL && srv_entry_json_finish(e, summary_final, sr->gen) == RP_OK;
    result_etag(sr, "summary", partial && !final ? NULL : sha, etag);
    return srv_reply_entry_json(rq, e, final, etag);
}

static int summary_resume(struct srv_req *rq)
{
    struct split_req sr;
    int ret;
    struct srv_entry *e = split_resume(rq, &sr, &ret);
    if (e == NULL)
        return ret;
    ret = send_summary(rq, &sr, e);
    srv_entry_release(e);
    return ret;
}

int h_split_summary(struct srv_req *rq, const struct srv_match *m)
{
    struct split_req sr;
    struct srv_entry *e;
    int ret;
    char etag[SRV_ETAG_LEN];
    if (prepare(rq, m, &sr, &ret))
        return ret;
    result_etag(&sr, "summary", srv_gen_sha256(sr.gen), etag);
    if (srv_not_modified(rq, etag, &ret))
        return ret;
    if (lookup(rq, &sr, NULL, etag, summary_resume, srv_req_gzip(rq), &e, &ret))
        return ret;
    ret = send_summary(rq, &sr, e);
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
    uint64_t skip;      /* bytes before the range, read and dropped first */
};

/* Drop the bytes before the range (a cursor cannot seek: O(start)). */
static int stream_skip(struct stream *s, char *buf, size_t max)
{
    while (s->skip > 0) {
        ssize_t r = rp_cursor_read(s->cur, buf, s->skip < max ? (size_t)s->skip : max);
        if (r <= 0)
            return -1;
        s->skip -= (uint64_t)r;
    }
    return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    srv_reply_progress(s->rq, pos);
    if (stream_skip(s, buf, max) != 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
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

/* The body of one file: in memory (data) or too large to keep (streamed). */
struct file_body {
    struct srv_entry *e;
    const char *name;
    const char *data; /* NULL: streamed through a cursor */
    uint64_t size;
};

static rp_status file_body(struct srv_entry *e, const char *name, struct file_body *b)
{
    size_t len;
    *b = (struct file_body){e, name, NULL, 0};
    rp_status st = srv_entry_file(e, name, &b->data, &len);
    b->size = len;
    if (st == RP_ERR_LIMIT) {
        uint64_t lines;
        b->data = NULL;
        return rp_split_file_size(srv_entry_result(e)->split, name, &lines, &b->size);
    }
    return st;
}

/* A response for range r of a file too large to keep: pull from a cursor. */
static struct MHD_Response *stream_response(struct srv_req *rq, const struct file_body *b,
                                            const struct srv_range *r)
{
    struct stream *s = calloc(1, sizeof *s);
    if (s == NULL || rp_cursor_new(srv_entry_result(b->e)->split, b->name, &s->cur) != RP_OK) {
        free(s);
        return NULL;
    }
    s->e = srv_entry_ref(b->e);
    s->rq = rq;
    s->skip = r->start;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(r->len, STREAM_BLOCK, stream_read, s, stream_free);
    if (resp == NULL)
        stream_free(s);
    return resp;
}

/* The response for range r of the body; it holds a reference to the entry. */
static struct MHD_Response *body_response(struct srv_req *rq, const struct file_body *b,
                                          const struct srv_range *r)
{
    if (b->data == NULL)
        return stream_response(rq, b, r);
    srv_entry_ref(b->e);
    return srv_response_mem(rq, b->data + r->start, (size_t)r->len, release_entry, b->e);
}

/* The recipe table's spelling of the requested file name, or NULL. */
static const char *known_file(const rp_recipe *r, const char *name, size_t len)
{
    for (size_t i = 0; i < r->n_files; i++)
        if (strlen(r->files[i]) == len && memcmp(r->files[i], name, len) == 0)
            return r->files[i];
    return NULL;
}

/* attachment; filename="<dataset>-<recipe>-<8 hex>-<file>": the hex is a
 * hash of the canonical parameters, so two splits never share a name.
 * Dataset, recipe and file names are [a-z0-9_.-] (config.c, the recipe
 * table), which need no quoting. */
static void disposition(const struct split_req *sr, const char *name, char *buf, size_t cap)
{
    struct srv_slice params = key_params(sr->key, sr->key_len);
    uint64_t h = srv_fnv1a(SRV_FNV_INIT, params.ptr, params.len);
    const rp_recipe *r = rp_recipe_get(sr->job.p.method);
    snprintf(buf, cap, "attachment; filename=\"%s-%s-%08x-%s\"", srv_gen_name(sr->gen), r->name,
             (unsigned)((h ^ (h >> 32)) & 0xffffffffu), name);
}

/* Which coding a file request gets: gzip when accepted, except for a Range
 * without If-Range - a resume by offset into the decoded file, which is
 * what `curl -C - --compressed` sends - or with If-Range naming the
 * identity tag. A Range with If-Range naming the gzip tag is a range of
 * the gzip bytes. */
static int file_wants_gzip(struct srv_req *rq, const char *etag)
{
    if (!srv_req_gzip(rq))
        return 0;
    const char *range =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
    const char *if_range =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_RANGE);
    char gz[SRV_ETAG_LEN];
    srv_etag_gzip(etag, gz);
    return range == NULL || (if_range != NULL && strcmp(if_range, gz) == 0);
}

/* Switch b to the gzip coding when it is wanted and there is one (files in
 * memory of SRV_GZIP_MIN bytes or more); the tag follows. */
static int use_gzip(struct file_body *b, int want, const char *etag, char *tag)
{
    const char *data;
    size_t len;
    snprintf(tag, SRV_ETAG_LEN, "%s", etag);
    if (!want || b->data == NULL || srv_entry_gzip(b->e, b->name, &data, &len) != RP_OK)
        return 0;
    b->data = data;
    b->size = len;
    srv_etag_gzip(etag, tag);
    return 1;
}

static void file_headers(struct MHD_Response *resp, const char *tag, const char *cd, int gzip)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SRV_CT_TEXT);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, tag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (gzip)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
}

static int send_file(struct srv_req *rq, struct split_req *sr, struct srv_entry *e,
                     const char *name, const char *etag, int want_gzip)
{
    char cd[SRV_NAME_MAX + 160], cr[SRV_CONTENT_RANGE_LEN], tag[SRV_ETAG_LEN];
    struct file_body b;
    struct srv_range r;
    rp_status st = file_body(e, name, &b);
    if (st != RP_OK)
        return srv_reply_status(rq, st, NULL);
    int gzip = use_gzip(&b, want_gzip, etag, tag);
    enum srv_range_kind kind = srv_request_range(rq, tag, b.size, &r);
    if (kind == SRV_RANGE_UNSATISFIABLE)
        return srv_reply_unsatisfiable(rq, b.size);
    struct MHD_Response *resp = body_response(rq, &b, &r);
    if (resp == NULL)
        return srv_reply_status(rq, RP_ERR_NOMEM, NULL);
    disposition(sr, name, cd, sizeof cd);
    file_headers(resp, tag, cd, gzip);
    rq->gzip = gzip;
    if (kind == SRV_RANGE_PART) {
        srv_content_range(cr, kind, &r, b.size);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
    }
    return srv_reply_response(rq, kind == SRV_RANGE_PART ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK,
                              resp, r.len);
}

/* After the worker finished: the key, job and file name of the first call. */
static int file_resume(struct srv_req *rq)
{
    struct split_req sr;
    int ret;
    struct srv_entry *e = split_resume(rq, &sr, &ret);
    if (e == NULL)
        return ret;
    const char *file = rq->pending.file;
    const char *name = known_file(rp_recipe_get(sr.job.p.method), file, strlen(file));
    ret = name != NULL ? send_file(rq, &sr, e, name, rq->pending.etag, rq->pending.gzip)
                       : srv_reply_status(rq, RP_ERR_INTERNAL, NULL);
    srv_entry_release(e);
    return ret;
}

/* The file and the conditional headers are checked before anything is
 * computed: an unknown name is a 404 and a matching If-None-Match a 304 on
 * a cold cache too. */
int h_split_file(struct srv_req *rq, const struct srv_match *m)
{
    struct split_req sr;
    struct srv_entry *e;
    int ret;
    char etag[SRV_ETAG_LEN];
    if (prepare(rq, m, &sr, &ret))
        return ret;
    const char *name = known_file(rp_recipe_get(sr.job.p.method), m->args[2].ptr, m->args[2].len);
    if (name == NULL)
        return srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL,
                               "unknown file for this recipe");
    result_etag(&sr, name, NULL, etag);
    if (srv_not_modified(rq, etag, &ret))
        return ret;
    int gzip = file_wants_gzip(rq, etag);
    if (lookup(rq, &sr, name, etag, file_resume, gzip, &e, &ret))
        return ret;
    ret = send_file(rq, &sr, e, name, etag, gzip);
    srv_entry_release(e);
    return ret;
}

/* GET /v1/recipes: the core's recipe table. */
int h_recipes(struct srv_req *rq, const struct srv_match *m)
{
    (void)m;
    return srv_reply_json(rq, MHD_HTTP_OK, rp_recipes_json());
}
