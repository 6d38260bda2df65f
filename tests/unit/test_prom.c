/* The Prometheus text writer: families, escaped labels, values, and
 * cumulative histogram buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prom.h"

static void test_family_and_samples(void **state)
{
    (void)state;
    gl_prom p;
    gl_prom_init(&p);
    char l[GL_PROM_LABELS];
    gl_prom_family(&p, "gl_x", "gauge", "Help with a \\ and a\nnewline.");
    gl_prom_sample(&p, "gl_x", gl_prom_labels(l, "node", "a\"b\\c\nd", "state", "新", NULL), 3);
    gl_prom_sample(&p, "gl_x", NULL, 0.25);
    gl_prom_sample(&p, "gl_x", "", 12345678901234.0);
    assert_false(p.failed);
    assert_string_equal(p.buf, "# HELP gl_x Help with a \\\\ and a\\nnewline.\n"
                               "# TYPE gl_x gauge\n"
                               "gl_x{node=\"a\\\"b\\\\c\\nd\",state=\"新\"} 3\n"
                               "gl_x 0.25\n"
                               "gl_x 12345678901234\n");
    gl_prom_free(&p);
}

static void test_labels_too_long(void **state)
{
    (void)state;
    char big[GL_PROM_LABELS + 10], l[GL_PROM_LABELS];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_string_equal(gl_prom_labels(l, "k", big, NULL), "");
    assert_string_equal(gl_prom_labels(l, "k", "v", "k2", "", NULL), "k=\"v\",k2=\"\"");
}

static void test_histogram(void **state)
{
    (void)state;
    static const double b[] = {0.1, 1, 10};
    gl_prom_hist h;
    gl_prom_hist_init(&h, b, 3);
    const double obs[] = {0.05, 0.1, 0.5, 2, 20, 30};
    for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++)
        gl_prom_hist_observe(&h, obs[i]);
    gl_prom p;
    gl_prom_init(&p);
    gl_prom_hist_write(&p, "gl_h", "n=\"a\"", &h);
    gl_prom_hist_write(&p, "gl_g", NULL, &h);
    assert_false(p.failed);
    assert_string_equal(p.buf, "gl_h_bucket{n=\"a\",le=\"0.1\"} 2\n"
                               "gl_h_bucket{n=\"a\",le=\"1\"} 3\n"
                               "gl_h_bucket{n=\"a\",le=\"10\"} 4\n"
                               "gl_h_bucket{n=\"a\",le=\"+Inf\"} 6\n"
                               "gl_h_sum{n=\"a\"} 52.65\n"
                               "gl_h_count{n=\"a\"} 6\n"
                               "gl_g_bucket{le=\"0.1\"} 2\n"
                               "gl_g_bucket{le=\"1\"} 3\n"
                               "gl_g_bucket{le=\"10\"} 4\n"
                               "gl_g_bucket{le=\"+Inf\"} 6\n"
                               "gl_g_sum 52.65\n"
                               "gl_g_count 6\n");
    gl_prom_free(&p);
}

static void test_grows(void **state)
{
    (void)state;
    gl_prom p;
    gl_prom_init(&p);
    for (int i = 0; i < 10000; i++)
        gl_prom_sample(&p, "gl_many_samples_with_a_long_name", NULL, i);
    assert_false(p.failed);
    assert_true(p.len > 10000 * 30);
    assert_non_null(strstr(p.buf, "gl_many_samples_with_a_long_name 9999\n"));
    gl_prom_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_labels_too_long),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
