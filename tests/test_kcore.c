/* Check suite for core/kcore.c: exact traces, equivalence with a literal
 * reimplementation of the notebook's rounds, pathological shapes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_impl.h"
#include "kcore_impl.h"
#include "walk.h"
#include "recprep/kcore.h"
#include "check_run.h"

/* A dataset from integer user/item numbers (names "u<n>", "i<n>"). */
static rp_dataset *make_ints(const uint32_t *u, const uint32_t *i, const int64_t *ts, uint32_t n)
{
    char **un = malloc(n * sizeof *un), **in = malloc(n * sizeof *in);
    int64_t *t = malloc(n * sizeof *t);
    ck_assert(un && in && t);
    for (uint32_t r = 0; r < n; r++) {
        un[r] = malloc(16);
        in[r] = malloc(16);
        snprintf(un[r], 16, "u%u", u[r]);
        snprintf(in[r], 16, "i%u", i[r]);
        t[r] = ts ? ts[r] : (int64_t)r;
    }
    rp_dataset *ds = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_dataset_from_rows((const char *const *)un, (const char *const *)in, t, NULL,
                                          n, &ds, &err),
                     RP_OK);
    for (uint32_t r = 0; r < n; r++) {
        free(un[r]);
        free(in[r]);
    }
    free(un);
    free(in);
    free(t);
    return ds;
}

/* The notebook's kcore(), statement by statement: every round filters the
 * surviving user histories by this round's good items and item histories by
 * this round's good users, and recounts everything. O(E * rounds). */
typedef struct naive {
    uint8_t *ukept, *ikept;
    rp_kcore_round rounds[4096];
    size_t n_rounds;
} naive;

static void naive_kcore(const rp_dataset *ds, const uint8_t *mask, uint32_t uk, uint32_t ik,
                        naive *out)
{
    uint32_t n = ds->n_rows;
    uint8_t *ualive = malloc(n + 1), *ialive = malloc(n + 1);
    uint32_t *uc = calloc(ds->n_users + 1, 4), *ic = calloc(ds->n_items + 1, 4);
    out->ukept = calloc(ds->n_users + 1, 1);
    out->ikept = calloc(ds->n_items + 1, 1);
    for (uint32_t r = 0; r < n; r++)
        ualive[r] = ialive[r] = mask == NULL || mask[r];
    rp_kcore_round old = {0, 0};
    out->n_rounds = 0;
    for (;;) {
        memset(uc, 0, (ds->n_users + 1) * 4);
        memset(ic, 0, (ds->n_items + 1) * 4);
        for (uint32_t r = 0; r < n; r++) {
            uc[ds->user[r]] += ualive[r];
            ic[ds->item[r]] += ialive[r];
        }
        rp_kcore_round cur = {0, 0};
        for (uint32_t u = 0; u < ds->n_users; u++)
            cur.users += (out->ukept[u] = uc[u] >= uk);
        for (uint32_t i = 0; i < ds->n_items; i++)
            cur.items += (out->ikept[i] = ic[i] >= ik);
        for (uint32_t r = 0; r < n; r++) {
            ualive[r] &= out->ikept[ds->item[r]];
            ialive[r] &= out->ukept[ds->user[r]];
        }
        ck_assert_uint_lt(out->n_rounds, 4096);
        out->rounds[out->n_rounds++] = cur;
        if (cur.users == old.users && cur.items == old.items)
            break;
        old = cur;
    }
    free(ualive);
    free(ialive);
    free(uc);
    free(ic);
}

/* The k-core of ds against the naive one, counting either way (kcore.c
 * switches to CSR walks on big logs only; csr_min_rows 0 forces them) and on
 * one thread or two (par_min_rows 0 forces two). */
