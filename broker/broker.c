/* broker.c: see broker.h.
 *
 * Ownership: broker_run owns the broker_t and everything in it. A decoded
 * event lives in one refcounted rev_t shared by the node's window and the
 * case view; the last unref frees it. Feeds (one per node) live until the
 * broker stops; asks belong to their feed's queue, clients (connections with
 * replies waiting to go out, replays of theirs waiting on a node, or a
 * subscription) to the clients table, and each holds its own copy of a
 * routing ID frame; the subscribers list only points at clients. Nothing
 * here blocks: every send is non-blocking, replies that do not fit wait in
 * the client's queue, and node requests that cannot be sent are retried by a
 * timer.
 *
 * What one connection can make the broker hold is bounded: ZeroMQ keeps at
 * most CLIENT_PIPE_MSGS messages of at most about CLIENT_CHUNK_BYTES for a
 * peer, the client's own queue at most CLIENT_OUTQ_MAX_BYTES, and at most
 * CLIENT_ASKS_MAX of its replays wait on node processes. Live events and
 * marks for a subscriber are dropped past CLIENT_LIVE_MAX_BYTES queued (its
 * sequence shows the gap). A connection over its queue bound has stopped
 * reading: it is cut off (queue, subscription and asks dropped, counted) and
 * its key's requests are refused for CUTOFF_MS. */
#include "broker.h"

#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

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
#define ASK_TIMEOUT_MS       5000  /* no chunk for this long: ask again */
#define ASK_HOLD_MS          2000  /* after a refusal, wait this long before asking again */
#define REPAIR_HOLD_MAX_MS   60000 /* own repairs that bring nothing back off, doubling from ASK_HOLD_MS to this */
#define FEED_RESET_MIN_MS    60000 /* a node's feed is rebuilt from 1 at most this often */
#define CLIENT_ASK_GIVEUP_MS 30000
#define FEED_CLIENT_ASKS_MAX 64   /* forwarded client replays queued per node */
#define REPAIR_SPAN          2000 /* events asked of a node at a time */
#define ASKS_INFLIGHT_MAX    64   /* replays in flight, all nodes: bounds what node processes queue */
#define FLUSH_RETRY_MS       20
#ifndef RETAIN_BYTES
#define RETAIN_BYTES (64u << 20) /* window of recent events kept for client replays, all nodes */
#endif
#define RETAIN_EVENTS  1000000
#define VIEW_MAX_CASES 200000
#define OUTQ_MAX_BYTES (256u << 20) /* all clients' queues: past this, new requests are refused */
/* One connection: its queue (a whole-district snapshot of VIEW_MAX_CASES
 * typical events fits), the chunks it is sent in, how many of those ZeroMQ
 * may hold for it, how much one replay answer may carry (the client asks
 * again for the rest), its replays waiting on node processes, and how long
 * its key is refused after a cut-off. */
#define CLIENT_OUTQ_MAX_BYTES   (32u << 20)
#define CLIENT_CHUNK_BYTES      (64u * 1024)
#define CLIENT_PIPE_MSGS        64
#define CLIENT_REPLAY_MAX_BYTES (4u << 20)
#define CLIENT_ASKS_MAX         16
#define CLIENT_LIVE_MAX_BYTES   (8u << 20) /* past this queued, a subscriber's live events are dropped */
#define CUTOFF_MS               30000
#define WARN_EVERY_MS           1000            /* per kind of complaint about a peer: the rest are counted */
#define FUTURE_MAX_MS           (5 * 60 * 1000) /* an event dated later than this from now is refused */

typedef Gridlink__V1__BusEvent bus_event_t;

typedef struct rev {
    int refs;
    size_t bytes;  /* what holding it costs */
    size_t packed; /* what sending it costs */
    bus_event_t *ev;
} rev_t;

/* A replay asked of a node's process. Only the head of a feed's queue is in
 * flight, so every chunk and every end belong to it. */
typedef struct ask {
    struct ask *next;
    zframe_t *client;    /* client's routing ID, or NULL: the broker's own repair */
    uint64_t client_id;  /* and which client_t of that routing ID */
    uint64_t to;         /* client asks: last sequence wanted */
    uint64_t next_seq;   /* client asks: next sequence to forward */
    uint64_t round_from; /* first sequence of the request in flight */
    uint64_t round_to;   /* and its last */
    uint64_t seen_to;    /* highest sequence the node sent in this round */
    uint64_t applied;    /* events this round brought into the view */
    int64_t sent_ms;     /* 0 = not (or no longer) in flight */
    int64_t created_ms;
    bool cancelled; /* its client was cut off or left: dropped, or drained if in flight */
} ask_t;

