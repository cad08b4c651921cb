/*
 * core/az23.c - the `az23-last-out` and `az23-timestamp` recipes.
 *
 * hyp1231/AmazonReviews2023 benchmark_scripts: kcore_filtering.py keeps, of
 * the rows of each (user, item) pair, the first in time order (stable, at the
 * input's precision), then - unless k = 0 - the iterative (user_k, item_k)
 * core; last_out_split.py / timestamp_split.py split each user's rows. Raw IDs
 * stay (no renumbering). Users come in order of their first row after the
 * common filters (before the pair dedup: a user keeps its place even when
 * that first row repeats a pair), rows by time.
 *
 * Storage: the kept rows grouped by user (rows, row_off) and per user two
 * cuts a <= b - rows [0, a) train, [a, b) valid, [b, len) test. Time order
 * makes both splits contiguous per user: last-out cuts at len-2 and len-1,
 * timestamp at the first row at or after val_time / test_time (ms).
 *
 * A row prints as "user,item,rating,timestamp" with the rating as Python's
 * repr(float) ("5.0", "3.5", "1e-05"; empty without a rating) and the
 * timestamp as the input had it. .w_his.csv lines add "," and the user's
 * earlier items, .inter lines (RecBole atomic files, after a header) are
 * "user<TAB>last max_len earlier items<TAB>item" for rows with a history.
 * Sizes are counted from per-user prefix sums of item-ID lengths, O(rows);
 * the files themselves can be O(rows * history) bytes and are rendered by the
 * cursor through rpi_az23_line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "mem.h"
#include "split_impl.h"
#include "walk.h"

/* Where the az23 files stand in the recipe table's list (recipe.c). */
enum { F_ALL = 0, F_CSV = 1, F_WHIS = 4, F_INTER = 7 };

#define INTER_HEADER "user_id:token\titem_id_list:token_seq\titem_id:token"

/* ---- number text ----------------------------------------------------------- */

/* Python's repr(float): the shortest digits that read back to v, in fixed
 * notation when the decimal exponent is in [-4, 16), else d[.ddd]e+XX.
 * NaN (no rating) is "". Returns the length written to out (>= 32 bytes). */
size_t rpi_pyfloat(double v, char *out)
{
    char e[40];
    if (isnan(v))
        return 0;
    if (isinf(v))
        return (size_t)snprintf(out, RPI_PYFLOAT_MAX, "%s", v < 0 ? "-inf" : "inf");
    for (int prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    char digits[24], *p = e, *o = out;
    size_t nd = 0;
    if (*p == '-')
        *o++ = *p++;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (exp < -4 || exp >= 16) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, nd - 1);
            o += nd - 1;
        }
        return (size_t)(o - out) + (size_t)snprintf(o, 8, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    }
    if (exp < 0) {
        memcpy(o, "0.", 2);
        o += 2;
        for (int z = -1; z > exp; z--)
            *o++ = '0';
        memcpy(o, digits, nd);
        return (size_t)(o + nd - out);
    }
    for (int k = 0; k <= exp; k++)
        *o++ = (size_t)k < nd ? digits[k] : '0';
    *o++ = '.';
    if ((size_t)exp + 1 >= nd)
        *o++ = '0';
    else
        for (size_t k = (size_t)exp + 1; k < nd; k++)
            *o++ = digits[k];
    return (size_t)(o - out);
}

/* Ratings take few distinct values: remember the text of the last ones. */
#define MEMO_SLOTS 64
struct rpi_rating_memo {
    uint64_t bits[MEMO_SLOTS];
    uint8_t len[MEMO_SLOTS], used[MEMO_SLOTS];
    char text[MEMO_SLOTS][RPI_PYFLOAT_MAX];
};
typedef struct rpi_rating_memo rating_memo;

static const char *rating_text(rating_memo *m, double v, size_t *len)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    size_t k = (size_t)((b * 0x9E3779B97F4A7C15ull) >> 58);
    if (!m->used[k] || m->bits[k] != b) {
        m->bits[k] = b;
        m->len[k] = (uint8_t)rpi_pyfloat(v, m->text[k]);
        m->used[k] = 1;
    }
    *len = m->len[k];
    return m->text[k];
}

