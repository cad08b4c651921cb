/*
 * tests/server/e2e_openapi.c - real responses against the OpenAPI document
 * the server itself serves, and start-up errors as JSON log lines.
 *
 * What: every JSON body recprepd sends in each state of a dataset - loading
 * (RECPREP_TEST_LOAD_DELAY_MS holds it), ready, failed (a "not gzip" input;
 * RECPREP_TEST_FAIL_EXIT_DELAY_MS keeps the process serving before it exits
 * 2) - is checked against the schema the document gives for that path and
 * status (schema_check.c), with the document's closed objects, enums and
 * nullables. Start-up errors (bad flag, bad configuration, port in use,
 * token file problems, dataset errors) must exit 2 with every stderr line a
 * JSON object and one {"level":"error","event","message"} line.
 */
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e_cases.h"
#include "e2e_util.h"
#include "schema_check.h"

static json_t *fetch_doc(const struct server *s)
{
    struct resp r;
    ck_assert_int_eq(http(s, "GET", "/openapi.json", NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    json_t *doc = json_loadb(r.body, r.len, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    resp_free(&r);
    return doc;
}

/* `method url` must answer want, with a body valid against the document's
 * schema for (pattern, method, want). Returns the body (caller decrefs). */
static json_t *expect_valid(const struct server *s, json_t *doc, const char *method,
                            const char *pattern, const char *url, long want)
{
    struct resp r;
    char msg[512];
    ck_assert_int_eq(http(s, method, url, NULL, &r), 0);
    ck_assert_msg(r.status == want, "%s %s: %ld, want %ld: %s", method, url, r.status, want,
                  r.body);
    json_t *body = json_loadb(r.body, r.len, 0, NULL);
    ck_assert_msg(body != NULL, "%s: not JSON: %s", url, r.body);
    json_t *schema = schema_for_response(doc, pattern, "get", want);
    ck_assert_msg(schema != NULL, "%s %ld: no JSON schema in the document", pattern, want);
    ck_assert_msg(schema_check(doc, schema, body, msg, sizeof msg) == 0, "%s %s %ld: %s\n%.300s",
                  method, url, want, msg, r.body);
    resp_free(&r);
    return body;
}

static void valid(const struct server *s, json_t *doc, const char *pattern, const char *url,
                  long want)
{
    json_decref(expect_valid(s, doc, "GET", pattern, url, want));
}

/* The checker itself: a closed object, an enum and a non-nullable field can
 * each fail, so a passing response means something. */
START_TEST(checker_rejects)
{
    json_t *doc = json_pack("{s:{s:{s:{s:s,s:b,s:[s],s:{s:{s:s,s:[s,s]},s:{s:s}}}}}}", "components",
                            "schemas", "T", "type", "object", "additionalProperties", 0, "required",
                            "status", "properties", "status", "type", "string", "enum", "ok",
                            "fine", "n", "type", "integer");
    json_t *ref = json_pack("{s:s}", "$ref", "#/components/schemas/T");
    char msg[256];
    json_t *good = json_pack("{s:s,s:i}", "status", "ok", "n", 3);
    json_t *extra = json_pack("{s:s,s:i}", "status", "ok", "x", 1);
    json_t *notenum = json_pack("{s:s}", "status", "bad");
    json_t *null = json_pack("{s:s,s:n}", "status", "ok", "n");
    json_t *missing = json_pack("{s:i}", "n", 1);
    ck_assert_int_eq(schema_check(doc, ref, good, msg, sizeof msg), 0);
    ck_assert_int_eq(schema_check(doc, ref, extra, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "\"x\""));
    ck_assert_int_eq(schema_check(doc, ref, notenum, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "$.status"));
    ck_assert_int_eq(schema_check(doc, ref, null, msg, sizeof msg), -1);
    ck_assert_int_eq(schema_check(doc, ref, missing, msg, sizeof msg), -1);
    json_decref(good), json_decref(extra), json_decref(notenum), json_decref(null);
    json_decref(missing), json_decref(ref), json_decref(doc);
}
END_TEST

START_TEST(responses_while_loading)
{
    struct server s;
    char ds[600];
    data_dataset("small", "small.csv", ds, sizeof ds);
    const char *args[] = {"--dataset", ds, NULL};
    const char *env[] = {"RECPREP_TEST_LOAD_DELAY_MS=4000", NULL};
    ck_assert_int_eq(server_start(&s, args, env, NULL), 0);
    json_t *doc = fetch_doc(&s);
    valid(&s, doc, "/healthz", "/healthz", 200);
    json_t *ready = expect_valid(&s, doc, "GET", "/readyz", "/readyz", 503);
    ck_assert_str_eq(json_string_value(json_object_get(ready, "status")), "loading");
    json_decref(ready);
    json_t *list = expect_valid(&s, doc, "GET", "/v1/datasets", "/v1/datasets", 200);
    json_t *entry = json_array_get(json_object_get(list, "datasets"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(entry, "status")), "loading");
    ck_assert(json_is_null(json_object_get(entry, "interactions")));
    ck_assert_ptr_nonnull(json_object_get(entry, "progress"));
    json_decref(list);
    valid(&s, doc, "/v1/datasets/{ds}", "/v1/datasets/small", 503);
    valid(&s, doc, "/v1/datasets/{ds}/kcore", "/v1/datasets/small/kcore", 503);
    valid(&s, doc, "/v1/datasets/{ds}/splits/{recipe}", "/v1/datasets/small/splits/full", 503);
    valid(&s, doc, "/readyz", "/readyz", 503); /* still loading: the state was observed */
    json_decref(doc);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    server_cleanup(&s);
}
END_TEST

static void valid_ready_datasets(const struct server *s, json_t *doc)
{
    valid(s, doc, "/healthz", "/healthz", 200);
    valid(s, doc, "/readyz", "/readyz", 200);
    json_t *list = expect_valid(s, doc, "GET", "/v1/datasets", "/v1/datasets", 200);
    json_t *entry = json_array_get(json_object_get(list, "datasets"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(entry, "status")), "ready");
    json_decref(list);
    valid(s, doc, "/v1/datasets/{ds}", "/v1/datasets/small", 200);
    valid(s, doc, "/v1/datasets/{ds}/kcore", "/v1/datasets/small/kcore?k=2", 200);
    valid(s, doc, "/v1/datasets/{ds}/kcore", "/v1/datasets/small/kcore?user_k=2&item_k=3", 200);
    valid(s, doc, "/v1/datasets/{ds}/kcore/curve", "/v1/datasets/small/kcore/curve?max_k=4", 200);
    valid(s, doc, "/v1/recipes", "/v1/recipes", 200);
}

static void valid_errors(const struct server *s, json_t *doc)
{
    valid(s, doc, "/v1/datasets/{ds}", "/v1/datasets/nope", 404);
    valid(s, doc, "/v1/datasets/{ds}/kcore", "/v1/datasets/small/kcore?k=0", 400);
    valid(s, doc, "/v1/datasets/{ds}/kcore", "/v1/datasets/small/kcore?frob=1", 400);
    valid(s, doc, "/v1/datasets/{ds}/splits/{recipe}/{file}",
          "/v1/datasets/small/splits/full/nope.txt", 404);
    json_decref(expect_valid(s, doc, "DELETE", "/v1/datasets", "/v1/datasets", 405));
    json_decref(expect_valid(s, doc, "POST", "/healthz", "/healthz", 405));
}

START_TEST(responses_when_ready)
{
    struct server s;
    char ds[600], url[256];
    data_dataset("small", "small.csv", ds, sizeof ds);
    const char *args[] = {"--dataset", ds, NULL};
    server_start_ready(&s, args, NULL);
    json_t *doc = fetch_doc(&s);
    valid_ready_datasets(&s, doc);
    valid_errors(&s, doc);
    json_t *body = expect_valid(&s, doc, "GET", "/v1/recipes", "/v1/recipes", 200);
    json_t *recipes = json_object_get(body, "recipes");
    size_t i;
    json_t *r;
    json_array_foreach(recipes, i, r)
    { /* every recipe's summary, with a filter so filtered/params are not all defaults */
        const char *name = json_string_value(json_object_get(r, "name"));
        snprintf(url, sizeof url, "/v1/datasets/small/splits/%s?k=2&since=1", name);
        valid(&s, doc, "/v1/datasets/{ds}/splits/{recipe}", url, 200);
    }
    ck_assert_uint_gt(i, 0);
    json_decref(body);
    json_decref(doc);
    server_finish(&s);
}
END_TEST

/* Write text into a fresh temp dir as name; returns the path (malloc'd). */
static char *temp_file(const char *name, const char *text)
{
    char dir[] = "/tmp/recprep-e2e-data-XXXXXX", *path = malloc(256);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, 256, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void remove_temp(char *path)
{
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    free(path);
}

/* The log line of event, parsed; NULL if absent. */
static json_t *log_event(const char *log, const char *event)
{
    char needle[96];
    snprintf(needle, sizeof needle, "\"event\":\"%s\"", event);
    const char *hit = strstr(log, needle);
    if (hit == NULL)
        return NULL;
    const char *start = hit;
    while (start > log && start[-1] != '\n')
        start--;
    const char *end = strchr(hit, '\n');
    return json_loadb(start, end ? (size_t)(end - start) : strlen(start), 0, NULL);
}

/* Poll /readyz until it says "failed" (the process serves a while longer). */
static int wait_failed(const struct server *s)
{
    for (int waited = 0; waited < 20000; waited += 20) {
        struct resp r;
        int failed = 0;
        if (http(s, "GET", "/readyz", NULL, &r) == 0) {
            failed = r.status == 503 && strstr(r.body, "\"status\":\"failed\"") != NULL;
            resp_free(&r);
        }
        if (failed)
            return 0;
        sleep_ms(20);
    }
    return -1;
}

START_TEST(responses_when_failed)
{
    struct server s;
    char *path = temp_file("plain.csv.gz", "u1,i1,5,100\nu2,i1,4,200\n");
    char ds[300];
    snprintf(ds, sizeof ds, "plain=%s", path);
    const char *args[] = {"--dataset", ds, NULL};
    const char *env[] = {"RECPREP_TEST_FAIL_EXIT_DELAY_MS=5000", NULL};
    ck_assert_int_eq(server_start(&s, args, env, NULL), 0);
    json_t *doc = fetch_doc(&s);
    ck_assert_int_eq(wait_failed(&s), 0);
    valid(&s, doc, "/readyz", "/readyz", 503);
    json_t *list = expect_valid(&s, doc, "GET", "/v1/datasets", "/v1/datasets", 200);
    json_t *entry = json_array_get(json_object_get(list, "datasets"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(entry, "status")), "failed");
    const char *err = json_string_value(json_object_get(entry, "error"));
    ck_assert_msg(err && strstr(err, "plain.csv.gz: not gzip"), "error: %s", err);
    json_decref(list);
    json_decref(doc);
    ck_assert_int_eq(server_wait_exit(&s, 30000), 2);
    char *log = server_log(&s);
    json_t *ev = log_event(log, "dataset_failed");
    ck_assert_msg(ev != NULL, "log: %s", log);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "level")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "dataset")), "plain");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "file")), path);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(ev, "message")), "not gzip"));
    json_decref(ev);
    free(log);
    server_cleanup(&s);
    remove_temp(path);
}
END_TEST

