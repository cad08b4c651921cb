/*
 * core/load_lines.c - physical lines out of memory, a file or gzip data.
 *
 * Three sources, one interface (rpi_lines_next):
 *   plain memory  lines are slices of the caller's buffer: zero copy;
 *   plain fd      read() in chunks into a window;
 *   gzip          (memory or fd) streaming inflate into the same window.
 * The window holds at most RP_LOAD_MAX_LINE + 1 MiB of decoded data: a
 * multi-GB .json.gz never sits decompressed in memory. When no '\n' is left in
 * the window the partial line is moved to its front and the window refilled;
 * a partial line longer than RP_LOAD_MAX_LINE is RP_ERR_LIMIT.
 *
 * A fourth source, a byte range of a plain file read with pread, gives the
 * parallel load (load_par.c) each chunk's lines; see rpi_lines_range.
 *
 * gzip is recognised by its magic bytes 1f 8b, never by name. Concatenated
 * members (as `cat a.gz b.gz` makes) are decoded one after the other.
 *
 * Rejected: mmap'ing plain files. It saves one memcpy (~10 ms per 80 MB) but
 * counts the whole file in the process RSS for the duration of the load, and
 * the RSS budget of the service matters more than that copy.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load_impl.h"
#include "mem.h"

/* The window holds the longest line plus about 1 MiB of reading room, in
 * exactly one 2 MiB huge page (mem.h): the parallel load opens a window per
 * chunk, and faulting each one in 4 KiB at a time (with the 2 MiB + 1 byte
 * window it had) cost ~2,000 of the 2M-row log's page faults. */
#define WIN_CAP RPI_LINES_WIN
_Static_assert(WIN_CAP >= (size_t)RP_LOAD_MAX_LINE + 1 + ((size_t)1 << 19),
               "the window holds a longest line and reading room");
#define IN_CAP ((size_t)1 << 18)
#define TAIL_READ ((size_t)1 << 12)

static int is_gzip(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* zlib would read a plain file named *.gz transparently, and the magic
 * bytes decide here too; but a name promising gzip over other bytes is a
 * mislabelled file (or a truncated download): say so rather than guess. */
static rp_status check_gz_name(const rpi_lines *r, const unsigned char *p, size_t n, rp_error *err)
{
    size_t len = r->name ? strlen(r->name) : 0;
    if (len < 3 || strcmp(r->name + len - 3, ".gz") != 0 || is_gzip(p, n))
        return RP_OK;
    rp_error_set(err, r->name, 0, 0,
                 "not gzip: the name ends in .gz but the data does not start with the gzip "
                 "magic bytes 1f 8b");
    return RP_ERR_FORMAT;
}

static rp_status start_gzip(rpi_lines *r, rp_error *err)
{
    r->gz = 1;
    if (inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK) {
        rp_error_set(err, r->name, 0, 0, "cannot initialise zlib");
        return RP_ERR_NOMEM;
    }
    r->zs_live = 1;
    return RP_OK;
}

static rp_status alloc_window(rpi_lines *r, rp_error *err)
{
    r->win_cap = WIN_CAP;
    r->win = rpi_alloc_big(r->win_cap, 1);
    if (!r->win) {
        rp_error_set(err, r->name, 0, 0, "out of memory for the read buffer");
        return RP_ERR_NOMEM;
    }
    return RP_OK;
}

rp_status rpi_lines_mem(rpi_lines *r, const char *name, const void *data, size_t len, rp_error *err)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->fd = -1;
    r->mem = data;
    r->mem_len = len;
    if (!is_gzip(r->mem, len))
        return check_gz_name(r, r->mem, len, err);
    rp_status st = alloc_window(r, err);
    return st == RP_OK ? start_gzip(r, err) : st;
}

/* read() up to cap bytes, retrying on EINTR. */
static rp_status read_some(rpi_lines *r, void *dst, size_t cap, size_t *got, rp_error *err)
{
    ssize_t n;
    do
        n = read(r->fd, dst, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        rp_error_set(err, r->name, 0, 0, "read failed: %s", strerror(errno));
        return RP_ERR_IO;
    }
    *got = (size_t)n;
    r->raw_read += (uint64_t)n;
    return RP_OK;
}

uint64_t rpi_lines_consumed(const rpi_lines *r)
{
    return r->fd >= 0 ? r->raw_read : r->mem_pos;
}

