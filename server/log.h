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
 * Thread-safety: each line is written with one write(2); callable from any
 * thread.
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

enum srv_log_level { SRV_LOG_INFO, SRV_LOG_WARNING, SRV_LOG_ERROR };

/* A string field of a log line: {name, value}; a list ends with {NULL, NULL}. */
struct srv_log_field {
    const char *name, *value;
};

/* Write one line {"level", "event", "message", fields...}; message is
 * printf-formatted. fields may be NULL. */
void srv_log(enum srv_log_level level, const char *event, const struct srv_log_field *fields,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
