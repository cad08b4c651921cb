/*
 * core/intern_impl.h - the interner's knobs for tests (core/intern.c).
 */
#ifndef RECPREP_INTERN_IMPL_H
#define RECPREP_INTERN_IMPL_H

#include "recprep/intern.h"

/* Seal with 8-byte offsets whatever the size of the bytes: the layout of
 * interners past 4 GB of IDs, exercised without 4 GB of IDs. */
void rpi_intern_wide_offsets(rp_intern *in);

/* The strings of an unsealed interner in index order: start with *pos = 0;
 * 1 and the next string in *s, *len, or 0 after the last. For the batch
 * interner's seed (intern_batch.c). */
int rpi_intern_next(const rp_intern *in, uint64_t *pos, const char **s, size_t *len);

/* A sealed interner of count strings made from packed parts, all taken
 * over (freed on failure too): string i is bytes[off[i] .. off[i + 1]),
 * off being off32 or, when NULL, off64, with count + 1 entries. NULL on
 * OOM. */
rp_intern *rpi_intern_packed(char *bytes, size_t len, uint32_t *off32, uint64_t *off64,
                             uint32_t count);

#endif
