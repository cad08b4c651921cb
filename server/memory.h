/*
 * server/memory.h - keeping the process's resident memory near what it holds.
 *
 * recprepd allocates and frees results of tens of megabytes all the time
 * (a computation's scratch arrays, evicted results, streamed responses).
 * srv_memory_init makes the allocator give such blocks back to the system
 * when they are freed, and srv_memory_trim hands back what smaller frees
 * left behind; see memory.c for the measurements behind both.
 */
#ifndef SRV_MEMORY_H
#define SRV_MEMORY_H

#include <stddef.h>

/* Blocks of at least this many bytes are mapped on their own and unmapped
 * by free(). */
#define SRV_MMAP_THRESHOLD ((size_t)4 << 20)

/* Trim after this many bytes of results were freed. */
#define SRV_TRIM_AFTER ((size_t)16 << 20)

/* Set the allocator's policy. Call once at start-up, before any thread and
 * before the datasets load. A no-op where the C library has no mallopt. */
void srv_memory_init(void);

/* Note that `bytes` of results were freed; once SRV_TRIM_AFTER accumulated,
 * return free memory of every arena to the system (malloc_trim). Thread-safe;
 * cheap when nothing is due. */
void srv_memory_freed(size_t bytes);

/* Return free memory of every arena to the system now (after a dataset
 * load: the loaders' scratch and the parse threads' arenas). */
void srv_memory_trim(void);

#endif
