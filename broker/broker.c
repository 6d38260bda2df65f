/* broker.c: see broker.h.
 *
 * Ownership: broker_run owns the broker_t and everything in it. A decoded
 * event lives in one refcounted rev_t shared by the node's window and the
 * case view; the last unref frees it. Feeds (one per node) live until the
 * broker stops; asks belong to their feed's queue, clients (monitors with
 * replies waiting to go out) to the clients table, and each holds its own
 * copy of a routing ID frame. Nothing here blocks: every send is
 * non-blocking, replies that do not fit wait in the client's queue, and node
 * requests that cannot be sent are retried by a timer. */
#include "broker.h"

#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "codec.h"
#include "error.h"
#include "home.h"
#include "keys.h"
#include "log.h"
#include "loop.h"
#include "topology.h"
#include "sock.h"
#include "zap.h"

#define HUGZ_MS              1000
#define MARKS_MS             GL_BUS_MARK_MS
#define ASK_TICK_MS          250
#define ASK_TIMEOUT_MS       5000 /* no chunk for this long: ask again */
#define ASK_HOLD_MS          2000 /* after a refusal, wait this long before asking again */
#define CLIENT_ASK_GIVEUP_MS 30000
#define CLIENT_ASKS_MAX      64   /* forwarded client replays queued per node */
#define REPAIR_SPAN          2000 /* events asked of a node at a time */
#define ASKS_INFLIGHT_MAX    64   /* replays in flight, all nodes: bounds what node processes queue */
#define FLUSH_RETRY_MS       20
#ifndef RETAIN_BYTES
#define RETAIN_BYTES (64u << 20) /* window of recent events kept for client replays, all nodes */
#endif
#define RETAIN_EVENTS  1000000
#define VIEW_MAX_CASES 200000
#define OUTQ_MAX_BYTES (256u << 20)

typedef Gridlink__V1__BusEvent bus_event_t;

typedef struct rev {
    int refs;
    size_t bytes;
    bus_event_t *ev;
} rev_t;

/* A replay asked of a node's process. Only the head of a feed's queue is in
 * flight, so every chunk and every end belong to it. */
typedef struct ask {
    struct ask *next;
    zframe_t *client;    /* monitor's routing ID, or NULL: the broker's own repair */
    uint64_t to;         /* client asks: last sequence wanted */
    uint64_t next_seq;   /* client asks: next sequence to forward */
    uint64_t round_from; /* first sequence of the request in flight */
    int64_t sent_ms;     /* 0 = not (or no longer) in flight */
    int64_t created_ms;
} ask_t;

typedef struct feed {
    char *node;
    uint64_t last;  /* the view has every event up to here, applied in order */
    uint64_t known; /* highest sequence heard of, by event or mark */
    zframe_t *rid;  /* connection of the process that serves the node */
    ask_t *head, *tail;
    size_t n_client_asks;
    bool own_queued;
    int64_t hold_until;
    /* window: held[(h_head + i) % h_cap] is sequence last - h_count + 1 + i */
    rev_t **held;
    size_t h_head, h_count, h_cap;
} feed_t;

typedef struct view_entry {
    char *key;
    rev_t *rev;
    void *handle; /* in the LRU list */
} view_entry_t;

typedef struct outmsg {
    uint8_t *buf;
    size_t len;
} outmsg_t;

typedef struct client {
    char *key; /* routing ID in hex */
    zframe_t *rid;
    zlistx_t *q; /* outmsg_t, oldest first */
    size_t bytes;
} client_t;

typedef struct {
    uv_loop_t *uv;
    gl_loop_t *loop;
    gl_zap_t *zap;
    gl_topology_t *topo;
    zcert_t *cert;
    gl_zsock_t *in;
    zsock_t *out;
    zhashx_t *feeds;   /* node id -> feed_t */
    zhashx_t *view;    /* case id (or "link NODE PEER") -> view_entry_t */
    zlistx_t *lru;     /* view_entry_t, least recently changed first */
    zhashx_t *clients; /* rid hex -> client_t */
    size_t out_bytes;
    /* Global order of held events, so the window drops the oldest first. */
    feed_t **order;
    size_t o_head, o_count, o_cap;
    size_t retained;
    size_t inflight; /* asks sent and not yet answered to the end */
    uv_timer_t hugz, marks, asks, flush;
    uv_signal_t sigint, sigterm;
    uint64_t events, replayed, gaps, missed, duplicates, deferred, bad, unauthorized;
    uint64_t asks_sent, snapshots, client_replays, refused, evicted;
} broker_t;

static int64_t now_ms(broker_t *b)
{
    return (int64_t)uv_now(b->uv);
}

/* ---- events and the view ---- */

static rev_t *rev_new(bus_event_t *ev)
{
    rev_t *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->refs = 1;
    r->ev = ev;
    r->bytes = protobuf_c_message_get_packed_size(&ev->base) + sizeof *r + 96;
    return r;
}

