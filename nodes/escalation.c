/* escalation.c: SLA deadlines of the cases a node holds.
 *
 * Each running deadline is a key in the store's `deadlines` index (due time
 * first, so the earliest is the first key) and a field of the case. One
 * libuv timer per node is armed for the earliest key after every commit that
 * changed the index and at start, so a restart re-arms every deadline and one
 * that passed while the node was down fires at once. When a deadline fires
 * the node escalates the case to its parent; the district, having no parent,
 * raises an overdue alarm instead, once per deadline. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "node.h"
#include "policy.h"

#define FIRE_BUDGET 512

int deadlines_start(node_t *n, MDB_txn *txn, Gridlink__V1__Case *c, bool accept, bool resolve)
{
    int64_t accept_ms = 0, resolve_ms = 0;
    gl_policy_deadline_for(n->host->topo->policy, n->topo->tier, c->category, c->priority, &accept_ms, &resolve_ms);
    int64_t now = host_now(n->host);
    int rc;
    if (accept && accept_ms > 0) {
        c->accept_due_ms = now + accept_ms;
        if ((rc = gl_store_deadline_put(txn, n->store, c->accept_due_ms, GL_DEADLINE_ACCEPT, c->id)) != 0)
            return rc;
        n->deadlines_changed = true;
    }
    if (resolve && resolve_ms > 0) {
        c->resolve_due_ms = now + resolve_ms;
        if ((rc = gl_store_deadline_put(txn, n->store, c->resolve_due_ms, GL_DEADLINE_RESOLVE, c->id)) != 0)
            return rc;
        n->deadlines_changed = true;
    }
    return GL_OK;
}

int deadlines_clear(node_t *n, MDB_txn *txn, Gridlink__V1__Case *c, bool accept, bool resolve)
{
    int rc;
    if (accept && c->accept_due_ms) {
        rc = gl_store_deadline_del(txn, n->store, c->accept_due_ms, GL_DEADLINE_ACCEPT, c->id);
        if (rc != 0 && rc != GL_ENOENT)
            return rc;
        c->accept_due_ms = 0;
        n->deadlines_changed = true;
    }
    if (resolve && c->resolve_due_ms) {
        rc = gl_store_deadline_del(txn, n->store, c->resolve_due_ms, GL_DEADLINE_RESOLVE, c->id);
        if (rc != 0 && rc != GL_ENOENT)
            return rc;
        c->resolve_due_ms = 0;
        n->deadlines_changed = true;
    }
    return GL_OK;
}

static int fire_one(node_t *n, MDB_txn *txn, int64_t due, enum gl_deadline_kind kind, const char *case_id)
{
    int rc = gl_store_deadline_del(txn, n->store, due, kind, case_id);
    if (rc != 0)
        return rc;
    n->deadlines_changed = true;
    Gridlink__V1__Case *c = NULL;
    rc = gl_store_case_get(txn, n->store, case_id, &c);
    if (rc == GL_ENOENT)
        return GL_OK;
    if (rc != 0)
        return rc;
    int64_t expected = kind == GL_DEADLINE_ACCEPT ? c->accept_due_ms : c->resolve_due_ms;
    if (strcmp(c->holder, n->id) != 0 || expected != due) {
        gridlink__v1__case__free_unpacked(c, NULL);
        return GL_OK; /* a leftover of a deadline that was replaced */
    }
    const char *why = kind == GL_DEADLINE_ACCEPT ? "not accepted in time" : "not resolved in time";
    if (n->parent) {
        gl_info("node %s: case %s %s, escalating to %s", n->id, c->id, why, n->parent->id);
        rc = node_escalate(n, txn, c, why);
        if (rc == GL_ETOOBIG) /* nothing was written: say so, and the holder keeps it */
            rc = node_log(n, txn, "overdue", c, "", "too large to escalate; the holder keeps it");
    } else {
        gl_warn("node %s: case %s %s at the top tier: overdue alarm", n->id, c->id, why);
        if (kind == GL_DEADLINE_ACCEPT)
            c->accept_due_ms = 0;
        else
            c->resolve_due_ms = 0;
        c->alarmed = true;
        case_history_add(c, "overdue", n->id, host_now(n->host), why);
        c->version++;
        if (!case_fits(c)) {
            /* Keep the alarm and the case here, without the entry that does not fit. */
            c->n_history--;
            gridlink__v1__history_entry__free_unpacked(c->history[c->n_history], NULL);
        }
        rc = gl_store_case_put(txn, n->store, c);
        if (rc == 0)
            rc = node_log(n, txn, "overdue", c, "", why);
        if (rc == 0)
            rc = node_status_down(n, txn, c);
    }
    gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

static void on_deadline(uv_timer_t *t)
{
    node_t *n = t->data;
    MDB_txn *txn = node_txn(n);
    if (!txn) {
        uv_timer_start(&n->deadline_timer, on_deadline, 1000, 0);
        return;
    }
    int64_t now = host_now(n->host);
    char id[GL_NODE_ID_MAX + 32];
    for (int i = 0; i < FIRE_BUDGET; i++) {
        int64_t due;
        enum gl_deadline_kind kind;
        int rc = gl_store_deadline_first(txn, n->store, &due, &kind, id, sizeof id);
        if (rc == GL_ENOENT || (rc == 0 && due > now))
            break;
        if (rc == 0)
            rc = fire_one(n, txn, due, kind, id);
        if (rc == GL_EMAPFULL) {
            /* The batch is spoiled; the commit grows the map, and the
             * deadlines, still in the index, fire again after it. */
            n->map_full = true;
            break;
        }
        if (rc != 0) {
            gl_error("node %s: deadline processing failed: %s", n->id, gl_strerror(rc));
            n->store_errors++;
            break;
        }
    }
    /* The timer is re-armed after the commit (deadlines_changed). */
    n->deadlines_changed = true;
}

void deadlines_arm(node_t *n)
{
    n->deadlines_changed = false;
    MDB_txn *txn;
    if (gl_store_begin(n->store, NULL, false, &txn) != 0) {
        uv_timer_start(&n->deadline_timer, on_deadline, 1000, 0);
        return;
    }
    int64_t due;
    enum gl_deadline_kind kind;
    char id[GL_NODE_ID_MAX + 32];
    int rc = gl_store_deadline_first(txn, n->store, &due, &kind, id, sizeof id);
    gl_store_abort(txn);
    if (rc != 0) {
        uv_timer_stop(&n->deadline_timer);
        return;
    }
    int64_t delay = due - host_now(n->host);
    uv_timer_start(&n->deadline_timer, on_deadline, delay > 0 ? (uint64_t)delay : 0, 0);
}

int deadlines_init(node_t *n)
{
    uv_timer_init(n->host->uv, &n->deadline_timer);
    n->deadline_timer.data = n;
    deadlines_arm(n);
    return GL_OK;
}

void deadlines_close(node_t *n)
{
    uv_close((uv_handle_t *)&n->deadline_timer, NULL);
}
