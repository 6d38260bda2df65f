/* test_engine_appraisals.c: 群众评议 in the engines of a small district
 * (engine_net, nodes/appraisals.c): the district issues tickets for a month
 * (codes in the reply, their hashes kept); a resident appraises with them
 * in their month only, once per unit, by the month of Beijing time at the
 * instant the appraisal arrives; the league table adds a quarter's months
 * up, a week takes what was given in it, and the table ranks by the
 * minimum sample; none of it is served anywhere but at
 * the district, nor to the wrong caller. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_net.h"
#include "error.h"
#include "rescode.h"

#define OCT15    1792022400000LL /* 2026-10-15 00:00 UTC */
#define NOV1_CST 1793462400000LL /* 2026-11-01 00:00 Beijing = 2026-10-31 16:00 UTC */
#define NOV15    1794700800000LL

static const char *topology_json =
    "{\"name\": \"district\", \"port_base\": 17300,"
    " \"nodes\": ["
    "  {\"id\": \"xinbei\", \"tier\": \"district\", \"name\": \"新北区\"},"
    "  {\"id\": \"xinbei.sanjing\", \"tier\": \"township\", \"name\": \"三井街道\"},"
    "  {\"id\": \"xinbei.t2\", \"tier\": \"township\", \"name\": \"第二街道\"},"
    "  {\"id\": \"xinbei.sanjing.c01\", \"tier\": \"community\", \"name\": \"第一社区\"},"
    "  {\"id\": \"xinbei.sanjing.c01.g1\", \"tier\": \"grid\", \"name\": \"第一社区第1网格\"},"
    "  {\"id\": \"xinbei.urban\", \"tier\": \"department\", \"name\": \"区城市管理局\"}]}";

static int setup(void **state)
{
    net_t *n = net_new(topology_json);
    net_start(n, OCT15);
    *state = n;
    return 0;
}

static int teardown(void **state)
{
    net_t *n = *state;
    net_free(&n);
    return 0;
}

/* count tickets for month at node: the reply (the caller frees it). */
static Gridlink__V1__CtlReply *tickets(net_t *n, const char *node, const char *month, uint32_t count)
{
    Gridlink__V1__CtlRequest q = GRIDLINK__V1__CTL_REQUEST__INIT;
    q.op = "appraisal-tickets";
    q.period = (char *)month;
    q.max = count;
    return net_call(n, node, &q, OCT15);
}

/* The code at the district as a resident; the reply's code (0 or a gl_err). */
static int appraise_as(net_t *n, unsigned role, const char *code, const char *unit, unsigned level, const char *period,
                       int64_t now)
{
    uint8_t hash[GL_RECEIPT_HASH];
    gl_resident_code_hash(code, hash);
    Gridlink__V1__CtlRequest q = GRIDLINK__V1__CTL_REQUEST__INIT;
    q.op = "appraise";
    q.unit = (char *)unit;
    q.level = level;
    q.period = (char *)period;
    q.note = "意见";
    q.receipt.data = hash;
    q.receipt.len = sizeof hash;
    Gridlink__V1__CtlReply *r = net_call_as(n, "xinbei", role, &q, now);
    int rc = r->code;
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);
    return rc;
}

static int appraise(net_t *n, const char *code, const char *unit, unsigned level, int64_t now)
{
    return appraise_as(n, GL_ROLE_RESIDENT, code, unit, level, "", now);
}

static Gridlink__V1__CtlReply *table(net_t *n, const char *node, const char *period, Gridlink__V1__Tier tier)
{
    Gridlink__V1__CtlRequest q = GRIDLINK__V1__CTL_REQUEST__INIT;
    q.op = "appraisals";
    q.period = (char *)period;
    q.tier = tier;
    return net_call(n, node, &q, NOV15);
}

static const Gridlink__V1__AppraisalRow *row(const Gridlink__V1__AppraisalTable *t, const char *unit)
{
    for (size_t i = 0; i < t->n_rows; i++)
        if (strcmp(t->rows[i]->unit, unit) == 0)
            return t->rows[i];
    fail_msg("%s is not in the table", unit);
    return NULL;
}

