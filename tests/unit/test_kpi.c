/* test_kpi.c: the KPI formulas (common/kpi.c) on hand-computed cases: a
 * sign-for in time and a late one, suspension excluded from handling time,
 * a week across a month's end, closure in time and late, ratings, 推诿,
 * the roll-up to ancestors, a whistle part at a department, and the
 * minimum-sample rule of the league table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kpi.h"

#define HOUR 3600000LL
#define MIN  60000LL
#define OFF  480 /* Beijing */

static const char *const topo_json = "{\"name\":\"t\",\"port_base\":17300,\"nodes\":["
                                     "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"},"
                                     "{\"id\":\"a.dept\",\"tier\":\"department\",\"name\":\"D\"},"
                                     "{\"id\":\"a.b\",\"tier\":\"township\",\"name\":\"B\"},"
                                     "{\"id\":\"a.b.c\",\"tier\":\"community\",\"name\":\"C\"},"
                                     "{\"id\":\"a.b.c.g\",\"tier\":\"grid\",\"name\":\"G\"}]}";

static gl_topology_t *topo(void)
{
    gl_topology_t *t = NULL;
    char err[256] = "";
    if (gl_topology_load_buffer(topo_json, strlen(topo_json), &t, err, sizeof err) != 0)
        fail_msg("topology: %s", err);
    return t;
}

/* Local time of a day in November/December 2026, hours after midnight. */
static int64_t at(const char *day, double hours)
{
    int64_t ms;
    assert_true(gl_kpi_parse_date(day, OFF, &ms));
    return ms + (int64_t)(hours * HOUR);
}

typedef struct {
    Gridlink__V1__BusEvent ev;
    Gridlink__V1__CaseCounters k;
    Gridlink__V1__Rating r;
} event;

static uint64_t seq;

static void feed(gl_kpi_acc *a, const char *node, const char *kind, const char *id, const char *holder,
                 Gridlink__V1__CaseState state, int64_t t, int64_t accept_due, const Gridlink__V1__CaseCounters *k)
{
    event e;
    gridlink__v1__bus_event__init(&e.ev);
    gridlink__v1__case_counters__init(&e.k);
    if (k)
        e.k = *k;
    e.ev.node = (char *)node;
    e.ev.seq = ++seq;
    e.ev.kind = (char *)kind;
    e.ev.case_id = (char *)id;
    e.ev.holder = (char *)holder;
    e.ev.state = state;
    e.ev.time_ms = t;
    e.ev.accept_due_ms = accept_due;
    e.ev.counters = &e.k;
    assert_int_equal(gl_kpi_acc_feed(a, &e.ev), 0);
}

#define ST(x) GRIDLINK__V1__CASE_STATE__STATE_##x

static const gl_kpi_counts *get(gl_kpi_acc *a, const char *unit, enum gl_kpi_period p, int64_t t)
{
    char key[GL_KPI_KEY_MAX];
    gl_kpi_period_key(p, t, OFF, key);
    return gl_kpi_acc_get(a, unit, p, key);
}

static double value(const gl_kpi_counts *c, enum gl_kpi_id id)
{
    double v = -1;
    if (!gl_kpi_value(c, id, NULL, NULL, &v))
        return -1;
    return v;
}

