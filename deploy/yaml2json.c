/*
 * yaml2json - build-time converter from deploy/openapi.yaml to JSON.
 *
 * What: reads one YAML document with libyaml's document API, maps the node
 * tree to a jansson value and writes either JSON text (--json) or a C source
 * file defining srv_openapi_json[] and srv_openapi_json_len (--c), the
 * NUL-terminated JSON text that recprepd serves at GET /openapi.json.
 *
 * Invariants: strict by design, so a bad document fails the build rather
 * than shipping a wrong contract. Rejected: YAML syntax errors, zero or more
 * than one document, non-scalar mapping keys, duplicate keys, and plain
 * scalars JSON cannot represent (.inf, .nan). Scalars follow the YAML 1.2
 * core schema: quoted, literal and folded scalars are strings; plain
 * scalars that look like null, booleans, integers or floats become JSON
 * null, booleans and numbers; everything else is a string.
 *
 * Complexity: O(size of the document). The C output is a byte-array
 * initializer, not a string literal: ISO C only guarantees 4095-byte string
 * literals (and -Wpedantic warns past that), while arrays have no such limit.
 *
 * Rejected alternative: a Python or CMake-script converter. Python's yaml
 * module is not in every build image, and CMake cannot parse YAML; a small C
 * tool over libyaml and jansson (both Debian packages) keeps the build
 * hermetic and the conversion rules explicit.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

/* YAML 1.2 core schema resolution for plain scalars (the JSON-compatible
 * subset: hexadecimal and octal integers are not accepted in JSON output). */
static const char *const RE_NULL = "^(null|Null|NULL|~)?$";
static const char *const RE_BOOL = "^(true|True|TRUE|false|False|FALSE)$";
static const char *const RE_INT = "^[-+]?[0-9]+$";
static const char *const RE_FLOAT = "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$";
static const char *const RE_SPECIAL = "^([-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$";

static json_t *convert_node(yaml_document_t *doc, yaml_node_t *node, int depth);

static void fail_at(const yaml_node_t *node, const char *what)
{
    fprintf(stderr, "yaml2json: line %lu: %s\n", (unsigned long)node->start_mark.line + 1, what);
}

static int matches(const char *pattern, const char *text)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    int ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static json_t *string_scalar(const yaml_node_t *node, const char *text)
{
    json_t *v = json_string(text);
    if (!v)
        fail_at(node, "scalar is not valid UTF-8");
    return v;
}

static json_t *plain_scalar(const yaml_node_t *node, const char *text)
{
    if (matches(RE_NULL, text))
        return json_null();
    if (matches(RE_BOOL, text))
        return json_boolean(text[0] == 't' || text[0] == 'T');
    if (matches(RE_INT, text)) {
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno == 0)
            return json_integer(v);
        fail_at(node, "integer out of range");
        return NULL;
    }
    if (matches(RE_FLOAT, text))
        return json_real(strtod(text, NULL));
    if (matches(RE_SPECIAL, text)) {
        fail_at(node, "JSON has no infinity or NaN");
        return NULL;
    }
    return string_scalar(node, text);
}

static json_t *convert_scalar(const yaml_node_t *node)
{
    const char *text = (const char *)node->data.scalar.value;
    if (strlen(text) != node->data.scalar.length) {
        fail_at(node, "scalar contains a NUL byte");
        return NULL;
    }
    if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        return plain_scalar(node, text);
    return string_scalar(node, text);
}

