/*
 * core/recipe.c - the recipe table (recipe.h) and its JSON description.
 *
 * Each entry lists its parameters with the type and default that params.c
 * applies, its files in summary order, and the function in split_*.c that
 * computes it. Nothing else in the project spells a recipe's parameters or
 * files: the server's routes and validation, the CLI, GET /v1/recipes and
 * the OpenAPI check all read this table.
 *
 * Rejected: one table per adapter (what we had for temporal/full: the server,
 * the CLI and the core each listed "k, user_k, item_k, min_len, ..." and
 * disagreed on details such as where min_len applied).
 */
#include "recprep/recipe.h"

#include <stdlib.h>
#include <string.h>

#include "split_impl.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define P_K(def)                                                                                   \
    {                                                                                              \
        RP_PARAM_K, RP_PT_COUNT, def, "sets user_k and item_k"                                     \
    }
#define P_USER_K(def)                                                                              \
    {                                                                                              \
        RP_PARAM_USER_K, RP_PT_COUNT, def, "a kept user has at least this many interactions"       \
    }
#define P_ITEM_K(def)                                                                              \
    {                                                                                              \
        RP_PARAM_ITEM_K, RP_PT_COUNT, def, "a kept item has at least this many interactions"       \
    }
#define P_FILTERS                                                                                  \
    {RP_PARAM_MIN_RATING, RP_PT_DECIMAL, NULL,                                                     \
     "keep rows with a rating >= this (rows without a rating are dropped)"},                       \
        {RP_PARAM_SINCE, RP_PT_TIME, NULL, "keep rows with timestamp (seconds) >= this"},          \
        {RP_PARAM_UNTIL, RP_PT_TIME, NULL, "keep rows with timestamp (seconds) < this"},           \
    {                                                                                              \
        RP_PARAM_DEDUP, RP_PT_DEDUP, "none",                                                       \
            "of rows repeating a (user, item) pair keep none, the first or the last in time "      \
            "order"                                                                                \
    }

static const rp_recipe_param TEMPORAL_PARAMS[] = {
    P_K("4"),
    P_USER_K("4"),
    P_ITEM_K("4"),
    {RP_PARAM_MIN_LEN, RP_PT_COUNT, NULL, "shortest train prefix written (default user_k)"},
    {RP_PARAM_VAL_START, RP_PT_QUANTILE, "0.8", "quantile of timestamps where validation starts"},
    {RP_PARAM_TEST_START, RP_PT_QUANTILE, "0.9", "quantile of timestamps where test starts"},
    {RP_PARAM_MAX_LEN, RP_PT_COUNT, NULL, "cut each line to the user and its last N items"},
    P_FILTERS};

static const rp_recipe_param FULL_PARAMS[] = {
    P_K("5"),
    P_USER_K("5"),
    P_ITEM_K("5"),
    {RP_PARAM_MAX_LEN, RP_PT_COUNT, NULL, "cut each line to the user and its last N items"},
    P_FILTERS};

static const rp_recipe_param SEQ_PARAMS[] = {P_K("5"), P_USER_K("5"), P_ITEM_K("5"), P_FILTERS};

#define AZ23_COMMON                                                                                \
    {RP_PARAM_K, RP_PT_UINT, "5", "sets user_k and item_k; 0 = no k-core"}, P_USER_K("5"),         \
        P_ITEM_K("5"),                                                                             \
    {                                                                                              \
        RP_PARAM_MAX_LEN, RP_PT_COUNT, "50", "longest history in the .inter files"                 \
    }

static const rp_recipe_param AZ23_LAST_OUT_PARAMS[] = {AZ23_COMMON, P_FILTERS};

static const rp_recipe_param AZ23_TIMESTAMP_PARAMS[] = {
    AZ23_COMMON,
    {RP_PARAM_VAL_TIME, RP_PT_TIME, "1628643414042", "rows at or after this time (ms) validate"},
    {RP_PARAM_TEST_TIME, RP_PT_TIME, "1658002729837", "rows at or after this time (ms) test"},
    P_FILTERS};

static const char *const TEMPORAL_FILES[] = {"train.txt", "validation.txt", "test.txt", "users.tsv",
                                             "items.tsv"};
static const char *const FULL_FILES[] = {"all.txt", "users.tsv", "items.tsv"};
static const char *const DATA_FILES[] = {"data.txt", "users.tsv", "items.tsv"};
static const char *const AZ23_FILES[] = {
    "rating_only.csv", "train.csv",      "valid.csv",   "test.csv",    "train.w_his.csv",
    "valid.w_his.csv", "test.w_his.csv", "train.inter", "valid.inter", "test.inter"};

