/* Check suite for core/intern.c: round trips, order, growth, long keys, seal. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recprep/intern.h"
#include "check_run.h"
#include "bytes.h"
#include "intern_impl.h"

static uint32_t put(rp_intern *in, const char *s, size_t len)
{
    uint32_t idx = UINT32_MAX;
    ck_assert_int_eq(rp_intern_put(in, s, len, &idx), RP_OK);
    return idx;
}

static void expect(const rp_intern *in, uint32_t idx, const char *s, size_t len)
{
    size_t n = 0;
    const char *got = rp_intern_get(in, idx, &n);
    ck_assert_uint_eq(n, len);
    ck_assert(memcmp(got, s, len) == 0);
}

START_TEST(round_trip_first_appearance)
{
    rp_intern *in = rp_intern_new(0);
    ck_assert_ptr_nonnull(in);
    ck_assert_uint_eq(put(in, "b", 1), 0);
    ck_assert_uint_eq(put(in, "a", 1), 1);
    ck_assert_uint_eq(put(in, "b", 1), 0);
    ck_assert_uint_eq(put(in, "c", 1), 2);
    ck_assert_uint_eq(put(in, "a", 1), 1);
    ck_assert_uint_eq(rp_intern_count(in), 3);
    expect(in, 0, "b", 1);
    expect(in, 1, "a", 1);
    expect(in, 2, "c", 1);
    rp_intern_free(in);
    rp_intern_free(NULL);
}
END_TEST

START_TEST(ids_are_opaque_bytes)
{
    rp_intern *in = rp_intern_new(4);
    uint32_t a = put(in, "0205616461", 10), b = put(in, "205616461", 9);
    uint32_t c = put(in, "ab", 2), d = put(in, "ab\0", 3), e = put(in, "AB", 2);
    ck_assert_uint_ne(a, b);
    ck_assert_uint_ne(c, d);
    ck_assert_uint_ne(c, e);
    ck_assert_uint_eq(rp_intern_count(in), 5);
    expect(in, d, "ab\0", 3);
    rp_intern_free(in);
}
END_TEST

START_TEST(empty_string)
{
    rp_intern *in = rp_intern_new(0);
    ck_assert_uint_eq(put(in, "", 0), 0);
    ck_assert_uint_eq(put(in, "x", 1), 1);
    ck_assert_uint_eq(put(in, "", 0), 0);
    expect(in, 0, "", 0);
    rp_intern_free(in);
}
END_TEST

/* The first i of 0, step, 2 step ... below n_str whose string's put does
 * not return RP_OK and index i, or n_str. Every put is checked; the loop asserts
 * once, because a passing ck_assert writes a message to Check's pipe, and
 * 400,000 of them made this test take ~10 s under ASan on a busy machine
 * (Check's timeout; CI, December 2026). */
static uint32_t first_bad_put(rp_intern *in, uint32_t n_str, uint32_t step)
{
    char buf[32];
    for (uint32_t i = 0; i < n_str; i += step) {
        int n = snprintf(buf, sizeof buf, "A%08uX", i * 2654435761u);
        uint32_t idx = UINT32_MAX;
        if (rp_intern_put(in, buf, (size_t)n, &idx) != RP_OK || idx != i)
            return i;
    }
    return n_str;
}

/* 200k strings from a tiny sizing hint: the table grows many times. */
START_TEST(many_strings_grow)
{
    enum { N = 200000 };
    rp_intern *in = rp_intern_new(1);
    char buf[32];
    ck_assert_uint_eq(first_bad_put(in, N, 1), N);
    ck_assert_uint_eq(rp_intern_count(in), N);
    ck_assert_uint_eq(first_bad_put(in, N, 7), N);
    ck_assert_uint_eq(rp_intern_count(in), N);
    ck_assert_int_eq(rp_intern_seal(in), RP_OK);
    uint32_t bad = N;
    for (uint32_t i = 0; i < N && bad == N; i += 7) {
        int n = snprintf(buf, sizeof buf, "A%08uX", i * 2654435761u);
        size_t len = 0;
        const char *got = rp_intern_get(in, i, &len);
        if (len != (size_t)n || memcmp(got, buf, len) != 0)
            bad = i;
    }
    ck_assert_uint_eq(bad, N); /* string bad reads back wrong */
    rp_intern_free(in);
}
END_TEST

