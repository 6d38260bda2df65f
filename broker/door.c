/* door.c: see door.h. */
#include "door.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "casejson.h"
#include "caseview.h"
#include "codec.h"
#include "core.h"
#include "durable.h"
#include "error.h"
#include "geo.h"
#include "feed.h"
#include "home.h"
#include "http.h"
#include "kpis.h"
#include "report.h"
#include "log.h"
#include "metrics.h"
#include "plan.h"
#include "policy.h"
#include "session.h"
#include "stream.h"
#include "webapp.h"

static json_t *counts_json(const durable_counts *c)
{
    json_t *o = json_object();
    for (int k = 0; k < DB_BUCKETS; k++)
        json_object_set_new(o, durable_bucket_names[k], json_integer(c ? c->n[k] : 0));
    return o;
}

static void serve_counts(broker_t *b, gl_http_req_t *r)
{
    const gl_topology_t *t = b->topo;
    durable_counts *sub = calloc(t->n_nodes ? t->n_nodes : 1, sizeof *sub), all = {0};
    if (!sub) {
        gl_http_error(r, 503, "unavailable", "out of memory");
        return;
    }
    /* Each node's counts into its own and every ancestor's subtree sums. */
    for (size_t i = 0; i < t->n_nodes; i++) {
        const durable_counts *c = durable_counts_of(b, t->nodes[i].id);
        if (!c)
            continue;
        for (const gl_node_t *n = &t->nodes[i]; n; n = gl_topology_parent(t, n)) {
            int k = gl_topology_index_of(t, n->id);
            for (int j = 0; k >= 0 && j < DB_BUCKETS; j++)
                sub[k].n[j] += c->n[j];
        }
        for (int j = 0; j < DB_BUCKETS; j++)
            all.n[j] += c->n[j];
    }
    int64_t now = core_now_ms(b);
    size_t live = 0;
    json_t *nodes = json_array();
    for (size_t i = 0; i < t->n_nodes; i++) {
        const gl_node_t *n = &t->nodes[i];
        const feed_t *f = zhashx_lookup(b->feeds, n->id);
        bool is_live = f && f->heard_ms && now - f->heard_ms <= DOOR_LIVE_MS;
        live += is_live;
        const gl_node_t *p = gl_topology_parent(t, n);
        json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:b, s:I}", "id", n->id, "name", n->name ? n->name : n->id, "tier",
                              gl_tier_name(n->tier), "parent", p ? json_string(p->id) : json_null(), "live", is_live,
                              "applied_seq", (json_int_t)(f ? f->last : 0));
        json_object_set_new(o, "counts", counts_json(durable_counts_of(b, n->id)));
        json_object_set_new(o, "subtree", counts_json(&sub[i]));
        json_array_append_new(nodes, o);
    }
    free(sub);
    char when[40];
    json_t *doc = json_pack("{s:s, s:o, s:{s:I, s:I}, s:o}", "as_of", gl_iso_time(gl_now_ms(), when, sizeof when),
                            "district", counts_json(&all), "liveness", "nodes", (json_int_t)t->n_nodes, "live",
                            (json_int_t)live, "nodes", nodes);
    gl_http_json(r, 200, doc);
}

/* The topology as the dashboard draws it: nodes with names, tiers,
 * parents and grid areas (GeoJSON). */
static void serve_topology(broker_t *b, gl_http_req_t *r)
{
    const gl_topology_t *t = b->topo;
    json_t *nodes = json_array();
    for (size_t i = 0; i < t->n_nodes; i++) {
        const gl_node_t *n = &t->nodes[i], *p = gl_topology_parent(t, n);
        json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "id", n->id, "name", n->name ? n->name : n->id, "tier",
                              gl_tier_name(n->tier), "parent", p ? json_string(p->id) : json_null());
        json_t *area = n->area ? gl_area_to_json(n->area) : NULL;
        if (area)
            json_object_set_new(o, "area", area);
        json_array_append_new(nodes, o);
    }
    gl_http_json(r, 200, json_pack("{s:s, s:o}", "name", t->name ? t->name : "", "nodes", nodes));
}

static bool users_ready(broker_t *b, gl_http_req_t *r)
{
    if (!b->users && gl_users_open(b->home, false, &b->users) != 0) {
        b->users = NULL;
        gl_http_error(r, 503, "unavailable", "this home has no accounts yet (gridlink user add)");
        return false;
    }
    return true;
}

