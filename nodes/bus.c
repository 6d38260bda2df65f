/* bus.c: a node process's link to the broker.
 *
 * The process's bus link is one DEALER on the broker's bus_in (see the bus
 * protocol in codec.h), authenticated with the first hosted node's key; the
 * broker accepts events only for nodes in that node's subtree, which is how
 * `gridlink up` groups processes (the group's leader first). Live events go
 * out after their batch commits; a send the bus cannot take (at the high-water
 * mark, or long broker outage) is dropped and counted, because the log keeps
 * the event and the broker asks for it again. Every GL_BUS_MARK_MS the
 * process tells the broker each hosted node's last log sequence, so a lost
 * tail is noticed even when no later event reveals the gap. Replay requests
 * become jobs that an idle handle works off one bounded chunk at a time, each
 * read in its own short read transaction, so a long replay never holds the
 * loop or an LMDB snapshot for long. A replay of sequences the node has
 * archived and pruned (prune.c) starts after them, and every chunk carries
 * pruned_through so the broker can skip them.
 *
 * This state is file-static because a process has exactly one bus link. The
 * loop owns the DEALER (bus.zs); bus.pub borrows its zsock_t and bus_close
 * clears it before the loop frees. The nodes' names and stores are lent by
 * the caller for as long as the bus is open. */

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "codec.h"
#include "zap.h"
#include "topology.h"
#include "error.h"
#include "log.h"
#include "sock.h"

#define BUS_JOBS_MAX        256 /* replay jobs queued at once (one per node at most) */
#define BUS_CHUNKS_PER_PASS 8
#define BUS_RETRY_MS        50 /* after the DEALER refused a chunk */

struct bus_job {
    const bus_node *n;
    uint64_t next; /* next sequence to send */
    uint64_t to;   /* last sequence wanted, 0 = up to the end of the log */
};

static struct {
    const bus_node *nodes;
    size_t n_nodes;
    zsock_t *pub;
    gl_zsock_t *zs;
    uv_timer_t mark_timer, retry_timer;
    uv_idle_t work;
    bool timers_open, blocked;
    struct bus_job jobs[BUS_JOBS_MAX];
    size_t n_jobs, rr;
    uint64_t published, dropped, chunks, replayed, marks, bad;
} bus;

