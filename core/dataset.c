/*
 * core/dataset.c - an immutable dataset and its indexes.
 *
 * Loaders append rows to an rpi_builder (builder.c); rpi_builder_finish hands
 * the columns to rpi_dataset_adopt, which seals the interners, fingerprints
 * the content and builds the indexes every pipeline needs:
 *
 *   time order   the rows' times in whole seconds, in order (the contract's
 *                temporal/full compare seconds even for millisecond input),
 *                on keys (ts - ts_min) / f, f the times' common factor. When
 *                the keys take at most 2^16 values (a log in whole days:
 *                13 bits) the order is the number of rows below each key, a
 *                counting pass: what the pipelines ask of it is the time at
 *                a rank (rpi_time_at, rpi_times_at), never which row. Else
 *                by_time, the rows stably sorted: an LSD radix sort of
 *                (key, row) pairs in the fewest passes of <= 16-bit digits;
 *                passes whose digit is constant are skipped. O(n * passes),
 *                passes <= 4 and 2 for any log spanning under 34 years in
 *                seconds; stable by construction, so ties keep file order
 *                as the contract requires.
 *   user CSR     each user's rows in file order (a counting sort, which
 *                carries each row's timestamp along), and
 *                again in time order (seconds; for millisecond data a third
 *                time at ms precision, which the other recipes order by):
 *                each user's rows sorted by time, O(n) for the short
 *                histories that dominate;
 *   item CSR     each item's rows in file order. Counting sorts, O(n + U + I).
 *
 * Two threads share the work; see build_indexes.
 *
 * Rejected: qsort on rows (not stable, O(n log n) with an indirect compare that
 * costs ~10x the radix sort on 2M rows); building indexes per request (the
 * server would redo O(n) work for every new parameter set).
 *
 * After finish nothing is written again, so readers need no locks; only the
 * reference count is atomic.
 */
#include "dataset_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "beside.h"
#include "bytes.h"
#include "mem.h"
#include "radix.h"
#include "recprep/intern.h"

#define PARALLEL_MIN_ROWS 65536u /* below this a thread costs more than it saves */

/* ---- fingerprint ------------------------------------------------------- */

/* A word-at-a-time multiply-xorshift mix: not cryptographic, only a content
 * identity for ETags and cache keys; stable across machines (little-endian
 * reads are done bytewise). */
static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

/* The length, then each 8 bytes and the 0-7 last as little-endian words;
 * a string of 8 bytes or more reads its last ones with one load ending at
 * its end (the bytes before shifted out). */
static uint64_t mix_bytes(uint64_t h, const void *p, size_t len)
{
    const unsigned char *s = p;
    size_t n = len;
    h = mix(h, len);
    for (; n >= 8; s += 8, n -= 8)
        h = mix(h, rpi_le64(s));
    uint64_t w = 0;
    if (n > 0 && len >= 8)
        w = rpi_le64(s + n - 8) >> (64 - 8 * n);
    else
        for (size_t k = n; k > 0; k--)
            w = (w << 8) | s[k - 1];
    return mix(h, w);
}

/* The fingerprint is two halves hashed apart, so that the index build can
 * run them on its two threads (build_indexes): the IDs' strings, which
 * need the sealed interners, and the rows, which need only the columns.
 * Both hash in four interleaved lanes (string or row k in lane k % 4),
 * whose mixes do not wait on one another: a single chain of dependent
 * multiplies took ~1 s of the 100M-row log's indexing for the rows, and
 * 140-160 ms of the 20M-row log's for the strings (11.9M users), the
 * longer of the index build's two first steps. */
static uint64_t ids_hash(const rp_intern *in, uint32_t n, uint64_t h)
{
    uint64_t lane[4] = {h, h + 1, h + 2, h + 3};
    for (uint32_t k = 0; k < n; k++) {
        size_t len;
        const char *s = rp_intern_get(in, k, &len);
        lane[k % 4] = mix_bytes(lane[k % 4], s, len);
    }
    return mix(mix(mix(lane[0], lane[1]), lane[2]), lane[3]);
}

static uint64_t fingerprint_ids(const rp_dataset *ds)
{
    uint64_t h = mix(0x7265637072657000ull, (uint64_t)ds->format);
    h = mix(h, ds->n_rows);
    return ids_hash(ds->item_ids, ds->n_items, ids_hash(ds->user_ids, ds->n_users, h));
}

static uint64_t row_word(const rp_dataset *ds, uint32_t r)
{
    return ((uint64_t)ds->user[r] << 32 | ds->item[r]) ^ (uint64_t)rpi_ts(ds, r) * 31u;
}

static uint64_t fingerprint_rows(const rp_dataset *ds)
{
    uint64_t h[4] = {1, 2, 3, 4};
    uint32_t n = ds->n_rows, r = 0;
    for (; r + 4 <= n; r += 4)
        for (int k = 0; k < 4; k++)
            h[k] = mix(h[k], row_word(ds, r + (uint32_t)k));
    for (; r < n; r++)
        h[0] = mix(h[0], row_word(ds, r));
    return mix(mix(mix(h[0], h[1]), h[2]), h[3]);
}

/* ---- indexes ----------------------------------------------------------- */

#define RADIX_MAX_BITS 16 /* a 512 KiB count array still sits in L2 */

/* Row r's sort key: whole seconds, or the input's precision. */
static int64_t sort_key(const rp_dataset *ds, uint32_t r, int precise)
{
    return precise ? rpi_ts(ds, r) : rpi_ts_sec(ds, r);
}

