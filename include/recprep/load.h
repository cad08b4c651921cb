/*
 * recprep/load.h - reading interaction logs in the contract's formats.
 *
 * All six formats, each optionally gzip-compressed (detected by magic bytes,
 * not by name; a name ending ".gz" over data without them is RP_ERR_FORMAT,
 * "not gzip"). With RP_FORMAT_AUTO the format is detected from the file name
 * and the first line. A malformed row stops the load: the status is
 * RP_ERR_PARSE and err names file, 1-based line and what is wrong. CRLF line
 * endings, a UTF-8 BOM, a missing final newline and blank lines are accepted;
 * an input with no rows is an error.
 *
 * Thread-safety: all calls are reentrant; they share nothing.
 */
#ifndef RECPREP_LOAD_H
#define RECPREP_LOAD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "recprep/dataset.h"
#include "recprep/error.h"

/* Hard limits: exceeding them is RP_ERR_LIMIT with file and line. */
#define RP_LOAD_MAX_LINE (1u << 20)  /* bytes in one line */
#define RP_LOAD_MAX_ID 4096u         /* bytes in one raw ID */
#define RP_LOAD_MAX_ROWS 0xFFFFFFF0u /* rows in one dataset */

/* Where a load is. Stages only move forward. */
typedef enum rp_load_stage {
    RP_LOAD_WAITING = 0, /* not started yet */
    RP_LOAD_READING,     /* parsing rows */
    RP_LOAD_INDEXING,    /* rows read; building the sorted indexes */
    RP_LOAD_DONE         /* the call returned (success or failure) */
} rp_load_stage;

/* Progress of one load, readable from any thread while the load runs (the
 * counters are atomics, written by the loading thread only; relaxed order:
 * each value is current to within one update, not consistent with the
 * others). The caller zero-initialises it (rp_load_progress_init), may set
 * total_bytes for a buffer (files set it from fstat), and may set
 * on_update, which the loading thread calls after every update: every
 * RP_LOAD_PROGRESS_ROWS rows and at each stage change. on_update must be
 * quick and must not call back into the load. */
#define RP_LOAD_PROGRESS_ROWS 65536u
typedef struct rp_load_progress {
    atomic_uint_fast64_t rows;        /* rows parsed so far */
    atomic_uint_fast64_t bytes;       /* input bytes consumed (compressed bytes for gzip) */
    atomic_uint_fast64_t total_bytes; /* input size; 0 when unknown (a pipe) */
    atomic_int stage;                 /* rp_load_stage */
    void (*on_update)(const struct rp_load_progress *p, void *ctx);
    void *ctx;
} rp_load_progress;

/* Zero the counters, stage RP_LOAD_WAITING, no callback. */
void rp_load_progress_init(rp_load_progress *p);

/* Load the file at path. On success *out holds one reference (free with
 * rp_dataset_unref). On failure *out is NULL and err (if given) says why. */
rp_status rp_load_file(const char *path, rp_format fmt, rp_dataset **out, rp_error *err);

/* How a file is loaded. A plain (not gzip) file of more than a few MB is
 * parsed on `threads` threads in chunks of about chunk_bytes at line
 * boundaries; the dataset is the same as a one-thread load's, byte for byte
 * (IDs in order of first appearance, rows in file order, the same first
 * error). */
typedef struct rp_load_opts {
    unsigned threads;     /* 0: every online core; 1: one thread */
    size_t chunk_bytes;   /* 0: chosen from the file size (tests set it small) */
    size_t batch_rows;    /* rows whose user IDs the merge interns together
                             (core/intern_batch.c); 0: chosen from the size */
    int lazy_fingerprint; /* 1: rp_dataset_fingerprint hashes the content at
                             its first call instead of the load (the same
                             value): for callers that never ask, like the
                             CLI - 12 ms of CPU on 2M generated rows, 117 ms
                             on 20M, 0.6 s on 100M */
} rp_load_opts;

/* rp_load_file_progress with options (NULL: the defaults above). */
rp_status rp_load_file_opts(const char *path, rp_format fmt, const rp_load_opts *opts,
                            rp_load_progress *progress, rp_dataset **out, rp_error *err);

/* Load from memory. name is used in error messages and for detection by
 * extension; data may be gzip-compressed. The buffer is only borrowed. */
rp_status rp_load_buffer(const char *name, const void *data, size_t len, rp_format fmt,
                         rp_dataset **out, rp_error *err);

/* rp_load_file / rp_load_buffer reporting into *progress (may be NULL). */
rp_status rp_load_file_progress(const char *path, rp_format fmt, rp_load_progress *progress,
                                rp_dataset **out, rp_error *err);
rp_status rp_load_buffer_progress(const char *name, const void *data, size_t len, rp_format fmt,
                                  rp_load_progress *progress, rp_dataset **out, rp_error *err);

/* Detect the format from a file name and the first line of (decompressed)
 * content. Returns RP_OK and sets *out, or RP_ERR_FORMAT (err names the file).
 * Heuristic, first match wins (details in core/load_detect.c):
 *   name without ".gz": ending ".json" or ".jsonl" -> amazon-json, ".dat" ->
 *     movielens-dat, ".tsv" or named "u.data" -> movielens-tsv;
 *   first line: '{' -> amazon-json; "::" -> movielens-dat; a tab ->
 *     movielens-tsv; CSV naming user, item and timestamp columns -> csv-header;
 *     4 CSV fields -> amazon-csv-item-first when the first looks like an ASIN
 *     (10 chars of [0-9A-Z]) and the second like a reviewer ID ('A' then 9-20
 *     of [0-9A-Z]), else amazon-csv.
 * An explicit format (--format) bypasses detection. Thread-safe. */
rp_status rp_format_detect(const char *name, const char *first_line, size_t len, rp_format *out,
                           rp_error *err);

#endif
