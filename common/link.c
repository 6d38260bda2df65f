/* link.c: see link.h. */
#include "link.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "log.h"

struct gl_link {
    char *self, *peer;
    gl_link_cfg cfg;
    gl_store_t *store;
    gl_link_send_fn *send;
    void *ctx;
    gl_peer_marks m;    /* committed */
    gl_peer_marks w;    /* working, inside the open batch */
    gl_peer_marks save; /* before the current input */
    uint64_t sent;      /* highest sequence sent on this connection */
    int64_t last_recv_ms, last_send_ms, last_progress_ms;
    bool need_ack, need_welcome, need_hello, need_pump;
    bool welcomed; /* child side: the parent answered our Hello */
    bool up;
    gl_link_stats st;
};

int gl_link_new(gl_store_t *store, const gl_link_cfg *cfg, gl_link_send_fn *send, void *ctx, gl_link_t **out)
{
    if (!store || !cfg || !cfg->self || !cfg->peer || !send || !out)
        return GL_EINVAL;
    gl_link_t *l = calloc(1, sizeof *l);
    if (!l)
        return GL_ENOMEM;
    l->self = strdup(cfg->self);
    l->peer = strdup(cfg->peer);
    l->cfg = *cfg;
    l->cfg.self = l->self;
    l->cfg.peer = l->peer;
    if (!l->cfg.window)
        l->cfg.window = 1024;
    if (!l->cfg.rto_ms)
        l->cfg.rto_ms = 2000;
    if (!l->cfg.heartbeat_ms)
        l->cfg.heartbeat_ms = 1000;
    if (!l->cfg.liveness)
        l->cfg.liveness = 3;
    l->store = store;
    l->send = send;
    l->ctx = ctx;
    MDB_txn *txn;
    int rc = gl_store_begin(store, NULL, false, &txn);
    if (rc == 0) {
        rc = gl_store_peer_get(txn, store, l->peer, &l->m);
        gl_store_abort(txn);
    }
    if (rc != 0) {
        gl_link_free(&l);
        return rc;
    }
    l->w = l->save = l->m;
    l->sent = l->m.out_acked;
    l->need_hello = cfg->to_parent;
    l->need_pump = true;
    *out = l;
    return GL_OK;
}

void gl_link_free(gl_link_t **pl)
{
    if (!pl || !*pl)
        return;
    free((*pl)->self);
    free((*pl)->peer);
    free(*pl);
    *pl = NULL;
}

const char *gl_link_peer(const gl_link_t *l)
{
    return l->peer;
}

int gl_link_enqueue(gl_link_t *l, MDB_txn *txn, Gridlink__V1__Envelope *env)
{
    env->version = GL_PROTO_VERSION;
    env->sender = l->self;
    env->seq = l->w.out_next;
    env->ack = 0;
    uint8_t *buf;
    size_t len;
    int rc = gl_pack(&env->base, &buf, &len);
    if (rc != 0)
        return rc;
    rc = gl_store_outbox_put(txn, l->store, l->peer, env->seq, buf, len);
    free(buf);
    if (rc != 0)
        return rc;
    l->w.out_next++;
    rc = gl_store_peer_put(txn, l->store, l->peer, &l->w);
    if (rc != 0)
        return rc;
    l->need_pump = true;
    return GL_OK;
}

static int take_ack(gl_link_t *l, MDB_txn *txn, uint64_t ack, int64_t now)
{
    if (ack <= l->w.out_acked)
        return GL_OK;
    if (ack >= l->w.out_next) {
        /* The peer claims more than was ever sent: its store and ours
         * disagree. Count it and keep our outbox. */
        l->st.bad_acks++;
        gl_warn("link %s->%s: ack %llu beyond last sent %llu, ignored", l->self, l->peer, (unsigned long long)ack,
                (unsigned long long)(l->w.out_next - 1));
        return GL_OK;
    }
    int rc = gl_store_outbox_trim(txn, l->store, l->peer, ack, NULL);
    if (rc != 0)
        return rc;
    l->w.out_acked = ack;
    rc = gl_store_peer_put(txn, l->store, l->peer, &l->w);
    if (rc != 0)
        return rc;
    l->st.acks_in++;
    l->last_progress_ms = now;
    l->need_pump = true;
    return GL_OK;
}

