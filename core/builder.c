/*
 * core/builder.c - the row builder loaders append to.
 *
 * Columns grow by doubling, reserved up front from the loader's row hint so a
 * 2M-row load does not copy and fault in every column several times. User and
 * item IDs are interned as rows arrive, so indices follow first appearance.
 *
 * The parallel load (load_par.c) parses the input's first chunk into the
 * builder and every later chunk into a row buffer (rpi_rowbuf: IDs copied and
 * hashed, not interned), appended in file order (rpi_builder_append_rows),
 * which interns each ID once, in order of first appearance in the whole file.
 * Until December 2026 each chunk interned its IDs into a builder of its own
 * and the merge put them into the first builder's again: every ID interned
 * twice, the merge re-interning ~1M distinct users per 2M rows on one thread.
 * The row buffers cost the same memory (load peak 1.07x vs 1.09x of the
 * steady state at 2M rows, 1.05x both at 20M) and the 2M-row log's parse
 * stage went from 611-699 to 561-644 ms on 2 threads (4 runs each). The
 * merge interns a chunk's users on the calling thread and its items (with
 * the timestamps and ratings) on a second one: on the 20M-row log the parse
 * stage went from 5.8-7.3 s to 5.5-6.1 s on 2 threads (3 runs each), where
 * one merging thread had kept the load at 1.5 busy cores.
 *
 * Rejected, by measurement: interning users on a second thread fed through a
 * chunked arena during the one-thread load (the parse thread keeping items
 * and the other columns). On this 2-vCPU machine the load of the 2,023,070-
 * row generated log took a median 382 ms with the feed against 392 ms
 * without (15 runs each), inside the noise; the parallel load's merge, whose
 * rows are already parsed, is where a second interning thread pays.
 */
#include "dataset_impl.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "intern_batch.h"
#include "mem.h"
#include "recprep/intern.h"

#define GROW_MIN 4096u
#define ROWS_MAX 0xFFFFFFF0u

/* ---- columns ----------------------------------------------------------- */

/* A column of n rows moved to a block of cap rows. A fresh block on huge
 * pages (mem.h) and a copy, not realloc: glibc's realloc copied a grown
 * column into memory faulted in 4 KiB at a time - on the 20M-row generated
 * log, whose row hint fell a few rows short, 68,000 page faults for its four
 * columns (perf record -e page-faults). */
static int grow(void **p, size_t elem, uint32_t n, uint32_t cap)
{
    void *q = rpi_alloc_big(cap, elem);
    if (!q)
        return -1;
    if (*p != NULL)
        memcpy(q, *p, elem * (size_t)n);
    free(*p);
    *p = q;
    return 0;
}

static int columns_resize(rpi_builder *b, uint32_t cap)
{
    uint32_t n = b->n;
    if (grow((void **)&b->user, sizeof *b->user, n, cap) ||
        grow((void **)&b->item, sizeof *b->item, n, cap) ||
        (b->ts ? grow((void **)&b->ts, sizeof *b->ts, n, cap)
               : grow((void **)&b->tsd, sizeof *b->tsd, n, cap)) ||
        (b->rating ? grow((void **)&b->rating, sizeof *b->rating, n, cap)
                   : grow((void **)&b->rating8, 1, n, cap)))
        return -1;
    b->cap = cap;
    return 0;
}

/* ---- ratings: 1-byte codes while they allow --------------------------------
 * Real logs have a handful of distinct ratings (stars, half stars), so the
 * column holds a code into a 256-entry dictionary of bit patterns (NaN, "no
 * rating", is one of them): 1 byte a row during the load instead of 8. The
 * 257th distinct value turns the column into doubles for good. */

/* Code of v (by its bits), added if new; -1 when the dictionary is full. */
static int rating_code(rpi_builder *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    for (size_t h = (size_t)((bits * 0x9E3779B97F4A7C15ull) >> 55);; h = (h + 1) & 511) {
        if (b->rslot[h] == 0) {
            if (b->n_rdict == 256)
                return -1;
            b->rdict[b->n_rdict] = v;
            b->rslot[h] = (uint16_t)++b->n_rdict;
            return (int)b->n_rdict - 1;
        }
        uint64_t have;
        memcpy(&have, &b->rdict[b->rslot[h] - 1], 8);
        if (have == bits)
            return b->rslot[h] - 1;
    }
}

