/*
 * tests/server/test_e2e.c - end-to-end tests of recprepd: the real binary
 * on an ephemeral port, with the small fixture dataset, spoken to over HTTP.
 *
 * The "api" case shares one server (started once in an unchecked fixture,
 * i.e. in the parent process; every test runs in a forked child). Files are
 * compared byte for byte with tests/server/data/expected/, which the
 * reference notebook produced from data/small.csv.
 */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_cases.h"
#include "e2e_util.h"
#include "../check_run.h"

static struct server api;

static void api_start(void)
{
    char small[512], args_ds[600];
    data_path("small.csv", small, sizeof small);
    snprintf(args_ds, sizeof args_ds, "small=%s", small);
    const char *args[] = {
        "--dataset", args_ds, "--cors-origin", "https://dash.example", "--threads", "4", NULL};
    /* Every computation takes 200 ms longer, so the 32 concurrent clients of
     * concurrent_identical_downloads surely overlap one computation. */
    const char *env[] = {"RECPREP_TEST_COMPUTE_DELAY_MS=200", NULL};
    server_start_ready(&api, args, env);
}

static void api_stop(void)
{
    server_finish(&api);
}

/* GET path, expect status, return parsed JSON body (caller decrefs). */
static json_t *get_json(const char *path, long status)
{
    struct resp r;
    char ct[128];
    ck_assert_int_eq(http(&api, "GET", path, NULL, &r), 0);
    ck_assert_msg(r.status == status, "%s: status %ld, want %ld: %s", path, r.status, status,
                  r.body);
    ck_assert_ptr_nonnull(resp_header(&r, "Content-Type", ct, sizeof ct));
    ck_assert_str_eq(ct, "application/json");
    json_error_t err;
    json_t *j = json_loadb(r.body, r.len, 0, &err);
    ck_assert_msg(j != NULL, "%s: bad JSON: %s", path, r.body);
    resp_free(&r);
    return j;
}

/* Expect the contract's error body with status, code and (optional) parameter. */
static void expect_error(const char *method, const char *path, long status, const char *code,
                         const char *param)
{
    struct resp r;
    ck_assert_int_eq(http(&api, method, path, NULL, &r), 0);
    ck_assert_msg(r.status == status, "%s %s: %ld, want %ld", method, path, r.status, status);
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    ck_assert_msg(j != NULL, "%s: body not JSON: %s", path, r.body);
    json_t *e = json_object_get(j, "error");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "status")), status);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
    ck_assert(json_string_length(json_object_get(e, "message")) > 0);
    if (param != NULL)
        ck_assert_str_eq(json_string_value(json_object_get(e, "parameter")), param);
    json_decref(j);
    resp_free(&r);
}

START_TEST(health_and_readiness)
{
    json_t *j = get_json("/healthz", 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
    j = get_json("/readyz", 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ready");
    json_decref(j);
}
END_TEST

START_TEST(dataset_list_and_stats)
{
    json_t *j = get_json("/v1/datasets", 200);
    json_t *d = json_array_get(json_object_get(j, "datasets"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(d, "name")), "small");
    ck_assert_str_eq(json_string_value(json_object_get(d, "status")), "ready");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "interactions")), 2000);
    json_decref(j);
    j = get_json("/v1/datasets/small", 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "small");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "interactions")), 2000);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(j, "user_history"), "histogram"));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(j, "timestamp"), "min"));
    json_decref(j);
}
END_TEST

START_TEST(kcore_endpoint)
{
    json_t *j = get_json("/v1/datasets/small/kcore?k=3", 200);
    ck_assert_int_gt(json_integer_value(json_object_get(j, "users")), 0);
    ck_assert_int_gt(json_integer_value(json_object_get(j, "interactions")), 0);
    json_t *rounds = json_object_get(j, "rounds");
    size_t n = json_array_size(rounds);
    ck_assert_uint_ge(n, 1);
    ck_assert(
        json_equal(json_array_get(json_array_get(rounds, n - 1), 0), json_object_get(j, "users")));
    json_decref(j);
    expect_error("GET", "/v1/datasets/small/kcore?min_len=3", 400, "unknown_parameter", "min_len");
}
END_TEST

