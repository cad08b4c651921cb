/*
 * core/radix.h - a stable LSD radix sort of 64-bit words by their high bits
 * (private to the core).
 *
 * The pipelines sort a few hundred thousand to a few million small records
 * per request: the users a k-core keeps by their first row, a split's
 * validation and test users by their first row's (second, row). glibc's
 * qsort (a merge sort through an indirect compare) took ~7% of the temporal
 * split's samples on the 100M-row generated log, and O(n log n) is the one
 * term of a split that grows faster than its input. A record here is one
 * word: the key in bits [lo_bit, 64), a payload (an index) below, so a sort
 * is passes of 11-bit digits over 8 bytes a record with no compare at all;
 * a digit that is the same in every record costs its histogram only. No
 * Debian package offers a C radix sort as a library; dataset.c's time sort
 * is its own (keys read from the timestamps, rows carried, 16-bit digits)
 * and shares the step from histograms to bucket starts.
 */
#ifndef RECPREP_RADIX_H
#define RECPREP_RADIX_H

#include <stddef.h>
#include <stdint.h>

#include "recprep/error.h"

/* Turn passes histograms of radix buckets each (count[p * radix + d]) into
 * bucket starts, and list in live[] the passes whose digit is not the same
 * in every record (the only ones an LSD sort needs to scatter). Returns how
 * many were listed. Shared with dataset.c's time sort. */
unsigned rpi_radix_starts(size_t *count, unsigned passes, size_t radix, unsigned *live);

/* Sort a[0..n) by a[i] >> lo_bit, ascending, stably (lo_bit < 64).
 * RP_OK, or RP_ERR_NOMEM (a[] unchanged) when its scratch (8n bytes) fails. */
rp_status rpi_sort_u64(uint64_t *a, size_t n, unsigned lo_bit);

#endif
