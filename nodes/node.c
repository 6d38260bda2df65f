/* node.c: what one tier node does with cases: reports, transfers up the
 * tree, status going back down, people's actions, and the read-only views.
 * Every function here runs inside the node's batch transaction (or a read
 * transaction for the views) and never touches a socket: messages to other
 * nodes go through the links' outboxes, replies and bus events through the
 * batch's effects, which leave only after the commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casefsm.h"
#include "codec.h"
#include "deadletter.h"
#include "error.h"
#include "log.h"
#include "node.h"
#include "policy.h"

#define ST(x) GRIDLINK__V1__CASE_STATE__STATE_##x

void case_set_str(char **field, const char *v)
{
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = strdup(v ? v : "");
}

void case_history_add(Gridlink__V1__Case *c, const char *action, const char *node, int64_t now, const char *note)
{
    Gridlink__V1__HistoryEntry *h = malloc(sizeof *h);
    Gridlink__V1__HistoryEntry **arr = realloc(c->history, (c->n_history + 1) * sizeof *arr);
    if (!h || !arr) {
        free(h);
        if (arr)
            c->history = arr;
        return;
    }
    gridlink__v1__history_entry__init(h);
    h->action = strdup(action);
    h->state = c->state;
    h->node = strdup(node);
    h->time_ms = now;
    h->note = strdup(note ? note : "");
    c->history = arr;
    c->history[c->n_history++] = h;
}

int node_log(node_t *n, MDB_txn *txn, const char *kind, const Gridlink__V1__Case *c, const char *peer, const char *note)
{
    Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
    ev.node = (char *)n->id;
    ev.kind = (char *)kind;
    ev.time_ms = host_now(n->host);
    if (c) {
        ev.case_id = c->id;
        ev.state = c->state;
        ev.holder = c->holder;
        ev.category = c->category;
        ev.version = c->version;
    }
    ev.peer = (char *)(peer ? peer : "");
    ev.note = (char *)(note ? note : "");
    int rc = gl_store_log_append(txn, n->store, &ev);
    if (rc != 0)
        return rc;
    uint8_t *buf;
    size_t len;
    rc = gl_pack(&ev.base, &buf, &len);
    if (rc != 0)
        return rc;
    char topic[GL_NODE_ID_MAX + 40];
    snprintf(topic, sizeof topic, "%s %s", kind, n->id);
    rc = node_fx_publish(n, topic, buf, len);
    free(buf);
    return rc;
}

static struct child *find_child(node_t *n, const char *id)
{
    for (size_t i = 0; i < n->n_children; i++)
        if (strcmp(n->children[i].topo->id, id) == 0)
            return &n->children[i];
    return NULL;
}

int node_status_down(node_t *n, MDB_txn *txn, const Gridlink__V1__Case *c)
{
    if (!c->came_from || !c->came_from[0])
        return GL_OK;
    struct child *ch = find_child(n, c->came_from);
    if (!ch)
        return GL_OK;
    Gridlink__V1__CaseStatus st = GRIDLINK__V1__CASE_STATUS__INIT;
    st.case_ = (Gridlink__V1__Case *)c;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_STATUS;
    env.status = &st;
    return gl_link_enqueue(ch->link, txn, &env);
}

static int send_up(node_t *n, MDB_txn *txn, Gridlink__V1__Case *c, const char *reason)
{
    Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
    tr.case_ = c;
    tr.reason = (char *)reason;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
    env.transfer = &tr;
    return gl_link_enqueue(n->uplink, txn, &env);
}

/* Room left in a message for what a case travels with (envelope, reason). */
#define ENVELOPE_ROOM 4096

bool case_fits(const Gridlink__V1__Case *c)
{
    return gridlink__v1__case__get_packed_size(c) + ENVELOPE_ROOM <= GL_MAX_MESSAGE;
}

int node_escalate(node_t *n, MDB_txn *txn, Gridlink__V1__Case *c, const char *note)
{
    if (!n->parent)
        return GL_EPERM;
    int64_t now = host_now(n->host);
    gl_state was = c->state;
    c->state = ST(ESCALATED);
    case_history_add(c, "escalated", n->id, now, note);
    if (!case_fits(c)) {
        /* Checked before anything is written: the case stays where it is. */
        c->state = was;
        gl_warn("node %s: case %s is too large to escalate (%zu history entries)", n->id, c->id, c->n_history);
        return GL_ETOOBIG;
    }
    case_set_str(&c->holder, n->parent->id);
    int rc = deadlines_clear(n, txn, c, true, true);
    if (rc != 0)
        return rc;
    c->version++;
    if ((rc = gl_store_case_put(txn, n->store, c)) != 0 || (rc = send_up(n, txn, c, "escalated")) != 0 ||
        (rc = node_log(n, txn, "escalated", c, n->parent->id, note)) != 0)
        return rc;
    return node_status_down(n, txn, c);
}

