/*
 * server/cli/main.c - `recprep`, the core's pipelines as a command-line tool.
 *
 * A second thin adapter over the same core calls as recprepd: parse options,
 * call one core function, write its files through the one cursor path, print
 * its JSON. Every failure is one line on stderr and exit status 2 (usage
 * errors included), so scripts can tell success from failure by $?.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "args.h"
#include <pthread.h>

#include "recprep/cursor.h"
#include "recprep/digest.h"
#include "recprep/recipe.h"
#include "recprep/generate.h"
#include "recprep/json.h"
#include "recprep/kcore.h"
#include "recprep/load.h"
#include "recprep/split.h"
#include "recprep/stats.h"

#define EXIT_FAIL 2
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char USAGE[] =
    "usage: recprep COMMAND [options]\n"
    "\n"
    "  stats    INPUT [--format F]                 dataset statistics as JSON\n"
    "  kcore    INPUT [--k N | --user-k N --item-k N] [--format F]\n"
    "                                              k-core rounds as JSON\n"
    "  split    RECIPE INPUT OUTDIR [--PARAM VALUE ...] [--format F]\n"
    "                                              a recipe's files; `recprep recipes` lists\n"
    "                                              recipes, their parameters and defaults\n"
    "  recipes                                     the recipe table as JSON\n"
    "  temporal INPUT OUTDIR [--k 4] [--user-k N] [--item-k N] [--min-len N]\n"
    "           [--val-start 0.8] [--test-start 0.9] [--max-len N] [filters] [--format F]\n"
    "                                              = split temporal: train/validation/test.txt\n"
    "  full     INPUT OUTDIR [--k 5] [--user-k N] [--item-k N] [--max-len N] [filters]\n"
    "                                              = split full: all.txt, users.tsv, items.tsv\n"
    "  generate OUT [--rows 2023070] [--users U] [--items I] [--seed 42] [--days 5000]\n"
    "                                              deterministic Amazon-like amazon-csv log\n"
    "\n"
    "Formats: amazon-csv, amazon-csv-item-first, amazon-json, movielens-tsv,\n"
    "movielens-dat, csv-header (detected when --format is omitted; .gz accepted).\n"
    "Recipes: temporal, full, sasrec, s3rec, az23-last-out, az23-timestamp. Filters\n"
    "(every recipe): --min-rating R, --since S, --until U (Unix seconds), --dedup\n"
    "none|first|last. Recipes print their summary JSON on stdout. --threads N\n"
    "(stats, kcore, every recipe): threads parsing a plain input file, default\n"
    "every CPU. Errors: one line on stderr, exit status 2.\n";

static int fail(const rp_error *err)
{
    char line[512];
    fprintf(stderr, "recprep: %s\n", rp_error_line(err, line, sizeof line));
    return EXIT_FAIL;
}

static int usage_fail(const char *msg)
{
    fprintf(stderr, "recprep: %s (see recprep --help)\n", msg);
    return EXIT_FAIL;
}

static int print_json(json_t *j)
{
    if (!j) {
        fprintf(stderr, "recprep: out of memory\n");
        return EXIT_FAIL;
    }
    int rc = json_dumpf(j, stdout, RP_JSON_PRETTY) == 0 && fputc('\n', stdout) != EOF &&
                     fflush(stdout) == 0
                 ? 0
                 : EXIT_FAIL;
    json_decref(j);
    if (rc)
        fprintf(stderr, "recprep: cannot write to stdout: %s\n", strerror(errno));
    return rc;
}

/* Load path; format NULL = detect; threads 0 = every CPU (--threads). */
static rp_status load(const char *path, const char *format, uint32_t threads, rp_dataset **ds,
                      rp_error *err)
{
    rp_format fmt = RP_FORMAT_AUTO;
    if (format) {
        rp_status st = rp_format_from_name(format, &fmt, err);
        if (st != RP_OK)
            return st;
    }
    rp_load_opts opts = {.threads = threads};
    return rp_load_file_opts(path, fmt, &opts, NULL, ds, err);
}

