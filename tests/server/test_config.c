/*
 * tests/server/test_config.c - recprepd options and environment
 * (server/config.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "../check_run.h"

static const char *const env_vars[] = {
    "RECPREP_LISTEN",        "RECPREP_DATASETS",       "RECPREP_THREADS",
    "RECPREP_TOKEN_FILE",    "RECPREP_CACHE_MB",       "RECPREP_CORS_ORIGINS",
    "RECPREP_DRAIN_SECONDS", "RECPREP_HEADER_TIMEOUT", "RECPREP_MAX_CLIENT_CONNECTIONS"};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
}

/* Parse a NULL-terminated argument list (program name added). */
static enum srv_config_result parse(struct srv_config *cfg, const char *const *args, char *msg,
                                    size_t cap)
{
    char *argv[32] = {"recprepd"};
    int argc = 1;
    for (size_t i = 0; args[i] != NULL && argc < 31; i++)
        argv[argc++] = (char *)args[i];
    msg[0] = '\0';
    return srv_config_parse(cfg, argc, argv, msg, cap);
}

START_TEST(defaults_serve_demo)
{
    struct srv_config cfg;
    char msg[256];
    const char *args[] = {NULL};
    clear_env();
    ck_assert_int_eq(parse(&cfg, args, msg, sizeof msg), SRV_CONFIG_RUN);
    ck_assert_str_eq(cfg.listen_host, "127.0.0.1");
    ck_assert_uint_eq(cfg.listen_port, 8080);
    ck_assert_uint_eq(cfg.n_datasets, 1);
    ck_assert_str_eq(cfg.datasets[0].name, "demo");
    ck_assert_ptr_null(cfg.datasets[0].path);
    ck_assert_uint_ge(cfg.threads, 1);
    ck_assert_uint_ge(cfg.cache_mb, 64);
    ck_assert_uint_le(cfg.cache_mb, 4096);
    ck_assert_uint_eq(cfg.n_origins, 0);
    ck_assert_ptr_null(cfg.token_file);
    srv_config_cleanup(&cfg);
}
END_TEST

/* PATH "builtin" is the generated demo, beside files, from argv or the
 * environment; "./builtin" is a file. */
START_TEST(builtin_demo_beside_files)
{
    struct srv_config cfg;
    char msg[256];
    const char *args[] = {"--dataset", "ml=/data/ml.csv", "--dataset", "demo=builtin",
                          "--dataset", "local=./builtin", NULL};
    clear_env();
    ck_assert_int_eq(parse(&cfg, args, msg, sizeof msg), SRV_CONFIG_RUN);
    ck_assert_uint_eq(cfg.n_datasets, 3);
    ck_assert_str_eq(cfg.datasets[0].path, "/data/ml.csv");
    ck_assert_str_eq(cfg.datasets[1].name, "demo");
    ck_assert_ptr_null(cfg.datasets[1].path);
    ck_assert_int_eq(cfg.datasets[1].format, RP_FORMAT_AMAZON_CSV);
    ck_assert_str_eq(cfg.datasets[2].path, "./builtin");
    srv_config_cleanup(&cfg);
    setenv("RECPREP_DATASETS", "synthetic=builtin;ml=/data/ml.csv", 1);
    const char *none[] = {NULL};
    ck_assert_int_eq(parse(&cfg, none, msg, sizeof msg), SRV_CONFIG_RUN);
    ck_assert_uint_eq(cfg.n_datasets, 2);
    ck_assert_str_eq(cfg.datasets[0].name, "synthetic");
    ck_assert_ptr_null(cfg.datasets[0].path);
    srv_config_cleanup(&cfg);
    clear_env();
}
END_TEST

START_TEST(options)
{
    struct srv_config cfg;
    char msg[256];
    const char *args[] = {"--listen",
                          "[::1]:0",
                          "--dataset",
                          "a=/x/a.csv",
                          "--dataset=b-2=/y/b.json",
                          "--format",
                          "b-2=amazon-json",
                          "--threads",
                          "3",
                          "--cache-mb",
                          "16",
                          "--cors-origin",
                          "*",
                          "--token-file",
                          "/t",
                          NULL};
    clear_env();
    ck_assert_int_eq(parse(&cfg, args, msg, sizeof msg), SRV_CONFIG_RUN);
    ck_assert_str_eq(cfg.listen_host, "::1");
    ck_assert_uint_eq(cfg.listen_port, 0);
    ck_assert_uint_eq(cfg.n_datasets, 2);
    ck_assert_str_eq(cfg.datasets[1].name, "b-2");
    ck_assert_str_eq(cfg.datasets[1].path, "/y/b.json");
    ck_assert_int_eq(cfg.datasets[1].format, RP_FORMAT_AMAZON_JSON);
    ck_assert_int_eq(cfg.datasets[0].format, RP_FORMAT_AUTO);
    ck_assert_uint_eq(cfg.threads, 3);
    ck_assert_uint_eq(cfg.cache_mb, 16);
    ck_assert_str_eq(cfg.origins[0], "*");
    ck_assert_str_eq(cfg.token_file, "/t");
    srv_config_cleanup(&cfg);
}
END_TEST

