/*
 * core/digest.c - SHA-256 of input files (nettle).
 *
 * The file is read in 1 MiB blocks with read(2) and fed to nettle's
 * sha256_update; nettle picks the SHA-NI code path at run time where the CPU
 * has it. Cost: one sequential read of the file, ~0.3-2 GB/s.
 *
 * Rejected: hashing inside the loader's read loop. The loader's time is the
 * service's time to ready; the digest is only needed for provenance, so it
 * runs after the dataset is served (server/registry.c) or beside the load.
 */
#include "recprep/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>

#define BLOCK (1u << 20)

static void to_hex(const uint8_t *d, char hex[RP_SHA256_HEX])
{
    static const char X[] = "0123456789abcdef";
    for (size_t k = 0; k < SHA256_DIGEST_SIZE; k++) {
        hex[2 * k] = X[d[k] >> 4];
        hex[2 * k + 1] = X[d[k] & 15];
    }
    hex[2 * SHA256_DIGEST_SIZE] = '\0';
}

void rp_sha256_buffer(const void *data, size_t len, char hex[RP_SHA256_HEX])
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof d, d);
    to_hex(d, hex);
}

rp_status rp_sha256_file(const char *path, char hex[RP_SHA256_HEX], uint64_t *bytes, rp_error *err)
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t *buf = fd >= 0 ? malloc(BLOCK) : NULL;
    if (fd < 0 || buf == NULL) {
        rp_error_set(err, path, 0, 0, "%s", fd < 0 ? strerror(errno) : "out of memory");
        if (fd >= 0)
            close(fd);
        return fd < 0 ? RP_ERR_IO : RP_ERR_NOMEM;
    }
    sha256_init(&ctx);
    *bytes = 0;
    for (;;) {
        ssize_t n = read(fd, buf, BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rp_error_set(err, path, 0, 0, "read failed: %s", strerror(errno));
            free(buf);
            close(fd);
            return RP_ERR_IO;
        }
        if (n == 0)
            break;
        sha256_update(&ctx, (size_t)n, buf);
        *bytes += (uint64_t)n;
    }
    free(buf);
    close(fd);
    sha256_digest(&ctx, sizeof d, d);
    to_hex(d, hex);
    return RP_OK;
}
