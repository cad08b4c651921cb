/*
 * server/router.c - the route table and a segment-wise matcher.
 *
 * What: maps (method, path) to a handler and up to two captured segments.
 * Invariants: the table below is the only place a path of the API is spelled;
 * captures point into the caller's path (no copies), so a match lives exactly
 * as long as the path. A {name} never matches an empty segment, so
 * "/v1/datasets/" and "//" are 404, and a capture never contains '/'.
 * Complexity: O(routes * path length); with 14 routes that is a few hundred
 * byte comparisons, cheaper than building anything smarter.
 * Rejected: a prefix tree (libmicrohttpd has no router of its own). For a
 * table this small a tree only adds code; a linear scan also makes the 405
 * "Allow" computation trivial: collect the methods of every matching pattern.
 */
#include "router.h"

#include <stdio.h>
#include <string.h>

#include "handlers.h"

static const struct srv_route routes[] = {
    {"GET", "/healthz", h_healthz, 0},
    {"GET", "/readyz", h_readyz, 0},
    {"GET", "/metrics", h_metrics, 0},
    {"GET", "/openapi.json", h_openapi, 0},
    {"GET", "/v1/recipes", h_recipes, 0},
    {"GET", "/v1/datasets", h_datasets, 0},
    {"GET", "/v1/datasets/{ds}", h_dataset, 0},
    {"GET", "/v1/datasets/{ds}/kcore", h_kcore, 0},
    /* {recipe} is a name from the core's recipe table (recipe.h) */
    {"GET", "/v1/datasets/{ds}/splits/{recipe}", h_split_summary, 0},
    {"GET", "/v1/datasets/{ds}/splits/{recipe}/{file}", h_split_file, 0},
    {"GET", "/v1/datasets/{ds}/kcore/curve", h_kcore_curve, 0},
    {"POST", "/v1/datasets/{ds}/reload", h_reload, 0},
    {"GET", "/", h_web_index, 0},
    {"GET", "/assets/{file}", h_web_asset, 0},
};

const struct srv_route *srv_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

/* Length of the segment starting at s (up to '/' or NUL). */
static size_t seg_len(const char *s)
{
    return strcspn(s, "/");
}

int srv_pattern_match(const char *pattern, const char *path, struct srv_slice *args, size_t max,
                      size_t *n)
{
    const char *p = pattern, *q = path;
    *n = 0;
    while (*p != '\0' && *q != '\0') {
        if (*p != '/' || *q != '/')
            return 0;
        p++, q++;
        size_t pl = seg_len(p), ql = seg_len(q);
        if (pl > 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (ql == 0 || *n >= max)
                return 0;
            args[*n].ptr = q;
            args[*n].len = ql;
            (*n)++;
        } else if (pl != ql || memcmp(p, q, pl) != 0) {
            return 0;
        }
        p += pl, q += ql;
    }
    return *p == '\0' && *q == '\0';
}

/* Does route r serve this method? GET routes serve HEAD too. */
static int method_ok(const struct srv_route *r, const char *method)
{
    if (strcmp(r->method, method) == 0)
        return 1;
    return strcmp(r->method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t used = strlen(allow);
    const char *extra = strcmp(method, "GET") == 0 ? "GET, HEAD" : method;
    if (strstr(allow, extra) != NULL)
        return;
    int w = snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", extra);
    if (w < 0 || (size_t)w >= cap - used)
        allow[used] = '\0'; /* cannot happen with this table; keep it well-formed */
}

enum srv_match_status srv_route_match(const char *method, const char *path, struct srv_match *m)
{
    size_t n_routes;
    const struct srv_route *table = srv_routes(&n_routes);
    int path_known = 0;
    memset(m, 0, sizeof *m);
    m->index = n_routes;
    for (size_t i = 0; i < n_routes; i++) {
        struct srv_slice args[SRV_ROUTE_MAX_ARGS] = {{0}};
        size_t n_args;
        if (!srv_pattern_match(table[i].pattern, path, args, SRV_ROUTE_MAX_ARGS, &n_args))
            continue;
        if (!method_ok(&table[i], method)) {
            if (!path_known)
                m->index = i; /* label 405s with the pattern that matched */
            path_known = 1;
            allow_add(m->allow, sizeof m->allow, table[i].method);
            continue;
        }
        m->route = &table[i];
        m->index = i;
        memcpy(m->args, args, sizeof args);
        m->n_args = n_args;
        return SRV_MATCH_OK;
    }
    return path_known ? SRV_MATCH_METHOD : SRV_MATCH_NOT_FOUND;
}
