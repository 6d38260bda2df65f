/* users.c: the home's accounts (see users.h).
 *
 * Owns the HOME/users/ environment (opening it, its schema, transactions),
 * the account records and password hashing, what names, display names and
 * passwords may be, the roles, and the table of which role may call which
 * operation. Failed logins and sessions are users_sessions.c's;
 * users_int.h is what the two share. gl_users_open hands the caller the
 * gl_users_t, which gl_users_close frees. An account is stored as
 *   u8 version (1), u8 role, u8 flags (1: disabled), u64 BE created_ms,
 *   then scope, display name and password hash, each u16 BE length + bytes,
 * under its name. Everything read from disk is checked: a malformed record
 * is GL_ESTORE and a log line, never a crash. Passwords are hashed outside
 * any transaction, so that no call holds the environment's write lock for
 * the time of a hash. */
#include "users.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "error.h"
#include "home.h"
#include "log.h"
#include "store.h"
#include "users_int.h"

#define REC_VERSION   1
#define REC_HEAD      11 /* version, role, flags, created_ms */
#define REC_MAX       (REC_HEAD + 3 * 2 + GL_NODE_ID_MAX + GL_USER_DISPLAY_MAX + HASH_CAP)
#define FLAG_DISABLED 1u
#define BEGIN_RETRIES 2

/* ---- roles ---- */

static const struct {
    const char *name, *label;
} roles[] = {
    [GL_USER_GRID] = {"grid", "网格员"},
    [GL_USER_COMMUNITY] = {"community", "社区工作人员"},
    [GL_USER_TOWNSHIP] = {"township", "街道工作人员"},
    [GL_USER_DEPARTMENT] = {"department", "部门工作人员"},
    [GL_USER_MONITOR] = {"monitor", "区指挥中心"},
    [GL_USER_ADMIN] = {"admin", "管理员"},
};
#define N_ROLES (sizeof roles / sizeof roles[0])

bool gl_user_role_valid(int r)
{
    return r >= GL_USER_GRID && (size_t)r < N_ROLES;
}

const char *gl_user_role_name(enum gl_user_role r)
{
    return gl_user_role_valid((int)r) ? roles[r].name : "unknown";
}

const char *gl_user_role_label(enum gl_user_role r)
{
    return gl_user_role_valid((int)r) ? roles[r].label : "unknown";
}

bool gl_user_role_from(const char *name, enum gl_user_role *out)
{
    for (size_t r = GL_USER_GRID; name && r < N_ROLES; r++)
        if (strcmp(roles[r].name, name) == 0) {
            *out = (enum gl_user_role)r;
            return true;
        }
    return false;
}

const char *gl_user_role_list(void)
{
    return "grid, community, township, department, monitor, admin";
}

/* Who may call what. A front door asks here before it calls the engine, and
 * checks the case's or node's place against the account's scope besides.
 *
 *   operation      grid  community township department monitor admin
 *   submit          x       x         x         x                 x
 *   request                 x         x         x                 x
 *   dispatch                          x                           x
 *   whistle                           x                           x
 *   act             x       x         x         x                 x
 *   rate            x       x         x         x                 x
 *   show            x       x         x         x         x       x
 *   list            x       x         x         x         x       x
 *   health          x       x         x         x         x       x
 *   ping            x       x         x         x         x       x
 *   log                                                   x       x
 *   census                                                x       x
 *   dead-letters                                                  x
 *   dead-retry                                                    x
 *   dead-drop                                                     x
 *   attach          x       x         x         x                 x
 *   attachment      x       x         x         x         x       x
 *   appraisals      x       x         x         x         x       x
 *   survey-publish          x         x                           x
 *   survey-close            x         x                           x
 *   survey-tickets          x         x                           x
 *   survey-task             x         x                           x
 *   surveys         x       x         x         x         x       x
 *   survey          x       x         x         x         x       x
 *   (survey-answer is a resident's, through the public door only)
 *
 * An operation that writes is never the monitor's, whatever the table says. */
