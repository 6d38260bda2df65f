/* report_xlsx.c: the monthly report as a spreadsheet (libxlsxwriter):
 * a sheet 汇总 (the unit and each unit under it, every KPI, with a column
 * chart of 按期结案率 and 满意率 over the units under it), a sheet 红黑榜
 * (the red and black lists of each league), a sheet 规划指标 (the plan's
 * indicators of the year against their targets) and a sheet 说明 (the formula
 * version, the minimum sample and the period's bounds). libxlsxwriter
 * writes to a file, so the workbook goes through a private temporary
 * directory under the broker's own state directory, removed before
 * returning. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "casejson.h"
#include "error.h"
#include "log.h"
#include "report.h"

#define XLSX_MAX (64u << 20)

typedef struct {
    lxw_format *title, *head, *text, *pct, *num, *count, *red, *black;
} formats;

static void make_formats(lxw_workbook *wb, formats *f)
{
    f->title = workbook_add_format(wb);
    format_set_bold(f->title);
    format_set_font_size(f->title, 16);
    f->head = workbook_add_format(wb);
    format_set_bold(f->head);
    format_set_bg_color(f->head, 0xDDE6F0);
    format_set_border(f->head, LXW_BORDER_THIN);
    format_set_text_wrap(f->head);
    format_set_align(f->head, LXW_ALIGN_CENTER);
    format_set_align(f->head, LXW_ALIGN_VERTICAL_CENTER);
    f->text = workbook_add_format(wb);
    format_set_border(f->text, LXW_BORDER_THIN);
    f->pct = workbook_add_format(wb);
    format_set_num_format(f->pct, "0.00");
    format_set_border(f->pct, LXW_BORDER_THIN);
    f->num = workbook_add_format(wb);
    format_set_num_format(f->num, "0.0");
    format_set_border(f->num, LXW_BORDER_THIN);
    f->count = workbook_add_format(wb);
    format_set_num_format(f->count, "0");
    format_set_border(f->count, LXW_BORDER_THIN);
    f->red = workbook_add_format(wb);
    format_set_font_color(f->red, 0xC62828);
    format_set_bold(f->red);
    format_set_border(f->red, LXW_BORDER_THIN);
    f->black = workbook_add_format(wb);
    format_set_font_color(f->black, 0x212121);
    format_set_bold(f->black);
    format_set_bg_color(f->black, 0xE0E0E0);
    format_set_border(f->black, LXW_BORDER_THIN);
}

static lxw_format *format_of(const formats *f, enum gl_kpi_id id)
{
    switch (gl_kpi_def_of(id)->shape) {
    case GL_KPI_RATE: return f->pct;
    case GL_KPI_COUNT: return f->count;
    default: return f->num;
    }
}

static int column_of(enum gl_kpi_id id)
{
    return 4 + (int)id; /* 单位, 编码, 层级, 派单数, then the KPIs */
}

static void summary(lxw_workbook *wb, const report_t *rep, const formats *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "汇总");
    char title[256], h[64];
    report_title(rep, title, sizeof title);
    strncat(title, " 考核通报", sizeof title - strlen(title) - 1);
    worksheet_merge_range(ws, 0, 0, 0, column_of(GL_KPI_N - 1), title, f->title);
    worksheet_set_row(ws, 2, 42, NULL);
    worksheet_write_string(ws, 2, 0, "单位", f->head);
    worksheet_write_string(ws, 2, 1, "编码", f->head);
    worksheet_write_string(ws, 2, 2, "层级", f->head);
    worksheet_write_string(ws, 2, 3, "派单数", f->head);
    for (int k = 0; k < GL_KPI_N; k++)
        worksheet_write_string(ws, 2, (lxw_col_t)column_of((enum gl_kpi_id)k),
                               report_heading((enum gl_kpi_id)k, h, sizeof h), f->head);
    for (size_t i = 0; i < rep->n_rows; i++) {
        const report_row *r = &rep->rows[i];
        lxw_row_t row = (lxw_row_t)(3 + i);
        worksheet_write_string(ws, row, 0, r->node->name ? r->node->name : r->node->id, f->text);
        worksheet_write_string(ws, row, 1, r->node->id, f->text);
        worksheet_write_string(ws, row, 2, i == 0 ? "合计" : report_tier_name((int)r->node->tier), f->text);
        worksheet_write_number(ws, row, 3, (double)r->c.c[GL_KC_DISPATCHED], f->count);
        for (int k = 0; k < GL_KPI_N; k++) {
            double v;
            lxw_col_t col = (lxw_col_t)column_of((enum gl_kpi_id)k);
            if (report_figure(&r->c, (enum gl_kpi_id)k, &v))
                worksheet_write_number(ws, row, col, v, format_of(f, (enum gl_kpi_id)k));
            else
                worksheet_write_blank(ws, row, col, f->text);
        }
    }
    worksheet_set_column(ws, 0, 0, 22, NULL);
    worksheet_set_column(ws, 1, 1, 26, NULL);
    worksheet_set_column(ws, 2, (lxw_col_t)column_of(GL_KPI_N - 1), 11, NULL);
    worksheet_freeze_panes(ws, 3, 2);
    if (rep->n_rows < 2)
        return;
    /* The units under this one: 按期结案率 and 满意率 side by side. */
    lxw_chart *chart = workbook_add_chart(wb, LXW_CHART_COLUMN);
    lxw_row_t first = 4, last = (lxw_row_t)(3 + rep->n_rows - 1);
    const enum gl_kpi_id shown[] = {GL_KPI_CLOSURE_IN_TIME, GL_KPI_SATISFIED};
    for (size_t s = 0; s < 2; s++) {
        lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
        chart_series_set_categories(series, "汇总", first, 0, last, 0);
        lxw_col_t col = (lxw_col_t)column_of(shown[s]);
        chart_series_set_values(series, "汇总", first, col, last, col);
        chart_series_set_name(series, report_heading(shown[s], h, sizeof h));
    }
    chart_title_set_name(chart, "按期结案率与满意率");
    chart_axis_set_name(chart->y_axis, "%");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    lxw_chart_options opt = {.x_scale = 2.0, .y_scale = 1.4};
    worksheet_insert_chart_opt(ws, (lxw_row_t)(last + 3), 0, chart, &opt);
}

