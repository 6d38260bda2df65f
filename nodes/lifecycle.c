/* lifecycle.c: the case lifecycle as one table of transitions, each with
 * its effects: from which states an action is allowed, who may take it, the
 * state that follows, which clocks start, stop or move, where the case goes,
 * what is counted and which event is logged. lc_apply runs a row at the
 * holder; everything is checked before anything is written.
 *
 * Who may act, relative to the case:
 *   holder      the node that has it now
 *   originator  who verifies and rates (谁发起、谁结案): the reporting grid,
 *               the intake node of a request, the dispatcher of a task
 *   assigner    the node that gave the holder the work (or the holder's
 *               parent when it came from below): answers extensions
 *   upper       any node above the holder: urges */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "engine_int.h"
#include "error.h"
#include "log.h"

#define RETURN_LIMIT_DEFAULT 2

enum who { W_HOLDER = 1, W_ORIGINATOR = 2, W_ASSIGNER = 4, W_UPPER = 8 };

enum clocks {
    C_STOP_ACCEPT = 1,
    C_STOP_BOTH = 2,
    C_START_RESOLVE = 4,
    C_PAUSE = 8,
    C_RESUME = 16,
    C_EXTEND = 32,
};

enum move { M_NONE, M_UP, M_TO, M_BACK };

enum count { N_NONE, N_REWORK, N_RETURN, N_EXTENSION, N_EXT_REFUSED, N_SUSPEND, N_URGE, N_ESCALATE, N_REOPEN };

#define B(x) (1u << ST(x))
#define OPEN                                                                                                           \
    (B(REPORTED) | B(ACCEPTED) | B(IN_PROGRESS) | B(RESOLVED) | B(RETURNED) | B(ESCALATED) | B(ASSIGNED) |             \
     B(SUSPENDED) | B(ARBITRATION))
#define WAITING (B(REPORTED) | B(ESCALATED) | B(ASSIGNED) | B(RETURNED) | B(ARBITRATION))
#define WORKING (B(ACCEPTED) | B(IN_PROGRESS))
#define RUNNING (WAITING | WORKING)

struct transition {
    gl_action action;
    uint32_t from; /* states it is allowed from */
    unsigned who;
    gl_state to; /* 0: the state stays (or the action decides) */
    unsigned clocks;
    enum move move;
    enum count count;
    gl_event event;
    bool tell_up; /* the holder's parent hears of it too */
};

