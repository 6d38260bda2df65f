/* kpi.c: the KPI formulas (kpi.h): one event's counter changes, periods,
 * the in-memory accumulator, JSON and league tables. */
#include "kpi.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "names.h"

#define DAY_MS 86400000LL
#define EVK(x) GRIDLINK__V1__EVENT_KIND__EVENT_##x

static const gl_kpi_def defs[GL_KPI_N] = {
    [GL_KPI_RESPONSE] = {"response", "响应率", GL_KPI_RATE, GL_KC_SIGNED_IN_TIME, GL_KC_DISPATCHED, true},
    [GL_KPI_SOLVED] = {"solved", "解决率", GL_KPI_RATE, GL_KC_RATED_RESOLVED, GL_KC_RATED, true},
    [GL_KPI_SATISFIED] = {"satisfied", "满意率", GL_KPI_RATE, GL_KC_RATED_SATISFIED, GL_KC_RATED, true},
    [GL_KPI_CLOSURE] = {"closure", "结案率", GL_KPI_RATE, GL_KC_CLOSED, GL_KC_DUE, true},
    [GL_KPI_CLOSURE_IN_TIME] = {"closure_in_time", "按期结案率", GL_KPI_RATE, GL_KC_CLOSED_IN_TIME, GL_KC_DUE, true},
    [GL_KPI_RETURN_RATE] = {"return_rate", "回退率", GL_KPI_RATE, GL_KC_RETURNS, GL_KC_DISPATCHED, false},
    [GL_KPI_SHUFFLES] = {"shuffles", "推诿数", GL_KPI_COUNT, GL_KC_SHUFFLES, GL_KC_DISPATCHED, false},
    [GL_KPI_REWORK_RATE] = {"rework_rate", "返工率", GL_KPI_RATE, GL_KC_REWORKED, GL_KC_HANDLED, false},
    [GL_KPI_EXTENSIONS] = {"extensions", "延期数", GL_KPI_COUNT, GL_KC_EXTENSIONS, GL_KC_DISPATCHED, false},
    [GL_KPI_SUSPENSIONS] = {"suspensions", "挂账数", GL_KPI_COUNT, GL_KC_SUSPENSIONS, GL_KC_DISPATCHED, false},
    [GL_KPI_ACCEPT_TIME] = {"accept_time", "平均受理时长", GL_KPI_HOURS, GL_KC_ACCEPT_MS, GL_KC_ACCEPTED, false},
    [GL_KPI_HANDLE_TIME] = {"handle_time", "平均处置时长", GL_KPI_HOURS, GL_KC_HANDLE_MS, GL_KC_HANDLED, false},
    [GL_KPI_WHISTLE_TIME] = {"whistle_time", "吹哨报到时长", GL_KPI_MINUTES, GL_KC_WHISTLE_MS, GL_KC_WHISTLE_PARTS,
                             false},
};

static const char *const counter_names[GL_KC_N] = {
    "dispatched", "signed_in_time", "accepted",        "accept_ms",     "handled",    "handle_ms",  "reworked",
    "due",        "closed",         "closed_in_time",  "returns",       "shuffles",   "extensions", "suspensions",
    "rated",      "rated_resolved", "rated_satisfied", "whistle_parts", "whistle_ms",
};

static const char *const period_names[GL_KPI_PERIODS] = {"day", "week", "month", "year"};
static const char *const shape_names[] = {"ratio", "count", "hours", "minutes"};

const gl_kpi_def *gl_kpi_def_of(enum gl_kpi_id id)
{
    return (unsigned)id < GL_KPI_N ? &defs[id] : NULL;
}

int gl_kpi_find(const char *key)
{
    for (int i = 0; key && i < GL_KPI_N; i++)
        if (strcmp(defs[i].key, key) == 0)
            return i;
    return -1;
}

const char *gl_kpi_counter_name(enum gl_kpi_counter k)
{
    return (unsigned)k < GL_KC_N ? counter_names[k] : "";
}

