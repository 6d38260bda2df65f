/* metrics.c: see metrics.h. */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include "core.h"
#include "durable.h"
#include "error.h"
#include "feed.h"
#include "home.h"
#include "http.h"
#include "log.h"
#include "plan.h"
#include "prom.h"

static const double lag_bounds[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3,
                                    0.5,   0.75,  1,     1.5,  2,    3,     5,    10,    30,  60,   300};

void broker_metrics_lag(broker_t *b, long long time_ms)
{
    long long d = gl_now_ms() - time_ms;
    gl_prom_hist_observe(&b->lag, d > 0 ? (double)d / 1000.0 : 0.0);
}

static void counters(broker_t *b, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    gl_prom_family(p, "gridlink_broker_events_total", "counter",
                   "Events applied to the broker's view in each node's sequence order, live or replayed.");
    gl_prom_sample(p, "gridlink_broker_events_total", gl_prom_labels(l, "how", "live", NULL),
                   (double)(b->events - b->replayed));
    gl_prom_sample(p, "gridlink_broker_events_total", gl_prom_labels(l, "how", "replayed", NULL), (double)b->replayed);
    gl_prom_family(p, "gridlink_broker_gaps_total", "counter",
                   "Gaps in a node's sequence seen, and repaired by replay.");
    gl_prom_sample(p, "gridlink_broker_gaps_total", NULL, (double)b->gaps);
    gl_prom_family(p, "gridlink_broker_refused_total", "counter", "Bus input refused or set aside, by reason.");
    const struct {
        const char *reason;
        uint64_t v;
    } rows[] = {
        {"duplicate", b->duplicates},      {"out_of_order", b->deferred},     {"malformed", b->bad},
        {"unauthorized", b->unauthorized}, {"foreign", b->foreign},           {"future", b->future},
        {"overclaim", b->overclaims},      {"out_of_scope", b->out_of_scope}, {"client", b->refused},
        {"client_cut_off", b->cutoffs},    {"live_dropped", b->live_dropped}, {"fact", plan_refused(b)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        gl_prom_sample(p, "gridlink_broker_refused_total", gl_prom_labels(l, "reason", rows[i].reason, NULL),
                       (double)rows[i].v);
    const struct {
        const char *name, *help;
        double v;
    } gauges[] = {
        {"gridlink_broker_feeds", "Nodes the broker has heard of.", (double)zhashx_size(b->feeds)},
        {"gridlink_broker_view_cases", "Cases (and links) in the broker's view.", (double)zhashx_size(b->view.cases)},
        {"gridlink_broker_clients", "Bus clients connected.", (double)zhashx_size(b->clients)},
        {"gridlink_broker_subscribers", "Clients following live events.", (double)zlistx_size(b->subs)},
        {"gridlink_broker_queued_bytes", "Bytes waiting in clients' output queues.", (double)b->out_bytes},
        {"gridlink_broker_asks_inflight", "Replays asked of nodes and not yet answered.", (double)b->inflight},
    };
    for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++) {
        gl_prom_family(p, gauges[i].name, "gauge", gauges[i].help);
        gl_prom_sample(p, gauges[i].name, NULL, gauges[i].v);
    }
}

static void held(broker_t *b, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    gl_prom_family(p, "gridlink_broker_cases", "gauge",
                   "Cases by the node that holds them, from the broker's durable view: open, overdue, escalated, "
                   "resolved (waiting for verification), returned, closed.");
    for (size_t i = 0; i < b->topo->n_nodes; i++) {
        const char *id = b->topo->nodes[i].id;
        const durable_counts *c = durable_counts_of(b, id);
        for (int k = 0; c && k < DB_BUCKETS; k++)
            gl_prom_sample(p, "gridlink_broker_cases",
                           gl_prom_labels(l, "node", id, "bucket", durable_bucket_names[k], NULL), (double)c->n[k]);
    }
}

static void feeds(broker_t *b, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    gl_prom_family(p, "gridlink_broker_feed_seq", "gauge",
                   "Per node: the last sequence applied in order (applied) and the highest heard of (known).");
    for (feed_t *f = zhashx_first(b->feeds); f; f = zhashx_next(b->feeds)) {
        gl_prom_sample(p, "gridlink_broker_feed_seq", gl_prom_labels(l, "node", f->node, "which", "applied", NULL),
                       (double)f->last);
        gl_prom_sample(p, "gridlink_broker_feed_seq", gl_prom_labels(l, "node", f->node, "which", "known", NULL),
                       (double)f->known);
    }
    gl_prom_family(
        p, "gridlink_broker_bus_lag_seconds", "histogram",
        "Seconds from an event's time at its node to its application in the broker's view, live or replayed.");
    gl_prom_hist_write(p, "gridlink_broker_bus_lag_seconds", NULL, &b->lag);
}

void broker_metrics_serve(broker_t *b, gl_http_req_t *r)
{
    gl_prom p;
    gl_prom_init(&p);
    counters(b, &p);
    feeds(b, &p);
    held(b, &p);
    if (p.failed)
        gl_http_error(r, 503, "unavailable", "out of memory");
    else
        gl_http_respond(r, 200, GL_PROM_CONTENT_TYPE, p.buf, p.len);
    gl_prom_free(&p);
}

void broker_metrics_init(broker_t *b)
{
    gl_prom_hist_init(&b->lag, lag_bounds, sizeof lag_bounds / sizeof lag_bounds[0]);
}
