/*
 * tests/server/e2e_cases.c - auth and life-cycle tests of recprepd: token
 * checks, readiness during a slow load (RECPREP_TEST_LOAD_DELAY_MS), load
 * failure (exit 2 with file and line), option errors, the demo dataset,
 * environment configuration and graceful SIGTERM.
 */
#include "e2e_cases.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e_util.h"

static struct server authsrv;

static void auth_start(void)
{
    char ds[600], token[512];
    data_dataset("small", "small.csv", ds, sizeof ds);
    data_path("token.txt", token, sizeof token);
    const char *args[] = {"--dataset", ds, "--token-file", token, NULL};
    if (server_start(&authsrv, args, NULL, NULL) != 0 || server_wait_ready(&authsrv, 30000)) {
        fprintf(stderr, "cannot start recprepd with a token\n");
        exit(1);
    }
}

static void auth_stop(void)
{
    server_stop(&authsrv, 30000);
    server_cleanup(&authsrv);
}

static long status_of(const struct server *s, const char *path, const char *const *hdrs)
{
    struct resp r;
    if (http(s, "GET", path, hdrs, &r) != 0)
        return -1;
    long st = r.status;
    if (st == 401) {
        json_t *j = json_loadb(r.body, r.len, 0, NULL);
        const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
        ck_assert_str_eq(code, "unauthorized");
        json_decref(j);
    }
    resp_free(&r);
    return st;
}

START_TEST(auth_required_on_v1)
{
    const char *good[] = {"Authorization: Bearer s3cret-token-42", NULL};
    const char *lower[] = {"Authorization: bearer s3cret-token-42", NULL};
    const char *wrong[] = {"Authorization: Bearer s3cret-token-43", NULL};
    const char *prefix[] = {"Authorization: Bearer s3cret", NULL};
    const char *longer[] = {"Authorization: Bearer s3cret-token-42x", NULL};
    const char *basic[] = {"Authorization: Basic czNjcmV0LXRva2VuLTQy", NULL};
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets", NULL), 401);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets", wrong), 401);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets", prefix), 401);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets", longer), 401);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets", basic), 401);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets/small/splits/full/all.txt", NULL), 401);
    ck_assert_int_eq(status_of(&authsrv, "/v1/nonexistent", NULL), 401);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets", good), 200);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets", lower), 200);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets/small/splits/full/all.txt", good), 200);
    ck_assert_int_eq(status_of(&authsrv, "/v1/nonexistent", good), 404);
}
END_TEST

START_TEST(ops_endpoints_stay_open)
{
    ck_assert_int_eq(status_of(&authsrv, "/", NULL), 200); /* the dashboard asks itself */
    ck_assert_int_eq(status_of(&authsrv, "/assets/app.js", NULL), 200);
    ck_assert_int_eq(status_of(&authsrv, "/v1/datasets/small/kcore/curve", NULL), 401);
    ck_assert_int_eq(status_of(&authsrv, "/healthz", NULL), 200);
    ck_assert_int_eq(status_of(&authsrv, "/readyz", NULL), 200);
    ck_assert_int_eq(status_of(&authsrv, "/metrics", NULL), 200);
}
END_TEST

TCase *e2e_auth_tcase(void)
{
    TCase *tc = tcase_create("auth");
    tcase_add_unchecked_fixture(tc, auth_start, auth_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, auth_required_on_v1);
    tcase_add_test(tc, ops_endpoints_stay_open);
    return tc;
}

