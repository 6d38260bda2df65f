/* test_replay.c: the what-if replay (replay.c): the merge of node logs,
 * clocks kept where the new rules give the same due time, dropped and made
 * where they do not, the replayed events' due times and counters, and the
 * KPIs of both streams. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "kpi.h"
#include "policy.h"
#include "replay.h"

#define C01  "xinbei.sanjing.c01"
#define G1   "xinbei.sanjing.c01.g1"
#define TOWN "xinbei.sanjing"
#define T0   1764640800000LL /* 2025-12-02 10:00 +08:00 */

#define ST_REPORTED  GRIDLINK__V1__CASE_STATE__STATE_REPORTED
#define ST_ESCALATED GRIDLINK__V1__CASE_STATE__STATE_ESCALATED
#define ST_ACCEPTED  GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED
#define ST_ASSIGNED  GRIDLINK__V1__CASE_STATE__STATE_ASSIGNED

/* The mini district with acceptance limits of accept_s at every tier above
 * the grids. */
static gl_topology_t *mini(int accept_s)
{
    const char *src = getenv("GL_SRC");
    char path[PATH_MAX], err[256] = "", rules[512];
    snprintf(path, sizeof path, "%s/deploy/topology/mini.json", src ? src : ".");
    gl_topology_t *t = NULL;
    if (gl_topology_load_file(path, &t, err, sizeof err) != 0)
        fail_msg("%s: %s", path, err);
    snprintf(rules, sizeof rules,
             "[{\"tier\": \"grid\", \"accept_s\": 0}, {\"tier\": \"community\", \"accept_s\": %d, \"resolve_s\": 600},"
             " {\"tier\": \"township\", \"accept_s\": %d, \"resolve_s\": 600},"
             " {\"tier\": \"district\", \"accept_s\": %d, \"resolve_s\": 600}]",
             accept_s, accept_s, accept_s);
    json_t *j = json_loads(rules, 0, NULL);
    assert_non_null(j);
    gl_policy_t *p = NULL;
    assert_int_equal(gl_policy_from_json(j, &p, err, sizeof err), 0);
    json_decref(j);
    p->defaults = t->catalogue;
    gl_policy_free(&t->policy);
    t->policy = p;
    return t;
}

struct ev_spec {
    const char *node, *kind, *case_id;
    int state;
    const char *holder;
    int64_t at; /* ms after T0 */
    const char *note;
    int64_t accept_due; /* ms after T0, 0: none */
    uint32_t oa;        /* the case's overdue_accept */
};

/* An event as gl_store_log_get gives it: unpacked, the caller's. */
static Gridlink__V1__BusEvent *ev(const struct ev_spec *s, uint64_t seq)
{
    Gridlink__V1__BusEvent e = GRIDLINK__V1__BUS_EVENT__INIT;
    Gridlink__V1__CaseCounters k = GRIDLINK__V1__CASE_COUNTERS__INIT;
    k.overdue_accept = s->oa;
    e.node = (char *)s->node;
    e.seq = seq;
    e.kind = (char *)s->kind;
    e.case_id = (char *)s->case_id;
    e.state = s->state;
    e.holder = (char *)s->holder;
    e.time_ms = T0 + s->at;
    e.note = (char *)(s->note ? s->note : "");
    e.category = "urban/roads";
    e.peer = "";
    e.version = (uint32_t)seq;
    e.counters = &k;
    e.accept_due_ms = s->accept_due ? T0 + s->accept_due : 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(gl_pack(&e.base, &buf, &len), 0);
    Gridlink__V1__BusEvent *out = gridlink__v1__bus_event__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(out);
    return out;
}

/* A recorded day under 3 s limits: case A is accepted at once at the
 * community, case B is accepted there 2 s after its receipt (in time), case
 * C is not and climbs on its deadline (5 ms late, the timer's delay) to the
 * township, which accepts it. Added node by node, as the CLI reads stores. */