rp_status rpi_lines_fd(rpi_lines *r, const char *name, int fd, rp_error *err)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->fd = fd;
    r->in = malloc(IN_CAP);
    if (!r->in) {
        rp_error_set(err, name, 0, 0, "out of memory for the read buffer");
        return RP_ERR_NOMEM;
    }
    rp_status st = alloc_window(r, err);
    while (st == RP_OK && r->in_len < 2) { /* sniff the magic bytes */
        size_t got;
        st = read_some(r, r->in + r->in_len, IN_CAP - r->in_len, &got, err);
        if (st == RP_OK && got == 0)
            r->in_eof = 1;
        if (st != RP_OK || got == 0)
            break;
        r->in_len += got;
    }
    if (st == RP_OK && is_gzip(r->in, r->in_len))
        st = start_gzip(r, err);
    else if (st == RP_OK)
        st = check_gz_name(r, r->in, r->in_len, err);
    return st;
}

rp_status rpi_lines_range(rpi_lines *r, const char *name, int fd, uint64_t start, uint64_t end,
                          char *win, rp_error *err)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->fd = fd;
    r->ranged = 1;
    r->skip_first = r->no_bom = start > 0;
    r->pos = start > 0 ? start - 1 : 0;
    r->end = end;
    if (win == NULL)
        return alloc_window(r, err);
    r->win = win;
    r->win_cap = WIN_CAP;
    r->win_lent = 1;
    return RP_OK;
}

void rpi_lines_cleanup(rpi_lines *r)
{
    if (r->zs_live)
        inflateEnd(&r->zs);
    free(r->in);
    if (!r->win_lent)
        free(r->win);
    memset(r, 0, sizeof(*r));
    r->fd = -1;
}

/* Plain fd: first the sniffed bytes, then read() straight into the window. */
static rp_status fill_plain(rpi_lines *r, rp_error *err)
{
    size_t room = r->win_cap - r->win_end, got;
    if (r->in_pos < r->in_len) {
        got = r->in_len - r->in_pos < room ? r->in_len - r->in_pos : room;
        memcpy(r->win + r->win_end, r->in + r->in_pos, got);
        r->in_pos += got;
    } else if (r->in_eof) {
        got = 0;
    } else {
        rp_status st = read_some(r, r->win + r->win_end, room, &got, err);
        if (st != RP_OK)
            return st;
    }
    r->win_end += got;
    if (got == 0)
        r->src_eof = 1;
    return RP_OK;
}

/* A byte range: pread up to the range's end; past it (the last line runs on)
 * read until the first '\n' and stop there. */
static rp_status fill_range(rpi_lines *r, rp_error *err)
{
    size_t room = r->win_cap - r->win_end;
    int tail = r->pos >= r->end;
    if (!tail && room > r->end - r->pos)
        room = (size_t)(r->end - r->pos);
    if (tail && room > TAIL_READ) /* most last lines end within a few bytes */
        room = TAIL_READ;
    ssize_t n;
    do
        n = pread(r->fd, r->win + r->win_end, room, (off_t)r->pos);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        rp_error_set(err, r->name, 0, 0, "read failed: %s", strerror(errno));
        return RP_ERR_IO;
    }
    char *from = r->win + r->win_end;
    r->pos += (uint64_t)n;
    r->raw_read += (uint64_t)n;
    r->win_end += (size_t)n;
    if (n == 0) {
        r->src_eof = 1;
    } else if (tail) {
        char *nl = memchr(from, '\n', (size_t)n);
        if (nl) {
            r->win_end = (size_t)(nl + 1 - r->win);
            r->src_eof = 1;
        }
    } else if (r->pos == r->end && r->win[r->win_end - 1] == '\n') {
        r->src_eof = 1;
    }
    return RP_OK;
}

/* Make compressed input available to zlib. Sets *none when there is no more. */
static rp_status feed_gzip(rpi_lines *r, int *none, rp_error *err)
{
    *none = 0;
    if (r->zs.avail_in > 0)
        return RP_OK;
    if (r->fd < 0) {
        size_t left = r->mem_len - r->mem_pos;
        r->zs.next_in = (unsigned char *)(r->mem + r->mem_pos);
        r->zs.avail_in = left > UINT_MAX ? UINT_MAX : (unsigned)left;
        r->mem_pos += r->zs.avail_in;
    } else {
        if (r->in_pos >= r->in_len && !r->in_eof) {
            size_t got;
            rp_status st = read_some(r, r->in, IN_CAP, &got, err);
            if (st != RP_OK)
                return st;
            r->in_len = got;
            r->in_pos = 0;
            r->in_eof = got == 0;
        }
        r->zs.next_in = r->in + r->in_pos;
        r->zs.avail_in = (unsigned)(r->in_len - r->in_pos);
        r->in_pos = r->in_len;
    }
    *none = r->zs.avail_in == 0;
    return RP_OK;
}

static rp_status gzip_error(rpi_lines *r, int zr, rp_error *err)
{
    if (zr == Z_MEM_ERROR) {
        rp_error_set(err, r->name, 0, 0, "out of memory in zlib");
        return RP_ERR_NOMEM;
    }
    rp_error_set(err, r->name, r->lineno + 1, 0, "gzip data is corrupt (%s)",
                 r->zs.msg ? r->zs.msg : "invalid data");
    return RP_ERR_PARSE;
}

