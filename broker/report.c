/* report.c: see report.h. The report's model, its CSV tables and the HTTP
 * route; the spreadsheet is report_xlsx.c, the chart report_png.c. */
#include "report.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "home.h"
#include "kpis.h"
#include "log.h"
#include "plan.h"
#include "policy.h"

#define T_DISTRICT   GRIDLINK__V1__TIER__TIER_DISTRICT
#define T_TOWNSHIP   GRIDLINK__V1__TIER__TIER_TOWNSHIP
#define T_COMMUNITY  GRIDLINK__V1__TIER__TIER_COMMUNITY
#define T_GRID       GRIDLINK__V1__TIER__TIER_GRID
#define T_DEPARTMENT GRIDLINK__V1__TIER__TIER_DEPARTMENT
#define CSV_MAX      (4u << 20)

/* ---- the model ---- */

const char *report_tier_name(int tier)
{
    switch (tier) {
    case T_DISTRICT: return "区";
    case T_TOWNSHIP: return "街道";
    case T_COMMUNITY: return "社区";
    case T_GRID: return "网格";
    case T_DEPARTMENT: return "部门";
    default: return "其他";
    }
}

bool report_figure(const gl_kpi_counts *c, enum gl_kpi_id id, double *shown)
{
    int64_t num, den;
    double v;
    if (!gl_kpi_value(c, id, &num, &den, &v))
        return false;
    *shown = gl_kpi_def_of(id)->shape == GL_KPI_RATE ? v * 100.0 : v;
    return true;
}

const char *report_heading(enum gl_kpi_id id, char *buf, size_t size)
{
    const gl_kpi_def *d = gl_kpi_def_of(id);
    static const char *const suffix[] = {
        [GL_KPI_RATE] = "(%)", [GL_KPI_COUNT] = "", [GL_KPI_HOURS] = "(工作小时)", [GL_KPI_MINUTES] = "(分钟)"};
    snprintf(buf, size, "%s%s", d->name, suffix[d->shape]);
    return buf;
}

const char *report_title(const report_t *rep, char *buf, size_t size)
{
    int y = 0, m = 0;
    sscanf(rep->month, "%d-%d", &y, &m);
    snprintf(buf, size, "%s %d年%d月", rep->unit->name ? rep->unit->name : rep->unit->id, y, m);
    return buf;
}

static void fill_list(report_list *l, const report_row *units, size_t n, uint32_t min_sample)
{
    gl_kpi_row *rows = calloc(n, sizeof *rows);
    const gl_kpi_counts **cs = calloc(n, sizeof *cs);
    if (!rows || !cs) {
        free(rows);
        free(cs);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].unit = units[i].node->id;
        cs[i] = &units[i].c;
    }
    gl_kpi_rank(l->kpi, rows, cs, n, min_sample, &l->n_red, &l->n_black);
    l->units = n;
    for (size_t i = 0; i < n; i++)
        l->ranked += rows[i].ranked;
    const report_row *byid = units;
    for (size_t pass = 0; pass < 2; pass++) {
        size_t cnt = pass ? l->n_black : l->n_red;
        for (size_t i = 0; i < cnt; i++) {
            const gl_kpi_row *row = pass ? &rows[l->ranked - 1 - i] : &rows[i];
            report_entry *e = pass ? &l->black[i] : &l->red[i];
            for (size_t k = 0; k < n; k++)
                if (strcmp(byid[k].node->id, row->unit) == 0)
                    e->node = byid[k].node;
            e->rank = row->rank;
            e->num = row->num;
            e->den = row->den;
            e->value = row->value;
            if (gl_kpi_def_of(l->kpi)->shape == GL_KPI_RATE)
                e->value *= 100.0;
        }
    }
    free(rows);
    free(cs);
}