/* The sort's keys: (key - lo) / factor, factor the largest power of two
 * and a probable odd factor that divide every key - lo: logs in whole days
 * or minutes (Amazon 2014 and 2018 reviews are days) then sort on 13 bits
 * instead of 29, in one pass instead of two. Dividing by a common factor
 * keeps the order and the ties, so the sort's result is the same. The
 * factor's odd part is guessed from the first rows and checked on every
 * row by multiplying with its inverse (exact division's test); a guess
 * that fails leaves the power of two alone. Generated logs (days), the
 * sort alone on its thread: 2M rows 42-85 -> 26-31 ms, 100M rows 3.4 ->
 * 1.2 s. */
typedef struct keymap {
    int64_t lo;
    unsigned shift;
    uint64_t odd, inv; /* the odd factor and its inverse mod 2^64 (1: none) */
    uint64_t top;      /* the largest key */
    unsigned bits;     /* of the largest key */
} keymap;

/* Time t's key: (t - lo) >> shift divided by the odd factor, an exact
 * division by its inverse. */
static inline uint64_t map_key(int64_t t, int64_t lo, unsigned shift, uint64_t inv)
{
    return (((uint64_t)t - (uint64_t)lo) >> shift) * inv;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* x's inverse mod 2^64, x odd (Newton's iteration: each step doubles the
 * correct low bits, from 3 for x * x == 1 mod 8). */
static uint64_t inverse64(uint64_t x)
{
    uint64_t y = x;
    for (int k = 0; k < 5; k++)
        y *= 2 - x * y;
    return y;
}

#define FACTOR_SAMPLE 4096u

/* |a - b| without overflow (times span the whole int64 range in tests). */
static uint64_t distance(int64_t a, int64_t b)
{
    return a < b ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
}

static void key_map(const rp_dataset *ds, int precise, keymap *km)
{
    uint32_t n = ds->n_rows;
    int64_t first = sort_key(ds, 0, precise), min = first, max = first;
    /* the odd factor: a guess from the first rows, checked on every row */
    uint64_t g = 0;
    for (uint32_t r = 1; r < n && r < FACTOR_SAMPLE; r++)
        g = gcd64(distance(sort_key(ds, r, precise), first), g);
    uint64_t odd = g ? g >> __builtin_ctzll(g) : 1, inv = inverse64(odd), lim = UINT64_MAX / odd;
    uint64_t any = 0; /* the differences' bits, or-ed */
    int divides = 1;
    for (uint32_t r = 1; r < n; r++) {
        int64_t t = sort_key(ds, r, precise);
        min = t < min ? t : min;
        max = t > max ? t : max;
        uint64_t d = distance(t, first);
        any |= d;
        divides &= d * inv <= lim;
    }
    km->lo = min;
    km->shift = any ? (unsigned)__builtin_ctzll(any) : 0;
    km->odd = divides ? odd : 1;
    km->inv = divides ? inv : 1;
    uint64_t top = map_key(max, min, km->shift, km->inv);
    km->top = top;
    unsigned bits = 0;
    while (bits < 64 && (top >> bits) != 0)
        bits++;
    km->bits = bits;
}

/* Second t's key in the time order of a dataset whose keys are counted
 * (time_before). */
static inline uint32_t counted_key(const rp_dataset *ds, int64_t t)
{
    return (uint32_t)map_key(t, ds->time_lo, ds->time_shift, ds->time_inv);
}

/* One LSD radix sort: the digits' histograms (one sweep for all of them),
 * key buffers (32-bit when the range allows: it nearly always does), the
 * rows' second buffer. */
typedef struct radix {
    const rp_dataset *ds;
    int precise, narrow;
    keymap km;
    unsigned digit;
    size_t radix;
    size_t *count; /* [passes][radix], histograms, then bucket starts */
    void *key[2];
} radix;

static inline uint64_t first_key(const radix *rx, uint32_t r)
{
    return map_key(sort_key(rx->ds, r, rx->precise), rx->km.lo, rx->km.shift, rx->km.inv);
}

static inline uint64_t load_key(const radix *rx, const void *k, uint32_t j)
{
    return rx->narrow ? ((const uint32_t *)k)[j] : ((const uint64_t *)k)[j];
}

static inline void store_key(const radix *rx, void *k, size_t j, uint64_t v)
{
    if (rx->narrow)
        ((uint32_t *)k)[j] = (uint32_t)v;
    else
        ((uint64_t *)k)[j] = v;
}

/* One stable scatter on pass p's digit: from the rows' own order (t = 0:
 * keys read from the timestamps) or from (ksrc, rsrc), into rdst and, unless
 * this is the last pass, kdst. */
static void radix_scatter(const radix *rx, unsigned p, int t, const void *ksrc,
                          const uint32_t *rsrc, void *kdst, uint32_t *rdst)
{
    uint32_t n = rx->ds->n_rows;
    size_t *start = rx->count + (size_t)p * rx->radix, mask = rx->radix - 1;
    unsigned shift = p * rx->digit;
    if (t == 0) {
        for (uint32_t r = 0; r < n; r++) {
            uint64_t k = first_key(rx, r);
            size_t pos = start[(k >> shift) & mask]++;
            rdst[pos] = r;
            if (kdst != NULL)
                store_key(rx, kdst, pos, k);
        }
        return;
    }
    for (uint32_t j = 0; j < n; j++) {
        uint64_t k = load_key(rx, ksrc, j);
        size_t pos = start[(k >> shift) & mask]++;
        rdst[pos] = rsrc[j];
        if (kdst != NULL)
            store_key(rx, kdst, pos, k);
    }
}

