/*
 * core/load_text.c - the delimited formats: amazon-csv (+ item-first),
 * movielens-tsv, movielens-dat and csv-header; number parsing for all.
 *
 * A line is split in one pass of 8-byte words (split_plain), which also
 * tells whether its bytes are all ASCII (then its IDs skip the UTF-8 check)
 * and whether it holds a '"'; only such a line in a CSV format may take the
 * RFC 4180 path, which unescapes quoted fields into
 * the parser's scratch buffer (so no allocation per row either way). Quoted
 * newlines are not supported: a quote left open at the end of a line is an
 * error, not a silent merge of two rows. TSV and DAT have no quoting (MovieLens
 * never quotes). IDs are kept byte for byte: no trimming, no case folding.
 *
 * Numbers are parsed by hand from slices (strtod needs a NUL and follows the
 * locale): a timestamp is '-'? digits with overflow detection; a rating is a
 * decimal number read to the double Python's float() gives (correctly rounded:
 * an exact integer over an exact power of ten for up to 15 digits, strtod on a
 * bounded NUL-terminated copy for anything with an exponent or more digits),
 * because the az23 recipes print it back as Python does. An empty rating field
 * is a row without a rating (pandas reads it as NaN).
 *
 * Cost: O(line length) per row, one pass (a quoted line: two).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "load_impl.h"

#define SHOW 40 /* bytes of an offending field quoted in a message */

int rpi_parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = n > 0 && s[0] == '-';
    i = (size_t)neg;
    if (i == n)
        return -1;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int range = 0;
    if (n - i <= 18) { /* under 10^18: no overflow to watch for */
        for (; i < n; i++) {
            unsigned d = (unsigned char)s[i] - '0';
            if (d > 9)
                return -1;
            v = v * 10 + d;
        }
    }
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        if (v > (lim - d) / 10)
            range = 1;
        else
            v = v * 10 + d;
    }
    if (range)
        return -2;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static size_t digits(const char *s, size_t n, size_t i)
{
    while (i < n && (unsigned)((unsigned char)s[i] - '0') <= 9)
        i++;
    return i;
}

/* Validate [-+]?(d+(.d*)?|.d+)([eE][-+]?d+)? ; set *simple when it has no
 * exponent and at most 15 significant digits. */
static int number_shape(const char *s, size_t n, int *simple)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    size_t a = digits(s, n, i), b = a, c;
    if (a < n && s[a] == '.')
        b = digits(s, n, a + 1);
    size_t nd = (a - i) + (b > a ? b - a - 1 : 0);
    if (nd == 0)
        return -1;
    *simple = nd <= 15;
    if (b < n && (s[b] == 'e' || s[b] == 'E')) {
        c = b + 1 + (b + 1 < n && (s[b + 1] == '-' || s[b + 1] == '+'));
        size_t e = digits(s, n, c);
        if (e == c)
            return -1;
        *simple = 0;
        b = e;
    }
    return b == n ? 0 : -1;
}

int rpi_parse_rating(const char *s, size_t n, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    int simple;
    if (n == 3 && s[1] == '.' && (unsigned)(s[0] - '0') <= 9 && (unsigned)(s[2] - '0') <= 9) {
        *out = ((s[0] - '0') * 10 + (s[2] - '0')) / 10.0; /* "4.5": most ratings */
        return 0;
    }
    if (number_shape(s, n, &simple) != 0)
        return -1;
    if (!simple) {
        char buf[64];
        if (n >= sizeof(buf))
            return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        *out = strtod(buf, NULL);
        return isfinite(*out) ? 0 : -1;
    }
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    uint64_t m = 0;
    int frac = -1;
    for (; i < n; i++) {
        if (s[i] == '.')
            frac = 0;
        else {
            m = m * 10 + (uint64_t)(s[i] - '0');
            frac += frac >= 0;
        }
    }
    double v = (double)m / pow10[frac > 0 ? frac : 0];
    *out = s[0] == '-' ? -v : v;
    return 0;
}

/* One quoted field starting at line[i] == '"'; writes into *w. Returns the
 * index after the closing quote, or 0 on error (*bad = column). */
static size_t unquote(const char *line, size_t len, size_t i, char **w, size_t *bad)
{
    for (i++; i < len; i++) {
        if (line[i] != '"') {
            *(*w)++ = line[i];
        } else if (i + 1 < len && line[i + 1] == '"') {
            *(*w)++ = '"';
            i++;
        } else {
            if (i + 1 < len && line[i + 1] != ',') {
                *bad = i + 2;
                return 0;
            }
            return i + 1;
        }
    }
    *bad = len + 1;
    return 0;
}

