/* door.c: the node process's HTTP door. When the topology gives HTTP ports
 * (http_port_base), the process listens on listen_host at http_port_base
 * plus the topology index of the first node it hosts, and serves the staff
 * API (api.h) for every node it hosts. A read is answered at once from
 * committed state, as the control socket's are; a write goes into the
 * node's batch like any other input and is answered after the commit.
 * Accounts come from HOME/users (gridlink user add); without them every
 * request but the login is refused. /open311/ is Open311 GeoReport v2
 * (open311.h), with the home's API keys; /public/v1/ is residents' door
 * without an account (public.h) and the public feed of the communities and
 * townships hosted here (feed.h). Other paths outside /api/ are the web
 * app's files (webapp.h).
 *
 * The event streams (GET .../events) read the node's log from the store,
 * from the event after the client's Last-Event-ID, as far as the stream's
 * buffer takes, and again after every commit that logged something and
 * whenever the buffer drains; a client that falls behind is fed from the
 * store, never from memory. A comment every SSE_BEAT_MS keeps proxies and
 * the idle timeout from closing a quiet stream and finds clients gone. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "feed.h"
#include "host_int.h"
#include "jsontext.h"
#include "log.h"
#include "metrics.h"
#include "open311.h"
#include "pbjson.h"
#include "openapi.h"
#include "public.h"
#include "survey_public.h"
#include "webapp.h"

#define MAX_SSE     1024
#define SSE_BEAT_MS 15000
#define SSE_BATCH   256 /* events read in one pass */

struct sse {
    host_t *h;
    node_t *n;
    uint64_t next; /* the next log sequence to send */
    gl_http_stream_t *s;
    struct sse *prev, *next_sse;
};

/* Send what the log holds from c->next on, as far as the stream takes it. */
static void sse_feed(struct sse *c)
{
    MDB_txn *txn;
    if (gl_store_begin(c->n->store, NULL, false, &txn) != 0)
        return;
    uint64_t last = 0;
    gl_store_log_last(txn, c->n->store, &last);
    for (int k = 0; k < SSE_BATCH && c->next <= last; k++) {
        Gridlink__V1__BusEvent *ev = NULL;
        if (gl_store_log_get(txn, c->n->store, c->next, &ev) != 0) {
            c->next++; /* not readable: skipped, as the bus would */
            continue;
        }
        json_t *j = gl_pbjson_from_message(&ev->base, 0);
        size_t dl = 0;
        char *data = j ? gl_json_text(j, JSON_COMPACT | JSON_PRESERVE_ORDER, &dl) : NULL;
        json_decref(j);
        char head[96];
        int hl = snprintf(head, sizeof head, "id: %llu\nevent: %s\ndata: ", (unsigned long long)ev->seq,
                          ev->kind[0] ? ev->kind : "event");
        char *frame = data ? malloc((size_t)hl + dl + 3) : NULL;
        int rc = frame ? GL_OK : GL_ENOMEM;
        if (frame) {
            memcpy(frame, head, (size_t)hl);
            memcpy(frame + hl, data, dl);
            memcpy(frame + hl + dl, "\n\n", 3);
            rc = gl_http_stream_write(c->s, frame, (size_t)hl + dl + 2);
        }
        free(frame);
        free(data);
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        if (rc != 0)
            break; /* full: on_drain comes back for the rest */
        c->next++;
    }
    gl_store_abort(txn);
}

static void sse_drain(gl_http_stream_t *s, void *arg)
{
    (void)s;
    sse_feed(arg);
}

static void sse_closed(gl_http_stream_t *s, void *arg)
{
    (void)s;
    struct sse *c = arg;
    host_t *h = c->h;
    if (c->prev)
        c->prev->next_sse = c->next_sse;
    else
        h->sse = c->next_sse;
    if (c->next_sse)
        c->next_sse->prev = c->prev;
    h->n_sse--;
    free(c);
}

void door_events(node_t *n)
{
    for (struct sse *c = n->host->sse; c; c = c->next_sse)
        if (c->n == n)
            sse_feed(c);
}

static void on_beat(uv_timer_t *t)
{
    host_t *h = t->data;
    static const char beat[] = ": keep-alive\n\n";
    for (struct sse *c = h->sse; c; c = c->next_sse)
        gl_http_stream_write(c->s, beat, sizeof beat - 1);
}

