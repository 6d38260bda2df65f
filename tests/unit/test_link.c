/* test_link.c: the reliable link between two real stores, with the
 * transport replaced by in-memory queues so that the test decides which
 * frames and acks get through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "deadletter.h"
#include "error.h"
#include "link.h"
#include "log.h"
#include "store.h"

#define MAXQ 256

typedef struct {
    uint8_t *buf[MAXQ];
    size_t len[MAXQ];
    int n;
    int refuse; /* transport says "would block" */
} queue_t;

static int qsend(void *ctx, const char *peer, const uint8_t *buf, size_t len)
{
    (void)peer;
    queue_t *q = ctx;
    if (q->refuse || q->n == MAXQ)
        return -11;
    q->buf[q->n] = malloc(len);
    memcpy(q->buf[q->n], buf, len);
    q->len[q->n++] = len;
    return 0;
}

static void qclear(queue_t *q)
{
    for (int i = 0; i < q->n; i++)
        free(q->buf[i]);
    q->n = 0;
}

typedef struct {
    char dir[64];
    gl_store_t *child_store, *parent_store;
    gl_link_t *up;   /* child's view of the parent */
    gl_link_t *down; /* parent's view of the child */
    queue_t to_parent, to_child;
    int applied;         /* transfers the parent applied */
    uint64_t refuse_seq; /* the parent refuses this sequence number (0: none) */
    int dead;            /* GL_LINK_DEAD outcomes seen */
} pair_t;

static int setup(void **state)
{
    pair_t *p = calloc(1, sizeof *p);
    strcpy(p->dir, "/tmp/gl-test-link-XXXXXX");
    assert_non_null(mkdtemp(p->dir));
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/child", p->dir);
    snprintf(b, sizeof b, "%s/parent", p->dir);
    assert_int_equal(gl_store_open(a, "d.t.c", NULL, &p->child_store), 0);
    assert_int_equal(gl_store_open(b, "d.t", NULL, &p->parent_store), 0);
    gl_link_cfg up = {.self = "d.t.c", .peer = "d.t", .to_parent = true, .window = 8, .rto_ms = 100};
    gl_link_cfg down = {.self = "d.t", .peer = "d.t.c", .to_parent = false, .window = 8, .rto_ms = 100};
    assert_int_equal(gl_link_new(p->child_store, &up, qsend, &p->to_parent, &p->up), 0);
    assert_int_equal(gl_link_new(p->parent_store, &down, qsend, &p->to_child, &p->down), 0);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pair_t *p = *state;
    gl_link_free(&p->up);
    gl_link_free(&p->down);
    gl_store_close(&p->child_store);
    gl_store_close(&p->parent_store);
    qclear(&p->to_parent);
    qclear(&p->to_child);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", p->dir);
    assert_int_equal(system(cmd), 0);
    free(p);
    return 0;
}

/* The child writes n transfers in one transaction and commits. */
static void child_sends(pair_t *p, int n, int64_t now)
{
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(p->child_store, NULL, true, &txn), 0);
    for (int i = 0; i < n; i++) {
        Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
        char id[64];
        snprintf(id, sizeof id, "d.t.c-%06d", i + 1);
        c.id = id;
        c.holder = "d.t";
        c.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
        Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
        tr.case_ = &c;
        tr.reason = "reported";
        Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
        env.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
        env.transfer = &tr;
        assert_int_equal(gl_link_enqueue(p->up, txn, &env), 0);
    }
    assert_int_equal(gl_link_save(p->up, txn), 0);
    assert_int_equal(gl_store_commit(txn), 0);
    gl_link_commit(p->up);
    gl_link_flush(p->up, now);
}

/* Deliver every queued frame from one side to the other's link, applying
 * sequenced ones the way a node does, in one transaction, then commit and
 * flush (which sends the ack). */
