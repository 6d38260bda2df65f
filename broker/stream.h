/* stream.h: the dashboard's live stream (GET /api/v1/stream, Server-Sent
 * Events), fed from what the broker applies.
 *
 * The broker's events are far more than a browser should draw (a whole
 * district under load logs thousands a second), so a client is sent one
 * "tick" message every STREAM_TICK_MS at most, and only when something
 * changed: the counts of the nodes whose counts changed since it was last
 * sent (all of them in its first tick, and again after it fell behind),
 * the district's sums and liveness, and the escalations, overdue alarms,
 * due-soon warnings and new reports applied since the last tick, at most
 * STREAM_ALARMS and STREAM_REPORTS of them (the newest). A client whose
 * stream buffer is more than half full skips ticks and gets everything
 * again once it has drained. The last STREAM_RECENT alarms are kept for
 * GET /api/v1/alarms, so a page that opens sees what happened before.
 *
 * stream_init/free own the clients, the pending events, the recent ring
 * and the tick timer (broker_t.stream). Events are copied (as JSON). */
#ifndef GL_BROKER_STREAM_H
#define GL_BROKER_STREAM_H

#include <jansson.h>

#include "http.h"
#include "view.h"

typedef struct broker broker_t;

#define STREAM_TICK_MS 250
#define STREAM_MAX     256 /* clients at once */
#define STREAM_ALARMS  100
#define STREAM_REPORTS 20
#define STREAM_RECENT  200

int stream_init(broker_t *b);
void stream_free(broker_t *b);
/* Opens a client's stream on r. */
void stream_open(broker_t *b, gl_http_req_t *r);
/* An event was applied (live or replayed). */
void stream_note(broker_t *b, const bus_event_t *ev);
/* The recent alarms, newest first (a new reference). */
json_t *stream_recent(broker_t *b);
/* One event as the dashboard reads it, with names (a new reference). */
json_t *stream_event_json(broker_t *b, const bus_event_t *ev);
/* The counts of a node as JSON (a new reference). */
json_t *stream_counts_json(broker_t *b, const char *node);

#endif