typedef struct feed {
    char *node;
    uint64_t last;  /* the view has every event up to here, applied in order */
    uint64_t known; /* highest sequence heard of, by event or mark */
    zframe_t *rid;  /* connection of the process that serves the node */
    ask_t *head, *tail;
    size_t n_client_asks;
    bool own_queued;
    int64_t hold_until;        /* the node's process refused a replay: ask nothing before this */
    int64_t repair_hold_until; /* own repairs back off after rounds that brought nothing */
    unsigned futile;           /* own repair rounds in a row that brought nothing */
    bool overclaimed;          /* the node claimed more than it replays; said once */
    int64_t reset_ms;          /* when its feed was last rebuilt from 1 */
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
    uint64_t id; /* unique for the broker's life: a routing ID can come back */
    char *key;   /* routing ID in hex */
    zframe_t *rid;
    char *user;        /* the connection's ZAP user ID */
    const char *grant; /* the node whose subtree it may see (points into the topology) */
    char *sub;         /* subscribed to the events under this node, or NULL */
    void *sub_handle;  /* in the broker's subscribers */
    zlistx_t *q;       /* outmsg_t, oldest first */
    size_t bytes;
    size_t asks; /* its replays waiting on node processes */
    bool gone;   /* cut off or disconnected: nothing more is queued */
} client_t;

/* Kinds of complaint about peers, each logged at most once a WARN_EVERY_MS. */
enum { WARN_BAD, WARN_UNAUTHORIZED, WARN_FOREIGN, WARN_FUTURE, WARN_CLIENT, WARN_KINDS };

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
    zlistx_t *subs;    /* client_t subscribed over bus_in */
    zhashx_t *cut_off; /* ZAP user ID -> int64_t (loop ms) until which its requests are refused */
    uint64_t next_client_id;
    bool sweep; /* a client went away: cancel its asks and forget it on the next tick */
    size_t out_bytes;
    /* Global order of held events, so the window drops the oldest first. */
    feed_t **order;
    size_t o_head, o_count, o_cap;
    size_t retained;
    size_t inflight; /* asks sent and not yet answered to the end */
    uv_timer_t hugz, marks, asks, flush;
    uv_signal_t sigint, sigterm;
    uint64_t events, replayed, gaps, missed, duplicates, deferred, bad, unauthorized;
    uint64_t asks_sent, snapshots, client_replays, refused, evicted, cutoffs, foreign, future, overclaims;
    uint64_t out_of_scope, live_dropped;
    int64_t warn_next[WARN_KINDS];
    uint64_t warn_quiet[WARN_KINDS];
} broker_t;

static int64_t now_ms(broker_t *b)
{
    return (int64_t)uv_now(b->uv);
}

/* A peer can send bad input as fast as it likes; the log gets one line a
 * WARN_EVERY_MS per kind, saying how many were left out, and the counters
 * get them all. */
