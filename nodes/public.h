/* public.h: residents' public door, no account, under /public/v1/ on the
 * node process's HTTP door (the README's "Residents' receipts" section):
 *
 *   POST /public/v1/requests              a resident's request, the Open311 form
 *                                         without api_key -> {"code", "url", ...}
 *   GET  /public/v1/requests/{code}       the request by its follow-up code
 *   POST /public/v1/requests/{code}/rate  {"resolved": bool, "satisfied": bool}
 *
 * A request is filed as Open311's POST files it (open311_form.h), as the
 * engine's request operation at the intake node with the resident's role;
 * the door makes a follow-up code (回执码, resident.h) and
 * sends only its hash with the request: the engine keeps it in the
 * intake's `receipts` database, mapped to the case, in the commit that
 * makes the case. The code itself is given once, in the answer.
 *
 * A read finds the case by the code's hash in the intake's store and
 * answers Open311's view of it (the public steps of notes[], the holder's
 * name, the expected time) without address, position or picture, with the
 * state in Chinese and the rating. A rating is the engine's rate operation
 * at the intake (the originator) with the resident's role: once per case,
 * when it is closed; "not resolved" reopens it at its holder (重办).
 *
 * Filings are limited per client address (GRIDLINK_PUBLIC_FILINGS an hour,
 * default 20), and so are lookups of unknown codes (GRIDLINK_PUBLIC_MISSES
 * an hour, default 60), counted per address (resident.h). Every
 * error is {"error": {"code", "message"}} with 400, 404, 405, 409, 413 or
 * 429 and is counted (gl_resident_refused, health's public_refused).
 *
 * Ownership: nothing is kept of a request past the call but its address's
 * counts; a gl_api_call filled here is the caller's (gl_api_call_clear). */
#ifndef GL_PUBLIC_H
#define GL_PUBLIC_H

#include <stdint.h>

#include "open311.h"
#include "resident.h"

/* 0: call is filled (a request or a rating for the intake's batch,
 * answered with call->answerer); 1: r was answered here. d is Open311's
 * door (the intake, its store and the topology). */
int gl_public_route(gl_http_req_t *r, const gl_o311_door *d, gl_api_call *call);

#endif