static void test_tickets_and_appraisals(void **state)
{
    net_t *n = *state;
    Gridlink__V1__CtlReply *oct = tickets(n, "xinbei", "2026-10", 3), *nov = tickets(n, "xinbei", "2026-11", 2);
    assert_int_equal(oct->code, 0);
    assert_int_equal(oct->n_codes, 3);
    assert_int_equal(nov->n_codes, 2);
    char norm[GL_PUBLIC_CODE_LEN + 1];
    for (size_t i = 0; i < oct->n_codes; i++)
        assert_true(gl_resident_code_norm(oct->codes[i], norm));
    assert_string_not_equal(oct->codes[0], oct->codes[1]);
    Gridlink__V1__CtlReply *bad[] = {tickets(n, "xinbei.sanjing", "2026-10", 1), tickets(n, "xinbei", "2026-10", 0),
                                     tickets(n, "xinbei", "2026-Q4", 1), tickets(n, "xinbei", "2026-10", 1001)};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(bad[i]->code, GL_EINVAL);
        assert_int_equal(bad[i]->n_codes, 0);
        gridlink__v1__ctl_reply__free_unpacked(bad[i], NULL);
    }

    /* October. */
    const char *o1 = oct->codes[0], *o2 = oct->codes[1], *n1 = nov->codes[0];
    assert_int_equal(appraise(n, o1, "xinbei.sanjing", 3, OCT15), 0);
    assert_int_equal(appraise(n, o1, "xinbei.sanjing", 1, OCT15), GL_EEXIST); /* once a unit a month */
    assert_int_equal(appraise(n, o1, "xinbei.t2", 1, OCT15), 0);
    assert_int_equal(appraise(n, o2, "xinbei.t2", 2, OCT15), 0);
    assert_int_equal(appraise(n, o1, "xinbei.sanjing.c01", 2, OCT15), 0);
    assert_int_equal(appraise(n, o1, "xinbei.urban", 3, OCT15), 0);
    assert_int_equal(appraise(n, o1, "xinbei.sanjing.c01.g1", 3, OCT15), GL_ENOENT); /* a grid is not appraised */
    assert_int_equal(appraise(n, o1, "xinbei", 3, OCT15), GL_ENOENT);
    assert_int_equal(appraise(n, o1, "xinbei.nowhere", 3, OCT15), GL_ENOENT);
    assert_int_equal(appraise(n, o2, "xinbei.sanjing", 0, OCT15), GL_EINVAL);
    assert_int_equal(appraise(n, o2, "xinbei.sanjing", 4, OCT15), GL_EINVAL);
    assert_int_equal(appraise(n, "222222222222", "xinbei.sanjing", 3, OCT15), GL_ENOENT);
    assert_int_equal(appraise(n, n1, "xinbei.sanjing", 3, OCT15), GL_EINVAL); /* November's ticket */
    assert_int_equal(appraise_as(n, GL_ROLE_RESIDENT, o2, "xinbei.sanjing", 3, "2026-11", OCT15), GL_EINVAL);
    assert_int_equal(appraise_as(n, GL_ROLE_OPERATOR, o2, "xinbei.sanjing", 3, "", OCT15), GL_EPERM);
    assert_int_equal(appraise_as(n, GL_ROLE_RESIDENT, o2, "xinbei.sanjing", 3, "2026-10", OCT15), 0);

    /* The month turns at midnight in Beijing, eight hours before UTC's. */
    const char *o3 = oct->codes[2];
    assert_int_equal(appraise(n, n1, "xinbei.sanjing", 2, NOV1_CST - 1), GL_EINVAL);
    assert_int_equal(appraise(n, o3, "xinbei.sanjing", 2, NOV1_CST), GL_EINVAL);
    assert_int_equal(appraise(n, n1, "xinbei.sanjing", 2, NOV1_CST), 0);
    assert_int_equal(appraise(n, nov->codes[1], "xinbei.t2", 3, NOV15), 0);
    gridlink__v1__ctl_reply__free_unpacked(oct, NULL);
    gridlink__v1__ctl_reply__free_unpacked(nov, NULL);

    /* The tables: October, November, the quarter (both), the third quarter (none). */
    setenv("GRIDLINK_APPRAISAL_MIN_SAMPLE", "2", 1);
    Gridlink__V1__CtlReply *r = table(n, "xinbei", "2026-10", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    assert_int_equal(r->code, 0);
    const Gridlink__V1__AppraisalTable *t = r->appraisals;
    assert_non_null(t);
    assert_string_equal(t->period, "2026-10");
    assert_string_equal(t->formula, "gl-appraisal-1");
    assert_int_equal(t->min_sample, 2);
    assert_int_equal(t->total, 4);
    assert_int_equal(t->n_rows, 2);
    assert_int_equal(row(t, "xinbei.sanjing")->count, 2); /* o1 满意, o2 满意 */
    assert_true(row(t, "xinbei.sanjing")->ranked && row(t, "xinbei.t2")->ranked);
    assert_int_equal(row(t, "xinbei.t2")->basically, 1);
    assert_int_equal(row(t, "xinbei.t2")->dissatisfied, 1);
    assert_string_equal(t->rows[0]->unit, "xinbei.sanjing"); /* score 100 before 30 */
    assert_int_equal(t->rows[0]->rank, 1);
    assert_string_equal(row(t, "xinbei.sanjing")->name, "三井街道");
    assert_int_equal(t->n_red, 1);
    assert_string_equal(t->red[0], "xinbei.sanjing");
    assert_string_equal(t->black[0], "xinbei.t2");
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);

    r = table(n, "xinbei", "2026-11", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    t = r->appraisals;
    assert_int_equal(t->total, 2);
    assert_false(row(t, "xinbei.sanjing")->ranked); /* one each: below 2 */
    assert_int_equal(row(t, "xinbei.sanjing")->rank, 0);
    assert_int_equal(t->n_red, 0);
    assert_int_equal(t->n_black, 0);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);

    r = table(n, "xinbei", "2026-Q4", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    t = r->appraisals;
    assert_int_equal(t->total, 6);
    const Gridlink__V1__AppraisalRow *s = row(t, "xinbei.sanjing"), *t2 = row(t, "xinbei.t2");
    assert_int_equal(s->count, 3);
    assert_int_equal(s->satisfied, 2);
    assert_int_equal(s->basically, 1);
    assert_true(s->score > 86.66 && s->score < 86.68); /* 100 * (2 + 0.6) / 3 */
    assert_true(s->satisfaction_rate == 1.0);
    assert_int_equal(t2->count, 3);
    assert_true(t2->score > 53.32 && t2->score < 53.34); /* 100 * (1 + 0.6) / 3 */
    assert_true(t2->satisfaction_rate > 0.6666 && t2->satisfaction_rate < 0.6668);
    assert_int_equal(s->rank, 1);
    assert_int_equal(t2->rank, 2);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);

    r = table(n, "xinbei", "2026", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    assert_int_equal(r->appraisals->total, 6);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);
    r = table(n, "xinbei", "2026-Q3", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    assert_int_equal(r->appraisals->total, 0);
    assert_int_equal(r->appraisals->n_rows, 2); /* every unit, as zeros */
    assert_int_equal(row(r->appraisals, "xinbei.t2")->count, 0);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);

    /* Weeks count the appraisals given in them: W42 holds October 15th's,
     * W44 (October 26th to November 1st) the one at November's first
     * instant, W43 none. */
    r = table(n, "xinbei", "2026-W42", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    assert_int_equal(r->code, 0);
    assert_int_equal(r->appraisals->total, 4);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);
    r = table(n, "xinbei", "2026-W44", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    assert_int_equal(r->appraisals->total, 1);
    assert_int_equal(row(r->appraisals, "xinbei.sanjing")->basically, 1);
    assert_string_equal(r->appraisals->period, "2026-W44");
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);
    r = table(n, "xinbei", "2026-W43", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    assert_int_equal(r->appraisals->total, 0);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);

    /* Other tiers count their own. */
    r = table(n, "xinbei", "2026-Q4", GRIDLINK__V1__TIER__TIER_COMMUNITY);
    assert_int_equal(r->appraisals->total, 1);
    assert_int_equal(row(r->appraisals, "xinbei.sanjing.c01")->basically, 1);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);
    r = table(n, "xinbei", "2026-10", GRIDLINK__V1__TIER__TIER_DEPARTMENT);
    assert_int_equal(row(r->appraisals, "xinbei.urban")->satisfied, 1);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);
    unsetenv("GRIDLINK_APPRAISAL_MIN_SAMPLE");
    r = table(n, "xinbei", "2026-Q4", GRIDLINK__V1__TIER__TIER_TOWNSHIP);
    assert_int_equal(r->appraisals->min_sample, 10);
    assert_false(row(r->appraisals, "xinbei.sanjing")->ranked);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);

    /* Refused: elsewhere than the district, a grid's table, a bad period. */
    Gridlink__V1__CtlReply *no[] = {table(n, "xinbei.sanjing", "2026-10", GRIDLINK__V1__TIER__TIER_TOWNSHIP),
                                    table(n, "xinbei", "2026-10", GRIDLINK__V1__TIER__TIER_GRID),
                                    table(n, "xinbei", "2026-13", GRIDLINK__V1__TIER__TIER_TOWNSHIP),
                                    table(n, "xinbei", "2026-Q5", GRIDLINK__V1__TIER__TIER_TOWNSHIP)};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(no[i]->code, GL_EINVAL);
        assert_null(no[i]->appraisals);
        gridlink__v1__ctl_reply__free_unpacked(no[i], NULL);
    }
    /* Nothing of it went over the tree. */
    net_assert_quiet(n);
    assert_int_equal(net_settle(n, NOV15), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tickets_and_appraisals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