static const struct transition table[] = {
    {ACT(ACCEPT), WAITING, W_HOLDER, ST(ACCEPTED), C_STOP_ACCEPT, M_NONE, N_NONE, EV(ACCEPTED), false},
    {ACT(START), B(ACCEPTED), W_HOLDER, ST(IN_PROGRESS), C_STOP_ACCEPT, M_NONE, N_NONE, EV(STARTED), false},
    {ACT(RESOLVE), WORKING, W_HOLDER, ST(RESOLVED), C_STOP_BOTH, M_NONE, N_NONE, EV(RESOLVED), false},
    {ACT(VERIFY), B(RESOLVED), W_ORIGINATOR, ST(CLOSED), C_STOP_BOTH, M_NONE, N_NONE, EV(CLOSED), false},
    {ACT(CLOSE), B(RESOLVED), W_ORIGINATOR, ST(CLOSED), C_STOP_BOTH, M_NONE, N_NONE, EV(CLOSED), false},
    {ACT(REWORK), B(RESOLVED), W_ORIGINATOR, ST(IN_PROGRESS), C_START_RESOLVE, M_NONE, N_REWORK, EV(REWORKED), false},
    {ACT(REOPEN), B(RESOLVED), W_ORIGINATOR, ST(IN_PROGRESS), C_START_RESOLVE, M_NONE, N_REWORK, EV(REOPENED), false},
    {ACT(RETURN), WAITING | WORKING, W_HOLDER, ST(RETURNED), C_STOP_BOTH, M_BACK, N_RETURN, EV(RETURNED), false},
    {ACT(EXTEND), RUNNING, W_HOLDER, 0, 0, M_NONE, N_NONE, EV(EXTENSION_ASKED), false},
    {ACT(APPROVE), RUNNING | B(SUSPENDED), W_ASSIGNER, 0, C_EXTEND, M_NONE, N_EXTENSION, EV(EXTENDED), false},
    {ACT(REFUSE), RUNNING | B(SUSPENDED), W_ASSIGNER, 0, 0, M_NONE, N_EXT_REFUSED, EV(EXTENSION_REFUSED), false},
    {ACT(SUSPEND), WORKING, W_HOLDER, ST(SUSPENDED), C_PAUSE, M_NONE, N_SUSPEND, EV(SUSPENDED), true},
    {ACT(RESUME), B(SUSPENDED), W_HOLDER, 0, C_RESUME, M_NONE, N_NONE, EV(RESUMED), true},
    {ACT(URGE), OPEN, W_UPPER, 0, 0, M_NONE, N_URGE, EV(URGED), false},
    {ACT(ESCALATE), RUNNING, W_HOLDER, ST(ESCALATED), C_STOP_BOTH, M_UP, N_ESCALATE, EV(ESCALATED), false},
    {ACT(ASSIGN), WAITING | WORKING, W_HOLDER, ST(ASSIGNED), C_STOP_BOTH, M_TO, N_NONE, EV(ASSIGNED), false},
    {ACT(MERGE), RUNNING | B(SUSPENDED), W_HOLDER, ST(MERGED), C_STOP_BOTH, M_NONE, N_NONE, EV(MERGED), false},
    {ACT(RATE), B(CLOSED), W_ORIGINATOR, 0, 0, M_NONE, N_NONE, EV(RATED), false},
    {ACT(PUBLISH_PHOTO), OPEN | B(CLOSED) | B(MERGED), W_HOLDER, 0, 0, M_NONE, N_NONE, EV(PHOTO_PUBLISHED), false},
};

static const struct transition *row_of(gl_action a)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].action == a)
            return &table[i];
    return NULL;
}

const char *lc_who_text(gl_action a)
{
    const struct transition *t = row_of(a);
    if (!t)
        return "nobody";
    switch (t->who) {
    case W_HOLDER: return "the holder";
    case W_ORIGINATOR: return "the originator";
    case W_ASSIGNER: return "the node that assigned the work";
    case W_UPPER: return "a tier above the holder";
    default: return "nobody";
    }
}

static const char *originator_of(const gl_case *c, char *buf, size_t size)
{
    if (c->originator && c->originator[0])
        return c->originator;
    return case_origin(c->id, buf, size) ? buf : "";
}

static const char *assigner_of(gl_engine_t *e, const gl_case *c)
{
    if (c->assigned_by && c->assigned_by[0])
        return c->assigned_by;
    const gl_node_t *h = gl_topology_find(e->topo, c->holder);
    const gl_node_t *p = h ? gl_topology_parent(e->topo, h) : NULL;
    return p ? p->id : "";
}

static int return_limit(const gl_engine_t *e)
{
    return eng_return_limit(e) > 0 ? eng_return_limit(e) : RETURN_LIMIT_DEFAULT;
}

static Gridlink__V1__ReturnCount *return_count(gl_case *c, const char *from, const char *to, bool add)
{
    for (size_t i = 0; i < c->n_return_counts; i++)
        if (strcmp(c->return_counts[i]->from, from) == 0 && strcmp(c->return_counts[i]->to, to) == 0)
            return c->return_counts[i];
    if (!add || c->n_return_counts >= 64)
        return NULL;
    Gridlink__V1__ReturnCount *r = malloc(sizeof *r);
    Gridlink__V1__ReturnCount **a = realloc(c->return_counts, (c->n_return_counts + 1) * sizeof *a);
    if (!r || !a) {
        free(r);
        if (a)
            c->return_counts = a;
        return NULL;
    }
    gridlink__v1__return_count__init(r);
    r->from = strdup(from);
    r->to = strdup(to);
    c->return_counts = a;
    c->return_counts[c->n_return_counts++] = r;
    return r;
}

