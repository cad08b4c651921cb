/*
 * core/split_impl.h - the inside of rp_split, shared by split*.c and cursor.c.
 *
 * Renumbering recipes (temporal, full, sasrec, s3rec) store, per kept user (by
 * 1-based ID), the user's output sequence of item IDs in time order: for
 * temporal the kept train rows, then the kept validation rows, then the kept
 * test rows; for the others the kept rows. Every line of their sequence files
 * is "uid" followed by a window of one user's sequence, so a sequence file is
 * a list of entries (uid, lo, hi):
 *   RPI_SEQ_PREFIX  one line per prefix length L in [lo, hi]: the last
 *                   min(L, max_len) items of the first L (max_len 0: all L);
 *                   train.txt is (uid, min_len, T) per user by ID,
 *                   validation.txt (uid, T+1, T+V) in first-validation-row
 *                   order, test.txt (uid, T+V+1, T+V+X); all.txt and s3rec's
 *                   data.txt (uid, len, len);
 *   RPI_SEQ_PAIRS   one line "uid item" per position j in [lo, hi]: sasrec's
 *                   data.txt is (uid, 1, len).
 * The az23 recipes keep raw IDs: they store the kept rows (dataset row
 * numbers) grouped by user in user order, each user's rows in time order, and
 * per user two cuts a <= b: rows [0, a) train, [a, b) valid, [b, len) test.
 * Their files render rows as "user,item,rating,timestamp" (az23.c).
 * The cursor renders lines from this; split.c and az23.c count their bytes
 * with the same rules.
 */
#ifndef RECPREP_SPLIT_IMPL_H
#define RECPREP_SPLIT_IMPL_H

#include <stdint.h>

#include "recprep/kcore.h"
#include "recprep/recipe.h"
#include "recprep/split.h"

typedef struct rpi_seqfile {
    uint32_t n, cap;         /* entries, room allocated */
    uint32_t *uid, *lo, *hi; /* [n]: user ID and prefix-length range */
} rpi_seqfile;

typedef enum rpi_file_kind {
    RPI_SEQ_PREFIX, /* part: index into seqs[] */
    RPI_SEQ_PAIRS,  /* part: index into seqs[] */
    RPI_TSV_USERS,
    RPI_TSV_ITEMS,
    RPI_AZ_ROWS,  /* part: 0 train, 1 valid, 2 test, 3 every row */
    RPI_AZ_WHIS,  /* part: split */
    RPI_AZ_INTER, /* part: split */
} rpi_file_kind;

typedef struct rpi_file {
    rpi_file_kind kind;
    int part;
    uint64_t lines, bytes;
} rpi_file;

#define RPI_MAX_SEQFILES 3
#define RPI_MAX_FILES 10

/* What the common filters removed, in their order. */
typedef struct rpi_filtered {
    uint64_t min_rating, since, until, dedup;
} rpi_filtered;

/* temporal: validation/test rows dropped because their user or item is not
 * in the train k-core (a row may count for both reasons). */
typedef struct rpi_dropped {
    uint64_t rows, user_not_kept, item_not_kept;
} rpi_dropped;

struct rp_split {
    rp_dataset *ds; /* one reference held */
    rp_params p;
    const rp_recipe *recipe;
    rp_kcore_round *rounds; /* NULL when no iterative k-core ran */
    size_t n_rounds;
    uint32_t n_users, n_items; /* IDs assigned: 1..n_users, 1..n_items */
    uint32_t *user_dense;      /* [n_users] dense user index of ID-1 */
    uint32_t *item_dense;      /* [n_items] dense item index of ID-1 */
    uint32_t *seq_off;         /* [n_users + 1] by ID-1 into seq */
    uint32_t *seq;             /* item IDs */
    rpi_seqfile seqs[RPI_MAX_SEQFILES];
    rpi_file files[RPI_MAX_FILES];   /* in recipe->files order */
    int64_t b_val, b_test;           /* temporal boundaries (seconds) */
    int have_boundaries;             /* 0 when no row survived the filters */
    uint64_t n_train, n_val, n_test; /* temporal rows / az23 split rows */
    uint64_t interactions;           /* kept rows */
    rpi_filtered filtered;
    rpi_dropped dropped[2]; /* temporal: validation, test */
    /* az23 */
    uint32_t *rows;    /* kept rows, users in order, each user's rows by time */
    uint32_t *row_off; /* [n_users + 1] into rows */
    uint32_t *cut;     /* [2 * n_users]: a, b of each user */
};