static void warn_peer(broker_t *b, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn_peer(broker_t *b, int kind, const char *fmt, ...)
{
    int64_t now = now_ms(b);
    if (now < b->warn_next[kind]) {
        b->warn_quiet[kind]++;
        return;
    }
    b->warn_next[kind] = now + WARN_EVERY_MS;
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (b->warn_quiet[kind])
        gl_warn("%s (and %llu like it since the last such line)", line, (unsigned long long)b->warn_quiet[kind]);
    else
        gl_warn("%s", line);
    b->warn_quiet[kind] = 0;
}

/* ---- events and the view ---- */

static rev_t *rev_new(bus_event_t *ev)
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

/* Whether n should replace o as what the view shows of a case. A restarted
 * broker replays node after node, so arrival order means nothing, and a
 * time is only the sender's claim: the order is the case's version (its
 * holder bumps it on every change, and each copy of the case carries the
 * version it was given), then, within a version, a node's later log entry
 * over its earlier one, the holder's event over another node's, and an
 * ancestor's over a descendant's (a change travels down from where it was
 * made). Events without a case (links) are per node: sequence order. */
static bool supersedes(const bus_event_t *n, const bus_event_t *o)
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
        if (!supersedes(ev, e->rev->ev))
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

/* Remove the cancelled asks of f's queue, except one in flight at its head:
 * the node's chunks for it are still coming, and they belong to the head. */
static void feed_drop_cancelled(feed_t *f)
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

/* ---- replies to clients ---- */

static void outmsg_free(outmsg_t *m)
{
    free(m->buf);
    free(m);
}

static void client_destroy(void **item)
{
    client_t *c = *item;
    *item = NULL;
    if (!c)
        return;
    outmsg_t *m;
    while ((m = zlistx_detach(c->q, NULL)))
        outmsg_free(m);
    zlistx_destroy(&c->q);
    zframe_destroy(&c->rid);
    free(c->sub);
    free(c->user);
    free(c->key);
    free(c);
}

static client_t *client_find(broker_t *b, zframe_t *rid)
{
    char *key = zframe_strhex(rid);
    client_t *c = key ? zhashx_lookup(b->clients, key) : NULL;
    free(key);
    return c;
}

static void client_release(broker_t *b, client_t *c);
static void client_gone(broker_t *b, client_t *c);

/* The node whose subtree a ZAP user ID on bus_in may see: a node its own, a
 * monitor ("monitor:NAME") its scope or the whole district. NULL for anyone
 * else (ZAP admits no one else). */
static const char *grant_of(broker_t *b, const char *user)
{
    size_t n = strlen(GL_BUS_MONITOR_PREFIX);
    if (strncmp(user, GL_BUS_MONITOR_PREFIX, n) == 0)
        return gl_topology_monitor_scope(b->topo, gl_topology_find_monitor(b->topo, user + n));
    const gl_node_t *node = gl_topology_find(b->topo, user);
    return node ? node->id : NULL;
}

/* The client of connection rid (authenticated as user), made if new; NULL
 * only when out of memory. A routing ID taken over by another key means the
 * old connection is gone. */
static client_t *client_get(broker_t *b, zframe_t *rid, const char *user)
{
    client_t *c = client_find(b, rid);
    if (c && strcmp(c->user, user) == 0 && !c->gone)
        return c;
    if (c) {
        client_gone(b, c);
        client_release(b, c);
    }
    c = calloc(1, sizeof *c);
    if (!c || !(c->key = zframe_strhex(rid)) || !(c->rid = zframe_dup(rid)) || !(c->user = strdup(user)) ||
        !(c->q = zlistx_new())) {
        void *item = c;
        client_destroy(&item);
        return NULL;
    }
    c->id = ++b->next_client_id;
    c->grant = grant_of(b, user);
    zhashx_insert(b->clients, c->key, c);
    return c;
}

/* The client an ask is for, if it is still there. */
static client_t *ask_client(broker_t *b, const ask_t *a)
{
    client_t *c = a->client && !a->cancelled ? client_find(b, a->client) : NULL;
    return c && c->id == a->client_id && !c->gone ? c : NULL;
}

static void client_drop_queue(broker_t *b, client_t *c)
{
    outmsg_t *m;
    while ((m = zlistx_detach(c->q, NULL)))
        outmsg_free(m);
    b->out_bytes -= c->bytes;
    c->bytes = 0;
}

/* Done with c for now: forget it if nothing of it remains. */
static void client_release(broker_t *b, client_t *c)
{
    if (c && (c->gone || (zlistx_size(c->q) == 0 && c->asks == 0 && !c->sub))) {
        client_drop_queue(b, c);
        if (c->sub_handle)
            zlistx_delete(b->subs, c->sub_handle);
        zhashx_delete(b->clients, c->key); /* frees c */
    }
}

/* The connection went away (or was cut off): drop what it had coming. Its
 * replays waiting on node processes are cancelled, and c forgotten, by the
 * next ask tick. */
static void client_gone(broker_t *b, client_t *c)
{
    c->gone = true;
    client_drop_queue(b, c);
    b->sweep = true;
}

/* Send what c has queued, in order, until ZeroMQ holds CLIENT_PIPE_MSGS for
 * it. Returns true if some is left (the caller arms the flush timer). */
static bool client_flush(broker_t *b, client_t *c)
{
    void *s = zsock_resolve(gl_zsock_sock(b->in));
    outmsg_t *m;
    while (!c->gone && (m = zlistx_first(c->q))) {
        if (zmq_send(s, zframe_data(c->rid), zframe_size(c->rid), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            if (errno != EAGAIN)
                client_gone(b, c); /* EHOSTUNREACH: the client went away */
            break;
        }
        zmq_send(s, m->buf, m->len, ZMQ_DONTWAIT);
        zlistx_detach(c->q, NULL);
        c->bytes -= m->len;
        b->out_bytes -= m->len;
        outmsg_free(m);
    }
    gl_zsock_kick(b->in);
    return !c->gone && zlistx_size(c->q) > 0;
}

static void on_flush_timer(uv_timer_t *t);

/* c stopped reading: cut it off and refuse its key for CUTOFF_MS. */
static void client_cut_off(broker_t *b, client_t *c, size_t wanted)
{
    b->cutoffs++;
    warn_peer(b, WARN_CLIENT,
              "broker: %s has %zu bytes of replies unread and asked for %zu more: cut off, its replays "
              "cancelled, its requests refused for %d s",
              c->user, c->bytes, wanted, CUTOFF_MS / 1000);
    client_gone(b, c);
    int64_t *until = zhashx_lookup(b->cut_off, c->user);
    if (!until && (until = malloc(sizeof *until)))
        zhashx_insert(b->cut_off, c->user, until);
    if (until)
        *until = now_ms(b) + CUTOFF_MS;
#ifdef __GLIBC__
    /* The queue was freed in pieces; give the pages back now rather than
     * keep them for a peak that was an attack. */
    malloc_trim(0);
#endif
}

static bool user_cut_off(broker_t *b, const char *user)
{
    int64_t *until = zhashx_lookup(b->cut_off, user);
    if (until && now_ms(b) >= *until) {
        zhashx_delete(b->cut_off, user);
        until = NULL;
    }
    return until != NULL;
}

/* Queue buf (ownership passes) for c. Returns false if c is gone (cut off
 * now or before): the caller stops answering it. A reply past c's bound
 * cuts c off; a live event or mark (droppable) past CLIENT_LIVE_MAX_BYTES
 * is dropped instead, like a PUB at its high-water mark: the subscriber
 * sees the gap in the sequence and asks for a replay. */
static bool client_queue(broker_t *b, client_t *c, uint8_t *buf, size_t len, bool droppable)
{
    if (c->gone) {
        free(buf);
        return false;
    }
    if (droppable && (c->bytes + len > CLIENT_LIVE_MAX_BYTES || (c->bytes && b->out_bytes > OUTQ_MAX_BYTES))) {
        free(buf);
        b->live_dropped++;
        return true;
    }
    if (c->bytes + len > CLIENT_OUTQ_MAX_BYTES) {
        free(buf);
        client_cut_off(b, c, len);
        return false;
    }
    outmsg_t *m = malloc(sizeof *m);
    if (!m) {
        free(buf);
        return true;
    }
    m->buf = buf;
    m->len = len;
    zlistx_add_end(c->q, m);
    c->bytes += len;
    b->out_bytes += len;
    if (zlistx_size(c->q) == 1 && client_flush(b, c))
        uv_timer_start(&b->flush, on_flush_timer, FLUSH_RETRY_MS, 0);
    return !c->gone;
}

/* Queue one reply for c; false if c is gone. */
static bool client_send(broker_t *b, client_t *c, const Gridlink__V1__BusReply *rep)
{
    uint8_t *buf;
    size_t len;
    if (c->gone)
        return false;
    if (gl_pack(&rep->base, &buf, &len) != 0)
        return true;
    return client_queue(b, c, buf, len, false);
}

/* Queue a copy of buf for every subscriber under whose prefix node lies. */
static void subscribers_send(broker_t *b, const char *node, const uint8_t *buf, size_t len)
{
    for (client_t *c = zlistx_first(b->subs); c; c = zlistx_next(b->subs)) {
        if (c->gone || !gl_topology_in_subtree(c->sub, node))
            continue;
        uint8_t *copy = malloc(len ? len : 1);
        if (copy) {
            memcpy(copy, buf, len);
            client_queue(b, c, copy, len, true);
        }
    }
}

/* Events as one reply chunk after another, each of at most GL_BUS_CHUNK
 * events and about CLIENT_CHUNK_BYTES; the last carries end (and marks).
 * Returns false if c is gone. */
static bool client_send_events(broker_t *b, client_t *c, Gridlink__V1__BusReply *rep, bus_event_t **evs,
                               const size_t *sizes, size_t n)
{
    size_t first = 0, bytes = 0;
    bool end = rep->end;
    Gridlink__V1__NodeMark **marks = rep->marks;
    size_t n_marks = rep->n_marks;
    rep->end = false;
    rep->marks = NULL;
    rep->n_marks = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += sizes[i];
        if (i + 1 - first == GL_BUS_CHUNK || bytes >= CLIENT_CHUNK_BYTES) {
            rep->events = evs + first;
            rep->n_events = i + 1 - first;
            if (!client_send(b, c, rep))
                return false;
            first = i + 1;
            bytes = 0;
        }
    }
    if (!end && first == n)
        return true;
    rep->events = evs + first;
    rep->n_events = n - first;
    rep->end = end;
    rep->marks = marks;
    rep->n_marks = n_marks;
    return client_send(b, c, rep);
}

static void on_flush_timer(uv_timer_t *t)
{
    broker_t *b = t->data;
    zlistx_t *keys = zhashx_keys(b->clients);
    bool pending = false;
    for (char *k = zlistx_first(keys); k; k = zlistx_next(keys)) {
        client_t *c = zhashx_lookup(b->clients, k);
        if (!c)
            continue;
        if (client_flush(b, c))
            pending = true;
        client_release(b, c);
    }
    zlistx_destroy(&keys);
    if (pending)
        uv_timer_start(&b->flush, on_flush_timer, FLUSH_RETRY_MS, 0);
}

static void client_error(broker_t *b, client_t *c, const char *op, const char *node, int code, const char *why)
{
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = (char *)op;
    rep.node = (char *)(node ? node : "");
    rep.end = true;
    rep.code = code;
    rep.error = (char *)why;
    client_send(b, c, &rep);
}

/* A client ask leaves its feed's queue: tell the client how it ended (code
 * 0 and no text: the end of a replay whose events went out) and forget it. */
static void ask_finish(broker_t *b, feed_t *f, ask_t *a, int code, const char *why)
{
    client_t *c = ask_client(b, a);
    if (!c)
        return;
    client_error(b, c, "replay", f->node, code, why);
    if (c->asks)
        c->asks--;
    client_release(b, c);
}

/* ---- asking nodes for replays ---- */

/* Send the head of f's queue if it is not in flight. A request covers at
 * most REPAIR_SPAN events and at most ASKS_INFLIGHT_MAX are out at once, so
 * node processes never queue more than a few megabytes of replay for us;
 * the next span is asked when this one ends. */
static void ask_kick(broker_t *b, feed_t *f)
{
    if (f->head && f->head->client && !f->head->sent_ms && !ask_client(b, f->head)) {
        f->head->cancelled = true;
        feed_drop_cancelled(f);
    }
    int64_t now = now_ms(b);
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
    a->created_ms = now_ms(b);
    f->own_queued = true;
    ask_push(f, a);
    b->gaps++;
    b->missed += f->known - f->last;
    gl_log(f->overclaimed ? GL_LOG_DEBUG : GL_LOG_INFO,
           "broker: %s is at %llu in the view but logged %llu: asking for a replay", f->node,
           (unsigned long long)f->last, (unsigned long long)f->known);
    ask_kick(b, f);
}

/* An own repair round brought nothing into the view: ask again later, twice
 * as late each time (ASK_HOLD_MS up to REPAIR_HOLD_MAX_MS), until a round
 * brings something. */
static void repair_back_off(broker_t *b, feed_t *f)
{
    if (f->futile < 16)
        f->futile++;
    int64_t hold = (int64_t)ASK_HOLD_MS << (f->futile - 1);
    f->repair_hold_until = now_ms(b) + (hold < REPAIR_HOLD_MAX_MS ? hold : REPAIR_HOLD_MAX_MS);
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
    if (zlistx_size(b->subs) > 0) {
        Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
        rep.op = "live";
        rep.node = ev->node;
        rep.events = &ev;
        rep.n_events = 1;
        uint8_t *buf;
        size_t len;
        if (gl_pack(&rep.base, &buf, &len) == 0) {
            subscribers_send(b, ev->node, buf, len);
            free(buf);
        }
    }
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
    f->reset_ms = now_ms(b);
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
            ok = gl_topology_in_subtree(ev->node, origin);
        }
        if (!ok) {
            b->foreign++;
            warn_peer(b, WARN_FOREIGN,
                      "broker: %s may not hold case %s (it arose outside its subtree); event %llu from %s dropped",
                      ev->node, ev->case_id, (unsigned long long)ev->seq, user);
            return false;
        }
    }
    int64_t now = wall_ms();
    if (ev->time_ms > now + FUTURE_MAX_MS) {
        b->future++;
        warn_peer(b, WARN_FUTURE, "broker: event %llu of %s from %s is dated %lld s in the future; dropped",
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
        warn_peer(b, WARN_BAD, "broker: bad event from %s: %s", user, err);
        return;
    }
    if (!may_speak(b, user, ev->node)) {
        b->unauthorized++;
        warn_peer(b, WARN_UNAUTHORIZED, "broker: %s may not publish events of %s; dropped", user, ev->node);
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
    offer(b, f, ev, body);
}

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
        client_send_events(b, c, &out, sel, sizes, k);
    }
    free(sel);
    free(sizes);
}

