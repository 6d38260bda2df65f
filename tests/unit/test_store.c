/* test_store.c: unit tests for the store (common/store.c, store_cases.c and
 * store_peers.c) against real LMDB files.
 *
 * Every test gets a fresh mkdtemp directory (removed afterwards) and opens
 * the store in a subdirectory of it, so the "create the directory" path is
 * exercised too. Tests that need a second process (cross-process locking,
 * a read-only inspector next to a live writer) fork; the child reports
 * through its exit status only, since cmocka's asserts must not run there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#define KIB 1024u

struct fx {
    char root[1024];
    char dir[1100];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->root, sizeof f->root, "%s/gl-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/node", f->root);
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
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static gl_store_t *open_ok(const char *dir, const char *node, size_t map)
{
    gl_store_opts o = {.map_size = map, .read_only = false};
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(dir, node, &o, &s), 0);
    assert_non_null(s);
    return s;
}

static MDB_txn *begin_ok(gl_store_t *s, bool write)
{
    MDB_txn *t = NULL;
    assert_int_equal(gl_store_begin(s, NULL, write, &t), 0);
    assert_non_null(t);
    return t;
}

static void case_init(Gridlink__V1__Case *c, const char *id, const char *text)
{
    gridlink__v1__case__init(c);
    c->id = (char *)id;
    c->text = (char *)text;
    c->kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    c->state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    c->holder = "g1";
    c->version = 1;
}

static void put_raw(gl_store_t *s, enum gl_db db, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_txn *t = begin_ok(s, true);
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    assert_int_equal(mdb_put(t, gl_store_dbi(s, db), &key, &val, 0), 0);
    assert_int_equal(gl_store_commit(t), 0);
}

static uint64_t count_cases(gl_store_t *s)
{
    MDB_txn *t = begin_ok(s, false);
    uint64_t n = 99999;
    assert_int_equal(gl_store_case_count(t, s, &n), 0);
    gl_store_abort(t);
    return n;
}

/* Fill the store with ~1 KiB cases; returns how many writes of one batch it
 * took to hit the map limit (including the one that failed). */
static int fill_until_full(gl_store_t *s, const char *text)
{
    MDB_txn *t = begin_ok(s, true);
    int rc = 0, i;
    for (i = 0; i < 5000; i++) {
        char id[32];
        snprintf(id, sizeof id, "fill-%05d", i);
        Gridlink__V1__Case c;
        case_init(&c, id, text);
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
    MDB_txn *t = begin_ok(s, true);
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "fill-%05d", i);
        Gridlink__V1__Case c;
        case_init(&c, id, text);
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
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);

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

    MDB_txn *t = begin_ok(s, true);
    assert_int_equal(gl_store_meta_put_u64(t, s, "next_case", 42), 0);
    Gridlink__V1__Case c;
    case_init(&c, "n1-1", "water pipe burst");
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    assert_int_equal(gl_store_commit(t), 0);

    gl_store_close(&s);
    assert_null(s);
    gl_store_close(&s); /* closing twice is harmless */

    s = open_ok(f->dir, "n1", 0);
    t = begin_ok(s, false);
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
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);

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
    MDB_txn *t = begin_ok(s, true);
    assert_int_equal(gl_store_meta_put_u64(t, s, "x", 7), 0);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);

    /* Closing releases the lock. */
    s = open_ok(f->dir, "n1", 0);
    t = begin_ok(s, false);
    uint64_t v = 0;
    assert_int_equal(gl_store_meta_get_u64(t, s, "x", &v), 0);
    assert_int_equal(v, 7);
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_identity_mismatch(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);
    gl_store_close(&s);

    assert_int_equal(gl_store_open(f->dir, "n2", NULL, &s), GL_EINVAL);
    assert_null(s);
    assert_int_equal(gl_store_open(f->dir, "n10", NULL, &s), GL_EINVAL); /* prefix is not a match */
    assert_null(s);

    /* The failed opens released the lock and left the store intact. */
    s = open_ok(f->dir, "n1", 0);
    MDB_txn *t = begin_ok(s, true);
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
    struct fx *f = *state;
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

    s = open_ok(f->dir, max_id, 0);
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

    t = begin_ok(s, true);
    MDB_txn *child = NULL;
    assert_int_equal(gl_store_begin(s, t, false, &child), GL_EINVAL); /* nested reads */
    assert_null(child);

    Gridlink__V1__Case c;
    case_init(&c, long_id, "t");
    assert_int_equal(gl_store_case_put(t, s, &c), GL_EINVAL);
    case_init(&c, max_id, "t");
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    case_init(&c, NULL, "t");
    assert_int_equal(gl_store_case_put(t, s, &c), GL_EINVAL);
    case_init(&c, "", "t");
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

    t = begin_ok(s, false);
    assert_int_equal(gl_store_case_get(t, s, max_id, &got), 0);
    assert_string_equal(got->id, max_id);
    gridlink__v1__case__free_unpacked(got, NULL);
    gl_store_abort(t);
    gl_store_close(&s);
}

