/* Check suite for core/digest.c: known SHA-256 answers, files of several
 * 1 MiB read blocks against the buffer's digest, and a missing file. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "recprep/digest.h"
#include "temp_file.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

START_TEST(known_answers)
{
    char hex[RP_SHA256_HEX];
    uint64_t bytes = 7;
    rp_sha256_buffer("", 0, hex);
    ck_assert_str_eq(hex, EMPTY_SHA);
    rp_sha256_buffer("abc", 3, hex);
    ck_assert_str_eq(hex, ABC_SHA);
    char *path = write_temp("abc", 3, ".csv");
    ck_assert_int_eq(rp_sha256_file(path, hex, &bytes, NULL), RP_OK);
    ck_assert_str_eq(hex, ABC_SHA);
    ck_assert_uint_eq(bytes, 3);
    remove_temp(path);
    path = write_temp("", 0, ".csv");
    ck_assert_int_eq(rp_sha256_file(path, hex, &bytes, NULL), RP_OK);
    ck_assert_str_eq(hex, EMPTY_SHA);
    ck_assert_uint_eq(bytes, 0);
    remove_temp(path);
}
END_TEST

/* n bytes of a pattern with no period near a block's size. */
static unsigned char *pattern(size_t n)
{
    unsigned char *p = malloc(n);
    uint32_t x = 12345;
    for (size_t k = 0; k < n; k++) {
        x = x * 1103515245u + 12345u;
        p[k] = (unsigned char)(x >> 16);
    }
    return p;
}

/* Sizes around whole 1 MiB read blocks: the buffer's digest and the
 * file's size. */
START_TEST(files_of_several_blocks)
{
    static const size_t sizes[] = {1, (1u << 20) - 1, 1u << 20, (1u << 20) + 1, (3u << 20) + 5};
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        unsigned char *data = pattern(sizes[z]);
        char want[RP_SHA256_HEX], hex[RP_SHA256_HEX];
        rp_sha256_buffer(data, sizes[z], want);
        char *path = write_temp(data, sizes[z], ".csv");
        uint64_t bytes = 0;
        ck_assert_int_eq(rp_sha256_file(path, hex, &bytes, NULL), RP_OK);
        ck_assert_msg(strcmp(hex, want) == 0, "size %zu", sizes[z]);
        ck_assert_uint_eq(bytes, sizes[z]);
        remove_temp(path);
        free(data);
    }
}
END_TEST

START_TEST(missing_file)
{
    rp_error err = {0};
    char hex[RP_SHA256_HEX];
    uint64_t bytes;
    ck_assert_int_eq(rp_sha256_file("/nonexistent/recprep.csv", hex, &bytes, &err), RP_ERR_IO);
    ck_assert_str_eq(err.file, "/nonexistent/recprep.csv");
    ck_assert_ptr_nonnull(strstr(err.message, "No such file"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("digest");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, known_answers);
    tcase_add_test(tc, files_of_several_blocks);
    tcase_add_test(tc, missing_file);
    suite_add_tcase(s, tc);
    return rp_check_run(s);
}