bool gl_kpi_value(const gl_kpi_counts *c, enum gl_kpi_id id, int64_t *num, int64_t *den, double *value)
{
    const gl_kpi_def *d = gl_kpi_def_of(id);
    int64_t n = c && d ? c->c[d->num] : 0, m = c && d ? c->c[d->den] : 0;
    if (num)
        *num = n;
    if (den)
        *den = m;
    if (!d || m <= 0)
        return false;
    double v;
    switch (d->shape) {
    case GL_KPI_RATE: v = (double)n / (double)m; break;
    case GL_KPI_COUNT: v = (double)n; break;
    case GL_KPI_HOURS: v = (double)n / (double)m / 3600000.0; break;
    default: v = (double)n / (double)m / 60000.0; break;
    }
    if (value)
        *value = v;
    return true;
}

/* ---- periods ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

bool gl_kpi_period_parse(const char *name, enum gl_kpi_period *p)
{
    for (int i = 0; name && i < GL_KPI_PERIODS; i++)
        if (strcmp(name, period_names[i]) == 0) {
            *p = (enum gl_kpi_period)i;
            return true;
        }
    return false;
}

const char *gl_kpi_period_name(enum gl_kpi_period p)
{
    return (unsigned)p < GL_KPI_PERIODS ? period_names[p] : "";
}

/* The local day of ms, its weekday (Monday 0) and the ISO week's year and
 * number. */
