/* store_facts.c: the store's facts (see store.h): each value a unit
 * reported for the plan's indicators, under the fact's name, 0x00 and the
 * u64 BE sequence of the log entry that recorded it, so a name's history
 * reads in order. Events handed to a walk's fn are freed after it returns. */
#include <string.h>

#include "error.h"
#include "facts.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

static bool absent(const gl_store_t *s)
{
    return s->dbi[GL_DB_FACTS] == GL_STORE_NO_DBI;
}

int gl_store_fact_put(MDB_txn *txn, gl_store_t *s, const Gridlink__V1__BusEvent *ev)
{
    if (absent(s))
        return GL_EPERM;
    if (!ev->fact || !ev->fact->name)
        return GL_EINVAL;
    size_t n = strnlen(ev->fact->name, GL_FACT_NAME_MAX + 1);
    if (n == 0 || n > GL_FACT_NAME_MAX)
        return GL_EINVAL;
    uint8_t kb[GL_FACT_NAME_MAX + 9];
    memcpy(kb, ev->fact->name, n);
    kb[n] = 0;
    gl_be64_put(kb + n + 1, ev->seq);
    size_t len = gridlink__v1__bus_event__get_packed_size(ev);
    MDB_val k = val_of(kb, n + 9), v = {len, NULL};
    int rc = mdb_put(txn, s->dbi[GL_DB_FACTS], &k, &v, MDB_RESERVE);
    if (rc)
        return mdb_fail("put fact", rc);
    gridlink__v1__bus_event__pack(ev, v.mv_data);
    return GL_OK;
}

int gl_store_fact_foreach(MDB_txn *txn, gl_store_t *s, const char *name,
                          int (*fn)(const Gridlink__V1__BusEvent *ev, void *arg), void *arg)
{
    if (absent(s))
        return GL_OK;
    size_t n = name ? strnlen(name, GL_FACT_NAME_MAX + 1) : 0;
    if (n > GL_FACT_NAME_MAX)
        return GL_EINVAL;
    uint8_t kb[GL_FACT_NAME_MAX + 1];
    memcpy(kb, name ? name : "", n);
    kb[n] = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_FACTS], &cur);
    if (rc)
        return mdb_fail("open fact cursor", rc);
    MDB_val k = val_of(kb, n ? n + 1 : 0), v;
    int ret = 0;
    rc = n ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == 0 && ret == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (n && (k.mv_size < n + 1 || memcmp(k.mv_data, kb, n + 1) != 0))
            break;
        Gridlink__V1__BusEvent *ev = gridlink__v1__bus_event__unpack(NULL, v.mv_size, v.mv_data);
        if (!ev) {
            gl_warn("store: a fact does not decode (%zu bytes); skipped", v.mv_size);
            continue;
        }
        ret = fn(ev, arg);
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    return rc == 0 || rc == MDB_NOTFOUND ? GL_OK : mdb_fail("walk facts", rc);
}
