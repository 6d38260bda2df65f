/* test_policy.c: SLA rule parsing, rule choice and the name tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "error.h"
#include "policy.h"

#define T_DISTRICT  GRIDLINK__V1__TIER__TIER_DISTRICT
#define T_TOWNSHIP  GRIDLINK__V1__TIER__TIER_TOWNSHIP
#define T_COMMUNITY GRIDLINK__V1__TIER__TIER_COMMUNITY
#define T_GRID      GRIDLINK__V1__TIER__TIER_GRID
#define P_NORMAL    GRIDLINK__V1__PRIORITY__PRIORITY_NORMAL
#define P_URGENT    GRIDLINK__V1__PRIORITY__PRIORITY_URGENT
#define P_EMERGENCY GRIDLINK__V1__PRIORITY__PRIORITY_EMERGENCY

static gl_policy_t *policy_from(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    gl_policy_t *p = NULL;
    char err[256] = "";
    int rc = gl_policy_from_json(j, &p, err, sizeof err);
    json_decref(j);
    if (rc != 0)
        fail_msg("policy rejected: %s", err);
    return p;
}

/* The accept deadline (ms) chosen for a case, or -1 when no rule matches. */
static int64_t accept_for(const gl_policy_t *p, Gridlink__V1__Tier tier, const char *cat, int prio)
{
    int64_t a = 99, r = 99;
    int rc = gl_policy_deadline_for(p, tier, cat, prio, &a, &r);
    if (rc == GL_ENOENT) {
        assert_int_equal(a, 0);
        assert_int_equal(r, 0);
        return -1;
    }
    assert_int_equal(rc, 0);
    return a;
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(gl_tier_parse("district"), T_DISTRICT);
    assert_int_equal(gl_tier_parse("township"), T_TOWNSHIP);
    assert_int_equal(gl_tier_parse("community"), T_COMMUNITY);
    assert_int_equal(gl_tier_parse("grid"), T_GRID);
    assert_int_equal(gl_tier_parse("department"), GRIDLINK__V1__TIER__TIER_DEPARTMENT);
    assert_int_equal(gl_tier_parse("any"), GRIDLINK__V1__TIER__TIER_UNKNOWN);
    assert_int_equal(gl_tier_parse("District"), -1);
    assert_int_equal(gl_tier_parse(""), -1);
    assert_int_equal(gl_tier_parse(NULL), -1);
    for (int t = 0; t <= GRIDLINK__V1__TIER__TIER_DEPARTMENT; t++)
        assert_int_equal(gl_tier_parse(gl_tier_name(t)), t);
    assert_string_equal(gl_tier_name(T_GRID), "grid");
    assert_string_equal(gl_tier_name(99), "unknown");
    assert_string_equal(gl_tier_name(-5), "unknown");
    assert_string_equal(gl_tier_name(GRIDLINK__V1__TIER__TIER_DEPARTMENT), "department");

    /* A rule may be for departments, and is written back as such. */
    gl_policy_t *dept = policy_from("[{\"tier\":\"department\",\"accept_s\":3,\"resolve_s\":8}]");
    assert_int_equal(accept_for(dept, GRIDLINK__V1__TIER__TIER_DEPARTMENT, "urban", 0), 3000);
    assert_int_equal(accept_for(dept, T_DISTRICT, "urban", 0), -1);
    json_t *j = gl_policy_to_json(dept);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "tier")), "department");
    json_decref(j);
    gl_policy_free(&dept);

    assert_int_equal(gl_priority_parse("normal"), P_NORMAL);
    assert_int_equal(gl_priority_parse("urgent"), P_URGENT);
    assert_int_equal(gl_priority_parse("emergency"), P_EMERGENCY);
    assert_int_equal(gl_priority_parse("any"), -1);
    assert_int_equal(gl_priority_parse("high"), -1);
    assert_int_equal(gl_priority_parse(NULL), -1);
    for (int p = 0; p <= 2; p++)
        assert_int_equal(gl_priority_parse(gl_priority_name(p)), p);
    assert_string_equal(gl_priority_name(-1), "any");
    assert_string_equal(gl_priority_name(7), "unknown");
}

