/*
 * core/cursor.c - the one serialisation path: lines generated on demand.
 *
 * Every line of a file is a byte string A followed by '\n'. For a sequence file
 * (see split_impl.h) entry (uid, lo, hi), the cursor renders once into its
 * scratch buffer the text "uid i0 i1 ... i(hi-1)" and remembers where each
 * item ends; line L is then the first end[L-1] bytes of scratch plus '\n'.
 * So each item is formatted once per entry (digit-pair table) and the rest is
 * memcpy: the prefix lines of train.txt, which repeat long histories, cost
 * little more than copying their bytes. A line cut by max_len is "uid" and a
 * window of the same text, copied into a second buffer; a pairs line (sasrec)
 * is "uid" and one item of it. For users.tsv / items.tsv, A is "id\traw",
 * rendered per line; the az23 files' rows come from az23.c.
 *
 * A line longer than the caller's buffer is emitted across several reads:
 * the cursor keeps (current line, position in it), and every read before the
 * end fills at least one byte. The cursor borrows the result; the result
 * must outlive it (the server holds a reference for each stream).
 *
 * Rejected: rendering whole files into memory (train.txt of a large dataset
 * is gigabytes) and stdio formatting (printf per number is ~10x slower).
 */
#include "recprep/cursor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset_impl.h"
#include "mem.h"
#include "split_impl.h"

#define WRITE_BUF (1u << 20)

struct rp_cursor {
    const rp_split *s;
    const rpi_file *file; /* what is being rendered */
    rpi_az_state az;      /* az23 files: position */
    uint64_t offset;      /* bytes produced */
    uint32_t entry;       /* sequence file: current entry; tsv: next ID - 1 */
    uint32_t next_len;    /* sequence file: prefix length of the next line */
    int started;          /* an entry has been rendered */
    const char *line;     /* current line without '\n'; NULL when none */
    size_t line_len, pos; /* pos in [0, line_len] ('\n' at line_len) */
    char *scratch;
    size_t scratch_cap;
    uint32_t *ends; /* ends[j]: scratch length after item j */
    size_t ends_cap;
    uint32_t uid_len; /* bytes of "uid" at the start of scratch */
    char *cut;        /* a line cut by max_len: "uid" + the window */
    size_t cut_cap;
};

static int reserve(rp_cursor *c, size_t bytes, size_t items)
{
    return rpi_reserve((void **)&c->scratch, &c->scratch_cap, bytes, 1) ||
                   rpi_reserve((void **)&c->ends, &c->ends_cap, items, sizeof *c->ends)
               ? -1
               : 0;
}

/* Validation and test list users in time order, so each entry starts with two
 * cache misses (seq_off, then seq); fetch them a few entries ahead (2x on the
 * 2M-row log's validation.txt). */
static void prefetch_ahead(const rp_cursor *c, const rpi_seqfile *f, uint32_t e)
{
    if (e + 8 < f->n)
        __builtin_prefetch(&c->s->seq_off[f->uid[e + 8] - 1]);
    if (e + 2 < f->n)
        __builtin_prefetch(c->s->seq + c->s->seq_off[f->uid[e + 2] - 1]);
}

/* Render "uid i0 .. i(hi-1)" of entry e into scratch. */
static int render_entry(rp_cursor *c, const rpi_seqfile *f, uint32_t e)
{
    uint32_t uid = f->uid[e], hi = f->hi[e];
    const uint32_t *seq = c->s->seq + c->s->seq_off[uid - 1];
    if (reserve(c, 11 + (size_t)hi * 11, (size_t)hi + 1) != 0)
        return -1;
    prefetch_ahead(c, f, e);
    char *p = c->scratch;
    p += rpi_utoa(uid, p);
    c->uid_len = (uint32_t)(p - c->scratch);
    for (uint32_t j = 0; j < hi; j++) {
        *p++ = ' ';
        p += rpi_utoa(seq[j], p);
        c->ends[j] = (uint32_t)(p - c->scratch);
    }
    return 0;
}

/* Make "uid" + scratch[from, from + n) the current line (in c->cut). */
static int cut_line(rp_cursor *c, size_t from, size_t n)
{
    if (rpi_reserve((void **)&c->cut, &c->cut_cap, c->uid_len + n, 1) != 0)
        return -1;
    memcpy(c->cut, c->scratch, c->uid_len);
    memcpy(c->cut + c->uid_len, c->scratch + from, n);
    c->line = c->cut;
    c->line_len = c->uid_len + n;
    return 1;
}

/* Line of prefix length L of the rendered entry: "uid" and the last max_len
 * items of the first L (all of them when max_len is 0 or L <= max_len). */
static int prefix_line(rp_cursor *c, uint32_t L)
{
    uint32_t m = c->s->p.max_len;
    c->line = c->scratch;
    c->line_len = c->ends[L - 1];
    if (m == 0 || L <= m)
        return 1;
    return cut_line(c, c->ends[L - m - 1], c->ends[L - 1] - c->ends[L - m - 1]);
}

/* Line of position L of the rendered entry in a pairs file: "uid item". */
static int pair_line(rp_cursor *c, uint32_t L)
{
    size_t from = L > 1 ? c->ends[L - 2] : c->uid_len;
    return cut_line(c, from, c->ends[L - 1] - from);
}

