/*
 * server/log.h - operator messages as JSON log lines on stderr.
 *
 * recprepd's stderr is a JSON-lines log (one object per line: access-log
 * lines, "listening", "dataset_loaded", ...). Messages about the service
 * itself - start-up errors, warnings, a dataset that failed to load - are
 * lines of the same log: {"level":..., "event":..., "message":..., extra
 * fields}. When stderr is a terminal, an error or warning is also said once
 * more as a plain line ("recprepd: MESSAGE") for the person watching.
 *
 * Batching: once srv_log_start has run (recprepd does at start-up), lines
 * are queued in memory and written by one writer thread, in order, several
 * per write(2): a busy server writes a line per request, and a write(2) per
 * line was a tenth of its CPU time at 60k requests/s. A line reaches stderr
 * within SRV_LOG_BATCH_MS (errors and warnings at once); srv_log_stop, also
 * run at exit, writes what is queued. A writer that cannot keep up (stderr a
 * full pipe) makes the callers wait, as a blocking write(2) did: lines are
 * never dropped. Before srv_log_start (and in the CLI) each line is one
 * write(2).
 *
 * Thread-safety: callable from any thread; lines never interleave.
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include <stddef.h>

enum srv_log_level { SRV_LOG_INFO, SRV_LOG_WARNING, SRV_LOG_ERROR };

/* A string field of a log line: {name, value}; a list ends with {NULL, NULL}. */
struct srv_log_field {
    const char *name, *value;
};

/* Write one line {"level", "event", "message", fields...}; message is
 * printf-formatted. fields may be NULL. */
void srv_log(enum srv_log_level level, const char *event, const struct srv_log_field *fields,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Start the writer thread; -1 if it cannot start (lines are then written
 * directly, as before). */
int srv_log_start(void);
/* Write what is queued and stop the writer; later lines are written directly. */
void srv_log_stop(void);
/* Append whole lines s[0..n) to the log. */
void srv_log_write(const char *s, size_t n);

/* The longest a queued line waits for its write(2). */
#define SRV_LOG_BATCH_MS 5

#endif
