/*
 * server/pool.c - worker threads with a FIFO of intrusive jobs.
 *
 * What: n threads take jobs from a singly linked queue guarded by a mutex
 * and a condition variable.
 * Invariants: a job is run exactly once; srv_pool_free runs every job
 * queued before it, so no suspended connection is left behind.
 * Complexity: O(1) per submit and per take.
 * Rejected: a thread per job - simplest, but a burst of distinct requests
 * would start unbounded threads each running a pipeline at once; a fixed
 * pool bounds concurrent computations (and their memory) to n.
 */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

struct srv_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct srv_job *head, *tail;
    int stopping;
    unsigned n;
    pthread_t threads[];
};

static struct srv_job *take(struct srv_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->head == NULL && !p->stopping)
        pthread_cond_wait(&p->cv, &p->mu);
    struct srv_job *job = p->head;
    if (job != NULL) {
        p->head = job->next;
        if (p->head == NULL)
            p->tail = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    return job;
}

static void *worker(void *arg)
{
    struct srv_pool *p = arg;
    struct srv_job *job;
    while ((job = take(p)) != NULL)
        job->run(job);
    return NULL;
}

struct srv_pool *srv_pool_new(unsigned n)
{
    struct srv_pool *p = calloc(1, sizeof *p + n * sizeof(pthread_t));
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (; p->n < n; p->n++)
        if (pthread_create(&p->threads[p->n], NULL, worker, p) != 0)
            break;
    if (p->n == 0) {
        srv_pool_free(p);
        return NULL;
    }
    return p;
}

void srv_pool_submit(struct srv_pool *p, struct srv_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail != NULL)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void srv_pool_free(struct srv_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