static rp_status fill_gzip(rpi_lines *r, rp_error *err)
{
    size_t before = r->win_end;
    while (r->win_end == before) {
        int none;
        rp_status st = feed_gzip(r, &none, err);
        if (st != RP_OK)
            return st;
        if (none) {
            if (r->member_done) {
                r->src_eof = 1;
                return RP_OK;
            }
            rp_error_set(err, r->name, r->lineno + 1, 0, "gzip data is truncated");
            return RP_ERR_PARSE;
        }
        if (r->member_done) { /* another member follows */
            if (inflateReset(&r->zs) != Z_OK)
                return gzip_error(r, Z_DATA_ERROR, err);
            r->member_done = 0;
        }
        r->zs.next_out = (unsigned char *)r->win + r->win_end;
        r->zs.avail_out = (unsigned)(r->win_cap - r->win_end);
        int zr = inflate(&r->zs, Z_NO_FLUSH);
        r->win_end = r->win_cap - r->zs.avail_out;
        if (zr == Z_STREAM_END)
            r->member_done = 1;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return gzip_error(r, zr, err);
    }
    return RP_OK;
}

/* Move the partial line to the front of the window and append decoded data. */
static rp_status refill(rpi_lines *r, rp_error *err)
{
    size_t keep = r->win_end - r->win_start;
    if (keep > RP_LOAD_MAX_LINE) {
        rp_error_set(err, r->name, r->lineno + 1, 0, "line is longer than %u bytes",
                     RP_LOAD_MAX_LINE);
        return RP_ERR_LIMIT;
    }
    if (r->win_start > 0) {
        memmove(r->win, r->win + r->win_start, keep);
        r->win_scan -= r->win_start;
        r->win_start = 0;
        r->win_end = keep;
    }
    return r->gz ? fill_gzip(r, err) : r->ranged ? fill_range(r, err) : fill_plain(r, err);
}

int rpi_lines_ready(rpi_lines *r)
{
    if (!r->win || r->win_nl)
        return 1;
    r->win_nl = memchr(r->win + r->win_scan, '\n', r->win_end - r->win_scan);
    if (!r->win_nl)
        r->win_scan = r->win_end;
    return r->win_nl != NULL;
}

/* The next raw line (CR and BOM still there) from the window. */
static rp_status next_windowed(rpi_lines *r, const char **line, size_t *len, int *got,
                               rp_error *err)
{
    for (;;) {
        if (rpi_lines_ready(r)) {
            char *nl = r->win_nl;
            *line = r->win + r->win_start;
            *len = (size_t)(nl - *line);
            r->win_start = r->win_scan = (size_t)(nl - r->win) + 1;
            r->win_nl = NULL;
            *got = 1;
            return RP_OK;
        }
        if (r->src_eof) {
            *line = r->win + r->win_start;
            *len = r->win_end - r->win_start;
            r->win_start = r->win_scan = r->win_end;
            *got = *len > 0;
            return RP_OK;
        }
        rp_status st = refill(r, err);
        if (st != RP_OK)
            return st;
    }
}

static void next_mem(rpi_lines *r, const char **line, size_t *len, int *got)
{
    const char *p = (const char *)r->mem + r->mem_pos;
    size_t left = r->mem_len - r->mem_pos;
    if (left == 0) { /* also keeps a NULL buffer of length 0 away from memchr */
        *got = 0;
        return;
    }
    const char *nl = memchr(p, '\n', left);
    *line = p;
    *len = nl ? (size_t)(nl - p) : left;
    r->mem_pos += nl ? *len + 1 : left;
    *got = nl != NULL || left > 0;
}

rp_status rpi_lines_next(rpi_lines *r, const char **line, size_t *len, int *got, rp_error *err)
{
    if (r->skip_first) { /* the end of the range before's last line */
        r->skip_first = 0;
        rp_status st = next_windowed(r, line, len, got, err);
        if (st != RP_OK || !*got)
            return st;
    }
    if (r->win) {
        rp_status st = next_windowed(r, line, len, got, err);
        if (st != RP_OK)
            return st;
    } else {
        next_mem(r, line, len, got);
    }
    if (!*got)
        return RP_OK;
    r->lineno++;
    if (*len > 0 && (*line)[*len - 1] == '\r')
        (*len)--;
    if (*len > RP_LOAD_MAX_LINE) {
        rp_error_set(err, r->name, r->lineno, 0, "line is longer than %u bytes", RP_LOAD_MAX_LINE);
        return RP_ERR_LIMIT;
    }
    if (r->lineno == 1 && !r->no_bom && *len >= 3 && memcmp(*line, "\xEF\xBB\xBF", 3) == 0) {
        *line += 3;
        *len -= 3;
    }
    return RP_OK;
}
