/*
 * server/router.h - the route table of recprepd, the single source of truth
 * for the HTTP API.
 *
 * Patterns use OpenAPI syntax ("/v1/datasets/{ds}/splits/temporal/{file}");
 * a {name} segment matches one non-empty path segment. A GET route also
 * serves HEAD. Matching is pure (no I/O, no allocation), so it is unit-tested
 * on its own and fuzzable.
 */
#ifndef SRV_ROUTER_H
#define SRV_ROUTER_H

#include <stddef.h>

struct srv_req;
struct srv_match;

/* A handler answers one matched request: it queues exactly one response and
 * returns the MHD_Result of doing so (MHD_YES / MHD_NO as int). */
typedef int (*srv_handler)(struct srv_req *rq, const struct srv_match *m);

struct srv_route {
    const char *method;  /* "GET"; HEAD is served by GET routes */
    const char *pattern; /* OpenAPI path template */
    srv_handler handler;
    int arg; /* handler-specific */
};

/* A path-template capture: a borrowed slice of the request path. */
struct srv_slice {
    const char *ptr;
    size_t len;
};

#define SRV_ROUTE_MAX_ARGS 3

enum srv_match_status {
    SRV_MATCH_OK = 0,    /* route found; args captured */
    SRV_MATCH_NOT_FOUND, /* no pattern matches the path: 404 */
    SRV_MATCH_METHOD     /* a pattern matches but not the method: 405, allow set */
};

struct srv_match {
    const struct srv_route *route; /* SRV_MATCH_OK only */
    size_t index;                  /* route index (metrics label); n_routes if none */
    struct srv_slice args[SRV_ROUTE_MAX_ARGS];
    size_t n_args;
    char allow[32]; /* the Allow header for SRV_MATCH_METHOD, e.g. "GET, HEAD" */
};

/* The route table: a static array of *n routes. Never NULL. Thread-safe. */
const struct srv_route *srv_routes(size_t *n);

/* Match method and path (decoded, no query string) against the table.
 * Fills *m; returns the status. Thread-safe, allocation-free. */
enum srv_match_status srv_route_match(const char *method, const char *path, struct srv_match *m);

/* Match path against one pattern; on success fill args (up to max) and *n.
 * Exposed for tests. Returns 1 on match, 0 otherwise. */
int srv_pattern_match(const char *pattern, const char *path, struct srv_slice *args, size_t max,
                      size_t *n);

#endif
