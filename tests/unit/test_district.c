/* test_district.c: a small district of node engines (the district, a
 * township, two communities with a grid each) over in-memory links, driven
 * without processes: a grid's report climbing by deadline, a dispatch to
 * both communities, returns, re-assignment and the binding assignment after
 * too many returns, actions asked away from the holder travelling to it and
 * their results coming back, and an escalation that waits while the link to
 * the parent is down and climbs when it returns. After every step the state
 * and holder of each node's copy are checked, and at the end that nothing
 * is left in flight, lost or taken twice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_net.h"
#include "error.h"
#include "log.h"

#define DISTRICT "xinbei"
#define TOWNSHIP "xinbei.sanjing"
#define C01      "xinbei.sanjing.c01"
#define C02      "xinbei.sanjing.c02"
#define G1       "xinbei.sanjing.c01.g1"
#define G2       "xinbei.sanjing.c02.g1"

#define MIN_MS  (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)
#define T0      1700000000000LL

static const char *topology_json =
    "{\"name\": \"district\", \"port_base\": 17300,"
    " \"sla\": ["
    "  {\"tier\": \"grid\", \"accept_s\": 0, \"resolve_s\": 0},"
    "  {\"tier\": \"community\", \"accept_s\": 3600, \"resolve_s\": 86400},"
    "  {\"tier\": \"township\", \"accept_s\": 7200, \"resolve_s\": 172800},"
    "  {\"tier\": \"district\", \"accept_s\": 14400, \"resolve_s\": 259200}],"
    " \"categories\": ["
    "  {\"code\": \"urban\", \"name\": \"城管\", \"accept_s\": 86400, \"resolve_s\": 432000, \"subcategories\": ["
    "   {\"code\": \"urban/roads\", \"name\": \"道路设施\", \"accept_s\": 86400, \"resolve_s\": 432000}]},"
    "  {\"code\": \"services\", \"name\": \"社区服务\", \"accept_s\": 86400, \"resolve_s\": 432000, \"subcategories\": "
    "["
    "   {\"code\": \"services/elderly\", \"name\": \"养老服务\", \"accept_s\": 86400, \"resolve_s\": 432000}]}],"
    " \"community_tasks\": [\"services/elderly\"],"
    " \"nodes\": ["
    "  {\"id\": \"xinbei\", \"tier\": \"district\", \"name\": \"新北区\"},"
    "  {\"id\": \"xinbei.sanjing\", \"tier\": \"township\", \"name\": \"三井街道\"},"
    "  {\"id\": \"xinbei.sanjing.c01\", \"tier\": \"community\", \"name\": \"第一社区\"},"
    "  {\"id\": \"xinbei.sanjing.c01.g1\", \"tier\": \"grid\", \"name\": \"第一社区第1网格\"},"
    "  {\"id\": \"xinbei.sanjing.c02\", \"tier\": \"community\", \"name\": \"第二社区\"},"
    "  {\"id\": \"xinbei.sanjing.c02.g1\", \"tier\": \"grid\", \"name\": \"第二社区第1网格\"}]}";

/* The same district on a working-time calendar: the community signs for a
 * case within 1 working hour and resolves it within 2 working days; the
 * National Day week is a holiday, with make-up working days around it. */
static const char *calendar_json =
    "{\"name\": \"district\", \"port_base\": 17300,"
    " \"sla\": ["
    "  {\"tier\": \"grid\", \"accept_s\": 0, \"resolve_s\": 0},"
    "  {\"tier\": \"community\", \"accept_wh\": 1, \"resolve_wd\": 2},"
    "  {\"tier\": \"township\", \"accept_wh\": 2, \"resolve_wd\": 3},"
    "  {\"tier\": \"district\", \"accept_wh\": 4, \"resolve_wd\": 5}],"
    " \"calendar\": {\"utc_offset\": \"+08:00\", \"hours\": [\"08:30-12:00\", \"13:30-17:30\"],"
    "  \"weekdays\": [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"],"
    "  \"holidays\": [\"2026-10-01..2026-10-07\"], \"workdays\": [\"2026-09-27\", \"2026-10-10\"]},"
    " \"nodes\": ["
    "  {\"id\": \"xinbei\", \"tier\": \"district\", \"name\": \"新北区\"},"
    "  {\"id\": \"xinbei.sanjing\", \"tier\": \"township\", \"name\": \"三井街道\"},"
    "  {\"id\": \"xinbei.sanjing.c01\", \"tier\": \"community\", \"name\": \"第一社区\"},"
    "  {\"id\": \"xinbei.sanjing.c01.g1\", \"tier\": \"grid\", \"name\": \"第一社区第1网格\"},"
    "  {\"id\": \"xinbei.sanjing.c02\", \"tier\": \"community\", \"name\": \"第二社区\"},"
    "  {\"id\": \"xinbei.sanjing.c02.g1\", \"tier\": \"grid\", \"name\": \"第二社区第1网格\"}]}";

