/*
 * core/split.c - the result object of the pipelines: running, sizes, summary.
 *
 * rp_split_run resolves the parameters, dispatches to split_temporal.c or
 * split_full.c and then counts the exact lines and bytes of every file without
 * rendering any: a line "uid i0 .. i(L-1)\n" has digits(uid) + P(L) + 1 bytes
 * where P(L) = sum over the first L items of (1 + digits(item)), so one pass
 * over each user's sequence gives every line's size. Counting is O(n) per file
 * while the files themselves may be O(n * history) bytes, which is why the
 * summary stays cheap and the bytes are produced lazily by the cursor.
 *
 * Invariant: the cursor (cursor.c) produces exactly the lines counted here;
 * tests/test_cursor.c checks the two agree.
 */
#include "split_impl.h"

#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "recprep/kcore.h"

static const char *const TEMPORAL_FILES[] = {"train.txt", "validation.txt", "test.txt", "users.tsv",
                                             "items.tsv"};
static const char *const FULL_FILES[] = {"all.txt", "users.tsv", "items.tsv"};

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
    return f->uid && f->lo && f->hi ? RP_OK : RP_ERR_NOMEM;
}

void rpi_seqfile_add(rpi_seqfile *f, uint32_t uid, uint32_t lo, uint32_t hi)
{
    f->uid[f->n] = uid;
    f->lo[f->n] = lo;
    f->hi[f->n] = hi;
    f->n++;
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

/* cum[seq_off[id-1] + j] = bytes of " i0 .. ij" of user id: P(j+1). */
static uint64_t *prefix_bytes(const rp_split *s)
{
    size_t total = s->seq_off[s->n_users];
    uint64_t *cum = malloc((total + 1) * sizeof *cum);
    if (!cum)
        return NULL;
    for (uint32_t id = 1; id <= s->n_users; id++) {
        uint64_t acc = 0;
        for (uint32_t k = s->seq_off[id - 1]; k < s->seq_off[id]; k++) {
            acc += 1 + rpi_digits(s->seq[k]);
            cum[k] = acc;
        }
    }
    return cum;
}

/* Lines and bytes of one sequence file (see the design note): O(lines). */
static void count_seqfile(const rp_split *s, const uint64_t *cum, rpi_seqfile *f)
{
    f->lines = f->bytes = 0;
    for (uint32_t e = 0; e < f->n; e++) {
        const uint64_t *p = cum + s->seq_off[f->uid[e] - 1];
        uint64_t head = rpi_digits(f->uid[e]) + 1; /* uid and '\n' */
        for (uint32_t len = f->lo[e]; len <= f->hi[e]; len++)
            f->bytes += head + p[len - 1];
        f->lines += f->hi[e] - f->lo[e] + 1;
    }
}

/* "id\traw\n" lines of users.tsv or items.tsv. */
static uint64_t count_tsv(const rp_dataset *ds, const uint32_t *dense, uint32_t n, int items)
{
    uint64_t bytes = 0;
    for (uint32_t id = 1; id <= n; id++) {
        size_t len;
        if (items)
            rp_dataset_item_raw(ds, dense[id - 1], &len);
        else
            rp_dataset_user_raw(ds, dense[id - 1], &len);
        bytes += rpi_digits(id) + 2 + len;
    }
    return bytes;
}

rp_status rpi_split_count(rp_split *s)
{
    uint64_t *cum = prefix_bytes(s);
    if (!cum)
        return RP_ERR_NOMEM;
    for (size_t f = 0; f < s->n_seqfiles; f++)
        count_seqfile(s, cum, &s->files[f]);
    free(cum);
    s->users_bytes = count_tsv(s->ds, s->user_dense, s->n_users, 0);
    s->items_bytes = count_tsv(s->ds, s->item_dense, s->n_items, 1);
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
    if (rp.method == RP_METHOD_FULL)
        rc = rpi_split_full(s, err);
    else
        rc = rpi_split_temporal(s, err);
    if (rc == RP_OK)
        rc = rpi_split_count(s);
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
        free(s->files[f].uid);
        free(s->files[f].lo);
        free(s->files[f].hi);
    }
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
    if (s->p.method == RP_METHOD_FULL) {
        *n = sizeof FULL_FILES / sizeof FULL_FILES[0];
        return FULL_FILES;
    }
    *n = sizeof TEMPORAL_FILES / sizeof TEMPORAL_FILES[0];
    return TEMPORAL_FILES;
}