/* Start with args/env; it must exit 2 with a log of JSON lines only, one of
 * them {"level":"error","event":event,"message":...mentioning what}. */
static void expect_json_failure(const char *const *args, const char *const *env, const char *event,
                                const char *what)
{
    struct server s;
    int status = -1;
    if (server_start(&s, args, env, &status) == 0)
        status = server_wait_exit(&s, 30000);
    ck_assert_msg(status == 2, "%s: exit %d", event, status);
    char *log = server_log(&s);
    int lines = 0;
    for (char *line = log, *nl; *line; line = nl + 1, lines++) {
        nl = strchr(line, '\n');
        ck_assert_msg(nl != NULL, "%s: last line not terminated: %s", event, line);
        json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
        ck_assert_msg(json_is_object(j), "%s: not a JSON line: %.*s", event, (int)(nl - line),
                      line);
        json_decref(j);
    }
    ck_assert_int_gt(lines, 0);
    json_t *ev = log_event(log, event);
    ck_assert_msg(ev != NULL, "no %s line in: %s", event, log);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "level")), "error");
    const char *msg = json_string_value(json_object_get(ev, "message"));
    ck_assert_msg(msg && strstr(msg, what), "%s: message %s lacks %s", event, msg, what);
    json_decref(ev);
    free(log);
    server_cleanup(&s);
}

