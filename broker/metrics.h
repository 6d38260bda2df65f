/* metrics.h: the broker's GET /metrics (door.h), in the Prometheus text
 * format:
 *
 *   gridlink_broker_events_total{how}      events applied to the view, live or replayed
 *   gridlink_broker_refused_total{reason}  bus input refused or dropped, by reason
 *   gridlink_broker_feed_seq{node,which}   per node: applied (in order) and known (heard of)
 *   gridlink_broker_bus_lag_seconds        live event logged at its node -> applied here (histogram)
 *   gridlink_broker_cases{node,bucket}     the durable view's counts per holder (durable.h)
 *   gridlink_broker_* gauges               feeds, cases in the view, clients, subscribers, queued bytes
 *
 * The lag histogram (broker_t.lag) is plain data the feed observes into. */
#ifndef GL_BROKER_METRICS_H
#define GL_BROKER_METRICS_H

#include "http.h"

typedef struct broker broker_t;

/* The lag histogram, empty. */
void broker_metrics_init(broker_t *b);
/* Answers GET /metrics. */
void broker_metrics_serve(broker_t *b, gl_http_req_t *r);
/* A live event of time_ms (its node's clock) was applied now. */
void broker_metrics_lag(broker_t *b, long long time_ms);

#endif
