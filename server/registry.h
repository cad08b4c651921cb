/*
 * server/registry.h - the configured datasets, their background loading and
 * their reloads.
 *
 * Each dataset is loaded by its own thread (rp_load_file, or the generator
 * for `demo`), then its statistics are computed once and kept as JSON bytes.
 * What one load produced is a generation (struct srv_gen): the rp_dataset,
 * statistics, fingerprint, load figures, the input's file identity and,
 * once computed, its SHA-256. A generation is immutable once published
 * (except sha256, published with sha_ready) and reference-counted: a request
 * takes a reference when it looks up the dataset (srv_dataset_acquire) and
 * drops it at completion, so a reload never frees data a request still
 * reads. Split results keep their own reference to the rp_dataset (core), so
 * a streamed download outlives even that.
 * A dataset's state moves LOADING -> READY or LOADING -> FAILED exactly once
 * (the start-up load); the first generation is published before READY
 * (release/acquire), so readers need no lock.
 * After READY the same thread reads the file once more for its SHA-256 (the
 * summaries' provenance), published with sha_ready.
 *
 * Reloads (reload.c) build a new generation in the background and swap it
 * in atomically; a failed reload leaves the current one in service.
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

/* What stat() said about an input file before it was read: a reload reads
 * the files whose identity changed. All zero for `demo` or a failed stat. */
struct srv_file_id {
    uint64_t dev, ino, size;
    int64_t mtime_sec, mtime_nsec;
};

struct srv_dataset;

/* One loaded version of a dataset. */
struct srv_gen {
    atomic_uint refs;
    struct srv_dataset *owner;
    uint64_t id; /* 1 for the start-up load, then one more per reload */
    rp_dataset *ds;
    char *stats_json;
    size_t stats_len;
    uint64_t fingerprint;
    double load_seconds;
    struct srv_file_id file;
    uint64_t input_bytes;       /* size of the input file (demo: generated CSV) */
    char sha256[RP_SHA256_HEX]; /* the input's SHA-256 once sha_ready */
    atomic_int sha_ready;       /* set (release) after sha256 and input_bytes */
};

enum srv_reload_state { SRV_RELOAD_IDLE = 0, SRV_RELOAD_QUEUED, SRV_RELOAD_RUNNING };

/* The outcome of the last reload of a dataset, for /v1/datasets. */
struct srv_reload_info {
    int done;        /* 0: never reloaded */
    int ok;          /* the new generation is in service */
    char time[32];   /* UTC, ISO 8601, when it finished */
    char error[512]; /* the failure as "FILE:LINE: MESSAGE" */
};

struct srv_dataset {
    char name[SRV_NAME_MAX + 1];
    const struct srv_dataset_conf *conf; /* borrowed from the config */
    atomic_int state;
    rp_load_progress progress;  /* written by the loader thread only */
    atomic_uint_fast64_t t0_ns; /* when loading started (srv_now_ns), 0 before */
    uint64_t last_log_ns;       /* loader thread only: last progress event */
    /* the current generation (NULL before READY) and the requests between
     * reading it and taking their reference (see srv_dataset_acquire) */
    _Atomic(struct srv_gen *) gen;
    atomic_uint readers;
    uint64_t last_id; /* loader, then reloader thread only */
    /* valid once FAILED: */
    rp_status status;
    rp_error err;
    pthread_t thread;
    int started;
    /* reloads (reload.c) */
    atomic_int reload;            /* enum srv_reload_state */
    atomic_uint_fast64_t reloads; /* generations swapped in by a reload */
    atomic_uint_fast64_t reload_failures;
    pthread_mutex_t info_mu; /* guards info */
    struct srv_reload_info info;
};

/* The reloader thread and its queue (reload.c). */
struct srv_reloader {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int work, scan, stop, busy; /* under mu */
    pthread_t thread;
    int started;
};

struct srv_registry {
    struct srv_dataset *items;
    size_t n;
    atomic_size_t n_ready;
    unsigned load_threads;    /* rp_load_opts.threads of every load */
    void (*on_failure)(void); /* called from the loader thread after FAILED */
    /* called by the reloader after old was replaced (drop its cached results) */
    void (*on_replaced)(const struct srv_gen *old, void *ctx);
    void *ctx;
    struct srv_reloader reloader;
};

/* The demo dataset's generator parameters: 200,000 rows with the default
 * generator's user/item proportions, seed 42 (see registry.c). */
#define SRV_DEMO_ROWS 200000u

/* Set up reg for cfg's datasets, all LOADING. cfg must outlive reg. Call
 * before any thread reads reg. Returns 0, or -1 on OOM. */
int srv_registry_init(struct srv_registry *reg, const struct srv_config *cfg);

/* Start one loader thread per dataset and the reloader thread; on_failure
 * runs in a loader thread after a dataset became FAILED. Returns 0, or -1
 * if a thread could not be started. */
int srv_registry_start(struct srv_registry *reg, void (*on_failure)(void));