/* Switch the column to doubles (cap rows), rows [0, n) converted. */
static int ratings_widen(rpi_builder *b, uint32_t n)
{
    double *d = rpi_alloc_big((size_t)b->cap + 1, sizeof *d);
    if (d == NULL)
        return -1;
    for (uint32_t r = 0; r < n; r++)
        d[r] = b->rdict[b->rating8[r]];
    free(b->rating8);
    b->rating8 = NULL;
    b->rating = d;
    return 0;
}

/* Row r's rating is v (rows [0, r) are set). */
static int rating_put(rpi_builder *b, uint32_t r, double v)
{
    if (b->rating8 != NULL) {
        int code = rating_code(b, v);
        if (code >= 0) {
            b->rating8[r] = (uint8_t)code;
            return 0;
        }
        if (ratings_widen(b, r) != 0)
            return -1;
    }
    b->rating[r] = v;
    return 0;
}

/* ---- timestamps: 4 bytes a row while they allow ------------------------------
 * A log in seconds spans far less than the 68 years either side of its first
 * row that 32-bit differences reach, so the column holds those during the
 * load: 4 bytes a row less at the load's peak (the end of parsing, when the
 * interners' hash tables are still there). A row beyond that (milliseconds
 * over more than 24 days, or absurd values) turns the column into int64 for
 * good. */

/* Switch the column to int64 (cap rows), rows [0, n) converted. */
static int ts_widen(rpi_builder *b, uint32_t n)
{
    int64_t *w = rpi_alloc_big((size_t)b->cap + 1, sizeof *w);
    if (w == NULL)
        return -1;
    for (uint32_t r = 0; r < n; r++)
        w[r] = b->ts_first + b->tsd[r];
    free(b->tsd);
    b->tsd = NULL;
    b->ts = w;
    return 0;
}

/* Row r's timestamp is t (rows [0, r) are set). */
static int ts_put(rpi_builder *b, uint32_t r, int64_t t)
{
    if (b->tsd != NULL) {
        int64_t d;
        if (r == 0)
            b->ts_first = t;
        if (!__builtin_sub_overflow(t, b->ts_first, &d) && d >= INT32_MIN && d <= INT32_MAX) {
            b->tsd[r] = (int32_t)d;
            return 0;
        }
        if (ts_widen(b, r) != 0)
            return -1;
    }
    b->ts[r] = t;
    return 0;
}

/* ---- the builder API ---------------------------------------------------- */

/* Distinct users expected per row. The interner's parts all fill at the
 * same pace, so a guess that falls short makes every part double near the
 * end of the load: a table twice the size, fresh, and a rehash of nearly
 * every user. The densest public logs have ~0.6 users a row (Amazon Beauty:
 * 1.21M users in 2.02M rows; Books 0.3, MovieLens 0.01): at 1/2, the 20M-row
 * generated log (0.6) doubled 32 parts of 4 MB at the end, 0.51 s of its
 * merge thread. At 3/5 the table is the size that doubling ended at, with no
 * rehash; the other logs' tables are the same size as at 1/2 or at most
 * twice it (tables are freed when the load ends). */
#define USERS_PER_ROW_NUM 3
#define USERS_PER_ROW_DEN 5

rp_status rpi_builder_init(rpi_builder *b, size_t expected_rows)
{
    return rpi_builder_init_users(b, expected_rows, expected_rows);
}

