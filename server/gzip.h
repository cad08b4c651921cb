/*
 * server/gzip.h - the gzip content coding: compressing a body once, and
 * reading Accept-Encoding.
 */
#ifndef SRV_GZIP_H
#define SRV_GZIP_H

#include <stddef.h>

#include "recprep/error.h"

/* Bodies shorter than this are always sent as they are: the gzip header
 * and a round trip through inflate cost more than they save. */
#define SRV_GZIP_MIN 1024

/* zlib level, chosen by measurement on train.txt of the 2M log (README,
 * "Compression"): level 4 is 3.7x faster than 6 for 6% more bytes. */
#define SRV_GZIP_LEVEL 4

/* data[0..len) gzip-compressed into a new malloc'd buffer *out of *out_len
 * bytes. RP_OK, RP_ERR_NOMEM, or RP_ERR_INTERNAL (zlib refused).
 * Thread-safe. */
rp_status srv_gzip(const char *data, size_t len, char **out, size_t *out_len);

/* Does an Accept-Encoding value (may be NULL) accept gzip? "gzip",
 * "x-gzip" or "*" with a q-value above 0 does; "gzip;q=0" refuses it even
 * when "*" is listed. Pure. */
int srv_accepts_gzip(const char *value);

#endif
