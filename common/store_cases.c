/* store_cases.c: the store's case records and what follows them: `cases`
 * (one Case per id), `log` (the node's BusEvents, seq 1, 2, 3, ...) and
 * `deadlines` (keys in the order they fire). Decoded messages handed out
 * belong to the caller (gridlink__v1__*__free_unpacked); a value that does
 * not decode is GL_ESTORE and a log line. */
#include "store.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "store_int.h"

/* ---- cases ---- */

static Gridlink__V1__Case *decode_case(const MDB_val *k, const MDB_val *v)
{
    Gridlink__V1__Case *c = gridlink__v1__case__unpack(NULL, v->mv_size, v->mv_data);
    if (!c) {
        int shown = k->mv_size > ID_MAX ? ID_MAX : (int)k->mv_size;
        gl_error("store: case '%.*s' does not decode (%zu bytes)", shown, (const char *)k->mv_data, v->mv_size);
    }
    return c;
}

int gl_store_case_put(MDB_txn *txn, gl_store_t *s, const Gridlink__V1__Case *c)
{
    size_t klen;
    if (!txn || !s || !c || c->base.descriptor != &gridlink__v1__case__descriptor || id_len(c->id, &klen))
        return GL_EINVAL;
    size_t n = gridlink__v1__case__get_packed_size(c);
    MDB_val k = val_of(c->id, klen), v = {n, NULL};
    /* Pack straight into the page LMDB reserves: no temporary buffer. */
    int rc = mdb_put(txn, s->dbi[GL_DB_CASES], &k, &v, MDB_RESERVE);
    if (rc)
        return mdb_fail("put case", rc);
    if (gridlink__v1__case__pack(c, v.mv_data) != n) {
        gl_error("store: case %s packed to an unexpected size", c->id);
        return GL_ESTORE;
    }
    return 0;
}

int gl_store_case_get(MDB_txn *txn, gl_store_t *s, const char *id, Gridlink__V1__Case **out)
{
    size_t klen;
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (!txn || !s || id_len(id, &klen))
        return GL_EINVAL;
    MDB_val k = val_of(id, klen), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_CASES], &k, &v);
    if (rc)
        return mdb_fail("get case", rc);
    Gridlink__V1__Case *c = decode_case(&k, &v);
    if (!c)
        return GL_ESTORE;
    *out = c;
    return 0;
}

int gl_store_case_walk(MDB_txn *txn, gl_store_t *s, const char *after,
                       int (*fn)(const Gridlink__V1__Case *c, void *arg), void *arg)
{
    if (!txn || !s || !fn)
        return GL_EINVAL;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_CASES], &cur);
    if (rc)
        return mdb_fail("open case cursor", rc);
    MDB_val k = {after ? strlen(after) : 0, (void *)after}, v;
    int ret = 0;
    rc = mdb_cursor_get(cur, &k, &v, after ? MDB_SET_RANGE : MDB_FIRST);
    if (rc == 0 && after && k.mv_size == strlen(after) && memcmp(k.mv_data, after, k.mv_size) == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    while (rc == 0) {
        Gridlink__V1__Case *c = decode_case(&k, &v);
        if (!c) {
            ret = GL_ESTORE;
            break;
        }
        ret = fn(c, arg);
        gridlink__v1__case__free_unpacked(c, NULL);
        if (ret)
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    return rc == MDB_NOTFOUND ? 0 : mdb_fail("walk cases", rc);
}

int gl_store_case_foreach(MDB_txn *txn, gl_store_t *s, int (*fn)(const Gridlink__V1__Case *c, void *arg), void *arg)
{
    return gl_store_case_walk(txn, s, NULL, fn, arg);
}

int gl_store_case_count(MDB_txn *txn, gl_store_t *s, uint64_t *n)
{
    if (!txn || !s || !n)
        return GL_EINVAL;
    MDB_stat st;
    int rc = mdb_stat(txn, s->dbi[GL_DB_CASES], &st);
    if (rc)
        return mdb_fail("stat cases", rc);
    *n = st.ms_entries;
    return 0;
}

/* ---- log ---- */

int gl_store_log_last(MDB_txn *txn, gl_store_t *s, uint64_t *seq)
{
    if (!txn || !s || !seq)
        return GL_EINVAL;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_LOG], &cur);
    if (rc)
        return mdb_fail("open log cursor", rc);
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) /* empty: all of it archived, or nothing yet */
        return gl_store_log_pruned(txn, s, seq);
    if (rc)
        return mdb_fail("find last log entry", rc);
    if (k.mv_size != 8) {
        gl_error("store: log key of %zu bytes, expected 8", k.mv_size);
        return GL_ESTORE;
    }
    *seq = gl_be64_get(k.mv_data);
    return 0;
}

