/* Check suite for core/error.c: first error wins, formatting, truncation. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "recprep/error.h"
#include "check_run.h"

START_TEST(first_error_wins)
{
    rp_error err;
    rp_error_clear(&err);
    rp_error_set(&err, "a.csv", 3, 7, "bad %s", "timestamp");
    rp_error_set(&err, "b.csv", 9, 0, "later");
    rp_error_param(&err, "k", "ignored");
    ck_assert_str_eq(err.message, "bad timestamp");
    ck_assert_str_eq(err.file, "a.csv");
    ck_assert_uint_eq(err.line, 3);
    ck_assert_str_eq(err.param, "");
    char buf[128];
    ck_assert_str_eq(rp_error_line(&err, buf, sizeof buf), "a.csv:3:7: bad timestamp");
    rp_error_set(NULL, "x", 1, 1, "no crash on NULL");
}
END_TEST

START_TEST(param_errors)
{
    rp_error err = {0};
    rp_error_param(&err, "val_start", "val_start must be < 1");
    ck_assert_str_eq(err.param, "val_start");
    char buf[64];
    ck_assert_str_eq(rp_error_line(&err, buf, sizeof buf), "val_start must be < 1");
}
END_TEST

START_TEST(long_texts_truncate)
{
    rp_error err = {0};
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rp_error_set(&err, big, 1, 0, "%s", big);
    ck_assert_uint_eq(strlen(err.message), RP_ERROR_TEXT_LEN - 1);
    ck_assert_uint_eq(strlen(err.file), RP_ERROR_FILE_LEN - 1);
    char small[10];
    ck_assert_uint_eq(strlen(rp_error_line(&err, small, sizeof small)), 9);
}
END_TEST

START_TEST(status_names)
{
    for (int s = RP_OK; s <= RP_ERR_INTERNAL; s++)
        ck_assert(strlen(rp_status_str((rp_status)s)) > 0);
    ck_assert_str_eq(rp_status_str(RP_ERR_NOMEM), "out of memory");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, first_error_wins);
    tcase_add_test(tc, param_errors);
    tcase_add_test(tc, long_texts_truncate);
    tcase_add_test(tc, status_names);
    suite_add_tcase(s, tc);
    return rp_check_run(s);
}
