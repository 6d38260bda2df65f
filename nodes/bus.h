/* bus.h: a node process's link to the broker (see bus.c): the change feed,
 * the periodic sequence marks, and replays of the nodes' logs on request. */
#ifndef GL_NODE_BUS_H
#define GL_NODE_BUS_H

#include "node.h"

/* Connect to the broker if the topology has one; GL_OK without a broker. */
int bus_open(host_t *h);
/* Send one committed event (an FX_PUBLISH effect). */
void bus_publish(host_t *h, const struct effect *e);
/* Stop the timers and forget the socket (the loop destroys it). */
void bus_close(host_t *h);

#endif
