/*
 * tests/fuzz/fuzz_request.c - libFuzzer target over the request path of
 * recprepd: percent-decoding (srv_unescape, MHD's callback), the router
 * (paths), the strict query-parameter parsers and If-None-Match matching.
 *
 * Input layout: first line = raw path, second line = If-None-Match value,
 * the rest = a raw query string "a=b&c&d=e" split on '&' and the first '='
 * and decoded like MHD does (key and value through srv_unescape). Nothing
 * may crash, leak or trip UBSan; decoding never lengthens and never makes a
 * NUL; resolved parameters satisfy the contract's invariants; "*" and an
 * ETag listed verbatim always match.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "params.h"
#include "reply.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode in place as MHD would, checking the callback's promises. */
static void decode(char *s)
{
    size_t before = strlen(s), after = srv_unescape(NULL, NULL, s);
    assert(after <= before && strlen(s) == after); /* shorter, no NUL made */
}

/* The ETag matcher: "*" and a verbatim member always match. */
static void check_etags(const char *inm)
{
    static const char etag[] = "\"0123456789abcdef-0123456789abcdef\"";
    char list[600];
    (void)srv_etag_list_contains(inm, etag);
    assert(srv_etag_list_contains("*", etag));
    if (strlen(inm) < 256 && strchr(inm, ',') == NULL) {
        snprintf(list, sizeof list, "%s, %s", inm, etag);
        assert(srv_etag_list_contains(list, etag));
        snprintf(list, sizeof list, "%s", inm);
        if (srv_etag_list_contains(list, etag))
            assert(strstr(inm, "0123456789abcdef-0123456789abcdef") || strchr(inm, '*'));
    }
}

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
        decode(q);
        if (eq)
            decode(eq + 1);
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
    char *query = NULL, *inm = NULL;
    if (nl) {
        *nl = '\0';
        inm = nl + 1;
        char *nl2 = strchr(inm, '\n');
        if (nl2) {
            *nl2 = '\0';
            query = nl2 + 1;
        }
        check_etags(inm);
    }
    decode(buf);
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
