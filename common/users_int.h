/* users_int.h: what the two files of the accounts module share: the
 * gl_users struct (the environment and its database handles), an account
 * as stored (with its password hash), the hashing limits, and the helpers
 * both use to run transactions, report LMDB errors and read and write an
 * account. users.c owns the struct's lifetime and the accounts;
 * users_sessions.c the failed logins and the sessions; users_apikeys.c
 * the API keys of Open311 clients. Nothing outside
 * these files includes this header. */
#ifndef GL_USERS_INT_H
#define GL_USERS_INT_H

#include <lmdb.h>
#include <sodium.h>
#include <stdbool.h>

#include "users.h"

#define OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE
#define HASH_CAP crypto_pwhash_STRBYTES /* a hash string with its NUL */

struct gl_users {
    MDB_env *env;
    MDB_dbi meta, accounts, sessions, failures;
    MDB_dbi apikeys;  /* opened when first needed (users_apikeys.c) */
    bool has_apikeys; /* apikeys is open */
    char *dir;
};

/* An account with the one field gl_account does not show. */
struct users_record {
    gl_account a;
    char hash[HASH_CAP];
};

static inline MDB_val val_of(const void *p, size_t n)
{
    MDB_val v = {n, (void *)p}; /* LMDB never writes through a key or input value */
    return v;
}

/* Map an LMDB result to a gl_err code; outcomes callers expect (an absent
 * key, a taken one) stay quiet, anything else gets a log line. */
int users_fail(const gl_users_t *u, const char *what, int rc);
/* Begin a top-level transaction, adopting another process's larger map
 * and clearing stale reader slots when LMDB asks for it. */
int users_begin(gl_users_t *u, bool write, MDB_txn **txn);
/* Commit txn when rc is 0, else abort it and return rc; the txn is gone
 * either way. */
int users_finish(gl_users_t *u, MDB_txn *txn, int rc);
/* The account called name (a valid name) through txn: GL_ENOENT when there
 * is none, GL_ESTORE when its record is malformed. */
int users_load(gl_users_t *u, MDB_txn *txn, const char *name, struct users_record *r);
/* Write r under its name (flags: 0 or MDB_NOOVERWRITE). */
int users_save(gl_users_t *u, MDB_txn *txn, const struct users_record *r, unsigned flags);
/* Through txn: forget name's failed logins; end all of name's sessions
 * (users_sessions.c). */
int users_failures_clear(gl_users_t *u, MDB_txn *txn, const char *name);
int users_sessions_end(gl_users_t *u, MDB_txn *txn, const char *name);
/* crypto_pwhash_str with the limits above; GL_ENOMEM when it cannot. */
int users_hash_password(const char *password, char hash[HASH_CAP]);

#endif