/* Bytes of file rel under data/expected. */
static char *expected(const char *rel, size_t *len)
{
    char p[512], path[512];
    snprintf(p, sizeof p, "expected/%s", rel);
    char *text = read_file(data_path(p, path, sizeof path), len);
    ck_assert_msg(text != NULL, "missing %s", path);
    return text;
}

START_TEST(temporal_summary)
{
    json_t *j = get_json("/v1/datasets/small/splits/temporal", 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "method")), "temporal");
    json_t *params = json_object_get(j, "params");
    ck_assert_int_eq(json_integer_value(json_object_get(params, "user_k")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(params, "min_len")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "users")), 187); /* reference */
    ck_assert_int_eq(json_integer_value(json_object_get(j, "items")), 21);
    json_t *b = json_object_get(j, "boundaries");
    ck_assert_int_eq(json_integer_value(json_object_get(b, "validation")), 1340694400);
    ck_assert_int_eq(json_integer_value(json_object_get(b, "test")), 1345446400);
    json_t *inter = json_object_get(j, "interactions");
    ck_assert_int_eq(json_integer_value(json_object_get(inter, "train")), 1468);
    size_t len;
    free(expected("temporal/train.txt", &len));
    json_t *train = json_object_get(json_object_get(j, "files"), "train.txt");
    ck_assert_int_eq(json_integer_value(json_object_get(train, "bytes")), (json_int_t)len);
    ck_assert_int_eq(json_integer_value(json_object_get(train, "lines")), 907);
    json_decref(j);
}
END_TEST

START_TEST(full_summary)
{
    json_t *j = get_json("/v1/datasets/small/splits/full", 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "method")), "full");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "users")), 191);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "items")), 22);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(j, "files"), "all.txt"));
    json_decref(j);
}
END_TEST

