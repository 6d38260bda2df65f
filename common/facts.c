/* facts.c: see facts.h. */
#include "facts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casejson.h"
#include "error.h"
#include "policy.h"

#define T(x) GRIDLINK__V1__TIER__TIER_##x

const gl_fact_def gl_fact_defs[GL_FACT_N] = {
    [GL_F_SERVICE_ROOM_M2] = {"service_room_m2", "社区服务用房面积(㎡)", GL_FACT_AREA, T(COMMUNITY)},
    [GL_F_OFFICE_ROOM_M2] = {"office_room_m2", "社区干部办公用房面积(㎡)", GL_FACT_AREA, T(COMMUNITY)},
    [GL_F_SOCIAL_ORGS] = {"social_orgs", "社区社会组织数", GL_FACT_COUNT, T(COMMUNITY)},
    [GL_F_WORKERS_U45] = {"social_workers_u45", "45周岁以下社区社工人数", GL_FACT_COUNT, T(COMMUNITY)},
    [GL_F_WORKERS_U45_CERTIFIED] = {"social_workers_u45_certified", "45周岁以下社区社工持证人数", GL_FACT_COUNT,
                                    T(COMMUNITY)},
    [GL_F_WORKER_AVG_INCOME] = {"social_worker_avg_income", "社区社工人均年收入(元)", GL_FACT_YUAN, T(COMMUNITY)},
    [GL_F_HARMONIOUS] = {"harmonious_community", "高标准城乡和谐社区", GL_FACT_FLAG, T(COMMUNITY)},
    [GL_F_DEMOCRATIC_CONSULTATION] = {"democratic_consultation", "民主协商制度推行", GL_FACT_FLAG, T(COMMUNITY)},
    [GL_F_RURAL] = {"rural", "农村社区(村)", GL_FACT_FLAG, T(COMMUNITY)},
    [GL_F_SERVICE_CENTER] = {"service_center", "镇(街道)社区服务中心建成", GL_FACT_FLAG, T(TOWNSHIP)},
    [GL_F_GRID_MANAGEMENT] = {"grid_management", "网格化管理和服务推行", GL_FACT_FLAG, T(TOWNSHIP)},
    [GL_F_URBAN_AVG_WAGE] = {"urban_avg_wage", "城镇职工上年度平均工资(元)", GL_FACT_YUAN, T(DISTRICT)},
};

int gl_fact_find(const char *name)
{
    for (int i = 0; name && i < GL_FACT_N; i++)
        if (strcmp(gl_fact_defs[i].name, name) == 0)
            return i;
    return -1;
}

const char *gl_fact_type_name(enum gl_fact_type t)
{
    switch (t) {
    case GL_FACT_AREA: return "area_m2";
    case GL_FACT_COUNT: return "count";
    case GL_FACT_FLAG: return "flag";
    case GL_FACT_YUAN: return "yuan";
    }
    return "?";
}

bool gl_fact_date_ok(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return false;
    return !(m == 2 && d == 29 && y % 4 != 0);
}

const char *gl_fact_today(int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms / 1000) + GL_FACTS_OFFSET_MIN * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, size, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return buf;
}

static bool text_ok(const char *s, size_t max)
{
    if (!s)
        return true;
    size_t n = strlen(s);
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return false;
    return true;
}

int gl_fact_check(const gl_fact *f, Gridlink__V1__Tier tier, char *why, size_t whylen)
{
    if (!f || !f->name || !f->name[0]) {
        snprintf(why, whylen, "a fact needs its name");
        return GL_EINVAL;
    }
    int i = gl_fact_find(f->name);
    if (i < 0) {
        snprintf(why, whylen, "no fact '%.60s' (未知指标事实); the facts are listed by `gridlink facts names`",
                 f->name);
        return GL_EINVAL;
    }
    const gl_fact_def *d = &gl_fact_defs[i];
    if (tier != GRIDLINK__V1__TIER__TIER_UNKNOWN && tier != d->tier) {
        snprintf(why, whylen, "%s is reported by a %s, not a %s", d->name, gl_tier_name(d->tier), gl_tier_name(tier));
        return GL_EINVAL;
    }
    double v = f->value;
    if (!isfinite(v) || v < 0 || v > GL_FACT_VALUE_MAX) {
        snprintf(why, whylen, "%s is a number from 0 to %.0f", d->name, GL_FACT_VALUE_MAX);
        return GL_EINVAL;
    }
    if ((d->type == GL_FACT_COUNT || d->type == GL_FACT_FLAG) && v != floor(v)) {
        snprintf(why, whylen, "%s is a whole number", d->name);
        return GL_EINVAL;
    }
    if (d->type == GL_FACT_FLAG && v > 1) {
        snprintf(why, whylen, "%s is 1 (yes) or 0 (no)", d->name);
        return GL_EINVAL;
    }
    if (f->as_of && f->as_of[0] && !gl_fact_date_ok(f->as_of)) {
        snprintf(why, whylen, "as_of is a date YYYY-MM-DD");
        return GL_EINVAL;
    }
    if (!text_ok(f->note, GL_FACT_NOTE_MAX) || !text_ok(f->by, 64)) {
        snprintf(why, whylen, "a fact's note is at most %d bytes of text", GL_FACT_NOTE_MAX);
        return GL_EINVAL;
    }
    return 0;
}

