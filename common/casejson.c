/* casejson.c: a case in JSON for both doors (see casejson.h). The keys it
 * adds to pbjson's are in one table, extras[], which the producer writes
 * through (put, key) and the schema is made from (gl_case_json_schema), so
 * that a key added to one is in the other. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "casejson.h"
#include "names.h"
#include "pbjson.h"

#define ST(x) GRIDLINK__V1__CASE_STATE__STATE_##x

/* Where an extra key goes: the case, an entry of its history (pbjson's
 * HistoryEntry), its deadlines, one of its parts. */
enum group { G_CASE, G_HISTORY, G_DEADLINES, G_PART, N_GROUPS };

static const struct {
    const char *schema;                   /* its name among the schemas */
    const ProtobufCMessageDescriptor *pb; /* the message pbjson writes under it, if any */
    const char *about;
} groups[N_GROUPS] = {
    [G_CASE] = {"CaseJson", &gridlink__v1__case__descriptor,
                "a case as show --json prints it: the Case message with names, ISO times and judgements"},
    [G_HISTORY] = {"CaseJsonHistoryEntry", &gridlink__v1__history_entry__descriptor, "one step of the history"},
    [G_DEADLINES] = {"CaseJsonDeadlines", NULL, "the deadlines running, ISO 8601 UTC"},
    [G_PART] = {"CaseJsonPart", NULL, "a part of a bulk task or a whistle, as the dispatcher's copy has it"},
};

/* What an extra key holds. */
enum type { T_STRING, T_TIME, T_BOOL, T_STATE, T_COUNTERS, T_OBJECT, T_ARRAY };

enum extra {
    X_HISTORY,
    X_HIST_TIME,
    X_HIST_NODE_NAME,
    X_HOLDER_NAME,
    X_ORIGINATOR_NAME,
    X_COMMUNITY_NAME,
    X_GRID_NAME,
    X_CATEGORY_NAME,
    X_CREATED,
    X_COUNTERS,
    X_DEADLINES,
    X_DL_ACCEPT,
    X_DL_RESOLVE,
    X_DL_ACCEPT_WARNING,
    X_DL_RESOLVE_WARNING,
    X_DL_DUE_SOON,
    X_LATE,
    X_PARTS,
    X_PART_ID,
    X_PART_HOLDER,
    X_PART_STATE,
    X_PART_SIGNED,
    X_PART_FINISHED,
    X_PART_OVERDUE,
    X_PART_HOLDER_NAME,
    N_EXTRAS
};

static const struct {
    enum group in;
    const char *key;
    enum type type;
    enum group sub; /* T_OBJECT, T_ARRAY: of what */
    bool always;    /* written whatever the case */
    const char *about;
} extras[N_EXTRAS] = {
    [X_HISTORY] = {G_CASE, "history", T_ARRAY, G_HISTORY, true, "the history, oldest first"},
    [X_HIST_TIME] = {G_HISTORY, "time", T_TIME, 0, true, "time_ms in ISO 8601 UTC"},
    [X_HIST_NODE_NAME] = {G_HISTORY, "node_name", T_STRING, 0, false, "the node's display name"},
    [X_HOLDER_NAME] = {G_CASE, "holder_name", T_STRING, 0, false, "the holder's display name"},
    [X_ORIGINATOR_NAME] = {G_CASE, "originator_name", T_STRING, 0, false, "the originator's display name"},
    [X_COMMUNITY_NAME] = {G_CASE, "community_name", T_STRING, 0, false, "the community's display name"},
    [X_GRID_NAME] = {G_CASE, "grid_name", T_STRING, 0, false, "the grid's display name"},
    [X_CATEGORY_NAME] = {G_CASE, "category_name", T_STRING, 0, false, "the category's display name (城管/道路设施)"},
    [X_CREATED] = {G_CASE, "created", T_TIME, 0, true, "created_ms in ISO 8601 UTC"},
    [X_COUNTERS] = {G_CASE, "counters", T_COUNTERS, 0, true, "the counters, zero when none was kept"},
    [X_DEADLINES] = {G_CASE, "deadlines", T_OBJECT, G_DEADLINES, false, "when a deadline runs"},
    [X_DL_ACCEPT] = {G_DEADLINES, "accept", T_TIME, 0, false, "sign-for / acceptance"},
    [X_DL_RESOLVE] = {G_DEADLINES, "resolve", T_TIME, 0, false, "resolution"},
    [X_DL_ACCEPT_WARNING] = {G_DEADLINES, "accept_warning", T_TIME, 0, false, "the acceptance's due-soon warning"},
    [X_DL_RESOLVE_WARNING] = {G_DEADLINES, "resolve_warning", T_TIME, 0, false, "the resolution's due-soon warning"},
    [X_DL_DUE_SOON] = {G_DEADLINES, "due_soon", T_BOOL, 0, true, "a warning time passed (即将超时), not yet late"},
    [X_LATE] = {G_CASE, "late", T_BOOL, 0, true, "open and past a deadline, overdue, escalating or alarmed"},
    [X_PARTS] = {G_CASE, "parts", T_ARRAY, G_PART, false, "a bulk task's or a whistle's parts"},
    [X_PART_ID] = {G_PART, "id", T_STRING, 0, true, "the part's case ID"},
    [X_PART_HOLDER] = {G_PART, "holder", T_STRING, 0, true, "its holder, \"\" when unknown here"},
    [X_PART_STATE] = {G_PART, "state", T_STATE, 0, true, "its state, unknown when not known here"},
    [X_PART_SIGNED] = {G_PART, "signed", T_BOOL, 0, true, "signed for (accepted or further)"},
    [X_PART_FINISHED] = {G_PART, "finished", T_BOOL, 0, true, "resolved or closed"},
    [X_PART_OVERDUE] = {G_PART, "overdue", T_BOOL, 0, true, "late"},
    [X_PART_HOLDER_NAME] = {G_PART, "holder_name", T_STRING, 0, false, "its holder's display name"},
};

