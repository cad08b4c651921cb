/*
 * recprep/error.h - status codes and the parse-error record of the core.
 *
 * Every core call returns an rp_status (RP_OK == 0). Calls that read data or
 * parameters also fill an optional caller-owned rp_error. Like jansson's
 * json_error_t it is fixed-size and never allocates, and the first error wins:
 * rp_error_set() does nothing once message[0] != '\0', so a low-level parser
 * can report precisely and callers higher up cannot overwrite it.
 */
#ifndef RECPREP_ERROR_H
#define RECPREP_ERROR_H

#include <stddef.h>

typedef enum rp_status {
    RP_OK = 0,
    RP_ERR_NOMEM,        /* allocation failed */
    RP_ERR_IO,           /* open/read/write failed (errno-ish, message says which) */
    RP_ERR_PARSE,        /* malformed input data: file and line are set */
    RP_ERR_FORMAT,       /* unknown format name, or format could not be detected */
    RP_ERR_PARAM,        /* invalid parameter: rp_error.param names it */
    RP_ERR_LIMIT,        /* input exceeds a hard limit (rows, line length, IDs) */
    RP_ERR_NOT_FOUND,    /* unknown file name for a result, etc. */
    RP_ERR_INTERNAL,     /* a bug: an invariant did not hold */
    RP_ERR_PARAM_UNKNOWN /* a parameter the recipe does not take: rp_error.param */
} rp_status;

#define RP_ERROR_TEXT_LEN 160
#define RP_ERROR_FILE_LEN 256
#define RP_ERROR_PARAM_LEN 32

typedef struct rp_error {
    char message[RP_ERROR_TEXT_LEN]; /* what is wrong, without file/line prefix */
    char file[RP_ERROR_FILE_LEN];    /* data file, "" when not about a file */
    char param[RP_ERROR_PARAM_LEN];  /* parameter name for RP_ERR_PARAM, else "" */
    size_t line;                     /* 1-based line in file, 0 when unknown */
    size_t column;                   /* 1-based column, 0 when unknown */
} rp_error;

/* Reset err to "no error". err may be NULL. Thread-safe (touches only err). */
void rp_error_clear(rp_error *err);

/* Record an error unless one is already recorded (first error wins). err may
 * be NULL. file may be NULL. Truncates long texts. Thread-safe. */
void rp_error_set(rp_error *err, const char *file, size_t line, size_t column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Like rp_error_set for a bad parameter: fills param and message. */
void rp_error_param(rp_error *err, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Format err as one line into buf: "FILE:LINE: MESSAGE" (or just MESSAGE when
 * no file). Returns buf. Never fails; truncates to cap. */
const char *rp_error_line(const rp_error *err, char *buf, size_t cap);

/* Static English name of a status ("out of memory", ...). Never NULL. */
const char *rp_status_str(rp_status st);

#endif
