/* store.c: one node's LMDB environment (see store.h).
 *
 * Owns opening and locking the environment directory, the store's identity
 * (schema version, node ID and store ID in `meta`), transactions, map-size
 * handling (adopting another process's resize, growing on demand) and the
 * meta accessors. gl_store_open hands the caller the gl_store_t, which
 * gl_store_close frees. The other databases' typed accessors are
 * store_cases.c (cases, log, deadlines), store_peers.c (peer marks,
 * outboxes) and deadletter.c (dead letters); store_int.h is what the first
 * two share with this file. Everything read from disk is treated as
 * untrusted: a malformed key or value becomes GL_ESTORE and a log line,
 * never a crash. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "store_int.h"

#define BEGIN_RETRIES 2
#define MAX_DBS       16
#define LOCK_NAME     "gridlink.lock"
#define GROW_SLACK    (1024u * 1024) /* free space kept in reserve when growing */

static const char *const db_names[GL_DB_COUNT] = {
    [GL_DB_META] = "meta",
    [GL_DB_CASES] = "cases",
    [GL_DB_LOG] = "log",
    [GL_DB_PEERS] = "peers",
    [GL_DB_OUTBOX] = "outbox",
    [GL_DB_DEADLINES] = "deadlines",
    [GL_DB_DEAD] = "dead",
    [GL_DB_FILES] = "files",
    [GL_DB_FILES_SENT] = "files_sent",
    [GL_DB_RECEIPTS] = "receipts",
    [GL_DB_SURVEYS] = "surveys",
    [GL_DB_SURVEY_ANSWERS] = "survey_answers",
    [GL_DB_APPRAISALS] = "appraisals",
    [GL_DB_FACTS] = "facts",
};

void gl_be64_put(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

uint64_t gl_be64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* ---- small helpers ---- */

static void refresh_map_size(gl_store_t *s)
{
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) == 0)
        s->map_size = info.me_mapsize;
}

static void free_store(gl_store_t *s)
{
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    free(s->dir);
    free(s);
}

/* ---- open / close ---- */

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0700) == 0)
        return 0;
    int e = errno;
    if (e == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        gl_error("store: %s exists and is not a directory", dir);
        return GL_EINVAL;
    }
    gl_error("store: cannot create %s: %s", dir, strerror(e));
    return gl_err_from_errno(e);
}

static int join_path(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        gl_error("store: path too long: %s/%s", dir, name);
        return GL_EINVAL;
    }
    return 0;
}

/* LMDB's own locking cannot stop a second writer process from opening the
 * environment, so a node holds an exclusive flock on a side file for as long
 * as the store is open. flock belongs to the open file description, so even
 * a second open in this same process is refused. */
static int take_lock(gl_store_t *s)
{
    char path[PATH_MAX];
    int rc = join_path(path, sizeof path, s->dir, LOCK_NAME);
    if (rc)
        return rc;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        gl_error("store: cannot open %s: %s", path, strerror(e));
        return gl_err_from_errno(e);
    }
    int r;
    do
        r = flock(fd, LOCK_EX | LOCK_NB);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            gl_error("store: %s is in use by another process", s->dir);
            return GL_ELOCKED;
        }
        gl_error("store: cannot lock %s: %s", path, strerror(e));
        return gl_err_from_errno(e);
    }
    s->lock_fd = fd;
    return 0;
}

static bool data_file_exists(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/data.mdb", dir) >= (int)sizeof path)
        return false;
    return stat(path, &st) == 0;
}

