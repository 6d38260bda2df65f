/* test_geo.c: grid areas: parsing GeoJSON Polygons, the even-odd test with
 * holes and the closed-boundary rule, the bounding box, writing back, and
 * the refusal of malformed geometries. */
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
#include "geo.h"

static gl_area_t *area_of(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad JSON in the test: %s: %s", jerr.text, text);
    gl_area_t *a = NULL;
    char err[256] = "";
    int rc = gl_area_parse(j, &a, err, sizeof err);
    json_decref(j);
    if (rc != 0)
        fail_msg("rejected: %s\n%s", err, text);
    return a;
}

#define POLY(rings) "{\"type\":\"Polygon\",\"coordinates\":[" rings "]}"
#define SQUARE      "[[0,0],[10,0],[10,10],[0,10],[0,0]]"

static void test_square(void **state)
{
    (void)state;
    gl_area_t *a = area_of(POLY(SQUARE));
    assert_true(gl_area_contains(a, 5, 5));
    assert_true(gl_area_contains(a, 0.001, 9.999));
    /* Edges and vertices are in the area. */
    assert_true(gl_area_contains(a, 0, 5));
    assert_true(gl_area_contains(a, 10, 5));
    assert_true(gl_area_contains(a, 5, 0));
    assert_true(gl_area_contains(a, 5, 10));
    assert_true(gl_area_contains(a, 0, 0));
    assert_true(gl_area_contains(a, 10, 10));
    assert_true(gl_area_contains(a, 10, 0));
    assert_true(gl_area_contains(a, 0, 10));
    /* Just outside, and far outside the bounding box. */
    assert_false(gl_area_contains(a, -0.001, 5));
    assert_false(gl_area_contains(a, 10.001, 5));
    assert_false(gl_area_contains(a, 5, 10.001));
    assert_false(gl_area_contains(a, 5, -0.001));
    assert_false(gl_area_contains(a, 170, 80));
    assert_false(gl_area_contains(a, -180, -90));
    assert_false(gl_area_contains(a, NAN, 5));
    assert_false(gl_area_contains(a, 5, INFINITY));
    assert_false(gl_area_contains(NULL, 5, 5));
    double w, s, e, n;
    gl_area_bounds(a, &w, &s, &e, &n);
    assert_true(w == 0 && s == 0 && e == 10 && n == 10);
    gl_area_free(a);
    gl_area_free(NULL);

    /* The same square wound the other way round. */
    a = area_of(POLY("[[0,0],[0,10],[10,10],[10,0],[0,0]]"));
    assert_true(gl_area_contains(a, 5, 5));
    assert_true(gl_area_contains(a, 10, 3));
    assert_false(gl_area_contains(a, 11, 3));
    gl_area_free(a);
}

static void test_concave(void **state)
{
    (void)state;
    /* A U: two arms (x 0..3 and 7..10) joined at the bottom (y 0..3). */
    gl_area_t *u = area_of(POLY("[[0,0],[10,0],[10,10],[7,10],[7,3],[3,3],[3,10],[0,10],[0,0]]"));
    assert_true(gl_area_contains(u, 1, 9));
    assert_true(gl_area_contains(u, 9, 9));
    assert_true(gl_area_contains(u, 5, 1));
    /* The notch is inside the bounding box but not in the area. */
    assert_false(gl_area_contains(u, 5, 5));
    assert_false(gl_area_contains(u, 5, 9.99));
    /* Its edges are the area's. */
    assert_true(gl_area_contains(u, 5, 3));
    assert_true(gl_area_contains(u, 3, 6));
    assert_true(gl_area_contains(u, 7, 3));
    /* A ray from a point level with the notch's corners passes vertices. */
    assert_true(gl_area_contains(u, 1, 3));
    assert_false(gl_area_contains(u, -1, 3));
    assert_false(gl_area_contains(u, 11, 3));
    gl_area_free(u);

    /* A diamond: the ray at a vertex's height is counted once. */
    gl_area_t *d = area_of(POLY("[[5,0],[10,5],[5,10],[0,5],[5,0]]"));
    assert_true(gl_area_contains(d, 5, 5));
    assert_true(gl_area_contains(d, 1, 5));
    assert_true(gl_area_contains(d, 9.5, 5));
    assert_false(gl_area_contains(d, -1, 5));
    assert_false(gl_area_contains(d, 1, 1));
    assert_false(gl_area_contains(d, 9, 9));
    assert_true(gl_area_contains(d, 2.5, 2.5)); /* on a slanted edge */
    assert_true(gl_area_contains(d, 7.5, 7.5));
    assert_true(gl_area_contains(d, 5, 10));
    assert_false(gl_area_contains(d, 5, 10.5));
    gl_area_free(d);
}

