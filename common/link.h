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
 * in its config; free with gl_link_free. */
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
    uint32_t liveness; /* heartbeat intervals of silence before the peer counts as down */
} gl_link_cfg;

typedef struct gl_link_stats {
    uint64_t sent, resent, applied, duplicates, gaps, acks_in, bad_acks;
} gl_link_stats;

enum { GL_LINK_HANDLED = 0, GL_LINK_APPLY = 1 };

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
/* Messages written but not yet acknowledged. */
uint64_t gl_link_pending(const gl_link_t *l);
const gl_link_stats *gl_link_get_stats(const gl_link_t *l);
const gl_peer_marks *gl_link_marks(const gl_link_t *l);

#endif
