/*
 * server/log.c - operator messages as JSON log lines (see log.h).
 *
 * What: formats {"level","event","message",...} with the JSON escaping every
 * other log line uses (srv_buf_json_escape), repeats errors and warnings as a
 * plain line when stderr is a terminal, and writes every line of the log
 * (the access log's too) through one queue and writer thread once started.
 * Invariants: a line is always one valid JSON object, whatever bytes a file
 * name or message holds; a message is cut at 1 KiB. Lines reach stderr in
 * the order they were queued, whole, none dropped: a caller waits for room
 * rather than lose a line.
 * Complexity: O(line) per line; one write(2) per batch (at most every
 * SRV_LOG_BATCH_MS, sooner when half the queue is used or a line is urgent).
 * Rejected: syslog(3) - a container's log is its stderr; plain text lines
 * for errors only - a collector parsing JSON lines would drop exactly the
 * lines an operator most needs; per-thread buffers - lines of different
 * threads would leave in batch order, not time order, and an idle thread
 * would sit on its lines with nothing to flush them; stdio's buffered
 * stderr - a line could be split across two writes under load.
 */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define QUEUE_CAP (256 * 1024)

/* The writer: callers append to queue; the thread swaps queue and out and
 * writes out. idle: it waits for a first line (a caller wakes it); urgent:
 * write without waiting out the batch window. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake, room;
    pthread_t thread;
    int started, running, stopping, idle, urgent, writing;
    char *queue, *out;
    size_t len;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .room = PTHREAD_COND_INITIALIZER};

static void write_all(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* stderr gone: nothing sensible to do */
        s += w;
        n -= (size_t)w;
    }
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.mu);
    for (;;) {
        while (W.len == 0 && !W.stopping) {
            W.idle = 1;
            pthread_cond_wait(&W.wake, &W.mu);
            W.idle = 0;
        }
        if (W.len == 0)
            break;
        if (!W.urgent && !W.stopping) { /* the window: later lines share the write */
            struct timespec until = srv_deadline(CLOCK_MONOTONIC, SRV_LOG_BATCH_MS * 1000000ull);
            while (!W.urgent && !W.stopping && W.len < QUEUE_CAP / 2 &&
                   pthread_cond_timedwait(&W.wake, &W.mu, &until) == 0)
                ;
        }
        char *batch = W.queue;
        size_t n = W.len;
        W.queue = W.out;
        W.out = batch;
        W.len = 0;
        W.urgent = 0;
        W.writing = 1;
        pthread_cond_broadcast(&W.room);
        pthread_mutex_unlock(&W.mu);
        write_all(batch, n);
        pthread_mutex_lock(&W.mu);
        W.writing = 0;
        pthread_cond_broadcast(&W.room);
    }
    W.running = 0; /* from here callers write directly */
    pthread_cond_broadcast(&W.room);
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

static void put(const char *s, size_t n, int urgent)
{
    pthread_mutex_lock(&W.mu);
    if (W.running && n <= QUEUE_CAP)
        while (W.running && W.len + n > QUEUE_CAP)
            pthread_cond_wait(&W.room, &W.mu);
    if (!W.running || n > QUEUE_CAP) {
        /* directly, under the lock, once nothing queued is still unwritten */
        while (W.running && (W.len > 0 || W.writing)) {
            W.urgent = 1;
            pthread_cond_signal(&W.wake);
            pthread_cond_wait(&W.room, &W.mu);
        }
        write_all(s, n);
        pthread_mutex_unlock(&W.mu);
        return;
    }
    memcpy(W.queue + W.len, s, n);
    W.len += n;
    W.urgent |= urgent;
    if (W.idle || W.urgent || W.len >= QUEUE_CAP / 2)
        pthread_cond_signal(&W.wake);
    pthread_mutex_unlock(&W.mu);
}

void srv_log_write(const char *s, size_t n)
{
    put(s, n, 0);
}

int srv_log_start(void)
{
    pthread_condattr_t attr;
    int ok = pthread_condattr_init(&attr) == 0;
    ok = ok && pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&W.wake, &attr) == 0;
    W.queue = malloc(QUEUE_CAP);
    W.out = malloc(QUEUE_CAP);
    pthread_mutex_lock(&W.mu);
    W.running = ok && W.queue != NULL && W.out != NULL;
    W.started = W.running && pthread_create(&W.thread, NULL, writer, NULL) == 0;
    W.running = W.started;
    pthread_mutex_unlock(&W.mu);
    if (!W.started) {
        free(W.queue);
        free(W.out);
        W.queue = W.out = NULL;
        return -1;
    }
    atexit(srv_log_stop);
    return 0;
}

void srv_log_stop(void)
{
    pthread_mutex_lock(&W.mu);
    int join = W.started;
    W.started = 0;
    W.stopping = 1;
    pthread_cond_signal(&W.wake);
    pthread_mutex_unlock(&W.mu);
    if (join)
        pthread_join(W.thread, NULL);
}

static const char *const LEVELS[] = {"info", "warning", "error"};

static void put_field(struct srv_buf *b, const char *name, const char *value)
{
    srv_buf_printf(b, ",\"%s\":\"", name);
    srv_buf_json_escape(b, value, strlen(value));
    srv_buf_append(b, "\"", 1);
}

void srv_log(enum srv_log_level level, const char *event, const struct srv_log_field *fields,
             const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    struct srv_buf b = {0};
    srv_buf_printf(&b, "{\"level\":\"%s\"", LEVELS[level]);
    put_field(&b, "event", event);
    put_field(&b, "message", msg);
    for (size_t i = 0; fields != NULL && fields[i].name != NULL; i++)
        if (fields[i].value != NULL)
            put_field(&b, fields[i].name, fields[i].value);
    srv_buf_append(&b, "}\n", 2);
    if (level != SRV_LOG_INFO && isatty(STDERR_FILENO))
        srv_buf_printf(&b, "recprepd: %s%s\n", level == SRV_LOG_WARNING ? "warning: " : "", msg);
    if (!b.failed)
        put(b.data, b.len, level != SRV_LOG_INFO);
    srv_buf_cleanup(&b);
}