static void take_replay(broker_t *b, zframe_t *rid, const char *user, Gridlink__V1__BusReply *rep)
{
    if (!rep->node[0] || !may_speak(b, user, rep->node)) {
        b->unauthorized++;
        warn_peer(b, WARN_UNAUTHORIZED, "broker: %s may not replay events of %s; dropped", user,
                  rep->node[0] ? rep->node : "(none)");
        return;
    }
    feed_t *f = feed_get(b, rep->node);
    if (!f)
        return;
    feed_set_rid(f, rid);
    ask_t *a = f->head;
    if (a && a->sent_ms && rep->n_events > 0 && rep->events[rep->n_events - 1]->seq > a->seen_to)
        a->seen_to = rep->events[rep->n_events - 1]->seq; /* in increasing order: the decoder checked */
    /* Checked like live events before anyone sees them. */
    size_t kept = 0;
    for (size_t i = 0; i < rep->n_events; i++) {
        if (event_believable(b, user, rep->events[i]))
            rep->events[kept++] = rep->events[i];
        else
            gridlink__v1__bus_event__free_unpacked(rep->events[i], NULL);
    }
    rep->n_events = kept;
    if (a && a->client)
        forward_to_client(b, f, a, rep);
    uint64_t before = f->last;
    for (size_t i = 0; i < rep->n_events; i++) {
        bus_event_t *ev = rep->events[i];
        rep->events[i] = NULL; /* ownership passes to offer */
        offer(b, f, ev, NULL);
    }
    if (a && f->last > before)
        a->applied += f->last - before;
    if (a && a->sent_ms)
        a->sent_ms = now_ms(b); /* progress: the timeout counts silence only */
    if (!rep->end)
        return;
    if (rep->code != 0) {
        gl_warn("broker: %s's process could not replay it: %s", f->node, rep->error);
        f->hold_until = now_ms(b) + ASK_HOLD_MS;
    }
    if (a && !a->client && a->sent_ms)
        repair_round_end(b, f, a, rep->code);
    if (a && ask_client(b, a) && rep->code == 0 && a->next_seq <= a->to && a->next_seq > a->round_from) {
        ask_settle(b, a); /* that span is done; ask_kick sends the next */
    } else if (a) {
        ask_pop(b, f);
        ask_finish(b, f, a, rep->code, rep->code ? rep->error : "");
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
            warn_peer(b, WARN_UNAUTHORIZED, "broker: %s may not mark %s; ignored", user, m->node);
            continue;
        }
        feed_t *f = feed_get(b, m->node);
        if (!f)
            continue;
        feed_set_rid(f, rid);
        if (m->seq < f->last) {
            /* A forged event ahead of the log makes the real mark look
             * short too: a node's feed is rebuilt at most so often. */
            if (f->reset_ms && now_ms(b) - f->reset_ms < FEED_RESET_MIN_MS)
                continue;
            feed_reset(b, f, m->seq);
        }
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
        warn_peer(b, WARN_BAD, "broker: bad reply from %s: %s", user, err);
        return;
    }
    if (strcmp(rep->op, "replay") == 0)
        take_replay(b, rid, user, rep);
    else if (strcmp(rep->op, "mark") == 0)
        take_marks(b, rid, user, rep);
    else {
        b->bad++;
        warn_peer(b, WARN_BAD, "broker: unknown reply '%s' from %s", rep->op, user);
    }
    gridlink__v1__bus_reply__free_unpacked(rep, NULL);
}

