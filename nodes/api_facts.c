/* api_facts.c: the staff API's facts for the plan's indicators (api.h):
 *
 *   GET  /api/v1/nodes/{node}/facts[?name=NAME]   each fact's value now and every change
 *   POST /api/v1/nodes/{node}/facts               {"name", "value", "as_of"?, "note"?} -> 201
 *
 * The request made belongs to the call (gl_api_call_clear); answers are
 * JSON made here and handed to the HTTP server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "error.h"
#include "facts.h"
#include "names.h"

#define OP(x) GRIDLINK__V1__OP__OP_##x

int gl_api_facts(gl_http_req_t *r, const gl_topology_t *t, const gl_account *a, char **p, int n, gl_api_call *call)
{
    const char *method = gl_http_method(r), *node = p[3];
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (n != 5 || (!get && !post)) {
        gl_http_error(r, n == 5 ? 405 : 404, n == 5 ? "method-not-allowed" : "not-found", "%s %.200s is not served",
                      method, gl_http_path(r));
        return 1;
    }
    const char *op = post ? "fact-set" : "facts";
    const gl_engine_op *eop = gl_engine_op_find(op);
    if (!eop || !gl_user_role_may(a->role, eop->op, eop->writes) || !gl_account_in_scope(a, node)) {
        gl_http_error(r, 403, "forbidden", "%s (%s, scope %s) may not %s at %s", a->name, gl_user_role_name(a->role),
                      a->scope, op, node);
        return 1;
    }
    /* A unit's facts are its own staff's to report: a community's by its
     * community staff, a township's by the township's; an admin's anywhere. */
    const gl_node_t *nd = gl_topology_find(t, node);
    enum gl_user_role own = nd && nd->tier == GRIDLINK__V1__TIER__TIER_COMMUNITY  ? GL_USER_COMMUNITY
                            : nd && nd->tier == GRIDLINK__V1__TIER__TIER_TOWNSHIP ? GL_USER_TOWNSHIP
                                                                                  : GL_USER_ADMIN;
    if (post && a->role != GL_USER_ADMIN && a->role != own) {
        gl_http_error(r, 403, "forbidden", "%s's facts are reported by its own staff (%s), not %s (%s)", node,
                      gl_user_role_name(own), a->name, gl_user_role_name(a->role));
        return 1;
    }
    char why[512] = "";
    gl_fact *f = NULL;
    int rc = GL_OK;
    if (post) {
        size_t len;
        const uint8_t *b = gl_http_body(r, &len);
        rc = gl_fact_from_json((const char *)b, len, &f, why, sizeof why);
    } else {
        const char *name = gl_http_query(r, "name");
        if (name && gl_fact_find(name) < 0) {
            snprintf(why, sizeof why, "no fact '%.60s'", name);
            rc = GL_EINVAL;
        } else if ((f = malloc(sizeof *f))) {
            gridlink__v1__fact__init(f);
            f->name = strdup(name ? name : "");
            rc = f->name ? GL_OK : GL_ENOMEM;
        } else {
            rc = GL_ENOMEM;
        }
    }
    Gridlink__V1__CtlRequest *q = rc == 0 ? malloc(sizeof *q) : NULL;
    if (rc == 0 && !q)
        rc = GL_ENOMEM;
    if (rc != 0) {
        if (f)
            gridlink__v1__fact__free_unpacked(f, NULL);
        gl_api_fail(r, rc, why);
        return 1;
    }
    gridlink__v1__ctl_request__init(q);
    q->fact = f;
    q->node = strdup(node);
    q->op = strdup(op);
    q->user = strdup(a->name);
    if (!q->node || !q->op || !q->user) {
        gridlink__v1__ctl_request__free_unpacked(q, NULL);
        gl_api_fail(r, GL_ENOMEM, "out of memory");
        return 1;
    }
    snprintf(call->node, sizeof call->node, "%s", node);
    snprintf(call->user, sizeof call->user, "%s", a->name);
    call->req = q;
    call->op = eop->op;
    call->who.role = a->role == GL_USER_ADMIN ? GL_ROLE_OPERATOR : GL_ROLE_STAFF;
    call->who.user = call->user;
    return 0;
}

json_t *gl_api_facts_reply(const Gridlink__V1__CtlReply *rep, gl_op op, const char *node, int *status)
{
    if (op == OP(FACT_SET)) {
        *status = 201;
        return rep->n_events ? gl_fact_event_json(rep->events[0]) : json_object();
    }
    *status = 200;
    return gl_facts_listing_json(node, rep->events, rep->n_events);
}