static const struct ev_spec day[] = {
    {G1, "reported", "A", ST_REPORTED, C01, 0, NULL, 0, 0},
    {G1, "reported", "B", ST_REPORTED, C01, 10, NULL, 0, 0},
    {G1, "reported", "C", ST_REPORTED, C01, 20, NULL, 0, 0},
    {C01, "received", "A", ST_REPORTED, C01, 5, NULL, 3005, 0},
    {C01, "received", "B", ST_REPORTED, C01, 15, NULL, 3015, 0},
    {C01, "received", "C", ST_REPORTED, C01, 25, NULL, 3025, 0},
    {C01, "accepted", "A", ST_ACCEPTED, C01, 300, NULL, 0, 0},
    {C01, "accepted", "B", ST_ACCEPTED, C01, 2015, NULL, 0, 0},
    {C01, "escalated", "C", ST_ESCALATED, TOWN, 3030, GL_DUE_NOTE_ACCEPT, 0, 1},
    {TOWN, "received", "C", ST_ESCALATED, TOWN, 3040, NULL, 6040, 1},
    {TOWN, "accepted", "C", ST_ACCEPTED, TOWN, 3500, NULL, 0, 1},
};
#define N_DAY (sizeof day / sizeof day[0])

static gl_replay_t *replay_day(const gl_topology_t *was, const gl_topology_t *now, int64_t horizon)
{
    gl_replay_t *r = NULL;
    assert_int_equal(gl_replay_new(was, now, &r), 0);
    for (size_t i = 0; i < N_DAY; i++)
        assert_int_equal(gl_replay_add(r, ev(&day[i], i + 1)), 0);
    assert_int_equal(gl_replay_case(r, "A", GRIDLINK__V1__PRIORITY__PRIORITY_NORMAL, 0, 0), 0);
    assert_int_equal(gl_replay_run(r, horizon), 0);
    assert_int_equal(gl_replay_run(r, horizon), GL_ESTATE);
    return r;
}

/* The replayed event of kind at node for case (the n-th, from 0), or NULL. */
static gl_replay_event find(const gl_replay_t *r, const char *kind, const char *node, const char *case_id)
{
    for (size_t i = 0; i < gl_replay_replayed_count(r); i++) {
        gl_replay_event e = gl_replay_replayed(r, i);
        if (strcmp(e.ev->kind, kind) == 0 && strcmp(e.ev->node, node) == 0 && strcmp(e.ev->case_id, case_id) == 0)
            return e;
    }
    return (gl_replay_event){NULL, false, false};
}

static gl_kpi_counts day_counts(const gl_topology_t *t, const gl_replay_t *r, bool replayed, const char *unit)
{
    gl_kpi_acc *a = gl_kpi_acc_new(t);
    assert_non_null(a);
    size_t n = replayed ? gl_replay_replayed_count(r) : gl_replay_recorded_count(r);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(gl_kpi_acc_feed(a, (replayed ? gl_replay_replayed(r, i) : gl_replay_recorded(r, i)).ev), 0);
    char key[GL_KPI_KEY_MAX];
    gl_kpi_period_key(GL_KPI_DAY, T0, gl_calendar_utc_offset_min(t->calendar), key);
    const gl_kpi_counts *c = gl_kpi_acc_get(a, unit, GL_KPI_DAY, key);
    gl_kpi_counts out = {{0}};
    if (c)
        out = *c;
    gl_kpi_acc_free(a);
    return out;
}

/* Merged by time across nodes, each node's order kept; unchanged rules
 * give the recorded stream itself and the recorded KPIs exactly. */
static void test_unchanged(void **state)
{
    (void)state;
    gl_topology_t *t = mini(3);
    gl_replay_t *r = replay_day(t, t, T0 + 86400000);
    size_t n = gl_replay_recorded_count(r);
    assert_int_equal(n, N_DAY);
    assert_int_equal(gl_replay_replayed_count(r), N_DAY);
    for (size_t i = 0; i < n; i++) {
        gl_replay_event a = gl_replay_recorded(r, i), b = gl_replay_replayed(r, i);
        assert_ptr_equal(a.ev, b.ev);
        assert_false(a.dropped || b.simulated);
        if (i > 0)
            assert_true(gl_replay_recorded(r, i - 1).ev->time_ms <= a.ev->time_ms);
    }
    const gl_replay_stats *st = gl_replay_stats_of(r);
    assert_int_equal(st->clocks, 8); /* both clocks of A, B, C at the community, of C at the township */
    assert_int_equal(st->clocks_changed, 0);
    assert_int_equal(st->checked, 1);
    assert_int_equal(st->lag_min_ms, 5);
    assert_int_equal(st->lag_max_ms, 5);
    for (int u = 0; u < 2; u++) {
        const char *unit = u ? C01 : "xinbei";
        gl_kpi_counts a = day_counts(t, r, false, unit), b = day_counts(t, r, true, unit);
        assert_memory_equal(&a, &b, sizeof a);
    }
    gl_kpi_counts c = day_counts(t, r, false, C01);
    assert_int_equal(c.c[GL_KC_DISPATCHED], 3);
    assert_int_equal(c.c[GL_KC_SIGNED_IN_TIME], 2);
    gl_replay_free(&r);
    gl_topology_free(&t);
}