#define S(x) GRIDLINK__V1__CASE_STATE__STATE_##x
#define NONE 0 /* no copy */

static const char *const all_nodes[] = {DISTRICT, TOWNSHIP, C01, G1, C02, G2};
#define N_NODES (sizeof all_nodes / sizeof all_nodes[0])

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

/* ---- expectations ---- */

struct copy {
    int state; /* NONE: the node has no copy */
    const char *holder;
};

/* want[i] is what all_nodes[i] has of case id. */
static void expect_copies(net_t *n, const char *step, const char *id, const struct copy want[N_NODES])
{
    for (size_t i = 0; i < N_NODES; i++) {
        Gridlink__V1__Case *c = net_case(n, all_nodes[i], id);
        if (want[i].state == NONE) {
            if (c)
                fail_msg("%s: %s has a copy of %s (%s at %s), expected none", step, all_nodes[i], id,
                         gl_state_name(c->state), c->holder);
            continue;
        }
        if (!c)
            fail_msg("%s: %s has no copy of %s, expected %s at %s", step, all_nodes[i], id,
                     gl_state_name(want[i].state), want[i].holder);
        if ((int)c->state != want[i].state || strcmp(c->holder, want[i].holder) != 0)
            fail_msg("%s: %s has %s %s at %s, expected %s at %s", step, all_nodes[i], id, gl_state_name(c->state),
                     c->holder, gl_state_name(want[i].state), want[i].holder);
        gridlink__v1__case__free_unpacked(c, NULL);
    }
}

static Gridlink__V1__Case *copy_at(net_t *n, const char *node, const char *id)
{
    Gridlink__V1__Case *c = net_case(n, node, id);
    if (!c)
        fail_msg("%s has no copy of %s", node, id);
    return c;
}

/* Every copy of a case is the holder's version. */
static void expect_current(net_t *n, const char *id, const char *const *nodes, size_t count)
{
    Gridlink__V1__Case *h = copy_at(n, nodes[0], id);
    for (size_t i = 1; i < count; i++) {
        Gridlink__V1__Case *c = copy_at(n, nodes[i], id);
        if (c->version != h->version)
            fail_msg("%s: %s has version %u, %s version %u", id, nodes[i], c->version, nodes[0], h->version);
        gridlink__v1__case__free_unpacked(c, NULL);
    }
    gridlink__v1__case__free_unpacked(h, NULL);
}

static void expect_cases(net_t *n, const uint64_t counts[N_NODES])
{
    for (size_t i = 0; i < N_NODES; i++)
        if (net_case_count(n, all_nodes[i]) != counts[i])
            fail_msg("%s holds %llu cases, expected %llu", all_nodes[i],
                     (unsigned long long)net_case_count(n, all_nodes[i]), (unsigned long long)counts[i]);
}