/* The node a case ID was minted at: the ID up to its last '-'. */
static bool case_origin(const char *case_id, char *out, size_t size)
{
    const char *dash = strrchr(case_id, '-');
    size_t len = dash ? (size_t)(dash - case_id) : 0;
    if (!len || len >= size)
        return false;
    memcpy(out, case_id, len);
    out[len] = 0;
    return true;
}

static uint64_t case_counter_of(const char *case_id)
{
    const char *dash = strrchr(case_id, '-');
    return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

/* Is `incoming` the case we already hold under its ID, sent again? */
static bool same_case(const Gridlink__V1__Case *old, const Gridlink__V1__Case *incoming)
{
    return old->created_ms == incoming->created_ms && strcmp(old->text, incoming->text) == 0 &&
           strcmp(old->category, incoming->category) == 0 && strcmp(old->grid, incoming->grid) == 0 &&
           strcmp(old->reporter, incoming->reporter) == 0;
}

/* A child handed us a case: a new report or an escalation. Everything is
 * checked before anything is written; a refusal returns its code with the
 * reason in why, and the link tells the child. */
static int on_transfer(node_t *n, MDB_txn *txn, const char *from, Gridlink__V1__CaseTransfer *tr, char *why,
                       size_t whylen)
{
    Gridlink__V1__Case *c = tr->case_;
    bool escalated = strcmp(tr->reason, "escalated") == 0;
    if (!escalated && strcmp(tr->reason, "reported") != 0) {
        snprintf(why, whylen, "case %s: unknown transfer reason '%s'", c->id, tr->reason);
        return GL_EPROTO;
    }
    /* A case minted under node X travels only X's branch: the origin, and
     * the grid it arose in, lie in the sending child's subtree; a new report
     * comes only from the node that minted it. */
    char origin[GL_NODE_ID_MAX + 1];
    if (!case_origin(c->id, origin, sizeof origin) || !gl_topology_in_subtree(from, origin)) {
        snprintf(why, whylen, "case %s was not minted in %s's subtree", c->id, from);
        n->spoofed++;
        return GL_EPERM;
    }
    if (c->grid[0] && !gl_topology_in_subtree(from, c->grid)) {
        snprintf(why, whylen, "case %s names grid %s outside %s's subtree", c->id, c->grid, from);
        n->spoofed++;
        return GL_EPERM;
    }
    if (!escalated && strcmp(origin, from) != 0) {
        snprintf(why, whylen, "case %s is reported by %s but was minted at %s", c->id, from, origin);
        n->spoofed++;
        return GL_EPERM;
    }
    if (strcmp(c->holder, n->id) != 0) {
        snprintf(why, whylen, "case %s is handed to %s, not to %s", c->id, c->holder, n->id);
        return GL_EPERM;
    }
    Gridlink__V1__Case *old = NULL;
    int rc = gl_store_case_get(txn, n->store, c->id, &old);
    if (rc == 0) {
        bool same = same_case(old, c);
        gridlink__v1__case__free_unpacked(old, NULL);
        if (same) {
            gl_info("node %s: case %s from %s is already here, taken as a repeat", n->id, c->id, from);
            return GL_OK;
        }
        snprintf(why, whylen, "case ID %s is already used here for a different case", c->id);
        return GL_ECONFLICT;
    }
    if (rc != GL_ENOENT)
        return rc;
    int64_t now = host_now(n->host);
    case_set_str(&c->came_from, from);
    case_set_str(&c->holder, n->id);
    c->state = escalated ? ST(ESCALATED) : ST(REPORTED);
    c->accept_due_ms = c->resolve_due_ms = 0;
    case_history_add(c, "received", n->id, now, escalated ? "escalated from below" : "");
    c->version++;
    rc = deadlines_start(n, txn, c, true, true);
    if (rc == 0)
        rc = gl_store_case_put(txn, n->store, c);
    if (rc == 0)
        rc = node_log(n, txn, "received", c, from, escalated ? "escalated" : "reported");
    return rc;
}

/* The parent changed a case that passed through us: keep our copy current and
 * pass the news on towards the grid it came from. */
static int on_status(node_t *n, MDB_txn *txn, Gridlink__V1__CaseStatus *st, char *why, size_t whylen)
{
    Gridlink__V1__Case *c = st->case_;
    Gridlink__V1__Case *old = NULL;
    int rc = gl_store_case_get(txn, n->store, c->id, &old);
    if (rc == GL_ENOENT) {
        gl_warn("node %s: status for unknown case %s ignored", n->id, c->id);
        return GL_OK;
    }
    if (rc != 0)
        return rc;
    if (c->version <= old->version) {
        gridlink__v1__case__free_unpacked(old, NULL);
        return GL_OK;
    }
    case_set_str(&c->came_from, old->came_from);
    c->accept_due_ms = c->resolve_due_ms = 0;
    gridlink__v1__case__free_unpacked(old, NULL);
    if (!case_fits(c)) {
        snprintf(why, whylen, "case %s is too large to pass on (%zu history entries)", c->id, c->n_history);
        return GL_ETOOBIG;
    }
    if ((rc = gl_store_case_put(txn, n->store, c)) != 0 || (rc = node_log(n, txn, "status", c, n->parent->id, "")) != 0)
        return rc;
    return node_status_down(n, txn, c);
}

static bool is_refusal(int rc)
{
    return rc == GL_EPROTO || rc == GL_EPERM || rc == GL_ETOOBIG || rc == GL_ECONFLICT || rc == GL_EINVAL ||
           rc == GL_ESTATE;
}

/* Tell the peer that sequenced message `seq` will never be accepted here. */
static void refuse_seq(node_t *n, gl_link_t *l, uint64_t seq, const uint8_t *buf, size_t len, int code, const char *why)
{
    gl_link_refuse(l, seq, buf, len, code, why);
    n->refused_in++;
    n->last_refusal = code;
    gl_warn("node %s: message %llu from %s refused (%s): %s", n->id, (unsigned long long)seq, gl_link_peer(l),
            gl_strerror(code), why);
}

/* The rebuilt child must never mint an ID we already hold: find the highest
 * counter of the cases it minted. */
static uint64_t highest_counter_of(node_t *n, MDB_txn *txn, const char *origin)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, gl_store_dbi(n->store, GL_DB_CASES), &cur) != 0)
        return 0;
    char prefix[GL_NODE_ID_MAX + 2];
    size_t plen = (size_t)snprintf(prefix, sizeof prefix, "%s-", origin);
    MDB_val k = {plen, prefix}, v;
    uint64_t best = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size > plen && memcmp(k.mv_data, prefix, plen) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char id[GL_NODE_ID_MAX + 32];
        if (k.mv_size >= sizeof id)
            continue;
        memcpy(id, k.mv_data, k.mv_size);
        id[k.mv_size] = 0;
        if (strchr(id + plen, '-'))
            continue; /* "<origin>-x-..." cannot be ours: counters are digits */
        uint64_t c = case_counter_of(id);
        if (c > best)
            best = c;
    }
    mdb_cursor_close(cur);
    return best;
}

