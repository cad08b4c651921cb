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
 * What: a fixed M_MMAP_THRESHOLD (which also turns the dynamic adjustment
 * off; 256 KiB at first, 4 MiB now - below): big blocks are mapped on their
 * own and unmapped by free(); plus malloc_trim(0) once 16 MB of results
 * were freed, for what smaller blocks leave behind. Same 60 results, RSS after (2M rows):
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
 * December 2026, same bench plus first summaries: the 256 KiB threshold made
 * every computation map, fault in and unmap its scratch arrays again - a
 * temporal split on the 2M log, best of 9 in one process, took 67-71 ms
 * with MALLOC_MMAP_THRESHOLD_=262144, 57-64 ms with 1 MiB and 45-47 ms with
 * 4 MiB (glibc's own dynamic default: 43-56 ms). Now 4 MiB: the mid-size
 * arrays (per item, the masks and counters of a 2M log) are reused from the
 * arena, the big ones are still mapped on their own (huge pages, core/mem.c)
 * and unmapped by free(). recprepd's first summaries, alternated 3 times with
 * the 256 KiB build: full 52-61 -> 28-47 ms, sasrec 39-61 -> 24-52, s3rec
 * 38-61 -> 34-50, az23 55-79 -> 49-70; bench_cache.sh RSS after the 60
 * results 101 -> 106 MB (1 MB cache) and 159 -> 172 MB (64 MB cache), under
 * the bounds of 165 and 228 MB.
 * Rejected: an arena per result (a custom allocator threaded through the
 * core for what one mallopt call does); a different malloc (a new
 * dependency); a 32 MiB threshold with the trim deferred until 200 ms
 * without a computation (tried December 2026: later summaries faster, the
 * first one of a process slower - its arrays grew the arena 4 KiB page by
 * page instead of arriving as huge pages - and RSS 283-313 MB right after
 * the same 18 requests until the trim). Without glibc both calls are no-ops.
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
