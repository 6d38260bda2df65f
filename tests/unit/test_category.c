/* test_category.c: the category catalogue and category sets: the built-in
 * catalogue and the committed topologies' copies of it, parsing and its
 * errors, lookups, the list text, the community work-access list in a
 * topology, the catalogue's limits under an SLA policy, and saving.
 *
 * The committed files are found through GL_SRC (the source tree), or, when
 * that is unset, from this file's own path, which CMake passes absolute. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "category.h"
#include "error.h"
#include "topology.h"

#define T_DISTRICT  GRIDLINK__V1__TIER__TIER_DISTRICT
#define T_TOWNSHIP  GRIDLINK__V1__TIER__TIER_TOWNSHIP
#define T_COMMUNITY GRIDLINK__V1__TIER__TIER_COMMUNITY
#define T_GRID      GRIDLINK__V1__TIER__TIER_GRID

#define NODES       "\"nodes\":[{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"}]"
#define TOPO(extra) "{\"port_base\":17300," extra NODES "}"

/* A small catalogue: two kinds, three subcategories. */
#define CATS                                                                                                           \
    "[{\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":86400,\"resolve_s\":432000,\"subcategories\":["             \
    "{\"code\":\"urban/roads\",\"name\":\"道路\",\"accept_s\":3600,\"resolve_s\":18000},"                            \
    "{\"code\":\"urban/lighting\",\"name\":\"路灯\",\"accept_s\":0,\"resolve_s\":86400}]},"                          \
    "{\"code\":\"services\",\"name\":\"社区服务\",\"accept_s\":600,\"resolve_s\":0,\"subcategories\":["            \
    "{\"code\":\"services/elderly\",\"name\":\"养老\",\"accept_s\":86400,\"resolve_s\":172800}]}]"

static const char *src_dir(void)
{
    static char buf[PATH_MAX];
    const char *env = getenv("GL_SRC");
    if (env && *env)
        return env;
    snprintf(buf, sizeof buf, "%s", __FILE__);
    char *tail = strstr(buf, "/tests/unit/test_category.c");
    if (tail)
        *tail = 0;
    else
        snprintf(buf, sizeof buf, ".");
    return buf;
}

static gl_catalogue_t *catalogue_from(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad test JSON: %s", jerr.text);
    char err[256] = "";
    gl_catalogue_t *cat = NULL;
    int rc = gl_catalogue_from_json(j, &cat, err, sizeof err);
    json_decref(j);
    if (rc != 0)
        fail_msg("rejected: %s\n%s", err, text);
    return cat;
}

static gl_topology_t *load_text(const char *json)
{
    char err[512] = "";
    gl_topology_t *t = NULL;
    if (gl_topology_load_buffer(json, strlen(json), &t, err, sizeof err) != 0)
        fail_msg("rejected: %s\n%s", err, json);
    return t;
}

/* ---- the built-in catalogue ------------------------------------------ */

