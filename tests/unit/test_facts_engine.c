/* test_facts_engine.c: facts in the engines of a small district
 * (engine_net): a community and its township report facts; a fact of
 * another tier, a bad value and a date ahead are refused; every change is
 * a fact event of the unit's log (with who and when) and an entry of its
 * store's history, listed by name and in the order reported, one name's
 * alone when asked; a listing holds at most GL_FACTS_LIST_MAX entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "engine.h"
#include "engine_net.h"
#include "error.h"
#include "facts.h"

#define TOWNSHIP "xinbei.sanjing"
#define C01      "xinbei.sanjing.c01"
#define G1       "xinbei.sanjing.c01.g1"
#define T0       1700000000000LL /* 2023-11-15 local */

static const char *topology_json =
    "{\"name\": \"district\", \"port_base\": 17400, \"nodes\": ["
    "  {\"id\": \"xinbei\", \"tier\": \"district\", \"name\": \"新北区\"},"
    "  {\"id\": \"xinbei.sanjing\", \"tier\": \"township\", \"name\": \"三井街道\"},"
    "  {\"id\": \"xinbei.sanjing.c01\", \"tier\": \"community\", \"name\": \"第一社区\"},"
    "  {\"id\": \"xinbei.sanjing.c01.g1\", \"tier\": \"grid\", \"name\": \"第一社区第1网格\"}]}";

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

static Gridlink__V1__CtlReply *set(net_t *n, const char *node, const char *name, double v, const char *as_of,
                                   int64_t now)
{
    gl_fact f = GRIDLINK__V1__FACT__INIT;
    f.name = (char *)name;
    f.value = v;
    f.as_of = (char *)(as_of ? as_of : "");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "fact-set";
    req.fact = &f;
    req.user = "zhao";
    return net_call(n, node, &req, now);
}

static void expect_code(Gridlink__V1__CtlReply *rep, int code)
{
    assert_non_null(rep);
    if (rep->code != code)
        fail_msg("code %d (%s), expected %d", rep->code, rep->error, code);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static Gridlink__V1__CtlReply *list(net_t *n, const char *node, const char *name)
{
    gl_fact f = GRIDLINK__V1__FACT__INIT;
    f.name = (char *)(name ? name : "");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "facts";
    req.fact = &f;
    Gridlink__V1__CtlReply *rep = net_call(n, node, &req, T0 + 10000);
    assert_non_null(rep);
    assert_int_equal(rep->code, 0);
    return rep;
}

static void test_report_and_history(void **state)
{
    net_t *n = *state;
    Gridlink__V1__CtlReply *rep = set(n, C01, "service_room_m2", 650, "2017-01-01", T0 + 1000);
    assert_int_equal(rep->code, 0);
    assert_int_equal(rep->n_events, 1);
    assert_string_equal(rep->events[0]->kind, "fact");
    assert_string_equal(rep->events[0]->fact->by, "tester"); /* the caller, not what the request claims */
    assert_true(rep->events[0]->seq > 0);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    expect_code(set(n, C01, "service_room_m2", 820, NULL, T0 + 2000), 0);
    expect_code(set(n, C01, "social_orgs", 7, "2017-05-01", T0 + 3000), 0);
    expect_code(set(n, TOWNSHIP, "grid_management", 1, NULL, T0 + 4000), 0);
    /* Refused: another tier's fact, a grid's, a flag of 2, a date ahead. */
    expect_code(set(n, C01, "grid_management", 1, NULL, T0 + 5000), GL_EINVAL);
    expect_code(set(n, G1, "social_orgs", 1, NULL, T0 + 5000), GL_EINVAL);
    expect_code(set(n, C01, "harmonious_community", 2, NULL, T0 + 5000), GL_EINVAL);
    expect_code(set(n, C01, "social_orgs", 3, "2023-11-16", T0 + 5000), GL_EINVAL);
    assert_int_equal(net_events(n, C01, "fact", NULL), 3);
    assert_int_equal(net_events(n, TOWNSHIP, "fact", NULL), 1);
    assert_int_equal(net_events(n, G1, "fact", NULL), 0);

    rep = list(n, C01, NULL);
    assert_int_equal(rep->n_events, 3);
    assert_string_equal(rep->events[0]->fact->name, "service_room_m2");
    assert_true(rep->events[0]->fact->value == 650);
    assert_true(rep->events[1]->fact->value == 820);
    assert_string_equal(rep->events[1]->fact->as_of, "2023-11-15"); /* today, local */
    assert_true(rep->events[0]->seq < rep->events[1]->seq);
    assert_string_equal(rep->events[2]->fact->name, "social_orgs");
    assert_int_equal(rep->events[1]->time_ms, T0 + 2000);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    rep = list(n, C01, "social_orgs");
    assert_int_equal(rep->n_events, 1);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static void test_listing_bound(void **state)
{
    net_t *n = *state;
    for (int i = 0; i < GL_FACTS_LIST_MAX + 5; i++)
        expect_code(set(n, C01, "social_orgs", i % 20, "2017-01-01", T0 + 1000 + i), 0);
    Gridlink__V1__CtlReply *rep = list(n, C01, NULL);
    assert_int_equal(rep->n_events, GL_FACTS_LIST_MAX);
    assert_true(rep->events[0]->fact->value == 0);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listing_bound, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
