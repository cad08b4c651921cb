/*
 * core/bytes.h - short byte strings: little-endian words and equality
 * (private to the core).
 *
 * Words are read by value (byte i at bits 8i) whatever the host's byte
 * order, and never with a variable-length memcpy: that would go through
 * the stack and stall on store forwarding in the loader's hottest loops.
 *
 * The interners compare a candidate's bytes with a stored ID's on every
 * hash match, and IDs are short (Amazon's are 10-14 bytes, MovieLens's a
 * few digits): a call to memcmp there cost the 20M-row generated log's
 * load ~5% of its CPU time (perf: __memcmp_avx2_movbe and its PLT stub).
 * Up to 16 bytes this compares two overlapping words (or half-words, or
 * bytes) inline; longer strings still go to memcmp.
 */
#ifndef RECPREP_BYTES_H
#define RECPREP_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* w as read from memory, its first byte made the lowest. */
static inline uint64_t rpi_le64_order(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static inline uint64_t rpi_le64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return rpi_le64_order(v);
}

static inline uint32_t rpi_le32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/* a[0..len) == b[0..len). */
static inline int rpi_same_bytes(const void *a, const void *b, size_t len)
{
    const unsigned char *x = a, *y = b;
    if (len >= 8 && len <= 16) {
        uint64_t x0, y0, x1, y1;
        memcpy(&x0, x, 8), memcpy(&y0, y, 8);
        memcpy(&x1, x + len - 8, 8), memcpy(&y1, y + len - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (len >= 4 && len < 8) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, x, 4), memcpy(&y0, y, 4);
        memcpy(&x1, x + len - 4, 4), memcpy(&y1, y + len - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (len < 4) {
        unsigned d = 0;
        for (size_t k = 0; k < len; k++)
            d |= (unsigned)(x[k] ^ y[k]);
        return d == 0;
    }
    return memcmp(x, y, len) == 0;
}

/* In a list of rows' two IDs as bytes[off[2k + side] .. off[2k + side + 1])
 * with their hashes h[k] (a parse chunk's row buffer, the batch
 * interner's queue): is row k's ID on that side the same as row k-1's? */
static inline int rpi_same_as_prev(const char *bytes, const uint32_t *off, int side,
                                   const uint64_t *h, uint32_t k)
{
    if (k == 0 || h[k] != h[k - 1])
        return 0;
    uint32_t s = (uint32_t)side, lo = off[2 * k + s], len = off[2 * k + 1 + s] - lo;
    uint32_t plo = off[2 * (k - 1) + s], plen = off[2 * (k - 1) + 1 + s] - plo;
    return len == plen && rpi_same_bytes(bytes + lo, bytes + plo, len);
}

#endif