static void test_holes(void **state)
{
    (void)state;
    /* A square with a square hole (4..6) and a triangular one. */
    gl_area_t *a = area_of(POLY(SQUARE ",[[4,4],[6,4],[6,6],[4,6],[4,4]],[[1,1],[3,1],[1,3],[1,1]]"));
    assert_true(gl_area_contains(a, 2, 8));
    assert_true(gl_area_contains(a, 8, 2));
    assert_false(gl_area_contains(a, 5, 5));
    assert_false(gl_area_contains(a, 4.5, 5.9));
    assert_false(gl_area_contains(a, 1.5, 1.5));
    /* A hole's edges stay in the area: the area is closed. */
    assert_true(gl_area_contains(a, 4, 5));
    assert_true(gl_area_contains(a, 6, 6));
    assert_true(gl_area_contains(a, 5, 4));
    assert_true(gl_area_contains(a, 2, 2)); /* on the triangle's slanted edge */
    assert_true(gl_area_contains(a, 2.5, 2.5));
    /* The outline still decides outside. */
    assert_false(gl_area_contains(a, 11, 5));
    double w, s, e, n;
    gl_area_bounds(a, &w, &s, &e, &n);
    assert_true(w == 0 && s == 0 && e == 10 && n == 10);
    gl_area_free(a);
}

static void test_adjacent_tiles(void **state)
{
    (void)state;
    /* Two tiles of a district, at real coordinates, sharing the edge at
     * longitude 119.96: both claim it, neither claims beyond it. */
    gl_area_t *west = area_of(POLY("[[119.95,31.86],[119.96,31.86],[119.96,31.88],[119.95,31.88],[119.95,31.86]]"));
    gl_area_t *east = area_of(POLY("[[119.96,31.86],[119.97,31.86],[119.97,31.88],[119.96,31.88],[119.96,31.86]]"));
    assert_true(gl_area_contains(west, 119.955, 31.87));
    assert_false(gl_area_contains(east, 119.955, 31.87));
    assert_true(gl_area_contains(east, 119.965, 31.87));
    assert_false(gl_area_contains(west, 119.965, 31.87));
    assert_true(gl_area_contains(west, 119.96, 31.87));
    assert_true(gl_area_contains(east, 119.96, 31.87));
    assert_false(gl_area_contains(west, 119.98, 31.87));
    assert_false(gl_area_contains(east, 119.98, 31.87));
    gl_area_free(west);
    gl_area_free(east);
}

static void test_to_json(void **state)
{
    (void)state;
    const char *text = POLY(SQUARE ",[[4,4],[6,4],[6,6],[4,6],[4,4]]");
    gl_area_t *a = area_of(text);
    json_t *j = gl_area_to_json(a);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "Polygon");
    json_t *coords = json_object_get(j, "coordinates");
    assert_int_equal(json_array_size(coords), 2);
    assert_int_equal(json_array_size(json_array_get(coords, 0)), 5);
    json_t *pos = json_array_get(json_array_get(coords, 1), 2);
    assert_true(json_number_value(json_array_get(pos, 0)) == 6 && json_number_value(json_array_get(pos, 1)) == 6);

    /* Parsed again, it is the same area. */
    gl_area_t *b = NULL;
    char err[256] = "";
    assert_int_equal(gl_area_parse(j, &b, err, sizeof err), 0);
    json_t *k = gl_area_to_json(b);
    assert_true(json_equal(j, k));
    assert_false(gl_area_contains(b, 5, 5));
    assert_true(gl_area_contains(b, 9, 9));
    json_decref(k);
    json_decref(j);
    gl_area_free(b);
    gl_area_free(a);
    assert_null(gl_area_to_json(NULL));
}

