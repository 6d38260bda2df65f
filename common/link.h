/* link.h: the reliable link, one side's view of one tree peer.
 *
 * Every case-carrying message gets the next sequence number of its link and
 * direction and is written to the store's outbox inside the caller's write
 * transaction, before anything is sent. After the caller commits, the link
 * sends what the window allows; the peer applies each message in its own
 * transaction together with its new high mark, commits, and only then
 * acknowledges cumulatively. On a cumulative ack the outbox is trimmed (again
 * inside a caller transaction). Unacknowledged messages are sent again after
 * a timeout without progress and after every (re)connection (Hello/Welcome
 * carry each side's applied mark). A message at or below the applied mark is
 * a duplicate: it is acknowledged, not applied. One beyond the next expected
 * is dropped and comes again with the resend (go-back-N). Heartbeats flow
 * both ways; any traffic counts as a sign of life.
 *
 * The link never touches a socket: it calls the send function it was given.
 * It keeps two copies of its marks, the committed ones and the working ones
 * of the open batch; gl_link_commit / gl_link_abort follow the caller's
 * transaction outcome, and gl_link_mark / gl_link_unwind bracket one input
 * applied in a nested transaction. The link owns its copies of the strings
 * in its config; free with gl_link_free.
 *
 * A message is sequenced when it carries a sequence number. A sequenced
 * message the receiver will never accept is refused by number (Refusal, with
 * a digest of the frame): the receiver's mark stays where it was, so a forged
 * message never costs the real sender a number, and the sender, when the
 * digest matches what it holds under that number, moves the message to its
 * dead letters (deadletter.h) and sends a Skip under the same number in its
 * place. So no single message can stop a link.
 *
 * Hello and Welcome carry each side's store identity. When a peer comes back
 * with a store other than the one this side knew (rebuilt, restored), the
 * link starts its numbering with that peer over: the peer's messages are
 * taken from 1 again and this side's unacknowledged messages are numbered
 * anew after what the peer says it applied.
 *
 * Hello and Welcome also carry the protocol version each side speaks
 * (cfg.proto_version, GL_PROTO_VERSION by default; a Welcome that states
 * none speaks its envelope's version). One of another version is not
 * taken: it is counted (proto_mismatch) and logged, the link does not come
 * up, and a parent answers the child with an Error naming both versions,
 * which the child counts (errors_in) and logs while it goes on saying
 * Hello. */
#ifndef GL_LINK_H
#define GL_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

typedef struct gl_link gl_link_t;

/* Returns 0 when the frame was queued, GL_EAGAIN when the transport cannot
 * take it now (not connected, high-water mark), GL_EDOWN when the peer is not
 * routable. */
typedef int(gl_link_send_fn)(void *ctx, const char *peer, const uint8_t *buf, size_t len);

typedef struct gl_link_cfg {
    const char *self;
    const char *peer;
    bool to_parent;  /* this side is the child: it says Hello */
    uint32_t window; /* unacknowledged messages in flight, at most */
    uint32_t rto_ms; /* resend when no ack progress for this long */
    uint32_t heartbeat_ms;
    uint32_t liveness;      /* heartbeat intervals of silence before the peer counts as down */
    uint32_t proto_version; /* the protocol this side speaks; 0: GL_PROTO_VERSION */
} gl_link_cfg;

typedef struct gl_link_stats {
    uint64_t sent, resent, applied, duplicates, gaps, acks_in, bad_acks;
    uint64_t refused_in;     /* sequenced messages this side refused */
    uint64_t dead_lettered;  /* messages of ours the peer refused, moved to dead letters */
    uint64_t stale_refusals; /* refusals that matched nothing we hold */
    uint64_t skipped;        /* the peer's Skips applied */
    uint64_t store_resets;   /* the peer came back with another store */
    uint64_t proto_mismatch; /* Hellos or Welcomes of another protocol version, not taken */
    uint64_t errors_in;      /* the peer's Error messages (why it will not link with us) */
} gl_link_stats;

enum {
    GL_LINK_HANDLED = 0,
    GL_LINK_APPLY = 1, /* the caller applies the message */
    GL_LINK_DEAD = 2,  /* one of our messages was dead-lettered (gl_link_last_dead) */
    GL_LINK_RESET = 3, /* the peer came back with another store */
};

int gl_link_new(gl_store_t *store, const gl_link_cfg *cfg, gl_link_send_fn *send, void *ctx, gl_link_t **out);
void gl_link_free(gl_link_t **l);

const char *gl_link_peer(const gl_link_t *l);

/* Inside the caller's write transaction: stamp env (version, sender, seq),
 * pack it and add it to the outbox. env stays owned by the caller. */
int gl_link_enqueue(gl_link_t *l, MDB_txn *txn, Gridlink__V1__Envelope *env);

/* Inside the caller's write transaction: take in an envelope from the peer
 * (already decoded and authenticated). Handles acks, hello, welcome and
 * heartbeats. Returns GL_LINK_APPLY when env carries the next expected
 * sequenced message: the caller applies it and then calls gl_link_applied in
 * the same transaction. Returns GL_LINK_HANDLED otherwise, or an error. */
int gl_link_receive(gl_link_t *l, MDB_txn *txn, const Gridlink__V1__Envelope *env, int64_t now_ms);
int gl_link_applied(gl_link_t *l, MDB_txn *txn, uint64_t seq);

/* The receiver refuses sequenced message `seq`, whose frame is buf[0..len):
 * the peer is told after the next flush; the mark does not move. */
void gl_link_refuse(gl_link_t *l, uint64_t seq, const uint8_t *buf, size_t len, int code, const char *reason);
/* After GL_LINK_DEAD: the case the dead-lettered message carried ("" if none)
 * and the peer's reason. Valid until the next receive. */
const char *gl_link_last_dead_case(const gl_link_t *l);
const char *gl_link_last_dead_reason(const gl_link_t *l);
/* Inside the caller's write transaction: send dead letter `seq` of this link
 * again under a new sequence number and remove the record. */
int gl_link_retry_dead(gl_link_t *l, MDB_txn *txn, uint64_t seq);
/* Parent side: the highest case counter of cases the child minted, told to
 * the child in every later Welcome so a rebuilt child never reuses an ID. */
void gl_link_set_origin_counter(gl_link_t *l, uint64_t counter);

/* Before the caller's commit: write the working marks to the store when the
 * batch changed them (once per batch, not once per message). Every write
 * transaction that went through the link calls it before its commit. */
int gl_link_save(gl_link_t *l, MDB_txn *txn);
void gl_link_mark(gl_link_t *l);
void gl_link_unwind(gl_link_t *l);
void gl_link_commit(gl_link_t *l);
void gl_link_abort(gl_link_t *l);

/* After the caller's commit: send acks, welcome and the outbox window. */
void gl_link_flush(gl_link_t *l, int64_t now_ms);
/* The transport (re)connected: the next flush says Hello and resends. */
void gl_link_connected(gl_link_t *l, int64_t now_ms);
/* Heartbeats, resends, liveness. Returns true if the peer just went down. */
bool gl_link_tick(gl_link_t *l, int64_t now_ms);

bool gl_link_up(const gl_link_t *l);
/* The sequence number the next applied message from the peer must carry. */
uint64_t gl_link_expected(const gl_link_t *l);
/* Messages written but not yet acknowledged. */
uint64_t gl_link_pending(const gl_link_t *l);
const gl_link_stats *gl_link_get_stats(const gl_link_t *l);
const gl_peer_marks *gl_link_marks(const gl_link_t *l);

#endif
