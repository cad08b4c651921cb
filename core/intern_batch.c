/*
 * core/intern_batch.c - the parallel load's user IDs, interned in batches,
 * part by part.
 *
 * Why. rp_intern's lookup is one random access into a table and one into
 * the entries, anywhere in memory: on the 100M-row generated log (60M users,
 * a 1 GB table and 1.4 GB of entries) that cost 250-360 ns a row against
 * 95 ns on the 2M-row log (intern.c), the load's superlinear part. Here the
 * hash space is cut into parts of about PART_TARGET bytes each (table and
 * entries), and the strings of a batch of rows (up to 4M) are resolved one
 * part at a time: the lookups of a part land in the same few hundred KB,
 * which stay in the TLB's reach (and largely in cache) while the part's
 * strings are resolved. First measured with a prototype on this project's
 * 2-core VM, the generated logs' user IDs in memory: 100M rows 333-348 ->
 * 114-137 ns a row. In `recprep stats` (December 2026, same VM, alternated
 * runs): 20M rows median 6.06 -> 5.23 s; 100M rows 43.2 -> 34.4 s, its
 * loading phase 35 -> 22.5 s and user CPU time 52 -> 40 s.
 *
 * How. A queued chunk's strings are copied into records grouped by part
 * (a counting sort; the column holds each row's part meanwhile, or RUN for
 * a row whose string is the row before's). A flush walks each part's
 * records of every queued chunk in row order and looks them up in the
 * part's table: a record gets the index of a string seen in an earlier
 * batch, or the number of a string new in this batch, FIRST for its first
 * row, AGAIN for the later ones. Then one walk of the queued rows in row
 * order numbers the new strings in order of first appearance - the
 * contract's rule - and writes every row's index into the column. A part's
 * entries lie in blocks of the shared arena; an entry at or past its part's
 * mark (where the part's next entry went when the batch began) is new in
 * this batch.
 *
 * Seal: each string's entry is noted at its index (refs) as the string gets
 * one, and its length is added to its index range's byte count (a range of
 * 2^16 indices, a few hundred counts in all). The seal frees the tables and
 * batch buffers, then copies the strings in index order: a sequential read
 * of refs, one random read of the arena a string (prefetched), a sequential
 * write of the packed bytes, each string's offset written over its ref. The
 * byte counts give every range's offset, so two threads copy a half each.
 * The result is an ordinary sealed rp_intern. Until December 2026 the seal
 * walked the arena twice instead, writing each string's length, then its
 * bytes, at its index: two random writes a string, where this is one
 * random read. On the 20M-row generated log (11.9M users), both on two
 * threads, alternated runs with temporary timers: 410-470 ms -> 84-106 ms;
 * `recprep temporal` 5.96-6.40 -> 5.58-6.02 s (5 pairs). refs costs 4
 * bytes a string during the load, but the seal allocated its offsets then
 * anyway: the load's peak stays where it was.
 *
 * Only big loads take this path (RPI_BINTERN_MIN_EXPECTED, builder.c): on
 * the 2M-row log (a 16 MB table) it was 0.03 s slower than rp_intern and
 * its batch buffers raised the load's peak by 17 MB (15%).
 *
 * Invariants: per part, count < capacity * 0.7; ref 0 = empty slot; a
 * part's entries created in the current batch lie at or past its mark;
 * refs[i] is string i's entry for every i < count.
 */
#include "intern_batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "beside.h"
#include "bytes.h"
#include "intern_impl.h"
#include "mem.h"

#define ENTRY_ALIGN 4u
#define LEN_LONG 255u
#define MAX_COUNT (UINT32_MAX - 3u) /* indices stay below RUN; refs has count + 1 */
#define REF_LIMIT ((uint64_t)UINT32_MAX * ENTRY_ALIGN)
#define BLOCK ((uint64_t)4 << 10) /* a part's share of the arena at a time */
#define PART_TARGET ((size_t)256 << 10)
#define BYTES_PER_STRING 36u /* slots at load ~0.5 plus an entry */
#define MAX_PART_BITS 16u
#define BATCH_MIN ((size_t)1 << 16)
#define BATCH_MAX ((size_t)1 << 22)
#define REC_LEN_LIMIT ((uint32_t)1 << 30)
#define RUN UINT32_MAX /* queued row: the same string as the row before */
#define MIN_CAP 16u    /* slots of a part's table, at least */
#define D_SLOT 16      /* prefetch distances, records ahead */
#define D_ENTRY 8
#define D_SEAL 16     /* the seal's prefetch distance, strings ahead */
#define RANGE_BITS 16 /* strings i >> RANGE_BITS share a byte count */

