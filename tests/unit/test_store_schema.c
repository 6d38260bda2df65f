/* test_store_schema.c: the store's schema versions on real LMDB files.
 *
 * The fixture tests/fixtures/store-v1/xinbei.sanjing.c01 is a community's
 * store written by a build of schema version 1 (before files and
 * files_sent; its README says how it was made). Each test copies it into
 * a fresh mkdtemp directory (removed afterwards) and opens the copy: read-
 * only it is read as it is and its file stays byte for byte the same;
 * read-write it is migrated to version 3 in the open, logged once, and its
 * cases read back as they were recorded when the fixture was made; a store
 * of a newer version is refused with a message naming both versions; a
 * version-1 backup restored by this build is migrated; a version-2 store
 * (photos, no receipts) is migrated one step. The
 * log goes to a file of the test's directory, read back to check its lines.
 * GL_SRC names the source tree (set by ctest). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "store.h"

#define NODE "xinbei.sanjing.c01"

struct fx {
    char root[1024];
    char dir[1100];
    char data[1200];
    char log[1100];
    int log_fd;
};

/* ---- what the fixture holds, as `gridlink show --json` gave it when the
 * fixture was made ---- */

struct step {
    const char *action;
    Gridlink__V1__CaseState state;
    const char *node;
    int64_t time_ms;
    const char *note;
};

static const struct want {
    const char *id;
    Gridlink__V1__CaseState state;
    uint32_t version;
    const char *category, *text;
    size_t n_history;
    struct step history[4];
} cases[] = {
    {"xinbei.sanjing.c01.g1-000001",
     GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED,
     3,
     "urban/sanitation",
     "楼道堆放杂物",
     3,
     {{"reported", GRIDLINK__V1__CASE_STATE__STATE_REPORTED, "xinbei.sanjing.c01.g1", 1796191080044, ""},
      {"received", GRIDLINK__V1__CASE_STATE__STATE_REPORTED, "xinbei.sanjing.c01", 1796191080046, ""},
      {"accepted", GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED, "xinbei.sanjing.c01", 1796191084407, "收到"}}},
    {"xinbei.sanjing.c01.g1-000002",
     GRIDLINK__V1__CASE_STATE__STATE_REPORTED,
     2,
     "governance/safety",
     "路灯不亮",
     2,
     {{"reported", GRIDLINK__V1__CASE_STATE__STATE_REPORTED, "xinbei.sanjing.c01.g1", 1796191080077, ""},
      {"received", GRIDLINK__V1__CASE_STATE__STATE_REPORTED, "xinbei.sanjing.c01", 1796191080082, ""}}},
    {"xinbei.sanjing.c01.g2-000001",
     GRIDLINK__V1__CASE_STATE__STATE_IN_PROGRESS,
     4,
     "party/activities",
     "志愿活动场地",
     4,
     {{"reported", GRIDLINK__V1__CASE_STATE__STATE_REPORTED, "xinbei.sanjing.c01.g2", 1796191080132, ""},
      {"received", GRIDLINK__V1__CASE_STATE__STATE_REPORTED, "xinbei.sanjing.c01", 1796191080133, ""},
      {"accepted", GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED, "xinbei.sanjing.c01", 1796191084428, ""},
      {"started", GRIDLINK__V1__CASE_STATE__STATE_IN_PROGRESS, "xinbei.sanjing.c01", 1796191084452, "已到现场"}}},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* ---- fixture ---- */

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(in >= 0);
    assert_true(out >= 0);
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    close(in);
    close(out);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *tmp = getenv("TMPDIR"), *src = getenv("GL_SRC");
    assert_non_null(src);
    snprintf(f->root, sizeof f->root, "%s/gl-schema-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/" NODE, f->root);
    snprintf(f->data, sizeof f->data, "%s/data.mdb", f->dir);
    snprintf(f->log, sizeof f->log, "%s/log", f->root);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    char fixture[PATH_MAX];
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/store-v1/" NODE "/data.mdb", src);
    copy_file(fixture, f->data);
    f->log_fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    assert_true(f->log_fd >= 0);
    gl_log_set_fd(f->log_fd);
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
    gl_log_set_fd(2);
    close(f->log_fd);
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static void file_hash(const char *path, uint8_t out[crypto_hash_sha256_BYTES])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t buf[1 << 16];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
    assert_int_equal(n, 0);
    close(fd);
    crypto_hash_sha256_final(&st, out);
}

