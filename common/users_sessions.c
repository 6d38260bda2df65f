/* users_sessions.c: logging in and out (see users.h): the failed-login
 * counts and the lockout they bring, the sessions and their tokens. A token
 * is made here, handed to the caller and forgotten: what is stored is its
 * BLAKE2b-256 hash. A password is checked outside any transaction, and
 * what was read before is read again in the write transaction that acts on
 * it, so that a login never holds the environment's write lock for the
 * time of a hash. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "store.h"
#include "users_int.h"

#define TOKEN_BYTES   32
#define TOKEN_CHARS   (GL_USERS_TOKEN_SIZE - 1)
#define TOKEN_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define KEY_BYTES     crypto_generichash_BYTES /* 32: a session's key */
#define SESSION_HEAD  16                       /* expires_ms, issued_ms; the name follows */
#define FAILURE_LEN   20                       /* window start, count, locked until */

struct failures {
    int64_t start;  /* first failure of the window */
    uint32_t count; /* failures since start */
    int64_t locked; /* refuse logins until then; 0: not locked */
};

/* ---- failed logins ---- */

static int failures_get(gl_users_t *u, MDB_txn *txn, const char *name, struct failures *f)
{
    memset(f, 0, sizeof *f);
    MDB_val k = val_of(name, strlen(name)), v;
    int rc = mdb_get(txn, u->failures, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return users_fail(u, "read failed logins", rc);
    if (v.mv_size != FAILURE_LEN) {
        gl_error("users: the failed logins of %s are malformed (%zu bytes)", name, v.mv_size);
        return GL_ESTORE;
    }
    const uint8_t *p = v.mv_data;
    f->start = (int64_t)gl_be64_get(p);
    f->count = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    f->locked = (int64_t)gl_be64_get(p + 12);
    return 0;
}

int users_failures_clear(gl_users_t *u, MDB_txn *txn, const char *name)
{
    MDB_val k = val_of(name, strlen(name));
    int rc = mdb_del(txn, u->failures, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? users_fail(u, "clear failed logins", rc) : 0;
}

/* One more failed login of name at now; may lock the account. */
static int failure_count(gl_users_t *u, const char *name, int64_t now)
{
    MDB_txn *txn;
    int rc = users_begin(u, true, &txn);
    if (rc)
        return rc;
    struct failures f;
    rc = failures_get(u, txn, name, &f);
    if (!rc && f.locked > now)
        return users_finish(u, txn, 0); /* another login locked it meanwhile */
    if (!rc) {
        if (f.count == 0 || f.locked != 0 || now < f.start || now - f.start >= GL_USERS_FAILURE_WINDOW_MS)
            f = (struct failures){.start = now};
        if (++f.count >= GL_USERS_MAX_FAILURES) {
            f.locked = now + GL_USERS_LOCKOUT_MS;
            gl_warn("users: %s locked for %lld min after %u failed logins", name,
                    (long long)(GL_USERS_LOCKOUT_MS / 60000), f.count);
        }
        uint8_t b[FAILURE_LEN];
        gl_be64_put(b, (uint64_t)f.start);
        for (int i = 0; i < 4; i++)
            b[8 + i] = (uint8_t)(f.count >> (24 - 8 * i));
        gl_be64_put(b + 12, (uint64_t)f.locked);
        MDB_val k = val_of(name, strlen(name)), v = val_of(b, sizeof b);
        int r = mdb_put(txn, u->failures, &k, &v, 0);
        rc = r ? users_fail(u, "count a failed login", r) : 0;
    }
    return users_finish(u, txn, rc);
}

/* ---- sessions ---- */

static bool session_parse(const MDB_val *v, int64_t *expires, int64_t *issued, char name[GL_USER_NAME_MAX + 1])
{
    size_t n = v->mv_size - SESSION_HEAD;
    if (v->mv_size <= SESSION_HEAD || n > GL_USER_NAME_MAX)
        return false;
    const uint8_t *p = v->mv_data;
    *expires = (int64_t)gl_be64_get(p);
    *issued = (int64_t)gl_be64_get(p + 8);
    memcpy(name, p + SESSION_HEAD, n);
    name[n] = 0;
    return !gl_user_name_problem(name);
}

/* The raw bytes of a token, when it is one (43 characters of canonical
 * base64url). */
static bool token_raw(const char *token, uint8_t raw[TOKEN_BYTES])
{
    if (!token || strnlen(token, TOKEN_CHARS + 1) != TOKEN_CHARS)
        return false;
    size_t n = 0;
    const char *end = NULL;
    if (sodium_base642bin(raw, TOKEN_BYTES, token, TOKEN_CHARS, NULL, &n, &end, TOKEN_VARIANT) != 0 ||
        n != TOKEN_BYTES || end != token + TOKEN_CHARS)
        return false;
    char again[GL_USERS_TOKEN_SIZE];
    sodium_bin2base64(again, sizeof again, raw, TOKEN_BYTES, TOKEN_VARIANT);
    bool same = sodium_memcmp(again, token, TOKEN_CHARS) == 0;
    sodium_memzero(again, sizeof again);
    return same;
}

static void session_key(const uint8_t raw[TOKEN_BYTES], uint8_t key[KEY_BYTES])
{
    crypto_generichash(key, KEY_BYTES, raw, TOKEN_BYTES, NULL, 0);
}

/* Walk the sessions: delete those expired at now (now < 0: none) and
 * those of name when end_all; otherwise count name's into *count and
 * copy the key of its oldest into oldest. */
static int sessions_walk(gl_users_t *u, MDB_txn *txn, const char *name, int64_t now, bool end_all, size_t *count,
                         uint8_t oldest[KEY_BYTES])
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, u->sessions, &cur);
    if (rc)
        return users_fail(u, "open the sessions", rc);
    size_t mine = 0;
    int64_t oldest_at = INT64_MAX;
    uint8_t at[KEY_BYTES] = {0};
    MDB_val k = val_of(at, sizeof at), v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        int64_t expires, issued;
        char who[GL_USER_NAME_MAX + 1];
        if (k.mv_size != KEY_BYTES || !session_parse(&v, &expires, &issued, who)) {
            gl_error("users: a session record (%zu-byte key, %zu-byte value) is malformed", k.mv_size, v.mv_size);
            rc = GL_ESTORE;
            break;
        }
        memcpy(at, k.mv_data, KEY_BYTES);
        bool is_mine = strcmp(who, name) == 0;
        if ((now >= 0 && now >= expires) || (is_mine && end_all)) {
            /* Seek past the deleted key rather than trust where the cursor lands. */
            if ((rc = mdb_cursor_del(cur, 0)) != 0)
                break;
            k = val_of(at, sizeof at);
            rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
            continue;
        }
        if (is_mine && count) {
            mine++;
            if (issued < oldest_at) {
                oldest_at = issued;
                memcpy(oldest, at, KEY_BYTES);
            }
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (count)
        *count = mine;
    if (rc == GL_ESTORE)
        return rc;
    return rc == MDB_NOTFOUND ? 0 : users_fail(u, "walk the sessions", rc);
}

int users_sessions_end(gl_users_t *u, MDB_txn *txn, const char *name)
{
    return sessions_walk(u, txn, name, -1, true, NULL, NULL);
}

/* ---- logging in and out ---- */

/* What checking a password of an existing account costs, for a name that
 * has none, so that the time of the answer does not tell which it was. */
static void hash_for_nothing(const char *password)
{
    static const unsigned char salt[crypto_pwhash_SALTBYTES];
    unsigned char out[32];
    if (crypto_pwhash(out, sizeof out, password, strlen(password), salt, OPSLIMIT, MEMLIMIT,
                      crypto_pwhash_ALG_DEFAULT) == 0)
        sodium_memzero(out, sizeof out);
}

/* The write half of a login: the account as it was checked (same hash,
 * still enabled, not locked meanwhile), the failures cleared, a rehash
 * kept, expired sessions swept, room made, the new session stored. */
static int session_start(gl_users_t *u, const struct users_record *seen, const char *rehash, int64_t now,
                         int64_t expires, const uint8_t raw[TOKEN_BYTES])
{
    MDB_txn *txn;
    int rc = users_begin(u, true, &txn);
    if (rc)
        return rc;
    const char *name = seen->a.name;
    struct users_record r;
    struct failures f;
    rc = users_load(u, txn, name, &r);
    if (rc == GL_ENOENT || (!rc && (r.a.disabled || strcmp(r.hash, seen->hash) != 0)))
        rc = GL_EPERM; /* disabled or given a new password while the password was checked */
    if (!rc && (rc = failures_get(u, txn, name, &f)) == 0 && f.locked > now)
        rc = GL_EAGAIN;
    if (!rc)
        rc = users_failures_clear(u, txn, name);
    if (!rc && rehash) {
        memcpy(r.hash, rehash, HASH_CAP);
        rc = users_save(u, txn, &r, 0);
    }
    size_t mine = 0;
    uint8_t oldest[KEY_BYTES];
    for (int64_t sweep = now; !rc; sweep = -1) {
        rc = sessions_walk(u, txn, name, sweep, false, &mine, oldest);
        if (rc || mine < GL_USERS_MAX_SESSIONS)
            break;
        MDB_val k = val_of(oldest, KEY_BYTES);
        int r2 = mdb_del(txn, u->sessions, &k, NULL);
        rc = r2 ? users_fail(u, "end the oldest session", r2) : 0;
    }
    uint8_t key[KEY_BYTES], val[SESSION_HEAD + GL_USER_NAME_MAX];
    session_key(raw, key);
    gl_be64_put(val, (uint64_t)expires);
    gl_be64_put(val + 8, (uint64_t)now);
    size_t n = strlen(name);
    memcpy(val + SESSION_HEAD, name, n);
    MDB_val k = val_of(key, sizeof key), v = val_of(val, SESSION_HEAD + n);
    if (!rc) {
        int r2 = mdb_put(txn, u->sessions, &k, &v, MDB_NOOVERWRITE);
        rc = r2 ? users_fail(u, "store a session", r2) : 0;
    }
    sodium_memzero(&r, sizeof r);
    return users_finish(u, txn, rc);
}

int gl_users_login(gl_users_t *u, const char *name, const char *password, int64_t now_ms, int64_t ttl_ms,
                   char token[GL_USERS_TOKEN_SIZE], int64_t *expires_ms)
{
    if (token)
        token[0] = 0;
    if (!u || !token || !expires_ms || gl_user_name_problem(name) || gl_user_password_problem(password) || now_ms < 0 ||
        ttl_ms < 1 || ttl_ms > GL_USERS_TTL_MAX_MS || now_ms > INT64_MAX - ttl_ms)
        return GL_EINVAL;
    MDB_txn *txn;
    int rc = users_begin(u, false, &txn);
    if (rc)
        return rc;
    struct users_record r;
    struct failures f = {0};
    rc = users_load(u, txn, name, &r);
    bool known = rc == 0;
    if (rc == GL_ENOENT)
        rc = 0;
    if (!rc && known)
        rc = failures_get(u, txn, name, &f);
    mdb_txn_abort(txn);
    if (rc)
        return rc;
    if (!known) {
        hash_for_nothing(password);
        return GL_EPERM;
    }
    if (f.locked > now_ms)
        return GL_EAGAIN;
    if (crypto_pwhash_str_verify(r.hash, password, strlen(password)) != 0) {
        rc = failure_count(u, name, now_ms);
        return rc ? rc : GL_EPERM;
    }
    if (r.a.disabled)
        return GL_EPERM;
    char fresh[HASH_CAP];
    bool rehash = crypto_pwhash_str_needs_rehash(r.hash, OPSLIMIT, MEMLIMIT) != 0;
    if (rehash && users_hash_password(password, fresh) != 0)
        rehash = false; /* the old hash still serves */
    uint8_t raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    int64_t expires = now_ms + ttl_ms;
    rc = session_start(u, &r, rehash ? fresh : NULL, now_ms, expires, raw);
    if (!rc) {
        sodium_bin2base64(token, GL_USERS_TOKEN_SIZE, raw, sizeof raw, TOKEN_VARIANT);
        *expires_ms = expires;
    }
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(&r, sizeof r);
    return rc;
}

int gl_users_check_token(gl_users_t *u, const char *token, int64_t now_ms, gl_account *out)
{
    uint8_t raw[TOKEN_BYTES], key[KEY_BYTES];
    if (!u || !out || !token_raw(token, raw))
        return GL_EINVAL;
    session_key(raw, key);
    sodium_memzero(raw, sizeof raw);
    MDB_txn *txn;
    int rc = users_begin(u, false, &txn);
    if (rc)
        return rc;
    MDB_val k = val_of(key, sizeof key), v;
    int64_t expires = 0, issued;
    char name[GL_USER_NAME_MAX + 1];
    struct users_record r;
    bool stale = false;
    rc = mdb_get(txn, u->sessions, &k, &v);
    if (rc)
        rc = users_fail(u, "read a session", rc);
    else if (!session_parse(&v, &expires, &issued, name)) {
        gl_error("users: a session record (%zu bytes) is malformed", v.mv_size);
        rc = GL_ESTORE;
    } else if (now_ms >= expires)
        stale = true;
    else if ((rc = users_load(u, txn, name, &r)) == GL_ENOENT)
        stale = true;
    else if (!rc && r.a.disabled)
        rc = GL_EPERM;
    mdb_txn_abort(txn);
    if (stale) {
        /* An expired session, or one whose account is gone, is never good again. */
        if ((rc = users_begin(u, true, &txn)) != 0)
            return rc;
        k = val_of(key, sizeof key);
        int r2 = mdb_del(txn, u->sessions, &k, NULL);
        rc = users_finish(u, txn, r2 && r2 != MDB_NOTFOUND ? users_fail(u, "remove a stale session", r2) : 0);
        return rc ? rc : GL_ENOENT;
    }
    if (!rc)
        *out = r.a;
    return rc;
}

int gl_users_logout(gl_users_t *u, const char *token)
{
    uint8_t raw[TOKEN_BYTES], key[KEY_BYTES];
    if (!u || !token_raw(token, raw))
        return GL_EINVAL;
    session_key(raw, key);
    sodium_memzero(raw, sizeof raw);
    MDB_txn *txn;
    int rc = users_begin(u, true, &txn);
    if (rc)
        return rc;
    MDB_val k = val_of(key, sizeof key);
    rc = mdb_del(txn, u->sessions, &k, NULL);
    return users_finish(u, txn, rc ? users_fail(u, "end a session", rc) : 0);
}
