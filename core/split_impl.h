/*
 * core/split_impl.h - the inside of rp_split, shared by split*.c and cursor.c.
 *
 * A result stores, per kept user (by 1-based ID), the user's output sequence
 * of item IDs in time order: for temporal the kept train rows, then the kept
 * validation rows, then the kept test rows; for full the kept rows. Every line
 * of every sequence file is "uid" followed by a PREFIX of one user's sequence,
 * so a sequence file is a list of entries (uid, lo, hi): one line for each
 * prefix length L in [lo, hi]. train.txt is (uid, min_len, T) per user by ID,
 * validation.txt is (uid, T+1, T+V) in first-validation-row order, test.txt is
 * (uid, T+V+1, T+V+X), all.txt is (uid, len, len). The cursor renders lines
 * from this; split.c counts their bytes with the same rule.
 */
#ifndef RECPREP_SPLIT_IMPL_H
#define RECPREP_SPLIT_IMPL_H

#include <stdint.h>

#include "recprep/kcore.h"
#include "recprep/split.h"

typedef struct rpi_seqfile {
    uint32_t n;              /* entries */
    uint32_t *uid, *lo, *hi; /* [n]: user ID and prefix-length range */
    uint64_t lines, bytes;
} rpi_seqfile;

#define RPI_MAX_SEQFILES 3

struct rp_split {
    rp_dataset *ds; /* one reference held */
    rp_params p;
    rp_kcore_round *rounds;
    size_t n_rounds;
    uint32_t n_users, n_items; /* IDs assigned: 1..n_users, 1..n_items */
    uint32_t *user_dense;      /* [n_users] dense user index of ID-1 */
    uint32_t *item_dense;      /* [n_items] dense item index of ID-1 */
    uint32_t *seq_off;         /* [n_users + 1] by ID-1 into seq */
    uint32_t *seq;             /* item IDs */
    size_t n_seqfiles;         /* temporal 3 (train, validation, test), full 1 */
    rpi_seqfile files[RPI_MAX_SEQFILES];
    uint64_t users_bytes, items_bytes; /* users.tsv, items.tsv */
    int64_t b_val, b_test;             /* temporal boundaries */
    uint64_t n_train, n_val, n_test;   /* temporal rows after filtering */
    uint64_t interactions;             /* rows in the output sequences */
};

/* Which file a name denotes: index into files[] (>= 0), or the tsv kinds. */
enum { RPI_FILE_USERS = -1, RPI_FILE_ITEMS = -2, RPI_FILE_NONE = -3 };
int rpi_split_file_kind(const rp_split *s, const char *name);

/* Number of decimal digits of v (1 for 0). */
static inline uint32_t rpi_digits(uint32_t v)
{
    return 1u + (v >= 10u) + (v >= 100u) + (v >= 1000u) + (v >= 10000u) + (v >= 100000u) +
           (v >= 1000000u) + (v >= 10000000u) + (v >= 100000000u) + (v >= 1000000000u);
}

/* Write v in decimal at dst (rpi_digits(v) bytes, no NUL). Returns the length. */
uint32_t rpi_utoa(uint32_t v, char *dst);

/* Pipelines: fill s (ds and p set, everything else zero). */
rp_status rpi_split_temporal(rp_split *s, rp_error *err);
rp_status rpi_split_full(rp_split *s, rp_error *err);

/* Shared helpers for the pipelines (split.c). */
rp_status rpi_seqfile_alloc(rpi_seqfile *f, uint32_t cap);
void rpi_seqfile_add(rpi_seqfile *f, uint32_t uid, uint32_t lo, uint32_t hi);
/* Count lines and bytes of every file (sequence files and tsv files). */
rp_status rpi_split_count(rp_split *s);
/* Copy a k-core trace into s. */
rp_status rpi_split_take_rounds(rp_split *s, const rp_kcore *kc);

#endif