static void test_builtin(void **state)
{
    (void)state;
    gl_catalogue_t *cat = NULL;
    assert_int_equal(gl_catalogue_default(&cat), 0);
    assert_true(cat->builtin);
    assert_int_equal(cat->n_kinds, 4);
    static const char *const kinds[] = {"party", "governance", "urban", "services"};
    static const char *const kind_names[] = {"党建", "综治", "城管", "社区服务"};
    size_t subs = 0;
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(cat->kinds[i].code, kinds[i]);
        assert_string_equal(cat->kinds[i].name, kind_names[i]);
        assert_null(cat->kinds[i].kind);
        assert_true(cat->kinds[i].n_subs >= 3);
        subs += cat->kinds[i].n_subs;
        for (size_t j = 0; j < cat->kinds[i].n_subs; j++) {
            const gl_category_t *s = &cat->kinds[i].subs[j];
            assert_ptr_equal(s->kind, &cat->kinds[i]);
            assert_true(s->accept_ms > 0 && s->accept_ms <= s->resolve_ms);
        }
    }
    assert_int_equal(cat->n_subs, subs);

    /* Every category the CLI, the load generator, the benchmark and the
     * tests submit. */
    static const char *const used[] = {
        "urban/sanitation",
        "urban/roads",
        "urban/lighting",
        "urban/greenery",
        "governance/safety",
        "governance/disputes",
        "governance/emergency",
        "services/elderly",
        "services/welfare",
        "party/activities",
        "urban",
        "governance",
        "services",
        "party",
        "urban/building",
        "urban/parking",
        "governance/petition",
        "services/employment",
        "party/members",
    };
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
        if (!gl_category_find(cat, used[i]))
            fail_msg("'%s' is not in the built-in catalogue", used[i]);

    /* A few figures from practice: 12345 sign-for in a working day and 5
     * working days for a phone-channel order; cleanliness in working hours;
     * demolition in 20 working days; emergencies in 2 h. */
    int64_t a, r;
    assert_int_equal(gl_category_limits(cat, "services/elderly", &a, &r), 0);
    assert_int_equal(a, 86400000);
    assert_int_equal(r, 5 * 86400000LL);
    assert_int_equal(gl_category_limits(cat, "urban/sanitation", &a, &r), 0);
    assert_in_range(r, 2 * 3600000, 5 * 3600000);
    assert_int_equal(gl_category_limits(cat, "urban/building", &a, &r), 0);
    assert_int_equal(r, 20 * 86400000LL);
    assert_int_equal(gl_category_limits(cat, "governance/emergency", &a, &r), 0);
    assert_int_equal(r, 2 * 3600000);
    /* In their units: working days, working hours, clock hours. */
    gl_time_limit ta, tr;
    assert_int_equal(gl_category_time_limits(cat, "services/elderly", &ta, &tr), 0);
    assert_int_equal(ta.unit, GL_TIME_WORKING_DAYS);
    assert_int_equal(ta.amount, 1);
    assert_int_equal(tr.unit, GL_TIME_WORKING_DAYS);
    assert_int_equal(tr.amount, 5);
    assert_int_equal(gl_category_time_limits(cat, "urban/sanitation", &ta, &tr), 0);
    assert_int_equal(tr.unit, GL_TIME_WORKING_HOURS);
    assert_int_equal(tr.amount, 5);
    assert_int_equal(gl_category_time_limits(cat, "urban/building", &ta, &tr), 0);
    assert_int_equal(ta.unit, GL_TIME_WORKING_HOURS);
    assert_int_equal(tr.unit, GL_TIME_WORKING_DAYS);
    assert_int_equal(tr.amount, 20);
    assert_int_equal(gl_category_time_limits(cat, "governance/emergency", &ta, &tr), 0);
    assert_int_equal(ta.unit, GL_TIME_MS);
    assert_int_equal(ta.amount, 600000);
    assert_int_equal(tr.unit, GL_TIME_MS);
    assert_string_equal(gl_category_display_name(cat, "urban/roads"), "城管/道路设施");
    gl_catalogue_free(&cat);
    assert_null(cat);
    gl_catalogue_free(&cat);
    assert_int_equal(gl_catalogue_default(NULL), GL_EINVAL);
}

/* What Open311 adds to an entry: descriptions and attributes. */
static void strip_open311(json_t *entries)
{
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        json_object_del(e, "description");
        json_object_del(e, "keywords");
        json_object_del(e, "attributes");
        strip_open311(json_object_get(e, "subcategories"));
    }
}

/* The committed topologies carry the built-in catalogue, written out (the
 * small ones with Open311's descriptions and attributes on some services),
 * and a short community work-access list. */
