/*
 * recprep/recipe.h - the recipe table: what recprep can compute, as data.
 *
 * A recipe is a named pipeline that reproduces a published preprocessing
 * script: its parameters (each with type and default), its files, and the
 * core function that computes it. The HTTP routes, GET /v1/recipes, the
 * parameter rules (params.h), the CLI's `split` command, the OpenAPI check
 * and the canonical cache key all read this one table, so adding a recipe is
 * one entry here plus its core function.
 *
 * The table is static and immutable: thread-safe.
 */
#ifndef RECPREP_RECIPE_H
#define RECPREP_RECIPE_H

#include <stddef.h>

#include <jansson.h>

#include "recprep/error.h"
#include "recprep/params.h"

typedef struct rp_split rp_split;

/* One parameter of a recipe: which, how it is read, and its default as text
 * in the parameter's own grammar (NULL: none, i.e. the filter is off). */
typedef struct rp_recipe_param {
    rp_param_id id;
    rp_param_type type;
    const char *def;
    const char *doc; /* one sentence for people (GET /v1/recipes, --help) */
} rp_recipe_param;

typedef struct rp_recipe {
    rp_method method;
    const char *name;       /* "temporal", "az23-last-out", ... (URL segment) */
    const char *title;      /* one line for people */
    const char *repository; /* what it reproduces: repository ... */
    const char *script;     /* ... and script(s) */
    const rp_recipe_param *params;
    size_t n_params;
    const char *const *files; /* in the order summaries list them */
    size_t n_files;
    /* The core function that fills a result (s has ds and resolved params). */
    rp_status (*run)(rp_split *s, rp_error *err);
} rp_recipe;

/* The table, RP_METHOD_COUNT entries indexed by rp_method. Never NULL. */
const rp_recipe *rp_recipes(size_t *n);

/* The entry of a method; NULL when m is out of range. */
const rp_recipe *rp_recipe_get(rp_method m);

/* The entry named name[0..len) (not NUL-terminated); NULL when unknown. */
const rp_recipe *rp_recipe_find(const char *name, size_t len);

/* The recipe's entry for a parameter, or NULL when it does not take it. */
const rp_recipe_param *rp_recipe_param_get(const rp_recipe *r, rp_param_id id);

/* GET /v1/recipes: {"recipes": [{name, title, reproduces {repository,
 * script}, parameters [{name, type, default, minimum, ...}], files}]}.
 * New reference; NULL on OOM. */
json_t *rp_recipes_json(void);

#endif
