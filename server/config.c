/*
 * server/config.c - option and environment parsing for recprepd.
 *
 * What: fills struct srv_config from the environment first, then argv, then
 * applies --format pairs to the dataset list and falls back to `demo`.
 * Invariants: every string in cfg is malloc'd and owned by cfg; dataset
 * names are unique and valid; numbers are checked for range, so later code
 * never re-validates.
 * Complexity: O(argc + datasets^2) (duplicate check; at most 64 datasets).
 * Rejected: getopt_long - a GNU extension outside _POSIX_C_SOURCE, and the
 * same value parsers must serve the environment variables anyway.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recprep/split.h"

#define MAX_THREADS 256u
#define MAX_CACHE_MB (1024u * 1024u)
#define MAX_DRAIN_SECONDS 86400u
#define MAX_HEADER_TIMEOUT 3600u
#define MAX_CLIENT_CONNECTIONS 4096u

/* Defaults. Draining: a 1 GB file at a modest 4 MB/s takes about 250 s. */
#define DEFAULT_DRAIN_SECONDS 300u
#define DEFAULT_HEADER_TIMEOUT 10u
#define DEFAULT_CLIENT_CONNECTIONS 64u

struct format_pair {
    char name[SRV_NAME_MAX + 1];
    rp_format format;
};

struct parse_state {
    struct srv_config *cfg;
    char *msg;
    size_t cap;
    int cli_datasets, cli_origins; /* a CLI occurrence replaced the env list */
    struct format_pair formats[SRV_MAX_DATASETS];
    size_t n_formats;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse_state *ps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(ps->msg, ps->cap, fmt, ap);
    va_end(ap);
    if (w < 0 && ps->cap > 0)
        ps->msg[0] = '\0';
    for (char *c = ps->msg; ps->cap > 0 && *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) /* one line, as config.h promises */
            *c = '?';
    return -1;
}

