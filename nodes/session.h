/* session.h: people's sessions over HTTP, for every door that has
 * accounts (the node processes' staff API, the broker's dashboard): a
 * login answers a bearer token and sets it as the HttpOnly cookie
 * gl_token; a request is authenticated by "Authorization: Bearer TOKEN",
 * or by the cookie for GET only (an <img>, an EventSource); a logout ends
 * the session and clears the cookie. Tokens and cookies are wiped after
 * use; the accounts are the caller's (users.h). */
#ifndef GL_SESSION_H
#define GL_SESSION_H

#include <stdint.h>

#include "http.h"
#include "users.h"

#define GL_SESSION_TTL_MS (12LL * 3600 * 1000) /* a working day and then some */

/* POST .../login {"name", "password"}: 200 {token, expires, name, role,
 * scope} with the cookie; 400, 401, 429 or 503 otherwise. */
void gl_session_login(gl_http_req_t *r, gl_users_t *users, int64_t now);
/* The account r's token stands for into *a, the token into *token (r's
 * own memory): 0, or 1 when r was answered (401). */
int gl_session_authenticate(gl_http_req_t *r, gl_users_t *users, int64_t now, gl_account *a, const char **token);
/* Ends token's session and answers {"logged_out": true}, the cookie cleared. */
void gl_session_logout(gl_http_req_t *r, gl_users_t *users, const char *token);

#endif
