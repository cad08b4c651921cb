/*
 * core/mem.c - big arrays on transparent huge pages; see mem.h for the why
 * and the figures. Small requests go straight to malloc/calloc.
 */
#define _DEFAULT_SOURCE 1 /* madvise(MADV_HUGEPAGE), where the platform has it */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *alloc_huge(size_t bytes)
{
    size_t rounded = (bytes + RPI_HUGE_PAGE - 1) & ~(RPI_HUGE_PAGE - 1);
    if (rounded < bytes)
        return NULL;
    void *p = aligned_alloc(RPI_HUGE_PAGE, rounded);
    if (!p)
        return malloc(bytes); /* alignment is a wish, not a need */
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
}

void *rpi_alloc_big(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    return bytes < RPI_BIG_MIN ? malloc(bytes ? bytes : 1) : alloc_huge(bytes);
}

void *rpi_calloc_big(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    if (bytes < RPI_BIG_MIN)
        return calloc(n ? n : 1, size ? size : 1);
    void *p = alloc_huge(bytes);
    return p ? memset(p, 0, bytes) : NULL;
}

int rpi_shrink(void **p, size_t n, size_t elem)
{
    void *q = realloc(*p, n * elem);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

int rpi_reserve(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = need > 2 * *cap ? need : 2 * *cap;
    if (c > SIZE_MAX / elem)
        return -1;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}