/* mkdir -p: create dir and missing parents. */
static int make_dirs(const char *dir, rp_error *err)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        rp_error_set(err, dir, 0, 0, "output directory path too long");
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) && errno != EEXIST)
            break;
        *p = '/';
    }
    struct stat sb;
    if ((mkdir(path, 0777) && errno != EEXIST) || stat(path, &sb) || !S_ISDIR(sb.st_mode)) {
        rp_error_set(err, dir, 0, 0, "cannot create output directory: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int cmd_stats(int argc, char **argv)
{
    const char *format = NULL, *pos[1];
    uint32_t threads = 0;
    size_t npos;
    cli_opt opts[] = {{"format", CLI_STRING, &format, 0}, {"threads", CLI_COUNT, &threads, 0}};
    rp_error err = {0};
    rp_dataset *ds = NULL;
    rp_stats st;
    if (cli_parse(argc, argv, opts, COUNT(opts), pos, 1, &npos, &err))
        return fail(&err);
    if (npos != 1)
        return usage_fail("stats needs INPUT");
    if (load(pos[0], format, threads, &ds, &err))
        return fail(&err);
    rp_status s = rp_stats_compute(ds, &st);
    json_t *j = s == RP_OK ? rp_stats_to_json(&st, NULL, rp_dataset_format(ds)) : NULL;
    rp_dataset_unref(ds);
    return print_json(j);
}

static int cmd_kcore(int argc, char **argv)
{
    const char *format = NULL, *pos[1];
    uint32_t k = 0, uk = 0, ik = 0, threads = 0;
    size_t npos;
    cli_opt opts[] = {{"format", CLI_STRING, &format, 0},
                      {"threads", CLI_COUNT, &threads, 0},
                      {"k", CLI_COUNT, &k, 0},
                      {"user-k", CLI_COUNT, &uk, 0},
                      {"item-k", CLI_COUNT, &ik, 0}};
    rp_error err = {0};
    rp_dataset *ds = NULL;
    rp_kcore kc;
    if (cli_parse(argc, argv, opts, COUNT(opts), pos, 1, &npos, &err))
        return fail(&err);
    if (npos != 1)
        return usage_fail("kcore needs INPUT");
    if (load(pos[0], format, threads, &ds, &err))
        return fail(&err);
    k = k ? k : RP_KCORE_DEFAULT_K;
    uk = uk ? uk : k;
    ik = ik ? ik : k;
    rp_status s = rp_kcore_run(ds, NULL, uk, ik, &kc);
    rp_dataset_unref(ds);
    if (s != RP_OK) {
        rp_error_set(&err, NULL, 0, 0, "k-core: %s", rp_status_str(s));
        return fail(&err);
    }
    json_t *j = rp_kcore_to_json(&kc, uk, ik);
    rp_kcore_cleanup(&kc);
    return print_json(j);
}

/* Write every file of the result into outdir through the cursor path. */
static int write_files(const rp_split *s, const char *outdir, rp_error *err)
{
    size_t n;
    const char *const *names = rp_split_files(s, &n);
    for (size_t k = 0; k < n; k++) {
        char path[4096];
        int len = snprintf(path, sizeof path, "%s/%s", outdir, names[k]);
        if (len < 0 || (size_t)len >= sizeof path) {
            rp_error_set(err, outdir, 0, 0, "output path too long");
            return -1;
        }
        if (rp_cursor_write_file(s, names[k], path, err) != RP_OK)
            return -1;
    }
    return 0;
}

/* The input's size and SHA-256 for the summary's provenance, read on a
 * second thread while the main one loads and computes. */
struct digest_job {
    const char *path;
    char hex[RP_SHA256_HEX];
    uint64_t bytes;
    rp_status st;
};

static void *digest_thread(void *arg)
{
    struct digest_job *j = arg;
    j->st = rp_sha256_file(j->path, j->hex, &j->bytes, NULL);
    return NULL;
}

/* argv's "--name value" / "--name=value" pairs: --format and --threads are
 * ours, every other name is a parameter of the recipe (with '-' for '_'),
 * read by the core. */
static int split_args(int argc, char **argv, rp_params *p, const char **format, uint32_t *threads,
                      const char **pos, size_t *npos, rp_error *err)
{
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (*npos == 2)
                return rp_error_param(err, "", "unexpected argument '%.60s'", a), -1;
            pos[(*npos)++] = a;
            continue;
        }
        char name[64];
        const char *eq = strchr(a + 2, '='), *value;
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (n >= sizeof name)
            return rp_error_param(err, "", "unknown option '%.60s'", a), -1;
        for (size_t k = 0; k < n; k++)
            name[k] = a[2 + k] == '-' ? '_' : a[2 + k];
        name[n] = '\0';
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return rp_error_param(err, name, "option --%.60s needs a value", a + 2), -1;
        rp_error e = {0};
        if (strcmp(name, "format") == 0) {
            *format = value;
        } else if (strcmp(name, "threads") == 0) {
            if (rp_parse_count(value, threads) != 0)
                return rp_error_param(err, "threads",
                                      "--threads must be an integer >= 1, got \"%.40s\"", value),
                       -1;
        } else if (rp_params_set(p, name, value, &e) != RP_OK) {
            rp_error_param(err, e.param, "option --%.*s: %s", (int)n, a + 2, e.message);
            return -1;
        }
    }
    return 0;
}