/* How many lines of the log hold `text`. */
static int log_count(const struct fx *f, const char *text)
{
    gl_log_flush();
    FILE *fp = fopen(f->log, "r");
    assert_non_null(fp);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, fp))
        n += strstr(line, text) != NULL;
    fclose(fp);
    return n;
}

static void check_cases(gl_store_t *s)
{
    MDB_txn *t = NULL;
    assert_int_equal(gl_store_begin(s, NULL, false, &t), 0);
    uint64_t n = 0;
    assert_int_equal(gl_store_case_count(t, s, &n), 0);
    assert_int_equal(n, N_CASES);
    for (size_t i = 0; i < N_CASES; i++) {
        const struct want *w = &cases[i];
        Gridlink__V1__Case *c = NULL;
        assert_int_equal(gl_store_case_get(t, s, w->id, &c), 0);
        assert_string_equal(c->id, w->id);
        assert_int_equal(c->state, w->state);
        assert_int_equal(c->version, w->version);
        assert_string_equal(c->category, w->category);
        assert_string_equal(c->text, w->text);
        assert_string_equal(c->holder, NODE);
        assert_int_equal(c->n_history, w->n_history);
        for (size_t j = 0; j < w->n_history; j++) {
            const Gridlink__V1__HistoryEntry *h = c->history[j];
            assert_string_equal(h->action, w->history[j].action);
            assert_int_equal(h->state, w->history[j].state);
            assert_string_equal(h->node, w->history[j].node);
            assert_int_equal(h->time_ms, w->history[j].time_ms);
            assert_string_equal(h->note, w->history[j].note);
        }
        gridlink__v1__case__free_unpacked(c, NULL);
    }
    gl_store_abort(t);
}

static void put_schema(const struct fx *f, uint64_t v)
{
    /* Straight through LMDB, as another build would have written it. */
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
    uint8_t b[8];
    gl_be64_put(b, v);
    MDB_val k = {6, "schema"}, d = {sizeof b, b};
    assert_int_equal(mdb_put(t, meta, &k, &d, 0), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    mdb_env_close(env);
}

/* ---- tests ---- */

static void test_read_only_v1(void **state)
{
    struct fx *f = *state;
    uint8_t before[crypto_hash_sha256_BYTES], after[crypto_hash_sha256_BYTES];
    file_hash(f->data, before);

    gl_store_opts ro = {.read_only = true};
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(f->dir, NODE, &ro, &s), 0);
    assert_int_equal(gl_store_schema(s), 1);
    check_cases(s);
    /* The files databases read as absent. */
    MDB_txn *t = NULL;
    assert_int_equal(gl_store_begin(s, NULL, false, &t), 0);
    uint8_t sha[32] = {1};
    Gridlink__V1__Attachment *a = NULL;
    assert_int_equal(gl_store_file_info(t, s, sha, &a), GL_ENOENT);
    assert_int_equal(gl_store_file_sent(t, s, "xinbei.sanjing", sha), 0);
    char id[64];
    assert_int_equal(gl_store_receipt_get(t, s, sha, id, sizeof id), GL_ENOENT);
    gl_store_abort(t);
    gl_store_close(&s);

    file_hash(f->data, after);
    assert_memory_equal(before, after, sizeof before);
    assert_int_equal(log_count(f, "migrated"), 0);
}