/* ---- what monitors ask ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void serve_snapshot(broker_t *b, client_t *c, const char *prefix)
{
    b->snapshots++;
    size_t n = zhashx_size(b->view), k = 0, total = 0;
    bus_event_t **evs = malloc((n ? n : 1) * sizeof *evs);
    size_t *sizes = malloc((n ? n : 1) * sizeof *sizes);
    if (!evs || !sizes) {
        free(evs);
        free(sizes);
        client_error(b, c, "snapshot", NULL, GL_ENOMEM, "broker out of memory");
        return;
    }
    for (view_entry_t *e = zlistx_first(b->lru); e; e = zlistx_next(b->lru)) {
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
        client_error(b, c, "snapshot", NULL, GL_EINVAL, why);
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
    client_send_events(b, c, &rep, evs, sizes, k);
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
        client_error(b, c, "replay", req->node, GL_ENOENT, "the broker has not heard of this node");
        return;
    }
    uint64_t to = req->to_seq && req->to_seq < f->last ? req->to_seq : f->last;
    uint64_t first = f->last - f->h_count + 1;
    if (req->from_seq > to || (f->h_count > 0 && req->from_seq >= first)) {
        /* From the window (or nothing to send yet: the view is behind and
         * the client asks again when a mark says so). One answer carries at
         * most CLIENT_REPLAY_MAX_BYTES; it ends short and the client asks
         * again from where it stopped. */
        size_t cap = req->from_seq <= to ? (size_t)(to - req->from_seq + 1) : 0;
        if (cap > f->h_count)
            cap = f->h_count;
        bus_event_t **evs = malloc((cap ? cap : 1) * sizeof *evs);
        size_t *sizes = malloc((cap ? cap : 1) * sizeof *sizes);
        if (!evs || !sizes) {
            free(evs);
            free(sizes);
            client_error(b, c, "replay", f->node, GL_ENOMEM, "broker out of memory");
            return;
        }
        size_t k = 0, total = 0;
        for (uint64_t s = req->from_seq; s <= to && total < CLIENT_REPLAY_MAX_BYTES; s++) {
            rev_t *r = window_get(f, s);
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
        client_send_events(b, c, &rep, evs, sizes, k);
        free(evs);
        free(sizes);
        return;
    }
    /* Older than the window: the node's own log has it. */
    if (f->n_client_asks >= FEED_CLIENT_ASKS_MAX) {
        client_error(b, c, "replay", f->node, GL_EAGAIN, "too many replays of this node waiting");
        return;
    }
    if (c->asks >= CLIENT_ASKS_MAX) {
        client_error(b, c, "replay", f->node, GL_EAGAIN, "too many of your replays are waiting on node processes");
        return;
    }
    ask_t *a = calloc(1, sizeof *a);
    if (!a || !(a->client = zframe_dup(c->rid))) {
        free(a);
        return;
    }
    a->client_id = c->id;
    a->next_seq = req->from_seq;
    a->to = to;
    a->created_ms = now_ms(b);
    f->n_client_asks++;
    c->asks++;
    gl_info("broker: %s %llu..%llu for %s is older than the window; asking the node", f->node,
            (unsigned long long)req->from_seq, (unsigned long long)to, c->user);
    ask_push(f, a);
    ask_kick(b, f);
}

