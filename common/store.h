/* store.h: one node's durable state in one LMDB environment.
 *
 * The store owns the environment directory (data.mdb, lock.mdb) and a
 * separate lock file (gridlink.lock) held with flock() for the life of the
 * store, so two processes never open one node's environment. It opens every
 * named database once at start, in one transaction, and records the schema
 * version and node ID in `meta` (store.c: the versions and their migrations).
 *
 * Named databases (keys big-endian so byte order is numeric order):
 *   meta       ascii name               -> raw bytes (schema, node id, counters,
 *              retention's marks: log_pruned, archived_*, archive_size:YYYY-MM)
 *   cases      case id (string)         -> Case (protobuf)
 *   log        u64 BE seq               -> BusEvent (protobuf); seq 1, 2, 3, ...
 *   peers      peer node id (string)    -> gl_peer_marks (3 x u64 BE)
 *   outbox     peer id, 0x00, u64 BE seq -> Envelope bytes
 *   deadlines  u64 BE due_ms, kind byte, case id -> empty
 *   dead       peer id, 0x00, u64 BE seq -> DeadLetter (protobuf; deadletter.h)
 *   files      sha256 (32 bytes)        -> Attachment (protobuf: type, size, chunks)
 *              sha256, u32 BE chunk     -> the chunk's bytes
 *   files_sent peer id, 0x00, sha256    -> empty: the file went to that peer
 *   receipts   BLAKE2b-256 of a follow-up code (32 bytes) -> case id: a
 *              resident's receipt (回执码) at the intake node that took the
 *              request; the code itself is never stored
 *   appraisals 'T', code hash (32)      -> "YYYY-MM": an appraisal ticket (评议码) for that month
 *              'A', "YYYY-MM", unit id, 0x00, code hash (32) -> Appraisal (protobuf): one
 *              resident's appraisal of a unit for a month (store_appraisals.c); kept
 *              at the district; the code itself is never stored
 *   surveys    survey id (string)       -> Survey (protobuf): the unit's own
 *              surveys and the tallies of surveys below (store_surveys.c)
 *   survey_answers 'A', survey id, 0x00, code hash -> SurveyAnswer: the
 *              answer a code gave; 'T', survey id, 0x00, hash -> empty: a
 *              survey code (调查码) issued
 *   facts      fact name, 0x00, u64 BE log seq -> BusEvent (protobuf, kind
 *              fact): every value the unit reported for the plan's
 *              indicators, the event its log holds under that seq
 *              (store_facts.c)
 *
 * meta also holds `store_id`: 16 random bytes made when the store is created,
 * so a peer can tell a rebuilt store from the one it knew.
 *
 * Transactions are plain MDB_txn pointers. Values read through a transaction
 * are valid only until it ends; functions that return decoded protobuf
 * messages hand ownership to the caller (free with the matching
 * gridlink__v1__*__free_unpacked(msg, NULL)).
 *
 * Durability: no sync-relaxing flags; a commit that returns 0 is on disk.
 * The environment is opened with MDB_NOTLS so a read transaction may sit next
 * to the loop's write transaction. */
#ifndef GL_STORE_H
#define GL_STORE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridlink.pb-c.h"

/* Version 1: meta .. dead; version 2 adds files and files_sent; version 3
 * adds receipts; version 4 surveys, survey_answers and appraisals;
 * version 5 facts. */
#define GL_STORE_SCHEMA_VERSION 5
#define GL_STORE_DEFAULT_MAP    (64u * 1024 * 1024)

typedef struct gl_store gl_store_t;

enum gl_db {
    GL_DB_META = 0,
    GL_DB_CASES,
    GL_DB_LOG,
    GL_DB_PEERS,
    GL_DB_OUTBOX,
    GL_DB_DEADLINES,
    GL_DB_DEAD,
    GL_DB_FILES,
    GL_DB_FILES_SENT,
    GL_DB_RECEIPTS,
    GL_DB_SURVEYS,
    GL_DB_SURVEY_ANSWERS,
    GL_DB_APPRAISALS,
    GL_DB_FACTS,
    GL_DB_COUNT
};

#define GL_STORE_ID_BYTES 16

/* A deadline, or the due-soon warning before it. */
enum gl_deadline_kind {
    GL_DEADLINE_ACCEPT = 1,
    GL_DEADLINE_RESOLVE = 2,
    GL_DEADLINE_ACCEPT_WARN = 3,
    GL_DEADLINE_RESOLVE_WARN = 4
};

