/* bus.h: a node process's link to the broker (see bus.c): the change feed,
 * the periodic sequence marks, and replays of the nodes' logs on request. */
#ifndef GL_NODE_BUS_H
#define GL_NODE_BUS_H

#include <czmq.h>
#include <uv.h>

#include "loop.h"
#include "store.h"
#include "topology.h"

/* A hosted node whose log the bus carries: its ID and store, lent. */
typedef struct bus_node {
    const char *id;
    gl_store_t *store;
} bus_node;

/* Connect to the broker if the topology has one (GL_OK without a broker),
 * with cert (the first node's keypair, the process's identity on the bus).
 * nodes stays the caller's and must outlive the bus. */
int bus_open(uv_loop_t *uv, gl_loop_t *loop, const gl_topology_t *topo, zcert_t *cert, const bus_node *nodes,
             size_t n_nodes);
/* Send one committed event: topic "<kind> <node>", then the packed BusEvent. */
void bus_publish(const char *topic, const uint8_t *buf, size_t len);
/* Stop the timers and forget the socket (the loop destroys it). */
void bus_close(void);
/* Events published live, dropped at the high-water mark, and replayed. */
void bus_counters(uint64_t *published, uint64_t *dropped, uint64_t *replayed);

#endif