void bus_publish(const char *topic, const uint8_t *buf, size_t len)
{
    if (!bus.pub)
        return;
    void *s = zsock_resolve(bus.pub);
    /* A multipart message is taken whole or not at all: once the topic is
     * queued, the body cannot hit the high-water mark. */
    if (zmq_send(s, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (bus.dropped++ % 10000 == 0)
            gl_warn("bus: dropped a live event (%llu so far): the broker will replay it from the log",
                    (unsigned long long)bus.dropped);
        return;
    }
    zmq_send(s, buf, len, ZMQ_DONTWAIT);
    bus.published++;
}

/* Send [GL_BUS_REPLY, rep]. GL_EAGAIN if the DEALER cannot take it now. */
static int bus_send_reply(const Gridlink__V1__BusReply *rep)
{
    uint8_t *buf;
    size_t len;
    int rc = gl_pack(&rep->base, &buf, &len);
    if (rc != 0)
        return rc;
    void *s = zsock_resolve(gl_zsock_sock(bus.zs));
    rc = GL_EAGAIN;
    if (zmq_send(s, GL_BUS_REPLY, strlen(GL_BUS_REPLY), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
        zmq_send(s, buf, len, ZMQ_DONTWAIT);
        rc = GL_OK;
    }
    free(buf);
    gl_zsock_kick(bus.zs);
    return rc;
}

/* One chunk of job j. Returns 1 when the job is done, 0 when more remains,
 * GL_EAGAIN when the DEALER is full (nothing consumed), another error if the
 * store failed (the job is dropped; the broker asks again after a timeout). */
static int bus_job_chunk(struct bus_job *j)
{
    const bus_node *n = j->n;
    MDB_txn *txn;
    int rc = gl_store_begin(n->store, NULL, false, &txn);
    if (rc != 0)
        return rc;
    uint64_t last = 0, pruned = 0;
    rc = gl_store_log_last(txn, n->store, &last);
    if (rc == 0)
        rc = gl_store_log_pruned(txn, n->store, &pruned);
    /* What was archived is not replayed: the reply says so, and the
     * replay goes on after it. */
    if (j->next <= pruned)
        j->next = pruned + 1;
    uint64_t to = j->to && j->to < last ? j->to : last;
    Gridlink__V1__BusEvent *evs[GL_BUS_CHUNK];
    size_t k = 0, bytes = 0;
    uint64_t seq = j->next;
    while (rc == 0 && seq <= to && k < GL_BUS_CHUNK && bytes < GL_BUS_CHUNK_BYTES) {
        rc = gl_store_log_get(txn, n->store, seq, &evs[k]);
        if (rc == 0) {
            bytes += protobuf_c_message_get_packed_size(&evs[k]->base) + 8;
            k++;
            seq++;
        }
    }
    gl_store_abort(txn);
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "replay";
    rep.node = (char *)n->id;
    rep.events = evs;
    rep.n_events = k;
    rep.end = rc != 0 || seq > to;
    rep.pruned_through = pruned;
    if (rc != 0) {
        rep.code = rc;
        rep.error = (char *)gl_strerror(rc);
        gl_error("bus: node %s: cannot read log entry %llu for a replay: %s", n->id, (unsigned long long)seq,
                 gl_strerror(rc));
    }
    int sent = bus_send_reply(&rep);
    for (size_t i = 0; i < k; i++)
        gridlink__v1__bus_event__free_unpacked(evs[i], NULL);
    if (sent != 0)
        return sent;
    bus.chunks++;
    bus.replayed += k;
    j->next = seq;
    return rep.end ? 1 : 0;
}

static void bus_job_remove(size_t i)
{
    bus.jobs[i] = bus.jobs[--bus.n_jobs];
    if (bus.rr >= bus.n_jobs)
        bus.rr = 0;
}

static void on_bus_retry(uv_timer_t *t);

static void on_bus_work(uv_idle_t *idle)
{
    for (int done = 0; done < BUS_CHUNKS_PER_PASS && bus.n_jobs > 0; done++) {
        size_t i = bus.rr % bus.n_jobs;
        int rc = bus_job_chunk(&bus.jobs[i]);
        if (rc == GL_EAGAIN) {
            /* The broker is slow or away; try again shortly, not in a spin. */
            bus.blocked = true;
            uv_idle_stop(idle);
            uv_timer_start(&bus.retry_timer, on_bus_retry, BUS_RETRY_MS, 0);
            return;
        }
        if (rc != 0)
            bus_job_remove(i);
        else
            bus.rr = i + 1; /* round robin, so one long replay does not starve the rest */
    }
    if (bus.n_jobs == 0)
        uv_idle_stop(idle);
}

static void on_bus_retry(uv_timer_t *t)
{
    (void)t;
    bus.blocked = false;
    if (bus.n_jobs > 0)
        uv_idle_start(&bus.work, on_bus_work);
}

static void bus_refuse(const char *node, int code, const char *why)
{
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "replay";
    rep.node = (char *)node;
    rep.end = true;
    rep.code = code;
    rep.error = (char *)why;
    bus_send_reply(&rep);
}

static const bus_node *find_node(const char *id)
{
    for (size_t i = 0; i < bus.n_nodes; i++)
        if (strcmp(bus.nodes[i].id, id) == 0)
            return &bus.nodes[i];
    return NULL;
}

static void bus_on_request(const Gridlink__V1__BusRequest *req)
{
    if (strcmp(req->op, "replay") != 0) {
        bus.bad++;
        gl_warn("bus: request '%s' is not for a node process, ignored", req->op);
        return;
    }
    const bus_node *n = find_node(req->node);
    if (!n) {
        bus_refuse(req->node, GL_ENOENT, "node not hosted by this process");
        return;
    }
    /* The broker keeps one replay per node in flight; a new request for the
     * same node replaces an old one (it resent after a timeout). */
    size_t i = 0;
    while (i < bus.n_jobs && bus.jobs[i].n != n)
        i++;
    if (i == bus.n_jobs) {
        if (bus.n_jobs == BUS_JOBS_MAX) {
            bus_refuse(req->node, GL_EAGAIN, "too many replays in progress");
            return;
        }
        bus.n_jobs++;
    }
    bus.jobs[i] = (struct bus_job){.n = n, .next = req->from_seq, .to = req->to_seq};
    gl_debug("bus: replay of %s from %llu to %llu", n->id, (unsigned long long)req->from_seq,
             (unsigned long long)req->to_seq);
    if (!bus.blocked)
        uv_idle_start(&bus.work, on_bus_work);
}

static void on_bus_readable(gl_zsock_t *zs, zmsg_t *msg, void *arg)
{
    zframe_t *body = zmsg_first(msg);
    char err[256] = "not one frame";
    Gridlink__V1__BusRequest *req = NULL;
    if (zmsg_size(msg) == 1 &&
        gl_decode_bus_request(zframe_data(body), zframe_size(body), &req, err, sizeof err) == 0) {
        bus_on_request(req);
        gridlink__v1__bus_request__free_unpacked(req, NULL);
    } else {
        bus.bad++;
        gl_warn("bus: bad request from the broker refused: %s", err);
    }
    (void)zs;
    (void)arg;
}

/* Every hosted node's last committed log sequence. Committed events were
 * handed to the DEALER in the same flush as their commit, so the mark never
 * overtakes them. */
static void on_bus_mark(uv_timer_t *t)
{
    (void)t;
    Gridlink__V1__NodeMark *marks = calloc(bus.n_nodes, sizeof *marks);
    Gridlink__V1__NodeMark **ptrs = calloc(bus.n_nodes, sizeof *ptrs);
    if (!marks || !ptrs) {
        free(marks);
        free(ptrs);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < bus.n_nodes; i++) {
        const bus_node *n = &bus.nodes[i];
        MDB_txn *txn;
        uint64_t last = 0;
        if (gl_store_begin(n->store, NULL, false, &txn) != 0)
            continue;
        int rc = gl_store_log_last(txn, n->store, &last);
        gl_store_abort(txn);
        if (rc != 0)
            continue;
        gridlink__v1__node_mark__init(&marks[k]);
        marks[k].node = (char *)n->id;
        marks[k].seq = last;
        ptrs[k] = &marks[k];
        k++;
    }
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "mark";
    rep.marks = ptrs;
    rep.n_marks = k;
    if (bus_send_reply(&rep) == 0)
        bus.marks++;
    free(marks);
    free(ptrs);
}

int bus_open(uv_loop_t *uv, gl_loop_t *loop, const gl_topology_t *topo, zcert_t *cert, const bus_node *nodes,
             size_t n_nodes)
{
    if (!topo->bus_in || !topo->broker_key)
        return GL_OK; /* no broker in this topology: the bus is simply off */
    for (size_t i = 1; i < n_nodes; i++)
        if (!gl_topology_in_subtree(nodes[0].id, nodes[i].id))
            gl_warn("bus: node %s is not under %s, whose key this process uses on the bus; the broker will "
                    "refuse its events (list an ancestor first)",
                    nodes[i].id, nodes[0].id);
    zsock_t *s = gl_sock_new(ZMQ_DEALER, GL_BUS_MAX_REQ_FRAME);
    if (!s)
        return GL_EIO;
    int hwm = gl_bus_hwm();
    zsock_set_sndhwm(s, hwm);
    zsock_set_rcvhwm(s, 1000);
    zsock_set_heartbeat_ivl(s, 2000);
    zsock_set_heartbeat_timeout(s, 6000);
    zsock_set_reconnect_ivl(s, 200);
    zsock_set_reconnect_ivl_max(s, 2000);
    gl_curve_client(s, cert, topo->broker_key);
    if (zsock_connect(s, "%s", topo->bus_in) != 0) {
        gl_error("bus: cannot connect to %s", topo->bus_in);
        zsock_destroy(&s);
        return GL_EIO;
    }
    int rc = gl_loop_add(loop, s, on_bus_readable, NULL, &bus.zs);
    if (rc != 0) {
        zsock_destroy(&s);
        return rc;
    }
    bus.nodes = nodes;
    bus.n_nodes = n_nodes;
    bus.pub = s;
    uv_idle_init(uv, &bus.work);
    uv_timer_init(uv, &bus.retry_timer);
    uv_timer_init(uv, &bus.mark_timer);
    bus.timers_open = true;
    uv_timer_start(&bus.mark_timer, on_bus_mark, 500, GL_BUS_MARK_MS);
    return GL_OK;
}

void bus_close(void)
{
    if (!bus.timers_open)
        return;
    gl_info("bus: %llu events published, %llu dropped at the high-water mark, %llu replayed in %llu chunks, "
            "%llu bad requests",
            (unsigned long long)bus.published, (unsigned long long)bus.dropped, (unsigned long long)bus.replayed,
            (unsigned long long)bus.chunks, (unsigned long long)bus.bad);
    uv_close((uv_handle_t *)&bus.work, NULL);
    uv_close((uv_handle_t *)&bus.retry_timer, NULL);
    uv_close((uv_handle_t *)&bus.mark_timer, NULL);
    bus.timers_open = false;
    bus.n_jobs = 0;
    bus.pub = NULL; /* the loop destroys the socket */
}

void bus_counters(uint64_t *published, uint64_t *dropped, uint64_t *replayed)
{
    *published = bus.published;
    *dropped = bus.dropped;
    *replayed = bus.replayed;
}
