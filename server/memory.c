/*
 * server/memory.c - giving freed memory back to the system (issue #10 item 4).
 *
 * Why: glibc raises its mmap threshold to the size of any mapped block that
 * is freed (up to 32 MB), so after the first few results every array of a
 * computation or a result - megabytes each - comes from the heap of the
 * calling thread's arena, and freed heap memory in the middle of an arena
 * stays resident. With several worker threads, each with its own arena, a
 * 1 MB cache at 2M rows grew from 100 MB after the load to 290-365 MB after
 * 60 distinct results (tests/bench/bench_cache.sh, and the 422 MB).
 * What: a fixed M_MMAP_THRESHOLD of 256 KiB (which also turns the dynamic
 * adjustment off): big blocks are mapped on their own and unmapped by
 * free(); plus malloc_trim(0) once 16 MB of results were freed, for what
 * smaller blocks leave behind. Same 60 results, RSS after (2M rows):
 *   default glibc                        100 -> 294..365 MB
 *   M_ARENA_MAX=1                         99 -> 150 MB
 *   malloc_trim only (every 16 MB freed) 101 -> 99..403 MB (up between trims)
 *   M_MMAP_THRESHOLD 1 MiB               100 -> 118 MB
 *   M_MMAP_THRESHOLD 256 KiB             100 -> 101..115 MB
 *   256 KiB + malloc_trim (chosen)       100 -> 99..101 MB
 * Computation times (recprep_compute_seconds_total over the 60) moved within
 * the run-to-run noise of this shared machine (+-10%): a mapped block costs
 * its page faults again each time, which the huge-page arrays (core/mem.c)
 * keep few.
 * Rejected: an arena per result (a custom allocator threaded through the
 * core for what one mallopt call does) and a different malloc (a new
 * dependency). Without glibc both calls are no-ops.
 */
#include "memory.h"

#include <stdatomic.h>
#include <stdlib.h> /* defines __GLIBC__ on glibc */

#ifdef __GLIBC__
#include <malloc.h>
#endif

static atomic_size_t pending; /* bytes freed since the last trim */

void srv_memory_init(void)
{
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, (int)SRV_MMAP_THRESHOLD);
#endif
}

void srv_memory_trim(void)
{
#ifdef __GLIBC__
    (void)malloc_trim(0);
#endif
}

void srv_memory_freed(size_t bytes)
{
#ifdef __GLIBC__
    if (atomic_fetch_add(&pending, bytes) + bytes >= SRV_TRIM_AFTER &&
        atomic_exchange(&pending, 0) >= SRV_TRIM_AFTER)
        (void)malloc_trim(0); /* one thread trims; the others go on */
#else
    (void)bytes;
#endif
}
