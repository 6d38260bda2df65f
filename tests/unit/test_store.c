/* test_store.c: unit tests for the store's environment (common/store.c)
 * against real LMDB files: opening, the lock, identity, arguments every
 * store call refuses, nested transactions and snapshots, a map that grows,
 * and read-only inspectors beside a live writer. The cases, log and
 * deadlines are test_store_cases.c's, peer marks and outboxes
 * test_store_peers.c's; the fixture is store_fx.c.
 *
 * Tests that need a second process (cross-process locking, a read-only
 * inspector next to a live writer) fork; the child reports through its
 * exit status only, since cmocka's asserts must not run there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "store.h"
#include "store_fx.h"

/* ---- helpers ---- */

/* Fill the store with ~1 KiB cases; returns how many writes of one batch it
 * took to hit the map limit (including the one that failed). */
static int fill_until_full(gl_store_t *s, const char *text)
{
    MDB_txn *t = sfx_begin(s, true);
    int rc = 0, i;
    for (i = 0; i < 5000; i++) {
        char id[32];
        snprintf(id, sizeof id, "fill-%05d", i);
        Gridlink__V1__Case c;
        sfx_case_init(&c, id, text);
        rc = gl_store_case_put(t, s, &c);
        if (rc)
            break;
    }
    assert_int_equal(rc, GL_EMAPFULL);
    gl_store_abort(t);
    return i + 1;
}

static void put_cases(gl_store_t *s, int n, const char *text)
{
    MDB_txn *t = sfx_begin(s, true);
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "fill-%05d", i);
        Gridlink__V1__Case c;
        sfx_case_init(&c, id, text);
        assert_int_equal(gl_store_case_put(t, s, &c), 0);
    }
    assert_int_equal(gl_store_commit(t), 0);
}

/* ---- tests ---- */

static void test_be64(void **state)
{
    (void)state;
    uint8_t b[8];
    gl_be64_put(b, 0x0102030405060708ull);
    const uint8_t want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(b, want, 8);
    assert_int_equal(gl_be64_get(b), 0x0102030405060708ull);

    uint8_t lo[8], hi[8];
    gl_be64_put(lo, 255);
    gl_be64_put(hi, 256);
    assert_true(memcmp(lo, hi, 8) < 0); /* byte order is numeric order */
    gl_be64_put(b, UINT64_MAX);
    assert_int_equal(gl_be64_get(b), UINT64_MAX);
}