rp_status rpi_builder_init_users(rpi_builder *b, size_t expected_rows, size_t user_rows)
{
    memset(b, 0, sizeof *b);
    b->users = rp_intern_new(user_rows / USERS_PER_ROW_DEN * USERS_PER_ROW_NUM);
    b->items = rp_intern_new(expected_rows / 8);
    if (!b->users || !b->items) {
        rpi_builder_cleanup(b);
        return RP_ERR_NOMEM;
    }
    /* Reserve the columns up front: doubling from a small size would copy
     * and fault in every column several times on a 2M-row load. The hint
     * comes from the first line's length, so it misses by the lines' spread
     * either way: an eighth more is reserved, which costs nothing while
     * untouched (huge pages: at most one 2 MiB page a column), and spares a
     * doubling and a copy of every column a few rows before the end (the
     * 20M- and 100M-row generated logs fell 11 and 114 rows short). A hint
     * that cannot be had is not an error; the columns then grow on demand. */
    size_t reserve = expected_rows + expected_rows / 8;
    if (reserve > GROW_MIN && reserve < ROWS_MAX)
        (void)columns_resize(b, (uint32_t)reserve);
    return RP_OK;
}

void rpi_builder_cleanup(rpi_builder *b)
{
    if (!b)
        return;
    rp_intern_free(b->users);
    rp_intern_free(b->items);
    rpi_bintern_free(b->ubatch);
    free(b->user);
    free(b->item);
    free(b->ts);
    free(b->tsd);
    free(b->rating);
    free(b->rating8);
    memset(b, 0, sizeof *b);
}

/* Make room for need rows in b's columns (doubling, from GROW_MIN). */
static rp_status columns_room(rpi_builder *b, uint64_t need)
{
    if (need > ROWS_MAX)
        return RP_ERR_LIMIT;
    if (need > b->cap) {
        uint64_t cap = (uint64_t)b->cap * 2 > need ? (uint64_t)b->cap * 2 : need;
        cap = cap < GROW_MIN ? GROW_MIN : cap;
        if (columns_resize(b, cap > ROWS_MAX ? ROWS_MAX : (uint32_t)cap))
            return RP_ERR_NOMEM;
    }
    return RP_OK;
}

rp_status rpi_builder_add(rpi_builder *b, const char *user, size_t ulen, const char *item,
                          size_t ilen, int64_t ts, double rating)
{
    return rpi_builder_add_h(b, user, ulen, rp_intern_hash(user, ulen), item, ilen,
                             rp_intern_hash(item, ilen), ts, rating);
}

rp_status rpi_builder_add_h(rpi_builder *b, const char *user, size_t ulen, uint64_t uhash,
                            const char *item, size_t ilen, uint64_t ihash, int64_t ts,
                            double rating)
{
    rp_status st = b->n < b->cap ? RP_OK : columns_room(b, (uint64_t)b->n + 1);
    uint32_t i;
    if (st != RP_OK)
        return st;
    if ((st = rp_intern_put_h(b->users, user, ulen, uhash, &b->user[b->n])) != RP_OK ||
        (st = rp_intern_put_h(b->items, item, ilen, ihash, &i)) != RP_OK)
        return st;
    b->item[b->n] = i;
    if (ts_put(b, b->n, ts) != 0 || rating_put(b, b->n, rating) != 0)
        return RP_ERR_NOMEM;
    b->n++;
    return RP_OK;
}

/* ---- rows not yet interned (the parallel load's later chunks) ------------ */

/* The five per-row arrays share one block, rb->uh its start: one huge-page
 * allocation (mem.h) instead of five malloc'd ~1 MiB arrays faulted in 4 KiB
 * at a time - those faults were ~4,000 of the 2M-row log's ~5,300 in
 * `recprep stats`, taken on the parse workers while the merger waits. */
#define ROW_BYTES (4 * sizeof(uint64_t) + 2 * sizeof(uint32_t))

static int rowbuf_grow(rpi_rowbuf *rb, size_t rows)
{
    if (rows > ROWS_MAX)
        return -1;
    uint8_t *blk = rpi_alloc_big(rows + 1, ROW_BYTES); /* + 1: off's last */
    if (blk == NULL)
        return -1;
    rpi_rowbuf nb = *rb;
    nb.uh = (uint64_t *)blk;
    nb.ih = nb.uh + rows;
    nb.ts = (int64_t *)(nb.ih + rows);
    nb.rating = (double *)(nb.ts + rows);
    nb.off = (uint32_t *)(nb.rating + rows);
    if (rb->n > 0) {
        memcpy(nb.uh, rb->uh, rb->n * sizeof *rb->uh);
        memcpy(nb.ih, rb->ih, rb->n * sizeof *rb->ih);
        memcpy(nb.ts, rb->ts, rb->n * sizeof *rb->ts);
        memcpy(nb.rating, rb->rating, rb->n * sizeof *rb->rating);
        memcpy(nb.off, rb->off, (2 * (size_t)rb->n + 1) * sizeof *rb->off);
    }
    free(rb->uh);
    nb.cap = (uint32_t)rows;
    *rb = nb;
    return 0;
}