/* The returns so far between the two nodes, either way. */
static uint32_t returns_between(const gl_case *c, const char *a, const char *b)
{
    uint32_t n = 0;
    for (size_t i = 0; i < c->n_return_counts; i++) {
        const Gridlink__V1__ReturnCount *r = c->return_counts[i];
        if ((strcmp(r->from, a) == 0 && strcmp(r->to, b) == 0) || (strcmp(r->from, b) == 0 && strcmp(r->to, a) == 0))
            n += r->count;
    }
    return n;
}

/* Where a return goes: back to whoever handed the case over, or, after too
 * many returns between the same two nodes, to the tier above both for a
 * binding assignment (审定). */
static const char *return_target(gl_engine_t *e, const gl_case *c, bool *arbitrate)
{
    const char *back = c->handed_by;
    *arbitrate = returns_between(c, e->id, back) + 1 >= (uint32_t)return_limit(e);
    if (!*arbitrate)
        return back;
    const char *higher = gl_topology_in_subtree(back, e->id) ? back : e->id;
    const gl_node_t *h = gl_topology_find(e->topo, higher);
    const gl_node_t *p = h ? gl_topology_parent(e->topo, h) : NULL;
    return p ? p->id : higher;
}

static bool allowed(gl_engine_t *e, const struct transition *t, const gl_case *c, const char *actor)
{
    char ob[GL_NODE_ID_MAX + 1];
    if ((t->who & W_HOLDER) && strcmp(actor, c->holder) == 0)
        return true;
    if ((t->who & W_ORIGINATOR) && strcmp(actor, originator_of(c, ob, sizeof ob)) == 0)
        return true;
    if ((t->who & W_ASSIGNER) && strcmp(actor, assigner_of(e, c)) == 0)
        return true;
    if ((t->who & W_UPPER) && strcmp(actor, c->holder) != 0 && gl_topology_in_subtree(actor, c->holder))
        return true;
    return false;
}

static const char *who_id(gl_engine_t *e, const struct transition *t, const gl_case *c, char *buf, size_t size)
{
    switch (t->who) {
    case W_HOLDER: return c->holder;
    case W_ORIGINATOR: return originator_of(c, buf, size);
    case W_ASSIGNER: return assigner_of(e, c);
    default: return "";
    }
}

