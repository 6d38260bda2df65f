/* test_appraisal.c: the rules of 群众评议 (appraisal.h): periods and their
 * boundaries in the district's local time, the form the public page sends,
 * and the league table's arithmetic (rate, score of gl-appraisal-1, ranks,
 * the minimum sample, the red and black lists); and the store's appraisals
 * database (one per code, unit and month; a month read alone; tickets). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appraisal.h"
#include "error.h"
#include "store.h"

#define BEIJING (8 * 60)

/* ms of a UTC time: days from 1970-01-01 given by hand below. */
static int64_t utc(int64_t days, int h, int m)
{
    return ((days * 24 + h) * 60 + m) * 60 * 1000LL;
}

static void test_periods(void **state)
{
    (void)state;
    gl_period p;
    assert_true(gl_period_parse("2026-12", true, &p));
    assert_int_equal(p.kind, GL_PERIOD_MONTH);
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.first, 12);
    assert_int_equal(p.last, 12);
    assert_true(gl_period_parse("2026-Q4", false, &p));
    assert_int_equal(p.first, 10);
    assert_int_equal(p.last, 12);
    assert_false(gl_period_parse("2026-Q4", true, &p)); /* an appraisal is for a month */
    assert_true(gl_period_parse("2026", false, &p));
    assert_int_equal(p.first, 1);
    assert_int_equal(p.last, 12);
    const char *bad[] = {"",      "2026-13",    "2026-00", "2026-1",      "2026-Q5", "1999-01", "2200-01",
                         "26-12", "2026-12-01", "2026/12", "２０２６-12", "2026-Q0", "abcd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(gl_period_parse(bad[i], false, &p));
    assert_false(gl_period_parse(NULL, false, &p));

    char m[8];
    assert_true(gl_period_parse("2026-Q2", false, &p));
    assert_true(gl_period_month_text(&p, 0, m));
    assert_string_equal(m, "2026-04");
    assert_true(gl_period_month_text(&p, 2, m));
    assert_string_equal(m, "2026-06");
    assert_false(gl_period_month_text(&p, 3, m));
}

static void test_boundaries(void **state)
{
    (void)state;
    /* 2026-12-01 is day 20788 since the epoch. */
    gl_period p;
    gl_period_month_of(utc(20788, 0, 0) - 8 * 3600 * 1000LL, BEIJING, &p); /* 00:00 Beijing, Dec 1 */
    assert_string_equal(p.text, "2026-12");
    gl_period_month_of(utc(20788, 0, 0) - 8 * 3600 * 1000LL - 1, BEIJING, &p); /* a ms before */
    assert_string_equal(p.text, "2026-11");
    gl_period_month_of(utc(20788, 0, 0) - 8 * 3600 * 1000LL - 1, 0, &p); /* the same instant in UTC */
    assert_string_equal(p.text, "2026-11");
    gl_period_month_of(utc(20788, 0, 0) - 1, 0, &p);
    assert_string_equal(p.text, "2026-11");
    gl_period_month_of(utc(20788, 0, 0), 0, &p);
    assert_string_equal(p.text, "2026-12");

    int64_t from, to;
    assert_true(gl_period_parse("2026-12", true, &p));
    gl_period_bounds(&p, BEIJING, &from, &to);
    assert_true(from == utc(20788, 0, 0) - 8 * 3600 * 1000LL);
    assert_true(to == utc(20788 + 31, 0, 0) - 8 * 3600 * 1000LL); /* 2027-01-01 00:00 Beijing */
    /* February of a leap year, and a year. */
    assert_true(gl_period_parse("2028-02", true, &p));
    gl_period_bounds(&p, 0, &from, &to);
    assert_true(to - from == 29 * 86400000LL);
    assert_true(gl_period_parse("2027-02", true, &p));
    gl_period_bounds(&p, 0, &from, &to);
    assert_true(to - from == 28 * 86400000LL);
    assert_true(gl_period_parse("2026", false, &p));
    gl_period_bounds(&p, BEIJING, &from, &to);
    assert_true(to - from == 365 * 86400000LL);
    assert_true(to == utc(20788 + 31, 0, 0) - 8 * 3600 * 1000LL);
    /* Every instant of the bounds is of the month; the instants beside them are not. */
    assert_true(gl_period_parse("2026-03", true, &p));
    gl_period_bounds(&p, BEIJING, &from, &to);
    gl_period q;
    gl_period_month_of(from, BEIJING, &q);
    assert_string_equal(q.text, "2026-03");
    gl_period_month_of(to - 1, BEIJING, &q);
    assert_string_equal(q.text, "2026-03");
    gl_period_month_of(from - 1, BEIJING, &q);
    assert_string_equal(q.text, "2026-02");
    gl_period_month_of(to, BEIJING, &q);
    assert_string_equal(q.text, "2026-04");
}