/* v in decimal at out (<= 20 bytes, no NUL); faster than snprintf, which
 * showed in profiles of the az23 files (one timestamp per line). */
static size_t i64_text(int64_t v, char *out)
{
    char tmp[24];
    size_t n = 0, k = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        out[k++] = '-';
    while (n > 0)
        out[k++] = tmp[--n];
    return k;
}

/* ---- building ---------------------------------------------------------------- */

typedef struct azctx {
    rp_split *s;
    const rp_dataset *ds;
    uint8_t *first; /* rows surviving the common filters (user order) */
    uint8_t *keep;  /* after the pair dedup (the k-core: kc, select_rows) */
    uint64_t *ilen; /* [kept rows]: prefix sums of item-ID lengths per user */
    rating_memo memo;
} azctx;

/* The common filters, then the dedup of pairs into keep, then the k-core
 * into kc: a row is kept when keep has it and, after a k-core, its user and
 * item are kept (group_rows walks only kept users, so it tests the item). */
static rp_status select_rows(azctx *a, rp_kcore *kc)
{
    rp_split *s = a->s;
    const rp_dataset *ds = a->ds;
    uint32_t n_alive;
    uint64_t dup;
    rp_status rc = rpi_filter_rows(s, &a->first, &n_alive);
    a->keep = rpi_alloc_big((size_t)ds->n_rows + 1, 1);
    if (rc != RP_OK || a->keep == NULL)
        return RP_ERR_NOMEM;
    if (a->first)
        memcpy(a->keep, a->first, ds->n_rows);
    else
        memset(a->keep, 1, ds->n_rows);
    if (rpi_dedup_rows(ds, a->keep, 0, &dup) != RP_OK)
        return RP_ERR_NOMEM;
    if (s->p.user_k == 0) /* k = 0: no k-core */
        return RP_OK;
    rc = rp_kcore_run(ds, a->keep, s->p.user_k, s->p.item_k, kc);
    return rc == RP_OK ? rpi_split_take_rounds(s, kc) : rc;
}

/* The two cuts of the user whose rows are rows[0..len). */
static void cut_user(const azctx *a, const uint32_t *rows, uint32_t len, uint32_t *cut)
{
    const rp_split *s = a->s;
    if (s->p.method == RP_METHOD_AZ23_LAST_OUT) {
        cut[0] = len >= 2 ? len - 2 : 0;
        cut[1] = len >= 1 ? len - 1 : 0;
        return;
    }
    /* t * 1000 < v (the times are ms) as t < ceil(v / 1000): no overflow
     * for any stored second */
    int sec = a->ds->ts_unit != RP_TS_MILLIS;
    int64_t val = sec ? s->p.val_time / 1000 + (s->p.val_time % 1000 > 0) : s->p.val_time;
    int64_t test = sec ? s->p.test_time / 1000 + (s->p.test_time % 1000 > 0) : s->p.test_time;
    uint32_t j = 0;
    while (j < len && rpi_ts(a->ds, rows[j]) < val)
        j++;
    cut[0] = j;
    while (j < len && rpi_ts(a->ds, rows[j]) < test)
        j++;
    cut[1] = j;
}

/* Start fetching row r's item and time. */
static inline void prefetch_item_time(const rp_dataset *ds, uint32_t r)
{
    __builtin_prefetch(&ds->item[r]);
    if (ds->ts32)
        __builtin_prefetch(&ds->ts32[r]);
    else
        __builtin_prefetch(&ds->ts[r]);
}

/* Cursors ahead of group_rows's walk (walk.h): the far one fetches a row's
 * flag, item and time, the near one its item's kept flag - random reads
 * each, a user's rows lying anywhere in the log. */
static inline void group_ahead(const azctx *a, const uint8_t *ikept, rpi_walk *far, rpi_walk *near)
{
    const rp_dataset *ds = a->ds;
    uint32_t r;
    if (rpi_walk_next(far, &r)) {
        __builtin_prefetch(&a->keep[r]);
        prefetch_item_time(ds, r);
    }
    if (rpi_walk_next(near, &r) && ikept != NULL)
        __builtin_prefetch(&ikept[ds->item[r]]);
}