/* Everything an action needs, checked against the case as it stands. */
static int check(gl_engine_t *e, const gl_case *c, const struct act_args *a, const struct transition **out, char *why,
                 size_t whylen)
{
    const struct transition *t = row_of(a->action);
    if (!t) {
        char list[512];
        snprintf(why, whylen, "unknown action '%s' (%s)", gl_action_name(a->action), gl_action_list(list, sizeof list));
        return GL_EINVAL;
    }
    *out = t;
    const char *act = gl_action_name(a->action);
    if (!(t->from & (1u << c->state))) {
        snprintf(why, whylen, "cannot %s case %s: it is %s (%s)", act, c->id, gl_state_name(c->state),
                 gl_state_label(c->state));
        return GL_ESTATE;
    }
    if (!allowed(e, t, c, a->actor)) {
        char buf[GL_NODE_ID_MAX + 1];
        const char *id = who_id(e, t, c, buf, sizeof buf);
        snprintf(why, whylen, "only %s%s%s%s may %s case %s, not %s", lc_who_text(a->action), id[0] ? " (" : "", id,
                 id[0] ? ")" : "", act, c->id, a->actor);
        return GL_EPERM;
    }
    switch (a->action) {
    case ACT(RATE):
        if (c->rating && c->rating->time_ms > 0) {
            snprintf(why, whylen, "case %s was rated already; a case is rated once", c->id);
            return GL_EEXIST;
        }
        break;
    case ACT(RETURN):
        if (!c->handed_by || !c->handed_by[0] || strcmp(c->handed_by, e->id) == 0) {
            snprintf(why, whylen, "case %s was not handed over by anyone; there is nobody to return it to", c->id);
            return GL_EPERM;
        }
        if (c->binding) {
            snprintf(why, whylen, "case %s was assigned by a binding decision (审定) and cannot be returned", c->id);
            return GL_EPERM;
        }
        if (a->reason <= 0) {
            char list[256];
            snprintf(why, whylen, "a return needs a reason (--reason %s)", gl_reason_list(list, sizeof list));
            return GL_EINVAL;
        }
        break;
    case ACT(EXTEND): {
        if (a->amount_ms <= 0 || a->amount_unit > GL_TIME_WORKING_DAYS) {
            snprintf(why, whylen, "an extension needs the time asked for (--by DURATION, 4wh or 2wd)");
            return GL_EINVAL;
        }
        if (c->extension_asked_ms > 0) {
            snprintf(why, whylen, "case %s already waits for an answer to an extension", c->id);
            return GL_ESTATE;
        }
        if (c->resolve_due_ms <= 0) {
            snprintf(why, whylen, "case %s has no running deadline to extend", c->id);
            return GL_ESTATE;
        }
        if (e->now >= c->resolve_due_ms) {
            snprintf(why, whylen, "an extension must be asked before the deadline; case %s was due already", c->id);
            return GL_ESTATE;
        }
        break;
    }
    case ACT(APPROVE):
    case ACT(REFUSE):
        if (c->extension_asked_ms <= 0) {
            snprintf(why, whylen, "case %s has no extension waiting for an answer", c->id);
            return GL_ESTATE;
        }
        break;
    case ACT(ESCALATE):
        if (!e->parent) {
            snprintf(why, whylen, "the district has no tier above it to escalate to");
            return GL_EPERM;
        }
        break;
    case ACT(ASSIGN): {
        const gl_node_t *to = a->to && a->to[0] ? gl_topology_find(e->topo, a->to) : NULL;
        if (!to || strcmp(a->to, e->id) == 0 ||
            (!gl_topology_in_subtree(e->id, a->to) && !eng_department_above(e, a->to))) {
            snprintf(why, whylen, "assign needs a node below %s or a department above it (--to NODE)%s%s", e->id,
                     a->to && a->to[0] ? ", not " : "", a->to ? a->to : "");
            return GL_EINVAL;
        }
        if (c->kind == GRIDLINK__V1__CASE_KIND__KIND_TASK && to->tier == TIER(COMMUNITY) &&
            !eng_community_task(e, c->category)) {
            snprintf(why, whylen, "work access: communities may not be given %s tasks (not in community_tasks)",
                     c->category);
            return GL_EPERM;
        }
        break;
    }
    case ACT(PUBLISH_PHOTO): {
        bool found = false;
        for (size_t i = 0; a->note && i < c->n_attachments && !found; i++)
            found = strcmp(c->attachments[i], a->note) == 0;
        if (!found) {
            snprintf(why, whylen, "publish-photo needs the SHA-256 of one of case %s's photos as its note (--note SHA)",
                     c->id);
            return GL_EINVAL;
        }
        break;
    }
    case ACT(MERGE):
        if (!a->into || !a->into[0] || strcmp(a->into, c->id) == 0) {
            snprintf(why, whylen, "merge needs another case this node holds (--into CASE_ID)");
            return GL_EINVAL;
        }
        break;
    default: break;
    }
    size_t size = gridlink__v1__case__get_packed_size(c);
    size_t grow = (a->note ? strlen(a->note) : 0) + strlen(e->id) + 128;
    if (c->n_history >= GL_CASE_ACTION_HISTORY || size + grow > GL_CASE_ACTION_BYTES) {
        snprintf(why, whylen,
                 "case %s is full (%zu history entries, %zu bytes; a case carries at most %d entries and %u bytes "
                 "of people's actions): close it and report a new case that refers to it",
                 c->id, c->n_history, size, GL_CASE_ACTION_HISTORY, GL_CASE_ACTION_BYTES);
        return GL_ETOOBIG;
    }
    return GL_OK;
}

