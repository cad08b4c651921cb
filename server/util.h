/*
 * server/util.h - small helpers shared by the server files: a growable byte
 * buffer, a monotonic clock, FNV-1a hashing and JSON string escaping.
 */
#ifndef SRV_UTIL_H
#define SRV_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A growable byte buffer. On allocation failure `failed` is set and further
 * appends are ignored, so callers check once at the end. */
struct srv_buf {
    char *data;
    size_t len, cap;
    int failed;
};

void srv_buf_printf(struct srv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void srv_buf_append(struct srv_buf *b, const char *s, size_t n);
/* Append a string literal. */
#define SRV_BUF_LIT(b, lit) srv_buf_append((b), "" lit, sizeof(lit) - 1)
/* Append s[0..n) as a JSON string body (no quotes): escapes '"', '\\',
 * control bytes, and bytes >= 0x80 as \u00XX so the output is always valid
 * JSON whatever the input bytes. */
void srv_buf_json_escape(struct srv_buf *b, const char *s, size_t n);
/* Append v in decimal (printf's %llu without its cost: the access log). */
void srv_buf_u64(struct srv_buf *b, uint64_t v);
void srv_buf_cleanup(struct srv_buf *b);
/* A log line: b to the log whole (srv_log_write), unless building it
 * failed, and cleaned up. */
void srv_buf_emit(struct srv_buf *b);

/* Monotonic time in nanoseconds. */
uint64_t srv_now_ns(void);

/* clock's time ns nanoseconds from now: a pthread_cond_timedwait deadline
 * (CLOCK_REALTIME, or the clock set on the condition variable). */
struct timespec srv_deadline(clockid_t clock, uint64_t ns);

/* 64-bit FNV-1a over data, continuing from h (start with SRV_FNV_INIT). */
#define SRV_FNV_INIT 0xcbf29ce484222325ull
uint64_t srv_fnv1a(uint64_t h, const void *data, size_t n);

/* Test-only: sleep for the number of milliseconds in environment variable
 * var (if set, 1..600000), so end-to-end tests can hold a state (loading,
 * computing) long enough to observe it. Unset in production. */
void srv_test_delay(const char *var);

#endif
