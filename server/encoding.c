/*
 * server/encoding.c - identity or gzip for cached results.
 *
 * What: a cached result has up to two codings of each body, identity and
 * gzip (compressed once, kept by the cache next to the identity bytes). The
 * request's Accept-Encoding picks one; each has its own strong ETag (the
 * identity tag + "-gz"), since their bytes differ, and every such response
 * says Vary: Accept-Encoding so shared caches keep them apart.
 * Invariants: the gzip tag is derived from the identity tag alone, so both
 * are known before anything is computed (304 on a cold cache).
 * Rejected: weak ETags shared by both codings - Range and If-Range need
 * strong tags, and the bytes differ.
 */
#include "encoding.h"

#include <string.h>

#include <microhttpd.h>

#include "cache.h"
#include "gzip.h"
#include "reply.h"

int srv_req_gzip(struct srv_req *rq)
{
    return srv_accepts_gzip(
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

void srv_etag_gzip(const char *etag, char *out)
{
    size_t n = strlen(etag);
    if (n < 2 || n + 3 >= SRV_ETAG_LEN) { /* not ours: keep it distinct anyway */
        memcpy(out, "\"gz\"", 5);
        return;
    }
    memcpy(out, etag, n - 1);
    memcpy(out + n - 1, "-gz\"", 5);
}

int srv_not_modified(struct srv_req *rq, const char *etag, int *ret)
{
    char gz[SRV_ETAG_LEN];
    srv_etag_gzip(etag, gz);
    const char *hit = srv_etag_matches(rq, etag)                     ? etag
                      : srv_req_gzip(rq) && srv_etag_matches(rq, gz) ? gz
                                                                     : NULL;
    if (hit == NULL)
        return 0;
    *ret = srv_reply_not_modified_vary(rq, hit);
    return 1;
}

static void release_entry(void *cls)
{
    srv_entry_release(cls);
}

int srv_reply_entry_json(struct srv_req *rq, struct srv_entry *e, int final, const char *etag)
{
    const char *data;
    size_t len;
    char gz[SRV_ETAG_LEN];
    int gzip = srv_req_gzip(rq) && srv_entry_gzip_json(e, final, &data, &len) == RP_OK;
    if (!gzip)
        srv_entry_json(e, final, &data, &len);
    struct MHD_Response *resp = srv_response_mem(rq, data, len, release_entry, srv_entry_ref(e));
    if (resp == NULL)
        return srv_reply_status(rq, RP_ERR_NOMEM, NULL);
    if (gzip)
        srv_etag_gzip(etag, gz);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SRV_CT_JSON);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, gzip ? gz : etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (gzip)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    rq->gzip = gzip;
    return srv_reply_response(rq, MHD_HTTP_OK, resp, len);
}