int gl_link_receive(gl_link_t *l, MDB_txn *txn, const Gridlink__V1__Envelope *env, int64_t now_ms)
{
    l->last_recv_ms = now_ms;
    l->up = true;
    int rc = take_ack(l, txn, env->ack, now_ms);
    if (rc != 0)
        return rc;
    switch (env->body_case) {
    case GRIDLINK__V1__ENVELOPE__BODY_HELLO:
        /* The child (re)connected: resend everything it has not applied. */
        rc = take_ack(l, txn, env->hello->applied, now_ms);
        if (rc != 0)
            return rc;
        l->sent = l->w.out_acked;
        l->need_welcome = true;
        l->need_pump = true;
        return GL_LINK_HANDLED;
    case GRIDLINK__V1__ENVELOPE__BODY_WELCOME:
        rc = take_ack(l, txn, env->welcome->applied, now_ms);
        if (rc != 0)
            return rc;
        l->sent = l->w.out_acked;
        l->welcomed = true;
        l->need_pump = true;
        return GL_LINK_HANDLED;
    case GRIDLINK__V1__ENVELOPE__BODY_TRANSFER:
    case GRIDLINK__V1__ENVELOPE__BODY_STATUS:
        if (env->seq == l->w.in_applied + 1)
            return GL_LINK_APPLY;
        if (env->seq <= l->w.in_applied)
            l->st.duplicates++;
        else
            l->st.gaps++;
        l->need_ack = true;
        return GL_LINK_HANDLED;
    default: return GL_LINK_HANDLED;
    }
}

int gl_link_applied(gl_link_t *l, MDB_txn *txn, uint64_t seq)
{
    l->w.in_applied = seq;
    l->st.applied++;
    l->need_ack = true;
    return gl_store_peer_put(txn, l->store, l->peer, &l->w);
}

void gl_link_mark(gl_link_t *l)
{
    l->save = l->w;
}
void gl_link_unwind(gl_link_t *l)
{
    l->w = l->save;
}
void gl_link_commit(gl_link_t *l)
{
    l->m = l->save = l->w;
}
void gl_link_abort(gl_link_t *l)
{
    l->w = l->save = l->m;
}

static int send_env(gl_link_t *l, Gridlink__V1__Envelope *env, int64_t now)
{
    env->version = GL_PROTO_VERSION;
    env->sender = l->self;
    env->ack = l->m.in_applied;
    env->sent_ms = now;
    uint8_t buf[512];
    size_t n = gridlink__v1__envelope__get_packed_size(env);
    if (n > sizeof buf)
        return GL_EINVAL;
    gridlink__v1__envelope__pack(env, buf);
    int rc = l->send(l->ctx, l->peer, buf, n);
    if (rc == 0)
        l->last_send_ms = now;
    return rc;
}

struct pump_ctx {
    gl_link_t *l;
    int rc;
};

static int pump_one(uint64_t seq, const void *data, size_t len, void *arg)
{
    struct pump_ctx *pc = arg;
    gl_link_t *l = pc->l;
    if (seq != l->sent + 1)
        return 1; /* trimmed concurrently or a hole: stop, the resend timer recovers */
    int rc = l->send(l->ctx, l->peer, data, len);
    if (rc != 0) {
        pc->rc = rc;
        return 1;
    }
    l->sent = seq;
    l->st.sent++;
    return 0;
}

