/*
 * test_openapi - the OpenAPI document agrees with recprepd's route table.
 *
 * What: parses the embedded document (srv_openapi_json, built from
 * deploy/openapi.yaml) and checks it against server/router.h's table, both
 * ways: every (method, pattern) the server routes is an operation of the
 * document, and every operation of the document is routed. HEAD and OPTIONS
 * rows of the table are implied (HEAD by GET, OPTIONS by CORS preflight), so
 * they only need their path in the document unless the document states them.
 * Beyond the table, it checks the document is self-consistent: every $ref
 * resolves, every {param} of a path template is declared as a path parameter,
 * and the error responses the contract promises are described. Against the
 * core: the {file} enums are exactly rp_split_files, and a real summary has
 * every required key of its schema and no key the schema does not name.
 * Exactness: every object schema is closed, string status/state fields are
 * enums, and the loading-state nulls are declared nullable. (Real HTTP
 * responses in each dataset state are checked against the served document by
 * tests/server/e2e_openapi.c; the recommended lint by tests/deploy/openapi-lint.)
 *
 * Complexity: O(routes x operations), a few hundred string compares.
 * Rejected alternative: generating the route table from the document. The
 * table is code (handlers) and the document is prose for clients; keeping
 * both and testing the bijection keeps each readable where it lives.
 */
#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "openapi_embed.h"
#include "recprep/load.h"
#include "recprep/recipe.h"
#include "recprep/split.h"
#include "router.h"
#include "../check_run.h"
#include "../json_ref.h"

static const char *const OPERATIONS[] = {"get",     "put",  "post",  "delete",
                                         "options", "head", "patch", "trace"};
#define N_OPERATIONS (sizeof OPERATIONS / sizeof OPERATIONS[0])

static json_t *doc;

static void load_doc(void)
{
    json_error_t err;
    doc = json_loadb(srv_openapi_json, srv_openapi_json_len, 0, &err);
    ck_assert_msg(doc != NULL, "openapi.json line %d: %s", err.line, err.text);
}

static void free_doc(void)
{
    json_decref(doc);
    doc = NULL;
}

/* Lower-case copy of an HTTP method into buf (cap bytes). */
static const char *lower(const char *method, char *buf, size_t cap)
{
    size_t i = 0;
    for (; method[i] && i + 1 < cap; i++)
        buf[i] = (char)tolower((unsigned char)method[i]);
    buf[i] = '\0';
    return buf;
}

static int is_operation(const char *key)
{
    for (size_t i = 0; i < N_OPERATIONS; i++)
        if (strcmp(key, OPERATIONS[i]) == 0)
            return 1;
    return 0;
}

static int table_has(const char *method, const char *pattern)
{
    size_t n = 0;
    const struct srv_route *r = srv_routes(&n);
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(r[i].method, method) == 0 && strcmp(r[i].pattern, pattern) == 0)
            return 1;
    return 0;
}

/* Follow $ref once if node is a reference object. */
static json_t *deref(json_t *node)
{
    const char *ref = json_string_value(json_object_get(node, "$ref"));
    return ref ? json_ref_resolve(doc, ref) : node;
}

START_TEST(document_is_openapi_3)
{
    ck_assert_uint_eq(strlen(srv_openapi_json), srv_openapi_json_len);
    const char *version = json_string_value(json_object_get(doc, "openapi"));
    ck_assert_ptr_nonnull(version);
    ck_assert_msg(strncmp(version, "3.0.", 4) == 0, "openapi %s", version);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(doc, "info"), "title"));
    ck_assert(json_object_size(json_object_get(doc, "paths")) > 0);
}
END_TEST

START_TEST(every_route_is_documented)
{
    size_t n = 0;
    const struct srv_route *r = srv_routes(&n);
    ck_assert_uint_gt(n, 0);
    json_t *paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < n; i++) {
        char m[16];
        json_t *item = json_object_get(paths, r[i].pattern);
        ck_assert_msg(item != NULL, "route %s %s: path not in openapi.yaml", r[i].method,
                      r[i].pattern);
        lower(r[i].method, m, sizeof m);
        if (strcmp(m, "head") == 0 || strcmp(m, "options") == 0)
            continue; /* implied; the path is documented */
        ck_assert_msg(json_object_get(item, m) != NULL, "route %s %s: method not in openapi.yaml",
                      r[i].method, r[i].pattern);
    }
}
END_TEST

