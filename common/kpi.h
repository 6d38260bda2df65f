/* kpi.h: the district's KPIs (考核指标), each formula written once, with no
 * store and no network: a replay feeds it events from logs as the broker
 * feeds it the bus.
 *
 * What is counted. Every fact is attributed to the node that logged the
 * event (the unit that did the work: each node logs what it does with a
 * case, so its own log is the whole record of its part) and to each of its
 * ancestors, so a township's figure is the sum over its subtree. A
 * "stint" is one holding of a case by one node: from its receipt there
 * (event received, or reported with the node as holder) until it leaves.
 * The raw counters (gl_kpi_counter) per unit and period:
 *   dispatched       stints begun (派单: cases handed to the unit)
 *   signed_in_time   of those, accepted (签收) before the sign-for deadline,
 *                    with no sign-for deadline missed in the stint
 *   accepted, accept_ms   acceptances, and the working time from receipt
 *   handled, handle_ms    first 反馈 (resolve) of a stint, and the working
 *                    time from acceptance, time suspended (挂账) excluded
 *   reworked         of the handled, stints with a 返工 after their 反馈
 *   due              应结案: stints closed there before their completion
 *                    deadline, plus stints whose completion deadline passed
 *   closed           结案 (verified) at the unit, of the due
 *   closed_in_time   按期结案: closed with no completion deadline missed
 *   returns          退回 by the unit
 *   shuffles         推诿: returns between the same two nodes after the first
 *   extensions       延期 granted to the unit
 *   suspensions      挂账 by the unit
 *   rated, rated_resolved, rated_satisfied   回访 ratings of cases the unit
 *                    closed: all, 已解决, 满意
 *   whistle_parts, whistle_ms   a department's parts of a whistle or bulk
 *                    dispatch reported in (报到), and the clock time to it
 * A counter lands in the period of the event that settles it, except that
 * signed_in_time goes with its dispatched (the receipt's period), closed and
 * closed_in_time with their due, and reworked with its handled, so no rate
 * passes 100 %.
 *
 * The KPIs (gl_kpi_id), formula GL_KPI_FORMULA: rates numerator/denominator,
 * counts with the dispatched stints as their sample, averages in hours
 * (accept and handle: working hours; whistle: clock minutes).
 *
 * Periods, in the calendar's local time: a day "2026-12-02", an ISO 8601
 * week "2026-W49" (Monday to Sunday), a month "2026-12", a year "2026".
 *
 * Memory: gl_kpi_step writes only into what the caller passes. A
 * gl_kpi_acc owns its tables and borrows the topology it was made with;
 * the pointers gl_kpi_acc_get returns live until the next feed or free.
 * gl_kpi_json returns a new reference. */
#ifndef GL_KPI_H
#define GL_KPI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "gridlink.pb-c.h"
#include "topology.h"

#define GL_KPI_FORMULA    "gl-kpi-1"
#define GL_KPI_MIN_SAMPLE 10              /* default; GRIDLINK_KPI_MIN_SAMPLE */
#define GL_KPI_LIST       5               /* units on each of the red and black lists, at most */
#define GL_KPI_KEY_MAX    16              /* a period key with its NUL */
#define GL_KPI_TIME_MIN   946684800000LL  /* 2000-01-01: events outside [MIN, MAX] count nothing */
#define GL_KPI_TIME_MAX   7258118400000LL /* 2200-01-01 */

enum gl_kpi_counter {
    GL_KC_DISPATCHED,
    GL_KC_SIGNED_IN_TIME,
    GL_KC_ACCEPTED,
    GL_KC_ACCEPT_MS,
    GL_KC_HANDLED,
    GL_KC_HANDLE_MS,
    GL_KC_REWORKED,
    GL_KC_DUE,
    GL_KC_CLOSED,
    GL_KC_CLOSED_IN_TIME,
    GL_KC_RETURNS,
    GL_KC_SHUFFLES,
    GL_KC_EXTENSIONS,
    GL_KC_SUSPENSIONS,
    GL_KC_RATED,
    GL_KC_RATED_RESOLVED,
    GL_KC_RATED_SATISFIED,
    GL_KC_WHISTLE_PARTS,
    GL_KC_WHISTLE_MS,
    GL_KC_N
};

typedef struct gl_kpi_counts {
    int64_t c[GL_KC_N];
} gl_kpi_counts;