static void test_open_reopen(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);

    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    char lock[1200];
    snprintf(lock, sizeof lock, "%s/gridlink.lock", f->dir);
    assert_int_equal(access(lock, F_OK), 0);
    assert_string_equal(gl_store_dir(s), f->dir);
    assert_int_equal(gl_store_map_size(s), GL_STORE_DEFAULT_MAP);
    assert_non_null(gl_store_env(s));
    assert_true(gl_store_reader_check(s) >= 0);

    MDB_txn *t = sfx_begin(s, true);
    assert_int_equal(gl_store_meta_put_u64(t, s, "next_case", 42), 0);
    Gridlink__V1__Case c;
    sfx_case_init(&c, "n1-1", "water pipe burst");
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    assert_int_equal(gl_store_commit(t), 0);

    gl_store_close(&s);
    assert_null(s);
    gl_store_close(&s); /* closing twice is harmless */

    s = sfx_open(f->dir, "n1", 0);
    t = sfx_begin(s, false);
    uint64_t v = 0;
    assert_int_equal(gl_store_meta_get_u64(t, s, "next_case", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(gl_store_meta_get_u64(t, s, "schema", &v), 0);
    assert_int_equal(v, GL_STORE_SCHEMA_VERSION);
    assert_int_equal(gl_store_meta_get_u64(t, s, "missing", &v), GL_ENOENT);

    MDB_val k = {7, "node_id"}, d;
    assert_int_equal(mdb_get(t, gl_store_dbi(s, GL_DB_META), &k, &d), 0);
    assert_int_equal(d.mv_size, 2);
    assert_memory_equal(d.mv_data, "n1", 2);

    Gridlink__V1__Case *got = NULL;
    assert_int_equal(gl_store_case_get(t, s, "n1-1", &got), 0);
    assert_string_equal(got->text, "water pipe burst");
    assert_string_equal(got->holder, "g1");
    assert_int_equal(got->version, 1);
    gridlink__v1__case__free_unpacked(got, NULL);
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_open_locked(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);

    /* Same process, second open: the flock is per open file description. */
    gl_store_t *s2 = (gl_store_t *)0x1;
    assert_int_equal(gl_store_open(f->dir, "n1", NULL, &s2), GL_ELOCKED);
    assert_null(s2);

    /* Another process. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        gl_store_t *c = NULL;
        int rc = gl_store_open(f->dir, "n1", NULL, &c);
        _exit(rc == GL_ELOCKED && c == NULL ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* The failed opens did not disturb the first store. */
    MDB_txn *t = sfx_begin(s, true);
    assert_int_equal(gl_store_meta_put_u64(t, s, "x", 7), 0);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);

    /* Closing releases the lock. */
    s = sfx_open(f->dir, "n1", 0);
    t = sfx_begin(s, false);
    uint64_t v = 0;
    assert_int_equal(gl_store_meta_get_u64(t, s, "x", &v), 0);
    assert_int_equal(v, 7);
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_identity_mismatch(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);
    gl_store_close(&s);

    assert_int_equal(gl_store_open(f->dir, "n2", NULL, &s), GL_EINVAL);
    assert_null(s);
    assert_int_equal(gl_store_open(f->dir, "n10", NULL, &s), GL_EINVAL); /* prefix is not a match */
    assert_null(s);

    /* The failed opens released the lock and left the store intact. */
    s = sfx_open(f->dir, "n1", 0);
    MDB_txn *t = sfx_begin(s, true);
    assert_int_equal(gl_store_meta_put_u64(t, s, "schema", 99), 0);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);

    assert_int_equal(gl_store_open(f->dir, "n1", NULL, &s), GL_EINVAL);
    assert_null(s);
    /* Still EINVAL (not ELOCKED): the failed open let go of the lock. */
    assert_int_equal(gl_store_open(f->dir, "n1", NULL, &s), GL_EINVAL);
    gl_store_opts ro = {.read_only = true};
    assert_int_equal(gl_store_open(f->dir, "n1", &ro, &s), GL_EINVAL);
    assert_null(s);
}