/* A port in use: bound and listening here while recprepd tries it. */
static int taken_port(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

START_TEST(startup_errors_are_json_lines)
{
    const char *flag[] = {"--frobnicate", "x", NULL};
    expect_json_failure(flag, NULL, "config_invalid", "--frobnicate");
    const char *threads[] = {"--threads", "0", NULL};
    expect_json_failure(threads, NULL, "config_invalid", "--threads");
    const char *cache_env[] = {"RECPREP_CACHE_MB=lots", NULL};
    expect_json_failure(NULL, cache_env, "config_invalid", "lots");
    const char *name[] = {"--dataset", "Bad_Name=/x.csv", NULL};
    expect_json_failure(name, NULL, "config_invalid", "Bad_Name");
    unsigned port;
    int fd = taken_port(&port);
    char listen_at[64];
    snprintf(listen_at, sizeof listen_at, "127.0.0.1:%u", port);
    const char *in_use[] = {"--listen", listen_at, NULL};
    expect_json_failure(in_use, NULL, "listen_failed", "in use");
    close(fd);
    char dir[] = "/tmp/recprep-e2e-tok-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *tok_dir[] = {"--token-file", dir, NULL};
    expect_json_failure(tok_dir, NULL, "token_file_invalid", "is a directory");
    rmdir(dir);
    const char *tok_missing[] = {"--token-file", "/nonexistent/token", NULL};
    expect_json_failure(tok_missing, NULL, "token_file_invalid", "No such file");
    const char *missing[] = {"--dataset", "x=/nonexistent/file.csv", NULL};
    expect_json_failure(missing, NULL, "dataset_failed", "/nonexistent/file.csv");
}
END_TEST

TCase *e2e_openapi_tcase(void)
{
    TCase *tc = tcase_create("openapi");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, checker_rejects);
    tcase_add_test(tc, responses_while_loading);
    tcase_add_test(tc, responses_when_ready);
    tcase_add_test(tc, responses_when_failed);
    tcase_add_test(tc, startup_errors_are_json_lines);
    return tc;
}