enum gl_kpi_id {
    GL_KPI_RESPONSE,        /* 响应率 signed_in_time / dispatched */
    GL_KPI_SOLVED,          /* 解决率 rated_resolved / rated */
    GL_KPI_SATISFIED,       /* 满意率 rated_satisfied / rated */
    GL_KPI_CLOSURE,         /* 结案率 closed / due */
    GL_KPI_CLOSURE_IN_TIME, /* 按期结案率 closed_in_time / due */
    GL_KPI_RETURN_RATE,     /* 回退率 returns / dispatched */
    GL_KPI_SHUFFLES,        /* 推诿数 shuffles (sample: dispatched) */
    GL_KPI_REWORK_RATE,     /* 返工率 reworked / handled */
    GL_KPI_EXTENSIONS,      /* 延期数 extensions (sample: dispatched) */
    GL_KPI_SUSPENSIONS,     /* 挂账数 suspensions (sample: dispatched) */
    GL_KPI_ACCEPT_TIME,     /* 平均受理时长 accept_ms / accepted, working hours */
    GL_KPI_HANDLE_TIME,     /* 平均处置时长 handle_ms / handled, working hours */
    GL_KPI_WHISTLE_TIME,    /* 吹哨报到时长 whistle_ms / whistle_parts, minutes */
    GL_KPI_N
};

enum gl_kpi_shape { GL_KPI_RATE, GL_KPI_COUNT, GL_KPI_HOURS, GL_KPI_MINUTES };

typedef struct gl_kpi_def {
    const char *key;  /* "response", "solved", ... (the JSON and URL name) */
    const char *name; /* 响应率, ... */
    enum gl_kpi_shape shape;
    int num, den;       /* counters; for a count, den is its sample */
    bool higher_better; /* ranks: the higher value first */
} gl_kpi_def;

const gl_kpi_def *gl_kpi_def_of(enum gl_kpi_id id);
/* The KPI named key, or -1. */
int gl_kpi_find(const char *key);
/* The KPI's numerator and denominator (a count's: the count and its sample)
 * from c; true with *value when it has one (denominator > 0): a rate 0..1,
 * a count as is, hours or minutes. */
bool gl_kpi_value(const gl_kpi_counts *c, enum gl_kpi_id id, int64_t *num, int64_t *den, double *value);
/* The counter's name ("dispatched", ...). */
const char *gl_kpi_counter_name(enum gl_kpi_counter k);

/* ---- periods ---- */

enum gl_kpi_period { GL_KPI_DAY, GL_KPI_WEEK, GL_KPI_MONTH, GL_KPI_YEAR, GL_KPI_PERIODS };

/* "day", "week", "month", "year"; false otherwise. */
bool gl_kpi_period_parse(const char *name, enum gl_kpi_period *p);
const char *gl_kpi_period_name(enum gl_kpi_period p);
/* The key of the period holding ms, at offset_min east of UTC. */
void gl_kpi_period_key(enum gl_kpi_period p, int64_t ms, int offset_min, char out[GL_KPI_KEY_MAX]);
/* Its first instant and the instant after it. */
void gl_kpi_period_bounds(enum gl_kpi_period p, int64_t ms, int offset_min, int64_t *from_ms, int64_t *to_ms);
/* "YYYY-MM-DD" at local midnight, into *ms; false when it is not a date. */
bool gl_kpi_parse_date(const char *s, int offset_min, int64_t *ms);

/* ---- one event ---- */

/* What the unit's own log says of one case so far (one per node and case).
 * Plain data: the broker stores it as bytes (GL_KPI_FACTS_VERSION names
 * its layout). Zero it for a case the node has not logged yet. */
#define GL_KPI_FACTS_VERSION 1
typedef struct gl_kpi_facts {
    uint32_t flags;       /* GL_KF_* of the current stint */
    uint32_t oa, or_, rw; /* case counters seen: overdue_accept, overdue_resolve, reworks */
    uint32_t shuffles;    /* case counter seen: shuffles */
    uint32_t pad;
    int64_t start_ms;       /* receipt */
    int64_t accept_ms;      /* acceptance, 0 before */
    int64_t handled_ms;     /* first resolve of the stint, 0 before */
    int64_t due_ms;         /* when it counted as due, 0 before */
    int64_t accept_due_ms;  /* latest sign-for deadline seen in the stint */
    int64_t suspended_from; /* 0 unless suspended now */
    int64_t suspended_ms;   /* working time suspended since acceptance */
} gl_kpi_facts;

