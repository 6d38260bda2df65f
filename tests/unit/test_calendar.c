/* test_calendar.c: the working-time calendar: working periods, holidays and
 * make-up days, units, working hours and days added to a time, the JSON
 * format and its errors, and the calendar in a topology file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "error.h"
#include "topology.h"

#define MIN_MS  60000LL
#define HOUR_MS (60 * MIN_MS)

/* Beijing local time as ms since the epoch. */
static int64_t bj(int y, int m, int d, int hh, int mm)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    return days * 24 * HOUR_MS + hh * HOUR_MS + mm * MIN_MS - 8 * HOUR_MS;
}

/* 2026's 春节, 清明 and 国庆 with their make-up days, and a unit that keeps
 * other hours and works on Saturdays. */
static const char *const cal_json =
    "{\"utc_offset\":\"+08:00\",\"hours\":[\"08:30-12:00\",\"13:30-17:30\"],"
    "\"weekdays\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],"
    "\"holidays\":[\"2026-02-15..2026-02-23\",\"2026-04-04..2026-04-06\",\"2026-10-01..2026-10-07\"],"
    "\"workdays\":[\"2026-02-14\",\"2026-02-28\",\"2026-09-20\",\"2026-10-10\"],"
    "\"units\":[{\"node\":\"a.b\",\"hours\":[\"08:00-12:00\",\"14:00-18:00\"],"
    "\"weekdays\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\"]},"
    "{\"node\":\"a.b.c\",\"hours\":[\"09:00-17:00\"]}]}";

static gl_calendar_t *cal_from(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad test JSON: %s", jerr.text);
    gl_calendar_t *cal = NULL;
    char err[256] = "";
    int rc = gl_calendar_from_json(j, &cal, err, sizeof err);
    json_decref(j);
    if (rc != 0)
        fail_msg("calendar rejected: %s", err);
    return cal;
}

static int64_t wh(const gl_calendar_t *cal, const char *node, int64_t t, int64_t n)
{
    return gl_calendar_add(cal, node, t, n, GL_TIME_WORKING_HOURS);
}

static int64_t wd(const gl_calendar_t *cal, const char *node, int64_t t, int64_t n)
{
    return gl_calendar_add(cal, node, t, n, GL_TIME_WORKING_DAYS);
}

static void test_periods(void **state)
{
    (void)state;
    gl_calendar_t *cal = cal_from(cal_json);
    /* Tuesday 2026-03-10: periods include their start, exclude their end. */
    assert_false(gl_calendar_is_working(cal, NULL, bj(2026, 3, 10, 8, 29)));
    assert_true(gl_calendar_is_working(cal, NULL, bj(2026, 3, 10, 8, 30)));
    assert_true(gl_calendar_is_working(cal, NULL, bj(2026, 3, 10, 11, 59)));
    assert_false(gl_calendar_is_working(cal, NULL, bj(2026, 3, 10, 12, 0)));
    assert_false(gl_calendar_is_working(cal, NULL, bj(2026, 3, 10, 20, 0)));
    assert_int_equal(gl_calendar_next_working(cal, NULL, bj(2026, 3, 10, 12, 0)), bj(2026, 3, 10, 13, 30));
    assert_int_equal(gl_calendar_next_working(cal, NULL, bj(2026, 3, 10, 10, 0)), bj(2026, 3, 10, 10, 0));
    /* Saturday and Sunday are not working days. */
    assert_false(gl_calendar_is_working(cal, NULL, bj(2026, 3, 14, 10, 0)));
    assert_int_equal(gl_calendar_next_working(cal, NULL, bj(2026, 3, 14, 10, 0)), bj(2026, 3, 16, 8, 30));

    /* Lunch is skipped: 2 working hours from 11:00 end at 14:30. */
    assert_int_equal(wh(cal, NULL, bj(2026, 3, 10, 11, 0), 2), bj(2026, 3, 10, 14, 30));
    /* A limit that fills the afternoon ends at 17:30, not the next morning. */
    assert_int_equal(wh(cal, NULL, bj(2026, 3, 10, 16, 30), 1), bj(2026, 3, 10, 17, 30));
    /* Past the end of the day it moves to the next morning. */
    assert_int_equal(wh(cal, NULL, bj(2026, 3, 10, 17, 0), 1), bj(2026, 3, 11, 9, 0));
    /* Started at night, it starts with the next working period. */
    assert_int_equal(wh(cal, NULL, bj(2026, 3, 10, 20, 0), 2), bj(2026, 3, 11, 10, 30));
    assert_int_equal(wh(cal, NULL, bj(2026, 3, 11, 3, 0), 0), bj(2026, 3, 11, 8, 30));
    /* Over a weekend: Friday 17:00 + 1 h is Monday 09:00. */
    assert_int_equal(wh(cal, NULL, bj(2026, 3, 13, 17, 0), 1), bj(2026, 3, 16, 9, 0));
    assert_int_equal(wh(cal, NULL, bj(2026, 3, 14, 10, 0), 1), bj(2026, 3, 16, 9, 30));
    /* Working milliseconds add the same way. */
    assert_int_equal(gl_calendar_add(cal, NULL, bj(2026, 3, 10, 11, 30), 45 * MIN_MS, GL_TIME_WORKING_MS),
                     bj(2026, 3, 10, 13, 45));
    /* Working time between two times. */
    assert_int_equal(gl_calendar_working_ms(cal, NULL, bj(2026, 3, 13, 17, 0), bj(2026, 3, 16, 9, 0)), HOUR_MS);
    assert_int_equal(gl_calendar_working_ms(cal, NULL, bj(2026, 3, 10, 0, 0), bj(2026, 3, 11, 0, 0)),
                     (int64_t)(7.5 * HOUR_MS));
    assert_int_equal(gl_calendar_working_ms(cal, NULL, bj(2026, 3, 11, 0, 0), bj(2026, 3, 10, 0, 0)), 0);
    gl_calendar_free(&cal);
    assert_null(cal);
    gl_calendar_free(&cal);
}

