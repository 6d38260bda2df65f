/* feed.c: see feed.h. */
#include "feed.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "core.h"
#include "durable.h"
#include "stream.h"
#include "error.h"
#include "log.h"
#include "metrics.h"

#define ASK_TIMEOUT_MS       5000  /* no chunk for this long: ask again */
#define ASK_HOLD_MS          2000  /* after a refusal, wait this long before asking again */
#define REPAIR_HOLD_MAX_MS   60000 /* own repairs that bring nothing back off, doubling from ASK_HOLD_MS to this */
#define FEED_RESET_MIN_MS    60000 /* a node's feed is rebuilt from 1 at most this often */
#define CLIENT_ASK_GIVEUP_MS 30000
#define REPAIR_SPAN          2000 /* events asked of a node at a time */
#define ASKS_INFLIGHT_MAX    64   /* replays in flight, all nodes: bounds what node processes queue */

static void ask_free(ask_t *a)
{
    if (!a)
        return;
    zframe_destroy(&a->client);
    free(a);
}

void feed_destroy(void **item)
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
    view_window_free(&f->win);
    zframe_destroy(&f->rid);
    free(f->node);
    free(f);
}

feed_t *feed_get(broker_t *b, const char *node)
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

void feed_set_rid(feed_t *f, zframe_t *rid)
{
    if (!f->rid || !zframe_eq(f->rid, rid)) {
        zframe_destroy(&f->rid);
        f->rid = zframe_dup(rid);
    }
}

/* ---- the queue of asks ---- */

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

/* Remove the cancelled asks of f's queue, except one in flight at its head:
 * the node's chunks for it are still coming, and they belong to the head. */
static void drop_cancelled(feed_t *f)
{
    ask_t **pp = &f->head, *prev = NULL;
    while (*pp) {
        ask_t *a = *pp;
        if (a->cancelled && !(a == f->head && a->sent_ms)) {
            *pp = a->next;
            f->n_client_asks--;
            ask_free(a);
            continue;
        }
        prev = a;
        pp = &a->next;
    }
    f->tail = prev;
}

/* The client an ask is for, if it is still there. */
static client_t *ask_client(broker_t *b, const ask_t *a)
{
    client_t *c = a->client && !a->cancelled ? outq_find(b, a->client) : NULL;
    return c && c->id == a->client_id && !c->gone ? c : NULL;
}

/* A client ask leaves its feed's queue: tell the client how it ended (code
 * 0 and no text: the end of a replay whose events went out) and forget it. */
static void ask_finish(broker_t *b, feed_t *f, ask_t *a, int code, const char *why)
{
    client_t *c = ask_client(b, a);
    if (!c)
        return;
    outq_error(b, c, "replay", f->node, code, why);
    if (c->asks)
        c->asks--;
    outq_release(b, c);
}

/* ---- asking nodes for replays ---- */

/* Send the head of f's queue if it is not in flight. A request covers at
 * most REPAIR_SPAN events and at most ASKS_INFLIGHT_MAX are out at once, so
 * node processes never queue more than a few megabytes of replay for us;
 * the next span is asked when this one ends. */
static void kick(broker_t *b, feed_t *f)
{
    if (f->head && f->head->client && !f->head->sent_ms && !ask_client(b, f->head)) {
        f->head->cancelled = true;
        drop_cancelled(f);
    }
    int64_t now = core_now_ms(b);
    ask_t *a = f->head;
    if (a && !a->client && !a->sent_ms && now < f->repair_hold_until && a->next) {
        /* The own repair backs off; the clients' replays behind it need not. */
        f->head = a->next;
        a->next = NULL;
        f->tail->next = a;
        f->tail = a;
        a = f->head;
    }
    if (!a || a->sent_ms || !f->rid || now < f->hold_until || b->inflight >= ASKS_INFLIGHT_MAX ||
        (!a->client && now < f->repair_hold_until))
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
        a->sent_ms = now;
        a->round_from = req.from_seq;
        a->round_to = req.to_seq;
        a->seen_to = a->applied = 0;
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
    a->created_ms = core_now_ms(b);
    f->own_queued = true;
    ask_push(f, a);
    b->gaps++;
    b->missed += f->known - f->last;
    gl_log(f->overclaimed ? GL_LOG_DEBUG : GL_LOG_INFO,
           "broker: %s is at %llu in the view but logged %llu: asking for a replay", f->node,
           (unsigned long long)f->last, (unsigned long long)f->known);
    kick(b, f);
}