static size_t csv_split_quoted(const char *line, size_t len, rpi_field *f, size_t max,
                               size_t *count, char *scratch)
{
    size_t i = 0, k = 0, bad = 0;
    char *w = scratch;
    for (;;) {
        rpi_field fl = {w, 0, i + 1};
        if (i < len && line[i] == '"') {
            i = unquote(line, len, i, &w, &bad);
            if (!i)
                return bad;
            fl.n = (size_t)(w - fl.p);
        } else {
            const char *c = memchr(line + i, ',', len - i);
            size_t e = c ? (size_t)(c - line) : len;
            fl = (rpi_field){line + i, e - i, i + 1};
            i = e;
        }
        if (k < max)
            f[k] = fl;
        k++;
        if (i >= len)
            break;
        i++; /* the comma */
        if (i == len) {
            if (k < max)
                f[k] = (rpi_field){line + len, 0, len + 1};
            k++;
            break;
        }
    }
    *count = k;
    return 0;
}

/* What a line's scan saw (split_plain). */
enum {
    LINE_ASCII = 1, /* every byte in 0x01..0x7f: its IDs need no UTF-8 check */
    LINE_QUOTE = 2  /* a '"' somewhere */
};

#define LOW7 0x7f7f7f7f7f7f7f7full

/* The zero bytes of x, each as its high bit: exact for every byte (no
 * borrow crosses a byte, unlike (x - RPI_ONES) & ~x), as the separators'
 * positions need. */
static inline uint64_t zero_bytes(uint64_t x)
{
    uint64_t y = (x & LOW7) + LOW7;
    return ~(y | x | LOW7);
}

/* Split on a one-byte separator with one pass of 8-byte words (SWAR): each
 * word's separator bytes as a bit mask, and the bytes that would need the
 * UTF-8 check or mean a quote. Its rows' IDs are 10-14 bytes: four memchr
 * calls a row (one a field), then the ID check, cost twice this loop on the
 * generator's 2M-row log (65 -> 35 ns a line, with the line search). The
 * last word is padded with spaces, which are none of those bytes. Returns
 * LINE_* flags. */
static unsigned split_plain(const char *line, size_t len, char sep, rpi_field *f, size_t max,
                            size_t *count)
{
    const uint64_t seps = RPI_ONES * (unsigned char)sep, quotes = RPI_ONES * (unsigned char)'"';
    uint64_t odd = 0, quote = 0;
    size_t k = 0, start = 0;
    for (size_t i = 0;; i += 8) {
        uint64_t w = RPI_ONES * (unsigned char)' ';
        size_t left = len - i;
        /* 8-byte loads only: a memcpy of a variable size goes through the
         * stack, and the word's reload waits for its stores. The last part
         * word is the line's last 8 bytes shifted down, spaces above. */
        if (left >= 8) {
            w = rpi_le64(line + i);
        } else if (len >= 8) {
            w = rpi_le64(line + len - 8) >> (8 * (8 - left));
            w |= (RPI_ONES * (unsigned char)' ') << (8 * left);
        } else {
            memcpy(&w, line + i, left);
            w = rpi_le64_order(w);
        }
        odd |= rpi_word_odd(w);
        quote |= zero_bytes(w ^ quotes);
        for (uint64_t m = zero_bytes(w ^ seps); m != 0; m &= m - 1) {
            size_t e = i + (size_t)(__builtin_ctzll(m) >> 3);
            if (k < max)
                f[k] = (rpi_field){line + start, e - start, start + 1};
            k++;
            start = e + 1;
        }
        if (left <= 8)
            break;
    }
    if (k < max)
        f[k] = (rpi_field){line + start, len - start, start + 1};
    *count = k + 1;
    return (odd == 0 ? LINE_ASCII : 0) | (quote != 0 ? LINE_QUOTE : 0);
}

/* Split on "::" (movielens-dat), no quoting. */
static void split_dat(const char *line, size_t len, rpi_field *f, size_t max, size_t *count)
{
    size_t i = 0, k = 0;
    for (;;) {
        const char *c = memchr(line + i, ':', len - i);
        while (c && (c + 1 >= line + len || c[1] != ':'))
            c = memchr(c + 1, ':', (size_t)(line + len - c - 1));
        size_t e = c ? (size_t)(c - line) : len;
        if (k < max)
            f[k] = (rpi_field){line + i, e - i, i + 1};
        k++;
        if (!c)
            break;
        i = e + 2;
    }
    *count = k;
}

