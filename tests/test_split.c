/* Check suite for core/split*.c: exact files of tiny hand-made datasets
 * (each expected line worked out in the comments), summary contents, and
 * sizes that agree with the bytes the cursor produces. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recprep/cursor.h"
#include "recprep/split.h"
#include "check_run.h"

typedef struct row {
    const char *u, *i;
    int64_t ts;
} row;

static rp_dataset *make(const row *rows, uint32_t n)
{
    const char *u[64], *i[64];
    int64_t ts[64];
    ck_assert_uint_le(n, 64);
    for (uint32_t r = 0; r < n; r++) {
        u[r] = rows[r].u;
        i[r] = rows[r].i;
        ts[r] = rows[r].ts;
    }
    rp_dataset *ds = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, NULL, n, &ds, &err), RP_OK);
    return ds;
}

static rp_split *run(rp_dataset *ds, rp_params p)
{
    rp_split *s = NULL;
    rp_error err = {0};
    ck_assert_int_eq(rp_split_run(ds, &p, &s, &err), RP_OK);
    rp_dataset_unref(ds); /* the result holds its own reference */
    return s;
}

/* The whole file through a cursor; also checks it against rp_split_file_size. */
static char *file(const rp_split *s, const char *name)
{
    uint64_t lines, bytes;
    ck_assert_int_eq(rp_split_file_size(s, name, &lines, &bytes), RP_OK);
    char *buf = malloc(bytes + 2);
    rp_cursor *c;
    ck_assert_int_eq(rp_cursor_new(s, name, &c), RP_OK);
    ssize_t got = rp_cursor_read(c, buf, bytes + 1);
    ck_assert_int_eq(got, (ssize_t)bytes);
    ck_assert_int_eq(rp_cursor_read(c, buf + bytes, 1), 0);
    rp_cursor_free(c);
    buf[bytes] = '\0';
    uint64_t nl = 0;
    for (uint64_t b = 0; b < bytes; b++)
        nl += buf[b] == '\n';
    ck_assert_uint_eq(nl, lines);
    return buf;
}

static void expect_file(const rp_split *s, const char *name, const char *want)
{
    char *got = file(s, name);
    ck_assert_str_eq(got, want);
    free(got);
}

/* Sorted ts 1 1 2 2 3 3 4 5 6 7 8 9; val_start 0.5 -> index 6 -> b_val 4;
 * test_start 0.75 -> index 9 -> b_test 7. Train rows 0-5: a{x,y,z} b{y,x} c{x}. */
static const row CASE1[] = {{"a", "x", 1}, {"b", "y", 1}, {"a", "y", 2}, {"c", "x", 2},
                            {"b", "x", 3}, {"a", "z", 3}, {"c", "y", 4}, {"b", "z", 5},
                            {"a", "x", 6}, {"c", "z", 7}, {"b", "y", 8}, {"a", "w", 9}};

static rp_params temporal(uint32_t uk, uint32_t ik, uint32_t min_len, double v, double t)
{
    rp_params p = rp_params_defaults(RP_METHOD_TEMPORAL);
    p.user_k = uk;
    p.item_k = ik;
    p.min_len = min_len;
    p.val_start = v;
    p.test_start = t;
    return p;
}

/* k=2: round 1 keeps users a,b and items x,y; round 2 the same: [(2,2),(2,2)].
 * Users by first train row: a=1, b=2. Items walking a's then b's kept train rows
 * in file order: x=1, y=2 (z has one train row). Validation by time: c,y (c
 * dropped), b,z (z dropped), a,x. Test: c,z no; b,y yes; a,w no (no ID). */
