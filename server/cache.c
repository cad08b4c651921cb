/*
 * server/cache.c - single-flight, byte-bounded LRU cache of results.
 *
 * What: a uthash map from key bytes to entries, one mutex and one condition
 * variable for the whole cache, and an intrusive LRU list of finished
 * entries.
 * Invariants (under c->mu):
 *   - an entry is in the map iff it is COMPUTING or READY and not evicted;
 *   - an entry is in the LRU list iff it is READY and in the map;
 *   - c->bytes is the sum of e->bytes over entries in the map;
 *   - an entry is freed only when it is out of the map and refs == 0;
 *   - an entry taken out of the map while computing (dropped, or transient)
 *     never enters the map or the LRU list again.
 *   - an entry in the map never holds more than the budget (e->bytes <=
 *     max_bytes); c->bytes <= max_bytes once the call that grew it returns.
 * Computations and file materialisation run with the mutex released; waiters
 * sleep on the condition variable, so N concurrent requests for one key cost
 * one computation.
 * What an entry costs (issue #10 item 4): its key and struct, its JSON, the
 * rp_split's own arrays (rp_split_memory: sequences, ID maps, per-user
 * offsets - what a cursor needs) and every materialised file, gzip coding
 * and final JSON. The small part (all but the files) is kept whenever it
 * fits the budget alone; a file (or its gzip coding) is only materialised
 * when it fits beside its entry (fits_locked), counted from the moment it
 * starts building. Otherwise the file streams from the cursor over the kept
 * split, so a download never recomputes the result it belongs to, and the
 * entry never evicts itself by materialising. A result whose small part
 * alone exceeds the budget is served to the requests waiting for it and
 * then freed (counted as oversize) - without evicting the others first,
 * which could not make room for it anyway.
 * Memory outside the budget: computations in flight and entries held by
 * responses still sending (at most one per connection); freed memory goes
 * back to the system (memory.c).
 * Complexity: O(1) expected per lookup (hash of the key); eviction O(1) per
 * evicted entry.
 * Rejected: a lock per entry or a reader-writer lock. The critical sections
 * are a hash lookup and a few pointer moves (well under a microsecond), so a
 * single mutex does not limit 20k requests/s on two cores, and one lock keeps
 * the invariants above easy to check.
 */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "recprep/json.h"

#include "gzip.h"
#include "memory.h"
#include "util.h"
#include "recprep/cursor.h"

#define MAX_FILES 10 /* a recipe's files at most (RPI_MAX_FILES in the core) */
#define JSON_SLOT MAX_FILES
#define FINAL_SLOT (MAX_FILES + 1)

enum entry_state { ST_COMPUTING, ST_READY, ST_FAILED };
enum file_state { F_NONE, F_BUILDING, F_READY };

struct file_slot {
    char *data;
    size_t len;
    enum file_state state;
};

struct srv_entry {
    UT_hash_handle hh;
    struct srv_cache *cache;
    char *key;
    size_t key_len;
    enum entry_state state;
    rp_status status; /* ST_FAILED */
    rp_error err;     /* ST_FAILED */
    struct srv_result res;
    struct file_slot files[MAX_FILES];
    struct file_slot final_json;        /* the final body of a partial res.json */
    struct file_slot gz[MAX_FILES + 2]; /* gzip of files[i]; [JSON_SLOT]: of res.json,
                                           [FINAL_SLOT]: of final_json */
    unsigned refs;
    int in_map;
    size_t bytes;
    struct srv_entry *prev, *next; /* LRU, most recent at head */
};

struct srv_cache {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct srv_entry *map;
    struct srv_entry *head, *tail;
    size_t bytes, max_bytes;
    uint64_t hits, misses, evictions, entries;
    uint64_t oversize; /* results too big to keep even without their files */
    uint64_t gzips, gzip_ns, gzip_in, gzip_out; /* compressions: count, time, bytes */
};

