/*
 * core/kcore_impl.h - the k-core with its size switch exposed, for tests.
 */
#ifndef RECPREP_KCORE_IMPL_H
#define RECPREP_KCORE_IMPL_H

#include "recprep/kcore.h"

/* rp_kcore_run over the rows r with row_mask[r] & mask_bits (rp_kcore_run:
 * 0xFF, any nonzero byte; a split's row codes select a part with one bit),
 * counting through the CSR walks from csr_min_rows rows on, and running the
 * users' and the items' side of each big pass on two threads from
 * par_min_rows rows on (rp_kcore_run: sizes measured in kcore.c; tests pass
 * 0 to force either on small data, UINT32_MAX to never). Same result every
 * way. */
rp_status rpi_kcore_run(const rp_dataset *ds, const uint8_t *row_mask, uint8_t mask_bits,
                        uint32_t user_k, uint32_t item_k, uint32_t csr_min_rows,
                        uint32_t par_min_rows, rp_kcore *out);

/* rp_kcore_run over the rows r with row_mask[r] & mask_bits. */
rp_status rpi_kcore_bits(const rp_dataset *ds, const uint8_t *row_mask, uint8_t mask_bits,
                         uint32_t user_k, uint32_t item_k, rp_kcore *out);

#endif