static void pump(gl_link_t *l, int64_t now)
{
    uint64_t last = l->m.out_next - 1;
    uint64_t limit = l->m.out_acked + l->cfg.window;
    if (l->sent < l->m.out_acked)
        l->sent = l->m.out_acked;
    if (last > limit)
        last = limit;
    if (l->sent >= last)
        return;
    if (l->sent == l->m.out_acked)
        l->last_progress_ms = now;
    MDB_txn *txn;
    if (gl_store_begin(l->store, NULL, false, &txn) != 0)
        return;
    struct pump_ctx pc = {l, 0};
    gl_store_outbox_scan(txn, l->store, l->peer, l->sent + 1, (size_t)(last - l->sent), pump_one, &pc);
    gl_store_abort(txn);
    l->last_send_ms = now;
}

void gl_link_flush(gl_link_t *l, int64_t now_ms)
{
    if (l->need_hello) {
        Gridlink__V1__Hello h = GRIDLINK__V1__HELLO__INIT;
        h.node = l->self;
        h.proto_version = GL_PROTO_VERSION;
        h.applied = l->m.in_applied;
        h.heartbeat_ms = l->cfg.heartbeat_ms;
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        e.body_case = GRIDLINK__V1__ENVELOPE__BODY_HELLO;
        e.hello = &h;
        if (send_env(l, &e, now_ms) == 0)
            l->need_hello = false;
    }
    if (l->need_welcome) {
        Gridlink__V1__Welcome w = GRIDLINK__V1__WELCOME__INIT;
        w.node = l->self;
        w.applied = l->m.in_applied;
        w.heartbeat_ms = l->cfg.heartbeat_ms;
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        e.body_case = GRIDLINK__V1__ENVELOPE__BODY_WELCOME;
        e.welcome = &w;
        if (send_env(l, &e, now_ms) == 0) {
            l->need_welcome = false;
            l->need_ack = false;
        }
    }
    if (l->need_ack) {
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        if (send_env(l, &e, now_ms) == 0)
            l->need_ack = false;
    }
    if (l->need_pump) {
        l->need_pump = false;
        pump(l, now_ms);
    }
}

void gl_link_connected(gl_link_t *l, int64_t now_ms)
{
    l->sent = l->m.out_acked;
    l->welcomed = false;
    l->need_hello = l->cfg.to_parent;
    l->need_pump = true;
    l->last_recv_ms = now_ms; /* give the new connection a full liveness period */
}

bool gl_link_tick(gl_link_t *l, int64_t now_ms)
{
    bool went_down = false;
    if (l->up && now_ms - l->last_recv_ms > (int64_t)l->cfg.heartbeat_ms * l->cfg.liveness) {
        l->up = false;
        went_down = true;
        gl_warn("link %s->%s: peer silent for %lld ms, marked down", l->self, l->peer,
                (long long)(now_ms - l->last_recv_ms));
    }
    /* A child keeps saying Hello until its parent answers. */
    if (l->cfg.to_parent && !l->welcomed)
        l->need_hello = true;
    if (l->sent > l->m.out_acked && now_ms - l->last_progress_ms > (int64_t)l->cfg.rto_ms) {
        l->st.resent += l->sent - l->m.out_acked;
        l->sent = l->m.out_acked;
        l->last_progress_ms = now_ms;
        l->need_pump = true;
    } else if (l->sent < l->m.out_next - 1) {
        l->need_pump = true; /* the transport refused earlier: try again */
    }
    if (now_ms - l->last_send_ms >= (int64_t)l->cfg.heartbeat_ms && !l->need_hello) {
        Gridlink__V1__Heartbeat hb = GRIDLINK__V1__HEARTBEAT__INIT;
        hb.time_ms = now_ms;
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        e.body_case = GRIDLINK__V1__ENVELOPE__BODY_HEARTBEAT;
        e.heartbeat = &hb;
        send_env(l, &e, now_ms);
    }
    gl_link_flush(l, now_ms);
    return went_down;
}

bool gl_link_up(const gl_link_t *l)
{
    return l->up;
}
uint64_t gl_link_pending(const gl_link_t *l)
{
    return l->m.out_next - 1 - l->m.out_acked;
}
const gl_link_stats *gl_link_get_stats(const gl_link_t *l)
{
    return &l->st;
}
const gl_peer_marks *gl_link_marks(const gl_link_t *l)
{
    return &l->m;
}
