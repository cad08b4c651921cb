/*
 * tests/server/test_router.c - the route table and matcher (server/router.c).
 */
#include <check.h>
#include <string.h>

#include "router.h"
#include "recprep/split.h"
#include "../check_run.h"

static enum srv_match_status match(const char *method, const char *path, struct srv_match *m)
{
    return srv_route_match(method, path, m);
}

static int arg_is(const struct srv_match *m, size_t i, const char *want)
{
    return i < m->n_args && m->args[i].len == strlen(want) &&
           memcmp(m->args[i].ptr, want, m->args[i].len) == 0;
}

START_TEST(table_has_every_contract_path)
{
    static const char *const want[][2] = {
        {"GET", "/healthz"},
        {"GET", "/readyz"},
        {"GET", "/metrics"},
        {"GET", "/openapi.json"},
        {"GET", "/v1/recipes"},
        {"GET", "/v1/datasets"},
        {"GET", "/v1/datasets/{ds}"},
        {"GET", "/v1/datasets/{ds}/kcore"},
        {"GET", "/v1/datasets/{ds}/splits/{recipe}"},
        {"GET", "/v1/datasets/{ds}/splits/{recipe}/{file}"},
        {"GET", "/v1/datasets/{ds}/kcore/curve"},
        {"POST", "/v1/datasets/{ds}/reload"},
        {"GET", "/"},
        {"GET", "/assets/{file}"},
    };
    size_t n;
    const struct srv_route *r = srv_routes(&n);
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(r[i].pattern, want[i][1]);
        ck_assert_str_eq(r[i].method, want[i][0]);
        ck_assert(r[i].handler != NULL);
    }
}
END_TEST

