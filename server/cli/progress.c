/*
 * server/cli/progress.c - progress lines on stderr for long `recprep` runs.
 *
 * What: a reporter thread polls the core's load counters and the command's
 * phase every 250 ms and rewrites one status line (progress.h has the
 * picture). Only this thread writes progress; the command's thread only
 * stores its phase under the lock, so the pipeline pays nothing but one
 * relaxed atomic store per 64 Ki rows (the core's own counters).
 * Invariants: at most one line per tick (4 a second); every line is written
 * with one write(2), so it never interleaves with another writer's bytes;
 * on a terminal the line is erased before the reporter stops, so an error
 * message or the shell prompt starts on a clean line.
 * Complexity: O(1) per tick.
 * Rejected: the core's on_update callback - it runs on the loading thread,
 * so a slow terminal would slow the load, and it is silent between loads
 * (computing, writing), where a thread with a clock is not.
 */
#include "progress.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 250000000L
#define TTY_COLUMNS 79 /* keep a line shorter than a terminal row, or \r cannot redraw it */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* 999, 12.3k, 1.2M, 3.4G */
static const char *human_count(uint64_t n, char *buf, size_t cap)
{
    if (n < 1000)
        snprintf(buf, cap, "%llu", (unsigned long long)n);
    else if (n < 1000000)
        snprintf(buf, cap, "%.1fk", (double)n / 1e3);
    else if (n < 1000000000)
        snprintf(buf, cap, "%.1fM", (double)n / 1e6);
    else
        snprintf(buf, cap, "%.1fG", (double)n / 1e9);
    return buf;
}

/* 512 B, 3.4 kB, 80 MB, 1.2 GB (decimal units, as `ls -h --si`) */
static const char *human_bytes(uint64_t n, char *buf, size_t cap)
{
    double v = (double)n;
    const char *unit = v < 1e3 ? "B" : v < 1e6 ? "kB" : v < 1e9 ? "MB" : "GB";
    double div = v < 1e3 ? 1 : v < 1e6 ? 1e3 : v < 1e9 ? 1e6 : 1e9;
    snprintf(buf, cap, v / div < 10 && div > 1 ? "%.1f %s" : "%.0f %s", v / div, unit);
    return buf;
}

/* The load counters as words: "loading data.csv: 1.2M rows, 45% of 80 MB". */
static void load_words(cli_progress *p, char *out, size_t cap)
{
    uint64_t rows = atomic_load_explicit(&p->load.rows, memory_order_relaxed);
    uint64_t bytes = atomic_load_explicit(&p->load.bytes, memory_order_relaxed);
    uint64_t total = atomic_load_explicit(&p->load.total_bytes, memory_order_relaxed);
    int stage = atomic_load_explicit(&p->load.stage, memory_order_acquire);
    char r[32], b[32];
    human_count(rows, r, sizeof r);
    if (stage == RP_LOAD_WAITING)
        snprintf(out, cap, "loading %s", p->label);
    else if (stage == RP_LOAD_INDEXING)
        snprintf(out, cap, "indexing %s: %s rows", p->label, r);
    else if (stage == RP_LOAD_DONE)
        snprintf(out, cap, "loaded %s: %s rows", p->label, r);
    else if (total > 0)
        snprintf(out, cap, "loading %s: %s rows, %d%% of %s", p->label, r,
                 (int)(bytes >= total ? 100 : bytes * 100 / total),
                 human_bytes(total, b, sizeof b));
    else
        snprintf(out, cap, "loading %s: %s rows, %s read", p->label, r,
                 human_bytes(bytes, b, sizeof b));
}

static void emit(cli_progress *p, const char *text)
{
    char line[512];
    int n;
    if (p->tty) { /* redraw in place; erase what a longer line left */
        n = snprintf(line, sizeof line, "\r%.*s\033[K", TTY_COLUMNS, text);
        p->drawn = 1;
    } else {
        n = snprintf(line, sizeof line, "%s\n", text);
    }
    if (n <= 0)
        return;
    ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)w; /* a lost progress line is not worth failing a run for */
}

/* One report, called with p->lock held. */
static void report(cli_progress *p)
{
    char words[256], text[300];
    if (p->phase[0])
        snprintf(words, sizeof words, "%s", p->phase);
    else
        load_words(p, words, sizeof words);
    snprintf(text, sizeof text, "%s, %.1f s", words, (double)(now_ns() - p->t0_ns) / 1e9);
    emit(p, text);
}

static void *reporter(void *arg)
{
    cli_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += TICK_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!p->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&p->wake, &p->lock, &until);
        if (!p->stop)
            report(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static int start_thread(cli_progress *p)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    int bad = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
              pthread_cond_init(&p->wake, &ca) != 0;
    pthread_condattr_destroy(&ca);
    if (bad)
        return -1;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        pthread_cond_destroy(&p->wake);
        return -1;
    }
    if (pthread_create(&p->thread, NULL, reporter, p) != 0) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
        return -1;
    }
    p->running = 1;
    return 0;
}

void cli_progress_start(cli_progress *p, cli_progress_mode mode, const char *label,
                        const char *phase)
{
    memset(p, 0, sizeof *p);
    rp_load_progress_init(&p->load);
    p->tty = isatty(STDERR_FILENO);
    int enabled = mode == CLI_PROGRESS_ON || (mode == CLI_PROGRESS_AUTO && p->tty);
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    snprintf(p->phase, sizeof p->phase, "%s", phase ? phase : "");
    p->t0_ns = now_ns();
    if (!enabled)
        return;
    if (!p->tty) /* a log gets its first line at once, a terminal only if the run lasts */
        report(p);
    (void)start_thread(p); /* without the thread nothing is reported; the run goes on */
}

void cli_progress_phase(cli_progress *p, const char *phase)
{
    if (!p->running)
        return;
    pthread_mutex_lock(&p->lock);
    snprintf(p->phase, sizeof p->phase, "%s", phase ? phase : "");
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_stop(cli_progress *p, int ok)
{
    if (!p->running)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->running = 0;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    char text[300];
    if (p->tty && p->drawn) {
        ssize_t w = write(STDERR_FILENO, "\r\033[K", 4);
        (void)w;
    } else if (!p->tty && ok) {
        char r[32];
        uint64_t rows = atomic_load_explicit(&p->load.rows, memory_order_relaxed);
        snprintf(text, sizeof text, "done: %s%s%s%s, %.1f s", p->label, rows ? ", " : "",
                 rows ? human_count(rows, r, sizeof r) : "", rows ? " rows" : "",
                 (double)(now_ns() - p->t0_ns) / 1e9);
        emit(p, text);
    }
}
