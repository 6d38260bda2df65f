/* appraisal.c: periods, the appraisal form and the league table of
 * 群众评议 (see appraisal.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appraisal.h"
#include "error.h"

static const char *const level_names[] = {NULL, "不满意", "基本满意", "满意"};

const char *gl_appraisal_level_name(unsigned level)
{
    return level >= 1 && level <= 3 ? level_names[level] : NULL;
}

/* ---- periods ---- */

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days from 1970-01-01 to y-m-01 (proleptic Gregorian). */
static int64_t days_of(int y, int m)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5; /* day 1 of the month */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The calendar year and month of day d (days since 1970-01-01). */
static void month_of_day(int64_t d, int *y, int *m)
{
    time_t t = (time_t)(d * 86400);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
}

/* ISO 8601 week w of year: its Monday, or -1 past the year's last week. */
static int64_t week_monday(int year, int w)
{
    int64_t jan4 = days_of(year, 1) + 3;
    int64_t monday = jan4 - (jan4 + 3) % 7 + 7 * (int64_t)(w - 1); /* 1970-01-01 was a Thursday */
    return monday + 3 < days_of(year + 1, 1) ? monday : -1;        /* its Thursday is in the year */
}

bool gl_period_parse(const char *s, bool months_only, gl_period *p)
{
    if (!s)
        return false;
    size_t n = strnlen(s, 9);
    int year, v;
    if (n < 4 || !digits(s, 4, &year) || year < 2000 || year > 2199)
        return false;
    memset(p, 0, sizeof *p);
    p->year = year;
    if (n == 7 && s[4] == '-' && digits(s + 5, 2, &v) && v >= 1 && v <= 12) {
        p->kind = GL_PERIOD_MONTH;
        p->first = p->last = v;
    } else if (months_only) {
        return false;
    } else if (n == 7 && s[4] == '-' && s[5] == 'Q' && s[6] >= '1' && s[6] <= '4') {
        p->kind = GL_PERIOD_QUARTER;
        p->first = (s[6] - '1') * 3 + 1;
        p->last = p->first + 2;
    } else if (n == 4) {
        p->kind = GL_PERIOD_YEAR;
        p->first = 1;
        p->last = 12;
    } else if (n == 8 && s[4] == '-' && s[5] == 'W' && digits(s + 6, 2, &v) && v >= 1 && v <= 53) {
        int64_t monday = week_monday(year, v);
        if (monday < 0)
            return false;
        int y1, m1, y2, m2;
        month_of_day(monday, &y1, &m1);
        month_of_day(monday + 6, &y2, &m2);
        p->kind = GL_PERIOD_WEEK;
        p->week = v;
        p->monday = monday;
        p->year = y1;
        p->first = m1;
        p->last = m2 + (y2 - y1) * 12;
    } else {
        return false;
    }
    memcpy(p->text, s, n + 1);
    return true;
}

void gl_period_month_of(int64_t ms, int offset_min, gl_period *p)
{
    time_t t = (time_t)(ms / 1000) + (time_t)offset_min * 60;
    struct tm tm;
    memset(p, 0, sizeof *p);
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    p->kind = GL_PERIOD_MONTH;
    p->year = tm.tm_year + 1900;
    p->first = p->last = tm.tm_mon + 1;
    gl_period_month_text(p, 0, p->text);
}

void gl_period_bounds(const gl_period *p, int offset_min, int64_t *from_ms, int64_t *to_ms)
{
    if (p->kind == GL_PERIOD_WEEK) {
        *from_ms = p->monday * 86400000LL - (int64_t)offset_min * 60 * 1000;
        *to_ms = *from_ms + 7 * 86400000LL;
        return;
    }
    int ny = p->last == 12 ? p->year + 1 : p->year, nm = p->last == 12 ? 1 : p->last + 1;
    int64_t off = (int64_t)offset_min * 60 * 1000;
    *from_ms = days_of(p->year, p->first) * 86400000LL - off;
    *to_ms = days_of(ny, nm) * 86400000LL - off;
}

bool gl_period_month_text(const gl_period *p, int i, char out[8])
{
    if (i < 0 || p->first + i > p->last)
        return false;
    int k = p->first + i - 1, y = p->year + k / 12, m = k % 12 + 1;
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = 0;
    return true;
}

/* ---- the form ---- */

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int refuse(gl_appraisal_form *f, char *why, size_t whylen, const char *text)
{
    gl_appraisal_form_free(f);
    snprintf(why, whylen, "%s", text);
    return GL_EINVAL;
}

static bool copy_str(json_t *v, char *out, size_t size)
{
    if (!json_is_string(v) || json_string_length(v) >= size)
        return false;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return strlen(out) == json_string_length(v); /* no NUL inside */
}

