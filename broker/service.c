/* service.c: see service.h. */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "core.h"
#include "error.h"
#include "feed.h"
#include "log.h"
#include "outq.h"
#include "topology.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void serve_snapshot(broker_t *b, client_t *c, const char *prefix)
{
    b->snapshots++;
    size_t n = zhashx_size(b->view.cases), k = 0, total = 0;
    bus_event_t **evs = malloc((n ? n : 1) * sizeof *evs);
    size_t *sizes = malloc((n ? n : 1) * sizeof *sizes);
    if (!evs || !sizes) {
        free(evs);
        free(sizes);
        outq_error(b, c, "snapshot", NULL, GL_ENOMEM, "broker out of memory");
        return;
    }
    for (view_entry_t *e = zlistx_first(b->view.lru); e; e = zlistx_next(b->view.lru)) {
        bus_event_t *ev = e->rev->ev;
        if (prefix[0] && !gl_topology_in_subtree(prefix, ev->node))
            continue;
        sizes[k] = e->rev->packed;
        total += e->rev->packed;
        evs[k++] = ev;
    }
    if (total > CLIENT_OUTQ_MAX_BYTES) {
        char why[200];
        snprintf(why, sizeof why,
                 "the view under '%s' is %zu MiB, more than the %u MiB one client may have queued; "
                 "ask for a narrower prefix",
                 prefix, total >> 20, CLIENT_OUTQ_MAX_BYTES >> 20);
        outq_error(b, c, "snapshot", NULL, GL_EINVAL, why);
        free(evs);
        free(sizes);
        return;
    }
    /* The marks go last, taken at the same instant as the events. */
    size_t nf = zhashx_size(b->feeds), nm = 0;
    char **names = calloc(nf ? nf : 1, sizeof *names);
    Gridlink__V1__NodeMark *marks = calloc(nf ? nf : 1, sizeof *marks);
    Gridlink__V1__NodeMark **mp = calloc(nf ? nf : 1, sizeof *mp);
    if (names && marks && mp) {
        for (feed_t *f = zhashx_first(b->feeds); f; f = zhashx_next(b->feeds))
            if (!prefix[0] || gl_topology_in_subtree(prefix, f->node))
                names[nm++] = f->node;
        qsort(names, nm, sizeof *names, cmp_str);
        if (nm > GL_BUS_MAX_MARKS)
            nm = GL_BUS_MAX_MARKS;
        for (size_t i = 0; i < nm; i++) {
            gridlink__v1__node_mark__init(&marks[i]);
            marks[i].node = names[i];
            marks[i].seq = ((feed_t *)zhashx_lookup(b->feeds, names[i]))->last;
            mp[i] = &marks[i];
        }
    } else {
        nm = 0;
    }
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "snapshot";
    rep.marks = mp;
    rep.n_marks = nm;
    rep.end = true;
    outq_send_events(b, c, &rep, evs, sizes, k);
    free(evs);
    free(sizes);
    free(names);
    free(marks);
    free(mp);
}

static void serve_replay(broker_t *b, client_t *c, const Gridlink__V1__BusRequest *req)
{
    b->client_replays++;
    feed_t *f = zhashx_lookup(b->feeds, req->node);
    if (!f) {
        outq_error(b, c, "replay", req->node, GL_ENOENT, "the broker has not heard of this node");
        return;
    }
    uint64_t to = req->to_seq && req->to_seq < f->last ? req->to_seq : f->last;
    uint64_t first = f->last - f->win.count + 1;
    if (req->from_seq > to || (f->win.count > 0 && req->from_seq >= first)) {
        /* From the window (or nothing to send yet: the view is behind and
         * the client asks again when a mark says so). One answer carries at
         * most CLIENT_REPLAY_MAX_BYTES; it ends short and the client asks
         * again from where it stopped. */
        size_t cap = req->from_seq <= to ? (size_t)(to - req->from_seq + 1) : 0;
        if (cap > f->win.count)
            cap = f->win.count;
        bus_event_t **evs = malloc((cap ? cap : 1) * sizeof *evs);
        size_t *sizes = malloc((cap ? cap : 1) * sizeof *sizes);
        if (!evs || !sizes) {
            free(evs);
            free(sizes);
            outq_error(b, c, "replay", f->node, GL_ENOMEM, "broker out of memory");
            return;
        }
        size_t k = 0, total = 0;
        for (uint64_t s = req->from_seq; s <= to && total < CLIENT_REPLAY_MAX_BYTES; s++) {
            rev_t *r = view_window_get(&f->win, f->last, s);
            if (!r)
                break;
            sizes[k] = r->packed;
            total += r->packed;
            evs[k++] = r->ev;
        }
        Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
        rep.op = "replay";
        rep.node = f->node;
        rep.end = true;
        outq_send_events(b, c, &rep, evs, sizes, k);
        free(evs);
        free(sizes);
        return;
    }
    /* Older than the window: the node's own log has it. */
    if (f->n_client_asks >= FEED_CLIENT_ASKS_MAX) {
        outq_error(b, c, "replay", f->node, GL_EAGAIN, "too many replays of this node waiting");
        return;
    }
    if (c->asks >= CLIENT_ASKS_MAX) {
        outq_error(b, c, "replay", f->node, GL_EAGAIN, "too many of your replays are waiting on node processes");
        return;
    }
    feed_ask_client(b, f, c, req->from_seq, to);
}

