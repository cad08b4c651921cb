/*
 * tests/fuzz/fuzz_pipeline.c - libFuzzer target over the pipelines: a small
 * random log (rp_dataset_from_rows) and random valid parameters through
 * statistics, k-core, every split method (tests/methods.h) and the cursor.
 *
 * Input: byte 0 users (1..24), 1 items (1..24), 2-3 user_k/item_k (1..4),
 * 4 min_len (1..6), 5-6 val_start/test_start in hundredths, then rows of 3
 * bytes (user, item, timestamp step). Invariants checked (abort on failure):
 *   - statistics count the rows, users and items of the log;
 *   - k-core keeps exactly the unique maximal sub-log where every kept user
 *     has >= user_k rows on kept items and every kept item >= item_k rows
 *     from kept users (compared with a naive peeling to the fixpoint);
 *   - for every split method: each file read through a cursor (odd buffer
 *     sizes) has the lines and bytes the summary and rp_split_file_size
 *     give; users.tsv/items.tsv number IDs 1..n in order, n = the summary's
 *     users/items, and every ID in a sequence file is within those maps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dataset_impl.h"
#include "recprep/cursor.h"
#include "recprep/kcore.h"
#include "recprep/split.h"
#include "recprep/stats.h"
#include "../methods.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 256

struct log {
    uint32_t n;
    char names[2 * MAX_ROWS][8];
    const char *users[MAX_ROWS], *items[MAX_ROWS];
    int64_t ts[MAX_ROWS];
    uint32_t uk, ik, min_len;
    double val, test;
};

static size_t decode(const uint8_t *d, size_t size, struct log *lg)
{
    if (size < 7)
        return 0;
    unsigned nu = 1 + d[0] % 24, ni = 1 + d[1] % 24;
    lg->uk = 1 + d[2] % 4;
    lg->ik = 1 + d[3] % 4;
    lg->min_len = 1 + d[4] % 6;
    lg->val = (1 + d[5] % 98) / 100.0;
    lg->test = (1 + d[6] % 98) / 100.0;
    int64_t t = 1000;
    lg->n = 0;
    for (size_t i = 7; i + 3 <= size && lg->n < MAX_ROWS; i += 3, lg->n++) {
        uint32_t r = lg->n;
        snprintf(lg->names[r], 8, "u%u", d[i] % nu);
        snprintf(lg->names[MAX_ROWS + r], 8, "i%u", d[i + 1] % ni);
        lg->users[r] = lg->names[r];
        lg->items[r] = lg->names[MAX_ROWS + r];
        t += d[i + 2] % 4 == 0 ? 0 : d[i + 2] * 3600; /* ties are common */
        lg->ts[r] = t;
    }
    return lg->n;
}

/* Naive k-core: recount everything until nothing changes. */
static void naive_kcore(const rp_dataset *ds, uint32_t uk, uint32_t ik, uint8_t *ukeep,
                        uint8_t *ikeep)
{
    uint32_t nu = rp_dataset_users(ds), ni = rp_dataset_items(ds), n = rp_dataset_rows(ds);
    const uint32_t *u = ds->user, *it = ds->item; /* dataset_impl.h: the row columns */
    uint32_t *uc = calloc(nu, sizeof *uc), *ic = calloc(ni, sizeof *ic);
    memset(ukeep, 1, nu);
    memset(ikeep, 1, ni);
    for (int changed = 1; changed;) {
        changed = 0;
        memset(uc, 0, nu * sizeof *uc);
        memset(ic, 0, ni * sizeof *ic);
        for (uint32_t r = 0; r < n; r++)
            if (ukeep[u[r]] && ikeep[it[r]])
                uc[u[r]]++, ic[it[r]]++;
        for (uint32_t x = 0; x < nu; x++)
            if (ukeep[x] && uc[x] < uk)
                ukeep[x] = 0, changed = 1;
        for (uint32_t x = 0; x < ni; x++)
            if (ikeep[x] && ic[x] < ik)
                ikeep[x] = 0, changed = 1;
    }
    free(uc);
    free(ic);
}

static void check_kcore(const rp_dataset *ds, uint32_t uk, uint32_t ik)
{
    rp_kcore kc;
    CHECK(rp_kcore_run(ds, NULL, uk, ik, &kc) == RP_OK);
    uint32_t nu = rp_dataset_users(ds), ni = rp_dataset_items(ds);
    uint8_t *ukeep = malloc(nu), *ikeep = malloc(ni);
    naive_kcore(ds, uk, ik, ukeep, ikeep);
    uint32_t users = 0, items = 0;
    for (uint32_t x = 0; x < nu; x++) {
        CHECK(!kc.user_kept[x] == !ukeep[x]);
        users += ukeep[x];
    }
    for (uint32_t x = 0; x < ni; x++) {
        CHECK(!kc.item_kept[x] == !ikeep[x]);
        items += ikeep[x];
    }
    CHECK(kc.users == users && kc.items == items);
    CHECK(kc.n_rounds >= 1 && kc.rounds[kc.n_rounds - 1].users == users);
    free(ukeep);
    free(ikeep);
    json_decref(rp_kcore_to_json(&kc, uk, ik));
    rp_kcore_cleanup(&kc);
}

