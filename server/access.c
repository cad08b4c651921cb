/*
 * server/access.c - bearer-token authentication and CORS origin matching.
 *
 * What: loads the token once at start-up, checks Authorization headers, and
 * picks the Access-Control-Allow-Origin value.
 * Invariants: the comparison loop always runs over the whole configured
 * token, so its duration does not reveal how many leading bytes matched.
 * Complexity: O(token length) per request; O(origins) for CORS.
 * Rejected: strcmp/memcmp - they stop at the first differing byte, which is
 * the timing side channel that lets an attacker guess a token bytewise.
 */
#include "access.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "log.h"

#define MAX_TOKEN 4096

/* A secret others can read deserves a word, not a refusal: Docker and
 * Kubernetes mount secrets 0444 by default, inside a private container. */
static void warn_mode(const char *path, const struct stat *st)
{
    if ((st->st_mode & (S_IRGRP | S_IROTH)) != 0)
        srv_log(SRV_LOG_WARNING, "token_file_mode", NULL,
                "--token-file %s has mode %04o: readable by %s; consider chmod 600", path,
                (unsigned)(st->st_mode & 07777),
                (st->st_mode & S_IROTH) ? "every user" : "its group");
}

int srv_token_load(const char *path, char **token, size_t *len, char *msg, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(msg, cap, "--token-file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    int have_st = fstat(fileno(f), &st) == 0;
    if (have_st && S_ISDIR(st.st_mode)) {
        fclose(f);
        snprintf(msg, cap, "--token-file %s: is a directory, not a file holding the token", path);
        return -1;
    }
    if (have_st)
        warn_mode(path, &st);
    char buf[MAX_TOKEN + 2];
    size_t n = fread(buf, 1, sizeof buf, f);
    int read_error = ferror(f) ? errno : 0;
    fclose(f);
    if (read_error != 0) {
        snprintf(msg, cap, "--token-file %s: cannot read it: %s", path, strerror(read_error));
        return -1;
    }
    while (n > 0 &&
           (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    if (n == 0 || n > MAX_TOKEN) {
        snprintf(msg, cap, "--token-file %s: the token must be 1..%d bytes", path, MAX_TOKEN);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] <= 0x20 || (unsigned char)buf[i] >= 0x7f) {
            snprintf(msg, cap, "--token-file %s: the token must be printable ASCII", path);
            return -1;
        }
    if ((*token = malloc(n + 1)) == NULL) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    memcpy(*token, buf, n);
    (*token)[n] = '\0';
    *len = n;
    return 0;
}

int srv_const_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    volatile unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < blen; i++) {
        unsigned char ai = i < alen ? (unsigned char)a[i] : 0;
        diff |= (unsigned char)(ai ^ (unsigned char)b[i]);
    }
    return diff == 0;
}

int srv_token_check(const char *header, const char *token, size_t len)
{
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return 0;
    const char *p = header + 7;
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return srv_const_eq(p, n, token, len);
}

const char *srv_cors_origin(const struct srv_config *cfg, const char *origin)
{
    for (size_t i = 0; i < cfg->n_origins; i++) {
        if (strcmp(cfg->origins[i], "*") == 0)
            return "*";
        if (origin != NULL && strcmp(cfg->origins[i], origin) == 0)
            return cfg->origins[i];
    }
    return NULL;
}