static void lists(lxw_workbook *wb, const report_t *rep, const formats *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "红黑榜");
    static const char *const head[] = {"指标", "层级", "榜单", "名次", "单位", "编码", "数值", "分子", "分母(样本)"};
    char title[256], h[64];
    report_title(rep, title, sizeof title);
    strncat(title, " 红黑榜", sizeof title - strlen(title) - 1);
    worksheet_merge_range(ws, 0, 0, 0, 8, title, f->title);
    for (lxw_col_t c = 0; c < 9; c++)
        worksheet_write_string(ws, 2, c, head[c], f->head);
    lxw_row_t row = 3;
    for (size_t i = 0; i < rep->n_lists; i++) {
        const report_list *l = &rep->lists[i];
        for (int pass = 0; pass < 2; pass++) {
            size_t n = pass ? l->n_black : l->n_red;
            for (size_t j = 0; j < n; j++, row++) {
                const report_entry *e = pass ? &l->black[j] : &l->red[j];
                worksheet_write_string(ws, row, 0, report_heading(l->kpi, h, sizeof h), f->text);
                worksheet_write_string(ws, row, 1, report_tier_name(l->tier), f->text);
                worksheet_write_string(ws, row, 2, pass ? "黑榜" : "红榜", pass ? f->black : f->red);
                worksheet_write_number(ws, row, 3, e->rank, f->count);
                worksheet_write_string(ws, row, 4, e->node && e->node->name ? e->node->name : "", f->text);
                worksheet_write_string(ws, row, 5, e->node ? e->node->id : "", f->text);
                worksheet_write_number(ws, row, 6, e->value, format_of(f, l->kpi));
                worksheet_write_number(ws, row, 7, (double)e->num, f->count);
                worksheet_write_number(ws, row, 8, (double)e->den, f->count);
            }
        }
    }
    if (row == 3)
        worksheet_write_string(ws, 3, 0, "本月没有达到最小样本的单位，不排名。", NULL);
    worksheet_set_column(ws, 0, 0, 24, NULL);
    worksheet_set_column(ws, 4, 4, 22, NULL);
    worksheet_set_column(ws, 5, 5, 26, NULL);
    worksheet_freeze_panes(ws, 3, 0);
}