/* An own repair round brought nothing into the view: ask again later, twice
 * as late each time (ASK_HOLD_MS up to REPAIR_HOLD_MAX_MS), until a round
 * brings something. */
static void repair_back_off(broker_t *b, feed_t *f)
{
    if (f->futile < 16)
        f->futile++;
    int64_t hold = (int64_t)ASK_HOLD_MS << (f->futile - 1);
    f->repair_hold_until = core_now_ms(b) + (hold < REPAIR_HOLD_MAX_MS ? hold : REPAIR_HOLD_MAX_MS);
}

/* The end of an own repair round. A node's process replays to the end of
 * its log, so a round that ends before the span it was asked for and short
 * of what the node claimed (by an event or a mark) shows the claim false: a
 * forged or corrupt sequence number. It is not believed (the broker stops
 * asking for it), said once, and counted; a real gap is still repaired by
 * the next round that brings something, at the backed-off pace. */
static void repair_round_end(broker_t *b, feed_t *f, const ask_t *a, int code)
{
    if (a->applied > 0) {
        f->futile = 0;
        f->overclaimed = false;
    } else {
        repair_back_off(b, f);
    }
    if (code != 0 || f->last >= f->known || a->seen_to >= a->round_to || a->seen_to >= f->known)
        return;
    b->overclaims++;
    if (!f->overclaimed)
        gl_warn("broker: %s claimed sequence %llu but its process replays only up to %llu: claim not believed, "
                "repairs back off until one brings something",
                f->node, (unsigned long long)f->known, (unsigned long long)(a->seen_to ? a->seen_to : f->last));
    f->overclaimed = true;
    f->known = a->seen_to > f->last ? a->seen_to : f->last;
}

/* ---- applying events ---- */

static void apply(broker_t *b, feed_t *f, bus_event_t *ev, zframe_t *raw)
{
    rev_t *r = view_rev_new(ev);
    if (!r) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    f->last = ev->seq;
    durable_apply(b, ev);
    stream_note(b, ev);
    view_window_push(&b->view, &f->win, r);
    if (!ev->fact) /* a fact is no case's: kept by plan.c, not in the case view */
        view_update(&b->view, r);
    outq_publish_event(b, ev, raw);
    if (zlistx_size(b->subs) > 0) {
        Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
        rep.op = "live";
        rep.node = ev->node;
        rep.events = &ev;
        rep.n_events = 1;
        uint8_t *buf;
        size_t len;
        if (gl_pack(&rep.base, &buf, &len) == 0) {
            outq_send_live(b, ev->node, buf, len);
            free(buf);
        }
    }
    view_rev_unref(r);
    b->events++;
}

void feed_offer(broker_t *b, feed_t *f, bus_event_t *ev, zframe_t *raw)
{
    bool replayed = raw == NULL;
    if (!replayed)
        f->heard_ms = core_now_ms(b);
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
    /* Replayed events count too: a gap repaired is lag the view really had. */
    broker_metrics_lag(b, ev->time_ms);
    apply(b, f, ev, raw);
}