/* rpi_csv_split, also telling (*ascii) whether the line was all ASCII: the
 * one-pass split, redone with quotes when the line holds a '"'. */
static size_t csv_split(const char *line, size_t len, rpi_field *f, size_t max, size_t *count,
                        char *scratch, int *ascii)
{
    unsigned seen = split_plain(line, len, ',', f, max, count);
    *ascii = (seen & LINE_ASCII) != 0;
    if (!(seen & LINE_QUOTE))
        return 0;
    *ascii = 0;
    return csv_split_quoted(line, len, f, max, count, scratch);
}

size_t rpi_csv_split(const char *line, size_t len, rpi_field *f, size_t max, size_t *count,
                     char *scratch)
{
    int ascii;
    return csv_split(line, len, f, max, count, scratch, &ascii);
}

int rpi_header_role(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int role;
    } names[] = {{"userId", RPI_ROLE_USER},   {"user_id", RPI_ROLE_USER}, {"user", RPI_ROLE_USER},
                 {"movieId", RPI_ROLE_ITEM},  {"item_id", RPI_ROLE_ITEM}, {"item", RPI_ROLE_ITEM},
                 {"rating", RPI_ROLE_RATING}, {"timestamp", RPI_ROLE_TS}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == n && memcmp(names[i].name, s, n) == 0)
            return names[i].role;
    return RPI_ROLE_NONE;
}

/* Add the oldest queued row to the builder. */
static rp_status add_oldest(rpi_parser *p, rp_error *err)
{
    const rpi_pending *q = &p->batch[p->head];
    rp_status st = rpi_builder_add_h(p->b, q->user, q->ulen, q->uhash, q->item, q->ilen, q->ihash,
                                     q->ts, q->rating);
    if (st != RP_OK) {
        rp_error_set(err, p->name, q->lineno, 0, "cannot add row: %s", rp_status_str(st));
        return st;
    }
    p->head = (p->head + 1) % RPI_BATCH;
    p->nbatch--;
    return RP_OK;
}

rp_status rpi_add_row(rpi_parser *p, const rpi_field *user, const rpi_field *item, int ascii,
                      int64_t ts, double rating, size_t lineno, rp_error *err)
{
    const rpi_field *ids[2] = {user, item};
    for (int k = 0; k < 2; k++) {
        const char *what = k ? "item" : "user";
        if (ids[k]->n == 0) {
            rp_error_set(err, p->name, lineno, ids[k]->col, "%s ID is empty", what);
            return RP_ERR_PARSE;
        }
        size_t bad = ascii ? ids[k]->n : rpi_id_bad_byte(ids[k]->p, ids[k]->n);
        if (bad < ids[k]->n) {
            int nul = ids[k]->p[bad] == '\0';
            rp_error_set(err, p->name, lineno, ids[k]->col + bad, "%s in the %s ID",
                         nul ? "NUL byte" : "invalid UTF-8", what);
            return RP_ERR_PARSE;
        }
        if (ids[k]->n > RP_LOAD_MAX_ID) {
            rp_error_set(err, p->name, lineno, ids[k]->col,
                         "%s ID is %zu bytes long, over the limit of %u", what, ids[k]->n,
                         RP_LOAD_MAX_ID);
            return RP_ERR_LIMIT;
        }
    }
    if (rpi_parser_rows(p) >= RP_LOAD_MAX_ROWS) {
        rp_error_set(err, p->name, lineno, 0, "more than %u rows", RP_LOAD_MAX_ROWS);
        return RP_ERR_LIMIT;
    }
    if (p->defer != NULL) { /* copied: no lookups to stage, nothing to flush */
        rp_status st =
            rpi_rowbuf_add(p->defer, user->p, user->n, rp_intern_hash(user->p, user->n), item->p,
                           item->n, rp_intern_hash(item->p, item->n), ts, rating);
        if (st != RP_OK)
            rp_error_set(err, p->name, lineno, 0, "cannot add row: %s", rp_status_str(st));
        return st;
    }
    int in_scratch = (user->p >= p->scratch && user->p <= p->scratch + RP_LOAD_MAX_LINE) ||
                     (item->p >= p->scratch && item->p <= p->scratch + RP_LOAD_MAX_LINE);
    rp_status st = p->nbatch == RPI_BATCH ? add_oldest(p, err) : RP_OK;
    if (st != RP_OK)
        return st;
    rpi_pending *q = &p->batch[(p->head + p->nbatch++) % RPI_BATCH];
    *q = (rpi_pending){user->p,
                       item->p,
                       rp_intern_hash(user->p, user->n),
                       rp_intern_hash(item->p, item->n),
                       (uint32_t)user->n,
                       (uint32_t)item->n,
                       ts,
                       rating,
                       lineno};
    rp_intern_prefetch_h(p->b->users, q->uhash);
    rp_intern_prefetch_h(p->b->items, q->ihash);
    for (size_t stage = 1; stage <= 2; stage++) { /* the rows RPI_STAGE and 2x before */
        if (p->nbatch <= stage * RPI_STAGE)
            break;
        const rpi_pending *o = &p->batch[(p->head + p->nbatch - 1 - stage * RPI_STAGE) % RPI_BATCH];
        rp_intern_prefetch_entry(p->b->users, o->uhash, (int)stage);
        rp_intern_prefetch_entry(p->b->items, o->ihash, (int)stage);
    }
    /* IDs unquoted into scratch live until the next line only */
    return in_scratch ? rpi_flush_rows(p, err) : RP_OK;
}