START_TEST(every_operation_is_routed)
{
    const char *path;
    json_t *item;
    size_t ops = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        const char *key;
        json_t *op;
        json_object_foreach(item, key, op)
        {
            if (!is_operation(key))
                continue;
            ops++;
            ck_assert_msg(table_has(key, path), "openapi.yaml %s %s: not in the route table", key,
                          path);
        }
    }
    ck_assert_uint_gt(ops, 0);
}
END_TEST

/* Recursively check every {"$ref": ...} in node resolves. */
static void check_refs(json_t *node, int *count)
{
    if (json_is_object(node)) {
        const char *key;
        json_t *v;
        json_object_foreach(node, key, v)
        {
            if (strcmp(key, "$ref") == 0) {
                ck_assert_msg(json_ref_resolve(doc, json_string_value(v)) != NULL,
                              "unresolved $ref %s", json_string_value(v));
                (*count)++;
            } else {
                check_refs(v, count);
            }
        }
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) check_refs(v, count);
    }
}

START_TEST(every_ref_resolves)
{
    int count = 0;
    check_refs(doc, &count);
    ck_assert_int_gt(count, 10);
    ck_assert_ptr_null(
        json_ref_resolve(doc, "#/components/schemas/NoSuchThing")); /* the checker can fail */
}
END_TEST

/* Is {name} declared as an "in: path" parameter of op? */
static int declares_path_param(json_t *op, const char *name, size_t len)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        json_t *param = deref(p);
        const char *pn = json_string_value(json_object_get(param, "name"));
        const char *in = json_string_value(json_object_get(param, "in"));
        if (pn && in && strcmp(in, "path") == 0 && strlen(pn) == len && strncmp(pn, name, len) == 0)
            return json_is_true(json_object_get(param, "required"));
    }
    return 0;
}

START_TEST(path_templates_are_declared)
{
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        const char *key;
        json_t *op;
        json_object_foreach(item, key, op)
        {
            if (!is_operation(key))
                continue;
            for (const char *b = strchr(path, '{'); b; b = strchr(b + 1, '{')) {
                const char *e = strchr(b, '}');
                ck_assert_ptr_nonnull(e);
                ck_assert_msg(declares_path_param(op, b + 1, (size_t)(e - b - 1)),
                              "%s %s: path parameter %.*s not declared", key, path,
                              (int)(e - b - 1), b + 1);
            }
        }
    }
}
END_TEST

/* The contract's error statuses are described, each with the error body. */
static void check_error_response(const char *path, json_t *op, const char *status)
{
    json_t *resp = deref(json_object_get(json_object_get(op, "responses"), status));
    ck_assert_msg(resp != NULL, "%s: no %s response", path, status);
    json_t *schema = json_object_get(
        json_object_get(json_object_get(resp, "content"), "application/json"), "schema");
    ck_assert_msg(schema != NULL, "%s %s: no JSON body", path, status);
    json_t *props = json_object_get(deref(schema), "properties");
    ck_assert_msg(json_object_get(props, "error") != NULL, "%s %s: not the error body", path,
                  status);
}

START_TEST(errors_are_described)
{
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        json_t *get = json_object_get(item, "get"), *post = json_object_get(item, "post");
        if (get == NULL) /* a POST-only path (the reload trigger): 202 */
            get = post;
        json_t *ok = json_object_get(get, "responses");
        ck_assert_msg(json_object_get(ok, "200") || (get == post && json_object_get(ok, "202")),
                      "%s: no success response", path);
        check_error_response(path, get, "405");
        if (strncmp(path, "/v1/", 4) != 0)
            continue;
        check_error_response(path, get, "401");
        if (strchr(path, '{')) {
            check_error_response(path, get, "404");
            check_error_response(path, get, "503");
        }
        if (strstr(path, "/kcore") || strstr(path, "/splits/"))
            check_error_response(path, get, "400");
    }
}
END_TEST

/* A small log where every user survives k = 2 (two users, two items). */
static rp_split *run_split(rp_method m)
{
    static const char csv[] = "u1,a,5,100\nu1,b,5,200\nu2,a,4,300\nu2,b,3,400\n"
                              "u1,a,5,500\nu2,b,4,600\nu1,b,2,700\nu2,a,1,800\n";
    rp_dataset *ds = NULL;
    rp_split *s = NULL;
    ck_assert_int_eq(rp_load_buffer("t.csv", csv, sizeof csv - 1, RP_FORMAT_AMAZON_CSV, &ds, NULL),
                     RP_OK);
    rp_params p = rp_params_defaults(m);
    p.user_k = p.item_k = 2;
    p.max_len = m == RP_METHOD_AZ23_LAST_OUT || m == RP_METHOD_AZ23_TIMESTAMP ? 50 : 0;
    ck_assert_int_eq(rp_params_resolve(&p, NULL), RP_OK);
    ck_assert_int_eq(rp_split_run(ds, &p, &s, NULL), RP_OK);
    rp_dataset_unref(ds);
    return s;
}