typedef struct bslot {
    uint32_t ref; /* entry offset / ENTRY_ALIGN + 1; 0 = empty */
    uint32_t hi;  /* hash bits below the part's */
} bslot;

typedef struct bpart {
    bslot *tab;
    uint32_t cap, count;       /* any capacity: home slots by multiply-shift */
    int own_tab;               /* tab is its own block, not in the shared one */
    uint64_t epos, eend, mark; /* current block [epos, eend); mark: see above */
    uint64_t bytes;            /* its strings' bytes */
    uint32_t nnew, newcap;     /* strings new in this batch */
    uint32_t *newent;          /* [nnew] their entries' refs */
    uint32_t *newidx;          /* [nnew] their indices, once numbered */
} bpart;

/* A queued chunk's strings as records grouped by part, in the batch's
 * buffers: record o of the chunk (in that order) lies at rec + rec0 + its
 * byte offset, its lookup's result in res[res0 + o] - a string's index, or
 * when kind[res0 + o] is FIRST or AGAIN its number among its part's new
 * strings of the batch. */
enum {
    OLD,
    FIRST,
    AGAIN
}; /* a record's string: seen in an earlier batch,
     new in this one (its first row, a later row) */
typedef struct qchunk {
    uint32_t row0, n;
    uint32_t *segn; /* [nparts + 1]: each part's first record */
    uint32_t *segb; /* [nparts + 1]: and its byte offset */
    uint64_t rec0;
    size_t res0;
} qchunk;

/* A record to resolve: where it is, where its result goes. */
typedef struct todo {
    const char *rec;
    uint32_t *res;
    uint8_t *kind;
} todo;

struct rpi_bintern {
    bpart *parts;
    bslot *tabs; /* the parts' first tables */
    uint32_t bits, nparts;
    char *arena;
    uint64_t arena_len, arena_cap;
    uint32_t count;
    uint32_t *refs;        /* [count]: string i's entry (a slot's ref) */
    uint64_t *range_bytes; /* [count >> RANGE_BITS + 1]: bytes of a range's strings */
    size_t refs_cap, ranges_cap;
    uint64_t ent_bound; /* arena bytes the queued records' entries may take */
    qchunk *q;          /* queued chunks: nq in use; all keep their buffers */
    size_t nq, qcap;
    char *rec; /* the batch's records: u32 hash bits, u32 length, the bytes,
                  padding to 4 */
    uint64_t rec_len, rec_cap;
    uint32_t *res; /* the batch's results */
    uint8_t *kind;
    size_t nres, res_cap;
    size_t queued, batch;
    uint32_t *cur; /* [nparts] cursors */
    todo *lst[2];  /* a list of records per resolving thread */
    size_t lst_cap[2];
    int parallel; /* two threads resolve: blocks under mu, no realloc */
    pthread_mutex_t mu;
};

static uint32_t rd32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void wr32(char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static size_t entry_size(size_t len)
{
    size_t head = len < LEN_LONG ? 5 : 9;
    return (head + len + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1);
}

static size_t rec_size(uint32_t len)
{
    return (8 + (size_t)len + 3) & ~(size_t)3;
}

/* Where the entry of a slot's ref lies in the arena. */
static uint64_t ref_pos(uint32_t ref)
{
    return (uint64_t)(ref - 1) * ENTRY_ALIGN;
}

/* The entry at pos: its index, length and bytes. */
static uint32_t entry_at(const char *arena, uint64_t pos, uint32_t *len, const char **bytes)
{
    const char *e = arena + pos;
    uint32_t l = (unsigned char)e[4];
    if (l != LEN_LONG) {
        *len = l;
        *bytes = e + 5;
    } else {
        *len = rd32(e + 5);
        *bytes = e + 9;
    }
    return rd32(e);
}

static void entry_put(char *e, uint32_t idx, const char *s, uint32_t len)
{
    wr32(e, idx);
    if (len < LEN_LONG) {
        e[4] = (char)len;
        e += 5;
    } else {
        e[4] = (char)LEN_LONG;
        wr32(e + 5, len);
        e += 9;
    }
    if (len)
        memcpy(e, s, len);
}

static uint32_t part_index(const rpi_bintern *bi, uint64_t h)
{
    return bi->bits ? (uint32_t)(h >> (64 - bi->bits)) : 0;
}

static uint32_t hash_hi(const rpi_bintern *bi, uint64_t h)
{
    return (uint32_t)(h >> (32 - bi->bits));
}

static size_t home(uint32_t cap, uint32_t hi)
{
    return (size_t)(((uint64_t)hi * cap) >> 32);
}

/* Slots for n strings at a load of 0.6 (grown past 0.7). */
static uint32_t cap_for(size_t n)
{
    uint64_t c = (uint64_t)n * 5 / 3 + 1;
    return c < MIN_CAP ? MIN_CAP : c > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)c;
}