static void test_bad_args(void **state)
{
    struct sfx *f = *state;
    char long_id[300];
    memset(long_id, 'x', 256);
    long_id[256] = '\0';
    char max_id[300];
    memset(max_id, 'y', 255);
    max_id[255] = '\0';

    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(NULL, "n1", NULL, &s), GL_EINVAL);
    assert_int_equal(gl_store_open("", "n1", NULL, &s), GL_EINVAL);
    assert_int_equal(gl_store_open(f->dir, NULL, NULL, &s), GL_EINVAL);
    assert_int_equal(gl_store_open(f->dir, "", NULL, &s), GL_EINVAL);
    assert_int_equal(gl_store_open(f->dir, long_id, NULL, &s), GL_EINVAL);
    assert_int_equal(gl_store_open(f->dir, "n1", NULL, NULL), GL_EINVAL);
    assert_null(s);
    gl_store_close(NULL);

    s = sfx_open(f->dir, max_id, 0);
    MDB_txn *t = NULL;
    assert_int_equal(gl_store_begin(NULL, NULL, true, &t), GL_EINVAL);
    assert_int_equal(gl_store_begin(s, NULL, true, NULL), GL_EINVAL);
    assert_int_equal(gl_store_commit(NULL), GL_EINVAL);
    gl_store_abort(NULL);
    assert_int_equal(gl_store_grow(NULL), GL_EINVAL);
    assert_int_equal(gl_store_reader_check(NULL), GL_EINVAL);
    assert_true(gl_store_usage(NULL) == 0.0);
    assert_null(gl_store_env(NULL));
    assert_null(gl_store_dir(NULL));
    assert_int_equal(gl_store_map_size(NULL), 0);
    assert_int_equal(gl_store_dbi(s, GL_DB_COUNT), (MDB_dbi)UINT_MAX);

    t = sfx_begin(s, true);
    MDB_txn *child = NULL;
    assert_int_equal(gl_store_begin(s, t, false, &child), GL_EINVAL); /* nested reads */
    assert_null(child);

    Gridlink__V1__Case c;
    sfx_case_init(&c, long_id, "t");
    assert_int_equal(gl_store_case_put(t, s, &c), GL_EINVAL);
    sfx_case_init(&c, max_id, "t");
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    sfx_case_init(&c, NULL, "t");
    assert_int_equal(gl_store_case_put(t, s, &c), GL_EINVAL);
    sfx_case_init(&c, "", "t");
    assert_int_equal(gl_store_case_put(t, s, &c), GL_EINVAL);
    Gridlink__V1__Case zero;
    memset(&zero, 0, sizeof zero); /* never initialised: no descriptor */
    zero.id = "z";
    assert_int_equal(gl_store_case_put(t, s, &zero), GL_EINVAL);
    assert_int_equal(gl_store_case_put(NULL, s, &c), GL_EINVAL);
    assert_int_equal(gl_store_case_put(t, NULL, &c), GL_EINVAL);
    assert_int_equal(gl_store_case_put(t, s, NULL), GL_EINVAL);

    Gridlink__V1__Case *got = (Gridlink__V1__Case *)0x1;
    assert_int_equal(gl_store_case_get(t, s, long_id, &got), GL_EINVAL);
    assert_null(got);
    assert_int_equal(gl_store_case_get(t, s, NULL, &got), GL_EINVAL);
    assert_int_equal(gl_store_case_get(t, s, "c", NULL), GL_EINVAL);
    assert_int_equal(gl_store_case_foreach(t, s, NULL, NULL), GL_EINVAL);
    assert_int_equal(gl_store_case_count(t, s, NULL), GL_EINVAL);

    uint64_t v;
    assert_int_equal(gl_store_meta_get_u64(t, s, "", &v), GL_EINVAL);
    assert_int_equal(gl_store_meta_get_u64(t, s, NULL, &v), GL_EINVAL);
    assert_int_equal(gl_store_meta_put_u64(t, s, long_id, 1), GL_EINVAL);

    Gridlink__V1__BusEvent zev;
    memset(&zev, 0, sizeof zev);
    assert_int_equal(gl_store_log_append(t, s, &zev), GL_EINVAL);
    assert_int_equal(gl_store_log_append(t, s, NULL), GL_EINVAL);
    assert_int_equal(gl_store_log_last(t, s, NULL), GL_EINVAL);
    assert_int_equal(gl_store_log_get(t, s, 1, NULL), GL_EINVAL);

    gl_peer_marks m;
    assert_int_equal(gl_store_peer_get(t, s, long_id, &m), GL_EINVAL);
    assert_int_equal(gl_store_peer_get(t, s, "p", NULL), GL_EINVAL);
    assert_int_equal(gl_store_peer_put(t, s, NULL, &m), GL_EINVAL);

    assert_int_equal(gl_store_outbox_put(t, s, "p", 1, NULL, 5), GL_EINVAL);
    assert_int_equal(gl_store_outbox_put(t, s, long_id, 1, "x", 1), GL_EINVAL);
    assert_int_equal(gl_store_outbox_put(t, s, max_id, 1, "x", 1), 0);
    assert_int_equal(gl_store_outbox_put(t, s, "p", 1, NULL, 0), 0); /* empty payload is fine */
    assert_int_equal(gl_store_outbox_scan(t, s, "p", 0, 0, NULL, NULL), GL_EINVAL);
    assert_int_equal(gl_store_outbox_trim(t, s, "", 5, NULL), GL_EINVAL);
    assert_int_equal(gl_store_outbox_count(t, s, "p", NULL), GL_EINVAL);
    assert_int_equal(gl_store_outbox_count(t, s, long_id, &v), GL_EINVAL);

    assert_int_equal(gl_store_deadline_put(t, s, -1, GL_DEADLINE_ACCEPT, "c"), GL_EINVAL);
    assert_int_equal(gl_store_deadline_put(t, s, 5, (enum gl_deadline_kind)5, "c"), GL_EINVAL);
    assert_int_equal(gl_store_deadline_put(t, s, 5, GL_DEADLINE_ACCEPT, long_id), GL_EINVAL);
    assert_int_equal(gl_store_deadline_del(t, s, 5, GL_DEADLINE_ACCEPT, NULL), GL_EINVAL);
    int64_t due;
    enum gl_deadline_kind kind;
    assert_int_equal(gl_store_deadline_first(t, s, NULL, &kind, NULL, 0), GL_EINVAL);
    assert_int_equal(gl_store_deadline_first(t, s, &due, NULL, NULL, 0), GL_EINVAL);
    assert_int_equal(gl_store_deadline_first(t, s, &due, &kind, NULL, 10), GL_EINVAL);
    assert_int_equal(gl_store_commit(t), 0);

    t = sfx_begin(s, false);
    assert_int_equal(gl_store_case_get(t, s, max_id, &got), 0);
    assert_string_equal(got->id, max_id);
    gridlink__v1__case__free_unpacked(got, NULL);
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_nested_and_snapshot(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);
    Gridlink__V1__Case c;
    Gridlink__V1__Case *got = NULL;

    MDB_txn *t = sfx_begin(s, true);
    MDB_txn *child = NULL;
    assert_int_equal(gl_store_begin(s, t, true, &child), 0);
    sfx_case_init(&c, "a", "dropped");
    assert_int_equal(gl_store_case_put(child, s, &c), 0);
    gl_store_abort(child); /* savepoint rolled back */
    assert_int_equal(gl_store_case_get(t, s, "a", &got), GL_ENOENT);

    assert_int_equal(gl_store_begin(s, t, true, &child), 0);
    sfx_case_init(&c, "b", "kept");
    assert_int_equal(gl_store_case_put(child, s, &c), 0);
    assert_int_equal(gl_store_commit(child), 0);
    assert_int_equal(gl_store_case_get(t, s, "b", &got), 0);
    gridlink__v1__case__free_unpacked(got, NULL);

    /* MDB_NOTLS: a read transaction beside the open write transaction, on
     * the same thread, sees the last committed snapshot only. */
    MDB_txn *r = sfx_begin(s, false);
    assert_int_equal(gl_store_case_get(r, s, "b", &got), GL_ENOENT);
    assert_int_equal(gl_store_commit(t), 0);
    assert_int_equal(gl_store_case_get(r, s, "b", &got), GL_ENOENT);
    gl_store_abort(r);
    r = sfx_begin(s, false);
    assert_int_equal(gl_store_case_get(r, s, "b", &got), 0);
    assert_string_equal(got->text, "kept");
    gridlink__v1__case__free_unpacked(got, NULL);
    gl_store_abort(r);
    gl_store_close(&s);
}

