/*
 * tests/fuzz/fuzz_request.c - libFuzzer target over the request parsers of
 * recprepd: the router (paths) and the strict query-parameter parsers.
 *
 * Input layout: first line = path, the rest = a query string "a=b&c&d=e"
 * split on '&' and the first '='. Decoding is MHD's job, so the pairs are
 * passed as they are. Nothing may crash, leak or trip UBSan, and on success
 * the resolved parameters must satisfy the contract's invariants.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t split_query(char *q, struct srv_kv *kv, size_t max)
{
    size_t n = 0;
    while (q && *q && n < max) {
        char *amp = strchr(q, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(q, '=');
        if (eq)
            *eq = '\0';
        kv[n].key = q;
        kv[n].value = eq ? eq + 1 : NULL;
        n++;
        q = amp ? amp + 1 : NULL;
    }
    return n;
}

static void check_split(rp_method m, const struct srv_kv *kv, size_t n)
{
    rp_params p;
    struct srv_params_error err;
    if (srv_params_split(m, kv, n, &p, &err) == 0) {
        assert(p.user_k >= 1 && p.item_k >= 1);
        if (m == RP_METHOD_TEMPORAL)
            assert(p.val_start > 0 && p.val_start <= p.test_start && p.test_start < 1);
    } else {
        assert(err.code && err.message[0]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *nl = memchr(buf, '\n', size);
    char *query = NULL;
    if (nl) {
        *nl = '\0';
        query = nl + 1;
    }
    struct srv_match m;
    (void)srv_route_match("GET", buf, &m);
    (void)srv_route_match("POST", buf, &m);
    struct srv_kv kv[SRV_PARAMS_MAX + 2];
    size_t n = split_query(query, kv, SRV_PARAMS_MAX + 2);
    check_split(RP_METHOD_TEMPORAL, kv, n);
    check_split(RP_METHOD_FULL, kv, n);
    struct srv_kcore_params kp;
    struct srv_params_error err;
    (void)srv_params_kcore(kv, n, &kp, &err);
    free(buf);
    return 0;
}