static char *dup_or_empty(json_t *v)
{
    return strdup(v ? json_string_value(v) : "");
}

int gl_fact_from_json(const char *buf, size_t len, gl_fact **out, char *why, size_t whylen)
{
    *out = NULL;
    if (len > GL_FACT_BODY_MAX) {
        snprintf(why, whylen, "the body is at most %d bytes", GL_FACT_BODY_MAX);
        return GL_EINVAL;
    }
    json_error_t e;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
    if (!j || !json_is_object(j)) {
        snprintf(why, whylen, "the body is a JSON object {\"name\", \"value\", \"as_of\"?, \"note\"?}");
        json_decref(j);
        return GL_EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "name") && strcmp(key, "value") && strcmp(key, "as_of") && strcmp(key, "note")) {
            snprintf(why, whylen, "unknown field '%.40s' (name, value, as_of, note)", key);
            json_decref(j);
            return GL_EINVAL;
        }
    }
    json_t *name = json_object_get(j, "name"), *value = json_object_get(j, "value"),
           *as_of = json_object_get(j, "as_of"), *note = json_object_get(j, "note");
    int rc = GL_EINVAL;
    if (!json_is_string(name) || json_string_length(name) > GL_FACT_NAME_MAX)
        snprintf(why, whylen, "name is the fact's name");
    else if (!json_is_number(value))
        snprintf(why, whylen, "value is a number (a flag is 1 or 0)");
    else if ((as_of && !json_is_string(as_of)) || (note && !json_is_string(note)))
        snprintf(why, whylen, "as_of (YYYY-MM-DD) and note are strings");
    else
        rc = 0;
    gl_fact *f = NULL;
    if (rc == 0 && !(f = malloc(sizeof *f)))
        rc = GL_ENOMEM;
    if (rc == 0) {
        gridlink__v1__fact__init(f);
        f->name = dup_or_empty(name);
        f->as_of = dup_or_empty(as_of);
        f->note = dup_or_empty(note);
        f->by = strdup("");
        f->value = json_number_value(value);
        if (!f->name || !f->as_of || !f->note || !f->by)
            rc = GL_ENOMEM;
        else
            rc = gl_fact_check(f, GRIDLINK__V1__TIER__TIER_UNKNOWN, why, whylen);
    }
    json_decref(j);
    if (rc != 0) {
        if (f)
            gridlink__v1__fact__free_unpacked(f, NULL);
        return rc;
    }
    *out = f;
    return 0;
}

json_t *gl_fact_event_json(const Gridlink__V1__BusEvent *ev)
{
    const gl_fact *f = ev->fact;
    if (!f)
        return json_object();
    int i = gl_fact_find(f->name);
    char when[40];
    return json_pack("{s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:I, s:s}", "name", f->name, "zh",
                     i >= 0 ? gl_fact_defs[i].zh : f->name, "value", f->value, "as_of", f->as_of ? f->as_of : "", "by",
                     f->by ? f->by : "", "note", f->note ? f->note : "", "node", ev->node, "seq", (json_int_t)ev->seq,
                     "time", gl_iso_time(ev->time_ms, when, sizeof when));
}

json_t *gl_facts_listing_json(const char *node, Gridlink__V1__BusEvent *const *evs, size_t n)
{
    json_t *cur = json_object(), *hist = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = gl_fact_event_json(evs[i]);
        json_array_append(hist, j);
        if (evs[i]->fact)
            json_object_set(cur, evs[i]->fact->name, j);
        json_decref(j);
    }
    return json_pack("{s:s, s:o, s:o}", "node", node, "facts", cur, "history", hist);
}