/* ---- making and freeing --------------------------------------------------- */

rpi_bintern *rpi_bintern_new(size_t expected, size_t batch_rows)
{
    rpi_bintern *bi = calloc(1, sizeof *bi);
    if (!bi)
        return NULL;
    pthread_mutex_init(&bi->mu, NULL);
    uint64_t want = (uint64_t)expected * BYTES_PER_STRING / PART_TARGET;
    while (bi->bits < MAX_PART_BITS && ((uint64_t)1 << bi->bits) < want)
        bi->bits++;
    bi->nparts = 1u << bi->bits;
    uint32_t cap = cap_for(expected / bi->nparts + 1);
    bi->batch = batch_rows ? batch_rows : expected / 10;
    if (!batch_rows)
        bi->batch = bi->batch < BATCH_MIN   ? BATCH_MIN
                    : bi->batch > BATCH_MAX ? BATCH_MAX
                                            : bi->batch;
    bi->parts = calloc(bi->nparts, sizeof *bi->parts);
    bi->cur = malloc(bi->nparts * sizeof *bi->cur);
    bi->tabs = rpi_calloc_big((size_t)bi->nparts * cap, sizeof(bslot));
    /* Room for twice the expected strings (untouched pages cost nothing) and
     * a block per part, so that a big load does not copy the arena. */
    uint64_t acap = (uint64_t)expected * 2 * 24 + (uint64_t)bi->nparts * BLOCK;
    bi->arena = rpi_alloc_big(acap, 1);
    bi->arena_cap = bi->arena ? acap : 0;
    bi->refs_cap = expected * 2 + 1; /* the same reasoning */
    bi->refs = rpi_alloc_big(bi->refs_cap, sizeof *bi->refs);
    if (!bi->parts || !bi->cur || !bi->tabs || !bi->arena || !bi->refs) {
        rpi_bintern_free(bi);
        return NULL;
    }
    for (uint32_t p = 0; p < bi->nparts; p++) {
        bi->parts[p].tab = bi->tabs + (size_t)p * cap;
        bi->parts[p].cap = cap;
    }
    return bi;
}

static void free_tables(rpi_bintern *bi)
{
    for (uint32_t p = 0; bi->parts && p < bi->nparts; p++) {
        bpart *pt = &bi->parts[p];
        if (pt->own_tab)
            free(pt->tab);
        pt->tab = NULL;
        pt->own_tab = 0;
    }
    free(bi->tabs);
    bi->tabs = NULL;
}

void rpi_bintern_free(rpi_bintern *bi)
{
    if (!bi)
        return;
    free_tables(bi);
    for (uint32_t p = 0; bi->parts && p < bi->nparts; p++) {
        free(bi->parts[p].newent);
        free(bi->parts[p].newidx);
    }
    for (size_t c = 0; c < bi->qcap; c++) {
        free(bi->q[c].segn);
        free(bi->q[c].segb);
    }
    free(bi->rec);
    free(bi->res);
    free(bi->kind);
    free(bi->q);
    free(bi->parts);
    free(bi->cur);
    free(bi->arena);
    free(bi->refs);
    free(bi->range_bytes);
    free(bi->lst[0]);
    free(bi->lst[1]);
    pthread_mutex_destroy(&bi->mu);
    free(bi);
}

uint32_t rpi_bintern_count(const rpi_bintern *bi)
{
    return bi->count;
}

int rpi_bintern_due(const rpi_bintern *bi)
{
    return bi->queued >= bi->batch;
}

/* ---- entries and tables ---------------------------------------------------- */

/* Arena capacity for need more bytes. */
static rp_status arena_room(rpi_bintern *bi, uint64_t need)
{
    if (bi->arena_len + need > REF_LIMIT)
        return RP_ERR_LIMIT;
    if (bi->arena_len + need > bi->arena_cap) {
        if (bi->parallel)
            return RP_ERR_INTERNAL; /* rpi_bintern_flush reserved the batch's bound */
        uint64_t cap = bi->arena_cap * 2;
        while (cap < bi->arena_len + need)
            cap *= 2;
        char *a = cap <= SIZE_MAX ? realloc(bi->arena, (size_t)cap) : NULL;
        if (!a)
            return RP_ERR_NOMEM;
        bi->arena = a;
        bi->arena_cap = cap;
    }
    return RP_OK;
}

