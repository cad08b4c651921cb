/*
 * tests/server/e2e_serve.c - serving files the way HTTP clients expect
 * (issue 8): conditional requests answered before computing, download
 * names, byte ranges and resumed downloads, gzip, against the real
 * recprepd.
 *
 * The "serve" case shares one server on data/small.csv; the cold-cache and
 * streamed-file tests start their own (the demo dataset, whose files are
 * large enough to be streamed with --cache-mb 1).
 */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "e2e_cases.h"
#include "e2e_util.h"

#define TRAIN "/v1/datasets/small/splits/temporal/train.txt?k=2"

static struct server srv;

static void serve_start(void)
{
    char ds[600];
    data_dataset("small", "small.csv", ds, sizeof ds);
    const char *args[] = {"--dataset", ds, "--threads", "2", NULL};
    server_start_ready(&srv, args, NULL);
}

static void serve_stop(void)
{
    server_finish(&srv);
}

static void header(const struct resp *r, const char *name, char *buf, size_t cap)
{
    ck_assert_msg(resp_header(r, name, buf, cap) != NULL, "no %s header", name);
}

/* ETags are known from the dataset's content and the canonical parameters:
 * a second server, with an empty cache, answers 304 (and 404 for a file the
 * recipe does not have) without computing anything. */
START_TEST(conditional_on_cold_cache)
{
    static const char *const paths[] = {"/v1/datasets/demo/splits/temporal?k=3",
                                        "/v1/datasets/demo/splits/temporal/train.txt?k=3"};
    char etags[2][64], inm[200];
    struct server a, b;
    ck_assert_int_eq(server_start(&a, NULL, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&a, 60000), 0);
    for (int i = 0; i < 2; i++) {
        struct resp r = http_get(&a, paths[i], NULL);
        ck_assert_int_eq(r.status, 200);
        header(&r, "ETag", etags[i], sizeof etags[i]);
        resp_free(&r);
    }
    ck_assert_int_eq(server_stop(&a, 30000), 0);
    server_cleanup(&a);

    ck_assert_int_eq(server_start(&b, NULL, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&b, 60000), 0);
    for (int i = 0; i < 2; i++) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", etags[i]);
        const char *hdrs[] = {inm, NULL};
        struct resp r = http_get(&b, paths[i], hdrs);
        ck_assert_int_eq(r.status, 304);
        ck_assert_uint_eq(r.len, 0);
        resp_free(&r);
    }
    struct resp r = http_get(&b, "/v1/datasets/demo/splits/temporal/nope.txt?k=3", NULL);
    ck_assert_int_eq(r.status, 404);
    resp_free(&r);
    ck_assert_double_eq(metric_required(&b, "recprep_cache_misses_total"), 0);
    /* A stale tag is not a match: now the result is computed, once. */
    const char *stale[] = {"If-None-Match: \"0000000000000000-0000000000000000\"", NULL};
    r = http_get(&b, paths[1], stale);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    ck_assert_double_eq(metric_required(&b, "recprep_cache_misses_total"), 1);
    ck_assert_int_eq(server_stop(&b, 30000), 0);
    server_cleanup(&b);
}
END_TEST

/* The filename of the Content-Disposition of path. */
static void download_name(const char *path, char *name, size_t cap)
{
    struct resp r = http_get(&srv, path, NULL);
    char cd[256];
    ck_assert_int_eq(r.status, 200);
    header(&r, "Content-Disposition", cd, sizeof cd);
    const char *q = strstr(cd, "filename=\"");
    ck_assert_ptr_nonnull(q);
    snprintf(name, cap, "%.*s", (int)strcspn(q + 10, "\""), q + 10);
    resp_free(&r);
}

/* <dataset>-<recipe>-<8 hex of the canonical parameters>-<file>: equal for
 * equal canonical parameters however spelled, different otherwise. */
START_TEST(download_names)
{
    char a[128], b[128], c[128], d[128];
    download_name(TRAIN, a, sizeof a);
    download_name("/v1/datasets/small/splits/temporal/train.txt?user_k=2&item_k=2", b, sizeof b);
    download_name("/v1/datasets/small/splits/temporal/train.txt?k=3", c, sizeof c);
    download_name("/v1/datasets/small/splits/temporal/test.txt?k=2", d, sizeof d);
    ck_assert_int_eq(strlen(a), strlen("small-temporal-01234567-train.txt"));
    ck_assert_int_eq(strncmp(a, "small-temporal-", 15), 0);
    ck_assert_uint_eq(strspn(a + 15, "0123456789abcdef"), 8);
    ck_assert_str_eq(a + 23, "-train.txt");
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_int_eq(strncmp(a, d, 23), 0);
    ck_assert_str_eq(d + 23, "-test.txt");
}
END_TEST

