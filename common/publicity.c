/* publicity.c: the public view of cases and a unit's figures (see
 * publicity.h for the rules). Every key of a public document is written
 * here from a field the rules let through; nothing copies a case whole. */
#include "publicity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "category.h"
#include "error.h"
#include "names.h"

#define ST(x)   GRIDLINK__V1__CASE_STATE__STATE_##x
#define KIND(x) GRIDLINK__V1__CASE_KIND__KIND_##x
#define TIER(x) GRIDLINK__V1__TIER__TIER_##x

static const char *const step_labels[][2] = {
    {"reported", "已受理"},   {"assigned", "已派单"},      {"accepted", "已签收"},    {"started", "处理中"},
    {"resolved", "已处置"},   {"verified", "核查通过"},    {"closed", "已办结"},      {"reworked", "返工处理"},
    {"reopened", "重新办理"}, {"merged", "已合并办理"},    {"suspended", "暂停办理"}, {"resumed", "恢复办理"},
    {"extended", "已延期"},   {"returned", "退回重新分拨"}};

const char *gl_pub_step_label(const char *action)
{
    for (size_t i = 0; action && i < sizeof step_labels / sizeof step_labels[0]; i++)
        if (strcmp(step_labels[i][0], action) == 0)
            return step_labels[i][1];
    return NULL;
}

bool gl_pub_note_internal(const char *note)
{
    static const char *const marks[] = {"[内部]", "内部：", "内部:"};
    for (size_t i = 0; note && i < sizeof marks / sizeof marks[0]; i++)
        if (strncmp(note, marks[i], strlen(marks[i])) == 0)
            return true;
    return false;
}

bool gl_pub_note_shown(const Gridlink__V1__HistoryEntry *h)
{
    bool closing =
        strcmp(h->action, "resolved") == 0 || strcmp(h->action, "verified") == 0 || strcmp(h->action, "closed") == 0;
    return closing && h->note && h->note[0] && !gl_pub_note_internal(h->note);
}

bool gl_pub_photo_shown(const Gridlink__V1__Case *c, const char *sha)
{
    bool attached = false;
    for (size_t i = 0; i < c->n_attachments && !attached; i++)
        attached = strcmp(c->attachments[i], sha) == 0;
    for (size_t i = 0; attached && i < c->n_history; i++)
        if (strcmp(c->history[i]->action, "photo-published") == 0 && strcmp(c->history[i]->note, sha) == 0)
            return true;
    return false;
}

/* The community above or at id, else the township, else NULL. */
static const gl_node_t *coarse(const gl_topology_t *t, const char *id)
{
    const gl_node_t *n = id && id[0] ? gl_topology_find(t, id) : NULL;
    const gl_node_t *township = NULL;
    for (; n; n = gl_topology_parent(t, n)) {
        if (n->tier == TIER(COMMUNITY))
            return n;
        if (n->tier == TIER(TOWNSHIP) && !township)
            township = n;
    }
    return township;
}

const char *gl_pub_place(const gl_topology_t *t, const Gridlink__V1__Case *c)
{
    const char *ids[] = {c->community, c->grid, c->holder};
    const gl_node_t *best = NULL;
    for (size_t i = 0; i < 3; i++) {
        const gl_node_t *n = coarse(t, ids[i]);
        if (n && n->tier == TIER(COMMUNITY))
            return n->name;
        if (n && !best)
            best = n;
    }
    return best ? best->name : "";
}

bool gl_pub_handled(const Gridlink__V1__Case *c, const char *unit)
{
    bool task = c->kind == KIND(TASK); /* the unit's when given to it, not when it gave it */
    if (strcmp(c->holder, unit) == 0 || (!task && strcmp(c->originator, unit) == 0 && c->state == ST(CLOSED)))
        return true;
    for (size_t i = 0; i < c->n_history; i++) {
        const Gridlink__V1__HistoryEntry *h = c->history[i];
        if (strcmp(h->node, unit) != 0)
            continue;
        if (strcmp(h->action, "accepted") == 0 || strcmp(h->action, "resolved") == 0)
            return true;
        if (!task && (strcmp(h->action, "verified") == 0 || strcmp(h->action, "closed") == 0))
            return true;
    }
    return false;
}

int64_t gl_pub_closed_ms(const Gridlink__V1__Case *c)
{
    if (c->state != ST(CLOSED))
        return 0;
    int64_t t = 0; /* the last step into closed: a reopened case counts from its last closing */
    for (size_t i = 0; i < c->n_history; i++)
        if (c->history[i]->state == ST(CLOSED) && (i == 0 || c->history[i - 1]->state != ST(CLOSED)))
            t = c->history[i]->time_ms;
    return t ? t : c->created_ms;
}