/* GET a file and compare with the expected bytes; check download headers. */
static void check_file(const char *path, const char *rel, const char *recipe, const char *name)
{
    struct resp r;
    char h[256], want[128], prefix[128];
    size_t len;
    char *exp = expected(rel, &len);
    ck_assert_int_eq(http(&api, "GET", path, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(r.len == len && memcmp(r.body, exp, len) == 0, "%s differs from %s", path, rel);
    ck_assert_str_eq(resp_header(&r, "Content-Type", h, sizeof h), "text/plain; charset=utf-8");
    /* attachment; filename="small-<recipe>-<8 hex>-<name>" */
    ck_assert_ptr_nonnull(resp_header(&r, "Content-Disposition", h, sizeof h));
    snprintf(prefix, sizeof prefix, "attachment; filename=\"small-%s-", recipe);
    ck_assert_msg(strncmp(h, prefix, strlen(prefix)) == 0, "%s", h);
    const char *hex = h + strlen(prefix);
    ck_assert_uint_eq(strspn(hex, "0123456789abcdef"), 8);
    snprintf(want, sizeof want, "-%s\"", name);
    ck_assert_str_eq(hex + 8, want);
    ck_assert_uint_eq(strtoull(resp_header(&r, "Content-Length", h, sizeof h), NULL, 10), len);
    ck_assert_ptr_nonnull(resp_header(&r, "ETag", h, sizeof h));
    ck_assert(h[0] == '"' && h[strlen(h) - 1] == '"'); /* strong */
    free(exp);
    resp_free(&r);
}

START_TEST(files_match_reference)
{
    static const char *const names[] = {"train.txt", "validation.txt", "test.txt"};
    char path[256], rel[64];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/v1/datasets/small/splits/temporal/%s", names[i]);
        snprintf(rel, sizeof rel, "temporal/%s", names[i]);
        check_file(path, rel, "temporal", names[i]);
        snprintf(path, sizeof path,
                 "/v1/datasets/small/splits/temporal/%s?test_start=0.85&k=3&val_start=0.7",
                 names[i]);
        snprintf(rel, sizeof rel, "temporal-k3/%s", names[i]);
        check_file(path, rel, "temporal", names[i]);
    }
    check_file("/v1/datasets/small/splits/full/all.txt", "full/all.txt", "full", "all.txt");
}
END_TEST

/* Count lines of a body and check they are "<1..n>\t<raw>" in ID order. */
static void check_id_map(const char *path, long want_lines, char prefix)
{
    struct resp r;
    ck_assert_int_eq(http(&api, "GET", path, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    long line = 0;
    for (char *p = r.body; p < r.body + r.len; line++) {
        char *nl = memchr(p, '\n', (size_t)(r.body + r.len - p));
        ck_assert_ptr_nonnull(nl);
        char *tab;
        ck_assert_int_eq(strtol(p, &tab, 10), line + 1);
        ck_assert(tab[0] == '\t' && tab[1] == prefix);
        p = nl + 1;
    }
    ck_assert_int_eq(line, want_lines);
    resp_free(&r);
}

START_TEST(id_maps)
{
    check_id_map("/v1/datasets/small/splits/temporal/users.tsv", 187, 'A');
    check_id_map("/v1/datasets/small/splits/temporal/items.tsv", 21, 'B');
    check_id_map("/v1/datasets/small/splits/full/users.tsv", 191, 'A');
    check_id_map("/v1/datasets/small/splits/full/items.tsv", 22, 'B');
}
END_TEST

START_TEST(etag_and_conditional)
{
    static const char *const paths[] = {"/v1/datasets/small", "/v1/datasets/small/kcore",
                                        "/v1/datasets/small/splits/full",
                                        "/v1/datasets/small/splits/temporal/test.txt"};
    for (size_t i = 0; i < 4; i++) {
        struct resp r;
        char etag[128], inm[200], other[200];
        ck_assert_int_eq(http(&api, "GET", paths[i], NULL, &r), 0);
        ck_assert_ptr_nonnull(resp_header(&r, "ETag", etag, sizeof etag));
        resp_free(&r);
        snprintf(inm, sizeof inm, "If-None-Match: \"nope\", %s", etag);
        const char *hdrs[] = {inm, NULL};
        ck_assert_int_eq(http(&api, "GET", paths[i], hdrs, &r), 0);
        ck_assert_int_eq(r.status, 304);
        ck_assert_uint_eq(r.len, 0);
        ck_assert_str_eq(resp_header(&r, "ETag", other, sizeof other), etag);
        resp_free(&r);
        const char *stale[] = {"If-None-Match: \"0000000000000000-0000000000000000\"", NULL};
        ck_assert_int_eq(http(&api, "GET", paths[i], stale, &r), 0);
        ck_assert_int_eq(r.status, 200);
        resp_free(&r);
    }
}
END_TEST

START_TEST(canonical_parameters_share_results)
{
    struct resp a, b, c;
    char ea[128], eb[128], ec[128];
    ck_assert_int_eq(http(&api, "GET", "/v1/datasets/small/splits/temporal", NULL, &a), 0);
    ck_assert_int_eq(
        http(&api, "GET", "/v1/datasets/small/splits/temporal?k=4&val_start=0.80", NULL, &b), 0);
    ck_assert_int_eq(http(&api, "GET", "/v1/datasets/small/splits/temporal?k=5", NULL, &c), 0);
    resp_header(&a, "ETag", ea, sizeof ea);
    resp_header(&b, "ETag", eb, sizeof eb);
    resp_header(&c, "ETag", ec, sizeof ec);
    ck_assert_str_eq(ea, eb);
    ck_assert_str_ne(ea, ec);
    ck_assert(a.len == b.len && memcmp(a.body, b.body, a.len) == 0);
    resp_free(&a);
    resp_free(&b);
    resp_free(&c);
}
END_TEST

START_TEST(head_has_headers_only)
{
    struct resp g, h;
    char lg[32], lh[32], eg[128], eh[128];
    ck_assert_int_eq(http(&api, "GET", "/v1/datasets/small/splits/full/all.txt", NULL, &g), 0);
    ck_assert_int_eq(http(&api, "HEAD", "/v1/datasets/small/splits/full/all.txt", NULL, &h), 0);
    ck_assert_int_eq(h.status, 200);
    ck_assert_uint_eq(h.len, 0);
    ck_assert_str_eq(resp_header(&g, "Content-Length", lg, sizeof lg),
                     resp_header(&h, "Content-Length", lh, sizeof lh));
    ck_assert_str_eq(resp_header(&g, "ETag", eg, sizeof eg),
                     resp_header(&h, "ETag", eh, sizeof eh));
    resp_free(&g);
    resp_free(&h);
}
END_TEST

START_TEST(parameter_errors)
{
    const char *t = "/v1/datasets/small/splits/temporal";
    char p[256];
#define E(q, code, param)                                                                          \
    do {                                                                                           \
        snprintf(p, sizeof p, "%s%s", t, q);                                                       \
        expect_error("GET", p, 400, code, param);                                                  \
    } while (0)
    E("?kk=1", "unknown_parameter", "kk");
    E("?k=4&k=4", "invalid_parameter", "k");
    E("?k=abc", "invalid_parameter", "k");
    E("?k=0", "invalid_parameter", "k");
    E("?k=-1", "invalid_parameter", "k");
    E("?k=%2B4", "invalid_parameter", "k");
    E("?k=", "invalid_parameter", "k");
    E("?k", "invalid_parameter", "k");
    E("?k=4.5", "invalid_parameter", "k");
    E("?user_k=99999999999", "invalid_parameter", "user_k");
    E("?val_start=1", "invalid_parameter", "val_start");
    E("?val_start=0", "invalid_parameter", "val_start");
    E("?test_start=1.5", "invalid_parameter", "test_start");
    E("?val_start=nan", "invalid_parameter", "val_start");
    E("?min_len=0", "invalid_parameter", "min_len");
#undef E
    struct resp r;
    ck_assert_int_eq(
        http(&api, "GET", "/v1/datasets/small/splits/temporal?val_start=0.95", NULL, &r), 0);
    ck_assert_int_eq(r.status, 400); /* val_start > default test_start */
    resp_free(&r);
    expect_error("GET", "/v1/datasets/small/splits/full?val_start=0.5", 400, "unknown_parameter",
                 "val_start");
    expect_error("GET", "/v1/datasets/small/splits/full/all.txt?min_len=2", 400,
                 "unknown_parameter", "min_len");
    expect_error("GET", "/v1/datasets?x=1", 400, "unknown_parameter", "x");
    expect_error("GET", "/v1/datasets/small?x=1", 400, "unknown_parameter", "x");
    /* each recipe takes exactly its table's parameters */
    expect_error("GET", "/v1/datasets/small/splits/sasrec?max_len=5", 400, "unknown_parameter",
                 "max_len");
    expect_error("GET", "/v1/datasets/small/splits/s3rec/data.txt?min_len=2", 400,
                 "unknown_parameter", "min_len");
    expect_error("GET", "/v1/datasets/small/splits/az23-last-out?val_time=5", 400,
                 "unknown_parameter", "val_time");
    expect_error("GET", "/v1/datasets/small/splits/temporal?test_time=5", 400, "unknown_parameter",
                 "test_time");
    expect_error("GET", "/v1/datasets/small/splits/az23-timestamp?val_time=9&test_time=8", 400,
                 "invalid_parameter", "test_time");
    expect_error("GET", "/v1/datasets/small/splits/az23-last-out?k=0&user_k=3", 400,
                 "invalid_parameter", "k");
    expect_error("GET", "/v1/datasets/small/splits/full?since=10&until=10", 400,
                 "invalid_parameter", "until");
    expect_error("GET", "/v1/datasets/small/splits/full?dedup=all", 400, "invalid_parameter",
                 "dedup");
    expect_error("GET", "/v1/datasets/small/splits/full?min_rating=-1", 400, "invalid_parameter",
                 "min_rating");
    expect_error("GET", "/v1/datasets/small/splits/nope", 404, "not_found", NULL);
    expect_error("GET", "/v1/datasets/small/splits/sasrec/all.txt", 404, "not_found", NULL);
}
END_TEST

/* GET /v1/recipes lists the core's table; every recipe answers with its
 * files, whose sizes the summary states, and its provenance. */
START_TEST(recipes_over_http)
{
    json_t *list = get_json("/v1/recipes", 200), *rec;
    size_t i, n_recipes = json_array_size(json_object_get(list, "recipes"));
    ck_assert_uint_eq(n_recipes, 6);
    json_array_foreach(json_object_get(list, "recipes"), i, rec)
    {
        const char *name = json_string_value(json_object_get(rec, "name"));
        char path[256];
        snprintf(path, sizeof path, "/v1/datasets/small/splits/%s?k=2", name);
        json_t *sum = get_json(path, 200);
        ck_assert_str_eq(json_string_value(json_object_get(sum, "recipe")), name);
        json_t *prov = json_object_get(sum, "provenance");
        ck_assert_ptr_nonnull(prov);
        ck_assert_str_eq(json_string_value(json_object_get(prov, "dataset")), "small");
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(prov, "params")), name));
        size_t f;
        json_t *file;
        json_array_foreach(json_object_get(rec, "files"), f, file)
        {
            const char *fname = json_string_value(file);
            json_t *info = json_object_get(json_object_get(sum, "files"), fname);
            ck_assert_msg(info != NULL, "%s: summary lacks %s", name, fname);
            snprintf(path, sizeof path, "/v1/datasets/small/splits/%s/%s?k=2", name, fname);
            struct resp r;
            ck_assert_int_eq(http(&api, "GET", path, NULL, &r), 0);
            ck_assert_msg(r.status == 200, "%s: %ld", path, r.status);
            ck_assert_uint_eq(r.len, (size_t)json_integer_value(json_object_get(info, "bytes")));
            size_t lines = 0;
            for (size_t b = 0; b < r.len; b++)
                lines += r.body[b] == '\n';
            ck_assert_uint_eq(lines, (size_t)json_integer_value(json_object_get(info, "lines")));
            resp_free(&r);
        }
        json_decref(sum);
    }
    json_decref(list);
}
END_TEST

