/* engine_net.h: a district of node engines in one process, for the engine's
 * unit tests. Every node of a topology gets a store in a temporary
 * directory, its tree links and an engine. Each link's send function queues
 * frames in memory; net_settle delivers them to the peer's engine the way
 * the host does: one write transaction per delivery pass at a node, commit,
 * then gl_link_commit and, after the effects, gl_link_flush on every link of
 * that node. Time is only ever the `now` a test passes. Every function
 * fails the running cmocka test when the engine or the store does. */
#ifndef ENGINE_NET_H
#define ENGINE_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

typedef struct net net_t;

net_t *net_new(const char *topology_json);
void net_free(net_t **n);
const gl_topology_t *net_topology(const net_t *n);
gl_store_t *net_store(net_t *n, const char *node);
gl_engine_t *net_engine(net_t *n, const char *node);

/* Every child says Hello and every parent answers: all links are up. */
void net_start(net_t *n, int64_t now);
/* Deliver until no frame is in flight; returns the frames delivered. */
int net_settle(net_t *n, int64_t now);

/* A person's request at node (an operator there), applied in its own batch;
 * the reply (free with gridlink__v1__ctl_reply__free_unpacked). */
Gridlink__V1__CtlReply *net_call(net_t *n, const char *node, const Gridlink__V1__CtlRequest *req, int64_t now);
/* The same, asked by someone of role (enum gl_role). */
Gridlink__V1__CtlReply *net_call_as(net_t *n, const char *node, const Gridlink__V1__CtlRequest *req, unsigned role,
                                    int64_t now);
/* op "act" (or "rate" when action is "rate") on case_id at node. */
Gridlink__V1__CtlReply *net_act(net_t *n, const char *node, const char *case_id, const char *action, int64_t now);
/* The node's clock: fire what is due at now. */
void net_fire(net_t *n, const char *node, int64_t now);

/* Cut or mend the link between node and its parent: while cut, every frame
 * on it is lost, either way. */
void net_cut(net_t *n, const char *node, bool cut);
/* The host's timer on one link of node (peer: its parent or a child): tick
 * it, and when the peer's liveness changed tell the engine in a batch.
 * Returns gl_link_up afterwards. */
bool net_tick(net_t *n, const char *node, const char *peer, int64_t now);
/* The transport made a new connection to node's parent. */
void net_reconnect(net_t *n, const char *node, int64_t now);
gl_link_t *net_link(net_t *n, const char *node, const char *peer);

/* node's copy of a case, or NULL (free with gridlink__v1__case__free_unpacked). */
Gridlink__V1__Case *net_case(net_t *n, const char *node, const char *case_id);
uint64_t net_case_count(net_t *n, const char *node);
/* Put a case into node's store as is, with its running deadlines indexed. */
void net_put_case(net_t *n, const char *node, const Gridlink__V1__Case *c);
/* The earliest deadline in node's index, 0 when none. */
int64_t net_next_due(net_t *n, const char *node);
/* Events of kind (NULL: any) about case_id (NULL: any case) in node's log. */
int net_events(net_t *n, const char *node, const char *kind, const char *case_id);
/* History entries of a case named action, made at node (NULL: anywhere). */
int net_history(const Gridlink__V1__Case *c, const char *action, const char *node);

/* Nothing in flight and nothing lost: every outbox empty, no dead letters,
 * no message refused by number on any link. */
void net_assert_quiet(net_t *n);

#endif
