/* test_indicators.c: the plan's indicators (indicators.h) from facts
 * (facts.h): the targets compiled from deploy/topology/data/plan-targets.csv
 * (the same file, read here from the source tree), each indicator's
 * numerator, denominator, value and verdict for the district and a township
 * of a small topology, villages told by name or by the fact `rural`, and
 * the checks a reported fact passes (names, tiers, types, dates, the staff
 * API's JSON body). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "facts.h"
#include "indicators.h"
#include "topology.h"

#define T(x) GRIDLINK__V1__TIER__TIER_##x

static const char topo_json[] = "{\"name\":\"t\",\"port_base\":17300,\"nodes\":["
                                "{\"id\":\"d\",\"tier\":\"district\",\"name\":\"新北区\"},"
                                "{\"id\":\"d.a\",\"tier\":\"township\",\"name\":\"三井街道\"},"
                                "{\"id\":\"d.a.c1\",\"tier\":\"community\",\"name\":\"第一社区\"},"
                                "{\"id\":\"d.a.c1.g1\",\"tier\":\"grid\",\"name\":\"第一网格\"},"
                                "{\"id\":\"d.a.c2\",\"tier\":\"community\",\"name\":\"第二社区\"},"
                                "{\"id\":\"d.b\",\"tier\":\"township\",\"name\":\"新桥镇\"},"
                                "{\"id\":\"d.b.v1\",\"tier\":\"community\",\"name\":\"西桥村\"},"
                                "{\"id\":\"d.b.v2\",\"tier\":\"community\",\"name\":\"新桥新苑\"}"
                                "]}";

struct fx {
    gl_topology_t *t;
    gl_ind_node *in;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char err[256];
    assert_int_equal(gl_topology_load_buffer(topo_json, strlen(topo_json), &f->t, err, sizeof err), 0);
    f->in = calloc(f->t->n_nodes, sizeof *f->in);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    free(f->in);
    gl_topology_free(&f->t);
    free(f);
    return 0;
}

static void set(struct fx *f, const char *node, int fact, double v)
{
    int i = gl_topology_index_of(f->t, node);
    assert_true(i >= 0);
    f->in[i].has[fact] = true;
    f->in[i].v[fact] = v;
}

static const gl_indicator *row(const gl_indicator *rows, const char *id)
{
    for (int i = 0; i < GL_IND_N; i++)
        if (strcmp(rows[i].id, id) == 0)
            return &rows[i];
    fail_msg("no row %s", id);
    return NULL;
}

static void expect(const gl_indicator *rows, const char *id, double num, double den, double value, bool met)
{
    const gl_indicator *r = row(rows, id);
    if (fabs(r->numerator - num) > 1e-9 || fabs(r->denominator - den) > 1e-9)
        fail_msg("%s: %g / %g, expected %g / %g", id, r->numerator, r->denominator, num, den);
    if (isnan(value)) {
        assert_false(r->has_value);
        return;
    }
    assert_true(r->has_value);
    if (fabs(r->value - value) > 0.005)
        fail_msg("%s: value %g, expected %g", id, r->value, value);
    assert_int_equal(r->met, met);
}

/* The compiled targets equal the data file, cell by cell. */
static void test_targets(void **state)
{
    (void)state;
    assert_int_equal(gl_plan_targets_load(), 0);
    const char *src = getenv("GL_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/deploy/topology/data/plan-targets.csv", src && *src ? src : ".");
    FILE *fp = fopen(path, "r");
    if (!fp)
        fail_msg("cannot read %s", path);
    char line[1024];
    int rows = 0;
    assert_non_null(fgets(line, sizeof line, fp)); /* the header */
    while (fgets(line, sizeof line, fp)) {
        char *cells[7], *p = line;
        line[strcspn(line, "\r\n")] = 0;
        for (int c = 0; c < 7; c++) {
            cells[c] = p;
            char *comma = p ? strchr(p, ',') : NULL;
            if (comma)
                *comma = 0;
            p = comma ? comma + 1 : NULL;
        }
        int id = -1;
        /* The row's indicator: its id among the computed rows. */
        gl_topology_t *t = NULL;
        char err[128];
        assert_int_equal(gl_topology_load_buffer(topo_json, strlen(topo_json), &t, err, sizeof err), 0);
        gl_ind_node *in = calloc(t->n_nodes, sizeof *in);
        gl_indicator out[GL_IND_N];
        assert_int_equal(gl_indicators_compute(t, in, 0, 2017, NULL, out), 0);
        for (int i = 0; i < GL_IND_N; i++)
            if (strcmp(out[i].id, cells[0]) == 0)
                id = i;
        if (id < 0)
            fail_msg("the file's %s is not computed", cells[0]);
        assert_string_equal(out[id].zh, cells[1]);
        assert_string_equal(out[id].unit, cells[2]);
        for (int y = 0; y < 4; y++) {
            double t2 = -1;
            bool has = gl_plan_target(id, 2017 + y, &t2);
            assert_int_equal(has, cells[3 + y] && cells[3 + y][0]);
            if (has)
                assert_true(fabs(t2 - atof(cells[3 + y])) < 1e-9);
        }
        free(in);
        gl_topology_free(&t);
        rows++;
    }
    fclose(fp);
    assert_int_equal(rows, GL_IND_N);
    double v;
    assert_true(gl_plan_target(0, 2017, &v));
    assert_true(v == 25); /* 高标准城乡和谐社区创建率 in 2017 */
    assert_true(gl_plan_target(0, 2031, &v));
    assert_true(v == 100); /* after the plan: its end state */
    assert_false(gl_plan_target(0, 2016, &v));
}

