/*
 * tests/server/e2e_util.c - process control and a libcurl client for the
 * end-to-end suite. Nothing here sleeps for a fixed time where polling can
 * tell: start-up waits for the port file, readiness polls /readyz.
 */
#include "e2e_util.h"

#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *p = realloc(buf, cap * 2 + 1);
            if (p == NULL)
                free(buf);
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL)
        buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

const char *data_path(const char *rel, char *buf, size_t cap)
{
    const char *dir = getenv("RECPREP_SERVER_DATA");
    snprintf(buf, cap, "%s/%s", dir ? dir : ".", rel);
    return buf;
}

const char *data_dataset(const char *name, const char *rel, char *buf, size_t cap)
{
    char path[512];
    snprintf(buf, cap, "%s=%s", name, data_path(rel, path, sizeof path));
    return buf;
}

static void child_exec(const struct server *s, const char *const *args, const char *const *env)
{
    char portfile[128];
    const char *argv[256];
    size_t n = 0;
    snprintf(portfile, sizeof portfile, "%s/port", s->dir);
    const char *bin = getenv("RECPREPD");
    argv[n++] = bin ? bin : "recprepd";
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--port-file";
    argv[n++] = portfile;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 254; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        char name[64];
        const char *eq = strchr(env[i], '=');
        if (eq != NULL && (size_t)(eq - env[i]) < sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - env[i]), env[i]);
            setenv(name, eq + 1, 1);
        }
    }
    int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

/* Exit status of a reaped child, or -1 when it was killed by a signal. */
static int exit_status(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int server_start(struct server *s, const char *const *args, const char *const *env, int *status)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/recprepd-e2e-XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    snprintf(s->log, sizeof s->log, "%s/log", s->dir);
    fflush(NULL);
    s->pid = fork();
    if (s->pid == 0)
        child_exec(s, args, env);
    char portfile[128];
    snprintf(portfile, sizeof portfile, "%s/port", s->dir);
    for (int waited = 0; waited < 20000; waited += 5) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            if (status != NULL)
                *status = exit_status(st);
            s->pid = 0;
            return -1;
        }
        char *text = read_file(portfile, NULL);
        if (text != NULL) {
            s->port = (unsigned)strtoul(text, NULL, 10);
            free(text);
            if (s->port != 0)
                return 0;
        }
        sleep_ms(5);
    }
    return -1;
}

int server_wait_ready(const struct server *s, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        struct resp r;
        if (http(s, "GET", "/readyz", NULL, &r) == 0) {
            long st = r.status;
            resp_free(&r);
            if (st == 200)
                return 0;
        }
        sleep_ms(20);
    }
    return -1;
}

int server_wait_exit(struct server *s, int timeout_ms)
{
    for (int waited = 0; s->pid > 0 && waited < timeout_ms; waited += 5) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return exit_status(st);
        }
        sleep_ms(5);
    }
    return -1;
}

int server_stop(struct server *s, int timeout_ms)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int rc = server_wait_exit(s, timeout_ms);
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    return rc;
}

void server_cleanup(struct server *s)
{
    static const char *const names[] = {"port", "port.tmp", "log"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, names[i]);
        unlink(path);
    }
    rmdir(s->dir);
}

char *server_log(const struct server *s)
{
    char *text = read_file(s->log, NULL);
    return text ? text : calloc(1, 1);
}

/* A response body or header block; the buffer doubles as it fills. Growing
 * it by each 16 KB piece copied the whole body again per piece: under
 * AddressSanitizer (whose realloc always copies, into fresh pages) a 16 MB
 * file took 12.6 s to receive, and the 60 s request timeout was reached
 * on a loaded CI machine. */
struct sink {
    char *data;
    size_t len, cap;
};

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
    struct sink *k = cls;
    size_t add = size * n;
    if (k->len + add + 1 > k->cap) {
        size_t cap = k->cap > 0 ? k->cap : 4096;
        while (cap < k->len + add + 1)
            cap *= 2;
        char *q = realloc(k->data, cap);
        if (q == NULL)
            return 0;
        k->data = q;
        k->cap = cap;
    }
    memcpy(k->data + k->len, p, add);
    k->len += add;
    k->data[k->len] = '\0';
    return add;
}

/* What the last failed http() call of this thread was and why: http_get
 * reports it (a request that timed out under load once failed a CI run
 * with no word of which one it was). */
static _Thread_local char last_failure[512];