/* The reload trigger is POST only: GET and HEAD are 405 with Allow: POST. */
START_TEST(reload_is_post_only)
{
    struct srv_match m;
    ck_assert_int_eq(match("POST", "/v1/datasets/ml/reload", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/v1/datasets/{ds}/reload");
    ck_assert(arg_is(&m, 0, "ml"));
    ck_assert_int_eq(match("GET", "/v1/datasets/ml/reload", &m), SRV_MATCH_METHOD);
    ck_assert_str_eq(m.allow, "POST");
    ck_assert_int_eq(match("HEAD", "/v1/datasets/ml/reload", &m), SRV_MATCH_METHOD);
    ck_assert_int_eq(match("POST", "/v1/datasets/ml", &m), SRV_MATCH_METHOD);
    ck_assert_str_eq(m.allow, "GET, HEAD");
    ck_assert_int_eq(match("POST", "/v1/datasets/ml/reload/x", &m), SRV_MATCH_NOT_FOUND);
}
END_TEST

START_TEST(static_paths)
{
    struct srv_match m;
    ck_assert_int_eq(match("GET", "/healthz", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/healthz");
    ck_assert_uint_eq(m.n_args, 0);
    ck_assert_int_eq(match("GET", "/v1/datasets", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/v1/datasets");
    ck_assert_int_eq(match("GET", "/", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/");
    ck_assert_int_eq(match("GET", "/assets/app.js", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/assets/{file}");
    ck_assert_int_eq(match("GET", "/v1/datasets/a/kcore/curve", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/v1/datasets/{ds}/kcore/curve");
}
END_TEST

START_TEST(captures)
{
    struct srv_match m;
    ck_assert_int_eq(match("GET", "/v1/datasets/beauty", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/v1/datasets/{ds}");
    ck_assert(arg_is(&m, 0, "beauty"));
    ck_assert_int_eq(match("GET", "/v1/datasets/x-1/splits/temporal/train.txt", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/v1/datasets/{ds}/splits/{recipe}/{file}");
    ck_assert(arg_is(&m, 0, "x-1"));
    ck_assert(arg_is(&m, 1, "temporal"));
    ck_assert(arg_is(&m, 2, "train.txt"));
    ck_assert_int_eq(match("GET", "/v1/datasets/d/splits/az23-last-out/train.inter", &m),
                     SRV_MATCH_OK);
    ck_assert(arg_is(&m, 1, "az23-last-out"));
    ck_assert(arg_is(&m, 2, "train.inter"));
    ck_assert_int_eq(match("GET", "/v1/datasets/d/splits/sasrec", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/v1/datasets/{ds}/splits/{recipe}");
}
END_TEST

START_TEST(head_is_get)
{
    struct srv_match m;
    ck_assert_int_eq(match("HEAD", "/v1/datasets/a/kcore", &m), SRV_MATCH_OK);
    ck_assert_str_eq(m.route->pattern, "/v1/datasets/{ds}/kcore");
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    struct srv_match m;
    size_t n;
    srv_routes(&n);
    ck_assert_int_eq(match("POST", "/v1/datasets/a/splits/full", &m), SRV_MATCH_METHOD);
    ck_assert_str_eq(m.allow, "GET, HEAD");
    ck_assert_uint_lt(m.index, n); /* labelled with the pattern, not "unmatched" */
    ck_assert_int_eq(match("DELETE", "/metrics", &m), SRV_MATCH_METHOD);
    ck_assert_int_eq(match("OPTIONS", "/healthz", &m), SRV_MATCH_METHOD);
}
END_TEST

START_TEST(unknown_paths_are_404)
{
    static const char *const bad[] = {
        "",
        "//",
        "/assets",
        "/assets/",
        "/assets/a/b",
        "/v1/datasets/a/kcore/curve/",
        "/healthz/",
        "/healthzz",
        "/v1",
        "/v1/",
        "/v1/datasets/",
        "/v1/datasets//kcore",
        "/v1/datasets/a/kcore/",
        "/v1/datasets/a/splits",
        "/v1/datasets/a/splits/temporal/",
        "/v1/datasets/a/splits/temporal/train.txt/x",
        "//v1/datasets",
        "/V1/datasets",
        "v1/datasets",
    };
    size_t n;
    srv_routes(&n);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct srv_match m;
        ck_assert_msg(match("GET", bad[i], &m) == SRV_MATCH_NOT_FOUND, "%s matched", bad[i]);
        ck_assert_uint_eq(m.index, n);
        ck_assert_ptr_null(m.route);
    }
}
END_TEST

START_TEST(pattern_matcher_directly)
{
    struct srv_slice a[2];
    size_t n;
    ck_assert(srv_pattern_match("/a/{x}/b", "/a/zz/b", a, 2, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(a[0].len, 2);
    ck_assert(!srv_pattern_match("/a/{x}/b", "/a//b", a, 2, &n));
    ck_assert(!srv_pattern_match("/a/{x}/{y}", "/a/1/2", a, 1, &n)); /* too many captures */
    ck_assert(!srv_pattern_match("/a", "/a/b", a, 2, &n));
    ck_assert(!srv_pattern_match("/a/b", "/a", a, 2, &n));
    ck_assert(srv_pattern_match("/a/{}", "/a/{}", a, 2, &n)); /* "{}" is a literal */
    ck_assert(!srv_pattern_match("/a/{}", "/a/x", a, 2, &n));
}
END_TEST

START_TEST(dot_segments_are_just_names)
{
    struct srv_match m;
    /* The router never touches the file system; ".." is an ordinary (unknown)
     * dataset or file name, resolved by lookup and answered 404 later. */
    ck_assert_int_eq(match("GET", "/v1/datasets/../splits/full/..", &m), SRV_MATCH_OK);
    ck_assert(arg_is(&m, 0, ".."));
    ck_assert(arg_is(&m, 1, "full"));
    ck_assert(arg_is(&m, 2, ".."));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, table_has_every_contract_path);
    tcase_add_test(tc, static_paths);
    tcase_add_test(tc, reload_is_post_only);
    tcase_add_test(tc, captures);
    tcase_add_test(tc, head_is_get);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, unknown_paths_are_404);
    tcase_add_test(tc, pattern_matcher_directly);
    tcase_add_test(tc, dot_segments_are_just_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
