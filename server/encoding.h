/*
 * server/encoding.h - choosing and serving the content coding of a cached
 * result (identity or gzip), with one strong ETag per coding.
 */
#ifndef SRV_ENCODING_H
#define SRV_ENCODING_H

#include "app.h"

struct srv_entry;

/* 1 when the request's Accept-Encoding accepts gzip. */
int srv_req_gzip(struct srv_req *rq);

/* The ETag of the gzip coding of the representation tagged etag: the same
 * tag with "-gz" before the closing quote, into out[SRV_ETAG_LEN]. */
void srv_etag_gzip(const char *etag, char *out);

/* Conditional GET before anything is computed: when If-None-Match lists
 * etag, or its gzip twin and the client accepts gzip, queue the 304 (with
 * the tag that matched and Vary) and return 1 with *ret set; else 0. */
int srv_not_modified(struct srv_req *rq, const char *etag, int *ret);

/* Reply 200 with the JSON body of held entry e - its final body when final
 * is set and it has one (cache.h: srv_entry_json_finish), else its first:
 * gzip when the client accepts it and the body has SRV_GZIP_MIN bytes or
 * more (compressed once, by the cache), else identity; no copy, the
 * response holds a reference. */
int srv_reply_entry_json(struct srv_req *rq, struct srv_entry *e, int final, const char *etag);

#endif
