/*
 * server/memory.c - giving freed memory back to the system (issue #10 item 4).
 *
 * DESIGN NOTE (measurements below are placeholders, filled in by the bench)
 */
#include "memory.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

static atomic_size_t pending; /* bytes freed since the last trim */

void srv_memory_init(void)
{
#ifdef __GLIBC__
    const char *knob = getenv("RECPREP_MALLOC");
    if (knob == NULL || strchr(knob, 'm') != NULL)
        (void)mallopt(M_MMAP_THRESHOLD, (int)SRV_MMAP_THRESHOLD);
#endif
}

void srv_memory_freed(size_t bytes)
{
#ifdef __GLIBC__
    const char *knob = getenv("RECPREP_MALLOC");
    if (knob != NULL && strchr(knob, 't') == NULL)
        return;
    if (atomic_fetch_add(&pending, bytes) + bytes >= SRV_TRIM_AFTER &&
        atomic_exchange(&pending, 0) >= SRV_TRIM_AFTER)
        (void)malloc_trim(0); /* one thread trims; the others go on */
#else
    (void)bytes;
#endif
}