#define R(role)  (1u << (role))
#define STAFF    (R(GL_USER_GRID) | R(GL_USER_COMMUNITY) | R(GL_USER_TOWNSHIP) | R(GL_USER_DEPARTMENT))
#define OFFICERS (R(GL_USER_COMMUNITY) | R(GL_USER_TOWNSHIP) | R(GL_USER_DEPARTMENT))
#define MONITOR  R(GL_USER_MONITOR)
#define ADMIN    R(GL_USER_ADMIN)
#define EVERYONE (STAFF | MONITOR | ADMIN)
#define OP(name) GRIDLINK__V1__OP__OP_##name

static const struct {
    gl_op op;
    unsigned roles;
} may[] = {
    {OP(SUBMIT), STAFF | ADMIN},
    {OP(REQUEST), OFFICERS | ADMIN},
    {OP(DISPATCH), R(GL_USER_TOWNSHIP) | ADMIN},
    {OP(WHISTLE), R(GL_USER_TOWNSHIP) | ADMIN},
    {OP(ACT), STAFF | ADMIN},
    {OP(RATE), STAFF | ADMIN},
    {OP(SHOW), EVERYONE},
    {OP(LIST), EVERYONE},
    {OP(HEALTH), EVERYONE},
    {OP(PING), EVERYONE},
    {OP(LOG), MONITOR | ADMIN},
    {OP(CENSUS), MONITOR | ADMIN},
    {OP(DEAD_LETTERS), ADMIN},
    {OP(DEAD_RETRY), ADMIN},
    {OP(DEAD_DROP), ADMIN},
    {OP(ATTACH), STAFF | ADMIN},
    {OP(ATTACHMENT), EVERYONE},
    {OP(APPRAISALS), EVERYONE},
    {OP(SURVEY_PUBLISH), R(GL_USER_COMMUNITY) | R(GL_USER_TOWNSHIP) | ADMIN},
    {OP(SURVEY_CLOSE), R(GL_USER_COMMUNITY) | R(GL_USER_TOWNSHIP) | ADMIN},
    {OP(SURVEY_TICKETS), R(GL_USER_COMMUNITY) | R(GL_USER_TOWNSHIP) | ADMIN},
    {OP(SURVEY_TASK), R(GL_USER_COMMUNITY) | R(GL_USER_TOWNSHIP) | ADMIN},
    {OP(SURVEYS), EVERYONE},
    {OP(SURVEY), EVERYONE},
    {OP(FACT_SET), R(GL_USER_COMMUNITY) | R(GL_USER_TOWNSHIP) | ADMIN},
    {OP(FACTS), EVERYONE},
};

bool gl_user_role_may(enum gl_user_role r, gl_op op, bool writes)
{
    if (!gl_user_role_valid((int)r) || (writes && r == GL_USER_MONITOR))
        return false;
    for (size_t i = 0; i < sizeof may / sizeof may[0]; i++)
        if (may[i].op == op)
            return (may[i].roles & R(r)) != 0;
    return false;
}

bool gl_account_in_scope(const gl_account *a, const char *node_id)
{
    return a && node_id && gl_topology_in_subtree(a->scope, node_id);
}

/* ---- what an account may hold ---- */

const char *gl_user_name_problem(const char *name)
{
    if (!name || !*name)
        return "the name is empty";
    size_t n = strnlen(name, GL_USER_NAME_MAX + 1);
    if (n > GL_USER_NAME_MAX)
        return "a name is at most 64 bytes";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return "a name takes only ASCII letters, digits, '.', '_' and '-'";
    }
    return NULL;
}

const char *gl_user_display_problem(const char *display)
{
    if (!display)
        return NULL;
    size_t n = strnlen(display, GL_USER_DISPLAY_MAX + 1);
    if (n > GL_USER_DISPLAY_MAX)
        return "a display name is at most 128 bytes";
    if (!gl_utf8_valid(display, n))
        return "a display name must be UTF-8";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)display[i];
        bool c1 =
            c == 0xC2 && i + 1 < n && (unsigned char)display[i + 1] >= 0x80 && (unsigned char)display[i + 1] <= 0x9F;
        if (c < 0x20 || c == 0x7F || c1)
            return "a display name may not hold control characters";
    }
    return NULL;
}

