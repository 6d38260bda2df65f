/* engine_net.c: see engine_net.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "deadletter.h"
#include "engine_net.h"
#include "error.h"

typedef struct frame {
    uint8_t *buf;
    size_t len;
} frame;

typedef struct queue {
    frame *f;
    size_t n, cap;
} queue;

/* Where a link's frames go: from node `from` to its parent (child < 0) or to
 * its child number `child`. */
struct edge {
    struct net *net;
    size_t from;
    int child;
};

struct node {
    const gl_node_t *topo;
    gl_store_t *store;
    gl_engine_t *engine;
    int parent;          /* index in net->nodes, -1 at the district */
    size_t at_parent;    /* this node's child number at its parent */
    gl_link_t *uplink;   /* NULL at the district */
    gl_link_t **down;    /* one per topology child */
    bool up_was_up;      /* the parent's liveness the engine was last told */
    bool *down_was_up;   /* likewise per child */
    struct edge up_edge; /* send contexts */
    struct edge *down_edges;
    queue to_parent;
    queue *to_child;
    bool cut; /* the link to the parent loses every frame */
};

struct net {
    gl_topology_t *topo;
    char dir[64];
    struct node *nodes;
    size_t n;
    gl_token next_token;
};

/* ---- frames ---- */

static void q_push(queue *q, const uint8_t *buf, size_t len)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->f = realloc(q->f, q->cap * sizeof *q->f);
        assert_non_null(q->f);
    }
    q->f[q->n].buf = malloc(len ? len : 1);
    assert_non_null(q->f[q->n].buf);
    memcpy(q->f[q->n].buf, buf, len);
    q->f[q->n++].len = len;
}

static void q_clear(queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->f[i].buf);
    q->n = 0;
}

static void q_free(queue *q)
{
    q_clear(q);
    free(q->f);
    q->f = NULL;
    q->cap = 0;
}

/* Take the queue's frames out of it (the frames are the caller's). */
static queue q_take(queue *q)
{
    queue t = *q;
    memset(q, 0, sizeof *q);
    return t;
}

static int net_send(void *ctx, const char *peer, const uint8_t *buf, size_t len)
{
    (void)peer;
    struct edge *e = ctx;
    struct node *x = &e->net->nodes[e->from];
    if (e->child < 0) {
        if (!x->cut)
            q_push(&x->to_parent, buf, len);
    } else if (!e->net->nodes[x->topo->children[e->child]].cut) {
        q_push(&x->to_child[e->child], buf, len);
    }
    return 0; /* a cut link takes the frame and loses it */
}

/* ---- making the district ---- */

static struct node *node_of(net_t *n, const char *id)
{
    int i = gl_topology_index_of(n->topo, id);
    if (i < 0)
        fail_msg("no node %s in the topology", id);
    return &n->nodes[i];
}