static void test_migrate_v1(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(f->dir, NODE, NULL, &s), 0);
    assert_int_equal(gl_store_schema(s), GL_STORE_SCHEMA_VERSION);
    assert_int_equal(GL_STORE_SCHEMA_VERSION, 5);
    char line[1400];
    snprintf(line, sizeof line, "store %s: schema 1 migrated to 5", f->dir);
    assert_int_equal(log_count(f, line), 1);
    check_cases(s);

    /* The migration's databases take files. */
    MDB_txn *t = NULL;
    assert_int_equal(gl_store_begin(s, NULL, true, &t), 0);
    uint64_t v = 0;
    assert_int_equal(gl_store_meta_get_u64(t, s, "schema", &v), 0);
    assert_int_equal(v, 5);
    uint8_t code[GL_RECEIPT_HASH];
    memset(code, 0x11, sizeof code);
    assert_int_equal(gl_store_receipt_put(t, s, code, "xinbei.sanjing.c01.g1-000002"), 0);
    uint8_t sha[32];
    memset(sha, 0xab, sizeof sha);
    Gridlink__V1__Attachment a = GRIDLINK__V1__ATTACHMENT__INIT;
    a.size = 5;
    a.chunks = 1;
    a.content_type = "image/png";
    assert_int_equal(gl_store_file_info_put(t, s, sha, &a), 0);
    assert_int_equal(gl_store_file_chunk_put(t, s, sha, 0, "hello", 5), 0);
    assert_int_equal(gl_store_file_sent_put(t, s, "xinbei.sanjing", sha), 0);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);

    /* Opened again: version 2 already, nothing migrates, the file is there. */
    assert_int_equal(gl_store_open(f->dir, NODE, NULL, &s), 0);
    assert_int_equal(log_count(f, "migrated"), 1);
    assert_int_equal(gl_store_begin(s, NULL, false, &t), 0);
    Gridlink__V1__Attachment *got = NULL;
    assert_int_equal(gl_store_file_info(t, s, sha, &got), 0);
    assert_int_equal(got->size, 5);
    gridlink__v1__attachment__free_unpacked(got, NULL);
    const void *data = NULL;
    size_t len = 0;
    assert_int_equal(gl_store_file_chunk_get(t, s, sha, 0, &data, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    assert_int_equal(gl_store_file_sent(t, s, "xinbei.sanjing", sha), 1);
    char id[64];
    assert_int_equal(gl_store_receipt_get(t, s, code, id, sizeof id), 0);
    assert_string_equal(id, "xinbei.sanjing.c01.g1-000002");
    gl_store_abort(t);
    check_cases(s);
    gl_store_close(&s);
}

static void test_newer_refused(void **state)
{
    struct fx *f = *state;
    put_schema(f, 99);
    uint8_t before[crypto_hash_sha256_BYTES], after[crypto_hash_sha256_BYTES];
    file_hash(f->data, before);
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(f->dir, NODE, NULL, &s), GL_EINVAL);
    assert_null(s);
    gl_store_opts ro = {.read_only = true};
    assert_int_equal(gl_store_open(f->dir, NODE, &ro, &s), GL_EINVAL);
    assert_null(s);
    char line[1400];
    snprintf(line, sizeof line,
             "store: %s has schema version 99, written by a newer gridlink; this binary knows versions up to 5: "
             "upgrade this binary, or restore a backup taken before the upgrade",
             f->dir);
    assert_int_equal(log_count(f, line), 2);
    file_hash(f->data, after);
    assert_memory_equal(before, after, sizeof before);
}

/* A version-1 store written after attachments came already has the files
 * databases: the migration keeps what they hold. */
