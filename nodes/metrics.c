/* metrics.c: see metrics.h. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadletter.h"
#include "error.h"
#include "log.h"
#include "feed.h"
#include "names.h"
#include "open311.h"
#include "resident.h"

#define CENSUS_MS  1000
#define MAX_STATES 32
#define STOP_WALK  1

struct tally {
    uint64_t by[MAX_STATES];
    uint64_t slice; /* cases counted in this slice */
};

struct census_node {
    struct tally cur, done;
    char after[GL_NODE_ID_MAX + 32]; /* the last case counted, "" at a pass's start */
    bool complete;                   /* done holds a whole pass */
    int64_t done_ms;
};

struct census {
    uv_timer_t timer;
    bool running;
    int64_t last_read_ms; /* the last GET /metrics */
    size_t n;
    struct census_node nodes[];
};

static const double commit_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

void metrics_node_init(node_t *n)
{
    gl_prom_hist_init(&n->commit_hist, commit_bounds, sizeof commit_bounds / sizeof commit_bounds[0]);
}

static int count_one(const Gridlink__V1__Case *c, void *arg)
{
    struct census_node *cn = arg;
    if ((unsigned)c->state < MAX_STATES)
        cn->cur.by[c->state]++;
    snprintf(cn->after, sizeof cn->after, "%s", c->id);
    return ++cn->cur.slice >= GL_CENSUS_SLICE ? STOP_WALK : 0;
}

static void census_step(host_t *h, size_t i)
{
    struct census_node *cn = &h->census->nodes[i];
    MDB_txn *txn;
    if (gl_store_begin(h->nodes[i]->store, NULL, false, &txn) != 0)
        return;
    cn->cur.slice = 0;
    int rc = gl_store_case_walk(txn, h->nodes[i]->store, cn->after[0] ? cn->after : NULL, count_one, cn);
    gl_store_abort(txn);
    if (rc == 0) { /* the walk reached the end: the pass is whole */
        cn->done = cn->cur;
        cn->complete = true;
        cn->done_ms = host_now(h);
        memset(&cn->cur, 0, sizeof cn->cur);
        cn->after[0] = 0;
    } else if (rc != STOP_WALK) {
        memset(&cn->cur, 0, sizeof cn->cur); /* a store error: start the pass again */
        cn->after[0] = 0;
    }
}

static void on_census(uv_timer_t *t)
{
    host_t *h = t->data;
    if (host_now(h) - h->census->last_read_ms > GL_CENSUS_IDLE_MS) {
        uv_timer_stop(t);
        h->census->running = false;
        return;
    }
    for (size_t i = 0; i < h->census->n; i++)
        census_step(h, i);
}

int metrics_start(host_t *h)
{
    h->census = calloc(1, sizeof *h->census + h->n_nodes * sizeof h->census->nodes[0]);
    if (!h->census)
        return GL_ENOMEM;
    h->census->n = h->n_nodes;
    uv_timer_init(h->uv, &h->census->timer);
    h->census->timer.data = h;
    return GL_OK;
}

static void free_census(uv_handle_t *t)
{
    free(t->data);
}

void metrics_stop(host_t *h)
{
    if (!h->census)
        return;
    uv_timer_stop(&h->census->timer);
    h->census->timer.data = h->census;
    uv_close((uv_handle_t *)&h->census->timer, free_census);
    h->census = NULL;
}

/* ---- the exposition ---- */

static void cases(host_t *h, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    gl_prom_family(p, "gridlink_cases", "gauge",
                   "Cases in the node's store by state, as its last census counted them.");
    for (size_t i = 0; i < h->n_nodes; i++) {
        const struct census_node *cn = &h->census->nodes[i];
        if (!cn->complete)
            continue;
        const ProtobufCEnumDescriptor *d = &gridlink__v1__case_state__descriptor;
        for (unsigned k = 0; k < d->n_values; k++) {
            int v = d->values[k].value;
            if (v <= 0 || v >= MAX_STATES)
                continue;
            gl_prom_sample(p, "gridlink_cases",
                           gl_prom_labels(l, "node", h->nodes[i]->id, "state", gl_state_name((gl_state)v), NULL),
                           (double)cn->done.by[v]);
        }
    }
    gl_prom_family(p, "gridlink_case_census_age_seconds", "gauge",
                   "Seconds since the census of cases by state last completed a pass (absent before the first).");
    for (size_t i = 0; i < h->n_nodes; i++) {
        const struct census_node *cn = &h->census->nodes[i];
        if (cn->complete)
            gl_prom_sample(p, "gridlink_case_census_age_seconds", gl_prom_labels(l, "node", h->nodes[i]->id, NULL),
                           (double)(host_now(h) - cn->done_ms) / 1000.0);
    }
}

