/* test_log.c: the log's rate limit. Lines go to a temporary file and the
 * limit runs on a clock the test moves, so every count is exact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int64_t fake_now;
static int64_t fake_clock(void)
{
    return fake_now;
}

static int out_fd = -1;
static char out_path[] = "/tmp/gl-test-log-XXXXXX";

static int setup(void **state)
{
    (void)state;
    out_fd = mkstemp(out_path);
    assert_true(out_fd >= 0);
    gl_log_init("test", GL_LOG_DEBUG);
    gl_log_set_fd(out_fd);
    gl_log_set_clock(fake_clock);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gl_log_set_fd(2);
    gl_log_set_clock(NULL);
    gl_log_set_limit(GL_LOG_BURST, GL_LOG_INTERVAL_MS);
    close(out_fd);
    unlink(out_path);
    return 0;
}

/* Everything written since the last call. */
static char *take_output(void)
{
    static off_t done;
    off_t end = lseek(out_fd, 0, SEEK_END);
    size_t n = (size_t)(end - done);
    char *buf = calloc(1, n + 1);
    assert_non_null(buf);
    assert_int_equal(pread(out_fd, buf, n, done), (ssize_t)n);
    done = end;
    return buf;
}

static int count(const char *text, const char *needle)
{
    int k = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        k++;
    return k;
}

/* The sum of the N in every "log: N more line(s) like" of text. */
static unsigned long long suppressed_sum(const char *text)
{
    unsigned long long sum = 0;
    for (const char *p = text; (p = strstr(p, "log: ")); p += 5)
        sum += strtoull(p + 5, NULL, 10);
    return sum;
}

static void test_burst_then_report(void **state)
{
    (void)state;
    gl_log_set_limit(3, 1000);
    fake_now = 5000;
    free(take_output());
    for (int i = 0; i < 100; i++) {
        gl_warn("junk frame %d refused", i);
        if (i % 10 == 0)
            gl_error("other site %d", i);
    }
    char *out = take_output();
    /* Three of each call site, the others counted silently. */
    assert_int_equal(count(out, "WARN test["), 3);
    assert_int_equal(count(out, "junk frame 0 refused"), 1);
    assert_int_equal(count(out, "junk frame 2 refused"), 1);
    assert_int_equal(count(out, "junk frame 3 refused"), 0);
    assert_int_equal(count(out, "ERROR test["), 3);
    assert_int_equal(count(out, "suppressed"), 0);
    free(out);

    /* Within the interval the site stays quiet. */
    fake_now = 5999;
    gl_warn("junk frame %d refused", 100);
    out = take_output();
    assert_string_equal(out, "");
    free(out);

    /* After it, the site speaks again, first saying what it held back. */
    fake_now = 6000;
    gl_warn("junk frame %d refused", 101);
    out = take_output();
    assert_non_null(strstr(out, "WARN test["));
    assert_non_null(strstr(out, "log: 98 more line(s) like \"junk frame %d refused\" suppressed in 1.0 s\n"));
    char *report = strstr(out, "log: 98");
    char *line = strstr(out, "junk frame 101 refused");
    assert_non_null(line);
    assert_true(report < line);
    assert_int_equal(count(out, "\n"), 2);
    free(out);

    /* The other site's count comes out on a flush, once. */
    gl_log_flush();
    out = take_output();
    assert_non_null(strstr(out, "ERROR test["));
    assert_non_null(strstr(out, "log: 7 more line(s) like \"other site %d\" suppressed in 1.0 s"));
    assert_int_equal(count(out, "\n"), 1);
    free(out);
    gl_log_flush();
    out = take_output();
    assert_string_equal(out, "");
    free(out);
}

static void test_levels_and_no_limit(void **state)
{
    (void)state;
    gl_log_set_limit(2, 1000);
    fake_now = 10000;
    free(take_output());
    /* Lines below the level are neither printed nor counted. */
    gl_log_set_level(GL_LOG_WARN);
    for (int i = 0; i < 10; i++)
        gl_debug("debug %d", i);
    gl_log_set_level(GL_LOG_DEBUG);
    gl_log_flush();
    char *out = take_output();
    assert_string_equal(out, "");
    free(out);
    /* burst 0: every line. */
    gl_log_set_limit(0, 1000);
    for (int i = 0; i < 50; i++)
        gl_info("line %d", i);
    out = take_output();
    assert_int_equal(count(out, "INFO test["), 50);
    free(out);
}

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"

static void test_many_sites(void **state)
{
    (void)state;
    /* More call sites than the table holds: none of their counts is lost. */
    static char fmts[300][32];
    gl_log_set_limit(3, 1000);
    fake_now = 20000;
    free(take_output());
    for (int i = 0; i < 300; i++) {
        snprintf(fmts[i], sizeof fmts[i], "site %d line %%d", i);
        for (int k = 0; k < 5; k++)
            gl_warn(fmts[i], k);
    }
    gl_log_flush();
    char *out = take_output();
    assert_int_equal(count(out, " line 0\n"), 300);
    assert_int_equal(count(out, " line 2\n"), 300);
    assert_int_equal(count(out, " line 3\n"), 0);
    assert_int_equal(suppressed_sum(out), 600);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_report),
        cmocka_unit_test(test_levels_and_no_limit),
        cmocka_unit_test(test_many_sites),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
