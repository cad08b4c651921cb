/*
 * server/range.c - the Range and If-Range request headers.
 *
 * What: parse one byte range of the body being served (the encoding being
 * served, once there is more than one) and answer 416 for one that starts
 * past the end. Why only one: the clients that resume downloads (curl -C -,
 * wget -c, Python's requests with a Range header) ask for one range;
 * multipart/byteranges would add a second body format to test for no user.
 * Invariants: a PART range is never empty and ends within the body.
 * Complexity: O(header length).
 * Rejected: letting a malformed Range fail with 400 - RFC 9110 says a server
 * ignores a Range it cannot parse, and the whole body is always correct.
 */
#include "range.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>

#include "reply.h"

/* Decimal digits at *p into *out (no overflow); advances *p. 0 or -1. */
static int read_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

/* "-n": the last n bytes. */
static enum srv_range_kind suffix_range(const char *p, uint64_t size, struct srv_range *r)
{
    uint64_t n;
    if (read_u64(&p, &n) != 0 || *p != '\0')
        return SRV_RANGE_ALL;
    if (n == 0 || size == 0)
        return SRV_RANGE_UNSATISFIABLE;
    if (n > size)
        n = size;
    *r = (struct srv_range){size - n, n};
    return SRV_RANGE_PART;
}

enum srv_range_kind srv_range_parse(const char *value, uint64_t size, struct srv_range *r)
{
    static const char unit[] = "bytes=";
    *r = (struct srv_range){0, size};
    if (value == NULL || strncmp(value, unit, sizeof unit - 1) != 0)
        return SRV_RANGE_ALL;
    const char *p = value + sizeof unit - 1;
    if (strchr(p, ',') != NULL) /* several ranges: the whole body */
        return SRV_RANGE_ALL;
    if (*p == '-')
        return suffix_range(p + 1, size, r);
    uint64_t first, last = UINT64_MAX;
    if (read_u64(&p, &first) != 0 || *p++ != '-')
        return SRV_RANGE_ALL;
    if (*p != '\0' && (read_u64(&p, &last) != 0 || last < first))
        return SRV_RANGE_ALL;
    if (*p != '\0')
        return SRV_RANGE_ALL;
    if (first >= size)
        return SRV_RANGE_UNSATISFIABLE;
    if (last >= size)
        last = size - 1;
    *r = (struct srv_range){first, last - first + 1};
    return SRV_RANGE_PART;
}

enum srv_range_kind srv_request_range(struct srv_req *rq, const char *etag, uint64_t size,
                                      struct srv_range *r)
{
    const char *range =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
    const char *if_range =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_RANGE);
    if (if_range != NULL && strcmp(if_range, etag) != 0) { /* strong comparison */
        *r = (struct srv_range){0, size};
        return SRV_RANGE_ALL;
    }
    return srv_range_parse(range, size, r);
}

void srv_content_range(char *buf, enum srv_range_kind kind, const struct srv_range *r,
                       uint64_t size)
{
    if (kind == SRV_RANGE_PART)
        snprintf(buf, SRV_CONTENT_RANGE_LEN, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r->start,
                 r->start + r->len - 1, size);
    else
        snprintf(buf, SRV_CONTENT_RANGE_LEN, "bytes */%" PRIu64, size);
}

int srv_reply_unsatisfiable(struct srv_req *rq, uint64_t size)
{
    char cr[SRV_CONTENT_RANGE_LEN];
    srv_content_range(cr, SRV_RANGE_UNSATISFIABLE, NULL, size);
    return srv_reply_error_header(
        rq, MHD_HTTP_RANGE_NOT_SATISFIABLE, "range_not_satisfiable", MHD_HTTP_HEADER_CONTENT_RANGE,
        cr, "the range starts past the end of the %" PRIu64 "-byte body", size);
}
