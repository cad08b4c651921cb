/*
 * core/split.c - the result object of the recipes: running, sizes, summary.
 *
 * rp_split_run resolves the parameters and calls the recipe table's function
 * (recipe.c), which fills the result and counts the exact lines and bytes of
 * every file without rendering any. For sequence files a line
 * "uid i0 .. i(L-1)\n" has digits(uid) + P(L) + 1 bytes where P(L) = sum over
 * the first L items of (1 + digits(item)), so one pass over each user's
 * sequence gives every line's size, windows cut by max_len included
 * (P(L) - P(L - max_len)). Counting is O(n) per file while the files
 * themselves may be O(n * history) bytes, which is why the summary stays
 * cheap and the bytes are produced lazily by the cursor.
 *
 * Invariant: the cursor (cursor.c) produces exactly the lines counted here;
 * tests/test_cursor.c checks the two agree.
 */
#include "split_impl.h"

#include <stdlib.h>
#include <string.h>

#include "beside.h"
#include "dataset_impl.h"
#include "mem.h"
#include "recprep/kcore.h"

static const char DIGIT_PAIRS[] = "00010203040506070809101112131415161718192021222324252627282930"
                                  "31323334353637383940414243444546474849505152535455565758596061"
                                  "62636465666768697071727374757677787980818283848586878889909192"
                                  "93949596979899";

uint32_t rpi_utoa(uint32_t v, char *dst)
{
    uint32_t n = rpi_digits(v), i = n;
    while (v >= 100) {
        uint32_t q = v / 100, d = (v - q * 100) * 2;
        dst[--i] = DIGIT_PAIRS[d + 1];
        dst[--i] = DIGIT_PAIRS[d];
        v = q;
    }
    if (v >= 10) {
        dst[--i] = DIGIT_PAIRS[v * 2 + 1];
        dst[--i] = DIGIT_PAIRS[v * 2];
    } else {
        dst[--i] = (char)('0' + v);
    }
    return n;
}

rp_status rpi_seqfile_alloc(rpi_seqfile *f, uint32_t cap)
{
    f->uid = malloc(((size_t)cap + 1) * sizeof *f->uid);
    f->lo = malloc(((size_t)cap + 1) * sizeof *f->lo);
    f->hi = malloc(((size_t)cap + 1) * sizeof *f->hi);
    f->cap = cap;
    return f->uid && f->lo && f->hi ? RP_OK : RP_ERR_NOMEM;
}

void rpi_seqfile_fit(rpi_seqfile *f)
{
    size_t n = (size_t)f->n + 1;
    int failed = rpi_shrink((void **)&f->uid, n, sizeof *f->uid) |
                 rpi_shrink((void **)&f->lo, n, sizeof *f->lo) |
                 rpi_shrink((void **)&f->hi, n, sizeof *f->hi);
    if (!failed)
        f->cap = f->n;
}

void rpi_seqfile_add(rpi_seqfile *f, uint32_t uid, uint32_t lo, uint32_t hi)
{
    f->uid[f->n] = uid;
    f->lo[f->n] = lo;
    f->hi[f->n] = hi;
    f->n++;
}

void rpi_split_file_set(rp_split *s, size_t f, rpi_file_kind kind, int part)
{
    s->files[f].kind = kind;
    s->files[f].part = part;
}

rp_status rpi_split_user_files(rp_split *s, rpi_file_kind kind)
{
    rpi_split_file_set(s, 0, kind, 0);
    rpi_split_file_set(s, 1, RPI_TSV_USERS, 0);
    rpi_split_file_set(s, 2, RPI_TSV_ITEMS, 0);
    if (rpi_seqfile_alloc(&s->seqs[0], s->n_users) != RP_OK)
        return RP_ERR_NOMEM;
    for (uint32_t id = 1; id <= s->n_users; id++) {
        uint32_t len = s->seq_off[id] - s->seq_off[id - 1];
        rpi_seqfile_add(&s->seqs[0], id, kind == RPI_SEQ_PAIRS ? 1 : len, len);
    }
    return rpi_split_count(s);
}