static int collect_ids(const Gridlink__V1__Case *c, void *arg)
{
    char *buf = arg;
    strcat(buf, c->id);
    strcat(buf, ";");
    return 0;
}

static int stop_after_two(const Gridlink__V1__Case *c, void *arg)
{
    (void)c;
    int *n = arg;
    return ++*n == 2 ? 7 : 0;
}

static void test_cases(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);

    Gridlink__V1__HistoryEntry h1 = GRIDLINK__V1__HISTORY_ENTRY__INIT;
    Gridlink__V1__HistoryEntry h2 = GRIDLINK__V1__HISTORY_ENTRY__INIT;
    h1.action = "reported";
    h1.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    h1.node = "g1";
    h1.time_ms = 1700000000000;
    h2.action = "accepted";
    h2.state = GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED;
    h2.node = "c1";
    h2.time_ms = 1700000060000;
    h2.note = "on it";
    Gridlink__V1__HistoryEntry *hist[2] = {&h1, &h2};
    char *att[1] = {"sha256:abcd"};

    MDB_txn *t = begin_ok(s, true);
    uint64_t n = 99;
    assert_int_equal(gl_store_case_count(t, s, &n), 0);
    assert_int_equal(n, 0);

    const char *ids[3] = {"c-3", "c-1", "c-2"};
    for (int i = 0; i < 3; i++) {
        Gridlink__V1__Case c;
        char text[32];
        snprintf(text, sizeof text, "text of %s", ids[i]);
        case_init(&c, ids[i], text);
        c.category = "urban/roads";
        c.priority = GRIDLINK__V1__PRIORITY__PRIORITY_URGENT;
        c.lat = 31.25;
        c.lon = 121.5;
        c.created_ms = 1700000000000 + i;
        c.n_history = 2;
        c.history = hist;
        c.n_attachments = 1;
        c.attachments = att;
        c.alarmed = i == 2;
        assert_int_equal(gl_store_case_put(t, s, &c), 0);
    }
    assert_int_equal(gl_store_commit(t), 0);

    t = begin_ok(s, false);
    assert_int_equal(gl_store_case_count(t, s, &n), 0);
    assert_int_equal(n, 3);
    Gridlink__V1__Case *got = NULL;
    assert_int_equal(gl_store_case_get(t, s, "c-2", &got), 0);
    assert_string_equal(got->id, "c-2");
    assert_string_equal(got->text, "text of c-2");
    assert_string_equal(got->category, "urban/roads");
    assert_int_equal(got->priority, GRIDLINK__V1__PRIORITY__PRIORITY_URGENT);
    assert_true(got->lat == 31.25 && got->lon == 121.5);
    assert_int_equal(got->created_ms, 1700000000002);
    assert_true(got->alarmed);
    assert_int_equal(got->n_history, 2);
    assert_string_equal(got->history[1]->action, "accepted");
    assert_string_equal(got->history[1]->note, "on it");
    assert_int_equal(got->history[1]->time_ms, 1700000060000);
    assert_int_equal(got->n_attachments, 1);
    assert_string_equal(got->attachments[0], "sha256:abcd");
    gridlink__v1__case__free_unpacked(got, NULL);

    got = (Gridlink__V1__Case *)0x1;
    assert_int_equal(gl_store_case_get(t, s, "c-9", &got), GL_ENOENT);
    assert_null(got);

    char seen[128] = "";
    assert_int_equal(gl_store_case_foreach(t, s, collect_ids, seen), 0);
    assert_string_equal(seen, "c-1;c-2;c-3;");
    int calls = 0;
    assert_int_equal(gl_store_case_foreach(t, s, stop_after_two, &calls), 7);
    assert_int_equal(calls, 2);
    gl_store_abort(t);

    /* Overwrite keeps one record per id. */
    t = begin_ok(s, true);
    Gridlink__V1__Case c;
    case_init(&c, "c-2", "updated");
    c.version = 2;
    c.state = GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED;
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    assert_int_equal(gl_store_commit(t), 0);
    assert_int_equal(count_cases(s), 3);
    t = begin_ok(s, false);
    assert_int_equal(gl_store_case_get(t, s, "c-2", &got), 0);
    assert_int_equal(got->version, 2);
    assert_string_equal(got->text, "updated");
    assert_int_equal(got->n_history, 0);
    assert_int_equal(got->state, GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED);
    gridlink__v1__case__free_unpacked(got, NULL);
    gl_store_abort(t);

    /* Empty store: foreach visits nothing. */
    gl_store_close(&s);
    char other[1200];
    snprintf(other, sizeof other, "%s2", f->dir);
    s = open_ok(other, "n2", 0);
    t = begin_ok(s, false);
    seen[0] = '\0';
    assert_int_equal(gl_store_case_foreach(t, s, collect_ids, seen), 0);
    assert_string_equal(seen, "");
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_nested_and_snapshot(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);
    Gridlink__V1__Case c;
    Gridlink__V1__Case *got = NULL;

    MDB_txn *t = begin_ok(s, true);
    MDB_txn *child = NULL;
    assert_int_equal(gl_store_begin(s, t, true, &child), 0);
    case_init(&c, "a", "dropped");
    assert_int_equal(gl_store_case_put(child, s, &c), 0);
    gl_store_abort(child); /* savepoint rolled back */
    assert_int_equal(gl_store_case_get(t, s, "a", &got), GL_ENOENT);

    assert_int_equal(gl_store_begin(s, t, true, &child), 0);
    case_init(&c, "b", "kept");
    assert_int_equal(gl_store_case_put(child, s, &c), 0);
    assert_int_equal(gl_store_commit(child), 0);
    assert_int_equal(gl_store_case_get(t, s, "b", &got), 0);
    gridlink__v1__case__free_unpacked(got, NULL);

    /* MDB_NOTLS: a read transaction beside the open write transaction, on
     * the same thread, sees the last committed snapshot only. */
    MDB_txn *r = begin_ok(s, false);
    assert_int_equal(gl_store_case_get(r, s, "b", &got), GL_ENOENT);
    assert_int_equal(gl_store_commit(t), 0);
    assert_int_equal(gl_store_case_get(r, s, "b", &got), GL_ENOENT);
    gl_store_abort(r);
    r = begin_ok(s, false);
    assert_int_equal(gl_store_case_get(r, s, "b", &got), 0);
    assert_string_equal(got->text, "kept");
    gridlink__v1__case__free_unpacked(got, NULL);
    gl_store_abort(r);
    gl_store_close(&s);
}