/* Users in order, their kept rows by time, cuts and split counts. */
static rp_status group_rows(azctx *a, const rp_kcore *kc)
{
    rp_split *s = a->s;
    const rp_dataset *ds = a->ds;
    uint32_t want_n = s->p.user_k ? kc->users : 0;
    uint32_t *order = malloc(((size_t)(want_n ? want_n : ds->n_users) + 1) * sizeof *order);
    uint8_t *want = s->p.user_k ? kc->user_kept : NULL, *ikept = s->p.user_k ? kc->item_kept : NULL;
    if (!order ||
        rpi_users_by_first_row(ds, a->first, 0xFF, want, want_n, order, &s->n_users) != RP_OK) {
        free(order);
        return RP_ERR_NOMEM;
    }
    s->user_dense = order;
    s->row_off = malloc(((size_t)s->n_users + 1) * sizeof *s->row_off);
    s->cut = malloc(((size_t)s->n_users * 2 + 1) * sizeof *s->cut);
    s->rows = rpi_alloc_big((size_t)ds->n_rows + 1, sizeof *s->rows);
    if (!s->row_off || !s->cut || !s->rows)
        return RP_ERR_NOMEM;
    uint32_t n = 0;
    s->row_off[0] = 0;
    rpi_walk far, near;
    rpi_walk_ahead(&far, &near, order, NULL, NULL, 0, s->n_users, ds->user_off, ds->user_rows_tp);
    for (uint32_t k = 0; k < s->n_users; k++) {
        uint32_t u = order[k];
        for (uint32_t p = ds->user_off[u]; p < ds->user_off[u + 1]; p++) {
            group_ahead(a, ikept, &far, &near);
            uint32_t r = ds->user_rows_tp[p];
            if (a->keep[r] && (ikept == NULL || ikept[ds->item[r]]))
                s->rows[n++] = r;
        }
        s->row_off[k + 1] = n;
        uint32_t *c = &s->cut[2 * k], len = n - s->row_off[k];
        cut_user(a, s->rows + s->row_off[k], len, c);
        s->n_train += c[0];
        s->n_val += c[1] - c[0];
        s->n_test += len - c[1];
    }
    s->interactions = n;
    /* to the kept rows: a cached result holds only those */
    (void)rpi_shrink((void **)&s->rows, (size_t)n + 1, sizeof *s->rows);
    return RP_OK;
}

/* The distinct items of the kept rows, without a k-core (k = 0; with one
 * they are its kept items: each has item_k kept rows of kept users, and
 * group_rows keeps exactly those rows). s->rows is grouped by user, so
 * item[] is read at random: fetched D2 rows ahead, and the item's seen flag
 * D1 ahead (100M-row generated log: a third of az23's own samples waited
 * here without). */
static rp_status count_items(rp_split *s)
{
    enum { D1 = 32, D2 = 64 };
    const rp_dataset *ds = s->ds;
    uint8_t *seen = calloc((size_t)ds->n_items + 1, 1);
    if (!seen)
        return RP_ERR_NOMEM;
    for (uint32_t k = 0; k < s->interactions; k++) {
        if ((uint64_t)k + D2 < s->interactions)
            __builtin_prefetch(&ds->item[s->rows[k + D2]]);
        if ((uint64_t)k + D1 < s->interactions)
            __builtin_prefetch(&seen[ds->item[s->rows[k + D1]]], 1);
        uint32_t i = ds->item[s->rows[k]];
        s->n_items += !seen[i];
        seen[i] = 1;
    }
    free(seen);
    return RP_OK;
}

/* Start fetching what the line of row g (global index in s->rows) will
 * need, by stage: 0 its columns, 1 (those in cache) its item's offsets, 2
 * its item's bytes. A user's rows are spread over the whole log: without
 * this each line waits on five dependent cache misses (rating_only.csv of
 * the 2M log, k=5: 341 MB/s, ~117 ns a line, without; 913 MB/s with). */
static void prefetch_row(const rp_split *s, uint32_t g, int stage)
{
    const rp_dataset *ds = s->ds;
    if (g >= s->interactions)
        return;
    uint32_t r = s->rows[g];
    if (stage > 0) {
        rp_intern_prefetch_idx(ds->item_ids, ds->item[r], stage);
        return;
    }
    prefetch_item_time(ds, r);
    if (ds->rating8)
        __builtin_prefetch(&ds->rating8[r]);
    else
        __builtin_prefetch(&ds->rating[r]);
}