/* One frame from a tree peer: decoded, authenticated by name, handed to the
 * link, and applied if the link says so. Refusals of a sequenced message go
 * back to the peer by number; nothing here is silent. */
static int on_link_frame(node_t *n, MDB_txn *txn, gl_link_t *l, const char *peer, bool from_child, const uint8_t *buf,
                         size_t len)
{
    char err[256];
    Gridlink__V1__Envelope *env;
    int rc = gl_decode_envelope(buf, len, &env, err, sizeof err);
    if (rc != 0) {
        n->malformed++;
        uint64_t seq;
        char sender[GL_NODE_ID_MAX + 1];
        if (gl_envelope_peek(buf, len, &seq, sender, sizeof sender) == 0 && seq != 0 && strcmp(sender, peer) == 0 &&
            seq == gl_link_expected(l)) {
            refuse_seq(n, l, seq, buf, len, GL_EPROTO, err);
            return GL_OK;
        }
        n->last_refusal = GL_EPROTO;
        gl_warn("node %s: undecodable frame of %zu bytes from %s: %s", n->id, len, peer, err);
        return GL_OK;
    }
    if (strcmp(env->sender, peer) != 0) {
        char why[300];
        snprintf(why, sizeof why, "sender '%.100s' is not the authenticated peer '%.100s'", env->sender, peer);
        n->spoofed++;
        if (env->seq != 0 && env->seq == gl_link_expected(l)) {
            refuse_seq(n, l, env->seq, buf, len, GL_EPERM, why);
        } else {
            n->last_refusal = GL_EPERM;
            gl_warn("node %s: frame from %s refused: %s", n->id, peer, why);
        }
        gridlink__v1__envelope__free_unpacked(env, NULL);
        return GL_OK;
    }
    rc = gl_link_receive(l, txn, env, host_now(n->host));
    if (rc == GL_LINK_APPLY) {
        char why[400] = "";
        if (from_child && env->body_case == GRIDLINK__V1__ENVELOPE__BODY_TRANSFER)
            rc = on_transfer(n, txn, peer, env->transfer, why, sizeof why);
        else if (!from_child && env->body_case == GRIDLINK__V1__ENVELOPE__BODY_STATUS)
            rc = on_status(n, txn, env->status, why, sizeof why);
        else {
            rc = GL_EPROTO;
            snprintf(why, sizeof why, "a %s does not send that message", from_child ? "child" : "parent");
        }
        if (is_refusal(rc)) {
            refuse_seq(n, l, env->seq, buf, len, rc, why[0] ? why : gl_strerror(rc));
            rc = GL_OK;
        } else if (rc == 0) {
            rc = gl_link_applied(l, txn, env->seq);
        }
    } else if (rc == GL_LINK_DEAD) {
        rc = node_log_dead(n, txn, gl_link_peer(l), gl_link_last_dead_case(l), gl_link_last_dead_reason(l));
    } else if (rc == GL_LINK_RESET) {
        n->store_resets++;
        rc = node_log(n, txn, "peer-reset", NULL, peer, "came back with a new store");
        if (rc == 0 && from_child)
            gl_link_set_origin_counter(l, highest_counter_of(n, txn, peer));
    }
    if (rc >= 0 && !from_child && env->body_case == GRIDLINK__V1__ENVELOPE__BODY_WELCOME &&
        env->welcome->origin_counter > 0) {
        uint64_t counter = 0;
        int r = gl_store_meta_get_u64(txn, n->store, "case_counter", &counter);
        if ((r == 0 || r == GL_ENOENT) && counter < env->welcome->origin_counter) {
            gl_warn("node %s: the parent knows cases up to %llu minted here; case numbering continues after it", n->id,
                    (unsigned long long)env->welcome->origin_counter);
            r = gl_store_meta_put_u64(txn, n->store, "case_counter", env->welcome->origin_counter);
        }
        if (r != 0 && r != GL_ENOENT)
            rc = r;
    }
    gridlink__v1__envelope__free_unpacked(env, NULL);
    return rc < 0 ? rc : GL_OK;
}

