/* Check suite for core/az23.c: ratings printed as Python prints a float (the
 * az23 files' rating column; expected texts were produced by Python 3's
 * repr() on the same doubles), and counted sizes against the rendered files
 * for timestamps of every width; the goldens cover the files themselves. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "recprep/cursor.h"
#include "recprep/params.h"
#include "recprep/split.h"
#include "split_impl.h"

static const struct {
    double v;
    const char *repr;
} cases[] = {
    {5.0, "5.0"},
    {3.5, "3.5"},
    {0.1, "0.1"},
    {1e-05, "1e-05"},
    {0.0001, "0.0001"},
    {1e+16, "1e+16"},
    {1.5e+16, "1.5e+16"},
    {1000000000000000.0, "1000000000000000.0"},
    {123456789.123, "123456789.123"},
    {0.30000000000000004, "0.30000000000000004"},
    {100.0, "100.0"},
    {1e+22, "1e+22"},
    {2.5e-07, "2.5e-07"},
    {-0.0, "-0.0"},
    {-4.25, "-4.25"},
    {0.3333333333333333, "0.3333333333333333"},
    {1.152921504606847e+18, "1.152921504606847e+18"},
};

START_TEST(python_float_repr)
{
    char buf[RPI_PYFLOAT_MAX];
    size_t n = rpi_pyfloat(cases[_i].v, buf);
    ck_assert_msg(n == strlen(cases[_i].repr) && memcmp(buf, cases[_i].repr, n) == 0,
                  "%.17g: got \"%.*s\", Python says \"%s\"", cases[_i].v, (int)n, buf,
                  cases[_i].repr);
}
END_TEST

START_TEST(no_rating_is_empty)
{
    char buf[RPI_PYFLOAT_MAX];
    ck_assert_uint_eq(rpi_pyfloat(NAN, buf), 0);
}
END_TEST

/* Every file's size (counted, never rendered) against its rendered bytes,
 * for timestamps around each power of ten, negative ones and the extremes:
 * the counts' digit arithmetic and the renderer's division loop must agree
 * (a timestamp counted one digit short or without its '-' fails here). */
START_TEST(sizes_of_every_timestamp_width)
{
    enum { N = 64 };
    const char *u[N], *i[N];
    int64_t ts[N];
    char names[N][16];
    uint32_t n = 0;
    int64_t p = 1; /* 10^k, k < 19 */
    for (int k = 0; k < 19 && n + 2 < N; k++) {
        ts[n++] = p - 1;
        ts[n++] = k % 2 ? -p : p;
        p = k < 18 ? p * 10 : p;
    }
    ts[n++] = INT64_MAX;
    ts[n++] = INT64_MIN;
    for (uint32_t r = 0; r < n; r++) {
        snprintf(names[r], sizeof names[r], "i%u", r);
        u[r] = r % 3 ? "a" : "b";
        i[r] = names[r];
    }
    rp_dataset *ds = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, NULL, n, &ds, &err), RP_OK);
    for (int m = 0; m < 2; m++) {
        rp_params prm = rp_params_defaults(m ? RP_METHOD_AZ23_TIMESTAMP : RP_METHOD_AZ23_LAST_OUT);
        ck_assert_int_eq(rp_params_set(&prm, "k", "0", &err), RP_OK);
        rp_split *s = NULL;
        ck_assert_int_eq(rp_split_run(ds, &prm, &s, &err), RP_OK);
        size_t nf;
        const char *const *files = rp_split_files(s, &nf);
        uint64_t all = 0;
        for (size_t f = 0; f < nf; f++) {
            uint64_t lines, bytes;
            ck_assert_int_eq(rp_split_file_size(s, files[f], &lines, &bytes), RP_OK);
            char *buf = malloc(bytes + 2);
            rp_cursor *c;
            ck_assert_int_eq(rp_cursor_new(s, files[f], &c), RP_OK);
            ck_assert_int_eq(rp_cursor_read(c, buf, bytes + 1), (ssize_t)bytes);
            rp_cursor_free(c);
            all += bytes;
            if (strcmp(files[f], "rating_only.csv") == 0) {
                buf[bytes] = '\0';
                ck_assert_ptr_nonnull(strstr(buf, ",-9223372036854775808\n"));
                ck_assert_ptr_nonnull(strstr(buf, ",9223372036854775807\n"));
                ck_assert_ptr_nonnull(strstr(buf, ",-10\n"));
            }
            free(buf);
        }
        ck_assert_uint_gt(all, 0);
        rp_split_free(s);
    }
    rp_dataset_unref(ds);
}
END_TEST

/* Lines of a file of s (through a cursor). */
static int file_lines(const rp_split *s, const char *name)
{
    char buf[4096];
    rp_cursor *c;
    ck_assert_int_eq(rp_cursor_new(s, name, &c), RP_OK);
    ssize_t n = rp_cursor_read(c, buf, sizeof buf);
    rp_cursor_free(c);
    ck_assert_int_ge(n, 0);
    int lines = 0;
    for (ssize_t k = 0; k < n; k++)
        lines += buf[k] == '\n';
    return lines;
}

/* az23-timestamp's cut times are ms; a log in seconds puts a row of second
 * t before a cut v exactly when t * 1000 < v: the row at 20 s is train
 * for val_time 20001 and validation for 20000; test_time 30000 puts the
 * row at 30 s in test. */
START_TEST(timestamp_cuts_of_a_log_in_seconds)
{
    const char *u[3] = {"a", "a", "a"}, *i[3] = {"x", "y", "z"};
    int64_t ts[3] = {10, 20, 30};
    static const char *const val[2] = {"20001", "20000"};
    rp_dataset *ds = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, NULL, 3, &ds, &err), RP_OK);
    for (int v = 0; v < 2; v++) {
        rp_params prm = rp_params_defaults(RP_METHOD_AZ23_TIMESTAMP);
        ck_assert_int_eq(rp_params_set(&prm, "k", "0", &err), RP_OK);
        ck_assert_int_eq(rp_params_set(&prm, "val_time", val[v], &err), RP_OK);
        ck_assert_int_eq(rp_params_set(&prm, "test_time", "30000", &err), RP_OK);
        rp_split *s = NULL;
        ck_assert_int_eq(rp_split_run(ds, &prm, &s, &err), RP_OK);
        ck_assert_int_eq(file_lines(s, "train.csv"), v == 0 ? 2 : 1);
        ck_assert_int_eq(file_lines(s, "valid.csv"), v == 0 ? 0 : 1);
        ck_assert_int_eq(file_lines(s, "test.csv"), 1);
        rp_split_free(s);
    }
    rp_dataset_unref(ds);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("az23");
    TCase *tc = tcase_create("pyfloat");
    tcase_add_loop_test(tc, python_float_repr, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, no_rating_is_empty);
    suite_add_tcase(s, tc);
    TCase *sizes = tcase_create("sizes");
    tcase_add_test(sizes, sizes_of_every_timestamp_width);
    tcase_add_test(sizes, timestamp_cuts_of_a_log_in_seconds);
    suite_add_tcase(s, sizes);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