static void check_same_mode(const rp_dataset *ds, const uint8_t *mask, uint32_t uk, uint32_t ik,
                            uint32_t csr_min_rows, uint32_t par_min_rows)
{
    naive nv;
    rp_kcore kc;
    naive_kcore(ds, mask, uk, ik, &nv);
    ck_assert_int_eq(rpi_kcore_run(ds, mask, 0xFF, uk, ik, csr_min_rows, par_min_rows, &kc), RP_OK);
    ck_assert_uint_eq(kc.n_rounds, nv.n_rounds);
    for (size_t r = 0; r < kc.n_rounds; r++) {
        ck_assert_uint_eq(kc.rounds[r].users, nv.rounds[r].users);
        ck_assert_uint_eq(kc.rounds[r].items, nv.rounds[r].items);
    }
    ck_assert_int_eq(memcmp(kc.user_kept, nv.ukept, ds->n_users), 0);
    ck_assert_int_eq(memcmp(kc.item_kept, nv.ikept, ds->n_items), 0);
    uint32_t inter = 0;
    for (uint32_t r = 0; r < ds->n_rows; r++)
        inter += (!mask || mask[r]) && nv.ukept[ds->user[r]] && nv.ikept[ds->item[r]];
    ck_assert_uint_eq(kc.interactions, inter);
    if (mask != NULL) {
        /* The same rows selected by one bit of a byte code (the temporal
         * split's parts): rows outside the mask get other bits or none. */
        uint8_t *code = malloc((size_t)ds->n_rows + 1);
        rp_kcore kb;
        for (uint32_t r = 0; r < ds->n_rows; r++)
            code[r] = mask[r] ? (uint8_t)(1 | (r % 3 ? 0 : 8)) : (uint8_t)(r % 3 * 2);
        ck_assert_int_eq(rpi_kcore_run(ds, code, 1, uk, ik, csr_min_rows, par_min_rows, &kb),
                         RP_OK);
        ck_assert_uint_eq(kb.n_rounds, kc.n_rounds);
        ck_assert_int_eq(memcmp(kb.rounds, kc.rounds, kc.n_rounds * sizeof *kc.rounds), 0);
        ck_assert_int_eq(memcmp(kb.user_kept, kc.user_kept, ds->n_users), 0);
        ck_assert_int_eq(memcmp(kb.item_kept, kc.item_kept, ds->n_items), 0);
        ck_assert_uint_eq(kb.interactions, kc.interactions);
        rp_kcore_cleanup(&kb);
        free(code);
    }
    free(nv.ukept);
    free(nv.ikept);
    rp_kcore_cleanup(&kc);
}

