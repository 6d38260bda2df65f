/* store_files.c: the store's files (attachments, see store.h): `files`
 * holds each file's record (an Attachment) under its 32-byte SHA-256 and
 * its chunks under the hash and a big-endian chunk number; `files_sent`
 * remembers which peer was sent which file, so a file crosses each link
 * once; `receipts` maps a follow-up code's hash to its case. Records
 * handed out belong to the caller; chunk bytes are LMDB's, valid until the
 * transaction ends. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "store_int.h"

#define HASH 32

static bool absent(const gl_store_t *s, enum gl_db db)
{
    return s->dbi[db] == GL_STORE_NO_DBI;
}

int gl_store_file_info(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, Gridlink__V1__Attachment **out)
{
    *out = NULL;
    if (absent(s, GL_DB_FILES))
        return GL_ENOENT;
    MDB_val k = val_of(sha256, HASH), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_FILES], &k, &v);
    if (rc)
        return mdb_fail("get file", rc);
    *out = gridlink__v1__attachment__unpack(NULL, v.mv_size, v.mv_data);
    if (!*out) {
        gl_error("store: a file record does not decode (%zu bytes)", v.mv_size);
        return GL_ESTORE;
    }
    return GL_OK;
}

int gl_store_file_info_put(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, const Gridlink__V1__Attachment *a)
{
    size_t n = gridlink__v1__attachment__get_packed_size(a);
    MDB_val k = val_of(sha256, HASH), v = {n, NULL};
    int rc = mdb_put(txn, s->dbi[GL_DB_FILES], &k, &v, MDB_RESERVE);
    if (rc)
        return mdb_fail("put file", rc);
    gridlink__v1__attachment__pack(a, v.mv_data);
    return GL_OK;
}

static MDB_val chunk_key(uint8_t *buf, const uint8_t *sha256, uint32_t index)
{
    memcpy(buf, sha256, HASH);
    buf[HASH] = (uint8_t)(index >> 24);
    buf[HASH + 1] = (uint8_t)(index >> 16);
    buf[HASH + 2] = (uint8_t)(index >> 8);
    buf[HASH + 3] = (uint8_t)index;
    return val_of(buf, HASH + 4);
}

int gl_store_file_chunk_put(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, uint32_t index, const void *data,
                            size_t len)
{
    uint8_t kb[HASH + 4];
    MDB_val k = chunk_key(kb, sha256, index), v = val_of(data, len);
    int rc = mdb_put(txn, s->dbi[GL_DB_FILES], &k, &v, 0);
    return rc ? mdb_fail("put file chunk", rc) : GL_OK;
}

int gl_store_file_chunk_get(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, uint32_t index, const void **data,
                            size_t *len)
{
    if (absent(s, GL_DB_FILES))
        return GL_ENOENT;
    uint8_t kb[HASH + 4];
    MDB_val k = chunk_key(kb, sha256, index), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_FILES], &k, &v);
    if (rc)
        return mdb_fail("get file chunk", rc);
    *data = v.mv_data;
    *len = v.mv_size;
    return GL_OK;
}

int gl_store_file_del(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, uint32_t chunks)
{
    MDB_val k = val_of(sha256, HASH);
    int rc = mdb_del(txn, s->dbi[GL_DB_FILES], &k, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return mdb_fail("delete file", rc);
    for (uint32_t i = 0; i < chunks; i++) {
        uint8_t kb[HASH + 4];
        MDB_val ck = chunk_key(kb, sha256, i);
        rc = mdb_del(txn, s->dbi[GL_DB_FILES], &ck, NULL);
        if (rc && rc != MDB_NOTFOUND)
            return mdb_fail("delete file chunk", rc);
    }
    return GL_OK;
}

static int sent_key(uint8_t *buf, const char *peer, const uint8_t *sha256, MDB_val *k)
{
    size_t n;
    if (id_len(peer, &n))
        return GL_EINVAL;
    memcpy(buf, peer, n);
    buf[n] = 0;
    memcpy(buf + n + 1, sha256, HASH);
    *k = val_of(buf, n + 1 + HASH);
    return GL_OK;
}

int gl_store_file_sent(MDB_txn *txn, gl_store_t *s, const char *peer, const uint8_t *sha256)
{
    if (absent(s, GL_DB_FILES_SENT))
        return 0;
    uint8_t kb[ID_MAX + 1 + HASH];
    MDB_val k, v;
    int rc = sent_key(kb, peer, sha256, &k);
    if (rc)
        return rc;
    rc = mdb_get(txn, s->dbi[GL_DB_FILES_SENT], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    return rc ? mdb_fail("get file sent", rc) : 1;
}

int gl_store_file_sent_put(MDB_txn *txn, gl_store_t *s, const char *peer, const uint8_t *sha256)
{
    uint8_t kb[ID_MAX + 1 + HASH];
    MDB_val k, v = {0, ""};
    int rc = sent_key(kb, peer, sha256, &k);
    if (rc)
        return rc;
    rc = mdb_put(txn, s->dbi[GL_DB_FILES_SENT], &k, &v, 0);
    return rc ? mdb_fail("put file sent", rc) : GL_OK;
}

int gl_store_file_sent_clear(MDB_txn *txn, gl_store_t *s, const char *peer)
{
    size_t n;
    if (id_len(peer, &n))
        return GL_EINVAL;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_FILES_SENT], &cur);
    if (rc)
        return mdb_fail("open files_sent cursor", rc);
    uint8_t kb[ID_MAX + 1];
    memcpy(kb, peer, n);
    kb[n] = 0;
    MDB_val k = val_of(kb, n + 1), v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < n + 1 || memcmp(k.mv_data, kb, n + 1) != 0)
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? mdb_fail("clear files_sent", rc) : GL_OK;
}

/* ---- receipts: a follow-up code's hash -> its case ---- */

int gl_store_receipt_put(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, const char *case_id)
{
    if (absent(s, GL_DB_RECEIPTS))
        return GL_EPERM;
    MDB_val k = val_of(hash, GL_RECEIPT_HASH), v = val_of(case_id, strlen(case_id));
    int rc = mdb_put(txn, s->dbi[GL_DB_RECEIPTS], &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST)
        return GL_EEXIST;
    return rc ? mdb_fail("put receipt", rc) : GL_OK;
}

int gl_store_receipt_get(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, char *case_id, size_t size)
{
    if (size)
        case_id[0] = 0;
    if (absent(s, GL_DB_RECEIPTS))
        return GL_ENOENT;
    MDB_val k = val_of(hash, GL_RECEIPT_HASH), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_RECEIPTS], &k, &v);
    if (rc)
        return mdb_fail("get receipt", rc);
    if (v.mv_size >= size)
        return GL_ESTORE;
    memcpy(case_id, v.mv_data, v.mv_size);
    case_id[v.mv_size] = 0;
    return GL_OK;
}
