/*
 * tests/server/e2e_golden.c - every golden case of the core issue
 * (tests/golden/<case>/: input.*, args, expected/) served by one recprepd:
 * each case is a dataset named after its directory, and every expected file
 * must download byte-identical over HTTP, with the parameters of `args`
 * turned into the query string. users/items/rounds of the HTTP summary must
 * equal expected/summary.json.
 */
#include "e2e_cases.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"

#define MAX_CASES 60

struct golden_case {
    char name[65];
    char method[32];
    char query[256];
    char dir[512];
    char format[32];
    char input[600];
};

static struct golden_case cases[MAX_CASES];
static size_t n_cases;
static struct server gsrv;

/* Next whitespace-separated word of *p (NUL-terminated in place), or NULL. */
static char *next_word(char **p)
{
    char *s = *p + strspn(*p, " \t\r\n");
    if (*s == '\0')
        return NULL;
    size_t n = strcspn(s, " \t\r\n");
    *p = s + n + (s[n] != '\0');
    s[n] = '\0';
    return s;
}

/* "--val-start 0.7" -> "val_start=0.7"; "--format X" is kept apart. */
static void parse_args(struct golden_case *c, char *line)
{
    char *tok = next_word(&line);
    if (tok != NULL && strcmp(tok, "split") == 0) /* "split RECIPE --param v ..." */
        tok = next_word(&line);
    snprintf(c->method, sizeof c->method, "%s", tok ? tok : "");
    while ((tok = next_word(&line)) != NULL) {
        char *val = next_word(&line);
        if (val == NULL || strncmp(tok, "--", 2) != 0)
            break;
        if (strcmp(tok, "--format") == 0) {
            snprintf(c->format, sizeof c->format, "%s", val);
            continue;
        }
        size_t used = strlen(c->query);
        snprintf(c->query + used, sizeof c->query - used, "%s%s=%s", used ? "&" : "?", tok + 2,
                 val);
        for (char *p = c->query + used; *p; p++)
            if (*p == '-')
                *p = '_';
    }
}

static int load_case(struct golden_case *c, const char *root, const char *name)
{
    char path[700];
    size_t nlen = strlen(name);
    if (nlen >= sizeof c->name)
        return -1;
    memcpy(c->name, name, nlen + 1);
    snprintf(c->dir, sizeof c->dir, "%s/%s", root, name);
    snprintf(path, sizeof path, "%s/args", c->dir);
    char *args = read_file(path, NULL);
    if (args == NULL)
        return -1;
    parse_args(c, args);
    free(args);
    DIR *d = opendir(c->dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "input.", 6) == 0 &&
            snprintf(path, sizeof path, "%s/%s", c->dir, e->d_name) < (int)sizeof c->input)
            memcpy(c->input, path, strlen(path) + 1);
    if (d != NULL)
        closedir(d);
    return c->input[0] ? 0 : -1;
}

static void golden_start(void)
{
    const char *root = getenv("RECPREP_GOLDEN");
    DIR *d = root ? opendir(root) : NULL;
    struct dirent *e;
    static char specs[MAX_CASES][2][700];
    const char *args[4 * MAX_CASES + 1];
    size_t n = 0;
    while (d != NULL && (e = readdir(d)) != NULL && n_cases < MAX_CASES) {
        if (e->d_name[0] == '.' || load_case(&cases[n_cases], root, e->d_name) != 0)
            continue;
        struct golden_case *c = &cases[n_cases++];
        snprintf(specs[n_cases - 1][0], 700, "%s=%s", c->name, c->input);
        snprintf(specs[n_cases - 1][1], 700, "%s=%s", c->name, c->format);
        args[n++] = "--dataset";
        args[n++] = specs[n_cases - 1][0];
        if (c->format[0]) {
            args[n++] = "--format";
            args[n++] = specs[n_cases - 1][1];
        }
    }
    if (d != NULL)
        closedir(d);
    args[n] = NULL;
    if (n_cases == 0)
        return; /* no golden cases in this tree: nothing to serve */
    if (server_start(&gsrv, args, NULL, NULL) != 0 || server_wait_ready(&gsrv, 60000) != 0) {
        char *log = server_log(&gsrv);
        fprintf(stderr, "cannot start recprepd on the golden cases:\n%s\n", log);
        free(log);
        server_stop(&gsrv, 5000);
        server_cleanup(&gsrv);
        exit(1);
    }
}

static void golden_stop(void)
{
    if (n_cases > 0) {
        server_stop(&gsrv, 30000);
        server_cleanup(&gsrv);
    }
}

static void check_summary(const struct golden_case *c)
{
    char path[1024], exp_path[700];
    struct resp r;
    snprintf(path, sizeof path, "/v1/datasets/%s/splits/%s%s", c->name, c->method, c->query);
    snprintf(exp_path, sizeof exp_path, "%s/expected/summary.json", c->dir);
    json_t *want = json_load_file(exp_path, 0, NULL);
    if (want == NULL)
        return;
    ck_assert_int_eq(http(&gsrv, "GET", path, NULL, &r), 0);
    ck_assert_msg(r.status == 200, "%s: %ld %s", path, r.status, r.body);
    json_t *got = json_loadb(r.body, r.len, 0, NULL);
    static const char *const keys[] = {"users",   "items",  "rounds",  "interactions",
                                       "dropped", "splits", "filtered"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *w = json_object_get(want, keys[i]);
        if (w == NULL && i >= 2) /* compared where the reference reports it */
            continue;
        ck_assert_msg(json_equal(w, json_object_get(got, keys[i])), "golden %s: summary %s differs",
                      c->name, keys[i]);
    }
    json_decref(want);
    json_decref(got);
    resp_free(&r);
}

static void check_case(const struct golden_case *c)
{
    char exp_dir[700];
    snprintf(exp_dir, sizeof exp_dir, "%s/expected", c->dir);
    DIR *d = opendir(exp_dir);
    struct dirent *e;
    size_t files = 0;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "summary.json") == 0)
            continue;
        char path[1024], file[1000];
        size_t len;
        struct resp r;
        snprintf(file, sizeof file, "%s/%s", exp_dir, e->d_name);
        char *want = read_file(file, &len);
        ck_assert_ptr_nonnull(want);
        snprintf(path, sizeof path, "/v1/datasets/%s/splits/%s/%s%s", c->name, c->method, e->d_name,
                 c->query);
        ck_assert_int_eq(http(&gsrv, "GET", path, NULL, &r), 0);
        ck_assert_msg(r.status == 200, "%s: %ld", path, r.status);
        ck_assert_msg(r.len == len && memcmp(r.body, want, len) == 0,
                      "golden %s: %s differs (%zu vs %zu bytes)", c->name, e->d_name, r.len, len);
        free(want);
        resp_free(&r);
        files++;
    }
    closedir(d);
    ck_assert_uint_gt(files, 0);
    check_summary(c);
}

START_TEST(golden_files_over_http)
{
    for (size_t i = 0; i < n_cases; i++)
        check_case(&cases[i]);
}
END_TEST

TCase *e2e_golden_tcase(void)
{
    TCase *tc = tcase_create("golden");
    tcase_add_unchecked_fixture(tc, golden_start, golden_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, golden_files_over_http);
    return tc;
}