static void check_same(const rp_dataset *ds, const uint8_t *mask, uint32_t uk, uint32_t ik)
{
    check_same_mode(ds, mask, uk, ik, UINT32_MAX, UINT32_MAX);
    check_same_mode(ds, mask, uk, ik, 0, UINT32_MAX);
    check_same_mode(ds, mask, uk, ik, UINT32_MAX, 0);
    check_same_mode(ds, mask, uk, ik, 0, 0);
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

START_TEST(matches_naive_on_random_data)
{
    uint64_t seed = 12345 + (uint64_t)_i;
    uint32_t n = 50 + rnd(&seed) % 3000, nu = 1 + rnd(&seed) % 400, ni = 1 + rnd(&seed) % 300;
    uint32_t *u = malloc(n * 4), *i = malloc(n * 4);
    uint8_t *mask = malloc(n);
    for (uint32_t r = 0; r < n; r++) {
        /* skewed draws: some heavy users/items, many light ones */
        u[r] = rnd(&seed) % (1 + rnd(&seed) % nu);
        i[r] = rnd(&seed) % (1 + rnd(&seed) % ni);
        mask[r] = rnd(&seed) % 4 != 0;
    }
    rp_dataset *ds = make_ints(u, i, NULL, n);
    for (uint32_t uk = 1; uk <= 6; uk += 1 + (uint32_t)_i % 2)
        for (uint32_t ik = 1; ik <= 6; ik += 2) {
            check_same(ds, NULL, uk, ik);
            check_same(ds, mask, uk, ik);
        }
    rp_dataset_unref(ds);
    free(u);
    free(i);
    free(mask);
}
END_TEST

/* Sparse logs where round 1 drops most users: large segments take the
 * sequential-scan path of kcore.c instead of the CSR walks. */
START_TEST(matches_naive_on_sparse_logs)
{
    uint64_t seed = 777 + (uint64_t)_i;
    uint32_t n = 30000, nu = 12000, ni = 3000;
    uint32_t *u = malloc(n * 4), *i = malloc(n * 4);
    uint8_t *mask = malloc(n);
    for (uint32_t r = 0; r < n; r++) {
        u[r] = rnd(&seed) % (1 + rnd(&seed) % nu);
        i[r] = rnd(&seed) % (1 + rnd(&seed) % ni);
        mask[r] = rnd(&seed) % 5 != 0;
    }
    rp_dataset *ds = make_ints(u, i, NULL, n);
    for (uint32_t k = 2; k <= 4; k++) {
        check_same(ds, NULL, k, k);
        check_same(ds, mask, k, k + 1);
    }
    rp_dataset_unref(ds);
    free(u);
    free(i);
    free(mask);
}
END_TEST

/* Logs shaped like review logs: most users have one row, a few hundred many
 * - so that few users can reach k and kcore.c keeps counters for those
 * candidates only (compact counters) - with and without a row mask. */
START_TEST(matches_naive_with_few_candidates)
{
    uint64_t seed = 4242 + (uint64_t)_i;
    uint32_t n = 20000, heavy = 300 + rnd(&seed) % 400, ni = 500 + rnd(&seed) % 2000, fresh = 0;
    uint32_t *u = malloc(n * 4), *i = malloc(n * 4);
    uint8_t *mask = malloc(n);
    for (uint32_t r = 0; r < n; r++) {
        /* user ids below `heavy` are the heavy users, the rest appear once or twice */
        if (rnd(&seed) % 10 < 7)
            u[r] = heavy + (rnd(&seed) % 8 == 0 && fresh > 0 ? fresh - 1 : fresh++);
        else
            u[r] = rnd(&seed) % heavy;
        i[r] = rnd(&seed) % (1 + rnd(&seed) % ni);
        mask[r] = rnd(&seed) % 5 != 0;
    }
    rp_dataset *ds = make_ints(u, i, NULL, n);
    for (uint32_t k = 2; k <= 6; k += 2) {
        check_same(ds, NULL, k, k);
        check_same(ds, mask, k, k - 1);
    }
    rp_dataset_unref(ds);
    free(u);
    free(i);
    free(mask);
}
END_TEST

/* Round 1 drops 20000 one-row users (most rows) and every item but 50, and
 * the 2000 users left own few rows: the recount of round 2 walks only the
 * kept ones' rows (the CSR path, forced by check_same), and must see that
 * half of each kept user's rows lost their item - they all drop in round 2. */
START_TEST(recount_through_csr_walks)
{
    enum { LIGHT = 20000, HEAVY = 2000, SHARED = 50 };
    uint32_t n = LIGHT + HEAVY * 6, r = 0, next_item = SHARED;
    uint32_t *u = malloc(n * 4), *i = malloc(n * 4);
    for (uint32_t k = 0; k < LIGHT; k++, r++)
        u[r] = k, i[r] = next_item++;
    for (uint32_t h = 0; h < HEAVY; h++)
        for (uint32_t k = 0; k < 6; k++, r++)
            u[r] = LIGHT + h, i[r] = k < 3 ? (h * 3 + k) % SHARED : next_item++;
    rp_dataset *ds = make_ints(u, i, NULL, n);
    check_same(ds, NULL, 5, 5);
    rp_kcore kc;
    ck_assert_int_eq(rpi_kcore_run(ds, NULL, 0xFF, 5, 5, 0, UINT32_MAX, &kc), RP_OK);
    ck_assert_uint_eq(kc.rounds[0].users, HEAVY);
    ck_assert_uint_eq(kc.users, 0);
    rp_kcore_cleanup(&kc);
    rp_dataset_unref(ds);
    free(u);
    free(i);
}
END_TEST

/* Hand-checked: with k=2 user a has 3 rows, b 2, c 1; items x(a,a,b) y(a,c) z(b).
 * Round 1: users {a,b} (c has 1), items {x,y} (z has 1) -> (2,2).
 * Round 2: a: rows with x,y = 3 -> kept; b: x only = 1 -> dropped; x: users a,a,b
 * kept in round 1 = 3; y: a only (c dropped) = 1 -> dropped -> (1,1).
 * Round 3: a: x,x = 2 kept; x: a,a = 2 kept -> (1,1) repeats: stop. */
START_TEST(hand_checked_trace)
{
    uint32_t u[] = {0, 0, 1, 0, 2, 1};
    uint32_t i[] = {0, 0, 0, 1, 1, 2};
    rp_dataset *ds = make_ints(u, i, NULL, 6);
    rp_kcore kc;
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 2, 2, &kc), RP_OK);
    ck_assert_uint_eq(kc.n_rounds, 3);
    uint32_t want[3][2] = {{2, 2}, {1, 1}, {1, 1}};
    for (int r = 0; r < 3; r++) {
        ck_assert_uint_eq(kc.rounds[r].users, want[r][0]);
        ck_assert_uint_eq(kc.rounds[r].items, want[r][1]);
    }
    ck_assert_uint_eq(kc.users, 1);
    ck_assert(kc.user_kept[0] && !kc.user_kept[1] && !kc.user_kept[2]);
    ck_assert(kc.item_kept[0] && !kc.item_kept[1] && !kc.item_kept[2]);
    ck_assert_uint_eq(kc.interactions, 2);
    rp_kcore_cleanup(&kc);
    rp_dataset_unref(ds);
}
END_TEST

