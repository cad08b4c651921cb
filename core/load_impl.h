/*
 * core/load_impl.h - private pieces of the loader (core/load*.c only).
 *
 * load_lines.c  physical lines out of memory, a file descriptor or gzip data
 * load_text.c   the delimited formats (CSV, TSV, DAT) and number parsing
 * load_json.c   the JSON-lines scanner (Amazon 2014/2018 and 2023 keys)
 * load_detect.c format detection (rp_format_detect)
 * load.c        the public calls, tying the above to the dataset builder
 */
#ifndef RECPREP_LOAD_IMPL_H
#define RECPREP_LOAD_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "dataset_impl.h"
#include "recprep/load.h"

/* ---- lines ------------------------------------------------------------ */

typedef struct rpi_lines {
    const char *name;
    int fd;                       /* -1: input is mem */
    const unsigned char *mem;     /* raw input held in memory */
    size_t mem_len, mem_pos;      /* mem_pos: raw bytes consumed */
    unsigned char *in;            /* fd: raw input buffer */
    size_t in_len, in_pos;        /* bytes in `in`, bytes consumed */
    int in_eof;                   /* fd: read() returned 0 */
    int gz, zs_live, member_done; /* gzip state */
    z_stream zs;
    char *win;    /* decoded bytes (fd or gzip) */
    int win_lent; /* win is the caller's (rpi_lines_range): not freed here */
    size_t win_start, win_scan, win_end, win_cap;
    char *win_nl;      /* next '\n' found by rpi_lines_ready */
    int src_eof;       /* no more decoded bytes */
    size_t lineno;     /* physical line last returned */
    uint64_t raw_read; /* fd: bytes read() so far */
    /* a byte range of a plain file (rpi_lines_range) */
    int ranged, skip_first, no_bom;
    uint64_t pos, end; /* next pread offset; the range's end */
} rpi_lines;

/* Raw input bytes consumed so far (for progress). */
uint64_t rpi_lines_consumed(const rpi_lines *r);

/* Read lines from memory (borrowed; may be gzip) or from an open fd (not
 * closed here). RP_OK, RP_ERR_NOMEM or RP_ERR_IO. */
rp_status rpi_lines_mem(rpi_lines *r, const char *name, const void *data, size_t len,
                        rp_error *err);
rp_status rpi_lines_fd(rpi_lines *r, const char *name, int fd, rp_error *err);

/* Lines of a plain (not gzip) file whose first byte lies in [start, end):
 * read with pread from start - 1, the line running into start is skipped
 * (its owner is the range before), and the last line is read past end up to
 * its '\n'. Adjacent ranges thus split the file's lines exactly. lineno
 * counts from 1 within the range; only the range at 0 strips a BOM. For the
 * parallel load (load_par.c). win: RPI_LINES_WIN bytes lent for the window
 * (a worker's, reused chunk after chunk), or NULL to allocate one. */
#define RPI_LINES_WIN ((size_t)2 << 20)
rp_status rpi_lines_range(rpi_lines *r, const char *name, int fd, uint64_t start, uint64_t end,
                          char *win, rp_error *err);

/* The next physical line without its "\n" (and "\r"), BOM stripped on line 1;
 * r->lineno is its number. *got = 0 at the end. The slice lives until the
 * next call. Errors: RP_ERR_LIMIT (line too long), RP_ERR_IO, RP_ERR_PARSE
 * (gzip corrupt or truncated), RP_ERR_NOMEM. */
rp_status rpi_lines_next(rpi_lines *r, const char **line, size_t *len, int *got, rp_error *err);

/* Can rpi_lines_next return a line without refilling (which would overwrite
 * the lines returned so far)? Callers holding on to lines flush them first. */
int rpi_lines_ready(rpi_lines *r);

void rpi_lines_cleanup(rpi_lines *r);

/* ---- fields and numbers ------------------------------------------------- */

typedef struct rpi_field {
    const char *p;
    size_t n;
    size_t col; /* 1-based column of the field's first byte in the line */
} rpi_field;

/* Split one CSV line (RFC 4180 quoting, no quoted newlines). Stores up to max
 * fields and sets *count to the number found. Quoted fields are unescaped into
 * scratch (>= len bytes). Returns 0, or the 1-based column of a quoting error. */
size_t rpi_csv_split(const char *line, size_t len, rpi_field *f, size_t max, size_t *count,
                     char *scratch);

/* Integer Unix seconds: optional '-', digits only. 0 ok, -1 syntax, -2 range. */
int rpi_parse_int64(const char *s, size_t n, int64_t *out);

/* A decimal number ("5", "4.5", "-1e3"), no spaces, nan or inf. 0 ok, -1 not. */
int rpi_parse_rating(const char *s, size_t n, double *out);

/* Column roles of a csv-header header; ROLE_NONE for columns we ignore. */
enum { RPI_ROLE_NONE, RPI_ROLE_USER, RPI_ROLE_ITEM, RPI_ROLE_RATING, RPI_ROLE_TS };
int rpi_header_role(const char *s, size_t n);