static void deliver(pair_t *p, queue_t *q, gl_link_t *to, gl_store_t *store, int64_t now)
{
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(store, NULL, true, &txn), 0);
    for (int i = 0; i < q->n; i++) {
        Gridlink__V1__Envelope *env;
        char err[128];
        assert_int_equal(gl_decode_envelope(q->buf[i], q->len[i], &env, err, sizeof err), 0);
        int rc = gl_link_receive(to, txn, env, now);
        assert_true(rc >= 0);
        if (rc == GL_LINK_DEAD)
            p->dead++;
        if (rc == GL_LINK_APPLY && to == p->down && env->seq == p->refuse_seq) {
            gl_link_refuse(to, env->seq, q->buf[i], q->len[i], GL_ETOOBIG, "too large for this test");
        } else if (rc == GL_LINK_APPLY) {
            if (to == p->down)
                p->applied++;
            assert_int_equal(gl_link_applied(to, txn, env->seq), 0);
        }
        gridlink__v1__envelope__free_unpacked(env, NULL);
    }
    qclear(q);
    assert_int_equal(gl_link_save(to, txn), 0);
    assert_int_equal(gl_store_commit(txn), 0);
    gl_link_commit(to);
    gl_link_flush(to, now);
}

static gl_peer_marks stored_marks(gl_store_t *s, const char *peer)
{
    MDB_txn *txn;
    gl_peer_marks m;
    assert_int_equal(gl_store_begin(s, NULL, false, &txn), 0);
    assert_int_equal(gl_store_peer_get(txn, s, peer, &m), 0);
    gl_store_abort(txn);
    return m;
}

/* A batch's marks reach the store in gl_link_save, once, in the batch's own
 * transaction: none of the batch's messages moves them before, and a link
 * opened again on the store starts from what the commit wrote. */
static void test_marks_written_once_per_batch(void **state)
{
    pair_t *p = *state;
    child_sends(p, 5, 1000);
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(p->parent_store, NULL, true, &txn), 0);
    for (int i = 0; i < p->to_parent.n; i++) {
        Gridlink__V1__Envelope *env;
        char err[128];
        assert_int_equal(gl_decode_envelope(p->to_parent.buf[i], p->to_parent.len[i], &env, err, sizeof err), 0);
        if (gl_link_receive(p->down, txn, env, 1000) == GL_LINK_APPLY)
            assert_int_equal(gl_link_applied(p->down, txn, env->seq), 0);
        gridlink__v1__envelope__free_unpacked(env, NULL);
    }
    qclear(&p->to_parent);
    gl_peer_marks m;
    assert_int_equal(gl_store_peer_get(txn, p->parent_store, "d.t.c", &m), 0);
    assert_int_equal(m.in_applied, 0); /* not yet: the batch writes them once */
    assert_int_equal(gl_link_save(p->down, txn), 0);
    assert_int_equal(gl_store_peer_get(txn, p->parent_store, "d.t.c", &m), 0);
    assert_int_equal(m.in_applied, 5);
    assert_int_equal(gl_store_commit(txn), 0);
    gl_link_commit(p->down);
    assert_int_equal(stored_marks(p->parent_store, "d.t.c").in_applied, 5);
    /* the child's marks: five sent, written by its own batch */
    assert_int_equal(stored_marks(p->child_store, "d.t").out_next, 6);
    gl_link_free(&p->down);
    gl_link_cfg down = {.self = "d.t", .peer = "d.t.c", .to_parent = false, .window = 8, .rto_ms = 100};
    assert_int_equal(gl_link_new(p->parent_store, &down, qsend, &p->to_child, &p->down), 0);
    assert_int_equal(gl_link_marks(p->down)->in_applied, 5);
    assert_int_equal(gl_link_expected(p->down), 6);
}

static uint64_t outbox(gl_store_t *s, const char *peer)
{
    MDB_txn *txn;
    uint64_t n = 0;
    assert_int_equal(gl_store_begin(s, NULL, false, &txn), 0);
    assert_int_equal(gl_store_outbox_count(txn, s, peer, &n), 0);
    gl_store_abort(txn);
    return n;
}

static void test_delivered_and_acked(void **state)
{
    pair_t *p = *state;
    child_sends(p, 3, 1000);
    /* The hello goes first, then three sequenced frames. */
    assert_int_equal(p->to_parent.n, 4);
    deliver(p, &p->to_parent, p->down, p->parent_store, 1001);
    assert_int_equal(p->applied, 3);
    assert_int_equal(gl_link_marks(p->down)->in_applied, 3);
    assert_int_equal(outbox(p->child_store, "d.t"), 3);
    /* Welcome carries the ack: the child's outbox empties. */
    deliver(p, &p->to_child, p->up, p->child_store, 1002);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);
    assert_int_equal(gl_link_pending(p->up), 0);
}