/* Room for need bytes in the part's block, or a new block (under mu while
 * two threads resolve: the arena's end is shared). */
static rp_status part_room(rpi_bintern *bi, bpart *pt, size_t need)
{
    if (pt->eend - pt->epos >= need)
        return RP_OK;
    uint64_t size = need > BLOCK ? (need + BLOCK - 1) & ~(BLOCK - 1) : BLOCK;
    if (bi->parallel)
        pthread_mutex_lock(&bi->mu);
    rp_status st = arena_room(bi, size);
    if (st == RP_OK) { /* what remains of the old block stays unused */
        pt->epos = bi->arena_len;
        pt->eend = bi->arena_len + size;
        bi->arena_len += size;
    }
    if (bi->parallel)
        pthread_mutex_unlock(&bi->mu);
    return st;
}

static rp_status grow_part(bpart *pt)
{
    if (pt->cap >= UINT32_MAX / 2)
        return RP_ERR_LIMIT;
    uint32_t cap = 2 * pt->cap;
    bslot *t = rpi_calloc_big(cap, sizeof *t);
    if (!t)
        return RP_ERR_NOMEM;
    for (size_t i = 0; i < pt->cap; i++) {
        if (!pt->tab[i].ref)
            continue;
        size_t p = home(cap, pt->tab[i].hi);
        while (t[p].ref)
            p = p + 1 == cap ? 0 : p + 1;
        t[p] = pt->tab[i];
    }
    if (pt->own_tab)
        free(pt->tab);
    pt->tab = t;
    pt->own_tab = 1;
    pt->cap = cap;
    return RP_OK;
}

/* A new entry for s at slot p of pt, with index field idx; its ref. */
static rp_status add_entry(rpi_bintern *bi, bpart *pt, size_t p, uint32_t hi, const char *s,
                           uint32_t len, uint32_t idx, uint32_t *ref)
{
    size_t need = entry_size(len);
    rp_status st = part_room(bi, pt, need);
    if (st != RP_OK)
        return st;
    entry_put(bi->arena + pt->epos, idx, s, len);
    pt->bytes += len;
    *ref = (uint32_t)(pt->epos / ENTRY_ALIGN) + 1;
    pt->epos += need;
    pt->tab[p] = (bslot){*ref, hi};
    pt->count++;
    if ((uint64_t)pt->count * 10 > (uint64_t)pt->cap * 7)
        return grow_part(pt);
    return RP_OK;
}

/* Room in refs and range_bytes for strings up to index n - 1. */
static rp_status index_room(rpi_bintern *bi, size_t n)
{
    if (rpi_reserve((void **)&bi->refs, &bi->refs_cap, n, sizeof *bi->refs) != 0)
        return RP_ERR_NOMEM;
    size_t ranges = (n >> RANGE_BITS) + 1, had = bi->ranges_cap;
    if (rpi_reserve((void **)&bi->range_bytes, &bi->ranges_cap, ranges, sizeof *bi->range_bytes))
        return RP_ERR_NOMEM;
    memset(bi->range_bytes + had, 0, (bi->ranges_cap - had) * sizeof *bi->range_bytes);
    return RP_OK;
}

/* String idx (with room for it: index_room) is the entry ref, len bytes. */
static void note_string(rpi_bintern *bi, uint32_t idx, uint32_t ref, uint32_t len)
{
    bi->refs[idx] = ref;
    bi->range_bytes[idx >> RANGE_BITS] += len;
}

/* The slot of s in pt, or the empty slot where it would go (*found 0). */
static size_t probe(const rpi_bintern *bi, const bpart *pt, uint32_t hi, const char *s,
                    uint32_t len, int *found)
{
    for (size_t p = home(pt->cap, hi);; p = p + 1 == pt->cap ? 0 : p + 1) {
        const bslot *sl = &pt->tab[p];
        if (!sl->ref) {
            *found = 0;
            return p;
        }
        if (sl->hi != hi)
            continue;
        uint32_t elen;
        const char *eb;
        (void)entry_at(bi->arena, ref_pos(sl->ref), &elen, &eb);
        if (elen == len && rpi_same_bytes(eb, s, len)) {
            *found = 1;
            return p;
        }
    }
}

