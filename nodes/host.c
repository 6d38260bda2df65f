/* host.c: one node process, the transport around the engines. It owns the
 * libuv loop, the ZAP handler, the control socket, the bus link to the
 * broker and, for every node it hosts, the sockets and links; every frame
 * and control request goes to its node's batch (batch.c), a read is answered
 * at once from committed state.
 * Authentication happens here, before any case logic: a frame on a parent's
 * ROUTER must carry the ZAP user ID of the child its routing ID names. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "codec.h"
#include "error.h"
#include "host.h"
#include "host_int.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "feed.h"
#include "open311.h"
#include "public.h"

/* ---- store options and stale-reader check ---- */

#define READER_CHECK_MS 60000

static size_t store_map_size; /* initial LMDB map for new stores; 0 = store default */
static uv_timer_t reader_timer;

void host_set_map_size(size_t bytes)
{
    store_map_size = bytes;
}

/* A process killed with -9 while it held a read transaction (an inspector
 * such as mdb_stat, or a crashed node) leaves its reader slot behind, which
 * pins old pages so the file only grows. gl_store_open clears them once; this
 * clears them again every minute (lmdb.h: "Check for stale readers
 * periodically, using the mdb_reader_check function"). */
static void on_reader_check(uv_timer_t *t)
{
    host_t *h = t->data;
    for (size_t i = 0; i < h->n_nodes; i++) {
        int dead = gl_store_reader_check(h->nodes[i]->store);
        if (dead > 0)
            gl_info("node %s: cleared %d stale reader slot(s)", h->nodes[i]->id, dead);
        else if (dead < 0)
            gl_warn("node %s: reader check failed: %s", h->nodes[i]->id, gl_strerror(dead));
    }
}

/* ---- transports ---- */

static int send_up(void *ctx, const char *peer, const uint8_t *buf, size_t len)
{
    node_t *n = ctx;
    (void)peer;
    if (!n->up)
        return GL_EAGAIN;
    zframe_t *f = zframe_new(buf, len);
    int rc = zframe_send(&f, gl_zsock_sock(n->up), ZFRAME_DONTWAIT);
    if (rc != 0) {
        zframe_destroy(&f);
        return GL_EAGAIN;
    }
    return 0;
}

