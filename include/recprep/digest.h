/*
 * recprep/digest.h - the SHA-256 of an input file, for provenance.
 *
 * A summary names the exact bytes it was computed from: the input file's
 * size and SHA-256 (nettle's, the implementation GnuTLS - and so
 * libmicrohttpd - already brings in). Reading a multi-gigabyte file takes
 * seconds, so the server calls this off the request path, after the dataset
 * is loaded. Thread-safe: shares nothing.
 */
#ifndef RECPREP_DIGEST_H
#define RECPREP_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "recprep/error.h"

#define RP_SHA256_HEX 65 /* 64 hex digits and a NUL */

/* SHA-256 of the file at path as lowercase hex into hex, its size into
 * *bytes. RP_ERR_IO with err naming the path on failure. */
rp_status rp_sha256_file(const char *path, char hex[RP_SHA256_HEX], uint64_t *bytes, rp_error *err);

/* The same over a buffer. */
void rp_sha256_buffer(const void *data, size_t len, char hex[RP_SHA256_HEX]);

#endif