static void test_corrupt_values(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);
    const uint8_t junk[3] = {0xff, 0xff, 0xff}; /* truncated varint tag */

    Gridlink__V1__Case c;
    case_init(&c, "a-good", "fine");
    MDB_txn *t = begin_ok(s, true);
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    assert_int_equal(gl_store_commit(t), 0);
    put_raw(s, GL_DB_CASES, "b-bad", 5, junk, sizeof junk);
    put_raw(s, GL_DB_META, "short", 5, junk, sizeof junk);
    put_raw(s, GL_DB_PEERS, "p", 1, junk, sizeof junk);
    uint8_t lk[8];
    gl_be64_put(lk, 1);
    put_raw(s, GL_DB_LOG, lk, 8, junk, sizeof junk);
    put_raw(s, GL_DB_OUTBOX, "q\0xyz", 5, "d", 1);                     /* right prefix, wrong length */
    put_raw(s, GL_DB_DEADLINES, "\0\0\0\0\0\0\0\x05\x09x", 10, "", 0); /* kind 9 */

    t = begin_ok(s, false);
    Gridlink__V1__Case *got = NULL;
    assert_int_equal(gl_store_case_get(t, s, "b-bad", &got), GL_ESTORE);
    assert_null(got);
    char seen[64] = "";
    assert_int_equal(gl_store_case_foreach(t, s, collect_ids, seen), GL_ESTORE);
    assert_string_equal(seen, "a-good;"); /* the good one came first */
    uint64_t v;
    assert_int_equal(gl_store_meta_get_u64(t, s, "short", &v), GL_ESTORE);
    gl_peer_marks m;
    assert_int_equal(gl_store_peer_get(t, s, "p", &m), GL_ESTORE);
    Gridlink__V1__BusEvent *ev = NULL;
    assert_int_equal(gl_store_log_get(t, s, 1, &ev), GL_ESTORE);
    assert_null(ev);
    assert_int_equal(gl_store_outbox_count(t, s, "q", &v), GL_ESTORE);
    int64_t due;
    enum gl_deadline_kind kind;
    char id[16];
    assert_int_equal(gl_store_deadline_first(t, s, &due, &kind, id, sizeof id), GL_ESTORE);
    gl_store_abort(t);

    /* A log key of the wrong width is reported, not misread. */
    put_raw(s, GL_DB_LOG, "\xff\xff\xff\xff\xff\xff\xff\xff\x01", 9, junk, sizeof junk);
    t = begin_ok(s, false);
    assert_int_equal(gl_store_log_last(t, s, &v), GL_ESTORE);
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_log(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);

    MDB_txn *t = begin_ok(s, true);
    uint64_t last = 99;
    assert_int_equal(gl_store_log_last(t, s, &last), 0);
    assert_int_equal(last, 0);
    Gridlink__V1__BusEvent *got = NULL;
    assert_int_equal(gl_store_log_get(t, s, 1, &got), GL_ENOENT);

    const char *kinds[3] = {"reported", "accepted", "resolved"};
    for (int i = 0; i < 3; i++) {
        Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
        ev.node = "n1";
        ev.seq = 77; /* ignored: the store assigns */
        ev.kind = (char *)kinds[i];
        ev.case_id = "n1-1";
        ev.state = (Gridlink__V1__CaseState)(i + 1);
        ev.time_ms = 1700000000000 + i;
        assert_int_equal(gl_store_log_append(t, s, &ev), 0);
        assert_int_equal(ev.seq, (uint64_t)i + 1);
    }
    assert_int_equal(gl_store_log_last(t, s, &last), 0);
    assert_int_equal(last, 3);
    assert_int_equal(gl_store_commit(t), 0);

    t = begin_ok(s, false);
    assert_int_equal(gl_store_log_get(t, s, 2, &got), 0);
    assert_int_equal(got->seq, 2);
    assert_string_equal(got->kind, "accepted");
    assert_string_equal(got->node, "n1");
    assert_string_equal(got->case_id, "n1-1");
    assert_int_equal(got->state, 2);
    assert_int_equal(got->time_ms, 1700000000001);
    gridlink__v1__bus_event__free_unpacked(got, NULL);
    assert_int_equal(gl_store_log_get(t, s, 4, &got), GL_ENOENT);
    assert_int_equal(gl_store_log_get(t, s, 0, &got), GL_ENOENT);
    gl_store_abort(t);

    /* The sequence continues after a restart. */
    gl_store_close(&s);
    s = open_ok(f->dir, "n1", 0);
    t = begin_ok(s, true);
    Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
    ev.kind = "closed";
    assert_int_equal(gl_store_log_append(t, s, &ev), 0);
    assert_int_equal(ev.seq, 4);
    assert_int_equal(gl_store_commit(t), 0);
    t = begin_ok(s, false);
    assert_int_equal(gl_store_log_last(t, s, &last), 0);
    assert_int_equal(last, 4);
    assert_int_equal(gl_store_log_get(t, s, 4, &got), 0);
    assert_string_equal(got->kind, "closed");
    assert_int_equal(got->seq, 4);
    gridlink__v1__bus_event__free_unpacked(got, NULL);
    gl_store_abort(t);
    gl_store_close(&s);
}