static void test_district(void **state)
{
    struct fx *f = *state;
    /* c1 urban 800 ㎡ (>= 700), c2 urban 690 (short), v1 village by name 510
     * (>= 500), v2 a village by the fact rural, 480 (short). */
    set(f, "d.a.c1", GL_F_SERVICE_ROOM_M2, 800);
    set(f, "d.a.c2", GL_F_SERVICE_ROOM_M2, 690);
    set(f, "d.b.v1", GL_F_SERVICE_ROOM_M2, 510);
    set(f, "d.b.v2", GL_F_SERVICE_ROOM_M2, 480);
    set(f, "d.b.v2", GL_F_RURAL, 1);
    set(f, "d.a.c1", GL_F_OFFICE_ROOM_M2, 160); /* 20% of 800: within */
    set(f, "d.a.c2", GL_F_OFFICE_ROOM_M2, 140); /* > 20% of 690 */
    set(f, "d.a.c1", GL_F_HARMONIOUS, 1);
    set(f, "d.a.c2", GL_F_HARMONIOUS, 0);
    set(f, "d.b.v1", GL_F_HARMONIOUS, 1);
    set(f, "d.a.c1", GL_F_SOCIAL_ORGS, 8);
    set(f, "d.a.c2", GL_F_SOCIAL_ORGS, 5);
    set(f, "d.b.v1", GL_F_SOCIAL_ORGS, 2);
    set(f, "d.a.c1", GL_F_WORKERS_U45, 10);
    set(f, "d.a.c1", GL_F_WORKERS_U45_CERTIFIED, 6);
    set(f, "d.b.v1", GL_F_WORKERS_U45, 5);
    set(f, "d.b.v1", GL_F_WORKERS_U45_CERTIFIED, 9); /* more than the workers: counted as all of them */
    set(f, "d.b.v2", GL_F_DEMOCRATIC_CONSULTATION, 1);
    set(f, "d.a", GL_F_GRID_MANAGEMENT, 1);
    set(f, "d.a", GL_F_SERVICE_CENTER, 1);
    set(f, "d.b", GL_F_SERVICE_CENTER, 0);
    set(f, "d", GL_F_URBAN_AVG_WAGE, 60000);
    set(f, "d.a.c1", GL_F_WORKER_AVG_INCOME, 61000);
    set(f, "d.b.v1", GL_F_WORKER_AVG_INCOME, 59000);
    for (size_t i = 0; i < f->t->n_nodes; i++)
        f->in[i].up_min = i % 2 ? 60 : 30;
    f->in[0].up_min = 90; /* more than the broker watched: counted as all */

    const gl_node_t *v1 = gl_topology_find(f->t, "d.b.v1"), *v2 = gl_topology_find(f->t, "d.b.v2");
    assert_true(gl_ind_is_rural(v1, &f->in[gl_topology_index_of(f->t, "d.b.v1")]));
    assert_false(gl_ind_is_rural(v2, NULL));
    assert_true(gl_ind_is_rural(v2, &f->in[gl_topology_index_of(f->t, "d.b.v2")]));

    gl_indicator rows[GL_IND_N];
    assert_int_equal(gl_indicators_compute(f->t, f->in, 60, 2017, NULL, rows), 0);
    expect(rows, "harmonious_community_rate", 2, 4, 50, true);         /* target 25 */
    expect(rows, "service_room_compliance", 2, 4, 50, false);          /* target 70 */
    expect(rows, "township_service_center_rate", 1, 2, 50, true);      /* target 50 */
    expect(rows, "social_worker_cert_rate_u45", 11, 15, 73.33, true);  /* target 40 */
    expect(rows, "social_orgs_per_urban_community", 13, 2, 6.5, true); /* target 6 */
    expect(rows, "social_orgs_per_rural_community", 2, 1, 2, false);   /* target 3 */
    expect(rows, "grid_management_coverage", 1, 2, 50, true);          /* target 10 */
    expect(rows, "democratic_consultation_coverage", 1, 4, 25, true);  /* target 2 */
    expect(rows, "urban_service_room_avg", 1490, 2, 745, false);       /* no target in 2017 */
    expect(rows, "rural_service_room_avg", 990, 2, 495, false);
    expect(rows, "office_room_within_20pct", 1, 4, 25, false);
    expect(rows, "social_worker_income_rate", 1, 4, 25, false);
    /* 8 nodes: index 0 counts 60 of 90; odd indexes 60, even 30. */
    expect(rows, "informatization_coverage", 60 + 3 * 30 + 4 * 60, 8 * 60, 81.25, false);
    assert_false(row(rows, "urban_service_room_avg")->has_target);
    assert_false(row(rows, "informatization_coverage")->has_target);
    assert_non_null(row(rows, "informatization_coverage")->plan);
    assert_int_equal(row(rows, "harmonious_community_rate")->units, 4);
    assert_int_equal(row(rows, "harmonious_community_rate")->reported, 3);
    assert_true(row(rows, "harmonious_community_rate")->share);
    assert_false(row(rows, "social_orgs_per_urban_community")->share);

    /* 2020: the targets of the plan's end. */
    assert_int_equal(gl_indicators_compute(f->t, f->in, 60, 2020, NULL, rows), 0);
    expect(rows, "urban_service_room_avg", 1490, 2, 745, false); /* target 1000 */
    assert_true(row(rows, "urban_service_room_avg")->has_target);
    expect(rows, "grid_management_coverage", 1, 2, 50, false); /* target 100 */

    /* One township: 新桥镇 (v1, v2). */
    assert_int_equal(gl_indicators_compute(f->t, f->in, 60, 2017, "d.b", rows), 0);
    expect(rows, "harmonious_community_rate", 1, 2, 50, true);
    expect(rows, "township_service_center_rate", 0, 1, 0, false);
    expect(rows, "social_orgs_per_urban_community", 0, 0, NAN, false);
    expect(rows, "social_worker_cert_rate_u45", 5, 5, 100, true);
    expect(rows, "informatization_coverage", 60 + 30 + 60, 3 * 60, 83.33, false);

    /* The JSON: null where there is no value, target or verdict. */
    json_t *j = gl_indicators_json(rows);
    assert_int_equal(json_array_size(j), GL_IND_N);
    json_t *urban = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) if (strcmp(json_string_value(json_object_get(v, "id")),
                                           "social_orgs_per_urban_community") == 0) urban = v;
    assert_non_null(urban);
    assert_true(json_is_null(json_object_get(urban, "value")));
    assert_true(json_is_null(json_object_get(urban, "met")));
    assert_true(json_is_number(json_object_get(urban, "target")));
    json_decref(j);

    /* Not a township or the district; not a node. */
    assert_int_equal(gl_indicators_compute(f->t, f->in, 60, 2017, "d.a.c1", rows), GL_EINVAL);
    assert_int_equal(gl_indicators_compute(f->t, f->in, 60, 2017, "d.x", rows), GL_ENOENT);
}