/* The dashboard is the district center's: an account whose scope is the
 * whole district. 1 when r was answered. */
static int admit(broker_t *b, gl_http_req_t *r, const char **token)
{
    gl_account a;
    if (!users_ready(b, r) || gl_session_authenticate(r, b->users, gl_now_ms(), &a, token) != 0)
        return 1;
    const gl_node_t *root = NULL;
    for (size_t i = 0; i < b->topo->n_nodes && !root; i++)
        if (b->topo->nodes[i].parent < 0)
            root = &b->topo->nodes[i];
    if (!root || !gl_account_in_scope(&a, root->id)) {
        gl_http_error(r, 403, "forbidden", "the dashboard is the district center's: %s's scope is %s", a.name, a.scope);
        return 1;
    }
    return 0;
}

static void api(broker_t *b, gl_http_req_t *r, const char *what)
{
    bool get = strcmp(gl_http_method(r), "GET") == 0, post = strcmp(gl_http_method(r), "POST") == 0;
    if (strcmp(what, "login") == 0) {
        if (!post)
            gl_http_error(r, 405, "method-not-allowed", "log in with POST");
        else if (users_ready(b, r))
            gl_session_login(r, b->users, gl_now_ms());
        return;
    }
    const char *token = NULL;
    if (admit(b, r, &token) != 0)
        return;
    if (strcmp(what, "logout") == 0) {
        if (!post)
            gl_http_error(r, 405, "method-not-allowed", "log out with POST");
        else
            gl_session_logout(r, b->users, token);
        return;
    }
    if (!get) {
        gl_http_error(r, 405, "method-not-allowed", "/api/v1/%s is read with GET", what);
        return;
    }
    if (strcmp(what, "counts") == 0)
        serve_counts(b, r);
    else if (strcmp(what, "topology") == 0)
        serve_topology(b, r);
    else if (strcmp(what, "alarms") == 0)
        gl_http_json(r, 200, json_pack("{s:o}", "alarms", stream_recent(b)));
    else if (strcmp(what, "stream") == 0)
        stream_open(b, r);
    else if (strcmp(what, "kpi") == 0)
        kpis_serve_unit(b, r);
    else if (strcmp(what, "league") == 0)
        kpis_serve_league(b, r);
    else if (strcmp(what, "case") == 0)
        caseview_serve(b, r);
    else if (strcmp(what, "indicators") == 0)
        plan_serve(b, r);
    else if (strcmp(what, "report") == 0)
        report_serve(b, r);
    else
        gl_http_error(r, 404, "not-found", "no such resource: /api/v1/%.100s", what);
}

static void on_request(gl_http_req_t *r, void *arg)
{
    broker_t *b = arg;
    const char *path = gl_http_path(r);
    if (strcmp(path, "/metrics") == 0) {
        if (strcmp(gl_http_method(r), "GET") != 0)
            gl_http_error(r, 405, "method-not-allowed", "/metrics is read with GET");
        else
            broker_metrics_serve(b, r);
    } else if (strncmp(path, "/api/v1/", 8) == 0) {
        api(b, r, path + 8);
    } else if (strncmp(path, "/api/", 5) == 0) {
        gl_http_error(r, 404, "not-found", "no such resource: %.200s", path);
    } else {
        gl_webapp_serve(r, "/dashboard/");
    }
}

int broker_door_start(broker_t *b)
{
    broker_metrics_init(b);
    int port = gl_topology_broker_http_port(b->topo);
    if (!port)
        return GL_OK;
    gl_http_limits lim = gl_http_api_limits();
    char err[256];
    int rc = gl_http_start(b->uv, b->topo->listen_host, port, &lim, on_request, b, &b->http, err, sizeof err);
    if (rc != 0) {
        gl_error("%s", err);
        return rc;
    }
    gl_info("HTTP: dashboard at http://%s:%d/dashboard/, metrics at /metrics", b->topo->listen_host,
            gl_http_port(b->http));
    return GL_OK;
}

void broker_door_stop(broker_t *b)
{
    gl_http_stop(&b->http); /* the streams close with it */
    gl_users_close(&b->users);
    report_png_release();
}