static void test_holidays(void **state)
{
    (void)state;
    gl_calendar_t *cal = cal_from(cal_json);
    /* 清明 2026: Saturday 4 to Monday 6 April. Friday 17:00 + 1 h: Tuesday. */
    assert_false(gl_calendar_is_working(cal, NULL, bj(2026, 4, 6, 10, 0)));
    assert_int_equal(wh(cal, NULL, bj(2026, 4, 3, 17, 0), 1), bj(2026, 4, 7, 9, 0));
    /* A limit that would fall on the holiday moves past it. */
    assert_int_equal(wd(cal, NULL, bj(2026, 4, 2, 10, 0), 1), bj(2026, 4, 3, 17, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 4, 3, 10, 0), 1), bj(2026, 4, 7, 17, 30));

    /* The make-up Saturday before 春节 (2026-02-14) is a working day; the
     * holiday runs from the 15th to the 23rd. */
    assert_true(gl_calendar_is_working(cal, NULL, bj(2026, 2, 14, 10, 0)));
    assert_false(gl_calendar_is_working(cal, NULL, bj(2026, 2, 21, 10, 0)));
    assert_int_equal(wh(cal, NULL, bj(2026, 2, 13, 17, 0), 1), bj(2026, 2, 14, 9, 0));
    assert_int_equal(wh(cal, NULL, bj(2026, 2, 13, 17, 0), 8), bj(2026, 2, 14, 17, 30));
    assert_int_equal(wh(cal, NULL, bj(2026, 2, 13, 17, 0), 9), bj(2026, 2, 24, 9, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 2, 13, 10, 0), 2), bj(2026, 2, 24, 17, 30));

    /* 国庆 2026: 1 to 7 October, make-up days Sunday 20 September and
     * Saturday 10 October. */
    assert_true(gl_calendar_is_working(cal, NULL, bj(2026, 9, 20, 9, 0)));
    assert_int_equal(wd(cal, NULL, bj(2026, 9, 29, 10, 0), 1), bj(2026, 9, 30, 17, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 9, 30, 10, 0), 1), bj(2026, 10, 8, 17, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 9, 30, 10, 0), 3), bj(2026, 10, 10, 17, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 9, 30, 10, 0), 4), bj(2026, 10, 12, 17, 30));
    assert_int_equal(wh(cal, NULL, bj(2026, 9, 30, 17, 0), 1), bj(2026, 10, 8, 9, 0));
    gl_calendar_free(&cal);
}

