/*
 * server/access.h - who may call: the bearer token of --token-file and the
 * browser origins of --cors-origin.
 */
#ifndef SRV_ACCESS_H
#define SRV_ACCESS_H

#include <stddef.h>

#include "config.h"

/* Read the token from path: the file's content without trailing whitespace;
 * it must be 1..4096 printable non-space bytes. On success *token is
 * malloc'd and 0 is returned; on failure -1 with msg set. */
int srv_token_load(const char *path, char **token, size_t *len, char *msg, size_t cap);

/* 1 if header (the Authorization value, may be NULL) is "Bearer <token>"
 * (scheme case-insensitive). The token is compared in constant time with
 * respect to its content. */
int srv_token_check(const char *header, const char *token, size_t len);

/* Constant-time equality of a[0..alen) and b[0..blen) (time depends on blen
 * only). Exposed for tests. */
int srv_const_eq(const char *a, size_t alen, const char *b, size_t blen);

/* The Access-Control-Allow-Origin value for a request with this Origin
 * header (may be NULL), or NULL when CORS does not apply: "*" when the
 * configuration allows any origin, else the origin itself if listed. */
const char *srv_cors_origin(const struct srv_config *cfg, const char *origin);

#endif
