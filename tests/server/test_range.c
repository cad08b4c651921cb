/*
 * tests/server/test_range.c - the Range header parser (server/range.c).
 */
#include <check.h>
#include <stdint.h>

#include "range.h"
#include "../check_run.h"

static enum srv_range_kind parse(const char *v, uint64_t size, uint64_t *start, uint64_t *len)
{
    struct srv_range r;
    enum srv_range_kind k = srv_range_parse(v, size, &r);
    *start = r.start;
    *len = r.len;
    return k;
}

START_TEST(single_ranges)
{
    uint64_t s, n;
    ck_assert_int_eq(parse("bytes=0-0", 10, &s, &n), SRV_RANGE_PART);
    ck_assert(s == 0 && n == 1);
    ck_assert_int_eq(parse("bytes=2-5", 10, &s, &n), SRV_RANGE_PART);
    ck_assert(s == 2 && n == 4);
    ck_assert_int_eq(parse("bytes=7-", 10, &s, &n), SRV_RANGE_PART);
    ck_assert(s == 7 && n == 3);
    ck_assert_int_eq(parse("bytes=7-99", 10, &s, &n), SRV_RANGE_PART); /* clamped */
    ck_assert(s == 7 && n == 3);
    ck_assert_int_eq(parse("bytes=-3", 10, &s, &n), SRV_RANGE_PART);
    ck_assert(s == 7 && n == 3);
    ck_assert_int_eq(parse("bytes=-30", 10, &s, &n), SRV_RANGE_PART); /* whole body */
    ck_assert(s == 0 && n == 10);
    ck_assert_int_eq(parse("bytes=9-18446744073709551615", 10, &s, &n), SRV_RANGE_PART);
    ck_assert(s == 9 && n == 1);
}
END_TEST

START_TEST(unsatisfiable)
{
    uint64_t s, n;
    ck_assert_int_eq(parse("bytes=10-", 10, &s, &n), SRV_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=10-12", 10, &s, &n), SRV_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=-0", 10, &s, &n), SRV_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=0-", 0, &s, &n), SRV_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=-5", 0, &s, &n), SRV_RANGE_UNSATISFIABLE);
}
END_TEST

/* Anything else is ignored: the whole body. */
START_TEST(ignored)
{
    static const char *const v[] = {NULL,
                                    "",
                                    "bytes=",
                                    "bytes=-",
                                    "bytes=5-2",
                                    "items=0-1",
                                    "bytes=a-b",
                                    "bytes=1-2x",
                                    "bytes=0-1,3-4",
                                    "bytes= 0-1",
                                    "Bytes=0-1",
                                    "bytes=--1",
                                    "bytes=99999999999999999999-",
                                    "bytes=1--2"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint64_t s, n;
        ck_assert_msg(parse(v[i], 10, &s, &n) == SRV_RANGE_ALL, "%s", v[i] ? v[i] : "NULL");
        ck_assert(s == 0 && n == 10);
    }
}
END_TEST

START_TEST(content_range_text)
{
    char buf[SRV_CONTENT_RANGE_LEN];
    struct srv_range r = {7, 3};
    srv_content_range(buf, SRV_RANGE_PART, &r, 10);
    ck_assert_str_eq(buf, "bytes 7-9/10");
    srv_content_range(buf, SRV_RANGE_UNSATISFIABLE, NULL, 10);
    ck_assert_str_eq(buf, "bytes */10");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("range");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, single_ranges);
    tcase_add_test(tc, unsatisfiable);
    tcase_add_test(tc, ignored);
    tcase_add_test(tc, content_range_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