enum {
    GL_KF_STINT = 1,         /* the node holds it (a stint is open) */
    GL_KF_ACCEPTED = 2,      /* accepted in this stint */
    GL_KF_LATE_ACCEPT = 4,   /* a sign-for deadline passed in this stint */
    GL_KF_HANDLED = 8,       /* resolved (反馈) in this stint */
    GL_KF_LATE_RESOLVE = 16, /* a completion deadline passed in this stint */
    GL_KF_DUE = 32,          /* counted as due (应结案) */
    GL_KF_CLOSED = 64,       /* counted as closed */
    GL_KF_REWORKED = 128,    /* counted as reworked */
    GL_KF_PART = 256,        /* a part of a whistle or bulk dispatch, at a department */
};

/* One counter change: amount added to counter k of the unit, in the
 * periods holding at_ms. */
typedef struct gl_kpi_delta {
    enum gl_kpi_counter k;
    int64_t at_ms;
    int64_t amount;
} gl_kpi_delta;
#define GL_KPI_MAX_DELTAS 12

/* Feed ev (logged by ev->node, in that node's order) to f, the facts of
 * (ev->node, ev->case_id); working time on cal for ev->node (NULL: the
 * built-in calendar); tier is ev->node's. Writes the counter changes for
 * ev->node into out and returns their number; *changed says whether f
 * changed (the caller then stores it). Events without a case, copies
 * (status) and events timed outside GL_KPI_TIME_MIN..MAX change nothing.
 * Facts from anywhere (a damaged store) are safe: every time is used
 * only through bounded calendar arithmetic. */
size_t gl_kpi_step(const gl_calendar_t *cal, Gridlink__V1__Tier tier, const Gridlink__V1__BusEvent *ev, gl_kpi_facts *f,
                   bool *changed, gl_kpi_delta out[GL_KPI_MAX_DELTAS]);

/* node and its ancestors in t, node first, into out (at most max); 0 when
 * t does not know node. Points into t. */
size_t gl_kpi_units(const gl_topology_t *t, const char *node, const char **out, size_t max);

/* ---- an accumulator in memory (replay, tests) ---- */

typedef struct gl_kpi_acc gl_kpi_acc;

gl_kpi_acc *gl_kpi_acc_new(const gl_topology_t *t);
void gl_kpi_acc_free(gl_kpi_acc *a);
/* Feed one event; each node's events in its order (nodes interleaved in
 * any way give the same counts). 0, or GL_ENOMEM. */
int gl_kpi_acc_feed(gl_kpi_acc *a, const Gridlink__V1__BusEvent *ev);
/* The counts of unit in period key (gl_kpi_period_key), or NULL. */
const gl_kpi_counts *gl_kpi_acc_get(const gl_kpi_acc *a, const char *unit, enum gl_kpi_period p, const char *key);
/* Calls fn for every (unit, period, key) with counts. */
void gl_kpi_acc_each(const gl_kpi_acc *a,
                     void (*fn)(const char *unit, enum gl_kpi_period p, const char *key, const gl_kpi_counts *c,
                                void *ctx),
                     void *ctx);

/* ---- JSON and league tables ---- */

/* {"formula": GL_KPI_FORMULA, "kpis": {KEY: {"name", "numerator",
 * "denominator", "value" (null when denominator is 0), "unit" ("ratio",
 * "count", "hours", "minutes"), "version"}}, "counters": {...}}; c NULL
 * counts as all zero. NULL on allocation failure. */
json_t *gl_kpi_json(const gl_kpi_counts *c);

typedef struct gl_kpi_row {
    const char *unit; /* the caller's */
    int64_t num, den; /* den: the sample */
    double value;
    bool has;
    bool ranked;   /* has a value and den >= the minimum sample */
    uint32_t rank; /* 1.. when ranked, else 0 */
} gl_kpi_row;

/* Fill num, den, value of rows[i] from counts[i], rank those with a value
 * and a sample of at least min_sample (best first by the KPI's direction,
 * then by sample, more first, then by unit ID; ranks without ties) and sort:
 * ranked first by rank, then the others by unit. The red list (红榜) is the
 * first *n_red rows, the black list (黑榜) the *n_black ranked rows before
 * the first unranked one, read backwards: min(GL_KPI_LIST, ranked / 2) each,
 * so no unit is on both. */
void gl_kpi_rank(enum gl_kpi_id id, gl_kpi_row *rows, const gl_kpi_counts *const *counts, size_t n, uint32_t min_sample,
                 size_t *n_red, size_t *n_black);
/* GRIDLINK_KPI_MIN_SAMPLE when set to a whole number, else GL_KPI_MIN_SAMPLE. */
uint32_t gl_kpi_min_sample(void);

#endif
