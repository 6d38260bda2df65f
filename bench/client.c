/* client.c: the simulated grid devices (`_worker client`).
 *
 * mode=link: each device is one grid child of a community node, using that
 * grid's own CurveZMQ keypair from the bench home, speaking the real link
 * protocol: Hello, Welcome (which carries the community's applied mark, so
 * sequences continue across runs), then sequenced CaseTransfer envelopes;
 * the node's cumulative acks retire them. The device keeps its unacknowledged
 * messages in memory only: what is measured is the node's intake.
 *
 * mode=raw: the same devices against the bare servers (`_worker echo`):
 * each message is `seq (8 bytes) + payload`, each ack a cumulative seq;
 * with serverkey=FILE (the server's public key, Z85) over CurveZMQ, each
 * device with a key pair of its own.
 *
 * The total window is split over the devices. rate=0 sends flat out; a rate
 * paces the sends evenly. After warmup_ms, for measure_ms, every ack counts
 * towards throughput and every acknowledged message sent in that period
 * gives a submit-to-ack latency. With sub=1 the client also subscribes to the
 * broker and times submit -> `received` event at the subscriber. With
 * cpu_pid=PID the server's CPU time (from /proc) and the bytes the storage
 * device wrote over the measuring period are reported per acknowledged
 * message (cpu_us, disk_b). */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "codec.h"
#include "error.h"
#include "home.h"
#include "keys.h"
#include "sock.h"
#include "zap.h"

#define RING_MIN 8192
#define TAG_MUL  1000000000ULL

struct dev {
    char id[128];
    zsock_t *zs;
    void *sock;
    uint64_t base; /* first sequence of this run minus one */
    uint64_t next; /* next sequence to send */
    uint64_t acked;
    int window;
    bool welcomed;
    int64_t *tsend; /* send time by seq % ring */
    size_t ring;
};

struct client {
    bn_args *a;
    bool link;
    struct dev *dev;
    int n_dev;
    zhashx_t *by_id;
    size_t size;
    uint64_t tag;
    char *holder;
    /* measurement */
    int64_t t0, t_meas, t_end;
    uint64_t acks_in_window;
    bn_cpu_watch cpu;
    bn_samples lat, evlat;
    uint64_t sent_total, events, events_early;
    uint8_t *text;
    size_t text_len;
};

/* ---- link-mode messages ---- */

static size_t pack_transfer(struct client *c, struct dev *d, uint64_t seq, uint8_t *buf, size_t cap, int64_t now_ms)
{
    char id[160];
    snprintf(id, sizeof id, "%s-%llu", d->id, (unsigned long long)(c->tag * TAG_MUL + (seq - d->base)));
    Gridlink__V1__HistoryEntry h = GRIDLINK__V1__HISTORY_ENTRY__INIT;
    h.action = "reported";
    h.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    h.node = d->id;
    h.time_ms = now_ms;
    h.note = "";
    Gridlink__V1__HistoryEntry *hp = &h;
    Gridlink__V1__Case cs = GRIDLINK__V1__CASE__INIT;
    cs.id = id;
    cs.kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    cs.category = "services/elderly";
    cs.grid = d->id;
    cs.address = "";
    cs.text = (char *)c->text;
    cs.reporter = "bench";
    cs.holder = c->holder;
    cs.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    cs.created_ms = now_ms;
    cs.version = 1;
    cs.came_from = "";
    cs.n_history = 1;
    cs.history = &hp;
    Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
    tr.case_ = &cs;
    tr.reason = "reported";
    Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
    e.version = GL_PROTO_VERSION;
    e.sender = d->id;
    e.seq = seq;
    e.sent_ms = now_ms;
    e.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
    e.transfer = &tr;
    size_t n = gridlink__v1__envelope__get_packed_size(&e);
    if (n > cap)
        return 0;
    return gridlink__v1__envelope__pack(&e, buf);
}

static void send_hello(struct dev *d)
{
    Gridlink__V1__Hello h = GRIDLINK__V1__HELLO__INIT;
    h.node = d->id;
    h.proto_version = GL_PROTO_VERSION;
    h.applied = 0;
    h.heartbeat_ms = 1000;
    Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
    e.version = GL_PROTO_VERSION;
    e.sender = d->id;
    e.body_case = GRIDLINK__V1__ENVELOPE__BODY_HELLO;
    e.hello = &h;
    uint8_t buf[512];
    size_t n = gridlink__v1__envelope__pack(&e, buf);
    zmq_send(d->sock, buf, n, ZMQ_DONTWAIT);
}