report_t *report_build(broker_t *b, const gl_node_t *unit, int64_t at_ms)
{
    const gl_topology_t *t = b->topo;
    report_t *rep = calloc(1, sizeof *rep);
    if (!rep)
        return NULL;
    int off = kpis_offset_min(b);
    rep->unit = unit;
    rep->min_sample = gl_kpi_min_sample();
    gl_kpi_period_key(GL_KPI_MONTH, at_ms, off, rep->month);
    gl_kpi_period_bounds(GL_KPI_MONTH, at_ms, off, &rep->from_ms, &rep->to_ms);
    rep->rows = calloc(unit->n_children + 1, sizeof *rep->rows);
    /* At most one league per tier under the unit and KPI. */
    rep->lists = calloc(3 * GL_KPI_N, sizeof *rep->lists);
    if (!rep->rows || !rep->lists) {
        report_free(&rep);
        return NULL;
    }
    rep->rows[rep->n_rows].node = unit;
    kpis_counts(b, unit->id, GL_KPI_MONTH, rep->month, &rep->rows[rep->n_rows++].c);
    for (size_t i = 0; i < unit->n_children; i++) {
        const gl_node_t *n = &t->nodes[unit->children[i]];
        rep->rows[rep->n_rows].node = n;
        kpis_counts(b, n->id, GL_KPI_MONTH, rep->month, &rep->rows[rep->n_rows++].c);
    }
    /* The leagues: the units under this one, by tier (the rows after the
     * first hold them in topology order). */
    static const int tiers[] = {T_TOWNSHIP, T_COMMUNITY, T_DEPARTMENT};
    report_row *same = calloc(rep->n_rows, sizeof *same);
    if (!same) {
        report_free(&rep);
        return NULL;
    }
    for (size_t ti = 0; ti < 3; ti++) {
        size_t n = 0;
        for (size_t i = 1; i < rep->n_rows; i++)
            if ((int)rep->rows[i].node->tier == tiers[ti])
                same[n++] = rep->rows[i];
        if (n == 0)
            continue;
        for (int k = 0; k < GL_KPI_N; k++) {
            report_list *l = &rep->lists[rep->n_lists++];
            l->kpi = (enum gl_kpi_id)k;
            l->tier = tiers[ti];
            fill_list(l, same, n, rep->min_sample);
        }
    }
    free(same);
    /* The plan's indicators of the month's year. */
    rep->year = atoi(rep->month);
    size_t towns = 0;
    for (size_t i = 1; i < rep->n_rows; i++)
        towns += unit->tier == T_DISTRICT && rep->rows[i].node->tier == T_TOWNSHIP;
    rep->plan = calloc(towns + 1, sizeof *rep->plan);
    if (!rep->plan) {
        report_free(&rep);
        return NULL;
    }
    if (plan_indicators(b, rep->year, unit->id, rep->plan[0].rows) == 0) {
        rep->plan[rep->n_plan++].node = unit;
        for (size_t i = 1; i < rep->n_rows && towns; i++) {
            const gl_node_t *n = rep->rows[i].node;
            if (n->tier == T_TOWNSHIP && plan_indicators(b, rep->year, n->id, rep->plan[rep->n_plan].rows) == 0)
                rep->plan[rep->n_plan++].node = n;
        }
    }
    return rep;
}

void report_free(report_t **rp)
{
    if (!rp || !*rp)
        return;
    free((*rp)->rows);
    free((*rp)->lists);
    free((*rp)->plan);
    free(*rp);
    *rp = NULL;
}