void rpi_rowbuf_reserve(rpi_rowbuf *rb, size_t rows)
{
    if (rows > rb->cap && rowbuf_grow(rb, rows) == 0 && rb->bytes == NULL &&
        (rb->bytes = rpi_alloc_big(rows, 24)) != NULL)
        rb->bcap = rows * 24;
}

rp_status rpi_rowbuf_add(rpi_rowbuf *rb, const char *user, size_t ulen, uint64_t uhash,
                         const char *item, size_t ilen, uint64_t ihash, int64_t ts, double rating)
{
    if (rb->n >= ROWS_MAX || rb->len + ulen + ilen > UINT32_MAX)
        return RP_ERR_LIMIT;
    if (rb->n == rb->cap && rowbuf_grow(rb, rb->cap ? 2 * (size_t)rb->cap : GROW_MIN) != 0)
        return RP_ERR_NOMEM;
    if (rpi_reserve((void **)&rb->bytes, &rb->bcap, rb->len + ulen + ilen, 1) != 0)
        return RP_ERR_NOMEM;
    uint32_t r = rb->n;
    if (r == 0)
        rb->off[0] = 0;
    memcpy(rb->bytes + rb->len, user, ulen);
    memcpy(rb->bytes + rb->len + ulen, item, ilen);
    rb->len += ulen + ilen;
    rb->off[2 * r + 1] = rb->off[2 * r] + (uint32_t)ulen;
    rb->off[2 * r + 2] = (uint32_t)rb->len;
    rb->uh[r] = uhash;
    rb->ih[r] = ihash;
    rb->ts[r] = ts;
    rb->rating[r] = rating;
    rb->n++;
    return RP_OK;
}

void rpi_rowbuf_reset(rpi_rowbuf *rb)
{
    rb->n = 0;
    rb->len = 0;
}

void rpi_rowbuf_cleanup(rpi_rowbuf *rb)
{
    free(rb->uh); /* the block of all five arrays */
    free(rb->bytes);
    memset(rb, 0, sizeof *rb);
}

/* One side's IDs of rb interned into in, their indices into col[0..n): the
 * same software pipeline as the parser's (load_impl.h, RPI_BATCH) - ID j + D3
 * has its slot prefetched, j + D2 its entry (index, length and bytes in one
 * place, intern.c), and ID j is put with both in cache. side 0: users, 1:
 * items.
 *
 * A row whose ID is the row before's (same hash, same bytes) takes that
 * row's index and skips the pipeline: logs come grouped by one side (Amazon
 * files by item, MovieLens by user), and for those runs the interner's
 * one-entry cache only saved the put, not the stages' probes before it. */
static rp_status intern_side(rp_intern *in, const rpi_rowbuf *rb, int side, uint32_t *col)
{
    enum { D2 = 32, D3 = 48 };
    const uint64_t *h = side ? rb->ih : rb->uh;
    uint32_t n = rb->n;
    for (uint32_t j = 0; j < n + D3; j++) {
        if (j < n && (j == 0 || h[j] != h[j - 1]))
            rp_intern_prefetch_h(in, h[j]);
        uint32_t e = j - (D3 - D2);
        if (j >= D3 - D2 && e < n && (e == 0 || h[e] != h[e - 1]))
            rp_intern_prefetch_entry(in, h[e], 1);
        if (j < D3)
            continue;
        uint32_t k = j - D3, lo = rb->off[2 * k + (uint32_t)side];
        if (rpi_same_as_prev(rb->bytes, rb->off, side, h, k)) {
            col[k] = col[k - 1];
            continue;
        }
        rp_status st = rp_intern_put_h(in, rb->bytes + lo, rb->off[2 * k + 1 + (uint32_t)side] - lo,
                                       h[k], &col[k]);
        if (st != RP_OK)
            return st;
    }
    return RP_OK;
}

