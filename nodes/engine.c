/* engine.c: the engine object, its effects (replies and bus events), the
 * helpers every part of the engine uses on a case, and the routing of what
 * a node sends along the tree. See engine.h; tree.c takes in what arrives.
 *
 * A case has one holder, the only node that changes it; every change bumps
 * its version. The nodes that follow a case are its holder, the node that
 * minted it, its originator, whoever assigned it and whoever handed it over;
 * each change travels the tree paths between them (eng_spread), so every
 * node on those paths keeps a current copy. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "category.h"
#include "codec.h"
#include "deadletter.h"
#include "engine_int.h"
#include "error.h"
#include "log.h"

/* ---- object ---- */

int gl_engine_new(const gl_engine_cfg *cfg, gl_engine_t **out)
{
    gl_engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return GL_ENOMEM;
    e->topo = cfg->topo;
    e->self = gl_topology_find(cfg->topo, cfg->node);
    if (!e->self) {
        free(e);
        return GL_ENOENT;
    }
    e->id = e->self->id;
    e->parent = gl_topology_parent(cfg->topo, e->self);
    e->store = cfg->store;
    e->uplink = cfg->uplink;
    e->pending_up = e->parent != NULL; /* a restart may find some waiting */
    e->n_children = e->self->n_children;
    if (e->n_children) {
        e->children = calloc(e->n_children, sizeof *e->children);
        if (!e->children) {
            free(e);
            return GL_ENOMEM;
        }
        for (size_t i = 0; i < e->n_children; i++) {
            e->children[i].topo = &cfg->topo->nodes[e->self->children[i]];
            e->children[i].link = cfg->child_links[i];
        }
    }
    *out = e;
    return GL_OK;
}

void gl_engine_free(gl_engine_t **pe)
{
    gl_engine_t *e = *pe;
    if (!e)
        return;
    gl_engine_fx_clear(e);
    free(e->fx);
    free(e->children);
    free(e);
    *pe = NULL;
}

void gl_engine_set_http_url(gl_engine_t *e, const char *url)
{
    snprintf(e->http_url, sizeof e->http_url, "%s", url ? url : "");
}

gl_engine_counts *gl_engine_counters(gl_engine_t *e)
{
    return &e->counts;
}

void gl_engine_batch_aborted(gl_engine_t *e)
{
    gl_engine_fx_clear(e);
    e->deadlines_changed = true;
    e->pending_up = e->parent != NULL;
}

bool gl_engine_take_deadlines_changed(gl_engine_t *e)
{
    bool c = e->deadlines_changed;
    e->deadlines_changed = false;
    return c;
}

/* ---- effects ---- */

static int fx_push(gl_engine_t *e, const gl_effect *f)
{
    if (e->n_fx == e->cap_fx) {
        size_t cap = e->cap_fx ? e->cap_fx * 2 : 64;
        gl_effect *a = realloc(e->fx, cap * sizeof *a);
        if (!a)
            return GL_ENOMEM;
        e->fx = a;
        e->cap_fx = cap;
    }
    e->fx[e->n_fx++] = *f;
    return GL_OK;
}

const gl_effect *gl_engine_fx(const gl_engine_t *e, size_t *n)
{
    *n = e->n_fx;
    return e->fx;
}

size_t gl_engine_fx_mark(const gl_engine_t *e)
{
    return e->n_fx;
}

void gl_engine_fx_unwind(gl_engine_t *e, size_t mark)
{
    for (size_t i = mark; i < e->n_fx; i++) {
        free(e->fx[i].buf); /* an event's topic lives in the same block */
    }
    if (mark < e->n_fx)
        e->n_fx = mark;
}

void gl_engine_fx_clear(gl_engine_t *e)
{
    gl_engine_fx_unwind(e, 0);
}

int eng_reply(gl_engine_t *e, gl_token tok, const Gridlink__V1__CtlReply *rep)
{
    gl_effect f = {.kind = GL_FX_REPLY, .token = tok};
    int rc = gl_pack(&rep->base, &f.buf, &f.len);
    if (rc != 0)
        return rc;
    rc = fx_push(e, &f);
    if (rc != 0)
        free(f.buf);
    return rc;
}

int eng_refuse(gl_engine_t *e, gl_token tok, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->counts.refused_actions++;
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    rep.code = code;
    rep.error = msg;
    return eng_reply(e, tok, &rep);
}

int gl_engine_error_reply(int code, const char *text, uint8_t **buf, size_t *len)
{
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    rep.code = code;
    rep.error = (char *)text;
    return gl_pack(&rep.base, buf, len);
}

/* A note as long as every node accepts (GL_MAX_TEXT bytes), cut at a
 * character boundary; a person's note plus what a step adds may be longer. */
