/* store_appraisals.c: the store's `appraisals` database (群众评议, see
 * store.h for its keys): appraisal tickets by their code's hash, and the
 * appraisals of a month in (month, unit, code hash) order, so one code
 * appraises a unit once a month by construction of the key, and a month's
 * table is one range. Decoded appraisals passed to a callback are freed
 * here after it returns. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "store_int.h"

#define HASH  32
#define MONTH 7 /* "YYYY-MM" */

static bool month_ok(const char *m)
{
    if (!m || strlen(m) != MONTH || m[4] != '-')
        return false;
    for (int i = 0; i < MONTH; i++)
        if (i != 4 && (m[i] < '0' || m[i] > '9'))
            return false;
    return true;
}

int gl_store_ticket_put(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, const char *month)
{
    if (!month_ok(month))
        return GL_EINVAL;
    uint8_t kb[1 + HASH];
    kb[0] = 'T';
    memcpy(kb + 1, hash, HASH);
    MDB_val k = val_of(kb, sizeof kb), v = val_of(month, MONTH);
    int rc = mdb_put(txn, s->dbi[GL_DB_APPRAISALS], &k, &v, MDB_NOOVERWRITE);
    return rc ? mdb_fail("put appraisal ticket", rc) : GL_OK;
}

int gl_store_ticket_get(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, char month[8])
{
    if (s->dbi[GL_DB_APPRAISALS] == GL_STORE_NO_DBI)
        return GL_ENOENT;
    uint8_t kb[1 + HASH];
    kb[0] = 'T';
    memcpy(kb + 1, hash, HASH);
    MDB_val k = val_of(kb, sizeof kb), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_APPRAISALS], &k, &v);
    if (rc)
        return mdb_fail("get appraisal ticket", rc);
    if (v.mv_size != MONTH)
        return GL_ESTORE;
    memcpy(month, v.mv_data, MONTH);
    month[MONTH] = 0;
    return GL_OK;
}

int gl_store_appraisal_put(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, const Gridlink__V1__Appraisal *a)
{
    size_t ul;
    if (!month_ok(a->period) || id_len(a->unit, &ul) != 0)
        return GL_EINVAL;
    uint8_t kb[1 + MONTH + ID_MAX + 1 + HASH];
    kb[0] = 'A';
    memcpy(kb + 1, a->period, MONTH);
    memcpy(kb + 1 + MONTH, a->unit, ul);
    kb[1 + MONTH + ul] = 0;
    memcpy(kb + 2 + MONTH + ul, hash, HASH);
    size_t n = gridlink__v1__appraisal__get_packed_size(a);
    MDB_val k = val_of(kb, 2 + MONTH + ul + HASH), v = {n, NULL};
    int rc = mdb_put(txn, s->dbi[GL_DB_APPRAISALS], &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc)
        return mdb_fail("put appraisal", rc);
    gridlink__v1__appraisal__pack(a, v.mv_data);
    return GL_OK;
}

int gl_store_appraisal_foreach(MDB_txn *txn, gl_store_t *s, const char *month,
                               int (*fn)(const Gridlink__V1__Appraisal *a, void *arg), void *arg)
{
    if (!month_ok(month))
        return GL_EINVAL;
    if (s->dbi[GL_DB_APPRAISALS] == GL_STORE_NO_DBI)
        return GL_OK;
    uint8_t pre[1 + MONTH];
    pre[0] = 'A';
    memcpy(pre + 1, month, MONTH);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_APPRAISALS], &cur);
    if (rc)
        return mdb_fail("open appraisals cursor", rc);
    MDB_val k = val_of(pre, sizeof pre), v;
    int ret = GL_OK;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < sizeof pre || memcmp(k.mv_data, pre, sizeof pre) != 0)
            break;
        Gridlink__V1__Appraisal *a = gridlink__v1__appraisal__unpack(NULL, v.mv_size, v.mv_data);
        if (!a) {
            gl_warn("store: an appraisal of %s does not decode (%zu bytes)", month, v.mv_size);
            continue;
        }
        ret = fn(a, arg);
        gridlink__v1__appraisal__free_unpacked(a, NULL);
        if (ret)
            break;
    }
    if (rc && rc != MDB_NOTFOUND)
        ret = mdb_fail("scan appraisals", rc);
    mdb_cursor_close(cur);
    return ret;
}
