/*
 * tests/server/test_log.c - the log's queue and writer thread (server/log.c)
 * and the buffer helpers the log lines are built with (server/util.c).
 *
 * Each test points stderr at a file of its own (Check runs every test in a
 * child process of its own, so the writer starts fresh each time).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "../check_run.h"

/* stderr to a new temporary file; its path in path. */
static void stderr_to_file(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/recprep-log-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

#define THREADS 4
#define LINES 6000
#define BIG (300 * 1024) /* more than the queue holds: written directly */

static void *writer_thread(void *arg)
{
    int t = (int)(intptr_t)arg;
    char line[200];
    for (int i = 0; i < LINES; i++) {
        if (t == 0 && i == LINES / 2) {
            char *big = malloc(BIG + 1);
            memset(big, 'x', BIG - 1);
            big[BIG - 1] = '\n';
            srv_log_write(big, BIG);
            free(big);
        }
        int n = snprintf(line, sizeof line, "t%d %d ", t, i), dots = i % 97;
        memset(line + n, '.', (size_t)dots); /* lines of 5..110 bytes */
        line[n + dots] = '\n';
        srv_log_write(line, (size_t)(n + dots + 1));
    }
    return NULL;
}

/* Lines from several threads, one bigger than the queue: every line arrives
 * whole, once, and each thread's lines in the order it wrote them. */
START_TEST(lines_whole_once_and_in_order)
{
    char path[64];
    stderr_to_file(path, sizeof path);
    ck_assert_int_eq(srv_log_start(), 0);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, writer_thread, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    srv_log_stop();
    size_t len;
    char *log = slurp(path, &len);
    int next[THREADS] = {0}, big = 0;
    for (char *p = log, *nl; p < log + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(log + len - p));
        ck_assert_ptr_nonnull(nl);
        if (*p == 'x') {
            ck_assert_int_eq((int)(nl - p), BIG - 1);
            ck_assert_int_eq(next[0], LINES / 2); /* between its thread's neighbours */
            big++;
            continue;
        }
        int t, i, dots = 0;
        ck_assert_int_eq(sscanf(p, "t%d %d", &t, &i), 2);
        ck_assert(t >= 0 && t < THREADS);
        ck_assert_int_eq(i, next[t]);
        next[t]++;
        for (const char *q = nl - 1; *q == '.'; q--)
            dots++;
        ck_assert_int_eq(dots, i % 97);
    }
    for (int t = 0; t < THREADS; t++)
        ck_assert_int_eq(next[t], LINES);
    ck_assert_int_eq(big, 1);
    free(log);
    unlink(path);
}
END_TEST

static int file_has(const char *path, const char *want)
{
    size_t len;
    char *s = slurp(path, &len);
    int has = strstr(s, want) != NULL;
    free(s);
    return has;
}

/* A queued line reaches the file without srv_log_stop (the batch window
 * ends by itself), and lines written after srv_log_stop still arrive. */
START_TEST(a_line_leaves_on_its_own)
{
    char path[64];
    stderr_to_file(path, sizeof path);
    ck_assert_int_eq(srv_log_start(), 0);
    srv_log_write("{\"event\":\"first\"}\n", 18);
    int waited = 0;
    while (!file_has(path, "\"first\"") && waited < 5000) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
        waited += 10;
    }
    ck_assert_msg(waited < 5000, "the line never left the queue");
    srv_log(SRV_LOG_ERROR, "broken", NULL, "disk %s", "full");
    srv_log_stop();
    ck_assert(
        file_has(path, "{\"level\":\"error\",\"event\":\"broken\",\"message\":\"disk full\"}\n"));
    srv_log_write("{\"event\":\"after\"}\n", 18);
    ck_assert(file_has(path, "{\"event\":\"after\"}\n"));
    unlink(path);
}
END_TEST

/* A line too big for the queue is written directly, but only after the
 * lines queued before it. */
START_TEST(big_line_keeps_its_place)
{
    char path[64];
    stderr_to_file(path, sizeof path);
    ck_assert_int_eq(srv_log_start(), 0);
    srv_log_write("small\n", 6);
    char *big = malloc(BIG);
    memset(big, 'x', BIG - 1);
    big[BIG - 1] = '\n';
    srv_log_write(big, BIG);
    free(big);
    srv_log_write("after\n", 6);
    srv_log_stop();
    size_t len;
    char *log = slurp(path, &len);
    ck_assert_uint_eq(len, 6 + BIG + 6);
    ck_assert(memcmp(log, "small\nxxx", 9) == 0);
    ck_assert_str_eq(log + 6 + BIG, "after\n");
    free(log);
    unlink(path);
}
END_TEST

START_TEST(escape_and_numbers)
{
    struct srv_buf b = {0};
    const char raw[] = "plain \"q\" back\\slash \x01\x1f\x7f\xc3\xa9 end";
    srv_buf_json_escape(&b, raw, sizeof raw - 1);
    ck_assert_str_eq(b.data,
                     "plain \\\"q\\\" back\\\\slash \\u0001\\u001f\\u007f\\u00c3\\u00a9 end");
    srv_buf_cleanup(&b);
    srv_buf_json_escape(&b, "", 0);
    srv_buf_json_escape(&b, "\"", 1);
    ck_assert_str_eq(b.data, "\\\"");
    srv_buf_cleanup(&b);
    srv_buf_u64(&b, 0);
    SRV_BUF_LIT(&b, " ");
    srv_buf_u64(&b, 1234567890);
    SRV_BUF_LIT(&b, " ");
    srv_buf_u64(&b, UINT64_MAX);
    ck_assert_str_eq(b.data, "0 1234567890 18446744073709551615");
    ck_assert_uint_eq(b.len, strlen(b.data));
    srv_buf_cleanup(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("server_log");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lines_whole_once_and_in_order);
    tcase_add_test(tc, a_line_leaves_on_its_own);
    tcase_add_test(tc, big_line_keeps_its_place);
    tcase_add_test(tc, escape_and_numbers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rp_check_run(suite());
}