static void test_parse_fields(void **state)
{
    (void)state;
    gl_policy_t *p = policy_from("[{\"tier\":\"community\",\"category\":\"urban/roads\",\"priority\":\"urgent\","
                                 "\"accept_s\":3600,\"resolve_ms\":1500},"
                                 "{\"accept_ms\":250},"
                                 "{\"tier\":\"any\",\"priority\":\"any\",\"category\":null}]");
    assert_int_equal(p->n_rules, 3);
    assert_int_equal(p->rules[0].tier, T_COMMUNITY);
    assert_string_equal(p->rules[0].category, "urban/roads");
    assert_int_equal(p->rules[0].priority, P_URGENT);
    assert_int_equal(p->rules[0].accept_ms, 3600000);
    assert_int_equal(p->rules[0].resolve_ms, 1500);
    assert_int_equal(p->rules[1].tier, GRIDLINK__V1__TIER__TIER_UNKNOWN);
    assert_null(p->rules[1].category);
    assert_int_equal(p->rules[1].priority, -1);
    assert_int_equal(p->rules[1].accept_ms, 250);
    assert_int_equal(p->rules[1].resolve_ms, 0);
    assert_int_equal(p->rules[2].priority, -1);
    assert_null(p->rules[2].category);
    gl_policy_free(&p);
    assert_null(p);
    gl_policy_free(&p); /* harmless twice */

    /* NULL rules and an empty array both give an empty policy. */
    char err[128];
    assert_int_equal(gl_policy_from_json(NULL, &p, err, sizeof err), 0);
    assert_int_equal(p->n_rules, 0);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban", P_NORMAL), -1);
    gl_policy_free(&p);
    p = policy_from("[]");
    assert_int_equal(p->n_rules, 0);
    gl_policy_free(&p);
}

static void test_specificity(void **state)
{
    (void)state;
    /* Listed from most to least specific, so that "later wins" cannot be
     * what makes the specific rules win. */
    gl_policy_t *p =
        policy_from("["
                    "{\"tier\":\"community\",\"category\":\"urban\",\"priority\":\"urgent\",\"accept_s\":4},"
                    "{\"tier\":\"community\",\"priority\":\"urgent\",\"accept_s\":3},"
                    "{\"tier\":\"community\",\"category\":\"urban\",\"accept_s\":2},"
                    "{\"tier\":\"community\",\"accept_s\":1},"
                    "{\"tier\":\"any\",\"accept_s\":9}"
                    "]");
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban/roads", P_URGENT), 4000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "party", P_URGENT), 3000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban", P_NORMAL), 2000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "party", P_NORMAL), 1000);
    assert_int_equal(accept_for(p, T_COMMUNITY, NULL, P_NORMAL), 1000);
    /* Other tiers fall through to the "any" rule. */
    assert_int_equal(accept_for(p, T_TOWNSHIP, "urban", P_URGENT), 9000);
    assert_int_equal(accept_for(p, T_GRID, NULL, P_NORMAL), 9000);
    gl_policy_free(&p);

    /* A priority match beats a category match, whatever the order. */
    p = policy_from("[{\"priority\":\"emergency\",\"accept_s\":5},{\"category\":\"governance\",\"accept_s\":6}]");
    assert_int_equal(accept_for(p, T_DISTRICT, "governance", P_EMERGENCY), 5000);
    assert_int_equal(accept_for(p, T_DISTRICT, "governance", P_NORMAL), 6000);
    gl_policy_free(&p);

    /* A tier-any rule with category and priority beats a tier-only rule
     * (the demo's override for governance emergencies). */
    p = policy_from("[{\"tier\":\"township\",\"accept_s\":15},"
                    "{\"category\":\"governance\",\"priority\":\"emergency\",\"accept_s\":5}]");
    assert_int_equal(accept_for(p, T_TOWNSHIP, "governance/safety", P_EMERGENCY), 5000);
    assert_int_equal(accept_for(p, T_TOWNSHIP, "governance/safety", P_URGENT), 15000);
    gl_policy_free(&p);

    /* Naming the tier beats "any" at the same level. */
    p = policy_from("[{\"tier\":\"grid\",\"accept_s\":0,\"resolve_s\":0},{\"accept_s\":7}]");
    int64_t a = 1, r = 1;
    assert_int_equal(gl_policy_deadline_for(p, T_GRID, "urban", P_NORMAL, &a, &r), 0);
    assert_int_equal(a, 0);
    assert_int_equal(r, 0);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban", P_NORMAL), 7000);
    gl_policy_free(&p);
}

