/*
 * server/reply.h - building and queueing responses, uniformly.
 *
 * Every response goes through srv_reply_response, which adds the common
 * headers (CORS when configured), queues it and records status and body
 * bytes for the access log and metrics. Errors always have the contract's
 * body {"error":{"status","code","message"[,"parameter"]}}, and the mapping
 * from core status to HTTP status lives in one table in reply.c.
 */
#ifndef SRV_REPLY_H
#define SRV_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "app.h"
#include "recprep/error.h"
#include "util.h"

#define SRV_CT_JSON "application/json"
#define SRV_CT_TEXT "text/plain; charset=utf-8"

/* Queue resp with status; destroys resp (MHD keeps its own reference). */
int srv_reply_response(struct srv_req *rq, unsigned status, struct MHD_Response *resp,
                       uint64_t body_len);

/* A response whose body is data[0..len), read through a callback so that
 * rq->sent tracks the body bytes written to the socket (the access log of a
 * response cut short). release(cls) runs when MHD is done with the body
 * (release may be NULL); on failure it runs at once and NULL is returned. */
struct MHD_Response *srv_response_mem(struct srv_req *rq, const char *data, size_t len,
                                      void (*release)(void *), void *cls);

/* The reader for streamed bodies records progress: MHD asks for the bytes at
 * pos only once every byte before pos has been written. */
static inline void srv_reply_progress(struct srv_req *rq, uint64_t pos)
{
    rq->sent = pos;
    if (rq->first_byte_ns == 0)
        rq->first_byte_ns = srv_now_ns(); /* time to first byte, for the access log */
}

/* Reply with a copy of data (small bodies). */
int srv_reply_copy(struct srv_req *rq, unsigned status, const char *ctype, const char *data,
                   size_t len, const char *etag);

/* Reply with data that lives as long as the process (static or loaded-once). */
int srv_reply_static(struct srv_req *rq, unsigned status, const char *ctype, const char *data,
                     size_t len, const char *etag);

/* Reply with j as compact JSON (application/json); the reference is
 * consumed. NULL (a failed build) answers 500 out of memory. */
struct json_t;
int srv_reply_json(struct srv_req *rq, unsigned status, struct json_t *j);

/* Reply with malloc'd data; ownership passes to the call, which frees the data
 * itself if no response can be made. */
int srv_reply_take(struct srv_req *rq, unsigned status, const char *ctype, char *data, size_t len);

/* Error reply. param may be NULL. */
int srv_reply_error(struct srv_req *rq, unsigned status, const char *code, const char *param,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Error reply with one extra header (Allow, WWW-Authenticate, Retry-After). */
int srv_reply_error_header(struct srv_req *rq, unsigned status, const char *code, const char *hname,
                           const char *hvalue, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Error reply for a core status (the one status table). */
int srv_reply_status(struct srv_req *rq, rp_status st, const rp_error *err);

/* Strong ETag text "\"<fp>-<tag>\"" (16 hex digits each) into
 * buf[SRV_ETAG_LEN]. */
void srv_etag(char *buf, uint64_t fingerprint, uint64_t tag);

/* 1 if the request's If-None-Match lists etag (or '*'), else 0. */
int srv_etag_matches(struct srv_req *rq, const char *etag);

/* Does the If-None-Match value list (comma-separated, "*" matches all)
 * contain etag? Pure; exposed for the fuzz target. */
int srv_etag_list_contains(const char *list, const char *etag);

/* 304 Not Modified with the ETag. */
int srv_reply_not_modified(struct srv_req *rq, const char *etag);

/* The same with Vary: Accept-Encoding (resources served in two codings). */
int srv_reply_not_modified_vary(struct srv_req *rq, const char *etag);

#endif