int lc_check(gl_engine_t *e, const gl_case *c, const struct act_args *a, char *why, size_t whylen)
{
    const struct transition *t;
    return check(e, c, a, &t, why, whylen);
}

static void count(gl_case *c, enum count n)
{
    Gridlink__V1__CaseCounters *k = case_counters(c);
    if (!k)
        return;
    switch (n) {
    case N_REWORK: k->reworks++; break;
    case N_RETURN: k->returns++; break;
    case N_EXTENSION: k->extensions++; break;
    case N_EXT_REFUSED: k->extensions_refused++; break;
    case N_SUSPEND: k->suspensions++; break;
    case N_URGE: k->urges++; break;
    case N_ESCALATE: k->escalations++; break;
    case N_REOPEN: k->reopens++; break;
    default: break;
    }
}

static int clocks(gl_engine_t *e, MDB_txn *txn, gl_case *c, const struct transition *t, const struct act_args *a)
{
    int rc = GL_OK;
    if (t->clocks & C_STOP_ACCEPT)
        rc = dl_clear(e, txn, c, true, false);
    if (rc == 0 && (t->clocks & C_STOP_BOTH))
        rc = dl_clear(e, txn, c, true, true);
    if (rc == 0 && (t->clocks & C_START_RESOLVE))
        rc = dl_start(e, txn, c, false, true);
    if (rc == 0 && (t->clocks & C_PAUSE)) {
        c->accept_left_ms = c->accept_due_ms > e->now ? c->accept_due_ms - e->now : (c->accept_due_ms ? 1 : 0);
        c->resolve_left_ms = c->resolve_due_ms > e->now ? c->resolve_due_ms - e->now : (c->resolve_due_ms ? 1 : 0);
        c->suspended_at_ms = e->now;
        rc = dl_clear(e, txn, c, true, true);
    }
    if (rc == 0 && (t->clocks & C_RESUME)) {
        rc = dl_start_ms(e, txn, c, c->accept_left_ms, c->resolve_left_ms);
        Gridlink__V1__CaseCounters *k = case_counters(c);
        if (k && c->suspended_at_ms)
            k->suspended_ms += e->now - c->suspended_at_ms;
        c->accept_left_ms = c->resolve_left_ms = c->suspended_at_ms = 0;
    }
    if (rc == 0 && (t->clocks & C_EXTEND)) {
        if (c->state == ST(SUSPENDED)) {
            /* what was left, plus the extension counted on from its end */
            int64_t end = c->suspended_at_ms + c->resolve_left_ms;
            int64_t due = gl_calendar_add(e->topo->calendar, e->id, end, c->extension_asked_ms,
                                          (enum gl_time_unit)c->extension_unit);
            if (due != INT64_MAX)
                c->resolve_left_ms = due - c->suspended_at_ms;
        } else {
            rc = dl_extend(e, txn, c, c->extension_asked_ms, c->extension_unit);
        }
    }
    (void)a;
    return rc;
}

static int merge_into(gl_engine_t *e, MDB_txn *txn, gl_case *c, const char *into, char *why, size_t whylen,
                      gl_case **target)
{
    *target = NULL;
    gl_case *t = NULL;
    int rc = gl_store_case_get(txn, e->store, into, &t);
    if (rc == GL_ENOENT) {
        snprintf(why, whylen, "case %s is not known here", into);
        return GL_EINVAL;
    }
    if (rc != 0)
        return rc;
    if (strcmp(t->holder, e->id) != 0 || gl_state_is_final(t->state)) {
        snprintf(why, whylen, "case %s can only be merged into an open case %s holds; %s is %s, held by %s", c->id,
                 e->id, into, gl_state_name(t->state), t->holder);
        gridlink__v1__case__free_unpacked(t, NULL);
        return GL_EINVAL;
    }
    *target = t;
    return GL_OK;
}

