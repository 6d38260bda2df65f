/* test_whistle.c: 吹哨报到 in the engines of a small district (engine_net):
 * a township calls the district's bureau and its own office at once; each
 * part travels to its department (the bureau's through the district), the
 * whistle closes only when every part is closed, a department that misses
 * its time to report in climbs to its superior, and the whistle refuses
 * what is not a department of the caller or a tier above it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "engine_net.h"
#include "error.h"
#include "log.h"

#define DISTRICT "xinbei"
#define TOWNSHIP "xinbei.sanjing"
#define C01      "xinbei.sanjing.c01"
#define BUREAU   "xinbei.urban"
#define OFFICE   "xinbei.sanjing.market"

#define MIN_MS (60 * 1000LL)
#define T0     1700000000000LL
#define S(x)   GRIDLINK__V1__CASE_STATE__STATE_##x

static const char *topology_json =
    "{\"name\": \"district\", \"port_base\": 17300,"
    " \"sla\": ["
    "  {\"tier\": \"grid\", \"accept_s\": 0, \"resolve_s\": 0},"
    "  {\"tier\": \"community\", \"accept_s\": 3600, \"resolve_s\": 86400},"
    "  {\"tier\": \"township\", \"accept_s\": 7200, \"resolve_s\": 172800},"
    "  {\"tier\": \"district\", \"accept_s\": 14400, \"resolve_s\": 259200},"
    "  {\"tier\": \"department\", \"accept_s\": 3600, \"resolve_s\": 86400}],"
    " \"nodes\": ["
    "  {\"id\": \"xinbei\", \"tier\": \"district\", \"name\": \"新北区\"},"
    "  {\"id\": \"xinbei.sanjing\", \"tier\": \"township\", \"name\": \"三井街道\"},"
    "  {\"id\": \"xinbei.sanjing.c01\", \"tier\": \"community\", \"name\": \"第一社区\"},"
    "  {\"id\": \"xinbei.sanjing.c01.g1\", \"tier\": \"grid\", \"name\": \"第一社区第1网格\"},"
    "  {\"id\": \"xinbei.urban\", \"tier\": \"department\", \"name\": \"区城市管理局\"},"
    "  {\"id\": \"xinbei.sanjing.market\", \"tier\": \"department\", \"name\": \"三井街道市场监管所\"}]}";

static int setup(void **state)
{
    net_t *n = net_new(topology_json);
    net_start(n, T0);
    *state = n;
    return 0;
}

static int teardown(void **state)
{
    net_t *n = *state;
    net_free(&n);
    return 0;
}

/* A whistle from the township; the reply's code, and on success the
 * whistle's ID and its parts' (in the order called). */
static int whistle(net_t *n, const char *const *depts, size_t count, int64_t report_ms, int64_t now, char *id,
                   char parts[][64])
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "whistle";
    req.category = "urban/building";
    req.text = "违建联合执法";
    req.departments = (char **)depts;
    req.n_departments = count;
    req.sign_within_ms = report_ms;
    Gridlink__V1__CtlReply *rep = net_call(n, TOWNSHIP, &req, now);
    int code = rep->code;
    if (code == 0) {
        snprintf(id, 64, "%s", rep->case_id);
        assert_int_equal(rep->n_case_ids, count);
        for (size_t i = 0; i < count; i++)
            snprintf(parts[i], 64, "%s", rep->case_ids[i]);
        assert_int_equal(rep->case_->kind, GRIDLINK__V1__CASE_KIND__KIND_WHISTLE);
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return code;
}

static void expect_at(net_t *n, const char *node, const char *id, int state, const char *holder)
{
    Gridlink__V1__Case *c = net_case(n, node, id);
    if (!c)
        fail_msg("%s has no copy of %s", node, id);
    if ((int)c->state != state || strcmp(c->holder, holder) != 0)
        fail_msg("%s: %s at %s, expected %s at %s", node, gl_state_name(c->state), c->holder, gl_state_name(state),
                 holder);
    gridlink__v1__case__free_unpacked(c, NULL);
}

