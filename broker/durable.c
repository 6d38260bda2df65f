/* durable.c: see durable.h. */
#include "durable.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "error.h"
#include "feed.h"
#include "home.h"
#include "kpis.h"
#include "log.h"
#include "plan.h"
#include "store.h"

#define MAP_SIZE      (64ull << 30) /* virtual; the file grows as pages are used */
#define SCHEMA        2             /* 2: the KPI databases (kpis.c); a store of 1 is rebuilt from the nodes' logs */
#define REC_VERSION   1
#define F_ESCALATED   0x01
#define REC_HEAD      8 /* version, flags, reserved (2), overdue version (4) */
#define ERR_LOG_EVERY 1000

const char *const durable_bucket_names[DB_BUCKETS] = {"open",     "overdue", "escalated",   "resolved",
                                                      "returned", "closed",  "origin_open", "origin_overdue"};

struct held {
    durable_counts c;
    bool dirty; /* differs from the store's row: listed in durable.dirty */
    char node[GL_NODE_ID_MAX + 1];
};

struct durable {
    MDB_env *env;
    MDB_dbi meta, feeds, cases, counts;
    MDB_txn *txn;
    uv_timer_t timer;
    zhashx_t *held;      /* holder node -> struct held */
    struct held **dirty; /* the held rows put_counts writes */
    size_t n_dirty, cap_dirty;
    uint64_t errors, commits;
};

/* One case's record: the event that shows it, whether it was ever
 * escalated, and its latest overdue (version and node). */
struct rec {
    bus_event_t *ev;
    uint8_t flags;
    uint32_t od_version;
    char od_node[GL_NODE_ID_MAX + 1];
};

static void fail(struct durable *d, const char *what, int rc)
{
    if (d->errors++ % ERR_LOG_EVERY == 0)
        gl_error("broker: durable view: %s: %s (%llu so far; the view is rebuilt from the nodes' logs after a "
                 "restart)",
                 what, mdb_strerror(rc), (unsigned long long)d->errors);
}

/* ---- records ---- */

static int rec_decode(const MDB_val *v, struct rec *r)
{
    memset(r, 0, sizeof *r);
    const uint8_t *p = v->mv_data;
    if (v->mv_size < REC_HEAD + 1 || p[0] != REC_VERSION)
        return GL_ESTORE;
    r->flags = p[1];
    r->od_version = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    size_t nlen = p[8];
    if (v->mv_size < REC_HEAD + 1 + nlen || nlen > GL_NODE_ID_MAX)
        return GL_ESTORE;
    memcpy(r->od_node, p + REC_HEAD + 1, nlen);
    r->od_node[nlen] = 0;
    size_t off = REC_HEAD + 1 + nlen;
    r->ev = gridlink__v1__bus_event__unpack(NULL, v->mv_size - off, p + off);
    return r->ev ? 0 : GL_ESTORE;
}

static uint8_t *rec_encode(const struct rec *r, size_t *len)
{
    size_t nlen = strlen(r->od_node), packed = protobuf_c_message_get_packed_size(&r->ev->base);
    *len = REC_HEAD + 1 + nlen + packed;
    uint8_t *p = malloc(*len);
    if (!p)
        return NULL;
    p[0] = REC_VERSION;
    p[1] = r->flags;
    p[2] = p[3] = 0;
    p[4] = (uint8_t)(r->od_version >> 24);
    p[5] = (uint8_t)(r->od_version >> 16);
    p[6] = (uint8_t)(r->od_version >> 8);
    p[7] = (uint8_t)r->od_version;
    p[8] = (uint8_t)nlen;
    memcpy(p + REC_HEAD + 1, r->od_node, nlen);
    protobuf_c_message_pack(&r->ev->base, p + REC_HEAD + 1 + nlen);
    return p;
}

/* ---- counts ---- */

static struct held *held_of(struct durable *d, const char *node)
{
    struct held *h = zhashx_lookup(d->held, node);
    if (!h && strlen(node) <= GL_NODE_ID_MAX && (h = calloc(1, sizeof *h))) {
        strcpy(h->node, node);
        zhashx_insert(d->held, node, h);
    }
    return h;
}

/* h's counts are about to change: listed for put_counts. false (and
 * nothing should change) when the list cannot grow. */
