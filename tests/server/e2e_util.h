/*
 * tests/server/e2e_util.h - start the real recprepd and talk HTTP to it.
 */
#ifndef E2E_UTIL_H
#define E2E_UTIL_H

#include <stddef.h>
#include <sys/types.h>

struct server {
    pid_t pid;
    unsigned port;
    char dir[64]; /* private temp dir: port file, log */
    char log[96]; /* stderr of the server */
};

/* Start recprepd (path from $RECPREPD) with --listen 127.0.0.1:0, a port
 * file, and the NULL-terminated args; env is a NULL-terminated list of
 * "NAME=VALUE" set in the child only (may be NULL). Waits until the port is
 * known. Returns 0, or -1 if the process died first (then s->pid is reaped
 * and *status holds its exit status when status != NULL). */
int server_start(struct server *s, const char *const *args, const char *const *env, int *status);

/* Poll /readyz until 200 (returns 0) or timeout_ms passes (-1). */
int server_wait_ready(const struct server *s, int timeout_ms);

/* SIGTERM and wait: returns the exit status, or -1 if it did not exit
 * normally within timeout_ms (then it is killed). */
int server_stop(struct server *s, int timeout_ms);

/* Wait for the process to exit by itself (exit status or -1 on timeout). */
int server_wait_exit(struct server *s, int timeout_ms);

/* Remove the server's temporary directory (after it exited). */
void server_cleanup(struct server *s);

/* Start and wait until ready (30 s), or print what went wrong with the
 * server's log and exit(1): the fixtures of the suites. */
void server_start_ready(struct server *s, const char *const *args, const char *const *env);

/* Stop (30 s grace) and clean up: the fixtures' teardown. */
void server_finish(struct server *s);

/* The server's log so far, malloc'd and NUL-terminated (never NULL). */
char *server_log(const struct server *s);

struct resp {
    long status;
    char *body;
    size_t len;
    char *headers; /* raw header block, NUL-terminated */
};

/* One request. method "GET"/"HEAD"/...; hdrs NULL-terminated "Name: value"
 * list (may be NULL). Returns 0 with r filled, -1 on transport error. */
int http(const struct server *s, const char *method, const char *path, const char *const *hdrs,
         struct resp *r);

/* Value of header name in r (case-insensitive), copied into buf; NULL if
 * absent. */
const char *resp_header(const struct resp *r, const char *name, char *buf, size_t cap);

void resp_free(struct resp *r);

/* GET path with the headers (NULL: none); the transport must work (a check
 * assertion, so: from a test only). */
struct resp http_get(const struct server *s, const char *path, const char *const *hdrs);

/* The value of the series `name` (labels included) in /metrics of s: -1
 * when absent (metric_value), a failed assertion (metric_required). */
double metric_value(const struct server *s, const char *name);
double metric_required(const struct server *s, const char *name);
/* Poll until the series reaches value (30 s), or a failed assertion. */
void wait_metric(const struct server *s, const char *name, double value);

/* gunzip data[0..len) into a malloc'd buffer of cap bytes: NULL unless it
 * is one complete gzip member that fits. */
char *gunzip_body(const char *data, size_t len, size_t cap, size_t *out_len);

/* A log whose users.tsv is ~16 MB (4,000 users with 4,000-byte IDs), more
 * than loopback socket buffers hold, so a client that stops reading really
 * holds the response back. Written to path (a check assertion). */
void write_big_ids_csv(const char *path);

/* Whole file into memory (malloc'd); NULL on error. */
char *read_file(const char *path, size_t *len);

/* $RECPREP_SERVER_DATA/<rel> into buf. */
const char *data_path(const char *rel, char *buf, size_t cap);

/* A --dataset argument "NAME=$RECPREP_SERVER_DATA/<rel>" into buf. */
const char *data_dataset(const char *name, const char *rel, char *buf, size_t cap);

/* Sleep ms milliseconds. */
void sleep_ms(int ms);

#endif