/* The three stages a few lines ahead of row g of user u in file f: rows
 * ahead in a file of every row of each user, the first row of users ahead
 * in a validation or test file (a row or a few per user). */
enum { AHEAD_COLS = 16, AHEAD_OFF = 8, AHEAD_BYTES = 4 };

/* ---- sizes --------------------------------------------------------------------- */

/* Decimal digits of v, with its '-': from the bit length (log10 2 ~
 * 1233 / 4096), one table compare correcting it. The loop dividing by 10
 * it replaces was a chain of 9 multiplies for each row's timestamp, ~10% of
 * the az23 split's own samples on the 100M-row generated log. */
static size_t i64_digits(int64_t v)
{
    static const uint64_t pow10[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};
    /* u | 1 has u's digits (10^k, k > 0, is even) and is never 0 */
    uint64_t u = (v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v) | 1;
    unsigned t = ((64u - (unsigned)__builtin_clzll(u)) * 1233u) >> 12; /* <= 19 */
    return (size_t)(t + 1 - (u < pow10[t])) + (v < 0);
}

/* Bytes of "user,item,rating,ts" of row r, its user's and item's ID
 * lengths known (the user's is looked up once per user, not per row). */
static uint64_t row_bytes(azctx *a, uint32_t r, size_t ul, size_t il)
{
    size_t rl;
    rating_text(&a->memo, rpi_rating(a->ds, r), &rl);
    return ul + il + rl + i64_digits(rpi_ts(a->ds, r)) + 3;
}

/* Bytes of the items of rows [from, to) of one user joined by ' '. */
static uint64_t items_bytes(const uint64_t *cum, uint32_t from, uint32_t to)
{
    return to > from ? cum[to] - cum[from] + (to - from - 1) : 0;
}

/* Add row j (of a user's rows, split part) to the four files it is in:
 * rating_only.csv, {part}.csv, {part}.w_his.csv and, with a history,
 * {part}.inter (F_* above). */
static void count_row(azctx *a, const uint64_t *cum, size_t ul, uint32_t r, uint32_t j, int part)
{
    rp_split *s = a->s;
    uint64_t rb = row_bytes(a, r, ul, cum[j + 1] - cum[j]), m = s->p.max_len;
    rpi_file *all = &s->files[F_ALL], *csv = &s->files[F_CSV + part];
    rpi_file *whis = &s->files[F_WHIS + part];
    all->lines++;
    all->bytes += rb + 1;
    csv->lines++;
    csv->bytes += rb + 1;
    whis->lines++;
    whis->bytes += rb + 1 + items_bytes(cum, 0, j) + 1;
    if (j > 0) {
        uint32_t from = j > m ? j - (uint32_t)m : 0;
        rpi_file *inter = &s->files[F_INTER + part];
        inter->lines++;
        inter->bytes += ul + 1 + items_bytes(cum, from, j) + 1 + (cum[j + 1] - cum[j]) + 1;
    }
}

static rp_status count_files(azctx *a)
{
    rp_split *s = a->s;
    const rp_dataset *ds = a->ds;
    uint32_t longest = 0;
    for (uint32_t k = 0; k < s->n_users; k++)
        longest = s->row_off[k + 1] - s->row_off[k] > longest ? s->row_off[k + 1] - s->row_off[k]
                                                              : longest;
    uint64_t *cum = malloc(((size_t)longest + 1) * sizeof *cum);
    if (!cum)
        return RP_ERR_NOMEM;
    for (size_t f = 0; f < s->recipe->n_files; f++)
        if (s->files[f].kind == RPI_AZ_INTER) {
            s->files[f].lines = 1;
            s->files[f].bytes = sizeof INTER_HEADER; /* with its '\n' */
        }
    for (uint32_t k = 0; k < s->n_users; k++) {
        const uint32_t *rows = s->rows + s->row_off[k];
        uint32_t len = s->row_off[k + 1] - s->row_off[k];
        size_t ul;
        rp_dataset_user_raw(ds, s->user_dense[k], &ul);
        cum[0] = 0;
        for (uint32_t j = 0; j < len; j++) {
            uint32_t g = s->row_off[k] + j; /* this row's columns were fetched ahead */
            prefetch_row(s, g + AHEAD_COLS, 0);
            prefetch_row(s, g + AHEAD_OFF, 1);
            size_t il;
            rp_dataset_item_raw(ds, ds->item[rows[j]], &il);
            cum[j + 1] = cum[j] + il;
        }
        for (uint32_t j = 0; j < len; j++)
            count_row(a, cum, ul, rows[j], j,
                      j < s->cut[2 * k]       ? 0
                      : j < s->cut[2 * k + 1] ? 1
                                              : 2);
    }
    free(cum);
    return RP_OK;
}

