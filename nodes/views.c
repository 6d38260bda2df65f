/* views.c: the operations that only read, answered from committed state in
 * a read transaction: a case (show), the cases here with filters (list), the
 * census and log pages the load checker and the bus read, the node's health,
 * and its dead letters. Each view owns what it puts in its reply and frees
 * it once the reply is packed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casejson.h"
#include "codec.h"
#include "deadletter.h"
#include "engine_int.h"
#include "error.h"
#include "log.h"

/* list filters (all optional; every one given must match) */
struct filter {
    const char *self;
    bool has_state;
    gl_state state;
    Gridlink__V1__CaseKind kind;
    const char *category;
    bool overdue, holding, due_soon, unplaced;
    const char *holder; /* held by this node; "" or NULL: any */
    const char *text;   /* text contains this; "" or NULL: any */
    int64_t now;
};

static bool matches(const struct filter *f, const gl_case *c)
{
    if (f->has_state && c->state != f->state)
        return false;
    if (f->kind && c->kind != f->kind)
        return false;
    if (f->category && f->category[0]) {
        size_t n = strlen(f->category);
        if (strncmp(c->category, f->category, n) != 0 || (c->category[n] && c->category[n] != '/'))
            return false;
    }
    if (f->holding && strcmp(c->holder, f->self) != 0)
        return false;
    if (f->holder && f->holder[0] && strcmp(c->holder, f->holder) != 0)
        return false;
    if (f->text && f->text[0] && !strstr(c->text, f->text))
        return false;
    if (f->overdue && !gl_case_late(c, f->now))
        return false;
    if (f->unplaced && (!c->unplaced || strcmp(c->holder, f->self) != 0))
        return false;
    if (f->due_soon && (!gl_case_due_soon(c, f->now) || strcmp(c->holder, f->self) != 0))
        return false;
    return true;
}

/* One page of a list: the matching cases after `after` (ID order), up to
 * `limit` of them and GL_LIST_PAGE_BYTES packed; every match is counted. */
struct list_ctx {
    Gridlink__V1__Case **cases;
    size_t n, cap;
    const struct filter *f;
    const char *after;
    size_t limit, bytes, offset, skipped;
    uint64_t matched;
    bool more;
};

