/* users.h: the home's accounts (人员账号): the people who sign in at a front
 * door, their roles, the part of the district each may see and work
 * (scope), their passwords and their sessions.
 *
 * They live in an LMDB environment of their own, HOME/users/ (data.mdb,
 * lock.mdb; the directory mode 0700, the files 0600), apart from every
 * node's store. Any process of the home may open it: the CLI to manage
 * accounts, an HTTP door to sign people in, both at once; LMDB serialises
 * their writes. A process opens it once and may share the handle between
 * threads: every call below runs in its own transaction. The map is
 * GL_USERS_MAP_SIZE and does not grow; a full map is GL_EMAPFULL.
 *
 * Named databases:
 *   meta      ascii name                -> raw bytes ("schema": u64 BE, 1)
 *   accounts  account name              -> the account (see users.c)
 *   sessions  BLAKE2b-256 of a token    -> u64 BE expires_ms, u64 BE issued_ms, account name
 *   failures  account name              -> u64 BE window start, u32 BE count, u64 BE locked until
 *   apikeys   "k" + BLAKE2b-256 of a key -> the client's name
 *             "n" + the client's name    -> u8 flags (1: disabled), u64 BE created_ms, the key's hash
 *             (made by the first gl_apikey_add: an older environment has none)
 *
 * An account has a name, 1..GL_USER_NAME_MAX bytes of ASCII letters, digits,
 * '.', '_' and '-' (no other characters for now: the name is typed at a
 * login prompt and recorded in case history; a person's name in Chinese
 * goes in the display name), a role, a scope (a node ID: the account sees
 * and works that node and its subtree), an optional display name (UTF-8,
 * at most GL_USER_DISPLAY_MAX bytes, no control characters), a password
 * hash, a disabled flag and the time it was made. Whether the scope is a
 * node of the home's topology is the caller's to check; here it need only
 * be a valid node ID.
 *
 * Passwords are 8..1024 bytes and are kept only as libsodium's
 * crypto_pwhash_str (Argon2id) with crypto_pwhash_OPSLIMIT_INTERACTIVE and
 * crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MiB): a login is a person waiting
 * at a door on one of the district's small servers, so the hash must take a
 * fraction of a second there, yet each guess against a stolen file costs
 * as much. A hash made with other limits is made again at the next login.
 *
 * A login issues a bearer token: 32 random bytes in base64url without
 * padding (43 characters). Only the token's BLAKE2b-256 hash is stored,
 * with the account's name and the expiry, so a copy of the environment
 * holds no usable token. A token is good while now < expires_ms, its
 * account exists and is not disabled. An expired token is removed when it
 * is next presented, and every login sweeps the expired ones away; an
 * account keeps at most GL_USERS_MAX_SESSIONS sessions (a new login ends
 * its oldest). Disabling an account or changing its password ends all its
 * sessions.
 *
 * Failed logins (wrong password, including for a disabled account) are
 * counted per account: after GL_USERS_MAX_FAILURES failures within
 * GL_USERS_FAILURE_WINDOW_MS the account refuses every login for
 * GL_USERS_LOCKOUT_MS (GL_EAGAIN), even with the right password. A
 * successful login and a password change clear the count. A login to a
 * name that has no account costs the same hashing time as a wrong
 * password and is refused the same way (GL_EPERM), but is not counted.
 *
 * Ownership: gl_users_open hands the caller the gl_users_t, which
 * gl_users_close frees. Everything returned is copied into the caller's
 * memory (gl_account, the token buffer); nothing points into the
 * environment. Passwords and tokens passed in stay the caller's to wipe;
 * none of them, nor any hash, is ever logged. */
#ifndef GL_USERS_H
#define GL_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "names.h"
#include "topology.h"

#define GL_USERS_SCHEMA_VERSION 1
#define GL_USERS_MAP_SIZE       (8u * 1024 * 1024)

#define GL_USER_NAME_MAX     64
#define GL_USER_DISPLAY_MAX  128
#define GL_USER_PASSWORD_MIN 8
#define GL_USER_PASSWORD_MAX 1024

#define GL_USERS_TOKEN_SIZE        44 /* 43 characters and the NUL */
#define GL_USERS_TTL_MAX_MS        (30LL * 86400 * 1000)
#define GL_USERS_MAX_SESSIONS      16
#define GL_USERS_MAX_FAILURES      5
#define GL_USERS_FAILURE_WINDOW_MS (15LL * 60 * 1000)
#define GL_USERS_LOCKOUT_MS        (15LL * 60 * 1000)

/* What a person does in the district. The values are stored: never
 * renumber them. */
enum gl_user_role {
    GL_USER_GRID = 1,       /* 网格员: grid staff */
    GL_USER_COMMUNITY = 2,  /* 社区工作人员: community officer */
    GL_USER_TOWNSHIP = 3,   /* 街道工作人员: township officer */
    GL_USER_DEPARTMENT = 4, /* 部门工作人员: department officer */
    GL_USER_MONITOR = 5,    /* 区指挥中心: district monitor, reads everything in scope, writes nothing */
    GL_USER_ADMIN = 6,      /* 管理员: administrator */
};

typedef struct gl_users gl_users_t;

typedef struct gl_account {
    char name[GL_USER_NAME_MAX + 1];
    enum gl_user_role role;
    char scope[GL_NODE_ID_MAX + 1];
    char display[GL_USER_DISPLAY_MAX + 1]; /* "" when none */
    bool disabled;
    int64_t created_ms;
} gl_account;