/* ISO 8601 weeks: Monday to Sunday, week 1 the one with the year's first
 * Thursday; a week may touch two months of two years. */
static void test_weeks(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t monday; /* days since 1970-01-01 */
        const char *months[2];
    } weeks[] = {
        {"2026-W01", 20451, {"2025-12", "2026-01"}},
        {"2026-W10", 20514, {"2026-03", NULL}},
        {"2026-W49", 20787, {"2026-11", "2026-12"}},
        {"2026-W53", 20815, {"2026-12", "2027-01"}}, /* 2026 begins on a Thursday: 53 weeks */
        {"2027-W01", 20822, {"2027-01", NULL}},
    };
    for (size_t i = 0; i < sizeof weeks / sizeof weeks[0]; i++) {
        gl_period p;
        assert_true(gl_period_parse(weeks[i].text, false, &p));
        assert_int_equal(p.kind, GL_PERIOD_WEEK);
        assert_string_equal(p.text, weeks[i].text);
        assert_true(p.monday == weeks[i].monday);
        char m[8];
        for (int k = 0; k < 2; k++) {
            if (weeks[i].months[k]) {
                assert_true(gl_period_month_text(&p, k, m));
                assert_string_equal(m, weeks[i].months[k]);
            } else {
                assert_false(gl_period_month_text(&p, k, m));
            }
        }
        assert_false(gl_period_month_text(&p, 2, m));
        int64_t from, to;
        gl_period_bounds(&p, BEIJING, &from, &to);
        assert_true(from == utc(weeks[i].monday, 0, 0) - 8 * 3600 * 1000LL);
        assert_true(to - from == 7 * 86400000LL);
        gl_period q;
        gl_period_month_of(from, BEIJING, &q);
        assert_string_equal(q.text, weeks[i].months[0]);
        assert_false(gl_period_parse(weeks[i].text, true, &p)); /* an appraisal is for a month */
    }
    const char *bad[] = {"2027-W53", "2026-W54", "2026-W00", "2026-W1", "2026-w01", "2026-W001", "2026W01"};
    gl_period p;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(gl_period_parse(bad[i], false, &p));
}

static int parse(const char *body, gl_appraisal_form *f)
{
    char why[256];
    return gl_appraisal_form_parse(body, strlen(body), f, why, sizeof why);
}

static void test_form(void **state)
{
    (void)state;
    gl_appraisal_form f;
    assert_int_equal(parse("{\"code\":\"ABCD-EFGH-JKLM\",\"unit\":\"xinbei.t2\",\"level\":3}", &f), 0);
    assert_string_equal(f.code, "ABCD-EFGH-JKLM");
    assert_string_equal(f.unit, "xinbei.t2");
    assert_int_equal(f.level, 3);
    assert_string_equal(f.period, "");
    assert_string_equal(f.comment, "");
    gl_appraisal_form_free(&f);
    assert_int_equal(parse("{\"code\":\"c\",\"unit\":\"u\",\"level\":\"基本满意\",\"period\":\"2026-12\","
                           "\"comment\":\"窗口服务很好\"}",
                           &f),
                     0);
    assert_int_equal(f.level, 2);
    assert_string_equal(f.period, "2026-12");
    assert_string_equal(f.comment, "窗口服务很好");
    gl_appraisal_form_free(&f);
    const char *bad[] = {
        "",
        "[]",
        "{}",
        "not json",
        "{\"code\":\"c\",\"unit\":\"u\"}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":0}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":4}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":2.5}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":\"很好\"}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":true}",
        "{\"code\":1,\"unit\":\"u\",\"level\":3}",
        "{\"code\":\"c\",\"unit\":\"\",\"level\":3}",
        "{\"unit\":\"u\",\"level\":3}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":3,\"period\":\"2026-Q4\"}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":3,\"comment\":7}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":3,\"extra\":1}",
        "{\"code\":\"c\",\"code\":\"d\",\"unit\":\"u\",\"level\":3}",
        "{\"code\":\"c\\u0000d\",\"unit\":\"u\",\"level\":3}",
        "{\"code\":\"c\",\"unit\":\"u\",\"level\":3,\"comment\":\"a\\u0000b\"}",
        "{\"code\":\"0123456789012345678901234567890123456789012345678901234567890123\",\"unit\":\"u\",\"level\":3}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &f), GL_EINVAL);
        assert_null(f.comment);
    }
    /* A comment of 200 characters (600 bytes of Chinese) is taken, 201 not. */
    char body[1024];
    int n = snprintf(body, sizeof body, "{\"code\":\"c\",\"unit\":\"u\",\"level\":1,\"comment\":\"");
    for (int i = 0; i < 200; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, "好");
    snprintf(body + n, sizeof body - (size_t)n, "\"}");
    assert_int_equal(parse(body, &f), 0);
    gl_appraisal_form_free(&f);
    snprintf(body + n, sizeof body - (size_t)n, "好\"}");
    assert_int_equal(parse(body, &f), GL_EINVAL);
    char big[GL_APPRAISAL_BODY + 2];
    memset(big, ' ', sizeof big);
    char why[128];
    assert_int_equal(gl_appraisal_form_parse(big, sizeof big, &f, why, sizeof why), GL_ETOOBIG);
}

