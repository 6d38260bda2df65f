/* clock.c: what happens when a deadline passes, and the escalations that
 * climb once the parent's link is back.
 *   - A case given to this node from above (assigned, dispatched) stays
 *     here, marked overdue; the assigner and the tier above are told, and
 *     the miss is counted (sign-for or completion).
 *   - A case that came from below climbs to the parent. While the link to
 *     the parent is down it stays with its holder, marked overdue with the
 *     escalation pending (meta key "pending_up:<case>"), and climbs when the
 *     link returns unless it was resolved or closed meanwhile.
 *   - A department that misses the time to report in (报到) of a task
 *     given to it climbs to its superior, like a case from below.
 *   - At the district, which has no parent, an overdue alarm is raised, once
 *     per deadline.
 * Before each deadline its due-soon warning (即将超时) fires: an event and a
 * count, nothing else (deadlines.c sets when). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "error.h"
#include "log.h"
#include "policy.h"

#define PENDING_PREFIX "pending_up:"

static bool finished(gl_state s)
{
    return s == ST(RESOLVED) || gl_state_is_final(s);
}

int clock_pending_flush(gl_engine_t *e, MDB_txn *txn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, gl_store_dbi(e->store, GL_DB_META), &cur);
    if (rc != 0)
        return gl_err_from_mdb(rc);
    size_t plen = strlen(PENDING_PREFIX);
    char ids[64][GL_NODE_ID_MAX + 32];
    size_t n = 0;
    MDB_val k = {plen, PENDING_PREFIX}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && n < 64 && k.mv_size > plen && memcmp(k.mv_data, PENDING_PREFIX, plen) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t len = k.mv_size - plen;
        if (len >= sizeof ids[0])
            continue;
        memcpy(ids[n], (char *)k.mv_data + plen, len);
        ids[n++][len] = 0;
    }
    mdb_cursor_close(cur);
    for (size_t i = 0; i < n; i++) {
        char key[GL_NODE_ID_MAX + 64];
        if ((size_t)snprintf(key, sizeof key, PENDING_PREFIX "%s", ids[i]) >= sizeof key)
            continue;
        MDB_val dk = {strlen(key), key};
        rc = mdb_del(txn, gl_store_dbi(e->store, GL_DB_META), &dk, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return gl_err_from_mdb(rc);
        gl_case *c = NULL;
        rc = gl_store_case_get(txn, e->store, ids[i], &c);
        if (rc == GL_ENOENT)
            continue;
        if (rc != 0)
            return rc;
        if (strcmp(c->holder, e->id) == 0 && c->escalation_pending && !finished(c->state)) {
            gl_info("node %s: the link to %s is back; case %s climbs as it was due to", e->id, e->parent->id, c->id);
            rc = lc_escalate(e, txn, c, "overdue; escalated when the link to the parent returned", NULL);
            if (rc == GL_ETOOBIG)
                rc = GL_OK;
        }
        gridlink__v1__case__free_unpacked(c, NULL);
        if (rc != 0)
            return rc;
    }
    if (n == 64)
        return clock_pending_flush(e, txn);
    e->pending_up = false;
    return GL_OK;
}

bool gl_engine_wants_tick(const gl_engine_t *e)
{
    return e->pending_up && e->parent && gl_link_up(e->uplink);
}

int gl_engine_tick(gl_engine_t *e, MDB_txn *txn, int64_t now)
{
    e->now = now;
    return gl_engine_wants_tick(e) ? clock_pending_flush(e, txn) : GL_OK;
}

/* Mark the case overdue here, tell who follows it (and the tier above when
 * up: it gave the work, or is its assigner's). */
static int report_overdue(gl_engine_t *e, MDB_txn *txn, gl_case *c, enum gl_deadline_kind kind, const char *why,
                          gl_event ev, bool up)
{
    Gridlink__V1__CaseCounters *k = case_counters(c);
    if (k) {
        if (kind == GL_DEADLINE_ACCEPT)
            k->overdue_accept++;
        else
            k->overdue_resolve++;
    }
    if (kind == GL_DEADLINE_ACCEPT)
        c->accept_due_ms = c->accept_warn_ms = 0;
    else
        c->resolve_due_ms = c->resolve_warn_ms = 0;
    c->overdue = true;
    case_history_add(c, "overdue", e->id, e->now, why);
    c->version++;
    if (!case_fits(c)) {
        /* Keep the mark and the case here, without the entry that does not fit. */
        c->n_history--;
        gridlink__v1__history_entry__free_unpacked(c->history[c->n_history], NULL);
    }
    int rc = gl_store_case_put(txn, e->store, c);
    if (rc == 0)
        rc = eng_log(e, txn, ev, c, "", why);
    if (rc == 0)
        rc = eng_spread(e, txn, c, NULL, up);
    return rc;
}

/* 即将超时: a deadline of a case held here is near. An event on the bus
 * (watch shows it) and a count, and the deadline itself goes into the index;
 * the case does not change (list --due-soon finds it by its warning time).
 * A warning found after its deadline (the node was down) only arms it. */
