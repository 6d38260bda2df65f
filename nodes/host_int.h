/* host_int.h: what the node process's two files share: host.c (the process:
 * sockets, control channel, liveness, setup) and batch.c (each node's batch:
 * inputs applied by the engine in one write transaction per loop pass, the
 * commit, the effects released after it, and the deadline timer). The host
 * owns its nodes; a node owns its store, certificate, sockets, links, engine
 * and the open batch. Besides those two, door.c (the HTTP door) and
 * metrics.c (its /metrics) include it; nothing else does. */
#ifndef GL_HOST_INT_H
#define GL_HOST_INT_H

#include <czmq.h>
#include <uv.h>

#include "api.h"
#include "bus.h"
#include "engine.h"
#include "home.h"
#include "http.h"
#include "link.h"
#include "loop.h"
#include "prom.h"
#include "sock.h"
#include "store.h"
#include "topology.h"
#include "users.h"
#include "zap.h"

typedef struct host host_t;
typedef struct node node_t;

enum in_kind { IN_PARENT, IN_CHILD, IN_CTL, IN_HTTP };

/* One input of the open batch; its index is the token a reply goes to. */
struct input {
    enum in_kind kind;
    int child;     /* IN_CHILD: index into node->children */
    zframe_t *rid; /* IN_CTL: the control client's routing ID */
    uint8_t *buf;
    size_t len;
    /* IN_HTTP: the request waiting for the answer (NULL once answered),
     * the operation and who asks. */
    gl_http_req_t *http;
    gl_op op;
    gl_caller who; /* its role; the name is user[] */
    char user[96];
    const gl_api_answerer *answerer; /* IN_HTTP: NULL for the staff API's */
};

struct child {
    const gl_node_t *topo;
    gl_link_t *link;
    bool was_up;
    /* Routing ID of the connection this child last spoke from. libzmq picks
     * routing IDs on the parent side; a child's claim is never trusted, so
     * one child cannot take over another's traffic. */
    zframe_t *rid;
};

struct node {
    host_t *host;
    const gl_node_t *topo;
    const char *id;
    const gl_node_t *parent;
    gl_store_t *store;
    zcert_t *cert;
    gl_engine_t *engine;

    gl_zsock_t *up; /* DEALER to the parent */
    gl_link_t *uplink;
    bool uplink_was_up;
    int64_t up_backoff_ms, up_retry_at;

    gl_zsock_t *down; /* ROUTER for the children */
    gl_sockmon_t *down_mon;
    struct child *children;
    size_t n_children;

    MDB_txn *txn; /* the open batch, or NULL */
    bool dirty;
    struct input *in;
    size_t n_in, cap_in;
    size_t in_bytes; /* of the inputs' frames; BATCH_MAX_BYTES ends the pass's reads */
    bool replaying;

    uv_timer_t deadline_timer;
    bool deadlines_changed;

    uint64_t bad_messages, refused, store_errors;
    int last_refusal;                      /* why the last input was refused, 0 if taken */
    bool map_full;                         /* work outside an input (deadlines, liveness) hit a full map */
    char prune_after[GL_NODE_ID_MAX + 64]; /* prune.c: the case its walk goes on after ("": the first) */
    uint64_t archive_errors;               /* prune passes whose archive could not be written */
    gl_prom_hist commit_hist;              /* seconds per batch commit (metrics.c) */
};

struct host {
    uv_loop_t *uv;
    gl_loop_t *loop;
    gl_zap_t *zap;
    char *home;
    gl_topology_t *topo;
    node_t **nodes;
    size_t n_nodes;
    bus_node *bus_nodes;
    zhashx_t *by_id;
    gl_zsock_t *ctl;
    gl_sockmon_t *ctl_mon;
    char ctl_path[4096];
    zcert_t *pub_cert;
    uv_timer_t tick;
    uv_signal_t sigint, sigterm, sighup;
    node_t **dirty;
    size_t n_dirty;
    uint32_t window;
    bool stopping;
    gl_http_t *http;   /* the staff API, when the topology gives HTTP ports */
    gl_users_t *users; /* HOME/users, when it exists */
    char http_url[128];
    struct sse *sse;       /* the event streams open (door.c) */
    struct census *census; /* cases by state, per node (metrics.c) */
    size_t n_sse;
    uv_timer_t sse_beat;
    bool sse_beat_on;
};

/* host.c: the transport's counts (ZAP, handshakes, HTTP) into the
 * engine's, for health. */
void host_share_counts(node_t *n);

/* A read's reply is sent at once; its token says so. */
#define TOKEN_NOW UINT64_MAX

#define MAX_GROW 8
#define TICK_MS  250
/* A pass stops reading a node's links once its batch holds this many bytes
 * of frames (the loop's budget bounds the count): a bound on what a batch
 * keeps in memory until its commit. */
#define BATCH_MAX_BYTES (8u << 20)

static inline int64_t host_now(host_t *h)
{
    (void)h;
    return gl_now_ms();
}

/* batch.c */
/* Open (lazily) the node's batch transaction for this loop pass. */
MDB_txn *batch_txn(node_t *n);
/* One input for the batch; 0 if it was taken, else why it was refused. */
int batch_input(node_t *n, enum in_kind kind, int child, zframe_t *rid, zframe_t *body);
/* The loop's flush: commit every dirty node's batch, then let its effects,
 * acks and messages out. */
void batch_flush(void *host);
/* A write asked over HTTP (req packed in buf), for the batch. */
int batch_input_http(node_t *n, gl_http_req_t *r, const gl_api_call *call, const uint8_t *buf, size_t len);
/* Apply fn to every link of the node. */
void batch_links_each(node_t *n, void (*fn)(gl_link_t *));
void batch_free_inputs(node_t *n);
/* A control reply, or one carrying only an error. */
void ctl_send(zsock_t *ctl, zframe_t *rid, const uint8_t *buf, size_t len);
void ctl_send_error(zsock_t *ctl, zframe_t *rid, int code, const char *text);
/* The deadline timer of a node: armed for the engine's earliest deadline. */
void deadlines_init(node_t *n);
void deadlines_arm(node_t *n);
void deadlines_close(node_t *n);
/* The control socket's caller: the node's own machine. */
extern const gl_caller host_operator;

/* prune.c: retention (see there). prune_start arms the host's pass timer
 * when the retention is on; prune_stop closes it. prune_node runs one pass
 * for n (its deletions in n's batch), saying whether it filled its batch
 * and what it archived; prune_ctl answers the `prune` control request. */
int64_t prune_retain_ms(const gl_topology_t *t);
void prune_start(host_t *h);
void prune_stop(void);
int prune_node(node_t *n, int64_t now, bool *full, uint64_t *events, uint64_t *cases, char *err, size_t errlen);
void prune_ctl(node_t *n, zsock_t *sock, zframe_t *rid);

/* door.c: the HTTP door of the process (api.h), when the topology gives it
 * a port: started after the nodes, stopped before them. */
int door_start(host_t *h);
void door_stop(host_t *h);
/* The node committed new log entries: its event streams get them. */
void door_events(node_t *n);

#endif