static void test_map_full_grow(void **state)
{
    struct sfx *f = *state;
    const size_t tiny = 128 * KIB;
    gl_store_t *s = sfx_open(f->dir, "n1", tiny);
    assert_int_equal(gl_store_map_size(s), tiny);
    double u = gl_store_usage(s);
    assert_true(u > 0.0 && u < 0.5);

    char text[1001];
    memset(text, 't', 1000);
    text[1000] = '\0';
    int n = fill_until_full(s, text);
    assert_true(n > 20);                     /* a real amount of data went in before the limit */
    assert_int_equal(sfx_count_cases(s), 0); /* the aborted batch left nothing */

    assert_int_equal(gl_store_grow(s), 0);
    assert_int_equal(gl_store_map_size(s), 2 * tiny);
    put_cases(s, n, text); /* the same batch now fits */
    assert_int_equal(sfx_count_cases(s), (uint64_t)n);
    u = gl_store_usage(s);
    assert_true(u > 0.4 && u <= 1.0);

    /* Reopening with the small configured size keeps the grown map. */
    gl_store_close(&s);
    s = sfx_open(f->dir, "n1", tiny);
    assert_int_equal(gl_store_map_size(s), 2 * tiny);
    assert_int_equal(sfx_count_cases(s), (uint64_t)n);
    MDB_txn *t = sfx_begin(s, false);
    Gridlink__V1__Case *got = NULL;
    assert_int_equal(gl_store_case_get(t, s, "fill-00000", &got), 0);
    assert_int_equal(strlen(got->text), 1000);
    gridlink__v1__case__free_unpacked(got, NULL);

    /* Growing under an open write transaction is refused (LMDB cannot
     * remap then), and the map is unchanged. */
    gl_store_abort(t);
    t = sfx_begin(s, true);
    assert_int_equal(gl_store_grow(s), GL_EINVAL);
    gl_store_abort(t);
    assert_int_equal(gl_store_map_size(s), 2 * tiny);
    gl_store_close(&s);
}

