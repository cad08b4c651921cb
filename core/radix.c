/*
 * core/radix.c - the stable LSD radix sort of radix.h.
 *
 * One sweep counts every digit's histogram; a pass then scatters the words
 * by one digit, from a[] to the scratch and back. Digits whose histogram has
 * a single bucket are skipped: a record's key that fits 20 bits costs 2
 * scatters, however wide the field. 11-bit digits keep the 2048 bucket
 * starts (16 KB) and the write heads in L1. Short inputs sort by insertion.
 */
#include "radix.h"

#include <stdlib.h>
#include <string.h>

#define DIGIT 11u
#define RADIX ((size_t)1 << DIGIT)
#define MAX_PASSES ((64u + DIGIT - 1) / DIGIT)
#define INSERTION_MAX 32u /* up to this many records, insertion sort */

static void insertion(uint64_t *a, size_t n, unsigned lo_bit)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t v = a[i], k = v >> lo_bit;
        size_t j = i;
        for (; j > 0 && (a[j - 1] >> lo_bit) > k; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

unsigned rpi_radix_starts(size_t *count, unsigned passes, size_t radix, unsigned *live)
{
    unsigned nlive = 0;
    for (unsigned p = 0; p < passes; p++) {
        size_t *c = count + p * radix, sum = 0, nonzero = 0;
        for (size_t d = 0; d < radix; d++) {
            size_t v = c[d];
            nonzero += v != 0;
            c[d] = sum;
            sum += v;
        }
        if (nonzero > 1)
            live[nlive++] = p;
    }
    return nlive;
}

rp_status rpi_sort_u64(uint64_t *a, size_t n, unsigned lo_bit)
{
    if (n <= INSERTION_MAX) {
        insertion(a, n, lo_bit);
        return RP_OK;
    }
    unsigned passes = (64u - lo_bit + DIGIT - 1) / DIGIT;
    size_t *count = calloc((size_t)passes * RADIX, sizeof *count);
    if (count == NULL)
        return RP_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[i] >> lo_bit;
        for (unsigned p = 0; p < passes; p++)
            count[p * RADIX + ((k >> (p * DIGIT)) & (RADIX - 1))]++;
    }
    unsigned live[MAX_PASSES], nlive = rpi_radix_starts(count, passes, RADIX, live);
    uint64_t *tmp = nlive > 0 ? malloc(n * sizeof *tmp) : NULL;
    if (nlive > 0 && tmp == NULL) {
        free(count);
        return RP_ERR_NOMEM;
    }
    uint64_t *src = a, *dst = tmp;
    for (unsigned t = 0; t < nlive; t++) {
        size_t *start = count + live[t] * RADIX;
        unsigned shift = lo_bit + live[t] * DIGIT;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = src[i];
            dst[start[(v >> shift) & (RADIX - 1)]++] = v;
        }
        uint64_t *x = src;
        src = dst;
        dst = x;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    free(tmp);
    free(count);
    return RP_OK;
}
