/*
 * core/mem.h - allocation of big arrays (private to the core).
 *
 * Loading and splitting a 2M-row log touches ~130 MB of fresh memory; with
 * 4 KiB pages that is ~33,000 page faults, a quarter of the run. Arrays of
 * RPI_BIG_MIN bytes or more are therefore 2 MiB aligned and asked to use
 * transparent huge pages (madvise; a no-op where THP is off or unsupported).
 * Measured with `hyperfine` on `recprep temporal` over the 2,023,070-row
 * generated log: 553 ms -> ~490 ms mean. Memory from these calls is released
 * with free(), like any other.
 */
#ifndef RECPREP_MEM_H
#define RECPREP_MEM_H

#include <stddef.h>

#define RPI_HUGE_PAGE ((size_t)2 << 20)

/* From 1 MiB: a per-row byte column of a 2M-row log (2,023,070 bytes) is
 * one huge page instead of ~500 faults of 4 KiB. Rounding a 1-2 MiB array
 * up to a whole huge page wastes less than the rounding of bigger ones. */
#define RPI_BIG_MIN ((size_t)1 << 20)

/* Like malloc(n * size), overflow-checked; huge pages for big arrays. */
void *rpi_alloc_big(size_t n, size_t size);

/* Like calloc(n, size); huge pages for big arrays. */
void *rpi_calloc_big(size_t n, size_t size);

/* Grow the buffer *p of *cap elements of elem bytes to hold at least need
 * elements (doubling, so appends are amortised O(1)). 0, or -1 on OOM with
 * *p and *cap unchanged. The growing buffers of the cursor and az23.c. */
int rpi_reserve(void **p, size_t *cap, size_t need, size_t elem);

/* Shrink the buffer *p to n elements (n >= 1) of elem bytes, giving back
 * what a doubling or an upper bound left over. 0, or -1 with *p unchanged
 * (the bigger block stays: nothing is lost). */
int rpi_shrink(void **p, size_t n, size_t elem);

#endif
