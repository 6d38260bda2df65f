/* facts.h: the facts units report for the plan's indicators (the 2017
 * community development plan's tables 1 and 2), and the checks a reported
 * fact passes wherever it arrives (CLI, staff API, the bus).
 *
 * Each fact has a name, the tier that reports it (a community or village,
 * a township or street, the district), a type (an area in ㎡, a count, a
 * yes/no flag 0 or 1, an amount in yuan) and a display name. A fact's value
 * holds from its date as_of (local, YYYY-MM-DD) on; every change is kept
 * (the unit's log and store, the broker's store). Nothing here allocates
 * except gl_fact_from_json, whose Fact belongs to the caller
 * (gridlink__v1__fact__free_unpacked). */
#ifndef GL_FACTS_H
#define GL_FACTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridlink.pb-c.h"

typedef Gridlink__V1__Fact gl_fact;

/* Local time of the district (Asia/Shanghai, UTC+8 all year). */
#define GL_FACTS_OFFSET_MIN 480
#define GL_FACT_NAME_MAX    48
#define GL_FACT_NOTE_MAX    500
#define GL_FACT_VALUE_MAX   1e9
/* A unit's facts listing holds at most this many entries of history. */
#define GL_FACTS_LIST_MAX 1000
/* The body of a staff API request that sets a fact, in bytes. */
#define GL_FACT_BODY_MAX 2048

enum gl_fact_type { GL_FACT_AREA, GL_FACT_COUNT, GL_FACT_FLAG, GL_FACT_YUAN };

enum gl_fact_id {
    GL_F_SERVICE_ROOM_M2,         /* community: 社区服务用房面积 */
    GL_F_OFFICE_ROOM_M2,          /* community: 其中社区干部办公用房面积 */
    GL_F_SOCIAL_ORGS,             /* community: 社区社会组织数 */
    GL_F_WORKERS_U45,             /* community: 45周岁以下社区社工人数 */
    GL_F_WORKERS_U45_CERTIFIED,   /* community: 其中持证 */
    GL_F_WORKER_AVG_INCOME,       /* community: 社工人均年收入 */
    GL_F_HARMONIOUS,              /* community: 高标准和谐社区 */
    GL_F_DEMOCRATIC_CONSULTATION, /* community: 民主协商制度推行 */
    GL_F_RURAL,                   /* community: 农村社区(村); default from the name */
    GL_F_SERVICE_CENTER,          /* township: 社区服务中心建成 */
    GL_F_GRID_MANAGEMENT,         /* township: 网格化管理和服务推行 */
    GL_F_URBAN_AVG_WAGE,          /* district: 城镇职工上年度平均工资 */
    GL_FACT_N
};

typedef struct gl_fact_def {
    const char *name;
    const char *zh;
    enum gl_fact_type type;
    Gridlink__V1__Tier tier; /* who reports it */
} gl_fact_def;

extern const gl_fact_def gl_fact_defs[GL_FACT_N];

/* The fact called name: its index, or -1. */
int gl_fact_find(const char *name);
const char *gl_fact_type_name(enum gl_fact_type t);
/* 1 when s is a real date YYYY-MM-DD (years 2000..2099). */
bool gl_fact_date_ok(const char *s);
/* The local date of ms, "YYYY-MM-DD" (buf at least 11 bytes). */
const char *gl_fact_today(int64_t ms, char *buf, size_t size);
/* A fact reported by a unit of tier: 0, or GL_EINVAL with why. A fact
 * from the bus (tier TIER_UNKNOWN: not checked against the reporter) is
 * checked the same otherwise. */
int gl_fact_check(const gl_fact *f, Gridlink__V1__Tier tier, char *why, size_t whylen);
/* The body of a staff API request {"name", "value", "as_of"?, "note"?}:
 * 0 with *out (the caller's), or GL_EINVAL with why. */
int gl_fact_from_json(const char *buf, size_t len, gl_fact **out, char *why, size_t whylen);
/* A fact event as JSON: name, zh, value, as_of, by, note, node, seq,
 * time (ISO 8601 UTC). */
json_t *gl_fact_event_json(const Gridlink__V1__BusEvent *ev);

/* A unit's listing (events in name and seq order, as the facts operation
 * gives them) as {"node", "facts": {name: its latest entry}, "history": [...]}. */
json_t *gl_facts_listing_json(const char *node, Gridlink__V1__BusEvent *const *evs, size_t n);

#endif