START_TEST(temporal_tiny)
{
    rp_split *s = run(make(CASE1, 12), temporal(2, 2, 0, 0.5, 0.75));
    expect_file(s, "train.txt", "1 1 2\n2 2 1\n");
    expect_file(s, "validation.txt", "1 1 2 1\n");
    expect_file(s, "test.txt", "2 2 1 2\n");
    expect_file(s, "users.tsv", "1\ta\n2\tb\n");
    expect_file(s, "items.tsv", "1\tx\n2\ty\n");
    json_t *j = rp_split_summary(s, NULL);
    ck_assert_ptr_nonnull(j);
    char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_ptr_nonnull(strstr(txt, "\"rounds\":[[2,2],[2,2]]"));
    ck_assert_ptr_nonnull(strstr(txt, "\"boundaries\":{\"test\":7,\"validation\":4}"));
    ck_assert_ptr_nonnull(
        strstr(txt, "\"interactions\":{\"test\":1,\"train\":4,\"validation\":1}"));
    ck_assert_ptr_nonnull(strstr(txt, "\"train.txt\":{\"bytes\":12,\"lines\":2}"));
    ck_assert_ptr_nonnull(strstr(txt, "\"method\":\"temporal\""));
    ck_assert_ptr_nonnull(strstr(txt, "\"min_len\":2"));
    ck_assert_ptr_nonnull(strstr(txt, "\"users\":2"));
    free(txt);
    json_decref(j);
    ck_assert_uint_gt(rp_split_memory(s), 0);
    rp_split_free(s);
}
END_TEST

/* user_k=2, item_k=1 (min_len defaults to user_k = 2): every train item is
 * kept, round trace [(2,3),(2,3)]; items x=1 y=2 z=3 from a's rows. Validation
 * by time: b,z at 5 comes before a,x at 6; test b,y. */
START_TEST(temporal_user_k_differs)
{
    rp_split *s = run(make(CASE1, 12), temporal(2, 1, 0, 0.5, 0.75));
    expect_file(s, "train.txt", "1 1 2\n1 1 2 3\n2 2 1\n");
    expect_file(s, "validation.txt", "2 2 1 3\n1 1 2 3 1\n");
    expect_file(s, "test.txt", "2 2 1 3 2\n");
    expect_file(s, "items.tsv", "1\tx\n2\ty\n3\tz\n");
    rp_split_free(s);
}
END_TEST

/* Ties: validation rows q,y and p,x share ts 40, so q (file order) comes first.
 * Test lines continue after the user's validation items. k=1 keeps all. */
static const row CASE2[] = {{"p", "x", 10}, {"q", "y", 10}, {"p", "y", 20}, {"q", "x", 30},
                            {"q", "y", 40}, {"p", "x", 40}, {"p", "x", 50}, {"q", "y", 60}};

START_TEST(temporal_ties_and_history)
{
    rp_split *s = run(make(CASE2, 8), temporal(1, 1, 2, 0.5, 0.75));
    expect_file(s, "train.txt", "1 1 2\n2 2 1\n");
    expect_file(s, "validation.txt", "2 2 1 2\n1 1 2 1\n");
    expect_file(s, "test.txt", "1 1 2 1 1\n2 2 1 2 2\n");
    rp_split_free(s);
    /* min_len 1: a line for every prefix */
    s = run(make(CASE2, 8), temporal(1, 1, 1, 0.5, 0.75));
    expect_file(s, "train.txt", "1 1\n1 1 2\n2 2\n2 2 1\n");
    rp_split_free(s);
    /* val_start == test_start: empty validation; test users by first test row
     * (q at 40 before p at 40), all of a user's lines together */
    s = run(make(CASE2, 8), temporal(1, 1, 2, 0.5, 0.5));
    expect_file(s, "validation.txt", "");
    expect_file(s, "test.txt", "2 2 1 2\n2 2 1 2 2\n1 1 2 1\n1 1 2 1 1\n");
    rp_split_free(s);
}
END_TEST

/* A min_len above a user's train length drops that user's train lines only. */
START_TEST(temporal_min_len_above_history)
{
    rp_split *s = run(make(CASE1, 12), temporal(2, 1, 3, 0.5, 0.75));
    expect_file(s, "train.txt", "1 1 2 3\n");
    expect_file(s, "validation.txt", "2 2 1 3\n1 1 2 3 1\n");
    rp_split_free(s);
}
END_TEST

