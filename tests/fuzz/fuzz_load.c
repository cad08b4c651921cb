/*
 * tests/fuzz/fuzz_load.c - libFuzzer target for every loader format.
 *
 * Input byte 0 chooses the format (low 3 bits: 0 auto, 1..6 the formats, 7
 * auto again) and whether the rest is gzip-compressed first (bit 3), so the
 * parsers are also reached through the streaming inflate path; bit 4 picks a
 * file name that triggers name-based detection. The rest is the data. Every
 * call must either load (then the dataset's invariants are checked) or fail
 * with a message; crashes, leaks and UB are what the fuzzer looks for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset_impl.h"
#include "recprep/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *gzip(const uint8_t *data, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    unsigned char *out = malloc(cap);
    if (out) {
        zs.next_in = (unsigned char *)data;
        zs.avail_in = (uInt)len;
        zs.next_out = out;
        zs.avail_out = (uInt)cap;
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
            free(out);
            out = NULL;
        }
        *out_len = zs.total_out;
    }
    deflateEnd(&zs);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    rp_format fmt = (rp_format)((sel & 7) % 7);
    const char *name = (sel & 16) ? "fuzz.json.gz" : "fuzz";
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    unsigned char *z = NULL;
    if (sel & 8) {
        z = gzip(body, len, &len);
        if (!z)
            return 0;
        body = z;
    }
    rp_dataset *ds = NULL;
    rp_error err;
    memset(&err, 0, sizeof err);
    rp_status st = rp_load_buffer(name, body, len, fmt, &ds, &err);
    if (st == RP_OK)
        check(ds);
    else if (ds != NULL || err.message[0] == '\0')
        abort();
    rp_dataset_unref(ds);
    rp_format det;
    rp_format_detect(name, (const char *)data + 1, size - 1, &det, NULL);
    free(z);
    return 0;
}
