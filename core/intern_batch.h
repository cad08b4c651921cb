/*
 * core/intern_batch.h - interning a big load's IDs in batches, part by part
 * (private to the core; the design note and figures are in intern_batch.c).
 *
 * The same mapping as rp_intern (strings to indices in order of first
 * appearance), for the parallel load's merge: the strings of many rows are
 * queued, then resolved together, grouped by a part of the hash space, so
 * that each lookup lands in a part's small table and entries instead of
 * anywhere in one big table. A queued row's index is known after the next
 * flush. One thread at a time.
 */
#ifndef RECPREP_INTERN_BATCH_H
#define RECPREP_INTERN_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "prefault.h"
#include "recprep/intern.h"

typedef struct rpi_bintern rpi_bintern;

/* Below this many expected strings one rp_intern's table stays within the
 * caches' reach and interning row by row costs less (intern_batch.c). */
#define RPI_BINTERN_MIN_EXPECTED ((size_t)1 << 22)

/* expected: distinct strings expected in all (a sizing hint); batch_rows:
 * rows queued before rpi_bintern_due says a flush is due (0: chosen from
 * expected). NULL on OOM. */
rpi_bintern *rpi_bintern_new(size_t expected, size_t batch_rows);

void rpi_bintern_free(rpi_bintern *bi);

/* in's strings, in index order, become strings 0 .. count - 1 (in's were
 * interned before the batches began: the parallel load's first chunk).
 * Before any rpi_bintern_queue; in is left as it was. */
rp_status rpi_bintern_seed(rpi_bintern *bi, const rp_intern *in);

/* Queue n strings, string k being bytes[off[2k + side] .. off[2k + side + 1])
 * with rp_intern_hash h[k] (a row buffer's side, builder.c), for rows row0 ..
 * row0 + n - 1 of a column: until the flush, col[row0 + k] holds what the
 * flush needs to find the row's string. RP_OK, RP_ERR_NOMEM or RP_ERR_LIMIT
 * (a string over 1 GB). */
rp_status rpi_bintern_queue(rpi_bintern *bi, const char *bytes, const uint32_t *off, int side,
                            const uint64_t *h, uint32_t n, uint32_t *col, uint32_t row0);

/* Are enough rows queued for a flush to pay? */
int rpi_bintern_due(const rpi_bintern *bi);

/* Resolve every queued row: col[row] becomes its string's index. col is the
 * column the rows were queued for (it may have moved since, with its
 * contents). RP_OK, RP_ERR_NOMEM or RP_ERR_LIMIT (over UINT32_MAX - 2
 * strings). */
rp_status rpi_bintern_flush(rpi_bintern *bi, uint32_t *col);

/* Distinct strings resolved so far. */
uint32_t rpi_bintern_count(const rpi_bintern *bi);

/* Its growing buffers (the arena, the strings' entries, the batch's records) for a prefaulter:
 * at most max into out; returns how many. */
size_t rpi_bintern_regions(const rpi_bintern *bi, rpi_region *out, size_t max);

/* Flush, then move the strings into a new sealed interner (*out); bi is
 * freed whatever the outcome. */
rp_status rpi_bintern_seal(rpi_bintern *bi, uint32_t *col, rp_intern **out);

#endif
