/* Check suite for core/cursor.c: reads in chunks of any size concatenate to
 * the same bytes, whose length is rp_split_file_size's; long lines span reads;
 * write_file writes them; bad names and caps are refused. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recprep/cursor.h"
#include "recprep/split.h"
#include "check_run.h"

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

/* A random log with a few heavy users (long lines) and many light ones. */
static rp_dataset *random_dataset(uint32_t n, uint64_t seed)
{
    char **u = malloc(n * sizeof *u), **i = malloc(n * sizeof *i);
    int64_t *ts = malloc(n * sizeof *ts);
    for (uint32_t r = 0; r < n; r++) {
        u[r] = malloc(24);
        i[r] = malloc(24);
        uint32_t heavy = rnd(&seed) % 4 == 0;
        snprintf(u[r], 24, "user-%u", heavy ? rnd(&seed) % 5 : rnd(&seed) % (n / 4 + 1));
        snprintf(i[r], 24, "B%08u", rnd(&seed) % (n / 8 + 1));
        ts[r] = 1000000 + (int64_t)(rnd(&seed) % 500) * 86400;
    }
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_dataset_from_rows((const char *const *)u, (const char *const *)i, ts, NULL,
                                          n, &ds, NULL),
                     RP_OK);
    for (uint32_t r = 0; r < n; r++) {
        free(u[r]);
        free(i[r]);
    }
    free(u);
    free(i);
    free(ts);
    return ds;
}

static rp_split *split_of(rp_dataset *ds, rp_method m, uint32_t k)
{
    rp_params p = rp_params_defaults(m);
    p.user_k = p.item_k = k;
    rp_split *s = NULL;
    ck_assert_int_eq(rp_split_run(ds, &p, &s, NULL), RP_OK);
    return s;
}

/* Read the whole file with the given cap sequence (cycled). */
static char *read_chunked(const rp_split *s, const char *name, const size_t *caps, size_t ncaps,
                          uint64_t *len)
{
    uint64_t lines, bytes;
    ck_assert_int_eq(rp_split_file_size(s, name, &lines, &bytes), RP_OK);
    char *out = malloc(bytes + 1);
    char *buf = malloc(1 << 16);
    rp_cursor *c;
    ck_assert_int_eq(rp_cursor_new(s, name, &c), RP_OK);
    uint64_t got = 0;
    int bad = 0; /* plain checks in the loop: every ck_assert costs a pipe write */
    for (size_t k = 0;; k++) {
        size_t cap = caps[k % ncaps];
        ssize_t n = rp_cursor_read(c, buf, cap);
        if (n <= 0) {
            bad |= n < 0;
            break;
        }
        if ((size_t)n > cap || got + (uint64_t)n > bytes) {
            bad = 1;
            break;
        }
        memcpy(out + got, buf, (size_t)n);
        got += (uint64_t)n;
        bad |= rp_cursor_offset(c) != got;
    }
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(rp_cursor_read(c, buf, 10), 0); /* stays at the end */
    rp_cursor_free(c);
    free(buf);
    ck_assert_uint_eq(got, bytes);
    *len = got;
    return out;
}

static void check_all_files(const rp_split *s)
{
    static const size_t one_big[] = {1 << 16};
    static const size_t odd[] = {1, 7, 4096, 3, 13, 1000};
    static const size_t ones[] = {1};
    size_t n;
    const char *const *names = rp_split_files(s, &n);
    for (size_t f = 0; f < n; f++) {
        uint64_t la, lb, lc;
        char *a = read_chunked(s, names[f], one_big, 1, &la);
        char *b = read_chunked(s, names[f], odd, 6, &lb);
        char *c = read_chunked(s, names[f], ones, 1, &lc);
        ck_assert_uint_eq(la, lb);
        ck_assert_uint_eq(la, lc);
        ck_assert_int_eq(memcmp(a, b, la), 0);
        ck_assert_int_eq(memcmp(a, c, la), 0);
        ck_assert(la == 0 || a[la - 1] == '\n');
        free(a);
        free(b);
        free(c);
    }
}

START_TEST(chunking_is_invisible)
{
    rp_dataset *ds = random_dataset(6000, 99 + (uint64_t)_i);
    rp_split *t = split_of(ds, RP_METHOD_TEMPORAL, 2);
    rp_split *f = split_of(ds, RP_METHOD_FULL, 2);
    rp_dataset_unref(ds);
    uint64_t lines, bytes;
    ck_assert_int_eq(rp_split_file_size(t, "train.txt", &lines, &bytes), RP_OK);
    ck_assert_uint_gt(lines, 100); /* the data really produces output */
    check_all_files(t);
    check_all_files(f);
    rp_split_free(t);
    rp_split_free(f);
}
END_TEST

START_TEST(refuses_bad_use)
{
    rp_dataset *ds = random_dataset(500, 1);
    rp_split *s = split_of(ds, RP_METHOD_FULL, 1);
    rp_dataset_unref(ds);
    rp_cursor *c = (rp_cursor *)1;
    ck_assert_int_eq(rp_cursor_new(s, "train.txt", &c), RP_ERR_NOT_FOUND);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(rp_cursor_new(s, "all.txt", &c), RP_OK);
    char buf[4];
    ck_assert_int_eq(rp_cursor_read(c, buf, 0), -1);
    rp_cursor_free(c);
    rp_cursor_free(NULL);
    rp_split_free(s);
}
END_TEST

START_TEST(write_file_matches_reads)
{
    rp_dataset *ds = random_dataset(3000, 5);
    rp_split *s = split_of(ds, RP_METHOD_TEMPORAL, 2);
    rp_dataset_unref(ds);
    char path[] = "/tmp/recprep-cursor-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    rp_error err = {0};
    ck_assert_int_eq(rp_cursor_write_file(s, "test.txt", path, &err), RP_OK);
    static const size_t cap[] = {1 << 16};
    uint64_t len;
    char *want = read_chunked(s, "test.txt", cap, 1, &len);
    FILE *fp = fopen(path, "rb");
    char *got = malloc(len + 1);
    ck_assert_uint_eq(fread(got, 1, len + 1, fp), len);
    fclose(fp);
    ck_assert_int_eq(memcmp(got, want, len), 0);
    free(got);
    free(want);
    unlink(path);
    ck_assert_int_eq(rp_cursor_write_file(s, "test.txt", "/nonexistent-dir/x", &err), RP_ERR_IO);
    ck_assert_str_eq(err.file, "/nonexistent-dir/x");
    rp_split_free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cursor");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, chunking_is_invisible, 0, 4);
    tcase_add_test(tc, refuses_bad_use);
    tcase_add_test(tc, write_file_matches_reads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