/* Where a cursor stands in an az23 file. Zeroed = at the start. */
typedef struct rpi_az_state {
    uint32_t user, pos;           /* next row: the pos-th of user's kept rows */
    int header_done;              /* .inter files: the RecBole header was produced */
    struct rpi_rating_memo *memo; /* texts of recent ratings; allocated on use */
    /* The current user's history text "i0 i1 ..." for rows [0, hist_n), and
     * where each item ends in it: lines of one user reuse it. */
    char *hist;
    uint32_t *hend;
    size_t hist_cap, hend_cap, hist_len;
    uint32_t hist_n;
    const char *uraw; /* the raw ID of user uraw_of - 1 (0: none yet) */
    size_t ulen;
    uint32_t uraw_of;
} rpi_az_state;

/* Free what rendering allocated in st. */
void rpi_az_state_cleanup(rpi_az_state *st);

/* Render the next line of az23 file f (without '\n') into *buf (grown as
 * needed, *cap its size), *len its length. 1 = a line, 0 = end, -1 = OOM. */
int rpi_az23_line(const rp_split *s, const rpi_file *f, rpi_az_state *st, char **buf, size_t *cap,
                  size_t *len);

/* Python's repr(float) of v into out (>= RPI_PYFLOAT_MAX bytes, no NUL):
 * "5.0", "3.5", "1e-05", "1.5e+16"; "" for NaN (no rating). Returns the
 * length. az23.c. */
#define RPI_PYFLOAT_MAX 32
size_t rpi_pyfloat(double v, char *out);

/* Index into s->files of a file name, or -1. */
int rpi_split_file_index(const rp_split *s, const char *name);

/* Number of decimal digits of v (1 for 0). */
static inline uint32_t rpi_digits(uint32_t v)
{
    return 1u + (v >= 10u) + (v >= 100u) + (v >= 1000u) + (v >= 10000u) + (v >= 100000u) +
           (v >= 1000000u) + (v >= 10000000u) + (v >= 100000000u) + (v >= 1000000000u);
}

/* Write v in decimal at dst (rpi_digits(v) bytes, no NUL). Returns the length. */
uint32_t rpi_utoa(uint32_t v, char *dst);

/* The recipes' core functions (the table's `run`): fill s (ds, p, recipe
 * set, everything else zero), counting included. */
rp_status rpi_split_temporal(rp_split *s, rp_error *err);
rp_status rpi_split_full(rp_split *s, rp_error *err);
rp_status rpi_split_sasrec(rp_split *s, rp_error *err);
rp_status rpi_split_s3rec(rp_split *s, rp_error *err);
rp_status rpi_split_az23(rp_split *s, rp_error *err);

/* Shared helpers for the pipelines (split.c). */
rp_status rpi_seqfile_alloc(rpi_seqfile *f, uint32_t cap);
void rpi_seqfile_add(rpi_seqfile *f, uint32_t uid, uint32_t lo, uint32_t hi);
/* Shrink f's arrays to its n entries (a kept result holds no spare room). */
void rpi_seqfile_fit(rpi_seqfile *f);
/* Set file f of the recipe's list to (kind, part). */
void rpi_split_file_set(rp_split *s, size_t f, rpi_file_kind kind, int part);
/* The files of a recipe with one entry per user (full, sasrec, s3rec):
 * file 0 of kind (uid, len, len) or pairs (uid, 1, len), then users.tsv and
 * items.tsv; counted. */
rp_status rpi_split_user_files(rp_split *s, rpi_file_kind kind);
/* Count lines and bytes of the renumbering recipes' files. */
rp_status rpi_split_count(rp_split *s);
/* Copy a k-core trace into s. */
rp_status rpi_split_take_rounds(rp_split *s, const rp_kcore *kc);

/*
 * Filters and orders shared by the recipes (filter.c).
 */

/* The common filters of s->p as a row mask (*mask[r] != 0: the row
 * survives), counts in s->filtered. *mask is NULL when no filter is given
 * (every row survives); *alive is the number of surviving rows. */
rp_status rpi_filter_rows(rp_split *s, uint8_t **mask, uint32_t *alive);

/* Drop from mask (which must exist) every row that repeats an earlier (user,
 * item) pair, keeping the first or the last in time order at the input's
 * precision (ties: file order). *dropped: the rows dropped. RP_ERR_NOMEM. */
rp_status rpi_dedup_rows(const rp_dataset *ds, uint8_t *mask, int keep_last, uint64_t *dropped);

/* Users with a surviving row (mask NULL: every row; else mask[r] & bits) and,
 * when want != NULL, want[u] != 0, in order of their first surviving row in
 * the file. Writes
 * dense indices to out (room for every user) and returns how many. kept_hint
 * is an upper bound of the users wanted (0: unknown): few wanted users are
 * found from the users' own rows, many by one walk over the rows. */
rp_status rpi_users_by_first_row(const rp_dataset *ds, const uint8_t *mask, uint8_t bits,
                                 const uint8_t *want, uint32_t kept_hint, uint32_t *out,
                                 uint32_t *n);

#endif