/* Child side of test_readonly_live; returns an exit status (0 = all good). */
static int ro_child(const char *dir, int rd, int wr)
{
    gl_store_opts ro = {.read_only = true};
    gl_store_t *s = NULL;
    if (gl_store_open(dir, "n1", &ro, &s) != 0)
        return 10;
    if (gl_store_map_size(s) != 128 * KIB)
        return 11;
    MDB_txn *t = NULL;
    if (gl_store_begin(s, NULL, false, &t) != 0)
        return 12;
    Gridlink__V1__Case *c = NULL;
    int rc = gl_store_case_get(t, s, "live-1", &c);
    if (rc != 0 || strcmp(c->text, "written by the node") != 0)
        return 13;
    gridlink__v1__case__free_unpacked(c, NULL);
    uint64_t last = 0;
    if (gl_store_log_last(t, s, &last) != 0 || last != 1)
        return 14;
    gl_store_abort(t);
    MDB_txn *w = NULL;
    if (gl_store_begin(s, NULL, true, &w) != GL_EPERM || w != NULL)
        return 15;
    if (gl_store_grow(s) != GL_EPERM)
        return 16;

    /* Let the writer grow the map and fill past our mapping. */
    char b = 'r';
    if (write(wr, &b, 1) != 1)
        return 17;
    uint64_t expect = 0;
    if (read(rd, &expect, sizeof expect) != (ssize_t)sizeof expect)
        return 18;

    /* This begin meets MDB_MAP_RESIZED and must adopt the new size. */
    if (gl_store_begin(s, NULL, false, &t) != 0)
        return 19;
    uint64_t n = 0;
    if (gl_store_case_count(t, s, &n) != 0 || n != expect)
        return 20;
    if (gl_store_case_get(t, s, "fill-00000", &c) != 0)
        return 21;
    gridlink__v1__case__free_unpacked(c, NULL);
    gl_store_abort(t);
    if (gl_store_map_size(s) <= 128 * KIB)
        return 22;
    gl_store_close(&s);
    return 0;
}

static void test_readonly_live(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 128 * KIB);
    MDB_txn *t = sfx_begin(s, true);
    Gridlink__V1__Case c;
    sfx_case_init(&c, "live-1", "written by the node");
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
    ev.kind = "reported";
    assert_int_equal(gl_store_log_append(t, s, &ev), 0);
    assert_int_equal(gl_store_commit(t), 0);

    int to_child[2], to_parent[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(to_parent), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        _exit(ro_child(f->dir, to_child[0], to_parent[1]));
    }
    close(to_child[0]);
    close(to_parent[1]);

    char b = 0;
    ssize_t got = read(to_parent[0], &b, 1);
    if (got == 1) {
        /* The child holds the store open read-only; the node keeps writing. */
        char text[1001];
        memset(text, 't', 1000);
        text[1000] = '\0';
        int n = fill_until_full(s, text);
        assert_int_equal(gl_store_grow(s), 0);
        put_cases(s, n, text);
        uint64_t expect = sfx_count_cases(s);
        assert_int_equal(expect, (uint64_t)n + 1);
        assert_int_equal(write(to_child[1], &expect, sizeof expect), (ssize_t)sizeof expect);
    }
    close(to_child[1]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(to_parent[0]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(got, 1);
    assert_int_equal(b, 'r');
    gl_store_close(&s);
}

static void test_readonly_errors(void **state)
{
    struct sfx *f = *state;
    gl_store_opts ro = {.read_only = true};
    gl_store_t *s = (gl_store_t *)0x1;
    /* Read-only never creates the directory. */
    assert_int_equal(gl_store_open(f->dir, "n1", &ro, &s), GL_ENOENT);
    assert_null(s);
    struct stat st;
    assert_int_equal(stat(f->dir, &st), -1);
    assert_int_equal(errno, ENOENT);

    s = sfx_open(f->dir, "n1", 0);
    gl_store_close(&s);
    assert_int_equal(gl_store_open(f->dir, "n2", &ro, &s), GL_EINVAL);
    assert_null(s);
    assert_int_equal(gl_store_open(f->dir, "n1", &ro, &s), 0);
    /* An inspector does not take the node's lock: the node can still open. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        gl_store_t *w = NULL;
        _exit(gl_store_open(f->dir, "n1", NULL, &w) == 0 ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    gl_store_close(&s);
}

int main(void)
{
    gl_log_init("test_store", GL_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_be64),
        cmocka_unit_test_setup_teardown(test_open_reopen, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_open_locked, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_identity_mismatch, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_nested_and_snapshot, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_map_full_grow, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_readonly_live, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_readonly_errors, sfx_setup, sfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