/* Stable LSD radix sort of rows by time into out (whole seconds, or the
 * input's precision), in the fewest passes of at most 16 bits with the bits
 * spread evenly over them: a 29-bit range (14 years of seconds or days) takes
 * 2 passes of 15 bits. A digit that is the same for every row is skipped.
 *
 * Memory: rows ping-pong between out and rows_tmp (an index array the caller
 * fills later, so free to use now); the first pass reads the keys from the
 * timestamps and the last writes none, so the usual two passes need one key
 * buffer: 4 bytes a row of scratch, where copying keys and rows in and out
 * of double buffers took 12. */
static rp_status sort_by_time(const rp_dataset *ds, int precise, const keymap *km, uint32_t *out,
                              uint32_t *rows_tmp)
{
    uint32_t n = ds->n_rows;
    radix rx = {.ds = ds, .precise = precise, .km = *km};
    unsigned bits = rx.km.bits;
    unsigned passes = (bits + RADIX_MAX_BITS - 1) / RADIX_MAX_BITS;
    rx.digit = passes ? (bits + passes - 1) / passes : 1;
    rx.radix = (size_t)1 << rx.digit;
    rx.narrow = bits <= 32;
    rx.count = calloc(passes ? passes : 1, sizeof(size_t) << rx.digit);
    if (rx.count == NULL)
        return RP_ERR_NOMEM;
    size_t mask = rx.radix - 1;
    for (uint32_t r = 0; r < n; r++) {
        uint64_t k = first_key(&rx, r);
        for (unsigned p = 0; p < passes; p++)
            rx.count[(size_t)p * rx.radix + ((k >> (p * rx.digit)) & mask)]++;
    }
    unsigned live[4]; /* passes whose digit varies (64 bits: 4 at most) */
    unsigned nlive = rpi_radix_starts(rx.count, passes, rx.radix, live);
    rp_status st = RP_ERR_NOMEM;
    size_t ksz = rx.narrow ? sizeof(uint32_t) : sizeof(uint64_t);
    for (unsigned b = 0; b < 2 && b + 1 < nlive; b++)
        rx.key[b] = rpi_alloc_big(n, ksz);
    if ((nlive > 1 && rx.key[0] == NULL) || (nlive > 2 && rx.key[1] == NULL))
        goto done;
    if (nlive == 0) {
        for (uint32_t r = 0; r < n; r++)
            out[r] = r;
    }
    /* Pass t writes its rows where the last pass ends in out. */
    const uint32_t *rsrc = NULL;
    for (unsigned t = 0; t < nlive; t++) {
        uint32_t *rdst = (nlive - 1 - t) % 2 == 0 ? out : rows_tmp;
        void *kdst = t + 1 < nlive ? rx.key[t % 2] : NULL;
        const void *ksrc = t > 0 ? rx.key[(t - 1) % 2] : NULL;
        radix_scatter(&rx, live[t], (int)t, ksrc, rsrc, kdst, rdst);
        rsrc = rdst;
    }
    st = RP_OK;
done:
    free(rx.key[0]), free(rx.key[1]), free(rx.count);
    return st;
}

/* Counting sort: off[k]..off[k+1] in rows[] are the rows of key k, in file
 * order; when carry is given, carried[] gets carry[r] where rows[] gets r
 * (a column read in order now, so that a later pass over the CSR reads it
 * in order too). Each row costs a random read-modify-write of off[] and a
 * random write to rows[] - cache misses once a big log's offsets outgrow
 * the cache - so both loops prefetch: the count D rows ahead; the scatter
 * the offset of the row 2D ahead, the rows[] slot of the row D ahead. For
 * many keys, csr_partitioned does the same with fewer misses. */
static void csr_direct(uint32_t n, const uint32_t *keycol, uint32_t nkeys, uint32_t *off,
                       uint32_t *rows, const uint32_t *carry, uint32_t *carried)
{
    enum { D = 16 };
    memset(off, 0, sizeof *off * ((size_t)nkeys + 1));
    for (uint32_t r = 0; r < n; r++) {
        if (r + D < n)
            __builtin_prefetch(&off[keycol[r + D] + 1], 1);
        off[keycol[r] + 1]++;
    }
    for (uint32_t k = 0; k < nkeys; k++)
        off[k + 1] += off[k];
    /* off[k] is used as a cursor, then restored by shifting back. */
    for (uint32_t r = 0; r < n; r++) {
        if ((uint64_t)r + 2 * D < n)
            __builtin_prefetch(&off[keycol[r + 2 * D]], 1);
        if (r + D < n) {
            uint32_t ahead = off[keycol[r + D]];
            __builtin_prefetch(&rows[ahead], 1);
            if (carry != NULL)
                __builtin_prefetch(&carried[ahead], 1);
        }
        uint32_t pos = off[keycol[r]]++;
        rows[pos] = r;
        if (carry != NULL)
            carried[pos] = carry[r];
    }
    for (uint32_t k = nkeys; k > 0; k--)
        off[k] = off[k - 1];
    off[0] = 0;
}