static void test_migrate_v1_with_files(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(f->dir, NODE, NULL, &s), 0);
    MDB_txn *t = NULL;
    uint8_t sha[32];
    memset(sha, 0x5c, sizeof sha);
    assert_int_equal(gl_store_begin(s, NULL, true, &t), 0);
    assert_int_equal(gl_store_file_chunk_put(t, s, sha, 0, "kept", 4), 0);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);
    put_schema(f, 1);

    gl_store_opts ro = {.read_only = true};
    assert_int_equal(gl_store_open(f->dir, NODE, &ro, &s), 0);
    assert_int_equal(gl_store_schema(s), 1);
    const void *data = NULL;
    size_t len = 0;
    assert_int_equal(gl_store_begin(s, NULL, false, &t), 0);
    assert_int_equal(gl_store_file_chunk_get(t, s, sha, 0, &data, &len), 0);
    gl_store_abort(t);
    gl_store_close(&s);

    assert_int_equal(gl_store_open(f->dir, NODE, NULL, &s), 0);
    assert_int_equal(gl_store_schema(s), 5);
    assert_int_equal(log_count(f, "schema 1 migrated to 5"), 2);
    assert_int_equal(gl_store_begin(s, NULL, false, &t), 0);
    assert_int_equal(gl_store_file_chunk_get(t, s, sha, 0, &data, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(data, "kept", 4);
    gl_store_abort(t);
    gl_store_close(&s);
}

/* A store of version 2 (photos, no receipts): read-only it has no
 * receipts; read-write it gets them, one step, logged from 2. */
static void test_migrate_v2(void **state)
{
    struct fx *f = *state;
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(f->dir, NODE, NULL, &s), 0);
    gl_store_close(&s);
    /* What a version-2 build left: no receipts database, schema 2. */
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, "receipts", 0, &dbi), 0);
    assert_int_equal(mdb_drop(t, dbi, 1), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    mdb_env_close(env);
    put_schema(f, 2);

    gl_store_opts ro = {.read_only = true};
    assert_int_equal(gl_store_open(f->dir, NODE, &ro, &s), 0);
    assert_int_equal(gl_store_schema(s), 2);
    uint8_t code[GL_RECEIPT_HASH] = {7};
    char id[64];
    assert_int_equal(gl_store_begin(s, NULL, false, &t), 0);
    assert_int_equal(gl_store_receipt_get(t, s, code, id, sizeof id), GL_ENOENT);
    gl_store_abort(t);
    gl_store_close(&s);

    assert_int_equal(gl_store_open(f->dir, NODE, NULL, &s), 0);
    assert_int_equal(gl_store_schema(s), 5);
    char line[1400];
    snprintf(line, sizeof line, "store %s: schema 2 migrated to 5", f->dir);
    assert_int_equal(log_count(f, line), 1);
    assert_int_equal(gl_store_begin(s, NULL, true, &t), 0);
    assert_int_equal(gl_store_receipt_put(t, s, code, "xinbei.sanjing.c01.g1-000001"), 0);
    assert_int_equal(gl_store_commit(t), 0);
    check_cases(s);
    gl_store_close(&s);
}

/* A backup taken before the upgrade (a version-1 copy) is restored by
 * today's build: it is migrated as it is given its new identity. */
static void test_restore_v1(void **state)
{
    struct fx *f = *state;
    char dir[1200], err[600] = "";
    snprintf(dir, sizeof dir, "%s/restored", f->root);
    assert_int_equal(gl_store_restore(f->dir, dir, NODE, err, sizeof err), 0);
    gl_store_opts ro = {.read_only = true};
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(f->dir, NODE, &ro, &s), 0);
    assert_int_equal(gl_store_schema(s), 1); /* the copy itself is untouched */
    gl_store_close(&s);
    assert_int_equal(gl_store_open(dir, NODE, &ro, &s), 0);
    assert_int_equal(gl_store_schema(s), 5);
    check_cases(s);
    gl_store_close(&s);
    assert_int_equal(log_count(f, "schema 1 migrated to 5"), 1);
}

/* A store made by this build records version 5 and has every database. */
static void test_new_store(void **state)
{
    struct fx *f = *state;
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/fresh", f->root);
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(dir, "n1", NULL, &s), 0);
    assert_int_equal(gl_store_schema(s), 5);
    gl_store_close(&s);
    gl_store_opts ro = {.read_only = true};
    assert_int_equal(gl_store_open(dir, "n1", &ro, &s), 0);
    assert_int_equal(gl_store_schema(s), 5);
    MDB_txn *t = NULL;
    assert_int_equal(gl_store_begin(s, NULL, false, &t), 0);
    uint64_t v = 0;
    assert_int_equal(gl_store_meta_get_u64(t, s, "schema", &v), 0);
    assert_int_equal(v, 5);
    MDB_stat st;
    for (int db = GL_DB_RECEIPTS; db < GL_DB_COUNT; db++)
        assert_int_equal(mdb_stat(t, gl_store_dbi(s, (enum gl_db)db), &st), 0);
    assert_int_equal(mdb_stat(t, gl_store_dbi(s, GL_DB_FILES), &st), 0);
    assert_int_equal(mdb_stat(t, gl_store_dbi(s, GL_DB_FILES_SENT), &st), 0);
    gl_store_abort(t);
    gl_store_close(&s);
    assert_int_equal(log_count(f, "migrated"), 0);
}

int main(void)
{
    gl_log_init("test_store_schema", GL_LOG_INFO);
    gl_log_set_limit(0, 0); /* every line counted, however many tests log it */
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_only_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v1_with_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_store, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
