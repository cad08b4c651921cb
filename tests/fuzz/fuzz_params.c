/*
 * tests/fuzz/fuzz_params.c - libFuzzer target over the core's parameter
 * grammar (core/params.c): rp_parse_uint/count/quantile, method names,
 * rp_params_resolve and the canonical text.
 *
 * Input: byte 0 picks the method, then NUL-separated texts for user_k,
 * item_k, min_len, val_start, test_start (each optional). Invariants: a
 * parsed number prints back to the same value; a count is >= 1; a quantile
 * is strictly inside (0, 1); after RP_OK from rp_params_resolve every field
 * is set and ordered (val_start <= test_start); the canonical text is
 * stable (resolving again gives the same text) and snprintf-like.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recprep/split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_numbers(const char *s)
{
    uint64_t u;
    uint32_t c;
    double q;
    if (rp_parse_uint(s, 3, 1000, &u) == 0)
        assert(u >= 3 && u <= 1000 && strtoull(s, NULL, 10) == u);
    if (rp_parse_count(s, &c) == 0)
        assert(c >= 1 && strtoull(s, NULL, 10) == c);
    if (rp_parse_quantile(s, &q) == 0)
        assert(q > 0 && q < 1);
    rp_method m;
    if (rp_method_from_name(s, &m) == RP_OK)
        assert(strcmp(rp_method_name(m), s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *buf = malloc(size);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    const char *f[5] = {0};
    size_t n = 0;
    for (char *p = buf; p < buf + size - 1 && n < 5; p += strlen(p) + 1)
        f[n++] = p;
    rp_params p = rp_params_defaults(data[0] & 1 ? RP_METHOD_FULL : RP_METHOD_TEMPORAL);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        check_numbers(f[i]);
        if (i < 3) {
            uint32_t *dst[3] = {&p.user_k, &p.item_k, &p.min_len};
            ok &= rp_parse_count(f[i], dst[i]) == 0;
        } else {
            ok &= rp_parse_quantile(f[i], i == 3 ? &p.val_start : &p.test_start) == 0;
        }
    }
    rp_error err;
    rp_error_clear(&err);
    if (ok && rp_params_resolve(&p, &err) == RP_OK) {
        assert(p.user_k >= 1 && p.item_k >= 1);
        if (p.method == RP_METHOD_TEMPORAL)
            assert(p.min_len >= 1 && p.val_start > 0 && p.val_start <= p.test_start &&
                   p.test_start < 1);
        char a[256], b[256];
        int la = rp_params_canonical(&p, a, sizeof a);
        assert(la > 0 && (size_t)la < sizeof a && strlen(a) == (size_t)la);
        assert(rp_params_canonical(&p, b, 8) == la);
        rp_params again = p;
        assert(rp_params_resolve(&again, NULL) == RP_OK);
        rp_params_canonical(&again, b, sizeof b);
        assert(strcmp(a, b) == 0);
    } else if (ok) {
        assert(err.message[0] != '\0' && err.param[0] != '\0');
    }
    free(buf);
    return 0;
}