static void test_periods(void **state)
{
    (void)state;
    char key[GL_KPI_KEY_MAX];
    /* Monday 30 November and Tuesday 1 December 2026: one ISO week (W49), two months. */
    int64_t mon = at("2026-11-30", 23.5), tue = at("2026-12-01", 0.5);
    gl_kpi_period_key(GL_KPI_WEEK, mon, OFF, key);
    assert_string_equal(key, "2026-W49");
    gl_kpi_period_key(GL_KPI_WEEK, tue, OFF, key);
    assert_string_equal(key, "2026-W49");
    gl_kpi_period_key(GL_KPI_MONTH, mon, OFF, key);
    assert_string_equal(key, "2026-11");
    gl_kpi_period_key(GL_KPI_MONTH, tue, OFF, key);
    assert_string_equal(key, "2026-12");
    gl_kpi_period_key(GL_KPI_DAY, tue, OFF, key);
    assert_string_equal(key, "2026-12-01");
    /* 23:30 UTC on 30 November is already 1 December in Beijing. */
    gl_kpi_period_key(GL_KPI_DAY, at("2026-11-30", 0) + 23 * HOUR + 30 * MIN + 8 * HOUR, OFF, key);
    assert_string_equal(key, "2026-12-01");
    gl_kpi_period_key(GL_KPI_YEAR, tue, OFF, key);
    assert_string_equal(key, "2026");
    /* ISO week 1 of 2027 begins on Monday 4 January; 1 January 2027 is in 2026-W53. */
    gl_kpi_period_key(GL_KPI_WEEK, at("2027-01-01", 12), OFF, key);
    assert_string_equal(key, "2026-W53");
    gl_kpi_period_key(GL_KPI_WEEK, at("2027-01-04", 12), OFF, key);
    assert_string_equal(key, "2027-W01");
    int64_t from, to;
    gl_kpi_period_bounds(GL_KPI_WEEK, tue, OFF, &from, &to);
    assert_true(from == at("2026-11-30", 0) && to == at("2026-12-07", 0));
    gl_kpi_period_bounds(GL_KPI_MONTH, mon, OFF, &from, &to);
    assert_true(from == at("2026-11-01", 0) && to == at("2026-12-01", 0));
    gl_kpi_period_bounds(GL_KPI_YEAR, mon, OFF, &from, &to);
    assert_true(from == at("2026-01-01", 0) && to == at("2027-01-01", 0));
    int64_t ms;
    assert_false(gl_kpi_parse_date("2026-02-30", OFF, &ms));
    assert_false(gl_kpi_parse_date("2026-1-01", OFF, &ms));
    assert_false(gl_kpi_parse_date("x", OFF, &ms));
    enum gl_kpi_period p;
    assert_true(gl_kpi_period_parse("week", &p) && p == GL_KPI_WEEK);
    assert_false(gl_kpi_period_parse("quarter", &p));
}

/* Two cases received at the community on Monday 30 November at 09:00, the
 * sign-for deadline at 10:00: one accepted at 09:30 (in time, 0.5 working
 * hours), one at 10:30 after its deadline fired (late, 1.5 hours). A third,
 * received on Tuesday, is never accepted: it climbs on its missed sign-for. */
static void test_sign_for(void **state)
{
    (void)state;
    gl_topology_t *t = topo();
    gl_kpi_acc *a = gl_kpi_acc_new(t);
    const char *c = "a.b.c";
    int64_t t0 = at("2026-11-30", 9), due = at("2026-11-30", 10);
    Gridlink__V1__CaseCounters late = GRIDLINK__V1__CASE_COUNTERS__INIT;
    late.overdue_accept = 1;
    feed(a, c, "received", "g-1", c, ST(REPORTED), t0, due, NULL);
    feed(a, c, "received", "g-2", c, ST(REPORTED), t0, due, NULL);
    feed(a, c, "accepted", "g-1", c, ST(ACCEPTED), t0 + 30 * MIN, due, NULL);
    feed(a, c, "overdue", "g-2", c, ST(REPORTED), due, 0, &late);
    feed(a, c, "accepted", "g-2", c, ST(ACCEPTED), t0 + 90 * MIN, 0, &late);
    /* a copy of another node's change counts nothing */
    feed(a, c, "status", "g-1", "a.b", ST(ACCEPTED), t0 + 2 * HOUR, 0, NULL);
    int64_t t1 = at("2026-12-01", 9);
    feed(a, c, "received", "g-3", c, ST(REPORTED), t1, t1 + HOUR, NULL);
    feed(a, c, "escalated", "g-3", "a.b", ST(ESCALATED), t1 + HOUR, 0, &late);

    const gl_kpi_counts *w = get(a, c, GL_KPI_WEEK, t0);
    assert_non_null(w);
    assert_int_equal(w->c[GL_KC_DISPATCHED], 3);
    assert_int_equal(w->c[GL_KC_SIGNED_IN_TIME], 1);
    assert_int_equal(w->c[GL_KC_ACCEPTED], 2);
    assert_int_equal(w->c[GL_KC_ACCEPT_MS], 30 * MIN + 90 * MIN);
    assert_true(value(w, GL_KPI_RESPONSE) > 0.333 && value(w, GL_KPI_RESPONSE) < 0.334);
    assert_true(value(w, GL_KPI_ACCEPT_TIME) == 1.0); /* (0.5 + 1.5) / 2 working hours */
    /* the week spans both months; November has the first two */
    const gl_kpi_counts *nov = get(a, c, GL_KPI_MONTH, t0), *dec = get(a, c, GL_KPI_MONTH, t1);
    assert_int_equal(nov->c[GL_KC_DISPATCHED], 2);
    assert_int_equal(nov->c[GL_KC_SIGNED_IN_TIME], 1);
    assert_int_equal(dec->c[GL_KC_DISPATCHED], 1);
    assert_int_equal(dec->c[GL_KC_SIGNED_IN_TIME], 0);
    assert_true(value(dec, GL_KPI_RESPONSE) == 0.0);
    /* rolled up to the township and the district, not down to the grid */
    assert_int_equal(get(a, "a.b", GL_KPI_WEEK, t0)->c[GL_KC_DISPATCHED], 3);
    assert_int_equal(get(a, "a", GL_KPI_YEAR, t0)->c[GL_KC_SIGNED_IN_TIME], 1);
    assert_null(get(a, "a.b.c.g", GL_KPI_WEEK, t0));
    /* the township's own stint of g-3 begins when it receives it */
    feed(a, "a.b", "received", "g-3", "a.b", ST(ESCALATED), t1 + HOUR, t1 + 2 * HOUR, &late);
    feed(a, "a.b", "accepted", "g-3", "a.b", ST(ACCEPTED), t1 + HOUR + 10 * MIN, 0, &late);
    const gl_kpi_counts *tw = get(a, "a.b", GL_KPI_DAY, t1);
    assert_int_equal(tw->c[GL_KC_DISPATCHED], 2);
    assert_int_equal(tw->c[GL_KC_SIGNED_IN_TIME], 1);
    assert_int_equal(get(a, c, GL_KPI_DAY, t1)->c[GL_KC_SIGNED_IN_TIME], 0);
    gl_kpi_acc_free(a);
    gl_topology_free(&t);
}

