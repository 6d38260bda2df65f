/* metrics.h: the broker's HTTP door, for now only GET /metrics in the
 * Prometheus text format, on the topology's broker HTTP port
 * (gl_topology_broker_http_port: http_port_base + the number of nodes;
 * none without http_port_base):
 *
 *   gridlink_broker_events_total{how}      events applied to the view, live or replayed
 *   gridlink_broker_refused_total{reason}  bus input refused or dropped, by reason
 *   gridlink_broker_feed_seq{node,which}   per node: applied (in order) and known (heard of)
 *   gridlink_broker_bus_lag_seconds        live event logged at its node -> applied here (histogram)
 *   gridlink_broker_* gauges               feeds, cases in the view, clients, subscribers, queued bytes
 *
 * broker_metrics_start/stop own the HTTP server in broker_t.http; the lag
 * histogram (broker_t.lag) is plain data the feed observes into. */
#ifndef GL_BROKER_METRICS_H
#define GL_BROKER_METRICS_H

typedef struct broker broker_t;

/* 0 when serving or when the topology gives no HTTP port; else an error
 * code, the reason logged. */
int broker_metrics_start(broker_t *b);
void broker_metrics_stop(broker_t *b);
/* A live event of time_ms (its node's clock) was applied now. */
void broker_metrics_lag(broker_t *b, long long time_ms);

#endif