typedef struct gl_peer_marks {
    uint64_t in_applied; /* highest seq applied from this peer */
    uint64_t out_next;   /* next seq to assign to a message for this peer (starts at 1) */
    uint64_t out_acked;  /* highest seq this peer acknowledged */
} gl_peer_marks;

typedef struct gl_store_opts {
    size_t map_size; /* initial map size in bytes; 0 means GL_STORE_DEFAULT_MAP */
    bool read_only;  /* open for inspection only: no lock file, no writes */
} gl_store_opts;

/* Big-endian helpers for keys. */
void gl_be64_put(uint8_t *p, uint64_t v);
uint64_t gl_be64_get(const uint8_t *p);

/* Open (creating if needed) the environment in directory `dir` for node
 * `node_id`. Fails with GL_ELOCKED if another process holds it, GL_EINVAL if
 * the stored node ID differs or the schema is newer than this build's. An
 * older schema is migrated, in the open's one write transaction, when
 * opened read-write, and read as it is when read-only. Clears stale reader
 * slots. On success
 * *out is owned by the caller; close with gl_store_close. */
int gl_store_open(const char *dir, const char *node_id, const gl_store_opts *opts, gl_store_t **out);
/* Close and free; sets *s to NULL. No transaction may be open. */
void gl_store_close(gl_store_t **s);

MDB_env *gl_store_env(gl_store_t *s);
MDB_dbi gl_store_dbi(gl_store_t *s, enum gl_db db);
const char *gl_store_dir(gl_store_t *s);
size_t gl_store_map_size(gl_store_t *s);
/* The store's identity (GL_STORE_ID_BYTES bytes, owned by the store). */
const uint8_t *gl_store_id(gl_store_t *s);
/* The schema version the store has: GL_STORE_SCHEMA_VERSION once opened
 * read-write (an older store is migrated by the open), possibly older when
 * opened read-only. */
uint64_t gl_store_schema(gl_store_t *s);

/* Begin a transaction (parent may be NULL, or a write txn for a nested one).
 * Handles MDB_MAP_RESIZED and MDB_READERS_FULL by adopting the new size or
 * clearing stale readers and retrying. */
int gl_store_begin(gl_store_t *s, MDB_txn *parent, bool write, MDB_txn **txn);
/* Commit; the txn is gone whatever the result. Returns a gl_err code. */
int gl_store_commit(MDB_txn *txn);
void gl_store_abort(MDB_txn *txn);
/* Double the map size (bounded by free disk space). No transaction of this
 * process may be open. GL_ENOSPC if the filesystem cannot hold it. */
int gl_store_grow(gl_store_t *s);
/* Share of the map in use, 0.0 .. 1.0. */
double gl_store_usage(gl_store_t *s);
/* Clear stale reader slots; returns how many were cleared (>= 0) or an error. */
int gl_store_reader_check(gl_store_t *s);

/* meta */
int gl_store_meta_get_u64(MDB_txn *txn, gl_store_t *s, const char *name, uint64_t *v); /* GL_ENOENT if absent */
int gl_store_meta_put_u64(MDB_txn *txn, gl_store_t *s, const char *name, uint64_t v);
/* Raw meta values: *len gets the stored length (GL_ENOENT if absent); at most
 * cap bytes are copied. */
int gl_store_meta_get(MDB_txn *txn, gl_store_t *s, const char *name, void *buf, size_t cap, size_t *len);
int gl_store_meta_put(MDB_txn *txn, gl_store_t *s, const char *name, const void *buf, size_t len);

/* cases */
int gl_store_case_put(MDB_txn *txn, gl_store_t *s, const Gridlink__V1__Case *c);
/* *out is owned by the caller (gridlink__v1__case__free_unpacked). GL_ENOENT if absent. */
int gl_store_case_get(MDB_txn *txn, gl_store_t *s, const char *id, Gridlink__V1__Case **out);
/* Call fn for every case in id order until it returns non-zero (which is
 * returned). The case passed to fn is freed after fn returns. */
int gl_store_case_foreach(MDB_txn *txn, gl_store_t *s, int (*fn)(const Gridlink__V1__Case *c, void *arg), void *arg);
/* The same from the first case whose ID sorts after `after` (NULL: from the
 * first); fn's non-zero return stops the walk and is returned. */
int gl_store_case_walk(MDB_txn *txn, gl_store_t *s, const char *after,
                       int (*fn)(const Gridlink__V1__Case *c, void *arg), void *arg);