/* The JSON answer carries the thresholds, the counts and the exact trace of
 * the hand-checked case above. */
START_TEST(json_answer)
{
    uint32_t u[] = {0, 0, 1, 0, 2, 1};
    uint32_t i[] = {0, 0, 0, 1, 1, 2};
    rp_dataset *ds = make_ints(u, i, NULL, 6);
    rp_kcore kc;
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 2, 2, &kc), RP_OK);
    json_t *j = rp_kcore_to_json(&kc, 2, 3);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "params"), "user_k")),
                     2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "params"), "item_k")),
                     3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "users")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "items")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "interactions")), 2);
    char *rounds = json_dumps(json_object_get(j, "rounds"), JSON_COMPACT);
    ck_assert_str_eq(rounds, "[[2,2],[1,1],[1,1]]");
    free(rounds);
    json_decref(j);
    json_t *empty = rp_kcore_rounds_json(NULL, 0);
    ck_assert_uint_eq(json_array_size(empty), 0);
    json_decref(empty);
    rp_kcore_cleanup(&kc);
    rp_dataset_unref(ds);
}
END_TEST

START_TEST(everything_or_nothing)
{
    uint32_t u[] = {0, 0, 1, 1};
    uint32_t i[] = {0, 1, 0, 1};
    rp_dataset *ds = make_ints(u, i, NULL, 4);
    rp_kcore kc;
    /* round 1 keeps all: round 2 repeats it */
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 2, 2, &kc), RP_OK);
    ck_assert_uint_eq(kc.n_rounds, 2);
    ck_assert_uint_eq(kc.rounds[0].users, 2);
    ck_assert_uint_eq(kc.rounds[1].items, 2);
    ck_assert_uint_eq(kc.interactions, 4);
    rp_kcore_cleanup(&kc);
    /* round 1 keeps nothing: it equals the (0,0) before it, trace [(0,0)] */
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 3, 3, &kc), RP_OK);
    ck_assert_uint_eq(kc.n_rounds, 1);
    ck_assert_uint_eq(kc.rounds[0].users, 0);
    ck_assert_uint_eq(kc.rounds[0].items, 0);
    ck_assert_uint_eq(kc.interactions, 0);
    rp_kcore_cleanup(&kc);
    /* users only: (2,0) then (0,0) then (0,0) */
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 2, 3, &kc), RP_OK);
    ck_assert_uint_eq(kc.n_rounds, 3);
    ck_assert_uint_eq(kc.rounds[0].users, 2);
    ck_assert_uint_eq(kc.rounds[0].items, 0);
    ck_assert_uint_eq(kc.rounds[1].users, 0);
    ck_assert_uint_eq(kc.rounds[2].users, 0);
    rp_kcore_cleanup(&kc);
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 0, 3, &kc), RP_ERR_PARAM);
    rp_dataset_unref(ds);
}
END_TEST

/* Only masked rows count; users/items without masked rows are not counted. */
START_TEST(mask_limits_rows)
{
    uint32_t u[] = {0, 0, 1, 1, 2};
    uint32_t i[] = {0, 1, 0, 1, 0};
    uint8_t mask[] = {1, 1, 1, 0, 0};
    rp_dataset *ds = make_ints(u, i, NULL, 5);
    rp_kcore kc;
    ck_assert_int_eq(rp_kcore_run(ds, mask, 1, 1, &kc), RP_OK);
    ck_assert_uint_eq(kc.users, 2); /* user 2 has no masked row */
    ck_assert_uint_eq(kc.items, 2);
    ck_assert_uint_eq(kc.interactions, 3);
    ck_assert(!kc.user_kept[2]);
    rp_kcore_cleanup(&kc);
    rp_dataset_unref(ds);
}
END_TEST

/* Path u0-i0-u1-i1-...: every round peels the two ends, so rounds ~ length.
 * The incremental algorithm must not pay O(E) per round. */
