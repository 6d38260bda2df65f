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

int node_escalate(node_t *n, MDB_txn *txn, Gridlink__V1__Case *c, const char *note)
{
    if (!n->parent)
        return GL_EPERM;
    int64_t now = host_now(n->host);
    int rc = deadlines_clear(n, txn, c, true, true);
    if (rc != 0)
        return rc;
    c->state = ST(ESCALATED);
    case_set_str(&c->holder, n->parent->id);
    case_history_add(c, "escalated", n->id, now, note);
    c->version++;
    if ((rc = gl_store_case_put(txn, n->store, c)) != 0 || (rc = send_up(n, txn, c, "escalated")) != 0 ||
        (rc = node_log(n, txn, "escalated", c, n->parent->id, note)) != 0)
        return rc;
    return node_status_down(n, txn, c);
}

/* A child handed us a case: a new report or an escalation. */
static int on_transfer(node_t *n, MDB_txn *txn, const char *from, Gridlink__V1__CaseTransfer *tr)
{
    Gridlink__V1__Case *c = tr->case_;
    Gridlink__V1__Case *old = NULL;
    if (gl_store_case_get(txn, n->store, c->id, &old) == 0) {
        /* Sequencing makes this impossible between two healthy stores; a
         * child whose store was rebuilt could send a case again. Keep ours. */
        gl_warn("node %s: case %s from %s already known, kept the stored copy", n->id, c->id, from);
        gridlink__v1__case__free_unpacked(old, NULL);
        return GL_OK;
    }
    if (!gl_topology_in_subtree(from, c->grid[0] ? c->grid : from) && strcmp(tr->reason, "escalated") != 0) {
        gl_warn("node %s: case %s from %s names grid %s outside its subtree, refused", n->id, c->id, from, c->grid);
        n->refused++;
        return GL_EPERM;
    }
    int64_t now = host_now(n->host);
    bool escalated = strcmp(tr->reason, "escalated") == 0;
    case_set_str(&c->came_from, from);
    case_set_str(&c->holder, n->id);
    c->state = escalated ? ST(ESCALATED) : ST(REPORTED);
    c->accept_due_ms = c->resolve_due_ms = 0;
    case_history_add(c, "received", n->id, now, escalated ? "escalated from below" : "");
    c->version++;
    int rc = deadlines_start(n, txn, c, true, true);
    if (rc == 0)
        rc = gl_store_case_put(txn, n->store, c);
    if (rc == 0)
        rc = node_log(n, txn, "received", c, from, escalated ? "escalated" : "reported");
    return rc;
}

/* The parent changed a case that passed through us: keep our copy current and
 * pass the news on towards the grid it came from. */
static int on_status(node_t *n, MDB_txn *txn, Gridlink__V1__CaseStatus *st)
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
    if ((rc = gl_store_case_put(txn, n->store, c)) != 0 || (rc = node_log(n, txn, "status", c, n->parent->id, "")) != 0)
        return rc;
    return node_status_down(n, txn, c);
}

int node_on_parent(node_t *n, MDB_txn *txn, const uint8_t *buf, size_t len)
{
    char err[256];
    Gridlink__V1__Envelope *env;
    int rc = gl_decode_envelope(buf, len, &env, err, sizeof err);
    if (rc != 0)
        return rc;
    if (strcmp(env->sender, n->parent->id) != 0) {
        gridlink__v1__envelope__free_unpacked(env, NULL);
        return GL_EPERM;
    }
    rc = gl_link_receive(n->uplink, txn, env, host_now(n->host));
    if (rc == GL_LINK_APPLY) {
        if (env->body_case == GRIDLINK__V1__ENVELOPE__BODY_STATUS)
            rc = on_status(n, txn, env->status);
        else
            rc = GL_EPROTO; /* a parent never transfers a case up to its child */
        if (rc == GL_EPROTO || rc == GL_EPERM) {
            gl_warn("node %s: message %llu from parent refused: %s", n->id, (unsigned long long)env->seq,
                    gl_strerror(rc));
            n->refused++;
            rc = 0;
        }
        if (rc == 0)
            rc = gl_link_applied(n->uplink, txn, env->seq);
    }
    gridlink__v1__envelope__free_unpacked(env, NULL);
    return rc;
}

int node_on_child(node_t *n, MDB_txn *txn, int child, const uint8_t *buf, size_t len)
{
    char err[256];
    Gridlink__V1__Envelope *env;
    int rc = gl_decode_envelope(buf, len, &env, err, sizeof err);
    if (rc != 0)
        return rc;
    struct child *ch = &n->children[child];
    if (strcmp(env->sender, ch->topo->id) != 0) {
        gl_warn("node %s: message from '%s' refused: authenticated as '%s'", n->id, env->sender, ch->topo->id);
        gridlink__v1__envelope__free_unpacked(env, NULL);
        return GL_EPERM;
    }
    rc = gl_link_receive(ch->link, txn, env, host_now(n->host));
    if (rc == GL_LINK_APPLY) {
        if (env->body_case == GRIDLINK__V1__ENVELOPE__BODY_TRANSFER)
            rc = on_transfer(n, txn, ch->topo->id, env->transfer);
        else
            rc = GL_EPROTO;
        /* A message that is well-formed but refused by case logic still
         * takes its sequence number; otherwise the link would stall on it. */
        if (rc == GL_EPROTO || rc == GL_EPERM) {
            n->refused++;
            rc = 0;
        }
        if (rc == 0)
            rc = gl_link_applied(ch->link, txn, env->seq);
    }
    gridlink__v1__envelope__free_unpacked(env, NULL);
    return rc;
}

static int reply_error(node_t *n, zframe_t *rid, int code, const char *fmt, const char *arg)
{
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
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
    int64_t now = host_now(n->host);
    if (strcmp(req->action, "escalate") == 0) {
        if (!n->parent) {
            gridlink__v1__case__free_unpacked(c, NULL);
            return reply_error(n, rid, GL_EPERM, "%s", "the district has no tier above it to escalate to");
        }
        rc = node_escalate(n, txn, c, req->note[0] ? req->note : "escalated by staff");
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

int node_on_ctl_write(node_t *n, MDB_txn *txn, zframe_t *rid, const Gridlink__V1__CtlRequest *req)
{
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
}