/* Retention: the log pruned to empty still numbers on after the last
 * pruned sequence, through a restart; a closed case deleted is gone. */
static void test_log_pruned(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);
    MDB_txn *t = begin_ok(s, true);
    uint64_t v = 9;
    assert_int_equal(gl_store_log_pruned(t, s, &v), 0);
    assert_int_equal(v, 0);
    for (int i = 0; i < 3; i++) {
        Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
        ev.kind = "status";
        assert_int_equal(gl_store_log_append(t, s, &ev), 0);
    }
    for (uint64_t q = 1; q <= 3; q++)
        assert_int_equal(gl_store_log_del(t, s, q), 0);
    assert_int_equal(gl_store_log_del(t, s, 3), GL_ENOENT);
    assert_int_equal(gl_store_meta_put_u64(t, s, GL_META_LOG_PRUNED, 3), 0);
    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
    c.id = "n1-000001";
    c.state = GRIDLINK__V1__CASE_STATE__STATE_CLOSED;
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    assert_int_equal(gl_store_case_del(t, s, "n1-000001"), 0);
    assert_int_equal(gl_store_case_del(t, s, "n1-000001"), GL_ENOENT);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);

    s = open_ok(f->dir, "n1", 0);
    t = begin_ok(s, true);
    assert_int_equal(gl_store_log_last(t, s, &v), 0);
    assert_int_equal(v, 3);
    Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
    ev.kind = "status";
    assert_int_equal(gl_store_log_append(t, s, &ev), 0);
    assert_int_equal(ev.seq, 4);
    assert_int_equal(gl_store_log_last(t, s, &v), 0);
    assert_int_equal(v, 4);
    Gridlink__V1__Case *got = NULL;
    assert_int_equal(gl_store_case_get(t, s, "n1-000001", &got), GL_ENOENT);
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_peers(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);
    MDB_txn *t = begin_ok(s, true);
    gl_peer_marks m = {9, 9, 9};
    assert_int_equal(gl_store_peer_get(t, s, "c1", &m), 0);
    assert_int_equal(m.in_applied, 0);
    assert_int_equal(m.out_next, 1);
    assert_int_equal(m.out_acked, 0);

    gl_peer_marks w = {.in_applied = 5, .out_next = 0x100000001ull, .out_acked = 4};
    assert_int_equal(gl_store_peer_put(t, s, "c1", &w), 0);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);

    s = open_ok(f->dir, "n1", 0);
    t = begin_ok(s, false);
    assert_int_equal(gl_store_peer_get(t, s, "c1", &m), 0);
    assert_int_equal(m.in_applied, 5);
    assert_int_equal(m.out_next, 0x100000001ull);
    assert_int_equal(m.out_acked, 4);
    assert_int_equal(gl_store_peer_get(t, s, "c2", &m), 0); /* others still default */
    assert_int_equal(m.in_applied, 0);
    assert_int_equal(m.out_next, 1);
    assert_int_equal(m.out_acked, 0);
    MDB_val k = {2, "c1"}, v;
    assert_int_equal(mdb_get(t, gl_store_dbi(s, GL_DB_PEERS), &k, &v), 0);
    assert_int_equal(v.mv_size, 24);
    gl_store_abort(t);
    gl_store_close(&s);
}