int64_t gl_pub_updated_ms(const Gridlink__V1__Case *c)
{
    int64_t t = c->created_ms;
    for (size_t i = 0; i < c->n_history; i++)
        if (c->history[i]->time_ms > t)
            t = c->history[i]->time_ms;
    return t;
}

/* ---- time ---- */

int gl_pub_offset_min(const gl_topology_t *t)
{
    int off = 8 * 60;
    json_t *cal = t && t->calendar ? gl_calendar_to_json(t->calendar) : NULL;
    const char *o = json_string_value(json_object_get(cal, "utc_offset"));
    int h, m;
    if (o && strlen(o) == 6 && (o[0] == '+' || o[0] == '-') && sscanf(o + 1, "%2d:%2d", &h, &m) == 2)
        off = (o[0] == '-' ? -1 : 1) * (h * 60 + m);
    json_decref(cal);
    return off;
}

static bool local_tm(int offset_min, int64_t ms, struct tm *tm)
{
    time_t s = (time_t)(ms / 1000) + (time_t)offset_min * 60;
    return gmtime_r(&s, tm) != NULL;
}

const char *gl_pub_rfc3339(int offset_min, int64_t ms, char *buf, size_t size)
{
    struct tm tm;
    if (!local_tm(offset_min, ms, &tm)) {
        snprintf(buf, size, "1970-01-01T00:00:00Z");
        return buf;
    }
    int a = offset_min < 0 ? -offset_min : offset_min;
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, offset_min < 0 ? '-' : '+', a / 60, a % 60);
    return buf;
}

const char *gl_pub_local(int offset_min, int64_t ms, char *buf, size_t size)
{
    struct tm tm;
    if (!local_tm(offset_min, ms, &tm)) {
        snprintf(buf, size, "-");
        return buf;
    }
    snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min);
    return buf;
}

bool gl_pub_month(int offset_min, const char *month, int64_t now, int64_t *start, int64_t *end)
{
    int y, m;
    if (month && month[0]) {
        char extra;
        if (strlen(month) != 7 || month[4] != '-' || sscanf(month, "%4d-%2d%c", &y, &m, &extra) != 2 || y < 1970 ||
            y > 9999 || m < 1 || m > 12)
            return false;
    } else {
        struct tm tm;
        if (!local_tm(offset_min, now, &tm))
            return false;
        y = tm.tm_year + 1900;
        m = tm.tm_mon + 1;
    }
    struct tm a = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = 1};
    struct tm b = {.tm_year = (m == 12 ? y + 1 : y) - 1900, .tm_mon = m == 12 ? 0 : m, .tm_mday = 1};
    *start = ((int64_t)timegm(&a) - (int64_t)offset_min * 60) * 1000;
    *end = ((int64_t)timegm(&b) - (int64_t)offset_min * 60) * 1000;
    return true;
}

/* "created": RFC 3339 and "created_local" beside it; null when ms is 0. */
static void set_time(json_t *o, const char *key, int off, int64_t ms)
{
    char b[48], k[32];
    snprintf(k, sizeof k, "%s_local", key);
    json_object_set_new(o, key, ms > 0 ? json_string(gl_pub_rfc3339(off, ms, b, sizeof b)) : json_null());
    json_object_set_new(o, k, ms > 0 ? json_string(gl_pub_local(off, ms, b, sizeof b)) : json_null());
}

/* ---- one case ---- */

static bool in_time(const Gridlink__V1__Case *c)
{
    const Gridlink__V1__CaseCounters *k = c->counters;
    return !c->overdue && !c->alarmed && (!k || (k->overdue_accept == 0 && k->overdue_resolve == 0));
}

static const char *outcome(const Gridlink__V1__Case *c)
{
    switch (c->state) {
    case ST(CLOSED): return "已办结";
    case ST(MERGED): return "已合并办理";
    case ST(RESOLVED): return "已处置，待核查";
    case ST(SUSPENDED): return "暂停办理";
    default: return "办理中";
    }
}

static const char *kind_label(Gridlink__V1__CaseKind k)
{
    switch (k) {
    case KIND(REQUEST): return "居民诉求";
    case KIND(INCIDENT): return "网格上报";
    case KIND(TASK): return "上级派发任务";
    case KIND(WHISTLE): return "吹哨报到";
    default: return "其他";
    }
}

/* A note as a JSON string, control characters (which XML cannot carry) as
 * spaces, cut to GL_PUB_NOTE_MAX bytes on a character boundary. */