static void open_events(host_t *h, node_t *n, gl_http_req_t *r, uint64_t from)
{
    if (h->n_sse >= MAX_SSE) {
        gl_http_error(r, 503, "unavailable", "this process serves %d event streams already", MAX_SSE);
        return;
    }
    struct sse *c = calloc(1, sizeof *c);
    if (!c) {
        gl_http_error(r, 500, "internal", "out of memory");
        return;
    }
    c->h = h;
    c->n = n;
    MDB_txn *txn;
    uint64_t last = 0, pruned = 0;
    if (gl_store_begin(n->store, NULL, false, &txn) == 0) {
        gl_store_log_last(txn, n->store, &last);
        gl_store_log_pruned(txn, n->store, &pruned);
        gl_store_abort(txn);
    }
    c->next = from == 0 || from > last + 1 ? last + 1 : from;
    if (c->next <= pruned) /* archived (prune.c): the stream starts after it */
        c->next = pruned + 1;
    c->s = gl_http_stream_open(r, "text/event-stream; charset=utf-8", sse_drain, sse_closed, c);
    if (!c->s) {
        free(c);
        gl_http_error(r, 500, "internal", "the stream cannot be opened");
        return;
    }
    c->next_sse = h->sse;
    if (h->sse)
        h->sse->prev = c;
    h->sse = c;
    h->n_sse++;
    static const char hello[] = "retry: 3000\n\n";
    gl_http_stream_write(c->s, hello, sizeof hello - 1);
    sse_feed(c);
}

/* A read: run now in a read transaction, its reply answered at once. */
static void read_now(node_t *n, gl_http_req_t *r, const gl_api_call *call)
{
    MDB_txn *txn;
    host_share_counts(n);
    int rc = gl_store_begin(n->store, NULL, false, &txn);
    if (rc != 0) {
        gl_api_fail(r, rc, "the node's store cannot be read");
        return;
    }
    size_t mark = gl_engine_fx_mark(n->engine);
    rc = gl_engine_call(n->engine, txn, &call->who, call->req, TOKEN_NOW, host_now(n->host));
    gl_store_abort(txn);
    size_t n_fx;
    const gl_effect *fx = gl_engine_fx(n->engine, &n_fx);
    bool answered = false;
    for (size_t i = mark; i < n_fx && !answered; i++)
        if (fx[i].kind == GL_FX_REPLY) {
            gl_api_answer(r, call->op, n->host->topo, n->id, fx[i].buf, fx[i].len, host_now(n->host));
            answered = true;
        }
    gl_engine_fx_unwind(n->engine, mark);
    if (!answered)
        gl_api_fail(r, rc ? rc : GL_EINVAL, "the node gave no answer");
}

/* The node Open311 requests are taken at: the process's highest node that
 * takes residents' requests (a district, township or community). */
static node_t *intake(host_t *h)
{
    node_t *best = NULL;
    for (size_t i = 0; i < h->n_nodes; i++) {
        node_t *n = h->nodes[i];
        int tier = n->topo->tier;
        if (tier >= GRIDLINK__V1__TIER__TIER_DISTRICT && tier <= GRIDLINK__V1__TIER__TIER_COMMUNITY &&
            (!best || tier < (int)best->topo->tier))
            best = n;
    }
    return best;
}

/* /open311/... (answered by open311.c) and /public/v1/... (public.c): a
 * read answered there, or a resident's request or rating for the intake's
 * batch, answered after the commit in the door's own shape. */
static void open311(host_t *h, gl_http_req_t *r, bool pub)
{
    node_t *n = intake(h);
    gl_o311_door d = {
        .topo = h->topo, .users = h->users, .node = n ? n->id : NULL, .store = n ? n->store : NULL, .now = host_now(h)};
    gl_api_call call;
    if ((pub ? gl_public_route(r, &d, &call) : gl_open311_route(r, &d, &call)) != 0)
        return;
    uint8_t *buf;
    size_t len;
    if (gl_pack(&call.req->base, &buf, &len) != 0) {
        call.answerer->fail(r, GL_ENOMEM, "out of memory");
    } else {
        gl_http_hold(r);
        batch_input_http(n, r, &call, buf, len);
        free(buf);
    }
    gl_api_call_clear(&call);
}

static gl_feed_node feed_find(void *arg, const char *id)
{
    host_t *h = arg;
    node_t *n = zhashx_lookup(h->by_id, id);
    return (gl_feed_node){.id = n ? n->id : NULL, .store = n ? n->store : NULL};
}

static gl_store_t *store_find(void *arg, const char *id)
{
    node_t *n = zhashx_lookup(((host_t *)arg)->by_id, id);
    return n ? n->store : NULL;
}

/* /public/v1/surveys...: a read answered there, or an answer for the
 * unit's batch. */