static bool held_dirty(struct durable *d, struct held *h)
{
    if (h->dirty)
        return true;
    if (d->n_dirty == d->cap_dirty) {
        size_t cap = d->cap_dirty ? 2 * d->cap_dirty : 64;
        struct held **a = realloc(d->dirty, cap * sizeof *a);
        if (!a)
            return false;
        d->dirty = a;
        d->cap_dirty = cap;
    }
    d->dirty[d->n_dirty++] = h;
    h->dirty = true;
    return true;
}

/* Counts are kept only for the topology's nodes: an event cannot make the
 * table grow with names of its own. */
static struct held *known_held(broker_t *b, const char *node)
{
    return gl_topology_find(b->topo, node) ? held_of(b->dur, node) : NULL;
}

static void contribute(broker_t *b, const struct rec *r, int sign)
{
    const bus_event_t *ev = r->ev;
    if (!ev || !ev->case_id[0] || ev->state == GRIDLINK__V1__CASE_STATE__STATE_UNKNOWN)
        return;
    const char *holder = ev->holder[0] ? ev->holder : ev->node;
    struct held *h = known_held(b, holder);
    if (!h || !held_dirty(b->dur, h))
        return;
    bool final =
        ev->state == GRIDLINK__V1__CASE_STATE__STATE_CLOSED || ev->state == GRIDLINK__V1__CASE_STATE__STATE_MERGED;
    if (final) {
        h->c.n[DB_CLOSED] += sign;
        return;
    }
    bool overdue = r->od_node[0] && strcmp(r->od_node, holder) == 0;
    h->c.n[DB_OPEN] += sign;
    if (overdue)
        h->c.n[DB_OVERDUE] += sign;
    const char *dash = strrchr(ev->case_id, '-');
    char origin[GL_NODE_ID_MAX + 1];
    size_t olen = dash ? (size_t)(dash - ev->case_id) : 0;
    struct held *o = NULL;
    if (olen > 0 && olen <= GL_NODE_ID_MAX) {
        memcpy(origin, ev->case_id, olen);
        origin[olen] = 0;
        o = known_held(b, origin);
    }
    if (o && held_dirty(b->dur, o)) {
        o->c.n[DB_ORIGIN_OPEN] += sign;
        if (overdue)
            o->c.n[DB_ORIGIN_OVERDUE] += sign;
    }
    if (r->flags & F_ESCALATED)
        h->c.n[DB_ESCALATED] += sign;
    if (ev->state == GRIDLINK__V1__CASE_STATE__STATE_RESOLVED)
        h->c.n[DB_RESOLVED] += sign;
    if (ev->state == GRIDLINK__V1__CASE_STATE__STATE_RETURNED)
        h->c.n[DB_RETURNED] += sign;
}

const durable_counts *durable_counts_of(broker_t *b, const char *node)
{
    struct held *h = b->dur ? zhashx_lookup(b->dur->held, node) : NULL;
    return h ? &h->c : NULL;
}

/* ---- the transaction ---- */

static MDB_txn *txn_of(struct durable *d)
{
    if (!d->txn) {
        int rc = mdb_txn_begin(d->env, NULL, 0, &d->txn);
        if (rc) {
            d->txn = NULL;
            fail(d, "begin", rc);
        }
    }
    return d->txn;
}

MDB_txn *durable_txn(broker_t *b)
{
    return b->dur ? txn_of(b->dur) : NULL;
}

static void put_counts(struct durable *d)
{
    size_t i = 0;
    for (; i < d->n_dirty; i++) {
        struct held *h = d->dirty[i];
        uint8_t row[DB_BUCKETS * 8];
        for (int j = 0; j < DB_BUCKETS; j++)
            gl_be64_put(row + 8 * j, (uint64_t)h->c.n[j]);
        MDB_val k = {strlen(h->node), h->node}, v = {sizeof row, row};
        int rc = mdb_put(d->txn, d->counts, &k, &v, 0);
        if (rc) {
            fail(d, "write counts", rc);
            break;
        }
        h->dirty = false;
    }
    if (i && i < d->n_dirty)
        memmove(d->dirty, d->dirty + i, (d->n_dirty - i) * sizeof *d->dirty);
    d->n_dirty -= i;
}

void durable_commit(broker_t *b)
{
    struct durable *d = b->dur;
    if (!d || !d->txn)
        return;
    kpis_flush(b, d->txn);
    put_counts(d);
    int rc = mdb_txn_commit(d->txn);
    d->txn = NULL;
    if (rc)
        fail(d, "commit", rc);
    else
        d->commits++;
}

static void on_commit(uv_timer_t *t)
{
    durable_commit(t->data);
}