net_t *net_new(const char *json)
{
    net_t *n = calloc(1, sizeof *n);
    assert_non_null(n);
    char err[512] = "";
    if (gl_topology_load_buffer(json, strlen(json), &n->topo, err, sizeof err) != 0)
        fail_msg("topology: %s", err);
    strcpy(n->dir, "/tmp/gl-test-engine-XXXXXX");
    assert_non_null(mkdtemp(n->dir));
    n->n = n->topo->n_nodes;
    n->nodes = calloc(n->n, sizeof *n->nodes);
    assert_non_null(n->nodes);
    for (size_t i = 0; i < n->n; i++) {
        struct node *x = &n->nodes[i];
        x->topo = &n->topo->nodes[i];
        x->parent = x->topo->parent;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", n->dir, x->topo->id);
        assert_int_equal(gl_store_open(path, x->topo->id, NULL, &x->store), 0);
    }
    for (size_t i = 0; i < n->n; i++) {
        struct node *x = &n->nodes[i];
        gl_link_cfg cfg = {.self = x->topo->id, .window = 64, .rto_ms = 500};
        size_t nc = x->topo->n_children;
        x->down = calloc(nc + 1, sizeof *x->down);
        x->down_was_up = calloc(nc + 1, sizeof *x->down_was_up);
        x->down_edges = calloc(nc + 1, sizeof *x->down_edges);
        x->to_child = calloc(nc + 1, sizeof *x->to_child);
        assert_true(x->down && x->down_was_up && x->down_edges && x->to_child);
        for (size_t k = 0; k < nc; k++) {
            struct node *c = &n->nodes[x->topo->children[k]];
            c->at_parent = k;
            x->down_edges[k] = (struct edge){n, i, (int)k};
            cfg.peer = c->topo->id;
            cfg.to_parent = false;
            assert_int_equal(gl_link_new(x->store, &cfg, net_send, &x->down_edges[k], &x->down[k]), 0);
        }
        if (x->parent >= 0) {
            x->up_edge = (struct edge){n, i, -1};
            cfg.peer = n->nodes[x->parent].topo->id;
            cfg.to_parent = true;
            assert_int_equal(gl_link_new(x->store, &cfg, net_send, &x->up_edge, &x->uplink), 0);
        }
        gl_engine_cfg ecfg = {
            .topo = n->topo, .node = x->topo->id, .store = x->store, .uplink = x->uplink, .child_links = x->down};
        assert_int_equal(gl_engine_new(&ecfg, &x->engine), 0);
    }
    return n;
}

void net_free(net_t **pn)
{
    net_t *n = *pn;
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        struct node *x = &n->nodes[i];
        gl_engine_free(&x->engine);
        for (size_t k = 0; k < x->topo->n_children; k++) {
            gl_link_free(&x->down[k]);
            q_free(&x->to_child[k]);
        }
        if (x->uplink)
            gl_link_free(&x->uplink);
        q_free(&x->to_parent);
        free(x->down);
        free(x->down_was_up);
        free(x->down_edges);
        free(x->to_child);
        gl_store_close(&x->store);
    }
    free(n->nodes);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", n->dir);
    assert_int_equal(system(cmd), 0);
    gl_topology_free(&n->topo);
    free(n);
    *pn = NULL;
}

const gl_topology_t *net_topology(const net_t *n)
{
    return n->topo;
}

gl_store_t *net_store(net_t *n, const char *node)
{
    return node_of(n, node)->store;
}

gl_engine_t *net_engine(net_t *n, const char *node)
{
    return node_of(n, node)->engine;
}

gl_link_t *net_link(net_t *n, const char *node, const char *peer)
{
    struct node *x = node_of(n, node);
    if (x->parent >= 0 && strcmp(n->nodes[x->parent].topo->id, peer) == 0)
        return x->uplink;
    for (size_t k = 0; k < x->topo->n_children; k++)
        if (strcmp(n->nodes[x->topo->children[k]].topo->id, peer) == 0)
            return x->down[k];
    fail_msg("%s is not a neighbour of %s", peer, node);
    return NULL;
}

/* ---- batches, in the host's order ---- */

static void links_save(struct node *x, MDB_txn *txn)
{
    if (x->uplink)
        assert_int_equal(gl_link_save(x->uplink, txn), 0);
    for (size_t k = 0; k < x->topo->n_children; k++)
        assert_int_equal(gl_link_save(x->down[k], txn), 0);
}

static void links_commit(struct node *x)
{
    if (x->uplink)
        gl_link_commit(x->uplink);
    for (size_t k = 0; k < x->topo->n_children; k++)
        gl_link_commit(x->down[k]);
}

static void links_flush(struct node *x, int64_t now)
{
    if (x->uplink)
        gl_link_flush(x->uplink, now);
    for (size_t k = 0; k < x->topo->n_children; k++)
        gl_link_flush(x->down[k], now);
}

static MDB_txn *batch_begin(struct node *x)
{
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(x->store, NULL, true, &txn), 0);
    return txn;
}

/* Commit, then the links, then the effects (the reply to tok is decoded
 * into *reply), then flush. */