static void surveys(host_t *h, gl_http_req_t *r)
{
    node_t *in = intake(h);
    gl_survey_door d = {
        .topo = h->topo, .intake = in ? in->store : NULL, .find = store_find, .arg = h, .now = host_now(h)};
    gl_api_call call;
    if (gl_survey_public_route(r, &d, &call) != 0)
        return;
    node_t *n = zhashx_lookup(h->by_id, call.node);
    uint8_t *buf;
    size_t len;
    if (!n || gl_pack(&call.req->base, &buf, &len) != 0) {
        call.answerer->fail(r, GL_ENOMEM, "out of memory");
    } else {
        gl_http_hold(r);
        batch_input_http(n, r, &call, buf, len);
        free(buf);
    }
    gl_api_call_clear(&call);
}

static void on_request(gl_http_req_t *r, void *arg)
{
    host_t *h = arg;
    gl_api_call call;
    if (strcmp(gl_http_path(r), "/metrics") == 0) {
        metrics_serve(h, r);
        return;
    }
    if (gl_feed_owns(gl_http_path(r))) {
        gl_feed_door d = {.t = h->topo, .find = feed_find, .arg = h, .now = host_now(h)};
        gl_feed_route(r, &d);
        return;
    }
    bool o311 = strncmp(gl_http_path(r), "/open311/", 9) == 0;
    if (gl_survey_public_owns(gl_http_path(r))) {
        surveys(h, r); /* needs surveys: no account */
        return;
    }
    if (strncmp(gl_http_path(r), "/public/v1/", 11) == 0) {
        open311(h, r, true); /* residents' receipts: no account */
        return;
    }
    if (!o311 && strncmp(gl_http_path(r), "/api/", 5) != 0) {
        gl_webapp_serve(r, "/app/"); /* the web app's files */
        return;
    }
    if (!h->users && gl_users_open(h->home, false, &h->users) != 0)
        h->users = NULL; /* none yet: gridlink user add makes them */
    if (o311) {
        open311(h, r, false);
        return;
    }
    if (gl_api_route(r, h->users, h->topo, host_now(h), &call) != 0)
        return;
    node_t *n = zhashx_lookup(h->by_id, call.node);
    const gl_engine_op *op = gl_engine_op_find(call.req->op);
    if (!n) {
        gl_http_error(r, 404, "not-found", "node %s is not served by this process", call.node);
    } else if (call.events) {
        open_events(h, n, r, call.req->from_seq);
    } else if (!op->writes) {
        read_now(n, r, &call);
    } else {
        uint8_t *buf;
        size_t len;
        if (gl_pack(&call.req->base, &buf, &len) != 0) {
            gl_http_error(r, 500, "internal", "out of memory");
        } else {
            gl_http_hold(r);
            batch_input_http(n, r, &call, buf, len);
            free(buf);
        }
    }
    gl_api_call_clear(&call);
}

int door_start(host_t *h)
{
    if (!h->topo->http_port_base || h->n_nodes == 0)
        return GL_OK;
    int idx = gl_topology_index_of(h->topo, h->nodes[0]->id);
    int port = h->topo->http_port_base + idx;
    int rc = gl_users_open(h->home, false, &h->users);
    if (rc != 0) {
        gl_warn("HTTP: no accounts in %s/users yet (gridlink user add)", h->home);
        h->users = NULL;
    }
    gl_http_limits lim = gl_http_api_limits();
    lim.body_limit = gl_api_body_limit; /* photos */
    char err[256];
    rc = gl_http_start(h->uv, h->topo->listen_host, port, &lim, on_request, h, &h->http, err, sizeof err);
    if (rc != 0) {
        gl_error("%s", err);
        gl_users_close(&h->users);
        return rc;
    }
    if ((rc = metrics_start(h)) != 0) {
        gl_http_stop(&h->http);
        gl_users_close(&h->users);
        return rc;
    }
    uv_timer_init(h->uv, &h->sse_beat);
    h->sse_beat.data = h;
    uv_timer_start(&h->sse_beat, on_beat, SSE_BEAT_MS, SSE_BEAT_MS);
    h->sse_beat_on = true;
    snprintf(h->http_url, sizeof h->http_url, "http://%s:%d/api/v1", h->topo->listen_host, gl_http_port(h->http));
    if (gl_openapi_init(h->http_url) != 0)
        gl_warn("HTTP: the OpenAPI document could not be made");
    gl_info("HTTP: staff API at %s for %zu node(s)", h->http_url, h->n_nodes);
    for (size_t i = 0; i < h->n_nodes; i++)
        gl_engine_set_http_url(h->nodes[i]->engine, h->http_url);
    return GL_OK;
}

void door_stop(host_t *h)
{
    if (h->sse_beat_on) {
        uv_timer_stop(&h->sse_beat);
        uv_close((uv_handle_t *)&h->sse_beat, NULL);
        h->sse_beat_on = false;
    }
    gl_http_stop(&h->http); /* the streams close with it */
    metrics_stop(h);
    gl_users_close(&h->users);
    gl_openapi_free();
    gl_feed_cache_free();
}