int node_on_parent(node_t *n, MDB_txn *txn, const uint8_t *buf, size_t len)
{
    return on_link_frame(n, txn, n->uplink, n->parent->id, false, buf, len);
}

int node_on_child(node_t *n, MDB_txn *txn, int child, const uint8_t *buf, size_t len)
{
    struct child *ch = &n->children[child];
    return on_link_frame(n, txn, ch->link, ch->topo->id, true, buf, len);
}

int node_log_dead(node_t *n, MDB_txn *txn, const char *peer, const char *case_id, const char *reason)
{
    Gridlink__V1__Case *c = NULL;
    if (case_id[0] && gl_store_case_get(txn, n->store, case_id, &c) != 0)
        c = NULL;
    int rc = node_log(n, txn, "dead-letter", c, peer, reason);
    if (c)
        gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

static int reply_error(node_t *n, zframe_t *rid, int code, const char *fmt, const char *arg)
{
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    n->refused_actions++;
    rep.code = code;
    rep.error = msg;
    return node_fx_reply(n, rid, &rep);
}

static int ctl_submit(node_t *n, MDB_txn *txn, zframe_t *rid, const Gridlink__V1__CtlRequest *req)
{
    if (!req->text[0])
        return reply_error(n, rid, GL_EINVAL, "%s", "a case needs a description (--text)");
    if (!req->category[0])
        return reply_error(n, rid, GL_EINVAL, "%s", "a case needs a category (--category)");
    uint64_t counter = 0;
    int rc = gl_store_meta_get_u64(txn, n->store, "case_counter", &counter);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    counter++;
    if ((rc = gl_store_meta_put_u64(txn, n->store, "case_counter", counter)) != 0)
        return rc;
    char id[GL_NODE_ID_MAX + 24];
    snprintf(id, sizeof id, "%s-%06llu", n->id, (unsigned long long)counter);
    int64_t now = host_now(n->host);
    Gridlink__V1__Case *c = malloc(sizeof *c);
    if (!c)
        return GL_ENOMEM;
    gridlink__v1__case__init(c);
    case_set_str(&c->id, id);
    c->kind = req->kind ? req->kind : GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    case_set_str(&c->category, req->category);
    c->priority = req->priority;
    case_set_str(&c->grid, n->topo->tier == GRIDLINK__V1__TIER__TIER_GRID ? n->id : "");
    case_set_str(&c->address, req->address);
    case_set_str(&c->text, req->text);
    case_set_str(&c->reporter, req->reporter);
    case_set_str(&c->came_from, "");
    c->created_ms = now;
    c->state = ST(REPORTED);
    c->version = 1;
    bool forward = n->topo->tier == GRIDLINK__V1__TIER__TIER_GRID && n->parent;
    case_set_str(&c->holder, forward ? n->parent->id : n->id);
    case_history_add(c, "reported", n->id, now, req->note);
    if (!forward)
        rc = deadlines_start(n, txn, c, true, true);
    if (rc == 0)
        rc = gl_store_case_put(txn, n->store, c);
    if (rc == 0 && forward)
        rc = send_up(n, txn, c, "reported");
    if (rc == 0)
        rc = node_log(n, txn, "reported", c, forward ? n->parent->id : "", req->note);
    if (rc == 0) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.case_id = id;
        rep.case_ = c;
        rc = node_fx_reply(n, rid, &rep);
    }
    gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

static const char *past_tense(const char *action)
{
    static const char *map[][2] = {{"accept", "accepted"}, {"start", "started"},   {"resolve", "resolved"},
                                   {"close", "closed"},    {"reopen", "reopened"}, {"escalate", "escalated"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], action) == 0)
            return map[i][1];
    return action;
}

