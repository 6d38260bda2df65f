/* resident.h: what every residents' page of the node process shares (the
 * follow-up requests of public.c, and any other page a resident uses
 * without an account):
 *
 *   codes (rescode.h, shared with the engine's appraisal tickets);
 *
 *   per-address hourly counts: a table of GL_PUBLIC_ADDRS client addresses,
 *   the stalest taken over when full, with one count per kind of request
 *   (enum gl_resident_count); a limit is read from the environment;
 *
 *   refusals: every error answered through gl_resident_fail is counted
 *   (gl_resident_refused, health's public_refused).
 *
 * Nothing here allocates: the table is static, codes are the caller's. */
#ifndef GL_RESIDENT_H
#define GL_RESIDENT_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "rescode.h"
#include "store.h"

#define GL_PUBLIC_ADDRS 1024

enum gl_resident_count {
    GL_RC_FILINGS, /* requests filed */
    GL_RC_MISSES,  /* codes looked up that are not known */
    GL_RC_ANSWERS, /* survey answers and appraisals given */
    GL_RC_KINDS
};

/* Answers r with status, {"error": {"code", "message"}}, and counts it. */
void gl_resident_fail(gl_http_req_t *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The HTTP status of an engine's refusal (a gl_err): 400, 404, 409 or 503. */
int gl_resident_status(int code);
/* Refusals since the process started. */
uint64_t gl_resident_refused(void);

/* The limit named by env (1 .. 1000000), else def. */
uint32_t gl_resident_limit(const char *env, uint32_t def);
/* True, with r answered 429 and counted, when r's address has made limit
 * requests of kind k in this hour; what names them in the message. */
bool gl_resident_over(gl_http_req_t *r, int64_t now, enum gl_resident_count k, uint32_t limit, const char *what);
/* Counts one request of kind k for r's address. */
void gl_resident_count(gl_http_req_t *r, int64_t now, enum gl_resident_count k);

#endif
