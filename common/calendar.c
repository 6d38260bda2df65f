/* calendar.c: the working-time calendar (see calendar.h): parsing, saving
 * and the arithmetic of working time, and time limits in JSON.
 *
 * A gl_calendar_t owns its units array with each unit's node string, and
 * its holidays and workdays arrays; gl_calendar_free releases all of it.
 *
 * Days are counted in local time (UTC plus the calendar's offset) as days
 * since 1970-01-01; a unit's periods are milliseconds since local midnight.
 * Every unit holds its effective hours and weekdays (the district's where
 * it gives none), with flags saying which it gave, so that saving writes
 * back what the file said. Scans go day by day and stop after a hundred
 * years, which only a calendar of nothing but holidays would reach. */
#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"
#include "error.h"

#define DAY_MS       (24LL * 3600 * 1000)
#define HOUR_MS      (3600LL * 1000)
#define MAX_PERIODS  8
#define MAX_DAYS     1024 /* entries of holidays or workdays */
#define MAX_RANGE    366
#define MAX_UNITS    4096
#define MAX_NODE_LEN 255
#define SCAN_DAYS    (100 * 366)
#define YEAR_MIN     2000
#define YEAR_MAX     2199
#define MAX_OFFSET   (14 * 60)
#define MAX_LIMIT_S  (10LL * 366 * 24 * 3600)
#define MAX_LIMIT_WH (10LL * 366 * 24)
#define MAX_LIMIT_WD (10LL * 366)
#define BEIJING_OFFS (8 * 60)

struct period {
    int64_t start, end; /* ms since local midnight */
};

struct unit {
    char *node; /* NULL for the district */
    struct period periods[MAX_PERIODS];
    size_t n_periods;
    unsigned weekdays; /* bit 0 Monday .. bit 6 Sunday */
    bool has_hours, has_weekdays;
};

struct day_range {
    int32_t first, last; /* local days since 1970-01-01 */
};

struct gl_calendar {
    int offset_min;
    struct unit district;
    struct unit *units;
    size_t n_units;
    struct day_range *holidays, *workdays;
    size_t n_holidays, n_workdays;
    bool builtin;
};

static const char *const weekday_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static const struct unit default_unit = {
    .periods = {{(8 * 60 + 30) * 60000LL, 12 * HOUR_MS}, {(13 * 60 + 30) * 60000LL, (17 * 60 + 30) * 60000LL}},
    .n_periods = 2,
    .weekdays = 0x1f,
};

static const gl_calendar_t default_calendar = {
    .offset_min = BEIJING_OFFS,
    .district = {.periods = {{(8 * 60 + 30) * 60000LL, 12 * HOUR_MS},
                             {(13 * 60 + 30) * 60000LL, (17 * 60 + 30) * 60000LL}},
                 .n_periods = 2,
                 .weekdays = 0x1f},
    .builtin = true,
};

/* ---- dates ----------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Monday 0 .. Sunday 6; 1970-01-01 was a Thursday. */
static int weekday_of(int64_t day)
{
    return (int)(((day + 3) % 7 + 7) % 7);
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "YYYY-MM-DD" at s (exactly 10 characters) into *day. */
static bool parse_date(const char *s, int32_t *day)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < YEAR_MIN || y > YEAR_MAX || s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return false;
    *day = days_from_civil(y, m, d);
    return true;
}

static void format_date(int32_t day, char out[16])
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
}