const char *gl_user_password_problem(const char *password)
{
    if (!password || !*password)
        return "the password is empty";
    size_t n = strnlen(password, GL_USER_PASSWORD_MAX + 1);
    if (n < GL_USER_PASSWORD_MIN)
        return "a password is at least 8 bytes";
    if (n > GL_USER_PASSWORD_MAX)
        return "a password is at most 1024 bytes";
    return NULL;
}

/* ---- the environment ---- */

int users_fail(const gl_users_t *u, const char *what, int rc)
{
    if (rc == MDB_MAP_FULL)
        gl_warn("users: %s is full (%u bytes): %s", u->dir, GL_USERS_MAP_SIZE, what);
    else if (rc != MDB_NOTFOUND && rc != MDB_KEYEXIST)
        gl_warn("users: %s: %s: %s", u->dir, what, mdb_strerror(rc));
    return gl_err_from_mdb(rc);
}

int users_begin(gl_users_t *u, bool write, MDB_txn **txn)
{
    int rc;
    for (int attempt = 0;; attempt++) {
        rc = mdb_txn_begin(u->env, NULL, write ? 0 : MDB_RDONLY, txn);
        if (rc == 0)
            return 0;
        *txn = NULL;
        if (attempt == BEGIN_RETRIES)
            break;
        int dead = 0;
        if (rc == MDB_MAP_RESIZED)
            rc = mdb_env_set_mapsize(u->env, 0); /* another process's larger map: adopt it */
        else if (rc == MDB_READERS_FULL)
            rc = mdb_reader_check(u->env, &dead);
        if (rc)
            break;
    }
    return users_fail(u, "begin transaction", rc);
}

int users_finish(gl_users_t *u, MDB_txn *txn, int rc)
{
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_txn_commit(txn);
    return rc ? users_fail(u, "commit", rc) : 0;
}

static void free_users(gl_users_t *u)
{
    if (!u)
        return;
    if (u->env)
        mdb_env_close(u->env);
    free(u->dir);
    free(u);
}

/* ---- schema versions ----
 *
 * meta "schema" (u64 BE) is the environment's layout version, recorded when
 * it is made. An environment without one is of version 1 (the first
 * layout), and gets it recorded when opened with create. An older version
 * is brought forward by the rows of `migrations` (one per version step) in
 * the open's write transaction; a newer one is refused. */

static const struct {
    uint64_t from; /* the version it applies to; it leaves from + 1 */
    int (*fn)(gl_users_t *u, MDB_txn *txn);
} migrations[] = {
    {0, NULL}, /* none yet: version 1 is the first */
};

static int migrate(gl_users_t *u, MDB_txn *txn, uint64_t from)
{
    for (uint64_t v = from; v < GL_USERS_SCHEMA_VERSION; v++) {
        size_t i = 0;
        while (i < sizeof migrations / sizeof migrations[0] && (migrations[i].from != v || !migrations[i].fn))
            i++;
        if (i == sizeof migrations / sizeof migrations[0]) {
            gl_error("users: %s: no migration from schema %llu", u->dir, (unsigned long long)v);
            return GL_EINVAL;
        }
        int rc = migrations[i].fn(u, txn);
        if (rc)
            return rc;
    }
    if (from < GL_USERS_SCHEMA_VERSION)
        gl_info("users %s: schema %llu migrated to %d", u->dir, (unsigned long long)from, GL_USERS_SCHEMA_VERSION);
    return 0;
}