int lc_escalate(gl_engine_t *e, MDB_txn *txn, gl_case *c, const char *note, const char *by)
{
    if (!e->parent)
        return GL_EPERM;
    gl_state was = c->state;
    c->state = ST(ESCALATED);
    case_history_add(c, "escalated", e->id, e->now, note);
    case_history_by(c, by, e->parent->id);
    if (!case_fits(c)) {
        /* Checked before anything is written: the case stays where it is. */
        c->state = was;
        c->n_history--;
        gridlink__v1__history_entry__free_unpacked(c->history[c->n_history], NULL);
        gl_warn("node %s: case %s is too large to escalate (%zu history entries)", e->id, c->id, c->n_history);
        return GL_ETOOBIG;
    }
    int rc = dl_clear(e, txn, c, true, true);
    if (rc != 0)
        return rc;
    count(c, N_ESCALATE);
    case_set_str(&c->holder, e->parent->id);
    case_set_str(&c->handed_by, e->id);
    case_set_str(&c->assigned_by, "");
    c->escalation_pending = false;
    c->extension_asked_ms = 0;
    c->hops++;
    c->version++;
    if ((rc = gl_store_case_put(txn, e->store, c)) != 0 || (rc = eng_send_up(e, txn, c, "escalated")) != 0 ||
        (rc = eng_log(e, txn, EV(ESCALATED), c, e->parent->id, note)) != 0)
        return rc;
    return eng_spread(e, txn, c, e->parent->id, false);
}

static const char *past(gl_action a)
{
    switch (a) {
    case ACT(ACCEPT): return "accepted";
    case ACT(START): return "started";
    case ACT(RESOLVE): return "resolved";
    case ACT(VERIFY): return "verified";
    case ACT(CLOSE): return "closed";
    case ACT(REWORK): return "reworked";
    case ACT(REOPEN): return "reopened";
    case ACT(RETURN): return "returned";
    case ACT(EXTEND): return "extension-asked";
    case ACT(APPROVE): return "extended";
    case ACT(REFUSE): return "extension-refused";
    case ACT(SUSPEND): return "suspended";
    case ACT(RESUME): return "resumed";
    case ACT(URGE): return "urged";
    case ACT(ESCALATE): return "escalated";
    case ACT(ASSIGN): return "assigned";
    case ACT(MERGE): return "merged";
    case ACT(RATE): return "rated";
    case ACT(PUBLISH_PHOTO): return "photo-published";
    default: return gl_action_name(a);
    }
}