static void test_working_days(void **state)
{
    (void)state;
    gl_calendar_t *cal = cal_from(cal_json);
    /* The start's own day is not counted: Tuesday 10:00 + 1 is Wednesday's
     * end of work, whatever the hour on Tuesday. */
    assert_int_equal(wd(cal, NULL, bj(2026, 3, 10, 10, 0), 1), bj(2026, 3, 11, 17, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 3, 10, 7, 0), 1), bj(2026, 3, 11, 17, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 3, 10, 23, 59), 1), bj(2026, 3, 11, 17, 30));
    /* Friday evening and Saturday both lead to Monday. */
    assert_int_equal(wd(cal, NULL, bj(2026, 3, 13, 20, 0), 1), bj(2026, 3, 16, 17, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 3, 14, 10, 0), 1), bj(2026, 3, 16, 17, 30));
    assert_int_equal(wd(cal, NULL, bj(2026, 3, 10, 10, 0), 5), bj(2026, 3, 17, 17, 30));
    /* 0 working days: the next working time. */
    assert_int_equal(wd(cal, NULL, bj(2026, 3, 14, 10, 0), 0), bj(2026, 3, 16, 8, 30));
    gl_calendar_free(&cal);
}

static void test_clock_units(void **state)
{
    (void)state;
    gl_calendar_t *cal = cal_from(cal_json);
    /* Emergencies count on the clock: at night, on a holiday. */
    int64_t t = bj(2026, 10, 3, 3, 0);
    assert_int_equal(gl_calendar_add(cal, NULL, t, HOUR_MS, GL_TIME_MS), t + HOUR_MS);
    assert_int_equal(gl_calendar_add(cal, "a.b", t, 30 * MIN_MS, GL_TIME_MS), t + 30 * MIN_MS);
    gl_time_limit lim = {10 * MIN_MS, GL_TIME_MS};
    assert_int_equal(gl_calendar_add_limit(cal, NULL, t, lim), t + 10 * MIN_MS);
    assert_int_equal(gl_calendar_add(cal, NULL, INT64_MAX - 5, 10, GL_TIME_MS), INT64_MAX);
    gl_calendar_free(&cal);
}

static void test_units(void **state)
{
    (void)state;
    gl_calendar_t *cal = cal_from(cal_json);
    assert_string_equal(gl_calendar_unit_node(cal, 0), "a.b");
    assert_string_equal(gl_calendar_unit_node(cal, 1), "a.b.c");
    assert_null(gl_calendar_unit_node(cal, 2));
    /* a.b and its subtree work Saturdays, 08:00-12:00 and 14:00-18:00. */
    int64_t sat = bj(2026, 3, 14, 9, 0);
    assert_true(gl_calendar_is_working(cal, "a.b", sat));
    assert_true(gl_calendar_is_working(cal, "a.b.x.g1", sat));
    assert_false(gl_calendar_is_working(cal, "a.bc", sat));
    assert_false(gl_calendar_is_working(cal, "a", sat));
    assert_false(gl_calendar_is_working(cal, NULL, sat));
    assert_int_equal(wh(cal, "a.b.x", bj(2026, 3, 13, 17, 45), 1), bj(2026, 3, 14, 8, 45));
    assert_int_equal(wh(cal, "a.b", bj(2026, 3, 10, 11, 0), 2), bj(2026, 3, 10, 15, 0));
    /* The longest unit wins: a.b.c has its own hours and a.b's weekdays
     * are not its own: it keeps the district's. */
    assert_true(gl_calendar_is_working(cal, "a.b.c.g1", bj(2026, 3, 10, 12, 30)));
    assert_false(gl_calendar_is_working(cal, "a.b.c", sat));
    assert_int_equal(wd(cal, "a.b.c", bj(2026, 3, 10, 10, 0), 1), bj(2026, 3, 11, 17, 0));
    /* Holidays are the district's, for every unit. */
    assert_false(gl_calendar_is_working(cal, "a.b", bj(2026, 10, 3, 9, 0)));
    gl_calendar_free(&cal);

    /* Another offset: the same local hours at UTC-05:00. */
    cal = cal_from("{\"utc_offset\":\"-05:00\"}");
    int64_t local_9 = bj(2026, 3, 10, 9, 0) + 13 * HOUR_MS; /* 09:00 at -05:00 */
    assert_true(gl_calendar_is_working(cal, NULL, local_9));
    assert_false(gl_calendar_is_working(cal, NULL, local_9 - HOUR_MS));
    gl_calendar_free(&cal);
}