/* ---- CSV (RFC 4180: CRLF, fields with a comma, quote or line break
 * quoted, quotes doubled) ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool full;
} csv_t;

static void put(csv_t *o, const char *s, size_t n)
{
    if (o->full)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *nb = cap <= CSV_MAX ? realloc(o->buf, cap) : NULL;
        if (!nb) {
            o->full = true;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = 0;
}

static void field(csv_t *o, bool first, const char *s)
{
    if (!first)
        put(o, ",", 1);
    if (!strpbrk(s, ",\"\r\n")) {
        put(o, s, strlen(s));
        return;
    }
    put(o, "\"", 1);
    for (const char *p = s; *p; p++) {
        put(o, p, 1);
        if (*p == '"')
            put(o, "\"", 1);
    }
    put(o, "\"", 1);
}

static void fieldf(csv_t *o, bool first, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fieldf(csv_t *o, bool first, const char *fmt, ...)
{
    char b[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    field(o, first, b);
}

static void heading(csv_t *o, const char *const *head, size_t n)
{
    for (size_t i = 0; i < n; i++)
        field(o, i == 0, head[i]);
    put(o, "\r\n", 2);
}

static void figure_field(csv_t *o, const gl_kpi_counts *c, enum gl_kpi_id id)
{
    double v;
    if (report_figure(c, id, &v))
        fieldf(o, false, gl_kpi_def_of(id)->shape == GL_KPI_COUNT ? "%.0f" : "%.2f", v);
    else
        field(o, false, "");
}

static void csv_summary(const report_t *rep, csv_t *o)
{
    char h[64];
    field(o, true, "单位");
    field(o, false, "编码");
    field(o, false, "层级");
    field(o, false, "派单数");
    for (int k = 0; k < GL_KPI_N; k++)
        field(o, false, report_heading((enum gl_kpi_id)k, h, sizeof h));
    put(o, "\r\n", 2);
    for (size_t i = 0; i < rep->n_rows; i++) {
        const report_row *r = &rep->rows[i];
        field(o, true, r->node->name ? r->node->name : r->node->id);
        field(o, false, r->node->id);
        field(o, false, i == 0 ? "合计" : report_tier_name((int)r->node->tier));
        fieldf(o, false, "%lld", (long long)r->c.c[GL_KC_DISPATCHED]);
        for (int k = 0; k < GL_KPI_N; k++)
            figure_field(o, &r->c, (enum gl_kpi_id)k);
        put(o, "\r\n", 2);
    }
}

static void csv_lists(const report_t *rep, csv_t *o)
{
    static const char *const head[] = {"指标", "层级", "榜单", "名次", "单位", "编码", "数值", "分子", "分母(样本)"};
    heading(o, head, sizeof head / sizeof head[0]);
    char h[64];
    for (size_t i = 0; i < rep->n_lists; i++) {
        const report_list *l = &rep->lists[i];
        for (int pass = 0; pass < 2; pass++) {
            size_t n = pass ? l->n_black : l->n_red;
            for (size_t j = 0; j < n; j++) {
                const report_entry *e = pass ? &l->black[j] : &l->red[j];
                field(o, true, report_heading(l->kpi, h, sizeof h));
                field(o, false, report_tier_name(l->tier));
                field(o, false, pass ? "黑榜" : "红榜");
                fieldf(o, false, "%u", e->rank);
                field(o, false, e->node && e->node->name ? e->node->name : e->node ? e->node->id : "");
                field(o, false, e->node ? e->node->id : "");
                fieldf(o, false, gl_kpi_def_of(l->kpi)->shape == GL_KPI_COUNT ? "%.0f" : "%.2f", e->value);
                fieldf(o, false, "%lld", (long long)e->num);
                fieldf(o, false, "%lld", (long long)e->den);
                put(o, "\r\n", 2);
            }
        }
    }
}

static void csv_plan(const report_t *rep, csv_t *o)
{
    static const char *const head[] = {"单位", "编码", "指标", "数值", "目标", "达标", "分子", "分母", "规划要求"};
    heading(o, head, sizeof head / sizeof head[0]);
    for (size_t u = 0; u < rep->n_plan; u++) {
        const report_plan *p = &rep->plan[u];
        for (int i = 0; i < GL_IND_N; i++) {
            const gl_indicator *g = &p->rows[i];
            field(o, true, p->node->name ? p->node->name : p->node->id);
            field(o, false, p->node->id);
            field(o, false, g->zh);
            if (g->has_value)
                fieldf(o, false, "%.2f", g->value);
            else
                field(o, false, "");
            if (g->has_target)
                fieldf(o, false, "%g", g->target);
            else
                field(o, false, "");
            field(o, false, g->has_value && g->has_target ? (g->met ? "是" : "否") : "");
            fieldf(o, false, "%g", g->numerator);
            fieldf(o, false, "%g", g->denominator);
            field(o, false, g->plan ? g->plan : "");
            put(o, "\r\n", 2);
        }
    }
}

/* ---- HTTP ---- */

static void attach(gl_http_req_t *r, const report_t *rep, const char *what, const char *ext, const char *type,
                   const void *body, size_t len)
{
    char disp[256];
    snprintf(disp, sizeof disp, "attachment; filename=\"report-%s-%s%s%s.%s\"", rep->unit->id, rep->month,
             what ? "-" : "", what ? what : "", ext);
    const char *headers[] = {"Content-Disposition", disp, NULL};
    gl_http_respond_with(r, 200, type, body, len, headers);
}

