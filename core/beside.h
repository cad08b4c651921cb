/*
 * core/beside.h - one piece of work on a second thread, beside the caller's
 * (private to the core).
 *
 * The core's passes are memory-bound and its machines small (2 cores): where
 * two independent steps follow one another, the second may run on a thread
 * of its own while the first runs on the caller's. When the thread is not
 * wanted (small inputs: starting it costs more than it saves) or cannot be
 * started, the work runs inline when the caller finishes it - the same
 * result either way, so a failed pthread_create is never an error.
 *
 *     rpi_beside b;
 *     rpi_beside_start(&b, count_things, &job, big);
 *     ... the caller's own step ...
 *     rpi_beside_finish(&b);  -- joined, or run now
 */
#ifndef RECPREP_BESIDE_H
#define RECPREP_BESIDE_H

#include <pthread.h>

typedef struct rpi_beside {
    void *(*fn)(void *);
    void *arg;
    pthread_t tid;
    int running;
} rpi_beside;

/* fn(arg) on a thread when threaded (and the thread starts), else later. */
static inline void rpi_beside_start(rpi_beside *b, void *(*fn)(void *), void *arg, int threaded)
{
    b->fn = fn;
    b->arg = arg;
    b->running = threaded && pthread_create(&b->tid, NULL, fn, arg) == 0;
}

/* fn(arg) is done on return: the thread joined, or fn run on the caller's. */
static inline void rpi_beside_finish(rpi_beside *b)
{
    if (b->running)
        pthread_join(b->tid, NULL);
    else
        b->fn(b->arg);
    b->running = 0;
}

#endif