/* Halved limits: B, accepted 2 s after its receipt, escalates at 1.5 s; C
 * escalates at 1.5 s instead of 3; A stands. */
static void test_halved(void **state)
{
    (void)state;
    gl_topology_t *was = mini(3), *now = mini(0);
    json_t *j =
        json_loads("[{\"tier\": \"grid\", \"accept_s\": 0}, {\"tier\": \"any\", \"accept_ms\": 1500}]", 0, NULL);
    char err[256];
    gl_policy_free(&now->policy);
    assert_int_equal(gl_policy_from_json(j, &now->policy, err, sizeof err), 0);
    json_decref(j);
    gl_replay_t *r = replay_day(was, now, T0 + 86400000);
    const gl_replay_stats *st = gl_replay_stats_of(r);
    assert_int_equal(st->dropped, 1);
    assert_int_equal(st->simulated, 2);

    gl_replay_event b = find(r, "escalated", C01, "B");
    assert_non_null(b.ev);
    assert_true(b.simulated);
    assert_int_equal(b.ev->time_ms, T0 + 15 + 1500);
    assert_string_equal(b.ev->holder, TOWN);
    assert_string_equal(b.ev->peer, TOWN);
    assert_int_equal(b.ev->state, ST_ESCALATED);
    assert_int_equal(b.ev->counters->overdue_accept, 1);
    assert_non_null(strstr(b.ev->note, GL_DUE_NOTE_ACCEPT));
    /* B's recorded acceptance comes after, one deadline missed. */
    gl_replay_event acc = find(r, "accepted", C01, "B");
    assert_false(acc.simulated);
    assert_int_equal(acc.ev->counters->overdue_accept, 1);
    gl_replay_event rcv = find(r, "received", C01, "B");
    assert_int_equal(rcv.ev->accept_due_ms, T0 + 15 + 1500);

    gl_replay_event c = find(r, "escalated", C01, "C");
    assert_true(c.simulated);
    assert_int_equal(c.ev->time_ms, T0 + 25 + 1500);
    /* one dropped and one made: the township sees the count it saw */
    assert_int_equal(find(r, "received", TOWN, "C").ev->counters->overdue_accept, 1);
    assert_int_equal(find(r, "received", TOWN, "C").ev->accept_due_ms, T0 + 3040 + 1500);
    assert_null(find(r, "escalated", C01, "A").ev);
    size_t dropped = 0;
    for (size_t i = 0; i < gl_replay_recorded_count(r); i++)
        dropped += gl_replay_recorded(r, i).dropped;
    assert_int_equal(dropped, 1);
    assert_int_equal(gl_replay_replayed_count(r), N_DAY - 1 + 2);
    for (size_t i = 1; i < gl_replay_replayed_count(r); i++)
        assert_true(gl_replay_replayed(r, i - 1).ev->time_ms <= gl_replay_replayed(r, i).ev->time_ms);

    /* The community's response: A alone signed in time. */
    gl_kpi_counts k = day_counts(now, r, true, C01);
    assert_int_equal(k.c[GL_KC_DISPATCHED], 3);
    assert_int_equal(k.c[GL_KC_SIGNED_IN_TIME], 1);
    gl_kpi_counts rec = day_counts(was, r, false, C01);
    assert_int_equal(rec.c[GL_KC_SIGNED_IN_TIME], 2);
    gl_replay_free(&r);
    gl_topology_free(&was);
    gl_topology_free(&now);
}

/* Doubled limits: C's recorded escalation goes; it climbs at 6 s, when
 * nobody had accepted it; but not past the horizon. */
static void test_longer_and_horizon(void **state)
{
    (void)state;
    gl_topology_t *was = mini(3), *now = mini(6);
    gl_replay_t *r = replay_day(was, now, T0 + 86400000);
    gl_replay_event c = find(r, "escalated", C01, "C");
    assert_true(c.simulated);
    assert_int_equal(c.ev->time_ms, T0 + 25 + 6000);
    assert_int_equal(gl_replay_stats_of(r)->simulated, 1);
    assert_int_equal(gl_replay_stats_of(r)->dropped, 1);
    /* A dropped step and a made one later: the township's receipt in
     * between has one missed deadline less. */
    assert_int_equal(find(r, "received", TOWN, "C").ev->counters->overdue_accept, 0);
    gl_replay_free(&r);

    r = replay_day(was, now, T0 + 5000);
    assert_null(find(r, "escalated", C01, "C").ev);
    assert_int_equal(gl_replay_stats_of(r)->simulated, 0);
    assert_int_equal(gl_replay_stats_of(r)->dropped, 1);
    gl_replay_free(&r);
    gl_topology_free(&was);
    gl_topology_free(&now);
}