rp_status rpi_bintern_seed(rpi_bintern *bi, const rp_intern *in)
{
    uint64_t pos = 0;
    const char *s;
    size_t len;
    while (rpi_intern_next(in, &pos, &s, &len)) {
        if (len >= REC_LEN_LIMIT || bi->count >= MAX_COUNT)
            return RP_ERR_LIMIT;
        if (index_room(bi, (size_t)bi->count + 1) != RP_OK)
            return RP_ERR_NOMEM;
        uint64_t h = rp_intern_hash(s, len);
        bpart *pt = &bi->parts[part_index(bi, h)];
        uint32_t hi = hash_hi(bi, h), ref;
        int found;
        size_t p = probe(bi, pt, hi, s, (uint32_t)len, &found);
        if (found)
            return RP_ERR_INTERNAL; /* in's strings are distinct */
        rp_status st = add_entry(bi, pt, p, hi, s, (uint32_t)len, bi->count, &ref);
        if (st != RP_OK)
            return st;
        note_string(bi, bi->count++, ref, (uint32_t)len);
    }
    for (uint32_t p = 0; p < bi->nparts; p++)
        bi->parts[p].mark = bi->parts[p].epos;
    return RP_OK;
}

/* ---- queueing ---------------------------------------------------------------- */

static qchunk *next_chunk(rpi_bintern *bi)
{
    if (bi->nq == bi->qcap) {
        size_t cap = bi->qcap ? 2 * bi->qcap : 16;
        qchunk *q = realloc(bi->q, cap * sizeof *q);
        if (!q)
            return NULL;
        memset(q + bi->qcap, 0, (cap - bi->qcap) * sizeof *q);
        bi->q = q;
        bi->qcap = cap;
    }
    qchunk *c = &bi->q[bi->nq];
    size_t segs = ((size_t)bi->nparts + 1) * sizeof(uint32_t);
    if (!c->segn && !(c->segn = malloc(segs)))
        return NULL;
    if (!c->segb && !(c->segb = malloc(segs)))
        return NULL;
    return c;
}

/* A batch buffer grown to hold need elements of elem bytes: fresh huge
 * pages (mem.h), the old contents copied, so a batch that outgrows the
 * first guess pays one copy and the later ones none (the buffers are kept). */
static int batch_room(void **p, uint64_t *cap, uint64_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint64_t c = *cap ? *cap + *cap / 2 : need + need / 4;
    while (c < need)
        c += c / 2 + 1;
    if (c > SIZE_MAX / elem)
        return -1;
    void *q = rpi_alloc_big((size_t)c, elem);
    if (!q)
        return -1;
    if (*p)
        memcpy(q, *p, (size_t)*cap * elem);
    free(*p);
    *p = q;
    *cap = c;
    return 0;
}

/* Room in the batch's buffers for nrec more records of total bytes. */
static rp_status chunk_room(rpi_bintern *bi, uint32_t nrec, uint64_t total)
{
    uint64_t rcap = bi->res_cap;
    if (batch_room((void **)&bi->rec, &bi->rec_cap, bi->rec_len + total, 1) ||
        batch_room((void **)&bi->res, &rcap, bi->nres + nrec, sizeof *bi->res))
        return RP_ERR_NOMEM;
    rcap = bi->res_cap;
    if (batch_room((void **)&bi->kind, &rcap, bi->nres + nrec, 1))
        return RP_ERR_NOMEM;
    bi->res_cap = (size_t)rcap;
    return RP_OK;
}

rp_status rpi_bintern_queue(rpi_bintern *bi, const char *bytes, const uint32_t *off, int side,
                            const uint64_t *h, uint32_t n, uint32_t *col, uint32_t row0)
{
    if (n == 0)
        return RP_OK;
    qchunk *c = next_chunk(bi);
    if (!c)
        return RP_ERR_NOMEM;
    uint32_t s = (uint32_t)side, *segn = c->segn, *segb = c->segb, nrec = 0;
    memset(segn, 0, ((size_t)bi->nparts + 1) * sizeof *segn);
    memset(segb, 0, ((size_t)bi->nparts + 1) * sizeof *segb);
    uint64_t total = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t len = off[2 * k + 1 + s] - off[2 * k + s];
        if (len >= REC_LEN_LIMIT)
            return RP_ERR_LIMIT;
        if (rpi_same_as_prev(bytes, off, side, h, k)) {
            col[row0 + k] = RUN;
            continue;
        }
        uint32_t p = part_index(bi, h[k]);
        col[row0 + k] = p;
        segn[p + 1]++;
        segb[p + 1] += (uint32_t)rec_size(len);
        total += rec_size(len);
        bi->ent_bound += entry_size(len) + (entry_size(len) > BLOCK ? BLOCK : 0);
        nrec++;
    }
    if (total > UINT32_MAX)
        return RP_ERR_LIMIT;
    rp_status st = chunk_room(bi, nrec, total);
    if (st != RP_OK)
        return st;
    for (uint32_t p = 0; p < bi->nparts; p++) {
        segn[p + 1] += segn[p];
        segb[p + 1] += segb[p];
    }
    uint32_t *cur = bi->cur;
    memcpy(cur, segb, bi->nparts * sizeof *cur);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t p = col[row0 + k];
        if (p == RUN)
            continue;
        uint32_t lo = off[2 * k + s], len = off[2 * k + 1 + s] - lo;
        char *r = bi->rec + bi->rec_len + cur[p];
        wr32(r, hash_hi(bi, h[k]));
        wr32(r + 4, len);
        memcpy(r + 8, bytes + lo, len);
        cur[p] += (uint32_t)rec_size(len);
    }
    c->row0 = row0;
    c->n = n;
    c->rec0 = bi->rec_len;
    c->res0 = bi->nres;
    bi->rec_len += total;
    bi->nres += nrec;
    bi->nq++;
    bi->queued += n;
    return RP_OK;
}