static void test_lost_ack_resend_applied_once(void **state)
{
    pair_t *p = *state;
    child_sends(p, 3, 1000);
    deliver(p, &p->to_parent, p->down, p->parent_store, 1001);
    assert_int_equal(p->applied, 3);
    /* The ack is lost on the way back. */
    qclear(&p->to_child);
    assert_int_equal(gl_link_pending(p->up), 3);
    /* After the retransmission timeout the child sends the three again. */
    gl_link_tick(p->up, 1000 + 500);
    int resent = 0;
    for (int i = 0; i < p->to_parent.n; i++) {
        Gridlink__V1__Envelope *env;
        char err[128];
        assert_int_equal(gl_decode_envelope(p->to_parent.buf[i], p->to_parent.len[i], &env, err, sizeof err), 0);
        resent += env->seq != 0;
        gridlink__v1__envelope__free_unpacked(env, NULL);
    }
    assert_int_equal(resent, 3);
    deliver(p, &p->to_parent, p->down, p->parent_store, 1501);
    /* Applied once: the resends were recognised as duplicates. */
    assert_int_equal(p->applied, 3);
    assert_int_equal(gl_link_get_stats(p->down)->duplicates, 3);
    deliver(p, &p->to_child, p->up, p->child_store, 1502);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);
}

static void test_gap_is_dropped_then_repaired(void **state)
{
    pair_t *p = *state;
    child_sends(p, 3, 1000);
    /* Lose the first sequenced frame (index 1, after the hello). */
    free(p->to_parent.buf[1]);
    memmove(&p->to_parent.buf[1], &p->to_parent.buf[2], 2 * sizeof(uint8_t *));
    memmove(&p->to_parent.len[1], &p->to_parent.len[2], 2 * sizeof(size_t));
    p->to_parent.n = 3;
    deliver(p, &p->to_parent, p->down, p->parent_store, 1001);
    assert_int_equal(p->applied, 0);
    assert_int_equal(gl_link_get_stats(p->down)->gaps, 2);
    deliver(p, &p->to_child, p->up, p->child_store, 1002);
    gl_link_tick(p->up, 1500);
    deliver(p, &p->to_parent, p->down, p->parent_store, 1501);
    assert_int_equal(p->applied, 3);
}

static void test_window_limits_in_flight(void **state)
{
    pair_t *p = *state;
    child_sends(p, 20, 1000);
    /* Window 8: hello + 8 frames, the rest wait in the outbox. */
    assert_int_equal(p->to_parent.n, 9);
    assert_int_equal(outbox(p->child_store, "d.t"), 20);
    for (int round = 0; round < 4 && gl_link_pending(p->up) > 0; round++) {
        deliver(p, &p->to_parent, p->down, p->parent_store, 1001 + round);
        deliver(p, &p->to_child, p->up, p->child_store, 1001 + round);
    }
    assert_int_equal(p->applied, 20);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);
}

static void test_transport_refusal_keeps_outbox(void **state)
{
    pair_t *p = *state;
    p->to_parent.refuse = 1;
    child_sends(p, 2, 1000);
    assert_int_equal(p->to_parent.n, 0);
    assert_int_equal(outbox(p->child_store, "d.t"), 2);
    p->to_parent.refuse = 0;
    gl_link_tick(p->up, 1100);
    deliver(p, &p->to_parent, p->down, p->parent_store, 1101);
    assert_int_equal(p->applied, 2);
}

static void test_marks_survive_reopen(void **state)
{
    pair_t *p = *state;
    child_sends(p, 2, 1000);
    deliver(p, &p->to_parent, p->down, p->parent_store, 1001);
    /* The parent restarts: a new link object over the same store. */
    gl_link_free(&p->down);
    gl_link_cfg down = {.self = "d.t", .peer = "d.t.c", .to_parent = false, .window = 8, .rto_ms = 100};
    assert_int_equal(gl_link_new(p->parent_store, &down, qsend, &p->to_child, &p->down), 0);
    assert_int_equal(gl_link_marks(p->down)->in_applied, 2);
    /* The child, never acked, resends; nothing is applied twice. */
    qclear(&p->to_child);
    gl_link_connected(p->up, 2000);
    gl_link_flush(p->up, 2000);
    deliver(p, &p->to_parent, p->down, p->parent_store, 2001);
    assert_int_equal(p->applied, 2);
    deliver(p, &p->to_child, p->up, p->child_store, 2002);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);
}