/* full, k=2: d has one row and is dropped, but the notebook walks d first when
 * numbering items, so y=1 and x=2 although the kept users meet x first. */
static const row CASE3[] = {
    {"d", "y", 1}, {"a", "x", 2}, {"a", "y", 3}, {"b", "y", 5}, {"b", "x", 4}};

START_TEST(full_item_order_from_dropped_user)
{
    rp_params p = rp_params_defaults(RP_METHOD_FULL);
    p.user_k = p.item_k = 2;
    rp_split *s = run(make(CASE3, 5), p);
    expect_file(s, "all.txt", "1 2 1\n2 2 1\n");
    expect_file(s, "users.tsv", "1\ta\n2\tb\n");
    expect_file(s, "items.tsv", "1\ty\n2\tx\n");
    size_t n;
    const char *const *names = rp_split_files(s, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(names[0], "all.txt");
    uint64_t lines, bytes;
    ck_assert_int_eq(rp_split_file_size(s, "train.txt", &lines, &bytes), RP_ERR_NOT_FOUND);
    json_t *j = rp_split_summary(s, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "interactions")), 4);
    ck_assert_ptr_null(json_object_get(j, "boundaries"));
    json_decref(j);
    rp_split_free(s);
}
END_TEST

START_TEST(full_nothing_kept)
{
    rp_params p = rp_params_defaults(RP_METHOD_FULL); /* k=5 */
    rp_split *s = run(make(CASE3, 5), p);
    expect_file(s, "all.txt", "");
    expect_file(s, "items.tsv", "");
    json_t *j = rp_split_summary(s, NULL);
    json_t *rounds = json_object_get(j, "rounds");
    ck_assert_uint_eq(json_array_size(rounds), 1);
    json_decref(j);
    rp_split_free(s);
}
END_TEST

START_TEST(run_rejects_bad_params)
{
    rp_dataset *ds = make(CASE3, 5);
    rp_params p = temporal(2, 2, 0, 0.9, 0.8);
    rp_split *s = (rp_split *)1;
    rp_error err = {0};
    ck_assert_int_eq(rp_split_run(ds, &p, &s, &err), RP_ERR_PARAM);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.param, "test_start");
    rp_dataset_unref(ds);
}
END_TEST

/* Every row at the same second: b_val is that second, so train is empty, the
 * k-core keeps nothing (trace [(0,0)]) and every file is empty. */
START_TEST(temporal_all_one_timestamp)
{
    row same[6];
    for (int r = 0; r < 6; r++)
        same[r] = (row){r % 2 ? "a" : "b", r % 3 ? "x" : "y", 42};
    rp_split *s = run(make(same, 6), temporal(1, 1, 0, 0.8, 0.9));
    expect_file(s, "train.txt", "");
    expect_file(s, "validation.txt", "");
    expect_file(s, "test.txt", "");
    expect_file(s, "users.tsv", "");
    json_t *j = rp_split_summary(s, NULL);
    char *txt = json_dumps(j, JSON_COMPACT);
    ck_assert_ptr_nonnull(strstr(txt, "\"rounds\":[[0,0]]"));
    ck_assert_ptr_nonnull(strstr(txt, "\"validation\":42,\"test\":42"));
    free(txt);
    json_decref(j);
    rp_split_free(s);
}
END_TEST

/* Validation and test users come in order of their first row of the part
 * by second, here over a range wider than 32 bits (64-bit timestamps):
 * T0 = 1e9, S = 2^34, W = 2^32. Sorted times 1..6, T0, T0+100, T0+W+5, S,
 * S+7, S+W+1: val_start 0.5 -> b_val T0, test_start 0.75 -> b_test S.
 * Validation by time a (T0), c (T0+100), b (T0+W+5); test c (S), a (S+7),
 * b (S+W+1) - not the rows' file order (b, c, a), nor the order of the low
 * 32 bits of the seconds past the smallest (a, b, c; c, b, a). */