static void set_files(rp_split *s)
{
    rpi_split_file_set(s, F_ALL, RPI_AZ_ROWS, 3);
    for (int part = 0; part < 3; part++) {
        rpi_split_file_set(s, F_CSV + (size_t)part, RPI_AZ_ROWS, part);
        rpi_split_file_set(s, F_WHIS + (size_t)part, RPI_AZ_WHIS, part);
        rpi_split_file_set(s, F_INTER + (size_t)part, RPI_AZ_INTER, part);
    }
}

rp_status rpi_split_az23(rp_split *s, rp_error *err)
{
    azctx *a = calloc(1, sizeof *a);
    rp_kcore kc;
    memset(&kc, 0, sizeof kc);
    (void)err;
    if (!a)
        return RP_ERR_NOMEM;
    a->s = s;
    a->ds = s->ds;
    set_files(s);
    rp_status rc = select_rows(a, &kc);
    if (rc == RP_OK)
        rc = group_rows(a, &kc);
    if (rc == RP_OK && s->p.user_k != 0)
        s->n_items = kc.items; /* each kept item has kept rows of kept users */
    else if (rc == RP_OK)
        rc = count_items(s); /* k = 0: every item with a row left */
    if (rc == RP_OK)
        rc = count_files(a);
    free(a->first);
    free(a->keep);
    free(a);
    rp_kcore_cleanup(&kc);
    return rc;
}

/* ---- rendering ----------------------------------------------------------------- */

/* Append n bytes to *buf at *len, growing it. 0 ok, -1 OOM. */
static int put(char **buf, size_t *cap, size_t *len, const char *src, size_t n)
{
    if (rpi_reserve((void **)buf, cap, *len + n, 1) != 0)
        return -1;
    memcpy(*buf + *len, src, n);
    *len += n;
    return 0;
}

/* Make st's history text cover rows [0, j) of user st->user: extended
 * item by item while the cursor walks a user's rows (j only grows; next_row
 * empties it for the next user), so a user's lines cost O(their bytes)
 * instead of re-rendering every history. */
static int history_to(const rp_split *s, rpi_az_state *st, const uint32_t *rows, uint32_t j)
{
    const rp_dataset *ds = s->ds;
    if (rpi_reserve((void **)&st->hend, &st->hend_cap, j, sizeof *st->hend) != 0)
        return -1;
    for (; st->hist_n < j; st->hist_n++) {
        size_t il;
        const char *item = rp_dataset_item_raw(ds, ds->item[rows[st->hist_n]], &il);
        if ((st->hist_n > 0 && put(&st->hist, &st->hist_cap, &st->hist_len, " ", 1)) ||
            put(&st->hist, &st->hist_cap, &st->hist_len, item, il))
            return -1;
        st->hend[st->hist_n] = (uint32_t)st->hist_len;
    }
    return 0;
}

/* Where the history text of items [from, j) starts (history_to(j) done,
 * j > from), and its length. */
static size_t history_span(const rpi_az_state *st, uint32_t from, uint32_t j, size_t *n)
{
    size_t a = from == 0 ? 0 : st->hend[from - 1] + 1;
    *n = st->hend[j - 1] - a;
    return a;
}

static void prefetch_ahead(const rp_split *s, const rpi_file *f, uint32_t u, uint32_t g)
{
    static const uint32_t ahead[3] = {AHEAD_COLS, AHEAD_OFF, AHEAD_BYTES};
    if (f->part == 0 || f->part == 3) {
        for (int k = 0; k < 3; k++)
            prefetch_row(s, g + ahead[k], k);
        return;
    }
    for (int k = 0; k < 3; k++) {
        uint32_t v = u + ahead[k] / 2; /* users ahead, each a line or more */
        if (v < s->n_users)
            prefetch_row(s, s->row_off[v] + s->cut[2 * v + f->part - 1], k);
    }
}