int srv_config_valid_name(const char *name, size_t len)
{
    if (len < 1 || len > SRV_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

/* Option numbers follow the core's grammar for numbers (rp_parse_uint). */
static int parse_number(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    uint64_t v;
    if (rp_parse_uint(s, lo, hi, &v) != 0)
        return -1;
    *out = (unsigned long)v;
    return 0;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static int set_listen(struct parse_state *ps, const char *v)
{
    const char *colon = strrchr(v, ':');
    unsigned long port;
    if (colon == NULL || parse_number(colon + 1, 0, 65535, &port) != 0)
        return fail(ps, "--listen: expected HOST:PORT, got '%s'", v);
    const char *host = v;
    size_t hlen = (size_t)(colon - v);
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']')
        host++, hlen -= 2;
    if (hlen == 0 || hlen > 255)
        return fail(ps, "--listen: expected HOST:PORT, got '%s'", v);
    free(ps->cfg->listen_host);
    ps->cfg->listen_host = dup_n(host, hlen);
    ps->cfg->listen_port = (unsigned)port;
    return ps->cfg->listen_host ? 0 : fail(ps, "out of memory");
}

/* "NAME=VALUE" -> name slice checked; *value points after '='. */
static int split_pair(struct parse_state *ps, const char *opt, const char *v, size_t *name_len,
                      const char **value)
{
    const char *eq = strchr(v, '=');
    if (eq == NULL || eq[1] == '\0')
        return fail(ps, "%s: expected NAME=VALUE, got '%s'", opt, v);
    *name_len = (size_t)(eq - v);
    if (!srv_config_valid_name(v, *name_len))
        return fail(ps, "%s: dataset name '%.*s' must match [a-z0-9][a-z0-9_-]{0,63}", opt,
                    (int)(*name_len > 80 ? 80 : *name_len), v);
    *value = eq + 1;
    return 0;
}

static int add_dataset(struct parse_state *ps, const char *v, size_t vlen)
{
    struct srv_config *cfg = ps->cfg;
    char tmp[4096 + SRV_NAME_MAX + 2];
    size_t name_len;
    const char *path;
    if (vlen >= sizeof tmp)
        return fail(ps, "--dataset: value too long");
    memcpy(tmp, v, vlen);
    tmp[vlen] = '\0';
    if (split_pair(ps, "--dataset", tmp, &name_len, &path) != 0)
        return -1;
    if (cfg->n_datasets >= SRV_MAX_DATASETS)
        return fail(ps, "--dataset: at most %d datasets", SRV_MAX_DATASETS);
    for (size_t i = 0; i < cfg->n_datasets; i++)
        if (strlen(cfg->datasets[i].name) == name_len &&
            memcmp(cfg->datasets[i].name, tmp, name_len) == 0)
            return fail(ps, "--dataset: name '%.*s' given twice", (int)name_len, tmp);
    struct srv_dataset_conf *d = &cfg->datasets[cfg->n_datasets];
    memcpy(d->name, tmp, name_len);
    d->name[name_len] = '\0';
    cfg->n_datasets++;
    if (strcmp(path, SRV_BUILTIN_DEMO) == 0) { /* the generated demo log, under any name */
        d->path = NULL;
        d->format = RP_FORMAT_AMAZON_CSV;
        return 0;
    }
    if ((d->path = dup_n(path, strlen(path))) == NULL)
        return fail(ps, "out of memory");
    return 0;
}

static int add_format(struct parse_state *ps, const char *v)
{
    size_t name_len;
    const char *fmt_name;
    rp_error err;
    if (split_pair(ps, "--format", v, &name_len, &fmt_name) != 0)
        return -1;
    if (ps->n_formats >= SRV_MAX_DATASETS)
        return fail(ps, "--format: given too often");
    struct format_pair *fp = &ps->formats[ps->n_formats];
    rp_error_clear(&err);
    if (rp_format_from_name(fmt_name, &fp->format, &err) != RP_OK)
        return fail(ps, "--format: %s", err.message[0] ? err.message : "unknown format");
    memcpy(fp->name, v, name_len);
    fp->name[name_len] = '\0';
    ps->n_formats++;
    return 0;
}

static int add_origin(struct parse_state *ps, const char *v, size_t len)
{
    struct srv_config *cfg = ps->cfg;
    if (len == 0)
        return 0;
    if (cfg->n_origins >= SRV_MAX_ORIGINS)
        return fail(ps, "--cors-origin: at most %d origins", SRV_MAX_ORIGINS);
    if ((cfg->origins[cfg->n_origins] = dup_n(v, len)) == NULL)
        return fail(ps, "out of memory");
    cfg->n_origins++;
    return 0;
}

/* Call add(ps, item, len) for each item of a list separated by any of seps. */
static int for_each_item(struct parse_state *ps, const char *list, const char *seps,
                         int (*add)(struct parse_state *, const char *, size_t))
{
    while (*list != '\0') {
        size_t n = strcspn(list, seps);
        if (n > 0 && add(ps, list, n) != 0)
            return -1;
        list += n;
        if (*list != '\0')
            list++;
    }
    return 0;
}

static int set_string(struct parse_state *ps, char **dst, const char *v)
{
    free(*dst);
    *dst = dup_n(v, strlen(v));
    return *dst ? 0 : fail(ps, "out of memory");
}

static int set_cache(struct parse_state *ps, const char *v)
{
    unsigned long n;
    if (parse_number(v, 1, MAX_CACHE_MB, &n) != 0)
        return fail(ps, "--cache-mb: expected an integer 1..%u, got '%s'", MAX_CACHE_MB, v);
    ps->cfg->cache_mb = n;
    return 0;
}

/* A bounded unsigned option (--drain-seconds, --header-timeout, ...). */
static int set_uint(struct parse_state *ps, const char *opt, unsigned *dst, unsigned long lo,
                    unsigned long hi, const char *v)
{
    unsigned long n;
    if (parse_number(v, lo, hi, &n) != 0)
        return fail(ps, "%s: expected an integer %lu..%lu, got '%s'", opt, lo, hi, v);
    *dst = (unsigned)n;
    return 0;
}

static int set_threads(struct parse_state *ps, const char *v)
{
    return set_uint(ps, "--threads", &ps->cfg->threads, 1, MAX_THREADS, v);
}

static const struct uint_option {
    const char *name, *env;
    size_t offset;
    unsigned long lo, hi;
} uint_options[] = {
    {"--drain-seconds", "RECPREP_DRAIN_SECONDS", offsetof(struct srv_config, drain_seconds), 0,
     MAX_DRAIN_SECONDS},
    {"--header-timeout", "RECPREP_HEADER_TIMEOUT", offsetof(struct srv_config, header_timeout), 0,
     MAX_HEADER_TIMEOUT},
    {"--load-threads", "RECPREP_LOAD_THREADS", offsetof(struct srv_config, load_threads), 0,
     MAX_THREADS},
    {"--max-client-connections", "RECPREP_MAX_CLIENT_CONNECTIONS",
     offsetof(struct srv_config, client_connections), 0, MAX_CLIENT_CONNECTIONS},
};
#define N_UINT_OPTIONS (sizeof uint_options / sizeof uint_options[0])

static int apply_uint(struct parse_state *ps, const struct uint_option *o, const char *v)
{
    return set_uint(ps, o->name, (unsigned *)((char *)ps->cfg + o->offset), o->lo, o->hi, v);
}

static void clear_datasets(struct srv_config *cfg)
{
    for (size_t i = 0; i < cfg->n_datasets; i++)
        free(cfg->datasets[i].path);
    cfg->n_datasets = 0;
}

static void clear_origins(struct srv_config *cfg)
{
    for (size_t i = 0; i < cfg->n_origins; i++)
        free(cfg->origins[i]);
    cfg->n_origins = 0;
}

/* Apply one option with its value. */
static int apply(struct parse_state *ps, const char *opt, const char *v)
{
    struct srv_config *cfg = ps->cfg;
    if (strcmp(opt, "--listen") == 0)
        return set_listen(ps, v);
    if (strcmp(opt, "--dataset") == 0) {
        if (!ps->cli_datasets++)
            clear_datasets(cfg);
        return add_dataset(ps, v, strlen(v));
    }
    if (strcmp(opt, "--format") == 0)
        return add_format(ps, v);
    if (strcmp(opt, "--threads") == 0)
        return set_threads(ps, v);
    if (strcmp(opt, "--token-file") == 0)
        return set_string(ps, &cfg->token_file, v);
    if (strcmp(opt, "--cache-mb") == 0)
        return set_cache(ps, v);
    if (strcmp(opt, "--port-file") == 0)
        return set_string(ps, &cfg->port_file, v);
    if (strcmp(opt, "--cors-origin") == 0) {
        if (!ps->cli_origins++)
            clear_origins(cfg);
        return add_origin(ps, v, strlen(v));
    }
    for (size_t i = 0; i < N_UINT_OPTIONS; i++)
        if (strcmp(opt, uint_options[i].name) == 0)
            return apply_uint(ps, &uint_options[i], v);
    return fail(ps, "unknown option '%s' (see --help)", opt);
}

static int apply_env(struct parse_state *ps)
{
    const char *v;
    if ((v = getenv("RECPREP_LISTEN")) != NULL && set_listen(ps, v) != 0)
        return -1;
    if ((v = getenv("RECPREP_DATASETS")) != NULL && for_each_item(ps, v, ";", add_dataset) != 0)
        return -1;
    if ((v = getenv("RECPREP_THREADS")) != NULL && set_threads(ps, v) != 0)
        return -1;
    if ((v = getenv("RECPREP_TOKEN_FILE")) != NULL && *v && set_string(ps, &ps->cfg->token_file, v))
        return -1;
    if ((v = getenv("RECPREP_CACHE_MB")) != NULL && set_cache(ps, v) != 0)
        return -1;
    if ((v = getenv("RECPREP_QUIET_PROBES")) != NULL)
        ps->cfg->quiet_probes = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
    if ((v = getenv("RECPREP_CORS_ORIGINS")) != NULL && for_each_item(ps, v, ",; ", add_origin))
        return -1;
    for (size_t i = 0; i < N_UINT_OPTIONS; i++)
        if ((v = getenv(uint_options[i].env)) != NULL && apply_uint(ps, &uint_options[i], v) != 0)
            return -1;
    return 0;
}

static void set_defaults(struct srv_config *cfg)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double mb = pages > 0 && page > 0 ? (double)pages * (double)page / (1024.0 * 1024.0) : 1024;
    cfg->threads = cpus > 0 && cpus <= (long)MAX_THREADS ? (unsigned)cpus : 2;
    /* An eighth of physical memory, between 64 MB and 4 GB. */
    cfg->cache_mb = mb / 8 < 64 ? 64 : mb / 8 > 4096 ? 4096 : (size_t)(mb / 8);
    cfg->listen_port = 8080;
    cfg->drain_seconds = DEFAULT_DRAIN_SECONDS;
    cfg->header_timeout = DEFAULT_HEADER_TIMEOUT;
    cfg->client_connections = DEFAULT_CLIENT_CONNECTIONS;
}

static int apply_formats(struct parse_state *ps)
{
    struct srv_config *cfg = ps->cfg;
    for (size_t f = 0; f < ps->n_formats; f++) {
        size_t i = 0;
        while (i < cfg->n_datasets && strcmp(cfg->datasets[i].name, ps->formats[f].name) != 0)
            i++;
        if (i == cfg->n_datasets)
            return fail(ps, "--format: no dataset named '%s'", ps->formats[f].name);
        cfg->datasets[i].format = ps->formats[f].format;
    }
    if (cfg->n_datasets == 0) {
        memcpy(cfg->datasets[0].name, "demo", 5);
        cfg->datasets[0].path = NULL;
        cfg->datasets[0].format = RP_FORMAT_AMAZON_CSV;
        cfg->n_datasets = 1;
    }
    return 0;
}

static void usage(void)
{
    fputs("usage: recprepd [options]\n"
          "  --listen HOST:PORT        address to serve (RECPREP_LISTEN, 127.0.0.1:8080;\n"
          "                            port 0 picks a free port)\n"
          "  --dataset NAME=PATH       dataset to serve, repeatable (RECPREP_DATASETS=a=p;b=q;\n"
          "                            default: the built-in 'demo' dataset; PATH 'builtin'\n"
          "                            serves it beside others: --dataset demo=builtin)\n"
          "  --format NAME=FORMAT      input format of dataset NAME (default: detected)\n"
          "  --threads N               HTTP worker threads (RECPREP_THREADS, CPUs)\n"
          "  --load-threads N          threads parsing each dataset file at load\n"
          "                            (RECPREP_LOAD_THREADS, 0: every CPU)\n"
          "  --token-file PATH         require 'Authorization: Bearer TOKEN' on /v1\n"
          "                            (RECPREP_TOKEN_FILE)\n"
          "  --cache-mb N              result cache budget (RECPREP_CACHE_MB, 1/8 of RAM)\n"
          "  --cors-origin ORIGIN      allow a browser origin, repeatable or '*'\n"
          "                            (RECPREP_CORS_ORIGINS, comma separated)\n"
          "  --port-file PATH          write the bound port to PATH once listening\n"
          "  --drain-seconds N         after SIGTERM, let responses in flight finish for up\n"
          "                            to N s (RECPREP_DRAIN_SECONDS, 300)\n"
          "  --header-timeout N        close a connection that has not sent a complete\n"
          "                            request head N s after connecting or after its\n"
          "                            previous response (RECPREP_HEADER_TIMEOUT, 10;\n"
          "                            0: no deadline)\n"
          "  --max-client-connections N  open connections per client address\n"
          "                            (RECPREP_MAX_CLIENT_CONNECTIONS, 64; 0: no limit)\n"
          "  --quiet-probes            no access-log line for successful /healthz and\n"
          "                            /readyz (RECPREP_QUIET_PROBES=1)\n"
          "  --help, --version\n",
          stdout);
}

enum srv_config_result srv_config_parse(struct srv_config *cfg, int argc, char **argv, char *msg,
                                        size_t cap)
{
    struct parse_state ps = {.cfg = cfg, .msg = msg, .cap = cap};
    memset(cfg, 0, sizeof *cfg);
    set_defaults(cfg);
    if (set_listen(&ps, "127.0.0.1:8080") != 0 || apply_env(&ps) != 0)
        return SRV_CONFIG_ERROR;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage();
            return SRV_CONFIG_EXIT_OK;
        }
        if (strcmp(arg, "--quiet-probes") == 0) {
            cfg->quiet_probes = 1;
            continue;
        }
        if (strcmp(arg, "--version") == 0) {
            fputs("recprepd " RECPREP_VERSION "\n", stdout);
            return SRV_CONFIG_EXIT_OK;
        }
        char opt[32];
        size_t olen = eq && strncmp(arg, "--", 2) == 0 ? (size_t)(eq - arg) : strlen(arg);
        if (olen >= sizeof opt || strncmp(arg, "--", 2) != 0)
            return fail(&ps, "unexpected argument '%s' (see --help)", arg), SRV_CONFIG_ERROR;
        memcpy(opt, arg, olen);
        opt[olen] = '\0';
        const char *value = eq && olen < strlen(arg) ? eq + 1 : NULL;
        if (value == NULL && (value = (i + 1 < argc ? argv[++i] : NULL)) == NULL)
            return fail(&ps, "%s needs a value (see --help)", opt), SRV_CONFIG_ERROR;
        if (apply(&ps, opt, value) != 0)
            return SRV_CONFIG_ERROR;
    }
    return apply_formats(&ps) == 0 ? SRV_CONFIG_RUN : SRV_CONFIG_ERROR;
}

void srv_config_cleanup(struct srv_config *cfg)
{
    clear_datasets(cfg);
    clear_origins(cfg);
    free(cfg->listen_host);
    free(cfg->token_file);
    free(cfg->port_file);
    memset(cfg, 0, sizeof *cfg);
}
