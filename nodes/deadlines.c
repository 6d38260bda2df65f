/* deadlines.c: the time limits of the cases a node holds: started, stopped,
 * moved, and the escalations that wait for the parent's link (clock.c says
 * what happens when a limit passes).
 *
 * Each running deadline is a field of the case and a key in the store's
 * `deadlines` index (due time first, so the earliest is the first key): the
 * key of its due-soon warning while that is ahead, then its own. The
 * transport arms one timer for gl_engine_next_due after every commit that
 * changed the index and at start, so a restart re-arms every deadline and one
 * that passed while the node was down fires at once.
 *
 * A limit of the policy is counted on the topology's calendar for this node
 * (gl_calendar_add): clock limits plainly, working hours and working days in
 * the node's working time, so that a deadline never falls on a holiday, a
 * weekend or at night. The amounts dl_start_ms is given are clock time (a
 * dispatcher's --sign-within and --due, what was left at a suspension); when
 * a suspended case resumes, what was left of a working-time limit is counted
 * as the working time it held (see resumed_due). An extension adds clock time
 * or working hours or days, counted on from the deadline it moves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "error.h"
#include "log.h"
#include "policy.h"

#define PENDING_PREFIX "pending_up:"

_Static_assert((int)GL_TIME_MS == (int)GRIDLINK__V1__TIME_UNIT__TIME_CLOCK_MS &&
                   (int)GL_TIME_WORKING_HOURS == (int)GRIDLINK__V1__TIME_UNIT__TIME_WORKING_HOURS &&
                   (int)GL_TIME_WORKING_DAYS == (int)GRIDLINK__V1__TIME_UNIT__TIME_WORKING_DAYS,
               "the wire's TimeUnit is enum gl_time_unit");

/* When the due-soon warning of a deadline due at `due`, set now, fires:
 * warn_before_s before it, but not before half of what is left has run, so
 * that a short limit is warned of too; 0 for none. */
static int64_t warn_at(const gl_engine_t *e, int64_t due)
{
    int64_t lead = (int64_t)e->topo->warn_before_s * 1000;
    if (lead <= 0 || due <= e->now)
        return 0;
    int64_t half = e->now + (due - e->now) / 2;
    return due - lead > half ? due - lead : half;
}

/* Put one deadline: its warning in the index when it has one (the warning,
 * firing, puts the deadline itself: dl_arm_due), else the deadline. A case
 * settled before its warning so costs the index one key, as without
 * warnings. */
static int put_due(gl_engine_t *e, MDB_txn *txn, gl_case *c, bool accept, int64_t due)
{
    int64_t *field = accept ? &c->accept_due_ms : &c->resolve_due_ms;
    int64_t *warn = accept ? &c->accept_warn_ms : &c->resolve_warn_ms;
    *field = due;
    *warn = warn_at(e, due);
    e->deadlines_changed = true;
    if (*warn > 0)
        return gl_store_deadline_put(txn, e->store, *warn, accept ? GL_DEADLINE_ACCEPT_WARN : GL_DEADLINE_RESOLVE_WARN,
                                     c->id);
    return gl_store_deadline_put(txn, e->store, due, accept ? GL_DEADLINE_ACCEPT : GL_DEADLINE_RESOLVE, c->id);
}

int dl_arm_due(gl_engine_t *e, MDB_txn *txn, const gl_case *c, bool accept)
{
    int64_t due = accept ? c->accept_due_ms : c->resolve_due_ms;
    if (!due)
        return GL_OK;
    e->deadlines_changed = true;
    return gl_store_deadline_put(txn, e->store, due, accept ? GL_DEADLINE_ACCEPT : GL_DEADLINE_RESOLVE, c->id);
}

/* Remove one deadline and its warning, whichever of the two is in the
 * index. */
static int del_due(gl_engine_t *e, MDB_txn *txn, gl_case *c, bool accept)
{
    int64_t *field = accept ? &c->accept_due_ms : &c->resolve_due_ms;
    int64_t *warn = accept ? &c->accept_warn_ms : &c->resolve_warn_ms;
    int rc = GL_OK;
    if (*field)
        rc = gl_store_deadline_del(txn, e->store, *field, accept ? GL_DEADLINE_ACCEPT : GL_DEADLINE_RESOLVE, c->id);
    if ((rc == 0 || rc == GL_ENOENT) && *warn)
        rc = gl_store_deadline_del(txn, e->store, *warn, accept ? GL_DEADLINE_ACCEPT_WARN : GL_DEADLINE_RESOLVE_WARN,
                                   c->id);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    *field = *warn = 0;
    e->deadlines_changed = true;
    return GL_OK;
}