static void test_liveness(void **state)
{
    pair_t *p = *state;
    child_sends(p, 1, 1000);
    deliver(p, &p->to_parent, p->down, p->parent_store, 1000);
    assert_true(gl_link_up(p->down));
    assert_false(gl_link_tick(p->down, 2000));
    /* Three heartbeat intervals (1 s each by default) of silence. */
    assert_true(gl_link_tick(p->down, 4100));
    assert_false(gl_link_up(p->down));
}

static uint64_t dead_letters(gl_store_t *s)
{
    MDB_txn *txn;
    uint64_t n = 0;
    assert_int_equal(gl_store_begin(s, NULL, false, &txn), 0);
    assert_int_equal(gl_dead_count(txn, s, &n), 0);
    gl_store_abort(txn);
    return n;
}

static void exchange(pair_t *p, int rounds, int64_t now)
{
    for (int r = 0; r < rounds; r++) {
        deliver(p, &p->to_parent, p->down, p->parent_store, now + 2 * r);
        deliver(p, &p->to_child, p->up, p->child_store, now + 2 * r + 1);
    }
}

/* A message the receiver will never take is refused by number; the sender
 * keeps it as a dead letter, a Skip takes its place, and what follows it on
 * the link arrives. An operator's retry sends it again under a new number. */
static void test_refused_message_dead_lettered_link_goes_on(void **state)
{
    pair_t *p = *state;
    p->refuse_seq = 2;
    child_sends(p, 3, 1000);
    deliver(p, &p->to_parent, p->down, p->parent_store, 1001);
    assert_int_equal(p->applied, 1);
    assert_int_equal(gl_link_marks(p->down)->in_applied, 1); /* the refusal did not move the mark */
    assert_int_equal(gl_link_get_stats(p->down)->refused_in, 1);
    deliver(p, &p->to_child, p->up, p->child_store, 1002);
    assert_int_equal(p->dead, 1);
    assert_string_equal(gl_link_last_dead_case(p->up), "d.t.c-000002");
    assert_int_equal(dead_letters(p->child_store), 1);
    exchange(p, 3, 1003);
    assert_int_equal(p->applied, 2);
    assert_int_equal(gl_link_get_stats(p->down)->skipped, 1);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);

    p->refuse_seq = 0;
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(p->child_store, NULL, true, &txn), 0);
    assert_int_equal(gl_link_retry_dead(p->up, txn, 2), 0);
    assert_int_equal(gl_link_save(p->up, txn), 0);
    assert_int_equal(gl_store_commit(txn), 0);
    gl_link_commit(p->up);
    gl_link_flush(p->up, 1100);
    exchange(p, 2, 1101);
    assert_int_equal(p->applied, 3);
    assert_int_equal(dead_letters(p->child_store), 0);
    assert_int_equal(gl_link_marks(p->down)->in_applied, 4);
}

/* Someone else with the child's key sends a message under the next number:
 * refused, it costs the child nothing, and the refusal, if it reaches the
 * child, matches nothing the child holds. */
static void test_forged_message_costs_no_number(void **state)
{
    pair_t *p = *state;
    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
    c.id = "d.x.y-000001";
    c.holder = "d.t";
    c.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
    tr.case_ = &c;
    tr.reason = "reported";
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.version = GL_PROTO_VERSION;
    env.sender = "d.t.c";
    env.seq = 1;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
    env.transfer = &tr;
    uint8_t *buf;
    size_t len;
    assert_int_equal(gl_pack(&env.base, &buf, &len), 0);
    p->refuse_seq = 1;
    queue_t forged = {0};
    forged.buf[0] = buf;
    forged.len[0] = len;
    forged.n = 1;
    deliver(p, &forged, p->down, p->parent_store, 1000);
    assert_int_equal(gl_link_marks(p->down)->in_applied, 0);
    p->refuse_seq = 0;
    child_sends(p, 2, 1001);
    exchange(p, 2, 1002);
    assert_int_equal(p->applied, 2);
    assert_int_equal(p->dead, 0);
    assert_int_equal(dead_letters(p->child_store), 0);
    assert_true(gl_link_get_stats(p->up)->stale_refusals >= 1);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);
}