static int open_env(gl_store_t *s, size_t want)
{
    int rc = mdb_env_create(&s->env);
    if (rc) {
        s->env = NULL;
        return mdb_fail("create environment", rc);
    }
    rc = mdb_env_set_maxdbs(s->env, MAX_DBS);
    if (rc)
        return mdb_fail("set maxdbs", rc);

    /* A new environment starts at the configured size. An existing one is
     * opened at the size recorded in its file (0 = adopt), because it may
     * have been grown past the configured size and shrinking it back would
     * only bring MDB_MAP_FULL straight back. */
    bool fresh = !s->read_only && !data_file_exists(s->dir);
    rc = mdb_env_set_mapsize(s->env, fresh ? want : 0);
    if (rc)
        return mdb_fail("set map size", rc);

    unsigned flags = MDB_NOTLS | (s->read_only ? MDB_RDONLY : 0);
    rc = mdb_env_open(s->env, s->dir, flags, 0600);
    if (rc) {
        gl_error("store: cannot open environment %s: %s", s->dir, mdb_strerror(rc));
        return gl_err_from_mdb(rc);
    }
    refresh_map_size(s);
    if (!s->read_only && !fresh) {
        if (s->map_size < want) {
            rc = mdb_env_set_mapsize(s->env, want);
            if (rc)
                return mdb_fail("set map size", rc);
            refresh_map_size(s);
        } else if (s->map_size > want) {
            gl_info("store: %s keeps its grown map of %zu bytes (configured %zu)", s->dir, s->map_size, want);
        }
    }

    /* A predecessor killed with -9 may have left reader slots behind; they
     * would pin old pages and make the file grow. */
    int dead = 0;
    rc = mdb_reader_check(s->env, &dead);
    if (rc)
        gl_warn("store: reader check on %s: %s", s->dir, mdb_strerror(rc));
    else if (dead > 0)
        gl_info("store: cleared %d stale reader slot(s) in %s", dead, s->dir);
    return 0;
}

/* Verify (or, on first open, record) one identity entry of `meta`. */
static int check_meta_entry(MDB_txn *txn, gl_store_t *s, const char *name, const void *want, size_t want_len,
                            const char *what)
{
    MDB_val k = val_of(name, strlen(name)), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) {
        if (s->read_only) {
            gl_error("store: %s has no %s recorded; not an initialised gridlink store", s->dir, what);
            return GL_EINVAL;
        }
        v = val_of(want, want_len);
        rc = mdb_put(txn, s->dbi[GL_DB_META], &k, &v, 0);
        return rc ? mdb_fail("record meta", rc) : 0;
    }
    if (rc)
        return mdb_fail("read meta", rc);
    if (v.mv_size == want_len && memcmp(v.mv_data, want, want_len) == 0)
        return 0;
    return 1; /* differs; the caller words the message */
}

/* ---- schema versions ----
 *
 * meta "schema" (u64 BE) is the version of the store's layout. Each
 * database belongs to the version that brought it; a store of an older
 * version is brought forward by the migrations below, one row per version
 * step, all in the open transaction, so a store is either wholly migrated or
 * untouched. A read-only open migrates nothing: what a version lacks reads
 * as absent. A store of a newer version than this build knows is refused. */

static const uint64_t db_since[GL_DB_COUNT] = {
    [GL_DB_META] = 1,       [GL_DB_CASES] = 1,     [GL_DB_LOG] = 1,     [GL_DB_PEERS] = 1,
    [GL_DB_OUTBOX] = 1,     [GL_DB_DEADLINES] = 1, [GL_DB_DEAD] = 1,    [GL_DB_FILES] = 2,
    [GL_DB_FILES_SENT] = 2, [GL_DB_RECEIPTS] = 3,  [GL_DB_SURVEYS] = 4, [GL_DB_SURVEY_ANSWERS] = 4,
    [GL_DB_APPRAISALS] = 4, [GL_DB_FACTS] = 5,
};

static int create_db(MDB_txn *txn, gl_store_t *s, enum gl_db db)
{
    int rc = mdb_dbi_open(txn, db_names[db], MDB_CREATE, &s->dbi[db]);
    if (rc) {
        gl_error("store: cannot create database '%s' in %s: %s", db_names[db], s->dir, mdb_strerror(rc));
        return gl_err_from_mdb(rc);
    }
    return 0;
}

/* 1 -> 2: attachments (files, files_sent). Stores written since attachments
 * came may have them already under version 1 (and receipts under 1 or 2);
 * creating is then a no-op. */
static int migrate_files(MDB_txn *txn, gl_store_t *s)
{
    int rc = create_db(txn, s, GL_DB_FILES);
    return rc ? rc : create_db(txn, s, GL_DB_FILES_SENT);
}

/* 2 -> 3: residents' receipts. */
static int migrate_receipts(MDB_txn *txn, gl_store_t *s)
{
    return create_db(txn, s, GL_DB_RECEIPTS);
}