/* Choose the description length so that the packed envelope is c->size. */
static void size_text(struct client *c)
{
    c->text = malloc(8192);
    memset(c->text, 'x', 8191);
    c->text[8191] = 0;
    struct dev *d = &c->dev[0];
    uint8_t buf[16384];
    size_t lo = 0;
    for (size_t len = 0; len < 8000; len++) {
        c->text[len] = 0;
        size_t n = pack_transfer(c, d, d->base + 1, buf, sizeof buf, 1700000000000LL);
        c->text[len] = 'x';
        if (n >= c->size) {
            lo = len;
            break;
        }
    }
    c->text[lo] = 0;
    c->text_len = lo;
}

/* ---- acks and events ---- */

static void take_ack(struct client *c, struct dev *d, uint64_t ack, int64_t now)
{
    if (ack <= d->acked || ack >= d->next)
        return;
    for (uint64_t s = d->acked + 1; s <= ack; s++) {
        int64_t ts = d->tsend[s % d->ring];
        if (now >= c->t_meas && now < c->t_end)
            c->acks_in_window++;
        if (ts >= c->t_meas && ts < c->t_end)
            bn_samples_add(&c->lat, (double)(now - ts));
    }
    d->acked = ack;
}

static void on_dev_readable(struct client *c, struct dev *d)
{
    uint8_t buf[4096];
    for (;;) {
        int n = zmq_recv(d->sock, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n < 0)
            break;
        int64_t now = bn_now_us();
        if (!c->link) {
            if (n >= 8) {
                uint64_t ack;
                memcpy(&ack, buf, 8);
                take_ack(c, d, ack, now);
            }
            continue;
        }
        if ((size_t)n > sizeof buf)
            continue;
        Gridlink__V1__Envelope *e = gridlink__v1__envelope__unpack(NULL, (size_t)n, buf);
        if (!e)
            continue;
        if (e->body_case == GRIDLINK__V1__ENVELOPE__BODY_WELCOME && !d->welcomed) {
            d->welcomed = true;
            d->base = e->welcome->applied;
            d->next = d->base + 1;
            d->acked = d->base;
        } else if (d->welcomed) {
            take_ack(c, d, e->ack, now);
        }
        gridlink__v1__envelope__free_unpacked(e, NULL);
    }
}

static void on_event(struct client *c, zsock_t *sub)
{
    for (;;) {
        zmsg_t *m = zmsg_recv_nowait(sub);
        if (!m)
            break;
        int64_t now = bn_now_us();
        zframe_t *topic = zmsg_first(m);
        zframe_t *body = zmsg_next(m);
        if (topic && body && !zframe_streq(topic, "hugz")) {
            Gridlink__V1__BusEvent *ev = gridlink__v1__bus_event__unpack(NULL, zframe_size(body), zframe_data(body));
            if (ev && ev->case_id && ev->case_id[0]) {
                char *dash = strrchr(ev->case_id, '-');
                if (dash) {
                    *dash = 0;
                    struct dev *d = zhashx_lookup(c->by_id, ev->case_id);
                    unsigned long long num = strtoull(dash + 1, NULL, 10);
                    if (d && num / TAG_MUL == c->tag) {
                        uint64_t seq = d->base + num % TAG_MUL;
                        if (seq < d->next && d->next - seq < d->ring) {
                            int64_t ts = d->tsend[seq % d->ring];
                            c->events++;
                            if (ts >= c->t_meas && ts < c->t_end)
                                bn_samples_add(&c->evlat, (double)(now - ts));
                        }
                    }
                }
            }
            if (ev)
                gridlink__v1__bus_event__free_unpacked(ev, NULL);
        }
        zmsg_destroy(&m);
    }
}

static bool sub_live(zsock_t *sub, int timeout_ms)
{
    zpoller_t *p = zpoller_new(sub, NULL);
    int64_t end = bn_now_us() + (int64_t)timeout_ms * 1000;
    bool live = false;
    while (!live && bn_now_us() < end) {
        if (!zpoller_wait(p, 100))
            continue;
        zmsg_t *m = zmsg_recv(sub);
        zframe_t *t = m ? zmsg_first(m) : NULL;
        if (t && zframe_streq(t, "hugz"))
            live = true;
        zmsg_destroy(&m);
    }
    zpoller_destroy(&p);
    return live;
}

/* ---- setup ---- */

