/*
 * server/pool.h - a small fixed pool of worker threads for slow work
 * (pipeline computations, file materialisation), so libmicrohttpd's
 * threads never block: a handler suspends its connection, submits a job,
 * and the job resumes the connection when done.
 */
#ifndef SRV_POOL_H
#define SRV_POOL_H

/* An intrusive job: embed it in the object the job works on. */
struct srv_job {
    struct srv_job *next;
    void (*run)(struct srv_job *job);
};

struct srv_pool;

/* Start n (>= 1) worker threads. NULL on failure. */
struct srv_pool *srv_pool_new(unsigned n);

/* Queue job (FIFO). The job must stay valid until job->run returns.
 * Thread-safe. Never fails. */
void srv_pool_submit(struct srv_pool *p, struct srv_job *job);

/* Run the queued jobs to completion, stop and join the workers, free.
 * NULL is a no-op. */
void srv_pool_free(struct srv_pool *p);

#endif
