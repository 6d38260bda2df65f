/* intake.h: everything that arrives on bus_in, checked and dispatched: node
 * processes' events, replays and marks go to their feeds (feed.h), clients'
 * requests to the request service (service.h).
 *
 * Each message is the loop's, freed after intake_on_in returns; a decoded
 * event passes to its feed once checked, and is freed here if refused. */
#ifndef GL_BROKER_INTAKE_H
#define GL_BROKER_INTAKE_H

#include <czmq.h>

#include "loop.h"

/* The read callback of bus_in's socket; arg is the broker_t. */
void intake_on_in(gl_zsock_t *zs, zmsg_t *msg, void *arg);

#endif