/* Accepted Monday 09:00, suspended 10:00 to 11:00, resolved 14:00: working
 * time 09:00-12:00 and 13:30-14:00 is 3.5 hours, less the hour suspended:
 * 2.5. Verified the next day before any completion deadline passed: due,
 * closed, closed in time; rated resolved and not satisfied. */
static void test_handling(void **state)
{
    (void)state;
    gl_topology_t *t = topo();
    gl_kpi_acc *a = gl_kpi_acc_new(t);
    const char *c = "a.b.c";
    int64_t d = at("2026-11-30", 0);
    feed(a, c, "received", "g-1", c, ST(REPORTED), d + 8 * HOUR + 45 * MIN, 0, NULL);
    feed(a, c, "accepted", "g-1", c, ST(ACCEPTED), d + 9 * HOUR, 0, NULL);
    feed(a, c, "suspended", "g-1", c, ST(SUSPENDED), d + 10 * HOUR, 0, NULL);
    feed(a, c, "resumed", "g-1", c, ST(ACCEPTED), d + 11 * HOUR, 0, NULL);
    feed(a, c, "resolved", "g-1", c, ST(RESOLVED), d + 14 * HOUR, 0, NULL);
    feed(a, c, "verified", "g-1", c, ST(CLOSED), d + 33 * HOUR, 0, NULL);
    event e;
    gridlink__v1__bus_event__init(&e.ev);
    gridlink__v1__rating__init(&e.r);
    e.r.resolved = true;
    e.ev.node = (char *)c;
    e.ev.kind = (char *)"rated";
    e.ev.case_id = (char *)"g-1";
    e.ev.holder = (char *)c;
    e.ev.state = ST(CLOSED);
    e.ev.time_ms = d + 34 * HOUR;
    e.ev.rating = &e.r;
    assert_int_equal(gl_kpi_acc_feed(a, &e.ev), 0);

    const gl_kpi_counts *m = get(a, c, GL_KPI_MONTH, d);
    assert_int_equal(m->c[GL_KC_ACCEPT_MS], 15 * MIN); /* 08:45-09:00 */
    assert_int_equal(m->c[GL_KC_HANDLED], 1);
    assert_int_equal(m->c[GL_KC_HANDLE_MS], 150 * MIN);
    assert_true(value(m, GL_KPI_HANDLE_TIME) == 2.5);
    assert_int_equal(m->c[GL_KC_SUSPENSIONS], 1);
    assert_true(value(m, GL_KPI_SUSPENSIONS) == 1.0);
    const gl_kpi_counts *dec = get(a, c, GL_KPI_MONTH, d + 33 * HOUR);
    assert_int_equal(dec->c[GL_KC_DUE], 1);
    assert_int_equal(dec->c[GL_KC_CLOSED], 1);
    assert_int_equal(dec->c[GL_KC_CLOSED_IN_TIME], 1);
    assert_int_equal(dec->c[GL_KC_RATED], 1);
    assert_int_equal(dec->c[GL_KC_RATED_RESOLVED], 1);
    assert_int_equal(dec->c[GL_KC_RATED_SATISFIED], 0);
    assert_true(value(dec, GL_KPI_SOLVED) == 1.0 && value(dec, GL_KPI_SATISFIED) == 0.0);
    /* the same rating from an older node, read from its note */
    e.ev.rating = NULL;
    e.ev.note = (char *)"resolved no, satisfied yes";
    assert_int_equal(gl_kpi_acc_feed(a, &e.ev), 0);
    assert_int_equal(dec->c[GL_KC_RATED], 2);
    assert_int_equal(dec->c[GL_KC_RATED_RESOLVED], 1);
    assert_int_equal(dec->c[GL_KC_RATED_SATISFIED], 1);
    gl_kpi_acc_free(a);
    gl_topology_free(&t);
}

