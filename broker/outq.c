/* outq.c: see outq.h. */
#include "outq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "codec.h"
#include "core.h"
#include "log.h"

#define FLUSH_RETRY_MS 20

typedef struct outmsg {
    uint8_t *buf;
    size_t len;
} outmsg_t;

static void outmsg_free(outmsg_t *m)
{
    free(m->buf);
    free(m);
}

void outq_client_destroy(void **item)
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

client_t *outq_find(broker_t *b, zframe_t *rid)
{
    char *key = zframe_strhex(rid);
    client_t *c = key ? zhashx_lookup(b->clients, key) : NULL;
    free(key);
    return c;
}

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

/* A routing ID taken over by another key means the old connection is gone. */
client_t *outq_get(broker_t *b, zframe_t *rid, const char *user)
{
    client_t *c = outq_find(b, rid);
    if (c && strcmp(c->user, user) == 0 && !c->gone)
        return c;
    if (c) {
        outq_gone(b, c);
        outq_release(b, c);
    }
    c = calloc(1, sizeof *c);
    if (!c || !(c->key = zframe_strhex(rid)) || !(c->rid = zframe_dup(rid)) || !(c->user = strdup(user)) ||
        !(c->q = zlistx_new())) {
        void *item = c;
        outq_client_destroy(&item);
        return NULL;
    }
    c->id = ++b->next_client_id;
    c->grant = grant_of(b, user);
    zhashx_insert(b->clients, c->key, c);
    return c;
}

static void drop_queue(broker_t *b, client_t *c)
{
    outmsg_t *m;
    while ((m = zlistx_detach(c->q, NULL)))
        outmsg_free(m);
    b->out_bytes -= c->bytes;
    c->bytes = 0;
}

void outq_release(broker_t *b, client_t *c)
{
    if (c && (c->gone || (zlistx_size(c->q) == 0 && c->asks == 0 && !c->sub))) {
        drop_queue(b, c);
        if (c->sub_handle)
            zlistx_delete(b->subs, c->sub_handle);
        zhashx_delete(b->clients, c->key); /* frees c */
    }
}

/* Its replays waiting on node processes are cancelled, and c forgotten, by
 * the next ask tick. */
void outq_gone(broker_t *b, client_t *c)
{
    c->gone = true;
    drop_queue(b, c);
    b->sweep = true;
}

/* They stay in the table until now because whoever noticed may still have
 * held them. */
void outq_release_gone(broker_t *b)
{
    size_t n = 0, cap = zhashx_size(b->clients);
    client_t **gone = cap ? malloc(cap * sizeof *gone) : NULL;
    for (client_t *c = zhashx_first(b->clients); c && gone; c = zhashx_next(b->clients))
        if (c->gone)
            gone[n++] = c;
    for (size_t i = 0; i < n; i++)
        outq_release(b, gone[i]);
    free(gone);
}

/* Send what c has queued, in order, until ZeroMQ holds CLIENT_PIPE_MSGS for
 * it. Returns true if some is left (the caller arms the flush timer). */
