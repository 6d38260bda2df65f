/* store_peers.c: what the store keeps for each peer a link talks to: its
 * sequence marks (`peers`) and the envelopes queued for it (`outbox`, each
 * peer's entries contiguous and in seq order). Nothing here allocates: the
 * data a scan hands its callback is LMDB's, valid only during the call. */
#include "store.h"

#include <stdint.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "store_int.h"

#define PEER_VAL_LEN 24 /* gl_peer_marks as 3 x u64 BE */

/* ---- peers ---- */

int gl_store_peer_get(MDB_txn *txn, gl_store_t *s, const char *peer, gl_peer_marks *m)
{
    size_t n;
    if (!txn || !s || !m || id_len(peer, &n))
        return GL_EINVAL;
    MDB_val k = val_of(peer, n), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_PEERS], &k, &v);
    if (rc == MDB_NOTFOUND) {
        /* A peer we never talked to: nothing applied, nothing sent. */
        *m = (gl_peer_marks){.in_applied = 0, .out_next = 1, .out_acked = 0};
        return 0;
    }
    if (rc)
        return mdb_fail("get peer", rc);
    if (v.mv_size != PEER_VAL_LEN) {
        gl_error("store: marks of peer %s are %zu bytes, expected %d", peer, v.mv_size, PEER_VAL_LEN);
        return GL_ESTORE;
    }
    const uint8_t *p = v.mv_data;
    m->in_applied = gl_be64_get(p);
    m->out_next = gl_be64_get(p + 8);
    m->out_acked = gl_be64_get(p + 16);
    return 0;
}

int gl_store_peer_put(MDB_txn *txn, gl_store_t *s, const char *peer, const gl_peer_marks *m)
{
    size_t n;
    if (!txn || !s || !m || id_len(peer, &n))
        return GL_EINVAL;
    uint8_t b[PEER_VAL_LEN];
    gl_be64_put(b, m->in_applied);
    gl_be64_put(b + 8, m->out_next);
    gl_be64_put(b + 16, m->out_acked);
    MDB_val k = val_of(peer, n), v = val_of(b, sizeof b);
    int rc = mdb_put(txn, s->dbi[GL_DB_PEERS], &k, &v, 0);
    return rc ? mdb_fail("put peer", rc) : 0;
}

/* ---- outbox ---- */

/* peer bytes, 0x00, u64 BE seq. Ids cannot contain 0x00, and 0x00 sorts
 * below every other byte, so one peer's entries are contiguous and do not
 * interleave with a peer whose id extends this one ("a" vs "a.b", "ab"). */
static size_t outbox_key(uint8_t *kb, const char *peer, size_t plen, uint64_t seq)
{
    memcpy(kb, peer, plen);
    kb[plen] = 0;
    gl_be64_put(kb + plen + 1, seq);
    return plen + 9;
}

/* 1 if k belongs to the peer whose prefix (id + 0x00) is kb[0..plen]; 0 if it
 * is past that peer; GL_ESTORE if it has the prefix but not the shape. */
static int outbox_match(const MDB_val *k, const uint8_t *kb, size_t plen)
{
    if (k->mv_size < plen + 1 || memcmp(k->mv_data, kb, plen + 1) != 0)
        return 0;
    if (k->mv_size != plen + 9) {
        gl_error("store: outbox key of %zu bytes for peer %.*s", k->mv_size, (int)plen, (const char *)kb);
        return GL_ESTORE;
    }
    return 1;
}

int gl_store_outbox_put(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t seq, const void *data, size_t len)
{
    size_t plen;
    if (!txn || !s || (!data && len) || id_len(peer, &plen))
        return GL_EINVAL;
    uint8_t kb[KEY_MAX];
    MDB_val k = val_of(kb, outbox_key(kb, peer, plen, seq));
    MDB_val v = val_of(data ? data : kb, len);
    /* No MDB_APPEND: keys grow per peer, not across the whole database. */
    int rc = mdb_put(txn, s->dbi[GL_DB_OUTBOX], &k, &v, 0);
    return rc ? mdb_fail("put outbox", rc) : 0;
}

int gl_store_outbox_scan(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t from, size_t max,
                         int (*fn)(uint64_t seq, const void *data, size_t len, void *arg), void *arg)
{
    size_t plen;
    if (!txn || !s || !fn || id_len(peer, &plen))
        return GL_EINVAL;
    uint8_t kb[KEY_MAX];
    MDB_val k = val_of(kb, outbox_key(kb, peer, plen, from)), v;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_OUTBOX], &cur);
    if (rc)
        return mdb_fail("open outbox cursor", rc);
    size_t seen = 0;
    int ret = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && (max == 0 || seen < max)) {
        int m = outbox_match(&k, kb, plen);
        if (m <= 0) {
            ret = m;
            break;
        }
        ret = fn(gl_be64_get((const uint8_t *)k.mv_data + plen + 1), v.mv_data, v.mv_size, arg);
        seen++;
        if (ret)
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : mdb_fail("scan outbox", rc);
}

int gl_store_outbox_trim(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t upto, size_t *deleted)
{
    size_t plen;
    if (deleted)
        *deleted = 0;
    if (!txn || !s || id_len(peer, &plen))
        return GL_EINVAL;
    uint8_t kb[KEY_MAX];
    size_t klen = outbox_key(kb, peer, plen, 0);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_OUTBOX], &cur);
    if (rc)
        return mdb_fail("open outbox cursor", rc);
    size_t n = 0;
    int ret = 0;
    for (;;) {
        /* Re-seek to the peer's first entry after every delete rather than
         * relying on where a cursor lands after mdb_cursor_del. */
        MDB_val k = val_of(kb, klen), v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc)
            break;
        int m = outbox_match(&k, kb, plen);
        if (m <= 0) {
            ret = m;
            break;
        }
        if (gl_be64_get((const uint8_t *)k.mv_data + plen + 1) > upto)
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc)
            break;
        n++;
    }
    mdb_cursor_close(cur);
    if (deleted)
        *deleted = n;
    if (ret)
        return ret;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : mdb_fail("trim outbox", rc);
}

int gl_store_outbox_count(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t *n)
{
    if (!txn || !s || !n)
        return GL_EINVAL;
    if (!peer) {
        MDB_stat st;
        int rc = mdb_stat(txn, s->dbi[GL_DB_OUTBOX], &st);
        if (rc)
            return mdb_fail("stat outbox", rc);
        *n = st.ms_entries;
        return 0;
    }
    size_t plen;
    if (id_len(peer, &plen))
        return GL_EINVAL;
    uint8_t kb[KEY_MAX];
    MDB_val k = val_of(kb, outbox_key(kb, peer, plen, 0)), v;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_OUTBOX], &cur);
    if (rc)
        return mdb_fail("open outbox cursor", rc);
    uint64_t count = 0;
    int ret = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        int m = outbox_match(&k, kb, plen);
        if (m <= 0) {
            ret = m;
            break;
        }
        count++;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    if (rc && rc != MDB_NOTFOUND)
        return mdb_fail("count outbox", rc);
    *n = count;
    return 0;
}
