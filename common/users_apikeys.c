/* users_apikeys.c: the API keys of Open311 clients (see users.h). A key is
 * made here, handed to the caller and forgotten; what is stored is its
 * BLAKE2b-256 hash under "k", and the client's record under "n" + name. The
 * database is made by the first key added, so a door that opened the
 * environment before looks for it again when a key is presented. */
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "log.h"
#include "store.h"
#include "users_int.h"

#define KEY_BYTES   32
#define KEY_CHARS   (GL_USERS_TOKEN_SIZE - 1)
#define KEY_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define HASH_BYTES  crypto_generichash_BYTES
#define REC_LEN     (1 + 8 + HASH_BYTES)
#define FLAG_OFF    1u

/* The database, made when create (in a write transaction), else looked up. */
static int open_db(gl_users_t *u, MDB_txn *txn, bool create)
{
    if (u->has_apikeys)
        return 0;
    int rc = mdb_dbi_open(txn, "apikeys", create ? MDB_CREATE : 0, &u->apikeys);
    if (rc == MDB_NOTFOUND)
        return GL_ENOENT;
    if (rc)
        return users_fail(u, "open the API keys", rc);
    u->has_apikeys = true;
    return 0;
}

static bool key_raw(const char *key, uint8_t raw[KEY_BYTES])
{
    if (!key || strnlen(key, KEY_CHARS + 1) != KEY_CHARS)
        return false;
    size_t n = 0;
    const char *end = NULL;
    if (sodium_base642bin(raw, KEY_BYTES, key, KEY_CHARS, NULL, &n, &end, KEY_VARIANT) != 0 || n != KEY_BYTES ||
        end != key + KEY_CHARS)
        return false;
    char again[GL_USERS_TOKEN_SIZE];
    sodium_bin2base64(again, sizeof again, raw, KEY_BYTES, KEY_VARIANT);
    bool same = sodium_memcmp(again, key, KEY_CHARS) == 0;
    sodium_memzero(again, sizeof again);
    return same;
}

static void hash_key(const uint8_t raw[KEY_BYTES], uint8_t out[1 + HASH_BYTES])
{
    out[0] = 'k';
    crypto_generichash(out + 1, HASH_BYTES, raw, KEY_BYTES, NULL, 0);
}

static size_t name_key(const char *name, uint8_t out[1 + GL_USER_NAME_MAX])
{
    size_t n = strlen(name);
    out[0] = 'n';
    memcpy(out + 1, name, n);
    return n + 1;
}

static int get_record(gl_users_t *u, MDB_txn *txn, const char *name, uint8_t rec[REC_LEN])
{
    uint8_t nk[1 + GL_USER_NAME_MAX];
    MDB_val k = val_of(nk, name_key(name, nk)), v;
    int rc = mdb_get(txn, u->apikeys, &k, &v);
    if (rc == MDB_NOTFOUND)
        return GL_ENOENT;
    if (rc)
        return users_fail(u, "read an API key", rc);
    if (v.mv_size != REC_LEN) {
        gl_error("users: the API key record of %s is malformed (%zu bytes)", name, v.mv_size);
        return GL_ESTORE;
    }
    memcpy(rec, v.mv_data, REC_LEN);
    return 0;
}

int gl_apikey_add(gl_users_t *u, const char *name, int64_t now_ms, char key[GL_USERS_TOKEN_SIZE])
{
    key[0] = 0;
    if (!u || !name || gl_user_name_problem(name))
        return GL_EINVAL;
    uint8_t raw[KEY_BYTES], hk[1 + HASH_BYTES], rec[REC_LEN], nk[1 + GL_USER_NAME_MAX];
    randombytes_buf(raw, sizeof raw);
    hash_key(raw, hk);
    MDB_txn *txn;
    int rc = users_begin(u, true, &txn);
    if (rc)
        return rc;
    bool fresh = !u->has_apikeys;
    rc = open_db(u, txn, true);
    if (!rc) {
        rc = get_record(u, txn, name, rec);
        rc = rc == GL_ENOENT ? 0 : rc ? rc : GL_EEXIST;
    }
    if (!rc) {
        rec[0] = 0;
        gl_be64_put(rec + 1, (uint64_t)now_ms);
        memcpy(rec + 9, hk + 1, HASH_BYTES);
        MDB_val k = val_of(nk, name_key(name, nk)), v = val_of(rec, sizeof rec);
        MDB_val kh = val_of(hk, sizeof hk), vh = val_of(name, strlen(name));
        int r = mdb_put(txn, u->apikeys, &k, &v, MDB_NOOVERWRITE);
        if (!r)
            r = mdb_put(txn, u->apikeys, &kh, &vh, MDB_NOOVERWRITE);
        rc = r ? users_fail(u, "store an API key", r) : 0;
    }
    rc = users_finish(u, txn, rc);
    if (rc && fresh)
        u->has_apikeys = false; /* made in a transaction that did not commit */
    if (!rc) {
        sodium_bin2base64(key, GL_USERS_TOKEN_SIZE, raw, KEY_BYTES, KEY_VARIANT);
        gl_info("users: API key of %s added", name);
    } else if (rc == GL_ENOENT) {
        rc = GL_EIO;
    }
    sodium_memzero(raw, sizeof raw);
    return rc;
}