/* "HH:MM" at s (5 characters), 00:00..24:00, into minutes. */
static int parse_clock(const char *s)
{
    int h = digits(s, 2), m = digits(s + 3, 2);
    if (h < 0 || m < 0 || s[2] != ':' || m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

/* ---- lookups --------------------------------------------------------- */

static bool in_ranges(const struct day_range *r, size_t n, int64_t day)
{
    for (size_t i = 0; i < n; i++)
        if (day >= r[i].first && day <= r[i].last)
            return true;
    return false;
}

static bool working_day(const gl_calendar_t *cal, const struct unit *u, int64_t day)
{
    if (in_ranges(cal->holidays, cal->n_holidays, day))
        return false;
    if (in_ranges(cal->workdays, cal->n_workdays, day))
        return true;
    return (u->weekdays >> weekday_of(day)) & 1u;
}

/* "a.b" contains "a.b" and "a.b.c" but not "a.bc". */
static bool contains(const char *unit, const char *node)
{
    size_t n = strlen(unit);
    return strncmp(unit, node, n) == 0 && (node[n] == 0 || node[n] == '.');
}

static const struct unit *unit_for(const gl_calendar_t *cal, const char *node)
{
    const struct unit *best = &cal->district;
    size_t best_len = 0;
    for (size_t i = 0; node && i < cal->n_units; i++) {
        size_t len = strlen(cal->units[i].node);
        if (len > best_len && contains(cal->units[i].node, node)) {
            best = &cal->units[i];
            best_len = len;
        }
    }
    return best;
}

/* ---- arithmetic ------------------------------------------------------ */

/* The time r ms of working time after start (r = 0: the next working time). */
static int64_t add_working(const gl_calendar_t *cal, const struct unit *u, int64_t start, int64_t r)
{
    int64_t off = cal->offset_min * 60000LL;
    int64_t local = start + off;
    int64_t day = floor_div(local, DAY_MS), tod = local - day * DAY_MS;
    for (int n = 0; n < SCAN_DAYS; n++, day++, tod = 0) {
        if (!working_day(cal, u, day))
            continue;
        for (size_t i = 0; i < u->n_periods; i++) {
            const struct period *p = &u->periods[i];
            if (tod >= p->end)
                continue;
            int64_t s = tod > p->start ? tod : p->start;
            if (r <= p->end - s)
                return day * DAY_MS + s + r - off;
            r -= p->end - s;
            tod = p->end;
        }
    }
    return INT64_MAX;
}

/* The end of the last period of the nth working day after start's day. */
static int64_t add_days(const gl_calendar_t *cal, const struct unit *u, int64_t start, int64_t n)
{
    int64_t off = cal->offset_min * 60000LL;
    int64_t day = floor_div(start + off, DAY_MS);
    for (int i = 0; i < SCAN_DAYS; i++) {
        day++;
        if (working_day(cal, u, day) && --n == 0)
            return day * DAY_MS + u->periods[u->n_periods - 1].end - off;
    }
    return INT64_MAX;
}

int64_t gl_calendar_add(const gl_calendar_t *cal, const char *node, int64_t start_ms, int64_t amount,
                        enum gl_time_unit unit)
{
    if (!cal)
        cal = &default_calendar;
    if (amount < 0)
        amount = 0;
    const struct unit *u = unit_for(cal, node);
    switch (unit) {
    case GL_TIME_MS: return amount > INT64_MAX - start_ms ? INT64_MAX : start_ms + amount;
    case GL_TIME_WORKING_MS: return add_working(cal, u, start_ms, amount);
    case GL_TIME_WORKING_HOURS:
        return amount > INT64_MAX / HOUR_MS ? INT64_MAX : add_working(cal, u, start_ms, amount * HOUR_MS);
    case GL_TIME_WORKING_DAYS:
        return amount == 0 ? add_working(cal, u, start_ms, 0) : add_days(cal, u, start_ms, amount);
    }
    return INT64_MAX;
}

int64_t gl_calendar_add_limit(const gl_calendar_t *cal, const char *node, int64_t start_ms, gl_time_limit lim)
{
    return gl_calendar_add(cal, node, start_ms, lim.amount, lim.unit);
}

int64_t gl_calendar_next_working(const gl_calendar_t *cal, const char *node, int64_t t_ms)
{
    if (!cal)
        cal = &default_calendar;
    return add_working(cal, unit_for(cal, node), t_ms, 0);
}

int gl_calendar_utc_offset_min(const gl_calendar_t *cal)
{
    return (cal ? cal : &default_calendar)->offset_min;
}

bool gl_calendar_is_working(const gl_calendar_t *cal, const char *node, int64_t t_ms)
{
    if (!cal)
        cal = &default_calendar;
    const struct unit *u = unit_for(cal, node);
    int64_t local = t_ms + cal->offset_min * 60000LL;
    int64_t day = floor_div(local, DAY_MS), tod = local - day * DAY_MS;
    if (!working_day(cal, u, day))
        return false;
    for (size_t i = 0; i < u->n_periods; i++)
        if (tod >= u->periods[i].start && tod < u->periods[i].end)
            return true;
    return false;
}

int64_t gl_calendar_working_ms(const gl_calendar_t *cal, const char *node, int64_t from_ms, int64_t to_ms)
{
    if (!cal)
        cal = &default_calendar;
    if (to_ms <= from_ms)
        return 0;
    const struct unit *u = unit_for(cal, node);
    int64_t off = cal->offset_min * 60000LL;
    int64_t day = floor_div(from_ms + off, DAY_MS), last = floor_div(to_ms + off, DAY_MS), sum = 0;
    for (int n = 0; day <= last && n < SCAN_DAYS; day++, n++) {
        if (!working_day(cal, u, day))
            continue;
        for (size_t i = 0; i < u->n_periods; i++) {
            int64_t s = day * DAY_MS + u->periods[i].start - off, e = day * DAY_MS + u->periods[i].end - off;
            if (s < from_ms)
                s = from_ms;
            if (e > to_ms)
                e = to_ms;
            if (e > s)
                sum += e - s;
        }
    }
    return sum;
}

/* ---- parsing --------------------------------------------------------- */

static int parse_hours(const json_t *v, const char *where, struct unit *u, char *err, size_t errlen)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MAX_PERIODS) {
        gl_errf(err, errlen, "%s.hours: must be an array of 1..%d periods like \"08:30-12:00\"", where, MAX_PERIODS);
        return GL_EINVAL;
    }
    u->n_periods = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        int a = s && strlen(s) == 11 && s[5] == '-' ? parse_clock(s) : -1;
        int b = a >= 0 ? parse_clock(s + 6) : -1;
        if (a < 0 || b < 0 || b <= a) {
            gl_errf(err, errlen, "%s.hours[%zu]: must be \"HH:MM-HH:MM\", ending after it starts, by 24:00", where, i);
            return GL_EINVAL;
        }
        if (i > 0 && a * 60000LL < u->periods[i - 1].end) {
            gl_errf(err, errlen, "%s.hours[%zu]: %.11s starts before hours[%zu] ends (periods in order, apart)", where,
                    i, s, i - 1);
            return GL_EINVAL;
        }
        u->periods[i].start = a * 60000LL;
        u->periods[i].end = b * 60000LL;
        u->n_periods++;
    }
    u->has_hours = true;
    return GL_OK;
}