static void batch_end(struct node *x, MDB_txn *txn, gl_token tok, Gridlink__V1__CtlReply **reply, int64_t now)
{
    links_save(x, txn);
    assert_int_equal(gl_store_commit(txn), 0);
    links_commit(x);
    size_t n_fx;
    const gl_effect *fx = gl_engine_fx(x->engine, &n_fx);
    for (size_t i = 0; i < n_fx; i++) {
        if (fx[i].kind != GL_FX_REPLY || !reply || fx[i].token != tok)
            continue;
        char err[256];
        assert_null(*reply);
        if (gl_decode_ctl_reply(fx[i].buf, fx[i].len, reply, err, sizeof err) != 0)
            fail_msg("reply from %s does not decode: %s", x->topo->id, err);
    }
    gl_engine_fx_clear(x->engine);
    links_flush(x, now);
}

/* One delivery pass at node x: everything in flight towards it. */
static int deliver(net_t *n, struct node *x, int64_t now)
{
    size_t nc = x->topo->n_children;
    queue from_parent = {0};
    if (x->parent >= 0)
        from_parent = q_take(&n->nodes[x->parent].to_child[x->at_parent]);
    queue *from_child = calloc(nc + 1, sizeof *from_child);
    assert_non_null(from_child);
    size_t total = from_parent.n;
    for (size_t k = 0; k < nc; k++) {
        from_child[k] = q_take(&n->nodes[x->topo->children[k]].to_parent);
        total += from_child[k].n;
    }
    if (total) {
        MDB_txn *txn = batch_begin(x);
        for (size_t i = 0; i < from_parent.n; i++)
            if (!x->cut)
                assert_int_equal(gl_engine_frame(x->engine, txn, -1, from_parent.f[i].buf, from_parent.f[i].len, now),
                                 0);
        for (size_t k = 0; k < nc; k++) {
            bool cut = n->nodes[x->topo->children[k]].cut;
            for (size_t i = 0; i < from_child[k].n; i++)
                if (!cut)
                    assert_int_equal(
                        gl_engine_frame(x->engine, txn, (int)k, from_child[k].f[i].buf, from_child[k].f[i].len, now),
                        0);
        }
        batch_end(x, txn, 0, NULL, now);
    }
    q_free(&from_parent);
    for (size_t k = 0; k < nc; k++)
        q_free(&from_child[k]);
    free(from_child);
    return (int)total;
}

int net_settle(net_t *n, int64_t now)
{
    int total = 0;
    for (int round = 0; round < 1000; round++) {
        int moved = 0;
        for (size_t i = 0; i < n->n; i++)
            moved += deliver(n, &n->nodes[i], now);
        if (!moved)
            return total;
        total += moved;
    }
    fail_msg("the district does not settle: frames keep flowing");
    return total;
}

void net_start(net_t *n, int64_t now)
{
    for (size_t i = 0; i < n->n; i++)
        if (n->nodes[i].uplink) {
            gl_link_connected(n->nodes[i].uplink, now);
            gl_link_flush(n->nodes[i].uplink, now);
        }
    net_settle(n, now);
    for (size_t i = 0; i < n->n; i++) {
        struct node *x = &n->nodes[i];
        if (x->uplink)
            net_tick(n, x->topo->id, n->nodes[x->parent].topo->id, now);
        for (size_t k = 0; k < x->topo->n_children; k++)
            net_tick(n, x->topo->id, n->nodes[x->topo->children[k]].topo->id, now);
    }
    net_settle(n, now);
}

Gridlink__V1__CtlReply *net_call(net_t *n, const char *node, const Gridlink__V1__CtlRequest *req, int64_t now)
{
    return net_call_as(n, node, GL_ROLE_OPERATOR, req, now);
}

