/* outq.h: what goes out to watchers: the PUB (bus_out), and per client (a
 * connection on bus_in that asked for something) a bounded queue of replies,
 * live events and marks.
 *
 * A client_t belongs to the broker's clients table (keyed by its routing ID
 * in hex), which frees it (outq_client_destroy) when outq_release finds
 * nothing of it left: no queued message, no replay waiting on a node
 * process (asks), no subscription. It holds its own copy of its routing ID
 * frame; the subscribers list only points at it. Every queued buffer is the
 * queue's, freed once sent or dropped. Nothing here blocks: every send is
 * non-blocking, and what does not fit waits in the client's queue, flushed
 * by a timer.
 *
 * What one connection can make the broker hold is bounded: ZeroMQ keeps at
 * most CLIENT_PIPE_MSGS messages of at most about CLIENT_CHUNK_BYTES for a
 * peer, the client's own queue at most CLIENT_OUTQ_MAX_BYTES, and at most
 * CLIENT_ASKS_MAX of its replays wait on node processes. Live events and
 * marks for a subscriber are dropped past CLIENT_LIVE_MAX_BYTES queued (its
 * sequence shows the gap). A connection over its queue bound has stopped
 * reading: it is cut off (queue, subscription and asks dropped, counted) and
 * its key's requests are refused for CUTOFF_MS. */
#ifndef GL_BROKER_OUTQ_H
#define GL_BROKER_OUTQ_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridlink.pb-c.h"
#include "view.h"

typedef struct broker broker_t;

#define OUTQ_MAX_BYTES (256u << 20) /* all clients' queues: past this, new requests are refused */
/* One connection: its queue (a whole-district snapshot of VIEW_MAX_CASES
 * typical events fits), the chunks it is sent in, how many of those ZeroMQ
 * may hold for it, how much one replay answer may carry (the client asks
 * again for the rest), its replays waiting on node processes, and how long
 * its key is refused after a cut-off. */
#define CLIENT_OUTQ_MAX_BYTES   (32u << 20)
#define CLIENT_CHUNK_BYTES      (64u * 1024)
#define CLIENT_PIPE_MSGS        64
#define CLIENT_REPLAY_MAX_BYTES (4u << 20)
#define CLIENT_ASKS_MAX         16
#define CLIENT_LIVE_MAX_BYTES   (8u << 20) /* past this queued, a subscriber's live events are dropped */
#define CUTOFF_MS               30000

typedef struct client {
    uint64_t id; /* unique for the broker's life: a routing ID can come back */
    char *key;   /* routing ID in hex */
    zframe_t *rid;
    char *user;        /* the connection's ZAP user ID */
    const char *grant; /* the node whose subtree it may see (points into the topology) */
    char *sub;         /* subscribed to the events under this node, or NULL */
    void *sub_handle;  /* in the broker's subscribers */
    zlistx_t *q;       /* outmsg_t, oldest first */
    size_t bytes;
    size_t asks; /* its replays waiting on node processes (counted by feed.c) */
    bool gone;   /* cut off or disconnected: nothing more is queued */
} client_t;

/* The clients table's destructor. */
void outq_client_destroy(void **item);
/* The client of connection rid, or NULL. */
client_t *outq_find(broker_t *b, zframe_t *rid);
/* The client of connection rid (authenticated as user), made if new; NULL
 * only when out of memory. */
client_t *outq_get(broker_t *b, zframe_t *rid, const char *user);
/* Done with c for now: forget (free) it if nothing of it remains. */
void outq_release(broker_t *b, client_t *c);
/* The connection went away (or was cut off): drop what it had coming. */
void outq_gone(broker_t *b, client_t *c);
/* Forget the clients that went away since the last call. */
void outq_release_gone(broker_t *b);
/* Whether user was cut off a moment ago and is still refused. */
bool outq_user_cut_off(broker_t *b, const char *user);

/* Queue buf (ownership passes) for c; false if c is gone. droppable: a live
 * event or mark, dropped rather than cutting c off. */
bool outq_queue(broker_t *b, client_t *c, uint8_t *buf, size_t len, bool droppable);
/* Queue one reply for c; false if c is gone. */
bool outq_send(broker_t *b, client_t *c, const Gridlink__V1__BusReply *rep);
/* Events as reply chunks (rep's end and marks go with the last); false if
 * c is gone. */
bool outq_send_events(broker_t *b, client_t *c, Gridlink__V1__BusReply *rep, bus_event_t **evs, const size_t *sizes,
                      size_t n);
/* A reply that ends an operation: code 0 and no text for a plain end. */
void outq_error(broker_t *b, client_t *c, const char *op, const char *node, int code, const char *why);
/* Queue a copy of buf for every subscriber under whose prefix node lies. */
void outq_send_live(broker_t *b, const char *node, const uint8_t *buf, size_t len);

/* Publish on the PUB under topic. */
void outq_publish(broker_t *b, const char *topic, const void *buf, size_t len);
/* Publish an event under "<kind> <node>"; raw: the event as it arrived
 * (checked), or NULL to pack it again. */
void outq_publish_event(broker_t *b, const bus_event_t *ev, zframe_t *raw);

#endif