static void test_fact_checks(void **state)
{
    (void)state;
    char why[256];
    gl_fact f = GRIDLINK__V1__FACT__INIT;
    f.name = "service_room_m2";
    f.value = 720.5;
    f.as_of = "2017-06-30";
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), 0);
    assert_int_equal(gl_fact_check(&f, T(TOWNSHIP), why, sizeof why), GL_EINVAL);
    assert_non_null(strstr(why, "community"));
    assert_int_equal(gl_fact_check(&f, T(UNKNOWN), why, sizeof why), 0);
    f.value = -1;
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), GL_EINVAL);
    f.value = NAN;
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), GL_EINVAL);
    f.value = INFINITY;
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), GL_EINVAL);
    f.name = "social_orgs";
    f.value = 2.5;
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), GL_EINVAL);
    f.name = "harmonious_community";
    f.value = 2;
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), GL_EINVAL);
    f.value = 1;
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), 0);
    f.name = "nope";
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), GL_EINVAL);
    f.name = "";
    assert_int_equal(gl_fact_check(&f, T(COMMUNITY), why, sizeof why), GL_EINVAL);
    assert_int_equal(gl_fact_check(NULL, T(COMMUNITY), why, sizeof why), GL_EINVAL);
    f.name = "grid_management";
    assert_int_equal(gl_fact_check(&f, T(TOWNSHIP), why, sizeof why), 0);
    f.note = "line\nbreak";
    assert_int_equal(gl_fact_check(&f, T(TOWNSHIP), why, sizeof why), GL_EINVAL);

    const char *good[] = {"2017-01-01", "2020-02-29", "2099-12-31"};
    const char *bad[] = {"2017-02-29", "2017-13-01", "2017-00-10",  "2017-1-01", "17-01-01",  "2017-01-32",
                         "1999-12-31", "2017/01/01", "2017-01-01x", "",          "2017-0a-01"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(gl_fact_date_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gl_fact_date_ok(bad[i]))
            fail_msg("%s taken as a date", bad[i]);
    char d[16];
    /* 2017-12-31T16:30Z is 2018-01-01 00:30 in Shanghai. */
    assert_string_equal(gl_fact_today(1514737800000LL, d, sizeof d), "2018-01-01");
}

