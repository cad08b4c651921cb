/*
 * core/load_json.c - a dedicated scanner for Amazon review JSON lines.
 *
 * Each line must be one JSON object. The scanner walks it once, validating the
 * full JSON grammar (strings with escapes, numbers, literals, nested objects
 * and arrays up to MAX_DEPTH) but materialising nothing except the few keys
 * it needs, recorded as slices of the line:
 *   2014/2018: reviewerID, asin, unixReviewTime (seconds), overall (optional);
 *   2023:      user_id, parent_asin (else asin), timestamp (milliseconds,
 *              kept in milliseconds: the dataset's unit), rating (optional).
 * A line with reviewerID is read the first way, else one with user_id the
 * second way. Key order is free; a repeated key keeps its last value (as
 * Python's json does). Only extracted IDs that contain escapes are decoded
 * (\uXXXX and surrogate pairs to UTF-8), into the parser's scratch buffer.
 *
 * Rejected: jansson per line (json_loadb, then json_object_get). It builds a
 * tree with a malloc per value, including every review text that we then
 * throw away. Measured on 2,023,070 Amazon-2014-style lines (635 MB): jansson
 * takes 11.8 s (5.9 us a line) just to parse and pick the three keys; this
 * scanner loads the same file, interning and indexes included, in ~1.2 s.
 * Strings are skipped 8 bytes at a time (SWAR) since review texts dominate.
 * jansson stays our library for writing JSON.
 *
 * Cost: O(line length), no allocation.
 */
#include <math.h>
#include <string.h>

#include "load_impl.h"

#define MAX_DEPTH 64

typedef struct jcur {
    const char *s;
    size_t n, i;
    const rpi_parser *p;
    size_t lineno;
    rp_error *err;
} jcur;

enum { J_NONE, J_STRING, J_NUMBER, J_NULL, J_OTHER };

typedef struct jval {
    int type;
    int esc;      /* string holds escapes */
    size_t start; /* of the value (for strings: after the quote) */
    size_t n;     /* raw length (strings: without quotes) */
} jval;

enum { K_REVIEWER, K_ASIN, K_UNIXTIME, K_OVERALL, K_USER_ID, K_PARENT, K_TS, K_RATING, K_N };
static const char *const key_names[K_N] = {"reviewerID", "asin",        "unixReviewTime", "overall",
                                           "user_id",    "parent_asin", "timestamp",      "rating"};

static rp_status fail(jcur *c, const char *what)
{
    rp_error_set(c->err, c->p->name, c->lineno, c->i + 1, "invalid JSON: %s", what);
    return RP_ERR_PARSE;
}

