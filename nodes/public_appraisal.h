/* public_appraisal.h: 群众评议 on residents' door, without an account, at
 * the process that serves the district (its intake):
 *
 *   GET  /public/v1/appraisal/units  the units one may appraise by tier
 *                                    (townships and streets, communities,
 *                                    departments), with display names, the
 *                                    current period and the levels
 *   POST /public/v1/appraisal        {"code", "unit", "level": 3|2|1,
 *                                    "period"?, "comment"?} -> 201 after the
 *                                    commit
 *
 * An appraisal is the engine's appraise operation at the district with the
 * resident's role (appraisals.c); the code is a 回执码 of a request filed
 * at the district or a 评议码 the district issued for the month, sent only
 * as its hash. One appraisal per code, unit and month: a second is 409.
 * Codes not known are 404 and counted per address against
 * GRIDLINK_PUBLIC_MISSES (resident.h); appraisals are counted against
 * GRIDLINK_PUBLIC_APPRAISALS an hour (default 60). Every error is
 * {"error": {"code", "message"}}, counted as public.c's are. A comment is
 * kept for the district's staff and never shown on a public page.
 *
 * Ownership: a gl_api_call filled here is the caller's (gl_api_call_clear). */
#ifndef GL_PUBLIC_APPRAISAL_H
#define GL_PUBLIC_APPRAISAL_H

#include "open311.h"

/* True when path is one of this module's. */
bool gl_public_appraisal_owns(const char *path);
/* 0: call is filled (an appraisal for the intake's batch, answered with
 * call->answerer); 1: r was answered here. */
int gl_public_appraisal_route(gl_http_req_t *r, const gl_o311_door *d, gl_api_call *call);

#endif
