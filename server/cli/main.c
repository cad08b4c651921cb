/*
 * server/cli/main.c - `recprep`, the core's pipelines as a command-line tool.
 *
 * A second thin adapter over the same core calls as recprepd: parse options,
 * call one core function, write its files through the one cursor path, print
 * its JSON. Every failure is one line on stderr and exit status 2 (usage
 * errors included), so scripts can tell success from failure by $?.
 *
 * One command table drives dispatch, `recprep --help` and each
 * `recprep COMMAND --help`; recipe parameters in help come from the core's
 * recipe table. Long runs report progress on stderr (progress.c) when it is
 * a terminal, or always with --progress, never with --quiet.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "args.h"
#include "progress.h"
#include "recprep/cursor.h"
#include "recprep/digest.h"
#include "recprep/generate.h"
#include "recprep/json.h"
#include "recprep/kcore.h"
#include "recprep/load.h"
#include "recprep/recipe.h"
#include "recprep/split.h"
#include "recprep/stats.h"

#define EXIT_FAIL 2
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char FORMATS[] =
    "Formats: amazon-csv, amazon-csv-item-first, amazon-json, movielens-tsv,\n"
    "movielens-dat, csv-header (detected when --format is omitted). Any input may\n"
    "be gzip-compressed; a name ending .gz must hold gzip data.\n";

static const char FILTERS[] =
    "Filters (every recipe): --min-rating R, --since S, --until U (Unix seconds),\n"
    "--dedup none|first|last.\n";

static const char COMMON[] =
    "Options of every command:\n"
    "  --progress   report progress on stderr even when it is not a terminal\n"
    "               (one line per report, at most 4 a second, then \"done\")\n"
    "  --quiet      no progress (the default when stderr is not a terminal)\n"
    "  --threads N  threads parsing a plain (not gzip) input file; default:\n"
    "               every CPU\n"
    "  --help, -h   this command's usage on stdout\n"
    "Errors: one line on stderr, exit status 2.\n";

/* The run's progress reporter; fail() and print_json() stop it before they
 * write, so an error or the JSON never shares a line with it. */
static cli_progress progress;
static cli_progress_mode progress_mode = CLI_PROGRESS_AUTO;
static uint32_t load_threads; /* --threads; 0: every CPU */

static void begin(const char *label, const char *first_phase)
{
    cli_progress_start(&progress, progress_mode, label, first_phase);
}

