/*
 * recprep/intern.h - interning raw ID strings into dense indices.
 *
 * rp_intern maps byte strings to 0-based indices in order of first
 * appearance, storing each distinct string once in an arena. It is the hot
 * path of loading (two lookups per row), hence a flat open-addressing table
 * rather than uthash; see core/intern.c for the design note and figures.
 *
 * Not thread-safe: one writer at a time. Read-only calls (rp_intern_get,
 * rp_intern_count) may run concurrently once nobody inserts.
 */
#ifndef RECPREP_INTERN_H
#define RECPREP_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "recprep/error.h"

typedef struct rp_intern rp_intern;

/* New empty interner; expected is a sizing hint (0 is fine). NULL on OOM. */
rp_intern *rp_intern_new(size_t expected);

/* Free it and its arena. NULL is a no-op. */
void rp_intern_free(rp_intern *in);

/* Index of s[0..len), inserting it if new. Returns RP_OK, RP_ERR_NOMEM or
 * RP_ERR_LIMIT (more than UINT32_MAX-1 strings). */
rp_status rp_intern_put(rp_intern *in, const char *s, size_t len, uint32_t *idx);

/* A hint: start fetching the table slot where the string of hash
 * rp_intern_hash(s, len) would live, so that a following rp_intern_put_h of
 * it finds it in cache, a few strings ahead - a loader hashes each string
 * once. No effect on contents; do not call after rp_intern_seal. And the
 * later stages of a prefetch:
 * once the slot is in cache, rp_intern_prefetch_entry(.., 1) starts fetching
 * the offsets of the string the slot points to, and (.., 2), once those are
 * in, its bytes - the lookup of a string seen before then finds all three in
 * cache. Loaders run each stage over a batch of rows before the puts. */
uint64_t rp_intern_hash(const char *s, size_t len);
void rp_intern_prefetch_h(const rp_intern *in, uint64_t hash);
void rp_intern_prefetch_entry(const rp_intern *in, uint64_t hash, int stage);
rp_status rp_intern_put_h(rp_intern *in, const char *s, size_t len, uint64_t hash, uint32_t *idx);

/* The same two stages for a string known by its index (idx < count), e.g.
 * a writer a few rows ahead of the one it renders: stage 1 its offsets, 2
 * (once those are in cache) its bytes. Sealed interners only (else a no-op). */
void rp_intern_prefetch_idx(const rp_intern *in, uint32_t idx, int stage);

/* Number of distinct strings. */
uint32_t rp_intern_count(const rp_intern *in);

/* The string of index idx (< count): borrowed, NOT NUL-terminated, valid until
 * the interner is freed (or sealed, for a string got before). O(1) once
 * sealed; before, a walk over the strings before idx (tests, debugging: the
 * index is only built by rp_intern_seal). */
const char *rp_intern_get(const rp_intern *in, uint32_t idx, size_t *len);

/* Drop the hash table, pack the strings and index them: afterwards only
 * rp_intern_get, rp_intern_prefetch_idx and rp_intern_count work. Frees most
 * of the memory once loading is done. RP_OK (also when sealed already or
 * NULL), or RP_ERR_NOMEM: the table is gone all the same (no more puts),
 * the strings stay readable unindexed. */
rp_status rp_intern_seal(rp_intern *in);

#endif