START_TEST(temporal_order_past_32_bits)
{
    const int64_t T0 = 1000000000, S = (int64_t)1 << 34, W = (int64_t)1 << 32;
    const row wide[] = {{"a", "x", 1},  {"b", "x", 2}, {"c", "x", 3},          {"a", "y", 4},
                        {"b", "y", 5},  {"c", "y", 6}, {"b", "x", T0 + W + 5}, {"c", "y", T0 + 100},
                        {"a", "x", T0}, {"c", "x", S}, {"b", "y", S + W + 1},  {"a", "y", S + 7}};
    rp_split *s = run(make(wide, 12), temporal(1, 1, 1, 0.5, 0.75));
    expect_file(s, "train.txt", "1 1\n1 1 2\n2 1\n2 1 2\n3 1\n3 1 2\n");
    expect_file(s, "validation.txt", "1 1 2 1\n3 1 2 2\n2 1 2 1\n");
    expect_file(s, "test.txt", "3 1 2 2 1\n1 1 2 1 2\n2 1 2 1 2\n");
    rp_split_free(s);
}
END_TEST

/* A star: one user with N distinct items in time order, k=1. train.txt has N
 * lines of quadratic total size (~N^2 * 3.4 bytes): sizes must come from
 * counting, never rendering, and the first lines must still stream. */
START_TEST(star_sizes_without_rendering)
{
    enum { N = 100000 };
    const char **u = malloc(N * sizeof *u), **i = malloc(N * sizeof *i);
    int64_t *ts = malloc(N * sizeof *ts);
    char *names = malloc((size_t)N * 12);
    for (uint32_t r = 0; r < N; r++) {
        snprintf(names + (size_t)r * 12, 12, "i%u", r % (N / 2)); /* later rows repeat */
        u[r] = "star";
        i[r] = names + (size_t)r * 12;
        ts[r] = r;
    }
    rp_dataset *ds = NULL;
    ck_assert_int_eq(rp_dataset_from_rows(u, i, ts, NULL, N, &ds, NULL), RP_OK);
    rp_split *s = run(ds, temporal(1, 1, 0, 0.5, 0.75));
    /* train = rows with ts < 50000: item IDs 1..50000 in order */
    uint64_t lines, bytes, want = 0, prefix = 0;
    for (uint32_t len = 1; len <= N / 2; len++) {
        prefix += 1 + (uint64_t)snprintf(NULL, 0, "%u", len);
        want += 1 + prefix + 1; /* "1" + " i0 .. i(len-1)" + '\n' */
    }
    ck_assert_int_eq(rp_split_file_size(s, "train.txt", &lines, &bytes), RP_OK);
    ck_assert_uint_eq(lines, N / 2);
    ck_assert_uint_eq(bytes, want);
    rp_cursor *c;
    char head[32];
    ck_assert_int_eq(rp_cursor_new(s, "train.txt", &c), RP_OK);
    ck_assert_int_eq(rp_cursor_read(c, head, 16), 16);
    ck_assert_int_eq(memcmp(head, "1 1\n1 1 2\n1 1 2 3", 16), 0);
    rp_cursor_free(c);
    /* validation: one line per validation row, each carrying the whole history */
    ck_assert_int_eq(rp_split_file_size(s, "validation.txt", &lines, &bytes), RP_OK);
    ck_assert_uint_eq(lines, N / 4);
    rp_split_free(s);
    free(u);
    free(i);
    free(ts);
    free(names);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("split");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, temporal_tiny);
    tcase_add_test(tc, temporal_user_k_differs);
    tcase_add_test(tc, temporal_ties_and_history);
    tcase_add_test(tc, temporal_min_len_above_history);
    tcase_add_test(tc, full_item_order_from_dropped_user);
    tcase_add_test(tc, full_nothing_kept);
    tcase_add_test(tc, run_rejects_bad_params);
    tcase_add_test(tc, star_sizes_without_rendering);
    tcase_add_test(tc, temporal_all_one_timestamp);
    tcase_add_test(tc, temporal_order_past_32_bits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