/* n bytes of src at o (src may be NULL when n is 0: an empty history). */
static char *copy(char *o, const char *src, size_t n)
{
    if (n > 0)
        memcpy(o, src, n);
    return o + n;
}

/* Move st to the next row of file f (a row of its split, with a history for
 * .inter files). 1 = there is one, 0 = end. */
static int next_row(const rp_split *s, const rpi_file *f, rpi_az_state *st)
{
    for (; st->user < s->n_users; st->user++, st->pos = 0, st->hist_n = 0, st->hist_len = 0) {
        uint32_t len = s->row_off[st->user + 1] - s->row_off[st->user];
        const uint32_t *c = &s->cut[2 * st->user];
        uint32_t lo = f->part == 3 || f->part == 0 ? 0 : c[f->part - 1];
        uint32_t hi = f->part == 3 || f->part == 2 ? len : c[f->part];
        if (st->pos < lo)
            st->pos = lo;
        if (f->kind == RPI_AZ_INTER && st->pos == 0)
            st->pos = 1;
        if (st->pos < hi)
            return 1;
    }
    return 0;
}

/* Each line is sized first and its buffer grown once, then written with
 * plain copies (a growth check per piece showed in profiles). */
int rpi_az23_line(const rp_split *s, const rpi_file *f, rpi_az_state *st, char **buf, size_t *cap,
                  size_t *len)
{
    const rp_dataset *ds = s->ds;
    *len = 0;
    if (f->kind == RPI_AZ_INTER && !st->header_done) {
        st->header_done = 1;
        return put(buf, cap, len, INTER_HEADER, sizeof INTER_HEADER - 1) ? -1 : 1;
    }
    if (!next_row(s, f, st))
        return 0;
    const uint32_t *rows = s->rows + s->row_off[st->user];
    uint32_t j = st->pos++, r = rows[j];
    prefetch_ahead(s, f, st->user, s->row_off[st->user] + j);
    if (st->memo == NULL && (st->memo = calloc(1, sizeof(rating_memo))) == NULL)
        return -1;
    if (st->uraw_of != st->user + 1) { /* the user's raw ID, once per user */
        st->uraw = rp_dataset_user_raw(ds, s->user_dense[st->user], &st->ulen);
        st->uraw_of = st->user + 1;
    }
    if (f->kind != RPI_AZ_ROWS && history_to(s, st, rows, j) != 0)
        return -1;
    size_t il, hl = 0, ha = 0;
    const char *item = rp_dataset_item_raw(ds, ds->item[r], &il);
    if (f->kind == RPI_AZ_INTER) {
        uint32_t m = s->p.max_len, from = j > m ? j - m : 0;
        ha = history_span(st, from, j, &hl);
        if (rpi_reserve((void **)buf, cap, st->ulen + hl + il + 2, 1) != 0)
            return -1;
        char *o = copy(*buf, st->uraw, st->ulen);
        *o++ = '\t';
        o = copy(o, st->hist + ha, hl);
        *o++ = '\t';
        o = copy(o, item, il);
        *len = (size_t)(o - *buf);
        return 1;
    }
    /* "user,item,rating,timestamp" and, in w_his files, ",history" */
    size_t rl;
    const char *rating = rating_text(st->memo, rpi_rating(ds, r), &rl);
    if (f->kind == RPI_AZ_WHIS && j > 0)
        ha = history_span(st, 0, j, &hl);
    if (rpi_reserve((void **)buf, cap, st->ulen + il + rl + 24 + 4 + hl, 1) != 0)
        return -1;
    char *o = copy(*buf, st->uraw, st->ulen);
    *o++ = ',';
    o = copy(o, item, il);
    *o++ = ',';
    o = copy(o, rating, rl);
    *o++ = ',';
    o += i64_text(rpi_ts(ds, r), o);
    if (f->kind == RPI_AZ_WHIS) {
        *o++ = ',';
        o = copy(o, st->hist + ha, hl);
    }
    *len = (size_t)(o - *buf);
    return 1;
}

void rpi_az_state_cleanup(rpi_az_state *st)
{
    free(st->memo);
    free(st->hist);
    free(st->hend);
    memset(st, 0, sizeof *st);
}