static void ok(net_t *n, const char *node, const char *id, const char *action, int64_t now)
{
    Gridlink__V1__CtlReply *rep = net_act(n, node, id, action, now);
    if (rep->code != 0)
        fail_msg("%s %s at %s: %s", action, id, node, rep->note);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static void test_whistle_closes_after_every_part(void **state)
{
    net_t *n = *state;
    const char *depts[] = {BUREAU, OFFICE};
    char w[64], parts[2][64];
    int64_t t = T0 + 1000;
    assert_int_equal(whistle(n, depts, 2, 30 * MIN_MS, t, w, parts), 0);
    net_settle(n, t);
    expect_at(n, TOWNSHIP, w, S(IN_PROGRESS), TOWNSHIP);
    expect_at(n, BUREAU, parts[0], S(ASSIGNED), BUREAU);
    expect_at(n, DISTRICT, parts[0], S(ASSIGNED), BUREAU); /* passed on through the district */
    expect_at(n, OFFICE, parts[1], S(ASSIGNED), OFFICE);
    assert_null(net_case(n, DISTRICT, parts[1])); /* the township's own office: not the district's business */
    Gridlink__V1__Case *c = net_case(n, BUREAU, parts[0]);
    assert_int_equal(c->accept_due_ms, t + 30 * MIN_MS); /* 报到 within the whistle's time */
    assert_string_equal(c->assigned_by, TOWNSHIP);
    assert_string_equal(c->parent_task, w);
    gridlink__v1__case__free_unpacked(c, NULL);

    /* the bureau reports in, works, resolves; the township verifies */
    ok(n, BUREAU, parts[0], "accept", t + MIN_MS);
    ok(n, BUREAU, parts[0], "resolve", t + 2 * MIN_MS);
    net_settle(n, t + 2 * MIN_MS);
    ok(n, TOWNSHIP, parts[0], "verify", t + 3 * MIN_MS);
    net_settle(n, t + 3 * MIN_MS);
    expect_at(n, TOWNSHIP, parts[0], S(CLOSED), BUREAU);
    expect_at(n, TOWNSHIP, w, S(IN_PROGRESS), TOWNSHIP); /* the office's part is open */

    /* the office too: then the whistle closes */
    ok(n, OFFICE, parts[1], "accept", t + 4 * MIN_MS);
    ok(n, OFFICE, parts[1], "resolve", t + 5 * MIN_MS);
    net_settle(n, t + 5 * MIN_MS);
    expect_at(n, TOWNSHIP, w, S(IN_PROGRESS), TOWNSHIP); /* resolved is not closed */
    ok(n, TOWNSHIP, parts[1], "verify", t + 6 * MIN_MS);
    net_settle(n, t + 6 * MIN_MS);
    expect_at(n, TOWNSHIP, w, S(CLOSED), TOWNSHIP);
    assert_int_equal(net_events(n, TOWNSHIP, "closed", w), 1);

    /* rated by the township, recorded with the department */
    ok(n, TOWNSHIP, parts[1], "rate", t + 7 * MIN_MS);
    net_settle(n, t + 7 * MIN_MS);
    c = net_case(n, OFFICE, parts[1]);
    assert_non_null(c->rating);
    assert_string_equal(c->rating->by, TOWNSHIP);
    gridlink__v1__case__free_unpacked(c, NULL);
    net_assert_quiet(n);
}

static void test_missed_report_in_climbs(void **state)
{
    net_t *n = *state;
    const char *depts[] = {BUREAU, OFFICE};
    char w[64], parts[2][64];
    int64_t t = T0 + 1000;
    assert_int_equal(whistle(n, depts, 2, 10 * MIN_MS, t, w, parts), 0);
    net_settle(n, t);
    ok(n, OFFICE, parts[1], "accept", t + MIN_MS); /* the office reports in, the bureau does not */
    net_settle(n, t + MIN_MS);
    net_fire(n, BUREAU, t + 10 * MIN_MS - 1);
    expect_at(n, BUREAU, parts[0], S(ASSIGNED), BUREAU);
    net_fire(n, BUREAU, t + 10 * MIN_MS);
    net_fire(n, OFFICE, t + 10 * MIN_MS);
    net_settle(n, t + 10 * MIN_MS);
    /* the bureau's part climbs to its superior, the district; the township follows */
    expect_at(n, DISTRICT, parts[0], S(ESCALATED), DISTRICT);
    expect_at(n, TOWNSHIP, parts[0], S(ESCALATED), DISTRICT);
    Gridlink__V1__Case *c = net_case(n, DISTRICT, parts[0]);
    assert_int_equal(c->counters->overdue_accept, 1);
    assert_int_equal(c->counters->escalations, 1);
    assert_int_equal(net_history(c, "escalated", BUREAU), 1);
    gridlink__v1__case__free_unpacked(c, NULL);
    expect_at(n, OFFICE, parts[1], S(ACCEPTED), OFFICE); /* reported in: nothing fired */
    /* the district puts its bureau back on it */
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "act";
    req.action = "assign";
    req.case_id = parts[0];
    req.to = BUREAU;
    Gridlink__V1__CtlReply *rep = net_call(n, DISTRICT, &req, t + 11 * MIN_MS);
    assert_int_equal(rep->code, 0);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    net_settle(n, t + 11 * MIN_MS);
    expect_at(n, BUREAU, parts[0], S(ASSIGNED), BUREAU);
    expect_at(n, TOWNSHIP, w, S(IN_PROGRESS), TOWNSHIP);
}

static void test_whistle_refusals(void **state)
{
    net_t *n = *state;
    char w[64], parts[3][64];
    const char *community[] = {C01};
    assert_int_equal(whistle(n, community, 1, 30 * MIN_MS, T0, w, parts), GL_EINVAL);
    const char *twice[] = {BUREAU, BUREAU};
    assert_int_equal(whistle(n, twice, 2, 30 * MIN_MS, T0, w, parts), GL_EINVAL);
    const char *bureau[] = {BUREAU};
    assert_int_equal(whistle(n, bureau, 1, 0, T0, w, parts), GL_EINVAL); /* no time to report in */
    /* a community may not blow the whistle */
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "whistle";
    req.category = "urban/building";
    req.text = "x";
    req.departments = (char **)bureau;
    req.n_departments = 1;
    req.sign_within_ms = MIN_MS;
    Gridlink__V1__CtlReply *rep = net_call(n, C01, &req, T0);
    assert_int_equal(rep->code, GL_EPERM);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    assert_int_equal(net_case_count(n, TOWNSHIP), 0);
}

int main(void)
{
    gl_log_init("test_whistle", GL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whistle_closes_after_every_part, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missed_report_in_climbs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whistle_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