static void ok(Gridlink__V1__CtlReply *rep)
{
    if (rep->code != 0)
        fail_msg("expected success, got %d \"%s\"", rep->code, rep->error);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static void refused(Gridlink__V1__CtlReply *rep, int code, const char *text)
{
    if (rep->code != code || !strstr(rep->error, text))
        fail_msg("expected %d \"%s\", got %d \"%s\"", code, text, rep->code, rep->error);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

/* A grid worker's report; returns its ID in id. */
static void report(net_t *n, const char *grid, const char *text, int64_t now, char *id, size_t size)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "submit";
    req.category = "urban/roads";
    req.text = (char *)text;
    Gridlink__V1__CtlReply *rep = net_call(n, grid, &req, now);
    assert_int_equal(rep->code, 0);
    snprintf(id, size, "%s", rep->case_id);
    assert_non_null(rep->case_);
    assert_int_equal(rep->case_->state, S(REPORTED));
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static Gridlink__V1__CtlReply *act_with(net_t *n, const char *node, const char *id, const char *action,
                                        const char *reason, const char *to, int64_t now)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "act";
    req.action = (char *)action;
    req.case_id = (char *)id;
    req.reason = (char *)(reason ? reason : "");
    req.to = (char *)(to ? to : "");
    return net_call(n, node, &req, now);
}

/* ---- a report climbs ---- */

static void test_report_climbs_by_deadline(void **state)
{
    net_t *n = *state;
    char id[64];
    report(n, G1, "a pothole outside No. 12", T0 + 1000, id, sizeof id);
    assert_string_equal(id, G1 "-000001");
    /* before delivery only the grid knows */
    expect_copies(n, "reported", id, (struct copy[]){{NONE}, {NONE}, {NONE}, {S(REPORTED), C01}, {NONE}, {NONE}});
    net_settle(n, T0 + 1000);
    expect_copies(n, "received", id,
                  (struct copy[]){{NONE}, {NONE}, {S(REPORTED), C01}, {S(REPORTED), C01}, {NONE}, {NONE}});
    Gridlink__V1__Case *c = copy_at(n, C01, id);
    assert_int_equal(c->accept_due_ms, T0 + 1000 + HOUR_MS);
    assert_int_equal(c->resolve_due_ms, T0 + 1000 + DAY_MS);
    assert_string_equal(c->handed_by, G1);
    assert_int_equal(c->accept_warn_ms, T0 + 1000 + HOUR_MS - 15 * MIN_MS);
    assert_int_equal(c->resolve_warn_ms, T0 + 1000 + DAY_MS - 15 * MIN_MS);
    gridlink__v1__case__free_unpacked(c, NULL);

    /* 即将超时: 15 minutes before the sign-for deadline, a warning and
     * nothing else (no message, no change to the case) */
    assert_int_equal(net_next_due(n, C01), T0 + 1000 + HOUR_MS - 15 * MIN_MS);
    net_fire(n, C01, T0 + 999 + HOUR_MS - 15 * MIN_MS);
    assert_int_equal(net_events(n, C01, "due-soon", id), 0);
    net_fire(n, C01, T0 + 1000 + HOUR_MS - 15 * MIN_MS);
    assert_int_equal(net_events(n, C01, "due-soon", id), 1);
    assert_int_equal(net_settle(n, T0 + 1000 + HOUR_MS - 15 * MIN_MS), 0);
    assert_int_equal(gl_engine_counters(net_engine(n, C01))->due_soon, 1);
    assert_int_equal(net_next_due(n, C01), T0 + 1000 + HOUR_MS);

    /* a moment early: nothing happens */
    net_fire(n, C01, T0 + 999 + HOUR_MS);
    assert_int_equal(net_settle(n, T0 + 999 + HOUR_MS), 0);

    /* not accepted in time: it climbs to the township */
    int64_t t1 = T0 + 1000 + HOUR_MS;
    net_fire(n, C01, t1);
    net_settle(n, t1);
    expect_copies(
        n, "escalated to the township", id,
        (struct copy[]){
            {NONE}, {S(ESCALATED), TOWNSHIP}, {S(ESCALATED), TOWNSHIP}, {S(ESCALATED), TOWNSHIP}, {NONE}, {NONE}});
    c = copy_at(n, TOWNSHIP, id);
    assert_int_equal(c->accept_due_ms, t1 + 2 * HOUR_MS);
    assert_int_equal(c->counters->escalations, 1);
    assert_string_equal(c->handed_by, C01);
    assert_int_equal(net_history(c, "escalated", C01), 1);
    assert_int_equal(net_history(c, "received", TOWNSHIP), 1);
    gridlink__v1__case__free_unpacked(c, NULL);
    assert_int_equal(net_next_due(n, C01), 0); /* the community's clocks stopped, warnings too */
    assert_int_equal(net_events(n, C01, "due-soon", id), 1);

    /* and on to the district */
    int64_t t2 = t1 + 2 * HOUR_MS;
    net_fire(n, TOWNSHIP, t2);
    net_settle(n, t2);
    expect_copies(n, "escalated to the district", id,
                  (struct copy[]){{S(ESCALATED), DISTRICT},
                                  {S(ESCALATED), DISTRICT},
                                  {S(ESCALATED), DISTRICT},
                                  {S(ESCALATED), DISTRICT},
                                  {NONE},
                                  {NONE}});
    c = copy_at(n, DISTRICT, id);
    assert_int_equal(c->counters->escalations, 2);
    assert_int_equal(c->accept_due_ms, t2 + 4 * HOUR_MS);
    gridlink__v1__case__free_unpacked(c, NULL);

    /* at the top an alarm is raised and the case stays */
    int64_t t3 = t2 + 4 * HOUR_MS;
    net_fire(n, DISTRICT, t3);
    net_settle(n, t3);
    c = copy_at(n, DISTRICT, id);
    assert_true(c->alarmed);
    assert_string_equal(c->holder, DISTRICT);
    /* every missed acceptance deadline counts: community, township, district */
    assert_int_equal(c->counters->overdue_accept, 3);
    assert_int_equal(c->counters->escalations, 2);
    gridlink__v1__case__free_unpacked(c, NULL);
    c = copy_at(n, G1, id);
    assert_true(c->alarmed); /* the reporting grid sees it */
    gridlink__v1__case__free_unpacked(c, NULL);

    /* handled at the district, verified by the grid that reported it: the
     * request climbs to the holder and the result comes back down */
    ok(act_with(n, DISTRICT, id, "accept", NULL, NULL, t3 + MIN_MS));
    ok(act_with(n, DISTRICT, id, "start", NULL, NULL, t3 + 2 * MIN_MS));
    ok(act_with(n, DISTRICT, id, "resolve", NULL, NULL, t3 + 3 * MIN_MS));
    net_settle(n, t3 + 3 * MIN_MS);
    expect_copies(n, "resolved at the district", id,
                  (struct copy[]){{S(RESOLVED), DISTRICT},
                                  {S(RESOLVED), DISTRICT},
                                  {S(RESOLVED), DISTRICT},
                                  {S(RESOLVED), DISTRICT},
                                  {NONE},
                                  {NONE}});
    Gridlink__V1__CtlReply *rep = act_with(n, G1, id, "verify", NULL, NULL, t3 + 4 * MIN_MS);
    assert_int_equal(rep->code, 0);
    assert_non_null(strstr(rep->note, "verify sent to " DISTRICT));
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    /* the grid's copy stays as it was until the holder answers */
    expect_copies(n, "verify asked", id,
                  (struct copy[]){{S(RESOLVED), DISTRICT},
                                  {S(RESOLVED), DISTRICT},
                                  {S(RESOLVED), DISTRICT},
                                  {S(RESOLVED), DISTRICT},
                                  {NONE},
                                  {NONE}});
    net_settle(n, t3 + 4 * MIN_MS);
    expect_copies(n, "verified", id,
                  (struct copy[]){{S(CLOSED), DISTRICT},
                                  {S(CLOSED), DISTRICT},
                                  {S(CLOSED), DISTRICT},
                                  {S(CLOSED), DISTRICT},
                                  {NONE},
                                  {NONE}});
    const char *const followers[] = {DISTRICT, TOWNSHIP, C01, G1};
    expect_current(n, id, followers, 4);
    /* each tier took the case in once */
    assert_int_equal(net_events(n, C01, "received", id), 1);
    assert_int_equal(net_events(n, TOWNSHIP, "received", id), 1);
    assert_int_equal(net_events(n, DISTRICT, "received", id), 1);
    assert_int_equal(net_events(n, DISTRICT, "closed", id), 1);
    expect_cases(n, (uint64_t[]){1, 1, 1, 1, 0, 0});
    net_assert_quiet(n);
}

/* ---- a dispatch, returns and re-assignment ---- */

static void test_dispatch_return_reassign(void **state)
{
    net_t *n = *state;
    int64_t t = T0 + 1000;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "dispatch";
    req.category = "services/elderly";
    req.text = "visit every resident over 80 before the holiday";
    req.under = TOWNSHIP;
    req.tier = GRIDLINK__V1__TIER__TIER_COMMUNITY;
    Gridlink__V1__CtlReply *rep = net_call(n, TOWNSHIP, &req, t);
    assert_int_equal(rep->code, 0);
    assert_int_equal(rep->n_case_ids, 2);
    char parent[64], part[2][64];
    snprintf(parent, sizeof parent, "%s", rep->case_id);
    assert_non_null(rep->case_);
    assert_int_equal(rep->case_->n_children, 2);
    assert_int_equal(rep->case_->state, S(IN_PROGRESS));
    for (int i = 0; i < 2; i++)
        snprintf(part[i], sizeof part[i], "%s", rep->case_ids[i]);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    /* which part went where */
    Gridlink__V1__Case *c = copy_at(n, TOWNSHIP, part[0]);
    if (strcmp(c->holder, C01) != 0) {
        char tmp[64];
        memcpy(tmp, part[0], sizeof tmp);
        memcpy(part[0], part[1], sizeof tmp);
        memcpy(part[1], tmp, sizeof tmp);
    }
    gridlink__v1__case__free_unpacked(c, NULL);
    const char *p1 = part[0], *p2 = part[1];

    net_settle(n, t);
    expect_copies(n, "dispatched", parent,
                  (struct copy[]){{NONE}, {S(IN_PROGRESS), TOWNSHIP}, {NONE}, {NONE}, {NONE}, {NONE}});
    expect_copies(n, "dispatched", p1,
                  (struct copy[]){{NONE}, {S(ASSIGNED), C01}, {S(ASSIGNED), C01}, {NONE}, {NONE}, {NONE}});
    expect_copies(n, "dispatched", p2,
                  (struct copy[]){{NONE}, {S(ASSIGNED), C02}, {NONE}, {NONE}, {S(ASSIGNED), C02}, {NONE}});
    c = copy_at(n, C01, p1);
    assert_int_equal(c->accept_due_ms, t + HOUR_MS);
    assert_string_equal(c->originator, TOWNSHIP);
    assert_string_equal(c->assigned_by, TOWNSHIP);
    assert_string_equal(c->parent_task, parent);
    gridlink__v1__case__free_unpacked(c, NULL);

    /* c01 does the work; the township, its originator, verifies from above:
     * the request goes down to the holder and the result comes back up */
    ok(act_with(n, C01, p1, "accept", NULL, NULL, t + MIN_MS));
    ok(act_with(n, C01, p1, "start", NULL, NULL, t + 2 * MIN_MS));
    ok(act_with(n, C01, p1, "resolve", NULL, NULL, t + 3 * MIN_MS));
    net_settle(n, t + 3 * MIN_MS);
    expect_copies(n, "resolved by c01", p1,
                  (struct copy[]){{NONE}, {S(RESOLVED), C01}, {S(RESOLVED), C01}, {NONE}, {NONE}, {NONE}});
    rep = act_with(n, TOWNSHIP, p1, "verify", NULL, NULL, t + 4 * MIN_MS);
    assert_int_equal(rep->code, 0);
    assert_non_null(strstr(rep->note, "verify sent to " C01));
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    net_settle(n, t + 4 * MIN_MS);
    expect_copies(n, "verified by the township", p1,
                  (struct copy[]){{NONE}, {S(CLOSED), C01}, {S(CLOSED), C01}, {NONE}, {NONE}, {NONE}});
    const char *const p1_followers[] = {C01, TOWNSHIP};
    expect_current(n, p1, p1_followers, 2);

    /* c02 returns its part: not its business */
    ok(act_with(n, C02, p2, "return", "not-ours", NULL, t + 5 * MIN_MS));
    net_settle(n, t + 5 * MIN_MS);
    expect_copies(n, "returned by c02", p2,
                  (struct copy[]){{NONE}, {S(RETURNED), TOWNSHIP}, {NONE}, {NONE}, {S(RETURNED), TOWNSHIP}, {NONE}});
    /* the township's receipt reaches c02 too: no copy stays a version behind */
    const char *const p2_returned[] = {TOWNSHIP, C02};
    expect_current(n, p2, p2_returned, 2);
    c = copy_at(n, TOWNSHIP, p2);
    assert_int_equal(c->counters->returns, 1);
    assert_int_equal(c->accept_due_ms, t + 5 * MIN_MS + 2 * HOUR_MS); /* the township's clock runs */
    assert_string_equal(c->handed_by, C02);
    /* the history names where it went */
    const Gridlink__V1__HistoryEntry *h = NULL;
    for (size_t i = 0; i < c->n_history; i++)
        if (strcmp(c->history[i]->action, "returned") == 0)
            h = c->history[i];
    assert_non_null(h);
    assert_string_equal(h->node, C02);
    assert_string_equal(h->peer, TOWNSHIP);
    assert_non_null(strstr(h->note, "not-ours"));
    gridlink__v1__case__free_unpacked(c, NULL);

    /* the township assigns it again */
    ok(act_with(n, TOWNSHIP, p2, "assign", NULL, C02, t + 6 * MIN_MS));
    net_settle(n, t + 6 * MIN_MS);
    expect_copies(n, "assigned again", p2,
                  (struct copy[]){{NONE}, {S(ASSIGNED), C02}, {NONE}, {NONE}, {S(ASSIGNED), C02}, {NONE}});
    c = copy_at(n, C02, p2);
    assert_int_equal(c->accept_due_ms, t + 6 * MIN_MS + HOUR_MS);
    assert_false(c->binding);
    gridlink__v1__case__free_unpacked(c, NULL);

    /* returned a second time between the same two: the tier above both
     * decides (审定) */
    ok(act_with(n, C02, p2, "return", "not-ours", NULL, t + 7 * MIN_MS));
    net_settle(n, t + 7 * MIN_MS);
    expect_copies(n, "returned again: to arbitration", p2,
                  (struct copy[]){{S(ARBITRATION), DISTRICT},
                                  {S(ARBITRATION), DISTRICT},
                                  {NONE},
                                  {NONE},
                                  {S(ARBITRATION), DISTRICT},
                                  {NONE}});
    c = copy_at(n, DISTRICT, p2);
    assert_int_equal(c->counters->returns, 2);
    assert_int_equal(c->counters->shuffles, 1);
    assert_int_equal(c->accept_due_ms, t + 7 * MIN_MS + 4 * HOUR_MS);
    gridlink__v1__case__free_unpacked(c, NULL);

    /* the district's assignment binds: c02 may not return it again */
    ok(act_with(n, DISTRICT, p2, "assign", NULL, C02, t + 8 * MIN_MS));
    net_settle(n, t + 8 * MIN_MS);
    expect_copies(n, "binding assignment", p2,
                  (struct copy[]){{S(ASSIGNED), C02}, {S(ASSIGNED), C02}, {NONE}, {NONE}, {S(ASSIGNED), C02}, {NONE}});
    c = copy_at(n, C02, p2);
    assert_true(c->binding);
    assert_string_equal(c->assigned_by, DISTRICT);
    gridlink__v1__case__free_unpacked(c, NULL);
    refused(act_with(n, C02, p2, "return", "not-ours", NULL, t + 9 * MIN_MS), GL_EPERM, "binding decision");

    /* done, and verified by the township that dispatched it */
    ok(act_with(n, C02, p2, "accept", NULL, NULL, t + 10 * MIN_MS));
    ok(act_with(n, C02, p2, "start", NULL, NULL, t + 11 * MIN_MS));
    ok(act_with(n, C02, p2, "resolve", NULL, NULL, t + 12 * MIN_MS));
    net_settle(n, t + 12 * MIN_MS);
    ok(act_with(n, TOWNSHIP, p2, "verify", NULL, NULL, t + 13 * MIN_MS));
    net_settle(n, t + 13 * MIN_MS);
    expect_copies(n, "verified", p2,
                  (struct copy[]){{S(CLOSED), C02}, {S(CLOSED), C02}, {NONE}, {NONE}, {S(CLOSED), C02}, {NONE}});
    const char *const p2_followers[] = {C02, TOWNSHIP, DISTRICT};
    expect_current(n, p2, p2_followers, 3);

    /* nothing taken twice: one part each, every copy received once */
    assert_int_equal(net_events(n, C01, "received", p1), 1);
    assert_int_equal(net_events(n, C02, "received", p2), 3);
    assert_int_equal(net_events(n, TOWNSHIP, "received", p2), 1);
    assert_int_equal(net_events(n, DISTRICT, "received", p2), 1);
    expect_cases(n, (uint64_t[]){1, 3, 1, 0, 1, 0});
    net_assert_quiet(n);
}

/* ---- the parent's link is down ---- */

static void test_escalation_waits_for_parent(void **state)
{
    net_t *n = *state;
    char id1[64], id2[64];
    report(n, G1, "a fallen tree across the lane", T0 + 100, id1, sizeof id1);
    report(n, G1, "a loose manhole cover", T0 + 200, id2, sizeof id2);
    net_settle(n, T0 + 200);

    /* the link between c01 and the township goes silent */
    net_cut(n, C01, true);
    assert_true(net_tick(n, C01, TOWNSHIP, T0 + 2000));
    assert_false(net_tick(n, C01, TOWNSHIP, T0 + 4000));
    assert_false(net_tick(n, TOWNSHIP, C01, T0 + 4000));
    assert_int_equal(net_events(n, C01, "link-down", NULL), 1);

    /* both are due to climb, but cannot */
    int64_t t1 = T0 + 200 + HOUR_MS;
    net_fire(n, C01, t1);
    net_settle(n, t1);
    const struct copy waiting[N_NODES] = {{NONE}, {NONE}, {S(REPORTED), C01}, {S(REPORTED), C01}, {NONE}, {NONE}};
    expect_copies(n, "due while the link is down", id1, waiting);
    expect_copies(n, "due while the link is down", id2, waiting);
    Gridlink__V1__Case *c = copy_at(n, C01, id1);
    assert_true(c->escalation_pending);
    assert_true(c->overdue);
    assert_int_equal(c->counters->overdue_accept, 1);
    gridlink__v1__case__free_unpacked(c, NULL);
    assert_int_equal(net_events(n, C01, "escalation-pending", NULL), 2);
    assert_int_equal(net_events(n, C01, "escalated", NULL), 0);

    /* meanwhile c01 deals with the second itself */
    ok(act_with(n, C01, id2, "accept", NULL, NULL, t1 + MIN_MS));
    ok(act_with(n, C01, id2, "start", NULL, NULL, t1 + 2 * MIN_MS));
    ok(act_with(n, C01, id2, "resolve", NULL, NULL, t1 + 3 * MIN_MS));
    net_settle(n, t1 + 3 * MIN_MS);
    /* time passes; still down, nothing climbs */
    net_fire(n, C01, t1 + 2 * HOUR_MS);
    net_settle(n, t1 + 2 * HOUR_MS);
    expect_copies(n, "still down", id1, waiting);

    /* the link comes back: the first climbs, the second, resolved, stays */
    int64_t t2 = t1 + 3 * HOUR_MS;
    net_cut(n, C01, false);
    net_reconnect(n, C01, t2);
    net_settle(n, t2);
    assert_true(net_tick(n, C01, TOWNSHIP, t2));
    assert_true(net_tick(n, TOWNSHIP, C01, t2));
    net_settle(n, t2);
    expect_copies(
        n, "climbed when the link returned", id1,
        (struct copy[]){
            {NONE}, {S(ESCALATED), TOWNSHIP}, {S(ESCALATED), TOWNSHIP}, {S(ESCALATED), TOWNSHIP}, {NONE}, {NONE}});
    expect_copies(n, "finished meanwhile", id2,
                  (struct copy[]){{NONE}, {NONE}, {S(RESOLVED), C01}, {S(RESOLVED), C01}, {NONE}, {NONE}});
    c = copy_at(n, TOWNSHIP, id1);
    assert_false(c->escalation_pending);
    assert_int_equal(c->counters->escalations, 1);
    assert_int_equal(c->accept_due_ms, t2 + 2 * HOUR_MS);
    assert_int_equal(net_history(c, "escalated", C01), 1);
    gridlink__v1__case__free_unpacked(c, NULL);
    assert_int_equal(net_events(n, C01, "escalated", id1), 1);
    assert_int_equal(net_events(n, C01, "escalated", id2), 0);
    assert_int_equal(net_events(n, TOWNSHIP, "received", id1), 1);
    assert_int_equal(net_events(n, C01, "link-up", NULL), 3); /* g1 and the township at start, the township again */

    /* the link coming back once more sends nothing again */
    assert_true(net_tick(n, C01, TOWNSHIP, t2 + 500));
    net_settle(n, t2 + 500);
    assert_int_equal(net_events(n, TOWNSHIP, "received", id1), 1);
    expect_cases(n, (uint64_t[]){0, 1, 2, 2, 0, 0});
    net_assert_quiet(n);
}

/* Local times (UTC+08:00) as epoch milliseconds. */
#define FRI_1204_1700 1796374800000LL /* Friday before a weekend */
#define MON_1207_0845 1796604300000LL
#define MON_1207_0900 1796605200000LL
#define FRI_1009_1700 1791536400000LL /* the Saturday after is a make-up working day */
#define SAT_1010_0900 1791594000000LL
#define WED_0930_1700 1790758800000LL /* the eve of the National Day week */
#define THU_1008_0845 1791420300000LL
#define THU_1008_0900 1791421200000LL
#define TUE_1208_2000 1796731200000LL /* at night */
#define WED_1209_0930 1796779800000LL

/* A case reported at g1 at `at` reaches c01; its sign-for deadline is expected. */
static void expect_sign_for(net_t *n, int64_t at, int64_t due, char *id, size_t idlen)
{
    report(n, G1, "路灯不亮", at, id, idlen);
    net_settle(n, at);
    Gridlink__V1__Case *c = copy_at(n, C01, id);
    if (c->accept_due_ms != due)
        fail_msg("%s reported at %lld: sign for by %lld, expected %lld", id, (long long)at, (long long)c->accept_due_ms,
                 (long long)due);
    /* the resolution deadline lies in working time too (the end of a period counts) */
    const gl_calendar_t *cal = net_topology(n)->calendar;
    assert_true(c->resolve_due_ms > due);
    assert_true(gl_calendar_is_working(cal, C01, c->resolve_due_ms - 1));
    gridlink__v1__case__free_unpacked(c, NULL);
}

/* Deadlines counted on the calendar, by the engine, with a fixed clock. */
static void test_working_time_deadlines(void **state)
{
    net_t *n = *state;
    char id[64];
    /* the holiday week is skipped whole */
    expect_sign_for(n, WED_0930_1700, THU_1008_0900, id, sizeof id);
    Gridlink__V1__Case *c = copy_at(n, C01, id);
    assert_int_equal(c->accept_warn_ms, THU_1008_0845);
    gridlink__v1__case__free_unpacked(c, NULL);
    /* a make-up Saturday is a working day */
    expect_sign_for(n, FRI_1009_1700, SAT_1010_0900, id, sizeof id);

    /* Friday 17:00: half an hour that evening, half an hour on Monday */
    expect_sign_for(n, FRI_1204_1700, MON_1207_0900, id, sizeof id);
    c = copy_at(n, C01, id);
    assert_int_equal(c->accept_warn_ms, MON_1207_0845); /* 15 minutes before, not over the weekend */
    gridlink__v1__case__free_unpacked(c, NULL);
    net_fire(n, C01, MON_1207_0845 - 1);
    assert_int_equal(net_events(n, C01, "due-soon", id), 0);
    net_fire(n, C01, MON_1207_0845);
    assert_int_equal(net_events(n, C01, "due-soon", id), 1);
    net_fire(n, C01, MON_1207_0900 - 1);
    assert_int_equal(net_events(n, C01, "escalated", id), 0);
    net_fire(n, C01, MON_1207_0900);
    assert_int_equal(net_events(n, C01, "escalated", id), 1);
    net_settle(n, MON_1207_0900);

    /* at night: the clock starts at 08:30 the next morning */
    expect_sign_for(n, TUE_1208_2000, WED_1209_0930, id, sizeof id);
}

static int setup_calendar(void **state)
{
    net_t *n = net_new(calendar_json);
    net_start(n, WED_0930_1700 - DAY_MS);
    *state = n;
    return 0;
}

int main(void)
{
    gl_log_init("test_district", GL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_climbs_by_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_return_reassign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escalation_waits_for_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_working_time_deadlines, setup_calendar, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