/* A key cut off a moment ago is refused; its connection gets one error
 * while it reads (an empty queue), nothing while it does not. */
static void refuse_cut_off(broker_t *b, zframe_t *rid, const char *user)
{
    b->refused++;
    client_t *c = client_find(b, rid);
    if (c && !c->gone && zlistx_size(c->q) > 0)
        return;
    if (!(c = client_get(b, rid, user)))
        return;
    char why[160];
    snprintf(why, sizeof why, "cut off: this key left %u MiB of replies unread; its requests are refused for a while",
             CLIENT_OUTQ_MAX_BYTES >> 20);
    client_error(b, c, "error", NULL, GL_EAGAIN, why);
    client_release(b, c);
}

static void serve_subscribe(broker_t *b, client_t *c, const char *prefix)
{
    char *sub = strdup(prefix);
    if (!sub || (!c->sub_handle && !(c->sub_handle = zlistx_add_end(b->subs, c)))) {
        free(sub);
        client_error(b, c, "subscribe", prefix, GL_ENOMEM, "broker out of memory");
        return;
    }
    free(c->sub);
    c->sub = sub;
    gl_info("broker: %s subscribed to %s", c->user, prefix);
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "subscribe";
    rep.node = sub;
    rep.end = true;
    client_send(b, c, &rep);
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
    warn_peer(b, WARN_UNAUTHORIZED, "broker: %s asked for a %s of %s, outside what it may see (%s); refused", c->user,
              req->op, what ? what : "(nothing)", c->grant ? c->grant : "nothing");
    char why[GL_NODE_ID_MAX * 2 + 80];
    snprintf(why, sizeof why, "%s is outside what this key may see (%s)", what ? what : "(nothing)",
             c->grant ? c->grant : "nothing");
    client_error(b, c, req->op, by_node ? req->node : NULL, GL_EPERM, why);
    return NULL;
}

