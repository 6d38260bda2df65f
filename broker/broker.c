/* broker.c: see broker.h. The broker's setup, its loop and its counters.
 *
 * broker_run owns the broker_t (core.h) and everything in it, and frees it
 * all when the loop stops. The broker is made of:
 *   view.c     the view: refcounted events, the case view, the windows
 *   feed.c     per-node feeds, in-order application and gap repair
 *   outq.c     the PUB and each client's bounded output queue
 *   intake.c   what arrives on bus_in, checked and dispatched
 *   service.c  clients' snapshot, replay and subscribe requests
 *   core.c     the shared state and the limiter of complaints about peers
 *   durable.c  the view in LMDB: feeds' sequences, cases, counts
 *   door.c     HTTP: /metrics (metrics.c), the dashboard's pages and API
 *   stream.c   the dashboard's live stream
 * Nothing here blocks: every send is non-blocking, replies that do not fit
 * wait in the client's queue, and node requests that cannot be sent are
 * retried by a timer. */
#include "broker.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "codec.h"
#include "core.h"
#include "durable.h"
#include "error.h"
#include "feed.h"
#include "home.h"
#include "intake.h"
#include "keys.h"
#include "log.h"
#include "loop.h"
#include "door.h"
#include "stream.h"
#include "notify.h"
#include "outq.h"
#include "sock.h"
#include "topology.h"
#include "view.h"
#include "zap.h"

#define HUGZ_MS     1000
#define MARKS_MS    GL_BUS_MARK_MS
#define ASK_TICK_MS 250

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
        {"cases", zhashx_size(b->view.cases)},
        {"retained", b->view.o_count},
        {"evicted", b->view.evicted},
        {"cutoffs", b->cutoffs},
        {"refused", b->refused},
        {"clients", zhashx_size(b->clients)},
        {"queued", b->out_bytes},
        {"foreign", b->foreign},
        {"future", b->future},
        {"overclaims", b->overclaims},
        {"archived_skipped", b->archived_skipped},
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
        outq_publish(b, "hugz", stats, len);
}

static void on_signal(uv_signal_t *s, int signum)
{
    broker_t *b = s->data;
    gl_info("signal %d: stopping", signum);
    uv_stop(b->uv);
}

/* SIGHUP: HOME/topology.json again, for nodes' new keys only (`gridlink
 * keys rotate`): each is admitted where the node's old key was, and the old
 * one refused from then on. Anything else new in the file (nodes,
 * endpoints, monitors, the broker's own key) takes a restart; a file of
 * another shape changes nothing. */
static void on_sighup(uv_signal_t *s, int signum)
{
    broker_t *b = s->data;
    (void)signum;
    gl_topology_t *fresh = NULL;
    char err[512];
    if (gl_home_topology(b->home, &fresh, err, sizeof err) != 0) {
        gl_warn("SIGHUP: %s/topology.json not taken: %s", b->home, err);
        return;
    }
    size_t *changed = calloc(b->topo->n_nodes ? b->topo->n_nodes : 1, sizeof *changed), n_changed = 0;
    if (!changed) {
        gl_topology_free(&fresh);
        return;
    }
    if (gl_topology_adopt_keys(b->topo, fresh, true, changed, &n_changed, err, sizeof err) != 0) {
        gl_warn("SIGHUP: %s/topology.json not taken (%s): the broker takes nodes' new keys on a reload, anything "
                "else on a restart",
                b->home, err);
    } else {
        for (size_t i = 0; i < n_changed; i++) {
            const gl_node_t *n = &b->topo->nodes[changed[i]];
            const char *old = fresh->nodes[changed[i]].public_key;
            bool root = n == &b->topo->nodes[b->topo->root];
            if (old) {
                gl_zap_revoke(b->zap, "bus-in", old);
                if (root)
                    gl_zap_revoke(b->zap, "bus-out", old);
            }
            gl_zap_allow(b->zap, "bus-in", n->public_key, n->id);
            if (root)
                gl_zap_allow(b->zap, "bus-out", n->public_key, n->id);
            gl_info("SIGHUP: node %s has a new key: admitted on the bus, its old key refused", n->id);
        }
        gl_info("SIGHUP: %zu new node key(s) taken from %s/topology.json", n_changed, b->home);
    }
    free(changed);
    gl_topology_free(&fresh);
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
    int rc = gl_loop_add(b->loop, in, intake_on_in, b, &b->in);
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

int broker_run(const char *home)
{
    zsys_handler_set(NULL);
    zsys_set_max_sockets(0);
    zsys_init();
    broker_t *b = calloc(1, sizeof *b);
    if (!b)
        return 1;
    b->uv = uv_default_loop();
    b->home = home;
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
    view_init(&b->view);
    if (durable_open(b, home) != 0)
        return 1;
    b->clients = zhashx_new();
    zhashx_set_destructor(b->clients, outq_client_destroy);
    b->subs = zlistx_new();
    b->cut_off = zhashx_new();
    zhashx_set_destructor(b->cut_off, free_item);
    if (open_sockets(b) != 0 || stream_init(b) != 0 || broker_door_start(b) != 0)
        return 1;

    uv_timer_t *timers[] = {&b->hugz, &b->marks, &b->asks, &b->flush};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
        uv_timer_init(b->uv, timers[i]);
        timers[i]->data = b;
    }
    uv_timer_start(&b->hugz, on_hugz, HUGZ_MS, HUGZ_MS);
    uv_timer_start(&b->marks, feed_on_marks, MARKS_MS, MARKS_MS);
    uv_timer_start(&b->asks, feed_on_asks, ASK_TICK_MS, ASK_TICK_MS);
    uv_signal_init(b->uv, &b->sigint);
    uv_signal_init(b->uv, &b->sigterm);
    b->sigint.data = b->sigterm.data = b;
    uv_signal_start(&b->sigint, on_signal, SIGINT);
    uv_signal_start(&b->sigterm, on_signal, SIGTERM);
    uv_signal_init(b->uv, &b->sighup);
    b->sighup.data = b;
    uv_signal_start(&b->sighup, on_sighup, SIGHUP);
    gl_info("bus intake and requests %s, output %s", b->topo->bus_in, b->topo->bus_out);
    gl_notify_ready(b->uv, "serving the bus");
    uv_run(b->uv, UV_RUN_DEFAULT);
    gl_notify_stopping();

    gl_info("stopping: %llu events (%llu replayed), %llu gaps (%llu missed), %llu duplicates, %llu bad, "
            "%llu snapshots served",
            (unsigned long long)b->events, (unsigned long long)b->replayed, (unsigned long long)b->gaps,
            (unsigned long long)b->missed, (unsigned long long)b->duplicates, (unsigned long long)b->bad,
            (unsigned long long)b->snapshots);
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
        uv_close((uv_handle_t *)timers[i], NULL);
    uv_close((uv_handle_t *)&b->sigint, NULL);
    uv_close((uv_handle_t *)&b->sigterm, NULL);
    uv_close((uv_handle_t *)&b->sighup, NULL);
    broker_door_stop(b);
    stream_free(b);
    durable_close(b);
    zlistx_destroy(&b->subs); /* before the clients it points to */
    zhashx_destroy(&b->clients);
    zhashx_destroy(&b->cut_off);
    gl_zap_free(&b->zap);
    gl_loop_free(&b->loop);
    zsock_destroy(&b->out);
    view_free(&b->view);
    zhashx_destroy(&b->feeds);
    zcert_destroy(&b->cert);
    gl_topology_free(&b->topo);
    free(b);
    return 0;
}