static int parse_weekdays(const json_t *v, const char *where, struct unit *u, char *err, size_t errlen)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 7) {
        gl_errf(err, errlen, "%s.weekdays: must be an array of 1..7 of mon tue wed thu fri sat sun", where);
        return GL_EINVAL;
    }
    u->weekdays = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        int w = -1;
        for (int k = 0; s && k < 7 && w < 0; k++)
            if (strcmp(s, weekday_names[k]) == 0)
                w = k;
        if (w < 0) {
            gl_errf(err, errlen, "%s.weekdays[%zu]: must be one of mon tue wed thu fri sat sun", where, i);
            return GL_EINVAL;
        }
        if (u->weekdays & (1u << w)) {
            gl_errf(err, errlen, "%s.weekdays[%zu]: '%s' listed twice", where, i, s);
            return GL_EINVAL;
        }
        u->weekdays |= 1u << w;
    }
    u->has_weekdays = true;
    return GL_OK;
}

static int parse_days(const json_t *v, const char *what, struct day_range **out, size_t *n_out, char *err,
                      size_t errlen)
{
    *n_out = 0;
    if (!v || json_is_null(v))
        return GL_OK;
    if (!json_is_array(v) || json_array_size(v) > MAX_DAYS) {
        gl_errf(err, errlen, "calendar.%s: must be an array of at most %d days or ranges", what, MAX_DAYS);
        return GL_EINVAL;
    }
    size_t n = json_array_size(v);
    if (n == 0)
        return GL_OK;
    if (!(*out = calloc(n, sizeof **out))) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        size_t len = s ? strlen(s) : 0;
        struct day_range r;
        bool ok = (len == 10 && parse_date(s, &r.first) && (r.last = r.first, true)) ||
                  (len == 22 && s[10] == '.' && s[11] == '.' && parse_date(s, &r.first) &&
                   parse_date(s + 12, &r.last) && r.last >= r.first);
        if (!ok) {
            gl_errf(err, errlen, "calendar.%s[%zu]: must be \"YYYY-MM-DD\" or \"YYYY-MM-DD..YYYY-MM-DD\" (%d..%d)",
                    what, i, YEAR_MIN, YEAR_MAX);
            return GL_EINVAL;
        }
        if (r.last - r.first >= MAX_RANGE) {
            gl_errf(err, errlen, "calendar.%s[%zu]: %s spans more than %d days", what, i, s, MAX_RANGE);
            return GL_EINVAL;
        }
        for (size_t j = 0; j < *n_out; j++) {
            if (r.first <= (*out)[j].last && r.last >= (*out)[j].first) {
                gl_errf(err, errlen, "calendar.%s[%zu]: %s overlaps %s[%zu]", what, i, s, what, j);
                return GL_EINVAL;
            }
        }
        (*out)[(*n_out)++] = r;
    }
    return GL_OK;
}