START_TEST(long_peeling_chain)
{
    enum { L = 200000 };
    uint32_t *u = malloc(2 * L * 4), *i = malloc(2 * L * 4);
    for (uint32_t j = 0; j < L; j++) {
        u[2 * j] = j;
        i[2 * j] = j;
        u[2 * j + 1] = j;
        i[2 * j + 1] = j + 1;
    }
    rp_dataset *ds = make_ints(u, i, NULL, 2 * L);
    rp_kcore kc;
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 2, 2, &kc), RP_OK);
    ck_assert_uint_eq(kc.users, 0);
    ck_assert_uint_eq(kc.items, 0);
    ck_assert_uint_gt(kc.n_rounds, L / 2);
    /* counts fall by at most two per side and round */
    for (size_t r = 1; r < kc.n_rounds; r++)
        ck_assert_uint_le(kc.rounds[r - 1].users - kc.rounds[r].users, 2);
    rp_kcore_cleanup(&kc);
    rp_dataset_unref(ds);
    /* a short chain against the naive rounds */
    ds = make_ints(u, i, NULL, 2 * 300);
    check_same(ds, NULL, 2, 2);
    rp_dataset_unref(ds);
    free(u);
    free(i);
}
END_TEST

START_TEST(star_and_duplicates)
{
    enum { N = 1000000 };
    uint32_t *u = calloc(N, 4), *i = malloc(N * 4);
    for (uint32_t r = 0; r < N; r++)
        i[r] = r % 100000; /* one user, 100k items, each 10 times */
    rp_dataset *ds = make_ints(u, i, NULL, N);
    rp_kcore kc;
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 5, 11, &kc), RP_OK);
    ck_assert_uint_eq(kc.n_rounds, 3); /* (1,0) (0,0) (0,0) */
    ck_assert_uint_eq(kc.rounds[0].users, 1);
    ck_assert_uint_eq(kc.rounds[0].items, 0);
    rp_kcore_cleanup(&kc);
    rp_dataset_unref(ds);
    memset(i, 0, N * 4); /* a million duplicates of one pair */
    ds = make_ints(u, i, NULL, N);
    ck_assert_int_eq(rp_kcore_run(ds, NULL, 5, 5, &kc), RP_OK);
    ck_assert_uint_eq(kc.n_rounds, 2);
    ck_assert_uint_eq(kc.users, 1);
    ck_assert_uint_eq(kc.items, 1);
    ck_assert_uint_eq(kc.interactions, N);
    rp_kcore_cleanup(&kc);
    rp_dataset_unref(ds);
    free(u);
    free(i);
}
END_TEST

/* The look-ahead cursor (walk.h) gives exactly the rows of the chosen IDs,
 * in order, across empty rows and IDs not chosen, for each way of choosing:
 * a list, flag bytes, a bitmap (sparse: whole zero words) and every ID. */
/* Review-shaped logs whose heavy users own a small share of the rows, so
 * that kcore.c runs the rounds after round 1 on the subgraph of the kept
 * users and items (sub_rounds): heavy users' rows mix a few popular items
 * (kept) with rare ones (dropped in round 1, so the lists the subgraph copies
 * are shorter than the users' rows and, on two threads, leave a gap between
 * the halves), and the mask drops some rows of each. */
START_TEST(subgraph_rounds)
{
    uint64_t seed = 9001 + (uint64_t)_i;
    uint32_t heavy = 40 + rnd(&seed) % 160, popular = 20 + rnd(&seed) % 60;
    uint32_t n = 8000 + rnd(&seed) % 4000, r = 0, light = 0, rare = popular;
    uint32_t *u = malloc(n * 4), *i = malloc(n * 4);
    uint8_t *mask = malloc(n);
    u[r] = 0; /* the first item (ID 0) is popular, kept: a gap read as a list would count */
    i[r++] = 0;
    while (r < n) {
        if (rnd(&seed) % 40 != 0) { /* a light user's row, a rare item */
            u[r] = heavy + light++;
            i[r++] = rare++;
            continue;
        }
        uint32_t h = rnd(&seed) % heavy, rows = 2 + rnd(&seed) % 9;
        for (uint32_t k = 0; k < rows && r < n; k++, r++) {
            u[r] = h;
            i[r] = rnd(&seed) % 3 == 0 ? rare++ : rnd(&seed) % (1 + rnd(&seed) % popular);
        }
    }
    for (r = 0; r < n; r++)
        mask[r] = rnd(&seed) % 7 != 0;
    rp_dataset *ds = make_ints(u, i, NULL, n);
    for (uint32_t k = 2; k <= 5; k++) {
        check_same(ds, NULL, k, k);
        check_same(ds, mask, k, k - 1);
        check_same(ds, NULL, k + 1, 2);
    }
    rp_dataset_unref(ds);
    free(u);
    free(i);
    free(mask);
}
END_TEST