/* Put the deadlines due at accept_due and resolve_due (0: none). */
static int put_dues(gl_engine_t *e, MDB_txn *txn, gl_case *c, int64_t accept_due, int64_t resolve_due)
{
    int rc = accept_due > 0 ? put_due(e, txn, c, true, accept_due) : GL_OK;
    if (rc == 0 && resolve_due > 0)
        rc = put_due(e, txn, c, false, resolve_due);
    return rc;
}

/* The due time of what was left of a limit at suspension, resumed now. A
 * limit in working time keeps the working time that was left: the working
 * time between the suspension and the due time it had then, counted on from
 * now. A clock limit (a dispatcher's, or the policy's), or one that had no
 * working time left, keeps its clock time. */
static int64_t resumed_due(gl_engine_t *e, const gl_case *c, int64_t left_ms, gl_time_limit lim, bool dispatched)
{
    if (left_ms <= 0)
        return 0;
    if (!dispatched && lim.unit != GL_TIME_MS) {
        int64_t work =
            gl_calendar_working_ms(e->topo->calendar, e->id, c->suspended_at_ms, c->suspended_at_ms + left_ms);
        if (work > 0)
            return gl_calendar_add(e->topo->calendar, e->id, e->now, work, GL_TIME_WORKING_MS);
    }
    return gl_calendar_add(e->topo->calendar, e->id, e->now, left_ms, GL_TIME_MS);
}

int dl_start_ms(gl_engine_t *e, MDB_txn *txn, gl_case *c, int64_t accept_ms, int64_t resolve_ms)
{
    if (c->suspended_at_ms > 0) {
        gl_time_limit a, r;
        gl_policy_limits_for(e->topo->policy, e->self->tier, c->category, c->priority, &a, &r);
        return put_dues(e, txn, c, resumed_due(e, c, accept_ms, a, c->sign_within_ms > 0),
                        resumed_due(e, c, resolve_ms, r, c->due_within_ms > 0));
    }
    return put_dues(e, txn, c,
                    accept_ms > 0 ? gl_calendar_add(e->topo->calendar, e->id, e->now, accept_ms, GL_TIME_MS) : 0,
                    resolve_ms > 0 ? gl_calendar_add(e->topo->calendar, e->id, e->now, resolve_ms, GL_TIME_MS) : 0);
}

int dl_start(gl_engine_t *e, MDB_txn *txn, gl_case *c, bool accept, bool resolve)
{
    int64_t a, r;
    gl_policy_dues(e->topo->policy, e->topo->calendar, e->id, e->self->tier, c->category, c->priority, e->now, &a, &r);
    int rc = resolve && c->resolve_due_ms ? dl_clear(e, txn, c, false, true) : GL_OK;
    if (rc != 0)
        return rc;
    return put_dues(e, txn, c, accept ? a : 0, resolve ? r : 0);
}

int dl_clear(gl_engine_t *e, MDB_txn *txn, gl_case *c, bool accept, bool resolve)
{
    int rc = accept && (c->accept_due_ms || c->accept_warn_ms) ? del_due(e, txn, c, true) : GL_OK;
    if (rc == 0 && resolve && (c->resolve_due_ms || c->resolve_warn_ms))
        rc = del_due(e, txn, c, false);
    return rc;
}

int dl_extend(gl_engine_t *e, MDB_txn *txn, gl_case *c, int64_t amount, uint32_t unit)
{
    if (!c->resolve_due_ms)
        return GL_OK;
    int64_t due = gl_calendar_add(e->topo->calendar, e->id, c->resolve_due_ms, amount, (enum gl_time_unit)unit);
    if (due == INT64_MAX)
        return GL_OK; /* no working time ahead: the deadline stays */
    int rc = del_due(e, txn, c, false);
    return rc == 0 ? put_due(e, txn, c, false, due) : rc;
}

int dl_pending_add(gl_engine_t *e, MDB_txn *txn, const char *case_id)
{
    char key[GL_NODE_ID_MAX + 64];
    if ((size_t)snprintf(key, sizeof key, PENDING_PREFIX "%s", case_id) >= sizeof key)
        return GL_EINVAL;
    e->pending_up = true;
    return gl_store_meta_put(txn, e->store, key, "", 0);
}

int gl_engine_next_due(gl_engine_t *e, MDB_txn *txn, int64_t *due)
{
    enum gl_deadline_kind kind;
    char id[GL_NODE_ID_MAX + 32];
    return gl_store_deadline_first(txn, e->store, due, &kind, id, sizeof id);
}