static int check_schema(gl_users_t *u, MDB_txn *txn, bool create)
{
    MDB_val k = val_of("schema", 6), v;
    int rc = mdb_get(txn, u->meta, &k, &v);
    uint64_t have = 1, recorded = 0;
    if (rc == 0 && (v.mv_size != 8 || gl_be64_get(v.mv_data) == 0)) {
        gl_error("users: %s records a malformed schema version (%zu bytes)", u->dir, v.mv_size);
        return GL_ESTORE;
    }
    if (rc == 0)
        have = recorded = gl_be64_get(v.mv_data);
    else if (rc != MDB_NOTFOUND)
        return users_fail(u, "read the schema", rc);
    if (have > GL_USERS_SCHEMA_VERSION) {
        gl_error("users: %s has schema version %llu, written by a newer gridlink; this binary knows versions up to "
                 "%d: upgrade this binary, or restore a backup taken before the upgrade",
                 u->dir, (unsigned long long)have, GL_USERS_SCHEMA_VERSION);
        return GL_EINVAL;
    }
    if (!create)
        return 0; /* read as it is; the next open with create migrates */
    rc = migrate(u, txn, have);
    if (rc || recorded == GL_USERS_SCHEMA_VERSION)
        return rc;
    uint8_t want[8];
    gl_be64_put(want, GL_USERS_SCHEMA_VERSION);
    v = val_of(want, sizeof want);
    rc = mdb_put(txn, u->meta, &k, &v, 0);
    return rc ? users_fail(u, "record the schema", rc) : 0;
}

static int open_dbs(gl_users_t *u, bool create)
{
    MDB_txn *txn;
    int rc = users_begin(u, create, &txn);
    if (rc)
        return rc;
    struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {{"meta", &u->meta}, {"accounts", &u->accounts}, {"sessions", &u->sessions}, {"failures", &u->failures}};
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0] && !rc; i++) {
        int r = mdb_dbi_open(txn, dbs[i].name, create ? MDB_CREATE : 0, dbs[i].dbi);
        if (r == MDB_NOTFOUND) {
            gl_error("users: %s has no '%s' database: not a users environment", u->dir, dbs[i].name);
            rc = GL_EINVAL;
        } else if (r) {
            rc = users_fail(u, "open a database", r);
        }
    }
    if (!rc)
        rc = check_schema(u, txn, create);
    /* Committing, even a read transaction, keeps the handles for later ones. */
    return users_finish(u, txn, rc);
}

int gl_users_open(const char *home, bool create, gl_users_t **out)
{
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (!home || !*home)
        return GL_EINVAL;
    if (sodium_init() < 0)
        return GL_EIO;
    char dir[PATH_MAX], data[PATH_MAX];
    if (gl_home_path(dir, sizeof dir, home, "users") || gl_home_path(data, sizeof data, home, "users/data.mdb"))
        return GL_EINVAL;
    struct stat st;
    if (stat(data, &st) != 0) {
        if (errno != ENOENT)
            return gl_err_from_errno(errno);
        if (!create)
            return GL_ENOENT;
        int rc = gl_mkdir_p(dir);
        if (rc) {
            gl_error("users: cannot create %s: %s", dir, gl_strerror(rc));
            return rc;
        }
    }
    gl_users_t *u = calloc(1, sizeof *u);
    if (!u || !(u->dir = strdup(dir))) {
        free(u);
        return GL_ENOMEM;
    }
    int rc = mdb_env_create(&u->env);
    if (rc) {
        u->env = NULL;
        rc = users_fail(u, "create the environment", rc);
    }
    if (!rc && (rc = mdb_env_set_maxdbs(u->env, 5)) != 0)
        rc = users_fail(u, "set maxdbs", rc);
    if (!rc && (rc = mdb_env_set_mapsize(u->env, GL_USERS_MAP_SIZE)) != 0)
        rc = users_fail(u, "set the map size", rc);
    if (!rc && (rc = mdb_env_open(u->env, dir, MDB_NOTLS, 0600)) != 0) {
        gl_error("users: cannot open %s: %s", dir, mdb_strerror(rc));
        rc = gl_err_from_mdb(rc);
    }
    int dead = 0;
    if (!rc)
        mdb_reader_check(u->env, &dead); /* slots left by a process killed mid-read */
    if (!rc)
        rc = open_dbs(u, create);
    if (rc) {
        free_users(u);
        return rc;
    }
    *out = u;
    return 0;
}