/* The enum of path parameter `name` of GET path. */
static json_t *path_enum(const char *path, const char *name)
{
    json_t *op = json_object_get(json_object_get(json_object_get(doc, "paths"), path), "get");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        json_t *param = deref(p);
        if (strcmp(json_string_value(json_object_get(param, "name")), name) == 0)
            return json_object_get(json_object_get(param, "schema"), "enum");
    }
    return NULL;
}

static int in_enum(json_t *e, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(e, i, v) if (strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

/* {recipe} lists exactly the core's recipes, {file} exactly the union of
 * their files. */
START_TEST(file_enums_match_core)
{
    const char *path = "/v1/datasets/{ds}/splits/{recipe}/{file}";
    json_t *re = path_enum(path, "recipe"), *fe = path_enum(path, "file");
    ck_assert_ptr_nonnull(re);
    ck_assert_ptr_nonnull(fe);
    size_t n, files = 0;
    const rp_recipe *r = rp_recipes(&n);
    ck_assert_uint_eq(json_array_size(re), n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(in_enum(re, r[i].name), "recipe %s not in the enum", r[i].name);
        for (size_t f = 0; f < r[i].n_files; f++) {
            ck_assert_msg(in_enum(fe, r[i].files[f]), "file %s not in the enum", r[i].files[f]);
            int first = 1; /* count each name once */
            for (size_t j = 0; j < i; j++)
                for (size_t g = 0; g < r[j].n_files; g++)
                    first &= strcmp(r[j].files[g], r[i].files[f]) != 0;
            files += (size_t)first;
        }
    }
    ck_assert_uint_eq(json_array_size(fe), files);
}
END_TEST

/* Every schema with properties is closed (additionalProperties: false, or a
 * schema for a map), and every string property named status or state is an
 * enum, so clients can generate exact types. Counts object schemas in
 * *objects; returns the violations, the first described in msg. */
struct closed_walk {
    int objects, violations;
    char msg[256];
};

static void closed_violation(struct closed_walk *w, const char *where, const char *what)
{
    if (w->violations++ == 0)
        snprintf(w->msg, sizeof w->msg, "under %s: %s", where, what);
}

static void check_closed(json_t *node, const char *where, struct closed_walk *w)
{
    size_t i;
    json_t *v;
    json_array_foreach(node, i, v) check_closed(v, where, w);
    json_t *props = json_object_get(node, "properties");
    if (json_is_object(props)) {
        w->objects++;
        if (json_object_get(node, "additionalProperties") == NULL)
            closed_violation(w, where, "an open object schema (add additionalProperties: false)");
        static const char *const names[] = {"status", "state"};
        for (size_t k = 0; k < 2; k++) {
            json_t *p = deref(json_object_get(props, names[k]));
            const char *type = json_string_value(json_object_get(p, "type"));
            if (type && strcmp(type, "string") == 0 && !json_object_get(p, "enum"))
                closed_violation(w, where, "a string status/state without an enum");
        }
    }
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    json_t *paths = json_object_get(doc, "paths");
    const char *key;
    json_object_foreach(node, key, v)
    {
        check_closed(v, node == schemas || node == paths ? key : where, w);
    }
}

START_TEST(objects_are_closed)
{
    struct closed_walk w = {0};
    check_closed(doc, "the document", &w);
    ck_assert_msg(w.violations == 0, "%d violations, first %s", w.violations, w.msg);
    ck_assert_int_gt(w.objects, 20);
    struct closed_walk bad = {0}; /* the walk can fail */
    json_t *open = json_pack("{s:{s:{s:s}}}", "properties", "status", "type", "string");
    check_closed(open, "a test schema", &bad);
    ck_assert_int_eq(bad.violations, 2);
    json_decref(open);
}
END_TEST

/* Loading-state nulls are declared: the fields null while a dataset loads
 * (/v1/datasets, /readyz) are nullable, and the status enums have every state. */
START_TEST(loading_nulls_and_states_declared)
{
    json_t *entry = json_ref_resolve(doc, "#/components/schemas/DatasetEntry/properties");
    ck_assert_ptr_nonnull(entry);
    static const char *const counts[] = {"interactions", "users", "items"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(json_is_true(json_object_get(json_object_get(entry, counts[i]), "nullable")),
                      "%s is null while loading: not declared nullable", counts[i]);
    json_t *states = json_object_get(json_object_get(entry, "status"), "enum");
    ck_assert(in_enum(states, "loading") && in_enum(states, "ready") && in_enum(states, "failed"));
    json_t *total =
        json_ref_resolve(doc, "#/components/schemas/LoadProgress/properties/total_bytes");
    ck_assert(json_is_true(json_object_get(total, "nullable")));
    json_t *ready = json_ref_resolve(doc, "#/components/schemas/Readiness/properties/status/enum");
    ck_assert(in_enum(ready, "loading") && in_enum(ready, "failed"));
}
END_TEST

/* obj has every required key of schema and only keys schema names. */
static void check_object(const char *what, json_t *obj, json_t *schema)
{
    json_t *props = json_object_get(schema, "properties");
    size_t i;
    json_t *req;
    json_array_foreach(json_object_get(schema, "required"), i, req)
    {
        const char *k = json_string_value(req);
        ck_assert_msg(json_object_get(obj, k) != NULL, "%s: required %s missing", what, k);
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!props)
            break; /* additionalProperties maps (files) */
        ck_assert_msg(json_object_get(props, key) != NULL, "%s: %s not in the schema", what, key);
    }
}

static void check_summary(rp_method m)
{
    json_t *schema = json_ref_resolve(doc, "#/components/schemas/Summary");
    ck_assert_ptr_nonnull(schema);
    rp_split *s = run_split(m);
    rp_provenance prov = {"t", 123, NULL};
    json_t *sum = rp_split_summary(s, &prov);
    ck_assert_ptr_nonnull(sum);
    check_object(rp_method_name(m), sum, schema);
    json_t *props = json_object_get(schema, "properties");
    check_object("params", json_object_get(sum, "params"), json_object_get(props, "params"));
    check_object("files", json_object_get(sum, "files"), json_object_get(props, "files"));
    check_object("filtered", json_object_get(sum, "filtered"), json_object_get(props, "filtered"));
    check_object("provenance", json_object_get(sum, "provenance"),
                 json_object_get(props, "provenance"));
    json_decref(sum);
    rp_split_free(s);
}

START_TEST(summaries_match_schemas)
{
    for (int m = 0; m < RP_METHOD_COUNT; m++)
        check_summary((rp_method)m);
}
END_TEST

/* GET /v1/recipes answers what the RecipeList schema describes. */
START_TEST(recipes_match_schema)
{
    json_t *schema = json_ref_resolve(doc, "#/components/schemas/RecipeList"),
           *j = rp_recipes_json();
    ck_assert_ptr_nonnull(schema);
    ck_assert_ptr_nonnull(j);
    check_object("recipes", j, schema);
    json_t *item =
        json_object_get(json_object_get(json_object_get(schema, "properties"), "recipes"), "items");
    json_t *pschema = json_ref_resolve(doc, "#/components/schemas/RecipeParameter");
    size_t i, k;
    json_t *r, *prm;
    json_array_foreach(json_object_get(j, "recipes"), i, r)
    {
        check_object("recipe", r, item);
        json_array_foreach(json_object_get(r, "parameters"), k, prm)
            check_object("parameter", prm, pschema);
    }
    json_decref(j);
}
END_TEST

static Suite *openapi_suite(void)
{
    Suite *s = suite_create("openapi");
    TCase *tc = tcase_create("document");
    tcase_add_checked_fixture(tc, load_doc, free_doc);
    tcase_add_test(tc, document_is_openapi_3);
    tcase_add_test(tc, every_route_is_documented);
    tcase_add_test(tc, every_operation_is_routed);
    tcase_add_test(tc, every_ref_resolves);
    tcase_add_test(tc, path_templates_are_declared);
    tcase_add_test(tc, errors_are_described);
    tcase_add_test(tc, file_enums_match_core);
    tcase_add_test(tc, summaries_match_schemas);
    tcase_add_test(tc, recipes_match_schema);
    tcase_add_test(tc, objects_are_closed);
    tcase_add_test(tc, loading_nulls_and_states_declared);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(openapi_suite());
}