static bool level_of(json_t *v, unsigned *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 1 || i > 3)
            return false;
        *out = (unsigned)i;
        return true;
    }
    for (unsigned l = 1; json_is_string(v) && l <= 3; l++)
        if (strcmp(json_string_value(v), level_names[l]) == 0) {
            *out = l;
            return true;
        }
    return false;
}

int gl_appraisal_form_parse(const char *body, size_t len, gl_appraisal_form *f, char *why, size_t whylen)
{
    memset(f, 0, sizeof *f);
    if (len > GL_APPRAISAL_BODY) {
        snprintf(why, whylen, "an appraisal is at most %d bytes", GL_APPRAISAL_BODY);
        return GL_ETOOBIG;
    }
    json_error_t jerr;
    json_t *j = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return refuse(f, why, whylen,
                      "an appraisal is a JSON object {\"code\", \"unit\", \"level\": 1..3, \"period\"?, \"comment\"?}");
    }
    const char *key;
    json_t *v;
    const char *bad = NULL;
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "code") == 0) {
            if (!copy_str(v, f->code, sizeof f->code))
                bad = "code（评议码或回执码）是文字";
        } else if (strcmp(key, "unit") == 0) {
            if (!copy_str(v, f->unit, sizeof f->unit) || !f->unit[0])
                bad = "unit 是评议对象的编号";
        } else if (strcmp(key, "period") == 0) {
            gl_period p;
            if (!copy_str(v, f->period, sizeof f->period) || !gl_period_parse(f->period, true, &p))
                bad = "period 是月份，如 2026-12";
        } else if (strcmp(key, "level") == 0) {
            if (!level_of(v, &f->level))
                bad = "level 是 3（满意）、2（基本满意）或 1（不满意）";
        } else if (strcmp(key, "comment") == 0) {
            if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
                chars(json_string_value(v)) > GL_APPRAISAL_COMMENT)
                bad = "意见建议最多200个字";
            else if (!(f->comment = strdup(json_string_value(v))))
                bad = "out of memory";
        } else {
            bad = "评议只有 code、unit、period、level 和 comment 几项";
        }
        if (bad)
            break;
    }
    json_decref(j);
    if (!bad && !f->code[0])
        bad = "请输入评议码或回执码";
    if (!bad && !f->unit[0])
        bad = "请选择评议对象";
    if (!bad && !f->level)
        bad = "请选择满意、基本满意或不满意";
    if (bad)
        return refuse(f, why, whylen, bad);
    if (!f->comment && !(f->comment = strdup("")))
        return refuse(f, why, whylen, "out of memory");
    return GL_OK;
}

void gl_appraisal_form_free(gl_appraisal_form *f)
{
    free(f->comment);
    memset(f, 0, sizeof *f);
}

/* ---- the table ---- */

/* a's score against b's, exactly: (5 s + 3 b) / count compared across. */
static int by_score(const gl_appraisal_row *a, const gl_appraisal_row *b)
{
    uint64_t pa = (5ull * a->n[3] + 3ull * a->n[2]) * b->count, pb = (5ull * b->n[3] + 3ull * b->n[2]) * a->count;
    return pa > pb ? -1 : pa < pb ? 1 : 0;
}

static int order(const void *x, const void *y)
{
    const gl_appraisal_row *a = x, *b = y;
    if (a->ranked != b->ranked)
        return a->ranked ? -1 : 1;
    int c = a->ranked ? by_score(a, b) : 0;
    if (c)
        return c;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->unit, b->unit);
}

void gl_appraisal_rank(gl_appraisal_row *rows, size_t n, uint32_t min_sample, size_t *n_red, size_t *n_black)
{
    size_t ranked = 0;
    for (size_t i = 0; i < n; i++) {
        gl_appraisal_row *r = &rows[i];
        r->count = r->n[1] + r->n[2] + r->n[3];
        r->rate = r->count ? (double)(r->n[3] + r->n[2]) / r->count : 0;
        r->score = r->count ? 100.0 * (r->n[3] + 0.6 * r->n[2]) / r->count : 0;
        r->ranked = r->count > 0 && r->count >= min_sample;
        r->rank = 0;
        ranked += r->ranked;
    }
    if (n)
        qsort(rows, n, sizeof *rows, order);
    for (size_t i = 0; i < ranked; i++)
        rows[i].rank = (uint32_t)(i + 1);
    size_t list = ranked / 2 < GL_APPRAISAL_LIST ? ranked / 2 : GL_APPRAISAL_LIST;
    *n_red = list;
    *n_black = list;
}
