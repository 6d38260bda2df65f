/* view.h: what the broker holds of the events it has applied.
 *
 * A decoded event lives in one refcounted rev_t, shared by its node's window
 * and the case view; the last view_rev_unref frees it (and the event).
 * The case view (view_t.cases) keeps, per case (or per node and peer for
 * link events), the event of its highest version, bounded in count, least
 * recently changed dropped first; its entries are owned by the view. A
 * node's window (window_t, embedded in its feed) keeps a reference to each
 * of its most recent events; the view orders all windows' events so the
 * oldest are dropped first once they pass RETAIN_BYTES or RETAIN_EVENTS.
 * view_free frees the case view and the order, not the windows: each is
 * freed with its feed (view_window_free). */
#ifndef GL_BROKER_VIEW_H
#define GL_BROKER_VIEW_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridlink.pb-c.h"
#include "topology.h"

typedef Gridlink__V1__BusEvent bus_event_t;

typedef struct rev {
    int refs;
    size_t bytes;  /* what holding it costs */
    size_t packed; /* what sending it costs */
    bus_event_t *ev;
} rev_t;

typedef struct view_entry {
    char *key;
    rev_t *rev;
    void *handle; /* in the LRU list */
} view_entry_t;

/* One node's recent events: held[(head + i) % cap] is sequence
 * last - count + 1 + i, where last is the feed's last applied sequence. */
typedef struct window {
    rev_t **held;
    size_t head, count, cap;
} window_t;

typedef struct view {
    zhashx_t *cases; /* case id (or "link NODE PEER") -> view_entry_t */
    zlistx_t *lru;   /* view_entry_t, least recently changed first */
    uint64_t evicted;
    /* Global order of held events, so the windows drop the oldest first. */
    window_t **order;
    size_t o_head, o_count, o_cap;
    size_t retained; /* bytes held by all windows */
} view_t;

/* A rev_t for ev (ownership passes on success), with one reference. */
rev_t *view_rev_new(bus_event_t *ev);
void view_rev_unref(rev_t *r);

void view_init(view_t *v);
void view_free(view_t *v);
#define VIEW_KEY_MAX (GL_NODE_ID_MAX * 2 + 320)

/* What the view keeps ev under: its case's ID, or "link NODE PEER". */
const char *view_key(const bus_event_t *ev, char *key, size_t len);
/* Whether n should replace o as what the view shows of their case. */
bool view_supersedes(const bus_event_t *n, const bus_event_t *o);
/* Show r's event for its case if it supersedes what the view has. */
void view_update(view_t *v, rev_t *r);

/* Append r (a new reference) to w, dropping the oldest held events of all
 * windows past the bounds. Out of memory, w is emptied instead: a window
 * holds its feed's latest events without a hole, or none. */
void view_window_push(view_t *v, window_t *w, rev_t *r);
/* Drop everything w holds. */
void view_window_clear(view_t *v, window_t *w);
/* The held event of sequence seq, or NULL; last is w's feed's last sequence. */
rev_t *view_window_get(const window_t *w, uint64_t last, uint64_t seq);
/* Release w's references and memory, at shutdown (the order is not updated). */
void view_window_free(window_t *w);

#endif