static void test_default(void **state)
{
    (void)state;
    gl_calendar_t *cal = NULL;
    assert_int_equal(gl_calendar_default(&cal), 0);
    assert_true(gl_calendar_builtin(cal));
    assert_null(gl_calendar_unit_node(cal, 0));
    assert_int_equal(wh(cal, NULL, bj(2026, 10, 1, 11, 0), 2), bj(2026, 10, 1, 14, 30)); /* no holidays */
    json_t *j = gl_calendar_to_json(cal);
    json_t *want = json_loads("{\"utc_offset\":\"+08:00\",\"hours\":[\"08:30-12:00\",\"13:30-17:30\"],"
                              "\"weekdays\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],"
                              "\"holidays\":[],\"workdays\":[],\"units\":[]}",
                              0, NULL);
    assert_true(json_equal(j, want));
    json_decref(j);
    json_decref(want);
    gl_calendar_free(&cal);
    /* A NULL calendar is the built-in one; an empty object has its values
     * but is the file's own. */
    assert_int_equal(wh(NULL, NULL, bj(2026, 3, 13, 17, 0), 1), bj(2026, 3, 16, 9, 0));
    assert_true(gl_calendar_builtin(NULL));
    cal = cal_from("{}");
    assert_false(gl_calendar_builtin(cal));
    assert_int_equal(wh(cal, NULL, bj(2026, 3, 13, 17, 0), 1), bj(2026, 3, 16, 9, 0));
    gl_calendar_free(&cal);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"[]", "calendar: must be an object"},
        {"{\"hour\":[]}", "calendar: unknown key 'hour'"},
        {"{\"utc_offset\":\"+8\"}", "calendar.utc_offset: must be"},
        {"{\"utc_offset\":\"+15:00\"}", "calendar.utc_offset"},
        {"{\"utc_offset\":8}", "calendar.utc_offset"},
        {"{\"hours\":[]}", "calendar.hours: must be an array of 1..8"},
        {"{\"hours\":\"08:30-12:00\"}", "calendar.hours: must be"},
        {"{\"hours\":[\"08:30-12:00\",\"13:30\"]}", "calendar.hours[1]: must be \"HH:MM-HH:MM\""},
        {"{\"hours\":[\"12:00-08:30\"]}", "calendar.hours[0]"},
        {"{\"hours\":[\"08:30-24:30\"]}", "calendar.hours[0]"},
        {"{\"hours\":[\"08:30-12:60\"]}", "calendar.hours[0]"},
        {"{\"hours\":[\"13:30-17:30\",\"08:30-12:00\"]}", "calendar.hours[1]: 08:30-12:00 starts before hours[0] ends"},
        {"{\"weekdays\":[]}", "calendar.weekdays: must be"},
        {"{\"weekdays\":[\"monday\"]}", "calendar.weekdays[0]: must be one of"},
        {"{\"weekdays\":[\"mon\",\"mon\"]}", "calendar.weekdays[1]: 'mon' listed twice"},
        {"{\"holidays\":\"2026-10-01\"}", "calendar.holidays: must be an array"},
        {"{\"holidays\":[\"2026-10-01\",\"2026-13-01\"]}", "calendar.holidays[1]: must be \"YYYY-MM-DD\""},
        {"{\"holidays\":[\"2026-02-29\"]}", "calendar.holidays[0]"},
        {"{\"holidays\":[\"1999-10-01\"]}", "calendar.holidays[0]"},
        {"{\"holidays\":[\"2026-10-07..2026-10-01\"]}", "calendar.holidays[0]"},
        {"{\"holidays\":[\"2026-10-01...2026-10-07\"]}", "calendar.holidays[0]"},
        {"{\"holidays\":[7]}", "calendar.holidays[0]"},
        {"{\"holidays\":[\"2026-01-01..2027-06-01\"]}", "calendar.holidays[0]: 2026-01-01..2027-06-01 spans more than"},
        {"{\"holidays\":[\"2026-10-01..2026-10-07\",\"2026-10-05\"]}", "calendar.holidays[1]: 2026-10-05 overlaps "
                                                                       "holidays[0]"},
        {"{\"workdays\":[\"2026-10-10\",\"2026-10-10\"]}", "calendar.workdays[1]: 2026-10-10 overlaps workdays[0]"},
        {"{\"holidays\":[\"2026-10-01..2026-10-07\"],\"workdays\":[\"2026-09-20\",\"2026-10-03\"]}",
         "calendar.workdays[1]: overlaps holidays[0]"},
        {"{\"units\":{}}", "calendar.units: must be an array"},
        {"{\"units\":[{\"hours\":[\"08:00-12:00\"]}]}", "calendar.units[0]: must be an object with \"node\""},
        {"{\"units\":[{\"node\":\"a.b\"}]}", "calendar.units[0] (a.b): gives neither hours nor weekdays"},
        {"{\"units\":[{\"node\":\"a.b\",\"hours\":[\"8-12\"]}]}", "calendar.units[0] (a.b).hours[0]: must be"},
        {"{\"units\":[{\"node\":\"a.b\",\"weekdays\":[\"sun\"],\"holidays\":[]}]}",
         "calendar.units[0] (a.b): unknown key 'holidays'"},
        {"{\"units\":[{\"node\":\"a.b\",\"weekdays\":[\"sun\"]},{\"node\":\"a.b\",\"weekdays\":[\"sat\"]}]}",
         "calendar.units[1] (a.b): listed twice (first at units[0])"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t jerr;
        json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, &jerr);
        if (!j)
            fail_msg("case %zu: bad test JSON: %s", i, jerr.text);
        gl_calendar_t *cal = (gl_calendar_t *)0x1;
        char err[256] = "";
        int rc = gl_calendar_from_json(j, &cal, err, sizeof err);
        json_decref(j);
        if (rc != GL_EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu (%s): rc %d, err '%s', wanted '%s'", i, cases[i].json, rc, err, cases[i].msg);
        assert_null(cal);
    }
    assert_int_equal(gl_calendar_from_json(NULL, NULL, NULL, 0), GL_EINVAL);
}