int gl_store_log_append(MDB_txn *txn, gl_store_t *s, Gridlink__V1__BusEvent *ev)
{
    return gl_store_log_append_bytes(txn, s, ev, NULL, NULL);
}

int gl_store_log_append_bytes(MDB_txn *txn, gl_store_t *s, Gridlink__V1__BusEvent *ev, const uint8_t **bytes,
                              size_t *len)
{
    if (!txn || !s || !ev || ev->base.descriptor != &gridlink__v1__bus_event__descriptor)
        return GL_EINVAL;
    uint64_t last;
    int rc = gl_store_log_last(txn, s, &last);
    if (rc)
        return rc;
    if (last == UINT64_MAX)
        return GL_ESTORE;
    uint64_t before = ev->seq;
    ev->seq = last + 1; /* the stored copy carries its own sequence */
    uint8_t kb[8];
    gl_be64_put(kb, ev->seq);
    size_t n = gridlink__v1__bus_event__get_packed_size(ev);
    MDB_val k = val_of(kb, sizeof kb), v = {n, NULL};
    /* Keys only ever increase, so APPEND skips the tree search and keeps
     * pages full. */
    rc = mdb_put(txn, s->dbi[GL_DB_LOG], &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc) {
        ev->seq = before;
        return mdb_fail("append log", rc);
    }
    if (gridlink__v1__bus_event__pack(ev, v.mv_data) != n) {
        gl_error("store: log entry %" PRIu64 " packed to an unexpected size", ev->seq);
        return GL_ESTORE;
    }
    if (bytes)
        *bytes = v.mv_data;
    if (len)
        *len = n;
    return 0;
}

int gl_store_log_get(MDB_txn *txn, gl_store_t *s, uint64_t seq, Gridlink__V1__BusEvent **out)
{
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (!txn || !s)
        return GL_EINVAL;
    uint8_t kb[8];
    gl_be64_put(kb, seq);
    MDB_val k = val_of(kb, sizeof kb), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_LOG], &k, &v);
    if (rc)
        return mdb_fail("get log entry", rc);
    Gridlink__V1__BusEvent *ev = gridlink__v1__bus_event__unpack(NULL, v.mv_size, v.mv_data);
    if (!ev) {
        gl_error("store: log entry %" PRIu64 " does not decode (%zu bytes)", seq, v.mv_size);
        return GL_ESTORE;
    }
    *out = ev;
    return 0;
}

int gl_store_log_pruned(MDB_txn *txn, gl_store_t *s, uint64_t *seq)
{
    if (!seq)
        return GL_EINVAL;
    int rc = gl_store_meta_get_u64(txn, s, GL_META_LOG_PRUNED, seq);
    if (rc == GL_ENOENT) {
        *seq = 0;
        return 0;
    }
    return rc;
}

int gl_store_log_del(MDB_txn *txn, gl_store_t *s, uint64_t seq)
{
    if (!txn || !s)
        return GL_EINVAL;
    uint8_t kb[8];
    gl_be64_put(kb, seq);
    MDB_val k = val_of(kb, sizeof kb);
    int rc = mdb_del(txn, s->dbi[GL_DB_LOG], &k, NULL);
    return rc ? mdb_fail("delete log entry", rc) : 0;
}