/* Dataset by name (slice), or NULL. Thread-safe. */
struct srv_dataset *srv_registry_find(struct srv_registry *reg, const char *name, size_t len);

/* 1 when every dataset is READY. Thread-safe. */
int srv_registry_ready(struct srv_registry *reg);

/* The first FAILED dataset, or NULL. */
const struct srv_dataset *srv_registry_failed(struct srv_registry *reg);

/* State of d with acquire semantics. */
enum srv_ds_state srv_dataset_state(const struct srv_dataset *d);

/* The current generation of d with one reference taken (release with
 * srv_gen_release), or NULL before READY. Lock-free. Thread-safe. */
struct srv_gen *srv_dataset_acquire(struct srv_dataset *d);

/* Take one more reference to a held generation. Returns g. */
struct srv_gen *srv_gen_ref(struct srv_gen *g);

/* Drop a reference; the last one frees the generation. NULL is a no-op. */
void srv_gen_release(struct srv_gen *g);

/* 1 while g is its dataset's current generation (not replaced by a reload). */
int srv_gen_current(const struct srv_gen *g);

/* The name of g's dataset. Borrowed, valid for the process. */
const char *srv_gen_name(const struct srv_gen *g);

/* The input's SHA-256 (hex), or NULL while it is being computed (it is
 * computed after the generation is published, off the request path).
 * Thread-safe. */
const char *srv_gen_sha256(const struct srv_gen *g);

/* The provenance of g's results: name, input size and SHA-256 (NULL while
 * not known). Borrowed strings, valid as long as g. Thread-safe. */
void srv_gen_provenance(const struct srv_gen *g, rp_provenance *out);

/* The prefix of every cache key of g's results, "<name>\0<id>\0", into
 * buf. Returns its length (like snprintf: >= cap means it did not fit).
 * Results of two generations never share a key. */
int srv_gen_key_prefix(const struct srv_gen *g, char *buf, size_t cap);

/* Loading progress of d as {"stage", "rows", "bytes", "total_bytes" (null
 * when unknown), "elapsed_seconds"}; stage is waiting, reading, indexing or
 * statistics. New reference; NULL on OOM. Thread-safe. */
struct json_t;
struct json_t *srv_dataset_progress_json(const struct srv_dataset *d);

/* Load d's input into a new generation (one reference, id last_id + 1),
 * reporting into pg (may be NULL); t0 is when the load counts from. The
 * start-up loader and the reloader share it. */
rp_status srv_gen_load(struct srv_dataset *d, rp_load_progress *pg, uint64_t t0,
                       struct srv_gen **out, rp_error *err);

/* Make g d's current generation (taking g's reference) and return the one
 * it replaces (NULL: none) once no request is between reading and
 * referencing it, with d's reference to it: the caller releases it. */
struct srv_gen *srv_dataset_publish(struct srv_dataset *d, struct srv_gen *g);

/* "FILE:LINE:COL: MESSAGE" of a failed load of d, or "PATH: STATUS" when err
 * says nothing more; into buf (cap bytes). */
void srv_dataset_error_line(const struct srv_dataset *d, rp_status st, const rp_error *err,
                            char *buf, size_t cap);

/* Read g's input once more for its SHA-256 and publish it (a file replaced
 * meanwhile leaves it unknown; logged). No-op for the in-memory demo. */
void srv_gen_digest(struct srv_gen *g);

/* The identity of the file at path (all zero when stat fails). */
void srv_file_id_of(const char *path, struct srv_file_id *out);

/* Join the loader threads that have finished (READY or FAILED); leave the
 * others running. For exits that cannot wait for a load. */
void srv_registry_join_settled(struct srv_registry *reg);

/* Join loader threads and free everything. Call srv_reload_stop first. */
void srv_registry_free(struct srv_registry *reg);

/* --- reload.c --- */

/* Start the reloader thread. Returns 0 or -1. */
int srv_reload_start(struct srv_registry *reg);

/* SIGHUP: re-read, in the background, every READY dataset whose input file
 * changed (size, mtime or inode; a vanished file counts as changed). Safe to
 * call from any thread; returns at once. */
void srv_reload_changed(struct srv_registry *reg);

/* Queue a reload of d, whether its file changed or not (the HTTP trigger).
 * Returns 0 when queued, 1 when a reload of d is already queued or running,
 * -1 when d is not READY. Thread-safe. */
int srv_reload_request(struct srv_registry *reg, struct srv_dataset *d);

/* 1 while a reload of d is queued or running. */
int srv_reload_busy(const struct srv_dataset *d);

/* A copy of the last reload's outcome. Thread-safe. */
void srv_reload_info(struct srv_dataset *d, struct srv_reload_info *out);

/* Stop the reloader: 0 once its thread is joined, -1 when it is in the
 * middle of a reload (the caller then exits without freeing). */
int srv_reload_stop(struct srv_registry *reg);

#endif
