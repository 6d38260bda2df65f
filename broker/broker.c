/* broker.c: see broker.h. */
#include "broker.h"

#include <czmq.h>
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
#include "zap.h"

#define HUGZ_MS 1000

typedef struct {
    uint64_t last_seq;
} feed_t;

typedef struct {
    uv_loop_t *uv;
    gl_loop_t *loop;
    gl_zap_t *zap;
    gl_topology_t *topo;
    zcert_t *cert;
    gl_zsock_t *in;
    zsock_t *out;
    zhashx_t *feeds; /* node id -> feed_t */
    uv_timer_t hugz;
    uv_signal_t sigint, sigterm;
    uint64_t events, gaps, missed, duplicates, bad, unauthorized;
} broker_t;

static void publish(broker_t *b, const char *topic, const void *buf, size_t len)
{
    zframe_t *t = zframe_new(topic, strlen(topic));
    zframe_t *f = zframe_new(buf, len);
    zframe_send(&t, b->out, ZFRAME_MORE | ZFRAME_DONTWAIT);
    zframe_send(&f, b->out, ZFRAME_DONTWAIT);
    zframe_destroy(&t);
    zframe_destroy(&f);
}

static void take(broker_t *b, zmsg_t *msg)
{
    zframe_t *topic = zmsg_first(msg);
    zframe_t *body = zmsg_next(msg);
    if (zmsg_size(msg) != 2 || !topic || !body) {
        b->bad++;
        gl_warn("broker: malformed bus message (%zu frames)", zmsg_size(msg));
        return;
    }
    const char *user = gl_frame_user(body);
    if (!user || !gl_topology_find(b->topo, user)) {
        b->unauthorized++;
        gl_warn("broker: event from an unauthenticated publisher dropped");
        return;
    }
    char err[256];
    Gridlink__V1__BusEvent *ev;
    if (gl_decode_bus_event(zframe_data(body), zframe_size(body), &ev, err, sizeof err) != 0) {
        b->bad++;
        gl_warn("broker: bad event from %s: %s", user, err);
        return;
    }
    if (!gl_topology_find(b->topo, ev->node)) {
        b->bad++;
        gl_warn("broker: event names unknown node %s (publisher %s)", ev->node, user);
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    feed_t *fd = zhashx_lookup(b->feeds, ev->node);
    if (!fd) {
        fd = calloc(1, sizeof *fd);
        zhashx_insert(b->feeds, ev->node, fd);
    }
    if (fd->last_seq && ev->seq <= fd->last_seq) {
        b->duplicates++;
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    if (fd->last_seq && ev->seq > fd->last_seq + 1) {
        b->gaps++;
        b->missed += ev->seq - fd->last_seq - 1;
        gl_warn("broker: missed events %llu..%llu of %s", (unsigned long long)fd->last_seq + 1,
                (unsigned long long)ev->seq - 1, ev->node);
    }
    fd->last_seq = ev->seq;
    b->events++;
    /* The topic is rebuilt from the checked event, never taken on trust. */
    char t[GL_NODE_ID_MAX + 48];
    snprintf(t, sizeof t, "%s %s", ev->kind, ev->node);
    publish(b, t, zframe_data(body), zframe_size(body));
    gridlink__v1__bus_event__free_unpacked(ev, NULL);
}

static int on_in(gl_zsock_t *zs, zsock_t *sock, int budget, void *arg)
{
    broker_t *b = arg;
    int n = 0;
    while (n < budget) {
        zmsg_t *msg = zmsg_recv_nowait(sock);
        if (!msg)
            break;
        n++;
        take(b, msg);
        zmsg_destroy(&msg);
    }
    (void)zs;
    return n;
}

static void on_hugz(uv_timer_t *t)
{
    broker_t *b = t->data;
    char stats[256];
    int len = snprintf(stats, sizeof stats,
                       "{\"events\":%llu,\"gaps\":%llu,\"missed\":%llu,\"duplicates\":%llu,\"bad\":%llu,"
                       "\"unauthorized\":%llu,\"feeds\":%zu}",
                       (unsigned long long)b->events, (unsigned long long)b->gaps, (unsigned long long)b->missed,
                       (unsigned long long)b->duplicates, (unsigned long long)b->bad,
                       (unsigned long long)b->unauthorized, zhashx_size(b->feeds));
    publish(b, "hugz", stats, (size_t)len);
}

static void on_signal(uv_signal_t *s, int signum)
{
    broker_t *b = s->data;
    gl_info("signal %d: stopping", signum);
    uv_stop(b->uv);
}

int broker_run(const char *home)
{
    zsys_handler_set(NULL);
    zsys_set_max_sockets(0);
    zsys_init();
    broker_t *b = calloc(1, sizeof *b);
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
    for (size_t i = 0; i < b->topo->n_nodes; i++) {
        const gl_node_t *n = &b->topo->nodes[i];
        if (!n->public_key)
            continue;
        gl_zap_allow(b->zap, "bus-in", n->public_key, n->id);
        gl_zap_allow(b->zap, "bus-out", n->public_key, n->id);
    }
    for (size_t i = 0; i < b->topo->n_monitors; i++)
        if (b->topo->monitors[i].public_key)
            gl_zap_allow(b->zap, "bus-out", b->topo->monitors[i].public_key, b->topo->monitors[i].name);
    b->feeds = zhashx_new();
    zhashx_set_destructor(b->feeds, (zhashx_destructor_fn *)zstr_free);

    zsock_t *in = zsock_new(ZMQ_SUB);
    zsock_set_rcvhwm(in, 100000);
    zsock_set_linger(in, 0);
    gl_curve_server(in, b->cert, "bus-in");
    zsock_set_subscribe(in, "");
    if (zsock_bind(in, "%s", b->topo->bus_in) < 0) {
        gl_error("cannot bind bus intake %s: %s", b->topo->bus_in, zmq_strerror(zmq_errno()));
        return 1;
    }
    gl_loop_add(b->loop, in, on_in, b, &b->in);
    b->out = zsock_new(ZMQ_PUB);
    zsock_set_sndhwm(b->out, 100000);
    zsock_set_linger(b->out, 0);
    gl_curve_server(b->out, b->cert, "bus-out");
    if (zsock_bind(b->out, "%s", b->topo->bus_out) < 0) {
        gl_error("cannot bind bus output %s: %s", b->topo->bus_out, zmq_strerror(zmq_errno()));
        return 1;
    }
    uv_timer_init(b->uv, &b->hugz);
    b->hugz.data = b;
    uv_timer_start(&b->hugz, on_hugz, HUGZ_MS, HUGZ_MS);
    uv_signal_init(b->uv, &b->sigint);
    uv_signal_init(b->uv, &b->sigterm);
    b->sigint.data = b->sigterm.data = b;
    uv_signal_start(&b->sigint, on_signal, SIGINT);
    uv_signal_start(&b->sigterm, on_signal, SIGTERM);
    gl_info("bus intake %s, output %s", b->topo->bus_in, b->topo->bus_out);
    uv_run(b->uv, UV_RUN_DEFAULT);

    gl_info("stopping: %llu events, %llu gaps (%llu missed), %llu duplicates, %llu bad",
            (unsigned long long)b->events, (unsigned long long)b->gaps, (unsigned long long)b->missed,
            (unsigned long long)b->duplicates, (unsigned long long)b->bad);
    uv_close((uv_handle_t *)&b->hugz, NULL);
    uv_close((uv_handle_t *)&b->sigint, NULL);
    uv_close((uv_handle_t *)&b->sigterm, NULL);
    gl_zap_free(&b->zap);
    gl_loop_free(&b->loop);
    zsock_destroy(&b->out);
    zhashx_destroy(&b->feeds);
    zcert_destroy(&b->cert);
    gl_topology_free(&b->topo);
    free(b);
    return 0;
}