static void stored(host_t *h, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    uint64_t seq[h->n_nodes], all[h->n_nodes], dead[h->n_nodes];
    for (size_t i = 0; i < h->n_nodes; i++) {
        seq[i] = all[i] = dead[i] = 0;
        MDB_txn *txn;
        if (gl_store_begin(h->nodes[i]->store, NULL, false, &txn) != 0)
            continue;
        gl_store_log_last(txn, h->nodes[i]->store, &seq[i]);
        gl_store_case_count(txn, h->nodes[i]->store, &all[i]);
        gl_dead_count(txn, h->nodes[i]->store, &dead[i]);
        gl_store_abort(txn);
    }
    gl_prom_family(p, "gridlink_cases_stored", "gauge", "Cases in the node's store, every state.");
    for (size_t i = 0; i < h->n_nodes; i++)
        gl_prom_sample(p, "gridlink_cases_stored", gl_prom_labels(l, "node", h->nodes[i]->id, NULL), (double)all[i]);
    gl_prom_family(p, "gridlink_log_seq", "gauge", "The node's last log sequence number.");
    for (size_t i = 0; i < h->n_nodes; i++)
        gl_prom_sample(p, "gridlink_log_seq", gl_prom_labels(l, "node", h->nodes[i]->id, NULL), (double)seq[i]);
    gl_prom_family(p, "gridlink_dead_letters", "gauge", "Messages the node's peers refused, kept for an operator.");
    for (size_t i = 0; i < h->n_nodes; i++)
        gl_prom_sample(p, "gridlink_dead_letters", gl_prom_labels(l, "node", h->nodes[i]->id, NULL), (double)dead[i]);
}

static void links(host_t *h, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    gl_prom_family(p, "gridlink_link_up", "gauge", "1 when the tree link to the peer is up, 0 when it is down.");
    for (size_t i = 0; i < h->n_nodes; i++) {
        node_t *n = h->nodes[i];
        if (n->uplink)
            gl_prom_sample(p, "gridlink_link_up",
                           gl_prom_labels(l, "node", n->id, "peer", n->parent->id, "side", "parent", NULL),
                           gl_link_up(n->uplink));
        for (size_t c = 0; c < n->n_children; c++)
            gl_prom_sample(p, "gridlink_link_up",
                           gl_prom_labels(l, "node", n->id, "peer", n->children[c].topo->id, "side", "child", NULL),
                           gl_link_up(n->children[c].link));
    }
    gl_prom_family(p, "gridlink_outbox_pending", "gauge", "Messages sent to the peer and not yet acknowledged.");
    for (size_t i = 0; i < h->n_nodes; i++) {
        node_t *n = h->nodes[i];
        if (n->uplink)
            gl_prom_sample(p, "gridlink_outbox_pending", gl_prom_labels(l, "node", n->id, "peer", n->parent->id, NULL),
                           (double)gl_link_pending(n->uplink));
        for (size_t c = 0; c < n->n_children; c++)
            gl_prom_sample(p, "gridlink_outbox_pending",
                           gl_prom_labels(l, "node", n->id, "peer", n->children[c].topo->id, NULL),
                           (double)gl_link_pending(n->children[c].link));
    }
}

static void commits(host_t *h, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    gl_prom_family(p, "gridlink_commit_seconds", "histogram",
                   "Seconds each batch's LMDB commit took (its data and meta page synced to disk).");
    for (size_t i = 0; i < h->n_nodes; i++)
        gl_prom_hist_write(p, "gridlink_commit_seconds", gl_prom_labels(l, "node", h->nodes[i]->id, NULL),
                           &h->nodes[i]->commit_hist);
}