/* The items, timestamps and ratings of rb (after b's n rows): everything but
 * the users, which have interners and a column of their own. */
static rp_status append_items(rpi_builder *b, const rpi_rowbuf *rb)
{
    rp_status st = intern_side(b->items, rb, 1, b->item + b->n);
    for (uint32_t k = 0; st == RP_OK && k < rb->n; k++)
        if (ts_put(b, b->n + k, rb->ts[k]) != 0 || rating_put(b, b->n + k, rb->rating[k]) != 0)
            st = RP_ERR_NOMEM;
    return st;
}

typedef struct items_job {
    rpi_builder *b;
    const rpi_rowbuf *rb;
    rp_status st;
} items_job;

static void *items_thread(void *arg)
{
    items_job *j = arg;
    j->st = append_items(j->b, j->rb);
    return NULL;
}

/* Below this many rows a chunk merges on the calling thread alone: a thread
 * start costs more than the work (the load's chunks hold 1-8 MB, tens of
 * thousands of rows; only the last one, or a test's forced tiny chunks, are
 * smaller - under AddressSanitizer each start and join costs ~1 ms, and
 * test_load_par's 1-byte chunks started one per line). */
#define MERGE_THREAD_MIN_ROWS 256

/* Users expected in all, from the rows reserved. */
static size_t expected_users(const rpi_builder *b)
{
    return (size_t)b->cap / USERS_PER_ROW_DEN * USERS_PER_ROW_NUM;
}

size_t rpi_builder_user_rows(size_t expected_rows, size_t first_rows)
{
    return expected_rows / USERS_PER_ROW_DEN * USERS_PER_ROW_NUM >= RPI_BINTERN_MIN_EXPECTED
               ? first_rows
               : expected_rows;
}

/* The users of rb, from the first call on which a big load is expected (or
 * batches were asked for): queued into the batch interner, made from the
 * users interned so far, and flushed when a batch is due. */
static rp_status append_users(rpi_builder *b, const rpi_rowbuf *rb)
{
    if (b->ubatch == NULL) {
        if (b->batch_rows == 0 && expected_users(b) < RPI_BINTERN_MIN_EXPECTED)
            return intern_side(b->users, rb, 0, b->user + b->n);
        if ((b->ubatch = rpi_bintern_new(expected_users(b), b->batch_rows)) == NULL)
            return RP_ERR_NOMEM;
        rp_status st = rpi_bintern_seed(b->ubatch, b->users);
        if (st != RP_OK)
            return st;
        rp_intern_free(b->users); /* its strings are the batch interner's now */
        b->users = NULL;
    }
    rp_status st =
        rpi_bintern_queue(b->ubatch, rb->bytes, rb->off, 0, rb->uh, rb->n, b->user, b->n);
    if (st == RP_OK && rpi_bintern_due(b->ubatch))
        st = rpi_bintern_flush(b->ubatch, b->user);
    return st;
}

/* Users on the calling thread, the rest on a second one: the two sides touch
 * disjoint parts of b (interners, columns) and their lookups are each bound
 * by cache misses, so the merge of a big log's chunks - the parallel load's
 * one serial stage - takes the time of its user side. */
rp_status rpi_builder_append_rows(rpi_builder *b, const rpi_rowbuf *rb)
{
    rp_status st = columns_room(b, (uint64_t)b->n + rb->n);
    if (st != RP_OK || rb->n == 0)
        return st;
    items_job job = {b, rb, RP_OK};
    pthread_t tid;
    int threaded =
        rb->n >= MERGE_THREAD_MIN_ROWS && pthread_create(&tid, NULL, items_thread, &job) == 0;
    st = append_users(b, rb);
    if (threaded)
        pthread_join(tid, NULL);
    else
        job.st = append_items(b, rb);
    if (st == RP_OK)
        st = job.st;
    if (st == RP_OK)
        b->n += rb->n;
    return st;
}

/* Shrink the columns to n rows: a shrinking realloc cannot lose data, and on
 * failure the larger block is simply kept. */
