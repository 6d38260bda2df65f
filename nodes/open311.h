/* open311.h: Open311 GeoReport v2 on the node process's HTTP door, under
 * /open311/v2/ (the README's Open311 section):
 *
 *   GET  services.{json|xml}                 the catalogue's services
 *   GET  services/{service_code}.{json|xml}  a service's attributes
 *   POST requests.{json|xml}                 a resident's request (form-encoded, api_key)
 *   GET  requests.{json|xml}                 requests the intake node holds copies of
 *   GET  requests/{id}.{json|xml}            one of them
 *   GET  tokens/{token}.{json|xml}           the request a token stands for
 *
 * A POST becomes the engine's request operation at the intake node, with
 * the resident's role, for the host's batch; reads are answered here from
 * the intake's store. Errors are the specification's array of {code,
 * description} with 400, 403, 404 (405 for another method), and every one
 * is counted (gl_open311_refused).
 *
 * open311.c routes and reads; open311_out.c writes the answers, JSON with
 * jansson and XML with libxml2's xmlTextWriter, from one JSON document.
 *
 * Ownership: nothing here keeps a pointer to the door or the request past
 * the call; a gl_api_call filled here is the caller's (gl_api_call_clear). */
#ifndef GL_OPEN311_H
#define GL_OPEN311_H

#include <stdarg.h>
#include <stdint.h>

#include "api.h"
#include "store.h"
#include "users.h"

typedef struct gl_o311_door {
    const gl_topology_t *topo;
    gl_users_t *users; /* the API keys; NULL when the home has none */
    const char *node;  /* the intake: the process's highest node taking requests, NULL when none */
    gl_store_t *store; /* the intake's store */
    int64_t now;
} gl_o311_door;

/* 0: call is filled (a POST for the intake's batch, answered with
 * call->answerer); 1: r was answered here. */
int gl_open311_route(gl_http_req_t *r, const gl_o311_door *d, gl_api_call *call);
/* Requests refused since the process started. */
uint64_t gl_open311_refused(void);

/* open311_out.c */
enum o311_fmt { O311_JSON, O311_XML };
/* Answer doc (taken) in fmt; root names the XML document's element and,
 * for an array, items its children. */
void o311_send(gl_http_req_t *r, enum o311_fmt fmt, int status, json_t *doc, const char *root);
/* The spec's error answer, counted. */
void o311_error(gl_http_req_t *r, enum o311_fmt fmt, int status, const char *fmt_s, ...)
    __attribute__((format(printf, 4, 5)));
/* ISO 8601 with the district calendar's offset: 2026-12-02T13:17:11+08:00. */
const char *o311_time(const gl_topology_t *t, int64_t ms, char *buf, size_t size);
/* What the resident is told of where the case is. */
void o311_notice(const gl_topology_t *t, const Gridlink__V1__Case *c, char *buf, size_t size);
/* A request as Open311 shows it (the public steps in notes[]); the caller's. */
json_t *o311_request_json(const gl_topology_t *t, const Gridlink__V1__Case *c);
/* The answerers of a POST's outcome, after the commit. */
extern const gl_api_answerer o311_answer_json, o311_answer_xml;
void o311_count_refusal(void);

#endif