static void test_committed_files(void **state)
{
    (void)state;
    gl_catalogue_t *def = NULL;
    assert_int_equal(gl_catalogue_default(&def), 0);
    json_t *want = gl_catalogue_to_json(def);
    static const char *const files[] = {"mini.json", "demo.json", "xinbei.json"};
    for (size_t i = 0; i < 3; i++) {
        char path[PATH_MAX], err[256] = "";
        snprintf(path, sizeof path, "%s/deploy/topology/%s", src_dir(), files[i]);
        gl_topology_t *t = NULL;
        if (gl_topology_load_file(path, &t, err, sizeof err) != 0)
            fail_msg("%s: %s", path, err);
        assert_false(t->catalogue->builtin);
        json_t *got = gl_catalogue_to_json(t->catalogue);
        if (i < 2) {
            const gl_category_t *roads = gl_category_find(t->catalogue, "urban/roads");
            assert_non_null(roads->attributes);
            assert_int_equal(json_array_size(roads->attributes), 3);
        }
        strip_open311(got);
        if (!json_equal(got, want))
            fail_msg("%s: its categories differ from the built-in catalogue (common/category.c)", files[i]);
        json_decref(got);
        assert_in_range(t->community_tasks->n, 3, 10);
        assert_true(gl_topology_community_task(t, "services/elderly"));
        assert_true(gl_topology_community_task(t, "urban/sanitation"));
        assert_false(gl_topology_community_task(t, "urban/building"));
        assert_false(gl_topology_community_task(t, "governance/emergency"));
        assert_false(gl_topology_community_task(t, "urban"));
        gl_topology_free(&t);
    }
    json_decref(want);
    gl_catalogue_free(&def);
}

/* ---- parsing --------------------------------------------------------- */

static void test_parse(void **state)
{
    (void)state;
    gl_catalogue_t *cat = catalogue_from(CATS);
    assert_false(cat->builtin);
    assert_int_equal(cat->n_kinds, 2);
    assert_int_equal(cat->n_subs, 3);
    const gl_category_t *u = gl_category_find(cat, "urban");
    const gl_category_t *roads = gl_category_find(cat, "urban/roads");
    assert_ptr_equal(u, &cat->kinds[0]);
    assert_ptr_equal(roads, &cat->kinds[0].subs[0]);
    assert_ptr_equal(roads->kind, u);
    assert_string_equal(roads->name, "道路");
    assert_string_equal(roads->display, "城管/道路");
    assert_string_equal(u->display, "城管");
    assert_int_equal(roads->accept_ms, 3600000);
    assert_int_equal(roads->resolve_ms, 18000000);
    assert_int_equal(gl_category_find(cat, "services")->resolve_ms, 0);

    /* A kind without subcategories, and JSON null for them. */
    gl_catalogue_t *c2 = catalogue_from("[{\"code\":\"party\",\"name\":\"党建\",\"accept_s\":1,\"resolve_s\":2},"
                                        "{\"code\":\"x\",\"name\":\"X\",\"accept_s\":1,\"resolve_s\":2,"
                                        "\"subcategories\":null}]");
    assert_int_equal(c2->n_kinds, 2);
    assert_int_equal(c2->n_subs, 0);
    json_t *j = gl_catalogue_to_json(c2);
    assert_null(json_object_get(json_array_get(j, 0), "subcategories"));
    json_decref(j);
    gl_catalogue_free(&c2);

    /* to_json gives back what was read. */
    j = gl_catalogue_to_json(cat);
    json_t *orig = json_loads(CATS, 0, NULL);
    assert_true(json_equal(j, orig));
    json_decref(j);
    json_decref(orig);
    gl_catalogue_free(&cat);
}