static bool flush(broker_t *b, client_t *c)
{
    void *s = zsock_resolve(gl_zsock_sock(b->in));
    outmsg_t *m;
    while (!c->gone && (m = zlistx_first(c->q))) {
        if (zmq_send(s, zframe_data(c->rid), zframe_size(c->rid), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            if (errno != EAGAIN)
                outq_gone(b, c); /* EHOSTUNREACH: the client went away */
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

static void on_flush_timer(uv_timer_t *t)
{
    broker_t *b = t->data;
    zlistx_t *keys = zhashx_keys(b->clients);
    bool pending = false;
    for (char *k = zlistx_first(keys); k; k = zlistx_next(keys)) {
        client_t *c = zhashx_lookup(b->clients, k);
        if (!c)
            continue;
        if (flush(b, c))
            pending = true;
        outq_release(b, c);
    }
    zlistx_destroy(&keys);
    if (pending)
        uv_timer_start(&b->flush, on_flush_timer, FLUSH_RETRY_MS, 0);
}

/* c stopped reading: cut it off and refuse its key for CUTOFF_MS. */
static void cut_off(broker_t *b, client_t *c, size_t wanted)
{
    b->cutoffs++;
    core_warn_peer(b, WARN_CLIENT,
                   "broker: %s has %zu bytes of replies unread and asked for %zu more: cut off, its replays "
                   "cancelled, its requests refused for %d s",
                   c->user, c->bytes, wanted, CUTOFF_MS / 1000);
    outq_gone(b, c);
    int64_t *until = zhashx_lookup(b->cut_off, c->user);
    if (!until && (until = malloc(sizeof *until)))
        zhashx_insert(b->cut_off, c->user, until);
    if (until)
        *until = core_now_ms(b) + CUTOFF_MS;
#ifdef __GLIBC__
    /* The queue was freed in pieces; give the pages back now rather than
     * keep them for a peak that was an attack. */
    malloc_trim(0);
#endif
}

bool outq_user_cut_off(broker_t *b, const char *user)
{
    int64_t *until = zhashx_lookup(b->cut_off, user);
    if (until && core_now_ms(b) >= *until) {
        zhashx_delete(b->cut_off, user);
        until = NULL;
    }
    return until != NULL;
}

/* Returns false if c is gone (cut off now or before): the caller stops
 * answering it. A reply past c's bound cuts c off; a live event or mark
 * (droppable) past CLIENT_LIVE_MAX_BYTES is dropped instead, like a PUB at
 * its high-water mark: the subscriber sees the gap in the sequence and asks
 * for a replay. */
bool outq_queue(broker_t *b, client_t *c, uint8_t *buf, size_t len, bool droppable)
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
        cut_off(b, c, len);
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
    if (zlistx_size(c->q) == 1 && flush(b, c))
        uv_timer_start(&b->flush, on_flush_timer, FLUSH_RETRY_MS, 0);
    return !c->gone;
}

bool outq_send(broker_t *b, client_t *c, const Gridlink__V1__BusReply *rep)
{
    uint8_t *buf;
    size_t len;
    if (c->gone)
        return false;
    if (gl_pack(&rep->base, &buf, &len) != 0)
        return true;
    return outq_queue(b, c, buf, len, false);
}

void outq_send_live(broker_t *b, const char *node, const uint8_t *buf, size_t len)
{
    for (client_t *c = zlistx_first(b->subs); c; c = zlistx_next(b->subs)) {
        if (c->gone || !gl_topology_in_subtree(c->sub, node))
            continue;
        uint8_t *copy = malloc(len ? len : 1);
        if (copy) {
            memcpy(copy, buf, len);
            outq_queue(b, c, copy, len, true);
        }
    }
}

/* Events as one reply chunk after another, each of at most GL_BUS_CHUNK
 * events and about CLIENT_CHUNK_BYTES; the last carries end (and marks). */
bool outq_send_events(broker_t *b, client_t *c, Gridlink__V1__BusReply *rep, bus_event_t **evs, const size_t *sizes,
                      size_t n)
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
            if (!outq_send(b, c, rep))
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
    return outq_send(b, c, rep);
}

void outq_error(broker_t *b, client_t *c, const char *op, const char *node, int code, const char *why)
{
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = (char *)op;
    rep.node = (char *)(node ? node : "");
    rep.end = true;
    rep.code = code;
    rep.error = (char *)why;
    outq_send(b, c, &rep);
}

/* ---- the PUB ---- */

void outq_publish(broker_t *b, const char *topic, const void *buf, size_t len)
{
    /* PUB drops at a subscriber's high-water mark; the subscriber sees the
     * gap and asks for a replay. */
    zmq_send(zsock_resolve(b->out), topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(zsock_resolve(b->out), buf, len, ZMQ_DONTWAIT);
}

void outq_publish_event(broker_t *b, const bus_event_t *ev, zframe_t *raw)
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
    outq_publish(b, t, raw ? zframe_data(raw) : buf, len);
    free(buf);
}