START_TEST(environment_and_precedence)
{
    struct srv_config cfg;
    char msg[256];
    clear_env();
    setenv("RECPREP_DATASETS", "one=/1.csv;two=/2.csv", 1);
    setenv("RECPREP_LISTEN", "0.0.0.0:9000", 1);
    setenv("RECPREP_CORS_ORIGINS", "https://a.example,https://b.example", 1);
    const char *none[] = {NULL};
    ck_assert_int_eq(parse(&cfg, none, msg, sizeof msg), SRV_CONFIG_RUN);
    ck_assert_uint_eq(cfg.n_datasets, 2);
    ck_assert_str_eq(cfg.datasets[1].name, "two");
    ck_assert_uint_eq(cfg.listen_port, 9000);
    ck_assert_uint_eq(cfg.n_origins, 2);
    srv_config_cleanup(&cfg);
    const char *cli[] = {"--dataset", "three=/3.csv", "--listen", "127.0.0.1:1", NULL};
    ck_assert_int_eq(parse(&cfg, cli, msg, sizeof msg), SRV_CONFIG_RUN);
    ck_assert_uint_eq(cfg.n_datasets, 1); /* the command line replaces the env list */
    ck_assert_str_eq(cfg.datasets[0].name, "three");
    ck_assert_uint_eq(cfg.listen_port, 1);
    srv_config_cleanup(&cfg);
    clear_env();
}
END_TEST

static void expect_error(const char *const *args, const char *needle)
{
    struct srv_config cfg;
    char msg[256];
    ck_assert_int_eq(parse(&cfg, args, msg, sizeof msg), SRV_CONFIG_ERROR);
    ck_assert_msg(strstr(msg, needle) != NULL, "message '%s' lacks '%s'", msg, needle);
    srv_config_cleanup(&cfg);
}

START_TEST(errors)
{
    clear_env();
    const char *a[] = {"--threads", "0", NULL};
    expect_error(a, "--threads");
    const char *b[] = {"--threads", "2x", NULL};
    expect_error(b, "--threads");
    const char *c[] = {"--dataset", "Upper=/x", NULL};
    expect_error(c, "must match");
    const char *d[] = {"--dataset", "-lead=/x", NULL};
    expect_error(d, "must match");
    const char *e[] = {"--dataset", "noequals", NULL};
    expect_error(e, "NAME=VALUE");
    const char *f[] = {"--dataset", "a=/x", "--dataset", "a=/y", NULL};
    expect_error(f, "twice");
    const char *g[] = {"--format", "zz=amazon-csv", NULL};
    expect_error(g, "no dataset named 'zz'");
    const char *h[] = {"--dataset", "a=/x", "--format", "a=excel", NULL};
    expect_error(h, "--format");
    const char *i[] = {"--listen", "127.0.0.1", NULL};
    expect_error(i, "HOST:PORT");
    const char *j[] = {"--listen", "h:65536", NULL};
    expect_error(j, "HOST:PORT");
    const char *k[] = {"--cache-mb", "0", NULL};
    expect_error(k, "--cache-mb");
    const char *l[] = {"--bogus", "1", NULL};
    expect_error(l, "unknown option");
    const char *m[] = {"--threads", NULL};
    expect_error(m, "needs a value");
    const char *n[] = {"stray", NULL};
    expect_error(n, "unexpected argument");
    char long_name[80];
    memset(long_name, 'a', 65);
    memcpy(long_name + 65, "=/x", 4);
    const char *o[] = {"--dataset", long_name, NULL};
    expect_error(o, "must match");
}
END_TEST

/* The hostile-client options: defaults, environment, command line, ranges. */
START_TEST(limits_and_drain)
{
    struct srv_config cfg;
    char msg[256];
    clear_env();
    const char *none[] = {NULL};
    ck_assert_int_eq(parse(&cfg, none, msg, sizeof msg), SRV_CONFIG_RUN);
    ck_assert_uint_eq(cfg.drain_seconds, 300);
    ck_assert_uint_eq(cfg.header_timeout, 10);
    ck_assert_uint_eq(cfg.client_connections, 64);
    srv_config_cleanup(&cfg);
    setenv("RECPREP_DRAIN_SECONDS", "7", 1);
    setenv("RECPREP_HEADER_TIMEOUT", "0", 1);
    setenv("RECPREP_MAX_CLIENT_CONNECTIONS", "5", 1);
    const char *cli[] = {"--max-client-connections=9", NULL};
    ck_assert_int_eq(parse(&cfg, cli, msg, sizeof msg), SRV_CONFIG_RUN);
    ck_assert_uint_eq(cfg.drain_seconds, 7);
    ck_assert_uint_eq(cfg.header_timeout, 0);
    ck_assert_uint_eq(cfg.client_connections, 9);
    srv_config_cleanup(&cfg);
    clear_env();
    static const char *const bad[][2] = {{"--drain-seconds", "86401"},
                                         {"--drain-seconds", "-1"},
                                         {"--header-timeout", "1e3"},
                                         {"--max-client-connections", "4097"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {bad[i][0], bad[i][1], NULL};
        ck_assert_int_eq(parse(&cfg, args, msg, sizeof msg), SRV_CONFIG_ERROR);
        ck_assert_ptr_nonnull(strstr(msg, bad[i][0]));
        srv_config_cleanup(&cfg);
    }
}
END_TEST

START_TEST(names)
{
    ck_assert(srv_config_valid_name("a", 1));
    ck_assert(srv_config_valid_name("0beauty_5-core", 14));
    ck_assert(!srv_config_valid_name("", 0));
    ck_assert(!srv_config_valid_name("_a", 2));
    ck_assert(!srv_config_valid_name("a.b", 3));
    ck_assert(!srv_config_valid_name("a/b", 3));
    ck_assert(!srv_config_valid_name("A", 1));
    char max[65];
    memset(max, 'z', 64);
    ck_assert(srv_config_valid_name(max, 64));
    ck_assert(!srv_config_valid_name(max, 65));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("server_config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_serve_demo);
    tcase_add_test(tc, options);
    tcase_add_test(tc, builtin_demo_beside_files);
    tcase_add_test(tc, environment_and_precedence);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, names);
    tcase_add_test(tc, limits_and_drain);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