Gridlink__V1__CtlReply *net_call_as(net_t *n, const char *node, unsigned role, const Gridlink__V1__CtlRequest *req,
                                    int64_t now)
{
    struct node *x = node_of(n, node);
    gl_caller who = {.role = role, .user = role == GL_ROLE_RESIDENT ? "public" : "tester"};
    gl_token tok = ++n->next_token;
    Gridlink__V1__CtlReply *reply = NULL;
    const gl_engine_op *op = gl_engine_op_find(req->op);
    if (op && !op->writes) {
        MDB_txn *txn;
        assert_int_equal(gl_store_begin(x->store, NULL, false, &txn), 0);
        assert_int_equal(gl_engine_call(x->engine, txn, &who, req, tok, now), 0);
        gl_store_abort(txn);
        size_t n_fx;
        const gl_effect *fx = gl_engine_fx(x->engine, &n_fx);
        char err[256];
        for (size_t i = 0; i < n_fx; i++)
            if (fx[i].kind == GL_FX_REPLY && fx[i].token == tok)
                assert_int_equal(gl_decode_ctl_reply(fx[i].buf, fx[i].len, &reply, err, sizeof err), 0);
        gl_engine_fx_clear(x->engine);
    } else {
        MDB_txn *txn = batch_begin(x);
        assert_int_equal(gl_engine_call(x->engine, txn, &who, req, tok, now), 0);
        batch_end(x, txn, tok, &reply, now);
    }
    if (!reply)
        fail_msg("%s at %s: no reply", req->op, node);
    return reply;
}

Gridlink__V1__CtlReply *net_act(net_t *n, const char *node, const char *case_id, const char *action, int64_t now)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    bool rate = strcmp(action, "rate") == 0;
    req.op = rate ? "rate" : "act";
    req.action = rate ? "" : (char *)action;
    req.case_id = (char *)case_id;
    req.resolved = true;
    req.satisfied = true;
    return net_call(n, node, &req, now);
}

void net_fire(net_t *n, const char *node, int64_t now)
{
    struct node *x = node_of(n, node);
    MDB_txn *txn = batch_begin(x);
    bool more = true;
    assert_int_equal(gl_engine_fire(x->engine, txn, now, 1000, &more), 0);
    assert_false(more);
    batch_end(x, txn, 0, NULL, now);
}

/* ---- links ---- */

void net_cut(net_t *n, const char *node, bool cut)
{
    node_of(n, node)->cut = cut;
}

bool net_tick(net_t *n, const char *node, const char *peer, int64_t now)
{
    struct node *x = node_of(n, node);
    gl_link_t *l = net_link(n, node, peer);
    bool *was = &x->up_was_up;
    for (size_t k = 0; k < x->topo->n_children; k++)
        if (x->down[k] == l)
            was = &x->down_was_up[k];
    gl_link_tick(l, now);
    bool up = gl_link_up(l);
    if (up != *was) {
        *was = up;
        MDB_txn *txn = batch_begin(x);
        assert_int_equal(gl_engine_link_changed(x->engine, txn, peer, up, now), 0);
        batch_end(x, txn, 0, NULL, now);
    }
    return up;
}

void net_reconnect(net_t *n, const char *node, int64_t now)
{
    struct node *x = node_of(n, node);
    assert_non_null(x->uplink);
    gl_link_connected(x->uplink, now);
    gl_link_flush(x->uplink, now);
}

/* ---- looking ---- */

Gridlink__V1__Case *net_case(net_t *n, const char *node, const char *case_id)
{
    struct node *x = node_of(n, node);
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(x->store, NULL, false, &txn), 0);
    Gridlink__V1__Case *c = NULL;
    int rc = gl_store_case_get(txn, x->store, case_id, &c);
    gl_store_abort(txn);
    if (rc == GL_ENOENT)
        return NULL;
    assert_int_equal(rc, 0);
    return c;
}

uint64_t net_case_count(net_t *n, const char *node)
{
    struct node *x = node_of(n, node);
    MDB_txn *txn;
    uint64_t count = 0;
    assert_int_equal(gl_store_begin(x->store, NULL, false, &txn), 0);
    assert_int_equal(gl_store_case_count(txn, x->store, &count), 0);
    gl_store_abort(txn);
    return count;
}