int gl_store_case_count(MDB_txn *txn, gl_store_t *s, uint64_t *n);

/* log: appends ev with seq = last + 1 (ev->seq is set). */
int gl_store_log_append(MDB_txn *txn, gl_store_t *s, Gridlink__V1__BusEvent *ev);
/* The same, and *bytes, *len: the packed entry as stored (LMDB's memory,
 * valid until the transaction's next write; copy it to keep it). */
int gl_store_log_append_bytes(MDB_txn *txn, gl_store_t *s, Gridlink__V1__BusEvent *ev, const uint8_t **bytes,
                              size_t *len);
/* The last sequence logged: when every entry was archived and pruned, the
 * last pruned (meta GL_META_LOG_PRUNED); 0 when nothing was ever logged. */
int gl_store_log_last(MDB_txn *txn, gl_store_t *s, uint64_t *seq);
/* Retention (nodes/prune.c): entries up to meta GL_META_LOG_PRUNED were
 * archived and removed, so the log holds pruned + 1 .. last. */
#define GL_META_LOG_PRUNED "log_pruned"
int gl_store_log_pruned(MDB_txn *txn, gl_store_t *s, uint64_t *seq); /* 0 when none */
int gl_store_log_del(MDB_txn *txn, gl_store_t *s, uint64_t seq);
int gl_store_case_del(MDB_txn *txn, gl_store_t *s, const char *id);
/* *out owned by caller (gridlink__v1__bus_event__free_unpacked). */
int gl_store_log_get(MDB_txn *txn, gl_store_t *s, uint64_t seq, Gridlink__V1__BusEvent **out);

/* peers: absent peers read as {0, 1, 0}. */
int gl_store_peer_get(MDB_txn *txn, gl_store_t *s, const char *peer, gl_peer_marks *m);
int gl_store_peer_put(MDB_txn *txn, gl_store_t *s, const char *peer, const gl_peer_marks *m);

/* outbox */
int gl_store_outbox_put(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t seq, const void *data, size_t len);
/* Call fn for each entry of `peer` with seq >= from, in seq order, until fn
 * returns non-zero or `max` entries were visited (max 0 = no limit). The data
 * pointer is valid only during the call. Returns 0 or fn's non-zero value. */
int gl_store_outbox_scan(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t from, size_t max,
                         int (*fn)(uint64_t seq, const void *data, size_t len, void *arg), void *arg);
/* Delete every entry of `peer` with seq <= upto; *deleted (may be NULL) gets the count. */
int gl_store_outbox_trim(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t upto, size_t *deleted);
int gl_store_outbox_count(MDB_txn *txn, gl_store_t *s, const char *peer, uint64_t *n); /* peer NULL: all */

/* deadlines */
int gl_store_deadline_put(MDB_txn *txn, gl_store_t *s, int64_t due_ms, enum gl_deadline_kind kind, const char *case_id);
int gl_store_deadline_del(MDB_txn *txn, gl_store_t *s, int64_t due_ms, enum gl_deadline_kind kind, const char *case_id);
/* The earliest deadline; GL_ENOENT when none. case_id is copied into buf. */
int gl_store_deadline_first(MDB_txn *txn, gl_store_t *s, int64_t *due_ms, enum gl_deadline_kind *kind, char *case_id,
                            size_t case_id_size);

/* Backup and restore (store_backup.c). A hot, compacted copy of node_id's
 * store in dir into the empty directory `to`, taken while the node runs. */
int gl_store_backup(const char *dir, const char *node_id, const char *to, char *err, size_t errlen);
/* Put the copy in `from` in place of the store in dir (the node stopped:
 * GL_ELOCKED otherwise), with a new identity and its links' numbering
 * started over, so its neighbours take it as a store they have not seen. */
int gl_store_restore(const char *from, const char *dir, const char *node_id, char *err, size_t errlen);

/* files (attachments), stored in chunks under their SHA-256 (32 bytes). A
 * read-only store written before files existed reads as holding none. */
/* *out owned by the caller (gridlink__v1__attachment__free_unpacked);
 * GL_ENOENT if absent. */
int gl_store_file_info(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, Gridlink__V1__Attachment **out);
int gl_store_file_info_put(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, const Gridlink__V1__Attachment *a);
int gl_store_file_chunk_put(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, uint32_t index, const void *data,
                            size_t len);