static void plan_sheet(lxw_workbook *wb, const report_t *rep, const formats *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "规划指标");
    static const char *const head[] = {"单位", "编码", "指标", "数值", "目标", "达标", "分子", "分母", "规划要求"};
    char title[256];
    snprintf(title, sizeof title, "%s %d年 规划指标", rep->unit->name ? rep->unit->name : rep->unit->id, rep->year);
    worksheet_merge_range(ws, 0, 0, 0, 8, title, f->title);
    for (lxw_col_t c = 0; c < 9; c++)
        worksheet_write_string(ws, 2, c, head[c], f->head);
    lxw_row_t row = 3;
    for (size_t u = 0; u < rep->n_plan; u++) {
        const report_plan *p = &rep->plan[u];
        for (int i = 0; i < GL_IND_N; i++, row++) {
            const gl_indicator *g = &p->rows[i];
            worksheet_write_string(ws, row, 0, p->node->name ? p->node->name : p->node->id, f->text);
            worksheet_write_string(ws, row, 1, p->node->id, f->text);
            worksheet_write_string(ws, row, 2, g->zh, f->text);
            if (g->has_value)
                worksheet_write_number(ws, row, 3, g->value, f->pct);
            else
                worksheet_write_blank(ws, row, 3, f->text);
            if (g->has_target)
                worksheet_write_number(ws, row, 4, g->target, f->pct);
            else
                worksheet_write_blank(ws, row, 4, f->text);
            if (g->has_value && g->has_target)
                worksheet_write_string(ws, row, 5, g->met ? "是" : "否", g->met ? f->text : f->red);
            else
                worksheet_write_blank(ws, row, 5, f->text);
            worksheet_write_number(ws, row, 6, g->numerator, f->num);
            worksheet_write_number(ws, row, 7, g->denominator, f->num);
            worksheet_write_string(ws, row, 8, g->plan ? g->plan : "", f->text);
        }
    }
    if (rep->n_plan == 0)
        worksheet_write_string(ws, 3, 0, "本年度没有规划指标数据。", NULL);
    worksheet_set_column(ws, 0, 0, 16, NULL);
    worksheet_set_column(ws, 1, 1, 18, NULL);
    worksheet_set_column(ws, 2, 2, 30, NULL);
    worksheet_set_column(ws, 8, 8, 40, NULL);
    worksheet_freeze_panes(ws, 3, 0);
}

static void notes(lxw_workbook *wb, const report_t *rep, const formats *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, "说明");
    char a[48], z[48], ms[32];
    snprintf(ms, sizeof ms, "%u", rep->min_sample);
    const char *rows[][2] = {
        {"单位", rep->unit->name ? rep->unit->name : rep->unit->id},
        {"单位编码", rep->unit->id},
        {"月份", rep->month},
        {"起 (UTC)", gl_iso_time(rep->from_ms, a, sizeof a)},
        {"止 (UTC，不含)", gl_iso_time(rep->to_ms, z, sizeof z)},
        {"公式版本", GL_KPI_FORMULA},
        {"最小样本", ms},
        {"排名规则", "样本（分母）达到最小样本的单位参加排名；红榜、黑榜各取前、后五名，且不超过参评单位的一半"},
        {"时长", "受理、处置时长按工作时间计（挂账时间不计），吹哨报到按自然时间计"},
    };
    for (lxw_row_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        worksheet_write_string(ws, i, 0, rows[i][0], f->head);
        worksheet_write_string(ws, i, 1, rows[i][1], NULL);
    }
    worksheet_set_column(ws, 0, 0, 18, NULL);
    worksheet_set_column(ws, 1, 1, 90, NULL);
}

static int slurp(const char *path, uint8_t **out, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return GL_EIO;
    struct stat st;
    int rc = fstat(fileno(fp), &st) == 0 && st.st_size > 0 && (size_t)st.st_size <= XLSX_MAX ? 0 : GL_EIO;
    uint8_t *buf = rc == 0 ? malloc((size_t)st.st_size) : NULL;
    if (rc == 0 && !buf)
        rc = GL_ENOMEM;
    if (rc == 0 && fread(buf, 1, (size_t)st.st_size, fp) != (size_t)st.st_size)
        rc = GL_EIO;
    fclose(fp);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = (size_t)st.st_size;
    return 0;
}

int report_xlsx(const report_t *rep, const char *dir, uint8_t **out, size_t *len, char *why, size_t whylen)
{
    char tmp[PATH_MAX], file[PATH_MAX + 16];
    if (snprintf(tmp, sizeof tmp, "%s/report.XXXXXX", dir) >= (int)sizeof tmp || !mkdtemp(tmp)) {
        snprintf(why, whylen, "cannot make a temporary directory in %s: %s", dir, strerror(errno));
        return GL_EIO;
    }
    snprintf(file, sizeof file, "%s/report.xlsx", tmp);
    lxw_workbook_options o = {.constant_memory = 0, .tmpdir = tmp};
    lxw_workbook *wb = workbook_new_opt(file, &o);
    int rc = 0;
    if (!wb) {
        snprintf(why, whylen, "cannot start a workbook in %s", tmp);
        rc = GL_EIO;
    } else {
        char title[256];
        report_title(rep, title, sizeof title);
        lxw_doc_properties props = {.title = title, .subject = "考核通报", .author = "gridlink"};
        workbook_set_properties(wb, &props);
        formats f;
        make_formats(wb, &f);
        summary(wb, rep, &f);
        lists(wb, rep, &f);
        plan_sheet(wb, rep, &f);
        notes(wb, rep, &f);
        lxw_error e = workbook_close(wb);
        if (e != LXW_NO_ERROR) {
            snprintf(why, whylen, "the workbook: %s", lxw_strerror(e));
            rc = GL_EIO;
        }
    }
    if (rc == 0)
        rc = slurp(file, out, len);
    unlink(file);
    if (rmdir(tmp) != 0)
        gl_warn("broker: report: cannot remove %s: %s", tmp, strerror(errno));
    return rc;
}
