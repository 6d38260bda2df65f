/* store_surveys.c: the store's needs surveys (see store.h): `surveys`
 * holds each survey (a Survey: definition and tallies) under its id, the
 * unit's own and the tallies that climbed from below alike;
 * `survey_answers` holds, under 'A', the survey id, 0x00 and a code's
 * hash, the answer that code gave, and under 'T', the id, 0x00 and a
 * hash, a survey code (调查码) issued for it. Surveys and answers handed
 * out belong to the caller (the fn of a walk gets one freed after it
 * returns). A read-only store written before schema 4 reads as holding
 * none. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "store_int.h"

#define HASH GL_RECEIPT_HASH

static bool absent(const gl_store_t *s, enum gl_db db)
{
    return s->dbi[db] == GL_STORE_NO_DBI;
}

int gl_store_survey_put(MDB_txn *txn, gl_store_t *s, const Gridlink__V1__Survey *sv)
{
    size_t n;
    if (absent(s, GL_DB_SURVEYS))
        return GL_EPERM;
    if (id_len(sv->id, &n))
        return GL_EINVAL;
    size_t len = gridlink__v1__survey__get_packed_size(sv);
    MDB_val k = val_of(sv->id, n), v = {len, NULL};
    int rc = mdb_put(txn, s->dbi[GL_DB_SURVEYS], &k, &v, MDB_RESERVE);
    if (rc)
        return mdb_fail("put survey", rc);
    gridlink__v1__survey__pack(sv, v.mv_data);
    return GL_OK;
}

static Gridlink__V1__Survey *decode(const MDB_val *v)
{
    Gridlink__V1__Survey *sv = gridlink__v1__survey__unpack(NULL, v->mv_size, v->mv_data);
    if (!sv)
        gl_error("store: a survey does not decode (%zu bytes)", v->mv_size);
    return sv;
}

int gl_store_survey_get(MDB_txn *txn, gl_store_t *s, const char *id, Gridlink__V1__Survey **out)
{
    *out = NULL;
    size_t n;
    if (absent(s, GL_DB_SURVEYS))
        return GL_ENOENT;
    if (id_len(id, &n))
        return GL_EINVAL;
    MDB_val k = val_of(id, n), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_SURVEYS], &k, &v);
    if (rc)
        return mdb_fail("get survey", rc);
    *out = decode(&v);
    return *out ? GL_OK : GL_ESTORE;
}

int gl_store_survey_foreach(MDB_txn *txn, gl_store_t *s, int (*fn)(const Gridlink__V1__Survey *sv, void *arg),
                            void *arg)
{
    if (absent(s, GL_DB_SURVEYS))
        return GL_OK;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi[GL_DB_SURVEYS], &cur);
    if (rc)
        return mdb_fail("open survey cursor", rc);
    MDB_val k, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && ret == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Gridlink__V1__Survey *sv = decode(&v);
        if (!sv) {
            ret = GL_ESTORE;
            break;
        }
        ret = fn(sv, arg);
        gridlink__v1__survey__free_unpacked(sv, NULL);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    return rc == MDB_NOTFOUND ? GL_OK : mdb_fail("walk surveys", rc);
}

/* 'A' or 'T', the survey id, 0x00, the hash (NULL: the prefix alone). */
static int answer_key(uint8_t *buf, char tag, const char *survey, const uint8_t *hash, MDB_val *k)
{
    size_t n;
    if (id_len(survey, &n))
        return GL_EINVAL;
    buf[0] = (uint8_t)tag;
    memcpy(buf + 1, survey, n);
    buf[1 + n] = 0;
    if (hash)
        memcpy(buf + 2 + n, hash, HASH);
    *k = val_of(buf, 2 + n + (hash ? HASH : 0));
    return GL_OK;
}

int gl_store_survey_ticket_put(MDB_txn *txn, gl_store_t *s, const char *survey, const uint8_t *hash)
{
    uint8_t kb[2 + ID_MAX + HASH];
    MDB_val k, v = {0, ""};
    if (absent(s, GL_DB_SURVEY_ANSWERS))
        return GL_EPERM;
    int rc = answer_key(kb, 'T', survey, hash, &k);
    if (rc)
        return rc;
    rc = mdb_put(txn, s->dbi[GL_DB_SURVEY_ANSWERS], &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST)
        return GL_EEXIST;
    return rc ? mdb_fail("put survey ticket", rc) : GL_OK;
}

static int has(MDB_txn *txn, gl_store_t *s, char tag, const char *survey, const uint8_t *hash)
{
    uint8_t kb[2 + ID_MAX + HASH];
    MDB_val k, v;
    if (absent(s, GL_DB_SURVEY_ANSWERS))
        return 0;
    int rc = answer_key(kb, tag, survey, hash, &k);
    if (rc)
        return rc;
    rc = mdb_get(txn, s->dbi[GL_DB_SURVEY_ANSWERS], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    return rc ? mdb_fail("get survey answer", rc) : 1;
}

int gl_store_survey_ticket_has(MDB_txn *txn, gl_store_t *s, const char *survey, const uint8_t *hash)
{
    return has(txn, s, 'T', survey, hash);
}

int gl_store_survey_answered(MDB_txn *txn, gl_store_t *s, const char *survey, const uint8_t *hash)
{
    return has(txn, s, 'A', survey, hash);
}

int gl_store_survey_answer_put(MDB_txn *txn, gl_store_t *s, const char *survey, const uint8_t *hash,
                               const Gridlink__V1__SurveyAnswer *a)
{
    uint8_t kb[2 + ID_MAX + HASH];
    MDB_val k;
    if (absent(s, GL_DB_SURVEY_ANSWERS))
        return GL_EPERM;
    int rc = answer_key(kb, 'A', survey, hash, &k);
    if (rc)
        return rc;
    size_t len = gridlink__v1__survey_answer__get_packed_size(a);
    MDB_val v = {len, NULL};
    rc = mdb_put(txn, s->dbi[GL_DB_SURVEY_ANSWERS], &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc == MDB_KEYEXIST)
        return GL_EEXIST;
    if (rc)
        return mdb_fail("put survey answer", rc);
    gridlink__v1__survey_answer__pack(a, v.mv_data);
    return GL_OK;
}

int gl_store_survey_answer_foreach(MDB_txn *txn, gl_store_t *s, const char *survey,
                                   int (*fn)(const Gridlink__V1__SurveyAnswer *a, void *arg), void *arg)
{
    uint8_t kb[2 + ID_MAX + HASH];
    MDB_val prefix;
    if (absent(s, GL_DB_SURVEY_ANSWERS))
        return GL_OK;
    int rc = answer_key(kb, 'A', survey, NULL, &prefix);
    if (rc)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, s->dbi[GL_DB_SURVEY_ANSWERS], &cur);
    if (rc)
        return mdb_fail("open survey answer cursor", rc);
    MDB_val k = prefix, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && ret == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != prefix.mv_size + HASH || memcmp(k.mv_data, prefix.mv_data, prefix.mv_size) != 0)
            break;
        Gridlink__V1__SurveyAnswer *a = gridlink__v1__survey_answer__unpack(NULL, v.mv_size, v.mv_data);
        if (!a) {
            gl_error("store: a survey answer does not decode (%zu bytes)", v.mv_size);
            ret = GL_ESTORE;
            break;
        }
        ret = fn(a, arg);
        gridlink__v1__survey_answer__free_unpacked(a, NULL);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    return rc == 0 || rc == MDB_NOTFOUND ? GL_OK : mdb_fail("walk survey answers", rc);
}
