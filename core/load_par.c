/*
 * core/load_par.c - a plain file parsed on several threads.
 *
 * The file is cut into chunks of about chunk_bytes; a chunk owns the lines
 * whose first byte lies in its byte range (rpi_lines_range), so the chunks
 * split the file's lines exactly. Workers take chunks in file order and parse
 * each with the same row parser as the one-thread load: chunk 0 into the
 * builder that becomes the dataset's (interning as it goes), every later
 * chunk into a row buffer of its own (IDs validated, hashed and copied, not
 * interned). The calling thread merges the chunks in file order as they
 * finish (rpi_builder_append_rows): each later chunk's rows are added to
 * chunk 0's builder in order, interning every ID once - in order of first
 * appearance in the whole file. Rows stay in file order.
 *
 * What a chunk's parser must know from the lines before it - the format, a
 * csv-header's columns, Amazon JSON's timestamp unit - is all settled by the
 * file's first row, which is in chunk 0: its worker publishes that
 * configuration as soon as the first row is queued, and the other workers
 * wait for it. Chunk 0 without any row (a file opening with megabytes of blank
 * lines) gives up and the caller loads serially, as it does for files too
 * small to split.
 *
 * Errors: a chunk stops at its first bad line and reports it with a line
 * number local to the chunk; the merger, going in file order, reports the
 * first failed chunk's error with the lines of the chunks before it added, so
 * the error is the one a one-thread load gives. Workers stop taking chunks
 * once a chunk has failed, and chunks after the first failed one stop early;
 * those before it run to their end (one of them may hold the file's first
 * error).
 *
 * Memory: workers run at most `threads` chunks ahead of the merger, chunks
 * are about 1/(8 threads) of the file (1-8 MB), and a merged chunk's row
 * buffer is emptied and kept for the next chunk (one spare: fresh memory
 * costs a page fault a page), so the load holds the dataset's columns plus a
 * few chunks' worth. What the chunks freed stays in the workers' malloc arenas
 * for the caller to reuse or trim (recprepd trims after a load: a library
 * does not set its process's memory policy). Measured on the 20M-row
 * generated log (2 cores, tests/bench/bench_scale.sh): 6.7 s on one thread,
 * 5.1 s on two. The chunks' buffers are the parallel load's own memory: on
 * another (slower) machine of the same kind, with recprepd's malloc
 * settings, the load peaked at 1.08x the 910 MB dataset on one thread and at
 * 1.05x on two with 8 MB chunks, 1.18x with the 51 MB chunks an uncapped
 * 1/16 of the file gives; 4 MB chunks saved nothing more and cost time
 * (figures from when later chunks had builders of their own; the row
 * buffers measured the same, builder.c).
 *
 * Fresh memory: a big input's merge runs beside a prefaulter (prefault.h),
 * told after each merged chunk where the columns, the user arena and the
 * batch records end, which faults their next pages in on idle time - on
 * this project's VMs a first write costs ~1 GB/s a core, and the merge
 * thread is the load's critical path. `recprep stats` on the 20M-row log,
 * each run in a fresh process after 10 s (memory handed back to the host),
 * alternated: median 4.51 -> 4.25 s over 5 pairs, and 4.41-5.63 -> 4.26-4.92
 * s over 5 more (one pair even); system time 2.21-2.80 -> 2.18-2.32 s; huge
 * page faults 784 -> 800-805 (/proc/vmstat thp_fault_alloc: the look-ahead
 * past the buffers' last use, ~40 MB), no compaction. Per-thread profiles
 * (perf, cpu-clock) still show the merge thread in clear_page_erms about as
 * often as before, and twice the clearing overall; on this PVM guest a
 * sample there includes the host's own fault time, so the wall times above
 * are what we go by.
 */
#define _GNU_SOURCE 1 /* pthread, sysconf */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load_impl.h"
#include "mem.h"