static json_t *convert_sequence(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    json_t *arr = json_array();
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         arr && it < node->data.sequence.items.top; it++) {
        json_t *v = convert_node(doc, yaml_document_get_node(doc, *it), depth + 1);
        if (!v || json_array_append_new(arr, v) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static int add_pair(yaml_document_t *doc, json_t *obj, const yaml_node_pair_t *p, int depth)
{
    yaml_node_t *key = yaml_document_get_node(doc, p->key);
    if (key->type != YAML_SCALAR_NODE) {
        fail_at(key, "mapping key is not a scalar");
        return -1;
    }
    const char *name = (const char *)key->data.scalar.value;
    if (json_object_get(obj, name)) {
        fail_at(key, "duplicate mapping key");
        return -1;
    }
    json_t *v = convert_node(doc, yaml_document_get_node(doc, p->value), depth + 1);
    return v ? json_object_set_new(obj, name, v) : -1;
}

static json_t *convert_mapping(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    json_t *obj = json_object();
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         obj && p < node->data.mapping.pairs.top; p++) {
        if (add_pair(doc, obj, p, depth) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *convert_node(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    /* Aliases can form cycles through the node graph; a depth cap is the
     * simplest guard (OpenAPI documents are a dozen levels deep). */
    if (!node || depth > 64) {
        fprintf(stderr, "yaml2json: document nested too deeply (alias cycle?)\n");
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return convert_scalar(node);
    case YAML_SEQUENCE_NODE:
        return convert_sequence(doc, node, depth);
    case YAML_MAPPING_NODE:
        return convert_mapping(doc, node, depth);
    default:
        fail_at(node, "empty node");
        return NULL;
    }
}

static void parser_error(const yaml_parser_t *p, const char *path)
{
    fprintf(stderr, "%s:%lu:%lu: %s %s\n", path, (unsigned long)p->problem_mark.line + 1,
            (unsigned long)p->problem_mark.column + 1, p->problem ? p->problem : "invalid YAML",
            p->context ? p->context : "");
}

/* True when the parser holds no further document (the stream has ended). */
static int at_stream_end(yaml_parser_t *parser)
{
    yaml_document_t extra;
    if (!yaml_parser_load(parser, &extra))
        return 0; /* the loader has already freed extra */
    int empty = yaml_document_get_root_node(&extra) == NULL;
    yaml_document_delete(&extra);
    return empty;
}

/* Load exactly one document from in. Returns a new reference or NULL. */
static json_t *load_yaml(FILE *in, const char *path)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    json_t *root = NULL;
    if (!yaml_parser_initialize(&parser))
        return NULL;
    yaml_parser_set_input_file(&parser, in);
    if (!yaml_parser_load(&parser, &doc)) {
        parser_error(&parser, path);
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *top = yaml_document_get_root_node(&doc);
    if (!top)
        fprintf(stderr, "%s: no YAML document\n", path);
    else
        root = convert_node(&doc, top, 0);
    yaml_document_delete(&doc);
    if (root && !at_stream_end(&parser)) {
        if (parser.error != YAML_NO_ERROR)
            parser_error(&parser, path);
        else
            fprintf(stderr, "%s: expected exactly one YAML document\n", path);
        json_decref(root);
        root = NULL;
    }
    yaml_parser_delete(&parser);
    return root;
}

static int write_c(FILE *out, const char *json, size_t len)
{
    fputs("/* Generated by deploy/yaml2json from deploy/openapi.yaml. Do not edit. */\n"
          "#include \"openapi_embed.h\"\n\n"
          "const char srv_openapi_json[] = {",
          out);
    for (size_t i = 0; i <= len; i++) /* <= : include the terminating NUL */
        fprintf(out, "%s0x%02x,", i % 16 ? " " : "\n    ", (unsigned)(unsigned char)json[i]);
    fprintf(out, "\n};\nconst size_t srv_openapi_json_len = %zu;\n", len);
    return ferror(out) ? -1 : 0;
}

static int usage(void)
{
    fputs("usage: yaml2json --json|--c IN.yaml OUT\n", stderr);
    return 2;
}

static int write_output(json_t *root, int as_c, const char *out_path)
{
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
    FILE *out = text ? fopen(out_path, "w") : NULL;
    int rc = out ? 0 : -1;
    if (out) {
        rc = as_c ? write_c(out, text, strlen(text)) : (fputs(text, out) < 0 ? -1 : 0);
        if (fclose(out) != 0)
            rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "yaml2json: cannot write %s: %s\n", out_path, strerror(errno));
        remove(out_path);
    }
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "--json") != 0 && strcmp(argv[1], "--c") != 0))
        return usage();
    FILE *in = fopen(argv[2], "rb");
    if (!in) {
        fprintf(stderr, "yaml2json: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    json_t *root = load_yaml(in, argv[2]);
    fclose(in);
    if (!root)
        return 1;
    int rc = write_output(root, strcmp(argv[1], "--c") == 0, argv[3]);
    json_decref(root);
    return rc == 0 ? 0 : 1;
}