/* Bytes of w that are NUL or >= 0x80 (the UTF-8 check's work), as a mask
 * that is 0 exactly when all eight are in 0x01..0x7f: a byte's borrow can
 * only set a bit above a byte that is 0 itself. For rpi_id_bad_byte and the
 * delimited formats' one-pass split (load_text.c). */
#define RPI_ONES 0x0101010101010101ull
#define RPI_HIGHS 0x8080808080808080ull
static inline uint64_t rpi_word_odd(uint64_t w)
{
    return ((w - RPI_ONES) | w) & RPI_HIGHS;
}

/* Offset of the first byte of id[0..n) that is NUL or not part of valid
 * UTF-8 (RFC 3629: no overlongs, surrogates or code points past U+10FFFF),
 * or n when the whole ID is valid. core/utf8.c. */
size_t rpi_id_bad_byte(const char *id, size_t n);

/* ---- row parsing -------------------------------------------------------- */

/* Rows parsed but not yet added, a FIFO ring: each ID's lookup is a chain of
 * three cache misses (slot, offsets, bytes; intern.h), prefetched one stage
 * per RPI_STAGE rows, so a row is added RPI_BATCH rows after it was parsed
 * with all three in cache. */
#define RPI_BATCH 48
#define RPI_STAGE 16
typedef struct rpi_pending {
    const char *user, *item;
    uint64_t uhash, ihash; /* rp_intern_hash */
    uint32_t ulen, ilen;
    int64_t ts;
    double rating;
    size_t lineno;
} rpi_pending;

typedef struct rpi_parser {
    rp_format fmt;
    const char *name;  /* for error messages */
    rpi_builder *b;    /* initialised at the first non-blank line (started) */
    rpi_rowbuf *defer; /* non-NULL: rows go here, not interned (b's interners and
                          columns unused; load_par.c's later chunks) */
    int started;
    int unit_known;    /* amazon-json: the first row set b->ts_unit */
    size_t input_size; /* bytes of input, for the builder's size hint */
    size_t users_size; /* nonzero: bytes whose users the builder's user
                          interner takes (load_par.c's chunk 0) */
    int input_gz;
    char *scratch; /* RP_LOAD_MAX_LINE + 1 bytes, for unquoting/unescaping */
    /* csv-header */
    int have_header;
    size_t ncols, col_user, col_item, col_rating, col_ts; /* col_rating = SIZE_MAX: none */
    rpi_field *cols;                                      /* [ncols] */
    rpi_pending batch[RPI_BATCH];
    size_t nbatch, head; /* rows queued; ring index of the oldest */
} rpi_parser;

/* Rows parsed so far: added to the builder, queued, or deferred. */
static inline uint64_t rpi_parser_rows(const rpi_parser *p)
{
    return (p->started ? p->b->n : 0) + p->nbatch + (p->defer ? p->defer->n : 0);
}

/* A parser for input name appending to b (load.c); fmt may be AUTO. */
rp_status rpi_parser_init(rpi_parser *p, const char *name, rpi_builder *b, rp_format fmt,
                          rp_error *err);
void rpi_parser_cleanup(rpi_parser *p);

/* Start the builder, sized from p->input_size and the first line's length;
 * rpi_parser_line calls it at the first non-blank line. */
rp_status rpi_parser_start(rpi_parser *p, size_t first_len, rp_error *err);

/* One non-blank physical line: detection at the first, then the row. */
rp_status rpi_parser_line(rpi_parser *p, const char *line, size_t len, size_t lineno,
                          rp_error *err);

/* Load the plain file open at fd (size bytes) on several threads (load_par.c).
 * *fallback = 1 (and nothing else done) when the file is not worth
 * splitting or its first chunk holds no row: the caller loads serially. */
rp_status rpi_load_par(const char *path, int fd, uint64_t size, rp_format fmt,
                       const rp_load_opts *opts, rp_load_progress *pg, rp_dataset **out,
                       rp_error *err, int *fallback);

/* One non-blank, NUL-free line of a delimited format / of JSON lines. */
rp_status rpi_text_line(rpi_parser *p, const char *line, size_t len, size_t lineno, rp_error *err);
rp_status rpi_json_line(rpi_parser *p, const char *line, size_t len, size_t lineno, rp_error *err);

/* Check the IDs' limits and queue the row for the builder. IDs must stay valid
 * until rpi_flush_rows (IDs in p->scratch are added at once). ascii: the
 * caller knows both IDs hold bytes 0x01..0x7f only (no UTF-8 check). */
rp_status rpi_add_row(rpi_parser *p, const rpi_field *user, const rpi_field *item, int ascii,
                      int64_t ts, double rating, size_t lineno, rp_error *err);

/* Add the queued rows to the builder, in order. */
rp_status rpi_flush_rows(rpi_parser *p, rp_error *err);

#endif
