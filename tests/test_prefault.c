/* tests/test_prefault.c - the prefaulter (core/prefault.c): it faults in the
 * pages past a buffer's frontier, as far as told and no further, follows
 * the frontier, and never changes a byte. Residency is read with mincore. */
#define _DEFAULT_SOURCE 1 /* mincore, MAP_ANONYMOUS */
#include <check.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "prefault.h"

#define MB ((size_t)1 << 20)
#define SIZE (48 * MB)

static size_t page(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* Pages of base[from..to) resident now. */
static size_t resident(const char *base, size_t from, size_t to)
{
    size_t pg = page(), n = (to - from) / pg, got = 0;
    unsigned char v[4096];
    for (size_t k = 0; k < n; k += sizeof v) {
        size_t m = n - k < sizeof v ? n - k : sizeof v;
        ck_assert_int_eq(mincore((void *)(base + from + k * pg), m * pg, v), 0);
        for (size_t i = 0; i < m; i++)
            got += v[i] & 1u;
    }
    return got;
}

/* Wait (up to 60 s: the thread runs at idle priority, and ctest runs other
 * suites beside this one) until every page of base[from..to) is resident;
 * 1 if they all are. */
static int wait_resident(const char *base, size_t from, size_t to)
{
    struct timespec nap = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 6000; i++) {
        if (resident(base, from, to) == (to - from) / page())
            return 1;
        nanosleep(&nap, NULL);
    }
    return 0;
}

/* A fresh mapping: no page resident until touched. */
static char *fresh(void)
{
    void *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    ck_assert_uint_eq(resident(p, 0, SIZE), 0);
    return p;
}

static int all_bytes(const char *p, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

START_TEST(faults_in_ahead_only)
{
    char *base = fresh();
    memset(base, 'x', 4 * MB); /* written: the frontier */
    rpi_prefault *pf = rpi_prefault_start(8 * MB);
    ck_assert_ptr_nonnull(pf);
    rpi_region r = {base, 4 * MB, SIZE, 0};
    rpi_prefault_update(pf, &r, 1);
    ck_assert(wait_resident(base, 4 * MB, 12 * MB));
    /* nothing past the look-ahead (a huge page may round it up by 2 MB) */
    nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
    ck_assert_uint_eq(resident(base, 16 * MB, SIZE), 0);
    /* the frontier moves: the look-ahead follows it */
    r.used = 20 * MB;
    rpi_prefault_update(pf, &r, 1);
    ck_assert(wait_resident(base, 20 * MB, 28 * MB));
    rpi_prefault_stop(pf);
    ck_assert(all_bytes(base, 4 * MB, 'x'));
    ck_assert(all_bytes(base + 4 * MB, SIZE - 4 * MB, 0));
    munmap(base, SIZE);
}
END_TEST

/* A region's own look-ahead (the batch interner's arena) and the end of
 * what is reserved; a second region beside the first; a buffer that moved
 * (new base) starts over. */
START_TEST(own_ahead_cap_and_moves)
{
    char *a = fresh(), *b = fresh();
    memset(b, 'y', SIZE);
    rpi_prefault *pf = rpi_prefault_start(2 * MB);
    ck_assert_ptr_nonnull(pf);
    rpi_region r[2] = {{a, 0, 24 * MB, 40 * MB}, {b, 0, SIZE, 0}};
    rpi_prefault_update(pf, r, 2);
    ck_assert(wait_resident(a, 0, 24 * MB));
    nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
    ck_assert_uint_eq(resident(a, 26 * MB, SIZE), 0); /* cap, not ahead */
    char *c = fresh();
    r[0] = (rpi_region){c, 8 * MB, SIZE, 0};
    rpi_prefault_update(pf, r, 1);
    ck_assert(wait_resident(c, 8 * MB, 10 * MB));
    rpi_prefault_stop(pf);
    ck_assert(all_bytes(b, SIZE, 'y'));
    ck_assert(all_bytes(a, SIZE, 0));
    ck_assert(all_bytes(c, SIZE, 0));
    munmap(a, SIZE);
    munmap(b, SIZE);
    munmap(c, SIZE);
}
END_TEST

START_TEST(null_is_none)
{
    rpi_region r = {NULL, 0, 0, 0};
    rpi_prefault_update(NULL, &r, 1);
    rpi_prefault_stop(NULL);
    rpi_prefault *pf = rpi_prefault_start(MB);
    rpi_prefault_update(pf, &r, 0); /* no regions: the thread waits */
    rpi_prefault_stop(pf);          /* and stops */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("prefault");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, faults_in_ahead_only);
    tcase_add_test(tc, own_ahead_cap_and_moves);
    tcase_add_test(tc, null_is_none);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
