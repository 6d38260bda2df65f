/* core.h: the state every module of the broker shares (broker_t), its
 * clock, and the limiter of complaints about peers.
 *
 * broker_run (broker.c) owns the broker_t and everything in it, and frees it
 * all when the loop stops. Each group of fields below is kept by the module
 * named beside it; the others read them (and feed.c clears sweep once it
 * has cancelled the gone clients' asks).
 * Feeds (feed.h) live in feeds until the broker stops; clients (outq.h) in
 * clients until released; subs only points at clients. */
#ifndef GL_BROKER_CORE_H
#define GL_BROKER_CORE_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "http.h"
#include "loop.h"
#include "prom.h"
#include "topology.h"
#include "users.h"
#include "view.h"
#include "zap.h"

/* Kinds of complaint about peers, each logged at most once a second. */
enum { WARN_BAD, WARN_UNAUTHORIZED, WARN_FOREIGN, WARN_FUTURE, WARN_CLIENT, WARN_KINDS };

typedef struct broker {
    /* broker.c: the loop, admission, topology, keys and sockets */
    uv_loop_t *uv;
    gl_loop_t *loop;
    gl_zap_t *zap;
    gl_topology_t *topo;
    zcert_t *cert;
    gl_zsock_t *in; /* ROUTER on bus_in: node feeds, replays asked of nodes, clients' requests and replies */
    zsock_t *out;   /* PUB on bus_out */
    uv_timer_t hugz, marks, asks, flush;
    uv_signal_t sigint, sigterm, sighup;
    /* view.c */
    view_t view;
    /* feed.c */
    zhashx_t *feeds; /* node id -> feed_t */
    size_t inflight; /* asks sent and not yet answered to the end */
    uint64_t events, replayed, gaps, missed, duplicates, deferred, asks_sent, overclaims;
    uint64_t archived_skipped; /* sequences skipped because their node archived them (BusReply.pruned_through) */
    /* outq.c */
    zhashx_t *clients; /* rid hex -> client_t */
    zlistx_t *subs;    /* client_t subscribed over bus_in */
    zhashx_t *cut_off; /* ZAP user ID -> int64_t (loop ms) until which its requests are refused */
    uint64_t next_client_id;
    bool sweep; /* a client went away: cancel its asks and forget it on the next tick */
    size_t out_bytes;
    uint64_t cutoffs, live_dropped;
    /* intake.c and service.c */
    uint64_t bad, unauthorized, foreign, future;
    uint64_t snapshots, client_replays, refused, out_of_scope;
    /* core.c */
    gl_http_t *http;       /* GET /metrics (metrics.c) */
    struct durable *dur;   /* the durable view (durable.c) */
    struct kpis *kpis;     /* the KPI counters in its store (kpis.c) */
    struct stream *stream; /* the dashboard's live stream (stream.c) */
    struct plan *plan;     /* facts and up-time for the plan's indicators (plan.c) */
    const char *home;      /* the broker's home (the caller's) */
    gl_users_t *users;     /* HOME/users, when it exists (the dashboard's logins) */
    gl_prom_hist lag;      /* live events: logged at the node -> applied here */
    int64_t warn_next[WARN_KINDS];
    uint64_t warn_quiet[WARN_KINDS];
} broker_t;

static inline int64_t core_now_ms(broker_t *b)
{
    return (int64_t)uv_now(b->uv);
}

/* A peer can send bad input as fast as it likes; the log gets one line a
 * second per kind, saying how many were left out, and the counters get them
 * all. */
void core_warn_peer(broker_t *b, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