rp_status rpi_flush_rows(rpi_parser *p, rp_error *err)
{
    while (p->nbatch > 0) {
        rp_status st = add_oldest(p, err);
        if (st != RP_OK) {
            p->nbatch = 0;
            return st;
        }
    }
    p->head = 0;
    return RP_OK;
}

static rp_status row_values(rpi_parser *p, const rpi_field *ts, const rpi_field *rating, int64_t *t,
                            double *r, size_t lineno, rp_error *err)
{
    int e = rpi_parse_int64(ts->p, ts->n, t);
    if (e != 0) {
        rp_error_set(err, p->name, lineno, ts->col, "timestamp \"%.*s\" is %s",
                     (int)(ts->n < SHOW ? ts->n : SHOW), ts->p,
                     e == -2 ? "out of range" : "not an integer");
        return RP_ERR_PARSE;
    }
    *r = NAN; /* an empty rating field is a row without a rating, as in pandas */
    if (rating && rating->n > 0 && rpi_parse_rating(rating->p, rating->n, r) != 0) {
        rp_error_set(err, p->name, lineno, rating->col, "rating \"%.*s\" is not a number",
                     (int)(rating->n < SHOW ? rating->n : SHOW), rating->p);
        return RP_ERR_PARSE;
    }
    return RP_OK;
}

static rp_status read_header(rpi_parser *p, const char *line, size_t len, size_t lineno,
                             rp_error *err);

/* Does a plain split need redoing with quotes? Only if a field starts with
 * '"' (a quote inside an unquoted field is data, as in pandas). */
static int has_quote(const rpi_field *t, size_t n, const char *line, size_t len)
{
    if (n != 4)
        return memchr(line, '"', len) != NULL;
    for (size_t k = 0; k < 4; k++)
        if (t[k].n > 0 && t[k].p[0] == '"')
            return 1;
    return 0;
}

/* Split a row of the format into f[0..4) = user, item, rating, timestamp;
 * *ascii: its IDs hold bytes 0x01..0x7f only (known from the scan). */
static rp_status split_row(rpi_parser *p, const char *line, size_t len, rpi_field *f, int *ascii,
                           size_t lineno, rp_error *err)
{
    /* split into f in place: copying fields just stored would wait on the
       stores (16-byte loads over 8-byte stores do not forward) */
    size_t n = 0, bad = 0;
    unsigned seen = 0;
    if (p->fmt == RP_FORMAT_MOVIELENS_TSV)
        seen = split_plain(line, len, '\t', f, 4, &n);
    else if (p->fmt == RP_FORMAT_MOVIELENS_DAT)
        split_dat(line, len, f, 4, &n);
    else {
        seen = split_plain(line, len, ',', f, 4, &n);
        if ((seen & LINE_QUOTE) && has_quote(f, n, line, len)) {
            seen = 0;
            bad = csv_split_quoted(line, len, f, 4, &n, p->scratch);
        }
    }
    if (bad) {
        rp_error_set(err, p->name, lineno, bad, "malformed quoted field");
        return RP_ERR_PARSE;
    }
    if (n != 4) {
        rp_error_set(err, p->name, lineno, 0, "expected 4 fields, found %zu", n);
        return RP_ERR_PARSE;
    }
    if (p->fmt == RP_FORMAT_AMAZON_CSV_ITEM_FIRST) {
        rpi_field item = f[0];
        f[0] = f[1];
        f[1] = item;
    }
    *ascii = (seen & LINE_ASCII) != 0;
    return RP_OK;
}

