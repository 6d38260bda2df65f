/* deadletter.h: messages a peer refused for good, kept by their sender.
 *
 * When a receiver refuses a sequenced message (it will never accept it: too
 * large, malformed, outside the sender's jurisdiction), the sending link moves
 * it here and puts a Skip in its place, so the link goes on. An operator lists
 * the records, retries one (it is sent again under a new sequence number) or
 * drops it. Records live in the store's `dead` database, keyed by peer id,
 * 0x00 and the sequence number the message had (u64 BE), valued by a packed
 * DeadLetter. Functions run inside the caller's transaction; a record handed
 * out is owned by the caller (gridlink__v1__dead_letter__free_unpacked). */
#ifndef GL_DEADLETTER_H
#define GL_DEADLETTER_H

#include "store.h"

int gl_dead_put(MDB_txn *txn, gl_store_t *s, const Gridlink__V1__DeadLetter *dl);
/* GL_ENOENT when absent. */
int gl_dead_get(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t seq, Gridlink__V1__DeadLetter **out);
int gl_dead_del(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t seq);
/* Every record in key order (peer, then sequence), until fn returns non-zero
 * (returned). The record passed to fn is freed after fn returns. */
int gl_dead_foreach(MDB_txn *txn, gl_store_t *s, int (*fn)(const Gridlink__V1__DeadLetter *dl, void *arg), void *arg);
int gl_dead_count(MDB_txn *txn, gl_store_t *s, uint64_t *n);

#endif
