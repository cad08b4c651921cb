/* Check suite for core/load*.c: the six formats, gzip, detection, and for
 * every kind of bad input the exact status, line and file of the error. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset_impl.h"
#include "recprep/load.h"
#include "check_run.h"
#include "temp_file.h"

/* ---- helpers ------------------------------------------------------------ */

static rp_dataset *load_ok(const char *name, const char *text, size_t len, rp_format fmt)
{
    rp_dataset *ds = NULL;
    rp_error err = {0};
    rp_status st = rp_load_buffer(name, text, len, fmt, &ds, &err);
    ck_assert_msg(st == RP_OK, "%s: %s (line %zu)", name, err.message, err.line);
    ck_assert_ptr_nonnull(ds);
    return ds;
}

static rp_dataset *load_str(const char *name, const char *text, rp_format fmt)
{
    return load_ok(name, text, strlen(text), fmt);
}

static void expect_row(const rp_dataset *ds, uint32_t r, const char *user, const char *item,
                       int64_t ts, double rating)
{
    size_t n;
    const char *u = rp_dataset_user_raw(ds, ds->user[r], &n);
    ck_assert_msg(n == strlen(user) && memcmp(u, user, n) == 0, "row %u user %.*s != %s", r, (int)n,
                  u, user);
    const char *i = rp_dataset_item_raw(ds, ds->item[r], &n);
    ck_assert_msg(n == strlen(item) && memcmp(i, item, n) == 0, "row %u item %.*s != %s", r, (int)n,
                  i, item);
    ck_assert_int_eq(rpi_ts(ds, r), ts);
    if (isnan(rating))
        ck_assert(isnan(rpi_rating(ds, r)));
    else
        ck_assert_float_eq_tol(rpi_rating(ds, r), rating, 1e-6);
}

/* The columns are reserved from a row hint made of the input's size and its
 * first line's length; a long first line makes the hint far too small, and
 * the columns grow (copied to bigger blocks) several times while loading.
 * Every row must survive the copies. */
START_TEST(columns_outgrow_the_hint)
{
    enum { ROWS = 12000, LONG_ID = 1000 };
    char *t = malloc(LONG_ID + 64 + (size_t)ROWS * 48), *w = t;
    memset(w, 'L', LONG_ID);
    w += LONG_ID;
    w += sprintf(w, ",I0,1,100\n");
    for (int r = 1; r < ROWS; r++)
        w += sprintf(w, "u%d,i%d,%d.5,%d\n", r % 977, r % 131, r % 5, 1000 + r * 7);
    rp_dataset *ds = load_ok("hint.csv", t, (size_t)(w - t), RP_FORMAT_AMAZON_CSV);
    ck_assert_uint_eq(rp_dataset_rows(ds), ROWS);
    char user[16], item[16];
    for (int r = 1; r < ROWS; r++) {
        snprintf(user, sizeof user, "u%d", r % 977);
        snprintf(item, sizeof item, "i%d", r % 131);
        expect_row(ds, (uint32_t)r, user, item, 1000 + r * 7, r % 5 + 0.5);
    }
    size_t n;
    ck_assert_ptr_nonnull(rp_dataset_user_raw(ds, ds->user[0], &n));
    ck_assert_uint_eq(n, LONG_ID);
    rp_dataset_unref(ds);
    free(t);
}
END_TEST

