/*
 * server/cli/args.h - strict option parsing for the recprep CLI.
 *
 * Options are `--name VALUE` or `--name=VALUE`. Values are parsed strictly
 * (whole string, no sign, no overflow); a bad value is reported naming the
 * option, so "--k abc" says "k must be an integer >= 1".
 */
#ifndef RECPREP_CLI_ARGS_H
#define RECPREP_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "recprep/error.h"

/* CLI_COUNT and CLI_QUANTILE use the core's parameter grammar (split.h), the
 * same the HTTP API uses; CLI_U64 is for the generator's sizes and seed. */
typedef enum cli_kind { CLI_COUNT, CLI_U64, CLI_QUANTILE, CLI_STRING } cli_kind;

typedef struct cli_opt {
    const char *name; /* without the leading "--" */
    cli_kind kind;
    void *dst; /* uint32_t*, uint64_t*, double*, const char** */
    int seen;
} cli_opt;

/* Parse argv[0..argc) into positional arguments (up to max_pos, stored in
 * pos[], count in *npos) and the options of opts[0..nopts). Returns RP_OK or
 * RP_ERR_PARAM with err->param naming the option. */
rp_status cli_parse(int argc, char **argv, cli_opt *opts, size_t nopts, const char **pos,
                    size_t max_pos, size_t *npos, rp_error *err);

#endif