/* A completion deadline passes (Monday): due then; closed on Wednesday
 * (late): closed, not in time, counted with its due on Monday. A rework
 * after the 反馈; two returns of one case between the same nodes. */
static void test_closure_rework_returns(void **state)
{
    (void)state;
    gl_topology_t *t = topo();
    gl_kpi_acc *a = gl_kpi_acc_new(t);
    const char *c = "a.b.c";
    int64_t d = at("2026-11-30", 9);
    Gridlink__V1__CaseCounters k = GRIDLINK__V1__CASE_COUNTERS__INIT;
    feed(a, c, "received", "g-1", c, ST(REPORTED), d, 0, &k);
    feed(a, c, "accepted", "g-1", c, ST(ACCEPTED), d + MIN, 0, &k);
    k.overdue_resolve = 1;
    feed(a, c, "overdue", "g-1", c, ST(ACCEPTED), d + 2 * HOUR, 0, &k);
    feed(a, c, "resolved", "g-1", c, ST(RESOLVED), d + 48 * HOUR, 0, &k);
    k.reworks = 1;
    feed(a, c, "reworked", "g-1", c, ST(IN_PROGRESS), d + 49 * HOUR, 0, &k);
    feed(a, c, "resolved", "g-1", c, ST(RESOLVED), d + 50 * HOUR, 0, &k);
    feed(a, c, "verified", "g-1", c, ST(CLOSED), d + 51 * HOUR, 0, &k);
    const gl_kpi_counts *mon = get(a, c, GL_KPI_DAY, d), *wed = get(a, c, GL_KPI_DAY, d + 48 * HOUR);
    assert_int_equal(mon->c[GL_KC_DUE], 1);
    assert_int_equal(mon->c[GL_KC_CLOSED], 1);
    assert_int_equal(mon->c[GL_KC_CLOSED_IN_TIME], 0);
    assert_true(value(mon, GL_KPI_CLOSURE) == 1.0 && value(mon, GL_KPI_CLOSURE_IN_TIME) == 0.0);
    assert_int_equal(wed->c[GL_KC_HANDLED], 1); /* the first 反馈 only */
    assert_int_equal(wed->c[GL_KC_REWORKED], 1);
    assert_true(value(wed, GL_KPI_REWORK_RATE) == 1.0);
    assert_int_equal(wed->c[GL_KC_DUE], 0);

    /* 推诿: the grid returns g-2 twice to the community (the case's shuffles counter counts the second) */
    const char *g = "a.b.c.g";
    Gridlink__V1__CaseCounters r = GRIDLINK__V1__CASE_COUNTERS__INIT;
    feed(a, g, "received", "c-2", g, ST(ASSIGNED), d, 0, &r);
    r.returns = 1;
    feed(a, g, "returned", "c-2", c, ST(RETURNED), d + MIN, 0, &r);
    feed(a, g, "received", "c-2", g, ST(ASSIGNED), d + 2 * MIN, 0, &r);
    r.returns = 2;
    r.shuffles = 1;
    feed(a, g, "returned", "c-2", c, ST(RETURNED), d + 3 * MIN, 0, &r);
    const gl_kpi_counts *gd = get(a, g, GL_KPI_DAY, d);
    assert_int_equal(gd->c[GL_KC_DISPATCHED], 2);
    assert_int_equal(gd->c[GL_KC_RETURNS], 2);
    assert_int_equal(gd->c[GL_KC_SHUFFLES], 1);
    assert_true(value(gd, GL_KPI_RETURN_RATE) == 1.0);
    assert_true(value(gd, GL_KPI_SHUFFLES) == 1.0);
    /* the grid's figures roll up into its community's */
    assert_int_equal(get(a, c, GL_KPI_DAY, d)->c[GL_KC_RETURNS], 2);
    gl_kpi_acc_free(a);
    gl_topology_free(&t);
}

