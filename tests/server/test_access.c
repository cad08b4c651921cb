/*
 * tests/server/test_access.c - bearer tokens and CORS origins (server/access.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "../check_run.h"

START_TEST(constant_time_equality)
{
    ck_assert(srv_const_eq("abc", 3, "abc", 3));
    ck_assert(!srv_const_eq("abd", 3, "abc", 3));
    ck_assert(!srv_const_eq("ab", 2, "abc", 3));
    ck_assert(!srv_const_eq("abcd", 4, "abc", 3));
    ck_assert(!srv_const_eq("", 0, "abc", 3));
    ck_assert(srv_const_eq("", 0, "", 0));
}
END_TEST

START_TEST(bearer_header)
{
    const char *tok = "s3cret";
    ck_assert(srv_token_check("Bearer s3cret", tok, 6));
    ck_assert(srv_token_check("bearer s3cret", tok, 6));
    ck_assert(srv_token_check("BEARER   s3cret  ", tok, 6));
    ck_assert(!srv_token_check(NULL, tok, 6));
    ck_assert(!srv_token_check("", tok, 6));
    ck_assert(!srv_token_check("s3cret", tok, 6));
    ck_assert(!srv_token_check("Bearer", tok, 6));
    ck_assert(!srv_token_check("Bearer ", tok, 6));
    ck_assert(!srv_token_check("Basic s3cret", tok, 6));
    ck_assert(!srv_token_check("Bearer s3cre", tok, 6));
    ck_assert(!srv_token_check("Bearer s3crett", tok, 6));
    ck_assert(!srv_token_check("Bearer S3CRET", tok, 6)); /* the token is case-sensitive */
}
END_TEST

static const char *write_tmp(const char *content, char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/recprep-token-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, strlen(content)), (int)strlen(content));
    close(fd);
    return path;
}

START_TEST(token_file)
{
    char path[64], msg[256], *tok = NULL;
    size_t len = 0;
    ck_assert_int_eq(
        srv_token_load(write_tmp("abc-123\r\n", path, sizeof path), &tok, &len, msg, sizeof msg),
        0);
    ck_assert_str_eq(tok, "abc-123");
    ck_assert_uint_eq(len, 7);
    free(tok);
    unlink(path);
    ck_assert_int_eq(
        srv_token_load(write_tmp("\n\n", path, sizeof path), &tok, &len, msg, sizeof msg), -1);
    unlink(path);
    ck_assert_int_eq(
        srv_token_load(write_tmp("two words\n", path, sizeof path), &tok, &len, msg, sizeof msg),
        -1);
    unlink(path);
    ck_assert_int_eq(srv_token_load("/nonexistent/token", &tok, &len, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "/nonexistent/token"));
}
END_TEST

START_TEST(cors_origins)
{
    struct srv_config cfg;
    memset(&cfg, 0, sizeof cfg);
    ck_assert_ptr_null(srv_cors_origin(&cfg, "https://a.example")); /* off by default */
    char a[] = "https://a.example", b[] = "http://localhost:3000", star[] = "*";
    cfg.origins[0] = a;
    cfg.origins[1] = b;
    cfg.n_origins = 2;
    ck_assert_str_eq(srv_cors_origin(&cfg, "https://a.example"), "https://a.example");
    ck_assert_str_eq(srv_cors_origin(&cfg, "http://localhost:3000"), "http://localhost:3000");
    ck_assert_ptr_null(srv_cors_origin(&cfg, "https://a.example.evil"));
    ck_assert_ptr_null(srv_cors_origin(&cfg, NULL));
    cfg.origins[2] = star;
    cfg.n_origins = 3;
    ck_assert_str_eq(srv_cors_origin(&cfg, "https://any.example"), "*");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("server_access");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, constant_time_equality);
    tcase_add_test(tc, bearer_header);
    tcase_add_test(tc, token_file);
    tcase_add_test(tc, cors_origins);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
