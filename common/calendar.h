/* calendar.h: the working-time calendar of a district, and time limits
 * measured on it (工作时 working hours, 工作日 working days) or on the clock.
 *
 * A calendar has the district's working hours (periods of a day, such as
 * 08:30-12:00 and 13:30-17:30), its working weekdays, the year's public
 * holidays and make-up working days (调休: a Saturday or Sunday that is a
 * working day), and a time zone given as a fixed offset from UTC. A unit (a
 * node and its subtree, named by node ID) may have other hours or weekdays;
 * the unit with the longest node ID that contains a node decides for it.
 * Holidays and make-up days are the district's, for every unit.
 *
 * In a topology file:
 *   "calendar": {
 *     "utc_offset": "+08:00",                      default "+08:00"
 *     "hours": ["08:30-12:00", "13:30-17:30"],     default these two
 *     "weekdays": ["mon", "tue", "wed", "thu", "fri"],   default these five
 *     "holidays": ["2026-01-01..2026-01-03", "2026-04-05", ...],
 *     "workdays": ["2026-01-04", "2026-02-14", ...],     make-up working days
 *     "units": [{"node": "xinbei.sanjing.c01", "hours": ["08:00-12:00", "14:00-18:00"],
 *                "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat"]}]
 *   }
 * Every key is optional. hours: 1..8 periods "HH:MM-HH:MM" in local time,
 * each ending after it starts (24:00 at the latest, no period over
 * midnight), in order and not overlapping. weekdays: 1..7 distinct names
 * mon..sun. holidays and workdays: at most 1024 entries each, a day
 * "YYYY-MM-DD" (years 2000..2199) or a range "FIRST..LAST" of at most 366
 * days; no day may be listed twice, in one list or in both. A holiday is
 * never a working day; a make-up day always is, with the unit's hours. A
 * unit gives hours, weekdays or both; what it does not give is the
 * district's. utc_offset: "+HH:MM" or "-HH:MM", at most 14:00.
 *
 * Working days are counted as the law counts periods (期间开始之日不计算在内):
 * the day a limit starts on is not counted, and N working days end at the
 * end of the last working period of the Nth working day after it. A case
 * received on Tuesday at 10:00 with 1 working day is due on Wednesday at
 * the end of work; received on Friday evening or on Saturday, on Monday at
 * the end of work. Working hours are counted in working time only: 2 working
 * hours from 11:00 are due at 14:30 with the default hours. A limit that
 * starts outside working time starts at the next working period. Clock
 * limits ignore the calendar.
 *
 * Times are milliseconds since the Unix epoch (UTC); nothing here reads the
 * clock. A gl_calendar_t owns all its memory; free it with gl_calendar_free.
 * JSON passed in stays owned by the caller; gl_calendar_to_json returns a
 * new reference the caller releases. A NULL calendar stands for the
 * built-in one (gl_calendar_default) in every query. */
#ifndef GL_CALENDAR_H
#define GL_CALENDAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The amount a limit counts. */
enum gl_time_unit {
    GL_TIME_MS = 0,        /* clock milliseconds */
    GL_TIME_WORKING_MS,    /* milliseconds of working time */
    GL_TIME_WORKING_HOURS, /* 工作时: hours of working time */
    GL_TIME_WORKING_DAYS,  /* 工作日: working days, counted as above */
};

/* A time limit: amount in unit; amount 0 is no limit. */
typedef struct gl_time_limit {
    int64_t amount;
    enum gl_time_unit unit;
} gl_time_limit;

typedef struct gl_calendar gl_calendar_t;

/* Build a calendar from a JSON object (format above); NULL gives the
 * built-in calendar. GL_EINVAL (GL_ENOMEM) with a one-line reason naming
 * the entry in err ("calendar.holidays[3]: ..."). */
int gl_calendar_from_json(const json_t *obj, gl_calendar_t **out, char *err, size_t errlen);
/* The built-in calendar: Mon-Fri 08:30-12:00 and 13:30-17:30, UTC+08:00, no
 * holidays. 0 or GL_ENOMEM. */
int gl_calendar_default(gl_calendar_t **out);
/* True for a calendar made by gl_calendar_default (or from a NULL object). */
bool gl_calendar_builtin(const gl_calendar_t *cal);
/* Serialize back to the object gl_calendar_from_json reads (new reference,
 * NULL when out of memory); every key is written. */
json_t *gl_calendar_to_json(const gl_calendar_t *cal);
void gl_calendar_free(gl_calendar_t **cal);

/* The node ID of the i-th unit, NULL past the last. Points into cal. */
const char *gl_calendar_unit_node(const gl_calendar_t *cal, size_t i);

/* start plus amount in unit, for node (a node ID; NULL or one outside every
 * unit has the district's hours). Clock units add plainly. Working units
 * give a time inside working time or at the end of a working period, never
 * on a holiday, weekend or at night; amount 0 gives the next working time
 * from start. INT64_MAX when the calendar has no working time within a
 * hundred years of start, or the result does not fit. */
int64_t gl_calendar_add(const gl_calendar_t *cal, const char *node, int64_t start_ms, int64_t amount,
                        enum gl_time_unit unit);
/* The same for a limit. */
int64_t gl_calendar_add_limit(const gl_calendar_t *cal, const char *node, int64_t start_ms, gl_time_limit lim);
/* The calendar's time zone, minutes east of UTC. */
int gl_calendar_utc_offset_min(const gl_calendar_t *cal);
/* True if t_ms lies in a working period of node's unit on a working day
 * (periods include their start and exclude their end). */
bool gl_calendar_is_working(const gl_calendar_t *cal, const char *node, int64_t t_ms);
/* t_ms if it is working time, else the start of the next working period
 * (INT64_MAX as for gl_calendar_add). */
int64_t gl_calendar_next_working(const gl_calendar_t *cal, const char *node, int64_t t_ms);
/* Milliseconds of working time in [from_ms, to_ms); 0 when to <= from. */
int64_t gl_calendar_working_ms(const gl_calendar_t *cal, const char *node, int64_t from_ms, int64_t to_ms);

/* Time limits in JSON: NAME_s (clock seconds), NAME_ms (clock milliseconds,
 * only when allow_ms), NAME_wh (working hours) or NAME_wd (working days),
 * each a whole number, at most one of them, within ten years (0..316224000
 * s, 0..87840 wh, 0..3660 wd). Reads NAME's limit from obj into *out:
 * 0, GL_ENOENT when none is given (*out is then no limit), or GL_EINVAL with
 * a reason without prefix in why ("accept_wh must be ..."). */
int gl_time_limit_from_json(const json_t *obj, const char *name, bool allow_ms, gl_time_limit *out, char *why,
                            size_t whylen);
/* Set NAME's key in obj: NAME_wh, NAME_wd, NAME_s for whole seconds, else
 * NAME_ms. 0, or -1 when out of memory. */
int gl_time_limit_to_json(json_t *obj, const char *name, gl_time_limit lim);
/* The key gl_time_limit_to_json writes for lim, into buf ("accept_wd"). */
const char *gl_time_limit_key(const char *name, gl_time_limit lim, char *buf, size_t len);
/* The limit's nominal clock length: a working hour as 1 h, a working day as
 * 24 h. For ordering and display, not for deadlines. */
int64_t gl_time_limit_nominal_ms(gl_time_limit lim);

#endif
