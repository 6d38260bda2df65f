/* metrics.h: a node process's Prometheus metrics, at GET /metrics of its
 * HTTP door (the README's "Metrics" section):
 *
 *   gridlink_cases{node,state}          cases by state, from a census
 *   gridlink_case_census_age_seconds    how old that census is
 *   gridlink_log_seq{node}              the node's last log sequence
 *   gridlink_link_up{node,peer,side}    1 when the link is up
 *   gridlink_outbox_pending{node,peer}  messages not yet acknowledged
 *   gridlink_dead_letters{node}         messages peers refused, kept
 *   gridlink_commit_seconds{node}       batch commit latency (histogram)
 *   gridlink_refused_total{node,reason} hostile or bad input refused
 *   gridlink_http_*_total               the HTTP door's requests, refusals, cuts
 *   gridlink_bus_*_total                events published to the broker, dropped
 *
 * The census of cases by state reads each node's store a slice at a time
 * (GL_CENSUS_SLICE cases a second per node, in its own short read
 * transaction) and only while /metrics is being read: it starts with the
 * first request and stops when none came for GL_CENSUS_IDLE_MS. A count is
 * that of the last complete pass; the age says when it ended.
 *
 * metrics_start/stop own the census table and its timer (host_t.metrics). */
#ifndef GL_NODE_METRICS_H
#define GL_NODE_METRICS_H

#include "host_int.h"

#define GL_CENSUS_SLICE   2000
#define GL_CENSUS_IDLE_MS (10 * 60 * 1000)

/* The node's commit histogram, empty, with its buckets. */
void metrics_node_init(node_t *n);
int metrics_start(host_t *h);
void metrics_stop(host_t *h);
/* Answers GET /metrics. */
void metrics_serve(host_t *h, gl_http_req_t *r);

#endif
