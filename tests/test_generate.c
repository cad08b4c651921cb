/* Check suite for core/generate.c: determinism, shape, parameter checks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recprep/generate.h"
#include "check_run.h"

static char *gen(rp_gen_params p, size_t *len)
{
    char *buf = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_generate(&p, &buf, len, &err), RP_OK);
    return buf;
}

static rp_gen_params small(uint64_t seed)
{
    rp_gen_params p = {.rows = 20000, .users = 12000, .items = 2500, .seed = seed, .days = 1000};
    return p;
}

START_TEST(same_seed_same_bytes)
{
    size_t a_len, b_len, c_len;
    char *a = gen(small(1), &a_len), *b = gen(small(1), &b_len), *c = gen(small(2), &c_len);
    ck_assert_uint_eq(a_len, b_len);
    ck_assert_int_eq(memcmp(a, b, a_len), 0);
    ck_assert(a_len != c_len || memcmp(a, c, a_len) != 0);
    free(a), free(b), free(c);
}
END_TEST

/* Split the buffer into rows and check every row and the global shape. */
START_TEST(rows_have_amazon_shape)
{
    size_t len;
    char *buf = gen(small(5), &len);
    size_t rows = 0, repeats = 0, item_changes = 0;
    char prev_item[16] = "", prev_user[16] = "";
    for (char *line = buf; line < buf + len;) {
        char *nl = memchr(line, '\n', (size_t)(buf + len - line));
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        char user[16], item[16], rating[8];
        long long ts;
        ck_assert_int_eq(sscanf(line, "%15[^,],%15[^,],%7[^,],%lld", user, item, rating, &ts), 4);
        ck_assert_uint_eq(strlen(user), 14);
        ck_assert_int_eq(user[0], 'A');
        ck_assert_uint_eq(strlen(item), 10);
        ck_assert_int_eq(ts % 86400, 0);
        ck_assert(ts >= 946684800LL && ts < 946684800LL + 1000LL * 86400);
        if (strcmp(item, prev_item) != 0)
            item_changes++;
        else if (strcmp(user, prev_user) == 0)
            repeats++;
        memcpy(prev_item, item, sizeof item), memcpy(prev_user, user, sizeof user);
        rows++;
        line = nl + 1;
    }
    ck_assert_uint_eq(rows, 20000);
    ck_assert_uint_eq(item_changes, 2500); /* grouped: each item is one run */
    ck_assert_uint_gt(repeats, 0);         /* some repeated (user, item) pairs */
    free(buf);
}
END_TEST

START_TEST(bad_parameters_named)
{
    const char *names[] = {"rows", "users", "items", "days"};
    for (int k = 0; k < 4; k++) {
        rp_gen_params p = small(1);
        if (k == 0)
            p.rows = 0;
        else if (k == 1)
            p.users = 0;
        else if (k == 2)
            p.items = 0;
        else
            p.days = 0;
        rp_error err = {0};
        char *buf = (char *)1;
        size_t len = 1;
        ck_assert_int_eq(rp_generate(&p, &buf, &len, &err), RP_ERR_PARAM);
        ck_assert_str_eq(err.param, names[k]);
        ck_assert_ptr_null(buf);
    }
}
END_TEST

START_TEST(scaled_to_rows)
{
    rp_gen_params d = rp_gen_defaults(), p = rp_gen_for_rows(200000);
    ck_assert_uint_eq(p.rows, 200000);
    ck_assert_uint_eq(p.users, (uint64_t)d.users * 200000 / d.rows);
    ck_assert_uint_eq(p.items, (uint64_t)d.items * 200000 / d.rows);
    ck_assert_uint_eq(p.seed, d.seed);
    ck_assert_uint_eq(p.days, d.days);
    p = rp_gen_for_rows(1); /* never a population of 0 */
    ck_assert_uint_eq(p.users, 1);
    ck_assert_uint_eq(p.items, 1);
    p = rp_gen_for_rows(UINT64_MAX); /* no overflow; rp_gen_check refuses it */
    rp_error err = {0};
    ck_assert_int_eq(rp_gen_check(&p, &err), RP_ERR_PARAM);
    ck_assert_str_eq(err.param, "rows");
}
END_TEST

START_TEST(more_users_than_rows_is_capped)
{
    rp_gen_params p = {.rows = 10, .users = 1000, .items = 1000, .seed = 3, .days = 1};
    size_t len;
    char *buf = gen(p, &len);
    size_t lines = 0;
    for (size_t k = 0; k < len; k++)
        lines += buf[k] == '\n';
    ck_assert_uint_eq(lines, 10);
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("generate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, same_seed_same_bytes);
    tcase_add_test(tc, rows_have_amazon_shape);
    tcase_add_test(tc, bad_parameters_named);
    tcase_add_test(tc, more_users_than_rows_is_capped);
    tcase_add_test(tc, scaled_to_rows);
    suite_add_tcase(s, tc);
    return rp_check_run(s);
}