#define KIND(body) "[{" body "}]"
#define OKKIND     "\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":1,\"resolve_s\":2"
#define SUBS(body) KIND(OKKIND ",\"subcategories\":[" body "]")
#define SUB(code)  "{\"code\":\"" code "\",\"name\":\"道路\",\"accept_s\":1,\"resolve_s\":2}"

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"{}", "categories: must be an array of 1..64 kinds"},
        {"[]", "categories: must be an array of 1..64 kinds"},
        {"[7]", "categories[0]: must be an object"},
        {KIND("\"name\":\"X\",\"accept_s\":1,\"resolve_s\":2"), "categories[0]: code must be a kind code"},
        {KIND("\"code\":\"Urban\",\"name\":\"X\",\"accept_s\":1,\"resolve_s\":2"), "categories[0]: code must be"},
        {KIND("\"code\":\"urban/roads\",\"name\":\"X\",\"accept_s\":1,\"resolve_s\":2"), "categories[0]: code"},
        {KIND("\"code\":\"1urban\",\"name\":\"X\",\"accept_s\":1,\"resolve_s\":2"), "categories[0]: code"},
        {KIND("\"code\":\"abcdefghijabcdefghijabcdefghijab\",\"name\":\"X\",\"accept_s\":1,\"resolve_s\":2"),
         "categories[0]: code"},
        {KIND("\"code\":7,\"name\":\"X\",\"accept_s\":1,\"resolve_s\":2"), "categories[0]: code"},
        /* duplicates */
        {"[{" OKKIND "},{" OKKIND "}]", "category 'urban': listed twice"},
        {SUBS(SUB("urban/roads") "," SUB("urban/roads")), "category 'urban/roads': listed twice"},
        /* a subcategory not under its kind, or not KIND/NAME */
        {SUBS(SUB("party/activities")), "category 'party/activities': not under its kind 'urban'"},
        {SUBS(SUB("urbanx/roads")), "category 'urbanx/roads': not under its kind 'urban'"},
        {SUBS(SUB("urban")), "category 'urban': subcategories[0]: code must be KIND/NAME"},
        {SUBS(SUB("urban/roads/holes")), "subcategories[0]: code must be KIND/NAME"},
        {SUBS(SUB("urban/")), "subcategories[0]: code must be KIND/NAME"},
        {SUBS(SUB("urban/Roads")), "subcategories[0]: code must be KIND/NAME"},
        {SUBS("7"), "category 'urban': subcategories[0]: must be an object"},
        {KIND(OKKIND ",\"subcategories\":{}"), "category 'urban': subcategories must be an array"},
        /* names */
        {KIND("\"code\":\"urban\",\"accept_s\":1,\"resolve_s\":2"), "category 'urban': name must be"},
        {KIND("\"code\":\"urban\",\"name\":\"\",\"accept_s\":1,\"resolve_s\":2"), "category 'urban': name must be"},
        {KIND("\"code\":\"urban\",\"name\":\"城/管\",\"accept_s\":1,\"resolve_s\":2"), "category 'urban': name"},
        {KIND("\"code\":\"urban\",\"name\":5,\"accept_s\":1,\"resolve_s\":2"), "category 'urban': name"},
        /* limits */
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"resolve_s\":2"), "category 'urban': accept_s must be an integer"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":1"), "category 'urban': resolve_s must be"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":-1,\"resolve_s\":2"), "'urban': accept_s must be"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":\"1\",\"resolve_s\":2"), "'urban': accept_s must"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":1.5,\"resolve_s\":2"), "'urban': accept_s must"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":1,\"resolve_s\":316224001"), "'urban': resolve_s"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":3,\"resolve_s\":2"),
         "category 'urban': accept_s (3) is longer than resolve_s (2)"},
        {SUBS("{\"code\":\"urban/roads\",\"name\":\"道路\",\"accept_s\":1,\"resolve_ms\":2}"),
         "category 'urban/roads': unknown key 'resolve_ms'"},
        {SUBS("{\"code\":\"urban/roads\",\"name\":\"道路\",\"accept_s\":1,\"resolve_s\":2,\"subcategories\":[]}"),
         "category 'urban/roads': unknown key 'subcategories'"},
        {KIND(OKKIND ",\"limit\":3"), "category 'urban': unknown key 'limit'"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":1,\"accept_wh\":1,\"resolve_wd\":2"),
         "category 'urban': give accept_s or accept_wh, not both"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_wh\":1.5,\"resolve_wd\":2"),
         "category 'urban': accept_wh must be an integer number of working hours"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_wd\":3,\"resolve_wd\":2"),
         "category 'urban': accept_wd (3) is longer than resolve_wd (2)"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_wd\":2,\"resolve_s\":3600"),
         "category 'urban': accept_wd (2) is longer than resolve_s (3600)"},
        {KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_wh\":1"),
         "category 'urban': resolve_s must be an integer number of seconds in 0..316224000 (or give resolve_wh"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t jerr;
        json_t *j = json_loads(cases[i].json, 0, &jerr);
        if (!j)
            fail_msg("case %zu: bad test JSON: %s", i, jerr.text);
        char err[512] = "";
        gl_catalogue_t *cat = (gl_catalogue_t *)0x1;
        int rc = gl_catalogue_from_json(j, &cat, err, sizeof err);
        json_decref(j);
        if (rc != GL_EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu: rc %d, err '%s', wanted '%s'\n  input: %s", i, rc, err, cases[i].msg, cases[i].json);
        assert_null(cat);
    }
    /* A limit of 0 is no deadline, and then accept may not be compared. */
    gl_catalogue_t *cat = catalogue_from(KIND("\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":3,\"resolve_s\":0"));
    gl_catalogue_free(&cat);
    assert_int_equal(gl_catalogue_from_json(NULL, &cat, NULL, 0), GL_EINVAL);
    assert_int_equal(gl_catalogue_from_json(NULL, NULL, NULL, 0), GL_EINVAL);
}

