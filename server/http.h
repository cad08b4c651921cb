/*
 * server/http.h - the libmicrohttpd daemon: listening socket, dispatch from
 * the route table, access log, graceful stop.
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include <stddef.h>

#include "app.h"

struct MHD_Daemon;

/* Limits on what a client may send. */
#define SRV_MAX_PATH 1024           /* bytes of decoded path: longer is 414 */
#define SRV_MAX_QUERY 2048          /* bytes of decoded query arguments: more is 414 */
#define SRV_CONN_MEMORY (16 * 1024) /* per-connection buffer: longer request lines get 414 */
#define SRV_CONN_TIMEOUT 30         /* seconds of inactivity before a connection is closed */
#define SRV_MAX_CONNECTIONS 4096    /* open connections in all; see also --max-client-connections */

/* MHD's unescape callback: percent-decoding of paths and query arguments in
 * place ("%00" stays encoded); returns the new length. Exposed for the fuzz
 * target; cls and conn are unused. */
size_t srv_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* Create, bind and listen on host:port (port 0: ephemeral). Returns the
 * socket and sets *bound to the actual port, or -1 with msg set. */
int srv_listen(const char *host, unsigned port, unsigned *bound, char *msg, size_t cap);

/* Start serving fd with app->cfg->threads threads: the daemon, and one
 * thread accepting on fd. NULL on failure (fd is then still the caller's). */
struct MHD_Daemon *srv_http_start(struct srv_app *app, int fd);

/* Stop accepting: from here on connections to the port are refused; the
 * listening socket is closed. Idempotent. */
void srv_http_stop_accepting(struct srv_app *app);

/* Graceful stop: stop accepting, wait up to drain_ms for in-flight requests
 * to finish (those still running are then cut: logged incomplete), finish the worker pool's jobs
 * (app->pool is freed), then stop the daemon (closing idle connections). */
void srv_http_stop(struct MHD_Daemon *d, struct srv_app *app, unsigned drain_ms);

#endif