__attribute__((format(printf, 1, 2))) static void phase(const char *fmt, ...)
{
    char text[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cli_progress_phase(&progress, text);
}

static int fail(const rp_error *err)
{
    char line[512];
    cli_progress_stop(&progress, 0);
    fprintf(stderr, "recprep: %s\n", rp_error_line(err, line, sizeof line));
    return EXIT_FAIL;
}

static int usage_fail(const char *msg)
{
    cli_progress_stop(&progress, 0);
    fprintf(stderr, "recprep: %s (see recprep --help)\n", msg);
    return EXIT_FAIL;
}

static int print_json(json_t *j)
{
    cli_progress_stop(&progress, j != NULL);
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

static rp_status load(const char *path, const char *format, rp_dataset **ds, rp_error *err)
{
    rp_format fmt = RP_FORMAT_AUTO;
    if (format) {
        rp_status st = rp_format_from_name(format, &fmt, err);
        if (st != RP_OK)
            return st;
    }
    /* the fingerprint only serves recprepd's ETags: never hashed here */
    rp_load_opts opts = {.threads = load_threads, .lazy_fingerprint = 1};
    return rp_load_file_opts(path, fmt, &opts, &progress.load, ds, err);
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
    size_t npos;
    cli_opt opts[] = {{"format", CLI_STRING, &format, 0}};
    rp_error err = {0};
    rp_dataset *ds = NULL;
    rp_stats st;
    if (cli_parse(argc, argv, opts, COUNT(opts), pos, 1, &npos, &err))
        return fail(&err);
    if (npos != 1)
        return usage_fail("stats needs INPUT");
    begin(pos[0], NULL);
    if (load(pos[0], format, &ds, &err))
        return fail(&err);
    phase("computing statistics of %s", pos[0]);
    rp_status s = rp_stats_compute(ds, &st);
    json_t *j = s == RP_OK ? rp_stats_to_json(&st, NULL, rp_dataset_format(ds)) : NULL;
    rp_dataset_unref(ds);
    return print_json(j);
}

static int cmd_kcore(int argc, char **argv)
{
    const char *format = NULL, *pos[1];
    uint32_t k = 0, uk = 0, ik = 0;
    size_t npos;
    cli_opt opts[] = {{"format", CLI_STRING, &format, 0},
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
    begin(pos[0], NULL);
    if (load(pos[0], format, &ds, &err))
        return fail(&err);
    k = k ? k : RP_KCORE_DEFAULT_K;
    uk = uk ? uk : k;
    ik = ik ? ik : k;
    phase("k-core rounds (user_k %u, item_k %u)", (unsigned)uk, (unsigned)ik);
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

/* Every file of the result into outdir, each through its own cursor over the
 * (immutable) result, on up to WRITE_THREADS threads taking the files in list
 * order: az23's ten files take a fifth of its run on one thread. A failure
 * reports the first failing file in list order, as one thread would. */
#define WRITE_THREADS 4

struct writes {
    const rp_split *s;
    const char *outdir;
    const char *const *names;
    size_t n;
    atomic_size_t next;
    atomic_int failed; /* stop taking files once one failed */
    rp_status *st;     /* [n] */
    rp_error *err;     /* [n] */
};

static rp_status write_one(struct writes *w, size_t k)
{
    char path[4096];
    int len = snprintf(path, sizeof path, "%s/%s", w->outdir, w->names[k]);
    if (len < 0 || (size_t)len >= sizeof path) {
        rp_error_set(&w->err[k], w->outdir, 0, 0, "output path too long");
        return RP_ERR_PARAM;
    }
    phase("writing %s (%zu of %zu)", w->names[k], k + 1, w->n);
    return rp_cursor_write_file(w->s, w->names[k], path, &w->err[k]);
}

static void *write_worker(void *arg)
{
    struct writes *w = arg;
    for (size_t k; !atomic_load(&w->failed) && (k = atomic_fetch_add(&w->next, 1)) < w->n;)
        if ((w->st[k] = write_one(w, k)) != RP_OK)
            atomic_store(&w->failed, 1);
    return NULL;
}

static int write_files(const rp_split *s, const char *outdir, rp_error *err)
{
    size_t n;
    const char *const *names = rp_split_files(s, &n);
    struct writes w = {s,
                       outdir,
                       names,
                       n,
                       0,
                       0,
                       calloc(n + 1, sizeof(rp_status)),
                       calloc(n + 1, sizeof(rp_error))};
    if (w.st == NULL || w.err == NULL) {
        free(w.st);
        free(w.err);
        rp_error_set(err, outdir, 0, 0, "out of memory");
        return -1;
    }
    pthread_t t[WRITE_THREADS - 1];
    size_t started = 0;
    while (started + 1 < WRITE_THREADS && started + 1 < n &&
           pthread_create(&t[started], NULL, write_worker, &w) == 0)
        started++;
    write_worker(&w);
    for (size_t i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++)
        if (w.st[k] != RP_OK) {
            *err = w.err[k];
            rc = -1;
        }
    free(w.st);
    free(w.err);
    return rc;
}

/* The input's size and SHA-256 for the summary's provenance, read on a
 * second thread while the main one computes and writes the files. */
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

/* argv's "--name value" / "--name=value" pairs: --format is ours, every other
 * name is a parameter of the recipe (with '-' for '_'), read by the core. */
static int split_args(int argc, char **argv, rp_params *p, const char **format, const char **pos,
                      size_t *npos, rp_error *err)
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
    rp_params p = rp_params_defaults(method);
    size_t npos;
    rp_error err = {0};
    rp_dataset *ds = NULL;
    rp_split *s = NULL;
    if (split_args(argc, argv, &p, &format, pos, &npos, &err))
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
    int threaded = 0;
    begin(pos[0], NULL);
    rp_status st = load(pos[0], format, &ds, &err);
    if (st == RP_OK) {
        /* The digest reads the file again beside the split and the writes,
         * which leave a core idle, not beside the load, which uses them all. */
        threaded = pthread_create(&tid, NULL, digest_thread, &dj) == 0;
        phase("computing %s", rp_method_name(method));
        st = rp_split_run(ds, &p, &s, &err);
    }
    rp_dataset_unref(ds); /* the result holds its own reference */
    int rc = st != RP_OK || write_files(s, pos[1], &err) ? -1 : 0;
    if (threaded)
        pthread_join(tid, NULL);
    if (rc != 0) {
        rp_split_free(s);
        return fail(&err);
    }
    rp_provenance prov = {pos[0], dj.bytes, dj.st == RP_OK ? dj.hex : NULL};
    rc = print_json(rp_split_summary(s, &prov));
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
    char what[160];
    snprintf(what, sizeof what, "generating %s", pos[0]);
    begin(pos[0], what);
    return rp_generate_file(&p, pos[0], &err) == RP_OK ? 0 : fail(&err);
}

/* ---- the command table and help ------------------------------------------ */

typedef struct command {
    const char *name;
    const char *synopsis;              /* after "recprep NAME" */
    const char *summary;               /* what it does, for both help texts */
    int (*run)(int argc, char **argv); /* NULL: run_recipe(method) */
    rp_method method;                  /* temporal, full: the recipe they run and whose
                                          parameters they list; RP_METHOD_COUNT for the others */
} command;

static const command COMMANDS[] = {
    {"stats", "INPUT [--format F]", "Dataset statistics as JSON on stdout.", cmd_stats,
     RP_METHOD_COUNT},
    {"kcore", "INPUT [--k N | --user-k N --item-k N] [--format F]",
     "k-core rounds of every row as JSON on stdout (default k 5).", cmd_kcore, RP_METHOD_COUNT},
    {"split", "RECIPE INPUT OUTDIR [--PARAM VALUE ...] [--format F]",
     "A recipe's files into OUTDIR and its summary JSON on stdout;\n"
     "`recprep split RECIPE --help` lists the recipe's parameters.",
     cmd_split, RP_METHOD_COUNT},
    {"recipes", "", "The recipe table (parameters, defaults, files) as JSON.", cmd_recipes,
     RP_METHOD_COUNT},
    {"temporal", "INPUT OUTDIR [--PARAM VALUE ...] [--format F]",
     "= split temporal: train.txt, validation.txt, test.txt, users.tsv, items.tsv.", NULL,
     RP_METHOD_TEMPORAL},
    {"full", "INPUT OUTDIR [--PARAM VALUE ...] [--format F]",
     "= split full: all.txt, users.tsv, items.tsv.", NULL, RP_METHOD_FULL},
    {"generate", "OUT [--rows 2023070] [--users U] [--items I] [--seed 42] [--days 5000]",
     "A deterministic Amazon-like amazon-csv log.", cmd_generate, RP_METHOD_COUNT},
};

/* text with every line indented by `indent` spaces */
static void put_indented(const char *text, int indent)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        printf("%*s%.*s\n", indent, "", len, line);
        line += len + (end != NULL);
    }
}

static void usage(void)
{
    fputs("usage: recprep COMMAND [options]\n"
          "       recprep COMMAND --help     (or recprep help COMMAND)\n\nCommands:\n",
          stdout);
    for (size_t i = 0; i < COUNT(COMMANDS); i++) {
        const command *c = &COMMANDS[i];
        printf("  %s%s%s\n", c->name, c->synopsis[0] ? " " : "", c->synopsis);
        put_indented(c->summary, 6);
    }
    fputs("\n", stdout);
    fputs(FORMATS, stdout);
    size_t n;
    const rp_recipe *all = rp_recipes(&n);
    fputs("Recipes:", stdout);
    for (size_t i = 0; i < n; i++)
        printf("%s %s", i ? "," : "", all[i].name);
    fputs("\n(`recprep recipes`). Recipes print their summary JSON on stdout.\n", stdout);
    fputs(FILTERS, stdout);
    fputs("\n", stdout);
    fputs(COMMON, stdout);
    fputs("recprep --version prints the version.\n", stdout);
}

/* The recipe's parameters, from the core's table: "--user-k N  doc (4)". */
static void recipe_params_help(const rp_recipe *r)
{
    printf("%s: %s.\nParameters (--name VALUE or --name=VALUE):\n", r->name, r->title);
    for (size_t i = 0; i < r->n_params; i++) {
        char opt[40];
        const rp_recipe_param *p = &r->params[i];
        size_t n = (size_t)snprintf(opt, sizeof opt, "--%s", rp_param_name(p->id));
        for (size_t k = 2; k < n && k < sizeof opt; k++)
            opt[k] = opt[k] == '_' ? '-' : opt[k];
        printf("  %-14s %s%s%s%s\n", opt, p->doc, p->def ? " (default " : "", p->def ? p->def : "",
               p->def ? ")" : "");
    }
    printf("Files: ");
    for (size_t f = 0; f < r->n_files; f++)
        printf("%s%s", f ? ", " : "", r->files[f]);
    printf("\n");
}

static void command_help(const command *c, const char *recipe)
{
    printf("usage: recprep %s%s%s\n\n%s\n\n", c->name, c->synopsis[0] ? " " : "", c->synopsis,
           c->summary);
    const rp_recipe *r = c->method != RP_METHOD_COUNT ? rp_recipe_get(c->method)
                         : recipe                     ? rp_recipe_find(recipe, strlen(recipe))
                                                      : NULL;
    if (r != NULL) {
        recipe_params_help(r);
        fputs("\n", stdout);
    } else if (c->run == cmd_split) {
        size_t n;
        const rp_recipe *all = rp_recipes(&n);
        fputs("Recipes:\n", stdout);
        for (size_t i = 0; i < n; i++)
            printf("  %-15s %s\n", all[i].name, all[i].title);
        fputs("\n", stdout);
    }
    if (c->run != cmd_recipes && c->run != cmd_generate) {
        fputs(FORMATS, stdout);
        fputs("\n", stdout);
    }
    fputs(COMMON, stdout);
}

static int is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* --threads N or --threads=N at argv[*i] (advanced past its value): 1 taken,
 * 0 not this option, -1 a bad value (reported). */
static int take_threads(int argc, char **argv, int *i)
{
    const char *v;
    if (!strncmp(argv[*i], "--threads=", 10))
        v = argv[*i] + 10;
    else if (!strcmp(argv[*i], "--threads") && *i + 1 < argc)
        v = argv[++*i];
    else
        return 0;
    if (rp_parse_count(v, &load_threads) == 0)
        return 1;
    fprintf(stderr, "recprep: --threads must be an integer >= 1, got \"%.40s\"\n", v);
    return -1;
}

/* Take --progress / --quiet / --threads out of argv (any position; the last
 * one wins), so each command's own parser never sees them. Returns the new
 * argc, or -1 after reporting a bad --threads. */
static int take_common_flags(int argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < argc; i++) {
        int t = take_threads(argc, argv, &i);
        if (t < 0)
            return -1;
        if (t > 0)
            continue;
        if (!strcmp(argv[i], "--progress"))
            progress_mode = CLI_PROGRESS_ON;
        else if (!strcmp(argv[i], "--quiet"))
            progress_mode = CLI_PROGRESS_OFF;
        else
            argv[out++] = argv[i];
    }
    argv[out] = NULL;
    return out;
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; name != NULL && i < COUNT(COMMANDS); i++)
        if (!strcmp(name, COMMANDS[i].name))
            return &COMMANDS[i];
    return NULL;
}