/* recprep split RECIPE INPUT OUTDIR [--param value ...]; `temporal` and
 * `full` are this with the recipe fixed. */
static int run_recipe(rp_method method, int argc, char **argv)
{
    const char *format = NULL, *pos[2];
    uint32_t threads = 0;
    rp_params p = rp_params_defaults(method);
    size_t npos;
    rp_error err = {0};
    rp_dataset *ds = NULL;
    rp_split *s = NULL;
    if (split_args(argc, argv, &p, &format, &threads, pos, &npos, &err))
        return fail(&err);
    if (npos != 2) {
        fprintf(stderr, "recprep: %s needs INPUT OUTDIR (see recprep --help)\n",
                rp_method_name(method));
        return EXIT_FAIL;
    }
    if (rp_params_resolve(&p, &err) || make_dirs(pos[1], &err))
        return fail(&err);
    struct digest_job dj = {pos[0], {0}, 0, RP_ERR_IO};
    pthread_t tid;
    int threaded = pthread_create(&tid, NULL, digest_thread, &dj) == 0;
    rp_status st = load(pos[0], format, threads, &ds, &err);
    if (st == RP_OK)
        st = rp_split_run(ds, &p, &s, &err);
    rp_dataset_unref(ds); /* the result holds its own reference */
    if (threaded)
        pthread_join(tid, NULL);
    if (st != RP_OK)
        return fail(&err);
    rp_provenance prov = {pos[0], dj.bytes, dj.st == RP_OK ? dj.hex : NULL};
    int rc = write_files(s, pos[1], &err) ? fail(&err) : print_json(rp_split_summary(s, &prov));
    rp_split_free(s);
    return rc;
}

static int cmd_split(int argc, char **argv)
{
    if (argc < 1)
        return usage_fail("split needs RECIPE INPUT OUTDIR");
    const rp_recipe *r = rp_recipe_find(argv[0], strlen(argv[0]));
    if (r == NULL) {
        fprintf(stderr, "recprep: unknown recipe \"%s\" (recprep recipes lists them)\n", argv[0]);
        return EXIT_FAIL;
    }
    return run_recipe(r->method, argc - 1, argv + 1);
}

static int cmd_recipes(int argc, char **argv)
{
    (void)argv;
    if (argc != 0)
        return usage_fail("recipes takes no arguments");
    return print_json(rp_recipes_json());
}

static int cmd_generate(int argc, char **argv)
{
    const char *pos[1];
    rp_gen_params p = rp_gen_defaults();
    uint64_t rows = 0, users = 0, items = 0, seed = p.seed, days = p.days;
    size_t npos;
    cli_opt opts[] = {{"rows", CLI_U64, &rows, 0},
                      {"users", CLI_U64, &users, 0},
                      {"items", CLI_U64, &items, 0},
                      {"seed", CLI_U64, &seed, 0},
                      {"days", CLI_U64, &days, 0}};
    rp_error err = {0};
    if (cli_parse(argc, argv, opts, COUNT(opts), pos, 1, &npos, &err))
        return fail(&err);
    if (npos != 1)
        return usage_fail("generate needs OUT");
    if (opts[0].seen) /* populations scale with the rows unless given */
        p = rp_gen_for_rows(rows);
    if (opts[1].seen)
        p.users = users > UINT32_MAX ? UINT32_MAX : (uint32_t)users;
    if (opts[2].seen)
        p.items = items > UINT32_MAX ? UINT32_MAX : (uint32_t)items;
    p.seed = seed;
    p.days = days > UINT32_MAX ? UINT32_MAX : (uint32_t)days;
    return rp_generate_file(&p, pos[0], &err) == RP_OK ? 0 : fail(&err);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_fail("missing COMMAND");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("recprep %s\n", RECPREP_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "stats"))
        return cmd_stats(argc - 2, argv + 2);
    if (!strcmp(cmd, "kcore"))
        return cmd_kcore(argc - 2, argv + 2);
    if (!strcmp(cmd, "temporal"))
        return run_recipe(RP_METHOD_TEMPORAL, argc - 2, argv + 2);
    if (!strcmp(cmd, "full"))
        return run_recipe(RP_METHOD_FULL, argc - 2, argv + 2);
    if (!strcmp(cmd, "split"))
        return cmd_split(argc - 2, argv + 2);
    if (!strcmp(cmd, "recipes"))
        return cmd_recipes(argc - 2, argv + 2);
    if (!strcmp(cmd, "generate"))
        return cmd_generate(argc - 2, argv + 2);
    fprintf(stderr, "recprep: unknown command \"%s\" (see recprep --help)\n", cmd);
    return EXIT_FAIL;
}
