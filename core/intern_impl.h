/*
 * core/intern_impl.h - the interner's knobs for tests (core/intern.c).
 */
#ifndef RECPREP_INTERN_IMPL_H
#define RECPREP_INTERN_IMPL_H

#include "recprep/intern.h"

/* Seal with 8-byte offsets whatever the size of the bytes: the layout of
 * interners past 4 GB of IDs, exercised without 4 GB of IDs. */
void rpi_intern_wide_offsets(rp_intern *in);

#endif
