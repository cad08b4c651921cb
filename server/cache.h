/*
 * server/cache.h - results computed once, shared, and kept within a byte budget.
 *
 * A result is keyed by (dataset, canonical parameters) as an opaque byte
 * string. The first request for a key computes it (outside any lock) while
 * concurrent requests for the same key wait for that one computation
 * (single-flight). Finished results stay in an LRU list bounded in bytes;
 * entries in use are reference-counted, so eviction never frees what a
 * response is still sending (it only detaches the entry from the map).
 *
 * Files of a split result are materialised into memory on first request,
 * through the core's cursor, and counted in the entry's bytes, when they fit
 * beside the entry within the budget; otherwise they are streamed from a
 * cursor over the kept result (never recomputed). So is the gzip encoding
 * of a materialised file or a JSON body, compressed once on first request.
 * A JSON body made before something it reports was known (a summary
 * computed before the input's SHA-256 landed) is marked partial; its final
 * body is made once later from the kept result (srv_entry_json_finish)
 * instead of computing the result again.
 *
 * All functions are thread-safe.
 */
#ifndef SRV_CACHE_H
#define SRV_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recprep/error.h"
#include "recprep/split.h"

struct srv_cache;
struct srv_entry;

/* What a computation produces. The cache owns it afterwards. */
struct srv_result {
    rp_split *split; /* NULL for results without files (k-core) */
    char *json;      /* malloc'd body of the summary, json_len bytes */
    size_t json_len;
    int json_partial; /* json lacks what becomes known later: see srv_entry_json_finish */
    int transient;    /* computed for data replaced meanwhile: serve the requests
                         waiting for it, keep nothing */
};

/* Makes the final JSON body of res into a malloc'd *buf of *len bytes. */
typedef rp_status (*srv_json_fn)(void *ctx, const struct srv_result *res, char **buf, size_t *len);

/* Serialise j (compact; the reference is consumed, NULL means OOM) as the
 * result's body. RP_OK or RP_ERR_NOMEM (out->json then NULL). */
rp_status srv_result_set_json(struct srv_result *out, json_t *j);

/* Fill *out (RP_OK) or err (other status). Runs without cache locks held. */
typedef rp_status (*srv_compute_fn)(void *arg, struct srv_result *out, rp_error *err);

struct srv_cache_counters {
    uint64_t hits, misses, evictions;
    uint64_t oversize; /* results not kept: alone larger than the budget */
    uint64_t bytes, max_bytes, entries;
    uint64_t gzips, gzip_in, gzip_out; /* gzip codings built, bytes in and out */
    double gzip_seconds;               /* time spent compressing */
};

/* New cache holding at most max_bytes of finished results. NULL on OOM. */
struct srv_cache *srv_cache_new(size_t max_bytes);

/* Free the cache and every entry; no entry may be in use. NULL is a no-op. */
void srv_cache_free(struct srv_cache *c);

/* Find or compute the result for key[0..key_len). On RP_OK *out holds one
 * reference (release with srv_entry_release) and *hit says whether the
 * result already existed or was being computed by another request. On error
 * err says why; failures are not cached. */
rp_status srv_cache_get(struct srv_cache *c, const char *key, size_t key_len, srv_compute_fn fn,
                        void *arg, struct srv_entry **out, int *hit, rp_error *err);

/* Non-blocking lookup: if the result for key is READY, take a reference,
 * set *out, count a hit and return 1; otherwise return 0 (nothing counted). */
int srv_cache_peek(struct srv_cache *c, const char *key, size_t key_len, struct srv_entry **out);

/* 1 if srv_entry_file(e, name) would answer at once (file materialised,
 * unknown, or to be streamed), 0 if it would build the file first. */
int srv_entry_file_cached(struct srv_entry *e, const char *name);

/* The result of a held entry. Borrowed while the reference is held. */
const struct srv_result *srv_entry_result(const struct srv_entry *e);

/* Take one more reference (e.g. for a response body). Returns e. */
struct srv_entry *srv_entry_ref(struct srv_entry *e);

/* Drop a reference; an evicted entry is freed by its last release. */
void srv_entry_release(struct srv_entry *e);

/* The bytes of file `name` of a held split entry, materialised on first call
 * (single-flight as well). RP_OK: *data and *len valid while the reference is
 * held. RP_ERR_NOT_FOUND: no such file. RP_ERR_LIMIT: the file is not kept -
 * larger than a quarter of the budget, or than the room the budget leaves
 * beside the entry, or the entry is not cached - stream it with a cursor. */
rp_status srv_entry_file(struct srv_entry *e, const char *name, const char **data, size_t *len);

/* The gzip encoding of file `name` of a held split entry, or of the
 * entry's JSON body when name is NULL: compressed once (single-flight) from
 * the materialised identity bytes, kept and counted in the entry's bytes.
 * RP_OK: *data and *len valid while the reference is held. RP_ERR_LIMIT:
 * serve identity - the body is under SRV_GZIP_MIN bytes, or the file is
 * streamed or its coding does not fit beside the entry (a JSON body is
 * always coded). RP_ERR_NOT_FOUND: no such body. */
rp_status srv_entry_gzip(struct srv_entry *e, const char *name, const char **data, size_t *len);

/* 1 if srv_entry_gzip(e, name) would answer at once, 0 if it would build
 * the file or compress first. */
int srv_entry_gzip_cached(struct srv_entry *e, const char *name);

/* For a held entry whose JSON body is partial: make its final body with
 * fn(ctx, result) once (single-flight), kept beside the first body (a
 * response may still be sending that) and counted in the entry's bytes.
 * RP_OK once the final body exists, or fn's error. */
rp_status srv_entry_json_finish(struct srv_entry *e, srv_json_fn fn, void *ctx);

/* The JSON body of a held entry: the final one (final set, after
 * srv_entry_json_finish succeeded) or the first. Valid while held. */
void srv_entry_json(struct srv_entry *e, int final, const char **data, size_t *len);

/* srv_entry_gzip for that JSON body (name NULL is the first body). */
rp_status srv_entry_gzip_json(struct srv_entry *e, int final, const char **data, size_t *len);

/* Forget every result whose key starts with prefix[0..len) (the results of
 * a replaced dataset generation): out of the map at once, freed when the
 * last response using one lets go; one still computing is not kept. */
void srv_cache_drop_prefix(struct srv_cache *c, const char *prefix, size_t len);

/* Snapshot of the counters, for the metrics endpoint. */
void srv_cache_counters(struct srv_cache *c, struct srv_cache_counters *out);

#endif