START_TEST(not_found_and_method)
{
    expect_error("GET", "/v1/datasets/nope", 404, "not_found", NULL);
    expect_error("GET", "/v1/datasets/nope/splits/full", 404, "not_found", NULL);
    expect_error("GET", "/v1/datasets/small/splits/full/train.txt", 404, "not_found", NULL);
    expect_error("GET", "/v1/datasets/small/splits/temporal/..%2F..%2Fetc%2Fpasswd", 404,
                 "not_found", NULL);
    expect_error("GET", "/v1/datasets/small/splits/temporal/%2Fetc%2Fpasswd", 404, "not_found",
                 NULL);
    expect_error("GET", "/v1/datasets/..%2Fsmall", 404, "not_found", NULL);
    expect_error("GET", "/v1/datasets/small%00x", 404, "not_found", NULL); /* no NUL cut */
    expect_error("GET", "/v1/datasets/%73mall/kcore?k=9%00", 400, "invalid_parameter", "k");
    expect_error("GET", "/nope", 404, "not_found", NULL);
    expect_error("GET", "/v1/datasets/small/splits", 404, "not_found", NULL);
    expect_error("POST", "/v1/datasets/small", 405, "method_not_allowed", NULL);
    expect_error("DELETE", "/healthz", 405, "method_not_allowed", NULL);
    struct resp r;
    char allow[64];
    ck_assert_int_eq(http(&api, "PUT", "/v1/datasets/small/splits/full/all.txt", NULL, &r), 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(resp_header(&r, "Allow", allow, sizeof allow), "GET, HEAD");
    resp_free(&r);
}
END_TEST

static double metric(const char *text, const char *prefix);
static char *metrics_text(void);

START_TEST(oversized_requests)
{
    static char path[70000];
    int n = snprintf(path, sizeof path, "/v1/datasets/small/splits/temporal?k=");
    memset(path + n, '4', 5000);
    path[n + 5000] = '\0';
    expect_error("GET", path, 414, "uri_too_long", NULL);
    memset(path + n, '4', 60000); /* beyond the connection's buffer */
    path[n + 60000] = '\0';
    struct resp r;
    if (http(&api, "GET", path, NULL, &r) == 0) {
        ck_assert_int_ge(r.status, 400);
        ck_assert_int_lt(r.status, 500);
        resp_free(&r);
    }
    json_t *j = get_json("/healthz", 200); /* still serving */
    json_decref(j);
    char *m = metrics_text(); /* the 414 is not counted under some route */
    ck_assert_double_ge(metric(m, "recprep_http_requests_total{route=\"unmatched\","
                                  "method=\"GET\",status=\"414\"}"),
                        1);
    ck_assert_ptr_null(strstr(m, "route=\"/healthz\",method=\"GET\",status=\"414\""));
    free(m);
}
END_TEST

START_TEST(cors)
{
    struct resp r;
    char v[128];
    const char *ok[] = {"Origin: https://dash.example", NULL};
    const char *other[] = {"Origin: https://evil.example", NULL};
    ck_assert_int_eq(http(&api, "GET", "/v1/datasets", ok, &r), 0);
    ck_assert_str_eq(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof v),
                     "https://dash.example");
    resp_free(&r);
    ck_assert_int_eq(http(&api, "GET", "/v1/datasets", other, &r), 0);
    ck_assert_ptr_null(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    resp_free(&r);
    const char *pre[] = {"Origin: https://dash.example", "Access-Control-Request-Method: GET",
                         NULL};
    ck_assert_int_eq(http(&api, "OPTIONS", "/v1/datasets/small/splits/temporal", pre, &r), 0);
    ck_assert_int_eq(r.status, 204);
    ck_assert_ptr_nonnull(resp_header(&r, "Access-Control-Allow-Methods", v, sizeof v));
    ck_assert_ptr_nonnull(strstr(v, "GET"));
    ck_assert_str_eq(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof v),
                     "https://dash.example");
    resp_free(&r);
}
END_TEST

