/*
 * server/handlers.h - one handler per resource (h_<resource>), referenced
 * only by the route table in router.c.
 */
#ifndef SRV_HANDLERS_H
#define SRV_HANDLERS_H

#include "router.h"

struct srv_dataset;
struct srv_gen;

/* The generation in service of the dataset named by the route's {ds}, held
 * by rq until it completes (rq->gen): the request reads that one even if a
 * reload replaces it meanwhile. Otherwise the 404 (unknown) or 503 (still
 * loading) reply is queued, *ret holds its result and NULL is returned. */
struct srv_gen *srv_require_dataset(struct srv_req *rq, const struct srv_match *m, int *ret);

/* One entry of /v1/datasets: name, status, counts (null while loading),
 * progress while loading; once ready load_seconds, generation, reloading
 * and last_reload. New reference or NULL. */
struct json_t;
struct json_t *srv_dataset_entry(struct srv_dataset *d);

/* Every configured dataset's entry, in configuration order: a new array or
 * NULL on OOM. /v1/datasets and the loading /readyz both list them. */
struct srv_registry;
struct json_t *srv_dataset_list(struct srv_registry *reg);

/* Queue the 400 for a parameter error, or return 0 when there is none. */
struct srv_params_error;
int srv_reply_params_error(struct srv_req *rq, const struct srv_params_error *err);

int h_healthz(struct srv_req *rq, const struct srv_match *m);
int h_readyz(struct srv_req *rq, const struct srv_match *m);
int h_metrics(struct srv_req *rq, const struct srv_match *m);
int h_openapi(struct srv_req *rq, const struct srv_match *m);
int h_datasets(struct srv_req *rq, const struct srv_match *m);
int h_dataset(struct srv_req *rq, const struct srv_match *m);
int h_kcore(struct srv_req *rq, const struct srv_match *m);
int h_recipes(struct srv_req *rq, const struct srv_match *m);
int h_kcore_curve(struct srv_req *rq, const struct srv_match *m);
int h_web_index(struct srv_req *rq, const struct srv_match *m);
int h_web_asset(struct srv_req *rq, const struct srv_match *m);
int h_split_summary(struct srv_req *rq, const struct srv_match *m);
int h_split_file(struct srv_req *rq, const struct srv_match *m);
int h_reload(struct srv_req *rq, const struct srv_match *m);

#endif