int lc_apply(gl_engine_t *e, MDB_txn *txn, gl_case *c, const struct act_args *a, char *why, size_t whylen)
{
    const struct transition *t;
    int rc = check(e, c, a, &t, why, whylen);
    if (rc != 0)
        return rc;
    gl_case *target = NULL;
    if (a->action == ACT(MERGE) && (rc = merge_into(e, txn, c, a->into, why, whylen, &target)) != 0)
        return rc;
    if (a->action == ACT(ESCALATE)) {
        rc = lc_escalate(e, txn, c, a->note && a->note[0] ? a->note : "escalated by staff", a->user);
        if (rc == GL_ETOOBIG)
            snprintf(why, whylen, "case %s is too large to escalate; close it and report a new case", c->id);
        return rc;
    }
    const char *by = a->user && a->user[0] ? a->user : a->actor;
    const char *peer = "";
    char back[GL_NODE_ID_MAX + 1]; /* a return's target; c->handed_by changes below */
    gl_state before = c->state;
    bool reopened = false;
    /* state */
    if (t->to)
        c->state = t->to;
    if (a->action == ACT(RESUME))
        c->state = c->resume_state ? c->resume_state : ST(IN_PROGRESS);
    if (a->action == ACT(SUSPEND))
        c->resume_state = before;
    if ((rc = clocks(e, txn, c, t, a)) != 0)
        goto out;
    count(c, t->count);
    char note[GL_MAX_TEXT + 512]; /* the person's note, with what the step adds */
    snprintf(note, sizeof note, "%s", a->note ? a->note : "");
    switch (a->action) {
    case ACT(EXTEND):
        c->extension_asked_ms = a->amount_ms;
        c->extension_unit = a->amount_unit;
        break;
    case ACT(APPROVE):
    case ACT(REFUSE):
        snprintf(note, sizeof note, "%lld s%s%s", (long long)(c->extension_asked_ms / 1000),
                 a->note && a->note[0] ? "; " : "", a->note ? a->note : "");
        c->extension_asked_ms = 0;
        break;
    case ACT(RATE):
        if (!c->rating) {
            c->rating = malloc(sizeof *c->rating);
            if (!c->rating) {
                rc = GL_ENOMEM;
                goto out;
            }
            gridlink__v1__rating__init(c->rating);
        }
        c->rating->resolved = a->resolved;
        c->rating->satisfied = a->satisfied;
        case_set_str(&c->rating->by, a->actor);
        c->rating->time_ms = e->now;
        snprintf(note, sizeof note, "resolved %s, satisfied %s%s%s", a->resolved ? "yes" : "no",
                 a->satisfied ? "yes" : "no", a->note && a->note[0] ? "; " : "", a->note ? a->note : "");
        if (!a->resolved) {
            reopened = true;
            c->state = ST(IN_PROGRESS);
            count(c, N_REOPEN);
            rc = dl_start(e, txn, c, false, true);
        }
        break;
    case ACT(MERGE):
        case_set_str(&c->merged_into, target->id);
        snprintf(note, sizeof note, "duplicate of %s%s%s", target->id, a->note && a->note[0] ? "; " : "",
                 a->note ? a->note : "");
        break;
    case ACT(RETURN): {
        bool arbitrate;
        const char *to = return_target(e, c, &arbitrate);
        Gridlink__V1__ReturnCount *rcnt = return_count(c, e->id, c->handed_by, true);
        if (rcnt) {
            rcnt->count++;
            if (rcnt->count > 1 || returns_between(c, e->id, c->handed_by) > 1)
                case_counters(c)->shuffles++;
        }
        snprintf(note, sizeof note, "%s (%s)%s%s", gl_reason_name(a->reason), gl_reason_label(a->reason),
                 a->note && a->note[0] ? ": " : "", a->note ? a->note : "");
        bool down = gl_topology_in_subtree(e->id, to);
        if (arbitrate) {
            c->state = ST(ARBITRATION);
            strncat(note, "; returned too often: to the tier above for a binding assignment (审定)",
                    sizeof note - strlen(note) - 1);
        }
        snprintf(back, sizeof back, "%s", to);
        peer = back;
        case_set_str(&c->assigned_by, down ? e->id : "");
        case_set_str(&c->holder, back);
        break;
    }
    case ACT(ASSIGN):
        peer = a->to;
        c->binding = before == ST(ARBITRATION);
        if (c->unplaced) { /* placed from the routing queue */
            const gl_node_t *to = gl_topology_find(e->topo, a->to);
            c->unplaced = false;
            if (to && to->tier == TIER(COMMUNITY))
                case_set_str(&c->community, to->id);
        }
        case_set_str(&c->assigned_by, e->id);
        case_set_str(&c->holder, a->to);
        break;
    default: break;
    }
    if (rc != 0)
        goto out;
    bool moved = strcmp(c->holder, e->id) != 0;
    if (moved) {
        case_set_str(&c->handed_by, e->id);
        c->extension_asked_ms = 0;
        c->overdue = false;
        c->escalation_pending = false;
        c->hops++;
    }
    case_history_add(c, past(a->action), e->id, e->now, note);
    case_history_by(c, by, peer);
    if (reopened) {
        case_history_add(c, "reopened", e->id, e->now, "评价为未解决");
        case_history_by(c, by, "");
    }
    c->version++;
    if ((rc = gl_store_case_put(txn, e->store, c)) != 0)
        goto out;
    if ((rc = eng_log(e, txn, t->event, c, peer, note)) != 0)
        goto out;
    if (reopened && (rc = eng_log(e, txn, EV(REOPENED), c, "", "not resolved")) != 0)
        goto out;
    if ((rc = eng_spread(e, txn, c, NULL, t->tell_up)) != 0)
        goto out;
    if (target) {
        char tnote[300];
        snprintf(tnote, sizeof tnote, "case %s merged into this one", c->id);
        case_history_add(target, "merged-in", e->id, e->now, tnote);
        case_history_by(target, by, "");
        target->version++;
        if (case_fits(target) && (rc = gl_store_case_put(txn, e->store, target)) == 0 &&
            (rc = eng_log(e, txn, EV(MERGED), target, "", tnote)) == 0)
            rc = eng_spread(e, txn, target, NULL, false);
    }
out:
    if (target)
        gridlink__v1__case__free_unpacked(target, NULL);
    return rc;
}