static void shrink_columns(rpi_builder *b)
{
    if (b->n == 0)
        return;
    (void)rpi_shrink((void **)&b->user, b->n, sizeof *b->user);
    (void)rpi_shrink((void **)&b->item, b->n, sizeof *b->item);
    if (b->ts)
        (void)rpi_shrink((void **)&b->ts, b->n, sizeof *b->ts);
    else
        (void)rpi_shrink((void **)&b->tsd, b->n, sizeof *b->tsd);
    if (b->rating)
        (void)rpi_shrink((void **)&b->rating, b->n, sizeof *b->rating);
    else
        (void)rpi_shrink((void **)&b->rating8, b->n, 1);
}

rp_status rpi_builder_finish(rpi_builder *b, rp_format fmt, const char *source, rp_dataset **out,
                             rp_error *err)
{
    *out = NULL;
    if (b->n == 0) {
        rpi_builder_cleanup(b);
        rp_error_set(err, source, 0, 0, "no interaction rows");
        return RP_ERR_PARSE;
    }
    if (b->ubatch != NULL) { /* the users of the rows after the first chunk */
        rp_intern *users;
        rp_status st = rpi_bintern_seal(b->ubatch, b->user, &users);
        b->ubatch = NULL;
        if (st != RP_OK) {
            rpi_builder_cleanup(b);
            rp_error_set(err, source, 0, 0, "cannot intern the user IDs: %s", rp_status_str(st));
            return st;
        }
        rp_intern_free(b->users);
        b->users = users;
    }
    shrink_columns(b);
    return rpi_dataset_adopt(b, fmt, source, out, err);
}

rp_status rp_dataset_from_rows(const char *const *users, const char *const *items,
                               const int64_t *ts, const double *ratings, uint32_t n,
                               rp_dataset **out, rp_error *err)
{
    return rp_dataset_from_rows_unit(users, items, ts, ratings, n, RP_TS_SECONDS, out, err);
}

rp_status rp_dataset_from_rows_unit(const char *const *users, const char *const *items,
                                    const int64_t *ts, const double *ratings, uint32_t n,
                                    rp_ts_unit unit, rp_dataset **out, rp_error *err)
{
    rpi_builder b;
    rp_status st = rpi_builder_init(&b, n);
    *out = NULL;
    if (st != RP_OK)
        return st;
    b.ts_unit = unit;
    for (uint32_t r = 0; r < n && st == RP_OK; r++)
        st = rpi_builder_add(&b, users[r], strlen(users[r]), items[r], strlen(items[r]), ts[r],
                             ratings ? ratings[r] : NAN);
    if (st != RP_OK) {
        rpi_builder_cleanup(&b);
        rp_error_set(err, "<rows>", 0, 0, "%s", rp_status_str(st));
        return st;
    }
    return rpi_builder_finish(&b, RP_FORMAT_AMAZON_CSV, "<rows>", out, err);
}

/* A column of cap rows of elem bytes, n of them written. */
static size_t column_region(rpi_region *out, size_t k, size_t max, void *col, size_t elem,
                            uint32_t n, uint32_t cap)
{
    return rpi_region_add(out, k, max, col, (uint64_t)n * elem, (uint64_t)cap * elem, 0);
}

size_t rpi_builder_regions(const rpi_builder *b, rpi_region *out, size_t max)
{
    size_t k = column_region(out, 0, max, b->user, sizeof *b->user, b->n, b->cap);
    k = column_region(out, k, max, b->item, sizeof *b->item, b->n, b->cap);
    k = b->tsd != NULL ? column_region(out, k, max, b->tsd, sizeof *b->tsd, b->n, b->cap)
                       : column_region(out, k, max, b->ts, sizeof *b->ts, b->n, b->cap);
    k = b->rating8 != NULL
            ? column_region(out, k, max, b->rating8, sizeof *b->rating8, b->n, b->cap)
            : column_region(out, k, max, b->rating, sizeof *b->rating, b->n, b->cap);
    if (b->ubatch != NULL && k < max)
        k += rpi_bintern_regions(b->ubatch, out + k, max - k);
    return k;
}