static void ws(jcur *c)
{
    while (c->i < c->n &&
           (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\r' || c->s[c->i] == '\n'))
        c->i++;
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned ch = (unsigned char)s[k], d;
        if (ch - '0' < 10)
            d = ch - '0';
        else if ((ch | 0x20) - 'a' < 6)
            d = (ch | 0x20) - 'a' + 10;
        else
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

/* Skip plain string bytes 8 at a time (SWAR): stop at the word holding a '"',
 * a '\\' or a control character. Review texts make this the scanner's hot loop. */
static size_t skip_plain(const char *s, size_t i, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, q, b;
        memcpy(&w, s + i, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        if ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high)
            break;
    }
    return i;
}

/* Scan a string at c->i == '"'; on success c->i is past the closing quote. */
static rp_status scan_string(jcur *c, jval *v)
{
    v->type = J_STRING;
    v->esc = 0;
    v->start = ++c->i;
    while (c->i < c->n) {
        c->i = skip_plain(c->s, c->i, c->n);
        if (c->i >= c->n)
            break;
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"') {
            v->n = c->i++ - v->start;
            return RP_OK;
        }
        if (ch < 0x20)
            return fail(c, "control character in a string");
        if (ch == '\\') {
            unsigned u;
            v->esc = 1;
            if (++c->i >= c->n)
                break;
            ch = (unsigned char)c->s[c->i];
            if (ch == 'u' && (c->i + 4 >= c->n || hex4(c->s + c->i + 1, &u) != 0))
                return fail(c, "bad \\u escape");
            if (ch == 'u')
                c->i += 4;
            else if (ch == 0 || !strchr("\"\\/bfnrt", ch))
                return fail(c, "bad escape in a string");
        }
        c->i++;
    }
    return fail(c, "unterminated string");
}

/* `"key" :` with the white space around the colon; leaves c at the value. */
static rp_status scan_key(jcur *c, jval *key)
{
    if (c->i >= c->n || c->s[c->i] != '"')
        return fail(c, "expected a key");
    rp_status st = scan_string(c, key);
    if (st != RP_OK)
        return st;
    ws(c);
    if (c->i >= c->n || c->s[c->i] != ':')
        return fail(c, "expected ':'");
    c->i++;
    ws(c);
    return RP_OK;
}

static size_t json_digits(jcur *c)
{
    size_t k = c->i;
    while (c->i < c->n && (unsigned)((unsigned char)c->s[c->i] - '0') <= 9)
        c->i++;
    return c->i - k;
}

/* -?(0|[1-9]d*)(.d+)?([eE][-+]?d+)? ; *integer says it had neither . nor e. */
static rp_status scan_number(jcur *c, jval *v, int *integer)
{
    v->type = J_NUMBER;
    v->start = c->i;
    *integer = 1;
    if (c->s[c->i] == '-')
        c->i++;
    size_t first = c->i, nd = json_digits(c);
    if (nd == 0 || (nd > 1 && c->s[first] == '0'))
        return fail(c, "bad number");
    if (c->i < c->n && c->s[c->i] == '.') {
        c->i++;
        *integer = 0;
        if (json_digits(c) == 0)
            return fail(c, "bad number");
    }
    if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
        c->i++;
        *integer = 0;
        if (c->i < c->n && (c->s[c->i] == '-' || c->s[c->i] == '+'))
            c->i++;
        if (json_digits(c) == 0)
            return fail(c, "bad number");
    }
    v->n = c->i - v->start;
    return RP_OK;
}

static rp_status scan_value(jcur *c, jval *v, int depth);