/* A ring of n positions on a circle, closed. */
static char *circle(size_t n)
{
    size_t cap = 64 + n * 48;
    char *s = malloc(cap);
    size_t at = (size_t)snprintf(s, cap, "{\"type\":\"Polygon\",\"coordinates\":[[");
    for (size_t k = 0; k < n; k++) {
        double t = 2 * M_PI * (double)(k % (n - 1)) / (double)(n - 1);
        at += (size_t)snprintf(s + at, cap - at, "%s[%.6f,%.6f]", k ? "," : "", 120 + cos(t), 31 + sin(t));
    }
    snprintf(s + at, cap - at, "]]}");
    return s;
}

static void test_limits(void **state)
{
    (void)state;
    char *s = circle(GL_AREA_MAX_POSITIONS);
    gl_area_t *a = area_of(s);
    assert_true(gl_area_contains(a, 120, 31));
    assert_true(gl_area_contains(a, 120.5, 31.5));
    assert_false(gl_area_contains(a, 120.9, 31.9));
    gl_area_free(a);
    free(s);

    s = circle(GL_AREA_MAX_POSITIONS + 1);
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    char err[256] = "";
    a = (gl_area_t *)0x1;
    assert_int_equal(gl_area_parse(j, &a, err, sizeof err), GL_EINVAL);
    assert_null(a);
    assert_non_null(strstr(err, "more than 4096 positions"));
    json_decref(j);
    free(s);

    /* As many rings as allowed, and one more. */
    for (size_t n = GL_AREA_MAX_RINGS; n <= GL_AREA_MAX_RINGS + 1; n++) {
        json_t *rings = json_array();
        for (size_t r = 0; r < n; r++)
            json_array_append_new(
                rings, json_loads(r == 0 ? "[[0,0],[80,0],[80,80],[0,0]]" : "[[1,1],[2,1],[2,2],[1,1]]", 0, NULL));
        j = json_pack("{s:s,s:o}", "type", "Polygon", "coordinates", rings);
        int rc = gl_area_parse(j, &a, err, sizeof err);
        if (n == GL_AREA_MAX_RINGS) {
            if (rc != 0)
                fail_msg("%zu rings refused: %s", n, err);
            gl_area_free(a);
        } else {
            assert_int_equal(rc, GL_EINVAL);
            assert_non_null(strstr(err, "65 rings, at most 64"));
        }
        json_decref(j);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"[]", "must be a GeoJSON Polygon object"},
        {"\"Polygon\"", "must be a GeoJSON Polygon object"},
        {"{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQUARE "]]}", "type must be \"Polygon\""},
        {"{\"type\":\"Point\",\"coordinates\":[1,2]}", "type must be \"Polygon\""},
        {"{\"type\":\"polygon\",\"coordinates\":[" SQUARE "]}", "type must be \"Polygon\""},
        {"{\"coordinates\":[" SQUARE "]}", "type must be \"Polygon\""},
        {"{\"type\":7,\"coordinates\":[" SQUARE "]}", "type must be \"Polygon\""},
        {"{\"type\":\"Polygon\",\"coordinates\":[" SQUARE "],\"bbox\":[0,0,10,10]}", "unknown key 'bbox'"},
        {"{\"type\":\"Feature\",\"geometry\":" POLY(SQUARE) "}", "unknown key 'geometry'"},
        {"{\"type\":\"Polygon\"}", "coordinates must be an array of rings"},
        {"{\"type\":\"Polygon\",\"coordinates\":{}}", "coordinates must be an array of rings"},
        {POLY(""), "coordinates has no ring"},
        {POLY("7"), "ring 0: must be an array of positions"},
        {POLY(SQUARE ",{}"), "ring 1: must be an array of positions"},
        /* too few positions, open rings */
        {POLY("[[0,0],[1,0],[0,0]]"), "ring 0: 3 positions, a ring needs at least 4"},
        {POLY("[]"), "ring 0: 0 positions"},
        {POLY(SQUARE ",[[4,4],[6,4],[4,4]]"), "ring 1: 3 positions"},
        {POLY("[[0,0],[10,0],[10,10],[0,10]]"), "ring 0: not closed"},
        {POLY("[[0,0],[10,0],[10,10],[0,10],[0,0.000001]]"), "ring 0: not closed"},
        {POLY(SQUARE ",[[4,4],[6,4],[6,6],[4,6],[4,5]]"), "ring 1: not closed"},
        /* positions */
        {POLY("[[0,0],[10,0],[10,10,3],[0,10],[0,0]]"), "ring 0 position 2: must be [longitude, latitude]"},
        {POLY("[[0,0],[10],[10,10],[0,10],[0,0]]"), "ring 0 position 1: must be [longitude, latitude]"},
        {POLY("[[0,0],{\"lon\":1,\"lat\":2},[10,10],[0,10],[0,0]]"), "ring 0 position 1: must be"},
        {POLY("[[0,0],7,[10,10],[0,10],[0,0]]"), "ring 0 position 1: must be"},
        /* out of range, and values that are not finite numbers */
        {POLY("[[0,0],[180.5,0],[10,10],[0,10],[0,0]]"), "ring 0 position 1: longitude 180.5 is outside -180..180"},
        {POLY("[[0,0],[-181,0],[10,10],[0,10],[0,0]]"), "longitude -181 is outside -180..180"},
        {POLY("[[0,0],[10,0],[10,91],[0,10],[0,0]]"), "ring 0 position 2: latitude 91 is outside -90..90"},
        {POLY("[[0,-90.0001],[10,0],[10,10],[0,10],[0,-90.0001]]"), "latitude -90.0001 is outside"},
        {POLY("[[0,0],[\"NaN\",0],[10,10],[0,10],[0,0]]"), "ring 0 position 1: the longitude is not a number"},
        {POLY("[[0,0],[10,\"Infinity\"],[10,10],[0,10],[0,0]]"), "the latitude is not a number"},
        {POLY("[[0,0],[null,0],[10,10],[0,10],[0,0]]"), "the longitude is not a number"},
        {POLY("[[0,0],[true,0],[10,10],[0,10],[0,0]]"), "the longitude is not a number"},
        {POLY("[[0,0],[\"10\",0],[10,10],[0,10],[0,0]]"), "the longitude is not a number"},
        {POLY("[[0,0],[1e300,0],[10,10],[0,10],[0,0]]"), "longitude 1e+300 is outside"},
        {POLY("[[0,0],[99999999999999999,0],[10,10],[0,10],[0,0]]"), "is outside -180..180"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t jerr;
        json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, &jerr);
        if (!j)
            fail_msg("case %zu: bad JSON in the test: %s", i, jerr.text);
        char err[256] = "";
        gl_area_t *a = (gl_area_t *)0x1;
        int rc = gl_area_parse(j, &a, err, sizeof err);
        json_decref(j);
        if (rc != GL_EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu: rc %d, err '%s', wanted '%s'\n  input: %s", i, rc, err, cases[i].msg, cases[i].json);
        assert_null(a);
        assert_null(strchr(err, '\n'));
    }
    /* JSON itself has no NaN or infinity, and a number too large for a
     * double does not parse: such values never reach the parser. */
    assert_null(json_loads(POLY("[[0,0],[NaN,0],[10,10],[0,10],[0,0]]"), 0, NULL));
    assert_null(json_loads(POLY("[[0,0],[1e999,0],[10,10],[0,10],[0,0]]"), 0, NULL));
    assert_null(json_real(NAN));
    assert_int_equal(gl_area_parse(NULL, NULL, NULL, 0), GL_EINVAL);
    gl_area_t *a = (gl_area_t *)0x1;
    assert_int_equal(gl_area_parse(NULL, &a, NULL, 0), GL_EINVAL);
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_square),         cmocka_unit_test(test_concave), cmocka_unit_test(test_holes),
        cmocka_unit_test(test_adjacent_tiles), cmocka_unit_test(test_to_json), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