static const char *key(enum extra x)
{
    return extras[x].key;
}

static void put(json_t *j, enum extra x, json_t *v)
{
    json_object_set_new(j, key(x), v);
}

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
static void set_node_name(const gl_topology_t *t, json_t *j, enum extra x, const char *id)
{
    const gl_node_t *n = t && id && id[0] ? gl_topology_find(t, id) : NULL;
    if (n && n->name && n->name[0])
        put(j, x, json_string(n->name));
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
    json_t *hist = json_object_get(j, key(X_HISTORY));
    for (size_t i = 0; i < c->n_history && i < json_array_size(hist); i++) {
        put(json_array_get(hist, i), X_HIST_TIME, iso(c->history[i]->time_ms));
        set_node_name(t, json_array_get(hist, i), X_HIST_NODE_NAME, c->history[i]->node);
    }
    set_node_name(t, j, X_HOLDER_NAME, c->holder);
    set_node_name(t, j, X_ORIGINATOR_NAME, c->originator);
    set_node_name(t, j, X_COMMUNITY_NAME, c->community);
    set_node_name(t, j, X_GRID_NAME, c->grid);
    const char *category = t && t->catalogue ? gl_category_display_name(t->catalogue, c->category) : NULL;
    if (category && category[0])
        put(j, X_CATEGORY_NAME, json_string(category));
    put(j, X_CREATED, iso(c->created_ms));
    if (!c->counters) {
        Gridlink__V1__CaseCounters zero = GRIDLINK__V1__CASE_COUNTERS__INIT;
        put(j, X_COUNTERS, gl_pbjson_from_message(&zero.base, GL_PBJSON_DEFAULTS));
    }
    if (c->accept_due_ms || c->resolve_due_ms) {
        json_t *d = json_object();
        if (c->accept_due_ms)
            put(d, X_DL_ACCEPT, iso(c->accept_due_ms));
        if (c->resolve_due_ms)
            put(d, X_DL_RESOLVE, iso(c->resolve_due_ms));
        if (c->accept_due_ms && c->accept_warn_ms)
            put(d, X_DL_ACCEPT_WARNING, iso(c->accept_warn_ms));
        if (c->resolve_due_ms && c->resolve_warn_ms)
            put(d, X_DL_RESOLVE_WARNING, iso(c->resolve_warn_ms));
        put(d, X_DL_DUE_SOON, json_boolean(gl_case_due_soon(c, now)));
        put(j, X_DEADLINES, d);
    }
    put(j, X_LATE, json_boolean(gl_case_late(c, now)));
    if (c->n_children) {
        json_t *arr = json_array();
        for (size_t i = 0; i < c->n_children; i++) {
            const Gridlink__V1__Case *p = gl_case_part_of(c->children[i], parts, n_parts);
            Gridlink__V1__CaseState st = p ? p->state : ST(UNKNOWN);
            json_t *pj = json_object();
            put(pj, X_PART_ID, json_string(c->children[i]));
            put(pj, X_PART_HOLDER, json_string(p ? p->holder : ""));
            put(pj, X_PART_STATE, json_string(gl_state_name(st)));
            put(pj, X_PART_SIGNED, json_boolean(gl_part_signed(st)));
            put(pj, X_PART_FINISHED, json_boolean(gl_part_finished(st)));
            put(pj, X_PART_OVERDUE, json_boolean(p && gl_case_late(p, now)));
            if (p)
                set_node_name(t, pj, X_PART_HOLDER_NAME, p->holder);
            json_array_append_new(arr, pj);
        }
        put(j, X_PARTS, arr);
    }
    return j;
}