/* Object or array at c->i; the contents are validated and dropped. */
static rp_status skip_container(jcur *c, int depth)
{
    char close = c->s[c->i] == '{' ? '}' : ']';
    jval v;
    if (depth >= MAX_DEPTH)
        return fail(c, "nesting too deep");
    c->i++;
    ws(c);
    if (c->i < c->n && c->s[c->i] == close) {
        c->i++;
        return RP_OK;
    }
    for (;;) {
        rp_status st;
        if (close == '}') {
            if ((st = scan_key(c, &v)) != RP_OK)
                return st;
        }
        if ((st = scan_value(c, &v, depth + 1)) != RP_OK)
            return st;
        ws(c);
        if (c->i < c->n && c->s[c->i] == close) {
            c->i++;
            return RP_OK;
        }
        if (c->i >= c->n || c->s[c->i] != ',')
            return fail(c, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        c->i++;
        ws(c);
    }
}

static rp_status scan_literal(jcur *c, jval *v, const char *lit, int type)
{
    size_t k = strlen(lit);
    if (c->n - c->i < k || memcmp(c->s + c->i, lit, k) != 0)
        return fail(c, "unexpected character");
    v->type = type;
    v->start = c->i;
    v->n = k;
    c->i += k;
    return RP_OK;
}

static rp_status scan_value(jcur *c, jval *v, int depth)
{
    int integer;
    if (c->i >= c->n)
        return fail(c, "unexpected end of line");
    switch (c->s[c->i]) {
    case '"':
        return scan_string(c, v);
    case '{':
    case '[':
        v->type = J_OTHER;
        v->start = c->i;
        return skip_container(c, depth);
    case 't':
        return scan_literal(c, v, "true", J_OTHER);
    case 'f':
        return scan_literal(c, v, "false", J_OTHER);
    case 'n':
        return scan_literal(c, v, "null", J_NULL);
    default:
        if (c->s[c->i] == '-' || (unsigned)((unsigned char)c->s[c->i] - '0') <= 9)
            return scan_number(c, v, &integer);
        return fail(c, "unexpected character");
    }
}

static int key_index(const char *s, size_t n)
{
    static const unsigned char key_len[K_N] = {10, 4, 14, 7, 7, 11, 9, 6};
    for (int k = 0; k < K_N; k++)
        if (key_len[k] == n && s[0] == key_names[k][0] && memcmp(key_names[k], s, n) == 0)
            return k;
    return -1;
}

static size_t decode(const char *s, const jval *v, char *out, size_t cap);

/* Which known key is this? A key spelled with escapes (a \\uXXXX) is
 * decoded first, as Python's json would. -1 for the keys we skip. */
static int key_of(const jcur *c, const jval *key)
{
    if (!key->esc)
        return key_index(c->s + key->start, key->n);
    char buf[32];
    size_t n = key->n < 64 ? decode(c->s, key, buf, sizeof buf) : SIZE_MAX;
    return n < sizeof buf ? key_index(buf, n) : -1;
}

/* The top-level object: record the values of the keys we know in kv[]. */
static rp_status scan_object(jcur *c, jval *kv)
{
    ws(c);
    if (c->i >= c->n || c->s[c->i] != '{')
        return fail(c, "a line must be one JSON object");
    c->i++;
    ws(c);
    if (c->i < c->n && c->s[c->i] == '}') {
        c->i++;
        return RP_OK;
    }
    for (;;) {
        jval key, v;
        rp_status st;
        if ((st = scan_key(c, &key)) != RP_OK)
            return st;
        if ((st = scan_value(c, &v, 1)) != RP_OK)
            return st;
        int k = key_of(c, &key);
        if (k >= 0)
            kv[k] = v;
        ws(c);
        if (c->i < c->n && c->s[c->i] == '}') {
            c->i++;
            return RP_OK;
        }
        if (c->i >= c->n || c->s[c->i] != ',')
            return fail(c, "expected ',' or '}'");
        c->i++;
        ws(c);
    }
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One \uXXXX (or a surrogate pair) at s[*i] == 'u'; the code point or -1. */
static long unicode_escape(const char *s, size_t n, size_t *i)
{
    unsigned hi, lo;
    hex4(s + *i + 1, &hi); /* validated by scan_string */
    *i += 5;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return -1;
    if (hi < 0xD800 || hi > 0xDBFF)
        return hi;
    if (*i + 6 > n || s[*i] != '\\' || s[*i + 1] != 'u' || hex4(s + *i + 2, &lo) != 0 ||
        lo < 0xDC00 || lo > 0xDFFF)
        return -1;
    *i += 6;
    return 0x10000 + ((long)(hi - 0xD800) << 10) + (lo - 0xDC00);
}

/* Decode the escapes of string value v into out (cap bytes). Returns the
 * length, or SIZE_MAX on a lone surrogate / \u0000, SIZE_MAX - 1 past cap. */
static size_t decode(const char *s, const jval *v, char *out, size_t cap)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *r = s + v->start;
    size_t w = 0;
    for (size_t i = 0; i < v->n;) {
        if (w + 4 > cap)
            return SIZE_MAX - 1;
        if (r[i] != '\\') {
            out[w++] = r[i++];
            continue;
        }
        i++;
        if (r[i] != 'u') {
            out[w++] = to[strchr(from, r[i]) - from];
            i++;
            continue;
        }
        long cp = unicode_escape(r, v->n, &i);
        if (cp <= 0)
            return SIZE_MAX;
        w += put_utf8(out + w, (unsigned)cp);
    }
    return w;
}

static const char *type_name(int type)
{
    return type == J_STRING   ? "a string"
           : type == J_NUMBER ? "a number"
           : type == J_NULL   ? "null"
                              : "an object, array or boolean";
}

static rp_status wrong(jcur *c, int k, const jval *v, const char *want)
{
    if (v->type == J_NONE)
        rp_error_set(c->err, c->p->name, c->lineno, 0, "missing key \"%s\"", key_names[k]);
    else
        rp_error_set(c->err, c->p->name, c->lineno, v->start + 1, "\"%s\" must be %s, found %s",
                     key_names[k], want, type_name(v->type));
    return RP_ERR_PARSE;
}

/* An ID: string value of key k, decoded into buf when it has escapes. */
static rp_status get_id(jcur *c, int k, const jval *v, char *buf, rpi_field *f)
{
    if (v->type != J_STRING)
        return wrong(c, k, v, "a string");
    *f = (rpi_field){c->s + v->start, v->n, v->start + 1};
    if (!v->esc)
        return RP_OK;
    size_t n = decode(c->s, v, buf, RP_LOAD_MAX_ID + 4);
    if (n == SIZE_MAX - 1) {
        rp_error_set(c->err, c->p->name, c->lineno, v->start,
                     "\"%s\" is over the limit of %u bytes", key_names[k], RP_LOAD_MAX_ID);
        return RP_ERR_LIMIT;
    }
    if (n == SIZE_MAX) {
        rp_error_set(c->err, c->p->name, c->lineno, v->start,
                     "\"%s\" holds \\u0000 or a lone surrogate", key_names[k]);
        return RP_ERR_PARSE;
    }
    f->p = buf;
    f->n = n;
    return RP_OK;
}

static rp_status get_ts(jcur *c, int k, const jval *v, int64_t *ts)
{
    if (v->type != J_NUMBER)
        return wrong(c, k, v, "an integer");
    const char *s = c->s + v->start;
    int e = rpi_parse_int64(s, v->n, ts);
    if (e != 0) {
        rp_error_set(c->err, c->p->name, c->lineno, v->start + 1, "\"%s\" %.*s is %s", key_names[k],
                     (int)(v->n < 40 ? v->n : 40), s, e == -2 ? "out of range" : "not an integer");
        return RP_ERR_PARSE;
    }
    return RP_OK;
}

static rp_status get_rating(jcur *c, int k, const jval *v, double *r)
{
    *r = NAN;
    if (v->type == J_NONE || v->type == J_NULL)
        return RP_OK;
    if (v->type != J_NUMBER)
        return wrong(c, k, v, "a number");
    if (rpi_parse_rating(c->s + v->start, v->n, r) != 0) {
        rp_error_set(c->err, c->p->name, c->lineno, v->start + 1, "\"%s\" is out of range",
                     key_names[k]);
        return RP_ERR_PARSE;
    }
    return RP_OK;
}

/* The first row decides the dataset's time unit: seconds for the 2014/2018
 * layout, milliseconds for 2023. A file mixing both would compare seconds
 * with milliseconds, so it is refused at the first line that differs. */
static rp_status set_unit(rpi_parser *p, const jcur *c, int old)
{
    rp_ts_unit unit = old ? RP_TS_SECONDS : RP_TS_MILLIS;
    if (!p->unit_known) {
        p->unit_known = 1;
        p->b->ts_unit = unit;
        return RP_OK;
    }
    if (p->b->ts_unit == unit)
        return RP_OK;
    rp_error_set(c->err, p->name, c->lineno, 1,
                 "mixes the 2014/2018 layout (\"unixReviewTime\", seconds) with the 2023 layout "
                 "(\"timestamp\", milliseconds)");
    return RP_ERR_PARSE;
}

rp_status rpi_json_line(rpi_parser *p, const char *line, size_t len, size_t lineno, rp_error *err)
{
    jcur c = {line, len, 0, p, lineno, err};
    jval kv[K_N] = {{0}};
    rp_status st = scan_object(&c, kv);
    ws(&c);
    if (st == RP_OK && c.i < c.n)
        st = fail(&c, "text after the object");
    if (st != RP_OK)
        return st;
    int old = kv[K_REVIEWER].type != J_NONE;
    if (!old && kv[K_USER_ID].type == J_NONE) {
        rp_error_set(err, p->name, lineno, 0, "missing key \"reviewerID\" (or \"user_id\")");
        return RP_ERR_PARSE;
    }
    int ku = old ? K_REVIEWER : K_USER_ID, kt = old ? K_UNIXTIME : K_TS;
    int ki =
        (old || kv[K_PARENT].type == J_NONE || kv[K_PARENT].type == J_NULL) ? K_ASIN : K_PARENT;
    rpi_field user, item;
    int64_t ts;
    double rating;
    if ((st = get_id(&c, ku, &kv[ku], p->scratch, &user)) != RP_OK ||
        (st = get_id(&c, ki, &kv[ki], p->scratch + RP_LOAD_MAX_ID + 4, &item)) != RP_OK ||
        (st = get_ts(&c, kt, &kv[kt], &ts)) != RP_OK ||
        (st = get_rating(&c, old ? K_OVERALL : K_RATING, &kv[old ? K_OVERALL : K_RATING],
                         &rating)) != RP_OK)
        return st;
    if ((st = set_unit(p, &c, old)) != RP_OK)
        return st;
    return rpi_add_row(p, &user, &item, 0, ts, rating, lineno, err);
}
