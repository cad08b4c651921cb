/*
 * server/h_web.c - the dashboard: GET / and GET /assets/{file}.
 *
 * What: serves the embedded page (web_assets.h) with a strict
 * Content-Security-Policy: only this origin's script, style and API
 * (connect-src 'self'), no inline script or style, no frames, no external
 * fonts or images, so the page works offline and an injected string cannot
 * run. The page talks to the public API only, like any other client.
 * Invariants: these routes never need the token (the page asks for it and
 * sends it on its own /v1 calls); a file name is looked up in the embedded
 * table, never used to open anything. ETags are a hash of the bytes,
 * computed once; Cache-Control no-cache makes browsers revalidate (a 304)
 * so a new build's page is picked up at once.
 * Complexity: O(assets) lookup; a handful of entries.
 */
#include <pthread.h>
#include <string.h>

#include <microhttpd.h>

#include "handlers.h"
#include "reply.h"
#include "util.h"
#include "web_assets.h"

#define CSP                                                                                        \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static char etags[16][SRV_ETAG_LEN];
static pthread_once_t etags_once = PTHREAD_ONCE_INIT;

static void etags_init(void)
{
    for (size_t i = 0; i < srv_web_n_assets && i < 16; i++)
        srv_etag(etags[i], srv_fnv1a(SRV_FNV_INIT, srv_web_assets[i].data, srv_web_assets[i].len),
                 srv_fnv1a(SRV_FNV_INIT, srv_web_assets[i].path, strlen(srv_web_assets[i].path)));
}

static int find(const char *name, size_t len)
{
    for (size_t i = 0; i < srv_web_n_assets && i < 16; i++)
        if (strlen(srv_web_assets[i].path) == len && memcmp(srv_web_assets[i].path, name, len) == 0)
            return (int)i;
    return -1;
}

static int serve(struct srv_req *rq, int i)
{
    struct srv_params_error perr;
    if (srv_params_none(rq->args, rq->n_args, &perr) != 0)
        return srv_reply_params_error(rq, &perr);
    pthread_once(&etags_once, etags_init);
    if (srv_etag_matches(rq, etags[i]))
        return srv_reply_not_modified(rq, etags[i]);
    const struct srv_web_asset *a = &srv_web_assets[i];
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etags[i]);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    return srv_reply_response(rq, MHD_HTTP_OK, resp, a->len);
}

int h_web_index(struct srv_req *rq, const struct srv_match *m)
{
    (void)m;
    int i = find("index.html", 10);
    if (i < 0)
        return srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no dashboard");
    return serve(rq, i);
}

int h_web_asset(struct srv_req *rq, const struct srv_match *m)
{
    int i = find(m->args[0].ptr, m->args[0].len);
    if (i < 0 || strcmp(srv_web_assets[i].path, "index.html") == 0)
        return srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL, "unknown asset");
    return serve(rq, i);
}