static void reopen_store(pair_t *p, bool child)
{
    char path[128], cmd[160];
    snprintf(path, sizeof path, "%s/%s", p->dir, child ? "child" : "parent");
    snprintf(cmd, sizeof cmd, "rm -rf %s", path);
    if (child) {
        gl_link_free(&p->up);
        gl_store_close(&p->child_store);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(gl_store_open(path, "d.t.c", NULL, &p->child_store), 0);
        gl_link_cfg up = {.self = "d.t.c", .peer = "d.t", .to_parent = true, .window = 8, .rto_ms = 100};
        assert_int_equal(gl_link_new(p->child_store, &up, qsend, &p->to_parent, &p->up), 0);
    } else {
        gl_link_free(&p->down);
        gl_store_close(&p->parent_store);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(gl_store_open(path, "d.t", NULL, &p->parent_store), 0);
        gl_link_cfg down = {.self = "d.t", .peer = "d.t.c", .to_parent = false, .window = 8, .rto_ms = 100};
        assert_int_equal(gl_link_new(p->parent_store, &down, qsend, &p->to_child, &p->down), 0);
    }
}

/* A child whose store was wiped starts its numbering at 1 again: the parent
 * sees the new store in its Hello and takes the new messages, instead of
 * acknowledging them as duplicates. */
static void test_rebuilt_child_store_numbering_starts_over(void **state)
{
    pair_t *p = *state;
    child_sends(p, 3, 1000);
    exchange(p, 2, 1001);
    assert_int_equal(p->applied, 3);
    reopen_store(p, true);
    qclear(&p->to_parent);
    qclear(&p->to_child);
    child_sends(p, 2, 2000);
    exchange(p, 3, 2001);
    assert_int_equal(p->applied, 5);
    assert_int_equal(gl_link_get_stats(p->down)->store_resets, 1);
    assert_int_equal(gl_link_get_stats(p->down)->duplicates, 0);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);
}

/* The parent's store was wiped: the child learns it from the Welcome and
 * numbers its unacknowledged messages anew, so the new parent takes them. */
static void test_rebuilt_parent_store_child_renumbers(void **state)
{
    pair_t *p = *state;
    child_sends(p, 3, 1000);
    exchange(p, 2, 1001);
    p->to_parent.refuse = 1; /* the next two stay in the child's outbox */
    child_sends(p, 2, 1100);
    p->to_parent.refuse = 0;
    reopen_store(p, false);
    p->applied = 0;
    qclear(&p->to_child);
    gl_link_connected(p->up, 2000);
    gl_link_flush(p->up, 2000);
    exchange(p, 4, 2001);
    assert_int_equal(gl_link_get_stats(p->up)->store_resets, 1);
    assert_int_equal(p->applied, 2);
    assert_int_equal(gl_link_marks(p->down)->in_applied, 2);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);
}

/* An outbox written before the sender enforced the size limit holds a
 * message no peer takes: the link dead-letters it when it opens, and what
 * follows it gets through. */
static void test_oversized_legacy_message_swept_at_start(void **state)
{
    pair_t *p = *state;
    child_sends(p, 1, 1000);
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(p->child_store, NULL, true, &txn), 0);
    gl_peer_marks m;
    assert_int_equal(gl_store_peer_get(txn, p->child_store, "d.t", &m), 0);
    size_t big = GL_MAX_MESSAGE + 100;
    uint8_t *junk = calloc(1, big);
    assert_int_equal(gl_store_outbox_put(txn, p->child_store, "d.t", m.out_next, junk, big), 0);
    free(junk);
    m.out_next++;
    assert_int_equal(gl_store_peer_put(txn, p->child_store, "d.t", &m), 0);
    assert_int_equal(gl_store_commit(txn), 0);
    gl_link_free(&p->up);
    gl_link_cfg up = {.self = "d.t.c", .peer = "d.t", .to_parent = true, .window = 8, .rto_ms = 100};
    assert_int_equal(gl_link_new(p->child_store, &up, qsend, &p->to_parent, &p->up), 0);
    assert_int_equal(dead_letters(p->child_store), 1);
    qclear(&p->to_parent);
    gl_link_connected(p->up, 2000);
    gl_link_flush(p->up, 2000);
    exchange(p, 3, 2001);
    assert_int_equal(p->applied, 1);
    assert_int_equal(gl_link_get_stats(p->down)->skipped, 1);
    assert_int_equal(gl_link_marks(p->down)->in_applied, 2);
    assert_int_equal(outbox(p->child_store, "d.t"), 0);
}

