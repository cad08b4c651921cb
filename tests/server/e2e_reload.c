/*
 * tests/server/e2e_reload.c - reloading datasets while serving (issue 8,
 * item 5) against the real recprepd: SIGHUP re-reads changed files with no
 * failed request during the switch, a broken or vanished replacement keeps
 * the old data (logged and counted), POST /v1/datasets/{ds}/reload with and
 * without the token, `--dataset demo=builtin` beside a file, and a summary
 * computed before the input's digest landed is completed, not recomputed.
 *
 * Each test writes its CSV files into a private temporary directory (copies
 * of rows of data/small.csv) and replaces them with rename(), the way
 * operators and deploy tools swap files.
 */
#include <check.h>
#include <jansson.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_cases.h"
#include "e2e_util.h"

#define SUMMARY "/v1/datasets/ml/splits/temporal?k=2"
#define TRAIN "/v1/datasets/ml/splits/temporal/train.txt?k=2"
#define TOKEN "Authorization: Bearer s3cret-token-42"

struct datadir {
    char dir[64];
    char path[128]; /* dir/ml.csv */
};

static void datadir_make(struct datadir *dd)
{
    snprintf(dd->dir, sizeof dd->dir, "/tmp/recprep-reload-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dd->dir));
    snprintf(dd->path, sizeof dd->path, "%s/ml.csv", dd->dir);
}

static void datadir_remove(struct datadir *dd)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", dd->path);
    unlink(dd->path);
    unlink(tmp);
    rmdir(dd->dir);
}

/* The first `rows` lines of data/small.csv, then `extra` (may be NULL). */
static char *small_rows(size_t rows, const char *extra, size_t *len)
{
    char path[512];
    size_t n;
    char *all = read_file(data_path("small.csv", path, sizeof path), &n);
    ck_assert_ptr_nonnull(all);
    size_t cut = 0;
    for (size_t seen = 0; cut < n && seen < rows; cut++)
        seen += all[cut] == '\n';
    size_t add = extra ? strlen(extra) : 0;
    char *out = malloc(cut + add + 1);
    memcpy(out, all, cut);
    memcpy(out + cut, extra ? extra : "", add + 1);
    free(all);
    *len = cut + add;
    return out;
}

/* Write the rows to dd->path through a rename over it (atomic replace). */
static void put_rows(const struct datadir *dd, size_t rows, const char *extra)
{
    char tmp[160];
    size_t len;
    char *data = small_rows(rows, extra, &len);
    snprintf(tmp, sizeof tmp, "%s.tmp", dd->path);
    FILE *f = fopen(tmp, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(tmp, dd->path), 0);
    free(data);
}

static void header(const struct resp *r, const char *name, char *buf, size_t cap)
{
    ck_assert_msg(resp_header(r, name, buf, cap) != NULL, "no %s header", name);
}

/* The /v1/datasets entry of dataset name (new reference). */
static json_t *dataset_entry(const struct server *s, const char *name, const char *const *hdrs)
{
    struct resp r = http_get(s, "/v1/datasets", hdrs);
    ck_assert_int_eq(r.status, 200);
    json_t *doc = json_loads(r.body, 0, NULL), *found = NULL, *d;
    resp_free(&r);
    ck_assert_ptr_nonnull(doc);
    size_t i;
    json_array_foreach(json_object_get(doc, "datasets"), i, d)
    {
        if (strcmp(json_string_value(json_object_get(d, "name")), name) == 0)
            found = json_incref(d);
    }
    json_decref(doc);
    ck_assert_msg(found != NULL, "dataset %s not listed", name);
    return found;
}

static json_int_t entry_int(const struct server *s, const char *name, const char *key,
                            const char *const *hdrs)
{
    json_t *e = dataset_entry(s, name, hdrs);
    json_int_t v = json_integer_value(json_object_get(e, key));
    json_decref(e);
    return v;
}

/* Poll until dataset name is at generation gen; records whether it was
 * seen "reloading" meanwhile. Fails after 30 s. */