static int parse_offset(const json_t *v, int *minutes, char *err, size_t errlen)
{
    const char *s = json_string_value(v);
    int h = -1, m = -1;
    if (s && strlen(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':') {
        h = digits(s + 1, 2);
        m = digits(s + 4, 2);
    }
    if (h < 0 || m < 0 || m > 59 || h * 60 + m > MAX_OFFSET) {
        gl_errf(err, errlen, "calendar.utc_offset: must be \"+HH:MM\" or \"-HH:MM\" within 14:00 (Beijing \"+08:00\")");
        return GL_EINVAL;
    }
    *minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
    return GL_OK;
}

static int parse_unit(gl_calendar_t *cal, const json_t *o, size_t i, char *err, size_t errlen)
{
    static const char *const keys[] = {"node", "hours", "weekdays"};
    struct unit *u = &cal->units[i];
    const char *bad = NULL;
    char where[MAX_NODE_LEN + 32];
    const char *node = json_string_value(json_object_get(o, "node"));
    if (!json_is_object(o) || !node || strlen(node) == 0 || strlen(node) > MAX_NODE_LEN) {
        gl_errf(err, errlen, "calendar.units[%zu]: must be an object with \"node\", a node ID", i);
        return GL_EINVAL;
    }
    snprintf(where, sizeof where, "calendar.units[%zu] (%s)", i, node);
    if (!gl_json_only_keys(o, keys, 3, &bad)) {
        gl_errf(err, errlen, "%s: unknown key '%.40s'", where, bad);
        return GL_EINVAL;
    }
    for (size_t j = 0; j < i; j++) {
        if (strcmp(cal->units[j].node, node) == 0) {
            gl_errf(err, errlen, "%s: listed twice (first at units[%zu])", where, j);
            return GL_EINVAL;
        }
    }
    *u = cal->district;
    u->has_hours = u->has_weekdays = false;
    if (!(u->node = strdup(node))) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    const json_t *h = json_object_get(o, "hours"), *w = json_object_get(o, "weekdays");
    if (!h && !w) {
        gl_errf(err, errlen, "%s: gives neither hours nor weekdays", where);
        return GL_EINVAL;
    }
    int rc = h ? parse_hours(h, where, u, err, errlen) : GL_OK;
    if (rc == 0 && w)
        rc = parse_weekdays(w, where, u, err, errlen);
    return rc;
}

static int parse(gl_calendar_t *cal, const json_t *obj, char *err, size_t errlen)
{
    static const char *const keys[] = {"utc_offset", "hours", "weekdays", "holidays", "workdays", "units"};
    const char *bad = NULL;
    if (!json_is_object(obj)) {
        gl_errf(err, errlen, "calendar: must be an object");
        return GL_EINVAL;
    }
    if (!gl_json_only_keys(obj, keys, sizeof keys / sizeof keys[0], &bad)) {
        gl_errf(err, errlen, "calendar: unknown key '%.40s'", bad);
        return GL_EINVAL;
    }
    const json_t *v = json_object_get(obj, "utc_offset");
    int rc = v ? parse_offset(v, &cal->offset_min, err, errlen) : GL_OK;
    if (rc == 0 && (v = json_object_get(obj, "hours")))
        rc = parse_hours(v, "calendar", &cal->district, err, errlen);
    if (rc == 0 && (v = json_object_get(obj, "weekdays")))
        rc = parse_weekdays(v, "calendar", &cal->district, err, errlen);
    if (rc == 0)
        rc = parse_days(json_object_get(obj, "holidays"), "holidays", &cal->holidays, &cal->n_holidays, err, errlen);
    if (rc == 0)
        rc = parse_days(json_object_get(obj, "workdays"), "workdays", &cal->workdays, &cal->n_workdays, err, errlen);
    for (size_t i = 0; rc == 0 && i < cal->n_workdays; i++) {
        for (size_t j = 0; j < cal->n_holidays; j++) {
            const struct day_range *a = &cal->workdays[i], *b = &cal->holidays[j];
            if (a->first <= b->last && a->last >= b->first) {
                gl_errf(err, errlen, "calendar.workdays[%zu]: overlaps holidays[%zu] (a day is one or the other)", i,
                        j);
                return GL_EINVAL;
            }
        }
    }
    if (rc != 0)
        return rc;
    v = json_object_get(obj, "units");
    if (!v || json_is_null(v))
        return GL_OK;
    if (!json_is_array(v) || json_array_size(v) > MAX_UNITS) {
        gl_errf(err, errlen, "calendar.units: must be an array of at most %d units", MAX_UNITS);
        return GL_EINVAL;
    }
    size_t n = json_array_size(v);
    if (n > 0 && !(cal->units = calloc(n, sizeof *cal->units))) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        cal->n_units = i + 1; /* so that free sees the partly filled unit */
        if ((rc = parse_unit(cal, json_array_get(v, i), i, err, errlen)) != 0)
            return rc;
    }
    return GL_OK;
}