START_TEST(readiness_during_slow_load)
{
    struct server s;
    char ds[600];
    data_dataset("small", "small.csv", ds, sizeof ds);
    const char *args[] = {"--dataset", ds, NULL};
    const char *env[] = {"RECPREP_TEST_LOAD_DELAY_MS=3000", NULL};
    ck_assert_int_eq(server_start(&s, args, env, NULL), 0);
    ck_assert_int_eq(status_of(&s, "/healthz", NULL), 200);
    ck_assert_int_eq(status_of(&s, "/readyz", NULL), 503);
    ck_assert_int_eq(status_of(&s, "/v1/datasets/small", NULL), 503);
    ck_assert_int_eq(status_of(&s, "/v1/datasets/small/splits/temporal", NULL), 503);
    struct resp r;
    ck_assert_int_eq(http(&s, "GET", "/v1/datasets", NULL, &r), 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"loading\""));
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    json_t *pg = json_object_get(json_array_get(json_object_get(j, "datasets"), 0), "progress");
    ck_assert_str_eq(json_string_value(json_object_get(pg, "stage")), "waiting");
    ck_assert_int_eq(json_integer_value(json_object_get(pg, "rows")), 0);
    ck_assert(json_real_value(json_object_get(pg, "elapsed_seconds")) >= 0.0);
    json_decref(j);
    resp_free(&r);
    ck_assert_int_eq(http(&s, "GET", "/readyz", NULL, &r), 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\"datasets\":[{\"name\":\"small\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"progress\":{"));
    resp_free(&r);
    ck_assert_int_eq(http(&s, "GET", "/v1/datasets/small/kcore", NULL, &r), 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\"code\":\"not_ready\""));
    resp_free(&r);
    ck_assert_int_eq(server_wait_ready(&s, 30000), 0);
    ck_assert_int_eq(status_of(&s, "/v1/datasets/small", NULL), 200);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    char *log = server_log(&s);
    ck_assert_ptr_nonnull(strstr(log, "\"event\":\"dataset_loaded\""));
    const char *ev = strstr(log, "\"event\":\"dataset_progress\"");
    ck_assert_ptr_nonnull(ev);
    ck_assert_ptr_nonnull(strstr(ev, "\"stage\":\"reading\""));
    free(log);
    server_cleanup(&s);
}
END_TEST

START_TEST(load_failure_exits_2)
{
    struct server s;
    char ds[600];
    data_dataset("bad", "bad.csv", ds, sizeof ds);
    const char *args[] = {"--dataset", ds, "--format", "bad=amazon-csv", NULL};
    int status = -1;
    if (server_start(&s, args, NULL, &status) == 0)
        status = server_wait_exit(&s, 30000);
    ck_assert_int_eq(status, 2);
    char *log = server_log(&s);
    ck_assert_msg(strstr(log, "bad.csv:3") != NULL, "log: %s", log);
    free(log);
    server_cleanup(&s);
}
END_TEST

START_TEST(invalid_utf8_id_exits_2)
{
    /* A Latin-1 byte in a user ID must not pass into users.tsv (served as
     * charset=utf-8): the load stops, naming file, line and column. */
    struct server s;
    char ds[600];
    data_dataset("bad", "bad_utf8.csv", ds, sizeof ds);
    const char *args[] = {"--dataset", ds, NULL};
    int status = -1;
    if (server_start(&s, args, NULL, &status) == 0)
        status = server_wait_exit(&s, 30000);
    ck_assert_int_eq(status, 2);
    char *log = server_log(&s);
    ck_assert_msg(strstr(log, "bad_utf8.csv:3:2: invalid UTF-8 in the user ID") != NULL, "log: %s",
                  log);
    free(log);
    server_cleanup(&s);
}
END_TEST

/* Start with args; expect the process to exit with want by itself (before
 * serving, or right after for a dataset that fails to load). */
static void expect_exit(const char *const *args, const char *const *env, int want)
{
    struct server s;
    int status = -1;
    if (server_start(&s, args, env, &status) == 0) {
        status = server_wait_exit(&s, 20000);
        if (status == -1)
            server_stop(&s, 1000);
    }
    ck_assert_int_eq(status, want);
    server_cleanup(&s);
}

START_TEST(bad_options_exit_2)
{
    const char *threads[] = {"--threads", "0", NULL};
    expect_exit(threads, NULL, 2);
    const char *name[] = {"--dataset", "Bad_Name=/x.csv", NULL};
    expect_exit(name, NULL, 2);
    const char *fmt[] = {"--format", "demo=nope", NULL};
    expect_exit(fmt, NULL, 2);
    const char *unknown[] = {"--frobnicate", NULL};
    expect_exit(unknown, NULL, 2);
    const char *missing[] = {"--dataset", "x=/nonexistent/file.csv", NULL};
    expect_exit(missing, NULL, 2);
    const char *cache_env[] = {"RECPREP_CACHE_MB=lots", NULL};
    expect_exit(NULL, cache_env, 2);
    const char *help[] = {"--help", NULL};
    expect_exit(help, NULL, 0);
}
END_TEST

