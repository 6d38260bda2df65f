/* intake.c: see intake.h. */
#include "intake.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "core.h"
#include "feed.h"
#include "log.h"
#include "plan.h"
#include "service.h"
#include "topology.h"

#define FUTURE_MAX_MS (5 * 60 * 1000) /* an event dated later than this from now is refused */

static bool may_speak(broker_t *b, const char *user, const char *node)
{
    return user && gl_topology_find(b->topo, user) && gl_topology_find(b->topo, node) &&
           gl_topology_in_subtree(user, node);
}

/* The wall clock, ms since the epoch: what events are dated in. */
static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What an admitted node could still lie about: a case it may not hold (a
 * case's ID is "<origin node>-<counter>", and a node holds only cases that
 * arose in its own subtree and came up to it), or a date in the future, which
 * no clock skew explains. Such an event is dropped, counted and logged; its
 * sequence number is not taken, so the node's real entry of that number
 * still comes. ev has passed may_speak. */
static bool event_believable(broker_t *b, const char *user, const bus_event_t *ev)
{
    if (ev->case_id[0]) {
        const char *dash = strrchr(ev->case_id, '-');
        char origin[GL_NODE_ID_MAX + 1];
        size_t n = dash ? (size_t)(dash - ev->case_id) : 0;
        bool ok = n > 0 && n <= GL_NODE_ID_MAX;
        if (ok) {
            memcpy(origin, ev->case_id, n);
            origin[n] = 0;
            /* A case arose below the node, or above it and was sent down
             * (a task, a request taken in above); or it was assigned across
             * branches, and the view already has it held by the node or
             * below it. */
            ok = gl_topology_in_subtree(ev->node, origin) || gl_topology_in_subtree(origin, ev->node);
            if (!ok) {
                const view_entry_t *ve = zhashx_lookup(b->view.cases, ev->case_id);
                const char *h = ve && ve->rev && ve->rev->ev ? ve->rev->ev->holder : NULL;
                ok = h && h[0] && gl_topology_in_subtree(ev->node, h);
            }
        }
        if (!ok) {
            b->foreign++;
            core_warn_peer(b, WARN_FOREIGN,
                           "broker: %s may not hold case %s (it arose outside its subtree and is not held there); "
                           "event %llu from %s "
                           "dropped",
                           ev->node, ev->case_id, (unsigned long long)ev->seq, user);
            return false;
        }
    }
    if (ev->fact && !plan_fact_believable(b, ev))
        return false;
    int64_t now = wall_ms();
    if (ev->time_ms > now + FUTURE_MAX_MS) {
        b->future++;
        core_warn_peer(b, WARN_FUTURE, "broker: event %llu of %s from %s is dated %lld s in the future; dropped",
                       (unsigned long long)ev->seq, ev->node, user, (long long)((ev->time_ms - now) / 1000));
        return false;
    }
    return true;
}

static void take_event(broker_t *b, zframe_t *rid, const char *user, zframe_t *body)
{
    char err[256];
    bus_event_t *ev;
    if (gl_decode_bus_event(zframe_data(body), zframe_size(body), &ev, err, sizeof err) != 0) {
        b->bad++;
        core_warn_peer(b, WARN_BAD, "broker: bad event from %s: %s", user, err);
        return;
    }
    if (!may_speak(b, user, ev->node)) {
        b->unauthorized++;
        core_warn_peer(b, WARN_UNAUTHORIZED, "broker: %s may not publish events of %s; dropped", user, ev->node);
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    if (!event_believable(b, user, ev)) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    feed_t *f = feed_get(b, ev->node);
    if (!f) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    feed_set_rid(f, rid);
    feed_offer(b, f, ev, body);
}

static void take_replay(broker_t *b, zframe_t *rid, const char *user, Gridlink__V1__BusReply *rep)
{
    if (!rep->node[0] || !may_speak(b, user, rep->node)) {
        b->unauthorized++;
        core_warn_peer(b, WARN_UNAUTHORIZED, "broker: %s may not replay events of %s; dropped", user,
                       rep->node[0] ? rep->node : "(none)");
        return;
    }
    feed_t *f = feed_get(b, rep->node);
    if (!f)
        return;
    feed_set_rid(f, rid);
    /* In increasing order: the decoder checked. */
    uint64_t heard = rep->n_events > 0 ? rep->events[rep->n_events - 1]->seq : 0;
    /* Checked like live events before anyone sees them. */
    size_t kept = 0;
    for (size_t i = 0; i < rep->n_events; i++) {
        if (event_believable(b, user, rep->events[i]))
            rep->events[kept++] = rep->events[i];
        else
            gridlink__v1__bus_event__free_unpacked(rep->events[i], NULL);
    }
    rep->n_events = kept;
    feed_take_replay(b, f, rep, heard);
}

static void take_marks(broker_t *b, zframe_t *rid, const char *user, const Gridlink__V1__BusReply *rep)
{
    for (size_t i = 0; i < rep->n_marks; i++) {
        const Gridlink__V1__NodeMark *m = rep->marks[i];
        if (!may_speak(b, user, m->node)) {
            b->unauthorized++;
            core_warn_peer(b, WARN_UNAUTHORIZED, "broker: %s may not mark %s; ignored", user, m->node);
            continue;
        }
        feed_t *f = feed_get(b, m->node);
        if (!f)
            continue;
        feed_set_rid(f, rid);
        feed_take_mark(b, f, m->seq);
    }
}

static void take_reply(broker_t *b, zframe_t *rid, const char *user, zframe_t *body)
{
    char err[256];
    Gridlink__V1__BusReply *rep;
    if (gl_decode_bus_reply(zframe_data(body), zframe_size(body), &rep, err, sizeof err) != 0) {
        b->bad++;
        core_warn_peer(b, WARN_BAD, "broker: bad reply from %s: %s", user, err);
        return;
    }
    if (strcmp(rep->op, "replay") == 0)
        take_replay(b, rid, user, rep);
    else if (strcmp(rep->op, "mark") == 0)
        take_marks(b, rid, user, rep);
    else {
        b->bad++;
        core_warn_peer(b, WARN_BAD, "broker: unknown reply '%s' from %s", rep->op, user);
    }
    gridlink__v1__bus_reply__free_unpacked(rep, NULL);
}

static void take(broker_t *b, zmsg_t *msg)
{
    zframe_t *rid = zmsg_first(msg);
    zframe_t *first = zmsg_next(msg);
    zframe_t *second = zmsg_next(msg);
    size_t frames = zmsg_size(msg);
    if (!rid || !first || frames < 2 || frames > 3) {
        b->bad++;
        core_warn_peer(b, WARN_BAD, "broker: malformed bus message (%zu frames)", frames);
        return;
    }
    const char *user = gl_frame_user(first);
    if (!user) {
        b->unauthorized++;
        core_warn_peer(b, WARN_UNAUTHORIZED, "broker: message from an unauthenticated connection dropped");
        return;
    }
    if (frames == 2) {
        service_take(b, rid, user, first);
        return;
    }
    /* Node feed: only topology nodes publish, and only their own subtree. */
    if (!gl_topology_find(b->topo, user)) {
        b->unauthorized++;
        core_warn_peer(b, WARN_UNAUTHORIZED, "broker: %s is not a node and may not publish", user);
        return;
    }
    if (zframe_streq(first, GL_BUS_REPLY))
        take_reply(b, rid, user, second);
    else
        take_event(b, rid, user, second);
}

void intake_on_in(gl_zsock_t *zs, zmsg_t *msg, void *arg)
{
    broker_t *b = arg;
    take(b, msg);
    (void)zs;
}
