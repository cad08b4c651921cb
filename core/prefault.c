/*
 * core/prefault.c - the prefaulter's thread; see prefault.h for the why.
 *
 * One mutex guards the regions; the thread takes a step (at most one huge
 * page) of the first region with pages left to fault in, drops the lock for
 * the madvise and comes back. Each region remembers how far it was faulted
 * in (done), so a step is never repeated while its base stays the same.
 */
#define _GNU_SOURCE 1 /* SCHED_IDLE, MADV_POPULATE_WRITE */
#include "prefault.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem.h"

#if defined(MADV_POPULATE_WRITE) && defined(SCHED_IDLE)
#define HAVE_PREFAULT 1
#endif

struct rpi_prefault {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rpi_region r[RPI_PREFAULT_REGIONS];
    size_t done[RPI_PREFAULT_REGIONS]; /* r[k].base[0..done) faulted in (or used) */
    size_t n, ahead, page;
    int stop;
};

#ifdef HAVE_PREFAULT
/* The next step to fault in, under mu: 1 with [*p, *p + *len), else 0. */
static int next_step(rpi_prefault *pf, char **p, size_t *len)
{
    for (size_t k = 0; k < pf->n; k++) {
        rpi_region *r = &pf->r[k];
        size_t from = pf->done[k] > r->used ? pf->done[k] : r->used;
        size_t ahead = r->ahead > pf->ahead ? r->ahead : pf->ahead;
        size_t to = ahead < r->cap - r->used ? r->used + ahead : r->cap;
        uintptr_t a = (uintptr_t)(r->base + from) & ~(uintptr_t)(pf->page - 1);
        uintptr_t end = (uintptr_t)(r->base + to) & ~(uintptr_t)(pf->page - 1);
        if (a >= end)
            continue;
        uintptr_t step = (a + RPI_HUGE_PAGE) & ~(uintptr_t)(RPI_HUGE_PAGE - 1);
        uintptr_t b = step < end ? step : end;
        pf->done[k] = (size_t)((char *)b - r->base);
        *p = (char *)a;
        *len = (size_t)(b - a);
        return 1;
    }
    return 0;
}

static void *run(void *arg)
{
    rpi_prefault *pf = arg;
    struct sched_param sp = {0};
    (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    pthread_mutex_lock(&pf->mu);
    while (!pf->stop) {
        char *p;
        size_t len;
        if (!next_step(pf, &p, &len)) {
            pthread_cond_wait(&pf->cv, &pf->mu);
            continue;
        }
        pthread_mutex_unlock(&pf->mu);
        (void)madvise(p, len, MADV_POPULATE_WRITE); /* a wish: errors ignored */
        pthread_mutex_lock(&pf->mu);
    }
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}
#endif

rpi_prefault *rpi_prefault_start(size_t ahead)
{
#ifdef HAVE_PREFAULT
    long page = sysconf(_SC_PAGESIZE);
    rpi_prefault *pf = calloc(1, sizeof *pf);
    if (pf == NULL || page <= 0 || (page & (page - 1)) != 0) {
        free(pf);
        return NULL;
    }
    pf->ahead = ahead;
    pf->page = (size_t)page;
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    if (pthread_create(&pf->tid, NULL, run, pf) == 0)
        return pf;
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf);
#else
    (void)ahead;
#endif
    return NULL;
}

void rpi_prefault_update(rpi_prefault *pf, const rpi_region *r, size_t n)
{
    if (pf == NULL)
        return;
    if (n > RPI_PREFAULT_REGIONS)
        n = RPI_PREFAULT_REGIONS;
    pthread_mutex_lock(&pf->mu);
    for (size_t k = 0; k < n; k++) {
        if (k >= pf->n || pf->r[k].base != r[k].base)
            pf->done[k] = 0;
        pf->r[k] = r[k];
    }
    pf->n = n;
    pthread_cond_signal(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

void rpi_prefault_stop(rpi_prefault *pf)
{
    if (pf == NULL)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_signal(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->tid, NULL);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf);
}