/* ---- lookups --------------------------------------------------------- */

static void test_lookups(void **state)
{
    (void)state;
    gl_catalogue_t *cat = catalogue_from(CATS);
    assert_non_null(gl_category_find(cat, "services/elderly"));
    assert_null(gl_category_find(cat, "urb"));
    assert_null(gl_category_find(cat, "urban/"));
    assert_null(gl_category_find(cat, "urban/roads/x"));
    assert_null(gl_category_find(cat, "urban/potholes"));
    assert_null(gl_category_find(cat, "URBAN"));
    assert_null(gl_category_find(cat, ""));
    assert_null(gl_category_find(cat, NULL));
    assert_null(gl_category_find(NULL, "urban"));

    assert_string_equal(gl_category_display_name(cat, "services/elderly"), "社区服务/养老");
    assert_string_equal(gl_category_display_name(cat, "services"), "社区服务");
    assert_null(gl_category_display_name(cat, "services/x"));

    int64_t a = 1, r = 1;
    assert_int_equal(gl_category_limits(cat, "urban/lighting", &a, &r), 0);
    assert_int_equal(a, 0);
    assert_int_equal(r, 86400000);
    /* An unknown subcategory of a known kind gets the kind's limits. */
    assert_int_equal(gl_category_limits(cat, "urban/potholes", &a, &r), 0);
    assert_int_equal(a, 86400000);
    assert_int_equal(r, 432000000);
    assert_int_equal(gl_category_limits(cat, "urban", &a, NULL), 0);
    assert_int_equal(a, 86400000);
    assert_int_equal(gl_category_limits(cat, "party/activities", &a, &r), GL_ENOENT);
    assert_int_equal(a, 0);
    assert_int_equal(r, 0);
    assert_int_equal(gl_category_limits(cat, "urbanx", &a, &r), GL_ENOENT);
    assert_int_equal(gl_category_limits(cat, "urbanx/roads", &a, &r), GL_ENOENT);
    assert_int_equal(gl_category_limits(cat, "urban/roads/x", &a, &r), 0);
    assert_int_equal(a, 3600000);
    assert_int_equal(gl_category_limits(cat, NULL, &a, &r), GL_ENOENT);
    gl_catalogue_free(&cat);
}