static void refusals(host_t *h, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    gl_prom_family(p, "gridlink_refused_total", "counter",
                   "Input the node refused since the process started, by reason.");
    for (size_t i = 0; i < h->n_nodes; i++) {
        node_t *n = h->nodes[i];
        host_share_counts(n);
        const gl_engine_counts *k = gl_engine_counters(n->engine);
        const struct {
            const char *reason;
            uint64_t v;
        } rows[] = {
            {"malformed", k->malformed + k->transport_malformed},
            {"spoofed", k->spoofed + k->transport_refused},
            {"out_of_sequence", k->refused_in},
            {"unauthorized", k->unauthorized},
            {"handshake_failed", k->handshake_failed},
            {"protocol_version", k->proto_mismatch},
            {"action", k->refused_actions},
        };
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
            gl_prom_sample(p, "gridlink_refused_total",
                           gl_prom_labels(l, "node", n->id, "reason", rows[r].reason, NULL), (double)rows[r].v);
    }
}

static void door(host_t *h, gl_prom *p)
{
    char l[GL_PROM_LABELS];
    gl_http_counts c = gl_http_counters(h->http);
    gl_prom_family(p, "gridlink_http_requests_total", "counter", "HTTP requests that reached a handler.");
    gl_prom_sample(p, "gridlink_http_requests_total", NULL, (double)c.requests);
    gl_prom_family(p, "gridlink_http_refused_total", "counter",
                   "HTTP requests refused or answered with an error, by where.");
    gl_prom_sample(p, "gridlink_http_refused_total", gl_prom_labels(l, "where", "door", NULL),
                   (double)(c.refused + c.errors));
    gl_prom_sample(p, "gridlink_http_refused_total", gl_prom_labels(l, "where", "open311", NULL),
                   (double)gl_open311_refused());
    gl_prom_sample(p, "gridlink_http_refused_total", gl_prom_labels(l, "where", "public", NULL),
                   (double)(gl_resident_refused() + gl_feed_refused()));
    gl_prom_family(p, "gridlink_http_cut_total", "counter",
                   "HTTP connections cut off: too slow, or too many from one address.");
    gl_prom_sample(p, "gridlink_http_cut_total", gl_prom_labels(l, "why", "slow", NULL), (double)c.cut_slow);
    gl_prom_sample(p, "gridlink_http_cut_total", gl_prom_labels(l, "why", "per_address", NULL), (double)c.per_address);
    uint64_t published, dropped, replayed;
    bus_counters(&published, &dropped, &replayed);
    gl_prom_family(p, "gridlink_bus_events_total", "counter", "Log events sent to the broker, live or replayed.");
    gl_prom_sample(p, "gridlink_bus_events_total", gl_prom_labels(l, "how", "live", NULL), (double)published);
    gl_prom_sample(p, "gridlink_bus_events_total", gl_prom_labels(l, "how", "replayed", NULL), (double)replayed);
    gl_prom_family(p, "gridlink_bus_dropped_total", "counter",
                   "Live events the bus could not take (the broker asks for them again from the log).");
    gl_prom_sample(p, "gridlink_bus_dropped_total", NULL, (double)dropped);
}

void metrics_serve(host_t *h, gl_http_req_t *r)
{
    if (strcmp(gl_http_method(r), "GET") != 0) {
        gl_http_error(r, 405, "method-not-allowed", "/metrics is read with GET");
        return;
    }
    h->census->last_read_ms = host_now(h);
    if (!h->census->running) {
        h->census->running = true;
        for (size_t i = 0; i < h->census->n; i++) /* the first pass at once, so the first answer has counts */
            census_step(h, i);
        uv_timer_start(&h->census->timer, on_census, CENSUS_MS, CENSUS_MS);
    }
    gl_prom p;
    gl_prom_init(&p);
    cases(h, &p);
    stored(h, &p);
    links(h, &p);
    commits(h, &p);
    refusals(h, &p);
    door(h, &p);
    if (p.failed)
        gl_http_error(r, 503, "unavailable", "out of memory");
    else
        gl_http_respond(r, 200, GL_PROM_CONTENT_TYPE, p.buf, p.len);
    gl_prom_free(&p);
}