START_TEST(demo_dataset_by_default)
{
    struct server s;
    ck_assert_int_eq(server_start(&s, NULL, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 60000), 0);
    struct resp r;
    ck_assert_int_eq(http(&s, "GET", "/v1/datasets", NULL, &r), 0);
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    json_t *d = json_array_get(json_object_get(j, "datasets"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(d, "name")), "demo");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "interactions")), 200000);
    json_decref(j);
    resp_free(&r);
    ck_assert_int_eq(status_of(&s, "/v1/datasets/demo/splits/full", NULL), 200);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    server_cleanup(&s);
}
END_TEST

START_TEST(environment_configuration)
{
    struct server s;
    char small[512], env_ds[700];
    snprintf(env_ds, sizeof env_ds, "RECPREP_DATASETS=one=%s;two=%s",
             data_path("small.csv", small, sizeof small), small);
    const char *env[] = {env_ds, "RECPREP_CORS_ORIGINS=*", "RECPREP_THREADS=1", NULL};
    ck_assert_int_eq(server_start(&s, NULL, env, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 30000), 0);
    ck_assert_int_eq(status_of(&s, "/v1/datasets/one", NULL), 200);
    ck_assert_int_eq(status_of(&s, "/v1/datasets/two", NULL), 200);
    struct resp r;
    char v[64];
    ck_assert_int_eq(http(&s, "GET", "/v1/datasets", NULL, &r), 0);
    ck_assert_str_eq(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof v), "*");
    resp_free(&r);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    server_cleanup(&s);
}
END_TEST

struct bg_fetch {
    const struct server *s;
    const char *path;
    long status;
    size_t len, content_length;
    atomic_int done;
};

static void *bg_fetch(void *arg)
{
    struct bg_fetch *f = arg;
    struct resp r;
    char cl[32];
    if (http(f->s, "GET", f->path, NULL, &r) == 0) {
        f->status = r.status;
        f->len = r.len;
        if (resp_header(&r, "Content-Length", cl, sizeof cl) != NULL)
            f->content_length = strtoul(cl, NULL, 10);
        resp_free(&r);
    }
    atomic_store(&f->done, 1);
    return NULL;
}

/* Waits until a computation has started: the cache counted its miss, so the
 * request is on the server and held there by the compute delay. (The
 * in-flight gauge cannot tell: a request is counted until MHD's completion
 * callback, which may run after its client has read the whole response.) */
static void wait_computing(const struct server *s)
{
    wait_metric(s, "recprep_cache_misses_total", 1);
}

/* Whether a TCP connect to 127.0.0.1:port is refused. */
static int connect_refused(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int refused = connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno == ECONNREFUSED;
    close(fd);
    return refused;
}