/* A department's part of a whistle: reported in (报到) 12 minutes after it
 * arrived, on the clock, at 19:00 outside working hours. */
static void test_whistle(void **state)
{
    (void)state;
    gl_topology_t *t = topo();
    gl_kpi_acc *a = gl_kpi_acc_new(t);
    int64_t d = at("2026-12-02", 19);
    event e;
    gridlink__v1__bus_event__init(&e.ev);
    e.ev.node = (char *)"a.dept";
    e.ev.kind = (char *)"received";
    e.ev.case_id = (char *)"a.b-7";
    e.ev.holder = (char *)"a.dept";
    e.ev.state = ST(ASSIGNED);
    e.ev.time_ms = d;
    e.ev.part = true;
    assert_int_equal(gl_kpi_acc_feed(a, &e.ev), 0);
    e.ev.kind = (char *)"accepted";
    e.ev.time_ms = d + 12 * MIN;
    assert_int_equal(gl_kpi_acc_feed(a, &e.ev), 0);
    const gl_kpi_counts *c = get(a, "a.dept", GL_KPI_DAY, d);
    assert_int_equal(c->c[GL_KC_WHISTLE_PARTS], 1);
    assert_true(value(c, GL_KPI_WHISTLE_TIME) == 12.0);
    assert_int_equal(c->c[GL_KC_ACCEPT_MS], 0); /* no working time at night */
    /* JSON: every KPI with numerator, denominator, value (null at 0) and version */
    json_t *j = gl_kpi_json(c);
    assert_string_equal(json_string_value(json_object_get(j, "formula")), GL_KPI_FORMULA);
    json_t *w = json_object_get(json_object_get(j, "kpis"), "whistle_time");
    assert_int_equal(json_integer_value(json_object_get(w, "numerator")), 12 * MIN);
    assert_true(json_real_value(json_object_get(w, "value")) == 12.0);
    assert_string_equal(json_string_value(json_object_get(w, "version")), GL_KPI_FORMULA);
    assert_true(json_is_null(json_object_get(json_object_get(json_object_get(j, "kpis"), "closure"), "value")));
    assert_int_equal(json_object_size(json_object_get(j, "kpis")), GL_KPI_N);
    json_decref(j);
    gl_kpi_acc_free(a);
    gl_topology_free(&t);
}

/* Twelve units: u00 has 3 dispatched (below the minimum of 10), the others
 * 10..20 with 0..10 signed in time. u00 is not ranked even with the best
 * rate; red and black lists are five each. */
static void test_min_sample(void **state)
{
    (void)state;
    gl_kpi_counts c[12];
    const gl_kpi_counts *cp[12];
    gl_kpi_row rows[12];
    char names[12][8];
    memset(c, 0, sizeof c);
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 12; i++) {
        snprintf(names[i], sizeof names[i], "u%02d", i);
        rows[i].unit = names[i];
        cp[i] = &c[i];
        c[i].c[GL_KC_DISPATCHED] = i == 0 ? 3 : 10;
        c[i].c[GL_KC_SIGNED_IN_TIME] = i == 0 ? 3 : i - 1;
    }
    size_t red, black;
    gl_kpi_rank(GL_KPI_RESPONSE, rows, cp, 12, 10, &red, &black);
    assert_int_equal(red, 5);
    assert_int_equal(black, 5);
    assert_string_equal(rows[0].unit, "u11"); /* 10/10 */
    assert_int_equal(rows[0].rank, 1);
    assert_string_equal(rows[10].unit, "u01"); /* 0/10, the worst ranked */
    assert_int_equal(rows[10].rank, 11);
    assert_string_equal(rows[11].unit, "u00"); /* 3/3, too few */
    assert_false(rows[11].ranked);
    assert_int_equal(rows[11].rank, 0);
    /* a lower-is-better KPI: 回退率 */
    c[5].c[GL_KC_RETURNS] = 4;
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 12; i++)
        rows[i].unit = names[i];
    gl_kpi_rank(GL_KPI_RETURN_RATE, rows, cp, 12, 10, &red, &black);
    assert_string_equal(rows[10].unit, "u05");
    /* min sample 0 ranks everyone */
    gl_kpi_rank(GL_KPI_RESPONSE, rows, cp, 12, 0, &red, &black);
    assert_int_equal(rows[11].rank, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),  cmocka_unit_test(test_sign_for),
        cmocka_unit_test(test_handling), cmocka_unit_test(test_closure_rework_returns),
        cmocka_unit_test(test_whistle),  cmocka_unit_test(test_min_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