int gl_apikey_disable(gl_users_t *u, const char *name)
{
    if (!u || !name || gl_user_name_problem(name))
        return GL_EINVAL;
    MDB_txn *txn;
    int rc = users_begin(u, true, &txn);
    if (rc)
        return rc;
    uint8_t rec[REC_LEN], nk[1 + GL_USER_NAME_MAX];
    rc = open_db(u, txn, false);
    if (!rc)
        rc = get_record(u, txn, name, rec);
    if (!rc && !(rec[0] & FLAG_OFF)) {
        rec[0] |= FLAG_OFF;
        MDB_val k = val_of(nk, name_key(name, nk)), v = val_of(rec, sizeof rec);
        int r = mdb_put(txn, u->apikeys, &k, &v, 0);
        rc = r ? users_fail(u, "disable an API key", r) : 0;
    }
    return users_finish(u, txn, rc);
}

int gl_apikey_list(gl_users_t *u, int (*fn)(const gl_apikey *k, void *arg), void *arg)
{
    if (!u || !fn)
        return GL_EINVAL;
    MDB_txn *txn;
    int rc = users_begin(u, false, &txn);
    if (rc)
        return rc;
    rc = open_db(u, txn, false);
    if (rc == GL_ENOENT)
        return users_finish(u, txn, 0); /* no key yet */
    MDB_cursor *cur = NULL;
    if (!rc && (rc = mdb_cursor_open(txn, u->apikeys, &cur)) != 0)
        rc = users_fail(u, "list the API keys", rc);
    uint8_t start = 'n';
    MDB_val k = val_of(&start, 1), v;
    int r = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; !rc && r == 0; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *kp = k.mv_data;
        if (k.mv_size < 2 || kp[0] != 'n')
            break;
        gl_apikey a = {0};
        if (k.mv_size - 1 > GL_USER_NAME_MAX || v.mv_size != REC_LEN) {
            gl_error("users: an API key record is malformed");
            rc = GL_ESTORE;
            break;
        }
        memcpy(a.name, kp + 1, k.mv_size - 1);
        a.disabled = ((const uint8_t *)v.mv_data)[0] & FLAG_OFF;
        a.created_ms = (int64_t)gl_be64_get((const uint8_t *)v.mv_data + 1);
        rc = fn(&a, arg);
    }
    if (cur)
        mdb_cursor_close(cur);
    return users_finish(u, txn, rc);
}

int gl_apikey_check(gl_users_t *u, const char *key, gl_apikey *out)
{
    memset(out, 0, sizeof *out);
    uint8_t raw[KEY_BYTES], hk[1 + HASH_BYTES], rec[REC_LEN];
    if (!u || !key_raw(key, raw))
        return GL_EINVAL;
    hash_key(raw, hk);
    sodium_memzero(raw, sizeof raw);
    MDB_txn *txn;
    int rc = users_begin(u, false, &txn);
    if (rc)
        return rc;
    rc = open_db(u, txn, false);
    MDB_val k = val_of(hk, sizeof hk), v;
    int r = rc ? 0 : mdb_get(txn, u->apikeys, &k, &v);
    if (!rc && r == MDB_NOTFOUND)
        rc = GL_ENOENT;
    else if (!rc && r)
        rc = users_fail(u, "check an API key", r);
    else if (!rc && (v.mv_size == 0 || v.mv_size > GL_USER_NAME_MAX))
        rc = GL_ESTORE;
    if (!rc) {
        memcpy(out->name, v.mv_data, v.mv_size);
        out->name[v.mv_size] = 0;
        rc = get_record(u, txn, out->name, rec);
    }
    if (!rc && sodium_memcmp(rec + 9, hk + 1, HASH_BYTES) != 0)
        rc = GL_ENOENT; /* a key replaced: not this one */
    if (!rc) {
        out->disabled = rec[0] & FLAG_OFF;
        out->created_ms = (int64_t)gl_be64_get(rec + 1);
        rc = out->disabled ? GL_EPERM : 0;
    }
    return users_finish(u, txn, rc == GL_EPERM || rc == GL_ENOENT ? 0 : rc) ? GL_ESTORE : rc;
}
