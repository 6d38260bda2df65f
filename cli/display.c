/* display.c: see display.h. */
#include "display.h"

#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "casejson.h"

static const gl_topology_t *names;

void cli_names_set(const gl_topology_t *t)
{
    names = t;
}

const gl_topology_t *cli_names(void)
{
    return names;
}

const char *cli_node_display(const char *id)
{
    const gl_node_t *n = names && id && id[0] ? gl_topology_find(names, id) : NULL;
    return n && n->name && n->name[0] ? n->name : NULL;
}

const char *cli_node_name(const char *id, char *buf, size_t size)
{
    const char *name = cli_node_display(id);
    if (name)
        snprintf(buf, size, "%s (%s)", id, name);
    else
        snprintf(buf, size, "%s", id && id[0] ? id : "-");
    return buf;
}

const char *cli_category_display(const char *code)
{
    if (!names || !names->catalogue || !code || !code[0])
        return NULL;
    const char *name = gl_category_display_name(names->catalogue, code);
    return name && name[0] ? name : NULL;
}

const char *cli_category_name(const char *code, char *buf, size_t size)
{
    const char *name = cli_category_display(code);
    if (name)
        snprintf(buf, size, "%s (%s)", code, name);
    else
        snprintf(buf, size, "%s", code && code[0] ? code : "-");
    return buf;
}

/* ---- times ---- */

static struct tm *broken_down(int64_t ms, bool local, struct tm *tm)
{
    static bool tz_read;
    if (!tz_read) {
        tzset();
        tz_read = true;
    }
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    return local ? localtime_r(&t, tm) : gmtime_r(&t, tm);
}

static int millis(int64_t ms)
{
    int r = (int)(ms % 1000);
    return r < 0 ? r + 1000 : r;
}

static const char *format(int64_t ms, bool local, const char *fmt, bool with_ms, const char *tail, char *buf,
                          size_t size)
{
    struct tm tm;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (!broken_down(ms, local, &tm))
        return buf;
    size_t k = strftime(buf, size, fmt, &tm);
    if (with_ms && k < size)
        snprintf(buf + k, size - k, ".%03d%s", millis(ms), tail);
    return buf;
}

const char *cli_local_time(int64_t ms, char *buf, size_t size)
{
    return format(ms, true, "%Y-%m-%d %H:%M:%S", false, "", buf, size);
}

const char *cli_local_time_zone(int64_t ms, char *buf, size_t size)
{
    return format(ms, true, "%Y-%m-%d %H:%M:%S %Z", false, "", buf, size);
}

const char *cli_local_clock(int64_t ms, char *buf, size_t size)
{
    return format(ms, true, "%H:%M:%S", true, "", buf, size);
}

const char *cli_iso_time(int64_t ms, char *buf, size_t size)
{
    return gl_iso_time(ms, buf, size);
}

/* ---- display width ---- */

enum { WIDTH_UNSET, WIDTH_LIBC, WIDTH_TABLE };
static int width_mode = WIDTH_UNSET;

static bool utf8_ctype(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* Measure in a UTF-8 locale: the environment's when it is one, else
 * C.UTF-8; the built-in table when neither is there. */
static void width_init(void)
{
    if (width_mode != WIDTH_UNSET)
        return;
    if ((setlocale(LC_CTYPE, "") && utf8_ctype()) || (setlocale(LC_CTYPE, "C.UTF-8") && utf8_ctype()))
        width_mode = WIDTH_LIBC;
    else
        width_mode = WIDTH_TABLE;
}

/* East Asian wide and fullwidth ranges, and the common combining marks. */
static int table_width(uint32_t cp)
{
    static const uint32_t wide[][2] = {{0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},  {0x3400, 0x4DBF},
                                       {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},  {0xF900, 0xFAFF},
                                       {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},  {0x1F300, 0x1F64F},
                                       {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 0;
    if ((cp >= 0x0300 && cp <= 0x036F) || cp == 0x200B || (cp >= 0xFE00 && cp <= 0xFE0F))
        return 0;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

/* One UTF-8 sequence at p (left bytes): its length, the code point in *cp;
 * 0 when it is not a valid sequence. */
static size_t utf8_next(const unsigned char *p, size_t left, uint32_t *cp)
{
    size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    uint32_t v = n == 1 ? p[0] : (uint32_t)(p[0] & (0x7F >> n));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    *cp = v;
    return n;
}

size_t cli_width(const char *s)
{
    if (!s)
        return 0;
    width_init();
    size_t w = 0, left = strlen(s);
    const char *p = s;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    while (left > 0) {
        size_t n;
        int cw;
        if (width_mode == WIDTH_LIBC) {
            wchar_t wc;
            n = mbrtowc(&wc, p, left, &st);
            if (n == (size_t)-1 || n == (size_t)-2) {
                memset(&st, 0, sizeof st);
                n = 0;
            }
            cw = n ? wcwidth(wc) : 1;
        } else {
            uint32_t cp = 0;
            n = utf8_next((const unsigned char *)p, left, &cp);
            cw = n ? table_width(cp) : 1;
        }
        if (n == 0)
            n = 1; /* a stray byte: one column, as terminals show a replacement */
        if (cw > 0)
            w += (size_t)cw;
        p += n;
        left -= n;
    }
    return w;
}

void cli_pad(FILE *f, const char *s, size_t width)
{
    fputs(s ? s : "", f);
    for (size_t w = cli_width(s); w < width; w++)
        fputc(' ', f);
}

/* ---- tables ---- */

struct cli_table {
    size_t n_cols, n_rows, cap;
    char **cells; /* n_rows * n_cols, row by row */
};

cli_table_t *cli_table_new(size_t n_cols)
{
    cli_table_t *t = calloc(1, sizeof *t);
    if (t)
        t->n_cols = n_cols ? n_cols : 1;
    return t;
}

int cli_table_add(cli_table_t *t, const char *const *cells)
{
    if (t->n_rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **grown = realloc(t->cells, cap * t->n_cols * sizeof *grown);
        if (!grown)
            return -1;
        t->cells = grown;
        t->cap = cap;
    }
    char **row = t->cells + t->n_rows * t->n_cols;
    for (size_t i = 0; i < t->n_cols; i++) {
        row[i] = strdup(cells[i] ? cells[i] : "");
        if (!row[i]) {
            while (i > 0)
                free(row[--i]);
            return -1;
        }
    }
    t->n_rows++;
    return 0;
}

void cli_table_print(const cli_table_t *t, FILE *f)
{
    size_t *w = calloc(t->n_cols, sizeof *w);
    if (!w)
        return;
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c + 1 < t->n_cols; c++) {
            size_t cw = cli_width(t->cells[r * t->n_cols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    for (size_t r = 0; r < t->n_rows; r++) {
        char *const *row = t->cells + r * t->n_cols;
        /* The last cells that are empty are not padded for. */
        size_t last = t->n_cols;
        while (last > 1 && !row[last - 1][0])
            last--;
        for (size_t c = 0; c < last; c++) {
            if (c + 1 < last) {
                cli_pad(f, row[c], w[c]);
                fputs("  ", f);
            } else {
                fputs(row[c], f);
            }
        }
        fputc('\n', f);
    }
    free(w);
}

void cli_table_free(cli_table_t **t)
{
    if (!*t)
        return;
    for (size_t i = 0; i < (*t)->n_rows * (*t)->n_cols; i++)
        free((*t)->cells[i]);
    free((*t)->cells);
    free(*t);
    *t = NULL;
}
