/*
 * tests/server/schema_check.c - OpenAPI 3.0 schema validation for the
 * end-to-end tests (see schema_check.h for the keywords).
 *
 * What: a recursive walk of schema and value together; the first violation
 * is reported with its JSON path. The document is the one recprepd serves
 * (/openapi.json), so responses are checked against what clients download.
 * Invariants: a $ref is followed at most 32 deep (the document has no
 * cycles; a cycle fails instead of recursing forever).
 * Complexity: O(size of the value x depth of oneOf nesting).
 * Rejected: a JSON Schema library - Debian has none for C, and OpenAPI 3.0's
 * dialect (nullable, boolean exclusiveMinimum) differs from the drafts such
 * libraries implement.
 */
#include "schema_check.h"

#include "../json_ref.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct walk {
    json_t *doc;
    char path[512];
    char *msg;
    size_t cap;
    int depth;
};

__attribute__((format(printf, 2, 3))) static int bad(struct walk *w, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(w->msg, w->cap, "%s: %s", w->path, what);
    return -1;
}

static int check(struct walk *w, json_t *schema, json_t *v);

static int type_ok(const char *type, json_t *v)
{
    if (strcmp(type, "object") == 0)
        return json_is_object(v);
    if (strcmp(type, "array") == 0)
        return json_is_array(v);
    if (strcmp(type, "string") == 0)
        return json_is_string(v);
    if (strcmp(type, "integer") == 0)
        return json_is_integer(v);
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v);
    return 0;
}

/* Run check() one level down, the path extended by fmt (".key", "[3]"). */
__attribute__((format(printf, 4, 5))) static int descend(struct walk *w, json_t *schema, json_t *v,
                                                         const char *fmt, ...)
{
    size_t len = strlen(w->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->path + len, sizeof w->path - len, fmt, ap);
    va_end(ap);
    int rc = check(w, schema, v);
    w->path[len] = '\0';
    return rc;
}

static int check_object(struct walk *w, json_t *schema, json_t *v)
{
    json_t *props = json_object_get(schema, "properties");
    json_t *extra = json_object_get(schema, "additionalProperties");
    size_t i;
    json_t *req;
    json_array_foreach(json_object_get(schema, "required"), i, req)
    {
        if (json_object_get(v, json_string_value(req)) == NULL)
            return bad(w, "required property \"%s\" missing", json_string_value(req));
    }
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        json_t *ps = json_object_get(props, key);
        if (ps != NULL) {
            if (descend(w, ps, val, ".%s", key) != 0)
                return -1;
        } else if (json_is_false(extra)) {
            return bad(w, "property \"%s\" is not in the closed schema", key);
        } else if (json_is_object(extra) && descend(w, extra, val, ".%s", key) != 0) {
            return -1;
        }
    }
    return 0;
}

static int check_array(struct walk *w, json_t *schema, json_t *v)
{
    json_t *min = json_object_get(schema, "minItems"), *max = json_object_get(schema, "maxItems");
    if (min != NULL && json_array_size(v) < (size_t)json_integer_value(min))
        return bad(w, "%zu items, fewer than minItems", json_array_size(v));
    if (max != NULL && json_array_size(v) > (size_t)json_integer_value(max))
        return bad(w, "%zu items, more than maxItems", json_array_size(v));
    json_t *items = json_object_get(schema, "items"), *item;
    size_t i;
    json_array_foreach(v, i, item)
    {
        if (items != NULL && descend(w, items, item, "[%zu]", i) != 0)
            return -1;
    }
    return 0;
}

static int check_number(struct walk *w, json_t *schema, json_t *v)
{
    double x = json_number_value(v);
    json_t *min = json_object_get(schema, "minimum"), *max = json_object_get(schema, "maximum");
    int xmin = json_is_true(json_object_get(schema, "exclusiveMinimum"));
    int xmax = json_is_true(json_object_get(schema, "exclusiveMaximum"));
    if (min != NULL && (xmin ? x <= json_number_value(min) : x < json_number_value(min)))
        return bad(w, "%g below the minimum %g", x, json_number_value(min));
    if (max != NULL && (xmax ? x >= json_number_value(max) : x > json_number_value(max)))
        return bad(w, "%g above the maximum %g", x, json_number_value(max));
    return 0;
}

static int check_enum(struct walk *w, json_t *list, json_t *v)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (json_equal(e, v))
            return 0;
    }
    char *text = json_dumps(v, JSON_ENCODE_ANY);
    int rc = bad(w, "%s is not in the enum", text ? text : "?");
    free(text);
    return rc;
}

/* oneOf: exactly one; anyOf: at least one; allOf: every one. */
static int check_combined(struct walk *w, json_t *schema, json_t *v)
{
    static const char *const kinds[] = {"oneOf", "anyOf", "allOf"};
    for (size_t k = 0; k < 3; k++) {
        json_t *list = json_object_get(schema, kinds[k]), *sub;
        if (list == NULL)
            continue;
        size_t i, passed = 0;
        json_array_foreach(list, i, sub)
        {
            passed += check(w, sub, v) == 0;
        }
        size_t n = json_array_size(list);
        if ((k == 0 && passed != 1) || (k == 1 && passed == 0) || (k == 2 && passed != n))
            return bad(w, "%s: %zu of %zu alternatives match", kinds[k], passed, n);
    }
    return 0;
}

static int check(struct walk *w, json_t *schema, json_t *v)
{
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    if (ref != NULL) {
        json_t *target = json_ref_resolve(w->doc, ref);
        if (target == NULL || w->depth >= 32)
            return bad(w, "unresolved or cyclic $ref %s", ref);
        w->depth++;
        int rc = check(w, target, v);
        w->depth--;
        return rc;
    }
    if (json_is_null(v) && json_object_get(schema, "type") != NULL)
        return json_is_true(json_object_get(schema, "nullable"))
                   ? 0
                   : bad(w, "null, and the schema is not nullable");
    if (json_is_null(v)) /* no type: only the combinators can refuse it */
        return check_combined(w, schema, v);
    const char *type = json_string_value(json_object_get(schema, "type"));
    if (type != NULL && !type_ok(type, v))
        return bad(w, "not of type %s", type);
    json_t *e = json_object_get(schema, "enum");
    if (e != NULL && check_enum(w, e, v) != 0)
        return -1;
    if (check_combined(w, schema, v) != 0)
        return -1;
    if (json_is_object(v))
        return check_object(w, schema, v);
    if (json_is_array(v))
        return check_array(w, schema, v);
    if (json_is_number(v))
        return check_number(w, schema, v);
    return 0;
}

int schema_check(json_t *doc, json_t *schema, json_t *value, char *msg, size_t cap)
{
    struct walk w = {.doc = doc, .path = "$", .msg = msg, .cap = cap};
    if (schema == NULL) {
        snprintf(msg, cap, "no schema");
        return -1;
    }
    return check(&w, schema, value);
}

json_t *schema_for_response(json_t *doc, const char *path, const char *method, long status)
{
    char code[16];
    snprintf(code, sizeof code, "%ld", status);
    json_t *op = json_object_get(json_object_get(json_object_get(doc, "paths"), path), method);
    json_t *resp = json_object_get(json_object_get(op, "responses"), code);
    const char *ref = json_string_value(json_object_get(resp, "$ref"));
    if (ref != NULL)
        resp = json_ref_resolve(doc, ref);
    return json_object_get(json_object_get(json_object_get(resp, "content"), "application/json"),
                           "schema");
}