static rev_t *rev_ref(rev_t *r)
{
    r->refs++;
    return r;
}

static void rev_unref(rev_t *r)
{
    if (r && --r->refs == 0) {
        gridlink__v1__bus_event__free_unpacked(r->ev, NULL);
        free(r);
    }
}

static void publish(broker_t *b, const char *topic, const void *buf, size_t len)
{
    /* PUB drops at a subscriber's high-water mark; the subscriber sees the
     * gap and asks for a replay. */
    zmq_send(zsock_resolve(b->out), topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(zsock_resolve(b->out), buf, len, ZMQ_DONTWAIT);
}

/* raw: the event as it arrived (checked), or NULL to pack it again. */
static void publish_event(broker_t *b, const bus_event_t *ev, zframe_t *raw)
{
    uint8_t *buf = NULL;
    size_t len;
    if (raw) {
        len = zframe_size(raw);
    } else if (gl_pack(&ev->base, &buf, &len) != 0) {
        return;
    }
    /* The topic is rebuilt from the checked event, never taken on trust. */
    char t[GL_NODE_ID_MAX + 48];
    snprintf(t, sizeof t, "%s %s", ev->kind, ev->node);
    publish(b, t, raw ? zframe_data(raw) : buf, len);
    free(buf);
}

static void view_entry_free(view_entry_t *e)
{
    rev_unref(e->rev);
    free(e->key);
    free(e);
}

static void view_update(broker_t *b, rev_t *r)
{
    const bus_event_t *ev = r->ev;
    char key[GL_NODE_ID_MAX * 2 + 320];
    if (ev->case_id[0])
        snprintf(key, sizeof key, "%s", ev->case_id);
    else /* link-up/down and the like: the latest per node and peer */
        snprintf(key, sizeof key, "link %s %s", ev->node, ev->peer);
    view_entry_t *e = zhashx_lookup(b->view, key);
    if (e) {
        const bus_event_t *old = e->rev->ev;
        /* A restarted broker replays node after node, so arrival order is not
         * time order: keep the newer event. */
        if (old->time_ms > ev->time_ms ||
            (old->time_ms == ev->time_ms && strcmp(old->node, ev->node) == 0 && old->seq > ev->seq))
            return;
        rev_unref(e->rev);
        e->rev = rev_ref(r);
        zlistx_move_end(b->lru, e->handle);
        return;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        return;
    }
    e->rev = rev_ref(r);
    e->handle = zlistx_add_end(b->lru, e);
    zhashx_insert(b->view, key, e);
    while (zhashx_size(b->view) > VIEW_MAX_CASES) {
        view_entry_t *old = zlistx_first(b->lru);
        zlistx_delete(b->lru, old->handle);
        zhashx_delete(b->view, old->key);
        view_entry_free(old);
        b->evicted++;
    }
}

static void window_pop(broker_t *b, feed_t *f)
{
    if (f->h_count == 0)
        return;
    rev_t *r = f->held[f->h_head];
    f->h_head = (f->h_head + 1) % f->h_cap;
    f->h_count--;
    b->retained -= r->bytes;
    rev_unref(r);
}

static void window_push(broker_t *b, feed_t *f, rev_t *r)
{
    if (f->h_count == f->h_cap) {
        size_t cap = f->h_cap ? f->h_cap * 2 : 64;
        rev_t **a = malloc(cap * sizeof *a);
        if (!a)
            return;
        for (size_t i = 0; i < f->h_count; i++)
            a[i] = f->held[(f->h_head + i) % f->h_cap];
        free(f->held);
        f->held = a;
        f->h_cap = cap;
        f->h_head = 0;
    }
    if (b->o_count == b->o_cap) {
        size_t cap = b->o_cap ? b->o_cap * 2 : 1024;
        feed_t **a = malloc(cap * sizeof *a);
        if (!a)
            return;
        for (size_t i = 0; i < b->o_count; i++)
            a[i] = b->order[(b->o_head + i) % b->o_cap];
        free(b->order);
        b->order = a;
        b->o_cap = cap;
        b->o_head = 0;
    }
    f->held[(f->h_head + f->h_count) % f->h_cap] = rev_ref(r);
    f->h_count++;
    b->retained += r->bytes;
    b->order[(b->o_head + b->o_count) % b->o_cap] = f;
    b->o_count++;
    while ((b->retained > RETAIN_BYTES || b->o_count > RETAIN_EVENTS) && b->o_count > 0) {
        feed_t *o = b->order[b->o_head];
        b->o_head = (b->o_head + 1) % b->o_cap;
        b->o_count--;
        window_pop(b, o);
    }
}

static void window_clear(broker_t *b, feed_t *f)
{
    while (f->h_count)
        window_pop(b, f);
}

static rev_t *window_get(feed_t *f, uint64_t seq)
{
    uint64_t first = f->last - f->h_count + 1;
    if (f->h_count == 0 || seq < first || seq > f->last)
        return NULL;
    return f->held[(f->h_head + (seq - first)) % f->h_cap];
}

/* ---- feeds ---- */

static void ask_free(ask_t *a)
{
    if (!a)
        return;
    zframe_destroy(&a->client);
    free(a);
}

static void feed_destroy(void **item)
{
    feed_t *f = *item;
    *item = NULL;
    if (!f)
        return;
    while (f->head) {
        ask_t *a = f->head;
        f->head = a->next;
        ask_free(a);
    }
    for (size_t i = 0; i < f->h_count; i++)
        rev_unref(f->held[(f->h_head + i) % f->h_cap]);
    free(f->held);
    zframe_destroy(&f->rid);
    free(f->node);
    free(f);
}

static feed_t *feed_get(broker_t *b, const char *node)
{
    feed_t *f = zhashx_lookup(b->feeds, node);
    if (f)
        return f;
    f = calloc(1, sizeof *f);
    if (!f || !(f->node = strdup(node))) {
        free(f);
        return NULL;
    }
    zhashx_insert(b->feeds, node, f);
    return f;
}

static void feed_set_rid(feed_t *f, zframe_t *rid)
{
    if (!f->rid || !zframe_eq(f->rid, rid)) {
        zframe_destroy(&f->rid);
        f->rid = zframe_dup(rid);
    }
}

static void ask_push(feed_t *f, ask_t *a)
{
    if (f->tail)
        f->tail->next = a;
    else
        f->head = a;
    f->tail = a;
}

/* The ask is no longer in flight (answered, timed out, or dropped). */
static void ask_settle(broker_t *b, ask_t *a)
{
    if (a && a->sent_ms) {
        a->sent_ms = 0;
        b->inflight--;
    }
}

static ask_t *ask_pop(broker_t *b, feed_t *f)
{
    ask_t *a = f->head;
    ask_settle(b, a);
    if (a) {
        f->head = a->next;
        if (!f->head)
            f->tail = NULL;
        if (a->client)
            f->n_client_asks--;
        else
            f->own_queued = false;
    }
    return a;
}

/* ---- replies to monitors ---- */

static void client_destroy(void **item)
{
    client_t *c = *item;
    *item = NULL;
    if (!c)
        return;
    outmsg_t *m;
    while ((m = zlistx_detach(c->q, NULL))) {
        free(m->buf);
        free(m);
    }
    zlistx_destroy(&c->q);
    zframe_destroy(&c->rid);
    free(c->key);
    free(c);
}

/* Send what c has queued, in order; stop at the high-water mark. Returns
 * false if c was removed (gone, or everything sent). */
static bool client_flush(broker_t *b, client_t *c)
{
    void *s = zsock_resolve(gl_zsock_sock(b->in));
    outmsg_t *m;
    while ((m = zlistx_first(c->q))) {
        if (zmq_send(s, zframe_data(c->rid), zframe_size(c->rid), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            if (errno == EAGAIN)
                return true; /* the caller arms the flush timer */
            /* EHOSTUNREACH: the monitor went away; drop what it had coming. */
            break;
        }
        zmq_send(s, m->buf, m->len, ZMQ_DONTWAIT);
        zlistx_detach(c->q, NULL);
        c->bytes -= m->len;
        b->out_bytes -= m->len;
        free(m->buf);
        free(m);
    }
    gl_zsock_kick(b->in);
    b->out_bytes -= c->bytes;
    c->bytes = 0;
    char *key = c->key;
    zhashx_delete(b->clients, key); /* frees c */
    return false;
}

static void on_flush_timer(uv_timer_t *t);

static void client_send(broker_t *b, zframe_t *rid, const Gridlink__V1__BusReply *rep)
{
    uint8_t *buf;
    size_t len;
    if (gl_pack(&rep->base, &buf, &len) != 0)
        return;
    char *key = zframe_strhex(rid);
    client_t *c = key ? zhashx_lookup(b->clients, key) : NULL;
    if (!c && key) {
        c = calloc(1, sizeof *c);
        if (c) {
            c->key = key;
            key = NULL;
            c->rid = zframe_dup(rid);
            c->q = zlistx_new();
            zhashx_insert(b->clients, c->key, c);
        }
    }
    free(key);
    outmsg_t *m = c ? malloc(sizeof *m) : NULL;
    if (!m) {
        free(buf);
        return;
    }
    m->buf = buf;
    m->len = len;
    zlistx_add_end(c->q, m);
    c->bytes += len;
    b->out_bytes += len;
    if (zlistx_size(c->q) == 1 && client_flush(b, c) && zlistx_size(c->q) > 0)
        uv_timer_start(&b->flush, on_flush_timer, FLUSH_RETRY_MS, 0);
}

static void on_flush_timer(uv_timer_t *t)
{
    broker_t *b = t->data;
    zlistx_t *keys = zhashx_keys(b->clients);
    bool pending = false;
    for (char *k = zlistx_first(keys); k; k = zlistx_next(keys)) {
        client_t *c = zhashx_lookup(b->clients, k);
        if (c && client_flush(b, c))
            pending = true;
    }
    zlistx_destroy(&keys);
    if (pending)
        uv_timer_start(&b->flush, on_flush_timer, FLUSH_RETRY_MS, 0);
}

static void client_error(broker_t *b, zframe_t *rid, const char *op, const char *node, int code, const char *why)
{
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = (char *)op;
    rep.node = (char *)(node ? node : "");
    rep.end = true;
    rep.code = code;
    rep.error = (char *)why;
    client_send(b, rid, &rep);
}

/* ---- asking nodes for replays ---- */

/* Send the head of f's queue if it is not in flight. A request covers at
 * most REPAIR_SPAN events and at most ASKS_INFLIGHT_MAX are out at once, so
 * node processes never queue more than a few megabytes of replay for us;
 * the next span is asked when this one ends. */
static void ask_kick(broker_t *b, feed_t *f)
{
    ask_t *a = f->head;
    if (!a || a->sent_ms || !f->rid || now_ms(b) < f->hold_until || b->inflight >= ASKS_INFLIGHT_MAX)
        return;
    Gridlink__V1__BusRequest req = GRIDLINK__V1__BUS_REQUEST__INIT;
    req.op = "replay";
    req.node = f->node;
    req.from_seq = a->client ? a->next_seq : f->last + 1;
    req.to_seq = req.from_seq + REPAIR_SPAN - 1;
    if (a->client && a->to < req.to_seq)
        req.to_seq = a->to;
    uint8_t *buf;
    size_t len;
    if (gl_pack(&req.base, &buf, &len) != 0)
        return;
    void *s = zsock_resolve(gl_zsock_sock(b->in));
    /* ROUTER_MANDATORY: an unknown or full peer fails on the first frame and
     * nothing is queued; the ask timer tries again. */
    if (zmq_send(s, zframe_data(f->rid), zframe_size(f->rid), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
        zmq_send(s, buf, len, ZMQ_DONTWAIT);
        a->sent_ms = now_ms(b);
        a->round_from = req.from_seq;
        b->inflight++;
        b->asks_sent++;
        gl_debug("broker: asked for %s %llu..%llu", f->node, (unsigned long long)req.from_seq,
                 (unsigned long long)req.to_seq);
    }
    free(buf);
    gl_zsock_kick(b->in);
}

/* If the view is behind what the node has logged, queue the broker's own
 * repair: a replay from the next expected sequence on, a span at a time. */
static void need_repair(broker_t *b, feed_t *f)
{
    if (f->own_queued || f->last >= f->known)
        return;
    ask_t *a = calloc(1, sizeof *a);
    if (!a)
        return;
    a->created_ms = now_ms(b);
    f->own_queued = true;
    ask_push(f, a);
    b->gaps++;
    b->missed += f->known - f->last;
    gl_info("broker: %s is at %llu in the view but logged %llu: asking for a replay", f->node,
            (unsigned long long)f->last, (unsigned long long)f->known);
    ask_kick(b, f);
}

static void apply(broker_t *b, feed_t *f, bus_event_t *ev, zframe_t *raw)
{
    rev_t *r = rev_new(ev);
    if (!r) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    f->last = ev->seq;
    window_push(b, f, r);
    view_update(b, r);
    publish_event(b, ev, raw);
    rev_unref(r);
    b->events++;
}

/* Take ev (ownership passes) into f's view if it is the next one. raw is
 * the live frame it was decoded from (NULL for a replayed event). */
static void offer(broker_t *b, feed_t *f, bus_event_t *ev, zframe_t *raw)
{
    bool replayed = raw == NULL;
    if (ev->seq > f->known)
        f->known = ev->seq;
    if (ev->seq <= f->last) {
        if (!replayed)
            b->duplicates++;
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    if (ev->seq > f->last + 1) {
        /* Not kept: the replay brings it again, in order. */
        b->deferred++;
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        need_repair(b, f);
        return;
    }
    if (replayed)
        b->replayed++;
    apply(b, f, ev, raw);
}

static void feed_reset(broker_t *b, feed_t *f, uint64_t seq)
{
    gl_warn("broker: %s logged only up to %llu but the view had %llu: its store was replaced; "
            "rebuilding its feed from 1",
            f->node, (unsigned long long)seq, (unsigned long long)f->last);
    window_clear(b, f);
    f->last = 0;
    f->known = seq;
    /* An own repair in flight asked from the old position; ask afresh. */
    if (f->head && !f->head->client)
        ask_settle(b, f->head);
}

/* ---- what node processes send ---- */

static bool may_speak(broker_t *b, const char *user, const char *node)
{
    return user && gl_topology_find(b->topo, user) && gl_topology_find(b->topo, node) &&
           gl_topology_in_subtree(user, node);
}

static void take_event(broker_t *b, zframe_t *rid, const char *user, zframe_t *body)
{
    char err[256];
    bus_event_t *ev;
    if (gl_decode_bus_event(zframe_data(body), zframe_size(body), &ev, err, sizeof err) != 0) {
        b->bad++;
        gl_warn("broker: bad event from %s: %s", user, err);
        return;
    }
    if (!may_speak(b, user, ev->node)) {
        b->unauthorized++;
        gl_warn("broker: %s may not publish events of %s; dropped", user, ev->node);
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    feed_t *f = feed_get(b, ev->node);
    if (!f) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    feed_set_rid(f, rid);
    offer(b, f, ev, body);
}

static void forward_to_client(broker_t *b, feed_t *f, ask_t *a, Gridlink__V1__BusReply *rep)
{
    bus_event_t **sel = rep->n_events ? malloc(rep->n_events * sizeof *sel) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < rep->n_events && sel; i++) {
        bus_event_t *ev = rep->events[i];
        if (ev->seq >= a->next_seq && (a->to == 0 || ev->seq <= a->to))
            sel[k++] = ev;
    }
    if (k > 0) {
        Gridlink__V1__BusReply out = GRIDLINK__V1__BUS_REPLY__INIT;
        out.op = "replay";
        out.node = f->node;
        out.events = sel;
        out.n_events = k;
        client_send(b, a->client, &out);
        a->next_seq = sel[k - 1]->seq + 1;
    }
    free(sel);
}

static void take_replay(broker_t *b, zframe_t *rid, const char *user, Gridlink__V1__BusReply *rep)
{
    if (!rep->node[0] || !may_speak(b, user, rep->node)) {
        b->unauthorized++;
        gl_warn("broker: %s may not replay events of %s; dropped", user, rep->node[0] ? rep->node : "(none)");
        return;
    }
    feed_t *f = feed_get(b, rep->node);
    if (!f)
        return;
    feed_set_rid(f, rid);
    ask_t *a = f->head;
    if (a && a->client)
        forward_to_client(b, f, a, rep);
    for (size_t i = 0; i < rep->n_events; i++) {
        bus_event_t *ev = rep->events[i];
        rep->events[i] = NULL; /* ownership passes to offer */
        offer(b, f, ev, NULL);
    }
    if (a && a->sent_ms)
        a->sent_ms = now_ms(b); /* progress: the timeout counts silence only */
    if (!rep->end)
        return;
    if (rep->code != 0) {
        gl_warn("broker: %s's process could not replay it: %s", f->node, rep->error);
        f->hold_until = now_ms(b) + ASK_HOLD_MS;
    }
    if (a && a->client && rep->code == 0 && a->next_seq <= a->to && a->next_seq > a->round_from) {
        ask_settle(b, a); /* that span is done; ask_kick sends the next */
    } else if (a) {
        ask_pop(b, f);
        if (a->client)
            client_error(b, a->client, "replay", f->node, rep->code, rep->code ? rep->error : "");
        ask_free(a);
    }
    need_repair(b, f);
    ask_kick(b, f);
}

static void take_marks(broker_t *b, zframe_t *rid, const char *user, const Gridlink__V1__BusReply *rep)
{
    for (size_t i = 0; i < rep->n_marks; i++) {
        const Gridlink__V1__NodeMark *m = rep->marks[i];
        if (!may_speak(b, user, m->node)) {
            b->unauthorized++;
            gl_warn("broker: %s may not mark %s; ignored", user, m->node);
            continue;
        }
        feed_t *f = feed_get(b, m->node);
        if (!f)
            continue;
        feed_set_rid(f, rid);
        if (m->seq < f->last)
            feed_reset(b, f, m->seq);
        if (m->seq > f->known)
            f->known = m->seq;
        need_repair(b, f);
        ask_kick(b, f);
    }
}

static void take_reply(broker_t *b, zframe_t *rid, const char *user, zframe_t *body)
{
    char err[256];
    Gridlink__V1__BusReply *rep;
    if (gl_decode_bus_reply(zframe_data(body), zframe_size(body), &rep, err, sizeof err) != 0) {
        b->bad++;
        gl_warn("broker: bad reply from %s: %s", user, err);
        return;
    }
    if (strcmp(rep->op, "replay") == 0)
        take_replay(b, rid, user, rep);
    else if (strcmp(rep->op, "mark") == 0)
        take_marks(b, rid, user, rep);
    else {
        b->bad++;
        gl_warn("broker: unknown reply '%s' from %s", rep->op, user);
    }
    gridlink__v1__bus_reply__free_unpacked(rep, NULL);
}

/* ---- what monitors ask ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void serve_snapshot(broker_t *b, zframe_t *rid, const char *prefix)
{
    if (b->out_bytes > OUTQ_MAX_BYTES) {
        client_error(b, rid, "snapshot", NULL, GL_EAGAIN, "broker busy: too many replies waiting");
        return;
    }
    b->snapshots++;
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "snapshot";
    bus_event_t *evs[GL_BUS_CHUNK];
    size_t k = 0, bytes = 0;
    for (view_entry_t *e = zlistx_first(b->lru); e; e = zlistx_next(b->lru)) {
        bus_event_t *ev = e->rev->ev;
        if (prefix[0] && !gl_topology_in_subtree(prefix, ev->node))
            continue;
        evs[k++] = ev;
        bytes += e->rev->bytes;
        if (k == GL_BUS_CHUNK || bytes >= GL_BUS_CHUNK_BYTES) {
            rep.events = evs;
            rep.n_events = k;
            client_send(b, rid, &rep);
            k = bytes = 0;
        }
    }
    /* The marks go last, taken at the same instant as the events. */
    size_t n = zhashx_size(b->feeds), nm = 0;
    char **names = calloc(n ? n : 1, sizeof *names);
    Gridlink__V1__NodeMark *marks = calloc(n ? n : 1, sizeof *marks);
    Gridlink__V1__NodeMark **mp = calloc(n ? n : 1, sizeof *mp);
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
    rep.events = evs;
    rep.n_events = k;
    rep.marks = mp;
    rep.n_marks = nm;
    rep.end = true;
    client_send(b, rid, &rep);
    free(names);
    free(marks);
    free(mp);
}

static void serve_replay(broker_t *b, zframe_t *rid, const Gridlink__V1__BusRequest *req)
{
    b->client_replays++;
    feed_t *f = zhashx_lookup(b->feeds, req->node);
    if (!f) {
        client_error(b, rid, "replay", req->node, GL_ENOENT, "the broker has not heard of this node");
        return;
    }
    uint64_t to = req->to_seq && req->to_seq < f->last ? req->to_seq : f->last;
    uint64_t first = f->last - f->h_count + 1;
    if (req->from_seq > to || (f->h_count > 0 && req->from_seq >= first)) {
        /* From the window (or nothing to send yet: the view is behind and
         * the client asks again when a mark says so). */
        Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
        rep.op = "replay";
        rep.node = f->node;
        bus_event_t *evs[GL_BUS_CHUNK];
        size_t k = 0, bytes = 0;
        for (uint64_t s = req->from_seq; s <= to; s++) {
            rev_t *r = window_get(f, s);
            if (!r)
                break;
            evs[k++] = r->ev;
            bytes += r->bytes;
            if (k == GL_BUS_CHUNK || bytes >= GL_BUS_CHUNK_BYTES) {
                rep.events = evs;
                rep.n_events = k;
                client_send(b, rid, &rep);
                k = bytes = 0;
            }
        }
        rep.events = evs;
        rep.n_events = k;
        rep.end = true;
        client_send(b, rid, &rep);
        return;
    }
    /* Older than the window: the node's own log has it. */
    if (f->n_client_asks >= CLIENT_ASKS_MAX) {
        client_error(b, rid, "replay", f->node, GL_EAGAIN, "too many replays of this node waiting");
        return;
    }
    ask_t *a = calloc(1, sizeof *a);
    if (!a)
        return;
    a->client = zframe_dup(rid);
    a->next_seq = req->from_seq;
    a->to = to;
    a->created_ms = now_ms(b);
    f->n_client_asks++;
    gl_info("broker: %s %llu..%llu for a monitor is older than the window; asking the node", f->node,
            (unsigned long long)req->from_seq, (unsigned long long)to);
    ask_push(f, a);
    ask_kick(b, f);
}

static void take_request(broker_t *b, zframe_t *rid, const char *user, zframe_t *body)
{
    char err[256];
    Gridlink__V1__BusRequest *req;
    if (gl_decode_bus_request(zframe_data(body), zframe_size(body), &req, err, sizeof err) != 0) {
        b->bad++;
        gl_warn("broker: bad request from %s: %s", user, err);
        client_error(b, rid, "error", NULL, GL_EPROTO, err);
        return;
    }
    if (strcmp(req->op, "snapshot") == 0)
        serve_snapshot(b, rid, req->prefix);
    else
        serve_replay(b, rid, req);
    gridlink__v1__bus_request__free_unpacked(req, NULL);
}

static void take(broker_t *b, zmsg_t *msg)
{
    zframe_t *rid = zmsg_first(msg);
    zframe_t *first = zmsg_next(msg);
    zframe_t *second = zmsg_next(msg);
    size_t frames = zmsg_size(msg);
    if (!rid || !first || frames < 2 || frames > 3) {
        b->bad++;
        gl_warn("broker: malformed bus message (%zu frames)", frames);
        return;
    }
    const char *user = gl_frame_user(first);
    if (!user) {
        b->unauthorized++;
        gl_warn("broker: message from an unauthenticated connection dropped");
        return;
    }
    if (frames == 2) {
        take_request(b, rid, user, first);
        return;
    }
    /* Node feed: only topology nodes publish, and only their own subtree. */
    if (!gl_topology_find(b->topo, user)) {
        b->unauthorized++;
        gl_warn("broker: %s is not a node and may not publish", user);
        return;
    }
    if (zframe_streq(first, GL_BUS_REPLY))
        take_reply(b, rid, user, second);
    else
        take_event(b, rid, user, second);
}

static void on_in(gl_zsock_t *zs, zmsg_t *msg, void *arg)
{
    broker_t *b = arg;
    take(b, msg);
    (void)zs;
}

/* ---- timers ---- */

static void on_asks(uv_timer_t *t)
{
    broker_t *b = t->data;
    int64_t now = now_ms(b);
    for (feed_t *f = zhashx_first(b->feeds); f; f = zhashx_next(b->feeds)) {
        ask_t *a = f->head;
        if (a && a->client && now - a->created_ms > CLIENT_ASK_GIVEUP_MS) {
            ask_pop(b, f);
            client_error(b, a->client, "replay", f->node, GL_ETIMEDOUT, "the node's process did not answer");
            ask_free(a);
            a = f->head;
        }
        if (a && a->sent_ms && now - a->sent_ms > ASK_TIMEOUT_MS) {
            gl_info("broker: no replay of %s for %d s; asking again", f->node, ASK_TIMEOUT_MS / 1000);
            ask_settle(b, a);
        }
        need_repair(b, f);
        ask_kick(b, f);
    }
}

static void on_marks(uv_timer_t *t)
{
    broker_t *b = t->data;
    size_t n = zhashx_size(b->feeds);
    if (n == 0)
        return;
    if (n > GL_BUS_MAX_MARKS)
        n = GL_BUS_MAX_MARKS;
    Gridlink__V1__NodeMark *marks = calloc(n, sizeof *marks);
    Gridlink__V1__NodeMark **mp = calloc(n, sizeof *mp);
    size_t k = 0;
    for (feed_t *f = zhashx_first(b->feeds); f && marks && mp && k < n; f = zhashx_next(b->feeds)) {
        gridlink__v1__node_mark__init(&marks[k]);
        marks[k].node = f->node;
        marks[k].seq = f->last;
        mp[k] = &marks[k];
        k++;
    }
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "marks";
    rep.marks = mp;
    rep.n_marks = k;
    uint8_t *buf;
    size_t len;
    if (k && gl_pack(&rep.base, &buf, &len) == 0) {
        publish(b, GL_BUS_MARKS, buf, len);
        free(buf);
    }
    free(marks);
    free(mp);
}

static void on_hugz(uv_timer_t *t)
{
    broker_t *b = t->data;
    char stats[640];
    int len = snprintf(stats, sizeof stats,
                       "{\"events\":%llu,\"gaps\":%llu,\"missed\":%llu,\"duplicates\":%llu,\"bad\":%llu,"
                       "\"unauthorized\":%llu,\"feeds\":%zu,\"replayed\":%llu,\"deferred\":%llu,\"asks\":%llu,"
                       "\"snapshots\":%llu,\"client_replays\":%llu,\"cases\":%zu,\"retained\":%zu,"
                       "\"evicted\":%llu}",
                       (unsigned long long)b->events, (unsigned long long)b->gaps, (unsigned long long)b->missed,
                       (unsigned long long)b->duplicates, (unsigned long long)b->bad,
                       (unsigned long long)b->unauthorized, zhashx_size(b->feeds), (unsigned long long)b->replayed,
                       (unsigned long long)b->deferred, (unsigned long long)b->asks_sent,
                       (unsigned long long)b->snapshots, (unsigned long long)b->client_replays, zhashx_size(b->view),
                       b->o_count, (unsigned long long)b->evicted);
    publish(b, "hugz", stats, (size_t)len);
}

static void on_signal(uv_signal_t *s, int signum)
{
    broker_t *b = s->data;
    gl_info("signal %d: stopping", signum);
    uv_stop(b->uv);
}

/* ---- setup ---- */

static int open_sockets(broker_t *b)
{
    int hwm = gl_bus_hwm();
    zsock_t *in = gl_sock_new(ZMQ_ROUTER, GL_BUS_MAX_FRAME);
    if (!in)
        return GL_EIO;
    zsock_set_router_mandatory(in, 1);
    zsock_set_rcvhwm(in, hwm);
    zsock_set_sndhwm(in, hwm);
    zsock_set_linger(in, 0);
    zsock_set_heartbeat_ivl(in, 2000);
    zsock_set_heartbeat_timeout(in, 6000);
    gl_curve_server(in, b->cert, "bus-in");
    if (zsock_bind(in, "%s", b->topo->bus_in) < 0) {
        gl_error("cannot bind bus intake %s: %s", b->topo->bus_in, zmq_strerror(zmq_errno()));
        zsock_destroy(&in);
        return GL_EIO;
    }
    int rc = gl_loop_add(b->loop, in, on_in, b, &b->in);
    if (rc != 0) {
        zsock_destroy(&in);
        return rc;
    }
    b->out = gl_sock_new(ZMQ_PUB, GL_BUS_MAX_REQ_FRAME);
    if (!b->out)
        return GL_EIO;
    zsock_set_sndhwm(b->out, hwm);
    zsock_set_linger(b->out, 0);
    gl_curve_server(b->out, b->cert, "bus-out");
    if (zsock_bind(b->out, "%s", b->topo->bus_out) < 0) {
        gl_error("cannot bind bus output %s: %s", b->topo->bus_out, zmq_strerror(zmq_errno()));
        return GL_EIO;
    }
    return GL_OK;
}

static void admit(broker_t *b)
{
    for (size_t i = 0; i < b->topo->n_nodes; i++) {
        const gl_node_t *n = &b->topo->nodes[i];
        if (!n->public_key)
            continue;
        gl_zap_allow(b->zap, "bus-in", n->public_key, n->id);
        gl_zap_allow(b->zap, "bus-out", n->public_key, n->id);
    }
    for (size_t i = 0; i < b->topo->n_monitors; i++) {
        const gl_monitor_t *m = &b->topo->monitors[i];
        if (!m->public_key)
            continue;
        /* On bus_in a monitor may ask but never publish; its user ID cannot
         * be mistaken for a node ID (':' is not allowed in one). */
        char user[300];
        snprintf(user, sizeof user, "%s%s", GL_BUS_MONITOR_PREFIX, m->name);
        gl_zap_allow(b->zap, "bus-in", m->public_key, user);
        gl_zap_allow(b->zap, "bus-out", m->public_key, m->name);
    }
}

static void view_destroy(broker_t *b)
{
    view_entry_t *e;
    while ((e = zlistx_first(b->lru))) {
        zlistx_delete(b->lru, e->handle);
        view_entry_free(e);
    }
    zlistx_destroy(&b->lru);
    zhashx_destroy(&b->view);
}

int broker_run(const char *home)
{
    zsys_handler_set(NULL);
    zsys_set_max_sockets(0);
    zsys_init();
    broker_t *b = calloc(1, sizeof *b);
    if (!b)
        return 1;
    b->uv = uv_default_loop();
    char err[512];
    if (gl_home_topology(home, &b->topo, err, sizeof err) != 0) {
        gl_error("cannot load %s/topology.json: %s", home, err);
        return 1;
    }
    if (!b->topo->bus_in || !b->topo->bus_out) {
        gl_error("the topology names no broker endpoints");
        return 1;
    }
    if (gl_keys_load(home, "broker", &b->cert) != 0) {
        gl_error("no broker keypair in %s/keys (run `gridlink keygen`)", home);
        return 1;
    }
    gl_loop_new(b->uv, &b->loop);
    if (gl_zap_new(b->loop, &b->zap) != 0)
        return 1;
    admit(b);
    b->feeds = zhashx_new();
    zhashx_set_destructor(b->feeds, feed_destroy);
    b->view = zhashx_new();
    b->lru = zlistx_new();
    b->clients = zhashx_new();
    zhashx_set_destructor(b->clients, client_destroy);
    if (open_sockets(b) != 0)
        return 1;

    uv_timer_t *timers[] = {&b->hugz, &b->marks, &b->asks, &b->flush};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
        uv_timer_init(b->uv, timers[i]);
        timers[i]->data = b;
    }
    uv_timer_start(&b->hugz, on_hugz, HUGZ_MS, HUGZ_MS);
    uv_timer_start(&b->marks, on_marks, MARKS_MS, MARKS_MS);
    uv_timer_start(&b->asks, on_asks, ASK_TICK_MS, ASK_TICK_MS);
    uv_signal_init(b->uv, &b->sigint);
    uv_signal_init(b->uv, &b->sigterm);
    b->sigint.data = b->sigterm.data = b;
    uv_signal_start(&b->sigint, on_signal, SIGINT);
    uv_signal_start(&b->sigterm, on_signal, SIGTERM);
    gl_info("bus intake and requests %s, output %s", b->topo->bus_in, b->topo->bus_out);
    uv_run(b->uv, UV_RUN_DEFAULT);

    gl_info("stopping: %llu events (%llu replayed), %llu gaps (%llu missed), %llu duplicates, %llu bad, "
            "%llu snapshots served",
            (unsigned long long)b->events, (unsigned long long)b->replayed, (unsigned long long)b->gaps,
            (unsigned long long)b->missed, (unsigned long long)b->duplicates, (unsigned long long)b->bad,
            (unsigned long long)b->snapshots);
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
        uv_close((uv_handle_t *)timers[i], NULL);
    uv_close((uv_handle_t *)&b->sigint, NULL);
    uv_close((uv_handle_t *)&b->sigterm, NULL);
    zhashx_destroy(&b->clients);
    gl_zap_free(&b->zap);
    gl_loop_free(&b->loop);
    zsock_destroy(&b->out);
    view_destroy(b);
    zhashx_destroy(&b->feeds);
    free(b->order);
    zcert_destroy(&b->cert);
    gl_topology_free(&b->topo);
    free(b);
    return 0;
}