static void wait_generation(const struct server *s, const char *name, json_int_t gen,
                            const char *const *hdrs, int *saw_reloading)
{
    for (int waited = 0; waited < 30000; waited += 10) {
        json_t *e = dataset_entry(s, name, hdrs);
        json_int_t g = json_integer_value(json_object_get(e, "generation"));
        if (saw_reloading != NULL && json_is_true(json_object_get(e, "reloading")))
            *saw_reloading = 1;
        json_decref(e);
        if (g == gen)
            return;
        ck_assert_int_lt(g, gen);
        sleep_ms(10);
    }
    ck_abort_msg("dataset %s never reached generation %d", name, (int)gen);
}

static void start(struct server *s, const struct datadir *dd, const char *const *more,
                  const char *const *env)
{
    char ds[200];
    const char *args[16] = {"--dataset", ds, "--threads", "2"};
    size_t n = 4;
    snprintf(ds, sizeof ds, "ml=%s", dd->path);
    for (size_t i = 0; more != NULL && more[i] != NULL && n < 15; i++)
        args[n++] = more[i];
    args[n] = NULL;
    ck_assert_int_eq(server_start(s, args, env, NULL), 0);
    ck_assert_int_eq(server_wait_ready(s, 60000), 0);
}

/* Requests issued while a reload happens: every one must succeed. */
struct hammer {
    const struct server *s;
    atomic_int stop;
    int total, failed;
    char first_failure[160];
};

static void *hammer_run(void *arg)
{
    static const char *const paths[] = {SUMMARY, TRAIN, "/v1/datasets/ml",
                                        "/v1/datasets/ml/kcore?k=2"};
    struct hammer *h = arg;
    for (size_t i = 0; !atomic_load(&h->stop); i++) {
        struct resp r;
        const char *path = paths[i % 4];
        int rc = http(h->s, "GET", path, NULL, &r);
        if (rc != 0 || r.status != 200) {
            if (h->failed++ == 0)
                snprintf(h->first_failure, sizeof h->first_failure, "%s: %s %ld", path,
                         rc != 0 ? "transport error" : "status", rc != 0 ? 0L : r.status);
        }
        if (rc == 0)
            resp_free(&r);
        h->total++;
    }
    return NULL;
}

/* The file's body and ETag from s. */
static void fetch(const struct server *s, const char *path, char **body, char *etag, size_t cap)
{
    struct resp r = http_get(s, path, NULL);
    ck_assert_int_eq(r.status, 200);
    header(&r, "ETag", etag, cap);
    *body = r.body;
    r.body = NULL;
    resp_free(&r);
}

/* SIGHUP re-reads the changed file and only that one; requests keep being
 * answered during the reload; afterwards stats, ETags and results are those
 * of the new file (the same bytes and tags a fresh server gives). */