void gl_users_close(gl_users_t **u)
{
    if (!u || !*u)
        return;
    free_users(*u);
    *u = NULL;
}

/* ---- account records ---- */

static size_t put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = (uint8_t)(n >> 8);
    p[1] = (uint8_t)n;
    memcpy(p + 2, s, n);
    return n + 2;
}

static bool get_str(const uint8_t **p, const uint8_t *end, char *dst, size_t cap)
{
    if (end - *p < 2)
        return false;
    size_t n = (size_t)(*p)[0] << 8 | (*p)[1];
    *p += 2;
    if (n >= cap || (size_t)(end - *p) < n || memchr(*p, 0, n))
        return false;
    memcpy(dst, *p, n);
    dst[n] = 0;
    *p += n;
    return true;
}

static size_t encode(const struct users_record *r, uint8_t buf[REC_MAX])
{
    uint8_t *p = buf;
    *p++ = REC_VERSION;
    *p++ = (uint8_t)r->a.role;
    *p++ = r->a.disabled ? FLAG_DISABLED : 0;
    gl_be64_put(p, (uint64_t)r->a.created_ms);
    p += 8;
    p += put_str(p, r->a.scope);
    p += put_str(p, r->a.display);
    p += put_str(p, r->hash);
    return (size_t)(p - buf);
}

static int decode(const MDB_val *k, const MDB_val *v, struct users_record *r)
{
    memset(r, 0, sizeof *r);
    const uint8_t *p = v->mv_data, *end = p + v->mv_size;
    bool ok = k->mv_size >= 1 && k->mv_size <= GL_USER_NAME_MAX && v->mv_size >= REC_HEAD && p[0] == REC_VERSION &&
              gl_user_role_valid(p[1]) && (p[2] & ~FLAG_DISABLED) == 0;
    if (ok) {
        memcpy(r->a.name, k->mv_data, k->mv_size);
        r->a.role = (enum gl_user_role)p[1];
        r->a.disabled = p[2] & FLAG_DISABLED;
        r->a.created_ms = (int64_t)gl_be64_get(p + 3);
        p += REC_HEAD;
        ok = !gl_user_name_problem(r->a.name) && get_str(&p, end, r->a.scope, sizeof r->a.scope) &&
             gl_node_id_valid(r->a.scope) && get_str(&p, end, r->a.display, sizeof r->a.display) &&
             get_str(&p, end, r->hash, sizeof r->hash) && r->hash[0] && p == end;
    }
    if (!ok) {
        gl_error("users: an account record (%zu-byte key, %zu-byte value) is malformed", k->mv_size, v->mv_size);
        return GL_ESTORE;
    }
    return 0;
}

int users_load(gl_users_t *u, MDB_txn *txn, const char *name, struct users_record *r)
{
    MDB_val k = val_of(name, strlen(name)), v;
    int rc = mdb_get(txn, u->accounts, &k, &v);
    return rc ? users_fail(u, "read an account", rc) : decode(&k, &v, r);
}

int users_save(gl_users_t *u, MDB_txn *txn, const struct users_record *r, unsigned flags)
{
    uint8_t buf[REC_MAX];
    MDB_val k = val_of(r->a.name, strlen(r->a.name)), v = val_of(buf, encode(r, buf));
    int rc = mdb_put(txn, u->accounts, &k, &v, flags);
    return rc ? users_fail(u, "write an account", rc) : 0;
}

int users_hash_password(const char *password, char hash[HASH_CAP])
{
    if (crypto_pwhash_str(hash, password, strlen(password), OPSLIMIT, MEMLIMIT) != 0) {
        gl_error("users: cannot hash a password (out of memory?)");
        return GL_ENOMEM;
    }
    return 0;
}

/* ---- accounts ---- */

