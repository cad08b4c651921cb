/*
 * tests/server/test_cache.c - single-flight LRU result cache (server/cache.c).
 * Results here carry only JSON bytes (no split), so the cache logic is
 * tested without running a pipeline.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "../check_run.h"

static atomic_int computations;

struct job {
    size_t bytes;   /* size of the JSON body to produce */
    int sleep_ms;   /* make the computation slow */
    rp_status fail; /* return this instead of RP_OK */
    int transient;  /* mark the result transient (computed for replaced data) */
    int partial;    /* mark the JSON body partial */
};

static rp_status compute(void *arg, struct srv_result *out, rp_error *err)
{
    const struct job *j = arg;
    atomic_fetch_add(&computations, 1);
    if (j->sleep_ms > 0) {
        struct timespec ts = {0, j->sleep_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (j->fail != RP_OK) {
        rp_error_set(err, NULL, 0, 0, "failed on purpose");
        return j->fail;
    }
    out->json = malloc(j->bytes);
    memset(out->json, 'x', j->bytes);
    out->json_len = j->bytes;
    out->transient = j->transient;
    out->json_partial = j->partial;
    return RP_OK;
}

static struct srv_entry *get(struct srv_cache *c, const char *key, struct job *j, int *hit)
{
    struct srv_entry *e = NULL;
    rp_error err;
    int h;
    ck_assert_int_eq(srv_cache_get(c, key, strlen(key), compute, j, &e, hit ? hit : &h, &err),
                     RP_OK);
    return e;
}

/* get() for keys with NUL bytes in them (length n). */
static struct srv_entry *get_n(struct srv_cache *c, const char *key, size_t n, struct job *j,
                               int *hit)
{
    struct srv_entry *e = NULL;
    int h;
    ck_assert_int_eq(srv_cache_get(c, key, n, compute, j, &e, hit ? hit : &h, NULL), RP_OK);
    return e;
}

#define KEY(s) s, sizeof s - 1

struct shared {
    struct srv_cache *c;
    struct job *j;
    struct srv_entry *got;
};

static void *worker(void *arg)
{
    struct shared *s = arg;
    int hit;
    rp_error err;
    if (srv_cache_get(s->c, "same", 4, compute, s->j, &s->got, &hit, &err) != RP_OK)
        s->got = NULL;
    return NULL;
}

START_TEST(single_flight)
{
    struct srv_cache *c = srv_cache_new(1 << 20);
    struct job j = {100, 100, RP_OK, 0, 0};
    struct shared s[16];
    pthread_t t[16];
    atomic_store(&computations, 0);
    for (int i = 0; i < 16; i++) {
        s[i] = (struct shared){c, &j, NULL};
        pthread_create(&t[i], NULL, worker, &s[i]);
    }
    for (int i = 0; i < 16; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&computations), 1);
    for (int i = 0; i < 16; i++) {
        ck_assert_ptr_eq(s[i].got, s[0].got);
        srv_entry_release(s[i].got);
    }
    struct srv_cache_counters k;
    srv_cache_counters(c, &k);
    ck_assert_uint_eq(k.misses, 1);
    ck_assert_uint_eq(k.hits, 15);
    srv_cache_free(c);
}
END_TEST

START_TEST(failures_are_not_cached)
{
    struct srv_cache *c = srv_cache_new(1 << 20);
    struct job bad = {10, 0, RP_ERR_NOMEM, 0, 0}, good = {10, 0, RP_OK, 0, 0};
    struct srv_entry *e = NULL;
    rp_error err;
    int hit;
    atomic_store(&computations, 0);
    ck_assert_int_eq(srv_cache_get(c, "k", 1, compute, &bad, &e, &hit, &err), RP_ERR_NOMEM);
    ck_assert_ptr_null(e);
    ck_assert_str_eq(err.message, "failed on purpose");
    e = get(c, "k", &good, &hit);
    ck_assert_int_eq(hit, 0);
    ck_assert_int_eq(atomic_load(&computations), 2);
    srv_entry_release(e);
    srv_cache_free(c);
}
END_TEST

START_TEST(lru_eviction_by_bytes)
{
    /* Measure one entry (body plus bookkeeping), then leave room for 3.5. */
    struct job j = {1000, 0, RP_OK, 0, 0};
    int hit;
    struct srv_cache_counters k;
    struct srv_cache *probe = srv_cache_new(1 << 20);
    srv_entry_release(get(probe, "a", &j, &hit));
    srv_cache_counters(probe, &k);
    srv_cache_free(probe);
    size_t one = k.bytes, cap = one * 7 / 2;
    ck_assert_uint_gt(one, 1000);
    struct srv_cache *c = srv_cache_new(cap);
    srv_entry_release(get(c, "a", &j, &hit));
    srv_entry_release(get(c, "b", &j, &hit));
    srv_entry_release(get(c, "c", &j, &hit));
    srv_entry_release(get(c, "a", &j, &hit)); /* a is now most recent; b least */
    ck_assert_int_eq(hit, 1);
    srv_entry_release(get(c, "d", &j, &hit)); /* evicts b */
    srv_cache_counters(c, &k);
    ck_assert_uint_le(k.bytes, cap);
    ck_assert_uint_eq(k.entries, 3);
    ck_assert_uint_ge(k.evictions, 1);
    srv_entry_release(get(c, "a", &j, &hit));
    ck_assert_int_eq(hit, 1);
    srv_entry_release(get(c, "b", &j, &hit));
    ck_assert_int_eq(hit, 0);
    srv_cache_free(c);
}
END_TEST

START_TEST(entries_in_use_survive_eviction)
{
    struct job j = {1000, 0, RP_OK, 0, 0};
    int hit;
    struct srv_cache_counters k;
    struct srv_cache *probe = srv_cache_new(1 << 20);
    srv_entry_release(get(probe, "held", &j, &hit));
    srv_cache_counters(probe, &k);
    srv_cache_free(probe);
    struct srv_cache *c = srv_cache_new(k.bytes * 3 / 2); /* room for one */
    struct srv_entry *held = get(c, "held", &j, &hit);
    srv_entry_release(get(c, "other", &j, &hit)); /* pushes "held" out of the map */
    const struct srv_result *r = srv_entry_result(held);
    ck_assert_uint_eq(r->json_len, 1000);
    ck_assert_int_eq(r->json[999], 'x'); /* still readable: ASan would flag a free */
    srv_entry_ref(held);
    srv_entry_release(held);
    srv_entry_release(held); /* last reference of a detached entry frees it */
    srv_entry_release(get(c, "held", &j, &hit));
    ck_assert_int_eq(hit, 0);
    srv_cache_free(c);
}
END_TEST

static struct srv_cache_counters counters(struct srv_cache *c)
{
    struct srv_cache_counters k;
    srv_cache_counters(c, &k);
    return k;
}

/* Dropping a prefix removes exactly the keys under it; a held entry stays
 * readable until released, and the next lookup computes again. */
START_TEST(drop_prefix_forgets_one_generation)
{
    struct srv_cache *c = srv_cache_new(1 << 20);
    struct job j = {64, 0, RP_OK, 0, 0};
    int hit;
    atomic_store(&computations, 0);
    srv_entry_release(get_n(c,
                            KEY("ml\0"
                                "1\0k=2"),
                            &j, NULL));
    struct srv_entry *held = get_n(c,
                                   KEY("ml\0"
                                       "1\0k=3"),
                                   &j, NULL);
    srv_entry_release(get_n(c,
                            KEY("ml\0"
                                "12\0k=2"),
                            &j, NULL));
    srv_entry_release(get_n(c,
                            KEY("other\0"
                                "1\0k=2"),
                            &j, NULL));
    ck_assert_uint_eq(counters(c).entries, 4);
    srv_cache_drop_prefix(c, KEY("ml\0"
                                 "1\0"));
    ck_assert_uint_eq(counters(c).entries, 2);
    ck_assert_uint_eq(srv_entry_result(held)->json_len, 64); /* still readable */
    ck_assert_int_eq(srv_entry_result(held)->json[63], 'x');
    srv_entry_release(held);
    srv_entry_release(get_n(c,
                            KEY("ml\0"
                                "12\0k=2"),
                            &j, &hit));
    ck_assert_int_eq(hit, 1);
    srv_entry_release(get_n(c,
                            KEY("ml\0"
                                "1\0k=2"),
                            &j, &hit));
    ck_assert_int_eq(hit, 0);
    ck_assert_int_eq(atomic_load(&computations), 5);
    srv_cache_free(c);
}
END_TEST

/* A transient result is handed to its caller but not kept. */
START_TEST(transient_results_are_not_kept)
{
    struct srv_cache *c = srv_cache_new(1 << 20);
    struct job j = {64, 0, RP_OK, 1, 0};
    struct srv_entry *e;
    int hit;
    atomic_store(&computations, 0);
    e = get(c, "old", &j, &hit);
    ck_assert_int_eq(hit, 0);
    ck_assert_uint_eq(srv_entry_result(e)->json_len, 64);
    ck_assert_uint_eq(counters(c).entries, 0);
    ck_assert_uint_eq(counters(c).bytes, 0);
    struct srv_entry *peeked = NULL;
    ck_assert_int_eq(srv_cache_peek(c, "old", 3, &peeked), 0);
    srv_entry_release(e);
    srv_entry_release(get(c, "old", &j, &hit));
    ck_assert_int_eq(hit, 0);
    ck_assert_int_eq(atomic_load(&computations), 2);
    srv_cache_free(c);
}
END_TEST

static atomic_int finals;

static rp_status make_final(void *ctx, const struct srv_result *res, char **buf, size_t *len)
{
    atomic_fetch_add(&finals, 1);
    *len = res->json_len + strlen(ctx);
    *buf = malloc(*len);
    memcpy(*buf, res->json, res->json_len);
    memcpy(*buf + res->json_len, ctx, strlen(ctx));
    return RP_OK;
}

/* A partial body gets its final body once; the first stays servable. */
START_TEST(final_json_made_once)
{
    struct srv_cache *c = srv_cache_new(1 << 20);
    struct job j = {2000, 0, RP_OK, 0, 1};
    const char *data, *first;
    size_t len, first_len;
    atomic_store(&finals, 0);
    struct srv_entry *e = get(c, "sum", &j, NULL);
    ck_assert(srv_entry_result(e)->json_partial);
    srv_entry_json(e, 1, &first, &first_len); /* no final body yet: the first */
    ck_assert_uint_eq(first_len, 2000);
    uint64_t bytes = counters(c).bytes;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(srv_entry_json_finish(e, make_final, "+sha"), RP_OK);
    ck_assert_int_eq(atomic_load(&finals), 1);
    ck_assert_uint_eq(counters(c).bytes, bytes + 2004);
    srv_entry_json(e, 1, &data, &len);
    ck_assert_uint_eq(len, 2004);
    ck_assert_int_eq(memcmp(data + 2000, "+sha", 4), 0);
    srv_entry_json(e, 0, &data, &len);
    ck_assert_ptr_eq(data, first);
    ck_assert_int_eq(srv_entry_gzip_json(e, 1, &data, &len), RP_OK);
    ck_assert_uint_lt(len, 2004);
    const char *gz0;
    size_t gz0_len;
    ck_assert_int_eq(srv_entry_gzip_json(e, 0, &gz0, &gz0_len), RP_OK);
    ck_assert_ptr_ne(gz0, data); /* one gzip per body */
    srv_entry_release(e);
    srv_cache_free(c);
}
END_TEST

/* A result larger than the whole budget is served but not kept, and it
 * does not flush the results that fit (it used to evict them all first). */
START_TEST(oversize_result_keeps_the_others)
{
    struct job small = {1000, 0, RP_OK, 0, 0}, big = {100000, 0, RP_OK, 0, 0};
    int hit;
    struct srv_cache_counters k;
    struct srv_cache *c = srv_cache_new(20000);
    srv_entry_release(get(c, "a", &small, &hit));
    srv_entry_release(get(c, "b", &small, &hit));
    struct srv_entry *e = get(c, "big", &big, &hit);
    ck_assert_uint_eq(srv_entry_result(e)->json_len, 100000); /* served */
    srv_entry_release(e);
    srv_cache_counters(c, &k);
    ck_assert_uint_eq(k.entries, 2);
    ck_assert_uint_eq(k.oversize, 1);
    ck_assert_uint_eq(k.evictions, 0);
    ck_assert_uint_le(k.bytes, 20000);
    srv_entry_release(get(c, "a", &small, &hit));
    ck_assert_int_eq(hit, 1);
    srv_entry_release(get(c, "big", &big, &hit));
    ck_assert_int_eq(hit, 0);
    srv_cache_free(c);
}
END_TEST

START_TEST(files_need_a_split)
{
    struct srv_cache *c = srv_cache_new(1 << 20);
    struct job j = {10, 0, RP_OK, 0, 0};
    int hit;
    struct srv_entry *e = get(c, "kcore-like", &j, &hit);
    const char *data;
    size_t len;
    ck_assert_int_eq(srv_entry_file(e, "train.txt", &data, &len), RP_ERR_NOT_FOUND);
    srv_entry_release(e);
    srv_cache_free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("server_cache");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, single_flight);
    tcase_add_test(tc, failures_are_not_cached);
    tcase_add_test(tc, lru_eviction_by_bytes);
    tcase_add_test(tc, entries_in_use_survive_eviction);
    tcase_add_test(tc, files_need_a_split);
    tcase_add_test(tc, oversize_result_keeps_the_others);
    tcase_add_test(tc, drop_prefix_forgets_one_generation);
    tcase_add_test(tc, transient_results_are_not_kept);
    tcase_add_test(tc, final_json_made_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