int gl_store_case_del(MDB_txn *txn, gl_store_t *s, const char *id)
{
    size_t klen;
    if (!txn || !s || id_len(id, &klen))
        return GL_EINVAL;
    MDB_val k = val_of(id, klen);
    int rc = mdb_del(txn, s->dbi[GL_DB_CASES], &k, NULL);
    return rc ? mdb_fail("delete case", rc) : 0;
}

/* ---- deadlines ---- */

/* u64 BE due_ms, kind byte, case id: memcmp order is time order, then kind,
 * then id, so the first key is always the next deadline to fire. */
static int deadline_key(uint8_t *kb, size_t *klen, int64_t due_ms, enum gl_deadline_kind kind, const char *case_id)
{
    size_t idl;
    if (due_ms < 0 || (kind < GL_DEADLINE_ACCEPT || kind > GL_DEADLINE_RESOLVE_WARN) || id_len(case_id, &idl))
        return GL_EINVAL;
    gl_be64_put(kb, (uint64_t)due_ms);
    kb[8] = (uint8_t)kind;
    memcpy(kb + 9, case_id, idl);
    *klen = 9 + idl;
    return 0;
}

int gl_store_deadline_put(MDB_txn *txn, gl_store_t *s, int64_t due_ms, enum gl_deadline_kind kind, const char *case_id)
{
    uint8_t kb[KEY_MAX];
    size_t klen;
    if (!txn || !s || deadline_key(kb, &klen, due_ms, kind, case_id))
        return GL_EINVAL;
    MDB_val k = val_of(kb, klen), v = val_of(kb, 0); /* empty value, non-NULL pointer */
    int rc = mdb_put(txn, s->dbi[GL_DB_DEADLINES], &k, &v, 0);
    return rc ? mdb_fail("put deadline", rc) : 0;
}

int gl_store_deadline_del(MDB_txn *txn, gl_store_t *s, int64_t due_ms, enum gl_deadline_kind kind, const char *case_id)
{
    uint8_t kb[KEY_MAX];
    size_t klen;
    if (!txn || !s || deadline_key(kb, &klen, due_ms, kind, case_id))
        return GL_EINVAL;
    MDB_val k = val_of(kb, klen);
    int rc = mdb_del(txn, s->dbi[GL_DB_DEADLINES], &k, NULL);
    return rc ? mdb_fail("delete deadline", rc) : 0;
}

int gl_store_deadline_first(MDB_txn *txn, gl_store_t *s, int64_t *due_ms, enum gl_deadline_kind *kind, char *case_id,
                            size_t case_id_size)
{
    if (!txn || !s || !due_ms || !kind || (!case_id && case_id_size))
        return GL_EINVAL;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_DEADLINES], &cur);
    if (rc)
        return mdb_fail("open deadline cursor", rc);
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    mdb_cursor_close(cur); /* k stays valid: it points into the txn's pages */
    if (rc)
        return mdb_fail("first deadline", rc);

    const uint8_t *p = k.mv_data;
    if (k.mv_size < 10 || k.mv_size > 9 + ID_MAX) {
        gl_error("store: deadline key of %zu bytes", k.mv_size);
        return GL_ESTORE;
    }
    uint64_t due = gl_be64_get(p);
    if (due > INT64_MAX || p[8] < GL_DEADLINE_ACCEPT || p[8] > GL_DEADLINE_RESOLVE_WARN) {
        gl_error("store: malformed deadline key (due %" PRIu64 ", kind %u)", due, p[8]);
        return GL_ESTORE;
    }
    size_t idl = k.mv_size - 9;
    if (case_id) {
        if (idl + 1 > case_id_size)
            return GL_EINVAL;
        memcpy(case_id, p + 9, idl);
        case_id[idl] = '\0';
    }
    *due_ms = (int64_t)due;
    *kind = (enum gl_deadline_kind)p[8];
    return 0;
}
