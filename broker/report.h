/* report.h: the monthly 通报 of the district or of a township, from the
 * broker's KPI counters (kpis.c): the unit and each unit directly under it
 * with every KPI of the month, the red and black lists (红榜/黑榜) of the
 * units under it, tier by tier and KPI by KPI, with the minimum-sample rule,
 * and the plan's indicators of the month's year against their targets
 * (plan.c: the unit's, and each township's in the district's report).
 * The broker serves it as a spreadsheet (report_xlsx.c, libxlsxwriter, with
 * a chart), as CSV (one table a request, UTF-8 with a byte-order mark so
 * that spreadsheet programs read the Chinese) and as a PNG chart of one KPI
 * over the units (report_png.c, cairo):
 *
 *   GET /api/v1/report?unit=NODE&month=YYYY-MM&format=xlsx|csv|png
 *                     [&table=summary|lists|indicators] [&kpi=KEY]
 *
 * unit is the district or a township (default the district), month the
 * local calendar month (default the current one), table the CSV's table
 * (default summary), kpi the chart's KPI (default closure_in_time).
 *
 * report_build makes a report_t that owns its arrays and borrows the
 * topology's nodes; report_free frees it. */
#ifndef GL_BROKER_REPORT_H
#define GL_BROKER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "http.h"
#include "indicators.h"
#include "kpi.h"
#include "topology.h"

typedef struct report_row {
    const gl_node_t *node;
    gl_kpi_counts c;
} report_row;

typedef struct report_entry {
    const gl_node_t *node;
    uint32_t rank;
    int64_t num, den;
    double value;
} report_entry;

/* One league: the units of one tier under the report's unit, one KPI. */
typedef struct report_list {
    enum gl_kpi_id kpi;
    int tier;
    size_t units, ranked;
    size_t n_red, n_black;
    report_entry red[GL_KPI_LIST], black[GL_KPI_LIST];
} report_list;

/* The plan's indicators of one unit (the district or a township). */
typedef struct report_plan {
    const gl_node_t *node;
    gl_indicator rows[GL_IND_N];
} report_plan;

typedef struct report_t {
    const gl_node_t *unit;
    char month[GL_KPI_KEY_MAX]; /* "2026-11" */
    int64_t from_ms, to_ms;
    uint32_t min_sample;
    report_row *rows; /* rows[0]: the unit itself (its whole subtree) */
    size_t n_rows;
    report_list *lists;
    size_t n_lists;
    int year;          /* the month's */
    report_plan *plan; /* the unit's first; none when the broker has nothing of the year */
    size_t n_plan;
} report_t;

/* The report of unit for the month holding at_ms; NULL when out of memory. */
report_t *report_build(broker_t *b, const gl_node_t *unit, int64_t at_ms);
void report_free(report_t **rp);

/* A KPI's figure as people read it in a report: a rate in per cent, hours,
 * minutes or a count. False when it has no value (no sample). */
bool report_figure(const gl_kpi_counts *c, enum gl_kpi_id id, double *shown);
/* Its column heading, e.g. "响应率(%)" or "平均受理时长(工作小时)". */
const char *report_heading(enum gl_kpi_id id, char *buf, size_t size);
/* A tier's name in Chinese (街道, 社区, ...). */
const char *report_tier_name(int tier);
/* "新北区 2026年11月" into buf. */
const char *report_title(const report_t *rep, char *buf, size_t size);

/* The spreadsheet into a new malloc'ed buffer (*out, *len; the caller
 * frees it), written through a temporary directory under dir. 0 or a
 * GL_E* code with why said. */
int report_xlsx(const report_t *rep, const char *dir, uint8_t **out, size_t *len, char *why, size_t whylen);
/* The bar chart of kpi over the units under the report's unit, as PNG
 * into a new malloc'ed buffer. 0 or a GL_E* code. */
int report_png(const report_t *rep, enum gl_kpi_id kpi, uint8_t **out, size_t *len);
/* Frees the font caches the charts filled (at the broker's end, after its
 * last chart). */
void report_png_release(void);

/* GET /api/v1/report (door.c has authorised the request). */
void report_serve(broker_t *b, gl_http_req_t *r);

#endif