START_TEST(walk_cursor_rows)
{
    enum { NX = 300, ROWS_MAX = 1000 };
    uint32_t off[NX + 1], rows[ROWS_MAX], list[NX], expect[ROWS_MAX];
    uint8_t flag[NX];
    uint64_t bits[NX / 64 + 1] = {0};
    srand(7 + (unsigned)_i);
    off[0] = 0;
    for (uint32_t x = 0; x < NX; x++)
        off[x + 1] = off[x] + (uint32_t)(rand() % 4); /* 0-3 rows, empty ones too */
    for (uint32_t p = 0; p < off[NX]; p++)
        rows[p] = (uint32_t)rand();
    size_t n_list = 0;
    for (uint32_t x = 0; x < NX; x++) {
        flag[x] = (uint8_t)(x < 130 || x > 250 ? rand() % 5 == 0 : 0);
        if (flag[x]) {
            bits[x / 64] |= (uint64_t)1 << (x % 64);
            list[n_list++] = x;
        }
    }
    ck_assert_uint_gt(n_list, 8);
    for (int mode = 0; mode < 4; mode++) {
        /* list: positions in list[]; else IDs */
        size_t from = mode == 0 ? (size_t)_i : (size_t)(_i * 17);
        size_t to = mode == 0 ? n_list - 1 : NX - (size_t)(_i * 5);
        size_t n = 0;
        for (size_t x = from; x < to; x++) {
            uint32_t id = mode == 0 ? list[x] : (uint32_t)x;
            if ((mode == 1 || mode == 2) && !flag[id])
                continue;
            for (uint32_t p = off[id]; p < off[id + 1]; p++)
                expect[n++] = rows[p];
        }
        rpi_walk w, ahead;
        rpi_walk_init(&w, mode == 0 ? list : NULL, mode == 1 ? flag : NULL, mode == 2 ? bits : NULL,
                      from, to, off, rows);
        ahead = w;
        rpi_walk_skip(&ahead, 3);
        uint32_t r;
        for (size_t k = 0; k < n; k++) {
            ck_assert_msg(rpi_walk_next(&w, &r), "mode %d: ends at %zu of %zu", mode, k, n);
            ck_assert_uint_eq(r, expect[k]);
            if (k + 3 < n) {
                ck_assert(rpi_walk_next(&ahead, &r));
                ck_assert_uint_eq(r, expect[k + 3]);
            }
        }
        ck_assert(!rpi_walk_next(&w, &r));
        ck_assert(!rpi_walk_next(&w, &r)); /* and stays at its end */
        ck_assert(!rpi_walk_next(&ahead, &r));
        rpi_walk far, near; /* the pair starts RPI_WALK_AHEAD and twice that in */
        rpi_walk_ahead(&far, &near, mode == 0 ? list : NULL, mode == 1 ? flag : NULL,
                       mode == 2 ? bits : NULL, from, to, off, rows);
        ck_assert_int_eq(rpi_walk_next(&near, &r), n > RPI_WALK_AHEAD);
        if (n > RPI_WALK_AHEAD)
            ck_assert_uint_eq(r, expect[RPI_WALK_AHEAD]);
        ck_assert_int_eq(rpi_walk_next(&far, &r), n > 2 * RPI_WALK_AHEAD);
        if (n > 2 * RPI_WALK_AHEAD)
            ck_assert_uint_eq(r, expect[2 * RPI_WALK_AHEAD]);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kcore");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, matches_naive_on_random_data, 0, 40);
    tcase_add_loop_test(tc, matches_naive_on_sparse_logs, 0, 3);
    tcase_add_test(tc, hand_checked_trace);
    tcase_add_test(tc, recount_through_csr_walks);
    tcase_add_loop_test(tc, matches_naive_with_few_candidates, 0, 4);
    tcase_add_test(tc, json_answer);
    tcase_add_test(tc, everything_or_nothing);
    tcase_add_test(tc, mask_limits_rows);
    tcase_add_test(tc, long_peeling_chain);
    tcase_add_test(tc, star_and_duplicates);
    tcase_add_loop_test(tc, walk_cursor_rows, 0, 6);
    tcase_add_loop_test(tc, subgraph_rounds, 0, 12);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