/* Value of the first metrics line starting with prefix, or -1. */
static double metric(const char *text, const char *prefix)
{
    const char *p = text;
    size_t n = strlen(prefix);
    while (p != NULL && *p) {
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

static char *metrics_text(void)
{
    struct resp r;
    ck_assert_int_eq(http(&api, "GET", "/metrics", NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    free(r.headers);
    return r.body;
}

START_TEST(metrics_exposition)
{
    struct resp r;
    ck_assert_int_eq(http(&api, "GET", "/v1/datasets/small", NULL, &r), 0);
    resp_free(&r);
    ck_assert_int_eq(http(&api, "GET", "/v1/datasets/zzz", NULL, &r), 0);
    resp_free(&r);
    char *m = metrics_text();
    ck_assert_double_ge(metric(m, "recprep_http_requests_total{route=\"/v1/datasets/{ds}\","
                                  "method=\"GET\",status=\"200\"}"),
                        1);
    ck_assert_double_ge(metric(m, "recprep_http_requests_total{route=\"/v1/datasets/{ds}\","
                                  "method=\"GET\",status=\"404\"}"),
                        1);
    ck_assert_ptr_null(strstr(m, "zzz")); /* raw paths never become labels */
    ck_assert_double_ge(
        metric(m, "recprep_http_request_duration_seconds_count{route=\"/v1/datasets/{ds}\"}"), 2);
    ck_assert_double_ge(metric(m, "recprep_cache_hits_total"), 0);
    ck_assert_double_ge(metric(m, "recprep_cache_misses_total"), 0);
    ck_assert_double_gt(metric(m, "recprep_dataset_load_seconds{dataset=\"small\"}"), 0);
    ck_assert_double_eq(metric(m, "recprep_dataset_ready{dataset=\"small\"}"), 1);
    ck_assert_ptr_nonnull(strstr(m, "# TYPE recprep_http_response_bytes_total counter"));
    free(m);
}
END_TEST

struct fetch {
    char *body;
    size_t len;
    long status;
};

static void *fetch_worker(void *arg)
{
    struct fetch *f = arg;
    struct resp r;
    if (http(&api, "GET", "/v1/datasets/small/splits/temporal/train.txt?k=2&min_len=3", NULL, &r) ==
        0) {
        f->status = r.status;
        f->body = r.body;
        f->len = r.len;
        free(r.headers);
    }
    return NULL;
}

START_TEST(concurrent_identical_downloads)
{
    enum { N = 32 };
    struct fetch f[N] = {{0}};
    pthread_t t[N];
    char *before = metrics_text();
    double misses0 = metric(before, "recprep_cache_misses_total");
    free(before);
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, fetch_worker, &f[i]);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(f[i].status, 200);
        ck_assert_uint_gt(f[i].len, 0);
        ck_assert(f[i].len == f[0].len && memcmp(f[i].body, f[0].body, f[0].len) == 0);
    }
    for (int i = 0; i < N; i++)
        free(f[i].body);
    char *after = metrics_text();
    ck_assert_double_eq(metric(after, "recprep_cache_misses_total"), misses0 + 1);
    free(after);
}
END_TEST

START_TEST(access_log_lines)
{
    struct resp r;
    ck_assert_int_eq(http(&api, "GET", "/v1/datasets/small/kcore?k=7", NULL, &r), 0);
    resp_free(&r);
    char *log = server_log(&api);
    const char *line = strstr(log, "\"path\":\"/v1/datasets/small/kcore\"");
    ck_assert_ptr_nonnull(line);
    while (line > log && line[-1] != '\n')
        line--;
    const char *end = strchr(line, '\n');
    json_t *j = json_loadb(line, (size_t)(end - line), 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "method")), "GET");
    ck_assert(json_is_integer(json_object_get(j, "status")));
    ck_assert(json_is_integer(json_object_get(j, "bytes")));
    ck_assert(json_is_integer(json_object_get(j, "microseconds")));
    ck_assert(json_is_string(json_object_get(j, "time")));
    json_decref(j);
    free(log);
}
END_TEST

