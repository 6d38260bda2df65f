/* test_store_peers.c: unit tests for peer marks and outboxes
 * (common/store_peers.c) against real LMDB files, each test in a fresh
 * directory (store_fx.c). */
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

static void test_peers(void **state)
{
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);
    MDB_txn *t = sfx_begin(s, true);
    gl_peer_marks m = {9, 9, 9};
    assert_int_equal(gl_store_peer_get(t, s, "c1", &m), 0);
    assert_int_equal(m.in_applied, 0);
    assert_int_equal(m.out_next, 1);
    assert_int_equal(m.out_acked, 0);

    gl_peer_marks w = {.in_applied = 5, .out_next = 0x100000001ull, .out_acked = 4};
    assert_int_equal(gl_store_peer_put(t, s, "c1", &w), 0);
    assert_int_equal(gl_store_commit(t), 0);
    gl_store_close(&s);

    s = sfx_open(f->dir, "n1", 0);
    t = sfx_begin(s, false);
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
    struct sfx *f = *state;
    gl_store_t *s = sfx_open(f->dir, "n1", 0);
    MDB_txn *t = sfx_begin(s, true);
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

    t = sfx_begin(s, true);
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
    t = sfx_begin(s, true);
    char payload[100];
    memset(payload, 'p', sizeof payload);
    for (uint64_t q = 1; q <= 2000; q++)
        assert_int_equal(gl_store_outbox_put(t, s, "big", q, payload, sizeof payload), 0);
    assert_int_equal(gl_store_outbox_trim(t, s, "big", 1500, &del), 0);
    assert_int_equal(del, 1500);
    assert_int_equal(gl_store_commit(t), 0);
    t = sfx_begin(s, false);
    assert_int_equal(outbox_n(s, t, "big"), 500);
    scan(s, t, "big", 0, 1, &l);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.seq[0], 1501);
    assert_int_equal(outbox_n(s, t, "ab"), 2);
    gl_store_abort(t);
    gl_store_close(&s);
}

int main(void)
{
    gl_log_init("test_store_peers", GL_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_peers, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_outbox, sfx_setup, sfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