static int collect(const Gridlink__V1__Case *c, void *arg)
{
    struct list_ctx *lc = arg;
    if (lc->f && !matches(lc->f, c))
        return 0;
    lc->matched++;
    if (lc->after && lc->after[0] && strcmp(c->id, lc->after) <= 0)
        return 0;
    if (lc->skipped < lc->offset) {
        lc->skipped++;
        return 0;
    }
    size_t size = gridlink__v1__case__get_packed_size(c);
    bool paged = lc->limit > 0; /* a list; show's parts (limit 0) come whole */
    if (lc->more || (paged && (lc->n == lc->limit || (lc->n > 0 && lc->bytes + size > GL_LIST_PAGE_BYTES)))) {
        lc->more = true;
        return 0;
    }
    lc->bytes += size;
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

static int census_page(gl_engine_t *n, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, struct page *pg,
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

static int log_page(gl_engine_t *n, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, struct page *pg,
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

static int health(gl_engine_t *e, MDB_txn *txn, Gridlink__V1__NodeHealth *h, char ***up, char ***down,
                  Gridlink__V1__AccessCount ***acc)
{
    h->node = (char *)e->id;
    h->parent = e->parent ? e->parent->id : "";
    h->parent_up = e->uplink ? gl_link_up(e->uplink) : false;
    *up = calloc(e->n_children + 1, sizeof **up);
    *down = calloc(e->n_children + 1, sizeof **down);
    if (!*up || !*down)
        return GL_ENOMEM;
    for (size_t i = 0; i < e->n_children; i++) {
        if (gl_link_up(e->children[i].link))
            (*up)[h->n_children_up++] = e->children[i].topo->id;
        else
            (*down)[h->n_children_down++] = e->children[i].topo->id;
        h->outbox_pending += gl_link_pending(e->children[i].link);
    }
    h->children_up = *up;
    h->children_down = *down;
    if (e->uplink)
        h->outbox_pending += gl_link_pending(e->uplink);
    gl_store_log_last(txn, e->store, &h->log_seq);
    gl_store_log_pruned(txn, e->store, &h->pruned_through);
    if (gl_store_meta_get_u64(txn, e->store, "archived_events", &h->archived_events) != 0)
        h->archived_events = 0;
    if (gl_store_meta_get_u64(txn, e->store, "archived_cases", &h->archived_cases) != 0)
        h->archived_cases = 0;
    h->archive_errors = e->counts.archive_errors;
    gl_store_case_count(txn, e->store, &h->cases);
    gl_dead_count(txn, e->store, &h->dead_letters);
    const gl_engine_counts *k = &e->counts;
    h->refused_in = k->refused_in;
    h->malformed = k->malformed + k->transport_malformed;
    h->spoofed = k->spoofed + k->transport_refused;
    h->store_resets = k->store_resets;
    h->proto_mismatch = k->proto_mismatch;
    h->refused_actions = k->refused_actions;
    h->due_soon = k->due_soon;
    h->http_url = e->http_url;
    h->unauthorized = k->unauthorized;
    h->handshake_failed = k->handshake_failed;
    h->http_requests = k->http_requests;
    h->http_refused = k->http_refused;
    h->http_cut = k->http_cut;
    h->open311_refused = k->open311_refused;
    h->public_refused = k->public_refused;
    /* Work-access refusals, per community and month (meta "access_refused:C:YYYY-MM"). */
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, gl_store_dbi(e->store, GL_DB_META), &cur) != 0)
        return GL_OK;
    static const char prefix[] = "access_refused:";
    size_t plen = sizeof prefix - 1;
    MDB_val key = {plen, (void *)prefix}, v;
    size_t cap = 0;
    for (int rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
         rc == 0 && key.mv_size > plen && memcmp(key.mv_data, prefix, plen) == 0 && h->n_access_refused < 4096;
         rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        char name[GL_NODE_ID_MAX + 40];
        if (key.mv_size >= sizeof name || v.mv_size != 8)
            continue;
        memcpy(name, key.mv_data, key.mv_size);
        name[key.mv_size] = 0;
        char *month = strrchr(name, ':');
        if (!month || month <= name + plen)
            continue;
        *month++ = 0;
        if (h->n_access_refused == cap) {
            cap = cap ? cap * 2 : 16;
            Gridlink__V1__AccessCount **a = realloc(*acc, cap * sizeof *a);
            if (!a)
                break;
            *acc = a;
        }
        Gridlink__V1__AccessCount *ac = malloc(sizeof *ac);
        if (!ac)
            break;
        gridlink__v1__access_count__init(ac);
        ac->community = strdup(name + plen);
        ac->month = strdup(month);
        ac->count = gl_be64_get(v.mv_data);
        (*acc)[h->n_access_refused++] = ac;
    }
    mdb_cursor_close(cur);
    h->access_refused = *acc;
    return GL_OK;
}

int views_read(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, gl_op op, gl_token tok)
{
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    char msg[512] = "";
    int rc = GL_OK;
    Gridlink__V1__Case *c = NULL;
    struct list_ctx lc = {0};
    struct filter f = {.self = e->id, .now = e->now};
    Gridlink__V1__NodeHealth h = GRIDLINK__V1__NODE_HEALTH__INIT;
    char **up = NULL, **down = NULL;
    Gridlink__V1__AccessCount **acc = NULL;
    struct page pg = {0};
    struct dead_ctx dc = {0};
    switch (op) {
    case OP(CENSUS): rc = census_page(e, txn, req, &pg, &rep, msg, sizeof msg); break;
    case OP(LOG): rc = log_page(e, txn, req, &pg, &rep, msg, sizeof msg); break;
    case OP(SHOW):
        rc = gl_store_case_get(txn, e->store, req->case_id, &c);
        if (rc == GL_ENOENT)
            snprintf(msg, sizeof msg, "unknown case %s at %s", req->case_id, e->id);
        rep.case_ = c;
        /* A bulk task: its parts' copies here say who signed, finished, is late. */
        for (size_t i = 0; rc == 0 && c && i < c->n_children; i++) {
            gl_case *part = NULL;
            if (gl_store_case_get(txn, e->store, c->children[i], &part) == 0) {
                collect(part, &lc); /* lc.f is NULL: every part */
                gridlink__v1__case__free_unpacked(part, NULL);
            }
        }
        rep.cases = lc.cases;
        rep.n_cases = lc.n;
        break;
    case OP(DEAD_LETTERS):
        rc = gl_dead_foreach(txn, e->store, collect_dead, &dc);
        if (rc == 1) /* the page is full */
            rc = 0;
        rep.dead_letters = dc.dl;
        rep.n_dead_letters = dc.n;
        break;
    case OP(LIST):
        if (req->state[0] && !(f.has_state = gl_state_from(req->state, &f.state))) {
            char list[256];
            rc = GL_EINVAL;
            snprintf(msg, sizeof msg, "unknown state '%s' (%s)", req->state, gl_state_list(list, sizeof list));
            break;
        }
        f.kind = req->kind;
        f.category = req->category;
        f.overdue = req->overdue;
        f.holding = req->holding;
        f.due_soon = req->due_soon;
        f.unplaced = req->unplaced;
        f.holder = req->holder;
        f.text = req->text;
        lc.f = &f;
        lc.after = req->after;
        lc.limit = req->limit ? req->limit : GL_LIST_PAGE_MAX;
        lc.offset = req->offset;
        rc = gl_store_case_foreach(txn, e->store, collect, &lc);
        rep.cases = lc.cases;
        rep.n_cases = lc.n;
        rep.matched = lc.matched;
        if (lc.more && lc.n > 0)
            rep.next_case = lc.cases[lc.n - 1]->id;
        break;
    case OP(HEALTH):
    case OP(PING):
        rc = health(e, txn, &h, &up, &down, &acc);
        rep.health = &h;
        break;
    default: rc = GL_EINVAL; snprintf(msg, sizeof msg, "%s is not a view", gl_op_name(op));
    }
    rep.code = rc;
    if (rc != 0)
        rep.error = msg[0] ? msg : (char *)gl_strerror(rc);
    int r = eng_reply(e, tok, &rep);
    if (c)
        gridlink__v1__case__free_unpacked(c, NULL);
    for (size_t i = 0; i < lc.n; i++)
        gridlink__v1__case__free_unpacked(lc.cases[i], NULL);
    free(lc.cases);
    free(up);
    free(down);
    for (size_t i = 0; i < h.n_access_refused; i++)
        gridlink__v1__access_count__free_unpacked(acc[i], NULL);
    free(acc);
    page_free(&pg);
    for (size_t i = 0; i < dc.n; i++)
        gridlink__v1__dead_letter__free_unpacked(dc.dl[i], NULL);
    free(dc.dl);
    return r;
}