static void test_later_wins(void **state)
{
    (void)state;
    gl_policy_t *p = policy_from("[{\"tier\":\"community\",\"accept_s\":1,\"resolve_s\":10},"
                                 "{\"tier\":\"community\",\"accept_s\":2,\"resolve_s\":20},"
                                 "{\"tier\":\"community\",\"category\":\"urban\",\"accept_s\":3},"
                                 "{\"tier\":\"community\",\"category\":\"urban\",\"accept_s\":4}]");
    int64_t a, r;
    assert_int_equal(gl_policy_deadline_for(p, T_COMMUNITY, "party", P_NORMAL, &a, &r), 0);
    assert_int_equal(a, 2000);
    assert_int_equal(r, 20000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban/roads", P_NORMAL), 4000);
    /* Output pointers may be NULL. */
    assert_int_equal(gl_policy_deadline_for(p, T_COMMUNITY, "party", P_NORMAL, NULL, NULL), 0);
    gl_policy_free(&p);
}

static void test_category_prefix(void **state)
{
    (void)state;
    gl_policy_t *p = policy_from("[{\"category\":\"urban\",\"accept_s\":1},"
                                 "{\"category\":\"urban/roads\",\"accept_s\":2}]");
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban", P_NORMAL), 1000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban/lights", P_NORMAL), 1000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban/roads", P_NORMAL), 2000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban/roads/potholes", P_NORMAL), 2000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban/roadsx", P_NORMAL), 1000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urbanx", P_NORMAL), -1);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urba", P_NORMAL), -1);
    assert_int_equal(accept_for(p, T_COMMUNITY, "", P_NORMAL), -1);
    assert_int_equal(accept_for(p, T_COMMUNITY, NULL, P_NORMAL), -1);
    gl_policy_free(&p);

    /* The longer prefix is the more specific, even when listed first. */
    p = policy_from("[{\"category\":\"urban/roads\",\"accept_s\":2},{\"category\":\"urban\",\"accept_s\":1}]");
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban/roads", P_NORMAL), 2000);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban/parks", P_NORMAL), 1000);
    gl_policy_free(&p);
}

static void test_no_match(void **state)
{
    (void)state;
    gl_policy_t *p = policy_from("[{\"tier\":\"district\",\"priority\":\"urgent\",\"accept_s\":1}]");
    int64_t a = 5, r = 5;
    assert_int_equal(gl_policy_deadline_for(p, T_DISTRICT, "urban", P_NORMAL, &a, &r), GL_ENOENT);
    assert_int_equal(a, 0);
    assert_int_equal(r, 0);
    assert_int_equal(gl_policy_deadline_for(p, T_TOWNSHIP, "urban", P_URGENT, &a, &r), GL_ENOENT);
    assert_int_equal(accept_for(p, T_DISTRICT, "urban", P_URGENT), 1000);
    gl_policy_free(&p);
    assert_int_equal(gl_policy_deadline_for(NULL, T_DISTRICT, "urban", P_URGENT, &a, &r), GL_ENOENT);
}