static const rp_recipe RECIPES[RP_METHOD_COUNT] = {
    {RP_METHOD_TEMPORAL, "temporal",
     "Global temporal split by timestamp quantiles, k-core on train (the notebook, part 1)",
     "recprep", "reference notebook, part 1", TEMPORAL_PARAMS, COUNT(TEMPORAL_PARAMS),
     TEMPORAL_FILES, COUNT(TEMPORAL_FILES), rpi_split_temporal},
    {RP_METHOD_FULL, "full", "k-core on every row, one sequence per user (the notebook, part 2)",
     "recprep", "reference notebook, part 2", FULL_PARAMS, COUNT(FULL_PARAMS), FULL_FILES,
     COUNT(FULL_FILES), rpi_split_full},
    {RP_METHOD_SASREC, "sasrec", "SASRec: one-pass k filter, user-item pairs in time order",
     "kang205/SASRec", "data/DataProcessing.py", SEQ_PARAMS, COUNT(SEQ_PARAMS), DATA_FILES,
     COUNT(DATA_FILES), rpi_split_sasrec},
    {RP_METHOD_S3REC, "s3rec", "S3-Rec: iterative k-core, one sequence per user",
     "RUCAIBox/CIKM2020-S3Rec", "data/data_process.py", SEQ_PARAMS, COUNT(SEQ_PARAMS), DATA_FILES,
     COUNT(DATA_FILES), rpi_split_s3rec},
    {RP_METHOD_AZ23_LAST_OUT, "az23-last-out",
     "Amazon Reviews 2023 benchmark: leave-last-out split with histories and RecBole files",
     "hyp1231/AmazonReviews2023", "benchmark_scripts/kcore_filtering.py + last_out_split.py",
     AZ23_LAST_OUT_PARAMS, COUNT(AZ23_LAST_OUT_PARAMS), AZ23_FILES, COUNT(AZ23_FILES),
     rpi_split_az23},
    {RP_METHOD_AZ23_TIMESTAMP, "az23-timestamp",
     "Amazon Reviews 2023 benchmark: absolute-timestamp split with histories and RecBole files",
     "hyp1231/AmazonReviews2023", "benchmark_scripts/kcore_filtering.py + timestamp_split.py",
     AZ23_TIMESTAMP_PARAMS, COUNT(AZ23_TIMESTAMP_PARAMS), AZ23_FILES, COUNT(AZ23_FILES),
     rpi_split_az23},
};

const rp_recipe *rp_recipes(size_t *n)
{
    *n = RP_METHOD_COUNT;
    return RECIPES;
}

const rp_recipe *rp_recipe_get(rp_method m)
{
    return (unsigned)m < RP_METHOD_COUNT ? &RECIPES[m] : NULL;
}

const rp_recipe *rp_recipe_find(const char *name, size_t len)
{
    for (size_t i = 0; name != NULL && i < RP_METHOD_COUNT; i++)
        if (strlen(RECIPES[i].name) == len && memcmp(RECIPES[i].name, name, len) == 0)
            return &RECIPES[i];
    return NULL;
}

const rp_recipe_param *rp_recipe_param_get(const rp_recipe *r, rp_param_id id)
{
    for (size_t i = 0; r != NULL && i < r->n_params; i++)
        if (r->params[i].id == id)
            return &r->params[i];
    return NULL;
}

/* ---- JSON -------------------------------------------------------------- */

/* The default as a JSON value of the parameter's type (null when none). */
static json_t *default_json(const rp_recipe_param *rp)
{
    if (rp->def == NULL)
        return json_null();
    switch (rp->type) {
    case RP_PT_QUANTILE:
    case RP_PT_DECIMAL:
        return json_real(strtod(rp->def, NULL));
    case RP_PT_DEDUP:
        return json_string(rp->def);
    default:
        return json_integer(strtoll(rp->def, NULL, 10));
    }
}

static json_t *param_json(const rp_recipe_param *rp)
{
    json_t *o = json_pack("{sssssoss}", "name", rp_param_name(rp->id), "type",
                          rp->type == RP_PT_DEDUP                                   ? "string"
                          : rp->type == RP_PT_QUANTILE || rp->type == RP_PT_DECIMAL ? "number"
                                                                                    : "integer",
                          "default", default_json(rp), "description", rp->doc);
    int bad = o == NULL;
    switch (rp->type) {
    case RP_PT_COUNT:
        bad = bad || json_object_set_new(o, "minimum", json_integer(1)) != 0 ||
              json_object_set_new(o, "maximum", json_integer(UINT32_MAX)) != 0;
        break;
    case RP_PT_UINT:
        bad = bad || json_object_set_new(o, "minimum", json_integer(0)) != 0 ||
              json_object_set_new(o, "maximum", json_integer(UINT32_MAX)) != 0;
        break;
    case RP_PT_QUANTILE:
        bad = bad || json_object_set_new(o, "exclusiveMinimum", json_integer(0)) != 0 ||
              json_object_set_new(o, "exclusiveMaximum", json_integer(1)) != 0;
        break;
    case RP_PT_DECIMAL:
    case RP_PT_TIME:
        bad = bad || json_object_set_new(o, "minimum", json_integer(0)) != 0;
        break;
    case RP_PT_DEDUP:
        bad = bad || json_object_set_new(o, "enum", json_pack("[sss]", "none", "first", "last"));
        break;
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *recipe_json(const rp_recipe *r)
{
    json_t *params = json_array(), *files = json_array();
    int bad = params == NULL || files == NULL;
    for (size_t i = 0; !bad && i < r->n_params; i++)
        bad = json_array_append_new(params, param_json(&r->params[i])) != 0;
    for (size_t i = 0; !bad && i < r->n_files; i++)
        bad = json_array_append_new(files, json_string(r->files[i])) != 0;
    if (bad) {
        json_decref(params);
        json_decref(files);
        return NULL;
    }
    return json_pack("{sssss{ssss}soso}", "name", r->name, "title", r->title, "reproduces",
                     "repository", r->repository, "script", r->script, "parameters", params,
                     "files", files);
}

json_t *rp_recipes_json(void)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < RP_METHOD_COUNT; i++)
        if (json_array_append_new(list, recipe_json(&RECIPES[i])) != 0) {
            json_decref(list);
            return NULL;
        }
    return list ? json_pack("{so}", "recipes", list) : NULL;
}
