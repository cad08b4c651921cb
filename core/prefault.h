/*
 * core/prefault.h - fault in the next pages of growing buffers on a thread
 * of idle priority (private to the core).
 *
 * Why. On this project's VMs (PVM guests whose freed memory goes back to the
 * host: page_reporting), the first write to a page costs the writer the
 * host's fault and the kernel's zeroing: ~1 GB/s a core, 0.5 GB/s in a
 * 4 KiB-page loop. A 20M-row load writes ~900 MB that way, and most of it
 * lands on the merge thread, the parallel load's critical path (perf: a
 * quarter of its samples in clear_page_erms), while a core sits idle 15-30%
 * of the time. A prefaulter is given each growing buffer's frontier (bytes
 * used) and end (bytes reserved) and faults in the pages just past the
 * frontier with madvise(MADV_POPULATE_WRITE), which leaves their contents
 * as they are; its thread runs under SCHED_IDLE, so it only takes time no
 * other thread wants.
 *
 * A prefault never changes a byte: a buffer the owner has meanwhile freed
 * or moved is at worst faulted in for nothing (or not at all: madvise fails
 * on unmapped memory, and that is ignored). Where the platform lacks the
 * call or the thread, rpi_prefault_start returns NULL and the callers go on
 * without it.
 */
#ifndef RECPREP_PREFAULT_H
#define RECPREP_PREFAULT_H

#include <stddef.h>
#include <stdint.h>

/* A growing buffer: base[0..used) is written, base[used..cap) reserved;
 * base[used..used + ahead) to be faulted in (ahead 0: the prefaulter's). */
typedef struct rpi_region {
    char *base;
    size_t used, cap, ahead;
} rpi_region;

#define RPI_PREFAULT_REGIONS 8

/* out[n] = {base, used, cap, ahead} when n < max and the buffer has room
 * left (base set, used < cap); the new count. */
static inline size_t rpi_region_add(rpi_region *out, size_t n, size_t max, void *base,
                                    uint64_t used, uint64_t cap, uint64_t ahead)
{
    if (n < max && base != NULL && used < cap)
        out[n++] = (rpi_region){base, (size_t)used, (size_t)cap, (size_t)ahead};
    return n;
}

typedef struct rpi_prefault rpi_prefault;

/* A prefaulter keeping `ahead` bytes past each frontier faulted in; NULL
 * when it cannot run here (or out of memory). */
rpi_prefault *rpi_prefault_start(size_t ahead);

/* The buffers as they are now (at most RPI_PREFAULT_REGIONS; a region with
 * a new base starts over). Called by the one thread that owns them. NULL-safe. */
void rpi_prefault_update(rpi_prefault *pf, const rpi_region *r, size_t n);

/* Stop and join the thread, free pf. NULL-safe. */
void rpi_prefault_stop(rpi_prefault *pf);

#endif
