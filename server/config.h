/*
 * server/config.h - recprepd's options, from the command line and the
 * environment (API.md "Build and run"). Command-line values win; for the
 * repeatable options any command-line occurrence replaces the environment's
 * list.
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <stddef.h>

#include "recprep/dataset.h"

#define SRV_MAX_DATASETS 64
#define SRV_MAX_ORIGINS 16
#define SRV_NAME_MAX 64

/* --dataset NAME=builtin: the generated demo log (a file named so: ./builtin). */
#define SRV_BUILTIN_DEMO "builtin"

struct srv_dataset_conf {
    char name[SRV_NAME_MAX + 1];
    char *path;       /* malloc'd; NULL for the built-in demo dataset */
    rp_format format; /* RP_FORMAT_AUTO unless --format NAME=FORMAT */
};

struct srv_config {
    char *listen_host; /* malloc'd, without brackets for IPv6 */
    unsigned listen_port;
    struct srv_dataset_conf datasets[SRV_MAX_DATASETS];
    size_t n_datasets;
    unsigned threads;
    unsigned load_threads; /* parse threads per dataset load; 0: every core */
    char *token_file;      /* malloc'd or NULL */
    size_t cache_mb;
    char *origins[SRV_MAX_ORIGINS]; /* malloc'd; "*" allows any origin */
    size_t n_origins;
    char *port_file;             /* malloc'd or NULL: write the bound port there */
    unsigned drain_seconds;      /* after SIGTERM, wait this long for responses in flight */
    unsigned header_timeout;     /* seconds to send a complete request head; 0: no deadline */
    unsigned client_connections; /* open connections per client address; 0: no limit */
    int quiet_probes;            /* no access-log line for successful /healthz, /readyz */
};

enum srv_config_result {
    SRV_CONFIG_RUN = 0, /* start the service */
    SRV_CONFIG_EXIT_OK, /* --help / --version printed: exit 0 */
    SRV_CONFIG_ERROR    /* msg says what is wrong: exit 2 */
};

/* Parse argv and the environment into cfg (zeroed by the call). On
 * SRV_CONFIG_ERROR msg holds one line without newline. Release with
 * srv_config_cleanup whatever the result. */
enum srv_config_result srv_config_parse(struct srv_config *cfg, int argc, char **argv, char *msg,
                                        size_t cap);

void srv_config_cleanup(struct srv_config *cfg);

/* 1 if name matches [a-z0-9][a-z0-9_-]{0,63}. */
int srv_config_valid_name(const char *name, size_t len);

#endif
