/*
 * core/load_detect.c - format names and detection (RP_FORMAT_AUTO).
 *
 * Detection heuristic, first match wins:
 *   1. the file name, with a trailing ".gz" removed:
 *        *.json, *.jsonl -> amazon-json;  *.dat -> movielens-dat;
 *        u.data, *.tsv   -> movielens-tsv   (".csv" decides nothing: three
 *        formats use it);
 *   2. the first non-blank line of the (decompressed) content:
 *        starts with '{'            -> amazon-json
 *        contains "::"              -> movielens-dat
 *        contains a tab             -> movielens-tsv
 *        CSV naming a user, an item and a timestamp column (userId/user_id/
 *        user, movieId/item_id/item, timestamp) -> csv-header
 *        4 CSV fields: the first an ASIN (10 chars of [0-9A-Z]) and the second
 *        a reviewer ID ('A' + 9..20 more of [0-9A-Z]), but not the other way
 *        round as well            -> amazon-csv-item-first
 *        any other 4 CSV fields     -> amazon-csv
 *   3. otherwise RP_ERR_FORMAT naming the file.
 * An explicit format (--format) skips all of this.
 */
#include <stdlib.h>
#include <string.h>

#include "load_impl.h"

static const char *const format_names[] = {"auto",        "amazon-csv",    "amazon-csv-item-first",
                                           "amazon-json", "movielens-tsv", "movielens-dat",
                                           "csv-header"};
#define N_FORMATS (sizeof(format_names) / sizeof(format_names[0]))

rp_status rp_format_from_name(const char *name, rp_format *out, rp_error *err)
{
    for (size_t i = 0; name && i < N_FORMATS; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (rp_format)i;
            return RP_OK;
        }
    }
    rp_error_set(err, NULL, 0, 0,
                 "unknown format \"%.40s\" (known: auto, amazon-csv, amazon-csv-item-first, "
                 "amazon-json, movielens-tsv, movielens-dat, csv-header)",
                 name ? name : "");
    return RP_ERR_FORMAT;
}

const char *rp_format_name(rp_format fmt)
{
    return (unsigned)fmt < N_FORMATS ? format_names[fmt] : "unknown";
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static rp_format by_name(const char *name)
{
    if (!name)
        return RP_FORMAT_AUTO;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strlen(base);
    if (ends_with(base, n, ".gz"))
        n -= 3;
    if (ends_with(base, n, ".json") || ends_with(base, n, ".jsonl"))
        return RP_FORMAT_AMAZON_JSON;
    if (ends_with(base, n, ".dat"))
        return RP_FORMAT_MOVIELENS_DAT;
    if (ends_with(base, n, ".tsv") || (n == 6 && memcmp(base, "u.data", 6) == 0))
        return RP_FORMAT_MOVIELENS_TSV;
    return RP_FORMAT_AUTO;
}

static int upper_alnum(const rpi_field *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (!((f->p[i] >= '0' && f->p[i] <= '9') || (f->p[i] >= 'A' && f->p[i] <= 'Z')))
            return 0;
    return 1;
}

static int looks_asin(const rpi_field *f)
{
    return f->n == 10 && upper_alnum(f);
}

static int looks_reviewer(const rpi_field *f)
{
    return f->n >= 10 && f->n <= 21 && f->p[0] == 'A' && upper_alnum(f);
}

static rp_format by_csv_fields(const rpi_field *f, size_t n)
{
    int user = 0, item = 0, ts = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        int role = rpi_header_role(f[i].p, f[i].n);
        user |= role == RPI_ROLE_USER;
        item |= role == RPI_ROLE_ITEM;
        ts |= role == RPI_ROLE_TS;
    }
    if (user && item && ts)
        return RP_FORMAT_CSV_HEADER;
    if (n != 4)
        return RP_FORMAT_AUTO;
    int item_first = looks_asin(&f[0]) && looks_reviewer(&f[1]);
    int user_first = looks_reviewer(&f[0]) && looks_asin(&f[1]);
    return item_first && !user_first ? RP_FORMAT_AMAZON_CSV_ITEM_FIRST : RP_FORMAT_AMAZON_CSV;
}

static int contains(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (const char *c = memchr(s, needle[0], n); c;
         c = memchr(c + 1, needle[0], (size_t)(s + n - c - 1)))
        if ((size_t)(s + n - c) >= k && memcmp(c, needle, k) == 0)
            return 1;
    return 0;
}

static rp_format by_content(const char *line, size_t len)
{
    if (len > 0 && line[0] == '{')
        return RP_FORMAT_AMAZON_JSON;
    if (contains(line, len, "::"))
        return RP_FORMAT_MOVIELENS_DAT;
    if (memchr(line, '\t', len))
        return RP_FORMAT_MOVIELENS_TSV;
    rpi_field f[64];
    size_t n = 0;
    char *scratch = malloc(len + 1);
    if (!scratch)
        return RP_FORMAT_AUTO;
    rp_format fmt = RP_FORMAT_AUTO;
    if (rpi_csv_split(line, len, f, 64, &n, scratch) == 0)
        fmt = by_csv_fields(f, n < 64 ? n : 64);
    free(scratch);
    return fmt;
}

rp_status rp_format_detect(const char *name, const char *first_line, size_t len, rp_format *out,
                           rp_error *err)
{
    rp_format fmt = by_name(name);
    if (fmt == RP_FORMAT_AUTO && first_line && len > 0)
        fmt = by_content(first_line, len);
    if (fmt == RP_FORMAT_AUTO) {
        rp_error_set(err, name, 0, 0,
                     "cannot detect the input format from the file name or the first line; "
                     "give it explicitly (--format)");
        return RP_ERR_FORMAT;
    }
    *out = fmt;
    return RP_OK;
}