/* A bucket's nk keys from their counts (cnt[k + 1]: key k's rows): each
 * key's offset, its rows starting at lo, into off[0..nk); cnt[k] becomes
 * key k's first place in the bucket. */
static void bucket_offsets(uint32_t *off, uint32_t lo, uint32_t *cnt, uint32_t nk)
{
    for (uint32_t k = 0; k < nk; k++) {
        off[k] = lo + cnt[k];
        cnt[k + 1] += cnt[k];
    }
}

/* The same CSR in two steps, for many keys (a big log's users): rows first
 * go to buckets of 2^s consecutive keys, about part_rows rows each, in file
 * order (a write stream per bucket, no random access); then each bucket is
 * counting-sorted by key in scratch memory that stays in the cache. A row
 * costs one random read (its key, in the bucket's step) where csr_direct
 * costs two random read-modify-writes of off[] and two random writes. A
 * bucket too big for the scratch (over max(part_rows, n / 16) rows: a few
 * keys owning most of the log) is filled by two scans of the whole key
 * column instead, so the scratch stays under 12 bytes a row / 16 and at
 * most 16 buckets scan. Figures at CSR_PART_MIN_KEYS. -1 when out of
 * memory (nothing done). */
static int csr_partitioned(uint32_t n, const uint32_t *keycol, uint32_t nkeys, uint32_t *off,
                           uint32_t *rows, const uint32_t *carry, uint32_t *carried,
                           uint32_t part_rows)
{
    enum { D = 32 };
    unsigned sh = 0;
    while (sh < 30 && ((uint64_t)n << (sh + 1)) <= (uint64_t)part_rows * nkeys)
        sh++;
    uint32_t nb = (uint32_t)(((uint64_t)nkeys + (1u << sh) - 1) >> sh);
    uint32_t *start = calloc((size_t)nb + 1, sizeof *start), *cur = malloc(nb * sizeof *cur);
    uint32_t biggest = 0, limit = n / 16 > part_rows ? n / 16 : part_rows;
    if (start != NULL && cur != NULL) {
        for (uint32_t r = 0; r < n; r++)
            start[(keycol[r] >> sh) + 1]++;
        for (uint32_t b = 0; b < nb; b++) {
            biggest = start[b + 1] > biggest && start[b + 1] <= limit ? start[b + 1] : biggest;
            start[b + 1] += start[b];
        }
    }
    size_t words = carry ? 3 : 2; /* a row's key, row and carried value in the scratch */
    uint32_t *scratch = start && cur ? rpi_alloc_big((size_t)biggest * words + 1, 4) : NULL;
    uint32_t *cnt = scratch ? malloc(((size_t)1 << sh) * sizeof *cnt + sizeof *cnt) : NULL;
    if (cnt == NULL) {
        free(start), free(cur), free(scratch);
        return -1;
    }
    memcpy(cur, start, nb * sizeof *cur);
    for (uint32_t r = 0; r < n; r++) {
        uint32_t p = cur[keycol[r] >> sh]++;
        rows[p] = r;
        if (carry != NULL)
            carried[p] = carry[r];
    }
    for (uint32_t b = 0; b < nb; b++) {
        uint32_t lo = start[b], m = start[b + 1] - lo, k0 = b << sh;
        uint32_t nk = nkeys - k0 < (1u << sh) ? nkeys - k0 : 1u << sh;
        memset(cnt, 0, ((size_t)nk + 1) * sizeof *cnt);
        if (m > biggest) { /* two scans of the key column */
            for (uint32_t r = 0; r < n; r++)
                if (keycol[r] - k0 < nk)
                    cnt[keycol[r] - k0 + 1]++;
            bucket_offsets(off + k0, lo, cnt, nk);
            for (uint32_t r = 0; r < n; r++) {
                uint32_t k = keycol[r] - k0;
                if (k < nk) {
                    uint32_t d = lo + cnt[k]++;
                    rows[d] = r;
                    if (carry != NULL)
                        carried[d] = carry[r];
                }
            }
            continue;
        }
        uint32_t *key = scratch, *srow = key + m, *scar = srow + m;
        for (uint32_t i = 0; i < m; i++) {
            if (i + D < m)
                __builtin_prefetch(&keycol[rows[lo + i + D]]);
            key[i] = keycol[rows[lo + i]] - k0;
            cnt[key[i] + 1]++;
        }
        bucket_offsets(off + k0, lo, cnt, nk);
        for (uint32_t i = 0; i < m; i++) {
            uint32_t d = cnt[key[i]]++;
            srow[d] = rows[lo + i];
            if (carry != NULL)
                scar[d] = carried[lo + i];
        }
        memcpy(rows + lo, srow, (size_t)m * sizeof *rows);
        if (carry != NULL)
            memcpy(carried + lo, scar, (size_t)m * sizeof *carried);
    }
    off[nkeys] = n;
    free(start), free(cur), free(scratch), free(cnt);
    return 0;
}

/* The CSR is built partitioned when off[] outgrows a big L3 (CSR_PART_MIN_KEYS
 * keys, 32 MiB) and the keys have few rows each (under CSR_PART_ROWS_PER_KEY
 * on average), so that a key's counter is rarely in the cache when its next
 * row comes. Measured on the generated logs (in-process, one thread, this
 * 2-core EPYC VM, 32 MiB L3), direct -> partitioned, ns a row:
 *   users, 20M rows (11.9M users):   21-31 -> 16-20
 *   users, 100M rows (60M users):    28-35 -> 18-20
 *   users, 2M rows (1.2M users):       9-10 -> 23-26 (off[] fits the L3)
 *   items, 20M rows (2.5M items):         5 -> 6-7
 *   items, 100M rows (12.3M items):       5 -> 7-8 (popular items stay cached) */
