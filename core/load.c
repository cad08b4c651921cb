/*
 * core/load.c - rp_load_file / rp_load_buffer: bytes to a dataset.
 *
 * Pipeline: rpi_lines (plain or gzip, see load_lines.c) yields physical lines;
 * blank lines are skipped (as pandas does) but still counted, so every error
 * names the physical line; a NUL byte anywhere is an error; the first
 * non-blank line decides the format when it is RP_FORMAT_AUTO (load_detect.c);
 * each line then goes to the text (load_text.c) or JSON (load_json.c) row
 * parser, which appends to the dataset builder in file order. The first
 * malformed row stops the load: no row is ever dropped silently.
 *
 * Progress (optional): every RP_LOAD_PROGRESS_ROWS physical lines the loop
 * publishes rows and consumed bytes with relaxed atomic stores, a few
 * stores per 64k lines, so a status page can show a long load moving
 * without slowing it (no lock, no clock read per line).
 *
 * Memory: apart from the builder's columns and interners, a load holds a
 * 2 MiB decode window (files and gzip) and a 1 MiB scratch buffer; no
 * allocation per row.
 *
 * Measured (Release, gcc 12, this 2-core box while other builds ran; best of
 * 5 with tests/bench/bench_load.sh, generator's 2,023,070-row log, 1.21M
 * users, 249k items; times include rpi_builder_finish's indexes):
 *   amazon-csv, 83 MB:             373 ms wall, peak RSS 143 MB
 *     (parse + intern alone ~310 ms: 240 ms user, 60 ms in page faults)
 *   the same, gzip -1 (37 MB):     672 ms wall, peak RSS 141 MB
 *   as Amazon 2014 JSON lines (621 MB, ~300 B of review text per line):
 *                                 1185 ms wall, peak RSS 142 MB
 *   `recprep temporal` end to end on the CSV: 0.45-0.49 s, 139 MB.
 * Interning figures are in intern.c, the jansson comparison in load_json.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load_impl.h"

/* Rows to reserve, from the input size and the first line's length (gzip
 * guessed to expand 3x). The interners size their tables from this, so a wild
 * over-estimate would cost RSS; an under-estimate costs a rehash or two. */
static size_t row_hint(size_t size, int gz, size_t first_len)
{
    size_t rows = (gz ? size / (first_len + 1) * 3 : size / (first_len + 1)) + 16;
    return rows > RP_LOAD_MAX_ROWS ? RP_LOAD_MAX_ROWS : rows;
}

rp_status rpi_parser_start(rpi_parser *p, size_t first_len, rp_error *err)
{
    size_t rows = row_hint(p->input_size, p->input_gz, first_len);
    size_t urows =
        p->users_size ? rpi_builder_user_rows(rows, row_hint(p->users_size, p->input_gz, first_len))
                      : rows;
    rp_status st = rpi_builder_init_users(p->b, rows, urows);
    if (st != RP_OK) {
        memset(p->b, 0, sizeof(*p->b));
        rp_error_set(err, p->name, 0, 0, "out of memory");
        return st;
    }
    p->started = 1;
    return RP_OK;
}

rp_status rpi_parser_init(rpi_parser *p, const char *name, rpi_builder *b, rp_format fmt,
                          rp_error *err)
{
    memset(p, 0, sizeof(*p));
    p->fmt = fmt;
    p->name = name;
    p->b = b;
    p->scratch = malloc(RP_LOAD_MAX_LINE + 1);
    if (!p->scratch) {
        rp_error_set(err, name, 0, 0, "out of memory for the parse buffer");
        return RP_ERR_NOMEM;
    }
    return RP_OK;
}

void rpi_parser_cleanup(rpi_parser *p)
{
    free(p->scratch);
    free(p->cols);
}

rp_status rpi_parser_line(rpi_parser *p, const char *line, size_t len, size_t lineno, rp_error *err)
{
    if (!p->started) {
        rp_status st = rpi_parser_start(p, len, err);
        if (st != RP_OK)
            return st;
    }
    if (p->fmt == RP_FORMAT_AUTO) {
        rp_status st = rp_format_detect(p->name, line, len, &p->fmt, err);
        if (st != RP_OK)
            return st;
    }
    /* The 4-field formats check their fields themselves (IDs in rpi_add_row,
     * numbers by parsing), saving a pass over every line. */
    const char *nul = (p->fmt == RP_FORMAT_AMAZON_JSON || p->fmt == RP_FORMAT_CSV_HEADER)
                          ? memchr(line, '\0', len)
                          : NULL;
    if (nul) {
        rp_error_set(err, p->name, lineno, (size_t)(nul - line) + 1, "NUL byte in the data");
        return RP_ERR_PARSE;
    }
    if (p->fmt == RP_FORMAT_AMAZON_JSON)
        return rpi_json_line(p, line, len, lineno, err);
    return rpi_text_line(p, line, len, lineno, err);
}

static rp_status no_rows(const rpi_parser *p, const rpi_lines *r, rp_error *err)
{
    rp_error_set(err, p->name, 0, 0, "%s",
                 r->lineno == 0   ? "file is empty"
                 : p->have_header ? "no rows after the header"
                                  : "no rows: only blank lines");
    return RP_ERR_PARSE;
}