int gl_calendar_from_json(const json_t *obj, gl_calendar_t **out, char *err, size_t errlen)
{
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    gl_calendar_t *cal = calloc(1, sizeof *cal);
    if (!cal) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    cal->offset_min = BEIJING_OFFS;
    cal->district = default_unit;
    cal->builtin = obj == NULL;
    int rc = obj ? parse(cal, obj, err, errlen) : GL_OK;
    if (rc != 0) {
        gl_calendar_free(&cal);
        return rc;
    }
    *out = cal;
    return GL_OK;
}

int gl_calendar_default(gl_calendar_t **out)
{
    return gl_calendar_from_json(NULL, out, NULL, 0);
}

bool gl_calendar_builtin(const gl_calendar_t *cal)
{
    return !cal || cal->builtin;
}

void gl_calendar_free(gl_calendar_t **cp)
{
    if (!cp || !*cp)
        return;
    gl_calendar_t *cal = *cp;
    for (size_t i = 0; i < cal->n_units; i++)
        free(cal->units[i].node);
    free(cal->units);
    free(cal->holidays);
    free(cal->workdays);
    free(cal);
    *cp = NULL;
}

const char *gl_calendar_unit_node(const gl_calendar_t *cal, size_t i)
{
    return cal && i < cal->n_units ? cal->units[i].node : NULL;
}

/* ---- saving ---------------------------------------------------------- */

