/*
 * tests/fuzz/fuzz_config.c - libFuzzer target over recprepd's options and
 * environment (server/config.c).
 *
 * Input: NUL-separated strings. The first few become RECPREP_* environment
 * variables (the input's first byte says how many, in table order), the
 * rest argv. Invariants: the parser returns one of its three results and
 * never crashes or leaks; after SRV_CONFIG_RUN every value is in range
 * (1..256 threads, a cache of at least 1 MB, 1..64 valid unique dataset
 * names, limits within their documented bounds); after SRV_CONFIG_ERROR
 * the message is one non-empty line. --help/--version print to stdout, so
 * stdout is sent to /dev/null once.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const env_names[] = {
    "RECPREP_LISTEN",        "RECPREP_DATASETS",       "RECPREP_THREADS",
    "RECPREP_TOKEN_FILE",    "RECPREP_CACHE_MB",       "RECPREP_CORS_ORIGINS",
    "RECPREP_DRAIN_SECONDS", "RECPREP_HEADER_TIMEOUT", "RECPREP_MAX_CLIENT_CONNECTIONS"};
#define N_ENV (sizeof env_names / sizeof env_names[0])

static void check_run(const struct srv_config *cfg)
{
    assert(cfg->threads >= 1 && cfg->threads <= 256);
    assert(cfg->cache_mb >= 1);
    assert(cfg->listen_host != NULL && cfg->listen_port <= 65535);
    assert(cfg->n_datasets >= 1 && cfg->n_datasets <= SRV_MAX_DATASETS);
    assert(cfg->drain_seconds <= 86400 && cfg->header_timeout <= 3600);
    assert(cfg->client_connections <= 4096);
    for (size_t i = 0; i < cfg->n_datasets; i++) {
        assert(srv_config_valid_name(cfg->datasets[i].name, strlen(cfg->datasets[i].name)));
        for (size_t j = 0; j < i; j++)
            assert(strcmp(cfg->datasets[i].name, cfg->datasets[j].name) != 0);
    }
    assert(cfg->n_origins <= SRV_MAX_ORIGINS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet++)
        (void)freopen("/dev/null", "w", stdout);
    if (size < 1 || size > 8192)
        return 0;
    char *buf = malloc(size + 1);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    char *argv[64] = {"recprepd"};
    int argc = 1;
    size_t n_env = data[0] % (N_ENV + 1), e = 0;
    for (char *p = buf; p < buf + size - 1 && argc < 63; p += strlen(p) + 1) {
        if (e < n_env)
            setenv(env_names[e++], p, 1);
        else
            argv[argc++] = p;
    }
    struct srv_config cfg;
    char msg[256];
    msg[0] = '\0';
    enum srv_config_result r = srv_config_parse(&cfg, argc, argv, msg, sizeof msg);
    if (r == SRV_CONFIG_RUN)
        check_run(&cfg);
    else if (r == SRV_CONFIG_ERROR)
        assert(msg[0] != '\0' && strchr(msg, '\n') == NULL);
    else
        assert(r == SRV_CONFIG_EXIT_OK);
    srv_config_cleanup(&cfg);
    for (size_t i = 0; i < N_ENV; i++)
        unsetenv(env_names[i]);
    free(buf);
    return 0;
}
