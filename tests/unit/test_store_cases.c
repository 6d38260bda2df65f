/* test_store_cases.c: unit tests for cases, the log and the deadline
 * index (common/store_cases.c) against real LMDB files, each test in a
 * fresh directory (store_fx.c), values that do not decode among them. */
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

static void put_raw(gl_store_t *s, enum gl_db db, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_txn *t = sfx_begin(s, true);
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    assert_int_equal(mdb_put(t, gl_store_dbi(s, db), &key, &val, 0), 0);
    assert_int_equal(gl_store_commit(t), 0);
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
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);

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

    MDB_txn *t = sfx_begin(s, true);
    uint64_t n = 99;
    assert_int_equal(gl_store_case_count(t, s, &n), 0);
    assert_int_equal(n, 0);

    const char *ids[3] = {"c-3", "c-1", "c-2"};
    for (int i = 0; i < 3; i++) {
        Gridlink__V1__Case c;
        char text[32];
        snprintf(text, sizeof text, "text of %s", ids[i]);
        sfx_case_init(&c, ids[i], text);
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

    t = sfx_begin(s, false);
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
    t = sfx_begin(s, true);
    Gridlink__V1__Case c;
    sfx_case_init(&c, "c-2", "updated");
    c.version = 2;
    c.state = GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED;
    assert_int_equal(gl_store_case_put(t, s, &c), 0);
    assert_int_equal(gl_store_commit(t), 0);
    assert_int_equal(sfx_count_cases(s), 3);
    t = sfx_begin(s, false);
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
    s = sfx_open(other, "n2", 0);
    t = sfx_begin(s, false);
    seen[0] = '\0';
    assert_int_equal(gl_store_case_foreach(t, s, collect_ids, seen), 0);
    assert_string_equal(seen, "");
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_corrupt_values(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);
    const uint8_t junk[3] = {0xff, 0xff, 0xff}; /* truncated varint tag */

    Gridlink__V1__Case c;
    sfx_case_init(&c, "a-good", "fine");
    MDB_txn *t = sfx_begin(s, true);
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

    t = sfx_begin(s, false);
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
    t = sfx_begin(s, false);
    assert_int_equal(gl_store_log_last(t, s, &v), GL_ESTORE);
    gl_store_abort(t);
    gl_store_close(&s);
}

static void test_log(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);

    MDB_txn *t = sfx_begin(s, true);
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

    t = sfx_begin(s, false);
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
    s = sfx_open(f->dir, "n1", 0);
    t = sfx_begin(s, true);
    Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
    ev.kind = "closed";
    assert_int_equal(gl_store_log_append(t, s, &ev), 0);
    assert_int_equal(ev.seq, 4);
    assert_int_equal(gl_store_commit(t), 0);
    t = sfx_begin(s, false);
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
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);
    MDB_txn *t = sfx_begin(s, true);
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

    s = sfx_open(f->dir, "n1", 0);
    t = sfx_begin(s, true);
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

static void test_deadlines(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);
    MDB_txn *t = sfx_begin(s, true);
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
    t = sfx_begin(s, true);
    assert_int_equal(gl_store_deadline_del(t, s, 5000, GL_DEADLINE_RESOLVE, "c-1"), 0);
    assert_int_equal(gl_store_deadline_put(t, s, 80000, GL_DEADLINE_RESOLVE, "c-1"), 0);
    want[3].due = 80000;
    assert_int_equal(gl_store_commit(t), 0);
    const int pop[6] = {0, 1, 2, 4, 3, 5};

    t = sfx_begin(s, true);
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

int main(void)
{
    gl_log_init("test_store_cases", GL_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cases, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_values, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_log, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_log_pruned, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_deadlines, sfx_setup, sfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
