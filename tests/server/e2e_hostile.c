/*
 * tests/server/e2e_hostile.c - recprepd against hostile clients (issue 11):
 * any number of query parameters, a raw NUL in the request line, a slow
 * download cut by the end of the drain, a group-readable token file, and a
 * slowloris from one address, a daemon out of file descriptors. Raw
 * sockets, because libcurl will not send these requests.
 */
#define _GNU_SOURCE 1 /* prlimit(2): lower the running daemon's descriptor limit */
#include "e2e_cases.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "e2e_util.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A TCP connection to s from source address `from` ("127.0.0.1" or
 * another loopback address); rcvbuf > 0 shrinks the receive buffer. */
static int connect_from(const struct server *s, const char *from, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
    inet_pton(AF_INET, from, &src.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    dst.sin_port = htons((uint16_t)s->port);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
        connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read until the peer closes, timeout_ms passes or cap bytes arrived. */
static size_t read_some(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    long end = now_ms() + timeout_ms;
    while (n + 1 < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        long left = end - now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

/* Send raw bytes as one request; the whole reply (Connection: close). */
static char *raw_request(const struct server *s, const char *req, size_t len, long *ms)
{
    int fd = connect_from(s, "127.0.0.1", 0);
    ck_assert_int_ge(fd, 0);
    long t0 = now_ms();
    ck_assert_int_eq(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
    char *buf = malloc(65536);
    read_some(fd, buf, 65536, 10000);
    *ms = now_ms() - t0;
    close(fd);
    return buf;
}

/* Expect a prompt JSON error reply with this status and code. */
static void expect_raw_error(const struct server *s, const char *req, size_t len, int status,
                             const char *code)
{
    long ms;
    char *reply = raw_request(s, req, len, &ms);
    char want[64];
    snprintf(want, sizeof want, "HTTP/1.1 %d ", status);
    ck_assert_msg(strncmp(reply, want, strlen(want)) == 0, "reply after %ld ms: '%.80s'", ms,
                  reply);
    ck_assert_msg(ms < 2000, "reply took %ld ms", ms);
    char pattern[96];
    snprintf(pattern, sizeof pattern, "\"code\":\"%s\"", code);
    ck_assert_msg(strstr(reply, pattern) != NULL, "no %s in '%s'", pattern, reply);
    free(reply);
}

static struct server hsrv;

static void hostile_start(void)
{
    char ds[600];
    data_dataset("small", "small.csv", ds, sizeof ds);
    const char *args[] = {"--dataset", ds, NULL};
    server_start_ready(&hsrv, args, NULL);
}

static void hostile_stop(void)
{
    server_finish(&hsrv);
}

/* "GET <path>?a&a&...(n)<tail> HTTP/1.1" with Connection: close. */
static char *many_args_request(const char *path, size_t n, const char *tail, size_t *len)
{
    size_t cap = strlen(path) + 2 * n + 256;
    char *req = malloc(cap);
    size_t k = (size_t)snprintf(req, cap, "GET %s?", path);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(req + k, cap - k, "%sa", i ? "&" : "");
    k += (size_t)snprintf(req + k, cap - k, "%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                          tail);
    *len = k;
    return req;
}

START_TEST(any_number_of_parameters)
{
    /* Past ~250 arguments libmicrohttpd's pool used to run out: no reply
     * for 30 s. Every count must get a prompt 400 too_many_parameters. */
    static const size_t counts[] = {17, 250, 300, 1000, 5000};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        size_t len;
        char *req = many_args_request("/v1/datasets/small/kcore", counts[i], "", &len);
        expect_raw_error(&hsrv, req, len, 400, "too_many_parameters");
        free(req);
    }
    struct resp r; /* and through an ordinary client, as in the issue */
    size_t len;
    char *req = many_args_request("/v1/datasets/small/kcore", 300, "", &len);
    char *path = strchr(req, ' ') + 1;
    *strchr(path, ' ') = '\0';
    ck_assert_int_eq(http(&hsrv, "GET", path, NULL, &r), 0);
    ck_assert_int_eq(r.status, 400);
    resp_free(&r);
    free(req);
    ck_assert_int_eq(http(&hsrv, "GET", "/v1/datasets/small/kcore?k=3", NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
}
END_TEST

START_TEST(raw_nul_in_request_line)
{
    static const char nul[] = "GET /v1/datasets/small\0x HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n";
    expect_raw_error(&hsrv, nul, sizeof nul - 1, 400, "bad_request");
    static const char nul_query[] = "GET /v1/datasets/small/kcore?k=3\0junk HTTP/1.1\r\n"
                                    "Host: x\r\nConnection: close\r\n\r\n";
    expect_raw_error(&hsrv, nul_query, sizeof nul_query - 1, 400, "bad_request");
    static const char fake[] = "GET /healthz\0HTTP/1.1 HTTP/1.1\r\nHost: x\r\n" /* a fake version */
                               "Connection: close\r\n\r\n";
    expect_raw_error(&hsrv, fake, sizeof fake - 1, 400, "bad_request");
    size_t len; /* a NUL hiding thousands of arguments from a C-string view */
    char *req = many_args_request("/healthz", 3000, "", &len);
    memmove(req + 13, req + 12, len - 12);
    req[12] = '\0';
    expect_raw_error(&hsrv, req, len + 1, 400, "bad_request");
    free(req);
}
END_TEST

/* The big-IDs log (write_big_ids_csv) at path; its "--dataset" value in ds. */
static void big_ids_dataset(char *path, size_t pcap, char *ds, size_t cap)
{
    snprintf(path, pcap, "/tmp/recprepd-big-%d.csv", (int)getpid());
    write_big_ids_csv(path);
    snprintf(ds, cap, "big=%s", path);
}

START_TEST(drain_cuts_slow_download_and_logs_it)
{
    /* SIGTERM while a client reads slowly: after --drain-seconds the daemon
     * exits 0 and the access log marks the response incomplete with the
     * bytes actually written, not the full size. */
    struct server s;
    char csv[256], ds[300];
    big_ids_dataset(csv, sizeof csv, ds, sizeof ds);
    const char *args[] = {"--dataset", ds, "--drain-seconds", "1", NULL};
    ck_assert_int_eq(server_start(&s, args, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 60000), 0);
    struct resp r; /* compute and cache first, so the download starts at once */
    ck_assert_int_eq(http(&s, "HEAD", "/v1/datasets/big/splits/full/users.tsv?k=1", NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    int fd = connect_from(&s, "127.0.0.1", 4096);
    static const char req[] = "GET /v1/datasets/big/splits/full/users.tsv?k=1 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n";
    ck_assert_int_eq(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)(sizeof req - 1));
    static char buf[65536];
    ck_assert_uint_gt(read_some(fd, buf, sizeof buf, 5000), 1000);
    ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 200"));
    long t0 = now_ms();
    ck_assert_int_eq(server_stop(&s, 20000), 0);
    ck_assert_int_lt(now_ms() - t0, 10000);
    close(fd);
    char *log = server_log(&s);
    json_t *cut = NULL;
    for (const char *p = strstr(log, "{\"time\""); p != NULL; p = strstr(p + 1, "{\"time\"")) {
        json_t *j = json_loadb(p, (size_t)(strchr(p, '\n') - p), 0, NULL);
        if (j != NULL && json_is_true(json_object_get(j, "incomplete")))
            cut = j;
        else
            json_decref(j);
    }
    ck_assert_msg(cut != NULL, "no incomplete line in: %s", log);
    json_int_t bytes = json_integer_value(json_object_get(cut, "bytes"));
    json_int_t expected = json_integer_value(json_object_get(cut, "bytes_expected"));
    ck_assert_str_eq(json_string_value(json_object_get(cut, "method")), "GET");
    ck_assert_int_gt(expected, 8 * 1024 * 1024);
    ck_assert_int_lt(bytes, expected);
    ck_assert_ptr_nonnull(strstr(log, "\"event\":\"drain_expired\""));
    json_decref(cut);
    free(log);
    unlink(csv);
    server_cleanup(&s);
}
END_TEST

START_TEST(readable_token_file_warns)
{
    static const struct {
        mode_t mode;
        const char *text; /* NULL: no warning */
    } cases[] = {{0600, NULL}, {0640, "mode 0640"}, {0644, "mode 0644"}, {0444, "mode 0444"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct server s;
        char path[64];
        snprintf(path, sizeof path, "/tmp/recprepd-token-%d-%zu", (int)getpid(), i);
        FILE *f = fopen(path, "w");
        fputs("s3cret-token-42\n", f);
        fclose(f);
        chmod(path, cases[i].mode);
        const char *args[] = {"--token-file", path, NULL};
        ck_assert_int_eq(server_start(&s, args, NULL, NULL), 0); /* a warning, not a refusal */
        ck_assert_int_eq(server_stop(&s, 30000), 0);
        char *log = server_log(&s);
        if (cases[i].text == NULL)
            ck_assert_msg(strstr(log, "warning") == NULL, "%s", log);
        else
            ck_assert_msg(strstr(log, cases[i].text) != NULL && strstr(log, path) != NULL, "%s",
                          log);
        free(log);
        unlink(path);
        server_cleanup(&s);
    }
}
END_TEST

START_TEST(slowloris_from_one_address)
{
    /* 12 connections from 127.0.0.2 dribble a request head: at most 4 are
     * kept (--max-client-connections), those are cut at the 2 s header
     * deadline although bytes keep coming, and /healthz answers from
     * 127.0.0.1 throughout. */
    struct server s;
    enum { N = 12, LIMIT = 4 };
    const char *args[] = {"--max-client-connections", "4", "--header-timeout", "2", NULL};
    ck_assert_int_eq(server_start(&s, args, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 60000), 0);
    int fd[N], open_n = 0;
    for (int i = 0; i < N; i++) {
        fd[i] = connect_from(&s, "127.0.0.2", 0);
        ck_assert_int_ge(fd[i], 0);
        send(fd[i], "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
    }
    sleep_ms(300);
    char c;
    for (int i = 0; i < N; i++) { /* refused ones are closed at once */
        struct pollfd p = {fd[i], POLLIN, 0};
        int alive = !(poll(&p, 1, 0) == 1 && recv(fd[i], &c, 1, MSG_DONTWAIT) <= 0);
        if (!alive) {
            close(fd[i]);
            fd[i] = -1;
        }
        open_n += alive;
    }
    ck_assert_int_le(open_n, LIMIT);
    ck_assert_int_ge(open_n, 1);
    long t0 = now_ms();
    int closed_at_deadline = 0;
    while (now_ms() - t0 < 4000 && closed_at_deadline < open_n) {
        struct resp r;
        ck_assert_int_eq(http(&s, "GET", "/healthz", NULL, &r), 0);
        ck_assert_int_eq(r.status, 200);
        resp_free(&r);
        closed_at_deadline = 0;
        for (int i = 0; i < N; i++) {
            if (fd[i] < 0)
                continue;
            if (send(fd[i], "X", 1, MSG_NOSIGNAL) < 0 || (recv(fd[i], &c, 1, MSG_DONTWAIT) == 0)) {
                close(fd[i]);
                fd[i] = -2;
            }
            closed_at_deadline += fd[i] == -2;
        }
        for (int i = 0; i < N; i++)
            closed_at_deadline += fd[i] == -3;
        for (int i = 0; i < N; i++)
            if (fd[i] == -2)
                fd[i] = -3;
        sleep_ms(200);
    }
    long took = now_ms() - t0;
    for (int i = 0; i < N; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    ck_assert_msg(closed_at_deadline == open_n, "%d of %d cut after %ld ms", closed_at_deadline,
                  open_n, took);
    ck_assert_int_ge(took, 1000); /* not before the deadline (2 s from connect) */
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    server_cleanup(&s);
}
END_TEST

static int open_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

START_TEST(out_of_descriptors_then_serving_again)
{
    /* The daemon's descriptor limit cut to what it holds + 2: clients past
     * that wait in the backlog (accept fails with EMFILE), the log says so
     * once, and once those clients leave, new ones are served - the
     * acceptor never gives up. */
    struct server s;
    enum { N = 8 };
    ck_assert_int_eq(server_start(&s, NULL, NULL, NULL), 0);
    ck_assert_int_eq(server_wait_ready(&s, 60000), 0);
    struct rlimit lim, old;
    lim.rlim_cur = (rlim_t)open_fds(s.pid) + 2;
    ck_assert_int_eq(prlimit(s.pid, RLIMIT_NOFILE, NULL, &old), 0);
    lim.rlim_max = old.rlim_max;
    ck_assert_int_eq(prlimit(s.pid, RLIMIT_NOFILE, &lim, NULL), 0);
    int fd[N];
    for (int i = 0; i < N; i++) {
        fd[i] = connect_from(&s, "127.0.0.1", 0);
        ck_assert_int_ge(fd[i], 0);
    }
    char *log = NULL;
    for (int waited = 0; waited < 10000; waited += 50, sleep_ms(50)) {
        free(log);
        log = server_log(&s);
        if (strstr(log, "\"event\":\"accept_failed\"") != NULL)
            break;
    }
    ck_assert_msg(strstr(log, "\"event\":\"accept_failed\"") != NULL, "%s", log);
    ck_assert_ptr_nonnull(strstr(log, "Too many open files"));
    free(log);
    for (int i = 0; i < N; i++)
        close(fd[i]);
    struct resp r = {0};
    int ok = 0;
    for (int tries = 0; tries < 100 && !ok; tries++, sleep_ms(50)) {
        ok = http(&s, "GET", "/healthz", NULL, &r) == 0 && r.status == 200;
        resp_free(&r);
    }
    ck_assert_msg(ok, "not serving again once descriptors were free");
    log = server_log(&s);
    char *first = strstr(log, "accept_failed");
    ck_assert_ptr_null(strstr(first + 1, "accept_failed")); /* said once */
    free(log);
    ck_assert_int_eq(server_stop(&s, 30000), 0);
    server_cleanup(&s);
}
END_TEST

TCase *e2e_hostile_life_tcase(void)
{
    TCase *tc = tcase_create("hostile_lifecycle");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, drain_cuts_slow_download_and_logs_it);
    tcase_add_test(tc, readable_token_file_warns);
    tcase_add_test(tc, slowloris_from_one_address);
    tcase_add_test(tc, out_of_descriptors_then_serving_again);
    return tc;
}

TCase *e2e_hostile_tcase(void)
{
    TCase *tc = tcase_create("hostile");
    tcase_add_unchecked_fixture(tc, hostile_start, hostile_stop);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, any_number_of_parameters);
    tcase_add_test(tc, raw_nul_in_request_line);
    return tc;
}
