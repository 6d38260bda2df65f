/* survey_public.h: residents' side of the needs surveys (需求调查), no
 * account, under /public/v1/surveys on the node process's HTTP door:
 *
 *   GET  /public/v1/surveys?node=N                 the open surveys of unit N
 *   GET  /public/v1/surveys/{node}/{id}            a survey's definition
 *   POST /public/v1/surveys/{node}/{id}/answers    {"code", "answers": {qid: value}} -> 201
 *
 * N is a unit (district, township, community) this process serves. What
 * is public is the definition and the number of answers; counts, texts and
 * who answered are staff's (api_surveys.c).
 *
 * An answer carries a code: a survey code (调查码) the unit issued for this
 * survey, or the follow-up code (回执码) of a request filed at the
 * process's intake (public.h). The door checks which it is (a survey code
 * in the unit's store, a receipt in the intake's) and sends only its hash
 * with the answer to the unit's batch; the engine takes one answer per
 * code (a second is 409). Answers are limited per client address
 * (GRIDLINK_PUBLIC_ANSWERS an hour, default 30), unknown codes as the
 * follow-up pages limit them (GRIDLINK_PUBLIC_MISSES); every error is
 * counted (resident.h).
 *
 * Ownership: a gl_api_call filled here is the caller's (gl_api_call_clear). */
#ifndef GL_SURVEY_PUBLIC_H
#define GL_SURVEY_PUBLIC_H

#include "api.h"
#include "resident.h"

typedef struct gl_survey_door {
    const gl_topology_t *topo;
    gl_store_t *intake; /* the process's intake's store (receipts), NULL when none */
    /* The store of node id when this process serves it, else NULL. */
    gl_store_t *(*find)(void *arg, const char *id);
    void *arg;
    int64_t now;
} gl_survey_door;

/* Is path one of these routes? */
bool gl_survey_public_owns(const char *path);
/* 0: call is filled (an answer for call->node's batch); 1: r was answered. */
int gl_survey_public_route(gl_http_req_t *r, const gl_survey_door *d, gl_api_call *call);

#endif