/* A hint that reserves the offsets and the bytes up front (for 2 x 600
 * strings of 16 bytes), then strings longer and more numerous than that:
 * both arrays grow past their reservation, and sealing keeps every string. */
START_TEST(reserved_arrays_grow_past_the_hint)
{
    enum { N = 5000 };
    rp_intern *in = rp_intern_new(600);
    char buf[64];
    for (uint32_t i = 0; i < N; i++) {
        int n = snprintf(buf, sizeof buf, "user-%08u-%030u", i * 2654435761u, i);
        ck_assert_uint_eq(put(in, buf, (size_t)n), i);
    }
    for (uint32_t i = 0; i < N; i += 3) {
        int n = snprintf(buf, sizeof buf, "user-%08u-%030u", i * 2654435761u, i);
        ck_assert_uint_eq(put(in, buf, (size_t)n), i);
    }
    rp_intern_seal(in);
    ck_assert_uint_eq(rp_intern_count(in), N);
    for (uint32_t i = 0; i < N; i++) {
        int n = snprintf(buf, sizeof buf, "user-%08u-%030u", i * 2654435761u, i);
        expect(in, i, buf, (size_t)n);
    }
    rp_intern_free(in);
}
END_TEST

/* Keys longer than the inline 15 bytes, equal in their first 16 bytes. */
START_TEST(long_keys_differ_late)
{
    rp_intern *in = rp_intern_new(0);
    const char *k1 = "AAAAAAAAAAAAAAAAAAAA1", *k2 = "AAAAAAAAAAAAAAAAAAAA2";
    const char *k3 = "AAAAAAAAAAAAAAAAAAAA", *k4 = "AAAAAAAAAAAAAAA";
    uint32_t a = put(in, k1, strlen(k1)), b = put(in, k2, strlen(k2));
    uint32_t c = put(in, k3, strlen(k3)), d = put(in, k4, strlen(k4));
    ck_assert_uint_eq(rp_intern_count(in), 4);
    ck_assert_uint_eq(put(in, k2, strlen(k2)), b);
    ck_assert_uint_eq(put(in, k1, strlen(k1)), a);
    ck_assert_uint_eq(put(in, k3, strlen(k3)), c);
    ck_assert_uint_eq(put(in, k4, strlen(k4)), d);
    char big[5000];
    memset(big, 'z', sizeof big);
    uint32_t e = put(in, big, sizeof big);
    big[4999] = 'y';
    uint32_t f = put(in, big, sizeof big);
    ck_assert_uint_ne(e, f);
    expect(in, f, big, sizeof big);
    rp_intern_free(in);
}
END_TEST

/* Every length class of the slot encoding (0, 1-3, 4-7, 8, 9-15, 16+), with
 * strings that differ only in their last byte or only in length. */
START_TEST(every_length)
{
    rp_intern *in = rp_intern_new(0);
    char a[48], b[48];
    memset(a, 'a', sizeof a);
    memset(b, 'a', sizeof b);
    for (size_t len = 1; len <= 40; len++) {
        b[len - 1] = 'b';
        ck_assert_uint_eq(put(in, a, len), 2 * (len - 1));
        ck_assert_uint_eq(put(in, b, len), 2 * (len - 1) + 1);
        b[len - 1] = 'a';
    }
    for (size_t len = 1; len <= 40; len++) {
        b[len - 1] = 'b';
        ck_assert_uint_eq(put(in, b, len), 2 * (len - 1) + 1);
        ck_assert_uint_eq(put(in, a, len), 2 * (len - 1));
        expect(in, 2 * (uint32_t)(len - 1) + 1, b, len);
        b[len - 1] = 'a';
    }
    ck_assert_uint_eq(rp_intern_count(in), 80);
    rp_intern_free(in);
}
END_TEST