START_TEST(sighup_reloads_changed_files)
{
    struct datadir dd, other;
    struct server s, fresh;
    char other_ds[200], e_stats[64], e_sum1[64], e_sum2[64], e_train1[64], e_train2[64];
    char e_fresh[64];
    char *stats1, *stats2, *sum1, *sum2, *train1, *train2, *train_fresh;
    datadir_make(&dd);
    datadir_make(&other);
    put_rows(&dd, 2000, NULL);
    put_rows(&other, 1000, NULL);
    snprintf(other_ds, sizeof other_ds, "other=%s", other.path);
    const char *more[] = {"--dataset", other_ds, NULL};
    const char *env[] = {"RECPREP_TEST_RELOAD_DELAY_MS=400", NULL};
    start(&s, &dd, more, env);
    fetch(&s, "/v1/datasets/ml", &stats1, e_stats, sizeof e_stats);
    fetch(&s, SUMMARY, &sum1, e_sum1, sizeof e_sum1);
    fetch(&s, TRAIN, &train1, e_train1, sizeof e_train1);
    ck_assert_int_eq(entry_int(&s, "ml", "interactions", NULL), 2000);

    struct hammer h = {.s = &s};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, hammer_run, &h), 0);
    put_rows(&dd, 1200, NULL);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    int saw_reloading = 0;
    wait_generation(&s, "ml", 2, NULL, &saw_reloading);
    sleep_ms(100); /* a few requests on the new data too */
    atomic_store(&h.stop, 1);
    pthread_join(t, NULL);
    ck_assert_msg(h.failed == 0, "%d of %d requests failed during the reload, first %s", h.failed,
                  h.total, h.first_failure);
    ck_assert_int_gt(h.total, 10);
    ck_assert_msg(saw_reloading, "never saw reloading: true while the reload ran");

    ck_assert_int_eq(entry_int(&s, "ml", "interactions", NULL), 1200);
    char e_stats2[64];
    fetch(&s, "/v1/datasets/ml", &stats2, e_stats2, sizeof e_stats2);
    ck_assert_str_ne(stats1, stats2);
    ck_assert_str_ne(e_stats, e_stats2);
    fetch(&s, SUMMARY, &sum2, e_sum2, sizeof e_sum2);
    fetch(&s, TRAIN, &train2, e_train2, sizeof e_train2);
    ck_assert_str_ne(e_sum1, e_sum2);
    ck_assert_str_ne(e_train1, e_train2);
    ck_assert_str_ne(sum1, sum2);
    /* the old tag no longer matches: 200 with the new body */
    char inm[100];
    snprintf(inm, sizeof inm, "If-None-Match: %s", e_train1);
    const char *cond[] = {inm, NULL};
    struct resp r = http_get(&s, TRAIN, cond);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, train2);
    resp_free(&r);
    /* the unchanged file was not re-read */
    ck_assert_int_eq(entry_int(&s, "other", "generation", NULL), 1);
    ck_assert_double_eq(metric_value(&s, "recprep_dataset_reloads_total{dataset=\"ml\"}"), 1);
    ck_assert_double_eq(metric_value(&s, "recprep_dataset_reloads_total{dataset=\"other\"}"), 0);
    ck_assert_double_eq(metric_value(&s, "recprep_dataset_generation{dataset=\"ml\"}"), 2);
    ck_assert_double_eq(metric_value(&s, "recprep_dataset_rows{dataset=\"ml\"}"), 1200);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    char *log = server_log(&s);
    ck_assert_ptr_nonnull(strstr(log, "\"event\":\"dataset_reloaded\",\"dataset\":\"ml\""));
    ck_assert_ptr_null(strstr(log, "\"event\":\"dataset_reloaded\",\"dataset\":\"other\""));
    free(log);
    server_cleanup(&s);

    /* a server started on the new file serves the same bytes and tag */
    start(&fresh, &dd, NULL, NULL);
    fetch(&fresh, TRAIN, &train_fresh, e_fresh, sizeof e_fresh);
    ck_assert_str_eq(train_fresh, train2);
    ck_assert_str_eq(e_fresh, e_train2);
    server_finish(&fresh);
    free(stats1), free(stats2), free(sum1), free(sum2), free(train1), free(train2);
    free(train_fresh);
    datadir_remove(&dd);
    datadir_remove(&other);
}
END_TEST

/* A replacement that fails to parse, then a vanished file: each is logged
 * with the file and line, counted, and the old data stays in service; a
 * good file afterwards is picked up. */