int lc_take_over(gl_engine_t *e, MDB_txn *txn, gl_case *c)
{
    int rc;
    const char *from = c->handed_by;
    char note[300];
    c->accept_due_ms = c->resolve_due_ms = c->accept_warn_ms = c->resolve_warn_ms = 0;
    switch (c->state) {
    case ST(ASSIGNED):
        /* The dispatcher's limits where it gave them, the policy's elsewhere. */
        snprintf(note, sizeof note, "assigned by %s", c->assigned_by);
        rc = dl_start(e, txn, c, c->sign_within_ms <= 0, c->due_within_ms <= 0);
        if (rc == 0)
            rc = dl_start_ms(e, txn, c, c->sign_within_ms, c->due_within_ms);
        break;
    case ST(ARBITRATION):
        snprintf(note, sizeof note, "for a binding assignment (审定)");
        rc = dl_start(e, txn, c, true, false);
        break;
    default:
        snprintf(note, sizeof note, "%s by %s", gl_state_name(c->state), from);
        rc = dl_start(e, txn, c, true, false);
        break;
    }
    if (rc != 0)
        return rc;
    case_history_add(c, "received", e->id, e->now, note);
    case_history_by(c, NULL, from);
    c->version++;
    if (!case_fits(c)) {
        c->n_history--;
        gridlink__v1__history_entry__free_unpacked(c->history[c->n_history], NULL);
    }
    if ((rc = gl_store_case_put(txn, e->store, c)) != 0 || (rc = eng_log(e, txn, EV(RECEIVED), c, from, note)) != 0)
        return rc;
    /* The sender too: its copy should not stay a version behind. */
    return eng_spread(e, txn, c, NULL, false);
}

int lc_part_changed(gl_engine_t *e, MDB_txn *txn, const gl_case *part)
{
    if (!part->parent_task || !part->parent_task[0] || !gl_state_is_final(part->state))
        return GL_OK;
    gl_case *p = NULL;
    int rc = gl_store_case_get(txn, e->store, part->parent_task, &p);
    if (rc == GL_ENOENT)
        return GL_OK;
    if (rc != 0)
        return rc;
    bool done = strcmp(p->holder, e->id) == 0 && !gl_state_is_final(p->state) && p->n_children > 0;
    for (size_t i = 0; done && i < p->n_children; i++) {
        if (strcmp(p->children[i], part->id) == 0) {
            done = part->state == ST(CLOSED) || part->state == ST(MERGED);
            continue;
        }
        gl_case *k = NULL;
        rc = gl_store_case_get(txn, e->store, p->children[i], &k);
        if (rc == GL_ENOENT) {
            done = false;
            rc = GL_OK;
            break;
        }
        if (rc != 0)
            break;
        done = k->state == ST(CLOSED) || k->state == ST(MERGED);
        gridlink__v1__case__free_unpacked(k, NULL);
    }
    if (rc == 0 && done) {
        char note[120];
        snprintf(note, sizeof note, "every part done and verified (%zu)", p->n_children);
        p->state = ST(CLOSED);
        case_history_add(p, "closed", e->id, e->now, note);
        case_history_by(p, NULL, "");
        p->version++;
        if ((rc = dl_clear(e, txn, p, true, true)) == 0 && (rc = gl_store_case_put(txn, e->store, p)) == 0)
            rc = eng_log(e, txn, EV(CLOSED), p, "", note);
    }
    gridlink__v1__case__free_unpacked(p, NULL);
    return rc;
}
