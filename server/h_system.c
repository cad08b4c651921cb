/*
 * server/h_system.c - operational endpoints: /healthz, /readyz, /metrics,
 * /openapi.json. They take no parameters and never need auth.
 */
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "recprep/json.h"

#include "handlers.h"
#include "metrics.h"
#include "reply.h"
#include "util.h"

#ifdef RECPREP_HAVE_OPENAPI
#include "deploy/openapi_embed.h"
#endif

static const char healthy[] = "{\"status\":\"ok\"}";
static const char ready[] = "{\"status\":\"ready\"}";

int h_healthz(struct srv_req *rq, const struct srv_match *m)
{
    (void)m;
    return srv_reply_static(rq, MHD_HTTP_OK, SRV_CT_JSON, healthy, sizeof healthy - 1, NULL);
}

/* 503 {"status":"loading","datasets":[...]}: the same entries as /v1/datasets,
 * so an operator sees which dataset is slow and how far it got; "failed" once
 * a dataset failed to load (the process is about to exit 2). */
int h_readyz(struct srv_req *rq, const struct srv_match *m)
{
    (void)m;
    if (srv_registry_ready(&rq->app->reg))
        return srv_reply_static(rq, MHD_HTTP_OK, SRV_CT_JSON, ready, sizeof ready - 1, NULL);
    const char *status = srv_registry_failed(&rq->app->reg) ? "failed" : "loading";
    json_t *list = srv_dataset_list(&rq->app->reg);
    return srv_reply_json(rq, MHD_HTTP_SERVICE_UNAVAILABLE,
                          list ? json_pack("{s:s, s:o}", "status", status, "datasets", list)
                               : NULL);
}

int h_metrics(struct srv_req *rq, const struct srv_match *m)
{
    struct srv_buf b = {0};
    (void)m;
    srv_metrics_render(rq->app, &b);
    if (b.failed) {
        srv_buf_cleanup(&b);
        return srv_reply_status(rq, RP_ERR_NOMEM, NULL);
    }
    return srv_reply_take(rq, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.data,
                          b.len);
}

int h_openapi(struct srv_req *rq, const struct srv_match *m)
{
    (void)m;
#ifdef RECPREP_HAVE_OPENAPI
    return srv_reply_static(rq, MHD_HTTP_OK, SRV_CT_JSON, srv_openapi_json, srv_openapi_json_len,
                            NULL);
#else
    return srv_reply_error(rq, MHD_HTTP_NOT_FOUND, "not_found", NULL,
                           "this build has no embedded OpenAPI document");
#endif
}
