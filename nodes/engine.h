/* engine.h: the case logic of one tier node, with no transport in it.
 *
 * Requests come in from the parent, a child, a person (through any front
 * door: the control socket, HTTP) and the clock; each is applied inside a
 * write transaction the caller owns, with the time it arrived. What the
 * engine wants done outside goes out as effects (a reply to a token, a bus
 * event) that the caller releases only after the transaction commits, and as
 * messages to peers written to the links' outboxes in the same transaction.
 * The engine never calls back into its caller; it knows no socket and no
 * event loop. Links are made by the caller (with their transport function)
 * and lent to the engine; the store likewise.
 *
 * One table of operations (gl_engine_op) says for every operation whether it
 * reads or writes and who may call it; the caller looks an operation up,
 * applies a write in its batch and a read in a read transaction, and hands
 * both to gl_engine_call.
 *
 * Ownership: the engine owns its effects until gl_engine_fx_clear or
 * gl_engine_fx_unwind; the caller keeps the store, topology and links. */
#ifndef GL_ENGINE_H
#define GL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "names.h"
#include "store.h"
#include "topology.h"

typedef struct gl_engine gl_engine_t;

/* Where a reply goes; chosen and resolved by the transport. */
typedef uint64_t gl_token;

enum gl_fx_kind { GL_FX_REPLY, GL_FX_EVENT };

typedef struct gl_effect {
    enum gl_fx_kind kind;
    gl_token token; /* GL_FX_REPLY */
    char *topic;    /* GL_FX_EVENT: "<kind> <node>", inside buf's block */
    uint8_t *buf;   /* packed CtlReply or BusEvent */
    size_t len;
} gl_effect;

/* Who asks: the front door says what it knows. */
enum gl_role {
    GL_ROLE_OPERATOR = 1 << 0, /* the node's own machine (control socket) */
    GL_ROLE_STAFF = 1 << 1,    /* a person working the node's queue */
    GL_ROLE_RESIDENT = 1 << 2, /* a resident following their request */
};

typedef struct gl_caller {
    unsigned role;    /* one enum gl_role */
    const char *user; /* recorded in history; NULL or "" for the node itself */
} gl_caller;

typedef struct gl_engine_op {
    gl_op op;
    bool writes;    /* applied in the batch, replied after commit */
    unsigned roles; /* enum gl_role mask of who may call it */
} gl_engine_op;

typedef struct gl_engine_cfg {
    const gl_topology_t *topo;
    const char *node; /* this node's ID */
    gl_store_t *store;
    gl_link_t *uplink;       /* NULL at the district */
    gl_link_t **child_links; /* one per topology child, in topology order */
} gl_engine_cfg;

/* Counted since the engine was made (health shows them). */
typedef struct gl_engine_counts {
    uint64_t malformed;       /* frames and requests that did not decode */
    uint64_t spoofed;         /* wrong sender, a case outside the sender's subtree */
    uint64_t refused_in;      /* sequenced messages refused by number */
    uint64_t store_resets;    /* peers that came back with a new store */
    uint64_t refused_actions; /* people's requests refused */
    uint64_t due_soon;        /* due-soon warnings fired */
    uint64_t proto_mismatch;  /* Hellos and Welcomes of another protocol version */
    /* Filled in by the transport, shown by health. */
    uint64_t unauthorized, handshake_failed, transport_malformed, transport_refused;
    uint64_t http_requests, http_refused, http_cut;
    uint64_t open311_refused, public_refused;
    uint64_t archive_errors; /* retention passes that could not write the archive */
} gl_engine_counts;

int gl_engine_new(const gl_engine_cfg *cfg, gl_engine_t **out);
void gl_engine_free(gl_engine_t **e);
gl_engine_counts *gl_engine_counters(gl_engine_t *e);
/* The base URL of the staff API serving this node, for health (copied). */
void gl_engine_set_http_url(gl_engine_t *e, const char *url);

/* The operation called name, or NULL. */
const gl_engine_op *gl_engine_op_find(const char *name);

/* A frame from a tree peer (child index, or -1 for the parent), already
 * authenticated by the transport as that peer. Inside txn. Returns 0, or a
 * storage error that spoils the batch. */
int gl_engine_frame(gl_engine_t *e, MDB_txn *txn, int child, const uint8_t *buf, size_t len, int64_t now);

/* Why the last frame was refused (a gl_err), 0 if it was taken: a
 * transport must not learn a route from a refused frame. */
int gl_engine_last_refusal(const gl_engine_t *e);

/* A person's request (decoded). For a write op, txn is the batch; for a read
 * op, a read transaction. The reply goes to token as an effect. Returns 0
 * when the request was answered (even with a refusal), or a storage error. */
int gl_engine_call(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                   gl_token token, int64_t now);

/* The clock: fire at most budget due deadlines. *more says whether due ones
 * remain. Inside txn. */
int gl_engine_fire(gl_engine_t *e, MDB_txn *txn, int64_t now, int budget, bool *more);
/* The earliest deadline (GL_ENOENT when none), read through txn. */
int gl_engine_next_due(gl_engine_t *e, MDB_txn *txn, int64_t *due);
/* True once something changed the deadline index; cleared by reading it. */
bool gl_engine_take_deadlines_changed(gl_engine_t *e);

/* Work that waits for a condition rather than a time: escalations that wait
 * for the parent's link. wants says whether there may be any (so a
 * transport need not open a transaction for nothing); tick does it, inside
 * txn, when the link is up. */
bool gl_engine_wants_tick(const gl_engine_t *e);
int gl_engine_tick(gl_engine_t *e, MDB_txn *txn, int64_t now);
/* The transport aborted the batch: effects go, and what the engine
 * remembers of the batch's work is forgotten. */
void gl_engine_batch_aborted(gl_engine_t *e);

/* A tree link went up or down (the transport saw it). Inside txn. When the
 * parent comes back, escalations that waited for it are sent. */
int gl_engine_link_changed(gl_engine_t *e, MDB_txn *txn, const char *peer, bool up, int64_t now);

/* Effects of the open batch, in order. mark/unwind bracket one input so a
 * refused input leaves none. */
const gl_effect *gl_engine_fx(const gl_engine_t *e, size_t *n);
size_t gl_engine_fx_mark(const gl_engine_t *e);
void gl_engine_fx_unwind(gl_engine_t *e, size_t mark);
void gl_engine_fx_clear(gl_engine_t *e);

/* A packed CtlReply carrying only an error, for a transport that must answer
 * without the engine (a batch the store refused). *buf is the caller's. */
int gl_engine_error_reply(int code, const char *text, uint8_t **buf, size_t *len);

#endif
