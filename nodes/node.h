/* node.h: the node program's internals, shared by host.c (the process: loop,
 * sockets, control channel, batching), node.c (case logic of one tier node)
 * and escalation.c (the deadline index and its timer).
 *
 * A host owns its nodes; a node owns its store, certificate, links and the
 * open batch (write transaction, the inputs applied in it, and the effects
 * that wait for its commit). Inputs are kept until commit so that a batch
 * aborted by a full map can be applied again after the map grows. */
#ifndef GL_NODE_H
#define GL_NODE_H

#include <czmq.h>
#include <stdbool.h>
#include <uv.h>

#include "link.h"
#include "loop.h"
#include "sock.h"
#include "store.h"
#include "topology.h"
#include "zap.h"

typedef struct host host_t;
typedef struct node node_t;

enum fx_kind { FX_REPLY, FX_PUBLISH };

struct effect {
    enum fx_kind kind;
    zframe_t *rid; /* FX_REPLY: the control client's routing ID */
    uint8_t *buf;
    size_t len;
    char *topic; /* FX_PUBLISH */
};

enum in_kind { IN_PARENT, IN_CHILD, IN_CTL };

struct input {
    enum in_kind kind;
    int child;     /* IN_CHILD: index into node->children */
    zframe_t *rid; /* IN_CTL */
    uint8_t *buf;
    size_t len;
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
    struct effect *fx;
    size_t n_fx, cap_fx;
    struct input *in;
    size_t n_in, cap_in;
    bool replaying;

    uv_timer_t deadline_timer;
    bool deadlines_changed;

    uint64_t bad_messages, refused, store_errors;
    uint64_t malformed;       /* tree frames that did not decode */
    uint64_t spoofed;         /* wrong sender name, case outside the sender's subtree */
    uint64_t refused_in;      /* sequenced messages refused by number */
    uint64_t store_resets;    /* peers that came back with a new store */
    uint64_t refused_actions; /* people's requests refused */
    int last_refusal;         /* why the last input was refused, 0 if taken */
    bool map_full;            /* work outside an input (deadlines, liveness) hit a full map */
};

struct host {
    uv_loop_t *uv;
    gl_loop_t *loop;
    gl_zap_t *zap;
    char *home;
    gl_topology_t *topo;
    node_t **nodes;
    size_t n_nodes;
    zhashx_t *by_id;
    gl_zsock_t *ctl;
    gl_sockmon_t *ctl_mon;
    char ctl_path[4096];
    zsock_t *pub;
    zcert_t *pub_cert;
    uv_timer_t tick;
    uv_signal_t sigint, sigterm;
    node_t **dirty;
    size_t n_dirty;
    uint32_t window;
    bool stopping;
};

/* host.c */
int64_t host_now(host_t *h);
/* The hosted node with this ID, or NULL. */
node_t *host_find_node(host_t *h, const char *id);
/* Open (lazily) the node's batch transaction for this loop pass. */
MDB_txn *node_txn(node_t *n);
int node_fx_publish(node_t *n, const char *topic, const uint8_t *buf, size_t len);
int node_fx_reply(node_t *n, zframe_t *rid, const Gridlink__V1__CtlReply *rep);

/* node.c: inputs applied inside txn (a nested transaction of the batch) */
int node_on_parent(node_t *n, MDB_txn *txn, const uint8_t *buf, size_t len);
int node_on_child(node_t *n, MDB_txn *txn, int child, const uint8_t *buf, size_t len);
int node_on_ctl_write(node_t *n, MDB_txn *txn, zframe_t *rid, const Gridlink__V1__CtlRequest *req);
/* Send a reply to the control client `rid` now (rid stays the caller's). */
void ctl_send_reply(zsock_t *ctl, zframe_t *rid, const Gridlink__V1__CtlReply *rep);
/* Read-only control requests, answered at once from committed state. */
void node_on_ctl_read(node_t *n, zframe_t *rid, const Gridlink__V1__CtlRequest *req, zsock_t *ctl);
/* Append an event to the node's log and queue its publication. */
int node_log(node_t *n, MDB_txn *txn, const char *kind, const Gridlink__V1__Case *c, const char *peer,
             const char *note);
int node_escalate(node_t *n, MDB_txn *txn, Gridlink__V1__Case *c, const char *note);
/* Does the case, as it stands, still fit in a tree message? */
bool case_fits(const Gridlink__V1__Case *c);
/* Log (and publish) that a peer refused a message of ours for good. */
int node_log_dead(node_t *n, MDB_txn *txn, const char *peer, const char *case_id, const char *reason);
int node_status_down(node_t *n, MDB_txn *txn, const Gridlink__V1__Case *c);
void case_history_add(Gridlink__V1__Case *c, const char *action, const char *node, int64_t now, const char *note);
void case_set_str(char **field, const char *v);

/* escalation.c */
int deadlines_start(node_t *n, MDB_txn *txn, Gridlink__V1__Case *c, bool accept, bool resolve);
int deadlines_clear(node_t *n, MDB_txn *txn, Gridlink__V1__Case *c, bool accept, bool resolve);
void deadlines_arm(node_t *n);
int deadlines_init(node_t *n);
void deadlines_close(node_t *n);

#endif
