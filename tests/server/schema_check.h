/*
 * tests/server/schema_check.h - validate a JSON value against an OpenAPI 3.0
 * Schema Object (the subset deploy/openapi.yaml uses).
 *
 * Keywords: $ref (local "#/..."), type, nullable, enum, properties,
 * required, additionalProperties (false, true or a schema), items, minItems,
 * maxItems, minimum, maximum (with 3.0's boolean exclusiveMinimum and
 * exclusiveMaximum), oneOf, anyOf, allOf. Others (pattern, format,
 * description, example, default) do not constrain here. A schema naming a
 * keyword it does not know is not an error: the document linter checks the
 * document; this checks responses.
 */
#ifndef SCHEMA_CHECK_H
#define SCHEMA_CHECK_H

#include <stddef.h>

#include <jansson.h>

/* 0 when value satisfies schema (resolved against doc for $ref), else -1
 * with msg saying where ("$.datasets[0].status") and what is wrong. */
int schema_check(json_t *doc, json_t *schema, json_t *value, char *msg, size_t cap);

/* The schema of the application/json body of `method path` answering
 * status in doc (response $ref followed), or NULL when not described. */
json_t *schema_for_response(json_t *doc, const char *path, const char *method, long status);

#endif
