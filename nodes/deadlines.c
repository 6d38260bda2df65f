/* deadlines.c: the time limits of the cases a node holds: started, stopped,
 * moved, and the escalations that wait for the parent's link (clock.c says
 * what happens when a limit passes).
 *
 * Each running deadline is a key in the store's `deadlines` index (due time
 * first, so the earliest is the first key) and a field of the case. The
 * transport arms one timer for gl_engine_next_due after every commit that
 * changed the index and at start, so a restart re-arms every deadline and one
 * that passed while the node was down fires at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "error.h"
#include "log.h"
#include "policy.h"

#define PENDING_PREFIX "pending_up:"

int dl_start_ms(gl_engine_t *e, MDB_txn *txn, gl_case *c, int64_t accept_ms, int64_t resolve_ms)
{
    int rc;
    if (accept_ms > 0) {
        c->accept_due_ms = e->now + accept_ms;
        if ((rc = gl_store_deadline_put(txn, e->store, c->accept_due_ms, GL_DEADLINE_ACCEPT, c->id)) != 0)
            return rc;
        e->deadlines_changed = true;
    }
    if (resolve_ms > 0) {
        c->resolve_due_ms = e->now + resolve_ms;
        if ((rc = gl_store_deadline_put(txn, e->store, c->resolve_due_ms, GL_DEADLINE_RESOLVE, c->id)) != 0)
            return rc;
        e->deadlines_changed = true;
    }
    return GL_OK;
}

int dl_start(gl_engine_t *e, MDB_txn *txn, gl_case *c, bool accept, bool resolve)
{
    int64_t accept_ms = 0, resolve_ms = 0;
    gl_policy_deadline_for(e->topo->policy, e->self->tier, c->category, c->priority, &accept_ms, &resolve_ms);
    if (resolve && c->resolve_due_ms)
        dl_clear(e, txn, c, false, true);
    return dl_start_ms(e, txn, c, accept ? accept_ms : 0, resolve ? resolve_ms : 0);
}

int dl_clear(gl_engine_t *e, MDB_txn *txn, gl_case *c, bool accept, bool resolve)
{
    int rc;
    if (accept && c->accept_due_ms) {
        rc = gl_store_deadline_del(txn, e->store, c->accept_due_ms, GL_DEADLINE_ACCEPT, c->id);
        if (rc != 0 && rc != GL_ENOENT)
            return rc;
        c->accept_due_ms = 0;
        e->deadlines_changed = true;
    }
    if (resolve && c->resolve_due_ms) {
        rc = gl_store_deadline_del(txn, e->store, c->resolve_due_ms, GL_DEADLINE_RESOLVE, c->id);
        if (rc != 0 && rc != GL_ENOENT)
            return rc;
        c->resolve_due_ms = 0;
        e->deadlines_changed = true;
    }
    return GL_OK;
}

int dl_extend(gl_engine_t *e, MDB_txn *txn, gl_case *c, int64_t ms)
{
    if (!c->resolve_due_ms)
        return GL_OK;
    int64_t due = c->resolve_due_ms + ms;
    int rc = gl_store_deadline_del(txn, e->store, c->resolve_due_ms, GL_DEADLINE_RESOLVE, c->id);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    c->resolve_due_ms = due;
    e->deadlines_changed = true;
    return gl_store_deadline_put(txn, e->store, due, GL_DEADLINE_RESOLVE, c->id);
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