/* A role's name in files and on the command line ("grid", "community",
 * "township", "department", "monitor", "admin"), its Chinese label
 * (网格员, 社区工作人员, 街道工作人员, 部门工作人员, 区指挥中心, 管理员);
 * "unknown" for a value that is not a role. Static strings. */
const char *gl_user_role_name(enum gl_user_role r);
const char *gl_user_role_label(enum gl_user_role r);
/* Name to role; false (and *out untouched) when it is not one. */
bool gl_user_role_from(const char *name, enum gl_user_role *out);
bool gl_user_role_valid(int r);
/* Every role's name, joined by ", " (a static string, for help and errors). */
const char *gl_user_role_list(void);

/* Why gl_users_add would refuse a name, a display name (NULL and "" are
 * fine) or a password: a static one-line reason, or NULL when it is fine. */
const char *gl_user_name_problem(const char *name);
const char *gl_user_display_problem(const char *display);
const char *gl_user_password_problem(const char *password);

/* May a person of role r call operation op (which writes when writes is
 * true, as gl_engine_op says)? The table is in users.c. Whether the case or
 * node asked about is in the account's scope is gl_account_in_scope's. */
bool gl_user_role_may(enum gl_user_role r, gl_op op, bool writes);
/* True when node_id is the account's scope or lies below it (on a dot
 * boundary: scope "a.b" covers "a.b.c", not "a.bc"). */
bool gl_account_in_scope(const gl_account *a, const char *node_id);

/* Open HOME/users/. With create, make it (and the databases) when missing;
 * without, GL_ENOENT when it does not exist. GL_EINVAL when it holds a
 * newer schema version than GL_USERS_SCHEMA_VERSION or is not a users
 * environment. One that records no version is of version 1; with create,
 * an older one is migrated and the version recorded (users.c). */
int gl_users_open(const char *home, bool create, gl_users_t **out);
/* Close and free; sets *u to NULL. */
void gl_users_close(gl_users_t **u);

/* A new account, enabled, made now. GL_EINVAL for a bad name, role, scope,
 * display name or password (the *_problem functions say which), GL_EEXIST
 * when the name is taken. Takes the time of one password hash. */
int gl_users_add(gl_users_t *u, const char *name, enum gl_user_role role, const char *scope, const char *display,
                 const char *password);
/* A new password; ends the account's sessions and clears its failed
 * logins. GL_ENOENT when there is no such account. */
int gl_users_passwd(gl_users_t *u, const char *name, const char *password);
/* Disabling ends the account's sessions; enabling lets it log in again.
 * Either is 0 when the account is already so; GL_ENOENT when there is none. */
int gl_users_disable(gl_users_t *u, const char *name);
int gl_users_enable(gl_users_t *u, const char *name);
/* One account into *out; GL_ENOENT when there is none. */
int gl_users_get(gl_users_t *u, const char *name, gl_account *out);
/* fn for every account in name order until it returns non-zero, which is
 * returned. fn runs inside a read transaction and must not call back into
 * u; the account is valid only during the call. */
int gl_users_list(gl_users_t *u, int (*fn)(const gl_account *a, void *arg), void *arg);

/* Check name's password at now_ms and start a session of ttl_ms
 * (1..GL_USERS_TTL_MAX_MS): its token goes into token (a NUL-terminated
 * string), its expiry into *expires_ms. GL_EPERM for no such account, a
 * wrong password or a disabled account (one answer for all three);
 * GL_EAGAIN while the account is locked after failed logins; GL_EINVAL for
 * malformed arguments. token is "" on any failure. */
int gl_users_login(gl_users_t *u, const char *name, const char *password, int64_t now_ms, int64_t ttl_ms,
                   char token[GL_USERS_TOKEN_SIZE], int64_t *expires_ms);
/* The account a token stands for at now_ms, into *out: 0 when the token
 * is good; GL_EINVAL when it is not a token at all; GL_ENOENT when no
 * session has it (never issued, logged out, ended or expired); GL_EPERM
 * when its account is disabled. */
int gl_users_check_token(gl_users_t *u, const char *token, int64_t now_ms, gl_account *out);
/* End the session of token; GL_ENOENT when there is none. */
int gl_users_logout(gl_users_t *u, const char *token);

/* API keys of Open311 clients (an app, a hotline's system): a key has a
 * client name (as an account name) and is, like a token, 43 characters of
 * base64url of which only the BLAKE2b-256 hash is stored. It does not
 * expire; it is good until disabled. */
typedef struct gl_apikey {
    char name[GL_USER_NAME_MAX + 1];
    bool disabled;
    int64_t created_ms;
} gl_apikey;
/* A new key for the client called name, into key. GL_EINVAL for a bad
 * name, GL_EEXIST when the name has a key already. */
int gl_apikey_add(gl_users_t *u, const char *name, int64_t now_ms, char key[GL_USERS_TOKEN_SIZE]);
/* Disable name's key: 0 (also when it is already), GL_ENOENT when none. */
int gl_apikey_disable(gl_users_t *u, const char *name);
/* fn for every client in name order until it returns non-zero. */
int gl_apikey_list(gl_users_t *u, int (*fn)(const gl_apikey *k, void *arg), void *arg);
/* The client a key stands for: 0; GL_EINVAL when it is not a key at all,
 * GL_ENOENT when no client has it, GL_EPERM when it is disabled. */
int gl_apikey_check(gl_users_t *u, const char *key, gl_apikey *out);

#endif