void report_serve(broker_t *b, gl_http_req_t *r)
{
    const gl_topology_t *t = b->topo;
    if (!b->kpis) {
        gl_http_error(r, 503, "unavailable", "the broker keeps no KPI counters (its store did not open)");
        return;
    }
    const char *us = gl_http_query(r, "unit"), *ms = gl_http_query(r, "month");
    const char *fs = gl_http_query(r, "format"), *ts = gl_http_query(r, "table"), *ks = gl_http_query(r, "kpi");
    const gl_node_t *unit = us && us[0] ? gl_topology_find(t, us) : (t->root >= 0 ? &t->nodes[t->root] : NULL);
    if (!unit || (unit->tier != T_DISTRICT && unit->tier != T_TOWNSHIP)) {
        gl_http_error(r, 400, "bad-unit", "a report is the district's or a township's, not '%.100s'", us ? us : "");
        return;
    }
    int64_t at = gl_now_ms();
    if (ms && ms[0]) {
        char day[16];
        int y, m;
        char tail;
        if (strlen(ms) != 7 || sscanf(ms, "%4d-%2d%c", &y, &m, &tail) != 2 || m < 1 || m > 12 ||
            snprintf(day, sizeof day, "%s-01", ms) >= (int)sizeof day ||
            !gl_kpi_parse_date(day, kpis_offset_min(b), &at)) {
            gl_http_error(r, 400, "bad-month", "month must be YYYY-MM, not '%.40s'", ms);
            return;
        }
    }
    if (!fs || !fs[0])
        fs = "xlsx";
    int kpi = gl_kpi_find(ks && ks[0] ? ks : "closure_in_time");
    if (kpi < 0) {
        gl_http_error(r, 400, "bad-kpi", "no KPI named '%.40s'", ks);
        return;
    }
    bool csv = strcmp(fs, "csv") == 0, png = strcmp(fs, "png") == 0, xlsx = strcmp(fs, "xlsx") == 0;
    if (!csv && !png && !xlsx) {
        gl_http_error(r, 400, "bad-format", "format must be xlsx, csv or png, not '%.40s'", fs);
        return;
    }
    bool lists = ts && strcmp(ts, "lists") == 0, plan = ts && strcmp(ts, "indicators") == 0;
    if (csv && ts && ts[0] && !lists && !plan && strcmp(ts, "summary") != 0) {
        gl_http_error(r, 400, "bad-table", "table must be summary, lists or indicators, not '%.40s'", ts);
        return;
    }
    report_t *rep = report_build(b, unit, at);
    if (!rep) {
        gl_http_error(r, 503, "unavailable", "out of memory");
        return;
    }
    if (csv) {
        csv_t o = {0};
        put(&o, "\xEF\xBB\xBF", 3);
        if (lists)
            csv_lists(rep, &o);
        else if (plan)
            csv_plan(rep, &o);
        else
            csv_summary(rep, &o);
        if (o.full)
            gl_http_error(r, 503, "unavailable", "the table does not fit in memory");
        else
            attach(r, rep,
                   lists  ? "lists"
                   : plan ? "indicators"
                          : "summary",
                   "csv", "text/csv; charset=utf-8", o.buf, o.len);
        free(o.buf);
    } else {
        uint8_t *body = NULL;
        size_t len = 0;
        char why[256] = "";
        char dir[PATH_MAX];
        int rc;
        if (png) {
            rc = report_png(rep, (enum gl_kpi_id)kpi, &body, &len);
        } else {
            gl_home_path(dir, sizeof dir, b->home, "broker");
            rc = report_xlsx(rep, dir, &body, &len, why, sizeof why);
        }
        if (rc != 0) {
            gl_warn("broker: report of %s for %s: %s", unit->id, rep->month, why[0] ? why : gl_strerror(rc));
            gl_http_error(r, 500, "report-failed", "the report could not be made: %s", why[0] ? why : gl_strerror(rc));
        } else if (png) {
            attach(r, rep, gl_kpi_def_of((enum gl_kpi_id)kpi)->key, "png", "image/png", body, len);
        } else {
            attach(r, rep, NULL, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body,
                   len);
        }
        free(body);
    }
    report_free(&rep);
}