START_TEST(broken_replacement_keeps_old_data)
{
    struct datadir dd;
    struct server s;
    char e1[64], e2[64];
    char *stats1, *stats2;
    datadir_make(&dd);
    put_rows(&dd, 2000, NULL);
    start(&s, &dd, NULL, NULL);
    fetch(&s, "/v1/datasets/ml", &stats1, e1, sizeof e1);
    const char *failures = "recprep_dataset_reload_failures_total{dataset=\"ml\"}";
    ck_assert_double_eq(metric_value(&s, failures), 0);

    put_rows(&dd, 1500, "this line is broken\n");
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    wait_metric(&s, failures, 1);
    fetch(&s, "/v1/datasets/ml", &stats2, e2, sizeof e2);
    ck_assert_str_eq(stats1, stats2);
    ck_assert_str_eq(e1, e2);
    free(stats2);
    json_t *e = dataset_entry(&s, "ml", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "generation")), 1);
    json_t *last = json_object_get(e, "last_reload");
    ck_assert_str_eq(json_string_value(json_object_get(last, "result")), "failed");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(last, "error")), "ml.csv:1501:"));
    json_decref(e);
    struct resp r = http_get(&s, SUMMARY, NULL); /* still computes on the old data */
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);

    ck_assert_int_eq(unlink(dd.path), 0);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    wait_metric(&s, failures, 2);
    fetch(&s, "/v1/datasets/ml", &stats2, e2, sizeof e2);
    ck_assert_str_eq(stats1, stats2);
    free(stats2);
    ck_assert_double_eq(metric_value(&s, "recprep_dataset_reloads_total{dataset=\"ml\"}"), 0);

    put_rows(&dd, 1000, NULL);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    wait_generation(&s, "ml", 2, NULL, NULL);
    ck_assert_int_eq(entry_int(&s, "ml", "interactions", NULL), 1000);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    char *log = server_log(&s);
    const char *p = strstr(log, "\"event\":\"dataset_reload_failed\",\"dataset\":\"ml\"");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(strstr(p, "ml.csv:1501: expected 4 fields"));
    p = strstr(p + 1, "\"event\":\"dataset_reload_failed\",\"dataset\":\"ml\"");
    ck_assert_msg(p != NULL, "no log line for the vanished file");
    ck_assert_ptr_nonnull(strstr(p, "ml.csv"));
    free(log);
    free(stats1);
    server_cleanup(&s);
    datadir_remove(&dd);
}
END_TEST

/* POST /v1/datasets/{ds}/reload needs the token, reloads an unchanged file
 * (it forces), and answers 409 while a reload of the dataset is running. */
START_TEST(post_reload_with_and_without_token)
{
    struct datadir dd;
    struct server s;
    char token[512], e1[64], e2[64];
    char *stats1, *stats2;
    datadir_make(&dd);
    put_rows(&dd, 2000, NULL);
    const char *more[] = {"--token-file", data_path("token.txt", token, sizeof token), NULL};
    const char *env[] = {"RECPREP_TEST_RELOAD_DELAY_MS=600", NULL};
    const char *auth[] = {TOKEN, NULL};
    const char *wrong[] = {"Authorization: Bearer nope", NULL};
    start(&s, &dd, more, env);
    struct resp r;
    ck_assert_int_eq(http(&s, "POST", "/v1/datasets/ml/reload", NULL, &r), 0);
    ck_assert_int_eq(r.status, 401);
    resp_free(&r);
    ck_assert_int_eq(http(&s, "POST", "/v1/datasets/ml/reload", wrong, &r), 0);
    ck_assert_int_eq(r.status, 401);
    resp_free(&r);
    ck_assert_int_eq(entry_int(&s, "ml", "generation", auth), 1);

    struct resp g = http_get(&s, "/v1/datasets/ml", auth);
    ck_assert_int_eq(g.status, 200);
    stats1 = g.body;
    g.body = NULL;
    header(&g, "ETag", e1, sizeof e1);
    resp_free(&g);
    ck_assert_int_eq(http(&s, "POST", "/v1/datasets/ml/reload", auth, &r), 0);
    ck_assert_int_eq(r.status, 202);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "dataset")), "ml");
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "reloading");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "generation")), 1);
    json_decref(j);
    resp_free(&r);
    ck_assert_int_eq(http(&s, "POST", "/v1/datasets/ml/reload", auth, &r), 0);
    ck_assert_int_eq(r.status, 409);
    ck_assert_ptr_nonnull(strstr(r.body, "\"code\":\"reload_in_progress\""));
    resp_free(&r);
    wait_generation(&s, "ml", 2, auth, NULL);
    /* the same content: new generation, same content identity */
    g = http_get(&s, "/v1/datasets/ml", auth);
    header(&g, "ETag", e2, sizeof e2);
    stats2 = g.body;
    g.body = NULL;
    resp_free(&g);
    ck_assert_str_eq(e1, e2);
    ck_assert_str_eq(stats1, stats2);
    free(stats1), free(stats2);
    ck_assert_double_eq(metric_value(&s, "recprep_dataset_reloads_total{dataset=\"ml\"}"), 1);
    ck_assert_double_eq(metric_value(&s, "recprep_http_requests_total{route=\"/v1/datasets/{ds}/"
                                         "reload\",method=\"POST\",status=\"202\"}"),
                        1);

    ck_assert_int_eq(http(&s, "POST", "/v1/datasets/nope/reload", auth, &r), 0);
    ck_assert_int_eq(r.status, 404);
    resp_free(&r);
    ck_assert_int_eq(http(&s, "POST", "/v1/datasets/ml/reload?force=1", auth, &r), 0);
    ck_assert_int_eq(r.status, 400);
    resp_free(&r);
    ck_assert_int_eq(http(&s, "GET", "/v1/datasets/ml/reload", auth, &r), 0);
    ck_assert_int_eq(r.status, 405);
    char allow[32];
    header(&r, "Allow", allow, sizeof allow);
    ck_assert_str_eq(allow, "POST");
    resp_free(&r);
    server_finish(&s);
    datadir_remove(&dd);
}
END_TEST