/* ---- flushing ---------------------------------------------------------------- */

/* Record t looked up in its part: its string's index, or its number among
 * the part's new strings of the batch (kind FIRST or AGAIN). */
static rp_status resolve_one(rpi_bintern *bi, bpart *pt, const todo *t)
{
    const char *r = t->rec;
    uint32_t hi = rd32(r), len = rd32(r + 4);
    int found;
    size_t p = probe(bi, pt, hi, r + 8, len, &found);
    if (found) {
        uint64_t pos = ref_pos(pt->tab[p].ref);
        uint32_t elen;
        const char *eb;
        *t->res = entry_at(bi->arena, pos, &elen, &eb);
        *t->kind = pos >= pt->mark ? AGAIN : OLD;
        return RP_OK;
    }
    if (pt->nnew == pt->newcap) {
        uint32_t cap = pt->newcap ? 2 * pt->newcap : 64;
        uint32_t *e = realloc(pt->newent, cap * sizeof *e);
        if (e)
            pt->newent = e;
        uint32_t *x = e ? realloc(pt->newidx, cap * sizeof *x) : NULL;
        if (!x)
            return RP_ERR_NOMEM;
        pt->newidx = x;
        pt->newcap = cap;
    }
    uint32_t ref;
    rp_status st = add_entry(bi, pt, p, hi, r + 8, len, pt->nnew, &ref);
    if (st != RP_OK)
        return st;
    pt->newent[pt->nnew] = ref;
    *t->res = pt->nnew++;
    *t->kind = FIRST;
    return RP_OK;
}

/* Part p's records of every queued chunk, in row order, looked up with the
 * slot of record j + D_SLOT and the entry of record j + D_ENTRY prefetched. */
static rp_status resolve_part(rpi_bintern *bi, uint32_t p, int t)
{
    bpart *pt = &bi->parts[p];
    size_t m = 0;
    for (size_t c = 0; c < bi->nq; c++) {
        const qchunk *q = &bi->q[c];
        const char *rec = bi->rec + q->rec0;
        uint32_t pos = q->segb[p];
        if (rpi_reserve((void **)&bi->lst[t], &bi->lst_cap[t], m + q->segn[p + 1] - q->segn[p] + 1,
                        sizeof *bi->lst[t]))
            return RP_ERR_NOMEM;
        for (uint32_t o = q->segn[p]; o < q->segn[p + 1]; o++) {
            bi->lst[t][m++] = (todo){rec + pos, bi->res + q->res0 + o, bi->kind + q->res0 + o};
            pos += (uint32_t)rec_size(rd32(rec + pos + 4));
        }
    }
    const todo *lst = bi->lst[t];
    for (size_t j = 0; j < m + D_SLOT; j++) {
        if (j < m)
            __builtin_prefetch(&pt->tab[home(pt->cap, rd32(lst[j].rec))]);
        size_t e = j - (D_SLOT - D_ENTRY);
        if (j >= D_SLOT - D_ENTRY && e < m) {
            const bslot *sl = &pt->tab[home(pt->cap, rd32(lst[e].rec))];
            if (sl->ref)
                __builtin_prefetch(bi->arena + ref_pos(sl->ref));
        }
        if (j < D_SLOT)
            continue;
        rp_status st = resolve_one(bi, pt, &lst[j - D_SLOT]);
        if (st != RP_OK)
            return st;
    }
    return RP_OK;
}

/* The queued rows in row order: new strings numbered, every row's index
 * into col. Each part's results are read in order: a cursor per part, the
 * one of the row D_SLOT ahead prefetched. */