/* gzip-compress len bytes (windowBits 31 makes a gzip member). */
static unsigned char *gzip(const void *data, size_t len, size_t *out_len)
{
    z_stream zs = {0};
    ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    unsigned char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

/* ---- good input --------------------------------------------------------- */

START_TEST(amazon_csv)
{
    rp_dataset *ds =
        load_str("r.csv", "A1,B1,5.0,100\nA2,B1,4,200\nA1,B2,3.5,-300\n", RP_FORMAT_AMAZON_CSV);
    ck_assert_uint_eq(rp_dataset_rows(ds), 3);
    ck_assert_uint_eq(rp_dataset_users(ds), 2);
    ck_assert_uint_eq(rp_dataset_items(ds), 2);
    ck_assert_int_eq(rp_dataset_format(ds), RP_FORMAT_AMAZON_CSV);
    ck_assert_str_eq(rp_dataset_source(ds), "r.csv");
    expect_row(ds, 0, "A1", "B1", 100, 5.0);
    expect_row(ds, 1, "A2", "B1", 200, 4.0);
    expect_row(ds, 2, "A1", "B2", -300, 3.5);
    ck_assert_uint_eq(ds->user[2], 0);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(amazon_csv_item_first)
{
    rp_dataset *ds =
        load_str("r.csv", "B1,A1,5.0,100\nB2,A1,1,7\n", RP_FORMAT_AMAZON_CSV_ITEM_FIRST);
    expect_row(ds, 0, "A1", "B1", 100, 5.0);
    expect_row(ds, 1, "A1", "B2", 7, 1.0);
    ck_assert_uint_eq(rp_dataset_users(ds), 1);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(ids_are_opaque)
{
    rp_dataset *ds =
        load_str("r.csv", "u,0205616461,5,1\nu,205616461,5,2\n u ,b ,5,3\n", RP_FORMAT_AMAZON_CSV);
    ck_assert_uint_eq(rp_dataset_items(ds), 3);
    expect_row(ds, 0, "u", "0205616461", 1, 5);
    expect_row(ds, 1, "u", "205616461", 2, 5);
    expect_row(ds, 2, " u ", "b ", 3, 5);
    rp_dataset_unref(ds);
}
END_TEST

/* IDs must be UTF-8: valid multi-byte IDs load byte for byte, anything else
 * stops the load at the offending byte's line and column. */
START_TEST(ids_must_be_utf8)
{
    rp_dataset *ds = load_str("u.csv",
                              "Z\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                              ",B1,5,1\n",
                              RP_FORMAT_AMAZON_CSV);
    expect_row(ds, 0, "Z\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "B1", 1, 5);
    rp_dataset_unref(ds);
    static const struct {
        const char *text;
        size_t line, column;
    } bad[] = {
        {"A\xff"
         "1,B1,5,100\n",
         1, 2}, /* the reproducer */
        {"A1,B1,5,1\nA2,Bxxxxxxxxxx\x80"
         ",5,1\n",
         2, 15}, /* lone continuation, after a word */
        {"A\xc0\xaf"
         ",B,5,1\n",
         1, 2}, /* overlong '/' */
        {"A\xed\xa0\x80"
         ",B,5,1\n",
         1, 2}, /* UTF-16 surrogate */
        {"A\xf4\x90\x80\x80"
         ",B,5,1\n",
         1, 2}, /* past U+10FFFF */
        {"A,B\xe2\x82"
         ",5,1\n",
         1, 4}, /* truncated sequence */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rp_error err = {0};
        ds = NULL;
        ck_assert_int_eq(rp_load_buffer("u.csv", bad[i].text, strlen(bad[i].text),
                                        RP_FORMAT_AMAZON_CSV, &ds, &err),
                         RP_ERR_PARSE);
        ck_assert_ptr_null(ds);
        ck_assert_msg(err.line == bad[i].line && err.column == bad[i].column,
                      "case %zu: %zu:%zu, want %zu:%zu", i, err.line, err.column, bad[i].line,
                      bad[i].column);
        ck_assert_ptr_nonnull(strstr(err.message, "invalid UTF-8"));
    }
}
END_TEST

/* The one-pass split (load_text.c's split_plain, 8 bytes a step): IDs of
 * every length from 1 to 19 bytes put the separators at every place of a
 * word and of the padded last one, in each one-byte-separator format
 * (items and half the times start with '-', the byte after ',' that a
 * borrowing zero-byte test would also flag); a
 * byte the ID check rejects, at every place of an ID of every such length,
 * is still found at its column - an invalid byte (the line is not all
 * ASCII) and a NUL (the word test's other half). */
START_TEST(split_every_width)
{
    static const struct {
        rp_format fmt;
        const char *name, *head;
        char sep;
    } fm[] = {{RP_FORMAT_AMAZON_CSV, "w.csv", "", ','},
              {RP_FORMAT_MOVIELENS_TSV, "w.tsv", "", '\t'},
              {RP_FORMAT_CSV_HEADER, "h.csv", "user,item,rating,timestamp\n", ','}};
    static const char letters[] = "abcdefghijklmnopqrs";
    enum { W = 19 };
    static char text[W * W * 64];
    char user[W + 1], item[W + 1];
    for (size_t f = 0; f < sizeof fm / sizeof fm[0]; f++) {
        size_t len = (size_t)snprintf(text, sizeof text, "%s", fm[f].head);
        for (int ul = 1; ul <= W; ul++)
            for (int il = 1; il <= W; il++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%.*s%c%.*s%c%d%c%d\n", ul,
                                        letters, fm[f].sep, il, "-876543210987654321", fm[f].sep,
                                        (ul + il) % 5 + 1, fm[f].sep,
                                        (il % 2 ? -1 : 1) * (ul * 100 + il));
        rp_dataset *ds = load_ok(fm[f].name, text, len, fm[f].fmt);
        ck_assert_uint_eq(rp_dataset_rows(ds), W * W);
        for (int ul = 1; ul <= W; ul++)
            for (int il = 1; il <= W; il++) {
                snprintf(user, sizeof user, "%.*s", ul, letters);
                snprintf(item, sizeof item, "%.*s", il, "-876543210987654321");
                expect_row(ds, (uint32_t)((ul - 1) * W + il - 1), user, item,
                           (il % 2 ? -1 : 1) * (ul * 100 + il), (ul + il) % 5 + 1);
            }
        rp_dataset_unref(ds);
    }
    for (int side = 0; side < 2; side++)
        for (int bad = 0; bad < 2; bad++)
            for (int idlen = 1; idlen <= W; idlen++)
                for (int at = 0; at < idlen; at++) {
                    char id[W + 1];
                    memset(id, 'x', (size_t)idlen);
                    id[at] = bad ? '\0' : (char)0xff;
                    size_t len = (size_t)snprintf(text, sizeof text, "A,B,5,1\n");
                    memcpy(text + len, side ? "U," : "", side ? 2 : 0);
                    len += side ? 2 : 0;
                    memcpy(text + len, id, (size_t)idlen);
                    len += (size_t)idlen;
                    len += (size_t)snprintf(text + len, sizeof text - len, "%s,5,2\n",
                                            side ? "" : ",I");
                    rp_dataset *ds = NULL;
                    rp_error err = {0};
                    ck_assert_int_eq(
                        rp_load_buffer("b.csv", text, len, RP_FORMAT_AMAZON_CSV, &ds, &err),
                        RP_ERR_PARSE);
                    ck_assert_ptr_null(ds);
                    size_t column = (size_t)(side ? 3 : 1) + (size_t)at;
                    ck_assert_msg(err.line == 2 && err.column == column &&
                                      strstr(err.message, bad ? "NUL byte" : "invalid UTF-8"),
                                  "side %d bad %d len %d at %d: %zu:%zu %s", side, bad, idlen, at,
                                  err.line, err.column, err.message);
                }
}
END_TEST

START_TEST(csv_quoted_fields)
{
    const char *text = "\"A,1\",\"B\"\"2\",5,1\n\"\"\"q\",\"x\",\"4.5\",\"2\"\n";
    rp_dataset *ds = load_str("q.csv", text, RP_FORMAT_AMAZON_CSV);
    expect_row(ds, 0, "A,1", "B\"2", 1, 5);
    expect_row(ds, 1, "\"q", "x", 2, 4.5);
    rp_dataset_unref(ds);
    /* a quote inside an unquoted field is data, as in pandas */
    ds = load_str("q.csv", "A\"1,B\",3.7,1\n", RP_FORMAT_AMAZON_CSV);
    expect_row(ds, 0, "A\"1", "B\"", 1, 3.7);
    ck_assert(rpi_rating(ds, 0) == 3.7);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(line_conventions)
{
    /* BOM, CRLF, blank lines (also CRLF-blank), no final newline */
    const char *text = "\xEF\xBB\xBF"
                       "A1,B1,5,1\r\n\r\n\nA2,B2,4,2\r\nA3,B3,3,3";
    rp_dataset *ds = load_str("c.csv", text, RP_FORMAT_AMAZON_CSV);
    ck_assert_uint_eq(rp_dataset_rows(ds), 3);
    expect_row(ds, 0, "A1", "B1", 1, 5);
    expect_row(ds, 2, "A3", "B3", 3, 3);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(movielens_tsv_dat)
{
    rp_dataset *ds = load_str("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
                              RP_FORMAT_MOVIELENS_TSV);
    expect_row(ds, 1, "186", "302", 891717742, 3);
    rp_dataset_unref(ds);
    ds = load_str("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n",
                  RP_FORMAT_MOVIELENS_DAT);
    expect_row(ds, 0, "1", "1193", 978300760, 5);
    expect_row(ds, 1, "1", "661", 978302109, 3);
    rp_dataset_unref(ds);
    ds = load_str("a.dat", "a:b::c::1::2\n", RP_FORMAT_MOVIELENS_DAT);
    expect_row(ds, 0, "a:b", "c", 2, 1);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(csv_header_any_order)
{
    rp_dataset *ds = load_str("ratings.csv",
                              "rating,timestamp,extra,movieId,userId\n4.5,100,x,m1,u1\n"
                              "1,50,\"y,z\",m2,u2\n",
                              RP_FORMAT_CSV_HEADER);
    ck_assert_uint_eq(rp_dataset_rows(ds), 2);
    expect_row(ds, 0, "u1", "m1", 100, 4.5);
    expect_row(ds, 1, "u2", "m2", 50, 1);
    rp_dataset_unref(ds);
    ds = load_str("x.csv", "\n\"item_id\",user,timestamp\ni,u,7\n", RP_FORMAT_CSV_HEADER);
    expect_row(ds, 0, "u", "i", 7, NAN);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(json_2014)
{
    const char *text =
        "{\"reviewerID\": \"A2SUAM1J3GNN3B\", \"asin\": \"0000013714\", \"helpful\": [2, 3], "
        "\"reviewText\": \"a \\\"quoted\\\" {text} \\\\ \\u00e9\", \"overall\": 5.0, "
        "\"unixReviewTime\": 1369699200, \"style\": {\"a\": [1, {\"b\": null}], \"c\": true}}\n"
        "{\"unixReviewTime\":1355616000,\"asin\":\"0000013714\",\"x\":-1.5e+3,\"y\":false,"
        "\"reviewerID\":\"A14VAT5EAX3D9S\"}\n"
        "  {  \"overall\" : null , \"asi\\u006e\" : \"B1\" , \"reviewerID\" : \"A1\" , "
        "\"unixReviewTime\" : 0 }  \n";
    rp_dataset *ds = load_str("Beauty_5.json", text, RP_FORMAT_AMAZON_JSON);
    ck_assert_uint_eq(rp_dataset_rows(ds), 3);
    expect_row(ds, 0, "A2SUAM1J3GNN3B", "0000013714", 1369699200, 5.0);
    expect_row(ds, 1, "A14VAT5EAX3D9S", "0000013714", 1355616000, NAN);
    expect_row(ds, 2, "A1", "B1", 0, NAN);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(json_2023_ms)
{
    const char *text =
        "{\"rating\": 4.0, \"title\": \"t\", \"images\": [], \"asin\": \"B01\", "
        "\"parent_asin\": \"P01\", \"user_id\": \"AGK\", \"timestamp\": 1588615855070}\n"
        "{\"user_id\": \"AGK\", \"asin\": \"B02\", \"timestamp\": 999}\n"
        "{\"user_id\": \"U2\", \"parent_asin\": null, \"asin\": \"B03\", \"timestamp\": -1}\n";
    rp_dataset *ds = load_str("x.jsonl", text, RP_FORMAT_AMAZON_JSON);
    ck_assert_int_eq(rp_dataset_ts_unit(ds), RP_TS_MILLIS); /* kept at the input's precision */
    expect_row(ds, 0, "AGK", "P01", 1588615855070, 4.0);
    expect_row(ds, 1, "AGK", "B02", 999, NAN);
    expect_row(ds, 2, "U2", "B03", -1, NAN);
    ck_assert_int_eq(rpi_ts_sec(ds, 0), 1588615855);
    ck_assert_int_eq(rpi_ts_sec(ds, 1), 0);
    ck_assert_int_eq(rpi_ts_sec(ds, 2), -1); /* floor(-0.001) */
    rp_dataset_unref(ds);
}
END_TEST

/* An empty rating field is a row without a rating (pandas reads NaN), and
 * ratings are read to the double Python's float() gives. */
START_TEST(csv_empty_rating)
{
    rp_dataset *ds = load_str("r.csv", "A1,B1,,1\nA2,B2,3.7,2\nA3,B3,0.30000000000000004,3\n",
                              RP_FORMAT_AMAZON_CSV);
    ck_assert_int_eq(rp_dataset_ts_unit(ds), RP_TS_SECONDS);
    expect_row(ds, 0, "A1", "B1", 1, NAN);
    ck_assert(rpi_rating(ds, 1) == 3.7);
    ck_assert(rpi_rating(ds, 2) == 0.1 + 0.2);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(json_escapes_in_ids)
{
    const char *text = "{\"reviewerID\": \"A\\u00e9\\ud83d\\ude00\\\"\\\\\\/\", "
                       "\"asin\": \"B\\n\", \"unixReviewTime\": 1}\n";
    rp_dataset *ds = load_str("e.json", text, RP_FORMAT_AMAZON_JSON);
    expect_row(ds, 0, "A\xC3\xA9\xF0\x9F\x98\x80\"\\/", "B\n", 1, NAN);
    rp_dataset_unref(ds);
}
END_TEST

/* Realistic Amazon IDs, so that detection can tell the CSV orders apart. */
#define U1 "A2SUAM1J3GNN3B"
#define U2 "A14VAT5EAX3D9S"
#define I1 "B00ABCDEFG"

static const char *const fixtures[][2] = {
    {"amazon-csv", U1 "," I1 ",5.0,100\n" U2 "," I1 ",4,200\n"},
    {"amazon-csv-item-first", I1 "," U1 ",5.0,100\n" I1 "," U2 ",4,200\n"},
    {"amazon-json", "{\"reviewerID\":\"" U1 "\",\"asin\":\"" I1 "\",\"overall\":5.0,"
                    "\"unixReviewTime\":100}\n{\"reviewerID\":\"" U2 "\",\"asin\":\"" I1
                    "\",\"overall\":4,\"unixReviewTime\":200}\n"},
    {"movielens-tsv", U1 "\t" I1 "\t5.0\t100\n" U2 "\t" I1 "\t4\t200\n"},
    {"movielens-dat", U1 "::" I1 "::5.0::100\n" U2 "::" I1 "::4::200\n"},
    {"csv-header",
     "user_id,item_id,rating,timestamp\n" U1 "," I1 ",5.0,100\n" U2 "," I1 ",4,200\n"},
};

static void check_fixture(const rp_dataset *ds)
{
    ck_assert_uint_eq(rp_dataset_rows(ds), 2);
    expect_row(ds, 0, U1, I1, 100, 5.0);
    expect_row(ds, 1, U2, I1, 200, 4.0);
}

START_TEST(gzip_every_format)
{
    for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
        rp_format fmt;
        ck_assert_int_eq(rp_format_from_name(fixtures[f][0], &fmt, NULL), RP_OK);
        size_t zlen;
        unsigned char *z = gzip(fixtures[f][1], strlen(fixtures[f][1]), &zlen);
        rp_dataset *ds = load_ok("data.gz", (const char *)z, zlen, fmt);
        check_fixture(ds);
        ck_assert_int_eq(rp_dataset_format(ds), fmt);
        rp_dataset_unref(ds);
        /* detected from content inside the gzip data */
        ds = load_ok("data.gz", (const char *)z, zlen, RP_FORMAT_AUTO);
        ck_assert_int_eq(rp_dataset_format(ds), fmt);
        check_fixture(ds);
        rp_dataset_unref(ds);
        free(z);
    }
}
END_TEST

START_TEST(gzip_multi_member)
{
    size_t l1, l2;
    unsigned char *a = gzip("A1,B1,5,1\nA2,", 13, &l1);
    unsigned char *b = gzip("B2,4,2\n", 7, &l2);
    unsigned char *both = malloc(l1 + l2);
    memcpy(both, a, l1);
    memcpy(both + l1, b, l2);
    rp_dataset *ds = load_ok("m.csv.gz", (const char *)both, l1 + l2, RP_FORMAT_AMAZON_CSV);
    expect_row(ds, 1, "A2", "B2", 2, 4);
    rp_dataset_unref(ds);
    free(a);
    free(b);
    free(both);
}
END_TEST

START_TEST(detect_each_format)
{
    static const struct {
        const char *name, *line;
        rp_format fmt;
    } cases[] = {
        {"x.json.gz", "A,B,1,2", RP_FORMAT_AMAZON_JSON},
        {"dir/Beauty.jsonl", "", RP_FORMAT_AMAZON_JSON},
        {"ratings.dat", "1,2,3,4", RP_FORMAT_MOVIELENS_DAT},
        {"ml-100k/u.data", "", RP_FORMAT_MOVIELENS_TSV},
        {"a.tsv.gz", "", RP_FORMAT_MOVIELENS_TSV},
        {"x.csv", "{\"a\":1}", RP_FORMAT_AMAZON_JSON},
        {"x.csv", "1::2::3::4", RP_FORMAT_MOVIELENS_DAT},
        {"x.csv", "1\t2\t3\t4", RP_FORMAT_MOVIELENS_TSV},
        {"x.csv", "userId,movieId,rating,timestamp", RP_FORMAT_CSV_HEADER},
        {"x.csv", "timestamp,\"item\",x,user", RP_FORMAT_CSV_HEADER},
        {"x.csv", "A2SUAM1J3GNN3B,0000013714,5.0,1369699200", RP_FORMAT_AMAZON_CSV},
        {"x.csv", "0000013714,A2SUAM1J3GNN3B,5.0,1369699200", RP_FORMAT_AMAZON_CSV_ITEM_FIRST},
        {"x.csv", "B00ABCDEFG,A14VAT5EAX3D9S,5.0,1369699200", RP_FORMAT_AMAZON_CSV_ITEM_FIRST},
        {"x.csv", "1,2,3.5,1112486027", RP_FORMAT_AMAZON_CSV},
        {NULL, "u,i,5,1", RP_FORMAT_AMAZON_CSV},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rp_format fmt = RP_FORMAT_AUTO;
        rp_error err = {0};
        rp_status st =
            rp_format_detect(cases[k].name, cases[k].line, strlen(cases[k].line), &fmt, &err);
        ck_assert_msg(st == RP_OK && fmt == cases[k].fmt, "case %zu: st %d fmt %s", k, st,
                      rp_format_name(fmt));
    }
    rp_error err = {0};
    rp_format fmt;
    ck_assert_int_eq(rp_format_detect("data.csv", "hello world", 11, &fmt, &err), RP_ERR_FORMAT);
    ck_assert_str_eq(err.file, "data.csv");
    ck_assert_int_eq(rp_format_detect("data.csv", "a,b,c", 5, &fmt, NULL), RP_ERR_FORMAT);
}
END_TEST

START_TEST(detect_while_loading)
{
    for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
        rp_format fmt;
        rp_format_from_name(fixtures[f][0], &fmt, NULL);
        rp_dataset *ds = load_str("input", fixtures[f][1], RP_FORMAT_AUTO);
        ck_assert_msg(rp_dataset_format(ds) == fmt, "%s detected as %s", fixtures[f][0],
                      rp_format_name(rp_dataset_format(ds)));
        check_fixture(ds);
        rp_dataset_unref(ds);
    }
    rp_error err = {0};
    rp_dataset *ds = (rp_dataset *)1;
    ck_assert_int_eq(rp_load_buffer("t.txt", "\n\nno format here\n", 17, RP_FORMAT_AUTO, &ds, &err),
                     RP_ERR_FORMAT);
    ck_assert_ptr_null(ds);
    ck_assert_str_eq(err.file, "t.txt");
}
END_TEST

START_TEST(format_names)
{
    rp_format fmt;
    rp_error err = {0};
    for (int f = RP_FORMAT_AUTO; f <= RP_FORMAT_CSV_HEADER; f++) {
        ck_assert_int_eq(rp_format_from_name(rp_format_name((rp_format)f), &fmt, NULL), RP_OK);
        ck_assert_int_eq(fmt, f);
    }
    ck_assert_str_eq(rp_format_name(RP_FORMAT_MOVIELENS_DAT), "movielens-dat");
    ck_assert_int_eq(rp_format_from_name("csv", &fmt, &err), RP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "amazon-csv-item-first"));
}
END_TEST

/* ---- bad input: exact status and line ------------------------------------ */

typedef struct bad_case {
    rp_format fmt;
    const char *text;
    size_t len; /* 0: strlen(text) */
    rp_status st;
    size_t line;
    const char *msg; /* a substring of the message */
} bad_case;

static const bad_case bad_cases[] = {
    {RP_FORMAT_AMAZON_CSV, "A1,B1,5.0\n", 0, RP_ERR_PARSE, 1, "expected 4 fields, found 3"},
    {RP_FORMAT_AMAZON_CSV, "A,B,5,1\nA1,B1,5.0,100,x\n", 0, RP_ERR_PARSE, 2,
     "expected 4 fields, found 5"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,5.0,12a\n", 0, RP_ERR_PARSE, 1,
     "timestamp \"12a\" is not an integer"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,5.0,\n", 0, RP_ERR_PARSE, 1, "timestamp \"\" is not"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,5.0,1.5\n", 0, RP_ERR_PARSE, 1, "not an integer"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,5.0, 15\n", 0, RP_ERR_PARSE, 1, "not an integer"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,5.0,+15\n", 0, RP_ERR_PARSE, 1, "not an integer"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,5.0,9223372036854775808\n", 0, RP_ERR_PARSE, 1, "out of range"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,abc,1\n", 0, RP_ERR_PARSE, 1, "rating \"abc\" is not a number"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,-,1\n", 0, RP_ERR_PARSE, 1, "rating"},
    {RP_FORMAT_AMAZON_JSON,
     "{\"user_id\": \"A\", \"asin\": \"B\", \"timestamp\": 1000}\n"
     "{\"reviewerID\": \"A\", \"asin\": \"B\", \"unixReviewTime\": 1}\n",
     0, RP_ERR_PARSE, 2, "mixes the 2014/2018 layout"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,nan,1\n", 0, RP_ERR_PARSE, 1, "rating"},
    {RP_FORMAT_AMAZON_CSV, "A1,B1,5,1\n\n\nA2,B2,5,x\n", 0, RP_ERR_PARSE, 4, "timestamp"},
    {RP_FORMAT_AMAZON_CSV, ",B1,5,1\n", 0, RP_ERR_PARSE, 1, "user ID is empty"},
    {RP_FORMAT_AMAZON_CSV, "A1,B,5,1\r\nA1,\"\",5,1\r\n", 0, RP_ERR_PARSE, 2, "item ID is empty"},
    {RP_FORMAT_AMAZON_CSV, "\"A1,B1,5,1\n", 0, RP_ERR_PARSE, 1, "quoted"},
    {RP_FORMAT_AMAZON_CSV, "\"A\"x,B1,5,1\n", 0, RP_ERR_PARSE, 1, "quoted"},
    {RP_FORMAT_AMAZON_CSV, "A1,B\0,5,1\n", 10, RP_ERR_PARSE, 1, "NUL"},
    {RP_FORMAT_AMAZON_CSV, "A1,B,5,1\nA1,B,5,1\0\n", 19, RP_ERR_PARSE, 2, "timestamp"},
    {RP_FORMAT_MOVIELENS_TSV, "\0A1\tB\t5\t1\n", 10, RP_ERR_PARSE, 1, "NUL"},
    {RP_FORMAT_CSV_HEADER, "user,item,timestamp,x\nA,B,1,\0\n", 30, RP_ERR_PARSE, 2, "NUL"},
    {RP_FORMAT_AMAZON_JSON, "{\"a\": \"\0\"}\n", 11, RP_ERR_PARSE, 1, "NUL"},
    {RP_FORMAT_AMAZON_CSV, "", 0, RP_ERR_PARSE, 0, "empty"},
    {RP_FORMAT_AUTO, "", 0, RP_ERR_PARSE, 0, "empty"},
    {RP_FORMAT_AMAZON_CSV, "\n\r\n\n", 0, RP_ERR_PARSE, 0, "no rows"},
    {RP_FORMAT_CSV_HEADER, "userId,movieId,rating,timestamp\n", 0, RP_ERR_PARSE, 0,
     "no rows after the header"},
    {RP_FORMAT_CSV_HEADER, "userId,movieId,rating,timestamp\n1,2,3,4\n1,2,3\n", 0, RP_ERR_PARSE, 3,
     "expected 4 fields, found 3"},
    {RP_FORMAT_CSV_HEADER, "userId,rating,timestamp\n1,2,3\n", 0, RP_ERR_PARSE, 1, "header"},
    {RP_FORMAT_CSV_HEADER, "user,item,user_id,timestamp\n", 0, RP_ERR_PARSE, 1, "twice"},
    {RP_FORMAT_MOVIELENS_TSV, "1\t2\t3\n", 0, RP_ERR_PARSE, 1, "expected 4 fields, found 3"},
    {RP_FORMAT_MOVIELENS_DAT, "1::2::3::4::5\n", 0, RP_ERR_PARSE, 1, "found 5"},
    {RP_FORMAT_MOVIELENS_DAT, "1::2::x::4\n", 0, RP_ERR_PARSE, 1, "rating \"x\""},
    {RP_FORMAT_AMAZON_JSON, "{\"reviewerID\": \"A\", \"asin\": \"B\", \"unixReviewTime\": 5", 0,
     RP_ERR_PARSE, 1, "invalid JSON"},
    {RP_FORMAT_AMAZON_JSON,
     "{\"reviewerID\":\"A\",\"asin\":\"B\",\"unixReviewTime\":5}\n{\"reviewerID\": \"A\", "
     "\"unixReviewTime\": 5}\n",
     0, RP_ERR_PARSE, 2, "missing key \"asin\""},
    {RP_FORMAT_AMAZON_JSON, "{\"asin\": \"B\", \"unixReviewTime\": 5}\n", 0, RP_ERR_PARSE, 1,
     "reviewerID"},
    {RP_FORMAT_AMAZON_JSON, "{\"reviewerID\": \"A\", \"asin\": \"B\", \"unixReviewTime\": \"5\"}",
     0, RP_ERR_PARSE, 1, "must be an integer, found a string"},
    {RP_FORMAT_AMAZON_JSON, "{\"reviewerID\": \"A\", \"asin\": \"B\", \"unixReviewTime\": 1.5}", 0,
     RP_ERR_PARSE, 1, "not an integer"},
    {RP_FORMAT_AMAZON_JSON, "{\"reviewerID\": \"A\", \"asin\": \"B\", \"unixReviewTime\": 1e9}", 0,
     RP_ERR_PARSE, 1, "not an integer"},
    {RP_FORMAT_AMAZON_JSON, "{\"reviewerID\": 7, \"asin\": \"B\", \"unixReviewTime\": 1}", 0,
     RP_ERR_PARSE, 1, "must be a string"},
    {RP_FORMAT_AMAZON_JSON, "{\"reviewerID\": \"A\", \"asin\": \"B\", \"unixReviewTime\": 1} x", 0,
     RP_ERR_PARSE, 1, "text after"},
    {RP_FORMAT_AMAZON_JSON, "[1]\n", 0, RP_ERR_PARSE, 1, "object"},
    {RP_FORMAT_AMAZON_JSON, "{\"a\": [1, 2,]}\n", 0, RP_ERR_PARSE, 1, "invalid JSON"},
    {RP_FORMAT_AMAZON_JSON, "{\"a\": 01}\n", 0, RP_ERR_PARSE, 1, "bad number"},
    {RP_FORMAT_AMAZON_JSON, "{\"a\": tru}\n", 0, RP_ERR_PARSE, 1, "invalid JSON"},
    {RP_FORMAT_AMAZON_JSON, "{\"a\": \"x\\q\"}\n", 0, RP_ERR_PARSE, 1, "escape"},
    {RP_FORMAT_AMAZON_JSON, "{\"a\": \"x\ty\"}\n", 0, RP_ERR_PARSE, 1, "control"},
    {RP_FORMAT_AMAZON_JSON,
     "{\"reviewerID\": \"A\\ud800\", \"asin\": \"B\", \"unixReviewTime\": 1}\n", 0, RP_ERR_PARSE, 1,
     "surrogate"},
    {RP_FORMAT_AMAZON_JSON,
     "{\"reviewerID\": \"A\\u0000\", \"asin\": \"B\", \"unixReviewTime\": 1}\n", 0, RP_ERR_PARSE, 1,
     "u0000"},
    {RP_FORMAT_AMAZON_JSON, "{\"user_id\": \"A\", \"timestamp\": 1}\n", 0, RP_ERR_PARSE, 1,
     "missing key \"asin\""},
    {RP_FORMAT_AMAZON_JSON, "\n\n   \n", 0, RP_ERR_PARSE, 3, "object"},
};

START_TEST(bad_input)
{
    const bad_case *c = &bad_cases[_i];
    rp_dataset *ds = (rp_dataset *)1;
    rp_error err = {0};
    size_t len = c->len ? c->len : strlen(c->text);
    rp_status st = rp_load_buffer("bad.txt", c->text, len, c->fmt, &ds, &err);
    ck_assert_msg(st == c->st, "case %d: status %d, want %d (%s)", _i, st, c->st, err.message);
    ck_assert_ptr_null(ds);
    ck_assert_msg(err.line == c->line, "case %d: line %zu, want %zu (%s)", _i, err.line, c->line,
                  err.message);
    ck_assert_str_eq(err.file, "bad.txt");
    ck_assert_msg(strstr(err.message, c->msg), "case %d: \"%s\" lacks \"%s\"", _i, err.message,
                  c->msg);
}
END_TEST

START_TEST(null_empty_buffer)
{
    rp_error err = {0};
    rp_dataset *ds = (rp_dataset *)1;
    ck_assert_int_eq(rp_load_buffer(NULL, NULL, 0, RP_FORMAT_AUTO, &ds, &err), RP_ERR_PARSE);
    ck_assert_ptr_null(ds);
    ck_assert_str_eq(err.file, "<buffer>");
    ck_assert_ptr_nonnull(strstr(err.message, "empty"));
}
END_TEST

START_TEST(json_too_deep)
{
    char text[400] = "{\"a\": ";
    memset(text + 6, '[', 100);
    rp_error err = {0};
    rp_dataset *ds;
    ck_assert_int_eq(rp_load_buffer("d.json", text, strlen(text), RP_FORMAT_AUTO, &ds, &err),
                     RP_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "nesting"));
}
END_TEST

/* A line of exactly the limit is fine; one byte more is RP_ERR_LIMIT. */
static char *long_line_text(size_t idlen, size_t *len)
{
    char *t = malloc(idlen + 64);
    memcpy(t, "A,B,5,1\n", 8);
    memset(t + 8, 'x', idlen);
    memcpy(t + 8 + idlen, ",B,5,2\n", 7);
    *len = 8 + idlen + 7;
    return t;
}

START_TEST(limits)
{
    size_t len;
    rp_error err = {0};
    rp_dataset *ds;
    char *t = long_line_text(RP_LOAD_MAX_ID + 1, &len);
    ck_assert_int_eq(rp_load_buffer("l.csv", t, len, RP_FORMAT_AMAZON_CSV, &ds, &err),
                     RP_ERR_LIMIT);
    ck_assert_uint_eq(err.line, 2);
    free(t);
    t = long_line_text(RP_LOAD_MAX_ID, &len);
    ds = load_ok("l.csv", t, len, RP_FORMAT_AMAZON_CSV);
    rp_dataset_unref(ds);
    free(t);
    t = long_line_text(RP_LOAD_MAX_LINE, &len); /* the line is 6 bytes over */
    for (int gz = 0; gz < 2; gz++) {
        size_t zlen = len;
        unsigned char *z = gz ? gzip(t, len, &zlen) : NULL;
        memset(&err, 0, sizeof err);
        rp_status st =
            rp_load_buffer("l.csv", gz ? (char *)z : t, zlen, RP_FORMAT_AMAZON_CSV, &ds, &err);
        ck_assert_int_eq(st, RP_ERR_LIMIT);
        ck_assert_uint_eq(err.line, 2);
        free(z);
    }
    free(t);
}
END_TEST

START_TEST(gzip_damage)
{
    static const char text[] = "A1,B1,5,1\nA2,B2,5,2\nA3,B3,5,3\n";
    size_t zlen;
    unsigned char *z = gzip(text, sizeof text - 1, &zlen);
    rp_error err = {0};
    rp_dataset *ds;
    ck_assert_int_eq(rp_load_buffer("t.gz", z, zlen - 9, RP_FORMAT_AMAZON_CSV, &ds, &err),
                     RP_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "truncated"));
    ck_assert_str_eq(err.file, "t.gz");
    ck_assert_int_eq(rp_load_buffer("t.gz", z, 2, RP_FORMAT_AMAZON_CSV, &ds, NULL), RP_ERR_PARSE);
    z[zlen - 6] ^= 0xFF; /* the CRC */
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(rp_load_buffer("t.gz", z, zlen, RP_FORMAT_AMAZON_CSV, &ds, &err),
                     RP_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "corrupt"));
    free(z);
}
END_TEST

/* A name ending ".gz" over plain bytes is "not gzip", naming the file, from
 * memory and from a file; the same bytes under a plain name load. */
START_TEST(gz_name_not_gzip)
{
    static const char text[] = "A1,B1,5,1\nA2,B2,5,2\n";
    rp_error err = {0};
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_load_buffer("r.csv.gz", text, sizeof text - 1, RP_FORMAT_AUTO, &ds, &err),
                     RP_ERR_FORMAT);
    ck_assert_ptr_null(ds);
    ck_assert_str_eq(err.file, "r.csv.gz");
    ck_assert_ptr_nonnull(strstr(err.message, "not gzip"));
    ck_assert_int_eq(rp_load_buffer("r.gz", "", 0, RP_FORMAT_AMAZON_CSV, &ds, NULL), RP_ERR_FORMAT);
    char *path = write_temp(text, sizeof text - 1, ".csv.gz");
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(rp_load_file(path, RP_FORMAT_AUTO, &ds, &err), RP_ERR_FORMAT);
    ck_assert_str_eq(err.file, path);
    ck_assert_ptr_nonnull(strstr(err.message, "not gzip"));
    remove_temp(path);
    ds = load_ok("r.csv", text, sizeof text - 1, RP_FORMAT_AUTO);
    ck_assert_uint_eq(rp_dataset_rows(ds), 2);
    rp_dataset_unref(ds);
}
END_TEST

/* ---- files --------------------------------------------------------------- */

START_TEST(load_files)
{
    const char *text = fixtures[0][1];
    char *plain = write_temp(text, strlen(text), ".csv");
    rp_dataset *ds;
    rp_error err = {0};
    ck_assert_int_eq(rp_load_file(plain, RP_FORMAT_AUTO, &ds, &err), RP_OK);
    check_fixture(ds);
    ck_assert_str_eq(rp_dataset_source(ds), plain);
    rp_dataset_unref(ds);
    size_t zlen;
    unsigned char *z = gzip(text, strlen(text), &zlen);
    char *gz = write_temp(z, zlen, ".data"); /* gzip found by magic, not name */
    ck_assert_int_eq(rp_load_file(gz, RP_FORMAT_AMAZON_CSV, &ds, &err), RP_OK);
    check_fixture(ds);
    rp_dataset_unref(ds);
    remove_temp(plain);
    remove_temp(gz);
    free(z);
    ck_assert_int_eq(rp_load_file("/nonexistent/r.csv", RP_FORMAT_AUTO, &ds, &err), RP_ERR_IO);
    ck_assert_ptr_null(ds);
    ck_assert_str_eq(err.file, "/nonexistent/r.csv");
    ck_assert_ptr_nonnull(strstr(err.message, "No such file"));
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(rp_load_file("/tmp", RP_FORMAT_AUTO, &ds, &err), RP_ERR_IO);
}
END_TEST

/* Bigger than the read window, plain and gzip: lines across refills, the
 * error line number far into the file. */
START_TEST(big_file_streams)
{
    enum { ROWS = 200000 };
    size_t cap = (size_t)ROWS * 40 + 64, n = 0;
    char *text = malloc(cap);
    for (int r = 0; r < ROWS; r++)
        n += (size_t)snprintf(text + n, cap - n, "AUSER%07d,B%09d,4.0,%d\n", r % 5000, r / 10, r);
    for (int bad = 0; bad < 2; bad++) {
        size_t tn = n;
        if (bad)
            tn += (size_t)snprintf(text + n, cap - n, "x,y,4,zz\n");
        size_t zlen;
        unsigned char *z = gzip(text, tn, &zlen);
        for (int gz = 0; gz < 2; gz++) {
            char *path = gz ? write_temp(z, zlen, ".csv.gz") : write_temp(text, tn, ".csv");
            rp_dataset *ds = NULL;
            rp_error err = {0};
            rp_status st = rp_load_file(path, RP_FORMAT_AUTO, &ds, &err);
            if (bad) {
                ck_assert_int_eq(st, RP_ERR_PARSE);
                ck_assert_uint_eq(err.line, ROWS + 1);
            } else {
                ck_assert_int_eq(st, RP_OK);
                ck_assert_uint_eq(rp_dataset_rows(ds), ROWS);
                ck_assert_uint_eq(rp_dataset_users(ds), 5000);
                ck_assert_uint_eq(rp_dataset_items(ds), ROWS / 10);
                expect_row(ds, ROWS - 1, "AUSER0004999", "B000019999", ROWS - 1, 4.0);
                rp_dataset_unref(ds);
            }
            remove_temp(path);
        }
        free(z);
    }
    free(text);
}
END_TEST

/* Progress: rows never go backwards, the stages arrive in order, and at the
 * end rows and bytes are the whole input, for a buffer, a file and gzip. */
struct seen {
    int calls, stage_seen[RP_LOAD_DONE + 1];
    uint64_t last_rows;
    int went_back;
};

static void on_update(const rp_load_progress *p, void *ctx)
{
    struct seen *s = ctx;
    uint64_t rows = atomic_load(&p->rows);
    s->went_back |= rows < s->last_rows;
    s->last_rows = rows;
    s->stage_seen[atomic_load(&p->stage)]++;
    s->calls++;
}

START_TEST(progress_counts)
{
    enum { ROWS = 300000 };
    size_t cap = (size_t)ROWS * 40 + 64, n = 0;
    char *text = malloc(cap);
    for (int r = 0; r < ROWS; r++)
        n += (size_t)snprintf(text + n, cap - n, "AUSER%07d,B%09d,4.0,%d\n", r % 5000, r / 10, r);
    size_t zlen;
    unsigned char *z = gzip(text, n, &zlen);
    for (int how = 0; how < 3; how++) {
        rp_load_progress pg;
        struct seen s = {0};
        rp_load_progress_init(&pg);
        pg.on_update = on_update;
        pg.ctx = &s;
        rp_dataset *ds = NULL;
        char *path = how == 1   ? write_temp(text, n, ".csv")
                     : how == 2 ? write_temp(z, zlen, ".csv.gz")
                                : NULL;
        rp_status st =
            path ? rp_load_file_progress(path, RP_FORMAT_AUTO, &pg, &ds, NULL)
                 : rp_load_buffer_progress("p.csv", text, n, RP_FORMAT_AUTO, &pg, &ds, NULL);
        ck_assert_int_eq(st, RP_OK);
        uint64_t size = how == 2 ? zlen : n;
        ck_assert_uint_eq(atomic_load(&pg.rows), ROWS);
        ck_assert_uint_eq(atomic_load(&pg.bytes), size);
        ck_assert_uint_eq(atomic_load(&pg.total_bytes), size);
        ck_assert_int_eq(atomic_load(&pg.stage), RP_LOAD_DONE);
        ck_assert_int_eq(s.went_back, 0);
        ck_assert_int_ge(s.calls, ROWS / (int)RP_LOAD_PROGRESS_ROWS + 2);
        ck_assert_int_eq(s.stage_seen[RP_LOAD_INDEXING], 1);
        ck_assert_int_ge(s.stage_seen[RP_LOAD_READING], ROWS / (int)RP_LOAD_PROGRESS_ROWS);
        rp_dataset_unref(ds);
        if (path)
            remove_temp(path);
    }
    free(z);
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load");
    TCase *good = tcase_create("good");
    tcase_add_test(good, amazon_csv);
    tcase_add_test(good, amazon_csv_item_first);
    tcase_add_test(good, ids_are_opaque);
    tcase_add_test(good, ids_must_be_utf8);
    tcase_add_test(good, split_every_width);
    tcase_add_test(good, csv_quoted_fields);
    tcase_add_test(good, line_conventions);
    tcase_add_test(good, movielens_tsv_dat);
    tcase_add_test(good, csv_header_any_order);
    tcase_add_test(good, json_2014);
    tcase_add_test(good, json_2023_ms);
    tcase_add_test(good, json_escapes_in_ids);
    tcase_add_test(good, csv_empty_rating);
    tcase_add_test(good, columns_outgrow_the_hint);
    tcase_add_test(good, gzip_every_format);
    tcase_add_test(good, gzip_multi_member);
    tcase_add_test(good, detect_each_format);
    tcase_add_test(good, detect_while_loading);
    tcase_add_test(good, format_names);
    suite_add_tcase(s, good);
    TCase *bad = tcase_create("bad");
    tcase_add_loop_test(bad, bad_input, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(bad, null_empty_buffer);
    tcase_add_test(bad, json_too_deep);
    tcase_add_test(bad, limits);
    tcase_add_test(bad, gzip_damage);
    tcase_add_test(bad, gz_name_not_gzip);
    suite_add_tcase(s, bad);
    TCase *files = tcase_create("files");
    tcase_set_timeout(files, 60);
    tcase_add_test(files, load_files);
    tcase_add_test(files, big_file_streams);
    tcase_add_test(files, progress_counts);
    suite_add_tcase(s, files);
    return rp_check_run(s);
}
