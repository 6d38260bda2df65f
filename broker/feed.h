/* feed.h: one feed per node the broker has heard of: the node's events
 * applied strictly in sequence order, the window of its recent events, and
 * the repair of gaps by replays asked of the node's process (the broker's
 * own, and clients' replays older than the window).
 *
 * Feeds belong to the broker's feeds table (feed_destroy frees one) and
 * live until the broker stops. A feed owns its asks, its window's
 * references and its copy of the serving connection's routing ID; an ask
 * for a client owns a copy of that client's routing ID and names it by id,
 * so a client that went away is never reached through a stale ask. Only the
 * head of a feed's queue is in flight, so every chunk and every end the
 * node sends belong to it. */
#ifndef GL_BROKER_FEED_H
#define GL_BROKER_FEED_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "outq.h"
#include "view.h"

typedef struct broker broker_t;

#define FEED_CLIENT_ASKS_MAX 64 /* forwarded client replays queued per node */

/* A replay asked of a node's process. */
typedef struct ask {
    struct ask *next;
    zframe_t *client;    /* client's routing ID, or NULL: the broker's own repair */
    uint64_t client_id;  /* and which client_t of that routing ID */
    uint64_t to;         /* client asks: last sequence wanted */
    uint64_t next_seq;   /* client asks: next sequence to forward */
    uint64_t round_from; /* first sequence of the request in flight */
    uint64_t round_to;   /* and its last */
    uint64_t seen_to;    /* highest sequence the node sent in this round */
    uint64_t applied;    /* events this round brought into the view */
    int64_t sent_ms;     /* 0 = not (or no longer) in flight */
    int64_t created_ms;
    bool cancelled; /* its client was cut off or left: dropped, or drained if in flight */
} ask_t;

typedef struct feed {
    char *node;
    uint64_t last;  /* the view has every event up to here, applied in order */
    uint64_t known; /* highest sequence heard of, by event or mark */
    zframe_t *rid;  /* connection of the process that serves the node */
    ask_t *head, *tail;
    size_t n_client_asks;
    bool own_queued;
    int64_t hold_until;        /* the node's process refused a replay: ask nothing before this */
    int64_t repair_hold_until; /* own repairs back off after rounds that brought nothing */
    unsigned futile;           /* own repair rounds in a row that brought nothing */
    bool overclaimed;          /* the node claimed more than it replays; said once */
    int64_t reset_ms;          /* when its feed was last rebuilt from 1 */
    int64_t heard_ms;          /* its last event or mark (loop ms) */
    window_t win;              /* its events up to last, most recent */
} feed_t;

/* The feeds table's destructor. */
void feed_destroy(void **item);
/* The feed of node, made if new; NULL only when out of memory. */
feed_t *feed_get(broker_t *b, const char *node);
/* rid's process serves f's node (the one replays are asked of). */
void feed_set_rid(feed_t *f, zframe_t *rid);

/* Take ev (ownership passes) into f's view if it is the next one, and ask
 * for a replay if it shows a gap. raw is the live frame it was decoded
 * from (NULL for a replayed event). */
void feed_offer(broker_t *b, feed_t *f, bus_event_t *ev, zframe_t *raw);
/* The node's process marks its log at seq. */
void feed_take_mark(broker_t *b, feed_t *f, uint64_t seq);
/* A chunk of replay from the node's process, its events checked (the
 * caller keeps rep and frees it; the events left in it pass to the feed).
 * heard is the highest sequence the process sent in it, checked or not. */
void feed_take_replay(broker_t *b, feed_t *f, Gridlink__V1__BusReply *rep, uint64_t heard);
/* Queue a replay of from..to for c, older than the window, to be asked of
 * the node's process and forwarded to c. The caller has checked the bounds
 * (FEED_CLIENT_ASKS_MAX, CLIENT_ASKS_MAX). */
void feed_ask_client(broker_t *b, feed_t *f, client_t *c, uint64_t from, uint64_t to);

/* The ask timer: cancels gone clients' asks, gives up on and asks again
 * for replays that got no answer, and sends what is queued. */
void feed_on_asks(uv_timer_t *t);
/* The marks timer: every feed's last sequence, on the PUB and to each
 * subscriber over bus_in under its prefix. */
void feed_on_marks(uv_timer_t *t);

#endif
