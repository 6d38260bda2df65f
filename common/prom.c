/* prom.c: see prom.h. */
#include "prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gl_prom_init(gl_prom *p)
{
    memset(p, 0, sizeof *p);
}

void gl_prom_free(gl_prom *p)
{
    free(p->buf);
    memset(p, 0, sizeof *p);
}

static void put(gl_prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(gl_prom *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(p->buf ? p->buf + p->len : NULL, p->buf ? p->cap - p->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            p->failed = true;
            return;
        }
        if (p->buf && (size_t)n < p->cap - p->len) {
            p->len += (size_t)n;
            return;
        }
        size_t cap = p->cap ? p->cap : 4096;
        while (cap - p->len <= (size_t)n)
            cap *= 2;
        char *b = realloc(p->buf, cap);
        if (!b) {
            p->failed = true;
            return;
        }
        p->buf = b;
        p->cap = cap;
    }
}

/* HELP text: backslash and newline escaped. */
static void put_help(gl_prom *p, const char *s)
{
    for (; *s && !p->failed; s++) {
        if (*s == '\\')
            put(p, "\\\\");
        else if (*s == '\n')
            put(p, "\\n");
        else
            put(p, "%c", *s);
    }
}

void gl_prom_family(gl_prom *p, const char *name, const char *type, const char *help)
{
    put(p, "# HELP %s ", name);
    put_help(p, help);
    put(p, "\n# TYPE %s %s\n", name, type);
}

static void put_value(gl_prom *p, double v)
{
    if (isnan(v))
        put(p, "NaN");
    else if (isinf(v))
        put(p, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9.007199254740992e15)
        put(p, "%.0f", v);
    else
        put(p, "%.9g", v);
}

void gl_prom_sample(gl_prom *p, const char *name, const char *labels, double value)
{
    if (labels && labels[0])
        put(p, "%s{%s} ", name, labels);
    else
        put(p, "%s ", name);
    put_value(p, value);
    put(p, "\n");
}

const char *gl_prom_labels(char out[GL_PROM_LABELS], ...)
{
    va_list ap;
    va_start(ap, out);
    size_t len = 0;
    bool fits = true;
    for (const char *k = va_arg(ap, const char *); k && fits; k = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        int n = snprintf(out + len, GL_PROM_LABELS - len, "%s%s=\"", len ? "," : "", k);
        fits = n > 0 && (size_t)n < GL_PROM_LABELS - len;
        if (fits)
            len += (size_t)n;
        for (; fits && v && *v; v++) {
            const char *esc = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : *v == '\n' ? "\\n" : NULL;
            size_t need = esc ? 2 : 1;
            fits = len + need + 2 < GL_PROM_LABELS;
            if (fits) {
                memcpy(out + len, esc ? esc : v, need);
                len += need;
            }
        }
        if (fits)
            out[len++] = '"';
    }
    va_end(ap);
    if (!fits)
        len = 0;
    out[len] = 0;
    return out;
}

void gl_prom_hist_init(gl_prom_hist *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n = n < GL_PROM_BUCKETS ? n : GL_PROM_BUCKETS;
}

void gl_prom_hist_observe(gl_prom_hist *h, double v)
{
    size_t i = 0;
    while (i < h->n && v > h->bounds[i])
        i++;
    if (i < h->n)
        h->counts[i]++;
    h->count++;
    h->sum += v;
}

void gl_prom_hist_write(gl_prom *p, const char *name, const char *labels, const gl_prom_hist *h)
{
    uint64_t cum = 0;
    const char *sep = labels && labels[0] ? "," : "";
    for (size_t i = 0; i <= h->n; i++) {
        char le[32];
        if (i < h->n) {
            cum += h->counts[i];
            snprintf(le, sizeof le, "%g", h->bounds[i]);
        } else {
            cum = h->count;
            snprintf(le, sizeof le, "+Inf");
        }
        put(p, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels ? labels : "", sep, le, (unsigned long long)cum);
    }
    char s[GL_PROM_LABELS + 2];
    snprintf(s, sizeof s, "%s", labels ? labels : "");
    put(p, "%s_sum%s%s%s ", name, s[0] ? "{" : "", s, s[0] ? "}" : "");
    put_value(p, h->sum);
    put(p, "\n%s_count%s%s%s %llu\n", name, s[0] ? "{" : "", s, s[0] ? "}" : "", (unsigned long long)h->count);
}