/* A csv-header row; *ascii as csv_split's. */
static rp_status header_row(rpi_parser *p, const char *line, size_t len, rpi_field *f, int *ascii,
                            size_t lineno, rp_error *err)
{
    size_t n = 0, bad = csv_split(line, len, p->cols, p->ncols, &n, p->scratch, ascii);
    if (bad) {
        rp_error_set(err, p->name, lineno, bad, "malformed quoted field");
        return RP_ERR_PARSE;
    }
    if (n != p->ncols) {
        rp_error_set(err, p->name, lineno, 0, "expected %zu fields, found %zu", p->ncols, n);
        return RP_ERR_PARSE;
    }
    f[0] = p->cols[p->col_user];
    f[1] = p->cols[p->col_item];
    f[3] = p->cols[p->col_ts];
    if (p->col_rating != SIZE_MAX)
        f[2] = p->cols[p->col_rating];
    return RP_OK;
}

rp_status rpi_text_line(rpi_parser *p, const char *line, size_t len, size_t lineno, rp_error *err)
{
    rpi_field f[4];
    rp_status st;
    int has_rating = 1, ascii = 0;
    if (p->fmt == RP_FORMAT_CSV_HEADER) {
        if (!p->have_header)
            return read_header(p, line, len, lineno, err);
        st = header_row(p, line, len, f, &ascii, lineno, err);
        has_rating = p->col_rating != SIZE_MAX;
    } else {
        st = split_row(p, line, len, f, &ascii, lineno, err);
    }
    int64_t ts;
    double rating;
    if (st == RP_OK)
        st = row_values(p, &f[3], has_rating ? &f[2] : NULL, &ts, &rating, lineno, err);
    if (st == RP_OK)
        st = rpi_add_row(p, &f[0], &f[1], ascii, ts, rating, lineno, err);
    return st;
}

static rp_status header_column(rpi_parser *p, size_t i, const rpi_field *h, size_t lineno,
                               rp_error *err)
{
    size_t *slot[] = {NULL, &p->col_user, &p->col_item, &p->col_rating, &p->col_ts};
    int role = rpi_header_role(h->p, h->n);
    if (role == RPI_ROLE_NONE)
        return RP_OK;
    if (*slot[role] != SIZE_MAX) {
        rp_error_set(err, p->name, lineno, h->col, "header names column \"%.*s\" twice",
                     (int)(h->n < SHOW ? h->n : SHOW), h->p);
        return RP_ERR_PARSE;
    }
    *slot[role] = i;
    return RP_OK;
}

static rp_status read_header(rpi_parser *p, const char *line, size_t len, size_t lineno,
                             rp_error *err)
{
    size_t n = 0, bad = rpi_csv_split(line, len, NULL, 0, &n, p->scratch);
    p->cols = bad ? NULL : calloc(n, sizeof(*p->cols));
    if (!bad && !p->cols) {
        rp_error_set(err, p->name, lineno, 0, "out of memory for the header");
        return RP_ERR_NOMEM;
    }
    if (!bad)
        bad = rpi_csv_split(line, len, p->cols, n, &n, p->scratch);
    if (bad) {
        rp_error_set(err, p->name, lineno, bad, "malformed quoted field in the header");
        return RP_ERR_PARSE;
    }
    p->ncols = n;
    p->col_user = p->col_item = p->col_rating = p->col_ts = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        rp_status st = header_column(p, i, &p->cols[i], lineno, err);
        if (st != RP_OK)
            return st;
    }
    if (p->col_user == SIZE_MAX || p->col_item == SIZE_MAX || p->col_ts == SIZE_MAX) {
        rp_error_set(err, p->name, lineno, 0,
                     "header must name a user (userId, user_id, user), an item (movieId, "
                     "item_id, item) and a timestamp column");
        return RP_ERR_PARSE;
    }
    p->have_header = 1;
    return RP_OK;
}