static void test_fact_json(void **state)
{
    (void)state;
    char why[256];
    gl_fact *f = NULL;
    const char *ok = "{\"name\": \"social_orgs\", \"value\": 7, \"as_of\": \"2017-05-01\", \"note\": \"年报\"}";
    assert_int_equal(gl_fact_from_json(ok, strlen(ok), &f, why, sizeof why), 0);
    assert_string_equal(f->name, "social_orgs");
    assert_true(f->value == 7);
    assert_string_equal(f->as_of, "2017-05-01");
    assert_string_equal(f->note, "年报");
    gridlink__v1__fact__free_unpacked(f, NULL);
    const char *bad[] = {"",
                         "[]",
                         "{\"name\": \"social_orgs\"}",
                         "{\"value\": 1}",
                         "{\"name\": 5, \"value\": 1}",
                         "{\"name\": \"social_orgs\", \"value\": \"7\"}",
                         "{\"name\": \"social_orgs\", \"value\": 7, \"as_of\": 20170501}",
                         "{\"name\": \"social_orgs\", \"value\": 7, \"as_of\": \"2017-02-30\"}",
                         "{\"name\": \"social_orgs\", \"value\": 7, \"who\": \"x\"}",
                         "{\"name\": \"social_orgs\", \"value\": 7, \"name\": \"rural\"}",
                         "{\"name\": \"rural\", \"value\": 3}",
                         "{\"name\": \"social_orgs\", \"value\": 1e300}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = NULL;
        if (gl_fact_from_json(bad[i], strlen(bad[i]), &f, why, sizeof why) != GL_EINVAL)
            fail_msg("taken: %s", bad[i]);
        assert_null(f);
        assert_true(why[0] != 0);
    }
    char big[GL_FACT_BODY_MAX + 2];
    memset(big, ' ', sizeof big);
    big[sizeof big - 1] = 0;
    assert_int_equal(gl_fact_from_json(big, strlen(big), &f, why, sizeof why), GL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test_setup_teardown(test_district, setup, teardown),
        cmocka_unit_test(test_fact_checks),
        cmocka_unit_test(test_fact_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