static json_t *plain(const char *note)
{
    char buf[GL_PUB_NOTE_MAX + 1];
    size_t n = strlen(note);
    if (n > GL_PUB_NOTE_MAX) {
        n = GL_PUB_NOTE_MAX;
        while (n > 0 && ((unsigned char)note[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)note[i] < 0x20 && note[i] != '\n' ? ' ' : note[i];
    buf[n] = 0;
    return json_stringn(buf, n);
}

json_t *gl_pub_case_json(const gl_topology_t *t, const Gridlink__V1__Case *c, int off)
{
    const gl_category_t *cat = t ? gl_category_find(t->catalogue, c->category) : NULL;
    const gl_category_t *kind = cat && cat->kind ? cat->kind : cat;
    json_t *o = json_object(), *steps = json_array(), *photos = json_array();
    if (!o || !steps || !photos) {
        json_decref(o);
        json_decref(steps);
        json_decref(photos);
        return NULL;
    }
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "kind", json_string(gl_kind_name(c->kind)));
    json_object_set_new(o, "kind_label", json_string(kind_label(c->kind)));
    json_object_set_new(o, "category", json_string(c->category));
    json_object_set_new(o, "category_name", json_string(cat ? cat->name : c->category));
    json_object_set_new(o, "group_name", json_string(kind ? kind->name : ""));
    json_object_set_new(o, "place", json_string(t ? gl_pub_place(t, c) : ""));
    json_object_set_new(o, "state", json_string(gl_state_name(c->state)));
    json_object_set_new(o, "outcome", json_string(outcome(c)));
    set_time(o, "created", off, c->created_ms);
    set_time(o, "updated", off, gl_pub_updated_ms(c));
    int64_t closed = gl_pub_closed_ms(c);
    set_time(o, "closed", off, closed);
    json_object_set_new(o, "in_time", closed ? json_boolean(in_time(c)) : json_null());
    json_object_set_new(o, "rating",
                        c->rating && c->rating->time_ms ? json_pack("{s:b, s:b}", "resolved", c->rating->resolved,
                                                                    "satisfied", c->rating->satisfied)
                                                        : json_null());
    if (c->kind == KIND(TASK))
        json_object_set_new(o, "on_access_list", json_boolean(t && gl_topology_community_task(t, c->category)));
    for (size_t i = 0; i < c->n_history; i++) {
        const Gridlink__V1__HistoryEntry *h = c->history[i];
        const char *label = gl_pub_step_label(h->action);
        if (!label)
            continue;
        json_t *s = json_pack("{s:s, s:s}", "step", h->action, "label", label);
        set_time(s, "time", off, h->time_ms);
        if (gl_pub_note_shown(h))
            json_object_set_new(s, "note", plain(h->note));
        json_array_append_new(steps, s);
    }
    for (size_t i = 0; i < c->n_attachments; i++)
        if (gl_pub_photo_shown(c, c->attachments[i]))
            json_array_append_new(photos, json_string(c->attachments[i]));
    json_object_set_new(o, "steps", steps);
    json_object_set_new(o, "photos", photos);
    return o;
}

/* ---- figures ---- */

void gl_pub_figures_add(gl_pub_figures *f, const Gridlink__V1__Case *c, int64_t start, int64_t end)
{
    if (c->created_ms < start || c->created_ms >= end)
        return;
    f->taken++;
    int64_t closed = gl_pub_closed_ms(c);
    if (closed) {
        f->closed++;
        f->closed_in_time += in_time(c);
        f->close_ms_sum += closed > c->created_ms ? closed - c->created_ms : 0;
    }
    if (c->rating && c->rating->time_ms) {
        f->rated++;
        f->resolved += c->rating->resolved;
        f->satisfied += c->rating->satisfied;
    }
}

json_t *gl_pub_figures_json(const gl_pub_figures *f)
{
    json_t *o =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "taken", (json_int_t)f->taken, "closed", (json_int_t)f->closed,
                  "closed_in_time", (json_int_t)f->closed_in_time, "rated", (json_int_t)f->rated, "resolved",
                  (json_int_t)f->resolved, "satisfied", (json_int_t)f->satisfied);
    if (!o)
        return NULL;
    if (f->closed) {
        double rate = (double)f->closed_in_time / (double)f->closed;
        double hours = (double)f->close_ms_sum / (double)f->closed / 3600000.0;
        json_object_set_new(o, "in_time_rate", json_real((double)(long long)(rate * 1000 + 0.5) / 1000));
        json_object_set_new(o, "avg_close_hours", json_real((double)(long long)(hours * 10 + 0.5) / 10));
    } else {
        json_object_set_new(o, "in_time_rate", json_null());
        json_object_set_new(o, "avg_close_hours", json_null());
    }
    return o;
}

/* ---- a unit's feed ---- */

struct gl_pub_feed {
    const gl_topology_t *t;
    const gl_node_t *unit;
    int64_t start, end, now, newest;
    int off;
    gl_pub_figures fig;
    json_t *cases, *tasks;
};

gl_pub_feed *gl_pub_feed_new(const gl_topology_t *t, const char *unit, int64_t start, int64_t end, int64_t now)
{
    const gl_node_t *n = gl_topology_find(t, unit);
    gl_pub_feed *f = n ? calloc(1, sizeof *f) : NULL;
    if (!f)
        return NULL;
    f->t = t;
    f->unit = n;
    f->start = start;
    f->end = end;
    f->now = now;
    f->off = gl_pub_offset_min(t);
    f->cases = json_array();
    f->tasks = json_array();
    if (!f->cases || !f->tasks) {
        gl_pub_feed_free(f);
        return NULL;
    }
    return f;
}

void gl_pub_feed_free(gl_pub_feed *f)
{
    if (!f)
        return;
    json_decref(f->cases);
    json_decref(f->tasks);
    free(f);
}

static int newest_first(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "updated"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "updated"));
    int d = strcmp(y ? y : "", x ? x : "");
    if (d)
        return d;
    return strcmp(json_string_value(json_object_get(*(json_t *const *)b, "id")),
                  json_string_value(json_object_get(*(json_t *const *)a, "id")));
}