static void test_limits_json(void **state)
{
    (void)state;
    json_t *o = json_loads("{\"accept_wh\":4,\"resolve_wd\":5,\"x_s\":60,\"y_ms\":1500,\"z_wh\":-1,"
                           "\"w_s\":1,\"w_wd\":1,\"v_wd\":3661}",
                           0, NULL);
    gl_time_limit lim;
    char why[192];
    assert_int_equal(gl_time_limit_from_json(o, "accept", true, &lim, why, sizeof why), 0);
    assert_int_equal(lim.unit, GL_TIME_WORKING_HOURS);
    assert_int_equal(lim.amount, 4);
    assert_int_equal(gl_time_limit_from_json(o, "resolve", true, &lim, why, sizeof why), 0);
    assert_int_equal(lim.unit, GL_TIME_WORKING_DAYS);
    assert_int_equal(gl_time_limit_nominal_ms(lim), 5 * 24 * HOUR_MS);
    assert_int_equal(gl_time_limit_from_json(o, "x", true, &lim, why, sizeof why), 0);
    assert_int_equal(lim.unit, GL_TIME_MS);
    assert_int_equal(lim.amount, 60000);
    assert_int_equal(gl_time_limit_from_json(o, "y", true, &lim, why, sizeof why), 0);
    assert_int_equal(lim.amount, 1500);
    assert_int_equal(gl_time_limit_from_json(o, "y", false, &lim, why, sizeof why), GL_ENOENT);
    assert_int_equal(gl_time_limit_from_json(o, "none", true, &lim, why, sizeof why), GL_ENOENT);
    assert_int_equal(lim.amount, 0);
    assert_int_equal(gl_time_limit_from_json(o, "z", true, &lim, why, sizeof why), GL_EINVAL);
    assert_non_null(strstr(why, "z_wh must be an integer number of working hours"));
    assert_int_equal(gl_time_limit_from_json(o, "w", true, &lim, why, sizeof why), GL_EINVAL);
    assert_non_null(strstr(why, "give w_s or w_wd, not both"));
    assert_int_equal(gl_time_limit_from_json(o, "v", true, &lim, why, sizeof why), GL_EINVAL);
    assert_non_null(strstr(why, "v_wd out of range (0..3660 working days)"));

    /* Written back under the key it was read from. */
    json_t *out = json_object();
    assert_int_equal(gl_time_limit_to_json(out, "a", (gl_time_limit){4, GL_TIME_WORKING_HOURS}), 0);
    assert_int_equal(gl_time_limit_to_json(out, "b", (gl_time_limit){2, GL_TIME_WORKING_DAYS}), 0);
    assert_int_equal(gl_time_limit_to_json(out, "c", (gl_time_limit){60000, GL_TIME_MS}), 0);
    assert_int_equal(gl_time_limit_to_json(out, "d", (gl_time_limit){1500, GL_TIME_MS}), 0);
    json_t *want = json_loads("{\"a_wh\":4,\"b_wd\":2,\"c_s\":60,\"d_ms\":1500}", 0, NULL);
    assert_true(json_equal(out, want));
    json_decref(want);
    json_decref(out);
    json_decref(o);
}

