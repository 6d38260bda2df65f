/* service.h: the request service on bus_in: what clients (monitors' and
 * nodes' keys) ask for, each within what the topology grants the key: a
 * snapshot of the view under a prefix, a replay of a node's range (from the
 * window, or forwarded to the node's process), or a subscription to the
 * events under a prefix.
 *
 * Answers go through the client's bounded queue (outq.h), which owns them
 * once queued; the request itself is freed here. */
#ifndef GL_BROKER_SERVICE_H
#define GL_BROKER_SERVICE_H

#include <czmq.h>

typedef struct broker broker_t;

/* One request (body) from connection rid, authenticated as user. */
void service_take(broker_t *b, zframe_t *rid, const char *user, zframe_t *body);

#endif