/* The list sorted newest first and cut to GL_PUB_MAX_ITEMS (new reference). */
static json_t *sorted(json_t *list)
{
    size_t n = json_array_size(list);
    json_t **v = n ? malloc(n * sizeof *v) : NULL;
    json_t *out = json_array();
    if ((n && !v) || !out) {
        free(v);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(list, i);
    if (n)
        qsort(v, n, sizeof *v, newest_first);
    for (size_t i = 0; i < n && i < GL_PUB_MAX_ITEMS; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

int gl_pub_feed_add(gl_pub_feed *f, const Gridlink__V1__Case *c)
{
    if (c->kind == KIND(WHISTLE) || c->n_children > 0 || !gl_pub_handled(c, f->unit->id) || c->created_ms < f->start ||
        c->created_ms >= f->end)
        return GL_OK;
    gl_pub_figures_add(&f->fig, c, f->start, f->end);
    json_t **list = c->kind == KIND(TASK) ? &f->tasks : &f->cases;
    if (json_array_size(*list) >= 4 * GL_PUB_MAX_ITEMS) {
        json_t *cut = sorted(*list); /* the newest GL_PUB_MAX_ITEMS so far */
        if (!cut)
            return GL_ENOMEM;
        json_decref(*list);
        *list = cut;
    }
    json_t *o = gl_pub_case_json(f->t, c, f->off);
    if (!o || json_array_append_new(*list, o) != 0)
        return GL_ENOMEM;
    int64_t u = gl_pub_updated_ms(c);
    if (u > f->newest)
        f->newest = u;
    return GL_OK;
}

json_t *gl_pub_feed_done(gl_pub_feed *f, uint64_t refused)
{
    if (!f)
        return NULL;
    char b[48], p[32];
    struct tm tm;
    if (!local_tm(f->off, f->start, &tm))
        memset(&tm, 0, sizeof tm);
    snprintf(p, sizeof p, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    json_t *cases = sorted(f->cases), *tasks = sorted(f->tasks);
    json_t *doc = cases && tasks ? json_object() : NULL;
    if (!doc) {
        json_decref(cases);
        json_decref(tasks);
        gl_pub_feed_free(f);
        return NULL;
    }
    json_object_set_new(doc, "node", json_string(f->unit->id));
    json_object_set_new(doc, "name", json_string(f->unit->name));
    json_object_set_new(doc, "tier", json_string(f->unit->tier == TIER(COMMUNITY) ? "community" : "township"));
    json_object_set_new(doc, "period", json_string(p));
    set_time(doc, "start", f->off, f->start);
    set_time(doc, "end", f->off, f->end);
    json_object_set_new(doc, "updated",
                        json_string(gl_pub_rfc3339(f->off, f->newest ? f->newest : f->now, b, sizeof b)));
    json_object_set_new(doc, "figures", gl_pub_figures_json(&f->fig));
    json_object_set_new(doc, "cases", cases);
    json_object_set_new(doc, "tasks", json_pack("{s:o, s:I}", "taken", tasks, "refused", (json_int_t)refused));
    gl_pub_feed_free(f);
    return doc;
}