struct scan_log {
    int n;
    uint64_t seq[16];
    char data[16][16];
    int stop_at; /* return 5 when n reaches this (0 = never) */
};

static int scan_cb(uint64_t seq, const void *data, size_t len, void *arg)
{
    struct scan_log *l = arg;
    if (l->n < 16) {
        l->seq[l->n] = seq;
        snprintf(l->data[l->n], sizeof l->data[0], "%.*s", (int)len, (const char *)data);
    }
    l->n++;
    return l->stop_at && l->n == l->stop_at ? 5 : 0;
}

static void scan(gl_store_t *s, MDB_txn *t, const char *peer, uint64_t from, size_t max, struct scan_log *l)
{
    memset(l, 0, sizeof *l);
    assert_int_equal(gl_store_outbox_scan(t, s, peer, from, max, scan_cb, l), 0);
}

static void outbox_put_str(gl_store_t *s, MDB_txn *t, const char *peer, uint64_t seq)
{
    char d[32];
    snprintf(d, sizeof d, "%s#%llu", peer, (unsigned long long)seq);
    assert_int_equal(gl_store_outbox_put(t, s, peer, seq, d, strlen(d)), 0);
}

static uint64_t outbox_n(gl_store_t *s, MDB_txn *t, const char *peer)
{
    uint64_t n = 99999;
    assert_int_equal(gl_store_outbox_count(t, s, peer, &n), 0);
    return n;
}