static json_t *hours_json(const struct unit *u)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < u->n_periods; i++) {
        unsigned a = (unsigned)(u->periods[i].start / 60000), b = (unsigned)(u->periods[i].end / 60000);
        char s[32];
        snprintf(s, sizeof s, "%02u:%02u-%02u:%02u", a / 60 % 100, a % 60, b / 60 % 100, b % 60);
        if (json_array_append_new(arr, json_string(s)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *weekdays_json(unsigned mask)
{
    json_t *arr = json_array();
    for (int k = 0; arr && k < 7; k++) {
        if ((mask >> k & 1u) && json_array_append_new(arr, json_string(weekday_names[k])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *days_json(const struct day_range *r, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        char a[16], b[16], s[40];
        format_date(r[i].first, a);
        format_date(r[i].last, b);
        if (r[i].first == r[i].last)
            snprintf(s, sizeof s, "%s", a);
        else
            snprintf(s, sizeof s, "%s..%s", a, b);
        if (json_array_append_new(arr, json_string(s)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static int put(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

json_t *gl_calendar_to_json(const gl_calendar_t *cal)
{
    if (!cal)
        cal = &default_calendar;
    json_t *o = json_object();
    unsigned off = (unsigned)(cal->offset_min < 0 ? -cal->offset_min : cal->offset_min);
    char offs[16];
    snprintf(offs, sizeof offs, "%c%02u:%02u", cal->offset_min < 0 ? '-' : '+', off / 60 % 100, off % 60);
    int rc = o ? put(o, "utc_offset", json_string(offs)) : -1;
    if (rc == 0)
        rc = put(o, "hours", hours_json(&cal->district));
    if (rc == 0)
        rc = put(o, "weekdays", weekdays_json(cal->district.weekdays));
    if (rc == 0)
        rc = put(o, "holidays", days_json(cal->holidays, cal->n_holidays));
    if (rc == 0)
        rc = put(o, "workdays", days_json(cal->workdays, cal->n_workdays));
    json_t *units = rc == 0 ? json_array() : NULL;
    if (rc == 0)
        rc = put(o, "units", units);
    for (size_t i = 0; rc == 0 && i < cal->n_units; i++) {
        const struct unit *u = &cal->units[i];
        json_t *uo = json_object();
        rc = uo ? json_array_append_new(units, uo) : -1;
        if (rc == 0)
            rc = put(uo, "node", json_string(u->node));
        if (rc == 0 && u->has_hours)
            rc = put(uo, "hours", hours_json(u));
        if (rc == 0 && u->has_weekdays)
            rc = put(uo, "weekdays", weekdays_json(u->weekdays));
    }
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- time limits in JSON --------------------------------------------- */

static const struct {
    const char *suffix;
    enum gl_time_unit unit;
    long long max;
    int64_t scale; /* to the unit's amount */
    const char *what;
} limit_keys[] = {
    {"s", GL_TIME_MS, MAX_LIMIT_S, 1000, "seconds"},
    {"ms", GL_TIME_MS, MAX_LIMIT_S * 1000, 1, "milliseconds"},
    {"wh", GL_TIME_WORKING_HOURS, MAX_LIMIT_WH, 1, "working hours"},
    {"wd", GL_TIME_WORKING_DAYS, MAX_LIMIT_WD, 1, "working days"},
};
#define N_LIMIT_KEYS (sizeof limit_keys / sizeof limit_keys[0])

int gl_time_limit_from_json(const json_t *obj, const char *name, bool allow_ms, gl_time_limit *out, char *why,
                            size_t whylen)
{
    gl_time_limit lim = {0, GL_TIME_MS};
    char key[64], found[64] = "";
    *out = lim;
    for (size_t i = 0; i < N_LIMIT_KEYS; i++) {
        if (!allow_ms && limit_keys[i].scale == 1 && limit_keys[i].unit == GL_TIME_MS)
            continue;
        snprintf(key, sizeof key, "%s_%s", name, limit_keys[i].suffix);
        const json_t *v = json_object_get(obj, key);
        if (!v)
            continue;
        if (found[0]) {
            gl_errf(why, whylen, "give %s or %s, not both", found, key);
            return GL_EINVAL;
        }
        snprintf(found, sizeof found, "%s", key);
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            gl_errf(why, whylen, "%s must be an integer number of %s in 0..%lld", key, limit_keys[i].what,
                    limit_keys[i].max);
            return GL_EINVAL;
        }
        if (json_integer_value(v) > limit_keys[i].max) {
            gl_errf(why, whylen, "%s out of range (0..%lld %s)", key, limit_keys[i].max, limit_keys[i].what);
            return GL_EINVAL;
        }
        lim.amount = (int64_t)json_integer_value(v) * limit_keys[i].scale;
        lim.unit = limit_keys[i].unit;
    }
    *out = lim;
    return found[0] ? GL_OK : GL_ENOENT;
}

const char *gl_time_limit_key(const char *name, gl_time_limit lim, char *buf, size_t len)
{
    const char *suffix = lim.unit == GL_TIME_WORKING_HOURS  ? "wh"
                         : lim.unit == GL_TIME_WORKING_DAYS ? "wd"
                         : lim.amount % 1000 == 0           ? "s"
                                                            : "ms";
    snprintf(buf, len, "%s_%s", name, suffix);
    return buf;
}

int gl_time_limit_to_json(json_t *obj, const char *name, gl_time_limit lim)
{
    char key[64];
    gl_time_limit_key(name, lim, key, sizeof key);
    int64_t v = lim.unit == GL_TIME_MS && lim.amount % 1000 == 0 ? lim.amount / 1000 : lim.amount;
    return json_object_set_new(obj, key, json_integer(v)) == 0 ? 0 : -1;
}

int64_t gl_time_limit_nominal_ms(gl_time_limit lim)
{
    switch (lim.unit) {
    case GL_TIME_MS:
    case GL_TIME_WORKING_MS: return lim.amount;
    case GL_TIME_WORKING_HOURS: return lim.amount * HOUR_MS;
    case GL_TIME_WORKING_DAYS: return lim.amount * DAY_MS;
    }
    return lim.amount;
}