static gl_appraisal_row row(const char *unit, uint32_t s, uint32_t b, uint32_t d)
{
    gl_appraisal_row r = {.unit = unit};
    r.n[3] = s;
    r.n[2] = b;
    r.n[1] = d;
    return r;
}

static void test_table(void **state)
{
    (void)state;
    /* Scores: a 100*(6+0.6*2)/10 = 72, b 100*(3+0.6*6)/10 = 66, c 100*(8)/12 = 66.67,
     * d 100*(1+0.6*2)/4 = 55, e only 9 appraisals, f none, g = a's score with more appraisals. */
    gl_appraisal_row rows[] = {
        row("x.a", 6, 2, 2), row("x.b", 3, 6, 1), row("x.c", 8, 0, 4),  row("x.d", 1, 2, 1),
        row("x.e", 9, 0, 0), row("x.f", 0, 0, 0), row("x.g", 12, 4, 4),
    };
    size_t n = sizeof rows / sizeof rows[0], red, black;
    gl_appraisal_rank(rows, n, 4, &red, &black);
    const char *order[] = {"x.e", "x.g", "x.a", "x.c", "x.b", "x.d", "x.f"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rows[i].unit, order[i]);
    /* e: 9 of 满意 reach min 4 and score 100. */
    assert_true(rows[0].ranked);
    assert_int_equal(rows[0].rank, 1);
    assert_true(rows[0].score == 100.0);
    /* g and a tie at 72: more appraisals first. */
    assert_int_equal(rows[1].count, 20);
    assert_true(rows[1].score > 71.999 && rows[1].score < 72.001);
    assert_int_equal(rows[2].rank, 3);
    assert_true(rows[2].rate > 0.799 && rows[2].rate < 0.801);
    assert_true(rows[3].score > 66.66 && rows[3].score < 66.67);
    assert_true(rows[4].score > 65.999 && rows[4].score < 66.001);
    assert_int_equal(rows[5].rank, 6);
    assert_true(rows[5].ranked);
    assert_false(rows[6].ranked);
    assert_int_equal(rows[6].rank, 0);
    assert_true(rows[6].rate == 0 && rows[6].score == 0);
    assert_int_equal(red, 3); /* six ranked: three on each list */
    assert_int_equal(black, 3);

    /* The minimum sample at 10: g (20), a (10), c (12) and b (10) are ranked; e (9) and d (4) not. */
    gl_appraisal_rank(rows, n, 10, &red, &black);
    const char *order10[] = {"x.g", "x.a", "x.c", "x.b", "x.e", "x.d", "x.f"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rows[i].unit, order10[i]);
    assert_int_equal(rows[3].rank, 4);
    assert_false(rows[4].ranked);
    assert_int_equal(rows[4].rank, 0);
    assert_int_equal(red, 2);
    assert_int_equal(black, 2);

    /* One ranked unit is on neither list; eleven give five on each. */
    gl_appraisal_row one[] = {row("y.a", 5, 5, 5), row("y.b", 1, 0, 0)};
    gl_appraisal_rank(one, 2, 3, &red, &black);
    assert_int_equal(one[0].rank, 1);
    assert_int_equal(red, 0);
    assert_int_equal(black, 0);
    gl_appraisal_row many[11];
    char names[11][8];
    for (int i = 0; i < 11; i++) {
        snprintf(names[i], sizeof names[i], "z.%02d", i);
        many[i] = row(names[i], (uint32_t)i, 1, 10);
    }
    gl_appraisal_rank(many, 11, 1, &red, &black);
    assert_int_equal(red, 5);
    assert_int_equal(black, 5);
    assert_string_equal(many[0].unit, "z.10");
    assert_string_equal(many[10].unit, "z.00");
    gl_appraisal_rank(NULL, 0, 10, &red, &black);
    assert_int_equal(red, 0);
}

