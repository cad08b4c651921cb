/*
 * server/guard.c - the header deadline (see guard.h for why).
 *
 * What: a doubly linked list of open connections, each with a deadline
 * (0 while a request is being served). A watchdog thread wakes every
 * quarter of the deadline (at most every 250 ms) and shuts down the socket
 * of every connection whose deadline has passed, once.
 * Invariants: a record is in the list from srv_guard_open to
 * srv_guard_close; libmicrohttpd closes the socket only after the close
 * notification, so the watchdog (holding the mutex) never touches a reused
 * descriptor.
 * Complexity: O(1) per event, O(open connections) per watchdog pass.
 * Rejected: a per-connection timer (timerfd) - a descriptor per connection
 * for a check that tolerates a quarter-second of slack; and the inactivity
 * timeout of libmicrohttpd, which one byte per interval resets.
 */
#include "guard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "util.h"

struct srv_guard_conn {
    struct srv_guard_conn *prev, *next;
    int fd;
    uint64_t deadline_ns; /* 0: none (a request is being served, or already cut) */
};

struct srv_guard {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int stop;
    uint64_t limit_ns;
    struct srv_guard_conn *head;
    atomic_ulong expired;
};

static void expire(struct srv_guard *g, uint64_t now)
{
    for (struct srv_guard_conn *c = g->head; c != NULL; c = c->next)
        if (c->deadline_ns != 0 && now >= c->deadline_ns) {
            c->deadline_ns = 0;
            shutdown(c->fd, SHUT_RDWR);
            atomic_fetch_add(&g->expired, 1);
        }
}

static void *watch(void *arg)
{
    struct srv_guard *g = arg;
    uint64_t step = g->limit_ns / 4 < 250000000u ? g->limit_ns / 4 : 250000000u;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec ts = srv_deadline(CLOCK_REALTIME, step);
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        expire(g, srv_now_ns());
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

struct srv_guard *srv_guard_new(unsigned seconds)
{
    struct srv_guard *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    g->limit_ns = (uint64_t)seconds * 1000000000u;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (pthread_create(&g->thread, NULL, watch, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g);
        return NULL;
    }
    return g;
}

void srv_guard_free(struct srv_guard *g)
{
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

struct srv_guard_conn *srv_guard_open(struct srv_guard *g, int fd)
{
    struct srv_guard_conn *c = calloc(1, sizeof *c);
    if (g == NULL || c == NULL) {
        free(c);
        return NULL;
    }
    c->fd = fd;
    c->deadline_ns = srv_now_ns() + g->limit_ns;
    pthread_mutex_lock(&g->lock);
    c->next = g->head;
    if (g->head != NULL)
        g->head->prev = c;
    g->head = c;
    pthread_mutex_unlock(&g->lock);
    return c;
}

static void set_deadline(struct srv_guard *g, struct srv_guard_conn *c, uint64_t when)
{
    if (g == NULL || c == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    c->deadline_ns = when;
    pthread_mutex_unlock(&g->lock);
}

void srv_guard_done(struct srv_guard *g, struct srv_guard_conn *c)
{
    set_deadline(g, c, 0);
}

void srv_guard_wait(struct srv_guard *g, struct srv_guard_conn *c)
{
    set_deadline(g, c, g ? srv_now_ns() + g->limit_ns : 0);
}

void srv_guard_close(struct srv_guard *g, struct srv_guard_conn *c)
{
    if (g == NULL || c == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&g->lock);
    free(c);
}

unsigned long srv_guard_expired(const struct srv_guard *g)
{
    return g ? atomic_load(&((struct srv_guard *)g)->expired) : 0;
}