/* Deliver what decodes; *refused counts the frames the decoder refused. */
static void deliver_decodable(pair_t *p, queue_t *q, gl_link_t *to, gl_store_t *store, int64_t now, int *refused)
{
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(store, NULL, true, &txn), 0);
    for (int i = 0; i < q->n; i++) {
        Gridlink__V1__Envelope *env;
        char err[128];
        if (gl_decode_envelope(q->buf[i], q->len[i], &env, err, sizeof err) != 0) {
            assert_non_null(strstr(err, "version"));
            (*refused)++;
            continue;
        }
        int rc = gl_link_receive(to, txn, env, now);
        assert_true(rc >= 0);
        if (rc == GL_LINK_APPLY) {
            p->applied += to == p->down;
            assert_int_equal(gl_link_applied(to, txn, env->seq), 0);
        }
        gridlink__v1__envelope__free_unpacked(env, NULL);
    }
    qclear(q);
    assert_int_equal(gl_link_save(to, txn), 0);
    assert_int_equal(gl_store_commit(txn), 0);
    gl_link_commit(to);
    gl_link_flush(to, now);
}

/* Both sides' links made again, the child speaking child_v, the parent parent_v. */
static void versions(pair_t *p, uint32_t child_v, uint32_t parent_v)
{
    gl_link_free(&p->up);
    gl_link_free(&p->down);
    gl_link_cfg up = {
        .self = "d.t.c", .peer = "d.t", .to_parent = true, .window = 8, .rto_ms = 100, .proto_version = child_v};
    gl_link_cfg down = {
        .self = "d.t", .peer = "d.t.c", .to_parent = false, .window = 8, .rto_ms = 100, .proto_version = parent_v};
    assert_int_equal(gl_link_new(p->child_store, &up, qsend, &p->to_parent, &p->up), 0);
    assert_int_equal(gl_link_new(p->parent_store, &down, qsend, &p->to_child, &p->down), 0);
}

/* A child of a newer protocol: its parent takes neither its Hello nor its
 * messages, counts the Hello, and tells it why in an Error, which the
 * child counts; neither side is up, nothing is applied or acknowledged.
 * Once both speak one version the same messages go through. */
static void test_other_version_child_told(void **state)
{
    pair_t *p = *state;
    versions(p, GL_PROTO_VERSION + 1, GL_PROTO_VERSION);
    child_sends(p, 2, 1000);
    int refused = 0;
    deliver_decodable(p, &p->to_parent, p->down, p->parent_store, 1000, &refused);
    assert_int_equal(refused, 2); /* the transfers: another envelope version */
    assert_int_equal(gl_link_get_stats(p->down)->proto_mismatch, 1);
    assert_false(gl_link_up(p->down));
    assert_int_equal(p->applied, 0);
    assert_int_equal(p->to_child.n, 1); /* the Error, and no Welcome */
    Gridlink__V1__Envelope *env;
    char err[128];
    assert_int_equal(gl_decode_envelope(p->to_child.buf[0], p->to_child.len[0], &env, err, sizeof err), 0);
    assert_int_equal(env->body_case, GRIDLINK__V1__ENVELOPE__BODY_ERROR);
    char want[160];
    snprintf(want, sizeof want, "d.t speaks protocol version %u, not %u: upgrade the older binary of the two",
             GL_PROTO_VERSION, GL_PROTO_VERSION + 1);
    assert_string_equal(env->error->text, want);
    gridlink__v1__envelope__free_unpacked(env, NULL);

    refused = 0;
    deliver_decodable(p, &p->to_child, p->up, p->child_store, 1010, &refused);
    assert_int_equal(refused, 0);
    assert_int_equal(gl_link_get_stats(p->up)->errors_in, 1);
    assert_false(gl_link_up(p->up));
    assert_int_equal(outbox(p->child_store, "d.t"), 2);

    /* The child keeps saying Hello; each is counted, the Error sent again. */
    gl_link_tick(p->up, 1200);
    gl_link_flush(p->up, 1200);
    deliver_decodable(p, &p->to_parent, p->down, p->parent_store, 1200, &refused);
    assert_int_equal(gl_link_get_stats(p->down)->proto_mismatch, 2);
    assert_int_equal(p->to_child.n, 1);
    qclear(&p->to_child);

    /* The child speaks the parent's version now: its Hello is welcomed. The
     * two messages it stored under the other version still carry it, and the
     * decoder refuses them (a node does not refuse their numbers: see
     * gl_envelope_peek). */
    versions(p, GL_PROTO_VERSION, GL_PROTO_VERSION);
    child_sends(p, 1, 2000);
    refused = 0;
    deliver_decodable(p, &p->to_parent, p->down, p->parent_store, 2000, &refused);
    assert_int_equal(refused, 2);
    assert_true(gl_link_up(p->down));
    assert_int_equal(gl_link_get_stats(p->down)->proto_mismatch, 0);
    deliver_decodable(p, &p->to_child, p->up, p->child_store, 2000, &refused);
    assert_true(gl_link_up(p->up));
}