#define CSR_PART_MIN_KEYS ((uint32_t)1 << 23)
#define CSR_PART_ROWS_PER_KEY 4u
#define CSR_PART_ROWS ((uint32_t)1 << 17)

void rpi_build_csr(uint32_t n, const uint32_t *keycol, uint32_t nkeys, uint32_t *off,
                   uint32_t *rows, const uint32_t *carry, uint32_t *carried, uint32_t part_rows)
{
    if (part_rows == 0 || nkeys == 0 ||
        csr_partitioned(n, keycol, nkeys, off, rows, carry, carried, part_rows) != 0)
        csr_direct(n, keycol, nkeys, off, rows, carry, carried);
}

static void build_csr(uint32_t n, const uint32_t *keycol, uint32_t nkeys, uint32_t *off,
                      uint32_t *rows, const uint32_t *carry, uint32_t *carried)
{
    int part = nkeys >= CSR_PART_MIN_KEYS && n / CSR_PART_ROWS_PER_KEY < nkeys;
    rpi_build_csr(n, keycol, nkeys, off, rows, carry, carried, part ? CSR_PART_ROWS : 0);
}

/* Each user's rows in time order, from the same rows in file order
 * (user_rows): a stable sort of each user's rows by their second (ties keep
 * file order, as in by_time) or, precise, by their stored timestamp. Users
 * mostly have a few rows: those sort in place by insertion; longer ones
 * (over SHORT) through (key, row) pairs and qsort, the row breaking ties.
 *
 * The keys: when timestamps are 32-bit offsets (nearly always), the user CSR
 * carried each row's offset into user_rows_t (build_csr), so a user's keys
 * are read in order from where its sorted rows then go; otherwise each is a
 * random read of the row's timestamp. The generated logs: 2M rows ~42 ->
 * ~12 ms, 100M rows (60M users) 2.9 -> 0.55 s, on two threads. */
#define SHORT 16u

