/* caseview.c: see caseview.h. */
#include "caseview.h"

#include <jansson.h>
#include <string.h>

#include "casejson.h"
#include "ctl.h"
#include "error.h"
#include "home.h"

void caseview_serve(broker_t *b, gl_http_req_t *r)
{
    const char *id = gl_http_query(r, "id");
    if (!id || !id[0] || strlen(id) > 2 * GL_NODE_ID_MAX) {
        gl_http_error(r, 400, "bad-case", "give the case as ?id=CASE_ID");
        return;
    }
    const view_entry_t *v = zhashx_lookup(b->view.cases, id);
    const bus_event_t *ev = v && v->rev ? v->rev->ev : NULL;
    const char *holder = ev && ev->holder && ev->holder[0] ? ev->holder : ev ? ev->node : NULL;
    if (!holder || !gl_topology_find(b->topo, holder)) {
        gl_http_error(r, 404, "not-found", "the district's view has no case %.100s", id);
        return;
    }
    Gridlink__V1__CtlRequest q = GRIDLINK__V1__CTL_REQUEST__INIT;
    q.node = (char *)holder;
    q.op = (char *)"show";
    q.case_id = (char *)id;
    Gridlink__V1__CtlReply *rep = NULL;
    char err[256];
    int rc = gl_ctl_call(b->home, &q, CASEVIEW_TIMEOUT_MS, &rep, err, sizeof err);
    if (rc != 0) {
        gl_http_error(r, 503, "unavailable", "%s, which holds case %.100s, does not answer: %s", holder, id, err);
        return;
    }
    if (rep->code != 0 || !rep->case_) {
        gl_http_error(r, rep->code == GL_ENOENT ? 404 : 502, rep->code == GL_ENOENT ? "not-found" : "node-error",
                      "%s: %s", holder, rep->error && rep->error[0] ? rep->error : gl_strerror(rep->code));
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return;
    }
    json_t *c = gl_case_json(b->topo, rep->case_, rep->cases, rep->n_cases, gl_now_ms());
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    if (!c) {
        gl_http_error(r, 503, "unavailable", "out of memory");
        return;
    }
    const gl_node_t *h = gl_topology_find(b->topo, holder);
    gl_http_json(
        r, 200, json_pack("{s:s, s:s, s:o}", "held_by", holder, "held_by_name", h->name ? h->name : holder, "case", c));
}