rp_status rpi_split_take_rounds(rp_split *s, const rp_kcore *kc)
{
    s->rounds = malloc((kc->n_rounds + 1) * sizeof *s->rounds);
    if (!s->rounds)
        return RP_ERR_NOMEM;
    memcpy(s->rounds, kc->rounds, kc->n_rounds * sizeof *s->rounds);
    s->n_rounds = kc->n_rounds;
    return RP_OK;
}

/* Bytes of " i" for one item. */
static inline uint64_t item_bytes(uint32_t item)
{
    return 1 + rpi_digits(item);
}

/* Lines and bytes of one sequence file (see the design note): each entry's
 * sequence is walked up to its longest line, with P(len) and P(len - m)
 * kept as running sums - O(sequence) per entry, at most one entry per user
 * and file. No array of prefix sums (8 bytes per sequence item: on the 2M
 * log 1.5 MB of fresh memory for every summary, a 4 KiB page fault per 512
 * items, which cost more than walking the sequences again).
 *
 * A file whose entries are not in user-ID order (temporal's validation and
 * test: users by their first row of the part) reads each entry's seq_off
 * and then its sequence at random: two cache misses an entry once a big
 * log's sequences outgrow the cache - on the 100M-row generated log 75% of
 * these counts' samples sat on those two loads. Both are fetched ahead:
 * the offset 2D entries ahead, the sequence's start D ahead. */
static void count_seqfile(const rp_split *s, rpi_file *file)
{
    enum { D = 16 };
    const rpi_seqfile *f = &s->seqs[file->part];
    uint32_t m = s->p.max_len;
    int pairs = file->kind == RPI_SEQ_PAIRS; /* "uid item": the len-th item alone */
    file->lines = file->bytes = 0;
    for (uint32_t e = 0; e < f->n; e++) {
        if (e + 2 * D < f->n)
            __builtin_prefetch(&s->seq_off[f->uid[e + 2 * D] - 1]);
        if (e + D < f->n)
            __builtin_prefetch(&s->seq[s->seq_off[f->uid[e + D] - 1]]);
        const uint32_t *q = s->seq + s->seq_off[f->uid[e] - 1];
        uint64_t head = rpi_digits(f->uid[e]) + 1; /* uid and '\n' */
        uint64_t p = 0, p_m = 0;                   /* P(len), P(len - m) */
        for (uint32_t len = 1; len <= f->hi[e]; len++) {
            uint64_t w = item_bytes(q[len - 1]);
            p += w;
            if (m && len > m)
                p_m += item_bytes(q[len - 1 - m]);
            if (len >= f->lo[e])
                file->bytes += head + (pairs ? w : p - p_m);
        }
        file->lines += f->hi[e] - f->lo[e] + 1;
    }
}

/* "id\traw\n" lines of users.tsv or items.tsv. A raw ID's length is a
 * random read of the interner's offsets, fetched D IDs ahead (100M-row
 * generated log: temporal's counts took 2.7x their 2M-row time a row
 * without). */
static uint64_t count_tsv(const rp_dataset *ds, const uint32_t *dense, uint32_t n, int items)
{
    enum { D = 32 };
    const rp_intern *ids = items ? ds->item_ids : ds->user_ids;
    uint64_t bytes = 0;
    for (uint32_t id = 1; id <= n; id++) {
        if (id + D <= n)
            rp_intern_prefetch_idx(ids, dense[id - 1 + D], 1);
        size_t len;
        rp_intern_get(ids, dense[id - 1], &len);
        bytes += rpi_digits(id) + 2 + len;
    }
    return bytes;
}

/* The files of one group: sequence files (tsv 0) or users.tsv and
 * items.tsv (tsv 1). */
struct count_job {
    rp_split *s;
    int tsv;
};

static void *count_files(void *arg)
{
    const struct count_job *j = arg;
    rp_split *s = j->s;
    for (size_t f = 0; f < s->recipe->n_files; f++) {
        rpi_file *file = &s->files[f];
        if (!j->tsv && (file->kind == RPI_SEQ_PREFIX || file->kind == RPI_SEQ_PAIRS)) {
            count_seqfile(s, file);
        } else if (j->tsv && (file->kind == RPI_TSV_USERS || file->kind == RPI_TSV_ITEMS)) {
            int items = file->kind == RPI_TSV_ITEMS;
            file->lines = items ? s->n_items : s->n_users;
            file->bytes =
                count_tsv(s->ds, items ? s->item_dense : s->user_dense, file->lines, items);
        }
    }
    return NULL;
}

