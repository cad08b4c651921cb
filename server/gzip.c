/*
 * server/gzip.c - gzip for cached bodies, and the Accept-Encoding header.
 *
 * What: one deflate pass (zlib, gzip wrapper) over a whole body into a
 * buffer sized by deflateBound, so it never grows. The cache calls it once
 * per result and keeps the bytes (cache.c); requests never compress.
 * Complexity: O(len); level SRV_GZIP_LEVEL compresses train.txt of the 2M
 * log at ~100 MB/s on one core.
 * Rejected: compressing while streaming (per request, and no Content-Length
 * nor ranges); brotli - libbrotli is packaged, but every HTTP client that
 * trains models (curl, requests, aiohttp) speaks gzip and only browsers
 * speak br, for ~10% fewer bytes.
 */
#include "gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

rp_status srv_gzip(const char *data, size_t len, char **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (len > UINT32_MAX / 2) /* deflate's counters are uInt */
        return RP_ERR_LIMIT;
    if (deflateInit2(&z, SRV_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return RP_ERR_NOMEM;
    uLong cap = deflateBound(&z, (uLong)len);
    char *buf = malloc(cap);
    if (buf == NULL) {
        deflateEnd(&z);
        return RP_ERR_NOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)buf;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t n = (size_t)z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        return RP_ERR_INTERNAL;
    }
    char *shrunk = realloc(buf, n ? n : 1);
    *out = shrunk ? shrunk : buf;
    *out_len = n;
    return RP_OK;
}

/* Is the q-value in the parameters p[0..n) (";q=0.5") above zero? Yes
 * when there is none. */
static int q_positive(const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        p += strspn(p, "; \t");
        if (p + 1 < end && (*p == 'q' || *p == 'Q') && p[1] == '=') {
            const char *d = p + 2;
            while (d < end && (*d == '0' || *d == '.'))
                d++;
            return d < end && *d >= '1' && *d <= '9';
        }
        p += strcspn(p, ";,");
    }
    return 1;
}

int srv_accepts_gzip(const char *value)
{
    int gzip = -1, star = 0;
    while (value != NULL && *value != '\0') {
        value += strspn(value, " \t,");
        size_t n = strcspn(value, ","), t = strcspn(value, ";, \t");
        int q = q_positive(value + t, n - t);
        if ((t == 4 && strncasecmp(value, "gzip", 4) == 0) ||
            (t == 6 && strncasecmp(value, "x-gzip", 6) == 0))
            gzip = q;
        else if (t == 1 && value[0] == '*')
            star = q;
        value += n;
    }
    return gzip >= 0 ? gzip : star;
}