/* GET TRAIN with one extra header; returns the response. */
static struct resp get_with(const struct server *s, const char *path, const char *h1,
                            const char *h2)
{
    const char *hdrs[] = {h1, h2, NULL};
    return http_get(s, path, hdrs);
}

/* A 206 for [start, start + len) of full (full_len bytes). */
static void expect_part(const struct resp *r, const char *full, size_t full_len, size_t start,
                        size_t len)
{
    char h[128], want[128];
    ck_assert_int_eq(r->status, 206);
    ck_assert_uint_eq(r->len, len);
    ck_assert(memcmp(r->body, full + start, len) == 0);
    header(r, "Content-Range", h, sizeof h);
    snprintf(want, sizeof want, "bytes %zu-%zu/%zu", start, start + len - 1, full_len);
    ck_assert_str_eq(h, want);
}

/* Single ranges of every form, If-Range, multi-range and 416 on path. */
static void check_ranges(const struct server *s, const char *path)
{
    char h[128], etag[64], ifr[200];
    struct resp full = http_get(s, path, NULL), r;
    ck_assert_int_eq(full.status, 200);
    ck_assert_uint_gt(full.len, 100);
    header(&full, "Accept-Ranges", h, sizeof h);
    ck_assert_str_eq(h, "bytes");
    header(&full, "ETag", etag, sizeof etag);
    size_t n = full.len;

    r = get_with(s, path, "Range: bytes=10-19", NULL);
    expect_part(&r, full.body, n, 10, 10);
    resp_free(&r);
    r = get_with(s, path, "Range: bytes=-7", NULL);
    expect_part(&r, full.body, n, n - 7, 7);
    resp_free(&r);
    r = get_with(s, path, "Range: bytes=50-", NULL);
    expect_part(&r, full.body, n, 50, n - 50);
    resp_free(&r);
    snprintf(h, sizeof h, "Range: bytes=%zu-%zu", n - 3, n + 1000);
    r = get_with(s, path, h, NULL);
    expect_part(&r, full.body, n, n - 3, 3);
    resp_free(&r);

    snprintf(ifr, sizeof ifr, "If-Range: %s", etag);
    r = get_with(s, path, "Range: bytes=0-4", ifr);
    expect_part(&r, full.body, n, 0, 5);
    resp_free(&r);
    r = get_with(s, path, "Range: bytes=0-4", "If-Range: \"0000000000000000-0000000000000000\"");
    ck_assert_int_eq(r.status, 200); /* changed since: the whole body */
    ck_assert(r.len == n && memcmp(r.body, full.body, n) == 0);
    resp_free(&r);
    r = get_with(s, path, "Range: bytes=0-1,5-9", NULL);
    ck_assert_int_eq(r.status, 200); /* several ranges: the whole body */
    ck_assert_uint_eq(r.len, n);
    resp_free(&r);
    r = get_with(s, path, "Range: bytes=9-3", NULL);
    ck_assert_int_eq(r.status, 200); /* malformed: ignored */
    resp_free(&r);

    snprintf(h, sizeof h, "Range: bytes=%zu-", n);
    r = get_with(s, path, h, NULL);
    ck_assert_int_eq(r.status, 416);
    header(&r, "Content-Range", h, sizeof h);
    snprintf(ifr, sizeof ifr, "bytes */%zu", n);
    ck_assert_str_eq(h, ifr);
    ck_assert_ptr_nonnull(strstr(r.body, "\"range_not_satisfiable\""));
    resp_free(&r);
    resp_free(&full);
}

START_TEST(byte_ranges)
{
    check_ranges(&srv, TRAIN);
}
END_TEST

/* `curl -C -` (the command-line tool) completes a file that holds the first
 * cut bytes of path; the result equals a plain download. extra: more curl
 * options ("" or "--compressed"). */
static void curl_resume(const struct server *s, const char *path, size_t cut, const char *extra)
{
    struct resp full = http_get(s, path, NULL);
    ck_assert_int_eq(full.status, 200);
    ck_assert_uint_lt(cut, full.len);
    char file[128], cmd[512];
    snprintf(file, sizeof file, "%s/partial", s->dir);
    FILE *f = fopen(file, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(full.body, 1, cut, f), cut);
    fclose(f);
    snprintf(cmd, sizeof cmd, "curl -sS %s -C - -o '%s' 'http://127.0.0.1:%u%s'", extra, file,
             s->port, path);
    ck_assert_int_eq(system(cmd), 0);
    size_t len;
    char *got = read_file(file, &len);
    unlink(file);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, full.len);
    ck_assert(memcmp(got, full.body, len) == 0);
    free(got);
    resp_free(&full);
}