/* From this many kept users and items on, the TSV files are counted on a
 * second thread beside the sequence files: a TSV line's size needs the raw
 * ID's length, a random read in the interner (two cache misses an ID). */
#define COUNT_PAR_MIN_IDS (1u << 15)

rp_status rpi_split_count(rp_split *s)
{
    struct count_job seq = {s, 0}, tsv = {s, 1};
    rpi_beside b;
    rpi_beside_start(&b, count_files, &tsv, (uint64_t)s->n_users + s->n_items >= COUNT_PAR_MIN_IDS);
    count_files(&seq);
    rpi_beside_finish(&b);
    return RP_OK;
}

rp_status rp_split_run(rp_dataset *ds, const rp_params *p, rp_split **out, rp_error *err)
{
    *out = NULL;
    rp_params rp = *p;
    rp_status rc = rp_params_resolve(&rp, err);
    if (rc != RP_OK)
        return rc;
    rp_split *s = calloc(1, sizeof *s);
    if (!s)
        return RP_ERR_NOMEM;
    s->ds = rp_dataset_ref(ds);
    s->p = rp;
    s->recipe = rp_recipe_get(rp.method);
    rc = s->recipe->run(s, err);
    if (rc != RP_OK) {
        rp_split_free(s);
        return rc;
    }
    *out = s;
    return RP_OK;
}

void rp_split_free(rp_split *s)
{
    if (!s)
        return;
    for (size_t f = 0; f < RPI_MAX_SEQFILES; f++) {
        free(s->seqs[f].uid);
        free(s->seqs[f].lo);
        free(s->seqs[f].hi);
    }
    free(s->rows);
    free(s->row_off);
    free(s->cut);
    free(s->rounds);
    free(s->user_dense);
    free(s->item_dense);
    free(s->seq_off);
    free(s->seq);
    rp_dataset_unref(s->ds);
    free(s);
}

const rp_params *rp_split_params(const rp_split *s)
{
    return &s->p;
}

const rp_dataset *rp_split_dataset(const rp_split *s)
{
    return s->ds;
}

const char *const *rp_split_files(const rp_split *s, size_t *n)
{
    *n = s->recipe->n_files;
    return s->recipe->files;
}

int rpi_split_file_index(const rp_split *s, const char *name)
{
    for (size_t f = 0; name != NULL && f < s->recipe->n_files; f++)
        if (strcmp(name, s->recipe->files[f]) == 0)
            return (int)f;
    return -1;
}

rp_status rp_split_file_size(const rp_split *s, const char *name, uint64_t *lines, uint64_t *bytes)
{
    int f = rpi_split_file_index(s, name);
    if (f < 0)
        return RP_ERR_NOT_FOUND;
    *lines = s->files[f].lines;
    *bytes = s->files[f].bytes;
    return RP_OK;
}

size_t rp_split_memory(const rp_split *s)
{
    size_t bytes = sizeof *s + s->n_rounds * sizeof *s->rounds;
    bytes += ((size_t)s->n_users * 2 + 1 + s->n_items) * sizeof(uint32_t);
    bytes += (s->seq_off ? (size_t)s->seq_off[s->n_users] : 0) * sizeof(uint32_t);
    for (size_t f = 0; f < RPI_MAX_SEQFILES; f++)
        bytes += (s->seqs[f].uid ? (size_t)s->seqs[f].cap + 1 : 0) * 3 * sizeof(uint32_t);
    if (s->rows)
        bytes += ((size_t)s->row_off[s->n_users] + (size_t)s->n_users * 3 + 1) * sizeof(uint32_t);
    return bytes;
}

/* json_object_set_new that remembers a failure instead of returning it. */
static void put(json_t *obj, const char *key, json_t *val, int *bad)
{
    if (val == NULL || json_object_set_new(obj, key, val) != 0)
        *bad = 1;
}