static void test_list(void **state)
{
    (void)state;
    gl_catalogue_t *cat = catalogue_from(CATS);
    const char *full = "urban, urban/roads, urban/lighting, services, services/elderly";
    char buf[128];
    assert_int_equal(gl_category_list(cat, buf, sizeof buf), 0);
    assert_string_equal(buf, full);
    /* Exactly enough room. */
    assert_int_equal(gl_category_list(cat, buf, strlen(full) + 1), 0);
    assert_string_equal(buf, full);
    /* One byte short: whole codes, then "...". */
    assert_int_equal(gl_category_list(cat, buf, strlen(full)), GL_ETOOBIG);
    assert_string_equal(buf, "urban, urban/roads, urban/lighting, services, ...");
    assert_int_equal(gl_category_list(cat, buf, 26), GL_ETOOBIG);
    assert_string_equal(buf, "urban, urban/roads, ...");
    assert_int_equal(gl_category_list(cat, buf, 12), GL_ETOOBIG);
    assert_string_equal(buf, "urban, ...");
    assert_int_equal(gl_category_list(cat, buf, 6), GL_ETOOBIG);
    assert_string_equal(buf, "...");
    assert_int_equal(gl_category_list(cat, buf, 2), GL_ETOOBIG);
    assert_string_equal(buf, ".");
    assert_int_equal(gl_category_list(cat, buf, 0), GL_EINVAL);
    assert_int_equal(gl_category_list(cat, NULL, 10), GL_EINVAL);
    assert_int_equal(gl_category_list(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");

    char err[256];
    assert_int_equal(gl_category_check(cat, "urban/roads", err, sizeof err), 0);
    assert_int_equal(gl_category_check(cat, "roads", err, sizeof err), GL_EINVAL);
    assert_string_equal(err, "unknown category 'roads'; valid: urban, urban/roads, urban/lighting, services, "
                             "services/elderly");
    assert_int_equal(gl_category_check(cat, NULL, err, sizeof err), GL_EINVAL);
    gl_catalogue_free(&cat);

    /* The built-in list begins with the first kind and its subcategories. */
    assert_int_equal(gl_catalogue_default(&cat), 0);
    char big[2048];
    assert_int_equal(gl_category_list(cat, big, sizeof big), 0);
    assert_non_null(strstr(big, "party, party/activities, "));
    assert_non_null(strstr(big, ", urban/roads, "));
    gl_catalogue_free(&cat);
}

/* ---- category sets and community tasks ------------------------------- */

static void test_sets(void **state)
{
    (void)state;
    gl_catalogue_t *cat = catalogue_from(CATS);
    json_t *j = json_loads("[\"services\",\"urban/roads\"]", 0, NULL);
    gl_category_set_t *s = NULL;
    char err[256] = "";
    assert_int_equal(gl_category_set_from_json(cat, j, "tasks", &s, err, sizeof err), 0);
    json_decref(j);
    assert_int_equal(s->n, 2);
    assert_true(gl_category_set_has(s, cat, "services"));
    assert_true(gl_category_set_has(s, cat, "services/elderly"));
    assert_true(gl_category_set_has(s, cat, "urban/roads"));
    assert_false(gl_category_set_has(s, cat, "urban/lighting"));
    assert_false(gl_category_set_has(s, cat, "urban"));
    assert_false(gl_category_set_has(s, cat, "services/unknown"));
    assert_false(gl_category_set_has(s, cat, NULL));
    assert_false(gl_category_set_has(NULL, cat, "services"));
    j = gl_category_set_to_json(s);
    json_t *want = json_loads("[\"services\",\"urban/roads\"]", 0, NULL);
    assert_true(json_equal(j, want));
    json_decref(j);
    json_decref(want);
    gl_category_set_free(&s);
    assert_null(s);

    assert_int_equal(gl_category_set_empty(&s), 0);
    assert_int_equal(s->n, 0);
    assert_false(gl_category_set_has(s, cat, "services"));
    j = gl_category_set_to_json(s);
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
    gl_category_set_free(&s);
    gl_catalogue_free(&cat);
}

/* community_tasks and SLA categories in a topology, and what they refuse. */
static void test_topology_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {TOPO("\"community_tasks\":[\"urban/potholes\"],"), "community_tasks[0]: unknown category 'urban/potholes'"},
        {TOPO("\"community_tasks\":[\"services\",\"urban/x\"],"), "community_tasks[1]: unknown category 'urban/x'"},
        {TOPO("\"community_tasks\":[\"services\",\"services\"],"),
         "community_tasks[1]: 'services' listed twice (first at community_tasks[0])"},
        {TOPO("\"community_tasks\":[7],"), "community_tasks[0]: must be a string"},
        {TOPO("\"community_tasks\":\"services\","), "community_tasks: must be an array"},
        /* Checked against the file's own catalogue, not the built-in one. */
        {TOPO("\"categories\":" CATS ",\"community_tasks\":[\"party\"],"),
         "community_tasks[0]: unknown category 'party'"},
        {TOPO("\"categories\":[],"), "categories: must be an array"},
        {TOPO("\"categories\":" SUBS(SUB("party/x")) ","), "category 'party/x': not under its kind 'urban'"},
        {TOPO("\"sla\":[{\"category\":\"urbn\",\"accept_s\":1}],"), "sla[0]: category 'urbn' is not in the catalogue"},
        {TOPO("\"categories\":" CATS ",\"sla\":[{\"accept_s\":1},{\"category\":\"party\",\"accept_s\":1}],"),
         "sla[1]: category 'party' is not in the catalogue"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        gl_topology_t *t = (gl_topology_t *)0x1;
        int rc = gl_topology_load_buffer(cases[i].json, strlen(cases[i].json), &t, err, sizeof err);
        if (rc != GL_EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu: rc %d, err '%s', wanted '%s'\n  input: %s", i, rc, err, cases[i].msg, cases[i].json);
        assert_null(t);
    }
}

/* A file without categories gets the built-in catalogue; without
 * community_tasks nothing may be given to a community. */
static void test_topology_defaults(void **state)
{
    (void)state;
    gl_topology_t *t = load_text(TOPO(""));
    assert_non_null(t->catalogue);
    assert_true(t->catalogue->builtin);
    assert_int_equal(t->catalogue->n_kinds, 4);
    assert_non_null(t->community_tasks);
    assert_int_equal(t->community_tasks->n, 0);
    assert_false(gl_topology_community_task(t, "services/elderly"));
    assert_false(gl_topology_community_task(NULL, "services/elderly"));
    assert_ptr_equal(t->policy->defaults, t->catalogue);
    gl_topology_free(&t);

    t = load_text(TOPO("\"categories\":null,\"community_tasks\":null,"));
    assert_true(t->catalogue->builtin);
    assert_int_equal(t->community_tasks->n, 0);
    gl_topology_free(&t);

    t = load_text(TOPO("\"community_tasks\":[\"party\",\"services/elderly\"],"));
    assert_true(gl_topology_community_task(t, "party"));
    assert_true(gl_topology_community_task(t, "party/activities"));
    assert_true(gl_topology_community_task(t, "services/elderly"));
    assert_false(gl_topology_community_task(t, "services/welfare"));
    assert_false(gl_topology_community_task(t, "party/unknown"));
    gl_topology_free(&t);
}

/* The catalogue's limits decide only at a tier no SLA rule is for. */
static void test_policy_defaults(void **state)
{
    (void)state;
    int64_t a, r;
    /* No rules at all: every tier follows the catalogue. */
    gl_topology_t *t = load_text(TOPO("\"categories\":" CATS ","));
    assert_int_equal(gl_policy_deadline_for(t->policy, T_COMMUNITY, "urban/roads", 0, &a, &r), 0);
    assert_int_equal(a, 3600000);
    assert_int_equal(r, 18000000);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_GRID, "urban/potholes", 0, &a, &r), 0);
    assert_int_equal(a, 86400000);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_DISTRICT, "party", 0, &a, &r), GL_ENOENT);
    assert_int_equal(a, 0);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_DISTRICT, NULL, 0, &a, &r), GL_ENOENT);
    gl_topology_free(&t);

    /* Rules for the township only (one of them tier-only): the township
     * follows its rules, the other tiers the catalogue. */
    t = load_text(TOPO("\"categories\":" CATS ",\"sla\":[{\"tier\":\"township\",\"accept_s\":5,\"resolve_s\":9},"
                       "{\"tier\":\"community\",\"category\":\"services\",\"accept_s\":7,\"resolve_s\":8}],"));
    assert_int_equal(gl_policy_deadline_for(t->policy, T_TOWNSHIP, "urban/roads", 0, &a, &r), 0);
    assert_int_equal(a, 5000);
    assert_int_equal(r, 9000);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_DISTRICT, "urban/roads", 0, &a, &r), 0);
    assert_int_equal(a, 3600000);
    /* The community has a rule, for services only: urban cases there get no
     * deadline from the catalogue. */
    assert_int_equal(gl_policy_deadline_for(t->policy, T_COMMUNITY, "services/elderly", 0, &a, &r), 0);
    assert_int_equal(a, 7000);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_COMMUNITY, "urban/roads", 0, &a, &r), GL_ENOENT);
    assert_int_equal(a, 0);
    assert_int_equal(r, 0);
    gl_topology_free(&t);

    /* A tier "any" rule is for every tier. */
    t = load_text(TOPO("\"categories\":" CATS ",\"sla\":[{\"category\":\"services\",\"accept_s\":7}],"));
    assert_int_equal(gl_policy_deadline_for(t->policy, T_DISTRICT, "urban/roads", 0, &a, &r), GL_ENOENT);
    gl_topology_free(&t);

    /* The mini district's short rules still decide at every tier. */
    char path[PATH_MAX], err[256] = "";
    snprintf(path, sizeof path, "%s/deploy/topology/mini.json", src_dir());
    if (gl_topology_load_file(path, &t, err, sizeof err) != 0)
        fail_msg("%s: %s", path, err);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_COMMUNITY, "urban/building", 0, &a, &r), 0);
    assert_int_equal(a, 3000);
    assert_int_equal(r, 8000);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_GRID, "governance/emergency", 2, &a, &r), 0);
    assert_int_equal(a, 0);
    assert_int_equal(r, 0);
    gl_topology_free(&t);
}