static void test_bad_rules(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"{\"tier\":\"grid\"}", "array"},
        {"[1]", "sla[0]: rule must be an object"},
        {"[{\"tier\":\"grid\"},{\"tier\":\"village\"}]", "sla[1]: tier"},
        {"[{\"tier\":3}]", "sla[0]: tier"},
        {"[{\"priority\":\"high\"}]", "sla[0]: priority"},
        {"[{\"priority\":1}]", "sla[0]: priority"},
        {"[{\"category\":\"\"}]", "sla[0]: category"},
        {"[{\"category\":\"urban/\"}]", "sla[0]: category"},
        {"[{\"category\":\"a//b\"}]", "sla[0]: category"},
        {"[{\"category\":7}]", "sla[0]: category"},
        {"[{\"accept_s\":-1}]", "sla[0]: accept_s"},
        {"[{\"accept_s\":1.5}]", "sla[0]: accept_s"},
        {"[{\"resolve_s\":\"3600\"}]", "sla[0]: resolve_s"},
        {"[{\"resolve_s\":9223372036854775807}]", "sla[0]: resolve_s out of range"},
        {"[{\"accept_s\":1,\"accept_ms\":1000}]", "not both"},
        {"[{\"resolve_sec\":1}]", "unknown key 'resolve_sec'"},
        {"[{\"accept_s\":1,\"accept_wh\":1}]", "sla[0]: give accept_s or accept_wh, not both"},
        {"[{\"resolve_wh\":1,\"resolve_wd\":1}]", "sla[0]: give resolve_wh or resolve_wd, not both"},
        {"[{\"accept_wh\":1.5}]", "sla[0]: accept_wh must be an integer number of working hours"},
        {"[{\"resolve_wd\":-2}]", "sla[0]: resolve_wd must be"},
        {"[{\"resolve_wd\":3661}]", "sla[0]: resolve_wd out of range"},
        {"[{\"accept_wh\":87841}]", "sla[0]: accept_wh out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t jerr;
        json_t *j = json_loads(cases[i].json, 0, &jerr);
        assert_non_null(j);
        gl_policy_t *p = (gl_policy_t *)0x1;
        char err[256] = "";
        int rc = gl_policy_from_json(j, &p, err, sizeof err);
        json_decref(j);
        if (rc != GL_EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu (%s): rc %d, err '%s', wanted '%s'", i, cases[i].json, rc, err, cases[i].msg);
        assert_null(p);
    }
    /* A NULL err buffer is allowed. */
    json_t *j = json_loads("[3]", 0, NULL);
    gl_policy_t *p = NULL;
    assert_int_equal(gl_policy_from_json(j, &p, NULL, 0), GL_EINVAL);
    json_decref(j);
}

static void test_round_trip(void **state)
{
    (void)state;
    gl_policy_t *p = policy_from("[{\"tier\":\"grid\",\"accept_s\":0,\"resolve_s\":0},"
                                 "{\"tier\":\"community\",\"category\":\"urban/roads\",\"priority\":\"emergency\","
                                 "\"accept_ms\":1500,\"resolve_s\":60},"
                                 "{\"accept_s\":20}]");
    json_t *j1 = gl_policy_to_json(p);
    assert_non_null(j1);
    assert_int_equal(json_array_size(j1), 3);
    /* Whole seconds come back as *_s, the rest as *_ms. */
    json_t *r1 = json_array_get(j1, 1);
    assert_int_equal(json_integer_value(json_object_get(r1, "accept_ms")), 1500);
    assert_int_equal(json_integer_value(json_object_get(r1, "resolve_s")), 60);
    assert_string_equal(json_string_value(json_object_get(r1, "priority")), "emergency");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j1, 2), "tier")), "any");

    gl_policy_t *q = NULL;
    char err[128];
    assert_int_equal(gl_policy_from_json(j1, &q, err, sizeof err), 0);
    json_t *j2 = gl_policy_to_json(q);
    assert_true(json_equal(j1, j2));
    for (size_t i = 0; i < p->n_rules; i++) {
        assert_int_equal(p->rules[i].tier, q->rules[i].tier);
        assert_int_equal(p->rules[i].priority, q->rules[i].priority);
        assert_int_equal(p->rules[i].accept_ms, q->rules[i].accept_ms);
        assert_int_equal(p->rules[i].resolve_ms, q->rules[i].resolve_ms);
    }
    json_decref(j1);
    json_decref(j2);
    gl_policy_free(&p);
    gl_policy_free(&q);

    json_t *empty = gl_policy_to_json(NULL);
    assert_true(json_is_array(empty));
    assert_int_equal(json_array_size(empty), 0);
    json_decref(empty);
}

