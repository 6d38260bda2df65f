/* view.c: see view.h. */
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

#ifndef RETAIN_BYTES
#define RETAIN_BYTES (64u << 20) /* window of recent events kept for client replays, all nodes */
#endif
#define RETAIN_EVENTS  1000000
#define VIEW_MAX_CASES 200000

rev_t *view_rev_new(bus_event_t *ev)
{
    rev_t *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->refs = 1;
    r->ev = ev;
    r->packed = protobuf_c_message_get_packed_size(&ev->base);
    r->bytes = r->packed + sizeof *r + 96;
    return r;
}

static rev_t *rev_ref(rev_t *r)
{
    r->refs++;
    return r;
}

void view_rev_unref(rev_t *r)
{
    if (r && --r->refs == 0) {
        gridlink__v1__bus_event__free_unpacked(r->ev, NULL);
        free(r);
    }
}

/* ---- the case view ---- */

void view_init(view_t *v)
{
    memset(v, 0, sizeof *v);
    v->cases = zhashx_new();
    v->lru = zlistx_new();
}

static void entry_free(view_entry_t *e)
{
    view_rev_unref(e->rev);
    free(e->key);
    free(e);
}

void view_free(view_t *v)
{
    view_entry_t *e;
    while (v->lru && (e = zlistx_first(v->lru))) {
        zlistx_delete(v->lru, e->handle);
        entry_free(e);
    }
    zlistx_destroy(&v->lru);
    zhashx_destroy(&v->cases);
    free(v->order);
    v->order = NULL;
}

/* Whether n should replace o as what the view shows of a case. A restarted
 * broker replays node after node, so arrival order means nothing, and a
 * time is only the sender's claim: the order is the case's version (its
 * holder bumps it on every change, and each copy of the case carries the
 * version it was given), then, within a version, a node's later log entry
 * over its earlier one, the holder's event over another node's, and an
 * ancestor's over a descendant's (a change travels down from where it was
 * made). Events without a case (links) are per node: sequence order. */
bool view_supersedes(const bus_event_t *n, const bus_event_t *o)
{
    if (n->version != o->version)
        return n->version > o->version;
    if (strcmp(n->node, o->node) == 0)
        return n->seq > o->seq;
    bool n_holds = strcmp(n->node, n->holder) == 0, o_holds = strcmp(o->node, o->holder) == 0;
    if (n_holds != o_holds)
        return n_holds;
    return gl_topology_in_subtree(n->node, o->node);
}

const char *view_key(const bus_event_t *ev, char *key, size_t len)
{
    if (ev->case_id[0])
        snprintf(key, len, "%s", ev->case_id);
    else /* link-up/down and the like: the latest per node and peer */
        snprintf(key, len, "link %s %s", ev->node, ev->peer);
    return key;
}

void view_update(view_t *v, rev_t *r)
{
    const bus_event_t *ev = r->ev;
    char key[VIEW_KEY_MAX];
    view_key(ev, key, sizeof key);
    view_entry_t *e = zhashx_lookup(v->cases, key);
    if (e) {
        if (!view_supersedes(ev, e->rev->ev))
            return;
        view_rev_unref(e->rev);
        e->rev = rev_ref(r);
        zlistx_move_end(v->lru, e->handle);
        return;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        return;
    }
    e->rev = rev_ref(r);
    e->handle = zlistx_add_end(v->lru, e);
    zhashx_insert(v->cases, key, e);
    while (zhashx_size(v->cases) > VIEW_MAX_CASES) {
        view_entry_t *old = zlistx_first(v->lru);
        zlistx_delete(v->lru, old->handle);
        zhashx_delete(v->cases, old->key);
        entry_free(old);
        v->evicted++;
    }
}

/* ---- the windows ---- */

static void window_pop(view_t *v, window_t *w)
{
    if (w->count == 0)
        return;
    rev_t *r = w->held[w->head];
    w->head = (w->head + 1) % w->cap;
    w->count--;
    v->retained -= r->bytes;
    view_rev_unref(r);
}

void view_window_push(view_t *v, window_t *w, rev_t *r)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        rev_t **a = malloc(cap * sizeof *a);
        if (!a) {
            view_window_clear(v, w);
            return;
        }
        for (size_t i = 0; i < w->count; i++)
            a[i] = w->held[(w->head + i) % w->cap];
        free(w->held);
        w->held = a;
        w->cap = cap;
        w->head = 0;
    }
    if (v->o_count == v->o_cap) {
        size_t cap = v->o_cap ? v->o_cap * 2 : 1024;
        window_t **a = malloc(cap * sizeof *a);
        if (!a) {
            view_window_clear(v, w);
            return;
        }
        for (size_t i = 0; i < v->o_count; i++)
            a[i] = v->order[(v->o_head + i) % v->o_cap];
        free(v->order);
        v->order = a;
        v->o_cap = cap;
        v->o_head = 0;
    }
    w->held[(w->head + w->count) % w->cap] = rev_ref(r);
    w->count++;
    v->retained += r->bytes;
    v->order[(v->o_head + v->o_count) % v->o_cap] = w;
    v->o_count++;
    while ((v->retained > RETAIN_BYTES || v->o_count > RETAIN_EVENTS) && v->o_count > 0) {
        window_t *o = v->order[v->o_head];
        v->o_head = (v->o_head + 1) % v->o_cap;
        v->o_count--;
        window_pop(v, o);
    }
}

void view_window_clear(view_t *v, window_t *w)
{
    while (w->count)
        window_pop(v, w);
}

rev_t *view_window_get(const window_t *w, uint64_t last, uint64_t seq)
{
    uint64_t first = last - w->count + 1;
    if (w->count == 0 || seq < first || seq > last)
        return NULL;
    return w->held[(w->head + (seq - first)) % w->cap];
}

void view_window_free(window_t *w)
{
    for (size_t i = 0; i < w->count; i++)
        view_rev_unref(w->held[(w->head + i) % w->cap]);
    free(w->held);
    w->held = NULL;
    w->count = w->cap = w->head = 0;
}
