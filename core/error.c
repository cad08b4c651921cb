/*
 * core/error.c - the fixed-size error record.
 *
 * First error wins: once message[0] is set, later rp_error_set calls are
 * ignored, so the precise report of a low-level parser survives callers that
 * add their own, vaguer error on the way up. Nothing here allocates, so it is
 * safe to use on the out-of-memory path.
 */
#include "recprep/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rp_error_clear(rp_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Format the message into err (which has no error yet); never empty. */
__attribute__((format(printf, 2, 0))) static void set_message(rp_error *err, const char *fmt,
                                                              va_list ap)
{
    /* Truncation is acceptable here: the message is a human-readable line. */
    (void)vsnprintf(err->message, sizeof err->message, fmt, ap);
    if (!err->message[0])
        copy_text(err->message, sizeof err->message, "unknown error");
}

void rp_error_set(rp_error *err, const char *file, size_t line, size_t column, const char *fmt, ...)
{
    if (!err || err->message[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    set_message(err, fmt, ap);
    va_end(ap);
    copy_text(err->file, sizeof err->file, file ? file : "");
    err->line = line;
    err->column = column;
}

void rp_error_param(rp_error *err, const char *param, const char *fmt, ...)
{
    if (!err || err->message[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    set_message(err, fmt, ap);
    va_end(ap);
    copy_text(err->param, sizeof err->param, param ? param : "");
    err->file[0] = '\0';
    err->line = err->column = 0;
}

const char *rp_error_line(const rp_error *err, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return "";
    const char *msg = err && err->message[0] ? err->message : "unknown error";
    if (!err || !err->file[0])
        (void)snprintf(buf, cap, "%s", msg);
    else if (err->line && err->column)
        (void)snprintf(buf, cap, "%s:%zu:%zu: %s", err->file, err->line, err->column, msg);
    else if (err->line)
        (void)snprintf(buf, cap, "%s:%zu: %s", err->file, err->line, msg);
    else
        (void)snprintf(buf, cap, "%s: %s", err->file, msg);
    return buf;
}

const char *rp_status_str(rp_status st)
{
    switch (st) {
    case RP_OK:
        return "ok";
    case RP_ERR_NOMEM:
        return "out of memory";
    case RP_ERR_IO:
        return "input/output error";
    case RP_ERR_PARSE:
        return "malformed input";
    case RP_ERR_FORMAT:
        return "unknown or undetectable format";
    case RP_ERR_PARAM:
        return "invalid parameter";
    case RP_ERR_LIMIT:
        return "limit exceeded";
    case RP_ERR_NOT_FOUND:
        return "not found";
    case RP_ERR_INTERNAL:
        return "internal error";
    case RP_ERR_PARAM_UNKNOWN:
        return "unknown parameter";
    }
    return "unknown status";
}
