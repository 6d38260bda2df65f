/* session.c: see session.h. */
#include "session.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "casejson.h"
#include "error.h"

void gl_session_login(gl_http_req_t *r, gl_users_t *users, int64_t now)
{
    char why[300];
    json_t *j = gl_http_body_json(r, why, sizeof why);
    if (!j) {
        gl_http_error(r, 400, "bad-request", "%s", why);
        return;
    }
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *password = json_string_value(json_object_get(j, "password"));
    if (!name || !password || json_object_size(j) != 2) {
        json_decref(j);
        gl_http_error(r, 400, "bad-request", "a login is {\"name\": ..., \"password\": ...}");
        return;
    }
    char token[GL_USERS_TOKEN_SIZE];
    int64_t expires = 0;
    int rc = gl_users_login(users, name, password, now, GL_SESSION_TTL_MS, token, &expires);
    gl_account a;
    if (rc == 0)
        rc = gl_users_check_token(users, token, now, &a);
    if (rc == GL_EAGAIN) {
        gl_http_error(r, 429, "too-many", "too many failed logins for %s; try again later", name);
    } else if (rc == GL_EPERM || rc == GL_EINVAL || rc == GL_ENOENT) {
        gl_http_error(r, 401, "unauthorized", "wrong name or password");
    } else if (rc != 0) {
        gl_http_error(r, 503, "unavailable", "the accounts cannot be read");
    } else {
        char when[40], cookie[GL_USERS_TOKEN_SIZE + 96];
        snprintf(cookie, sizeof cookie, "gl_token=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld", token,
                 (long long)(GL_SESSION_TTL_MS / 1000));
        const char *headers[] = {"Set-Cookie", cookie, NULL};
        gl_http_json_with(r, 200,
                          json_pack("{s:s, s:s, s:s, s:s, s:s}", "token", token, "expires",
                                    gl_iso_time(expires, when, sizeof when), "name", a.name, "role",
                                    gl_user_role_name(a.role), "scope", a.scope),
                          headers);
        sodium_memzero(cookie, sizeof cookie);
    }
    sodium_memzero(token, sizeof token);
    json_decref(j);
}

int gl_session_authenticate(gl_http_req_t *r, gl_users_t *users, int64_t now, gl_account *a, const char **token)
{
    const char *h = gl_http_header(r, "Authorization");
    const char *cookie = gl_http_cookie(r, "gl_token");
    if (!h && cookie && cookie[0] && strcmp(gl_http_method(r), "GET") == 0) {
        *token = cookie; /* a read: an <img> or an EventSource */
    } else if (!h && cookie && cookie[0]) {
        gl_http_error(r, 401, "unauthorized",
                      "a change needs Authorization: Bearer TOKEN; the cookie serves reads only");
        return 1;
    } else if (!h || strncmp(h, "Bearer ", 7) != 0 || !h[7]) {
        gl_http_error(r, 401, "unauthorized", "log in first: Authorization: Bearer TOKEN (POST /api/v1/login)");
        return 1;
    } else {
        *token = h + 7;
    }
    int rc = users ? gl_users_check_token(users, *token, now, a) : GL_ENOENT;
    if (rc != 0) {
        gl_http_error(r, 401, "unauthorized", "the token is not valid (expired, logged out or unknown)");
        return 1;
    }
    return 0;
}

void gl_session_logout(gl_http_req_t *r, gl_users_t *users, const char *token)
{
    gl_users_logout(users, token);
    const char *headers[] = {"Set-Cookie", "gl_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", NULL};
    gl_http_json_with(r, 200, json_pack("{s:b}", "logged_out", 1), headers);
}
