/*
 * server/cli/args.c - strict option parsing for the recprep CLI.
 *
 * getopt_long cannot report which option had a bad value in the contract's
 * words, so the table-driven loop below does both in one place. Pipeline
 * parameters are parsed by the core's grammar (rp_parse_count,
 * rp_parse_quantile), exactly as the HTTP API parses them.
 */
#include "args.h"

#include "recprep/split.h"

#include <stdlib.h>
#include <string.h>

static rp_status set_value(cli_opt *o, const char *val, rp_error *err)
{
    uint64_t u;
    switch (o->kind) {
    case CLI_COUNT:
        if (rp_parse_count(val, (uint32_t *)o->dst))
            break;
        return RP_OK;
    case CLI_U64:
        if (rp_parse_uint(val, 0, UINT64_MAX, &u))
            break;
        *(uint64_t *)o->dst = u;
        return RP_OK;
    case CLI_QUANTILE:
        if (rp_parse_quantile(val, (double *)o->dst))
            break;
        return RP_OK;
    case CLI_STRING:
        *(const char **)o->dst = val;
        return RP_OK;
    }
    const char *what = o->kind == CLI_QUANTILE ? "a decimal strictly between 0 and 1"
                       : o->kind == CLI_COUNT  ? "an integer >= 1"
                                               : "a non-negative integer";
    rp_error_param(err, o->name, "--%s must be %s, got \"%s\"", o->name, what, val);
    return RP_ERR_PARAM;
}

static cli_opt *find_opt(cli_opt *opts, size_t nopts, const char *name, size_t len)
{
    for (size_t k = 0; k < nopts; k++)
        if (strlen(opts[k].name) == len && memcmp(opts[k].name, name, len) == 0)
            return &opts[k];
    return NULL;
}

rp_status cli_parse(int argc, char **argv, cli_opt *opts, size_t nopts, const char **pos,
                    size_t max_pos, size_t *npos, rp_error *err)
{
    *npos = 0;
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (*npos == max_pos) {
                rp_error_param(err, arg, "unexpected argument \"%s\"", arg);
                return RP_ERR_PARAM;
            }
            pos[(*npos)++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_opt *o = find_opt(opts, nopts, name, len);
        if (!o) {
            rp_error_param(err, name, "unknown option --%.*s", (int)len, name);
            return RP_ERR_PARAM;
        }
        if (o->seen++) {
            rp_error_param(err, o->name, "--%s given twice", o->name);
            return RP_ERR_PARAM;
        }
        const char *val = eq ? eq + 1 : (a + 1 < argc ? argv[++a] : NULL);
        if (!val) {
            rp_error_param(err, o->name, "--%s needs a value", o->name);
            return RP_ERR_PARAM;
        }
        rp_status st = set_value(o, val, err);
        if (st != RP_OK)
            return st;
    }
    return RP_OK;
}