static void reset(broker_t *b, feed_t *f, uint64_t seq)
{
    gl_warn("broker: %s logged only up to %llu but the view had %llu: its store was replaced; "
            "rebuilding its feed from 1",
            f->node, (unsigned long long)seq, (unsigned long long)f->last);
    view_window_clear(&b->view, &f->win);
    f->last = 0;
    durable_reset_feed(b, f->node);
    f->known = seq;
    f->reset_ms = core_now_ms(b);
    /* An own repair in flight asked from the old position; ask afresh. */
    if (f->head && !f->head->client)
        ask_settle(b, f->head);
}

void feed_take_mark(broker_t *b, feed_t *f, uint64_t seq)
{
    f->heard_ms = core_now_ms(b);
    if (seq < f->last) {
        /* A forged event ahead of the log makes the real mark look short
         * too: a node's feed is rebuilt at most so often. */
        if (f->reset_ms && core_now_ms(b) - f->reset_ms < FEED_RESET_MIN_MS)
            return;
        reset(b, f, seq);
    }
    if (seq > f->known)
        f->known = seq;
    need_repair(b, f);
    kick(b, f);
}

/* ---- replays ---- */

static void forward_to_client(broker_t *b, feed_t *f, ask_t *a, Gridlink__V1__BusReply *rep)
{
    client_t *c = ask_client(b, a);
    if (!c || rep->n_events == 0)
        return;
    bus_event_t **sel = malloc(rep->n_events * sizeof *sel);
    size_t *sizes = malloc(rep->n_events * sizeof *sizes);
    size_t k = 0;
    for (size_t i = 0; i < rep->n_events && sel && sizes; i++) {
        bus_event_t *ev = rep->events[i];
        if (ev->seq >= a->next_seq && (a->to == 0 || ev->seq <= a->to)) {
            sizes[k] = protobuf_c_message_get_packed_size(&ev->base);
            sel[k++] = ev;
        }
    }
    if (k > 0) {
        Gridlink__V1__BusReply out = GRIDLINK__V1__BUS_REPLY__INIT;
        out.op = "replay";
        out.node = f->node;
        a->next_seq = sel[k - 1]->seq + 1;
        /* A node's chunk may be bigger than what a client is sent at once. */
        outq_send_events(b, c, &out, sel, sizes, k);
    }
    free(sel);
    free(sizes);
}

/* The node archived its log through seq: a view behind it goes on after
 * it, since those sequences will never be replayed. The cases they touched
 * keep what the view had of them; the counts are not rebuilt. */
static void skip_archived(broker_t *b, feed_t *f, uint64_t seq)
{
    gl_info("broker: %s archived its log through %llu; the view was at %llu and goes on after it", f->node,
            (unsigned long long)seq, (unsigned long long)f->last);
    b->archived_skipped += seq - f->last;
    f->last = seq;
    if (seq > f->known)
        f->known = seq;
    durable_skip(b, f->node, seq);
}

void feed_take_replay(broker_t *b, feed_t *f, Gridlink__V1__BusReply *rep, uint64_t heard)
{
    ask_t *a = f->head;
    if (a && a->sent_ms && heard > a->seen_to)
        a->seen_to = heard;
    if (a && a->sent_ms && rep->pruned_through > a->seen_to)
        a->seen_to = rep->pruned_through;
    if (a && a->client && a->next_seq <= rep->pruned_through)
        a->next_seq = rep->pruned_through + 1;
    if (a && a->client)
        forward_to_client(b, f, a, rep);
    uint64_t before = f->last;
    if (rep->pruned_through > f->last)
        skip_archived(b, f, rep->pruned_through);
    for (size_t i = 0; i < rep->n_events; i++) {
        bus_event_t *ev = rep->events[i];
        rep->events[i] = NULL; /* ownership passes to feed_offer */
        feed_offer(b, f, ev, NULL);
    }
    if (a && f->last > before)
        a->applied += f->last - before;
    if (a && a->sent_ms)
        a->sent_ms = core_now_ms(b); /* progress: the timeout counts silence only */
    if (!rep->end)
        return;
    if (rep->code != 0) {
        gl_warn("broker: %s's process could not replay it: %s", f->node, rep->error);
        f->hold_until = core_now_ms(b) + ASK_HOLD_MS;
    }
    if (a && !a->client && a->sent_ms)
        repair_round_end(b, f, a, rep->code);
    if (a && ask_client(b, a) && rep->code == 0 && a->next_seq <= a->to && a->next_seq > a->round_from) {
        ask_settle(b, a); /* that span is done; kick sends the next */
    } else if (a) {
        ask_pop(b, f);
        ask_finish(b, f, a, rep->code, rep->code ? rep->error : "");
        ask_free(a);
    }
    need_repair(b, f);
    kick(b, f);
}

