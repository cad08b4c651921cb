/*
 * tests/fuzz/fuzz_check.h - the invariant check of the fuzz targets: a failed
 * invariant prints what failed and aborts, which libFuzzer reports as a crash
 * with the input that caused it.
 */
#ifndef RECPREP_FUZZ_CHECK_H
#define RECPREP_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__);                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