static int ctl_act(node_t *n, MDB_txn *txn, zframe_t *rid, const Gridlink__V1__CtlRequest *req)
{
    Gridlink__V1__Case *c = NULL;
    int rc = gl_store_case_get(txn, n->store, req->case_id, &c);
    if (rc == GL_ENOENT)
        return reply_error(n, rid, GL_ENOENT, "unknown case %s", req->case_id);
    if (rc != 0)
        return rc;
    gl_state to;
    rc = gl_case_transition(c->state, req->action, &to);
    if (rc == GL_EINVAL) {
        gridlink__v1__case__free_unpacked(c, NULL);
        return reply_error(n, rid, rc, "unknown action '%s' (accept, start, resolve, close, reopen, escalate)",
                           req->action);
    }
    if (strcmp(c->holder, n->id) != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "case %s is held by %s, not %s", c->id, c->holder, n->id);
        gridlink__v1__case__free_unpacked(c, NULL);
        return reply_error(n, rid, GL_EPERM, "%s", msg);
    }
    if (rc == GL_ESTATE) {
        char msg[512];
        snprintf(msg, sizeof msg, "cannot %s case %s: it is %s", req->action, c->id, gl_state_name(c->state));
        gridlink__v1__case__free_unpacked(c, NULL);
        return reply_error(n, rid, GL_ESTATE, "%s", msg);
    }
    size_t size = gridlink__v1__case__get_packed_size(c);
    size_t grow = strlen(req->note) + strlen(n->id) + 64;
    if (c->n_history >= GL_CASE_ACTION_HISTORY || size + grow > GL_CASE_ACTION_BYTES) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "case %s is full (%zu history entries, %zu bytes; a case carries at most %d entries and %u bytes "
                 "of people's actions): close it and report a new case that refers to it",
                 c->id, c->n_history, size, GL_CASE_ACTION_HISTORY, GL_CASE_ACTION_BYTES);
        gridlink__v1__case__free_unpacked(c, NULL);
        return reply_error(n, rid, GL_ETOOBIG, "%s", msg);
    }
    int64_t now = host_now(n->host);
    if (strcmp(req->action, "escalate") == 0) {
        if (!n->parent) {
            gridlink__v1__case__free_unpacked(c, NULL);
            return reply_error(n, rid, GL_EPERM, "%s", "the district has no tier above it to escalate to");
        }
        rc = node_escalate(n, txn, c, req->note[0] ? req->note : "escalated by staff");
        if (rc == GL_ETOOBIG) {
            char msg[300];
            snprintf(msg, sizeof msg, "case %s is too large to escalate; close it and report a new case", c->id);
            gridlink__v1__case__free_unpacked(c, NULL);
            return reply_error(n, rid, GL_ETOOBIG, "%s", msg);
        }
    } else {
        bool accepting = strcmp(req->action, "accept") == 0;
        bool ending = to == ST(RESOLVED) || to == ST(CLOSED);
        c->state = to;
        rc = deadlines_clear(n, txn, c, accepting || ending, ending);
        if (rc == 0 && strcmp(req->action, "reopen") == 0)
            rc = deadlines_start(n, txn, c, false, true);
        case_history_add(c, past_tense(req->action), n->id, now, req->note);
        c->version++;
        if (rc == 0)
            rc = gl_store_case_put(txn, n->store, c);
        if (rc == 0)
            rc = node_log(n, txn, past_tense(req->action), c, "", req->note);
        if (rc == 0)
            rc = node_status_down(n, txn, c);
    }
    if (rc == 0) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.case_id = c->id;
        rep.case_ = c;
        rc = node_fx_reply(n, rid, &rep);
    }
    gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

static gl_link_t *link_to(node_t *n, const char *peer)
{
    if (n->parent && strcmp(n->parent->id, peer) == 0)
        return n->uplink;
    struct child *ch = find_child(n, peer);
    return ch ? ch->link : NULL;
}

/* An operator sends a dead letter again (it gets a new sequence number and
 * may be refused again) or drops it. */