int gl_users_add(gl_users_t *u, const char *name, enum gl_user_role role, const char *scope, const char *display,
                 const char *password)
{
    if (!u || gl_user_name_problem(name) || !gl_user_role_valid((int)role) || !gl_node_id_valid(scope) ||
        gl_user_display_problem(display) || gl_user_password_problem(password))
        return GL_EINVAL;
    struct users_record r = {.a = {.role = role, .created_ms = gl_now_ms()}};
    snprintf(r.a.name, sizeof r.a.name, "%s", name);
    snprintf(r.a.scope, sizeof r.a.scope, "%s", scope);
    snprintf(r.a.display, sizeof r.a.display, "%s", display ? display : "");
    int rc = users_hash_password(password, r.hash);
    MDB_txn *txn;
    if (!rc)
        rc = users_begin(u, true, &txn);
    if (rc)
        return rc;
    rc = users_save(u, txn, &r, MDB_NOOVERWRITE);
    if (!rc)
        rc = users_failures_clear(u, txn, name);
    rc = users_finish(u, txn, rc);
    if (!rc)
        gl_info("users: account %s added (%s, scope %s)", name, gl_user_role_name(role), scope);
    return rc;
}

int gl_users_passwd(gl_users_t *u, const char *name, const char *password)
{
    if (!u || gl_user_name_problem(name) || gl_user_password_problem(password))
        return GL_EINVAL;
    char hash[HASH_CAP];
    int rc = users_hash_password(password, hash);
    MDB_txn *txn;
    if (!rc)
        rc = users_begin(u, true, &txn);
    if (rc)
        return rc;
    struct users_record r;
    rc = users_load(u, txn, name, &r);
    if (!rc) {
        memcpy(r.hash, hash, sizeof hash);
        rc = users_save(u, txn, &r, 0);
    }
    if (!rc)
        rc = users_sessions_end(u, txn, name);
    if (!rc)
        rc = users_failures_clear(u, txn, name);
    rc = users_finish(u, txn, rc);
    if (!rc)
        gl_info("users: password of %s changed; its sessions ended", name);
    return rc;
}

static int set_disabled(gl_users_t *u, const char *name, bool disabled)
{
    if (!u || gl_user_name_problem(name))
        return GL_EINVAL;
    MDB_txn *txn;
    int rc = users_begin(u, true, &txn);
    if (rc)
        return rc;
    struct users_record r;
    rc = users_load(u, txn, name, &r);
    bool change = !rc && r.a.disabled != disabled;
    if (change) {
        r.a.disabled = disabled;
        rc = users_save(u, txn, &r, 0);
    }
    if (!rc && disabled)
        rc = users_sessions_end(u, txn, name);
    rc = users_finish(u, txn, rc);
    if (!rc && change)
        gl_info("users: account %s %s", name, disabled ? "disabled; its sessions ended" : "enabled");
    return rc;
}

int gl_users_disable(gl_users_t *u, const char *name)
{
    return set_disabled(u, name, true);
}

int gl_users_enable(gl_users_t *u, const char *name)
{
    return set_disabled(u, name, false);
}

int gl_users_get(gl_users_t *u, const char *name, gl_account *out)
{
    if (!u || !out || gl_user_name_problem(name))
        return GL_EINVAL;
    MDB_txn *txn;
    int rc = users_begin(u, false, &txn);
    if (rc)
        return rc;
    struct users_record r;
    rc = users_load(u, txn, name, &r);
    mdb_txn_abort(txn);
    if (!rc)
        *out = r.a;
    return rc;
}

int gl_users_list(gl_users_t *u, int (*fn)(const gl_account *a, void *arg), void *arg)
{
    if (!u || !fn)
        return GL_EINVAL;
    MDB_txn *txn;
    int rc = users_begin(u, false, &txn);
    if (rc)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, u->accounts, &cur);
    if (rc) {
        mdb_txn_abort(txn);
        return users_fail(u, "open the accounts", rc);
    }
    MDB_val k, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && ret == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct users_record r;
        ret = decode(&k, &v, &r);
        if (!ret)
            ret = fn(&r.a, arg);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (ret)
        return ret;
    return rc == MDB_NOTFOUND ? 0 : users_fail(u, "walk the accounts", rc);
}