START_TEST(sigterm_is_graceful)
{
    /* A request still being computed when SIGTERM arrives must complete
     * (the test-only knob holds every computation for 4 s), new clients
     * must be refused meanwhile (within ~2 s, not once the drain is over),
     * and the process must then exit 0. */
    struct server s;
    const char *env[] = {"RECPREP_TEST_COMPUTE_DELAY_MS=4000", NULL};
    ck_assert_int_eq(server_start(&s, NULL, env, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 60000), 0);
    struct bg_fetch f = {.s = &s, .path = "/v1/datasets/demo/splits/temporal/train.txt?k=2"};
    pthread_t t;
    pthread_create(&t, NULL, bg_fetch, &f);
    wait_computing(&s);
    ck_assert_int_eq(connect_refused(s.port), 0);
    kill(s.pid, SIGTERM);
    /* at once the port refuses new clients; the request in flight goes on */
    int refused = 0;
    for (int i = 0; i < 1000 && !(refused = connect_refused(s.port)); i++)
        sleep_ms(2);
    ck_assert_msg(refused, "connections still accepted after SIGTERM");
    ck_assert_msg(!atomic_load(&f.done), "refused only once the drain was over");
    ck_assert_int_eq(server_wait_exit(&s, 60000), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(f.status, 200);
    ck_assert_uint_gt(f.len, 1024 * 1024);
    ck_assert_uint_eq(f.len, f.content_length);
    char *log = server_log(&s);
    ck_assert_ptr_nonnull(strstr(log, "\"event\":\"stopped\""));
    free(log);
    server_cleanup(&s);
}
END_TEST

START_TEST(computation_does_not_block_other_requests)
{
    /* One HTTP thread, one computation held for 2 s: /metrics and /healthz
     * must still answer while it runs (the computation is on a worker, the
     * connection suspended), which the in-flight gauge proves. */
    struct server s;
    const char *args[] = {"--threads", "1", NULL};
    const char *env[] = {"RECPREP_TEST_COMPUTE_DELAY_MS=2000", NULL};
    ck_assert_int_eq(server_start(&s, args, env, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 60000), 0);
    struct bg_fetch f = {.s = &s, .path = "/v1/datasets/demo/splits/full"};
    pthread_t t;
    pthread_create(&t, NULL, bg_fetch, &f);
    wait_computing(&s);
    ck_assert_int_eq(status_of(&s, "/healthz", NULL), 200);
    /* this /metrics request and the computing one (and at most the /healthz
     * before it, whose completion callback may still be pending) */
    ck_assert_double_ge(metric_value(&s, "recprep_http_inflight_requests"), 2);
    ck_assert_msg(!atomic_load(&f.done), "/healthz waited for the computation");
    pthread_join(t, NULL);
    ck_assert_int_eq(f.status, 200);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    server_cleanup(&s);
}
END_TEST

/* GET path from s: body (malloc'd) and length; asserts 200. */
static char *fetch_body(const struct server *s, const char *path, size_t *len)
{
    struct resp r;
    ck_assert_int_eq(http(s, "GET", path, NULL, &r), 0);
    ck_assert_msg(r.status == 200, "%s: %ld", path, r.status);
    free(r.headers);
    *len = r.len;
    return r.body;
}

START_TEST(small_cache_streams_and_evicts)
{
    /* With --cache-mb 1 a file over 256 KB is streamed through a cursor
     * instead of being kept; it must equal the in-memory copy served by a
     * server with a large cache, and results get evicted. */
    struct server big, tiny;
    const char *big_args[] = {"--cache-mb", "512", NULL};
    const char *tiny_args[] = {"--cache-mb", "1", NULL};
    const char *path = "/v1/datasets/demo/splits/temporal/train.txt?k=2";
    ck_assert_int_eq(server_start(&big, big_args, NULL, NULL), 0);
    ck_assert_int_eq(server_start(&tiny, tiny_args, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&big, 60000), 0);
    ck_assert_int_eq(server_wait_ready(&tiny, 60000), 0);
    size_t la, lb, lc;
    char *a = fetch_body(&big, path, &la);
    char *b = fetch_body(&tiny, path, &lb);
    ck_assert_uint_gt(la, 256 * 1024);
    ck_assert(la == lb && memcmp(a, b, la) == 0);
    free(fetch_body(&tiny, "/v1/datasets/demo/splits/full?k=2", &lc));
    free(fetch_body(&tiny, "/v1/datasets/demo/splits/full/all.txt?k=3", &lc));
    char *c = fetch_body(&tiny, path, &lc); /* again, after other results came and went */
    ck_assert(la == lc && memcmp(a, c, la) == 0);
    free(a);
    free(b);
    free(c);
    size_t lm;
    char *m = fetch_body(&tiny, "/metrics", &lm);
    const char *ev = strstr(m, "\nrecprep_cache_evictions_total ");
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_gt(atoi(ev + strlen("\nrecprep_cache_evictions_total ")), 0);
    free(m);
    ck_assert_int_eq(server_stop(&big, 30000), 0);
    ck_assert_int_eq(server_stop(&tiny, 30000), 0);
    server_cleanup(&big);
    server_cleanup(&tiny);
}
END_TEST

TCase *e2e_lifecycle_tcase(void)
{
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, readiness_during_slow_load);
    tcase_add_test(tc, load_failure_exits_2);
    tcase_add_test(tc, invalid_utf8_id_exits_2);
    tcase_add_test(tc, bad_options_exit_2);
    tcase_add_test(tc, demo_dataset_by_default);
    tcase_add_test(tc, environment_configuration);
    tcase_add_test(tc, sigterm_is_graceful);
    tcase_add_test(tc, small_cache_streams_and_evicts);
    tcase_add_test(tc, computation_does_not_block_other_requests);
    return tc;
}
