/* test_users.c: unit tests for the accounts (common/users.c and
 * users_sessions.c) against a real HOME/users/ environment.
 *
 * Every test gets a fresh mkdtemp home (removed afterwards). Times are fixed
 * numbers of ms, never the clock: the lockout and the expiry are tested by
 * passing a later now_ms. Tests that write records by hand open the
 * environment with LMDB directly, after closing the gl_users_t (LMDB does
 * not allow one process two handles on one environment). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "log.h"
#include "users.h"

#define T0   1700000000000LL /* a fixed now */
#define MIN  60000LL
#define HOUR (60 * MIN)

struct fx {
    char home[1024];
    gl_users_t *u;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->home, sizeof f->home, "%s/gl-users-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->home));
    assert_int_equal(gl_users_open(f->home, true, &f->u), 0);
    assert_non_null(f->u);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    gl_users_close(&f->u);
    nftw(f->home, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void reopen(struct fx *f)
{
    gl_users_close(&f->u);
    assert_null(f->u);
    assert_int_equal(gl_users_open(f->home, false, &f->u), 0);
}

static void add_ok(struct fx *f, const char *name, enum gl_user_role role, const char *scope, const char *password)
{
    assert_int_equal(gl_users_add(f->u, name, role, scope, NULL, password), 0);
}

static void login_ok(struct fx *f, const char *name, const char *password, int64_t now, char token[GL_USERS_TOKEN_SIZE])
{
    int64_t expires = 0;
    assert_int_equal(gl_users_login(f->u, name, password, now, HOUR, token, &expires), 0);
    assert_int_equal(strlen(token), GL_USERS_TOKEN_SIZE - 1);
    assert_true(expires == now + HOUR);
}

static int login(struct fx *f, const char *name, const char *password, int64_t now)
{
    char token[GL_USERS_TOKEN_SIZE];
    int64_t expires = 0;
    int rc = gl_users_login(f->u, name, password, now, HOUR, token, &expires);
    if (rc)
        assert_string_equal(token, "");
    return rc;
}

static int check(struct fx *f, const char *token, int64_t now)
{
    gl_account a;
    return gl_users_check_token(f->u, token, now, &a);
}

/* ---- the pure parts ---- */

static void test_roles(void **state)
{
    (void)state;
    static const char *const names[] = {"grid", "community", "township", "department", "monitor", "admin"};
    static const char *const labels[] = {"网格员",       "社区工作人员", "街道工作人员",
                                         "部门工作人员", "区指挥中心",   "管理员"};
    for (int i = 0; i < 6; i++) {
        enum gl_user_role r = 0;
        assert_true(gl_user_role_from(names[i], &r));
        assert_int_equal(r, GL_USER_GRID + i);
        assert_string_equal(gl_user_role_name(r), names[i]);
        assert_string_equal(gl_user_role_label(r), labels[i]);
        assert_non_null(strstr(gl_user_role_list(), names[i]));
    }
    enum gl_user_role r = GL_USER_ADMIN;
    assert_false(gl_user_role_from("boss", &r));
    assert_false(gl_user_role_from("", &r));
    assert_false(gl_user_role_from(NULL, &r));
    assert_false(gl_user_role_from("Grid", &r));
    assert_int_equal(r, GL_USER_ADMIN);
    assert_false(gl_user_role_valid(0));
    assert_false(gl_user_role_valid(7));
    assert_string_equal(gl_user_role_name((enum gl_user_role)0), "unknown");
    assert_string_equal(gl_user_role_label((enum gl_user_role)99), "unknown");
}

#define OP(name) GRIDLINK__V1__OP__OP_##name

static void test_role_table(void **state)
{
    (void)state;
    /* Grid staff: report, work and read; not dispatch, whistle or take requests. */
    assert_true(gl_user_role_may(GL_USER_GRID, OP(SUBMIT), true));
    assert_true(gl_user_role_may(GL_USER_GRID, OP(ACT), true));
    assert_true(gl_user_role_may(GL_USER_GRID, OP(RATE), true));
    assert_true(gl_user_role_may(GL_USER_GRID, OP(LIST), false));
    assert_true(gl_user_role_may(GL_USER_GRID, OP(PING), false));
    assert_false(gl_user_role_may(GL_USER_GRID, OP(DISPATCH), true));
    assert_false(gl_user_role_may(GL_USER_GRID, OP(WHISTLE), true));
    assert_false(gl_user_role_may(GL_USER_GRID, OP(REQUEST), true));
    assert_false(gl_user_role_may(GL_USER_GRID, OP(LOG), false));
    assert_false(gl_user_role_may(GL_USER_GRID, OP(DEAD_RETRY), true));
    /* Officers take requests; only the township dispatches and whistles. */
    for (enum gl_user_role r = GL_USER_COMMUNITY; r <= GL_USER_DEPARTMENT; r++) {
        assert_true(gl_user_role_may(r, OP(REQUEST), true));
        assert_true(gl_user_role_may(r, OP(ACT), true));
        assert_true(gl_user_role_may(r, OP(SUBMIT), true));
        assert_true(gl_user_role_may(r, OP(SHOW), false));
        assert_int_equal(gl_user_role_may(r, OP(DISPATCH), true), r == GL_USER_TOWNSHIP);
        assert_int_equal(gl_user_role_may(r, OP(WHISTLE), true), r == GL_USER_TOWNSHIP);
        assert_false(gl_user_role_may(r, OP(CENSUS), false));
        assert_false(gl_user_role_may(r, OP(DEAD_LETTERS), false));
    }
    /* The monitor reads, and never writes. */
    assert_true(gl_user_role_may(GL_USER_MONITOR, OP(LIST), false));
    assert_true(gl_user_role_may(GL_USER_MONITOR, OP(SHOW), false));
    assert_true(gl_user_role_may(GL_USER_MONITOR, OP(HEALTH), false));
    assert_true(gl_user_role_may(GL_USER_MONITOR, OP(LOG), false));
    assert_true(gl_user_role_may(GL_USER_MONITOR, OP(CENSUS), false));
    assert_false(gl_user_role_may(GL_USER_MONITOR, OP(ACT), true));
    assert_false(gl_user_role_may(GL_USER_MONITOR, OP(SUBMIT), true));
    assert_false(gl_user_role_may(GL_USER_MONITOR, OP(LIST), true)); /* a read said to write: refused */
    assert_false(gl_user_role_may(GL_USER_MONITOR, OP(DEAD_LETTERS), false));
    /* The administrator may do everything. */
    for (int op = OP(SUBMIT); op <= OP(WHISTLE); op++)
        assert_true(gl_user_role_may(GL_USER_ADMIN, (gl_op)op, op != OP(SHOW)));
    assert_true(gl_user_role_may(GL_USER_ADMIN, OP(DEAD_RETRY), true));
    assert_true(gl_user_role_may(GL_USER_ADMIN, OP(DEAD_DROP), true));
    /* Nothing for an unknown op or role. */
    assert_false(gl_user_role_may(GL_USER_ADMIN, OP(UNKNOWN), false));
    assert_false(gl_user_role_may(GL_USER_ADMIN, (gl_op)999, false));
    assert_false(gl_user_role_may((enum gl_user_role)0, OP(PING), false));
    assert_false(gl_user_role_may((enum gl_user_role)7, OP(PING), false));
}

static void test_scope(void **state)
{
    (void)state;
    gl_account a = {.role = GL_USER_COMMUNITY};
    snprintf(a.scope, sizeof a.scope, "xinbei.sanjing.c01");
    assert_true(gl_account_in_scope(&a, "xinbei.sanjing.c01"));
    assert_true(gl_account_in_scope(&a, "xinbei.sanjing.c01.g1"));
    assert_false(gl_account_in_scope(&a, "xinbei.sanjing.c011"));
    assert_false(gl_account_in_scope(&a, "xinbei.sanjing"));
    assert_false(gl_account_in_scope(&a, "xinbei"));
    assert_false(gl_account_in_scope(&a, ""));
    assert_false(gl_account_in_scope(&a, NULL));
    assert_false(gl_account_in_scope(NULL, "xinbei"));
}

/* ---- accounts ---- */

struct seen {
    char names[8][GL_USER_NAME_MAX + 1];
    size_t n;
};

static int collect(const gl_account *a, void *arg)
{
    struct seen *s = arg;
    if (s->n < 8)
        snprintf(s->names[s->n++], sizeof s->names[0], "%s", a->name);
    return 0;
}

static int stop_at_second(const gl_account *a, void *arg)
{
    (void)a;
    return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_add_get_list(void **state)
{
    struct fx *f = *state;
    assert_int_equal(gl_users_add(f->u, "wang.li", GL_USER_GRID, "xinbei.sanjing.c01.g1", "王丽", "correct horse"), 0);
    add_ok(f, "chen", GL_USER_TOWNSHIP, "xinbei.sanjing", "battery staple");
    add_ok(f, "Admin_1", GL_USER_ADMIN, "xinbei", "12345678");
    assert_int_equal(gl_users_add(f->u, "chen", GL_USER_GRID, "xinbei", NULL, "other password"), GL_EEXIST);

    gl_account a;
    assert_int_equal(gl_users_get(f->u, "wang.li", &a), 0);
    assert_string_equal(a.name, "wang.li");
    assert_int_equal(a.role, GL_USER_GRID);
    assert_string_equal(a.scope, "xinbei.sanjing.c01.g1");
    assert_string_equal(a.display, "王丽");
    assert_false(a.disabled);
    assert_true(a.created_ms > T0 - 365 * 24 * HOUR);
    assert_int_equal(gl_users_get(f->u, "chen", &a), 0);
    assert_string_equal(a.display, "");
    assert_int_equal(a.role, GL_USER_TOWNSHIP);
    assert_int_equal(gl_users_get(f->u, "nobody", &a), GL_ENOENT);
    assert_int_equal(gl_users_get(f->u, "bad name", &a), GL_EINVAL);

    reopen(f);
    struct seen s = {0};
    assert_int_equal(gl_users_list(f->u, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "Admin_1"); /* byte order */
    assert_string_equal(s.names[1], "chen");
    assert_string_equal(s.names[2], "wang.li");
    int calls = 0;
    assert_int_equal(gl_users_list(f->u, stop_at_second, &calls), 42);
    assert_int_equal(calls, 2);
    assert_int_equal(gl_users_list(f->u, NULL, NULL), GL_EINVAL);
}

static void test_open(void **state)
{
    struct fx *f = *state;
    char other[1100];
    snprintf(other, sizeof other, "%s/elsewhere", f->home);
    gl_users_t *u = (gl_users_t *)1;
    assert_int_equal(gl_users_open(other, false, &u), GL_ENOENT);
    assert_null(u);
    assert_int_equal(gl_users_open("", true, &u), GL_EINVAL);
    assert_int_equal(gl_users_open(NULL, true, &u), GL_EINVAL);
    assert_int_equal(gl_users_open(f->home, true, NULL), GL_EINVAL);
    gl_users_close(NULL);
    gl_users_close(&u);

    /* A newer schema is refused. */
    gl_users_close(&f->u);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/users", f->home);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    uint8_t two[8] = {0, 0, 0, 0, 0, 0, 0, 2};
    MDB_val k = {6, "schema"}, v = {8, two};
    assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(gl_users_open(f->home, false, &f->u), GL_EINVAL);
    assert_int_equal(gl_users_open(f->home, true, &f->u), GL_EINVAL);
    assert_null(f->u);
}

/* meta's schema set to `v`, or removed with v 0, straight through LMDB. */
static void put_schema(struct fx *f, uint64_t v)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/users", f->home);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
    MDB_val k = {6, "schema"}, d = {8, b};
    assert_int_equal(v ? mdb_put(txn, meta, &k, &d, 0) : mdb_del(txn, meta, &k, NULL), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* The version read straight through LMDB: 0 when none is recorded. */
static uint64_t get_schema(struct fx *f)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/users", f->home);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val k = {6, "schema"}, d;
    uint64_t v = 0;
    if (mdb_get(txn, meta, &k, &d) == 0) {
        assert_int_equal(d.mv_size, 8);
        for (int i = 0; i < 8; i++)
            v = (v << 8) | ((const uint8_t *)d.mv_data)[i];
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return v;
}

/* A new environment records version 1; one without a version is of version
 * 1, read as it is without create and given its version with create; a
 * newer version is refused either way, and nothing is written to it. */
static void test_schema(void **state)
{
    struct fx *f = *state;
    add_ok(f, "wang", GL_USER_GRID, "xinbei.sanjing.c01.g1", "correct horse");
    gl_users_close(&f->u);
    assert_int_equal(get_schema(f), GL_USERS_SCHEMA_VERSION);
    assert_int_equal(GL_USERS_SCHEMA_VERSION, 1);

    put_schema(f, 0);
    assert_int_equal(get_schema(f), 0);
    assert_int_equal(gl_users_open(f->home, false, &f->u), 0);
    gl_account a;
    assert_int_equal(gl_users_get(f->u, "wang", &a), 0);
    gl_users_close(&f->u);
    assert_int_equal(get_schema(f), 0);
    assert_int_equal(gl_users_open(f->home, true, &f->u), 0);
    assert_int_equal(gl_users_get(f->u, "wang", &a), 0);
    gl_users_close(&f->u);
    assert_int_equal(get_schema(f), 1);

    put_schema(f, 7);
    assert_int_equal(gl_users_open(f->home, true, &f->u), GL_EINVAL);
    assert_null(f->u);
    assert_int_equal(gl_users_open(f->home, false, &f->u), GL_EINVAL);
    assert_int_equal(get_schema(f), 7);
}

static void test_bad_fields(void **state)
{
    struct fx *f = *state;
    char long_name[GL_USER_NAME_MAX + 2], max_name[GL_USER_NAME_MAX + 1];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    memset(max_name, 'b', sizeof max_name - 1);
    max_name[sizeof max_name - 1] = 0;
    const char *bad_names[] = {NULL, "", long_name, "a b", "名字", "a/b", "a:b", "tab\t", "x\n"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        assert_non_null(gl_user_name_problem(bad_names[i]));
        assert_int_equal(gl_users_add(f->u, bad_names[i], GL_USER_GRID, "xinbei", NULL, "password1"), GL_EINVAL);
    }
    assert_null(gl_user_name_problem(max_name));
    assert_null(gl_user_name_problem("A-z_0.9"));

    assert_int_equal(gl_users_add(f->u, "x", (enum gl_user_role)0, "xinbei", NULL, "password1"), GL_EINVAL);
    assert_int_equal(gl_users_add(f->u, "x", (enum gl_user_role)7, "xinbei", NULL, "password1"), GL_EINVAL);

    const char *bad_scopes[] = {NULL, "", "Xinbei", "xinbei..c01", ".xinbei", "xinbei.", "xin bei"};
    for (size_t i = 0; i < sizeof bad_scopes / sizeof bad_scopes[0]; i++)
        assert_int_equal(gl_users_add(f->u, "x", GL_USER_GRID, bad_scopes[i], NULL, "password1"), GL_EINVAL);

    char long_display[GL_USER_DISPLAY_MAX + 2];
    memset(long_display, 'd', sizeof long_display - 1);
    long_display[sizeof long_display - 1] = 0;
    const char *bad_displays[] = {long_display, "\xff\xfe", "bad\x01", "tab\there", "\xe7\x8e", "c1\xc2\x85"};
    for (size_t i = 0; i < sizeof bad_displays / sizeof bad_displays[0]; i++) {
        assert_non_null(gl_user_display_problem(bad_displays[i]));
        assert_int_equal(gl_users_add(f->u, "x", GL_USER_GRID, "xinbei", bad_displays[i], "password1"), GL_EINVAL);
    }
    assert_null(gl_user_display_problem(NULL));
    assert_null(gl_user_display_problem(""));
    assert_null(gl_user_display_problem("三井街道 王丽"));

    char long_pw[GL_USER_PASSWORD_MAX + 2], max_pw[GL_USER_PASSWORD_MAX + 1];
    memset(long_pw, 'p', sizeof long_pw - 1);
    long_pw[sizeof long_pw - 1] = 0;
    memset(max_pw, 'q', sizeof max_pw - 1);
    max_pw[sizeof max_pw - 1] = 0;
    const char *bad_pws[] = {NULL, "", "1234567", long_pw};
    for (size_t i = 0; i < sizeof bad_pws / sizeof bad_pws[0]; i++) {
        assert_non_null(gl_user_password_problem(bad_pws[i]));
        assert_int_equal(gl_users_add(f->u, "x", GL_USER_GRID, "xinbei", NULL, bad_pws[i]), GL_EINVAL);
    }
    gl_account a;
    assert_int_equal(gl_users_get(f->u, "x", &a), GL_ENOENT);
    add_ok(f, "eight", GL_USER_GRID, "xinbei", "12345678");
    add_ok(f, max_name, GL_USER_GRID, "xinbei", max_pw);
    assert_int_equal(login(f, max_name, max_pw, T0), 0);
    assert_int_equal(gl_users_add(NULL, "y", GL_USER_GRID, "xinbei", NULL, "password1"), GL_EINVAL);

    /* Login's own arguments. */
    char token[GL_USERS_TOKEN_SIZE];
    int64_t exp;
    assert_int_equal(gl_users_login(f->u, "eight", "12345678", T0, 0, token, &exp), GL_EINVAL);
    assert_int_equal(gl_users_login(f->u, "eight", "12345678", T0, GL_USERS_TTL_MAX_MS + 1, token, &exp), GL_EINVAL);
    assert_int_equal(gl_users_login(f->u, "eight", "12345678", -1, HOUR, token, &exp), GL_EINVAL);
    assert_int_equal(gl_users_login(f->u, "eight", "12345678", INT64_MAX - 5, HOUR, token, &exp), GL_EINVAL);
    assert_int_equal(gl_users_login(f->u, "eight", "12345678", T0, HOUR, NULL, &exp), GL_EINVAL);
    assert_int_equal(gl_users_login(f->u, "eight", "12345678", T0, HOUR, token, NULL), GL_EINVAL);
    assert_string_equal(token, "");
    assert_int_equal(gl_users_login(f->u, "eight", "short", T0, HOUR, token, &exp), GL_EINVAL);
}

/* ---- sessions ---- */

static void test_login_check(void **state)
{
    struct fx *f = *state;
    assert_int_equal(gl_users_add(f->u, "li", GL_USER_COMMUNITY, "xinbei.sanjing.c01", "李明", "correct horse"), 0);
    char token[GL_USERS_TOKEN_SIZE], second[GL_USERS_TOKEN_SIZE];
    login_ok(f, "li", "correct horse", T0, token);
    login_ok(f, "li", "correct horse", T0, second);
    assert_string_not_equal(token, second);
    for (const char *p = token; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                    *p == '_');

    gl_account a;
    memset(&a, 0, sizeof a);
    assert_int_equal(gl_users_check_token(f->u, token, T0 + 1, &a), 0);
    assert_string_equal(a.name, "li");
    assert_int_equal(a.role, GL_USER_COMMUNITY);
    assert_string_equal(a.scope, "xinbei.sanjing.c01");
    assert_string_equal(a.display, "李明");
    assert_true(gl_account_in_scope(&a, "xinbei.sanjing.c01.g2"));
    assert_int_equal(check(f, second, T0 + 1), 0);
    reopen(f);
    assert_int_equal(check(f, token, T0 + 2), 0);

    /* Not tokens, and tokens no session has. */
    assert_int_equal(check(f, "", T0), GL_EINVAL);
    assert_int_equal(check(f, NULL, T0), GL_EINVAL);
    assert_int_equal(check(f, "short", T0), GL_EINVAL);
    char bad[GL_USERS_TOKEN_SIZE + 1];
    snprintf(bad, sizeof bad, "%s=", token);
    assert_int_equal(check(f, bad, T0), GL_EINVAL);
    snprintf(bad, sizeof bad, "%s", token);
    bad[5] = '+'; /* standard base64, not base64url */
    assert_int_equal(check(f, bad, T0), GL_EINVAL);
    snprintf(bad, sizeof bad, "%s", token);
    bad[0] = bad[0] == 'A' ? 'B' : 'A';
    assert_int_equal(check(f, bad, T0), GL_ENOENT);
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(bad, sizeof bad, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(check(f, bad, T0), GL_ENOENT);

    /* Wrong passwords and unknown names get one answer. */
    assert_int_equal(login(f, "li", "wrong horse", T0), GL_EPERM);
    assert_int_equal(login(f, "li", "Correct horse", T0), GL_EPERM);
    assert_int_equal(login(f, "nobody", "correct horse", T0), GL_EPERM);
    assert_int_equal(check(f, token, T0 + 3), 0);
}

static void test_rate_limit(void **state)
{
    struct fx *f = *state;
    add_ok(f, "zhao", GL_USER_GRID, "xinbei.sanjing.c01.g1", "right password");
    /* Four failures, then the right password: it works and clears the count. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(login(f, "zhao", "wrong password", T0 + i * MIN), GL_EPERM);
    assert_int_equal(login(f, "zhao", "right password", T0 + 4 * MIN), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(login(f, "zhao", "wrong password", T0 + 5 * MIN), GL_EPERM);
    assert_int_equal(login(f, "zhao", "right password", T0 + 5 * MIN), 0);

    /* Failures more than the window apart do not add up. */
    int64_t t = T0 + HOUR;
    for (int i = 0; i < 4; i++)
        assert_int_equal(login(f, "zhao", "wrong password", t + i * MIN), GL_EPERM);
    t += 16 * MIN;
    for (int i = 0; i < 4; i++)
        assert_int_equal(login(f, "zhao", "wrong password", t + i * MIN), GL_EPERM);
    assert_int_equal(login(f, "zhao", "right password", t + 4 * MIN), 0);

    /* Five within the window: the account is locked for 15 minutes, even
     * with the right password, and the count survives a reopen. */
    t = T0 + 3 * HOUR;
    for (int i = 0; i < GL_USERS_MAX_FAILURES; i++)
        assert_int_equal(login(f, "zhao", "wrong password", t + i * MIN), GL_EPERM);
    int64_t locked_at = t + (GL_USERS_MAX_FAILURES - 1) * MIN;
    assert_int_equal(login(f, "zhao", "right password", locked_at), GL_EAGAIN);
    reopen(f);
    assert_int_equal(login(f, "zhao", "right password", locked_at + 10 * MIN), GL_EAGAIN);
    assert_int_equal(login(f, "zhao", "wrong password", locked_at + 10 * MIN), GL_EAGAIN);
    assert_int_equal(login(f, "zhao", "right password", locked_at + GL_USERS_LOCKOUT_MS - 1), GL_EAGAIN);
    assert_int_equal(login(f, "zhao", "right password", locked_at + GL_USERS_LOCKOUT_MS), 0);

    /* Another account is not touched by it; an unknown name never locks. */
    add_ok(f, "qian", GL_USER_GRID, "xinbei.sanjing.c01.g2", "qian password");
    for (int i = 0; i < GL_USERS_MAX_FAILURES; i++)
        assert_int_equal(login(f, "zhao", "wrong password", T0 + 5 * HOUR), GL_EPERM);
    assert_int_equal(login(f, "zhao", "right password", T0 + 5 * HOUR), GL_EAGAIN);
    assert_int_equal(login(f, "qian", "qian password", T0 + 5 * HOUR), 0);
    for (int i = 0; i < GL_USERS_MAX_FAILURES + 1; i++)
        assert_int_equal(login(f, "ghost", "wrong password", T0 + 5 * HOUR), GL_EPERM);

    /* A new password clears the lock. */
    assert_int_equal(gl_users_passwd(f->u, "zhao", "a new password"), 0);
    assert_int_equal(login(f, "zhao", "a new password", T0 + 5 * HOUR), 0);
}

static void test_disable(void **state)
{
    struct fx *f = *state;
    add_ok(f, "sun", GL_USER_DEPARTMENT, "xinbei.urban", "sun password");
    char token[GL_USERS_TOKEN_SIZE];
    login_ok(f, "sun", "sun password", T0, token);
    assert_int_equal(check(f, token, T0 + 1), 0);

    assert_int_equal(gl_users_disable(f->u, "sun"), 0);
    assert_int_equal(gl_users_disable(f->u, "sun"), 0);
    gl_account a;
    assert_int_equal(gl_users_get(f->u, "sun", &a), 0);
    assert_true(a.disabled);
    assert_int_equal(check(f, token, T0 + 2), GL_ENOENT);
    assert_int_equal(login(f, "sun", "sun password", T0 + 3), GL_EPERM);

    assert_int_equal(gl_users_enable(f->u, "sun"), 0);
    assert_int_equal(gl_users_get(f->u, "sun", &a), 0);
    assert_false(a.disabled);
    assert_int_equal(check(f, token, T0 + 4), GL_ENOENT); /* enabling brings no old session back */
    char again[GL_USERS_TOKEN_SIZE];
    login_ok(f, "sun", "sun password", T0 + 5, again);
    assert_int_equal(check(f, again, T0 + 6), 0);

    assert_int_equal(gl_users_disable(f->u, "nobody"), GL_ENOENT);
    assert_int_equal(gl_users_enable(f->u, "nobody"), GL_ENOENT);
    assert_int_equal(gl_users_disable(f->u, ""), GL_EINVAL);
}

/* API keys: one per client, checked by hash, good until disabled; a door
 * that opened the environment before the first key finds it. */
static int count_keys(const gl_apikey *k, void *arg)
{
    (void)k;
    ++*(int *)arg;
    return 0;
}

static void test_apikeys(void **state)
{
    struct fx *f = *state;
    gl_users_t *door = NULL;
    assert_int_equal(gl_users_open(f->home, false, &door), 0);
    gl_apikey k;
    assert_int_equal(gl_apikey_check(door, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &k), GL_ENOENT);
    int n = 0;
    assert_int_equal(gl_apikey_list(door, count_keys, &n), 0);
    assert_int_equal(n, 0);
    char key[GL_USERS_TOKEN_SIZE], other[GL_USERS_TOKEN_SIZE];
    assert_int_equal(gl_apikey_add(f->u, "hotline-app", T0, key), 0);
    assert_int_equal(strlen(key), GL_USERS_TOKEN_SIZE - 1);
    assert_int_equal(gl_apikey_add(f->u, "hotline-app", T0, other), GL_EEXIST);
    assert_int_equal(gl_apikey_add(f->u, "bad name", T0, other), GL_EINVAL);
    assert_int_equal(gl_apikey_add(f->u, "wechat", T0 + 1, other), 0);
    assert_string_not_equal(key, other);
    assert_int_equal(gl_apikey_check(door, key, &k), 0);
    assert_string_equal(k.name, "hotline-app");
    assert_int_equal(k.created_ms, T0);
    assert_int_equal(gl_apikey_check(door, "not a key", &k), GL_EINVAL);
    char wrong[GL_USERS_TOKEN_SIZE];
    memcpy(wrong, key, sizeof wrong);
    wrong[5] = wrong[5] == 'A' ? 'B' : 'A';
    assert_int_equal(gl_apikey_check(door, wrong, &k), GL_ENOENT);
    assert_int_equal(gl_apikey_list(door, count_keys, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(gl_apikey_disable(f->u, "hotline-app"), 0);
    assert_int_equal(gl_apikey_disable(f->u, "hotline-app"), 0);
    assert_int_equal(gl_apikey_disable(f->u, "nobody"), GL_ENOENT);
    assert_int_equal(gl_apikey_check(door, key, &k), GL_EPERM);
    assert_int_equal(gl_apikey_check(door, other, &k), 0);
    gl_users_close(&door);
}

static void test_expiry(void **state)
{
    struct fx *f = *state;
    add_ok(f, "zhou", GL_USER_GRID, "xinbei.sanjing.c01.g1", "zhou password");
    char token[GL_USERS_TOKEN_SIZE];
    int64_t expires = 0;
    assert_int_equal(gl_users_login(f->u, "zhou", "zhou password", T0, MIN, token, &expires), 0);
    assert_true(expires == T0 + MIN);
    assert_int_equal(check(f, token, expires - 1), 0);
    assert_int_equal(check(f, token, expires), GL_ENOENT);
    assert_int_equal(check(f, token, T0), GL_ENOENT); /* removed when it was seen expired */

    /* A login sweeps the sessions that expired, whoever's they were. */
    add_ok(f, "wu", GL_USER_GRID, "xinbei.sanjing.c01.g2", "wu password");
    char early[GL_USERS_TOKEN_SIZE];
    assert_int_equal(gl_users_login(f->u, "wu", "wu password", T0, MIN, early, &expires), 0);
    assert_int_equal(gl_users_login(f->u, "zhou", "zhou password", T0 + 2 * MIN, HOUR, token, &expires), 0);
    assert_int_equal(check(f, early, T0 + 1), GL_ENOENT);
    assert_int_equal(check(f, token, T0 + 3 * MIN), 0);
}

static void test_logout(void **state)
{
    struct fx *f = *state;
    add_ok(f, "zheng", GL_USER_MONITOR, "xinbei", "zheng password");
    char token[GL_USERS_TOKEN_SIZE], other[GL_USERS_TOKEN_SIZE];
    login_ok(f, "zheng", "zheng password", T0, token);
    login_ok(f, "zheng", "zheng password", T0, other);
    assert_int_equal(gl_users_logout(f->u, token), 0);
    assert_int_equal(check(f, token, T0 + 1), GL_ENOENT);
    assert_int_equal(gl_users_logout(f->u, token), GL_ENOENT);
    assert_int_equal(check(f, other, T0 + 1), 0); /* only that session ended */
    assert_int_equal(gl_users_logout(f->u, "not a token"), GL_EINVAL);
    assert_int_equal(gl_users_logout(f->u, NULL), GL_EINVAL);
}

static void test_passwd(void **state)
{
    struct fx *f = *state;
    add_ok(f, "feng", GL_USER_TOWNSHIP, "xinbei.sanjing", "old password");
    char token[GL_USERS_TOKEN_SIZE];
    login_ok(f, "feng", "old password", T0, token);
    assert_int_equal(gl_users_passwd(f->u, "feng", "new password"), 0);
    assert_int_equal(check(f, token, T0 + 1), GL_ENOENT);
    assert_int_equal(login(f, "feng", "old password", T0 + 2), GL_EPERM);
    login_ok(f, "feng", "new password", T0 + 3, token);
    assert_int_equal(check(f, token, T0 + 4), 0);
    assert_int_equal(gl_users_passwd(f->u, "nobody", "new password"), GL_ENOENT);
    assert_int_equal(gl_users_passwd(f->u, "feng", "short"), GL_EINVAL);
    assert_int_equal(gl_users_passwd(f->u, "feng", ""), GL_EINVAL);
    assert_int_equal(login(f, "feng", "new password", T0 + 5), 0);
}

static void test_session_cap(void **state)
{
    struct fx *f = *state;
    add_ok(f, "chu", GL_USER_GRID, "xinbei.sanjing.c01.g1", "chu password");
    char tokens[GL_USERS_MAX_SESSIONS + 1][GL_USERS_TOKEN_SIZE];
    for (int i = 0; i <= GL_USERS_MAX_SESSIONS; i++)
        login_ok(f, "chu", "chu password", T0 + i, tokens[i]);
    assert_int_equal(check(f, tokens[0], T0 + 100), GL_ENOENT); /* the oldest made room */
    for (int i = 1; i <= GL_USERS_MAX_SESSIONS; i++)
        assert_int_equal(check(f, tokens[i], T0 + 100), 0);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static uint8_t data[GL_USERS_MAP_SIZE];
    *n = fread(data, 1, sizeof data, fp);
    fclose(fp);
    assert_true(*n > 0);
    return data;
}

/* Neither the environment's data file nor the log (at its most talkative)
 * holds a token, in text or in bytes, or a password. */
static void test_not_in_clear(void **state)
{
    struct fx *f = *state;
    char log_path[1100];
    snprintf(log_path, sizeof log_path, "%s/test.log", f->home);
    FILE *log = fopen(log_path, "w");
    assert_non_null(log);
    gl_log_set_fd(fileno(log));
    gl_log_set_level(GL_LOG_DEBUG);

    add_ok(f, "jiang", GL_USER_ADMIN, "xinbei", "a secret password");
    char tokens[3][GL_USERS_TOKEN_SIZE];
    for (int i = 0; i < 3; i++)
        login_ok(f, "jiang", "a secret password", T0 + i, tokens[i]);
    for (int i = 0; i < GL_USERS_MAX_FAILURES; i++)
        assert_int_equal(login(f, "jiang", "a guessed password", T0 + 10), GL_EPERM);
    assert_int_equal(check(f, tokens[2], T0 + 10), 0);
    assert_int_equal(gl_users_passwd(f->u, "jiang", "the next secret"), 0);
    assert_int_equal(gl_users_disable(f->u, "jiang"), 0);
    gl_users_close(&f->u);
    gl_log_set_fd(2);
    gl_log_set_level(GL_LOG_WARN);
    fclose(log);

    size_t n;
    const uint8_t *text = slurp(log_path, &n);
    assert_non_null(memmem(text, n, "jiang locked", 12)); /* the log does say what happened */
    assert_null(memmem(text, n, "secret", 6));
    assert_null(memmem(text, n, "guessed", 7));
    assert_null(memmem(text, n, "$argon2", 7));
    for (int i = 0; i < 3; i++)
        assert_null(memmem(text, n, tokens[i], strlen(tokens[i])));

    char path[1100];
    snprintf(path, sizeof path, "%s/users/data.mdb", f->home);
    const uint8_t *data = slurp(path, &n);
    assert_non_null(memmem(data, n, "jiang", 5)); /* the scan does see what is there */
    assert_non_null(memmem(data, n, "$argon2id$", 10));
    assert_null(memmem(data, n, "a secret password", 17));
    assert_null(memmem(data, n, "the next secret", 15));
    for (int i = 0; i < 3; i++) {
        assert_null(memmem(data, n, tokens[i], strlen(tokens[i])));
        uint8_t raw[32];
        size_t len = 0;
        assert_int_equal(sodium_base642bin(raw, sizeof raw, tokens[i], strlen(tokens[i]), NULL, &len, NULL,
                                           sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                         0);
        assert_int_equal(len, 32);
        assert_null(memmem(data, n, raw, sizeof raw));
    }
    assert_int_equal(gl_users_open(f->home, false, &f->u), 0);
}

/* Records written by hand that do not decode are refused, not trusted. */
static void test_malformed(void **state)
{
    struct fx *f = *state;
    add_ok(f, "han", GL_USER_GRID, "xinbei.sanjing.c01.g1", "han password");
    gl_users_close(&f->u);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/users", f->home);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi accounts;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "accounts", 0, &accounts), 0);
    uint8_t junk[] = {1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'x'}; /* role 9 */
    MDB_val k = {3, "bad"}, v = {sizeof junk, junk};
    assert_int_equal(mdb_put(txn, accounts, &k, &v, 0), 0);
    uint8_t short_rec[] = {1, 1, 0};
    MDB_val k2 = {5, "short"}, v2 = {sizeof short_rec, short_rec};
    assert_int_equal(mdb_put(txn, accounts, &k2, &v2, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    assert_int_equal(gl_users_open(f->home, false, &f->u), 0);
    gl_account a;
    assert_int_equal(gl_users_get(f->u, "bad", &a), GL_ESTORE);
    assert_int_equal(gl_users_get(f->u, "short", &a), GL_ESTORE);
    assert_int_equal(login(f, "bad", "whatever password", T0), GL_ESTORE);
    struct seen s = {0};
    assert_int_equal(gl_users_list(f->u, collect, &s), GL_ESTORE);
    assert_int_equal(gl_users_get(f->u, "han", &a), 0);
    assert_int_equal(login(f, "han", "han password", T0), 0);
}

int main(void)
{
    gl_log_init("test_users", GL_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_role_table),
        cmocka_unit_test(test_scope),
        cmocka_unit_test_setup_teardown(test_add_get_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apikeys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_in_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