int rpi_split_file_kind(const rp_split *s, const char *name)
{
    if (name == NULL)
        return RPI_FILE_NONE;
    if (strcmp(name, "users.tsv") == 0)
        return RPI_FILE_USERS;
    if (strcmp(name, "items.tsv") == 0)
        return RPI_FILE_ITEMS;
    size_t n;
    const char *const *names = rp_split_files(s, &n);
    for (size_t f = 0; f < s->n_seqfiles; f++)
        if (strcmp(name, names[f]) == 0)
            return (int)f;
    return RPI_FILE_NONE;
}

rp_status rp_split_file_size(const rp_split *s, const char *name, uint64_t *lines, uint64_t *bytes)
{
    int kind = rpi_split_file_kind(s, name);
    if (kind == RPI_FILE_NONE)
        return RP_ERR_NOT_FOUND;
    if (kind >= 0) {
        *lines = s->files[kind].lines;
        *bytes = s->files[kind].bytes;
    } else {
        *lines = kind == RPI_FILE_USERS ? s->n_users : s->n_items;
        *bytes = kind == RPI_FILE_USERS ? s->users_bytes : s->items_bytes;
    }
    return RP_OK;
}

size_t rp_split_memory(const rp_split *s)
{
    size_t bytes = sizeof *s + s->n_rounds * sizeof *s->rounds;
    bytes += ((size_t)s->n_users * 2 + 1 + s->n_items) * sizeof(uint32_t);
    bytes += (size_t)s->seq_off[s->n_users] * sizeof(uint32_t);
    for (size_t f = 0; f < s->n_seqfiles; f++)
        bytes += ((size_t)s->files[f].n + 1) * 3 * sizeof(uint32_t);
    return bytes;
}

/* json_object_set_new that remembers a failure instead of returning it. */
static void put(json_t *obj, const char *key, json_t *val, int *bad)
{
    if (val == NULL || json_object_set_new(obj, key, val) != 0)
        *bad = 1;
}

static json_t *params_json(const rp_params *p)
{
    json_t *o = json_object();
    int bad = o == NULL;
    if (bad)
        return NULL;
    put(o, "k", p->user_k == p->item_k ? json_integer(p->user_k) : json_null(), &bad);
    put(o, "user_k", json_integer(p->user_k), &bad);
    put(o, "item_k", json_integer(p->item_k), &bad);
    if (p->method == RP_METHOD_TEMPORAL) {
        put(o, "min_len", json_integer(p->min_len), &bad);
        put(o, "val_start", json_real(p->val_start), &bad);
        put(o, "test_start", json_real(p->test_start), &bad);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *files_json(const rp_split *s)
{
    size_t n;
    const char *const *names = rp_split_files(s, &n);
    json_t *o = json_object();
    int bad = o == NULL;
    for (size_t f = 0; !bad && f < n; f++) {
        uint64_t lines = 0, bytes = 0;
        rp_split_file_size(s, names[f], &lines, &bytes);
        put(o, names[f],
            json_pack("{sIsI}", "lines", (json_int_t)lines, "bytes", (json_int_t)bytes), &bad);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *rp_split_summary(const rp_split *s)
{
    json_t *o = json_object();
    int bad = o == NULL;
    if (bad)
        return NULL;
    put(o, "method", json_string(rp_method_name(s->p.method)), &bad);
    put(o, "params", params_json(&s->p), &bad);
    put(o, "users", json_integer(s->n_users), &bad);
    put(o, "items", json_integer(s->n_items), &bad);
    if (s->p.method == RP_METHOD_TEMPORAL) {
        put(o, "interactions",
            json_pack("{sIsIsI}", "train", (json_int_t)s->n_train, "validation",
                      (json_int_t)s->n_val, "test", (json_int_t)s->n_test),
            &bad);
        put(o, "boundaries",
            json_pack("{sIsI}", "validation", (json_int_t)s->b_val, "test", (json_int_t)s->b_test),
            &bad);
    } else {
        put(o, "interactions", json_integer((json_int_t)s->interactions), &bad);
    }
    put(o, "rounds", rp_kcore_rounds_json(s->rounds, s->n_rounds), &bad);
    put(o, "files", files_json(s), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