static int ctl_dead(node_t *n, MDB_txn *txn, zframe_t *rid, const Gridlink__V1__CtlRequest *req)
{
    gl_link_t *l = link_to(n, req->peer);
    if (!l)
        return reply_error(n, rid, GL_ENOENT, "%s is not a neighbour of this node (--peer)", req->peer);
    if (req->from_seq == 0)
        return reply_error(n, rid, GL_EINVAL, "%s", "name the dead letter by its sequence number");
    Gridlink__V1__DeadLetter *dl = NULL;
    int rc = gl_dead_get(txn, n->store, req->peer, req->from_seq, &dl);
    if (rc == GL_ENOENT) {
        char msg[300];
        snprintf(msg, sizeof msg, "no dead letter %llu for %s", (unsigned long long)req->from_seq, req->peer);
        return reply_error(n, rid, GL_ENOENT, "%s", msg);
    }
    if (rc != 0)
        return rc;
    bool retry = strcmp(req->op, "dead-retry") == 0;
    rc = retry ? gl_link_retry_dead(l, txn, req->from_seq) : gl_dead_del(txn, n->store, req->peer, req->from_seq);
    if (rc == 0)
        rc = node_log(n, txn, retry ? "dead-retried" : "dead-dropped", NULL, req->peer, dl->case_id);
    if (rc == 0) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.case_id = dl->case_id;
        rc = node_fx_reply(n, rid, &rep);
    }
    gridlink__v1__dead_letter__free_unpacked(dl, NULL);
    return rc == GL_ETOOBIG ? reply_error(n, rid, rc, "%s", "the message is larger than the tree accepts") : rc;
}

int node_on_ctl_write(node_t *n, MDB_txn *txn, zframe_t *rid, const Gridlink__V1__CtlRequest *req)
{
    if (strcmp(req->op, "dead-retry") == 0 || strcmp(req->op, "dead-drop") == 0)
        return ctl_dead(n, txn, rid, req);
    if (strcmp(req->op, "submit") == 0)
        return ctl_submit(n, txn, rid, req);
    if (strcmp(req->op, "act") == 0)
        return ctl_act(n, txn, rid, req);
    return reply_error(n, rid, GL_EINVAL, "unknown operation '%s'", req->op);
}

struct list_ctx {
    Gridlink__V1__Case **cases;
    size_t n, cap;
};

static int collect(const Gridlink__V1__Case *c, void *arg)
{
    struct list_ctx *lc = arg;
    if (lc->n == lc->cap) {
        size_t cap = lc->cap ? lc->cap * 2 : 64;
        Gridlink__V1__Case **a = realloc(lc->cases, cap * sizeof *a);
        if (!a)
            return GL_ENOMEM;
        lc->cases = a;
        lc->cap = cap;
    }
    /* The visitor's case is freed after we return: keep a packed copy. */
    uint8_t *buf;
    size_t len;
    if (gl_pack(&c->base, &buf, &len) != 0)
        return GL_ENOMEM;
    lc->cases[lc->n] = gridlink__v1__case__unpack(NULL, len, buf);
    free(buf);
    if (lc->cases[lc->n])
        lc->n++;
    return 0;
}

#define DEAD_PAGE_MAX 1000

struct dead_ctx {
    Gridlink__V1__DeadLetter **dl;
    size_t n;
};

static int collect_dead(const Gridlink__V1__DeadLetter *dl, void *arg)
{
    struct dead_ctx *dc = arg;
    if (dc->n == DEAD_PAGE_MAX)
        return 1;
    if (dc->n % 64 == 0) {
        Gridlink__V1__DeadLetter **a = realloc(dc->dl, (dc->n + 64) * sizeof *a);
        if (!a)
            return GL_ENOMEM;
        dc->dl = a;
    }
    uint8_t *buf;
    size_t len;
    if (gl_pack(&dl->base, &buf, &len) != 0)
        return GL_ENOMEM;
    Gridlink__V1__DeadLetter *copy = gridlink__v1__dead_letter__unpack(NULL, len, buf);
    free(buf);
    if (!copy)
        return GL_ENOMEM;
    /* The listing names the message; its bytes stay in the store. */
    copy->envelope.len = 0;
    dc->dl[dc->n++] = copy;
    return 0;
}

void ctl_send_reply(zsock_t *ctl, zframe_t *rid, const Gridlink__V1__CtlReply *rep)
{
    uint8_t *buf;
    size_t len;
    if (gl_pack(&rep->base, &buf, &len) != 0)
        return;
    zframe_t *r = zframe_dup(rid);
    zframe_send(&r, ctl, ZFRAME_MORE);
    zframe_t *f = zframe_new(buf, len);
    zframe_send(&f, ctl, 0);
    zframe_destroy(&r);
    zframe_destroy(&f);
    free(buf);
}