static void take_request(broker_t *b, zframe_t *rid, const char *user, zframe_t *body)
{
    if (user_cut_off(b, user)) {
        refuse_cut_off(b, rid, user);
        return;
    }
    client_t *c = client_get(b, rid, user);
    if (!c)
        return;
    char err[256];
    Gridlink__V1__BusRequest *req;
    if (gl_decode_bus_request(zframe_data(body), zframe_size(body), &req, err, sizeof err) != 0) {
        b->bad++;
        warn_peer(b, WARN_BAD, "broker: bad request from %s: %s", user, err);
        client_error(b, c, "error", NULL, GL_EPROTO, err);
    } else {
        const char *what = in_scope(b, c, req);
        if (!what)
            ; /* refused */
        else if (b->out_bytes > OUTQ_MAX_BYTES)
            client_error(b, c, req->op, req->node, GL_EAGAIN, "broker busy: too many replies waiting");
        else if (strcmp(req->op, "snapshot") == 0)
            serve_snapshot(b, c, what);
        else if (strcmp(req->op, "subscribe") == 0)
            serve_subscribe(b, c, what);
        else
            serve_replay(b, c, req);
        gridlink__v1__bus_request__free_unpacked(req, NULL);
    }
    client_release(b, c);
}

static void take(broker_t *b, zmsg_t *msg)
{
    zframe_t *rid = zmsg_first(msg);
    zframe_t *first = zmsg_next(msg);
    zframe_t *second = zmsg_next(msg);
    size_t frames = zmsg_size(msg);
    if (!rid || !first || frames < 2 || frames > 3) {
        b->bad++;
        warn_peer(b, WARN_BAD, "broker: malformed bus message (%zu frames)", frames);
        return;
    }
    const char *user = gl_frame_user(first);
    if (!user) {
        b->unauthorized++;
        warn_peer(b, WARN_UNAUTHORIZED, "broker: message from an unauthenticated connection dropped");
        return;
    }
    if (frames == 2) {
        take_request(b, rid, user, first);
        return;
    }
    /* Node feed: only topology nodes publish, and only their own subtree. */
    if (!gl_topology_find(b->topo, user)) {
        b->unauthorized++;
        warn_peer(b, WARN_UNAUTHORIZED, "broker: %s is not a node and may not publish", user);
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

/* Forget the clients that went away (or were cut off) since the last tick.
 * They stay in the table until now because whoever noticed may still have
 * held them. */
static void release_gone(broker_t *b)
{
    size_t n = 0, cap = zhashx_size(b->clients);
    client_t **gone = cap ? malloc(cap * sizeof *gone) : NULL;
    for (client_t *c = zhashx_first(b->clients); c && gone; c = zhashx_next(b->clients))
        if (c->gone)
            gone[n++] = c;
    for (size_t i = 0; i < n; i++)
        client_release(b, gone[i]);
    free(gone);
}

static void on_asks(uv_timer_t *t)
{
    broker_t *b = t->data;
    int64_t now = now_ms(b);
    bool sweep = b->sweep; /* clients went away: cancel their asks */
    b->sweep = false;
    for (feed_t *f = zhashx_first(b->feeds); f; f = zhashx_next(b->feeds)) {
        bool orphans = false;
        for (ask_t *a = f->head; sweep && a; a = a->next) {
            if (a->client && !a->cancelled && !ask_client(b, a))
                a->cancelled = orphans = true;
        }
        if (orphans)
            feed_drop_cancelled(f);
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
        ask_kick(b, f);
    }
    if (sweep)
        release_gone(b);
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
    /* Each subscriber over bus_in gets the marks under its prefix. */
    Gridlink__V1__NodeMark **sel = zlistx_size(b->subs) && mp ? calloc(k ? k : 1, sizeof *sel) : NULL;
    client_t *c = zlistx_first(b->subs);
    while (c) {
        client_t *next = zlistx_next(b->subs);
        if (c->gone) {
            client_release(b, c); /* leaves b->subs */
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
                client_queue(b, c, buf, len, true);
        }
        c = next;
    }
    free(sel);
    free(marks);
    free(mp);
}

static void on_hugz(uv_timer_t *t)
{
    broker_t *b = t->data;
    const struct {
        const char *name;
        uint64_t value;
    } counters[] = {
        {"events", b->events},
        {"gaps", b->gaps},
        {"missed", b->missed},
        {"duplicates", b->duplicates},
        {"bad", b->bad},
        {"unauthorized", b->unauthorized},
        {"feeds", zhashx_size(b->feeds)},
        {"replayed", b->replayed},
        {"deferred", b->deferred},
        {"asks", b->asks_sent},
        {"snapshots", b->snapshots},
        {"client_replays", b->client_replays},
        {"cases", zhashx_size(b->view)},
        {"retained", b->o_count},
        {"evicted", b->evicted},
        {"cutoffs", b->cutoffs},
        {"refused", b->refused},
        {"clients", zhashx_size(b->clients)},
        {"queued", b->out_bytes},
        {"foreign", b->foreign},
        {"future", b->future},
        {"overclaims", b->overclaims},
        {"out_of_scope", b->out_of_scope},
        {"subscribers", zlistx_size(b->subs)},
        {"live_dropped", b->live_dropped},
    };
    char stats[1280];
    size_t len = 0;
    for (size_t i = 0; i < sizeof counters / sizeof counters[0] && len < sizeof stats; i++)
        len += (size_t)snprintf(stats + len, sizeof stats - len, "%s\"%s\":%llu", i ? "," : "{", counters[i].name,
                                (unsigned long long)counters[i].value);
    if (len < sizeof stats)
        len += (size_t)snprintf(stats + len, sizeof stats - len, "}");
    if (len < sizeof stats)
        publish(b, "hugz", stats, len);
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
    /* What goes out here is replay requests to node processes (a few at a
     * time) and replies to clients, which wait in their own bounded queue:
     * ZeroMQ need hold little for any peer. */
    zsock_set_sndhwm(in, CLIENT_PIPE_MSGS);
    zsock_set_maxmsgsize(in, (int)GL_BUS_MAX_REPLY + 4096);
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
        /* bus_out is a PUB, which cannot filter per subscriber: only keys
         * that may see the whole district get on it. */
        if (n == &b->topo->nodes[b->topo->root])
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
        if (strcmp(gl_topology_monitor_scope(b->topo, m), b->topo->nodes[b->topo->root].id) == 0)
            gl_zap_allow(b->zap, "bus-out", m->public_key, m->name);
    }
}

static void free_item(void **item)
{
    free(*item);
    *item = NULL;
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
    b->subs = zlistx_new();
    b->cut_off = zhashx_new();
    zhashx_set_destructor(b->cut_off, free_item);
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
    zlistx_destroy(&b->subs); /* before the clients it points to */
    zhashx_destroy(&b->clients);
    zhashx_destroy(&b->cut_off);
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
