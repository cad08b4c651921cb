/*
 * recprep/cursor.h - the single serialisation path for output files.
 *
 * A cursor pulls the bytes of one file of a result, in order, into caller
 * buffers: the CLI's file writer and the HTTP streaming reader both loop over
 * rp_cursor_read, so there is one way bytes are produced. The concatenation of
 * everything read equals the file exactly (same bytes as the reference
 * notebook), and its length equals rp_split_file_size's byte count.
 *
 * A cursor holds no reference of its own: the result must outlive it.
 * One cursor is used by one thread at a time; many cursors on one result may
 * run concurrently.
 */
#ifndef RECPREP_CURSOR_H
#define RECPREP_CURSOR_H

#include <stddef.h>
#include <sys/types.h>

#include "recprep/error.h"
#include "recprep/split.h"

typedef struct rp_cursor rp_cursor;

/* Open a cursor on file `name` of s. RP_ERR_NOT_FOUND for unknown names,
 * RP_ERR_NOMEM. */
rp_status rp_cursor_new(const rp_split *s, const char *name, rp_cursor **out);

/* Copy up to cap (> 0) next bytes into buf. Returns the number of bytes
 * written (> 0), 0 at the end of the file, or -1 on error (cap == 0). Every
 * call before the end fills at least one byte. */
ssize_t rp_cursor_read(rp_cursor *c, char *buf, size_t cap);

/* Bytes produced so far. */
uint64_t rp_cursor_offset(const rp_cursor *c);

/* Free. NULL is a no-op. */
void rp_cursor_free(rp_cursor *c);

/* Convenience: write file `name` of s to path (created/truncated) through a
 * cursor. RP_ERR_IO with err naming the path on failure. */
rp_status rp_cursor_write_file(const rp_split *s, const char *name, const char *path,
                               rp_error *err);

#endif
