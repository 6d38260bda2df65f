/* deadletter.c: see deadletter.h. */
#include "deadletter.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "log.h"
#include "topology.h"

#define KEY_MAX (GL_NODE_ID_MAX + 9)

static int key_of(uint8_t *kb, size_t *klen, const char *peer, uint64_t seq)
{
    size_t n = peer ? strnlen(peer, GL_NODE_ID_MAX + 1) : 0;
    if (n == 0 || n > GL_NODE_ID_MAX)
        return GL_EINVAL;
    memcpy(kb, peer, n);
    kb[n] = 0;
    gl_be64_put(kb + n + 1, seq);
    *klen = n + 9;
    return GL_OK;
}

int gl_dead_put(MDB_txn *txn, gl_store_t *s, const Gridlink__V1__DeadLetter *dl)
{
    uint8_t kb[KEY_MAX];
    size_t klen;
    if (!txn || !s || !dl || key_of(kb, &klen, dl->peer, dl->seq) != 0)
        return GL_EINVAL;
    size_t n = gridlink__v1__dead_letter__get_packed_size(dl);
    MDB_val k = {klen, kb}, v = {n, NULL};
    int rc = mdb_put(txn, gl_store_dbi(s, GL_DB_DEAD), &k, &v, MDB_RESERVE);
    if (rc != 0)
        return gl_err_from_mdb(rc);
    gridlink__v1__dead_letter__pack(dl, v.mv_data);
    return GL_OK;
}

static Gridlink__V1__DeadLetter *decode(const MDB_val *v)
{
    return gridlink__v1__dead_letter__unpack(NULL, v->mv_size, v->mv_data);
}

int gl_dead_get(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t seq, Gridlink__V1__DeadLetter **out)
{
    uint8_t kb[KEY_MAX];
    size_t klen;
    *out = NULL;
    if (!txn || !s || key_of(kb, &klen, peer, seq) != 0)
        return GL_EINVAL;
    MDB_val k = {klen, kb}, v;
    int rc = mdb_get(txn, gl_store_dbi(s, GL_DB_DEAD), &k, &v);
    if (rc == MDB_NOTFOUND)
        return GL_ENOENT;
    if (rc != 0)
        return gl_err_from_mdb(rc);
    *out = decode(&v);
    return *out ? GL_OK : GL_ESTORE;
}

int gl_dead_del(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t seq)
{
    uint8_t kb[KEY_MAX];
    size_t klen;
    if (!txn || !s || key_of(kb, &klen, peer, seq) != 0)
        return GL_EINVAL;
    MDB_val k = {klen, kb};
    int rc = mdb_del(txn, gl_store_dbi(s, GL_DB_DEAD), &k, NULL);
    if (rc == MDB_NOTFOUND)
        return GL_ENOENT;
    return rc ? gl_err_from_mdb(rc) : GL_OK;
}

int gl_dead_foreach(MDB_txn *txn, gl_store_t *s, int (*fn)(const Gridlink__V1__DeadLetter *dl, void *arg), void *arg)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, gl_store_dbi(s, GL_DB_DEAD), &cur);
    if (rc != 0)
        return gl_err_from_mdb(rc);
    MDB_val k, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && ret == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Gridlink__V1__DeadLetter *dl = decode(&v);
        if (!dl) {
            gl_error("store %s: a dead letter does not decode", gl_store_dir(s));
            ret = GL_ESTORE;
            break;
        }
        ret = fn(dl, arg);
        gridlink__v1__dead_letter__free_unpacked(dl, NULL);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    return rc == 0 || rc == MDB_NOTFOUND ? GL_OK : gl_err_from_mdb(rc);
}

int gl_dead_count(MDB_txn *txn, gl_store_t *s, uint64_t *n)
{
    MDB_stat st;
    int rc = mdb_stat(txn, gl_store_dbi(s, GL_DB_DEAD), &st);
    if (rc != 0)
        return gl_err_from_mdb(rc);
    *n = st.ms_entries;
    return GL_OK;
}
