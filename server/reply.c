/*
 * server/reply.c - response construction, error bodies and ETags.
 *
 * What: the only code that calls MHD_queue_response. Error bodies are built
 * with jansson so messages are always valid JSON; client-supplied text that
 * reaches a message is sanitised by the caller (params.c) first.
 * Invariants: exactly one response per request; rq->status and rq->bytes
 * describe what was queued (bytes are body bytes, 0 for HEAD and 304).
 * Rejected: caching MHD_Response objects per result - it would save one
 * small allocation per request but tie response headers (CORS) to entries.
 */
#include "reply.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "recprep/json.h"
#include "util.h"

/* The one table from core status to HTTP status and stable error code.
 * Client faults (4xx) stay apart from our own faults (5xx). */
static const struct status_map {
    rp_status status;
    unsigned http;
    const char *code;
} status_table[] = {
    {RP_ERR_PARAM, MHD_HTTP_BAD_REQUEST, "invalid_parameter"},
    {RP_ERR_NOT_FOUND, MHD_HTTP_NOT_FOUND, "not_found"},
    {RP_ERR_NOMEM, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal"},
    {RP_ERR_IO, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal"},
    {RP_ERR_PARSE, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal"},
    {RP_ERR_FORMAT, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal"},
    {RP_ERR_LIMIT, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal"},
    {RP_ERR_INTERNAL, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal"},
};

static void add_common_headers(struct srv_req *rq, struct MHD_Response *resp)
{
    if (rq->cors_origin != NULL) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", rq->cors_origin);
        MHD_add_response_header(
            resp, "Access-Control-Expose-Headers",
            "ETag, Content-Disposition, Content-Length, Content-Range, Accept-Ranges");
        if (strcmp(rq->cors_origin, "*") != 0)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
    }
}

int srv_reply_response(struct srv_req *rq, unsigned status, struct MHD_Response *resp,
                       uint64_t body_len)
{
    if (resp == NULL)
        return MHD_NO;
    add_common_headers(rq, resp);
    rq->queued_ns = srv_now_ns();
    enum MHD_Result r = MHD_queue_response(rq->conn, status, resp);
    MHD_destroy_response(resp);
    rq->status = status;
    rq->bytes = rq->head || status == MHD_HTTP_NOT_MODIFIED ? 0 : body_len;
    return r;
}

#define BODY_BLOCK (64 * 1024)
/* Bodies up to this size are handed to MHD whole (srv_response_mem): one
 * send of a few KB fits any socket buffer, so such a body is sent whole or
 * not at all. */
#define SMALL_BODY (16 * 1024)

struct mem_body {
    const char *data;
    size_t len;
    struct srv_req *rq; /* the reader only runs while the request is live */
    void (*release)(void *);
    void *cls;
};

static ssize_t mem_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct mem_body *b = cls;
    if (pos >= b->len)
        return MHD_CONTENT_READER_END_OF_STREAM; /* never 0: see STYLE.md */
    srv_reply_progress(b->rq, pos);
    size_t n = b->len - (size_t)pos < max ? b->len - (size_t)pos : max;
    memcpy(buf, b->data + pos, n);
    return (ssize_t)n;
}

static void mem_free(void *cls)
{
    struct mem_body *b = cls;
    if (b->release != NULL)
        b->release(b->cls);
    free(b);
}

struct MHD_Response *srv_response_mem(struct srv_req *rq, const char *data, size_t len,
                                      void (*release)(void *), void *cls)
{
    struct mem_body *b = malloc(sizeof *b);
    if (b == NULL) {
        if (release != NULL)
            release(cls);
        return NULL;
    }
    *b = (struct mem_body){data, len, rq, release, cls};
    if (len <= SMALL_BODY) {
        /* MHD writes the head and an in-memory body with one sendmsg: one
         * syscall and one TCP segment fewer per request than a callback
         * body, which MHD sends after the head (wrk on the cached summary:
         * see SMALL_BODY). No reader sees the bytes go, so the access log
         * counts such a body as sent whole or not at all. */
        struct MHD_Response *resp =
            MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)data, mem_free, b);
        if (resp == NULL)
            mem_free(b);
        return resp;
    }
    size_t block = len < BODY_BLOCK ? (len > 0 ? len : 1) : BODY_BLOCK;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(len, block, mem_read, b, mem_free);
    if (resp == NULL)
        mem_free(b);
    return resp;
}

/* Queue data as the body, with Content-Type and one optional extra header
 * (hname may be NULL). With MHD_RESPMEM_MUST_FREE the data is ours to free
 * from here on, also when no response can be made. */
static int reply_mem(struct srv_req *rq, unsigned status, const char *ctype, void *data, size_t len,
                     enum MHD_ResponseMemoryMode mode, const char *hname, const char *hvalue)
{
    if (mode == MHD_RESPMEM_MUST_COPY && len > 0) {
        void *copy = malloc(len);
        if (copy == NULL)
            return MHD_NO;
        data = memcpy(copy, data, len);
        mode = MHD_RESPMEM_MUST_FREE;
    }
    struct MHD_Response *resp =
        srv_response_mem(rq, data, len, mode == MHD_RESPMEM_MUST_FREE ? free : NULL, data);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (hname != NULL)
        MHD_add_response_header(resp, hname, hvalue);
    return srv_reply_response(rq, status, resp, len);
}

int srv_reply_copy(struct srv_req *rq, unsigned status, const char *ctype, const char *data,
                   size_t len, const char *etag)
{
    return reply_mem(rq, status, ctype, (void *)data, len, MHD_RESPMEM_MUST_COPY,
                     etag ? MHD_HTTP_HEADER_ETAG : NULL, etag);
}

int srv_reply_static(struct srv_req *rq, unsigned status, const char *ctype, const char *data,
                     size_t len, const char *etag)
{
    return reply_mem(rq, status, ctype, (void *)data, len, MHD_RESPMEM_PERSISTENT,
                     etag ? MHD_HTTP_HEADER_ETAG : NULL, etag);
}

int srv_reply_json(struct srv_req *rq, unsigned status, json_t *j)
{
    char *text = j ? json_dumps(j, RP_JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        return srv_reply_status(rq, RP_ERR_NOMEM, NULL);
    return srv_reply_take(rq, status, SRV_CT_JSON, text, strlen(text));
}

int srv_reply_take(struct srv_req *rq, unsigned status, const char *ctype, char *data, size_t len)
{
    return reply_mem(rq, status, ctype, data, len, MHD_RESPMEM_MUST_FREE, NULL, NULL);
}

static const char *status_reason(unsigned status)
{
    const char *r = MHD_get_reason_phrase_for(status);
    return r != NULL && *r ? r : "error";
}

/* The contract's error body, malloc'd; NULL on OOM. */
static char *error_body(unsigned status, const char *code, const char *param, const char *message)
{
    json_t *err = json_pack("{s:I, s:s, s:s}", "status", (json_int_t)status, "code", code,
                            "message", message);
    if (err != NULL && param != NULL)
        json_object_set_new(err, "parameter", json_string(param));
    json_t *body = err ? json_pack("{s:o}", "error", err) : NULL;
    char *text = body ? json_dumps(body, RP_JSON_COMPACT) : NULL;
    json_decref(body);
    return text;
}

__attribute__((format(printf, 7, 0))) static int
reply_error_va(struct srv_req *rq, unsigned status, const char *code, const char *param,
               const char *hname, const char *hvalue, const char *fmt, va_list ap)
{
    char message[256];
    if (vsnprintf(message, sizeof message, fmt, ap) < 0)
        snprintf(message, sizeof message, "%s", status_reason(status));
    char *text = error_body(status, code, param, message);
    if (text == NULL)
        return MHD_NO;
    return reply_mem(rq, status, SRV_CT_JSON, text, strlen(text), MHD_RESPMEM_MUST_FREE, hname,
                     hvalue);
}

int srv_reply_error(struct srv_req *rq, unsigned status, const char *code, const char *param,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = reply_error_va(rq, status, code, param, NULL, NULL, fmt, ap);
    va_end(ap);
    return r;
}

int srv_reply_error_header(struct srv_req *rq, unsigned status, const char *code, const char *hname,
                           const char *hvalue, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = reply_error_va(rq, status, code, NULL, hname, hvalue, fmt, ap);
    va_end(ap);
    return r;
}

int srv_reply_status(struct srv_req *rq, rp_status st, const rp_error *err)
{
    const struct status_map *m = &status_table[sizeof status_table / sizeof status_table[0] - 1];
    for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
        if (status_table[i].status == st)
            m = &status_table[i];
    const char *msg = err != NULL && err->message[0] ? err->message : rp_status_str(st);
    const char *param = err != NULL && err->param[0] ? err->param : NULL;
    return srv_reply_error(rq, m->http, m->code, param, "%s", msg);
}

void srv_etag(char *buf, uint64_t fingerprint, uint64_t tag)
{
    snprintf(buf, SRV_ETAG_LEN, "\"%016" PRIx64 "-%016" PRIx64 "\"", fingerprint, tag);
}

/* Weak tags (W/) compare by their opaque part, as RFC 9110 prescribes for
 * If-None-Match. */
int srv_etag_list_contains(const char *list, const char *etag)
{
    size_t elen = strlen(etag);
    while (*list != '\0') {
        list += strspn(list, " \t,");
        if (strncmp(list, "W/", 2) == 0)
            list += 2;
        size_t n = strcspn(list, ",");
        size_t t = n;
        while (t > 0 && (list[t - 1] == ' ' || list[t - 1] == '\t'))
            t--;
        if ((t == 1 && list[0] == '*') || (t == elen && memcmp(list, etag, elen) == 0))
            return 1;
        list += n;
    }
    return 0;
}

int srv_etag_matches(struct srv_req *rq, const char *etag)
{
    const char *inm =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    return inm != NULL && srv_etag_list_contains(inm, etag);
}

static int not_modified(struct srv_req *rq, const char *etag, int vary)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    if (vary)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    return srv_reply_response(rq, MHD_HTTP_NOT_MODIFIED, resp, 0);
}

int srv_reply_not_modified(struct srv_req *rq, const char *etag)
{
    return not_modified(rq, etag, 0);
}

int srv_reply_not_modified_vary(struct srv_req *rq, const char *etag)
{
    return not_modified(rq, etag, 1);
}
