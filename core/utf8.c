/*
 * core/utf8.c - validation of raw IDs: UTF-8 (RFC 3629) and no NUL byte.
 *
 * Why: IDs are written verbatim into users.tsv/items.tsv, which recprepd
 * serves as "text/plain; charset=utf-8" and the dashboard shows; a stray
 * Latin-1 byte would pass silently into every file. The loader rejects it
 * with file, line and column instead.
 *
 * Cost: IDs are nearly always ASCII, so eight bytes are tested at once (no
 * byte 0 and no byte >= 0x80 in the word) and only a word that fails takes
 * the byte-wise decoder. Measured with tests/bench/bench_load.sh on the
 * generator's 2,023,070-row log: see the README's benchmark section.
 *
 * Rejected: a table-driven DFA (Hoehrmann) - faster on non-ASCII text, but
 * IDs are short and ASCII, where the word test already dominates.
 */
#include <stdint.h>
#include <string.h>

#include "load_impl.h"

/* Length of the valid multi-byte sequence at s[0..n), or 0 if invalid. */
static size_t sequence(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (c < 0xc2 || c > 0xf4 || n < len)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xc0) != 0x80)
            return 0;
    /* Overlong 3/4-byte forms, UTF-16 surrogates and code points past
     * U+10FFFF show in the second byte. */
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return len;
}

size_t rpi_id_bad_byte(const char *id, size_t n)
{
    const unsigned char *s = (const unsigned char *)id;
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (rpi_word_odd(w) == 0) { /* eight bytes in 0x01..0x7f */
                i += 8;
                continue;
            }
        }
        if (s[i] == 0)
            return i;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = sequence(s + i, n - i);
        if (len == 0)
            return i;
        i += len;
    }
    return n;
}