static rp_status number_rows(rpi_bintern *bi, uint32_t *col)
{
    uint32_t *cur = bi->cur;
    for (size_t c = 0; c < bi->nq; c++) {
        const qchunk *q = &bi->q[c];
        const uint32_t *res = bi->res + q->res0;
        const uint8_t *kind = bi->kind + q->res0;
        memcpy(cur, q->segn, bi->nparts * sizeof *cur);
        for (uint32_t k = 0; k < q->n; k++) {
            uint32_t row = q->row0 + k, p = col[row];
            if (k + D_SLOT < q->n && col[row + D_SLOT] != RUN)
                __builtin_prefetch(&res[cur[col[row + D_SLOT]]]);
            if (p == RUN) { /* never the chunk's first row */
                col[row] = col[row - 1];
                continue;
            }
            uint32_t o = cur[p]++, v = res[o];
            if (kind[o] == OLD) {
                col[row] = v;
            } else if (kind[o] == AGAIN) {
                col[row] = bi->parts[p].newidx[v];
            } else { /* the string's first row: a store, nothing to wait for */
                if (bi->count >= MAX_COUNT)
                    return RP_ERR_LIMIT;
                bi->parts[p].newidx[v] = bi->count;
                col[row] = bi->count++;
            }
        }
    }
    return RP_OK;
}

/* Parts [p0, p1) resolved with list t. */
typedef struct resolve_job {
    rpi_bintern *bi;
    uint32_t p0, p1;
    int t;
    rp_status st;
} resolve_job;

static void *resolve_parts(void *arg)
{
    resolve_job *j = arg;
    j->st = RP_OK;
    for (uint32_t p = j->p0; p < j->p1 && j->st == RP_OK; p++)
        j->st = resolve_part(j->bi, p, j->t);
    return NULL;
}

/* Below this many records a batch resolves on the calling thread alone. */
#define PARALLEL_MIN_RECORDS ((size_t)1 << 15)

/* The parts' lookups: on two threads for a big batch, the upper half of
 * the parts on a second one. Parts share nothing but the arena's end, so
 * the arena is first grown to hold every block the batch may take (its new
 * blocks are then taken under mu, never moved). A part's new blocks hold
 * under twice its new entries' bytes plus one block: a block is left only
 * for an entry that does not fit in what remains of it. ent_bound counts
 * every queued record as new, and a block's worth more for each entry
 * bigger than a block (rounded up to whole blocks). */
static rp_status resolve_all(rpi_bintern *bi)
{
    resolve_job lo = {bi, 0, bi->nparts, 0, RP_OK}, hi = {bi, bi->nparts / 2, bi->nparts, 1, RP_OK};
    pthread_t tid;
    int two = bi->nres >= PARALLEL_MIN_RECORDS && bi->nparts >= 2 &&
              arena_room(bi, 2 * bi->ent_bound + (uint64_t)bi->nparts * BLOCK) == RP_OK;
    if (two) {
        bi->parallel = 1; /* before the thread starts: it reads the flag */
        two = pthread_create(&tid, NULL, resolve_parts, &hi) == 0;
        if (two)
            lo.p1 = bi->nparts / 2;
        else
            bi->parallel = 0;
    }
    resolve_parts(&lo);
    if (two)
        pthread_join(tid, NULL);
    bi->parallel = 0;
    return lo.st != RP_OK ? lo.st : two ? hi.st : RP_OK;
}

rp_status rpi_bintern_flush(rpi_bintern *bi, uint32_t *col)
{
    if (bi->nq == 0)
        return RP_OK;
    rp_status st = resolve_all(bi);
    if (st != RP_OK)
        return st;
    st = number_rows(bi, col);
    if (st == RP_OK)
        st = index_room(bi, bi->count);
    if (st != RP_OK)
        return st;
    for (uint32_t p = 0; p < bi->nparts; p++) { /* the new entries get their indices */
        bpart *pt = &bi->parts[p];
        for (uint32_t i = 0; i < pt->nnew; i++) {
            char *e = bi->arena + ref_pos(pt->newent[i]);
            uint32_t len;
            const char *eb;
            (void)entry_at(e, 0, &len, &eb);
            wr32(e, pt->newidx[i]);
            note_string(bi, pt->newidx[i], pt->newent[i], len);
        }
        pt->nnew = 0;
        pt->mark = pt->epos;
    }
    bi->nq = 0;
    bi->queued = 0;
    bi->rec_len = 0;
    bi->nres = 0;
    bi->ent_bound = 0;
    return RP_OK;
}

/* ---- sealing ------------------------------------------------------------------ */