/* 3 -> 4: residents' voice: needs surveys and their answers, and residents'
 * appraisals of units (群众评议). */
static int migrate_residents(MDB_txn *txn, gl_store_t *s)
{
    int rc = create_db(txn, s, GL_DB_SURVEYS);
    rc = rc ? rc : create_db(txn, s, GL_DB_SURVEY_ANSWERS);
    return rc ? rc : create_db(txn, s, GL_DB_APPRAISALS);
}

/* 4 -> 5: the facts a unit reports for the plan's indicators. */
static int migrate_facts(MDB_txn *txn, gl_store_t *s)
{
    return create_db(txn, s, GL_DB_FACTS);
}

static const struct {
    uint64_t from; /* the version it applies to; it leaves from + 1 */
    int (*fn)(MDB_txn *txn, gl_store_t *s);
} migrations[] = {
    {1, migrate_files},
    {2, migrate_receipts},
    {3, migrate_residents},
    {4, migrate_facts},
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

/* The version recorded in meta: 0 when none is (a new environment). */
static int read_schema(MDB_txn *txn, gl_store_t *s, uint64_t *have)
{
    MDB_val k = val_of("schema", 6), v;
    int rc = mdb_get(txn, s->dbi[GL_DB_META], &k, &v);
    *have = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return mdb_fail("read the schema version", rc);
    if (v.mv_size != 8 || gl_be64_get(v.mv_data) == 0) {
        gl_error("store: %s records a malformed schema version (%zu bytes)", s->dir, v.mv_size);
        return GL_ESTORE;
    }
    *have = gl_be64_get(v.mv_data);
    return 0;
}

static int migrate(MDB_txn *txn, gl_store_t *s, uint64_t from)
{
    for (uint64_t v = from; v < GL_STORE_SCHEMA_VERSION; v++) {
        size_t i = 0;
        while (i < N_MIGRATIONS && migrations[i].from != v)
            i++;
        if (i == N_MIGRATIONS) {
            gl_error("store: %s: no migration from schema %" PRIu64, s->dir, v);
            return GL_EINVAL;
        }
        int rc = migrations[i].fn(txn, s);
        if (rc)
            return rc;
    }
    return gl_store_meta_put_u64(txn, s, "schema", GL_STORE_SCHEMA_VERSION);
}

/* Open the databases the store's version has (every one for a new store),
 * refuse a version this build does not know, and migrate an older one when
 * opened read-write. *migrated gets the version migrated from (0: none). */
static int open_schema(MDB_txn *txn, gl_store_t *s, uint64_t *migrated)
{
    *migrated = 0;
    int rc = mdb_dbi_open(txn, db_names[GL_DB_META], s->read_only ? 0 : MDB_CREATE, &s->dbi[GL_DB_META]);
    if (rc) {
        gl_error("store: cannot open database 'meta' in %s: %s", s->dir, mdb_strerror(rc));
        return rc == MDB_NOTFOUND ? GL_EINVAL : gl_err_from_mdb(rc);
    }
    uint64_t have;
    rc = read_schema(txn, s, &have);
    if (rc)
        return rc;
    if (have == 0 && s->read_only) {
        gl_error("store: %s has no schema version recorded; not an initialised gridlink store", s->dir);
        return GL_EINVAL;
    }
    if (have > GL_STORE_SCHEMA_VERSION) {
        gl_error("store: %s has schema version %" PRIu64 ", written by a newer gridlink; this binary knows "
                 "versions up to %d: upgrade this binary, or restore a backup taken before the upgrade",
                 s->dir, have, GL_STORE_SCHEMA_VERSION);
        return GL_EINVAL;
    }
    bool fresh = have == 0;
    if (fresh) {
        have = GL_STORE_SCHEMA_VERSION;
        rc = gl_store_meta_put_u64(txn, s, "schema", have);
        if (rc)
            return rc;
    }
    for (int i = GL_DB_META + 1; i < GL_DB_COUNT; i++) {
        bool owned = db_since[i] <= have;
        rc = mdb_dbi_open(txn, db_names[i], owned && !s->read_only ? MDB_CREATE : 0, &s->dbi[i]);
        if (rc == MDB_NOTFOUND && !owned) {
            s->dbi[i] = GL_STORE_NO_DBI; /* its version came after the store's */
            continue;
        }
        if (rc) {
            gl_error("store: cannot open database '%s' in %s: %s", db_names[i], s->dir, mdb_strerror(rc));
            return rc == MDB_NOTFOUND ? GL_EINVAL : gl_err_from_mdb(rc);
        }
    }
    s->schema = have;
    if (have < GL_STORE_SCHEMA_VERSION && !s->read_only) {
        rc = migrate(txn, s, have);
        if (rc)
            return rc;
        *migrated = have;
        s->schema = GL_STORE_SCHEMA_VERSION;
    }
    return 0;
}

static int open_dbs(gl_store_t *s, const char *node_id, size_t nlen)
{
    MDB_txn *txn;
    int rc = gl_store_begin(s, NULL, !s->read_only, &txn);
    if (rc) {
        gl_error("store: cannot begin the open transaction on %s: %s", s->dir, gl_strerror(rc));
        return rc;
    }
    /* All handles are opened once, here, in one transaction: LMDB forbids
     * mdb_dbi_open from concurrent transactions, and after commit the handles
     * are shared by every later transaction. */
    uint64_t migrated = 0;
    rc = open_schema(txn, s, &migrated);
    if (rc == 0) {
        rc = check_meta_entry(txn, s, "node_id", node_id, nlen, "node id");
        if (rc == 1) {
            MDB_val k = val_of("node_id", 7), v;
            int shown = 0;
            const char *have = "";
            if (mdb_get(txn, s->dbi[GL_DB_META], &k, &v) == 0) {
                have = v.mv_data;
                shown = v.mv_size > ID_MAX ? ID_MAX : (int)v.mv_size;
            }
            gl_error("store: %s belongs to node '%.*s', not '%s'", s->dir, shown, have, node_id);
            rc = GL_EINVAL;
        }
    }
    if (rc == 0) {
        MDB_val k = val_of("store_id", 8), v;
        rc = mdb_get(txn, s->dbi[GL_DB_META], &k, &v);
        if (rc == 0 && v.mv_size == GL_STORE_ID_BYTES) {
            memcpy(s->id, v.mv_data, GL_STORE_ID_BYTES);
        } else if (rc == MDB_NOTFOUND && !s->read_only) {
            randombytes_buf(s->id, sizeof s->id);
            v = val_of(s->id, sizeof s->id);
            rc = mdb_put(txn, s->dbi[GL_DB_META], &k, &v, 0);
            rc = rc ? mdb_fail("record store id", rc) : 0;
        } else if (rc == MDB_NOTFOUND) {
            rc = 0; /* an inspector reading a store that never ran this build */
        } else {
            rc = rc ? mdb_fail("read store id", rc) : GL_ESTORE;
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    /* Committing (even the read-only transaction) keeps the handles. */
    rc = mdb_txn_commit(txn);
    if (rc) {
        gl_error("store: cannot commit the open transaction on %s: %s", s->dir, mdb_strerror(rc));
        return gl_err_from_mdb(rc);
    }
    if (migrated)
        gl_info("store %s: schema %" PRIu64 " migrated to %d", s->dir, migrated, GL_STORE_SCHEMA_VERSION);
    return 0;
}

int gl_store_open(const char *dir, const char *node_id, const gl_store_opts *opts, gl_store_t **out)
{
    size_t nlen;
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (!dir || !*dir || id_len(node_id, &nlen))
        return GL_EINVAL;

    gl_store_t *s = calloc(1, sizeof *s);
    if (!s)
        return GL_ENOMEM;
    s->lock_fd = -1;
    s->read_only = opts && opts->read_only;
    s->dir = strdup(dir);
    if (!s->dir) {
        free(s);
        return GL_ENOMEM;
    }
    size_t want = opts && opts->map_size ? opts->map_size : GL_STORE_DEFAULT_MAP;

    int rc = 0;
    /* A read-only inspector never creates anything and takes no flock: it
     * must work next to the running node that holds the lock. */
    if (!s->read_only) {
        rc = make_dir(dir);
        if (!rc)
            rc = take_lock(s);
    }
    if (!rc)
        rc = open_env(s, want);
    if (!rc)
        rc = open_dbs(s, node_id, nlen);
    if (rc) {
        free_store(s);
        return rc;
    }
    gl_debug("store: opened %s for node %s (%s, map %zu bytes)", dir, node_id,
             s->read_only ? "read-only" : "read-write", s->map_size);
    *out = s;
    return 0;
}

void gl_store_close(gl_store_t **s)
{
    if (!s || !*s)
        return;
    free_store(*s);
    *s = NULL;
}

MDB_env *gl_store_env(gl_store_t *s)
{
    return s ? s->env : NULL;
}

MDB_dbi gl_store_dbi(gl_store_t *s, enum gl_db db)
{
    /* An out-of-range handle makes LMDB reject the operation (EINVAL),
     * where 0 would silently address the main database. */
    if (!s || (unsigned)db >= GL_DB_COUNT)
        return (MDB_dbi)UINT_MAX;
    return s->dbi[db];
}

const char *gl_store_dir(gl_store_t *s)
{
    return s ? s->dir : NULL;
}

size_t gl_store_map_size(gl_store_t *s)
{
    return s ? s->map_size : 0;
}

const uint8_t *gl_store_id(gl_store_t *s)
{
    return s->id;
}

uint64_t gl_store_schema(gl_store_t *s)
{
    return s ? s->schema : 0;
}

/* ---- transactions and map size ---- */

int gl_store_begin(gl_store_t *s, MDB_txn *parent, bool write, MDB_txn **txn)
{
    if (!txn)
        return GL_EINVAL;
    *txn = NULL;
    if (!s || !s->env)
        return GL_EINVAL;
    if (write && s->read_only)
        return GL_EPERM;
    if (parent && !write)
        return GL_EINVAL; /* LMDB nests only write transactions */

    unsigned flags = write ? 0 : MDB_RDONLY;
    int rc;
    for (int attempt = 0;; attempt++) {
        rc = mdb_txn_begin(s->env, parent, flags, txn);
        if (rc == 0)
            return 0;
        *txn = NULL;
        if (attempt == BEGIN_RETRIES)
            break;
        if (rc == MDB_MAP_RESIZED && !parent) {
            /* Another process grew the map. Adopting its size remaps, which
             * is safe because the contract says no transaction of ours is
             * open when we begin a top-level one after a resize. */
            int r = mdb_env_set_mapsize(s->env, 0);
            if (r) {
                rc = r;
                break;
            }
            refresh_map_size(s);
            gl_info("store: %s was resized elsewhere; map is now %zu bytes", s->dir, s->map_size);
        } else if (rc == MDB_READERS_FULL) {
            int dead = 0;
            mdb_reader_check(s->env, &dead);
            gl_warn("store: reader table of %s full; cleared %d stale slot(s)", s->dir, dead);
        } else {
            break;
        }
    }
    return mdb_fail("begin transaction", rc);
}

int gl_store_commit(MDB_txn *txn)
{
    if (!txn)
        return GL_EINVAL;
    int rc = mdb_txn_commit(txn);
    return rc ? mdb_fail("commit", rc) : 0;
}

void gl_store_abort(MDB_txn *txn)
{
    if (txn)
        mdb_txn_abort(txn);
}

static int env_used(gl_store_t *s, MDB_envinfo *info, uint64_t *used)
{
    MDB_stat st;
    int rc = mdb_env_info(s->env, info);
    if (!rc)
        rc = mdb_env_stat(s->env, &st);
    if (rc)
        return rc;
    *used = ((uint64_t)info->me_last_pgno + 1) * st.ms_psize;
    return 0;
}

int gl_store_grow(gl_store_t *s)
{
    if (!s || !s->env)
        return GL_EINVAL;
    if (s->read_only)
        return GL_EPERM;
    MDB_envinfo info;
    uint64_t used;
    int rc = env_used(s, &info, &used);
    if (rc)
        return mdb_fail("read environment info", rc);
    size_t cur = info.me_mapsize;
    if (cur > SIZE_MAX / 2) {
        gl_error("store: %s map of %zu bytes cannot be doubled", s->dir, cur);
        return GL_ENOSPC;
    }
    size_t next = cur * 2;

    /* The map is address space; data.mdb grows only as pages are written.
     * So the doubling itself costs nothing, but refuse when the filesystem
     * could not even hold a copy's worth of growth (used + slack), which is
     * the point where continuing would just turn MAP_FULL into ENOSPC. */
    struct statvfs vfs;
    if (statvfs(s->dir, &vfs) == 0) {
        uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        uint64_t need = used + GROW_SLACK;
        if (avail < need) {
            gl_error("store: not growing %s: %" PRIu64 " bytes free on the filesystem, need %" PRIu64, s->dir, avail,
                     need);
            return GL_ENOSPC;
        }
    } else {
        gl_warn("store: cannot check free space for %s: %s", s->dir, strerror(errno));
    }

    rc = mdb_env_set_mapsize(s->env, next);
    if (rc) {
        gl_error("store: cannot grow %s to %zu bytes: %s", s->dir, next, mdb_strerror(rc));
        return gl_err_from_mdb(rc);
    }
    refresh_map_size(s);
    gl_info("store: grew %s map from %zu to %zu bytes (%" PRIu64 " in use)", s->dir, cur, s->map_size, used);
    return 0;
}

double gl_store_usage(gl_store_t *s)
{
    if (!s || !s->env)
        return 0.0;
    MDB_envinfo info;
    uint64_t used;
    if (env_used(s, &info, &used) || info.me_mapsize == 0)
        return 0.0;
    double u = (double)used / (double)info.me_mapsize;
    return u > 1.0 ? 1.0 : u;
}

int gl_store_reader_check(gl_store_t *s)
{
    if (!s || !s->env)
        return GL_EINVAL;
    int dead = 0;
    int rc = mdb_reader_check(s->env, &dead);
    if (rc)
        return mdb_fail("reader check", rc);
    return dead;
}

/* ---- meta ---- */

int gl_store_meta_get_u64(MDB_txn *txn, gl_store_t *s, const char *name, uint64_t *v)
{
    size_t n;
    if (!txn || !s || !v || id_len(name, &n))
        return GL_EINVAL;
    MDB_val k = val_of(name, n), d;
    int rc = mdb_get(txn, s->dbi[GL_DB_META], &k, &d);
    if (rc)
        return mdb_fail("get meta", rc);
    if (d.mv_size != 8) {
        gl_error("store: meta '%s' is %zu bytes, not a u64", name, d.mv_size);
        return GL_ESTORE;
    }
    *v = gl_be64_get(d.mv_data);
    return 0;
}

int gl_store_meta_put_u64(MDB_txn *txn, gl_store_t *s, const char *name, uint64_t v)
{
    size_t n;
    if (!txn || !s || id_len(name, &n))
        return GL_EINVAL;
    uint8_t b[8];
    gl_be64_put(b, v);
    MDB_val k = val_of(name, n), d = val_of(b, sizeof b);
    int rc = mdb_put(txn, s->dbi[GL_DB_META], &k, &d, 0);
    return rc ? mdb_fail("put meta", rc) : 0;
}

int gl_store_meta_get(MDB_txn *txn, gl_store_t *s, const char *name, void *buf, size_t cap, size_t *len)
{
    size_t n;
    if (!txn || !s || !len || id_len(name, &n))
        return GL_EINVAL;
    MDB_val k = val_of(name, n), d;
    int rc = mdb_get(txn, s->dbi[GL_DB_META], &k, &d);
    if (rc == MDB_NOTFOUND)
        return GL_ENOENT;
    if (rc)
        return mdb_fail("get meta", rc);
    *len = d.mv_size;
    memcpy(buf, d.mv_data, d.mv_size < cap ? d.mv_size : cap);
    return 0;
}

int gl_store_meta_put(MDB_txn *txn, gl_store_t *s, const char *name, const void *buf, size_t len)
{
    size_t n;
    if (!txn || !s || (!buf && len) || id_len(name, &n))
        return GL_EINVAL;
    MDB_val k = val_of(name, n), d = val_of(buf ? buf : "", len);
    int rc = mdb_put(txn, s->dbi[GL_DB_META], &k, &d, 0);
    return rc ? mdb_fail("put meta", rc) : 0;
}
