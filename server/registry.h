/*
 * server/registry.h - the configured datasets and their background loading.
 *
 * Each dataset is loaded by its own thread (rp_load_file, or the generator
 * for `demo`), then its statistics are computed once and kept as JSON bytes.
 * After READY the same thread reads the file once more for its SHA-256 (the
 * summaries' provenance), published with sha_ready.
 * A dataset's state moves LOADING -> READY or LOADING -> FAILED exactly once;
 * the fields a READY dataset exposes are written before the state is
 * published (release/acquire), so readers need no lock.
 *
 * While LOADING, the core's progress counters (rows, bytes of total, stage)
 * and the start time are readable from any thread: /v1/datasets and
 * /readyz show them, and the loader logs a "dataset_progress" event when
 * reading starts and then at most once a second.
 */
#ifndef SRV_REGISTRY_H
#define SRV_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "recprep/dataset.h"
#include "recprep/digest.h"
#include "recprep/error.h"
#include "recprep/load.h"
#include "recprep/split.h"

enum srv_ds_state { SRV_DS_LOADING = 0, SRV_DS_READY, SRV_DS_FAILED };

struct srv_dataset {
    char name[SRV_NAME_MAX + 1];
    const struct srv_dataset_conf *conf; /* borrowed from the config */
    atomic_int state;
    rp_load_progress progress;  /* written by the loader thread only */
    atomic_uint_fast64_t t0_ns; /* when loading started (srv_now_ns), 0 before */
    uint64_t last_log_ns;       /* loader thread only: last progress event */
    /* valid once READY: */
    rp_dataset *ds;
    char *stats_json;
    size_t stats_len;
    uint64_t fingerprint;
    double load_seconds;
    uint64_t input_bytes;       /* size of the input file (demo: generated CSV) */
    char sha256[RP_SHA256_HEX]; /* the input's SHA-256 once sha_ready */
    atomic_int sha_ready;       /* set (release) after sha256 and input_bytes */
    /* valid once FAILED: */
    rp_status status;
    rp_error err;
    pthread_t thread;
    int started;
};

struct srv_registry {
    struct srv_dataset *items;
    size_t n;
    atomic_size_t n_ready;
    unsigned load_threads;    /* rp_load_opts.threads of every load */
    void (*on_failure)(void); /* called from the loader thread after FAILED */
};

/* The demo dataset's generator parameters: 200,000 rows with the default
 * generator's user/item proportions, seed 42 (see registry.c). */
#define SRV_DEMO_ROWS 200000u

/* Set up reg for cfg's datasets, all LOADING. cfg must outlive reg. Call
 * before any thread reads reg. Returns 0, or -1 on OOM. */
int srv_registry_init(struct srv_registry *reg, const struct srv_config *cfg);

/* Start one loader thread per dataset; on_failure runs in a loader thread
 * after a dataset became FAILED. Returns 0, or -1 if a thread could not be
 * started. */
int srv_registry_start(struct srv_registry *reg, void (*on_failure)(void));

/* Dataset by name (slice), or NULL. Thread-safe. */
struct srv_dataset *srv_registry_find(struct srv_registry *reg, const char *name, size_t len);

/* 1 when every dataset is READY. Thread-safe. */
int srv_registry_ready(struct srv_registry *reg);

/* The first FAILED dataset, or NULL. */
const struct srv_dataset *srv_registry_failed(struct srv_registry *reg);

/* The input's SHA-256 (hex), or NULL while it is being computed (it is
 * computed after the dataset is READY, off the request path). Thread-safe. */
const char *srv_dataset_sha256(const struct srv_dataset *d);

/* The provenance of d's results: name, input size and SHA-256 (NULL while
 * not known). Borrowed strings, valid as long as d. Thread-safe. */
void srv_dataset_provenance(const struct srv_dataset *d, rp_provenance *out);

/* State of d with acquire semantics. */
enum srv_ds_state srv_dataset_state(const struct srv_dataset *d);

/* Loading progress of d as {"stage", "rows", "bytes", "total_bytes" (null
 * when unknown), "elapsed_seconds"}; stage is waiting, reading, indexing or
 * statistics. New reference; NULL on OOM. Thread-safe. */
struct json_t;
struct json_t *srv_dataset_progress_json(const struct srv_dataset *d);

/* Join the loader threads that have finished (READY or FAILED); leave the
 * others running. For exits that cannot wait for a load. */
void srv_registry_join_settled(struct srv_registry *reg);

/* Join loader threads and free everything. */
void srv_registry_free(struct srv_registry *reg);

#endif
