/* door.h: the broker's HTTP door, on the topology's broker HTTP port
 * (gl_topology_broker_http_port: http_port_base + the number of nodes;
 * none without http_port_base):
 *
 *   GET /metrics          Prometheus text (metrics.h)
 *   GET /api/v1/counts    the durable view's counts (durable.h) per node
 *                         that holds cases, with its name, tier, parent,
 *                         its subtree's sums and whether the node is
 *                         heard on the bus (live), and the district's sums
 *   GET /api/v1/indicators?year=YYYY[&unit=TOWNSHIP]
 *                         the plan's indicators against the year's targets
 *                         (plan.h), district-wide with each township's, or
 *                         one township's
 *
 * A node is live when its process sent an event or a mark for it within
 * DOOR_LIVE_MS. broker_door_start/stop own the server (broker_t.http). */
#ifndef GL_BROKER_DOOR_H
#define GL_BROKER_DOOR_H

#include "codec.h"

typedef struct broker broker_t;

#define DOOR_LIVE_MS (3 * GL_BUS_MARK_MS)

/* 0 when serving, or when the topology gives no HTTP port; else an error
 * code, the reason logged. */
int broker_door_start(broker_t *b);
void broker_door_stop(broker_t *b);

#endif