/* Read a whole file through a cursor with varying buffer sizes. */
static char *read_all(const rp_split *s, const char *name, size_t *len)
{
    rp_cursor *c;
    CHECK(rp_cursor_new(s, name, &c) == RP_OK);
    size_t cap = 1024, n = 0, step = 1;
    char *buf = malloc(cap);
    ssize_t r;
    for (;;) {
        if (n + 64 > cap)
            buf = realloc(buf, cap *= 2);
        r = rp_cursor_read(c, buf + n, step);
        if (r <= 0)
            break;
        n += (size_t)r;
        step = step % 61 + 7;
        CHECK(rp_cursor_offset(c) == n);
    }
    CHECK(r == 0);
    rp_cursor_free(c);
    *len = n;
    return buf;
}

static uint64_t count_lines(const char *b, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += b[i] == '\n';
    CHECK(n == 0 || b[n - 1] == '\n');
    return k;
}

/* users.tsv / items.tsv: "<k>\t<raw>\n" for k = 1..lines. */
static void check_map(const char *b, size_t n)
{
    uint64_t k = 0;
    for (const char *p = b; p < b + n; k++) {
        char *end;
        CHECK(strtoull(p, &end, 10) == k + 1 && *end == '\t');
        p = memchr(p, '\n', (size_t)(b + n - p));
        CHECK(p != NULL);
        p++;
    }
}

/* Sequence lines: "<user> <item> ..." with user <= users, items <= items. */
static void check_sequences(const char *b, size_t n, uint64_t users, uint64_t items)
{
    for (const char *p = b; p < b + n;) {
        const char *nl = memchr(p, '\n', (size_t)(b + n - p));
        CHECK(nl != NULL);
        for (int field = 0; p < nl; field++) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            CHECK(end > p && v >= 1 && v <= (field == 0 ? users : items));
            p = *end == ' ' ? end + 1 : end;
        }
        p = nl + 1;
    }
}

static void check_split(rp_split *s)
{
    json_t *sum = rp_split_summary(s, NULL);
    CHECK(sum != NULL);
    uint64_t users = (uint64_t)json_integer_value(json_object_get(sum, "users"));
    uint64_t items = (uint64_t)json_integer_value(json_object_get(sum, "items"));
    json_t *files = json_object_get(sum, "files");
    size_t nf;
    const char *const *names = rp_split_files(s, &nf);
    CHECK(json_object_size(files) == nf);
    for (size_t i = 0; i < nf; i++) {
        size_t len;
        uint64_t lines, bytes;
        char *b = read_all(s, names[i], &len);
        json_t *f = json_object_get(files, names[i]);
        CHECK(rp_split_file_size(s, names[i], &lines, &bytes) == RP_OK);
        CHECK(bytes == len && lines == count_lines(b, len));
        CHECK((uint64_t)json_integer_value(json_object_get(f, "bytes")) == bytes);
        CHECK((uint64_t)json_integer_value(json_object_get(f, "lines")) == lines);
        if (strcmp(names[i], "users.tsv") == 0 || strcmp(names[i], "items.tsv") == 0) {
            check_map(b, len);
            CHECK(lines == (names[i][0] == 'u' ? users : items));
        } else if (strstr(names[i], ".txt") != NULL) { /* renumbered sequences */
            check_sequences(b, len, users, items);
        } /* az23 files keep raw IDs: their sizes are checked above */
        free(b);
    }
    rp_cursor *c;
    CHECK(rp_cursor_new(s, "nope.txt", &c) == RP_ERR_NOT_FOUND);
    json_decref(sum);
}

static void run_methods(rp_dataset *ds, const struct log *lg)
{
    for (size_t i = 0; i < RP_TEST_N_METHODS; i++) {
        rp_method m;
        CHECK(rp_method_from_name(rp_test_method_name(i), &m) == RP_OK);
        rp_params p = rp_params_defaults(m);
        p.user_k = lg->uk;
        p.item_k = lg->ik;
        if (m == RP_METHOD_TEMPORAL) {
            p.min_len = lg->min_len;
            p.val_start = lg->val < lg->test ? lg->val : lg->test;
            p.test_start = lg->val < lg->test ? lg->test : lg->val;
        }
        if (m == RP_METHOD_TEMPORAL || m == RP_METHOD_FULL)
            p.max_len = lg->min_len % 4; /* 0: no cut */
        static const char *const dedup[] = {"none", "first", "last"};
        CHECK(rp_params_set(&p, "dedup", dedup[lg->min_len % 3], NULL) == RP_OK);
        if (lg->uk % 5 == 0) /* no row has a rating: every row is filtered out */
            CHECK(rp_params_set(&p, "min_rating", "0", NULL) == RP_OK);
        rp_error err;
        rp_error_clear(&err);
        CHECK(rp_params_resolve(&p, &err) == RP_OK);
        rp_split *s = NULL;
        CHECK(rp_split_run(ds, &p, &s, &err) == RP_OK);
        check_split(s);
        rp_split_free(s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct log lg;
    if (decode(data, size, &lg) == 0)
        return 0;
    rp_dataset *ds = NULL;
    CHECK(rp_dataset_from_rows(lg.users, lg.items, lg.ts, NULL, lg.n, &ds, NULL) == RP_OK);
    rp_stats st;
    CHECK(rp_stats_compute(ds, &st) == RP_OK);
    CHECK(st.interactions == lg.n && st.users == rp_dataset_users(ds));
    CHECK(st.items == rp_dataset_items(ds));
    json_decref(rp_stats_to_json(&st, "fuzz", RP_FORMAT_AMAZON_CSV));
    check_kcore(ds, lg.uk, lg.ik);
    run_methods(ds, &lg);
    rp_dataset_unref(ds);
    return 0;
}