START_TEST(resumed_download)
{
    curl_resume(&srv, TRAIN, 1000, "");
    curl_resume(&srv, TRAIN, 1, "");
}
END_TEST

/* Files larger than a quarter of the cache are streamed through a cursor:
 * ranges over them skip the bytes before the range. */
START_TEST(ranges_of_streamed_files)
{
    struct server s;
    const char *args[] = {"--cache-mb", "1", NULL};
    ck_assert_int_eq(server_start(&s, args, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 60000), 0);
    const char *path = "/v1/datasets/demo/splits/temporal/train.txt";
    struct resp r = http_get(&s, path, NULL);
    ck_assert_uint_gt(r.len, 256 * 1024); /* more than 1 MB / 4: streamed */
    resp_free(&r);
    check_ranges(&s, path);
    curl_resume(&s, path, 200 * 1024, "");
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    server_cleanup(&s);
}
END_TEST

#define GZ "Accept-Encoding: gzip"

/* path served with and without gzip: the same bytes once decoded, distinct
 * strong ETags, Vary on both; the gzip tag gets a 304 only from a client
 * that accepts gzip. */
static void check_gzip(const char *path)
{
    char tag_id[64], tag_gz[64], h[128], inm[200];
    struct resp id = http_get(&srv, path, NULL), gz = get_with(&srv, path, GZ, NULL);
    ck_assert_int_eq(id.status, 200);
    ck_assert_int_eq(gz.status, 200);
    ck_assert_ptr_null(resp_header(&id, "Content-Encoding", h, sizeof h));
    header(&gz, "Content-Encoding", h, sizeof h);
    ck_assert_str_eq(h, "gzip");
    header(&id, "Vary", h, sizeof h);
    ck_assert_str_eq(h, "Accept-Encoding");
    header(&gz, "Vary", h, sizeof h);
    ck_assert_str_eq(h, "Accept-Encoding");
    header(&id, "ETag", tag_id, sizeof tag_id);
    header(&gz, "ETag", tag_gz, sizeof tag_gz);
    ck_assert_str_ne(tag_id, tag_gz);
    ck_assert(tag_gz[0] == '"' && tag_gz[strlen(tag_gz) - 1] == '"'); /* strong */
    ck_assert_uint_lt(gz.len, id.len);
    size_t n;
    char *plain = gunzip_body(gz.body, gz.len, 64 * gz.len + 1024, &n);
    ck_assert_ptr_nonnull(plain);
    ck_assert(n == id.len && memcmp(plain, id.body, n) == 0);
    free(plain);
    snprintf(inm, sizeof inm, "If-None-Match: %s", tag_gz);
    struct resp r = get_with(&srv, path, inm, GZ);
    ck_assert_int_eq(r.status, 304);
    header(&r, "ETag", h, sizeof h);
    ck_assert_str_eq(h, tag_gz);
    resp_free(&r);
    r = get_with(&srv, path, inm, NULL);
    ck_assert_int_eq(r.status, 200); /* has the gzip bytes, wants identity */
    ck_assert(r.len == id.len && memcmp(r.body, id.body, n) == 0);
    resp_free(&r);
    resp_free(&id);
    resp_free(&gz);
}

START_TEST(gzip_round_trip)
{
    double gzips0 = metric_required(&srv, "recprep_gzip_total");
    check_gzip(TRAIN);
    check_gzip("/v1/datasets/small/splits/full/users.tsv");
    check_gzip("/v1/datasets/small/kcore/curve?max_k=40");
    /* compressed once per cached result, however often it is asked */
    double gzips1 = metric_required(&srv, "recprep_gzip_total");
    ck_assert_double_eq(gzips1, gzips0 + 3);
    for (int i = 0; i < 3; i++) {
        struct resp r = get_with(&srv, TRAIN, GZ, NULL);
        ck_assert_int_eq(r.status, 200);
        resp_free(&r);
    }
    ck_assert_double_eq(metric_required(&srv, "recprep_gzip_total"), gzips1);
}
END_TEST