/* ---- the schema ---- */

static json_t *extra_schema(enum extra x, json_t *defs)
{
    const char *about = extras[x].about;
    char ref[128];
    switch (extras[x].type) {
    case T_STRING: return json_pack("{s:s, s:s}", "type", "string", "description", about);
    case T_TIME: return json_pack("{s:s, s:s, s:s}", "type", "string", "format", "date-time", "description", about);
    case T_BOOL: return json_pack("{s:s, s:s}", "type", "boolean", "description", about);
    case T_STATE: {
        const ProtobufCEnumDescriptor *e = &gridlink__v1__case_state__descriptor;
        if (!json_object_get(defs, e->short_name) && json_object_set_new(defs, e->short_name, gl_pbjson_enum_schema(e)))
            return NULL;
        snprintf(ref, sizeof ref, "%s%s", GL_PBJSON_SCHEMA_REF, e->short_name);
        return json_pack("{s:s}", "$ref", ref);
    }
    case T_COUNTERS: return gl_pbjson_schema_ref(&gridlink__v1__case_counters__descriptor, GL_PBJSON_DEFAULTS, defs);
    case T_OBJECT:
    case T_ARRAY: {
        snprintf(ref, sizeof ref, "%s%s", GL_PBJSON_SCHEMA_REF, groups[extras[x].sub].schema);
        json_t *r = json_pack("{s:s}", "$ref", ref);
        return extras[x].type == T_OBJECT
                   ? r
                   : json_pack("{s:s, s:o, s:s}", "type", "array", "items", r, "description", about);
    }
    }
    return NULL;
}

/* The schema of group g: pbjson's of its message (if any) with the extra
 * keys laid over it. */
static json_t *group_schema(enum group g, json_t *defs)
{
    json_t *s = groups[g].pb ? gl_pbjson_schema(groups[g].pb, GL_PBJSON_DEFAULTS, defs)
                             : json_pack("{s:s, s:{}, s:b}", "type", "object", "properties", "additionalProperties", 0);
    if (!s || json_object_set_new(s, "description", json_string(groups[g].about)) != 0)
        goto fail;
    json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
    if (!req) {
        req = json_array();
        if (json_object_set_new(s, "required", req) != 0)
            goto fail;
    }
    for (int x = 0; x < N_EXTRAS; x++) {
        if (extras[x].in != g)
            continue;
        if (json_object_set_new(props, extras[x].key, extra_schema((enum extra)x, defs)) != 0)
            goto fail;
        bool listed = false;
        for (size_t i = 0; i < json_array_size(req); i++)
            listed = listed || strcmp(json_string_value(json_array_get(req, i)), extras[x].key) == 0;
        if (extras[x].always && !listed && json_array_append_new(req, json_string(extras[x].key)) != 0)
            goto fail;
    }
    return s;
fail:
    json_decref(s);
    return NULL;
}

json_t *gl_case_json_schema(json_t *defs)
{
    for (int g = N_GROUPS - 1; g >= 0; g--)
        if (!json_object_get(defs, groups[g].schema) &&
            json_object_set_new(defs, groups[g].schema, group_schema((enum group)g, defs)) != 0)
            return NULL;
    char ref[128];
    snprintf(ref, sizeof ref, "%s%s", GL_PBJSON_SCHEMA_REF, groups[G_CASE].schema);
    return json_pack("{s:s}", "$ref", ref);
}