int http(const struct server *s, const char *method, const char *path, const char *const *hdrs,
         struct resp *r)
{
    char url[70000];
    struct sink body = {calloc(1, 1), 0, 1}, head = {calloc(1, 1), 0, 1};
    struct curl_slist *list = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", s->port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL; i++)
        list = curl_slist_append(list, hdrs[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(c);
    r->status = 0;
    curl_off_t expected = -1, first_us = 0, total_us = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
    curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME_T, &first_us);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total_us);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    r->body = body.data;
    r->len = body.len;
    r->headers = head.data;
    if (rc != CURLE_OK) {
        snprintf(last_failure, sizeof last_failure,
                 "%s %.300s: %s (HTTP status %ld, %zu body bytes of %" CURL_FORMAT_CURL_OFF_T
                 ", first byte after %.3f s, gave up after %.3f s)",
                 method, path, curl_easy_strerror(rc), r->status, body.len, expected,
                 (double)first_us / 1e6, (double)total_us / 1e6);
        resp_free(r);
        return -1;
    }
    return 0;
}

const char *resp_header(const struct resp *r, const char *name, char *buf, size_t cap)
{
    size_t nlen = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            size_t vlen = (size_t)(line + len - v);
            snprintf(buf, cap, "%.*s", (int)vlen, v);
            return buf;
        }
        line = end ? end + 2 : line + len;
    }
    return NULL;
}

void resp_free(struct resp *r)
{
    free(r->body);
    free(r->headers);
    r->body = r->headers = NULL;
}

/* What the server was doing when a request failed, on stderr: the end of
 * its log and, with gdb on the machine, every thread's stack. A request of
 * the suite that hung once in CI (the response head came, the body never
 * ended) left nothing else to go on. */
static void server_diagnose(const struct server *s)
{
    char *log = server_log(s);
    size_t len = strlen(log);
    fprintf(stderr, "--- recprepd (pid %d) log, last bytes:\n%s\n", (int)s->pid,
            log + (len > 4000 ? len - 4000 : 0));
    free(log);
    if (s->pid <= 0 || access("/usr/bin/gdb", X_OK) != 0)
        return;
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "timeout 60 /usr/bin/gdb -p %d -batch -nx -ex 'thread apply all bt' </dev/null "
             "2>&1 | grep -E '^(Thread|#)' >&2",
             (int)s->pid);
    fprintf(stderr, "--- recprepd threads:\n");
    fflush(stderr);
    if (system(cmd) != 0)
        fprintf(stderr, "(gdb could not attach)\n");
}

struct resp http_get(const struct server *s, const char *path, const char *const *hdrs)
{
    struct resp r;
    int rc = http(s, "GET", path, hdrs, &r);
    if (rc != 0)
        server_diagnose(s);
    ck_assert_msg(rc == 0, "%s", last_failure);
    return r;
}

double metric_value(const struct server *s, const char *name)
{
    struct resp r = http_get(s, "/metrics", NULL);
    double v = -1;
    size_t n = strlen(name);
    for (const char *p = r.body; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            v = strtod(p + n + 1, NULL);
    resp_free(&r);
    return v;
}

double metric_required(const struct server *s, const char *name)
{
    double v = metric_value(s, name);
    ck_assert_msg(v >= 0, "no metric %s", name);
    return v;
}

void wait_metric(const struct server *s, const char *name, double value)
{
    for (int waited = 0; waited < 30000; waited += 10) {
        if (metric_value(s, name) == value)
            return;
        sleep_ms(10);
    }
    ck_abort_msg("%s never reached %g (is %g)", name, value, metric_value(s, name));
}

char *gunzip_body(const char *data, size_t len, size_t cap, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    char *out = malloc(cap);
    if (out == NULL || inflateInit2(&z, 15 + 16) != Z_OK) {
        free(out);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_FINISH);
    *out_len = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || z.avail_in != 0) {
        free(out);
        return NULL;
    }
    return out;
}

void write_big_ids_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    static char id[4001];
    memset(id, 'u', 4000);
    for (int i = 0; i < 4000; i++) {
        snprintf(id + 3990, 11, "%010d", i);
        fprintf(f, "%s,B%d,5,%d\n", id, i % 7, 1000 + i);
    }
    ck_assert_int_eq(fclose(f), 0);
}

void server_start_ready(struct server *s, const char *const *args, const char *const *env)
{
    if (server_start(s, args, env, NULL) == 0 && server_wait_ready(s, 30000) == 0)
        return;
    char *log = server_log(s);
    fprintf(stderr, "cannot start recprepd:\n%s\n", log);
    free(log);
    server_stop(s, 5000);
    server_cleanup(s);
    exit(1);
}

void server_finish(struct server *s)
{
    server_stop(s, 30000);
    server_cleanup(s);
}