static void test_levels(void **state)
{
    (void)state;
    assert_string_equal(gl_appraisal_level_name(3), "满意");
    assert_string_equal(gl_appraisal_level_name(2), "基本满意");
    assert_string_equal(gl_appraisal_level_name(1), "不满意");
    assert_null(gl_appraisal_level_name(0));
    assert_null(gl_appraisal_level_name(4));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

struct seen {
    int n;
    unsigned levels;
    char units[8][32];
};

static int see(const Gridlink__V1__Appraisal *a, void *arg)
{
    struct seen *s = arg;
    if (s->n < 8)
        snprintf(s->units[s->n], sizeof s->units[0], "%s", a->unit);
    s->n++;
    s->levels += a->level;
    return 0;
}

static void test_store(void **state)
{
    (void)state;
    char root[] = "/tmp/gl-test-appraisal-XXXXXX";
    assert_non_null(mkdtemp(root));
    gl_store_t *st;
    assert_int_equal(gl_store_open(root, "xinbei", NULL, &st), 0);
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(st, NULL, true, &txn), 0);
    uint8_t h1[GL_RECEIPT_HASH] = {1}, h2[GL_RECEIPT_HASH] = {2}, h3[GL_RECEIPT_HASH] = {3};
    assert_int_equal(gl_store_ticket_put(txn, st, h1, "2026-12"), 0);
    assert_int_equal(gl_store_ticket_put(txn, st, h1, "2026-11"), GL_EEXIST);
    assert_int_equal(gl_store_ticket_put(txn, st, h2, "2026-1"), GL_EINVAL);
    char month[8];
    assert_int_equal(gl_store_ticket_get(txn, st, h1, month), 0);
    assert_string_equal(month, "2026-12");
    assert_int_equal(gl_store_ticket_get(txn, st, h2, month), GL_ENOENT);

    Gridlink__V1__Appraisal a = GRIDLINK__V1__APPRAISAL__INIT;
    a.period = "2026-12";
    a.unit = "xinbei.t2";
    a.level = 3;
    a.comment = "好";
    assert_int_equal(gl_store_appraisal_put(txn, st, h1, &a), 0);
    a.level = 1;
    assert_int_equal(gl_store_appraisal_put(txn, st, h1, &a), GL_EEXIST); /* once a code, unit and month */
    a.unit = "xinbei.t2.c01";                                             /* another unit, the first's prefix */
    assert_int_equal(gl_store_appraisal_put(txn, st, h1, &a), 0);
    a.unit = "xinbei.t2";
    assert_int_equal(gl_store_appraisal_put(txn, st, h2, &a), 0); /* another code */
    a.period = "2026-11";
    assert_int_equal(gl_store_appraisal_put(txn, st, h1, &a), 0); /* another month */
    a.period = "2027-01";
    a.level = 2;
    assert_int_equal(gl_store_appraisal_put(txn, st, h3, &a), 0);
    a.period = "2026-Q4";
    assert_int_equal(gl_store_appraisal_put(txn, st, h3, &a), GL_EINVAL);
    assert_int_equal(gl_store_commit(txn), 0);

    assert_int_equal(gl_store_begin(st, NULL, false, &txn), 0);
    struct seen dec = {0}, nov = {0}, jan = {0}, oct = {0};
    assert_int_equal(gl_store_appraisal_foreach(txn, st, "2026-12", see, &dec), 0);
    assert_int_equal(dec.n, 3);
    assert_int_equal(dec.levels, 3 + 1 + 1);
    assert_string_equal(dec.units[0], "xinbei.t2"); /* a unit's appraisals before a longer ID's */
    assert_string_equal(dec.units[1], "xinbei.t2");
    assert_string_equal(dec.units[2], "xinbei.t2.c01");
    assert_int_equal(gl_store_appraisal_foreach(txn, st, "2026-11", see, &nov), 0);
    assert_int_equal(nov.n, 1);
    assert_int_equal(gl_store_appraisal_foreach(txn, st, "2027-01", see, &jan), 0);
    assert_int_equal(jan.n, 1);
    assert_int_equal(jan.levels, 2);
    assert_int_equal(gl_store_appraisal_foreach(txn, st, "2026-10", see, &oct), 0);
    assert_int_equal(oct.n, 0);
    assert_int_equal(gl_store_appraisal_foreach(txn, st, "2026", see, &oct), GL_EINVAL);
    gl_store_abort(txn);
    gl_store_close(&st);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods), cmocka_unit_test(test_boundaries), cmocka_unit_test(test_weeks),
        cmocka_unit_test(test_form),    cmocka_unit_test(test_table),      cmocka_unit_test(test_levels),
        cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
