/* report_png.c: one KPI of the month over the units under the report's
 * unit as a bar chart in PNG (cairo's image surface and its text API,
 * with a CJK font through fontconfig): a title with the unit, the month
 * and the formula version, a bar and its figure per unit (none, and
 * "无样本", where the unit had no sample; a lighter bar where the sample
 * is below the minimum), the unit's own figure as a dashed line, and the
 * units' names under their bars. cairo and fontconfig keep font caches for
 * the process's life; report_png_release gives them back at its end. */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report.h"

#define W       1400
#define H       720
#define LEFT    90
#define RIGHT   40
#define TOP     110
#define BOTTOM  190
#define PNG_MAX (16u << 20)
#define FONT    "WenQuanYi Micro Hei"

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    bool failed;
} sink;

static cairo_status_t on_write(void *closure, const unsigned char *data, unsigned int n)
{
    sink *s = closure;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 65536;
        while (cap < s->len + n)
            cap *= 2;
        uint8_t *nb = cap <= PNG_MAX ? realloc(s->buf, cap) : NULL;
        if (!nb) {
            s->failed = true;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return CAIRO_STATUS_SUCCESS;
}

static void text_at(cairo_t *cr, double x, double y, double size, const char *s, double align)
{
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.x_advance * align, y);
    cairo_show_text(cr, s);
}

static void figure_text(char *buf, size_t size, enum gl_kpi_id kpi, double v)
{
    switch (gl_kpi_def_of(kpi)->shape) {
    case GL_KPI_RATE: snprintf(buf, size, "%.1f%%", v); break;
    case GL_KPI_COUNT: snprintf(buf, size, "%.0f", v); break;
    default: snprintf(buf, size, "%.1f", v); break;
    }
}

/* A round upper bound for the axis. */
static double axis_top(enum gl_kpi_id kpi, double max)
{
    if (gl_kpi_def_of(kpi)->shape == GL_KPI_RATE)
        return 100;
    if (max <= 0)
        return 1;
    double p = pow(10, floor(log10(max)));
    for (int m = 1; m <= 10; m++)
        if (m * p >= max)
            return m * p;
    return 10 * p;
}

int report_png(const report_t *rep, enum gl_kpi_id kpi, uint8_t **out, size_t *len)
{
    size_t n = rep->n_rows > 0 ? rep->n_rows - 1 : 0;
    const report_row *units = rep->rows + 1;
    double max = 0, own = 0;
    bool has_own = report_figure(&rep->rows[0].c, kpi, &own);
    for (size_t i = 0; i < n; i++) {
        double v;
        if (report_figure(&units[i].c, kpi, &v) && v > max)
            max = v;
    }
    if (has_own && own > max)
        max = own;
    double top = axis_top(kpi, max);

    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(sf);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);

    char title[256], h[64], sub[256];
    report_title(rep, title, sizeof title);
    snprintf(title + strlen(title), sizeof title - strlen(title), " %s", report_heading(kpi, h, sizeof h));
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, W / 2.0, 48, 28, title, 0.5);
    snprintf(sub, sizeof sub, "公式 %s · 最小样本 %u · 浅色：样本不足，不排名", GL_KPI_FORMULA, rep->min_sample);
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    text_at(cr, W / 2.0, 80, 16, sub, 0.5);

    double x0 = LEFT, x1 = W - RIGHT, y0 = H - BOTTOM, y1 = TOP;
    /* Grid lines and the axis' figures. */
    cairo_set_line_width(cr, 1);
    for (int g = 0; g <= 5; g++) {
        double y = y0 - (y0 - y1) * g / 5.0;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x1, y);
        cairo_stroke(cr);
        char f[32];
        figure_text(f, sizeof f, kpi, top * g / 5.0);
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        text_at(cr, x0 - 10, y + 5, 14, f, 1.0);
    }
    double slot = n ? (x1 - x0) / (double)n : 0, bar = slot * 0.62;
    for (size_t i = 0; i < n; i++) {
        double cx = x0 + slot * ((double)i + 0.5), v;
        const gl_node_t *node = units[i].node;
        bool has = report_figure(&units[i].c, kpi, &v);
        int64_t num, den;
        double raw;
        gl_kpi_value(&units[i].c, kpi, &num, &den, &raw);
        bool ranked = has && den >= (int64_t)rep->min_sample;
        if (has) {
            double bh = (y0 - y1) * (v > top ? 1 : v / top);
            if (ranked)
                cairo_set_source_rgb(cr, 0.12, 0.40, 0.75);
            else
                cairo_set_source_rgb(cr, 0.68, 0.80, 0.93);
            cairo_rectangle(cr, cx - bar / 2, y0 - bh, bar, bh);
            cairo_fill(cr);
            char f[32];
            figure_text(f, sizeof f, kpi, v);
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
            text_at(cr, cx, y0 - bh - 6, 13, f, 0.5);
        } else {
            cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
            text_at(cr, cx, y0 - 6, 12, "无样本", 0.5);
        }
        /* The name under its bar, turned when the slots are narrow. */
        const char *name = node->name ? node->name : node->id;
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        cairo_save(cr);
        cairo_translate(cr, cx, y0 + 14);
        if (slot < 90)
            cairo_rotate(cr, M_PI / 4);
        cairo_set_font_size(cr, 14);
        cairo_text_extents_t e;
        cairo_text_extents(cr, name, &e);
        cairo_move_to(cr, slot < 90 ? 0 : -e.x_advance / 2, slot < 90 ? 0 : 10);
        cairo_show_text(cr, name);
        cairo_restore(cr);
    }
    if (has_own) {
        double y = y0 - (y0 - y1) * (own > top ? 1 : own / top);
        const double dash[] = {8, 6};
        cairo_set_source_rgb(cr, 0.80, 0.16, 0.16);
        cairo_set_line_width(cr, 2);
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x1, y);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        char f[32], label[128];
        figure_text(f, sizeof f, kpi, own);
        snprintf(label, sizeof label, "%s合计 %s", rep->unit->name ? rep->unit->name : rep->unit->id, f);
        text_at(cr, x1, y - 8, 14, label, 1.0);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, x0, y1);
    cairo_line_to(cr, x0, y0);
    cairo_line_to(cr, x1, y0);
    cairo_stroke(cr);
    if (n == 0)
        text_at(cr, W / 2.0, (y0 + y1) / 2, 18, "其下没有单位", 0.5);

    sink s = {0};
    cairo_surface_flush(sf);
    cairo_status_t st = cairo_status(cr);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_write_to_png_stream(sf, on_write, &s);
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    if (st != CAIRO_STATUS_SUCCESS || s.failed) {
        free(s.buf);
        return s.failed ? GL_ENOMEM : GL_EIO;
    }
    *out = s.buf;
    *len = s.len;
    return 0;
}

void report_png_release(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