static void put_seq(struct durable *d, const char *node, uint64_t seq)
{
    uint8_t v8[8];
    gl_be64_put(v8, seq);
    MDB_val k = {strlen(node), (void *)node}, v = {8, v8};
    int rc = mdb_put(d->txn, d->feeds, &k, &v, 0);
    if (rc)
        fail(d, "write a feed's sequence", rc);
}

void durable_skip(broker_t *b, const char *node, uint64_t seq)
{
    if (b->dur && txn_of(b->dur))
        put_seq(b->dur, node, seq);
}

void durable_reset_feed(broker_t *b, const char *node)
{
    if (b->dur && txn_of(b->dur))
        put_seq(b->dur, node, 0);
}

void durable_apply(broker_t *b, const bus_event_t *ev)
{
    struct durable *d = b->dur;
    if (!d || !txn_of(d))
        return;
    put_seq(d, ev->node, ev->seq);
    if (ev->fact) {
        plan_apply(b, d->txn, ev);
        return;
    }
    kpis_apply(b, d->txn, ev);
    char key[VIEW_KEY_MAX];
    view_key(ev, key, sizeof key);
    MDB_val k = {strlen(key), key}, v;
    struct rec old = {0}, now = {0};
    int rc = mdb_get(d->txn, d->cases, &k, &v);
    bool had = rc == 0 && rec_decode(&v, &old) == 0;
    if (rc != 0 && rc != MDB_NOTFOUND) {
        fail(d, "read a case", rc);
        return;
    }
    now = old;
    if (!had || view_supersedes(ev, old.ev))
        now.ev = (bus_event_t *)ev;
    if (strcmp(ev->kind, "escalated") == 0)
        now.flags |= F_ESCALATED;
    if (strcmp(ev->kind, "overdue") == 0 && (!now.od_node[0] || ev->version >= now.od_version)) {
        now.od_version = ev->version;
        snprintf(now.od_node, sizeof now.od_node, "%s", ev->node);
    }
    bool changed = !had || now.ev != old.ev || now.flags != old.flags || now.od_version != old.od_version ||
                   strcmp(now.od_node, old.od_node) != 0;
    if (changed) {
        size_t len;
        uint8_t *buf = rec_encode(&now, &len);
        if (!buf) {
            fail(d, "encode a case", ENOMEM);
        } else {
            MDB_val nv = {len, buf};
            rc = mdb_put(d->txn, d->cases, &k, &nv, 0);
            free(buf);
            if (rc) {
                fail(d, "write a case", rc);
            } else {
                if (had)
                    contribute(b, &old, -1);
                contribute(b, &now, +1);
            }
        }
    }
    if (old.ev)
        gridlink__v1__bus_event__free_unpacked(old.ev, NULL);
}

/* ---- open and close ---- */

static int open_dbi(struct durable *d, MDB_txn *txn, const char *name, MDB_dbi *out)
{
    int rc = mdb_dbi_open(txn, name, MDB_CREATE, out);
    if (rc)
        gl_error("broker: durable view: cannot open database %s: %s", name, mdb_strerror(rc));
    (void)d;
    return rc;
}

static int check_schema(struct durable *d, MDB_txn *txn, const char *dir)
{
    MDB_val k = {6, "schema"}, v;
    int rc = mdb_get(txn, d->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        uint8_t v8[8];
        gl_be64_put(v8, SCHEMA);
        MDB_val nv = {8, v8};
        return mdb_put(txn, d->meta, &k, &nv, 0);
    }
    if (rc)
        return rc;
    uint64_t have = v.mv_size == 8 ? gl_be64_get(v.mv_data) : 0;
    if (have == 1) {
        /* No KPI counters yet: they need every event, so the view starts
         * again from each node's whole log. */
        gl_warn("broker: %s has view schema 1; rebuilding it with the KPI counters from the nodes' logs", dir);
        uint8_t v8[8];
        gl_be64_put(v8, SCHEMA);
        MDB_val nv = {8, v8};
        rc = mdb_drop(txn, d->feeds, 0);
        rc = rc ? rc : mdb_drop(txn, d->cases, 0);
        rc = rc ? rc : mdb_drop(txn, d->counts, 0);
        return rc ? rc : mdb_put(txn, d->meta, &k, &nv, 0);
    }
    if (have != SCHEMA) {
        gl_error("broker: %s has view schema %llu; this broker knows %d: move it away and the view is rebuilt "
                 "from the nodes' logs",
                 dir, (unsigned long long)have, SCHEMA);
        return MDB_INCOMPATIBLE;
    }
    return 0;
}

