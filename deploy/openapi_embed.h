/*
 * openapi_embed.h - the OpenAPI document of recprepd, embedded at build time.
 *
 * deploy/openapi.yaml is converted to compact JSON by deploy/yaml2json while
 * building (target recprep_openapi), so the document served at
 * GET /openapi.json is always the one in the repository. Read-only data;
 * thread-safe.
 */
#ifndef RECPREP_OPENAPI_EMBED_H
#define RECPREP_OPENAPI_EMBED_H

#include <stddef.h>

/* The JSON text, NUL-terminated; srv_openapi_json_len excludes the NUL. */
extern const char srv_openapi_json[];
extern const size_t srv_openapi_json_len;

#endif