static int warn_due_soon(gl_engine_t *e, MDB_txn *txn, const gl_case *c, bool accept)
{
    int64_t due = accept ? c->accept_due_ms : c->resolve_due_ms;
    int rc = dl_arm_due(e, txn, c, accept);
    if (rc != 0 || due <= e->now)
        return rc;
    int64_t left_min = (due - e->now + 59999) / 60000;
    char note[200];
    snprintf(note, sizeof note, "即将超时: %s还剩 %lld 分钟 (%s due in %lld min)", accept ? "签收" : "办结",
             (long long)left_min, accept ? "sign-for" : "completion", (long long)left_min);
    e->counts.due_soon++;
    gl_info("node %s: case %s: %s", e->id, c->id, note);
    return eng_log(e, txn, EV(DUE_SOON), c, "", note);
}

static int fire_one(gl_engine_t *e, MDB_txn *txn, int64_t due, enum gl_deadline_kind kind, const char *case_id)
{
    int rc = gl_store_deadline_del(txn, e->store, due, kind, case_id);
    if (rc != 0)
        return rc;
    e->deadlines_changed = true;
    gl_case *c = NULL;
    rc = gl_store_case_get(txn, e->store, case_id, &c);
    if (rc == GL_ENOENT)
        return GL_OK;
    if (rc != 0)
        return rc;
    int64_t expected = kind == GL_DEADLINE_ACCEPT        ? c->accept_due_ms
                       : kind == GL_DEADLINE_RESOLVE     ? c->resolve_due_ms
                       : kind == GL_DEADLINE_ACCEPT_WARN ? c->accept_warn_ms
                                                         : c->resolve_warn_ms;
    if (strcmp(c->holder, e->id) != 0 || expected != due) {
        gridlink__v1__case__free_unpacked(c, NULL);
        return GL_OK; /* a leftover of a deadline that was replaced */
    }
    if (kind == GL_DEADLINE_ACCEPT_WARN || kind == GL_DEADLINE_RESOLVE_WARN) {
        rc = warn_due_soon(e, txn, c, kind == GL_DEADLINE_ACCEPT_WARN);
        gridlink__v1__case__free_unpacked(c, NULL);
        return rc;
    }
    bool sign_for = kind == GL_DEADLINE_ACCEPT;
    /* A department that does not report in (报到) goes to its superior. */
    bool absent = sign_for && e->self->tier == TIER(DEPARTMENT);
    const char *why = absent ? GL_DUE_NOTE_ABSENT : sign_for ? GL_DUE_NOTE_ACCEPT : GL_DUE_NOTE_RESOLVE;
    if (c->assigned_by && c->assigned_by[0] && !absent) {
        char note[300];
        snprintf(note, sizeof note, "%s (%s by %s)", why, sign_for ? "sign-for" : "completion", c->assigned_by);
        gl_info("node %s: case %s %s; %s is told", e->id, c->id, why, c->assigned_by);
        rc = report_overdue(e, txn, c, kind, note, EV(OVERDUE), true);
    } else if (e->parent && gl_link_up(e->uplink)) {
        gl_info("node %s: case %s %s, escalating to %s", e->id, c->id, why, e->parent->id);
        Gridlink__V1__CaseCounters *k = case_counters(c);
        if (k && sign_for)
            k->overdue_accept++;
        else if (k)
            k->overdue_resolve++;
        rc = lc_escalate(e, txn, c, why, NULL);
        if (rc == GL_ETOOBIG) /* nothing was written: say so, and the holder keeps it */
            rc = eng_log(e, txn, EV(OVERDUE), c, "", "too large to escalate; the holder keeps it");
    } else if (e->parent) {
        char note[300];
        snprintf(note, sizeof note, "%s; the link to %s is down: it climbs when the link returns", why, e->parent->id);
        gl_info("node %s: case %s %s", e->id, c->id, note);
        c->escalation_pending = true;
        rc = dl_pending_add(e, txn, c->id);
        if (rc == 0)
            rc = report_overdue(e, txn, c, kind, note, EV(ESCALATION_PENDING), false);
    } else {
        gl_warn("node %s: case %s %s at the top tier: overdue alarm", e->id, c->id, why);
        c->alarmed = true;
        rc = report_overdue(e, txn, c, kind, why, EV(OVERDUE), false);
    }
    gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

int gl_engine_fire(gl_engine_t *e, MDB_txn *txn, int64_t now, int budget, bool *more)
{
    e->now = now;
    *more = false;
    char id[GL_NODE_ID_MAX + 32];
    for (int i = 0; i < budget; i++) {
        int64_t due;
        enum gl_deadline_kind kind;
        int rc = gl_store_deadline_first(txn, e->store, &due, &kind, id, sizeof id);
        if (rc == GL_ENOENT || (rc == 0 && due > now))
            return GL_OK;
        if (rc == 0)
            rc = fire_one(e, txn, due, kind, id);
        if (rc != 0)
            return rc;
    }
    *more = true;
    return GL_OK;
}