/* The stored feeds, counts and case view into the broker's memory. */
static int load(broker_t *b, MDB_txn *txn)
{
    struct durable *d = b->dur;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t feeds = 0, cases = 0;
    int rc = mdb_cursor_open(txn, d->feeds, &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char node[GL_NODE_ID_MAX + 1];
        if (k.mv_size > GL_NODE_ID_MAX || v.mv_size != 8)
            continue;
        memcpy(node, k.mv_data, k.mv_size);
        node[k.mv_size] = 0;
        feed_t *f = feed_get(b, node);
        if (f)
            f->last = f->known = gl_be64_get(v.mv_data);
        feeds++;
    }
    mdb_cursor_close(cur);
    rc = mdb_cursor_open(txn, d->counts, &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char node[GL_NODE_ID_MAX + 1];
        if (k.mv_size > GL_NODE_ID_MAX || v.mv_size != DB_BUCKETS * 8)
            continue;
        memcpy(node, k.mv_data, k.mv_size);
        node[k.mv_size] = 0;
        struct held *h = held_of(d, node);
        for (int i = 0; h && i < DB_BUCKETS; i++)
            h->c.n[i] = (int64_t)gl_be64_get((const uint8_t *)v.mv_data + 8 * i);
    }
    mdb_cursor_close(cur);
    rc = mdb_cursor_open(txn, d->cases, &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct rec r;
        if (rec_decode(&v, &r) != 0) {
            if (r.ev)
                gridlink__v1__bus_event__free_unpacked(r.ev, NULL);
            continue;
        }
        rev_t *rv = view_rev_new(r.ev);
        if (!rv) {
            gridlink__v1__bus_event__free_unpacked(r.ev, NULL);
            continue;
        }
        view_update(&b->view, rv);
        view_rev_unref(rv);
        cases++;
    }
    mdb_cursor_close(cur);
    gl_info("broker: durable view: %zu feeds and %zu cases loaded; each feed resumes after its stored sequence", feeds,
            cases);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static void free_held(void **item)
{
    free(*item);
    *item = NULL;
}

int durable_open(broker_t *b, const char *home)
{
    char dir[4096];
    gl_home_path(dir, sizeof dir, home, "broker");
    gl_mkdir_p(dir);
    struct durable *d = calloc(1, sizeof *d);
    if (!d)
        return GL_ENOMEM;
    b->dur = d;
    d->held = zhashx_new();
    zhashx_set_destructor(d->held, free_held);
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&d->env);
    rc = rc ? rc : mdb_env_set_maxdbs(d->env, 16);
    rc = rc ? rc : mdb_env_set_mapsize(d->env, MAP_SIZE);
    rc = rc ? rc : mdb_env_open(d->env, dir, MDB_NOTLS | MDB_NOMETASYNC, 0600);
    rc = rc ? rc : mdb_txn_begin(d->env, NULL, 0, &txn);
    rc = rc ? rc : open_dbi(d, txn, "meta", &d->meta);
    rc = rc ? rc : open_dbi(d, txn, "feeds", &d->feeds);
    rc = rc ? rc : open_dbi(d, txn, "cases", &d->cases);
    rc = rc ? rc : open_dbi(d, txn, "counts", &d->counts);
    rc = rc ? rc : check_schema(d, txn, dir);
    rc = rc ? rc : kpis_open(b, txn);
    rc = rc ? rc : load(b, txn);
    rc = rc ? rc : plan_open(b, txn);
    if (txn)
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    if (rc) {
        gl_error("broker: cannot open the durable view in %s: %s", dir, mdb_strerror(rc));
        durable_close(b);
        return GL_ESTORE;
    }
    uv_timer_init(b->uv, &d->timer);
    d->timer.data = b;
    uv_timer_start(&d->timer, on_commit, DURABLE_COMMIT_MS, DURABLE_COMMIT_MS);
    return GL_OK;
}

static void free_durable(uv_handle_t *t)
{
    free(t->data);
}

void durable_close(broker_t *b)
{
    struct durable *d = b->dur;
    if (!d)
        return;
    durable_commit(b);
    kpis_close(b);
    plan_close(b);
    if (d->env)
        mdb_env_close(d->env);
    zhashx_destroy(&d->held);
    free(d->dirty);
    d->dirty = NULL;
    b->dur = NULL;
    if (d->timer.data) {
        uv_timer_stop(&d->timer);
        d->timer.data = d;
        uv_close((uv_handle_t *)&d->timer, free_durable);
    } else {
        free(d);
    }
}