static void test_working_units(void **state)
{
    (void)state;
    gl_policy_t *p = policy_from("[{\"tier\":\"community\",\"accept_wh\":4,\"resolve_wd\":3},"
                                 "{\"tier\":\"community\",\"category\":\"governance\",\"priority\":\"emergency\","
                                 "\"accept_s\":1800,\"resolve_s\":86400},"
                                 "{\"tier\":\"township\",\"accept_wd\":1}]");
    gl_time_limit a, r;
    assert_int_equal(gl_policy_limits_for(p, T_COMMUNITY, "urban/roads", P_NORMAL, &a, &r), 0);
    assert_int_equal(a.unit, GL_TIME_WORKING_HOURS);
    assert_int_equal(a.amount, 4);
    assert_int_equal(r.unit, GL_TIME_WORKING_DAYS);
    assert_int_equal(r.amount, 3);
    /* The nominal lengths: a working hour as 1 h, a working day as 24 h. */
    assert_int_equal(p->rules[0].accept_ms, 4 * 3600000LL);
    assert_int_equal(p->rules[0].resolve_ms, 3 * 86400000LL);
    assert_int_equal(accept_for(p, T_COMMUNITY, "urban", P_NORMAL), 4 * 3600000LL);
    /* Emergencies stay on the clock. */
    assert_int_equal(gl_policy_limits_for(p, T_COMMUNITY, "governance/safety", P_EMERGENCY, &a, &r), 0);
    assert_int_equal(a.unit, GL_TIME_MS);
    assert_int_equal(a.amount, 1800000);
    assert_int_equal(r.amount, 86400000);
    /* A limit not given is none, in any unit. */
    assert_int_equal(gl_policy_limits_for(p, T_TOWNSHIP, "party", P_NORMAL, &a, NULL), 0);
    assert_int_equal(a.unit, GL_TIME_WORKING_DAYS);
    assert_int_equal(gl_policy_limits_for(p, T_TOWNSHIP, "party", P_NORMAL, NULL, &r), 0);
    assert_int_equal(r.amount, 0);
    assert_int_equal(gl_policy_limits_for(p, T_DISTRICT, "party", P_NORMAL, &a, &r), GL_ENOENT);
    assert_int_equal(a.amount, 0);
    assert_int_equal(r.amount, 0);

    /* Written back in the units they were given in. */
    json_t *j = gl_policy_to_json(p);
    json_t *want = json_loads("[{\"tier\":\"community\",\"accept_wh\":4,\"resolve_wd\":3},"
                              "{\"tier\":\"community\",\"category\":\"governance\",\"priority\":\"emergency\","
                              "\"accept_s\":1800,\"resolve_s\":86400},"
                              "{\"tier\":\"township\",\"accept_wd\":1,\"resolve_s\":0}]",
                              0, NULL);
    assert_true(json_equal(j, want));
    json_decref(want);
    json_decref(j);
    gl_policy_free(&p);

    /* Where no rule is for the tier, the catalogue's limits, in their units. */
    json_t *kinds = json_loads("[{\"code\":\"urban\",\"name\":\"城管\",\"accept_wh\":1,\"resolve_wd\":5,"
                               "\"subcategories\":[{\"code\":\"urban/sanitation\",\"name\":\"环境卫生\","
                               "\"accept_wh\":1,\"resolve_wh\":5}]}]",
                               0, NULL);
    gl_catalogue_t *cat = NULL;
    char err[256] = "";
    assert_int_equal(gl_catalogue_from_json(kinds, &cat, err, sizeof err), 0);
    json_decref(kinds);
    p = policy_from("[{\"tier\":\"grid\",\"accept_s\":0,\"resolve_s\":0}]");
    p->defaults = cat;
    assert_int_equal(gl_policy_limits_for(p, T_COMMUNITY, "urban/sanitation", P_NORMAL, &a, &r), 0);
    assert_int_equal(r.unit, GL_TIME_WORKING_HOURS);
    assert_int_equal(r.amount, 5);
    assert_int_equal(gl_policy_limits_for(p, T_COMMUNITY, "urban/roads", P_NORMAL, &a, &r), 0);
    assert_int_equal(r.unit, GL_TIME_WORKING_DAYS);
    assert_int_equal(r.amount, 5);
    gl_policy_free(&p);
    gl_catalogue_free(&cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),      cmocka_unit_test(test_parse_fields),    cmocka_unit_test(test_specificity),
        cmocka_unit_test(test_later_wins), cmocka_unit_test(test_category_prefix), cmocka_unit_test(test_no_match),
        cmocka_unit_test(test_bad_rules),  cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_working_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