/* A dispatcher's sign-for limit is the same under any topology; a case
 * assigned from above without one is marked overdue, not escalated. */
static void test_assigned(void **state)
{
    (void)state;
    gl_topology_t *was = mini(3), *now = mini(1);
    static const struct ev_spec evs[] = {
        {C01, "received", "D", ST_ASSIGNED, C01, 0, NULL, 60000, 0},
        {C01, "accepted", "D", ST_ACCEPTED, C01, 2000, NULL, 0, 0},
        {C01, "received", "E", ST_ASSIGNED, C01, 0, NULL, 3000, 0},
        {C01, "accepted", "E", ST_ACCEPTED, C01, 2000, NULL, 0, 0},
        {"xinbei", "received", "F", ST_ESCALATED, "xinbei", 0, NULL, 3000, 0},
        {"xinbei", "accepted", "F", ST_ACCEPTED, "xinbei", 2000, NULL, 0, 0},
    };
    gl_replay_t *r = NULL;
    assert_int_equal(gl_replay_new(was, now, &r), 0);
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        assert_int_equal(gl_replay_add(r, ev(&evs[i], i + 1)), 0);
    assert_int_equal(gl_replay_case(r, "D", GRIDLINK__V1__PRIORITY__PRIORITY_NORMAL, 60000, 0), 0);
    assert_int_equal(gl_replay_run(r, T0 + 86400000), 0);
    assert_null(find(r, "overdue", C01, "D").ev);
    gl_replay_event e = find(r, "overdue", C01, "E");
    assert_true(e.simulated);
    assert_int_equal(e.ev->time_ms, T0 + 1000);
    assert_string_equal(e.ev->holder, C01);
    gl_replay_event f = find(r, "overdue", "xinbei", "F"); /* the top: an alarm */
    assert_true(f.simulated);
    assert_string_equal(f.ev->holder, "xinbei");
    gl_replay_free(&r);
    gl_topology_free(&was);
    gl_topology_free(&now);
}

/* Completion limits: halved, a case resolved after the new limit climbs
 * then with one completion deadline missed, its recorded resolution after
 * that counts it; one suspended meanwhile stands as recorded. */
static void test_resolve(void **state)
{
    (void)state;
    gl_topology_t *was = mini(3), *now = mini(3);
    json_t *j = json_loads("[{\"tier\": \"grid\", \"accept_s\": 0}, {\"tier\": \"any\", \"accept_s\": 3, "
                           "\"resolve_s\": 300}]",
                           0, NULL);
    char err[256];
    gl_policy_free(&now->policy);
    assert_int_equal(gl_policy_from_json(j, &now->policy, err, sizeof err), 0);
    json_decref(j);
    static const struct ev_spec evs[] = {
        {C01, "received", "R", ST_REPORTED, C01, 0, NULL, 3000, 0},
        {C01, "accepted", "R", ST_ACCEPTED, C01, 100, NULL, 0, 0},
        {C01, "resolved", "R", GRIDLINK__V1__CASE_STATE__STATE_RESOLVED, C01, 400000, NULL, 0, 0},
        {C01, "received", "S", ST_REPORTED, C01, 0, NULL, 3000, 0},
        {C01, "accepted", "S", ST_ACCEPTED, C01, 100, NULL, 0, 0},
        {C01, "suspended", "S", GRIDLINK__V1__CASE_STATE__STATE_SUSPENDED, C01, 200, NULL, 0, 0},
        {C01, "resumed", "S", ST_ACCEPTED, C01, 500000, NULL, 0, 0},
        {C01, "resolved", "S", GRIDLINK__V1__CASE_STATE__STATE_RESOLVED, C01, 700000, NULL, 0, 0},
    };
    gl_replay_t *r = NULL;
    assert_int_equal(gl_replay_new(was, now, &r), 0);
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        assert_int_equal(gl_replay_add(r, ev(&evs[i], i + 1)), 0);
    assert_int_equal(gl_replay_run(r, T0 + 86400000), 0);
    gl_replay_event e = find(r, "escalated", C01, "R");
    assert_true(e.simulated);
    assert_int_equal(e.ev->time_ms, T0 + 300000);
    assert_int_equal(e.ev->counters->overdue_resolve, 1);
    assert_int_equal(e.ev->counters->overdue_accept, 0);
    assert_non_null(strstr(e.ev->note, GL_DUE_NOTE_RESOLVE));
    assert_int_equal(find(r, "resolved", C01, "R").ev->counters->overdue_resolve, 1);
    assert_null(find(r, "escalated", C01, "S").ev);
    assert_int_equal(gl_replay_stats_of(r)->bent, 1);
    assert_int_equal(gl_replay_stats_of(r)->simulated, 1);
    gl_replay_free(&r);
    gl_topology_free(&was);
    gl_topology_free(&now);
}

