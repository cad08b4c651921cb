/* Check suite for core/az23.c: ratings printed as Python prints a float (the
 * az23 files' rating column). Expected texts were produced by Python 3's
 * repr() on the same doubles; the goldens cover the files themselves. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "split_impl.h"
#include "check_run.h"

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

static Suite *suite(void)
{
    Suite *s = suite_create("az23");
    TCase *tc = tcase_create("pyfloat");
    tcase_add_loop_test(tc, python_float_repr, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, no_rating_is_empty);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
