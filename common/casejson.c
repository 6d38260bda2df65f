/* casejson.c: a case in JSON for both doors (see casejson.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "casejson.h"
#include "names.h"
#include "pbjson.h"

#define ST(x) GRIDLINK__V1__CASE_STATE__STATE_##x

const char *gl_iso_time(int64_t ms, char *buf, size_t size)
{
    time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int milli = (int)(ms - (int64_t)s * 1000);
    struct tm tm;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (!gmtime_r(&s, &tm))
        return buf;
    size_t k = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    if (k < size)
        snprintf(buf + k, size - k, ".%03dZ", milli);
    return buf;
}

bool gl_part_signed(Gridlink__V1__CaseState s)
{
    return s == ST(ACCEPTED) || s == ST(IN_PROGRESS) || s == ST(RESOLVED) || s == ST(CLOSED) || s == ST(SUSPENDED) ||
           s == ST(MERGED);
}

bool gl_part_finished(Gridlink__V1__CaseState s)
{
    return s == ST(RESOLVED) || s == ST(CLOSED);
}

bool gl_case_late(const Gridlink__V1__Case *c, int64_t now)
{
    if (gl_state_is_final(c->state))
        return false;
    return c->overdue || c->alarmed || c->escalation_pending || (c->accept_due_ms && c->accept_due_ms <= now) ||
           (c->resolve_due_ms && c->resolve_due_ms <= now);
}

bool gl_case_due_soon(const Gridlink__V1__Case *c, int64_t now)
{
    if (gl_state_is_final(c->state) || gl_case_late(c, now))
        return false;
    return (c->accept_due_ms && c->accept_warn_ms && c->accept_warn_ms <= now) ||
           (c->resolve_due_ms && c->resolve_warn_ms && c->resolve_warn_ms <= now);
}

static json_t *iso(int64_t ms)
{
    char buf[40];
    return json_string(gl_iso_time(ms, buf, sizeof buf));
}

/* key: the display name of node id, when the topology has one. */
static void set_node_name(const gl_topology_t *t, json_t *j, const char *key, const char *id)
{
    const gl_node_t *n = t && id && id[0] ? gl_topology_find(t, id) : NULL;
    if (n && n->name && n->name[0])
        json_object_set_new(j, key, json_string(n->name));
}

const Gridlink__V1__Case *gl_case_part_of(const char *id, Gridlink__V1__Case *const *parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(parts[i]->id, id) == 0)
            return parts[i];
    return NULL;
}

json_t *gl_case_json(const gl_topology_t *t, const Gridlink__V1__Case *c, Gridlink__V1__Case *const *parts,
                     size_t n_parts, int64_t now)
{
    json_t *j = gl_pbjson_from_message(&c->base, GL_PBJSON_DEFAULTS);
    if (!j)
        return NULL;
    json_t *hist = json_object_get(j, "history");
    for (size_t i = 0; i < c->n_history && i < json_array_size(hist); i++) {
        json_object_set_new(json_array_get(hist, i), "time", iso(c->history[i]->time_ms));
        set_node_name(t, json_array_get(hist, i), "node_name", c->history[i]->node);
    }
    set_node_name(t, j, "holder_name", c->holder);
    set_node_name(t, j, "originator_name", c->originator);
    set_node_name(t, j, "community_name", c->community);
    set_node_name(t, j, "grid_name", c->grid);
    const char *category = t && t->catalogue ? gl_category_display_name(t->catalogue, c->category) : NULL;
    if (category && category[0])
        json_object_set_new(j, "category_name", json_string(category));
    json_object_set_new(j, "created", iso(c->created_ms));
    if (!c->counters) {
        Gridlink__V1__CaseCounters zero = GRIDLINK__V1__CASE_COUNTERS__INIT;
        json_object_set_new(j, "counters", gl_pbjson_from_message(&zero.base, GL_PBJSON_DEFAULTS));
    }
    if (c->accept_due_ms || c->resolve_due_ms) {
        json_t *d = json_object();
        if (c->accept_due_ms)
            json_object_set_new(d, "accept", iso(c->accept_due_ms));
        if (c->resolve_due_ms)
            json_object_set_new(d, "resolve", iso(c->resolve_due_ms));
        if (c->accept_due_ms && c->accept_warn_ms)
            json_object_set_new(d, "accept_warning", iso(c->accept_warn_ms));
        if (c->resolve_due_ms && c->resolve_warn_ms)
            json_object_set_new(d, "resolve_warning", iso(c->resolve_warn_ms));
        json_object_set_new(d, "due_soon", json_boolean(gl_case_due_soon(c, now)));
        json_object_set_new(j, "deadlines", d);
    }
    json_object_set_new(j, "late", json_boolean(gl_case_late(c, now)));
    if (c->n_children) {
        json_t *arr = json_array();
        for (size_t i = 0; i < c->n_children; i++) {
            const Gridlink__V1__Case *p = gl_case_part_of(c->children[i], parts, n_parts);
            Gridlink__V1__CaseState st = p ? p->state : ST(UNKNOWN);
            json_t *pj = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "id", c->children[i], "holder", p ? p->holder : "",
                                   "state", gl_state_name(st), "signed", gl_part_signed(st), "finished",
                                   gl_part_finished(st), "overdue", p && gl_case_late(p, now));
            if (pj && p)
                set_node_name(t, pj, "holder_name", p->holder);
            json_array_append_new(arr, pj);
        }
        json_object_set_new(j, "parts", arr);
    }
    return j;
}