static json_t *files_json(const rp_split *s)
{
    json_t *o = json_object();
    int bad = o == NULL;
    for (size_t f = 0; !bad && f < s->recipe->n_files; f++)
        put(o, s->recipe->files[f],
            json_pack("{sIsI}", "lines", (json_int_t)s->files[f].lines, "bytes",
                      (json_int_t)s->files[f].bytes),
            &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *dropped_json(const rpi_dropped *d)
{
    return json_pack("{sIsIsI}", "rows", (json_int_t)d->rows, "user_not_kept",
                     (json_int_t)d->user_not_kept, "item_not_kept", (json_int_t)d->item_not_kept);
}

/* temporal's own fields: interactions per split, boundaries, dropped. */
static void temporal_json(const rp_split *s, json_t *o, int *bad)
{
    put(o, "interactions",
        json_pack("{sIsIsI}", "train", (json_int_t)s->n_train, "validation", (json_int_t)s->n_val,
                  "test", (json_int_t)s->n_test),
        bad);
    put(o, "boundaries",
        s->have_boundaries
            ? json_pack("{sIsI}", "validation", (json_int_t)s->b_val, "test", (json_int_t)s->b_test)
            : json_null(),
        bad);
    put(o, "dropped",
        json_pack("{soso}", "validation", dropped_json(&s->dropped[0]), "test",
                  dropped_json(&s->dropped[1])),
        bad);
}

static json_t *provenance_json(const rp_split *s, const rp_provenance *prov)
{
    char canon[512];
    int n = rp_params_canonical(&s->p, canon, sizeof canon);
    if (n < 0 || (size_t)n >= sizeof canon)
        return NULL;
    return json_pack("{sssIsossso}", "dataset", prov->dataset ? prov->dataset : "", "bytes",
                     (json_int_t)prov->bytes, "sha256",
                     prov->sha256 ? json_string(prov->sha256) : json_null(), "version",
                     rp_version(), "params", json_stringn(canon, (size_t)n));
}

json_t *rp_split_summary(const rp_split *s, const rp_provenance *prov)
{
    json_t *o = json_object();
    int bad = o == NULL;
    if (bad)
        return NULL;
    put(o, "recipe", json_string(s->recipe->name), &bad);
    put(o, "method", json_string(s->recipe->name), &bad);
    put(o, "params", rp_params_to_json(&s->p), &bad);
    put(o, "users", json_integer(s->n_users), &bad);
    put(o, "items", json_integer(s->n_items), &bad);
    if (s->p.method == RP_METHOD_TEMPORAL)
        temporal_json(s, o, &bad);
    else
        put(o, "interactions", json_integer((json_int_t)s->interactions), &bad);
    if (s->p.method == RP_METHOD_AZ23_LAST_OUT || s->p.method == RP_METHOD_AZ23_TIMESTAMP)
        put(o, "splits",
            json_pack("{sIsIsI}", "train", (json_int_t)s->n_train, "valid", (json_int_t)s->n_val,
                      "test", (json_int_t)s->n_test),
            &bad);
    if (s->rounds != NULL)
        put(o, "rounds", rp_kcore_rounds_json(s->rounds, s->n_rounds), &bad);
    put(o, "files", files_json(s), &bad);
    put(o, "filtered",
        json_pack("{sIsIsIsI}", "min_rating", (json_int_t)s->filtered.min_rating, "since",
                  (json_int_t)s->filtered.since, "until", (json_int_t)s->filtered.until, "dedup",
                  (json_int_t)s->filtered.dedup),
        &bad);
    if (prov != NULL)
        put(o, "provenance", provenance_json(s, prov), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

const char *rp_version(void)
{
    return RECPREP_VERSION;
}

const char *rp_method_name(rp_method m)
{
    const rp_recipe *r = rp_recipe_get(m);
    return r ? r->name : "?";
}

rp_status rp_method_from_name(const char *name, rp_method *out)
{
    const rp_recipe *r = name ? rp_recipe_find(name, strlen(name)) : NULL;
    if (r == NULL)
        return RP_ERR_PARAM;
    *out = r->method;
    return RP_OK;
}
