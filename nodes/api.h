/* api.h: the staff HTTP API, /api/v1/...: which engine operation a request
 * asks for and for which node, who asks (a bearer token of the home's
 * accounts, its role and scope checked against the operation and the node),
 * and the JSON of the answer. Logging in and out are answered here; every
 * other request becomes a CtlRequest for the engine's operation table, the
 * same one the control socket serves.
 *
 *   POST /api/v1/login {"name", "password"}     -> {"token", "expires", "role", "scope"}
 *   POST /api/v1/logout                          (the token in Authorization)
 *   GET  /api/v1/nodes/{node}/health
 *   GET  /api/v1/nodes/{node}/cases?state=&kind=&category=&holder=&text=&overdue=&due_soon=
 *                                   &unplaced=&holding=&limit=&after=
 *   POST /api/v1/nodes/{node}/cases              {"kind": incident|request|task|whistle, ...}
 *   GET  /api/v1/nodes/{node}/cases/{id}
 *   POST /api/v1/nodes/{node}/cases/{id}/actions/{action} {"note", "reason", "to", "attachments", ...}
 *   POST /api/v1/nodes/{node}/attachments         (the photo as the body) -> {"sha256", "size", "content_type"}
 *   GET  /api/v1/nodes/{node}/attachments/{sha256}
 *   GET  /api/v1/nodes/{node}/events              text/event-stream of the node's log (Last-Event-ID)
 *   GET  /api/v1/nodes/{district}/appraisals?period=YYYY-MM|YYYY-Qn|YYYY|YYYY-Www&tier=township|community|department
 *                                   the league table of 群众评议 (appraisal.h)
 *   GET|POST /api/v1/nodes/{node}/surveys[/{id}[/close|tickets|task]]  needs surveys (api_surveys.c)
 *   GET|POST /api/v1/nodes/{node}/facts          facts for the plan's indicators (api_facts.c)
 *   GET  /api/v1/openapi.json                    the OpenAPI document (openapi.h), without a token
 *
 * The token comes in Authorization: Bearer, or, for GETs only, in the
 * gl_token cookie that login sets (so an <img> or an EventSource can send
 * it; a cookie never authorises a write, so another site cannot make one).
 *
 * and, from the account and the topology alone (api_info.c):
 *   GET  /api/v1/me          -> {"name", "role", "role_label", "scope", "display_name", "node": {...}}
 *   GET  /api/v1/categories  -> {"categories": [{"code", "name", "display", "subcategories": [...]}]}
 *   GET  /api/v1/nodes/{node} -> {"id", "name", "tier", "tier_label", "parent", "parent_name",
 *                                 "children": [...], "departments": [...], "area_centre": {"lat", "lon"}}
 *                               (a node of the caller's scope)
 *
 * Ownership: a gl_api_call owns its request until gl_api_call_clear. */
#ifndef GL_API_H
#define GL_API_H

#include <stdint.h>

#include "engine.h"
#include "http.h"
#include "topology.h"
#include "users.h"

/* How a write's outcome is answered after the commit: the staff API's JSON
 * (NULL, the default), or another door's shape (Open311). */
typedef struct gl_api_answerer {
    void (*answer)(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                   size_t len, int64_t now);
    void (*fail)(gl_http_req_t *r, int code, const char *message);
} gl_api_answerer;

typedef struct gl_api_call {
    char node[GL_NODE_ID_MAX + 1];
    Gridlink__V1__CtlRequest *req; /* the operation, for node */
    gl_op op;
    gl_caller who;
    char user[96];
    bool events;                     /* GET .../events: a stream of the log from req->from_seq, not an operation */
    const gl_api_answerer *answerer; /* NULL: the staff API's */
} gl_api_call;

/* The largest request body of a route (uploads take photos). */
size_t gl_api_body_limit(const char *method, const char *url, size_t max_body);

/* 0: call is filled, for the host to run at call->node; 1: r was answered
 * here (login, logout, a refusal). */
int gl_api_route(gl_http_req_t *r, gl_users_t *users, const gl_topology_t *t, int64_t now, gl_api_call *call);
void gl_api_call_clear(gl_api_call *call);

/* Answer r from the packed CtlReply of operation op asked at node: 201 for
 * a new case, 202 for an action sent on to the holder elsewhere. */
void gl_api_answer(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                   size_t len, int64_t now);
/* One of api_info.c's routes for the authenticated account a, the path
 * split into parts[0..n) ("api", "v1", ...): 1 when r was answered, 0 when
 * the path is not one of them. */
int gl_api_info(gl_http_req_t *r, const gl_topology_t *t, const gl_account *a, char **parts, int n);
/* api_facts.c: a request under /api/v1/nodes/{node}/facts (p[4]) for
 * account a, as gl_api_route returns; and the JSON of a facts
 * operation's reply (*status its HTTP status). */
int gl_api_facts(gl_http_req_t *r, const gl_topology_t *t, const gl_account *a, char **p, int n, gl_api_call *call);
json_t *gl_api_facts_reply(const Gridlink__V1__CtlReply *rep, gl_op op, const char *node, int *status);
/* api_surveys.c: a request under /api/v1/nodes/{node}/surveys (p[4]) for
 * the account a: 0 with call filled, 1 when r was answered; and the JSON
 * of a survey operation's reply (*status its HTTP status). */
int gl_api_surveys(gl_http_req_t *r, const gl_topology_t *t, const gl_account *a, char **p, int n, gl_api_call *call);
json_t *gl_api_survey_reply(const Gridlink__V1__CtlReply *rep, gl_op op, const gl_topology_t *t, int64_t now,
                            int *status);
/* Answer r with an engine error code and its message. */
void gl_api_fail(gl_http_req_t *r, int code, const char *message);

#endif
