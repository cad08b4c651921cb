/*
 * server/range.h - byte ranges of a response body (RFC 9110 section 14).
 *
 * One range per request: "bytes=a-b", "bytes=a-" and "bytes=-n" are served
 * as 206; a list of ranges, another unit or a malformed header is ignored
 * (the whole body, 200), as the RFC allows; a range that starts past the
 * end is 416. If-Range must name the representation's strong ETag for the
 * range to apply (we send no Last-Modified, so a date never matches).
 */
#ifndef SRV_RANGE_H
#define SRV_RANGE_H

#include <stdint.h>

#include "app.h"

enum srv_range_kind {
    SRV_RANGE_ALL = 0,      /* no usable Range: 200 with the whole body */
    SRV_RANGE_PART,         /* 206 with [start, start + len) */
    SRV_RANGE_UNSATISFIABLE /* 416 */
};

struct srv_range {
    uint64_t start, len;
};

/* The range that value (a Range header, may be NULL) asks of a body of size
 * bytes. Fills *r for SRV_RANGE_PART (and {0, size} otherwise). Pure. */
enum srv_range_kind srv_range_parse(const char *value, uint64_t size, struct srv_range *r);

/* The range the request asks of the body with etag and size: Range and
 * If-Range. Thread-safe for distinct requests. */
enum srv_range_kind srv_request_range(struct srv_req *rq, const char *etag, uint64_t size,
                                      struct srv_range *r);

/* The Content-Range value: "bytes a-b/size" for a PART range, else the
 * 416 form with an asterisk in place of a-b. Into buf[SRV_CONTENT_RANGE_LEN]. */
#define SRV_CONTENT_RANGE_LEN 64
void srv_content_range(char *buf, enum srv_range_kind kind, const struct srv_range *r,
                       uint64_t size);

/* Queue the 416 (contract's error body) with its Content-Range. */
int srv_reply_unsatisfiable(struct srv_req *rq, uint64_t size);

#endif