struct srv_cache *srv_cache_new(size_t max_bytes)
{
    struct srv_cache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->max_bytes = max_bytes;
    return c;
}

static void entry_free(struct srv_entry *e)
{
    size_t bytes = e->bytes;
    for (size_t i = 0; i < MAX_FILES; i++)
        free(e->files[i].data);
    for (size_t i = 0; i <= FINAL_SLOT; i++)
        free(e->gz[i].data);
    free(e->final_json.data);
    rp_split_free(e->res.split);
    free(e->res.json);
    free(e->key);
    free(e);
    srv_memory_freed(bytes);
}

void srv_cache_free(struct srv_cache *c)
{
    if (c == NULL)
        return;
    struct srv_entry *e, *tmp;
    HASH_ITER(hh, c->map, e, tmp)
    {
        HASH_DEL(c->map, e);
        entry_free(e);
    }
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void lru_unlink(struct srv_cache *c, struct srv_entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else if (c->head == e)
        c->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else if (c->tail == e)
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(struct srv_cache *c, struct srv_entry *e)
{
    e->next = c->head;
    e->prev = NULL;
    if (c->head != NULL)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

/* Take e out of the map (and LRU); free it unless someone holds it. */
static void detach_locked(struct srv_cache *c, struct srv_entry *e)
{
    if (!e->in_map)
        return;
    HASH_DEL(c->map, e);
    if (e->state == ST_READY)
        lru_unlink(c, e);
    e->in_map = 0;
    c->bytes -= e->bytes;
    c->entries--;
    if (e->refs == 0)
        entry_free(e);
}

/* Make the budget hold after keep grew: keep itself leaves (counted as
 * oversize; the caller holds a reference) when it alone outgrew the budget -
 * the others stay, they would not make room for it - otherwise
 * least-recently-used entries other than keep are evicted. */
static void evict_locked(struct srv_cache *c, struct srv_entry *keep)
{
    if (keep != NULL && keep->in_map && keep->bytes > c->max_bytes) {
        c->oversize++;
        detach_locked(c, keep);
    }
    struct srv_entry *v = c->tail;
    while (c->bytes > c->max_bytes && v != NULL) {
        struct srv_entry *prev = v->prev;
        if (v != keep) {
            c->evictions++;
            detach_locked(c, v);
        }
        v = prev;
    }
}

/* e's bytes become e->bytes - sub + add; make room by evicting others. */
static void account_locked(struct srv_cache *c, struct srv_entry *e, size_t add, size_t sub)
{
    e->bytes = e->bytes + add - sub;
    if (e->in_map) {
        c->bytes = c->bytes + add - sub;
        evict_locked(c, e);
    }
}

/* 1 if add more bytes may be kept in e: e is cached, add is at most a
 * quarter of the budget (one file never crowds out everything else) and
 * e's small part plus what it already keeps plus add fit the budget alone -
 * so keeping a file never evicts the result the file belongs to. */
static int fits_locked(const struct srv_cache *c, const struct srv_entry *e, uint64_t add)
{
    return e->in_map && add <= c->max_bytes / 4 && add <= c->max_bytes - e->bytes;
}

static struct srv_entry *entry_new(struct srv_cache *c, const char *key, size_t key_len)
{
    struct srv_entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->key = malloc(key_len ? key_len : 1);
    if (e->key == NULL) {
        free(e);
        return NULL;
    }
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
    e->cache = c;
    e->refs = 1;
    e->state = ST_COMPUTING;
    e->bytes = sizeof *e + key_len;
    return e;
}

/* Run the computation for e (mutex not held), then publish the outcome. */
static rp_status compute(struct srv_cache *c, struct srv_entry *e, srv_compute_fn fn, void *arg,
                         rp_error *err)
{
    struct srv_result res = {0};
    rp_error local;
    rp_error_clear(&local);
    rp_status st = fn(arg, &res, &local);
    size_t add = res.json_len + (res.split ? rp_split_memory(res.split) : 0);
    srv_memory_freed(add); /* the computation's scratch: about as big as its result */
    pthread_mutex_lock(&c->mu);
    if (st == RP_OK) {
        if (res.transient)
            detach_locked(c, e); /* refs >= 1: stays allocated for the waiters */
        e->res = res;
        e->state = ST_READY;
        if (e->in_map)
            lru_push(c, e);
        account_locked(c, e, add, 0);
    } else {
        e->state = ST_FAILED;
        e->status = st;
        e->err = local;
        detach_locked(c, e); /* refs >= 1: stays allocated for the waiters */
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (st != RP_OK && err != NULL)
        *err = local;
    return st;
}

rp_status srv_cache_get(struct srv_cache *c, const char *key, size_t key_len, srv_compute_fn fn,
                        void *arg, struct srv_entry **out, int *hit, rp_error *err)
{
    struct srv_entry *e;
    *out = NULL;
    pthread_mutex_lock(&c->mu);
    HASH_FIND(hh, c->map, key, key_len, e);
    if (e == NULL) {
        e = entry_new(c, key, key_len);
        if (e == NULL) {
            pthread_mutex_unlock(&c->mu);
            return RP_ERR_NOMEM;
        }
        HASH_ADD_KEYPTR(hh, c->map, e->key, e->key_len, e);
        e->in_map = 1;
        c->bytes += e->bytes;
        c->entries++;
        c->misses++;
        *hit = 0;
        pthread_mutex_unlock(&c->mu);
        rp_status st = compute(c, e, fn, arg, err);
        if (st != RP_OK) {
            srv_entry_release(e);
            return st;
        }
        *out = e;
        return RP_OK;
    }
    e->refs++;
    c->hits++;
    *hit = 1;
    while (e->state == ST_COMPUTING)
        pthread_cond_wait(&c->cv, &c->mu);
    if (e->state == ST_READY && e->in_map) {
        lru_unlink(c, e);
        lru_push(c, e);
    }
    pthread_mutex_unlock(&c->mu);
    if (e->state == ST_FAILED) {
        rp_status st = e->status;
        if (err != NULL)
            *err = e->err;
        srv_entry_release(e);
        return st;
    }
    *out = e;
    return RP_OK;
}

int srv_cache_peek(struct srv_cache *c, const char *key, size_t key_len, struct srv_entry **out)
{
    struct srv_entry *e;
    pthread_mutex_lock(&c->mu);
    HASH_FIND(hh, c->map, key, key_len, e);
    int ready = e != NULL && e->state == ST_READY;
    if (ready) {
        e->refs++;
        c->hits++;
        lru_unlink(c, e);
        lru_push(c, e);
        *out = e;
    }
    pthread_mutex_unlock(&c->mu);
    return ready;
}

const struct srv_result *srv_entry_result(const struct srv_entry *e)
{
    return &e->res;
}

struct srv_entry *srv_entry_ref(struct srv_entry *e)
{
    pthread_mutex_lock(&e->cache->mu);
    e->refs++;
    pthread_mutex_unlock(&e->cache->mu);
    return e;
}

void srv_entry_release(struct srv_entry *e)
{
    if (e == NULL)
        return;
    struct srv_cache *c = e->cache;
    pthread_mutex_lock(&c->mu);
    int last = --e->refs == 0 && !e->in_map;
    pthread_mutex_unlock(&c->mu);
    if (last)
        entry_free(e);
}

rp_status srv_result_set_json(struct srv_result *out, json_t *j)
{
    out->json = j ? json_dumps(j, RP_JSON_COMPACT) : NULL;
    json_decref(j);
    out->json_len = out->json ? strlen(out->json) : 0;
    return out->json ? RP_OK : RP_ERR_NOMEM;
}

/* Index of file name in the result's file list, or -1. */
static int file_index(const struct srv_entry *e, const char *name)
{
    size_t n;
    if (e->res.split == NULL)
        return -1;
    const char *const *names = rp_split_files(e->res.split, &n);
    for (size_t i = 0; i < n && i < MAX_FILES; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* Read the whole file through a cursor into a new buffer of exactly size bytes. */
static rp_status materialise(const rp_split *s, const char *name, uint64_t size, char **out)
{
    rp_cursor *cur;
    rp_status st = rp_cursor_new(s, name, &cur);
    if (st != RP_OK)
        return st;
    char *buf = malloc(size ? size : 1);
    uint64_t got = 0;
    ssize_t r = 1;
    while (buf != NULL && got < size && (r = rp_cursor_read(cur, buf + got, size - got)) > 0)
        got += (uint64_t)r;
    rp_cursor_free(cur);
    if (buf == NULL)
        return RP_ERR_NOMEM;
    if (got != size || r < 0) {
        free(buf);
        return RP_ERR_INTERNAL; /* the cursor disagrees with rp_split_file_size */
    }
    *out = buf;
    return RP_OK;
}

/* Builds a slot's bytes with no lock held: RP_OK and a malloc'd *buf. */
typedef rp_status (*slot_build_fn)(void *ctx, char **buf, size_t *len);

/* How a slot is made: build(ctx) makes its bytes, reserve bytes are counted
 * while it builds (at most what it keeps, so the budget holds throughout).
 * An optional slot (a file or its gzip coding) is only made when reserve
 * fits beside the entry (fits_locked), else the caller streams or serves
 * identity; a JSON body is always made (a response needs it). */
struct slot_plan {
    slot_build_fn build;
    void *ctx;
    size_t reserve;
    int optional;
};

/* Fill slot f of e once (single-flight: concurrent callers wait for the
 * first), account its bytes, and return them. RP_ERR_LIMIT: optional and
 * no room. */
static rp_status slot_fill(struct srv_entry *e, struct file_slot *f, const struct slot_plan *plan,
                           const char **data, size_t *len)
{
    struct srv_cache *c = e->cache;
    pthread_mutex_lock(&c->mu);
    while (f->state == F_BUILDING)
        pthread_cond_wait(&c->cv, &c->mu);
    if (f->state == F_NONE) {
        if (plan->optional && !fits_locked(c, e, plan->reserve)) {
            pthread_mutex_unlock(&c->mu);
            return RP_ERR_LIMIT;
        }
        f->state = F_BUILDING;
        account_locked(c, e, plan->reserve, 0);
        pthread_mutex_unlock(&c->mu);
        char *buf = NULL;
        size_t n = 0;
        rp_status st = plan->build(plan->ctx, &buf, &n);
        pthread_mutex_lock(&c->mu);
        f->state = st == RP_OK ? F_READY : F_NONE;
        f->data = buf;
        f->len = n;
        account_locked(c, e, st == RP_OK ? n : 0, plan->reserve);
        pthread_cond_broadcast(&c->cv);
        if (st != RP_OK) {
            pthread_mutex_unlock(&c->mu);
            return st;
        }
    }
    pthread_mutex_unlock(&c->mu);
    *data = f->data;
    *len = f->len;
    return RP_OK;
}

/* What slot_fill(e, f, plan) would do: answer at once with the built slot
 * (READY) or with a refusal of an optional slot that does not fit
 * (REFUSED), or build it (PENDING). */
enum { SLOT_PENDING, SLOT_READY, SLOT_REFUSED };

static int slot_state(struct srv_entry *e, const struct file_slot *f, const struct slot_plan *plan)
{
    struct srv_cache *c = e->cache;
    pthread_mutex_lock(&c->mu);
    int st = f->state == F_READY ? SLOT_READY
             : f->state == F_NONE && plan->optional && !fits_locked(c, e, plan->reserve)
                 ? SLOT_REFUSED
                 : SLOT_PENDING;
    pthread_mutex_unlock(&c->mu);
    return st;
}

/* 1 if slot_fill(e, f, plan) would answer at once. */
static int slot_settled(struct srv_entry *e, const struct file_slot *f,
                        const struct slot_plan *plan)
{
    return slot_state(e, f, plan) != SLOT_PENDING;
}

struct file_ctx {
    const rp_split *split;
    const char *name;
    uint64_t size;
};

static rp_status build_file(void *ctx, char **buf, size_t *len)
{
    const struct file_ctx *fc = ctx;
    *len = (size_t)fc->size;
    return materialise(fc->split, fc->name, fc->size, buf);
}

/* The plan for file name of e (optional: kept only when it fits). Returns
 * its slot index, or -1 for no such file. */
static int file_plan(struct srv_entry *e, const char *name, struct file_ctx *fc,
                     struct slot_plan *plan)
{
    int i = file_index(e, name);
    uint64_t lines;
    if (i < 0 || rp_split_file_size(e->res.split, name, &lines, &fc->size) != RP_OK)
        return -1;
    fc->split = e->res.split;
    fc->name = name;
    int small = fc->size <= SIZE_MAX / 2;
    *plan = (struct slot_plan){build_file, fc, small ? (size_t)fc->size : SIZE_MAX / 2, 1};
    return i;
}

rp_status srv_entry_file(struct srv_entry *e, const char *name, const char **data, size_t *len)
{
    struct file_ctx fc;
    struct slot_plan plan;
    int i = file_plan(e, name, &fc, &plan);
    return i < 0 ? RP_ERR_NOT_FOUND : slot_fill(e, &e->files[i], &plan, data, len);
}

int srv_entry_file_cached(struct srv_entry *e, const char *name)
{
    struct file_ctx fc;
    struct slot_plan plan;
    int i = file_plan(e, name, &fc, &plan);
    return i < 0 || slot_settled(e, &e->files[i], &plan);
}

struct gzip_ctx {
    struct srv_cache *c;
    const char *data;
    size_t len;
};

static rp_status build_gzip(void *ctx, char **buf, size_t *len)
{
    const struct gzip_ctx *gc = ctx;
    uint64_t t0 = srv_now_ns();
    rp_status st = srv_gzip(gc->data, gc->len, buf, len);
    uint64_t ns = srv_now_ns() - t0;
    pthread_mutex_lock(&gc->c->mu);
    if (st == RP_OK) {
        gc->c->gzips++;
        gc->c->gzip_ns += ns;
        gc->c->gzip_in += gc->len;
        gc->c->gzip_out += *len;
    }
    pthread_mutex_unlock(&gc->c->mu);
    return st;
}

/* The identity bytes that slot gz[*slot] encodes: a file or the JSON. */
static rp_status identity_of(struct srv_entry *e, const char *name, const char **data, size_t *len,
                             int *slot)
{
    if (name == NULL) {
        *data = e->res.json;
        *len = e->res.json_len;
        *slot = JSON_SLOT;
        return *data != NULL ? RP_OK : RP_ERR_NOT_FOUND;
    }
    *slot = file_index(e, name);
    return srv_entry_file(e, name, data, len);
}

/* A file's gzip coding is optional (kept only when it fits, reserving the
 * identity size: text compresses); the JSON body's is always made. */
static struct slot_plan gzip_plan(struct gzip_ctx *gc, int optional)
{
    return (struct slot_plan){build_gzip, gc, gc->len, optional};
}

rp_status srv_entry_gzip(struct srv_entry *e, const char *name, const char **data, size_t *len)
{
    struct gzip_ctx gc = {e->cache, NULL, 0};
    int slot;
    rp_status st = identity_of(e, name, &gc.data, &gc.len, &slot);
    if (st != RP_OK)
        return st;
    if (gc.len < SRV_GZIP_MIN)
        return RP_ERR_LIMIT;
    struct slot_plan plan = gzip_plan(&gc, name != NULL);
    return slot_fill(e, &e->gz[slot], &plan, data, len);
}

int srv_entry_gzip_cached(struct srv_entry *e, const char *name)
{
    struct gzip_ctx gc = {e->cache, NULL, e->res.json_len};
    int slot = JSON_SLOT;
    if (name != NULL) {
        struct file_ctx fc;
        struct slot_plan fp;
        if ((slot = file_plan(e, name, &fc, &fp)) < 0)
            return 1; /* no such file: the handler answers */
        int st = slot_state(e, &e->files[slot], &fp);
        if (st != SLOT_READY)
            return st == SLOT_REFUSED; /* refused: streamed, served as identity */
        gc.len = (size_t)fc.size;
    }
    struct slot_plan plan = gzip_plan(&gc, name != NULL);
    return gc.len < SRV_GZIP_MIN || slot_settled(e, &e->gz[slot], &plan);
}

struct final_ctx {
    struct srv_entry *e;
    srv_json_fn fn;
    void *ctx;
};

static rp_status build_final(void *ctx, char **buf, size_t *len)
{
    const struct final_ctx *fc = ctx;
    return fc->fn(fc->ctx, &fc->e->res, buf, len);
}

rp_status srv_entry_json_finish(struct srv_entry *e, srv_json_fn fn, void *ctx)
{
    struct final_ctx fc = {e, fn, ctx};
    struct slot_plan plan = {build_final, &fc, 0, 0};
    const char *data;
    size_t len;
    return slot_fill(e, &e->final_json, &plan, &data, &len);
}

/* The final body: F_READY is set once, under the mutex, and the bytes
 * never change afterwards. */
static int final_body(struct srv_entry *e, const char **data, size_t *len)
{
    pthread_mutex_lock(&e->cache->mu);
    int ready = e->final_json.state == F_READY;
    pthread_mutex_unlock(&e->cache->mu);
    if (ready) {
        *data = e->final_json.data;
        *len = e->final_json.len;
    }
    return ready;
}

void srv_entry_json(struct srv_entry *e, int final, const char **data, size_t *len)
{
    if (final && final_body(e, data, len))
        return;
    *data = e->res.json;
    *len = e->res.json_len;
}

rp_status srv_entry_gzip_json(struct srv_entry *e, int final, const char **data, size_t *len)
{
    struct gzip_ctx gc = {e->cache, NULL, 0};
    if (!final || !final_body(e, &gc.data, &gc.len))
        return srv_entry_gzip(e, NULL, data, len);
    if (gc.len < SRV_GZIP_MIN)
        return RP_ERR_LIMIT;
    struct slot_plan plan = gzip_plan(&gc, 0);
    return slot_fill(e, &e->gz[FINAL_SLOT], &plan, data, len);
}

void srv_cache_drop_prefix(struct srv_cache *c, const char *prefix, size_t len)
{
    struct srv_entry *e, *tmp;
    pthread_mutex_lock(&c->mu);
    HASH_ITER(hh, c->map, e, tmp)
    {
        if (e->key_len >= len && memcmp(e->key, prefix, len) == 0)
            detach_locked(c, e);
    }
    pthread_mutex_unlock(&c->mu);
}

void srv_cache_counters(struct srv_cache *c, struct srv_cache_counters *out)
{
    pthread_mutex_lock(&c->mu);
    out->hits = c->hits;
    out->misses = c->misses;
    out->evictions = c->evictions;
    out->oversize = c->oversize;
    out->bytes = c->bytes;
    out->max_bytes = c->max_bytes;
    out->entries = c->entries;
    out->gzips = c->gzips;
    out->gzip_seconds = (double)c->gzip_ns / 1e9;
    out->gzip_in = c->gzip_in;
    out->gzip_out = c->gzip_out;
    pthread_mutex_unlock(&c->mu);
}