/* A parent of another version: the child does not take its Welcome (so it
 * neither takes its acks nor its case numbers), counts it and goes on saying
 * Hello. A Welcome that states no version (a build from before Welcome
 * carried one) speaks its envelope's version and is taken. */
static void test_other_version_parent(void **state)
{
    pair_t *p = *state;
    versions(p, GL_PROTO_VERSION, GL_PROTO_VERSION + 1);
    gl_link_flush(p->up, 1000);
    int refused = 0;
    deliver_decodable(p, &p->to_parent, p->down, p->parent_store, 1000, &refused);
    assert_int_equal(gl_link_get_stats(p->down)->proto_mismatch, 1);
    qclear(&p->to_child);

    /* The parent's Welcome, as a parent of version + 1 would send it. */
    Gridlink__V1__Welcome w = GRIDLINK__V1__WELCOME__INIT;
    w.node = "d.t";
    w.proto_version = GL_PROTO_VERSION + 1;
    Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
    e.version = GL_PROTO_VERSION + 1;
    e.sender = "d.t";
    e.body_case = GRIDLINK__V1__ENVELOPE__BODY_WELCOME;
    e.welcome = &w;
    uint8_t buf[256];
    size_t n = gridlink__v1__envelope__pack(&e, buf);
    assert_int_equal(qsend(&p->to_child, "d.t.c", buf, n), 0);
    deliver_decodable(p, &p->to_child, p->up, p->child_store, 1010, &refused);
    assert_int_equal(refused, 0);
    assert_int_equal(gl_link_get_stats(p->up)->proto_mismatch, 1);
    assert_false(gl_link_up(p->up));
    gl_link_tick(p->up, 1100);
    gl_link_flush(p->up, 1100);
    assert_int_equal(p->to_parent.n, 1); /* Hello again */
    qclear(&p->to_parent);

    /* No version in the Welcome, the envelope's the child's: taken. */
    w.proto_version = 0;
    e.version = GL_PROTO_VERSION;
    n = gridlink__v1__envelope__pack(&e, buf);
    assert_int_equal(qsend(&p->to_child, "d.t.c", buf, n), 0);
    deliver_decodable(p, &p->to_child, p->up, p->child_store, 1200, &refused);
    assert_true(gl_link_up(p->up));
    assert_int_equal(gl_link_get_stats(p->up)->proto_mismatch, 1);
}

int main(void)
{
    gl_log_init("test_link", GL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_marks_written_once_per_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivered_and_acked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_ack_resend_applied_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_is_dropped_then_repaired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_limits_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_refusal_keeps_outbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marks_survive_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_liveness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_message_dead_lettered_link_goes_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_message_costs_no_number, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuilt_child_store_numbering_starts_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuilt_parent_store_child_renumbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_legacy_message_swept_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_version_child_told, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_version_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