/* Bodies under 1 KB stay identity even for gzip clients. */
START_TEST(small_bodies_stay_identity)
{
    char h[64];
    struct resp r = get_with(&srv, "/v1/datasets/small/splits/temporal?k=2", GZ, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_lt(r.len, 1024);
    ck_assert_ptr_null(resp_header(&r, "Content-Encoding", h, sizeof h));
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    json_decref(j);
    resp_free(&r);
}
END_TEST

/* A Range with If-Range naming the gzip tag is a range of the gzip bytes;
 * a bare Range (a resume by offset into the decoded file) gets identity. */
START_TEST(ranges_over_the_coding_served)
{
    char tag[64], ifr[200], h[64];
    struct resp gz = get_with(&srv, TRAIN, GZ, NULL);
    header(&gz, "ETag", tag, sizeof tag);
    snprintf(ifr, sizeof ifr, "If-Range: %s", tag);
    const char *hdrs[] = {GZ, "Range: bytes=100-", ifr, NULL};
    struct resp r = http_get(&srv, TRAIN, hdrs);
    expect_part(&r, gz.body, gz.len, 100, gz.len - 100);
    header(&r, "Content-Encoding", h, sizeof h);
    ck_assert_str_eq(h, "gzip");
    resp_free(&r);
    struct resp id = http_get(&srv, TRAIN, NULL);
    r = get_with(&srv, TRAIN, GZ, "Range: bytes=100-");
    expect_part(&r, id.body, id.len, 100, id.len - 100);
    ck_assert_ptr_null(resp_header(&r, "Content-Encoding", h, sizeof h));
    resp_free(&r);
    resp_free(&id);
    resp_free(&gz);
    curl_resume(&srv, TRAIN, 1000, "--compressed");
}
END_TEST

static size_t stop_after_64k(char *p, size_t size, size_t n, void *cls)
{
    size_t *got = cls;
    (void)p;
    *got += size * n;
    return *got >= 64 * 1024 ? 0 : size * n; /* 0: libcurl aborts the transfer */
}

/* The access-log line (parsed) whose path is path, or NULL. */
static json_t *log_line(const struct server *s, const char *path)
{
    char *log = server_log(s), key[256];
    json_t *found = NULL;
    snprintf(key, sizeof key, "\"path\":\"%s\"", path);
    for (const char *p = strstr(log, key); p != NULL; p = strstr(p + 1, key)) {
        const char *start = p, *end = strchr(p, '\n');
        while (start > log && start[-1] != '\n')
            start--;
        json_decref(found);
        found = end ? json_loadb(start, (size_t)(end - start), 0, NULL) : NULL;
    }
    free(log);
    return found;
}

/* The access-log line of path, waiting for it: the line is written when
 * the server completes the request, which may be after the client has the
 * response. */
static json_t *wait_log_line(const struct server *s, const char *path)
{
    json_t *j = NULL;
    for (int waited = 0; waited < 10000 && (j = log_line(s, path)) == NULL; waited += 20)
        sleep_ms(20);
    return j;
}

/* An aborted download logs the bytes actually sent; every line carries
 * client, query, encoding and time to first byte; --quiet-probes leaves
 * successful health probes out. */
START_TEST(access_log_of_aborted_download)
{
    struct server s;
    char csv[128], ds[200], url[256];
    snprintf(csv, sizeof csv, "/tmp/recprepd-serve-big-%d.csv", (int)getpid());
    write_big_ids_csv(csv);
    snprintf(ds, sizeof ds, "big=%s", csv);
    const char *args[] = {"--dataset", ds, "--quiet-probes", NULL};
    ck_assert_int_eq(server_start(&s, args, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 60000), 0);
    const char *path = "/v1/datasets/big/splits/full/users.tsv";
    snprintf(url, sizeof url, "%s?k=1", path);
    struct resp r = http_get(&s, url, NULL); /* computed and cached: the next one starts at once */
    ck_assert_int_eq(r.status, 200);
    size_t full = r.len;
    resp_free(&r);

    snprintf(url, sizeof url, "http://127.0.0.1:%u%s?k=1", s.port, path);
    size_t got = 0;
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stop_after_64k);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
    ck_assert_int_eq(curl_easy_perform(c), CURLE_WRITE_ERROR);
    curl_easy_cleanup(c);

    json_t *j = NULL;
    for (int waited = 0; waited < 10000; waited += 50, sleep_ms(50)) {
        json_decref(j);
        j = log_line(&s, path);
        if (j != NULL && json_is_true(json_object_get(j, "incomplete")))
            break;
    }
    ck_assert_msg(j != NULL && json_is_true(json_object_get(j, "incomplete")),
                  "no incomplete line");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "bytes_expected")), (json_int_t)full);
    ck_assert_int_lt(json_integer_value(json_object_get(j, "bytes")), (json_int_t)full);
    ck_assert_str_eq(json_string_value(json_object_get(j, "query")), "k=1");
    ck_assert_str_eq(json_string_value(json_object_get(j, "client")), "127.0.0.1");
    ck_assert_str_eq(json_string_value(json_object_get(j, "encoding")), "identity");
    json_int_t ttfb = json_integer_value(json_object_get(j, "first_byte_us"));
    ck_assert(json_is_integer(json_object_get(j, "first_byte_us")));
    ck_assert_int_le(ttfb, json_integer_value(json_object_get(j, "microseconds")));
    json_decref(j);

    char ce[32];
    r = get_with(&s, "/v1/datasets/big/splits/full?k=1", GZ, NULL);
    const char *coding = resp_header(&r, "Content-Encoding", ce, sizeof ce) ? ce : "identity";
    resp_free(&r);
    r = http_get(&s, "/healthz", NULL);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    r = http_get(&s, "/v1/datasets/big", NULL);
    resp_free(&r);
    j = wait_log_line(&s, "/v1/datasets/big"); /* requested after /healthz */
    ck_assert_ptr_nonnull(j);
    json_decref(j);
    ck_assert_ptr_null(log_line(&s, "/healthz"));
    j = wait_log_line(&s, "/v1/datasets/big/splits/full");
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "encoding")), coding);
    json_decref(j);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    server_cleanup(&s);
    unlink(csv);
}
END_TEST

