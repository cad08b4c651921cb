/* Check suite for core/radix.c: rpi_sort_u64 against a stable reference
 * (insertion by key, which keeps equal keys in input order) at sizes around
 * the insertion cut-off and past one digit's 2048 buckets, for keys of every
 * width from one bit to all 64, payload widths 0, 32 and 63, keys that vary
 * in one digit only or in none, and many equal keys (stability). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "radix.h"

static uint64_t rng_state = 88172645463325252ull;

static uint64_t next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Stable by a[i] >> lo: the reference. */
static void reference(uint64_t *a, size_t n, unsigned lo)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t v = a[i];
        size_t j = i;
        for (; j > 0 && (a[j - 1] >> lo) > (v >> lo); j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* n words whose key (above lo) has its bits in [from, from + width) random
 * and every other key bit set to fixed, the payload below lo random. */
static void fill(uint64_t *a, size_t n, unsigned lo, unsigned from, unsigned width, uint64_t fixed)
{
    uint64_t field = width >= 64 ? ~0ull : ((1ull << width) - 1) << from;
    uint64_t pay = lo == 0 ? 0 : lo >= 64 ? ~0ull : (1ull << lo) - 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = (next() & field) | (fixed & ~field);
        a[i] = lo == 0 ? k : (k << lo) | (next() & pay);
    }
}

static void check_sort(size_t n, unsigned lo, unsigned from, unsigned width, uint64_t fixed)
{
    uint64_t *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
    fill(a, n, lo, from, width, fixed);
    memcpy(b, a, n * sizeof *a);
    reference(b, n, lo);
    ck_assert_int_eq(rpi_sort_u64(a, n, lo), RP_OK);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            ck_abort_msg("n %zu lo %u key bits [%u, %u): word %zu differs", n, lo, from,
                         from + width, i);
    free(a);
    free(b);
}

START_TEST(sizes_around_the_cut_off)
{
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 34, 100, 2047, 2049, 5000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        check_sort(sizes[s], 32, 0, 32, 0);
        check_sort(sizes[s], 32, 0, 3, 0); /* many equal keys */
        check_sort(sizes[s], 0, 0, 64, 0);
    }
}
END_TEST

/* Keys varying in bits [from, from + width) only, the rest one fixed
 * pattern: digits that never vary are skipped, the others must still sort. */
START_TEST(every_key_width)
{
    static const unsigned los[] = {0, 32, 63};
    for (size_t l = 0; l < 3; l++) {
        unsigned lo = los[l], kbits = 64 - lo;
        for (unsigned width = 1; width <= kbits; width += width < 12 ? 1 : 7)
            for (unsigned from = 0; from + width <= kbits; from += 9)
                check_sort(3000, lo, from, width, 0x5a5a5a5a5a5a5a5aull);
    }
}
END_TEST

/* Every key equal: nothing moves, payloads stay in input order. */
START_TEST(all_keys_equal)
{
    enum { N = 4000 };
    uint64_t *a = malloc(N * sizeof *a);
    for (size_t i = 0; i < N; i++)
        a[i] = (uint64_t)7 << 32 | (uint32_t)(N - i);
    ck_assert_int_eq(rpi_sort_u64(a, N, 32), RP_OK);
    for (size_t i = 0; i < N; i++)
        ck_assert_uint_eq(a[i], (uint64_t)7 << 32 | (uint32_t)(N - i));
    free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("radix");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sizes_around_the_cut_off);
    tcase_add_test(tc, every_key_width);
    tcase_add_test(tc, all_keys_equal);
    suite_add_tcase(s, tc);
    return rp_check_run(s);
}