/* ---- read-only views: census and log pages ----
 *
 * census: a compact listing of the node's cases (id, holder, state and
 * version; no history or text), in case-ID order, at most `max` a reply.
 * A client continues after the last ID it got (CtlRequest.case_id), or by
 * index offset (from_seq: how many cases to skip); the reply says where the
 * next page starts (next_seq, an offset; 0 when this page reached the end)
 * and names its last case in CtlReply.case_id. Continuing by ID is exact
 * even while cases are added; the offset is a convenience.
 *
 * log: entries of the node's log from from_seq (1 if 0), at most `max`, in
 * CtlReply.events; next_seq is the next entry's sequence, 0 at the end.
 *
 * Both views own what they put in the reply (page_free releases it). */
#define PAGE_DEFAULT    1000
#define CENSUS_PAGE_MAX 10000
#define LOG_PAGE_MAX    5000

struct page {
    Gridlink__V1__Case *brief; /* census: compact cases, strings owned */
    Gridlink__V1__Case **brief_p;
    Gridlink__V1__BusEvent **events; /* log: decoded entries, owned */
    size_t n;
};

static void page_free(struct page *pg)
{
    if (pg->brief) {
        for (size_t i = 0; i < pg->n; i++) {
            free(pg->brief[i].id);
            free(pg->brief[i].holder);
        }
    }
    if (pg->events)
        for (size_t i = 0; i < pg->n; i++)
            gridlink__v1__bus_event__free_unpacked(pg->events[i], NULL);
    free(pg->brief);
    free(pg->brief_p);
    free(pg->events);
    memset(pg, 0, sizeof *pg);
}

static uint32_t page_size(uint32_t asked, uint32_t cap)
{
    if (asked == 0)
        return PAGE_DEFAULT;
    return asked > cap ? cap : asked;
}

static int census_page(node_t *n, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, struct page *pg,
                       Gridlink__V1__CtlReply *rep, char *msg, size_t msglen)
{
    uint32_t max = page_size(req->max, CENSUS_PAGE_MAX);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, gl_store_dbi(n->store, GL_DB_CASES), &cur);
    if (rc != 0)
        return gl_err_from_mdb(rc);
    pg->brief = calloc(max, sizeof *pg->brief);
    pg->brief_p = calloc(max, sizeof *pg->brief_p);
    if (!pg->brief || !pg->brief_p) {
        mdb_cursor_close(cur);
        return GL_ENOMEM;
    }
    MDB_val k, v;
    const char *after = req->case_id;
    if (after && after[0]) {
        size_t len = strlen(after);
        k.mv_size = len;
        k.mv_data = (void *)after;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == len && memcmp(k.mv_data, after, len) == 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    } else {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        for (uint64_t skip = req->from_seq; rc == 0 && skip > 0; skip--)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    while (rc == 0 && pg->n < max) {
        Gridlink__V1__Case *c = gridlink__v1__case__unpack(NULL, v.mv_size, v.mv_data);
        if (!c) {
            snprintf(msg, msglen, "node %s: a stored case does not decode", n->id);
            mdb_cursor_close(cur);
            return GL_ESTORE;
        }
        Gridlink__V1__Case *b = &pg->brief[pg->n];
        gridlink__v1__case__init(b);
        b->id = strdup(c->id);
        b->holder = strdup(c->holder ? c->holder : "");
        b->state = c->state;
        b->version = c->version;
        gridlink__v1__case__free_unpacked(c, NULL);
        if (!b->id || !b->holder) {
            free(b->id);
            free(b->holder);
            mdb_cursor_close(cur);
            return GL_ENOMEM;
        }
        pg->brief_p[pg->n++] = b;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return gl_err_from_mdb(rc);
    rep->cases = pg->brief_p;
    rep->n_cases = pg->n;
    /* rc == 0: the cursor stands on a case this page had no room for. */
    rep->next_seq = rc == 0 ? req->from_seq + pg->n : 0;
    if (pg->n)
        rep->case_id = pg->brief[pg->n - 1].id;
    return GL_OK;
}

static int log_page(node_t *n, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, struct page *pg,
                    Gridlink__V1__CtlReply *rep, char *msg, size_t msglen)
{
    uint32_t max = page_size(req->max, LOG_PAGE_MAX);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, gl_store_dbi(n->store, GL_DB_LOG), &cur);
    if (rc != 0)
        return gl_err_from_mdb(rc);
    pg->events = calloc(max, sizeof *pg->events);
    if (!pg->events) {
        mdb_cursor_close(cur);
        return GL_ENOMEM;
    }
    uint8_t kb[8];
    gl_be64_put(kb, req->from_seq ? req->from_seq : 1);
    MDB_val k = {sizeof kb, kb}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && pg->n < max) {
        Gridlink__V1__BusEvent *ev = NULL;
        if (k.mv_size == 8)
            ev = gridlink__v1__bus_event__unpack(NULL, v.mv_size, v.mv_data);
        if (!ev) {
            snprintf(msg, msglen, "node %s: a log entry does not decode", n->id);
            mdb_cursor_close(cur);
            return GL_ESTORE;
        }
        pg->events[pg->n++] = ev;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    uint64_t next = rc == 0 && k.mv_size == 8 ? gl_be64_get(k.mv_data) : 0;
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return gl_err_from_mdb(rc);
    rep->events = pg->events;
    rep->n_events = pg->n;
    rep->next_seq = next;
    return GL_OK;
}