static char *note_dup(const char *note)
{
    size_t n = strlen(note ? note : "");
    if (n > GL_MAX_TEXT) {
        n = GL_MAX_TEXT;
        while (n > 0 && ((unsigned char)note[n] & 0xC0) == 0x80)
            n--;
    }
    return strndup(note ? note : "", n);
}

int eng_log(gl_engine_t *e, MDB_txn *txn, gl_event kind, const gl_case *c, const char *peer, const char *note)
{
    Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
    ev.node = (char *)e->id;
    ev.kind = (char *)gl_event_name(kind);
    ev.time_ms = e->now;
    if (c) {
        ev.case_id = c->id;
        ev.state = c->state;
        ev.holder = c->holder;
        ev.category = c->category;
        ev.version = c->version;
        ev.counters = c->counters;
        ev.accept_due_ms = c->accept_due_ms;
        ev.resolve_due_ms = c->resolve_due_ms;
        ev.part = c->parent_task && c->parent_task[0];
        if (kind == EV(RATED))
            ev.rating = c->rating;
    }
    ev.peer = (char *)(peer ? peer : "");
    ev.note = (char *)(note ? note : "");
    char *cut = NULL; /* only a note past the limit is copied, cut */
    if (strlen(ev.note) > GL_MAX_TEXT && !(ev.note = cut = note_dup(note)))
        return GL_ENOMEM;
    int rc = eng_log_event(e, txn, &ev);
    free(cut);
    return rc;
}

int eng_log_event(gl_engine_t *e, MDB_txn *txn, Gridlink__V1__BusEvent *ev)
{
    /* The bus publishes the very bytes the log keeps: packed once. */
    const uint8_t *packed;
    gl_effect f = {.kind = GL_FX_EVENT};
    int rc = gl_store_log_append_bytes(txn, e->store, ev, &packed, &f.len);
    if (rc != 0)
        return rc;
    /* one block: the bytes, then the topic (freed with buf) */
    size_t tlen = strlen(ev->kind) + strlen(e->id) + 2;
    f.buf = malloc(f.len + tlen);
    if (!f.buf)
        return GL_ENOMEM;
    memcpy(f.buf, packed, f.len);
    f.topic = (char *)f.buf + f.len;
    snprintf(f.topic, tlen, "%s %s", ev->kind, e->id);
    rc = fx_push(e, &f);
    if (rc != 0)
        free(f.buf);
    return rc;
}

bool eng_is_refusal(int rc)
{
    return rc == GL_EPROTO || rc == GL_EPERM || rc == GL_ETOOBIG || rc == GL_ECONFLICT || rc == GL_EINVAL ||
           rc == GL_ESTATE || rc == GL_ENOENT || rc == GL_EDOWN;
}

/* ---- case helpers ---- */

void case_set_str(char **field, const char *v)
{
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = strdup(v ? v : "");
}

void case_history_add(gl_case *c, const char *action, const char *node, int64_t now, const char *note)
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
    h->note = note_dup(note);
    c->history = arr;
    c->history[c->n_history++] = h;
}

void case_history_by(gl_case *c, const char *by, const char *peer)
{
    if (!c->n_history)
        return;
    Gridlink__V1__HistoryEntry *h = c->history[c->n_history - 1];
    if (by && by[0])
        case_set_str(&h->by, by);
    if (peer && peer[0])
        case_set_str(&h->peer, peer);
}

/* Room left in a message for what a case travels with (envelope, reason). */
#define ENVELOPE_ROOM 4096

bool case_fits(const gl_case *c)
{
    return gridlink__v1__case__get_packed_size(c) + ENVELOPE_ROOM <= GL_MAX_MESSAGE;
}

gl_case *case_new(void)
{
    gl_case *c = malloc(sizeof *c);
    if (c)
        gridlink__v1__case__init(c);
    return c;
}

Gridlink__V1__CaseCounters *case_counters(gl_case *c)
{
    if (!c->counters) {
        c->counters = malloc(sizeof *c->counters);
        if (c->counters)
            gridlink__v1__case_counters__init(c->counters);
    }
    return c->counters;
}

bool case_origin(const char *case_id, char *out, size_t size)
{
    const char *dash = strrchr(case_id, '-');
    size_t len = dash ? (size_t)(dash - case_id) : 0;
    if (!len || len >= size)
        return false;
    memcpy(out, case_id, len);
    out[len] = 0;
    return true;
}

int eng_mint_id(gl_engine_t *e, MDB_txn *txn, char *id, size_t size)
{
    uint64_t counter = 0;
    int rc = gl_store_meta_get_u64(txn, e->store, "case_counter", &counter);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    counter++;
    if ((rc = gl_store_meta_put_u64(txn, e->store, "case_counter", counter)) != 0)
        return rc;
    snprintf(id, size, "%s-%06llu", e->id, (unsigned long long)counter);
    return GL_OK;
}

