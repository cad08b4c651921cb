/*
 * recprep/split.h - running a recipe (recipe.h) on a dataset.
 *
 * rp_split_run computes everything a request or a CLI run needs - filters,
 * k-core, ID assignment, sequences and the exact line and byte counts of
 * every file - without materialising the files. Files are produced on demand through a
 * pull cursor (cursor.h), so the summary is cheap and a download streams.
 *
 * A result holds a reference on its dataset and is immutable once built:
 * any number of threads may read it and open cursors on it concurrently.
 */
#ifndef RECPREP_SPLIT_H
#define RECPREP_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recprep/dataset.h"
#include "recprep/error.h"
#include "recprep/params.h"

/* Short name of a method: its recipe's name ("temporal", "az23-last-out").
 * Static string; "?" when out of range. */
const char *rp_method_name(rp_method m);

/* Parse a recipe name. Returns RP_OK or RP_ERR_PARAM. */
rp_status rp_method_from_name(const char *name, rp_method *out);

typedef struct rp_split rp_split;

/* Run the pipeline on ds with resolved parameters p (rp_params_resolve is
 * applied again defensively). On success *out is a new result holding a
 * reference on ds. Complexity O(n + output lines). Thread-safe. */
rp_status rp_split_run(rp_dataset *ds, const rp_params *p, rp_split **out, rp_error *err);

/* Free a result (drops its dataset reference). NULL is a no-op. */
void rp_split_free(rp_split *s);

/* The resolved parameters. Borrowed. */
const rp_params *rp_split_params(const rp_split *s);

/* The dataset the result was computed on. Borrowed. */
const rp_dataset *rp_split_dataset(const rp_split *s);

/* Files the recipe offers, in the recipe table's order (recipe.h).
 * Borrowed static array of *n names. */
const char *const *rp_split_files(const rp_split *s, size_t *n);

/* Lines and bytes of a file by name. RP_ERR_NOT_FOUND for other names. */
rp_status rp_split_file_size(const rp_split *s, const char *name, uint64_t *lines, uint64_t *bytes);

/* Where a result came from, for the summary's "provenance". */
typedef struct rp_provenance {
    const char *dataset; /* the dataset's name (or the input path for the CLI) */
    uint64_t bytes;      /* the input file's size in bytes */
    const char *sha256;  /* its SHA-256 in hex; NULL while not known yet */
} rp_provenance;

/* The summary JSON of the contract (API.md, RECIPES.md): recipe (and method),
 * params (all, defaults filled in), users, items, interactions (temporal:
 * {train, validation, test}), rounds [[u,i],...] where an iterative k-core
 * ran, files {name: {lines, bytes}}, filtered {min_rating, since, until,
 * dedup}; temporal adds boundaries {validation, test} (null when no row
 * survives the filters) and dropped {validation, test}; the az23 recipes add
 * splits {train, valid, test}; provenance {dataset, bytes, sha256, version,
 * params} when prov is not NULL. New reference; NULL on OOM. */
json_t *rp_split_summary(const rp_split *s, const rp_provenance *prov);

/* recprep's version ("0.2.0"). Static string. */
const char *rp_version(void);

/* Heap bytes held by the result: the room allocated for its arrays, which
 * is what a cache keeping it costs. O(1). */
size_t rp_split_memory(const rp_split *s);

#endif
