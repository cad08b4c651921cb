/*
 * tests/fuzz/fuzz_cache.c - libFuzzer target: recprepd's result cache under
 * random operation sequences, checked against a simple model.
 *
 * The model remembers, per key, the version of the last successful
 * computation. Operations (two bytes each): get a key (its computation may
 * fail, or produce a summary of a chosen size, or a split with files), peek
 * a key, release a held reference, read a file of a held split entry. The
 * cache is small (a few KB), so results are evicted all the time.
 * Invariants: a hit or a peek returns the latest version computed for that
 * key (never another key's or a stale one); a miss computes exactly once;
 * failures are not cached; files read from the cache equal the cursor's
 * bytes; once nothing is held, the cache's bytes are within its budget and
 * its hit/miss counters match the operations. ASan checks the reference
 * counting (use after free, leaks) at srv_cache_free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "recprep/cursor.h"
#include "recprep/dataset.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { KEYS = 8, HELD = 16 };

static rp_dataset *ds;
static unsigned version[KEYS]; /* 0: never computed successfully */
static unsigned computations;

struct job {
    unsigned key, size, version;
    int fail, split;
};

static rp_status compute(void *arg, struct srv_result *out, rp_error *err)
{
    struct job *j = arg;
    computations++;
    if (j->fail) {
        rp_error_set(err, NULL, 0, 0, "failed on purpose");
        return RP_ERR_INTERNAL;
    }
    memset(out, 0, sizeof *out);
    out->json_len = 16 + j->size;
    out->json = malloc(out->json_len);
    memset(out->json, 'x', out->json_len);
    snprintf(out->json, 16, "%u:%u", j->key, j->version);
    if (j->split) {
        rp_params p = rp_params_defaults(j->key & 1 ? RP_METHOD_FULL : RP_METHOD_TEMPORAL);
        p.user_k = p.item_k = 1 + j->key % 3;
        if (rp_params_resolve(&p, NULL) != RP_OK || rp_split_run(ds, &p, &out->split, err))
            abort();
    }
    return RP_OK;
}

/* e is version v of key (a held entry keeps the version it was given). */
static void check_version(const struct srv_entry *e, unsigned key, unsigned v)
{
    char want[16];
    snprintf(want, sizeof want, "%u:%u", key, v);
    CHECK(strcmp(srv_entry_result(e)->json, want) == 0);
}

static void check_file(struct srv_entry *e, unsigned which)
{
    const rp_split *s = srv_entry_result(e)->split;
    if (s == NULL)
        return;
    size_t n;
    const char *const *names = rp_split_files(s, &n);
    const char *name = which % (n + 1) == n ? "nope.txt" : names[which % (n + 1)];
    const char *data;
    size_t len;
    rp_status st = srv_entry_file(e, name, &data, &len);
    if (strcmp(name, "nope.txt") == 0) {
        CHECK(st == RP_ERR_NOT_FOUND);
        return;
    }
    CHECK(st == RP_OK || st == RP_ERR_LIMIT);
    if (st != RP_OK)
        return;
    rp_cursor *c;
    char buf[4096];
    size_t off = 0;
    ssize_t r;
    CHECK(rp_cursor_new(s, name, &c) == RP_OK);
    while ((r = rp_cursor_read(c, buf, sizeof buf)) > 0) {
        CHECK(off + (size_t)r <= len && memcmp(data + off, buf, (size_t)r) == 0);
        off += (size_t)r;
    }
    rp_cursor_free(c);
    CHECK(r == 0 && off == len);
}

static void setup(void)
{
    static const char *users[] = {"a", "a", "b", "b", "c", "c", "a", "b", "c", "d"};
    static const char *items[] = {"x", "y", "x", "y", "x", "z", "z", "z", "y", "x"};
    static const int64_t ts[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    if (rp_dataset_from_rows(users, items, ts, NULL, 10, &ds, NULL) != RP_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ds == NULL)
        setup();
    if (size < 1)
        return 0;
    struct srv_cache *c = srv_cache_new(1024 + (size_t)data[0] * 64);
    struct srv_entry *held[HELD];
    unsigned held_key[HELD], held_ver[HELD], n_held = 0, hits = 0, misses = 0;
    memset(version, 0, sizeof version);
    computations = 0;
    unsigned next_version = 1;
    for (size_t i = 1; i + 2 <= size; i += 2) {
        unsigned op = data[i] & 3, key = (data[i] >> 2) % KEYS, arg = data[i + 1];
        if (op == 0 && n_held < HELD) { /* get */
            struct job j = {key, arg * 8u, next_version, (data[i] >> 5) == 7, key >= 6};
            struct srv_entry *e = NULL;
            int hit = -1;
            rp_error err;
            rp_error_clear(&err);
            unsigned before = computations;
            rp_status st =
                srv_cache_get(c, (const char *)&key, sizeof key, compute, &j, &e, &hit, &err);
            if (st != RP_OK) {
                CHECK(j.fail && computations == before + 1 && e == NULL);
                misses++;
                continue;
            }
            if (hit) {
                CHECK(computations == before && version[key] != 0);
                hits++;
            } else {
                CHECK(computations == before + 1);
                version[key] = next_version++;
                misses++;
            }
            check_version(e, key, version[key]);
            held[n_held] = e;
            held_ver[n_held] = version[key];
            held_key[n_held++] = key;
        } else if (op == 1 && n_held < HELD) { /* peek */
            struct srv_entry *e = NULL;
            if (srv_cache_peek(c, (const char *)&key, sizeof key, &e)) {
                check_version(e, key, version[key]);
                held[n_held] = e;
                held_ver[n_held] = version[key];
                held_key[n_held++] = key;
                hits++;
            }
        } else if (op == 2 && n_held > 0) { /* release */
            unsigned k = arg % n_held;
            srv_entry_release(held[k]);
            held[k] = held[--n_held];
            held_key[k] = held_key[n_held];
            held_ver[k] = held_ver[n_held];
        } else if (op == 3 && n_held > 0) { /* a file of a held entry */
            unsigned k = arg % n_held;
            check_version(held[k], held_key[k], held_ver[k]);
            check_file(held[k], arg >> 4);
        }
    }
    while (n_held > 0)
        srv_entry_release(held[--n_held]);
    struct srv_cache_counters cc;
    srv_cache_counters(c, &cc);
    CHECK(cc.bytes <= cc.max_bytes);
    CHECK(cc.hits == hits && cc.misses == misses);
    srv_cache_free(c);
    return 0;
}