int eng_count_access(gl_engine_t *e, MDB_txn *txn, const char *community)
{
    time_t t = (time_t)(e->now / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char key[GL_NODE_ID_MAX + 40];
    snprintf(key, sizeof key, "access_refused:%s:%04d-%02d", community, tm.tm_year + 1900, tm.tm_mon + 1);
    uint64_t n = 0;
    int rc = gl_store_meta_get_u64(txn, e->store, key, &n);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    return gl_store_meta_put_u64(txn, e->store, key, n + 1);
}

/* ---- routing ---- */

gl_link_t *eng_next_hop(gl_engine_t *e, const char *target, const char **peer)
{
    *peer = "";
    if (!target || !target[0] || strcmp(target, e->id) == 0)
        return NULL;
    if (gl_topology_in_subtree(e->id, target)) {
        for (size_t i = 0; i < e->n_children; i++)
            if (gl_topology_in_subtree(e->children[i].topo->id, target)) {
                *peer = e->children[i].topo->id;
                return e->children[i].link;
            }
        return NULL;
    }
    if (!e->parent)
        return NULL;
    *peer = e->parent->id;
    return e->uplink;
}

static int enqueue_status(gl_engine_t *e, gl_link_t *l, MDB_txn *txn, const gl_case *c)
{
    int rc = c->n_attachments ? files_push(e, txn, l, c) : GL_OK;
    if (rc != 0)
        return rc;
    Gridlink__V1__CaseStatus st = GRIDLINK__V1__CASE_STATUS__INIT;
    st.case_ = (gl_case *)c;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_STATUS;
    env.status = &st;
    return gl_link_enqueue(l, txn, &env);
}

int eng_spread(gl_engine_t *e, MDB_txn *txn, const gl_case *c, const char *except, bool up)
{
    char origin[GL_NODE_ID_MAX + 1] = "";
    case_origin(c->id, origin, sizeof origin);
    const char *targets[6] = {c->holder,      origin,       c->originator,
                              c->assigned_by, c->handed_by, up && e->parent ? e->parent->id : NULL};
    gl_link_t *sent[6];
    size_t n_sent = 0;
    for (size_t t = 0; t < 6; t++) {
        const char *peer;
        gl_link_t *l = eng_next_hop(e, targets[t], &peer);
        if (!l || (except && strcmp(peer, except) == 0))
            continue;
        bool dup = false;
        for (size_t k = 0; k < n_sent && !dup; k++)
            dup = sent[k] == l;
        if (dup)
            continue;
        sent[n_sent++] = l;
        int rc = enqueue_status(e, l, txn, c);
        if (rc != 0)
            return rc;
    }
    return GL_OK;
}

int eng_send_up(gl_engine_t *e, MDB_txn *txn, gl_case *c, const char *reason)
{
    int rc = c->n_attachments ? files_push(e, txn, e->uplink, c) : GL_OK;
    if (rc != 0)
        return rc;
    Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
    tr.case_ = c;
    tr.reason = (char *)reason;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
    env.transfer = &tr;
    return gl_link_enqueue(e->uplink, txn, &env);
}

int eng_forward_request(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CaseRequest *q, const char *target,
                        const char *except)
{
    const char *peer;
    gl_link_t *l = eng_next_hop(e, target, &peer);
    if (!l || (except && strcmp(peer, except) == 0))
        return GL_ENOENT;
    Gridlink__V1__CaseRequest copy = *q;
    copy.hops = q->hops + 1;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_REQUEST;
    env.request = &copy;
    return gl_link_enqueue(l, txn, &env);
}

/* ---- the topology's catalogue ---- */

bool eng_category_known(const gl_engine_t *e, const char *code, char *why, size_t whylen)
{
    if (!code || !code[0]) {
        snprintf(why, whylen, "a case needs a category (--category)");
        return false;
    }
    return gl_category_check(e->topo->catalogue, code, why, whylen) == GL_OK;
}

const gl_node_t *eng_department_above(const gl_engine_t *e, const char *node_id)
{
    const gl_node_t *d = node_id && node_id[0] ? gl_topology_find(e->topo, node_id) : NULL;
    const gl_node_t *up = d ? gl_topology_parent(e->topo, d) : NULL;
    return d && up && d->tier == TIER(DEPARTMENT) && gl_topology_in_subtree(up->id, e->id) ? d : NULL;
}

bool eng_community_task(const gl_engine_t *e, const char *code)
{
    return gl_topology_community_task(e->topo, code);
}

int eng_return_limit(const gl_engine_t *e)
{
    return e->topo->return_limit;
}