/* Strings [i0, i1) copied in index order to bytes + o0 on: each one's
 * offset written over its ref (off32 is refs) or into off64. */
typedef struct copy_job {
    const rpi_bintern *bi;
    uint32_t i0, i1;
    uint64_t o0;
    char *bytes;
    uint32_t *off32;
    uint64_t *off64;
} copy_job;

static void *copy_strings(void *arg)
{
    const copy_job *j = arg;
    const char *arena = j->bi->arena;
    const uint32_t *refs = j->bi->refs;
    uint64_t o = j->o0;
    for (uint32_t i = j->i0; i < j->i1; i++) {
        if (i + D_SEAL < j->i1) /* not past i1: another thread's refs become offsets */
            __builtin_prefetch(arena + ref_pos(refs[i + D_SEAL]));
        uint32_t len;
        const char *eb;
        (void)entry_at(arena, ref_pos(refs[i]), &len, &eb);
        if (j->off32)
            j->off32[i] = (uint32_t)o;
        else
            j->off64[i] = o;
        memcpy(j->bytes + o, eb, len);
        o += len;
    }
    return NULL;
}

/* Below this many strings the seal copies on one thread. */
#define SEAL_SPLIT_MIN ((uint32_t)1 << 18)

/* Every string copied, the upper half of the ranges on a second thread for
 * many strings: a range's offset is the byte counts of the ranges before. */
static void copy_all(const rpi_bintern *bi, char *bytes, uint32_t *off32, uint64_t *off64)
{
    uint32_t n = bi->count, mid = n;
    uint64_t o_mid = 0;
    if (n >= SEAL_SPLIT_MIN) {
        uint32_t r = (n >> RANGE_BITS) / 2;
        mid = r << RANGE_BITS;
        for (uint32_t k = 0; k < r; k++)
            o_mid += bi->range_bytes[k];
    }
    copy_job lo = {bi, 0, mid, 0, bytes, off32, off64},
             hi = {bi, mid, n, o_mid, bytes, off32, off64};
    rpi_beside b;
    rpi_beside_start(&b, copy_strings, &hi, mid < n);
    copy_strings(&lo);
    rpi_beside_finish(&b);
}

rp_status rpi_bintern_seal(rpi_bintern *bi, uint32_t *col, rp_intern **out)
{
    *out = NULL;
    rp_status st = rpi_bintern_flush(bi, col);
    if (st == RP_OK)
        st = index_room(bi, (size_t)bi->count + 1); /* off32's last */
    if (st != RP_OK) {
        rpi_bintern_free(bi);
        return st;
    }
    free_tables(bi); /* first: the bytes below take their place */
    free(bi->rec);
    free(bi->res);
    free(bi->kind);
    bi->rec = NULL;
    bi->res = NULL;
    bi->kind = NULL;
    uint32_t n = bi->count, *off32 = NULL;
    uint64_t *off64 = NULL, total = 0;
    for (uint32_t p = 0; p < bi->nparts; p++)
        total += bi->parts[p].bytes;
    if (total <= UINT32_MAX) /* 4-byte offsets while the bytes fit 4 GB: over refs */
        off32 = bi->refs;
    else
        off64 = rpi_alloc_big((size_t)n + 1, sizeof *off64);
    char *bytes = off32 || off64 ? rpi_alloc_big(total ? (size_t)total : 1, 1) : NULL;
    if (!bytes) {
        free(off64);
        rpi_bintern_free(bi);
        return RP_ERR_NOMEM;
    }
    copy_all(bi, bytes, off32, off64);
    if (off32) {
        off32[n] = (uint32_t)total;
        (void)rpi_shrink((void **)&off32, (size_t)n + 1, sizeof *off32);
        bi->refs = NULL; /* off32's now */
    } else {
        off64[n] = total;
    }
    rpi_bintern_free(bi);
    *out = rpi_intern_packed(bytes, (size_t)total, off32, off64, n);
    return *out ? RP_OK : RP_ERR_NOMEM;
}

/* The arena ahead by what the queued records' entries may take: a flush
 * adds a whole batch's new strings at once. */
size_t rpi_bintern_regions(const rpi_bintern *bi, rpi_region *out, size_t max)
{
    size_t n = rpi_region_add(out, 0, max, bi->arena, bi->arena_len, bi->arena_cap, bi->ent_bound);
    n = rpi_region_add(out, n, max, bi->refs, (uint64_t)bi->count * sizeof *bi->refs,
                       (uint64_t)bi->refs_cap * sizeof *bi->refs, 0);
    return rpi_region_add(out, n, max, bi->rec, bi->rec_len, bi->rec_cap, 0);
}