/* `--dataset demo=builtin` serves the generated demo beside a file;
 * SIGHUP leaves it alone, POST regenerates it (same content, same tags). */
START_TEST(demo_beside_a_real_dataset)
{
    struct datadir dd;
    struct server s;
    char e1[64], e2[64];
    datadir_make(&dd);
    put_rows(&dd, 2000, NULL);
    const char *more[] = {"--dataset", "demo=builtin", NULL};
    start(&s, &dd, more, NULL);
    ck_assert_int_eq(entry_int(&s, "ml", "interactions", NULL), 2000);
    ck_assert_int_gt(entry_int(&s, "demo", "interactions", NULL), 100000);
    struct resp r = http_get(&s, "/v1/datasets/demo/splits/temporal?k=5", NULL);
    ck_assert_int_eq(r.status, 200);
    header(&r, "ETag", e1, sizeof e1);
    ck_assert_ptr_nonnull(strstr(r.body, "\"dataset\":\"demo\""));
    resp_free(&r);
    r = http_get(&s, "/v1/datasets/ml/splits/temporal?k=2", NULL);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    ck_assert_int_eq(http(&s, "POST", "/v1/datasets/demo/reload", NULL, &r), 0);
    ck_assert_int_eq(r.status, 202);
    resp_free(&r);
    wait_generation(&s, "demo", 2, NULL, NULL);
    r = http_get(&s, "/v1/datasets/demo/splits/temporal?k=5", NULL);
    ck_assert_int_eq(r.status, 200);
    header(&r, "ETag", e2, sizeof e2);
    resp_free(&r);
    ck_assert_str_eq(e1, e2);
    ck_assert_int_eq(entry_int(&s, "ml", "generation", NULL), 1);
    server_finish(&s);
    datadir_remove(&dd);
}
END_TEST

/* "sha256" of the provenance of the SUMMARY, or NULL (malloc'd); its ETag. */
static char *summary_sha(const struct server *s, char *etag, size_t cap)
{
    struct resp r = http_get(s, SUMMARY, NULL);
    ck_assert_int_eq(r.status, 200);
    header(&r, "ETag", etag, cap);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    const char *sha =
        json_string_value(json_object_get(json_object_get(j, "provenance"), "sha256"));
    char *out = sha ? strdup(sha) : NULL;
    json_decref(j);
    resp_free(&r);
    return out;
}

/* The SHA-256 of path as sha256sum prints it. */
static void file_sha(const char *path, char *hex)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(fscanf(p, "%64s", hex), 1);
    pclose(p);
}

/* A summary computed before the digest landed reports sha256 once it is
 * known, without a second computation, under a new tag. */