/* ---- saving ---------------------------------------------------------- */

static void test_save_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/gl-test-category-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[PATH_MAX], err[256] = "";
    snprintf(path, sizeof path, "%s/topology.json", dir);

    /* A catalogue of its own and community tasks are written and read back. */
    gl_topology_t *t = load_text(TOPO("\"categories\":" CATS ",\"community_tasks\":[\"services\",\"urban/roads\"],"));
    assert_int_equal(gl_topology_save(t, path), 0);
    gl_topology_t *u = NULL;
    if (gl_topology_load_file(path, &u, err, sizeof err) != 0)
        fail_msg("reload: %s", err);
    json_t *c1 = gl_catalogue_to_json(t->catalogue), *c2 = gl_catalogue_to_json(u->catalogue);
    assert_true(json_equal(c1, c2));
    json_decref(c1);
    json_decref(c2);
    assert_false(u->catalogue->builtin);
    assert_int_equal(u->community_tasks->n, 2);
    assert_string_equal(u->community_tasks->codes[0], "services");
    assert_string_equal(u->community_tasks->codes[1], "urban/roads");
    assert_true(gl_topology_community_task(u, "services/elderly"));
    assert_ptr_equal(u->policy->defaults, u->catalogue);
    gl_topology_free(&u);
    gl_topology_free(&t);

    /* The built-in catalogue is not frozen into the file; an empty task list
     * is written as one. */
    t = load_text(TOPO(""));
    assert_int_equal(gl_topology_save(t, path), 0);
    json_t *saved = json_load_file(path, 0, NULL);
    assert_non_null(saved);
    assert_null(json_object_get(saved, "categories"));
    assert_int_equal(json_array_size(json_object_get(saved, "community_tasks")), 0);
    assert_non_null(json_object_get(saved, "community_tasks"));
    json_decref(saved);
    if (gl_topology_load_file(path, &u, err, sizeof err) != 0)
        fail_msg("reload: %s", err);
    assert_true(u->catalogue->builtin);
    assert_int_equal(u->community_tasks->n, 0);
    gl_topology_free(&u);
    gl_topology_free(&t);

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin),
        cmocka_unit_test(test_committed_files),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_topology_errors),
        cmocka_unit_test(test_topology_defaults),
        cmocka_unit_test(test_policy_defaults),
        cmocka_unit_test(test_save_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
