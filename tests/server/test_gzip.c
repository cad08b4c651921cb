/*
 * tests/server/test_gzip.c - Accept-Encoding and the gzip coder (server/gzip.c).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gzip.h"
#include "../check_run.h"

START_TEST(accept_encoding)
{
    ck_assert(srv_accepts_gzip("gzip"));
    ck_assert(srv_accepts_gzip("GZIP"));
    ck_assert(srv_accepts_gzip("deflate, gzip"));
    ck_assert(srv_accepts_gzip("gzip, deflate, br"));
    ck_assert(srv_accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
    ck_assert(srv_accepts_gzip("x-gzip"));
    ck_assert(srv_accepts_gzip("*"));
    ck_assert(srv_accepts_gzip("gzip;q=0.001"));
    ck_assert(srv_accepts_gzip("gzip; q=1"));
    ck_assert(!srv_accepts_gzip(NULL));
    ck_assert(!srv_accepts_gzip(""));
    ck_assert(!srv_accepts_gzip("identity"));
    ck_assert(!srv_accepts_gzip("deflate, br"));
    ck_assert(!srv_accepts_gzip("gzip;q=0"));
    ck_assert(!srv_accepts_gzip("gzip;q=0.000"));
    ck_assert(!srv_accepts_gzip("*, gzip;q=0")); /* an explicit refusal wins over '*' */
    ck_assert(!srv_accepts_gzip("*;q=0"));
    ck_assert(!srv_accepts_gzip("gzipped"));
    ck_assert(!srv_accepts_gzip("xgzip"));
}
END_TEST

START_TEST(round_trip)
{
    size_t len = 200000;
    char *data = malloc(len), *gz = NULL;
    for (size_t i = 0; i < len; i++)
        data[i] = (char)('a' + (i * 7919 % 13));
    size_t gz_len = 0;
    ck_assert_int_eq(srv_gzip(data, len, &gz, &gz_len), RP_OK);
    ck_assert_uint_lt(gz_len, len / 4);
    ck_assert(gz_len > 18 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
    char *back = malloc(len);
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)gz;
    z.avail_in = (uInt)gz_len;
    z.next_out = (Bytef *)back;
    z.avail_out = (uInt)len;
    ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    ck_assert_uint_eq(z.total_out, len);
    inflateEnd(&z);
    ck_assert(memcmp(back, data, len) == 0);
    free(back);
    free(gz);
    free(data);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gzip");
    TCase *tc = tcase_create("gzip");
    tcase_add_test(tc, accept_encoding);
    tcase_add_test(tc, round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