/* Another calendar: a limit of one working hour from Tuesday 10:00 falls
 * due at 11:00; with that Tuesday a holiday, at 09:30 on Wednesday, so the
 * recorded escalation goes and one is made then. */
static void test_calendar(void **state)
{
    (void)state;
    gl_topology_t *was = mini(3), *now = mini(3);
    char err[256];
    for (int i = 0; i < 2; i++) {
        gl_topology_t *t = i ? now : was;
        json_t *j =
            json_loads("[{\"tier\": \"grid\", \"accept_s\": 0}, {\"tier\": \"any\", \"accept_wh\": 1}]", 0, NULL);
        gl_policy_free(&t->policy);
        assert_int_equal(gl_policy_from_json(j, &t->policy, err, sizeof err), 0);
        json_decref(j);
    }
    json_t *cal = json_loads("{\"holidays\": [\"2025-12-02\"]}", 0, NULL);
    gl_calendar_free(&now->calendar);
    assert_int_equal(gl_calendar_from_json(cal, &now->calendar, err, sizeof err), 0);
    json_decref(cal);
    static const struct ev_spec evs[] = {
        {C01, "received", "H", ST_REPORTED, C01, 0, NULL, 3600000, 0},
        {C01, "escalated", "H", ST_ESCALATED, TOWN, 3600000, GL_DUE_NOTE_ACCEPT, 0, 1},
    };
    gl_replay_t *r = NULL;
    assert_int_equal(gl_replay_new(was, now, &r), 0);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(gl_replay_add(r, ev(&evs[i], i + 1)), 0);
    assert_int_equal(gl_replay_run(r, T0 + 2 * 86400000LL), 0);
    assert_true(gl_replay_recorded(r, 1).dropped);
    gl_replay_event e = find(r, "escalated", C01, "H");
    assert_true(e.simulated);
    assert_int_equal(e.ev->time_ms, T0 + 86400000LL - 30 * 60000); /* Wednesday 09:30 */
    assert_int_equal(find(r, "received", C01, "H").ev->accept_due_ms, e.ev->time_ms);
    gl_replay_free(&r);
    gl_topology_free(&was);
    gl_topology_free(&now);
}

/* A node's log keeps its order even when its clock went back; events
 * without node or kind are refused. */
static void test_merge_order(void **state)
{
    (void)state;
    gl_topology_t *t = mini(3);
    static const struct ev_spec evs[] = {
        {TOWN, "status", "X", ST_REPORTED, C01, 50, NULL, 0, 0},
        {TOWN, "status", "X", ST_REPORTED, C01, 10, NULL, 0, 0}, /* its clock stepped back */
        {C01, "status", "X", ST_REPORTED, C01, 20, NULL, 0, 0},
        {C01, "status", "X", ST_REPORTED, C01, 60, NULL, 0, 0},
    };
    gl_replay_t *r = NULL;
    assert_int_equal(gl_replay_new(t, t, &r), 0);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(gl_replay_add(r, ev(&evs[i], i + 1)), 0);
    struct ev_spec bad = {C01, "", "X", 0, C01, 0, NULL, 0, 0};
    assert_int_equal(gl_replay_add(r, ev(&bad, 9)), GL_EINVAL);
    assert_int_equal(gl_replay_run(r, T0), 0);
    assert_int_equal(gl_replay_recorded_count(r), 4);
    static const int64_t want[] = {20, 50, 10, 60};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(gl_replay_recorded(r, i).ev->time_ms, T0 + want[i]);
    gl_replay_free(&r);
    gl_topology_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchanged),   cmocka_unit_test(test_halved),  cmocka_unit_test(test_longer_and_horizon),
        cmocka_unit_test(test_assigned),    cmocka_unit_test(test_resolve), cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_merge_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