void node_on_ctl_read(node_t *n, zframe_t *rid, const Gridlink__V1__CtlRequest *req, zsock_t *ctl)
{
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    char msg[512] = "";
    MDB_txn *txn;
    int rc = gl_store_begin(n->store, NULL, false, &txn);
    Gridlink__V1__Case *c = NULL;
    struct list_ctx lc = {0};
    Gridlink__V1__NodeHealth health = GRIDLINK__V1__NODE_HEALTH__INIT;
    char **up = NULL, **down = NULL;
    struct page pg = {0};
    struct dead_ctx dc = {0};
    if (rc == 0) {
        if (strcmp(req->op, "census") == 0) {
            rc = census_page(n, txn, req, &pg, &rep, msg, sizeof msg);
        } else if (strcmp(req->op, "log") == 0) {
            rc = log_page(n, txn, req, &pg, &rep, msg, sizeof msg);
        } else if (strcmp(req->op, "show") == 0) {
            rc = gl_store_case_get(txn, n->store, req->case_id, &c);
            if (rc == GL_ENOENT)
                snprintf(msg, sizeof msg, "unknown case %s at %s", req->case_id, n->id);
            rep.case_ = c;
        } else if (strcmp(req->op, "dead-letters") == 0) {
            rc = gl_dead_foreach(txn, n->store, collect_dead, &dc);
            if (rc == 1) /* the page is full */
                rc = 0;
            rep.dead_letters = dc.dl;
            rep.n_dead_letters = dc.n;
        } else if (strcmp(req->op, "list") == 0) {
            rc = gl_store_case_foreach(txn, n->store, collect, &lc);
            rep.cases = lc.cases;
            rep.n_cases = lc.n;
        } else if (strcmp(req->op, "health") == 0 || strcmp(req->op, "ping") == 0) {
            health.node = (char *)n->id;
            health.parent = n->parent ? n->parent->id : "";
            health.parent_up = n->uplink ? gl_link_up(n->uplink) : false;
            up = calloc(n->n_children + 1, sizeof *up);
            down = calloc(n->n_children + 1, sizeof *down);
            if (!up || !down) {
                rc = GL_ENOMEM;
                goto done;
            }
            for (size_t i = 0; i < n->n_children; i++) {
                if (gl_link_up(n->children[i].link))
                    up[health.n_children_up++] = n->children[i].topo->id;
                else
                    down[health.n_children_down++] = n->children[i].topo->id;
                health.outbox_pending += gl_link_pending(n->children[i].link);
            }
            health.children_up = up;
            health.children_down = down;
            if (n->uplink)
                health.outbox_pending += gl_link_pending(n->uplink);
            gl_store_log_last(txn, n->store, &health.log_seq);
            gl_store_case_count(txn, n->store, &health.cases);
            gl_dead_count(txn, n->store, &health.dead_letters);
            health.refused_in = n->refused_in;
            health.malformed = n->malformed + n->bad_messages;
            health.spoofed = n->spoofed + n->refused;
            health.store_resets = n->store_resets;
            health.refused_actions = n->refused_actions;
            health.unauthorized = gl_zap_denied_count(n->host->zap, n->id);
            health.handshake_failed = gl_sockmon_failed(n->down_mon);
            rep.health = &health;
        } else {
            rc = GL_EINVAL;
            snprintf(msg, sizeof msg, "unknown operation '%s'", req->op);
        }
    done:
        gl_store_abort(txn);
    }
    rep.code = rc;
    if (rc != 0)
        rep.error = msg[0] ? msg : (char *)gl_strerror(rc);
    ctl_send_reply(ctl, rid, &rep);
    if (c)
        gridlink__v1__case__free_unpacked(c, NULL);
    for (size_t i = 0; i < lc.n; i++)
        gridlink__v1__case__free_unpacked(lc.cases[i], NULL);
    free(lc.cases);
    free(up);
    free(down);
    page_free(&pg);
    for (size_t i = 0; i < dc.n; i++)
        gridlink__v1__dead_letter__free_unpacked(dc.dl[i], NULL);
    free(dc.dl);
}