/* The last-key cache must not confuse a key with its prefix or extension. */
START_TEST(repeats_and_prefixes)
{
    rp_intern *in = rp_intern_new(0);
    uint32_t a = put(in, "B00001", 6);
    ck_assert_uint_eq(put(in, "B00001", 6), a);
    uint32_t b = put(in, "B0000", 5);
    uint32_t c = put(in, "B000012", 7);
    ck_assert_uint_ne(a, b);
    ck_assert_uint_ne(a, c);
    ck_assert_uint_eq(put(in, "B0000", 5), b);
    ck_assert_uint_eq(put(in, "B00001", 6), a);
    rp_intern_free(in);
}
END_TEST

/* The interners' short-string compare: equal strings of 0-40 bytes, and a
 * difference in any one bit of any one byte, each way round. */
START_TEST(same_bytes_every_length_and_place)
{
    unsigned char a[41], b[41];
    uint32_t bad = 0;
    for (size_t len = 0; len <= 40; len++) {
        for (size_t k = 0; k < len; k++)
            a[k] = (unsigned char)('a' + (k * 7) % 26);
        memcpy(b, a, len);
        bad += !rpi_same_bytes(a, b, len);
        for (size_t k = 0; k < len; k++)
            for (unsigned bit = 0; bit < 8; bit++) {
                b[k] ^= (unsigned char)(1u << bit);
                bad += rpi_same_bytes(a, b, len) || rpi_same_bytes(b, a, len);
                b[k] ^= (unsigned char)(1u << bit);
            }
    }
    ck_assert_uint_eq(bad, 0);
}
END_TEST

START_TEST(seal_keeps_strings)
{
    rp_intern *in = rp_intern_new(0);
    char buf[16];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof buf, "u%d", i);
        put(in, buf, (size_t)n);
    }
    rp_intern_prefetch_h(in, rp_intern_hash("u1", 2));
    rp_intern_seal(in);
    ck_assert_uint_eq(rp_intern_count(in), 5000);
    expect(in, 0, "u0", 2);
    expect(in, 4999, "u4999", 5);
    rp_intern_seal(NULL);
    rp_intern_free(in);
}
END_TEST

/* Strings of every length from 0 to 70 (the entries' padding classes), read
 * back by index before sealing (from the entries) and after (packed back to
 * back): each one whole, none shifted into its neighbour. Run with 4-byte
 * offsets (_i 0) and with the 8-byte ones of interners past 4 GB (_i 1). */
START_TEST(seal_packs_every_length)
{
    enum { MAXLEN = 70 };
    rp_intern *in = rp_intern_new(0);
    if (_i == 1)
        rpi_intern_wide_offsets(in); /* the layout past 4 GB of IDs */
    char s[MAXLEN + 1][MAXLEN];
    for (size_t len = 0; len <= MAXLEN; len++) {
        for (size_t i = 0; i < len; i++)
            s[len][i] = (char)('a' + (len + i) % 26);
        ck_assert_uint_eq(put(in, s[len], len), len);
    }
    for (size_t len = 0; len <= MAXLEN; len++)
        expect(in, (uint32_t)len, s[len], len);
    rp_intern_seal(in);
    rp_intern_seal(in); /* a second seal changes nothing */
    ck_assert_uint_eq(rp_intern_count(in), MAXLEN + 1);
    for (size_t len = 0; len <= MAXLEN; len++)
        expect(in, (uint32_t)len, s[len], len);
    uint32_t idx;
    ck_assert_int_eq(rp_intern_put(in, "new", 3, &idx), RP_ERR_INTERNAL); /* no table left */
    rp_intern_free(in);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("intern");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trip_first_appearance);
    tcase_add_test(tc, ids_are_opaque_bytes);
    tcase_add_test(tc, empty_string);
    tcase_add_test(tc, many_strings_grow);
    tcase_add_test(tc, reserved_arrays_grow_past_the_hint);
    tcase_add_test(tc, long_keys_differ_late);
    tcase_add_test(tc, every_length);
    tcase_add_test(tc, repeats_and_prefixes);
    tcase_add_test(tc, same_bytes_every_length_and_place);
    tcase_add_test(tc, seal_keeps_strings);
    tcase_add_loop_test(tc, seal_packs_every_length, 0, 2); /* 4- and 8-byte offsets */
    suite_add_tcase(s, tc);
    return rp_check_run(s);
}