START_TEST(summary_before_digest_is_not_recomputed)
{
    struct datadir dd;
    struct server s;
    char e1[64], e2[64], want[65];
    datadir_make(&dd);
    put_rows(&dd, 2000, NULL);
    const char *env[] = {"RECPREP_TEST_DIGEST_DELAY_MS=1500", NULL};
    start(&s, &dd, NULL, env);
    char *sha = summary_sha(&s, e1, sizeof e1);
    ck_assert_msg(sha == NULL, "the digest landed before the first summary (delay too short?)");
    ck_assert_double_eq(metric_value(&s, "recprep_cache_misses_total"), 1);
    for (int waited = 0; sha == NULL && waited < 30000; waited += 20) {
        sleep_ms(20);
        sha = summary_sha(&s, e2, sizeof e2);
    }
    ck_assert_ptr_nonnull(sha);
    file_sha(dd.path, want);
    ck_assert_str_eq(sha, want);
    ck_assert_str_ne(e1, e2);
    ck_assert_double_eq(metric_value(&s, "recprep_cache_misses_total"), 1);
    ck_assert_double_eq(metric_value(&s, "recprep_computations_total{recipe=\"temporal\"}"), 1);
    char inm[100];
    snprintf(inm, sizeof inm, "If-None-Match: %s", e2);
    const char *cond[] = {inm, NULL};
    struct resp r = http_get(&s, SUMMARY, cond);
    ck_assert_int_eq(r.status, 304);
    resp_free(&r);
    snprintf(inm, sizeof inm, "If-None-Match: %s", e1);
    r = http_get(&s, SUMMARY, cond);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, want));
    resp_free(&r);
    const char *gz[] = {"Accept-Encoding: gzip", NULL};
    r = http_get(&s, SUMMARY, gz);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    ck_assert_double_eq(metric_value(&s, "recprep_cache_misses_total"), 1);
    free(sha);
    server_finish(&s);
    datadir_remove(&dd);
}
END_TEST

/* Threads of process pid whose nice is not 0 (/proc/PID/task/TID/stat,
 * field 19); -1 when /proc cannot be read. */
static int lowered_threads(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int lowered = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[400], buf[1024];
        snprintf(path, sizeof path, "%s/%s/stat", dir, e->d_name);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        const char *close = strrchr(buf, ')');
        long nice = 0;
        /* after "(comm) ": state, then fields 4..18, then nice (19) */
        if (close != NULL && sscanf(close + 2,
                                    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
                                    "%*u %*d %*d %*d %ld",
                                    &nice) == 1)
            lowered += nice != 0;
    }
    closedir(d);
    return lowered;
}

/* The digest runs at a lowered priority (registry.c), on a thread of its
 * own during a reload: once a reload's digest has landed, no thread of the
 * server - the reload thread that goes on to load other datasets among
 * them - is left at that priority. */
START_TEST(reload_keeps_thread_priorities)
{
    struct datadir dd;
    struct server s;
    char e[64];
    datadir_make(&dd);
    put_rows(&dd, 2000, NULL);
    start(&s, &dd, NULL, NULL);
    put_rows(&dd, 1500, NULL);
    ck_assert_int_eq(kill(s.pid, SIGHUP), 0);
    wait_generation(&s, "ml", 2, NULL, NULL);
    char *sha = NULL, want[65];
    file_sha(dd.path, want);
    for (int waited = 0; (sha == NULL || strcmp(sha, want) != 0) && waited < 30000; waited += 20) {
        free(sha);
        sleep_ms(20);
        sha = summary_sha(&s, e, sizeof e);
    }
    ck_assert_ptr_nonnull(sha);
    ck_assert_str_eq(sha, want);
    free(sha);
    sleep_ms(100); /* the digest thread ends right after it publishes */
    ck_assert_int_eq(lowered_threads(s.pid), 0);
    server_finish(&s);
    datadir_remove(&dd);
}
END_TEST

TCase *e2e_reload_tcase(void)
{
    TCase *tc = tcase_create("reload");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, sighup_reloads_changed_files);
    tcase_add_test(tc, broken_replacement_keeps_old_data);
    tcase_add_test(tc, post_reload_with_and_without_token);
    tcase_add_test(tc, demo_beside_a_real_dataset);
    tcase_add_test(tc, summary_before_digest_is_not_recomputed);
    tcase_add_test(tc, reload_keeps_thread_priorities);
    return tc;
}
