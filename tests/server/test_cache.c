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
    struct job j = {100, 100, RP_OK};
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
    struct job bad = {10, 0, RP_ERR_NOMEM}, good = {10, 0, RP_OK};
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
    struct job j = {1000, 0, RP_OK};
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
    struct job j = {1000, 0, RP_OK};
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

START_TEST(files_need_a_split)
{
    struct srv_cache *c = srv_cache_new(1 << 20);
    struct job j = {10, 0, RP_OK};
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
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