/* The curve's points equal separate /kcore?k= answers (the nested-core reuse
 * must not change a number); parameter errors name max_k. */
START_TEST(kcore_curve_endpoint)
{
    json_t *j = get_json("/v1/datasets/small/kcore/curve?max_k=8", 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "max_k")), 8);
    json_t *curve = json_object_get(j, "curve");
    ck_assert_uint_eq(json_array_size(curve), 8);
    int nonempty = 0;
    for (size_t x = 0; x < 8; x++) {
        json_t *p = json_array_get(curve, x);
        char path[96];
        snprintf(path, sizeof path, "/v1/datasets/small/kcore?k=%zu", x + 1);
        json_t *kc = get_json(path, 200);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "k")), (json_int_t)x + 1);
        ck_assert(json_equal(json_object_get(p, "users"), json_object_get(kc, "users")));
        ck_assert(json_equal(json_object_get(p, "items"), json_object_get(kc, "items")));
        ck_assert(
            json_equal(json_object_get(p, "interactions"), json_object_get(kc, "interactions")));
        nonempty += json_integer_value(json_object_get(kc, "users")) > 0;
        json_decref(kc);
    }
    ck_assert_int_ge(nonempty, 2);
    json_decref(j);
    j = get_json("/v1/datasets/small/kcore/curve", 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "max_k")), 20);
    json_decref(j);
    expect_error("GET", "/v1/datasets/small/kcore/curve?max_k=0", 400, "invalid_parameter",
                 "max_k");
    expect_error("GET", "/v1/datasets/small/kcore/curve?max_k=1001", 400, "invalid_parameter",
                 "max_k");
    expect_error("GET", "/v1/datasets/small/kcore/curve?k=3", 400, "unknown_parameter", "k");
    expect_error("GET", "/v1/datasets/nope/kcore/curve", 404, "not_found", NULL);
}
END_TEST