int rpi_by_time_row(const void *a, const void *b)
{
    const rpi_time_row *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* The key of a row whose timestamp is t: whole seconds, or as stored. */
static int64_t time_key(const rp_dataset *ds, int precise, int64_t t)
{
    return precise ? t : rpi_sec_of(ds, t);
}

/* The timestamp of the i-th of a user's rows: carried (ts32 offsets, see
 * above) or read. */
static int64_t row_ts(const rp_dataset *ds, const uint32_t *carried, const uint32_t *rows,
                      uint32_t i)
{
    return carried ? ds->ts_base + (int64_t)carried[i] : rpi_ts(ds, rows[i]);
}

/* A user's rows[0..len) (ascending) into out in time order; carried: their
 * offsets, or NULL; scratch holds len pairs when len > SHORT. out may be
 * carried. */
static void sort_rows(const rp_dataset *ds, int precise, const uint32_t *rows,
                      const uint32_t *carried, uint32_t len, uint32_t *out, rpi_time_row *scratch)
{
    if (len <= SHORT) {
        int64_t key[SHORT];
        uint32_t row[SHORT];
        for (uint32_t i = 0; i < len; i++) {
            int64_t k = time_key(ds, precise, row_ts(ds, carried, rows, i));
            uint32_t j = i;
            for (; j > 0 && key[j - 1] > k; j--) {
                key[j] = key[j - 1];
                row[j] = row[j - 1];
            }
            key[j] = k;
            row[j] = rows[i];
        }
        memcpy(out, row, len * sizeof *out);
        return;
    }
    for (uint32_t i = 0; i < len; i++)
        scratch[i] = (rpi_time_row){time_key(ds, precise, row_ts(ds, carried, rows, i)), rows[i]};
    qsort(scratch, len, sizeof *scratch, rpi_by_time_row);
    for (uint32_t i = 0; i < len; i++)
        out[i] = scratch[i].row;
}

/* user_rows_t (and user_rows_tp) for users [u0, u1); carried: the rows'
 * offsets were carried into user_rows_t. */
static rp_status users_by_time(rp_dataset *ds, uint32_t u0, uint32_t u1, int carried)
{
    uint32_t longest = 0;
    for (uint32_t u = u0; u < u1; u++) {
        uint32_t len = ds->user_off[u + 1] - ds->user_off[u];
        longest = len > longest ? len : longest;
    }
    rpi_time_row *scratch = longest > SHORT ? malloc((size_t)longest * sizeof *scratch) : NULL;
    if (longest > SHORT && scratch == NULL)
        return RP_ERR_NOMEM;
    int precise = ds->user_rows_tp != ds->user_rows_t;
    for (uint32_t u = u0; u < u1; u++) {
        uint32_t lo = ds->user_off[u], len = ds->user_off[u + 1] - lo;
        const uint32_t *rows = ds->user_rows + lo, *keys = carried ? ds->user_rows_t + lo : NULL;
        if (len == 1) {
            ds->user_rows_t[lo] = ds->user_rows_tp[lo] = rows[0];
            continue;
        }
        /* the precise order first: the seconds' overwrites the carried keys */
        if (precise)
            sort_rows(ds, 1, rows, keys, len, ds->user_rows_tp + lo, scratch);
        sort_rows(ds, 0, rows, keys, len, ds->user_rows_t + lo, scratch);
    }
    free(scratch);
    return RP_OK;
}

/* The indexes are built on two threads in two rounds: (time order, item
 * CSR, the rows' half of the fingerprint) beside (user CSR), the IDs' half
 * of the fingerprint taken by whichever thread is done first - the time
 * order is a sort or a count (16 bits or less), so either side may be the
 * longer: on the 100M-row log (days, counted) the user CSR's side took
 * 2.8 s of round 1 with the IDs' half, the other 1.6 s without it. Then
 * each user's rows in time order from the user CSR, half the rows on each
 * thread. With one CPU or when a thread cannot start, everything runs
 * inline. by_time uses item_rows, filled after it on the same thread, for
 * its scratch, so user_rows_t is free to carry the user CSR's timestamps. */
typedef struct index_job {
    rp_dataset *ds;
    uint32_t u0, u1;    /* the second round's users */
    uint64_t rows_hash; /* the first round's: the rows' half of the fingerprint */
    uint64_t ids_hash;  /* and the IDs' half, by the thread that claimed it */
    atomic_int ids_claimed;
    int fp; /* hash at all (not lazy_fp) */
    rp_status st;
} index_job;

/* The IDs' half of the fingerprint, unless the other thread took it. */
static void ids_unless_taken(index_job *job)
{
    int none = 0;
    if (job->fp && atomic_compare_exchange_strong(&job->ids_claimed, &none, 1))
        job->ids_hash = fingerprint_ids(job->ds);
}

/* Does the user CSR carry the timestamps to users_by_time? */
static int carries(const rp_dataset *ds)
{
    return ds->ts32 != NULL;
}

/* The rows (those with alive[r], or all when alive is NULL) below each
 * counted time key, [time_keys + 1]: one pass in file order. NULL on OOM. */
static uint32_t *count_times(const rp_dataset *ds, const uint8_t *alive)
{
    uint32_t *before = calloc((size_t)ds->time_keys + 1, sizeof *before);
    if (before == NULL)
        return NULL;
    for (uint32_t r = 0; r < ds->n_rows; r++)
        before[counted_key(ds, rpi_ts_sec(ds, r)) + 1] += alive == NULL || alive[r] != 0;
    for (uint32_t k = 0; k < ds->time_keys; k++)
        before[k + 1] += before[k];
    return before;
}

/* The time order (dataset_impl.h): for at most 2^TIME_KEY_BITS keys the
 * rows before each key - a counting pass, where sorting the rows cost the
 * 100M-row generated log (days: 13-bit keys) 1.6-1.9 s and 4 bytes a row
 * for as long as the dataset lives; else by_time, sorted. */
#define TIME_KEY_BITS 16

static rp_status time_order(rp_dataset *ds)
{
    keymap km;
    key_map(ds, 0, &km);
    ds->time_lo = km.lo;
    ds->time_odd = km.odd;
    ds->time_inv = km.inv;
    ds->time_shift = km.shift;
    if (km.bits > TIME_KEY_BITS) {
        ds->by_time = rpi_alloc_big(ds->n_rows, sizeof *ds->by_time);
        return ds->by_time ? sort_by_time(ds, 0, &km, ds->by_time, ds->item_rows) : RP_ERR_NOMEM;
    }
    ds->time_keys = (uint32_t)km.top + 1;
    ds->time_before = count_times(ds, NULL);
    return ds->time_before ? RP_OK : RP_ERR_NOMEM;
}

static void *time_chain(void *arg)
{
    index_job *job = arg;
    rp_dataset *ds = job->ds;
    job->st = time_order(ds);
    if (job->st == RP_OK)
        build_csr(ds->n_rows, ds->item, ds->n_items, ds->item_off, ds->item_rows, NULL, NULL);
    if (job->fp)
        job->rows_hash = fingerprint_rows(ds);
    ids_unless_taken(job);
    return NULL;
}

/* The user CSR, then the IDs' half of the fingerprint unless taken. */
static void file_chain(index_job *job)
{
    rp_dataset *ds = job->ds;
    build_csr(ds->n_rows, ds->user, ds->n_users, ds->user_off, ds->user_rows,
              carries(ds) ? ds->ts32 : NULL, ds->user_rows_t);
    ids_unless_taken(job);
}

static void *users_job(void *arg)
{
    index_job *job = arg;
    job->st = users_by_time(job->ds, job->u0, job->u1, carries(job->ds));
    return NULL;
}

static rp_status build_indexes(rp_dataset *ds, int lazy_fp)
{
    uint32_t n = ds->n_rows;
    ds->user_off = rpi_alloc_big((size_t)ds->n_users + 1, sizeof(uint32_t));
    ds->user_rows = rpi_alloc_big(n, sizeof(uint32_t));
    ds->user_rows_t = rpi_alloc_big(n, sizeof(uint32_t));
    ds->item_off = rpi_alloc_big((size_t)ds->n_items + 1, sizeof(uint32_t));
    ds->item_rows = rpi_alloc_big(n, sizeof(uint32_t));
    ds->user_rows_tp =
        ds->ts_unit == RP_TS_SECONDS ? ds->user_rows_t : rpi_alloc_big(n, sizeof(uint32_t));
    if (!ds->user_off || !ds->user_rows || !ds->user_rows_t || !ds->item_off || !ds->item_rows ||
        !ds->user_rows_tp)
        return RP_ERR_NOMEM;
    int threaded = n >= PARALLEL_MIN_ROWS;
    index_job a = {.ds = ds, .st = RP_OK, .fp = !lazy_fp};
    atomic_init(&a.ids_claimed, 0);
    rpi_beside b;
    rpi_beside_start(&b, time_chain, &a, threaded);
    file_chain(&a);
    rpi_beside_finish(&b);
    if (a.fp) {
        ds->fingerprint = mix(a.ids_hash, a.rows_hash);
        atomic_store_explicit(&ds->fp_ready, 1, memory_order_release);
    }
    if (a.st != RP_OK)
        return a.st;
    /* the users split where half the rows lie before */
    uint32_t lo = 0, hi = ds->n_users;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ds->user_off[mid] < n / 2)
            lo = mid + 1;
        else
            hi = mid;
    }
    index_job second = {.ds = ds, .u0 = lo, .u1 = ds->n_users, .st = RP_OK};
    rpi_beside_start(&b, users_job, &second, threaded);
    rp_status st = users_by_time(ds, 0, lo, carries(ds));
    rpi_beside_finish(&b);
    return st != RP_OK ? st : second.st;
}

