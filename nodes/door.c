/* door.c: the node process's HTTP door. When the topology gives HTTP ports
 * (http_port_base), the process listens on listen_host at http_port_base
 * plus the topology index of the first node it hosts, and serves the staff
 * API (api.h) for every node it hosts. A read is answered at once from
 * committed state, as the control socket's are; a write goes into the
 * node's batch like any other input and is answered after the commit.
 * Accounts come from HOME/users (gridlink user add); without them every
 * request but the login is refused. */
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "host_int.h"
#include "log.h"

/* A read: run now in a read transaction, its reply answered at once. */
static void read_now(node_t *n, gl_http_req_t *r, const gl_api_call *call)
{
    MDB_txn *txn;
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

static void on_request(gl_http_req_t *r, void *arg)
{
    host_t *h = arg;
    gl_api_call call;
    if (!h->users && gl_users_open(h->home, false, &h->users) != 0)
        h->users = NULL; /* none yet: gridlink user add makes them */
    if (gl_api_route(r, h->users, h->topo, host_now(h), &call) != 0)
        return;
    node_t *n = zhashx_lookup(h->by_id, call.node);
    const gl_engine_op *op = gl_engine_op_find(call.req->op);
    if (!n) {
        gl_http_error(r, 404, "not-found", "node %s is not served by this process", call.node);
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
    char err[256];
    rc = gl_http_start(h->uv, h->topo->listen_host, port, &lim, on_request, h, &h->http, err, sizeof err);
    if (rc != 0) {
        gl_error("%s", err);
        gl_users_close(&h->users);
        return rc;
    }
    snprintf(h->http_url, sizeof h->http_url, "http://%s:%d/api/v1", h->topo->listen_host, gl_http_port(h->http));
    gl_info("HTTP: staff API at %s for %zu node(s)", h->http_url, h->n_nodes);
    for (size_t i = 0; i < h->n_nodes; i++)
        gl_engine_set_http_url(h->nodes[i]->engine, h->http_url);
    return GL_OK;
}

void door_stop(host_t *h)
{
    gl_http_stop(&h->http);
    gl_users_close(&h->users);
}