static int setup_link(struct client *c, gl_topology_t **tp)
{
    const char *home = bn_arg(c->a, "home", NULL);
    const char *under = bn_arg(c->a, "under", NULL);
    char err[512];
    if (!home || gl_home_topology(home, tp, err, sizeof err) != 0) {
        fprintf(stderr, "client: cannot load topology of %s\n", home ? home : "(no home)");
        return -1;
    }
    gl_topology_t *t = *tp;
    int max = (int)bn_arg_l(c->a, "devices", 1 << 20);
    c->dev = calloc(t->n_nodes, sizeof *c->dev);
    for (size_t i = 0; i < t->n_nodes && c->n_dev < max; i++) {
        const gl_node_t *n = &t->nodes[i];
        if (n->tier != GRIDLINK__V1__TIER__TIER_GRID || (under && !gl_topology_in_subtree(under, n->id)))
            continue;
        struct dev *d = &c->dev[c->n_dev++];
        snprintf(d->id, sizeof d->id, "%s", n->id);
        const gl_node_t *p = gl_topology_parent(t, n);
        zcert_t *cert;
        if (gl_keys_load(home, n->id, &cert) != 0) {
            fprintf(stderr, "client: no key for %s\n", n->id);
            return -1;
        }
        d->zs = gl_sock_new(ZMQ_DEALER, GL_MAX_FRAME);
        zsock_set_sndhwm(d->zs, 100000);
        zsock_set_rcvhwm(d->zs, 100000);
        gl_curve_client(d->zs, cert, p->public_key);
        zcert_destroy(&cert);
        if (zsock_connect(d->zs, "%s", p->endpoint) != 0) {
            fprintf(stderr, "client: cannot connect to %s\n", p->endpoint);
            return -1;
        }
        d->sock = zsock_resolve(d->zs);
        zhashx_insert(c->by_id, d->id, d);
    }
    if (c->n_dev == 0) {
        fprintf(stderr, "client: no grids under %s\n", under ? under : "(all)");
        return -1;
    }
    return 0;
}

static int setup_raw(struct client *c)
{
    const char *ep = bn_arg(c->a, "endpoint", NULL);
    const char *keyfile = bn_arg(c->a, "serverkey", NULL);
    char serverkey[64] = "";
    if (keyfile) {
        FILE *f = fopen(keyfile, "r");
        if (!f || !fgets(serverkey, sizeof serverkey, f)) {
            fprintf(stderr, "client: cannot read the server's key from %s\n", keyfile);
            if (f)
                fclose(f);
            return -1;
        }
        fclose(f);
        serverkey[strcspn(serverkey, "\r\n")] = 0;
    }
    c->n_dev = (int)bn_arg_l(c->a, "devices", 1);
    c->dev = calloc((size_t)c->n_dev, sizeof *c->dev);
    for (int i = 0; i < c->n_dev; i++) {
        struct dev *d = &c->dev[i];
        snprintf(d->id, sizeof d->id, "raw%d", i);
        d->zs = gl_sock_new(ZMQ_DEALER, GL_MAX_FRAME);
        zsock_set_sndhwm(d->zs, 100000);
        zsock_set_rcvhwm(d->zs, 100000);
        if (serverkey[0]) {
            zcert_t *cert = zcert_new();
            gl_curve_client(d->zs, cert, serverkey);
            zcert_destroy(&cert);
        }
        if (!ep || zsock_connect(d->zs, "%s", ep) != 0) {
            fprintf(stderr, "client: cannot connect to %s\n", ep ? ep : "(no endpoint)");
            return -1;
        }
        d->sock = zsock_resolve(d->zs);
        d->welcomed = true;
        d->next = 1;
    }
    return 0;
}

