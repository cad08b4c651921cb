/*
 * tests/json_ref.h - a local JSON reference ("#/components/schemas/X") into
 * an OpenAPI document, for the suites that check documents and responses
 * against it (jansson).
 */
#ifndef RECPREP_JSON_REF_H
#define RECPREP_JSON_REF_H

#include <jansson.h>
#include <string.h>

/* The node ref names in doc; NULL when ref is not local or does not resolve. */
static inline json_t *json_ref_resolve(json_t *doc, const char *ref)
{
    if (ref == NULL || strncmp(ref, "#/", 2) != 0)
        return NULL;
    json_t *node = doc;
    for (const char *seg = ref + 2; node != NULL && *seg;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        char key[128];
        if (len >= sizeof key)
            return NULL;
        memcpy(key, seg, len);
        key[len] = '\0';
        node = json_object_get(node, key);
        seg = end ? end + 1 : seg + len;
    }
    return node;
}

#endif