static void test_outbox(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);
    MDB_txn *t = begin_ok(s, true);
    struct scan_log l;

    scan(s, t, "a", 0, 0, &l);
    assert_int_equal(l.n, 0);

    const uint64_t aseq[6] = {256, 1, 5, 2, 4, 3}; /* out of order on purpose */
    for (int i = 0; i < 6; i++)
        outbox_put_str(s, t, "a", aseq[i]);
    for (uint64_t q = 1; q <= 3; q++)
        outbox_put_str(s, t, "a.b", q);
    for (uint64_t q = 1; q <= 2; q++)
        outbox_put_str(s, t, "ab", q);
    assert_int_equal(gl_store_commit(t), 0);

    t = begin_ok(s, true);
    scan(s, t, "a", 0, 0, &l);
    assert_int_equal(l.n, 6);
    const uint64_t want_all[6] = {1, 2, 3, 4, 5, 256};
    for (int i = 0; i < 6; i++)
        assert_int_equal(l.seq[i], want_all[i]);
    assert_string_equal(l.data[0], "a#1");
    assert_string_equal(l.data[5], "a#256");

    scan(s, t, "a", 3, 0, &l);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.seq[0], 3);
    assert_int_equal(l.seq[3], 256);

    scan(s, t, "a", 2, 2, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.seq[0], 2);
    assert_int_equal(l.seq[1], 3);

    scan(s, t, "a", 257, 0, &l); /* past a's last entry: must not run into "a.b" */
    assert_int_equal(l.n, 0);

    scan(s, t, "a.b", 0, 0, &l);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.data[0], "a.b#1");
    assert_string_equal(l.data[2], "a.b#3");
    scan(s, t, "ab", 0, 0, &l);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.data[1], "ab#2");
    scan(s, t, "a.", 0, 0, &l);
    assert_int_equal(l.n, 0);
    memset(&l, 0, sizeof l);
    assert_int_equal(gl_store_outbox_scan(t, s, "", 0, 0, scan_cb, &l), GL_EINVAL);
    assert_int_equal(l.n, 0);

    memset(&l, 0, sizeof l);
    l.stop_at = 2;
    assert_int_equal(gl_store_outbox_scan(t, s, "a", 0, 0, scan_cb, &l), 5);
    assert_int_equal(l.n, 2);

    assert_int_equal(outbox_n(s, t, "a"), 6);
    assert_int_equal(outbox_n(s, t, "a.b"), 3);
    assert_int_equal(outbox_n(s, t, "ab"), 2);
    assert_int_equal(outbox_n(s, t, "zz"), 0);
    assert_int_equal(outbox_n(s, t, NULL), 11);

    size_t del = 99;
    assert_int_equal(gl_store_outbox_trim(t, s, "a", 3, &del), 0);
    assert_int_equal(del, 3);
    scan(s, t, "a", 0, 0, &l);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.seq[0], 4);
    assert_int_equal(l.seq[2], 256);
    assert_int_equal(outbox_n(s, t, "a.b"), 3);
    assert_int_equal(outbox_n(s, t, "ab"), 2);

    assert_int_equal(gl_store_outbox_trim(t, s, "a.b", 0, &del), 0);
    assert_int_equal(del, 0);
    assert_int_equal(gl_store_outbox_trim(t, s, "zz", 100, &del), 0);
    assert_int_equal(del, 0);
    assert_int_equal(gl_store_outbox_trim(t, s, "a", UINT64_MAX, NULL), 0);
    assert_int_equal(outbox_n(s, t, "a"), 0);
    assert_int_equal(outbox_n(s, t, "a.b"), 3);
    assert_int_equal(outbox_n(s, t, "ab"), 2);
    assert_int_equal(outbox_n(s, t, NULL), 5);
    assert_int_equal(gl_store_commit(t), 0);

    /* Many entries over many pages, trimmed from the front. */
    t = begin_ok(s, true);
    char payload[100];
    memset(payload, 'p', sizeof payload);
    for (uint64_t q = 1; q <= 2000; q++)
        assert_int_equal(gl_store_outbox_put(t, s, "big", q, payload, sizeof payload), 0);
    assert_int_equal(gl_store_outbox_trim(t, s, "big", 1500, &del), 0);
    assert_int_equal(del, 1500);
    assert_int_equal(gl_store_commit(t), 0);
    t = begin_ok(s, false);
    assert_int_equal(outbox_n(s, t, "big"), 500);
    scan(s, t, "big", 0, 1, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.seq[0], 1501);
    assert_int_equal(outbox_n(s, t, "ab"), 2);
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_deadlines(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 0);
    MDB_txn *t = begin_ok(s, true);
    int64_t due = -5;
    enum gl_deadline_kind kind = 0;
    char id[64];
    assert_int_equal(gl_store_deadline_first(t, s, &due, &kind, id, sizeof id), GL_ENOENT);

    struct {
        int64_t due;
        enum gl_deadline_kind kind;
        const char *id;
    } want[] = {
        {300, GL_DEADLINE_RESOLVE, "c-4"},
        {3000, GL_DEADLINE_ACCEPT, "c-2"}, /* same time: accept sorts before resolve */
        {3000, GL_DEADLINE_RESOLVE, "c-0"},
        {5000, GL_DEADLINE_RESOLVE, "c-1"},
        {70000, GL_DEADLINE_ACCEPT, "c-6"}, /* little-endian keys would put this before 5000 */
        {(int64_t)1 << 40, GL_DEADLINE_ACCEPT, "c-3"},
    };
    const int order[6] = {5, 2, 0, 4, 1, 3};
    for (int i = 0; i < 6; i++) {
        int j = order[i];
        assert_int_equal(gl_store_deadline_put(t, s, want[j].due, want[j].kind, want[j].id), 0);
    }

    assert_int_equal(gl_store_deadline_first(t, s, &due, &kind, id, 3), GL_EINVAL); /* "c-4" needs 4 */
    assert_int_equal(gl_store_deadline_first(t, s, &due, &kind, NULL, 0), 0);
    assert_int_equal(due, 300);
    assert_int_equal(kind, GL_DEADLINE_RESOLVE);
    assert_int_equal(gl_store_deadline_del(t, s, 300, GL_DEADLINE_ACCEPT, "c-4"), GL_ENOENT);
    assert_int_equal(gl_store_commit(t), 0);

    /* Reschedule c-1 later than c-6: delete and re-insert. */
    t = begin_ok(s, true);
    assert_int_equal(gl_store_deadline_del(t, s, 5000, GL_DEADLINE_RESOLVE, "c-1"), 0);
    assert_int_equal(gl_store_deadline_put(t, s, 80000, GL_DEADLINE_RESOLVE, "c-1"), 0);
    want[3].due = 80000;
    assert_int_equal(gl_store_commit(t), 0);
    const int pop[6] = {0, 1, 2, 4, 3, 5};

    t = begin_ok(s, true);
    for (int i = 0; i < 6; i++) {
        int j = pop[i];
        memset(id, 0, sizeof id);
        assert_int_equal(gl_store_deadline_first(t, s, &due, &kind, id, sizeof id), 0);
        assert_int_equal(due, want[j].due);
        assert_int_equal(kind, want[j].kind);
        assert_string_equal(id, want[j].id);
        assert_int_equal(gl_store_deadline_del(t, s, due, kind, id), 0);
        assert_int_equal(gl_store_deadline_del(t, s, due, kind, id), GL_ENOENT);
    }
    assert_int_equal(gl_store_deadline_first(t, s, &due, &kind, id, sizeof id), GL_ENOENT);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);
}