/* ---- the time order ------------------------------------------------------ */

/* The key k of a count array (before[k]: rows below key k) with
 * before[k] <= idx < before[k + 1]: the largest k with before[k] <= idx,
 * which has rows (an empty key's next has the same count). */
static uint32_t key_at(const uint32_t *before, uint32_t keys, size_t idx)
{
    uint32_t lo = 0, hi = keys - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (before[mid] <= idx)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static int64_t key_sec(const rp_dataset *ds, uint32_t k)
{
    return (int64_t)((uint64_t)ds->time_lo + (((uint64_t)k * ds->time_odd) << ds->time_shift));
}

int64_t rpi_time_at(const rp_dataset *ds, size_t idx)
{
    if (ds->by_time != NULL)
        return rpi_ts_sec(ds, ds->by_time[idx]);
    return key_sec(ds, key_at(ds->time_before, ds->time_keys, idx));
}

uint32_t rpi_time_run(const rp_dataset *ds, size_t idx)
{
    if (ds->by_time != NULL)
        return 1;
    return ds->time_before[key_at(ds->time_before, ds->time_keys, idx) + 1] - (uint32_t)idx;
}

rp_status rpi_times_at(const rp_dataset *ds, const uint8_t *alive, const size_t *idx, size_t n,
                       int64_t *sec)
{
    if (alive == NULL) {
        for (size_t j = 0; j < n; j++)
            sec[j] = rpi_time_at(ds, idx[j]);
        return RP_OK;
    }
    if (ds->by_time != NULL) { /* one walk of the rows in time order */
        size_t left = n, seen = 0;
        for (uint32_t p = 0; p < ds->n_rows && left > 0; p++) {
            uint32_t r = ds->by_time[p];
            if (!alive[r])
                continue;
            for (size_t j = 0; j < n; j++)
                if (idx[j] == seen) {
                    sec[j] = rpi_ts_sec(ds, r);
                    left--;
                }
            seen++;
        }
        return RP_OK;
    }
    uint32_t *before = count_times(ds, alive); /* the surviving rows' own counts */
    if (before == NULL)
        return RP_ERR_NOMEM;
    for (size_t j = 0; j < n; j++)
        sec[j] = key_sec(ds, key_at(before, ds->time_keys, idx[j]));
    free(before);
    return RP_OK;
}

/* ---- lifecycle --------------------------------------------------------- */

static void dataset_free(rp_dataset *ds)
{
    free(ds->source);
    free(ds->user);
    free(ds->item);
    free(ds->ts);
    free(ds->ts32);
    free(ds->rating8);
    free(ds->rating);
    rp_intern_free(ds->user_ids);
    rp_intern_free(ds->item_ids);
    free(ds->by_time);
    free(ds->time_before);
    free(ds->user_off);
    free(ds->user_rows);
    if (ds->user_rows_tp != ds->user_rows_t)
        free(ds->user_rows_tp);
    free(ds->user_rows_t);
    free(ds->item_off);
    free(ds->item_rows);
    rpi_dups_free(atomic_load(&ds->dups));
    pthread_mutex_destroy(&ds->lazy_mu);
    free(ds);
}

/* ---- compact columns ------------------------------------------------------ */

/* Timestamps become 32-bit offsets in place: element r's new bytes end before
 * wide element r + 1 begins, so a forward pass (through memcpy, no
 * type-based aliasing assumed) is safe; a shrinking realloc gives the tail
 * back. Ratings arrive coded from the builder. */

static void compact_ts(rp_dataset *ds)
{
    uint32_t n = ds->n_rows;
    if (ds->ts == NULL) /* take_columns made them offsets already */
        return;
    int64_t lo = ds->ts[0], hi = lo;
    for (uint32_t r = 1; r < n; r++) {
        lo = ds->ts[r] < lo ? ds->ts[r] : lo;
        hi = ds->ts[r] > hi ? ds->ts[r] : hi;
    }
    if ((uint64_t)hi - (uint64_t)lo > UINT32_MAX)
        return;
    unsigned char *mem = (unsigned char *)ds->ts;
    for (uint32_t r = 0; r < n; r++) {
        int64_t t;
        memcpy(&t, mem + (size_t)r * 8, 8);
        uint32_t d = (uint32_t)((uint64_t)t - (uint64_t)lo);
        memcpy(mem + (size_t)r * 4, &d, 4);
    }
    (void)rpi_shrink((void **)&mem, n, 4);
    ds->ts32 = (uint32_t *)(void *)mem;
    ds->ts_base = lo;
    ds->ts = NULL;
}

/* Move the builder's columns and interners into ds. RP_OK, or RP_ERR_NOMEM
 * when an interner cannot be indexed (its columns are ds's all the same). */
static rp_status take_columns(rp_dataset *ds, rpi_builder *b)
{
    ds->n_rows = b->n;
    ds->ts_unit = b->ts_unit;
    ds->user = b->user, ds->item = b->item, ds->ts = b->ts;
    if (b->tsd != NULL) { /* differences from the first row's: offsets from the least, in place */
        int32_t min = b->tsd[0];
        for (uint32_t r = 1; r < b->n; r++)
            min = b->tsd[r] < min ? b->tsd[r] : min;
        uint32_t *off = (uint32_t *)b->tsd; /* same size; signed and unsigned may alias */
        for (uint32_t r = 0; r < b->n; r++)
            off[r] = (uint32_t)((int64_t)b->tsd[r] - min);
        ds->ts32 = off;
        ds->ts_base = b->ts_first + min;
        b->tsd = NULL;
    }
    ds->rating = b->rating, ds->rating8 = b->rating8; /* one of them: builder.c */
    memcpy(ds->rating_dict, b->rdict, sizeof ds->rating_dict);
    b->user = b->item = NULL, b->ts = NULL, b->rating = NULL, b->rating8 = NULL;
    ds->user_ids = b->users, ds->item_ids = b->items;
    b->users = b->items = NULL;
    ds->n_users = rp_intern_count(ds->user_ids);
    ds->n_items = rp_intern_count(ds->item_ids);
    rp_status st = rp_intern_seal(ds->user_ids);
    return st == RP_OK ? rp_intern_seal(ds->item_ids) : st;
}

rp_status rpi_dataset_adopt(rpi_builder *b, rp_format fmt, const char *source, rp_dataset **out,
                            rp_error *err)
{
    *out = NULL;
    rp_dataset *ds = calloc(1, sizeof *ds);
    if (!ds || !(ds->source = strdup(source ? source : ""))) {
        free(ds);
        rpi_builder_cleanup(b);
        rp_error_set(err, source, 0, 0, "out of memory");
        return RP_ERR_NOMEM;
    }
    atomic_init(&ds->refs, 1u);
    atomic_init(&ds->dups, NULL);
    pthread_mutex_init(&ds->lazy_mu, NULL);
    atomic_init(&ds->fp_ready, 0);
    ds->format = fmt;
    int lazy_fp = b->lazy_fp;
    rp_status st = take_columns(ds, b);
    rpi_builder_cleanup(b);
    if (st == RP_OK) {
        compact_ts(ds);
        st = build_indexes(ds, lazy_fp);
    }
    if (st != RP_OK) {
        dataset_free(ds);
        rp_error_set(err, source, 0, 0, "out of memory while indexing");
        return st;
    }
    *out = ds;
    return RP_OK;
}

rp_dataset *rp_dataset_ref(rp_dataset *ds)
{
    atomic_fetch_add_explicit(&ds->refs, 1u, memory_order_relaxed);
    return ds;
}

void rp_dataset_unref(rp_dataset *ds)
{
    if (ds && atomic_fetch_sub_explicit(&ds->refs, 1u, memory_order_acq_rel) == 1u)
        dataset_free(ds);
}

uint32_t rp_dataset_rows(const rp_dataset *ds)
{
    return ds->n_rows;
}
uint32_t rp_dataset_users(const rp_dataset *ds)
{
    return ds->n_users;
}
uint32_t rp_dataset_items(const rp_dataset *ds)
{
    return ds->n_items;
}
rp_format rp_dataset_format(const rp_dataset *ds)
{
    return ds->format;
}
rp_ts_unit rp_dataset_ts_unit(const rp_dataset *ds)
{
    return ds->ts_unit;
}
const char *rp_dataset_source(const rp_dataset *ds)
{
    return ds->source;
}
uint64_t rp_dataset_fingerprint(const rp_dataset *cds)
{
    /* hashed at load, or here once (lazy_fingerprint) under the lock of the
     * lazily built indexes, then read without it */
    rp_dataset *ds = (rp_dataset *)cds;
    if (atomic_load_explicit(&ds->fp_ready, memory_order_acquire))
        return ds->fingerprint;
    pthread_mutex_lock(&ds->lazy_mu);
    if (!atomic_load_explicit(&ds->fp_ready, memory_order_relaxed)) {
        ds->fingerprint = mix(fingerprint_ids(ds), fingerprint_rows(ds));
        atomic_store_explicit(&ds->fp_ready, 1, memory_order_release);
    }
    pthread_mutex_unlock(&ds->lazy_mu);
    return ds->fingerprint;
}

const char *rp_dataset_user_raw(const rp_dataset *ds, uint32_t idx, size_t *len)
{
    return rp_intern_get(ds->user_ids, idx, len);
}

const char *rp_dataset_item_raw(const rp_dataset *ds, uint32_t idx, size_t *len)
{
    return rp_intern_get(ds->item_ids, idx, len);
}