void net_put_case(net_t *n, const char *node, const Gridlink__V1__Case *c)
{
    struct node *x = node_of(n, node);
    MDB_txn *txn = batch_begin(x);
    assert_int_equal(gl_store_case_put(txn, x->store, c), 0);
    if (strcmp(c->holder, node) == 0) {
        if (c->accept_due_ms)
            assert_int_equal(gl_store_deadline_put(txn, x->store, c->accept_due_ms, GL_DEADLINE_ACCEPT, c->id), 0);
        if (c->resolve_due_ms)
            assert_int_equal(gl_store_deadline_put(txn, x->store, c->resolve_due_ms, GL_DEADLINE_RESOLVE, c->id), 0);
    }
    assert_int_equal(gl_store_commit(txn), 0);
}

int64_t net_next_due(net_t *n, const char *node)
{
    struct node *x = node_of(n, node);
    MDB_txn *txn;
    int64_t due = 0;
    assert_int_equal(gl_store_begin(x->store, NULL, false, &txn), 0);
    int rc = gl_engine_next_due(x->engine, txn, &due);
    gl_store_abort(txn);
    if (rc == GL_ENOENT)
        return 0;
    assert_int_equal(rc, 0);
    return due;
}

int net_events(net_t *n, const char *node, const char *kind, const char *case_id)
{
    struct node *x = node_of(n, node);
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(x->store, NULL, false, &txn), 0);
    uint64_t last = 0;
    assert_int_equal(gl_store_log_last(txn, x->store, &last), 0);
    int count = 0;
    for (uint64_t s = 1; s <= last; s++) {
        Gridlink__V1__BusEvent *ev;
        assert_int_equal(gl_store_log_get(txn, x->store, s, &ev), 0);
        count += (!kind || strcmp(ev->kind, kind) == 0) && (!case_id || strcmp(ev->case_id, case_id) == 0);
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
    }
    gl_store_abort(txn);
    return count;
}

int net_history(const Gridlink__V1__Case *c, const char *action, const char *node)
{
    int count = 0;
    for (size_t i = 0; i < c->n_history; i++)
        count += strcmp(c->history[i]->action, action) == 0 && (!node || strcmp(c->history[i]->node, node) == 0);
    return count;
}

static void assert_link_quiet(const struct node *x, gl_link_t *l)
{
    const gl_link_stats *st = gl_link_get_stats(l);
    if (gl_link_pending(l) != 0 || st->refused_in != 0 || st->dead_lettered != 0)
        fail_msg("link %s->%s: %llu unacknowledged, %llu refused here, %llu dead-lettered", x->topo->id,
                 gl_link_peer(l), (unsigned long long)gl_link_pending(l), (unsigned long long)st->refused_in,
                 (unsigned long long)st->dead_lettered);
}

void net_assert_quiet(net_t *n)
{
    for (size_t i = 0; i < n->n; i++) {
        struct node *x = &n->nodes[i];
        assert_int_equal(x->to_parent.n, 0);
        for (size_t k = 0; k < x->topo->n_children; k++) {
            assert_int_equal(x->to_child[k].n, 0);
            assert_link_quiet(x, x->down[k]);
        }
        if (x->uplink)
            assert_link_quiet(x, x->uplink);
        MDB_txn *txn;
        uint64_t out = 0, dead = 0;
        assert_int_equal(gl_store_begin(x->store, NULL, false, &txn), 0);
        assert_int_equal(gl_store_outbox_count(txn, x->store, NULL, &out), 0);
        assert_int_equal(gl_dead_count(txn, x->store, &dead), 0);
        gl_store_abort(txn);
        if (out || dead)
            fail_msg("node %s: %llu messages in its outbox, %llu dead letters", x->topo->id, (unsigned long long)out,
                     (unsigned long long)dead);
    }
}