#define MIN_SPLIT ((uint64_t)8 << 20) /* below this a file loads on one thread */
#define CHUNK_MIN ((size_t)1 << 20)
#define CHUNK_MAX ((size_t)8 << 20)
#define CHUNK_FORCED_MAX ((size_t)1 << 30)
/* A prefaulter (prefault.h) runs beside the merge of an input this big,
 * keeping PREFAULT_AHEAD bytes past each growing buffer's frontier faulted
 * in. Below it the buffers' pages are few and a smaller load's peak would
 * feel the look-ahead (up to PREFAULT_AHEAD a buffer). */
#define PREFAULT_MIN_INPUT ((uint64_t)256 << 20)
#define PREFAULT_AHEAD ((size_t)8 << 20)

typedef struct chunk {
    uint64_t start, end;
    rpi_builder b;   /* chunk 0: becomes the dataset's builder */
    rpi_rowbuf rows; /* later chunks: their rows, not interned */
    rp_status st;
    rp_error err;
    size_t lines; /* physical lines of the chunk */
    int done;
} chunk;

/* What the first row settles, published by chunk 0's worker. */
typedef struct config {
    int state; /* 0 pending, 1 ready, -1 none: give up */
    rp_format fmt;
    int have_header, unit_known;
    size_t ncols, col_user, col_item, col_rating, col_ts;
    rp_ts_unit ts_unit;
} config;

typedef struct par {
    const char *path;
    int fd;
    uint64_t size;
    rp_format fmt;
    chunk *ch;
    size_t n, next, merged; /* chunks; next to parse; merged so far */
    size_t first_bad;       /* first chunk that failed, 0 when chunk 0 gave up or
                               on stop; n: none. No chunk after it is taken, and
                               those running stop early */
    config cfg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rp_load_progress *pg;
    rpi_prefault *pf;  /* NULL: none */
    rpi_rowbuf spare;  /* a merged chunk's rows, for the next chunk to empty and reuse */
    size_t batch_rows; /* the user batch interner's batch (opts; 0: auto) */
    int lazy_fp;       /* opts->lazy_fingerprint */
    int have_spare;
} par;

static unsigned thread_count(const rp_load_opts *o)
{
    if (o != NULL && o->threads > 0)
        return o->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)(n > 256 ? 256 : n) : 1;
}

static size_t chunk_size(const rp_load_opts *o, uint64_t size, unsigned threads)
{
    if (o != NULL && o->chunk_bytes > 0) /* a chunk's row buffer addresses its ID
                                             bytes with 32 bits: at most 1 GiB */
        return o->chunk_bytes < CHUNK_FORCED_MAX ? o->chunk_bytes : CHUNK_FORCED_MAX;
    uint64_t c = size / ((uint64_t)threads * 8);
    return c < CHUNK_MIN ? CHUNK_MIN : c > CHUNK_MAX ? CHUNK_MAX : (size_t)c;
}

/* ---- a worker ------------------------------------------------------------- */

