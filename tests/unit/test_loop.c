/* The ZeroMQ service loop: a handler that yields ends its socket's reads for
 * the pass, the flush runs, and what is left is read in the next pass; a
 * handler that never yields takes up to the budget in one pass. Real
 * sockets (inproc PAIR) in a real libuv loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loop.h"

#define MAX_PASSES 64

struct seen {
    int every;  /* yield after every this many messages (0: never) */
    int got;    /* messages read so far */
    int passes; /* flushes that saw at least one new message */
    int per_pass[MAX_PASSES];
    int at_last_flush;
};

static void on_read(gl_zsock_t *zs, zmsg_t *msg, void *arg)
{
    struct seen *s = arg;
    (void)msg;
    s->got++;
    if (s->every && s->got % s->every == 0)
        gl_zsock_yield(zs);
}

static void on_flush(void *arg)
{
    struct seen *s = arg;
    if (s->got > s->at_last_flush && s->passes < MAX_PASSES)
        s->per_pass[s->passes++] = s->got - s->at_last_flush;
    s->at_last_flush = s->got;
}

/* Sends n messages into a loop whose reader yields every `every`; runs the
 * loop until all are read (or a bounded number of passes went by). */
static void run(int n, int every, struct seen *s, const char *endpoint)
{
    memset(s, 0, sizeof *s);
    s->every = every;
    uv_loop_t uv;
    assert_int_equal(uv_loop_init(&uv), 0);
    gl_loop_t *l;
    assert_int_equal(gl_loop_new(&uv, &l), 0);
    char bind[64], conn[64];
    snprintf(bind, sizeof bind, "@%s", endpoint);
    snprintf(conn, sizeof conn, ">%s", endpoint);
    zsock_t *rd = zsock_new_pair(bind);
    zsock_t *wr = zsock_new_pair(conn);
    assert_non_null(rd);
    assert_non_null(wr);
    zsock_set_sndhwm(wr, 0);
    zsock_set_rcvhwm(rd, 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(zstr_send(wr, "m"), 0);
    assert_int_equal(gl_loop_add(l, rd, on_read, s, NULL), 0);
    assert_int_equal(gl_loop_add_flush(l, on_flush, s), 0);
    for (int pass = 0; pass < 10 * MAX_PASSES && s->got < n; pass++)
        uv_run(&uv, UV_RUN_NOWAIT);
    gl_loop_free(&l);
    zsock_destroy(&wr);
    uv_loop_close(&uv);
}

static void test_yield_ends_the_pass(void **state)
{
    (void)state;
    struct seen s;
    run(10, 3, &s, "inproc://loop-yield");
    assert_int_equal(s.got, 10);
    assert_int_equal(s.passes, 4);
    assert_int_equal(s.per_pass[0], 3);
    assert_int_equal(s.per_pass[1], 3);
    assert_int_equal(s.per_pass[2], 3);
    assert_int_equal(s.per_pass[3], 1);
}

static void test_budget_bounds_a_pass(void **state)
{
    (void)state;
    struct seen s;
    run(2500, 0, &s, "inproc://loop-budget");
    assert_int_equal(s.got, 2500);
    assert_int_equal(s.per_pass[0], 1024);
    assert_int_equal(s.per_pass[1], 1024);
    assert_int_equal(s.per_pass[2], 452);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yield_ends_the_pass),
        cmocka_unit_test(test_budget_bounds_a_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