static const char *const topo_head = "{\"name\":\"t\",\"port_base\":17300,\"nodes\":["
                                     "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"},"
                                     "{\"id\":\"a.b\",\"tier\":\"township\",\"name\":\"B\"},"
                                     "{\"id\":\"a.b.c\",\"tier\":\"community\",\"name\":\"C\"},"
                                     "{\"id\":\"a.b.c.g\",\"tier\":\"grid\",\"name\":\"G\"}]";

static gl_topology_t *topo_with(const char *calendar, int want_rc, const char *want_err)
{
    char text[4096], err[256] = "";
    snprintf(text, sizeof text, "%s%s%s}", topo_head, calendar ? ",\"calendar\":" : "", calendar ? calendar : "");
    gl_topology_t *t = NULL;
    int rc = gl_topology_load_buffer(text, strlen(text), &t, err, sizeof err);
    if (rc != want_rc || (want_err && !strstr(err, want_err)))
        fail_msg("topology: rc %d, err '%s', wanted %d '%s'", rc, err, want_rc, want_err ? want_err : "");
    return t;
}

static void test_topology(void **state)
{
    (void)state;
    /* Absent: the built-in calendar, not written back. */
    gl_topology_t *t = topo_with(NULL, 0, NULL);
    assert_non_null(t->calendar);
    assert_true(gl_calendar_builtin(t->calendar));
    char path[] = "/tmp/gl-test-calendar-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(gl_topology_save(t, path), 0);
    json_t *saved = json_load_file(path, 0, NULL);
    assert_non_null(saved);
    assert_null(json_object_get(saved, "calendar"));
    json_decref(saved);
    gl_topology_free(&t);

    /* Given: validated, its units must be nodes, and it survives a save. */
    topo_with("{\"hours\":[\"8\"]}", GL_EINVAL, "calendar.hours[0]");
    topo_with("{\"units\":[{\"node\":\"a.x\",\"weekdays\":[\"sat\"]}]}", GL_EINVAL,
              "calendar.units[0]: 'a.x' is not a node of the topology");
    const char *cal =
        "{\"utc_offset\":\"+08:00\",\"hours\":[\"09:00-12:00\",\"13:00-17:00\"],"
        "\"holidays\":[\"2026-10-01..2026-10-07\",\"2027-01-01\"],\"workdays\":[\"2026-10-10\"],"
        "\"units\":[{\"node\":\"a.b.c\",\"weekdays\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\"]}]}";
    t = topo_with(cal, 0, NULL);
    assert_false(gl_calendar_builtin(t->calendar));
    assert_true(gl_calendar_is_working(t->calendar, "a.b.c.g", bj(2026, 3, 14, 9, 30)));
    json_t *before = gl_calendar_to_json(t->calendar);
    assert_int_equal(gl_topology_save(t, path), 0);
    gl_topology_free(&t);
    char err[256] = "";
    assert_int_equal(gl_topology_load_file(path, &t, err, sizeof err), 0);
    json_t *after = gl_calendar_to_json(t->calendar);
    assert_true(json_equal(before, after));
    json_t *hol = json_object_get(after, "holidays");
    assert_string_equal(json_string_value(json_array_get(hol, 0)), "2026-10-01..2026-10-07");
    assert_string_equal(json_string_value(json_array_get(hol, 1)), "2027-01-01");
    assert_null(json_object_get(json_array_get(json_object_get(after, "units"), 0), "hours"));
    json_decref(before);
    json_decref(after);
    gl_topology_free(&t);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),      cmocka_unit_test(test_holidays),    cmocka_unit_test(test_working_days),
        cmocka_unit_test(test_clock_units),  cmocka_unit_test(test_units),       cmocka_unit_test(test_default),
        cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_limits_json), cmocka_unit_test(test_topology),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