static void publish(par *w, const rpi_parser *p, int state)
{
    pthread_mutex_lock(&w->mu);
    if (w->cfg.state == 0) {
        w->cfg = (config){state,       p->fmt,      p->have_header, p->unit_known, p->ncols,
                          p->col_user, p->col_item, p->col_rating,  p->col_ts,     p->b->ts_unit};
        if (state < 0)
            __atomic_store_n(&w->first_bad, 0, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
}

/* The rows of a merged chunk, if one is spare, emptied for reuse: its memory
 * is already mapped in (fresh memory costs a page fault per page). */
static int take_spare(par *w, rpi_rowbuf *rb)
{
    pthread_mutex_lock(&w->mu);
    int got = w->have_spare;
    if (got) {
        *rb = w->spare;
        w->have_spare = 0;
    }
    pthread_mutex_unlock(&w->mu);
    if (got)
        rpi_rowbuf_reset(rb);
    return got;
}

/* A merged chunk's rows become the spare, or are freed when there is one. */
static void give_spare(par *w, rpi_rowbuf *rb)
{
    pthread_mutex_lock(&w->mu);
    if (!w->have_spare) {
        w->spare = *rb;
        w->have_spare = 1;
        memset(rb, 0, sizeof *rb);
    }
    pthread_mutex_unlock(&w->mu);
    rpi_rowbuf_cleanup(rb); /* a no-op when it became the spare */
}

/* A later chunk's parser starts where the first row left the first, its
 * rows going to p->defer (its builder stays empty: the merger interns). */
static rp_status adopt_config(par *w, rpi_parser *p, size_t hint_bytes, rp_error *err)
{
    const config *c = &w->cfg;
    p->fmt = c->fmt;
    p->started = 1;
    if (!take_spare(w, p->defer))
        rpi_rowbuf_reserve(p->defer, hint_bytes / 32 + 16);
    p->unit_known = c->unit_known;
    p->b->ts_unit = c->ts_unit;
    p->have_header = c->have_header;
    p->ncols = c->ncols;
    p->col_user = c->col_user;
    p->col_item = c->col_item;
    p->col_rating = c->col_rating;
    p->col_ts = c->col_ts;
    if (c->have_header && (p->cols = calloc(c->ncols, sizeof *p->cols)) == NULL) {
        rp_error_set(err, p->name, 0, 0, "out of memory for the header");
        return RP_ERR_NOMEM;
    }
    return RP_OK;
}

/* Bytes of the chunk's own range consumed: a range reads one byte before it
 * and its last line past its end, which the next chunk counts. */
static uint64_t own_bytes(const chunk *c, const rpi_lines *r)
{
    uint64_t own = c->end - c->start;
    return r->raw_read < own ? r->raw_read : own;
}

static void count_progress(par *w, uint64_t rows, uint64_t bytes)
{
    if (w->pg == NULL)
        return;
    atomic_fetch_add_explicit(&w->pg->rows, rows, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->pg->bytes, bytes, memory_order_relaxed);
}

/* The lines of chunk k into its builder; chunk 0 publishes the configuration
 * once its first row is queued. */
static rp_status parse_lines(par *w, size_t k, rpi_parser *p, rpi_lines *r, rp_error *err)
{
    const chunk *c = &w->ch[k];
    rp_status st = RP_OK;
    uint64_t rows0 = 0, bytes0 = 0;
    int published = k != 0;
    for (int got = 1; st == RP_OK;) {
        const char *line;
        size_t len;
        if (!rpi_lines_ready(r) && (st = rpi_flush_rows(p, err)) != RP_OK)
            break;
        st = rpi_lines_next(r, &line, &len, &got, err);
        if (st != RP_OK || !got)
            break;
        if (len > 0)
            st = rpi_parser_line(p, line, len, r->lineno, err);
        if (!published && rpi_parser_rows(p) > 0) {
            publish(w, p, 1);
            published = 1;
        }
        if (r->lineno % RP_LOAD_PROGRESS_ROWS == 0) {
            uint64_t rows = rpi_parser_rows(p);
            count_progress(w, rows - rows0, own_bytes(c, r) - bytes0);
            rows0 = rows;
            bytes0 = own_bytes(c, r);
            if (__atomic_load_n(&w->first_bad, __ATOMIC_RELAXED) < k)
                break; /* an earlier chunk failed: this one will not be used */
        }
    }
    if (st == RP_OK)
        st = rpi_flush_rows(p, err);
    count_progress(w, rpi_parser_rows(p) - rows0,
                   (st == RP_OK ? c->end - c->start : own_bytes(c, r)) - bytes0);
    return st;
}

static void parse_chunk(par *w, size_t k, char *win)
{
    chunk *c = &w->ch[k];
    rpi_parser p;
    rpi_lines r;
    memset(&r, 0, sizeof r);
    rp_status st = rpi_parser_init(&p, w->path, &c->b, k == 0 ? w->fmt : w->cfg.fmt, &c->err);
    if (st == RP_OK && k == 0) {
        p.input_size = (size_t)w->size;             /* chunk 0's builder becomes the dataset's */
        p.users_size = (size_t)(c->end - c->start); /* later users: intern_batch.c */
    } else if (st == RP_OK) {
        p.defer = &c->rows;
        st = adopt_config(w, &p, (size_t)(c->end - c->start), &c->err);
    }
    if (st == RP_OK)
        st = rpi_lines_range(&r, w->path, w->fd, c->start, c->end, win, &c->err);
    if (st == RP_OK)
        st = parse_lines(w, k, &p, &r, &c->err);
    if (k == 0)
        publish(w, &p, -1); /* no row in chunk 0, or it failed before one; a no-op
                               once published */
    c->lines = r.lineno;
    c->st = st;
    rpi_lines_cleanup(&r);
    rpi_parser_cleanup(&p);
}

/* Next chunk to parse, or n: waits for the configuration (chunks > 0) and
 * for the merger when the workers are too far ahead. Chunk 0 giving up sets
 * first_bad to 0 with the configuration (publish), so first_bad < n covers
 * it. */
static size_t take_chunk(par *w, size_t ahead)
{
    pthread_mutex_lock(&w->mu);
    size_t k = w->n;
    for (;;) {
        if (w->first_bad < w->n || w->next >= w->n)
            break;
        if (w->next > 0 && w->cfg.state == 0) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        if (w->next >= w->merged + ahead) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        k = w->next++;
        break;
    }
    pthread_mutex_unlock(&w->mu);
    return k;
}

typedef struct worker_arg {
    par *w;
    size_t ahead;
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *a = arg;
    par *w = a->w;
    /* one window for all its chunks: memory freed between chunks went back
     * to the system (glibc trims a thread arena's top) and faulted in again,
     * 2 MB a chunk */
    char *win = rpi_alloc_big(RPI_LINES_WIN, 1);
    for (size_t k; (k = take_chunk(w, a->ahead)) < w->n;) {
        parse_chunk(w, k, win);
        pthread_mutex_lock(&w->mu);
        w->ch[k].done = 1;
        if (w->ch[k].st != RP_OK && k < w->first_bad)
            __atomic_store_n(&w->first_bad, k, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    free(win);
    return NULL;
}

/* ---- the merger ------------------------------------------------------------- */

/* Wait for chunk k; 0 when it will never come (the workers stopped first). */
static int wait_chunk(par *w, size_t k)
{
    pthread_mutex_lock(&w->mu);
    while (!w->ch[k].done && !(k >= w->next && w->first_bad < w->n))
        pthread_cond_wait(&w->cv, &w->mu);
    int done = w->ch[k].done;
    pthread_mutex_unlock(&w->mu);
    return done;
}

static void merged_one(par *w)
{
    pthread_mutex_lock(&w->mu);
    w->merged++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->pg != NULL && w->pg->on_update != NULL)
        w->pg->on_update(w->pg, w->pg->ctx);
}

/* Merge the chunks in file order into *b (chunk 0's builder). Returns the
 * first error, its line made file-wide; *none = 1 when chunk 0 gave up.
 * Every chunk up to the first failed one is taken, so each one waited for
 * comes. */
static rp_status merge(par *w, rpi_builder *b, rp_error *err, int *none)
{
    size_t lines = 0;
    *none = 0;
    for (size_t k = 0; k < w->n; k++) {
        chunk *c = &w->ch[k];
        if (!wait_chunk(w, k)) { /* cannot happen (see above) */
            rp_error_set(err, w->path, 0, 0, "parallel load lost a chunk");
            return RP_ERR_IO;
        }
        if (c->st != RP_OK) {
            if (err != NULL) {
                *err = c->err;
                if (err->line > 0)
                    err->line += lines;
            }
            return c->st;
        }
        rp_status st = RP_OK;
        if (k == 0) {
            *b = c->b;
            b->batch_rows = w->batch_rows;
            b->lazy_fp = w->lazy_fp;
            memset(&c->b, 0, sizeof c->b);
        } else {
            st = rpi_builder_append_rows(b, &c->rows);
            give_spare(w, &c->rows);
        }
        if (st != RP_OK) { /* interning chunk k's rows: the line it starts at */
            rp_error_set(err, w->path, k ? lines + 1 : 0, 0, "cannot add the rows from here on: %s",
                         rp_status_str(st));
            return st;
        }
        lines += c->lines;
        merged_one(w);
        if (w->pf != NULL) {
            rpi_region r[RPI_PREFAULT_REGIONS];
            rpi_prefault_update(w->pf, r, rpi_builder_regions(b, r, RPI_PREFAULT_REGIONS));
        }
        if (k == 0 && w->cfg.state < 0) {
            *none = 1;
            return RP_OK;
        }
    }
    return RP_OK;
}

/* A new stage, told to the caller's callback (from the calling thread only). */
static void set_stage(rp_load_progress *pg, int stage)
{
    if (pg == NULL)
        return;
    atomic_store_explicit(&pg->stage, stage, memory_order_release);
    if (pg->on_update != NULL)
        pg->on_update(pg, pg->ctx);
}

static void stop_workers(par *w, pthread_t *t, unsigned started)
{
    pthread_mutex_lock(&w->mu);
    __atomic_store_n(&w->first_bad, 0, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(t[i], NULL);
}

static int plan(par *w, const rp_load_opts *opts, unsigned *threads)
{
    *threads = thread_count(opts);
    size_t cb = chunk_size(opts, w->size, *threads);
    int forced = opts != NULL && opts->chunk_bytes > 0;
    if (*threads < 2 || (!forced && w->size < MIN_SPLIT) || w->size <= cb)
        return 0;
    w->n = (size_t)((w->size + cb - 1) / cb);
    w->first_bad = w->n;
    w->ch = calloc(w->n, sizeof *w->ch);
    if (w->ch == NULL)
        return 0;
    for (size_t k = 0; k < w->n; k++) {
        w->ch[k].start = (uint64_t)k * cb;
        w->ch[k].end = k + 1 == w->n ? w->size : (uint64_t)(k + 1) * cb;
    }
    if ((size_t)*threads > w->n)
        *threads = (unsigned)w->n;
    return 1;
}

rp_status rpi_load_par(const char *path, int fd, uint64_t size, rp_format fmt,
                       const rp_load_opts *opts, rp_load_progress *pg, rp_dataset **out,
                       rp_error *err, int *fallback)
{
    par w = {.path = path,
             .fd = fd,
             .size = size,
             .fmt = fmt,
             .pg = pg,
             .batch_rows = opts != NULL ? opts->batch_rows : 0,
             .lazy_fp = opts != NULL && opts->lazy_fingerprint};
    unsigned threads;
    *fallback = 1;
    if (!plan(&w, opts, &threads))
        return RP_OK;
    pthread_t *t = calloc(threads, sizeof *t);
    worker_arg arg = {&w, (size_t)threads};
    if (t == NULL) {
        free(w.ch);
        return RP_OK;
    }
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    if (pg != NULL)
        atomic_store_explicit(&pg->total_bytes, size, memory_order_relaxed);
    set_stage(pg, RP_LOAD_READING);
    unsigned started = 0;
    while (started < threads && pthread_create(&t[started], NULL, worker, &arg) == 0)
        started++;
    rpi_builder b;
    memset(&b, 0, sizeof b);
    int none = 0;
    if (started > 0 && size >= PREFAULT_MIN_INPUT)
        w.pf = rpi_prefault_start(PREFAULT_AHEAD);
    rp_status st = started == 0 ? RP_OK : merge(&w, &b, err, &none);
    rpi_prefault_stop(w.pf);
    stop_workers(&w, t, started);
    for (size_t k = 0; k < w.n; k++) {
        rpi_builder_cleanup(&w.ch[k].b);
        rpi_rowbuf_cleanup(&w.ch[k].rows);
    }
    if (w.have_spare)
        rpi_rowbuf_cleanup(&w.spare);
    *fallback = started == 0 || none;
    if (st == RP_OK && !*fallback) {
        set_stage(pg, RP_LOAD_INDEXING);
        st = rpi_builder_finish(&b, w.cfg.fmt, path, out, err);
    } else {
        rpi_builder_cleanup(&b);
    }
    if (pg != NULL && !*fallback)
        atomic_store_explicit(&pg->stage, RP_LOAD_DONE, memory_order_release);
    if (*fallback && pg != NULL) { /* the serial load counts from zero again */
        atomic_store_explicit(&pg->rows, 0, memory_order_relaxed);
        atomic_store_explicit(&pg->bytes, 0, memory_order_relaxed);
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    free(t);
    free(w.ch);
    return st;
}