/* The chunk's bytes, valid until txn ends. */
int gl_store_file_chunk_get(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, uint32_t index, const void **data,
                            size_t *len);
/* Remove the file's record and its first `chunks` chunks. */
int gl_store_file_del(MDB_txn *txn, gl_store_t *s, const uint8_t *sha256, uint32_t chunks);
/* Was the file sent to peer? (1 yes, 0 no, or an error) */
int gl_store_file_sent(MDB_txn *txn, gl_store_t *s, const char *peer, const uint8_t *sha256);
/* A follow-up code's case (receipts): put refuses a hash already there
 * (GL_EEXIST); get gives the case id (at most size - 1 bytes) or GL_ENOENT. */
#define GL_RECEIPT_HASH 32
int gl_store_receipt_put(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, const char *case_id);
int gl_store_receipt_get(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, char *case_id, size_t size);
int gl_store_file_sent_put(MDB_txn *txn, gl_store_t *s, const char *peer, const uint8_t *sha256);
/* Forget what went to peer (it came back with a new store). */
int gl_store_file_sent_clear(MDB_txn *txn, gl_store_t *s, const char *peer);

/* appraisals (群众评议, store_appraisals.c). A ticket's month: put refuses a
 * hash already there (GL_EEXIST); get copies "YYYY-MM" into month or gives
 * GL_ENOENT. */
int gl_store_ticket_put(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, const char *month);
int gl_store_ticket_get(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, char month[8]);
/* One appraisal by the code of hash: GL_EEXIST when that code appraised
 * a->unit for a->period already. */
int gl_store_appraisal_put(MDB_txn *txn, gl_store_t *s, const uint8_t *hash, const Gridlink__V1__Appraisal *a);
/* Call fn for every appraisal of month ("YYYY-MM") until it returns
 * non-zero (which is returned); the appraisal is freed after fn returns. A
 * value that does not decode is skipped with a warning. */
int gl_store_appraisal_foreach(MDB_txn *txn, gl_store_t *s, const char *month,
                               int (*fn)(const Gridlink__V1__Appraisal *a, void *arg), void *arg);
/* surveys (store_surveys.c): put replaces; get gives the caller's copy
 * (gridlink__v1__survey__free_unpacked) or GL_ENOENT; foreach walks in id
 * order until fn returns non-zero (returned). */
int gl_store_survey_put(MDB_txn *txn, gl_store_t *s, const Gridlink__V1__Survey *sv);
int gl_store_survey_get(MDB_txn *txn, gl_store_t *s, const char *id, Gridlink__V1__Survey **out);
int gl_store_survey_foreach(MDB_txn *txn, gl_store_t *s, int (*fn)(const Gridlink__V1__Survey *sv, void *arg),
                            void *arg);
/* A survey code's hash (GL_RECEIPT_HASH bytes): put refuses one already
 * issued (GL_EEXIST); has is 1 or 0 (or an error). */
int gl_store_survey_ticket_put(MDB_txn *txn, gl_store_t *s, const char *survey, const uint8_t *hash);
int gl_store_survey_ticket_has(MDB_txn *txn, gl_store_t *s, const char *survey, const uint8_t *hash);
/* The answer of a code's hash: put refuses a second (GL_EEXIST);
 * answered is 1 or 0; foreach walks a survey's answers. */
int gl_store_survey_answer_put(MDB_txn *txn, gl_store_t *s, const char *survey, const uint8_t *hash,
                               const Gridlink__V1__SurveyAnswer *a);
int gl_store_survey_answered(MDB_txn *txn, gl_store_t *s, const char *survey, const uint8_t *hash);
int gl_store_survey_answer_foreach(MDB_txn *txn, gl_store_t *s, const char *survey,
                                   int (*fn)(const Gridlink__V1__SurveyAnswer *a, void *arg), void *arg);

/* facts (store_facts.c): put keeps ev (kind fact, ev->fact set, ev->seq
 * its log sequence) under its name and seq; foreach walks the entries of
 * name (NULL or "": every name) in name and seq order until fn returns
 * non-zero (returned); the event is freed after fn returns. A read-only
 * store written before schema 5 reads as holding none. */
int gl_store_fact_put(MDB_txn *txn, gl_store_t *s, const Gridlink__V1__BusEvent *ev);
int gl_store_fact_foreach(MDB_txn *txn, gl_store_t *s, const char *name,
                          int (*fn)(const Gridlink__V1__BusEvent *ev, void *arg), void *arg);

#endif