int main(int argc, char **argv)
{
    argc = take_common_flags(argc, argv);
    if (argc < 0)
        return EXIT_FAIL;
    if (argc < 2)
        return usage_fail("missing COMMAND");
    const char *cmd = argv[1];
    if (is_help(cmd) || (!strcmp(cmd, "help") && argc == 2)) {
        usage();
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("recprep %s\n", RECPREP_VERSION);
        return 0;
    }
    int base = 2, help = 0;   /* argv[base..] are the command's arguments */
    if (!strcmp(cmd, "help")) /* recprep help COMMAND [RECIPE] */
        cmd = argv[2], base = 3, help = 1;
    const command *c = find_command(cmd);
    if (c == NULL) {
        fprintf(stderr, "recprep: unknown command \"%s\" (see recprep --help)\n", cmd);
        return EXIT_FAIL;
    }
    for (int a = base; a < argc; a++)
        help |= is_help(argv[a]);
    if (help) { /* `recprep split temporal --help`: the recipe's parameters */
        command_help(c, base < argc && !is_help(argv[base]) ? argv[base] : NULL);
        return 0;
    }
    int rc = c->run != NULL ? c->run(argc - base, argv + base)
                            : run_recipe(c->method, argc - base, argv + base);
    cli_progress_stop(&progress, rc == 0);
    return rc;
}