int bn_client_main(bn_args *a)
{
    zsys_handler_set(NULL);
    zsys_init();
    struct client cl = {0}, *c = &cl;
    c->a = a;
    c->link = strcmp(bn_arg(a, "mode", "link"), "link") == 0;
    c->size = (size_t)bn_arg_l(a, "size", 300);
    c->tag = (uint64_t)bn_arg_l(a, "tag", 1);
    c->by_id = zhashx_new();
    bn_cpu_watch_init(&c->cpu, (pid_t)bn_arg_l(a, "cpu_pid", 0));
    gl_topology_t *t = NULL;
    if ((c->link ? setup_link(c, &t) : setup_raw(c)) != 0)
        return 1;
    long window = bn_arg_l(a, "window", 1);
    double rate = bn_arg_d(a, "rate", 0);
    int64_t warmup = bn_arg_l(a, "warmup_ms", 500) * 1000;
    int64_t measure = bn_arg_l(a, "measure_ms", 2000) * 1000;
    if (window < c->n_dev)
        c->n_dev = (int)window; /* a device with no window would never send */
    for (int i = 0; i < c->n_dev; i++) {
        struct dev *d = &c->dev[i];
        d->window = (int)(window / c->n_dev + (i < window % c->n_dev ? 1 : 0));
        d->ring = (size_t)(d->window * 4 > RING_MIN ? d->window * 4 : RING_MIN);
        d->tsend = calloc(d->ring, sizeof *d->tsend);
    }
    if (c->link) {
        const gl_node_t *g = gl_topology_find(t, c->dev[0].id);
        c->holder = strdup(gl_topology_parent(t, g)->id);
    }

    zsock_t *sub = NULL;
    if (bn_arg_l(a, "sub", 0) && c->link) {
        const char *home = bn_arg(a, "home", NULL);
        zcert_t *cert;
        if (!t->bus_out || !t->broker_key || gl_keys_load(home, "operator", &cert) != 0) {
            fprintf(stderr, "client: no bus to subscribe to\n");
            return 1;
        }
        sub = gl_sock_new(ZMQ_SUB, GL_BUS_MAX_FRAME);
        zsock_set_rcvhwm(sub, 1000000);
        zsock_set_linger(sub, 0);
        zcert_apply(cert, sub);
        zcert_destroy(&cert);
        zsock_set_curve_serverkey(sub, t->broker_key);
        zsock_set_subscribe(sub, "hugz");
        char topic[300];
        snprintf(topic, sizeof topic, "%s %s", bn_arg(a, "kind", "received"), bn_arg(a, "prefix", ""));
        zsock_set_subscribe(sub, topic);
        zsock_connect(sub, "%s", t->bus_out);
        if (!sub_live(sub, 10000)) {
            fprintf(stderr, "client: the broker never said hugz\n");
            return 1;
        }
    }

    /* Handshake: every device must be welcomed before the clock starts. */
    if (c->link) {
        int64_t end = bn_now_us() + 15000000;
        int64_t last_hello = 0;
        for (;;) {
            int pending = 0;
            for (int i = 0; i < c->n_dev; i++)
                pending += !c->dev[i].welcomed;
            if (!pending)
                break;
            if (bn_now_us() > end) {
                fprintf(stderr, "client: %d device(s) never welcomed\n", pending);
                return 1;
            }
            if (bn_now_us() - last_hello > 500000) {
                for (int i = 0; i < c->n_dev; i++)
                    if (!c->dev[i].welcomed)
                        send_hello(&c->dev[i]);
                last_hello = bn_now_us();
            }
            zmq_pollitem_t items[1024];
            int n = c->n_dev < 1024 ? c->n_dev : 1024;
            for (int i = 0; i < n; i++)
                items[i] = (zmq_pollitem_t){.socket = c->dev[i].sock, .events = ZMQ_POLLIN};
            zmq_poll(items, n, 50);
            for (int i = 0; i < c->n_dev; i++)
                on_dev_readable(c, &c->dev[i]);
        }
        size_text(c);
    } else {
        c->text = calloc(1, c->size + 8);
        memset(c->text, 'x', c->size);
    }

    int n_items = c->n_dev + (sub ? 1 : 0);
    zmq_pollitem_t *items = calloc((size_t)n_items, sizeof *items);
    for (int i = 0; i < c->n_dev; i++)
        items[i] = (zmq_pollitem_t){.socket = c->dev[i].sock, .events = ZMQ_POLLIN};
    if (sub)
        items[c->n_dev] = (zmq_pollitem_t){.socket = zsock_resolve(sub), .events = ZMQ_POLLIN};

    c->t0 = bn_now_us();
    c->t_meas = c->t0 + warmup;
    c->t_end = c->t_meas + measure;
    int64_t drain_end = c->t_end + 3000000;
    uint8_t buf[16384];
    int rr = 0;
    uint64_t blocked = 0;
    for (;;) {
        int64_t now = bn_now_us();
        bn_cpu_tick(&c->cpu, now, c->t_meas, c->t_end);
        bool sending = now < c->t_end;
        if (!sending) {
            bool all = true;
            for (int i = 0; i < c->n_dev && all; i++)
                all = c->dev[i].acked + 1 >= c->dev[i].next;
            if ((all && (!sub || now > c->t_end + 200000)) || now > drain_end)
                break;
        }
        /* Send what the pace and the windows allow. */
        int64_t next_due = 0;
        if (sending) {
            uint64_t allowed = rate > 0 ? (uint64_t)(rate * (double)(now - c->t0) / 1e6) + 1 : UINT64_MAX;
            int stuck = 0;
            while (c->sent_total < allowed && stuck < c->n_dev) {
                struct dev *d = &c->dev[rr];
                rr = (rr + 1) % c->n_dev;
                if (d->next - d->acked - 1 >= (uint64_t)d->window) {
                    stuck++;
                    continue;
                }
                uint64_t seq = d->next;
                int64_t ts = bn_now_us();
                size_t n;
                if (c->link) {
                    n = pack_transfer(c, d, seq, buf, sizeof buf, bn_wall_us() / 1000);
                } else {
                    memcpy(buf, &seq, 8);
                    memcpy(buf + 8, c->text, c->size - 8);
                    n = c->size;
                }
                if (zmq_send(d->sock, buf, n, ZMQ_DONTWAIT) < 0) {
                    blocked++;
                    stuck++;
                    continue;
                }
                d->tsend[seq % d->ring] = ts;
                d->next++;
                c->sent_total++;
                stuck = 0;
            }
            if (rate > 0 && c->sent_total >= allowed)
                next_due = c->t0 + (int64_t)((double)c->sent_total * 1e6 / rate);
        }
        long timeout = 10;
        if (next_due) {
            int64_t wait = next_due - bn_now_us();
            timeout = wait <= 0 ? 0 : (wait + 999) / 1000;
            if (timeout > 10)
                timeout = 10;
        }
        zmq_poll(items, n_items, timeout);
        for (int i = 0; i < c->n_dev; i++)
            if (items[i].revents & ZMQ_POLLIN)
                on_dev_readable(c, &c->dev[i]);
        if (sub && (items[c->n_dev].revents & ZMQ_POLLIN))
            on_event(c, sub);
    }
    if (sub) {
        /* Events can trail the acks a little. */
        int64_t end = bn_now_us() + 500000;
        while (bn_now_us() < end) {
            zmq_poll(&items[c->n_dev], 1, 50);
            on_event(c, sub);
        }
    }

    uint64_t unacked = 0;
    for (int i = 0; i < c->n_dev; i++)
        unacked += c->dev[i].next - 1 - c->dev[i].acked;
    bn_result r = {0};
    bn_result_set(&r, "devices", c->n_dev);
    bn_result_set(&r, "window", (double)window);
    bn_result_set(&r, "size", (double)c->size);
    bn_result_set(&r, "sent", (double)c->sent_total);
    bn_result_set(&r, "unacked", (double)unacked);
    bn_result_set(&r, "tput", (double)c->acks_in_window * 1e6 / (double)measure);
    bn_result_set(&r, "cpu_us", bn_cpu_per(&c->cpu, c->acks_in_window));
    bn_result_set(&r, "disk_b", bn_storage_per(&c->cpu, c->acks_in_window));
    bn_result_set(&r, "steal_pct", bn_steal_pct(&c->cpu));
    bn_result_set(&r, "n", (double)c->lat.n);
    bn_result_set(&r, "p50_ms", bn_samples_q(&c->lat, 0.50) / 1000);
    bn_result_set(&r, "p99_ms", bn_samples_q(&c->lat, 0.99) / 1000);
    bn_result_set(&r, "p999_ms", bn_samples_q(&c->lat, 0.999) / 1000);
    bn_result_set(&r, "max_ms", bn_samples_q(&c->lat, 1.0) / 1000);
    if (sub) {
        bn_result_set(&r, "events", (double)c->events);
        bn_result_set(&r, "ev_n", (double)c->evlat.n);
        bn_result_set(&r, "ev_p50_ms", bn_samples_q(&c->evlat, 0.50) / 1000);
        bn_result_set(&r, "ev_p99_ms", bn_samples_q(&c->evlat, 0.99) / 1000);
        bn_result_set(&r, "ev_max_ms", bn_samples_q(&c->evlat, 1.0) / 1000);
    }
    bn_result_write(&r, bn_arg(a, "out", NULL));
    for (int i = 0; i < c->n_dev; i++) {
        zsock_destroy(&c->dev[i].zs);
        free(c->dev[i].tsend);
    }
    zsock_destroy(&sub);
    free(items);
    free(c->dev);
    free(c->text);
    free(c->holder);
    zhashx_destroy(&c->by_id);
    bn_samples_free(&c->lat);
    bn_samples_free(&c->evlat);
    gl_topology_free(&t);
    return unacked ? 3 : 0;
}
