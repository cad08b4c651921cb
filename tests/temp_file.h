/*
 * tests/temp_file.h - an input file in a fresh temporary directory, for the
 * loader suites (a directory per file, so the file can carry any suffix).
 */
#ifndef RECPREP_TEMP_FILE_H
#define RECPREP_TEMP_FILE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* data[0..len) as <fresh dir>/input<suffix>; the path is malloc'd. */
static inline char *write_temp(const void *data, size_t len, const char *suffix)
{
    char dir[] = "/tmp/recprep_test_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = malloc(128);
    int n = snprintf(path, 128, "%s/input%s", dir, suffix);
    ck_assert(n > 0 && n < 128);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* Remove the file, its directory, and free the path. */
static inline void remove_temp(char *path)
{
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    free(path);
}

#endif