/* Make the next line of a sequence file current. 1 = ok, 0 = end, -1 = OOM. */
static int next_seq_line(rp_cursor *c)
{
    const rpi_seqfile *f = &c->s->seqs[c->file->part];
    if (c->started && c->next_len > f->hi[c->entry]) {
        c->entry++;
        c->started = 0;
    }
    if (!c->started) {
        if (c->entry >= f->n)
            return 0;
        if (render_entry(c, f, c->entry) != 0)
            return -1;
        c->started = 1;
        c->next_len = f->lo[c->entry];
    }
    uint32_t L = c->next_len++;
    return c->file->kind == RPI_SEQ_PAIRS ? pair_line(c, L) : prefix_line(c, L);
}

static int next_tsv_line(rp_cursor *c)
{
    const rp_split *s = c->s;
    int users = c->file->kind == RPI_TSV_USERS;
    if (c->entry >= (users ? s->n_users : s->n_items))
        return 0;
    uint32_t id = ++c->entry;
    size_t len;
    const char *raw = users ? rp_dataset_user_raw(s->ds, s->user_dense[id - 1], &len)
                            : rp_dataset_item_raw(s->ds, s->item_dense[id - 1], &len);
    if (reserve(c, 12 + len, 0) != 0)
        return -1;
    size_t n = rpi_utoa(id, c->scratch);
    c->scratch[n++] = '\t';
    memcpy(c->scratch + n, raw, len);
    c->line = c->scratch;
    c->line_len = n + len;
    return 1;
}

/* Make the next line of the file current. 1 = ok, 0 = end, -1 = OOM. */
static int next_line(rp_cursor *c)
{
    switch (c->file->kind) {
    case RPI_SEQ_PREFIX:
    case RPI_SEQ_PAIRS:
        return next_seq_line(c);
    case RPI_TSV_USERS:
    case RPI_TSV_ITEMS:
        return next_tsv_line(c);
    default: {
        size_t len;
        int rc = rpi_az23_line(c->s, c->file, &c->az, &c->scratch, &c->scratch_cap, &len);
        if (rc == 1) {
            c->line = c->scratch;
            c->line_len = len;
        }
        return rc;
    }
    }
}

rp_status rp_cursor_new(const rp_split *s, const char *name, rp_cursor **out)
{
    *out = NULL;
    int f = rpi_split_file_index(s, name);
    if (f < 0)
        return RP_ERR_NOT_FOUND;
    rp_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return RP_ERR_NOMEM;
    c->s = s;
    c->file = &s->files[f];
    *out = c;
    return RP_OK;
}

/* Copy what fits of the current line from pos; returns bytes copied. */
static size_t copy_partial(rp_cursor *c, char *dst, size_t room)
{
    size_t n = 0;
    if (c->pos < c->line_len) {
        n = c->line_len - c->pos < room ? c->line_len - c->pos : room;
        memcpy(dst, c->line + c->pos, n);
        c->pos += n;
    }
    if (n < room && c->pos == c->line_len) {
        dst[n++] = '\n';
        c->line = NULL;
    }
    return n;
}

ssize_t rp_cursor_read(rp_cursor *c, char *buf, size_t cap)
{
    if (c == NULL || buf == NULL || cap == 0)
        return -1;
    size_t done = 0;
    while (done < cap) {
        if (c->line == NULL) {
            int rc = next_line(c);
            if (rc < 0)
                return -1;
            if (rc == 0)
                break;
            c->pos = 0;
        }
        if (c->pos == 0 && c->line_len < cap - done) { /* the common case: whole line */
            memcpy(buf + done, c->line, c->line_len);
            done += c->line_len;
            buf[done++] = '\n';
            c->line = NULL;
            continue;
        }
        done += copy_partial(c, buf + done, cap - done);
    }
    c->offset += done;
    return (ssize_t)done;
}

uint64_t rp_cursor_offset(const rp_cursor *c)
{
    return c->offset;
}

void rp_cursor_free(rp_cursor *c)
{
    if (!c)
        return;
    free(c->scratch);
    free(c->ends);
    free(c->cut);
    rpi_az_state_cleanup(&c->az);
    free(c);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Pump the cursor into fd. 0 ok, -1 write error (errno), -2 cursor error. */
static int pump(rp_cursor *c, int fd, char *buf)
{
    for (;;) {
        ssize_t n = rp_cursor_read(c, buf, WRITE_BUF);
        if (n < 0)
            return -2;
        if (n == 0)
            return 0;
        if (write_all(fd, buf, (size_t)n) != 0)
            return -1;
    }
}

rp_status rp_cursor_write_file(const rp_split *s, const char *name, const char *path, rp_error *err)
{
    rp_cursor *c;
    rp_status rc = rp_cursor_new(s, name, &c);
    if (rc != RP_OK)
        return rc;
    char *buf = malloc(WRITE_BUF);
    int fd = buf ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    if (buf == NULL) {
        rc = RP_ERR_NOMEM;
    } else if (fd < 0) {
        rp_error_set(err, path, 0, 0, "cannot create: %s", strerror(errno));
        rc = RP_ERR_IO;
    } else {
        int st = pump(c, fd, buf);
        if (st == -1)
            rp_error_set(err, path, 0, 0, "write failed: %s", strerror(errno));
        rc = st == 0 ? RP_OK : st == -1 ? RP_ERR_IO : RP_ERR_NOMEM;
        if (close(fd) != 0 && rc == RP_OK) {
            rp_error_set(err, path, 0, 0, "close failed: %s", strerror(errno));
            rc = RP_ERR_IO;
        }
    }
    free(buf);
    rp_cursor_free(c);
    return rc;
}