static void local_day(int64_t ms, int offset_min, int64_t *day, int *wd, int *iso_year, int *iso_week)
{
    *day = floor_div(ms + offset_min * 60000LL, DAY_MS);
    *wd = (int)((*day % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
    int64_t thu = *day - *wd + 3;
    int y, m, d;
    civil_from_days(thu, &y, &m, &d);
    *iso_year = y;
    *iso_week = (int)((thu - days_from_civil(y, 1, 1)) / 7 + 1);
}

void gl_kpi_period_key(enum gl_kpi_period p, int64_t ms, int offset_min, char out[GL_KPI_KEY_MAX])
{
    int64_t day;
    int wd, iy, iw, y, m, d;
    local_day(ms, offset_min, &day, &wd, &iy, &iw);
    civil_from_days(day, &y, &m, &d);
    y = y < 0 ? 0 : y > 9999 ? 9999 : y;
    switch (p) {
    case GL_KPI_DAY: snprintf(out, GL_KPI_KEY_MAX, "%04d-%02d-%02d", y, m, d); break;
    case GL_KPI_WEEK: snprintf(out, GL_KPI_KEY_MAX, "%04d-W%02d", iy < 0 ? 0 : iy > 9999 ? 9999 : iy, iw); break;
    case GL_KPI_MONTH: snprintf(out, GL_KPI_KEY_MAX, "%04d-%02d", y, m); break;
    default: snprintf(out, GL_KPI_KEY_MAX, "%04d", y); break;
    }
}

void gl_kpi_period_bounds(enum gl_kpi_period p, int64_t ms, int offset_min, int64_t *from_ms, int64_t *to_ms)
{
    int64_t day, first, next;
    int wd, iy, iw, y, m, d;
    local_day(ms, offset_min, &day, &wd, &iy, &iw);
    civil_from_days(day, &y, &m, &d);
    switch (p) {
    case GL_KPI_DAY: first = day, next = day + 1; break;
    case GL_KPI_WEEK: first = day - wd, next = first + 7; break;
    case GL_KPI_MONTH:
        first = days_from_civil(y, (unsigned)m, 1);
        next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, (unsigned)m + 1, 1);
        break;
    default:
        first = days_from_civil(y, 1, 1);
        next = days_from_civil(y + 1, 1, 1);
        break;
    }
    *from_ms = first * DAY_MS - offset_min * 60000LL;
    *to_ms = next * DAY_MS - offset_min * 60000LL;
}

bool gl_kpi_parse_date(const char *s, int offset_min, int64_t *ms)
{
    int y, m, d, n = 0;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[4] != '-' ||
        s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1)
        return false;
    int64_t day = days_from_civil(y, (unsigned)m, (unsigned)d);
    int yy, mm, dd;
    civil_from_days(day, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
        return false;
    *ms = day * DAY_MS - offset_min * 60000LL;
    return true;
}

/* ---- one event ---- */

static size_t add(gl_kpi_delta *out, size_t n, enum gl_kpi_counter k, int64_t at, int64_t amount)
{
    if (n < GL_KPI_MAX_DELTAS && amount != 0)
        out[n++] = (gl_kpi_delta){k, at, amount};
    return n;
}

/* Working time in [from, to), both held to this world's times (facts read
 * from a damaged store may hold anything). */
static int64_t working(const gl_calendar_t *cal, const char *node, int64_t from, int64_t to)
{
    from = from < GL_KPI_TIME_MIN ? GL_KPI_TIME_MIN : from > GL_KPI_TIME_MAX ? GL_KPI_TIME_MAX : from;
    return gl_calendar_working_ms(cal, node, from, to);
}

/* A rating: from the event's rating, or from the note of an older node
 * ("resolved yes, satisfied no..."). */
static void rating_of(const Gridlink__V1__BusEvent *ev, bool *resolved, bool *satisfied)
{
    if (ev->rating) {
        *resolved = ev->rating->resolved;
        *satisfied = ev->rating->satisfied;
        return;
    }
    const char *n = ev->note ? ev->note : "";
    *resolved = strncmp(n, "resolved yes", 12) == 0;
    const char *s = strstr(n, "satisfied ");
    *satisfied = s && strncmp(s + 10, "yes", 3) == 0;
}

size_t gl_kpi_step(const gl_calendar_t *cal, Gridlink__V1__Tier tier, const Gridlink__V1__BusEvent *ev, gl_kpi_facts *f,
                   bool *changed, gl_kpi_delta out[GL_KPI_MAX_DELTAS])
{
    size_t n = 0;
    *changed = false;
    gl_event kind;
    if (!ev || !ev->case_id || !ev->case_id[0] || !ev->node || !ev->kind || !gl_event_from(ev->kind, &kind) ||
        kind == EVK(STATUS) || kind == EVK(DUE_SOON))
        return 0;
    if (ev->time_ms < GL_KPI_TIME_MIN || ev->time_ms > GL_KPI_TIME_MAX)
        return 0; /* no time of this world: nothing to count */
    gl_kpi_facts before = *f;
    const Gridlink__V1__CaseCounters *k = ev->counters;
    const char *node = ev->node;
    bool here = ev->holder && strcmp(ev->holder, node) == 0;
    int64_t t = ev->time_ms;

    if (kind == EVK(RECEIVED) || (kind == EVK(REPORTED) && here)) {
        /* a stint begins */
        memset(f, 0, sizeof *f);
        f->flags = GL_KF_STINT | (ev->part && tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT ? GL_KF_PART : 0);
        f->start_ms = t;
        f->accept_due_ms = ev->accept_due_ms <= GL_KPI_TIME_MAX ? ev->accept_due_ms : 0;
        if (k) {
            f->oa = k->overdue_accept;
            f->or_ = k->overdue_resolve;
            f->rw = k->reworks;
            f->shuffles = k->shuffles;
        }
        n = add(out, n, GL_KC_DISPATCHED, t, 1);
        *changed = true;
        return n;
    }
    if (!(f->flags & GL_KF_STINT))
        return 0;

    /* what the case's counters say happened since the last event here */
    bool reworked = kind == EVK(REWORKED);
    if (k) {
        if (k->overdue_accept > f->oa)
            f->flags |= GL_KF_LATE_ACCEPT;
        if (k->overdue_resolve > f->or_) {
            f->flags |= GL_KF_LATE_RESOLVE;
            if (!(f->flags & GL_KF_DUE)) {
                f->flags |= GL_KF_DUE;
                f->due_ms = t;
                n = add(out, n, GL_KC_DUE, t, 1);
            }
        }
        if (k->reworks > f->rw)
            reworked = true;
        if (k->shuffles > f->shuffles)
            n = add(out, n, GL_KC_SHUFFLES, t, (int64_t)(k->shuffles - f->shuffles));
        f->oa = k->overdue_accept;
        f->or_ = k->overdue_resolve;
        f->rw = k->reworks;
        f->shuffles = k->shuffles;
    }
    if (ev->accept_due_ms > 0 && ev->accept_due_ms <= GL_KPI_TIME_MAX)
        f->accept_due_ms = ev->accept_due_ms;
    if (reworked && (f->flags & GL_KF_HANDLED) && !(f->flags & GL_KF_REWORKED)) {
        f->flags |= GL_KF_REWORKED;
        n = add(out, n, GL_KC_REWORKED, f->handled_ms, 1);
    }

    switch (kind) {
    case EVK(ACCEPTED):
        if (f->flags & GL_KF_ACCEPTED)
            break;
        f->flags |= GL_KF_ACCEPTED;
        f->accept_ms = t;
        n = add(out, n, GL_KC_ACCEPTED, t, 1);
        n = add(out, n, GL_KC_ACCEPT_MS, t, working(cal, node, f->start_ms, t));
        if (!(f->flags & GL_KF_LATE_ACCEPT) && (f->accept_due_ms <= 0 || t <= f->accept_due_ms))
            n = add(out, n, GL_KC_SIGNED_IN_TIME, f->start_ms, 1);
        if (f->flags & GL_KF_PART) {
            n = add(out, n, GL_KC_WHISTLE_PARTS, t, 1);
            n = add(out, n, GL_KC_WHISTLE_MS, t,
                    t > f->start_ms && f->start_ms >= GL_KPI_TIME_MIN ? t - f->start_ms : 0);
        }
        break;
    case EVK(SUSPENDED):
        n = add(out, n, GL_KC_SUSPENSIONS, t, 1);
        f->suspended_from = t;
        break;
    case EVK(RESUMED):
        if (f->suspended_from > 0)
            f->suspended_ms = (f->suspended_ms > 0 && f->suspended_ms < GL_KPI_TIME_MAX ? f->suspended_ms : 0) +
                              working(cal, node, f->suspended_from, t);
        f->suspended_from = 0;
        break;
    case EVK(RESOLVED):
        if (f->flags & GL_KF_HANDLED)
            break;
        f->flags |= GL_KF_HANDLED;
        f->handled_ms = t;
        {
            int64_t from = f->accept_ms > 0 ? f->accept_ms : f->start_ms;
            int64_t sus = f->suspended_ms > 0 && f->suspended_ms < GL_KPI_TIME_MAX ? f->suspended_ms : 0;
            int64_t w = working(cal, node, from, t) - sus;
            n = add(out, n, GL_KC_HANDLED, t, 1);
            n = add(out, n, GL_KC_HANDLE_MS, t, w > 0 ? w : 0);
        }
        break;
    case EVK(VERIFIED):
    case EVK(CLOSED):
        if (ev->state != GRIDLINK__V1__CASE_STATE__STATE_CLOSED || (f->flags & GL_KF_CLOSED))
            break;
        f->flags |= GL_KF_CLOSED;
        if (!(f->flags & GL_KF_DUE)) {
            f->flags |= GL_KF_DUE;
            f->due_ms = t;
            n = add(out, n, GL_KC_DUE, t, 1);
        }
        n = add(out, n, GL_KC_CLOSED, f->due_ms, 1);
        if (!(f->flags & GL_KF_LATE_RESOLVE))
            n = add(out, n, GL_KC_CLOSED_IN_TIME, f->due_ms, 1);
        break;
    case EVK(RATED): {
        bool res, sat;
        rating_of(ev, &res, &sat);
        n = add(out, n, GL_KC_RATED, t, 1);
        n = add(out, n, GL_KC_RATED_RESOLVED, t, res ? 1 : 0);
        n = add(out, n, GL_KC_RATED_SATISFIED, t, sat ? 1 : 0);
        break;
    }
    case EVK(RETURNED): n = add(out, n, GL_KC_RETURNS, t, 1); break;
    case EVK(EXTENDED): n = add(out, n, GL_KC_EXTENSIONS, t, 1); break;
    default: break;
    }
    if (!here) /* it left: the stint ends */
        memset(f, 0, sizeof *f);
    *changed = memcmp(&before, f, sizeof *f) != 0;
    return n;
}

size_t gl_kpi_units(const gl_topology_t *t, const char *node, const char **out, size_t max)
{
    const gl_node_t *n = t && node ? gl_topology_find(t, node) : NULL;
    size_t i = 0;
    while (n && i < max) {
        out[i++] = n->id;
        n = gl_topology_parent(t, n);
    }
    return i;
}

/* ---- the accumulator ---- */

struct gl_kpi_acc {
    const gl_topology_t *topo;
    int offset_min;
    zhashx_t *facts;  /* "node\x1f" "case" -> gl_kpi_facts */
    zhashx_t *counts; /* "unit\x1f" "period\x1f" "key" -> gl_kpi_counts */
};

static void free_item(void **item)
{
    free(*item);
    *item = NULL;
}

gl_kpi_acc *gl_kpi_acc_new(const gl_topology_t *t)
{
    gl_kpi_acc *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->topo = t;
    a->offset_min = gl_calendar_utc_offset_min(t ? t->calendar : NULL);
    a->facts = zhashx_new();
    a->counts = zhashx_new();
    if (!a->facts || !a->counts) {
        gl_kpi_acc_free(a);
        return NULL;
    }
    zhashx_set_destructor(a->facts, free_item);
    zhashx_set_destructor(a->counts, free_item);
    return a;
}

void gl_kpi_acc_free(gl_kpi_acc *a)
{
    if (!a)
        return;
    zhashx_destroy(&a->facts);
    zhashx_destroy(&a->counts);
    free(a);
}

static gl_kpi_counts *counts_at(gl_kpi_acc *a, const char *unit, enum gl_kpi_period p, const char *key, bool make)
{
    char k[GL_NODE_ID_MAX + 2 * GL_KPI_KEY_MAX + 4];
    snprintf(k, sizeof k, "%s\x1f%s\x1f%s", unit, period_names[p], key);
    gl_kpi_counts *c = zhashx_lookup(a->counts, k);
    if (!c && make && (c = calloc(1, sizeof *c)) != NULL && zhashx_insert(a->counts, k, c) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

int gl_kpi_acc_feed(gl_kpi_acc *a, const Gridlink__V1__BusEvent *ev)
{
    if (!a || !ev || !ev->node || !ev->case_id || !ev->case_id[0])
        return GL_OK;
    const char *units[16];
    size_t nu = gl_kpi_units(a->topo, ev->node, units, 16);
    if (nu == 0)
        return GL_OK;
    const gl_node_t *self = gl_topology_find(a->topo, ev->node);
    char fk[2 * GL_NODE_ID_MAX + 4];
    snprintf(fk, sizeof fk, "%s\x1f%s", ev->node, ev->case_id);
    gl_kpi_facts *f = zhashx_lookup(a->facts, fk), zero = {0};
    gl_kpi_delta d[GL_KPI_MAX_DELTAS];
    bool changed;
    size_t nd = gl_kpi_step(a->topo->calendar, self->tier, ev, f ? f : &zero, &changed, d);
    if (changed && !f) {
        if (!(f = malloc(sizeof *f)))
            return GL_ENOMEM;
        *f = zero;
        if (zhashx_insert(a->facts, fk, f) != 0) {
            free(f);
            return GL_ENOMEM;
        }
    }
    for (size_t i = 0; i < nd; i++)
        for (int p = 0; p < GL_KPI_PERIODS; p++) {
            char key[GL_KPI_KEY_MAX];
            gl_kpi_period_key((enum gl_kpi_period)p, d[i].at_ms, a->offset_min, key);
            for (size_t u = 0; u < nu; u++) {
                gl_kpi_counts *c = counts_at(a, units[u], (enum gl_kpi_period)p, key, true);
                if (!c)
                    return GL_ENOMEM;
                c->c[d[i].k] += d[i].amount;
            }
        }
    return GL_OK;
}

const gl_kpi_counts *gl_kpi_acc_get(const gl_kpi_acc *a, const char *unit, enum gl_kpi_period p, const char *key)
{
    if (!a || !unit || !key || (unsigned)p >= GL_KPI_PERIODS)
        return NULL;
    return counts_at((gl_kpi_acc *)a, unit, p, key, false);
}

void gl_kpi_acc_each(const gl_kpi_acc *a,
                     void (*fn)(const char *unit, enum gl_kpi_period p, const char *key, const gl_kpi_counts *c,
                                void *ctx),
                     void *ctx)
{
    if (!a)
        return;
    for (gl_kpi_counts *c = zhashx_first(a->counts); c; c = zhashx_next(a->counts)) {
        const char *k = zhashx_cursor(a->counts);
        char unit[GL_NODE_ID_MAX + 1], per[8], key[GL_KPI_KEY_MAX];
        const char *s1 = strchr(k, '\x1f'), *s2 = s1 ? strchr(s1 + 1, '\x1f') : NULL;
        if (!s2 || (size_t)(s1 - k) > GL_NODE_ID_MAX || (size_t)(s2 - s1 - 1) >= sizeof per)
            continue;
        memcpy(unit, k, (size_t)(s1 - k));
        unit[s1 - k] = 0;
        memcpy(per, s1 + 1, (size_t)(s2 - s1 - 1));
        per[s2 - s1 - 1] = 0;
        snprintf(key, sizeof key, "%s", s2 + 1);
        enum gl_kpi_period p;
        if (gl_kpi_period_parse(per, &p))
            fn(unit, p, key, c, ctx);
    }
}

/* ---- JSON and league tables ---- */

json_t *gl_kpi_json(const gl_kpi_counts *c)
{
    static const gl_kpi_counts none;
    if (!c)
        c = &none;
    json_t *o = json_object(), *kpis = json_object(), *ctr = json_object();
    if (!o || !kpis || !ctr) {
        json_decref(o);
        json_decref(kpis);
        json_decref(ctr);
        return NULL;
    }
    json_object_set_new(o, "formula", json_string(GL_KPI_FORMULA));
    for (int i = 0; i < GL_KPI_N; i++) {
        int64_t num, den;
        double v;
        bool has = gl_kpi_value(c, (enum gl_kpi_id)i, &num, &den, &v);
        json_t *k = json_pack("{s:s, s:I, s:I, s:o, s:s, s:s}", "name", defs[i].name, "numerator", (json_int_t)num,
                              "denominator", (json_int_t)den, "value", has ? json_real(v) : json_null(), "unit",
                              shape_names[defs[i].shape], "version", GL_KPI_FORMULA);
        if (!k) {
            json_decref(o);
            json_decref(kpis);
            json_decref(ctr);
            return NULL;
        }
        json_object_set_new(kpis, defs[i].key, k);
    }
    for (int i = 0; i < GL_KC_N; i++)
        json_object_set_new(ctr, counter_names[i], json_integer((json_int_t)c->c[i]));
    json_object_set_new(o, "kpis", kpis);
    json_object_set_new(o, "counters", ctr);
    return o;
}

/* a before b? */
static bool better(enum gl_kpi_id id, const gl_kpi_row *a, const gl_kpi_row *b)
{
    if (a->ranked != b->ranked)
        return a->ranked;
    if (a->ranked) {
        if (a->value != b->value)
            return defs[id].higher_better ? a->value > b->value : a->value < b->value;
        if (a->den != b->den)
            return a->den > b->den;
    }
    return strcmp(a->unit, b->unit) < 0;
}

void gl_kpi_rank(enum gl_kpi_id id, gl_kpi_row *rows, const gl_kpi_counts *const *counts, size_t n, uint32_t min_sample,
                 size_t *n_red, size_t *n_black)
{
    size_t ranked = 0;
    for (size_t i = 0; i < n; i++) {
        rows[i].has = gl_kpi_value(counts[i], id, &rows[i].num, &rows[i].den, &rows[i].value);
        if (!rows[i].has)
            rows[i].value = 0;
        rows[i].ranked = rows[i].has && rows[i].den >= (int64_t)min_sample;
        rows[i].rank = 0;
        ranked += rows[i].ranked;
    }
    for (size_t i = 1; i < n; i++) { /* insertion sort: a tier has at most some hundreds of units */
        gl_kpi_row r = rows[i];
        size_t j = i;
        while (j > 0 && better(id, &r, &rows[j - 1])) {
            rows[j] = rows[j - 1];
            j--;
        }
        rows[j] = r;
    }
    for (size_t i = 0; i < ranked; i++)
        rows[i].rank = (uint32_t)(i + 1);
    size_t list = ranked / 2 < GL_KPI_LIST ? ranked / 2 : GL_KPI_LIST;
    *n_red = *n_black = list;
}

uint32_t gl_kpi_min_sample(void)
{
    const char *v = getenv("GRIDLINK_KPI_MIN_SAMPLE");
    if (v && *v) {
        char *end;
        unsigned long x = strtoul(v, &end, 10);
        if (!*end && x <= 1000000)
            return (uint32_t)x;
    }
    return GL_KPI_MIN_SAMPLE;
}