static void test_map_full_grow(void **state)
{
    struct fx *f = *state;
    const size_t tiny = 128 * KIB;
    gl_store_t *s = open_ok(f->dir, "n1", tiny);
    assert_int_equal(gl_store_map_size(s), tiny);
    double u = gl_store_usage(s);
    assert_true(u > 0.0 && u < 0.5);

    char text[1001];
    memset(text, 't', 1000);
    text[1000] = '\0';
    int n = fill_until_full(s, text);
    assert_true(n > 20);                 /* a real amount of data went in before the limit */
    assert_int_equal(count_cases(s), 0); /* the aborted batch left nothing */

    assert_int_equal(gl_store_grow(s), 0);
    assert_int_equal(gl_store_map_size(s), 2 * tiny);
    put_cases(s, n, text); /* the same batch now fits */
    assert_int_equal(count_cases(s), (uint64_t)n);
    u = gl_store_usage(s);
    assert_true(u > 0.4 && u <= 1.0);

    /* Reopening with the small configured size keeps the grown map. */
    gl_store_close(&s);
    s = open_ok(f->dir, "n1", tiny);
    assert_int_equal(gl_store_map_size(s), 2 * tiny);
    assert_int_equal(count_cases(s), (uint64_t)n);
    MDB_txn *t = begin_ok(s, false);
    Gridlink__V1__Case *got = NULL;
    assert_int_equal(gl_store_case_get(t, s, "fill-00000", &got), 0);
    assert_int_equal(strlen(got->text), 1000);
    gridlink__v1__case__free_unpacked(got, NULL);

    /* Growing under an open write transaction is refused (LMDB cannot
     * remap then), and the map is unchanged. */
    gl_store_abort(t);
    t = begin_ok(s, true);
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
    struct fx *f = *state;
    gl_store_t *s = open_ok(f->dir, "n1", 128 * KIB);
    MDB_txn *t = begin_ok(s, true);
    Gridlink__V1__Case c;
    case_init(&c, "live-1", "written by the node");
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
        uint64_t expect = count_cases(s);
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
    struct fx *f = *state;
    gl_store_opts ro = {.read_only = true};
    gl_store_t *s = (gl_store_t *)0x1;
    /* Read-only never creates the directory. */
    assert_int_equal(gl_store_open(f->dir, "n1", &ro, &s), GL_ENOENT);
    assert_null(s);
    struct stat st;
    assert_int_equal(stat(f->dir, &st), -1);
    assert_int_equal(errno, ENOENT);

    s = open_ok(f->dir, "n1", 0);
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
        cmocka_unit_test_setup_teardown(test_open_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_pruned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_and_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadlines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