void rp_load_progress_init(rp_load_progress *p)
{
    atomic_init(&p->rows, 0);
    atomic_init(&p->bytes, 0);
    atomic_init(&p->total_bytes, 0);
    atomic_init(&p->stage, RP_LOAD_WAITING);
    p->on_update = NULL;
    p->ctx = NULL;
}

/* Publish rows/bytes (and a new stage when stage >= 0), then tell the caller. */
static void report(rp_load_progress *pg, const rpi_parser *p, const rpi_lines *r, int stage)
{
    if (pg == NULL)
        return;
    atomic_store_explicit(&pg->rows, rpi_parser_rows(p), memory_order_relaxed);
    atomic_store_explicit(&pg->bytes, rpi_lines_consumed(r), memory_order_relaxed);
    if (stage >= 0)
        atomic_store_explicit(&pg->stage, stage, memory_order_release);
    if (pg->on_update != NULL)
        pg->on_update(pg, pg->ctx);
}

/* Drive lines into the parser and the builder; consumes r's lines, not r. */
static rp_status run(rpi_lines *r, const char *name, rp_format fmt, size_t size, int lazy_fp,
                     rp_load_progress *pg, rp_dataset **out, rp_error *err)
{
    rpi_builder b;
    rpi_parser p;
    memset(&b, 0, sizeof(b));
    rp_status st = rpi_parser_init(&p, name, &b, fmt, err);
    p.input_size = size;
    p.input_gz = r->gz;
    if (pg != NULL && size > 0)
        atomic_store_explicit(&pg->total_bytes, size, memory_order_relaxed);
    report(pg, &p, r, RP_LOAD_READING);
    for (int got = 1; st == RP_OK;) {
        const char *line;
        size_t len;
        if (!rpi_lines_ready(r) && (st = rpi_flush_rows(&p, err)) != RP_OK)
            break;
        st = rpi_lines_next(r, &line, &len, &got, err);
        if (st != RP_OK || !got)
            break;
        if (len > 0)
            st = rpi_parser_line(&p, line, len, r->lineno, err);
        if (r->lineno % RP_LOAD_PROGRESS_ROWS == 0)
            report(pg, &p, r, -1);
    }
    if (st == RP_OK)
        st = rpi_flush_rows(&p, err);
    if (st == RP_OK && b.n == 0)
        st = no_rows(&p, r, err);
    if (st == RP_OK)
        report(pg, &p, r, RP_LOAD_INDEXING);
    b.lazy_fp = lazy_fp; /* the builder is set up at the first line (rpi_parser_start) */
    if (st == RP_OK)
        st = rpi_builder_finish(&b, p.fmt, name, out, err);
    else
        rpi_builder_cleanup(&b);
    rpi_parser_cleanup(&p);
    if (pg != NULL)
        atomic_store_explicit(&pg->stage, RP_LOAD_DONE, memory_order_release);
    return st;
}

rp_status rp_load_buffer(const char *name, const void *data, size_t len, rp_format fmt,
                         rp_dataset **out, rp_error *err)
{
    return rp_load_buffer_progress(name, data, len, fmt, NULL, out, err);
}

rp_status rp_load_file(const char *path, rp_format fmt, rp_dataset **out, rp_error *err)
{
    return rp_load_file_progress(path, fmt, NULL, out, err);
}

rp_status rp_load_buffer_progress(const char *name, const void *data, size_t len, rp_format fmt,
                                  rp_load_progress *progress, rp_dataset **out, rp_error *err)
{
    rpi_lines r;
    *out = NULL;
    if (!name)
        name = "<buffer>";
    rp_status st = rpi_lines_mem(&r, name, data, len, err);
    if (st == RP_OK)
        st = run(&r, name, fmt, len, 0, progress, out, err);
    rpi_lines_cleanup(&r);
    return st;
}

rp_status rp_load_file_progress(const char *path, rp_format fmt, rp_load_progress *progress,
                                rp_dataset **out, rp_error *err)
{
    return rp_load_file_opts(path, fmt, NULL, progress, out, err);
}

rp_status rp_load_file_opts(const char *path, rp_format fmt, const rp_load_opts *opts,
                            rp_load_progress *progress, rp_dataset **out, rp_error *err)
{
    struct stat sb;
    rpi_lines r;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        rp_error_set(err, path, 0, 0, "cannot open: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return RP_ERR_IO;
    }
    if (S_ISDIR(sb.st_mode)) {
        rp_error_set(err, path, 0, 0, "cannot read: %s", strerror(EISDIR));
        close(fd);
        return RP_ERR_IO;
    }
    size_t size = S_ISREG(sb.st_mode) ? (size_t)sb.st_size : 0;
    /* The lines' reader sniffs gzip (and refuses a .gz name over plain
     * data) for both paths: a plain file may then load on several threads,
     * which pread and leave the reader where it is. */
    int fallback = 1;
    rp_status st = rpi_lines_fd(&r, path, fd, err);
    if (st == RP_OK && !r.gz && size > 0)
        st = rpi_load_par(path, fd, size, fmt, opts, progress, out, err, &fallback);
    if (st == RP_OK && fallback)
        st = run(&r, path, fmt, size, opts != NULL && opts->lazy_fingerprint, progress, out, err);
    rpi_lines_cleanup(&r);
    close(fd);
    return st;
}