void feed_ask_client(broker_t *b, feed_t *f, client_t *c, uint64_t from, uint64_t to)
{
    ask_t *a = calloc(1, sizeof *a);
    if (!a || !(a->client = zframe_dup(c->rid))) {
        free(a);
        return;
    }
    a->client_id = c->id;
    a->next_seq = from;
    a->to = to;
    a->created_ms = core_now_ms(b);
    f->n_client_asks++;
    c->asks++;
    gl_info("broker: %s %llu..%llu for %s is older than the window; asking the node", f->node, (unsigned long long)from,
            (unsigned long long)to, c->user);
    ask_push(f, a);
    kick(b, f);
}

/* ---- timers ---- */

void feed_on_asks(uv_timer_t *t)
{
    broker_t *b = t->data;
    int64_t now = core_now_ms(b);
    bool sweep = b->sweep; /* clients went away: cancel their asks */
    b->sweep = false;
    for (feed_t *f = zhashx_first(b->feeds); f; f = zhashx_next(b->feeds)) {
        bool orphans = false;
        for (ask_t *a = f->head; sweep && a; a = a->next) {
            if (a->client && !a->cancelled && !ask_client(b, a))
                a->cancelled = orphans = true;
        }
        if (orphans)
            drop_cancelled(f);
        ask_t *a = f->head;
        if (a && a->client && now - a->created_ms > CLIENT_ASK_GIVEUP_MS) {
            ask_pop(b, f);
            ask_finish(b, f, a, GL_ETIMEDOUT, "the node's process did not answer");
            ask_free(a);
            a = f->head;
        }
        if (a && a->sent_ms && now - a->sent_ms > ASK_TIMEOUT_MS) {
            gl_info("broker: no replay of %s for %d s; asking again", f->node, ASK_TIMEOUT_MS / 1000);
            ask_settle(b, a); /* at most one ask per node a ASK_TIMEOUT_MS: no back-off needed */
        }
        need_repair(b, f);
        kick(b, f);
    }
    if (sweep)
        outq_release_gone(b);
}

void feed_on_marks(uv_timer_t *t)
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
        outq_publish(b, GL_BUS_MARKS, buf, len);
        free(buf);
    }
    /* Each subscriber over bus_in gets the marks under its prefix. */
    Gridlink__V1__NodeMark **sel = zlistx_size(b->subs) && mp ? calloc(k ? k : 1, sizeof *sel) : NULL;
    client_t *c = zlistx_first(b->subs);
    while (c) {
        client_t *next = zlistx_next(b->subs);
        if (c->gone) {
            outq_release(b, c); /* leaves b->subs */
        } else if (sel) {
            size_t ks = 0;
            for (size_t i = 0; i < k; i++)
                if (gl_topology_in_subtree(c->sub, mp[i]->node))
                    sel[ks++] = mp[i];
            Gridlink__V1__BusReply sr = GRIDLINK__V1__BUS_REPLY__INIT;
            sr.op = "marks";
            sr.marks = sel;
            sr.n_marks = ks;
            if (ks && gl_pack(&sr.base, &buf, &len) == 0)
                outq_queue(b, c, buf, len, true);
        }
        c = next;
    }
    free(sel);
    free(marks);
    free(mp);
}