/* Process and build metrics, rows per dataset, compute time per recipe. */
START_TEST(process_and_recipe_metrics)
{
    struct resp r = http_get(&srv, "/v1/datasets/small/splits/temporal?k=2", NULL);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    ck_assert_double_gt(metric_required(&srv, "process_resident_memory_bytes"), 1024 * 1024);
    double start = metric_required(&srv, "process_start_time_seconds");
    double now = (double)time(NULL);
    ck_assert_msg(start > now - 3600 && start <= now + 1, "start %f now %f", start, now);
    ck_assert_double_ge(metric_required(&srv, "process_open_fds"),
                        4); /* stdio + listening socket */
    ck_assert_double_eq(metric_required(&srv, "recprep_dataset_rows{dataset=\"small\"}"), 2000);
    ck_assert_double_ge(metric_required(&srv, "recprep_computations_total{recipe=\"temporal\"}"),
                        1);
    ck_assert_double_gt(metric_required(&srv, "recprep_compute_seconds_total{recipe=\"temporal\"}"),
                        0);
    ck_assert_double_eq(
        metric_required(&srv, "recprep_computations_total{recipe=\"az23-timestamp\"}"), 0);
    r = http_get(&srv, "/metrics", NULL);
    const char *bi = strstr(r.body, "\nrecprep_build_info{version=\"");
    ck_assert_ptr_nonnull(bi);
    ck_assert_ptr_nonnull(strstr(bi, "\"} 1\n"));
    resp_free(&r);
}
END_TEST

/* Start with args, expect exit status 2 and a log containing want. */
static void expect_start_error(const char *const *args, const char *want)
{
    struct server s;
    int status = -1;
    if (server_start(&s, args, NULL, &status) == 0) {
        status = server_wait_exit(&s, 20000);
        if (status == -1)
            server_stop(&s, 1000);
    }
    ck_assert_int_eq(status, 2);
    char *log = server_log(&s);
    ck_assert_msg(strstr(log, want) != NULL, "'%s' not in: %s", want, log);
    free(log);
    server_cleanup(&s);
}

/* Start-up errors an operator can act on: the errno text of a port in use,
 * a token file that is a directory. */
START_TEST(operator_start_up_messages)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", srv.port); /* the fixture's port */
    const char *busy[] = {"--listen", listen, NULL};
    expect_start_error(busy, "Address already in use");
    const char *dir[] = {"--token-file", "/tmp", NULL};
    expect_start_error(dir, "is a directory");
}
END_TEST

TCase *e2e_serve_tcase(void)
{
    TCase *tc = tcase_create("serve");
    tcase_add_unchecked_fixture(tc, serve_start, serve_stop);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, download_names);
    tcase_add_test(tc, byte_ranges);
    tcase_add_test(tc, resumed_download);
    tcase_add_test(tc, gzip_round_trip);
    tcase_add_test(tc, small_bodies_stay_identity);
    tcase_add_test(tc, ranges_over_the_coding_served);
    tcase_add_test(tc, conditional_on_cold_cache);
    tcase_add_test(tc, ranges_of_streamed_files);
    tcase_add_test(tc, access_log_of_aborted_download);
    tcase_add_test(tc, process_and_recipe_metrics);
    tcase_add_test(tc, operator_start_up_messages);
    return tc;
}
