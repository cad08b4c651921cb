/*
 * server/log.c - operator messages as JSON log lines (see log.h).
 *
 * What: formats {"level","event","message",...} with the JSON escaping every
 * other log line uses (srv_buf_json_escape), writes it with one write(2), and
 * repeats errors and warnings as a plain line when stderr is a terminal.
 * Invariants: a line is always one valid JSON object, whatever bytes a file
 * name or message holds; a message is cut at 1 KiB.
 * Complexity: O(message) per line; start-up and failures only, never per
 * request.
 * Rejected: syslog(3) - a container's log is its stderr; and plain text
 * lines for errors only - a collector parsing JSON lines would drop exactly
 * the lines an operator most needs.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

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
    srv_buf_emit(&b);
    if (level != SRV_LOG_INFO && isatty(STDERR_FILENO)) {
        struct srv_buf h = {0};
        srv_buf_printf(&h, "recprepd: %s%s\n", level == SRV_LOG_WARNING ? "warning: " : "", msg);
        srv_buf_emit(&h);
    }
}