static int send_down(void *ctx, const char *peer, const uint8_t *buf, size_t len)
{
    node_t *n = ctx;
    struct child *c = NULL;
    for (size_t i = 0; i < n->n_children && !c; i++)
        if (strcmp(n->children[i].topo->id, peer) == 0)
            c = &n->children[i];
    if (!c || !c->rid)
        return GL_EDOWN; /* not heard from since this process started */
    void *s = zsock_resolve(gl_zsock_sock(n->down));
    /* With ROUTER_MANDATORY an unroutable peer fails on the first frame,
     * before anything is queued. */
    if (zmq_send(s, zframe_data(c->rid), zframe_size(c->rid), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return errno == EHOSTUNREACH ? GL_EDOWN : GL_EAGAIN;
    if (zmq_send(s, buf, len, ZMQ_DONTWAIT) < 0)
        return GL_EAGAIN;
    return 0;
}

static void on_up_readable(gl_zsock_t *zs, zmsg_t *msg, void *arg)
{
    node_t *n = arg;
    zframe_t *body = zmsg_first(msg);
    if (zmsg_size(msg) != 1 || !body) {
        n->bad_messages++;
        gl_warn("node %s: malformed message from parent (%zu frames)", n->id, zmsg_size(msg));
    } else {
        batch_input(n, IN_PARENT, -1, NULL, body);
    }
    if (n->in_bytes >= BATCH_MAX_BYTES)
        gl_zsock_yield(zs);
}

static void on_down_readable(gl_zsock_t *zs, zmsg_t *msg, void *arg)
{
    node_t *n = arg;
    zframe_t *rid = zmsg_first(msg);
    zframe_t *body = zmsg_next(msg);
    if (zmsg_size(msg) != 2 || !rid || !body) {
        n->bad_messages++;
        gl_warn("node %s: malformed message from a child (%zu frames)", n->id, zmsg_size(msg));
        return;
    }
    /* The ZAP handler admitted this connection under the user ID of one
     * of our children; that, not anything the peer says, is who it is. */
    const char *user = gl_frame_user(body);
    int child = -1;
    for (size_t i = 0; user && i < n->n_children; i++)
        if (strcmp(n->children[i].topo->id, user) == 0)
            child = (int)i;
    if (child < 0) {
        n->refused++;
        gl_warn("node %s: message from an unauthenticated connection refused", n->id);
    } else {
        struct child *c = &n->children[child];
        if (batch_input(n, IN_CHILD, child, NULL, body) == 0 && (!c->rid || !zframe_eq(c->rid, rid))) {
            zframe_destroy(&c->rid);
            c->rid = zframe_dup(rid);
        }
    }
    if (n->in_bytes >= BATCH_MAX_BYTES)
        gl_zsock_yield(zs);
}

static node_t *host_find_node(host_t *h, const char *id)
{
    return zhashx_lookup(h->by_id, id);
}

void host_share_counts(node_t *n)
{
    gl_engine_counts *k = gl_engine_counters(n->engine);
    k->unauthorized = gl_zap_denied_count(n->host->zap, n->id);
    k->handshake_failed = gl_sockmon_failed(n->down_mon);
    k->transport_malformed = n->bad_messages;
    k->transport_refused = n->refused;
    k->archive_errors = n->archive_errors;
    if (n->host->http) {
        gl_http_counts c = gl_http_counters(n->host->http);
        k->http_requests = c.requests;
        k->http_refused = c.refused + c.errors;
        k->http_cut = c.cut_slow + c.per_address;
        k->open311_refused = gl_open311_refused();
        k->public_refused = gl_resident_refused() + gl_feed_refused();
    }
}

/* A read: answered at once from committed state, outside the batch. */
static void read_now(node_t *n, zframe_t *rid, const Gridlink__V1__CtlRequest *req, zsock_t *sock)
{
    MDB_txn *txn;
    int rc = gl_store_begin(n->store, NULL, false, &txn);
    if (rc != 0) {
        ctl_send_error(sock, rid, rc, gl_strerror(rc));
        return;
    }
    host_share_counts(n);
    /* Effects of a read are only its reply: take it out past the batch's. */
    size_t mark = gl_engine_fx_mark(n->engine);
    rc = gl_engine_call(n->engine, txn, &host_operator, req, TOKEN_NOW, host_now(n->host));
    gl_store_abort(txn);
    size_t n_fx;
    const gl_effect *fx = gl_engine_fx(n->engine, &n_fx);
    for (size_t i = mark; i < n_fx; i++)
        if (fx[i].kind == GL_FX_REPLY)
            ctl_send(sock, rid, fx[i].buf, fx[i].len);
    gl_engine_fx_unwind(n->engine, mark);
    if (rc != 0)
        ctl_send_error(sock, rid, rc, gl_strerror(rc));
}

static void on_ctl_readable(gl_zsock_t *zs, zmsg_t *msg, void *arg)
{
    host_t *h = arg;
    zsock_t *sock = gl_zsock_sock(zs);
    zframe_t *rid = zmsg_first(msg);
    zframe_t *body = zmsg_next(msg);
    char err[256] = "malformed request";
    Gridlink__V1__CtlRequest *req = NULL;
    int rc = (zmsg_size(msg) == 2 && body)
                 ? gl_decode_ctl_request(zframe_data(body), zframe_size(body), &req, err, sizeof err)
                 : GL_EPROTO;
    node_t *n = req ? host_find_node(h, req->node) : NULL;
    if (rc == 0 && !n) {
        rc = GL_ENOENT;
        snprintf(err, sizeof err, "node %s is not hosted by this process", req->node);
    }
    if (rc == 0 && strcmp(req->op, "prune") == 0) {
        /* Retention now (gridlink archive prune): the process's, not the engine's. */
        if (rid)
            prune_ctl(n, sock, rid);
        gridlink__v1__ctl_request__free_unpacked(req, NULL);
        gl_zsock_kick(zs);
        return;
    }
    const gl_engine_op *op = rc == 0 ? gl_engine_op_find(req->op) : NULL;
    if (rc == 0 && !op) {
        rc = GL_EINVAL;
        snprintf(err, sizeof err, "unknown operation '%s'", req->op);
    }
    if (rc != 0) {
        if (rid)
            ctl_send_error(sock, rid, rc, err);
    } else if (op->writes) {
        batch_input(n, IN_CTL, -1, rid, body);
    } else {
        read_now(n, rid, req, sock);
    }
    if (req)
        gridlink__v1__ctl_request__free_unpacked(req, NULL);
    gl_zsock_kick(zs);
}

/* ---- uplink socket (re)creation ---- */

static int open_uplink(node_t *n)
{
    host_t *h = n->host;
    if (!n->parent->endpoint || !n->parent->public_key) {
        gl_error("node %s: parent %s has no endpoint or key in the topology", n->id, n->parent->id);
        return GL_EINVAL;
    }
    zsock_t *s = gl_sock_new(ZMQ_DEALER, GL_MAX_FRAME);
    if (!s)
        return GL_EIO;
    zsock_set_immediate(s, 1);
    zsock_set_sndhwm(s, (int)h->window * 2 + 64);
    zsock_set_heartbeat_ivl(s, 2000);
    zsock_set_heartbeat_timeout(s, 6000);
    zsock_set_reconnect_ivl(s, 200);
    zsock_set_reconnect_ivl_max(s, 5000);
    gl_curve_client(s, n->cert, n->parent->public_key);
    if (zsock_connect(s, "%s", n->parent->endpoint) != 0) {
        gl_error("node %s: cannot connect to %s", n->id, n->parent->endpoint);
        zsock_destroy(&s);
        return GL_EIO;
    }
    int rc = gl_loop_add(h->loop, s, on_up_readable, n, &n->up);
    if (rc != 0) {
        zsock_destroy(&s);
        return rc;
    }
    gl_link_connected(n->uplink, host_now(h));
    return GL_OK;
}

static int open_downlink(node_t *n)
{
    host_t *h = n->host;
    zsock_t *s = gl_sock_new(ZMQ_ROUTER, GL_MAX_FRAME);
    if (!s)
        return GL_EIO;
    zsock_set_router_mandatory(s, 1);
    zsock_set_sndhwm(s, (int)h->window * 2 + 64);
    zsock_set_rcvhwm(s, (int)h->window * 4 + 64);
    zsock_set_heartbeat_ivl(s, 2000);
    zsock_set_heartbeat_timeout(s, 6000);
    gl_curve_server(s, n->cert, n->id);
    char name[GL_NODE_ID_MAX + 8];
    snprintf(name, sizeof name, "node %s", n->id);
    if (gl_sockmon_new(h->loop, s, name, &n->down_mon) != 0) {
        zsock_destroy(&s);
        return GL_EIO;
    }
    if (zsock_bind(s, "%s", n->topo->endpoint) < 0) {
        int e = zmq_errno();
        gl_error("node %s: cannot bind %s: %s%s", n->id, n->topo->endpoint, zmq_strerror(e),
                 e == EADDRINUSE ? " (another program has the port: a port base outside the kernel's ephemeral range, "
                                   "net.ipv4.ip_local_port_range, keeps outgoing connections off it)"
                                 : "");
        zsock_destroy(&s);
        return e == EADDRINUSE ? GL_EADDRINUSE : GL_EIO;
    }
    int rc = gl_loop_add(h->loop, s, on_down_readable, n, &n->down);
    if (rc != 0)
        zsock_destroy(&s);
    return rc;
}

/* ---- liveness ---- */

/* Engine work outside an input (a link's change, waiting escalations): in a
 * nested transaction of the batch, so a failure takes only its own writes,
 * effects and link messages back. */
static void engine_work(node_t *n, const char *peer, int up)
{
    MDB_txn *txn = batch_txn(n);
    if (!txn)
        return;
    MDB_txn *sub;
    if (gl_store_begin(n->store, txn, true, &sub) != 0)
        return;
    size_t mark = gl_engine_fx_mark(n->engine);
    batch_links_each(n, gl_link_mark);
    int64_t now = host_now(n->host);
    int rc = peer ? gl_engine_link_changed(n->engine, sub, peer, up, now) : gl_engine_tick(n->engine, sub, now);
    if (rc == 0) {
        gl_store_commit(sub);
    } else {
        gl_store_abort(sub);
        gl_engine_fx_unwind(n->engine, mark);
        batch_links_each(n, gl_link_unwind);
        if (rc == GL_EMAPFULL)
            n->map_full = true;
    }
}

static void on_tick(uv_timer_t *t)
{
    host_t *h = t->data;
    int64_t now = host_now(h);
    for (size_t k = 0; k < h->n_nodes; k++) {
        node_t *n = h->nodes[k];
        if (n->uplink) {
            if (!n->up && now >= n->up_retry_at)
                open_uplink(n);
            bool down = gl_link_tick(n->uplink, now);
            if (down && n->up) {
                /* A silent parent: start over with a fresh socket, backing off. */
                gl_loop_remove(&n->up);
                n->up_backoff_ms = n->up_backoff_ms ? n->up_backoff_ms * 2 : 500;
                if (n->up_backoff_ms > 16000)
                    n->up_backoff_ms = 16000;
                n->up_retry_at = now + n->up_backoff_ms;
            }
            bool up = gl_link_up(n->uplink);
            if (up)
                n->up_backoff_ms = 0;
            if (up != n->uplink_was_up) {
                n->uplink_was_up = up;
                engine_work(n, n->parent->id, up);
            } else if (gl_engine_wants_tick(n->engine)) {
                /* Escalations still waiting (their first try met a full
                 * map, or a restart found them): they climb now. */
                engine_work(n, NULL, 0);
            }
            gl_zsock_kick(n->up);
        }
        for (size_t i = 0; i < n->n_children; i++) {
            struct child *c = &n->children[i];
            gl_link_tick(c->link, now);
            bool up = gl_link_up(c->link);
            if (up != c->was_up) {
                c->was_up = up;
                engine_work(n, c->topo->id, up);
            }
        }
        gl_zsock_kick(n->down);
    }
}

/* ---- setup and teardown ---- */

static void on_signal(uv_signal_t *s, int signum)
{
    host_t *h = s->data;
    gl_info("signal %d: stopping", signum);
    h->stopping = true;
    uv_stop(h->uv);
}

/* A node of the topology whose key changed (index k; old is its retired
 * key): every hosted parent of it admits the new key and refuses the old
 * one, every hosted child of it connects again with the new server key. */
static void take_new_key(host_t *h, size_t k, const char *old)
{
    const gl_node_t *who = &h->topo->nodes[k];
    for (size_t i = 0; i < h->n_nodes; i++) {
        node_t *n = h->nodes[i];
        for (size_t c = 0; c < n->n_children; c++) {
            if (n->children[c].topo != who)
                continue;
            if (old)
                gl_zap_revoke(h->zap, n->id, old);
            gl_zap_allow(h->zap, n->id, who->public_key, who->id);
            gl_info("SIGHUP: node %s has a new key: %s admits it, its old key is refused", who->id, n->id);
        }
        if (n->parent == who && n->uplink) {
            gl_loop_remove(&n->up);
            n->up_backoff_ms = 0;
            n->up_retry_at = 0;
            if (open_uplink(n) != 0)
                gl_warn("SIGHUP: node %s: cannot connect to %s again; retrying", n->id, who->id);
            else
                gl_info("SIGHUP: node %s has a new key: %s connects to it again with that key", who->id, n->id);
        }
    }
}

/* SIGHUP (systemctl reload): HOME/topology.json again, taken in place when
 * its shape is the one the process runs (gl_topology_adopt_keys): time
 * limits, categories, community tasks, the calendar, names, areas and
 * addresses change for what comes next, and no link is touched but those
 * to a node whose key changed (`gridlink keys rotate`): a parent here
 * admits its new key and refuses the old, a child here connects to it
 * again. A new shape (nodes, endpoints, the broker's key), or a new key of
 * a node this process runs, needs a restart and changes nothing. */
static void on_sighup(uv_signal_t *s, int signum)
{
    host_t *h = s->data;
    (void)signum;
    gl_topology_t *fresh = NULL;
    char err[512];
    if (gl_home_topology(h->home, &fresh, err, sizeof err) != 0) {
        gl_warn("SIGHUP: %s/topology.json not taken, going on with the topology as it was: %s", h->home, err);
        return;
    }
    for (size_t i = 0; i < h->n_nodes; i++) {
        const gl_node_t *mine = gl_topology_find(fresh, h->nodes[i]->id);
        const char *now_key = h->nodes[i]->topo->public_key, *new_key = mine ? mine->public_key : NULL;
        if (mine && now_key && new_key && strcmp(now_key, new_key) != 0) {
            gl_warn("SIGHUP: %s/topology.json not taken: node %s, which this process runs, has a new key: restart "
                    "the process to take it",
                    h->home, h->nodes[i]->id);
            gl_topology_free(&fresh);
            return;
        }
    }
    size_t *changed = calloc(h->topo->n_nodes ? h->topo->n_nodes : 1, sizeof *changed), n_changed = 0;
    if (!changed) {
        gl_warn("SIGHUP: out of memory, topology not reloaded");
        gl_topology_free(&fresh);
        return;
    }
    if (gl_topology_adopt_keys(h->topo, fresh, false, changed, &n_changed, err, sizeof err) != 0) {
        gl_warn("SIGHUP: %s/topology.json not taken (%s): nodes, endpoints and the broker's key change on a restart "
                "only",
                h->home, err);
    } else {
        for (size_t i = 0; i < n_changed; i++)
            take_new_key(h, changed[i], fresh->nodes[changed[i]].public_key);
        gl_info("SIGHUP: topology reloaded from %s/topology.json: time limits, categories, community tasks, calendar, "
                "names, areas and addresses; %zu new node key(s); other links kept",
                h->home, n_changed);
    }
    free(changed);
    gl_topology_free(&fresh);
}

static int node_open(host_t *h, const char *id, node_t **out)
{
    const gl_node_t *topo = gl_topology_find(h->topo, id);
    if (!topo) {
        gl_error("node %s is not in the topology", id);
        return GL_ENOENT;
    }
    node_t *n = calloc(1, sizeof *n);
    if (!n)
        return GL_ENOMEM;
    n->host = h;
    metrics_node_init(n);
    n->topo = topo;
    n->id = topo->id;
    n->parent = gl_topology_parent(h->topo, topo);
    char dir[PATH_MAX];
    gl_home_path(dir, sizeof dir, h->home, "data/%s", id);
    gl_mkdir_p(dir);
    gl_store_opts sopts = {.map_size = store_map_size};
    int rc = gl_store_open(dir, id, &sopts, &n->store);
    if (rc != 0) {
        gl_error("node %s: cannot open its store in %s: %s", id, dir, gl_strerror(rc));
        free(n);
        return rc;
    }
    rc = gl_keys_load(h->home, id, &n->cert);
    if (rc != 0) {
        gl_error("node %s: no keypair in %s/keys (run `gridlink keygen`)", id, h->home);
        gl_store_close(&n->store);
        free(n);
        return rc;
    }
    gl_link_cfg cfg = {.self = id, .window = h->window};
    if (topo->n_children) {
        n->children = calloc(topo->n_children, sizeof *n->children);
        n->n_children = topo->n_children;
        for (size_t i = 0; i < topo->n_children && rc == 0; i++) {
            const gl_node_t *c = &h->topo->nodes[topo->children[i]];
            n->children[i].topo = c;
            cfg.peer = c->id;
            cfg.to_parent = false;
            rc = gl_link_new(n->store, &cfg, send_down, n, &n->children[i].link);
            if (rc == 0 && c->public_key)
                rc = gl_zap_allow(h->zap, id, c->public_key, c->id);
        }
        if (rc == 0)
            rc = open_downlink(n);
    }
    if (rc == 0 && n->parent) {
        cfg.peer = n->parent->id;
        cfg.to_parent = true;
        rc = gl_link_new(n->store, &cfg, send_up, n, &n->uplink);
        if (rc == 0)
            rc = open_uplink(n);
    }
    if (rc == 0) {
        gl_link_t **links = calloc(n->n_children + 1, sizeof *links);
        for (size_t i = 0; links && i < n->n_children; i++)
            links[i] = n->children[i].link;
        gl_engine_cfg ecfg = {
            .topo = h->topo, .node = id, .store = n->store, .uplink = n->uplink, .child_links = links};
        rc = links ? gl_engine_new(&ecfg, &n->engine) : GL_ENOMEM;
        free(links);
    }
    if (rc == 0)
        deadlines_init(n);
    *out = n;
    return rc;
}

static void node_free(node_t *n)
{
    if (!n)
        return;
    if (n->txn)
        gl_store_abort(n->txn);
    gl_link_free(&n->uplink);
    for (size_t i = 0; i < n->n_children; i++) {
        gl_link_free(&n->children[i].link);
        zframe_destroy(&n->children[i].rid);
    }
    free(n->children);
    batch_free_inputs(n);
    free(n->in);
    gl_engine_free(&n->engine);
    zcert_destroy(&n->cert);
    gl_store_close(&n->store);
    free(n);
}

/* A process killed with SIGKILL leaves its control socket file behind. */
static void remove_stale_sockets(const char *run)
{
    DIR *d = opendir(run);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid;
        char tail[16];
        if (sscanf(e->d_name, "proc-%d.%15s", &pid, tail) != 2 || strcmp(tail, "sock") != 0)
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", run, e->d_name) < (int)sizeof path)
            unlink(path);
    }
    closedir(d);
}

static int open_ctl(host_t *h)
{
    char run[PATH_MAX];
    gl_home_path(run, sizeof run, h->home, "run");
    gl_mkdir_p(run);
    remove_stale_sockets(run);
    gl_home_path(h->ctl_path, sizeof h->ctl_path, h->home, "run/proc-%d.sock", (int)getpid());
    if (strlen(h->ctl_path) > 100) {
        gl_error("control socket path %s is too long for a unix socket; use a shorter home", h->ctl_path);
        return GL_EINVAL;
    }
    unlink(h->ctl_path);
    zsock_t *s = gl_sock_new(ZMQ_ROUTER, GL_MAX_FRAME);
    if (!s || gl_sockmon_new(h->loop, s, "control socket", &h->ctl_mon) != 0) {
        zsock_destroy(&s);
        return GL_EIO;
    }
    if (zsock_bind(s, "ipc://%s", h->ctl_path) != 0) {
        gl_error("cannot bind control socket %s", h->ctl_path);
        zsock_destroy(&s);
        return GL_EIO;
    }
    int rc = gl_loop_add(h->loop, s, on_ctl_readable, h, &h->ctl);
    if (rc != 0)
        return rc;
    /* One name per hosted node, each pointing at this process's socket. */
    char target[64];
    snprintf(target, sizeof target, "proc-%d.sock", (int)getpid());
    for (size_t i = 0; i < h->n_nodes; i++) {
        char link[PATH_MAX], tmp[PATH_MAX];
        gl_home_path(link, sizeof link, h->home, "run/%s.sock", h->nodes[i]->id);
        gl_home_path(tmp, sizeof tmp, h->home, "run/.%s.%d", h->nodes[i]->id, (int)getpid());
        unlink(tmp);
        if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
            gl_error("cannot publish control socket name %s: %s", link, strerror(errno));
            return GL_EIO;
        }
    }
    return GL_OK;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int host_run(const char *home, char **ids, size_t n_ids, uint32_t window)
{
    raise_fd_limit();
    zsys_handler_set(NULL);
    zsys_set_max_sockets(0);
    zsys_init();
    host_t *h = calloc(1, sizeof *h);
    h->home = strdup(home);
    h->window = window ? window : 1024;
    h->uv = uv_default_loop();
    char err[512];
    int rc = gl_home_topology(home, &h->topo, err, sizeof err);
    if (rc != 0) {
        gl_error("cannot load %s/topology.json: %s", home, err);
        return 1;
    }
    gl_loop_new(h->uv, &h->loop);
    gl_loop_add_flush(h->loop, batch_flush, h);
    if ((rc = gl_zap_new(h->loop, &h->zap)) != 0)
        return 1;
    h->nodes = calloc(n_ids, sizeof *h->nodes);
    h->dirty = calloc(n_ids, sizeof *h->dirty);
    h->by_id = zhashx_new();
    for (size_t i = 0; i < n_ids; i++) {
        if (gl_topology_find(h->topo, ids[i]) == NULL) {
            gl_error("node %s is not in the topology", ids[i]);
            return 1;
        }
    }
    if (gl_keys_load(home, ids[0], &h->pub_cert) != 0) {
        gl_error("no keypair for %s in %s/keys", ids[0], home);
        return 1;
    }
    for (size_t i = 0; i < n_ids; i++) {
        node_t *n = NULL;
        rc = node_open(h, ids[i], &n);
        if (rc != 0) {
            gl_error("node %s failed to start: %s", ids[i], gl_strerror(rc));
            return 1;
        }
        h->nodes[h->n_nodes++] = n;
        zhashx_insert(h->by_id, n->id, n);
    }
    h->bus_nodes = calloc(h->n_nodes, sizeof *h->bus_nodes);
    for (size_t i = 0; h->bus_nodes && i < h->n_nodes; i++)
        h->bus_nodes[i] = (bus_node){.id = h->nodes[i]->id, .store = h->nodes[i]->store};
    if (!h->bus_nodes || open_ctl(h) != 0 ||
        bus_open(h->uv, h->loop, h->topo, h->pub_cert, h->bus_nodes, h->n_nodes) != 0)
        return 1;
    prune_start(h);
    uv_timer_init(h->uv, &h->tick);
    h->tick.data = h;
    uv_timer_start(&h->tick, on_tick, TICK_MS, TICK_MS);
    uv_timer_init(h->uv, &reader_timer);
    reader_timer.data = h;
    uv_timer_start(&reader_timer, on_reader_check, READER_CHECK_MS, READER_CHECK_MS);
    uv_signal_init(h->uv, &h->sigint);
    uv_signal_init(h->uv, &h->sigterm);
    h->sigint.data = h->sigterm.data = h;
    uv_signal_start(&h->sigint, on_signal, SIGINT);
    uv_signal_start(&h->sigterm, on_signal, SIGTERM);
    uv_signal_init(h->uv, &h->sighup);
    h->sighup.data = h;
    uv_signal_start(&h->sighup, on_sighup, SIGHUP);
    if (door_start(h) != 0)
        return 1;
    gl_info("serving %zu node(s), control socket %s", h->n_nodes, h->ctl_path);
    /* Stores open, sockets bound, the door listening: ready. */
    char status[128];
    snprintf(status, sizeof status, "serving %zu node(s)", h->n_nodes);
    gl_notify_ready(h->uv, status);
    uv_run(h->uv, UV_RUN_DEFAULT);
    gl_notify_stopping();

    /* Orderly stop: commit what the last pass gathered, then close. */
    batch_flush(h);
    door_stop(h);
    for (size_t i = 0; i < h->n_nodes; i++) {
        char link[PATH_MAX];
        gl_home_path(link, sizeof link, h->home, "run/%s.sock", h->nodes[i]->id);
        char target[PATH_MAX];
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k > 0) {
            target[k] = 0;
            if (strstr(h->ctl_path, target))
                unlink(link);
        }
        deadlines_close(h->nodes[i]);
    }
    unlink(h->ctl_path);
    bus_close();
    prune_stop();
    uv_close((uv_handle_t *)&h->tick, NULL);
    uv_close((uv_handle_t *)&reader_timer, NULL);
    uv_close((uv_handle_t *)&h->sigint, NULL);
    uv_close((uv_handle_t *)&h->sigterm, NULL);
    uv_close((uv_handle_t *)&h->sighup, NULL);
    gl_zap_free(&h->zap);
    gl_sockmon_free(&h->ctl_mon);
    for (size_t i = 0; i < h->n_nodes; i++)
        gl_sockmon_free(&h->nodes[i]->down_mon);
    gl_loop_free(&h->loop);
    for (size_t i = 0; i < h->n_nodes; i++)
        node_free(h->nodes[i]);
    zcert_destroy(&h->pub_cert);
    gl_topology_free(&h->topo);
    zhashx_destroy(&h->by_id);
    free(h->nodes);
    free(h->bus_nodes);
    free(h->dirty);
    free(h->home);
    free(h);
    uv_loop_close(uv_default_loop());
    gl_info("stopped");
    return 0;
}