/* GET / is the embedded page under a strict CSP; its assets resolve; the
 * statistics carry the per-month and rating distributions. */
START_TEST(dashboard_and_new_stats)
{
    struct resp r;
    char h[512];
    ck_assert_int_eq(http(&api, "GET", "/", NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(resp_header(&r, "Content-Type", h, sizeof h), "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(resp_header(&r, "Content-Security-Policy", h, sizeof h));
    ck_assert_ptr_nonnull(strstr(h, "default-src 'none'"));
    ck_assert_ptr_null(strstr(h, "unsafe-inline"));
    ck_assert_ptr_nonnull(strstr(r.body, "/assets/app.js"));
    ck_assert_ptr_null(strstr(r.body, "http://"));
    ck_assert_ptr_null(strstr(r.body, "https://"));
    resp_free(&r);
    ck_assert_int_eq(http(&api, "GET", "/assets/app.js", NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(resp_header(&r, "Content-Type", h, sizeof h),
                     "text/javascript; charset=utf-8");
    ck_assert_uint_gt(r.len, 1000);
    resp_free(&r);
    expect_error("GET", "/assets/index.html", 404, "not_found", NULL);
    expect_error("GET", "/assets/nope.js", 404, "not_found", NULL);
    expect_error("GET", "/?x=1", 400, "unknown_parameter", "x");
    json_t *j = get_json("/v1/datasets/small", 200);
    json_t *tl = json_object_get(j, "interactions_over_time");
    json_t *buckets = json_object_get(tl, "buckets");
    json_int_t sum = 0;
    for (size_t b = 0; b < json_array_size(buckets); b++)
        sum += json_integer_value(json_object_get(json_array_get(buckets, b), "count"));
    ck_assert_int_eq(sum, 2000);
    json_t *ratings = json_object_get(j, "ratings");
    ck_assert_int_eq(json_integer_value(json_object_get(ratings, "rated")) +
                         json_integer_value(json_object_get(ratings, "missing")),
                     2000);
    json_decref(j);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("server_e2e");
    TCase *tc = tcase_create("api");
    tcase_add_unchecked_fixture(tc, api_start, api_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, health_and_readiness);
    tcase_add_test(tc, dataset_list_and_stats);
    tcase_add_test(tc, kcore_endpoint);
    tcase_add_test(tc, kcore_curve_endpoint);
    tcase_add_test(tc, dashboard_and_new_stats);
    tcase_add_test(tc, temporal_summary);
    tcase_add_test(tc, full_summary);
    tcase_add_test(tc, recipes_over_http);
    tcase_add_test(tc, files_match_reference);
    tcase_add_test(tc, id_maps);
    tcase_add_test(tc, etag_and_conditional);
    tcase_add_test(tc, canonical_parameters_share_results);
    tcase_add_test(tc, head_has_headers_only);
    tcase_add_test(tc, parameter_errors);
    tcase_add_test(tc, not_found_and_method);
    tcase_add_test(tc, oversized_requests);
    tcase_add_test(tc, cors);
    tcase_add_test(tc, metrics_exposition);
    tcase_add_test(tc, concurrent_identical_downloads);
    tcase_add_test(tc, access_log_lines);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, e2e_auth_tcase());
    suite_add_tcase(s, e2e_lifecycle_tcase());
    suite_add_tcase(s, e2e_golden_tcase());
    suite_add_tcase(s, e2e_hostile_tcase());
    suite_add_tcase(s, e2e_hostile_life_tcase());
    suite_add_tcase(s, e2e_serve_tcase());
    suite_add_tcase(s, e2e_reload_tcase());
    suite_add_tcase(s, e2e_openapi_tcase());
    suite_add_tcase(s, e2e_cache_tcase());
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = rp_check_run(suite());
    curl_global_cleanup();
    return rc;
}
