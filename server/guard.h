/*
 * server/guard.h - the header deadline: a connection must deliver a
 * complete request head (request line and headers) within a fixed time of
 * being accepted or of finishing its previous request.
 *
 * libmicrohttpd 0.9.75 only has an inactivity timeout, which a client that
 * dribbles one byte every few seconds never trips (slowloris). One watchdog
 * thread shuts down the socket of every connection past its deadline;
 * libmicrohttpd then sees end-of-file and closes the connection itself.
 * The per-client connection limit is libmicrohttpd's own
 * (MHD_OPTION_PER_IP_CONNECTION_LIMIT).
 *
 * Thread-safety: every call is thread-safe (one mutex per watchdog).
 */
#ifndef SRV_GUARD_H
#define SRV_GUARD_H

struct srv_guard;
struct srv_guard_conn;

/* Start a watchdog enforcing `seconds` (>= 1). NULL on failure. */
struct srv_guard *srv_guard_new(unsigned seconds);

/* Stop the watchdog. Every connection must have been forgotten. */
void srv_guard_free(struct srv_guard *g);

/* A connection on socket fd was accepted: its deadline starts now. Returns
 * the connection's record (NULL when out of memory: then it is unguarded). */
struct srv_guard_conn *srv_guard_open(struct srv_guard *g, int fd);

/* Its request head is complete: no deadline until srv_guard_wait. */
void srv_guard_done(struct srv_guard *g, struct srv_guard_conn *c);

/* It finished a request and waits for the next head: deadline from now. */
void srv_guard_wait(struct srv_guard *g, struct srv_guard_conn *c);

/* It is closed (before its socket is): forget and free the record. */
void srv_guard_close(struct srv_guard *g, struct srv_guard_conn *c);

/* Connections cut at their deadline so far. */
unsigned long srv_guard_expired(const struct srv_guard *g);

#endif