/* A key cut off a moment ago is refused; its connection gets one error
 * while it reads (an empty queue), nothing while it does not. */
static void refuse_cut_off(broker_t *b, zframe_t *rid, const char *user)
{
    b->refused++;
    client_t *c = outq_find(b, rid);
    if (c && !c->gone && zlistx_size(c->q) > 0)
        return;
    if (!(c = outq_get(b, rid, user)))
        return;
    char why[160];
    snprintf(why, sizeof why, "cut off: this key left %u MiB of replies unread; its requests are refused for a while",
             CLIENT_OUTQ_MAX_BYTES >> 20);
    outq_error(b, c, "error", NULL, GL_EAGAIN, why);
    outq_release(b, c);
}

static void serve_subscribe(broker_t *b, client_t *c, const char *prefix)
{
    char *sub = strdup(prefix);
    if (!sub || (!c->sub_handle && !(c->sub_handle = zlistx_add_end(b->subs, c)))) {
        free(sub);
        outq_error(b, c, "subscribe", prefix, GL_ENOMEM, "broker out of memory");
        return;
    }
    free(c->sub);
    c->sub = sub;
    gl_info("broker: %s subscribed to %s", c->user, prefix);
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "subscribe";
    rep.node = sub;
    rep.end = true;
    outq_send(b, c, &rep);
}

/* What the request asks about must lie in what c may see. A snapshot's or
 * subscription's empty prefix means all of it. Returns the node (or prefix)
 * asked about, or NULL after refusing. */
static const char *in_scope(broker_t *b, client_t *c, const Gridlink__V1__BusRequest *req)
{
    bool by_node = strcmp(req->op, "replay") == 0;
    const char *what = by_node ? req->node : req->prefix[0] ? req->prefix : c->grant;
    if (c->grant && what && gl_topology_in_subtree(c->grant, what))
        return what;
    b->out_of_scope++;
    core_warn_peer(b, WARN_UNAUTHORIZED, "broker: %s asked for a %s of %s, outside what it may see (%s); refused",
                   c->user, req->op, what ? what : "(nothing)", c->grant ? c->grant : "nothing");
    char why[GL_NODE_ID_MAX * 2 + 80];
    snprintf(why, sizeof why, "%s is outside what this key may see (%s)", what ? what : "(nothing)",
             c->grant ? c->grant : "nothing");
    outq_error(b, c, req->op, by_node ? req->node : NULL, GL_EPERM, why);
    return NULL;
}

void service_take(broker_t *b, zframe_t *rid, const char *user, zframe_t *body)
{
    if (outq_user_cut_off(b, user)) {
        refuse_cut_off(b, rid, user);
        return;
    }
    client_t *c = outq_get(b, rid, user);
    if (!c)
        return;
    char err[256];
    Gridlink__V1__BusRequest *req;
    if (gl_decode_bus_request(zframe_data(body), zframe_size(body), &req, err, sizeof err) != 0) {
        b->bad++;
        core_warn_peer(b, WARN_BAD, "broker: bad request from %s: %s", user, err);
        outq_error(b, c, "error", NULL, GL_EPROTO, err);
    } else {
        const char *what = in_scope(b, c, req);
        if (!what)
            ; /* refused */
        else if (b->out_bytes > OUTQ_MAX_BYTES)
            outq_error(b, c, req->op, req->node, GL_EAGAIN, "broker busy: too many replies waiting");
        else if (strcmp(req->op, "snapshot") == 0)
            serve_snapshot(b, c, what);
        else if (strcmp(req->op, "subscribe") == 0)
            serve_subscribe(b, c, what);
        else
            serve_replay(b, c, req);
        gridlink__v1__bus_request__free_unpacked(req, NULL);
    }
    outq_release(b, c);
}
