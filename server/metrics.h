/*
 * server/metrics.h - Prometheus text exposition (format 0.0.4) of the
 * request counters, latency histogram, bytes sent, cache counters and
 * per-dataset load figures, per-recipe compute time, and the process
 * (resident memory, start time, open descriptors, build info).
 *
 * Recording is lock-free (relaxed atomics); the route label is always the
 * route's pattern, never the raw path, so label cardinality stays bounded.
 */
#ifndef SRV_METRICS_H
#define SRV_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "util.h"

/* Record one finished request. route_index is the route table index, or the
 * table size for unmatched paths. Thread-safe. */
void srv_metrics_observe(size_t route_index, enum srv_method method, unsigned status,
                         uint64_t micros, uint64_t bytes);

/* Record one computation of recipe method (rp_method) that took ns
 * nanoseconds (successful or not). Thread-safe. */
void srv_metrics_compute(int method, uint64_t ns);

/* Render every metric into b. Thread-safe. */
void srv_metrics_render(struct srv_app *app, struct srv_buf *b);

#endif
