/*
 * tests/fuzz/fuzz_load.c - libFuzzer target for loading, through both the
 * memory path and the file-descriptor path the CLI and recprepd use.
 *
 * Input byte 0: low 3 bits the format (0 auto, 1..6 the formats, 7 auto
 * again); bits 3-4 the compression (plain, gzip, gzip in two members, gzip
 * with one byte of the compressed stream flipped); bits 5-7 pick a file name
 * (so name-based detection is reached, with and without ".gz"). Byte 1: bit 0
 * pads the first line to the 1 MiB line limit (byte 2 chooses -1, 0 or +1
 * byte around it). The rest is the data.
 * Invariants: a load either succeeds (then every row's user and item are in
 * the maps) or fails with a message and no dataset; the memory and the fd
 * path agree on the status, the error line and the dataset's fingerprint.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset_impl.h"
#include "recprep/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[8] = {"fuzz",   "fuzz.json", "fuzz.jsonl.gz", "ratings.dat",
                                     "u.data", "fuzz.tsv",  "fuzz.csv.gz",   "fuzz.csv"};

/* Append one gzip member of data[0..len) to out (cap bytes). */
static size_t gzip_member(const uint8_t *data, size_t len, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    size_t n = deflate(&zs, Z_FINISH) == Z_STREAM_END ? zs.total_out : 0;
    deflateEnd(&zs);
    return n;
}

/* The bytes to load, malloc'd: body compressed per mode (0..3). */
static unsigned char *prepare(const uint8_t *body, size_t len, unsigned mode, size_t *out_len)
{
    size_t cap = 2 * len + 256;
    unsigned char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    if (mode == 0) {
        memcpy(out, body, len);
        *out_len = len;
        return out;
    }
    size_t half = mode == 2 ? len / 2 : len;
    size_t n = gzip_member(body, half, out, cap);
    if (mode == 2 && n > 0)
        n += gzip_member(body + half, len - half, out + n, cap - n);
    if (mode == 3 && n > 0)
        out[(len * 7 + 11) % n] ^= 0x5a;
    *out_len = n;
    return out;
}

/* Pad the first line of body to the line limit + delta (-1, 0, +1). */
static uint8_t *long_line(const uint8_t *body, size_t len, int delta, size_t *out_len)
{
    size_t want = (size_t)((long)RP_LOAD_MAX_LINE + delta), nl = 0;
    while (nl < len && body[nl] != '\n')
        nl++;
    size_t pad = want > nl ? want - nl : 0;
    uint8_t *out = malloc(len + pad);
    if (out == NULL)
        return NULL;
    memcpy(out, body, nl);
    memset(out + nl, 'x', pad);
    memcpy(out + nl + pad, body + nl, len - nl);
    *out_len = len + pad;
    return out;
}

static void check(const rp_dataset *ds)
{
    if (ds->n_rows == 0 || ds->n_users == 0 || ds->n_items == 0)
        abort();
    for (uint32_t r = 0; r < ds->n_rows; r++)
        if (ds->user[r] >= ds->n_users || ds->item[r] >= ds->n_items)
            abort();
}

static rp_status load_fd(const char *name, const unsigned char *bytes, size_t len, rp_format fmt,
                         rp_dataset **ds, rp_error *err)
{
    static char dir[64];
    char path[128];
    if (dir[0] == '\0')
        snprintf(dir, sizeof dir, "/tmp/fuzz_load.%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, bytes, len) != (ssize_t)len)
        abort();
    close(fd);
    rp_status st = rp_load_file(path, fmt, ds, err);
    unlink(path);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    rp_format fmt = (rp_format)((data[0] & 7) % 7);
    const char *name = names[data[0] >> 5];
    const uint8_t *body = data + 3;
    size_t len = size - 3, padded_len = 0, bytes_len;
    uint8_t *padded = (data[1] & 1) ? long_line(body, len, data[2] % 3 - 1, &padded_len) : NULL;
    unsigned char *bytes = padded ? prepare(padded, padded_len, (data[0] >> 3) & 3, &bytes_len)
                                  : prepare(body, len, (data[0] >> 3) & 3, &bytes_len);
    free(padded);
    if (bytes == NULL)
        return 0;
    rp_dataset *a = NULL, *b = NULL;
    rp_error ea, eb;
    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    rp_status sa = rp_load_buffer(name, bytes, bytes_len, fmt, &a, &ea);
    rp_status sb = load_fd(name, bytes, bytes_len, fmt, &b, &eb);
    if (sa != sb || (sa == RP_OK) != (a != NULL) || (sb == RP_OK) != (b != NULL))
        abort();
    if (sa == RP_OK) {
        check(a);
        if (rp_dataset_fingerprint(a) != rp_dataset_fingerprint(b))
            abort();
    } else if (ea.message[0] == '\0' || eb.message[0] == '\0' || ea.line != eb.line ||
               strcmp(ea.message, eb.message) != 0) {
        abort();
    }
    rp_dataset_unref(a);
    rp_dataset_unref(b);
    rp_format det;
    rp_format_detect(name, (const char *)body, len < 4096 ? len : 4096, &det, NULL);
    free(bytes);
    return 0;
}
