/* kpis.c: see kpis.h. */
#include "kpis.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casejson.h"
#include "durable.h"
#include "error.h"
#include "home.h"
#include "kpi.h"
#include "log.h"
#include "policy.h"
#include "store.h"

#define ERR_LOG_EVERY 1000
#define UNITS_MAX     16

struct cached {
    gl_kpi_counts c;
    bool dirty;
    char key[]; /* its key in the cache and the store */
};

/* The counters each unit's events last touched, per period: the next
 * event of the unit in the same period finds them without building a key
 * or hashing. Indexed by the unit's place in the topology's nodes times
 * GL_KPI_PERIODS; cleared when the cache is emptied. */
struct memo {
    const char *unit; /* a topology node's id: compared by address */
    char key[GL_KPI_KEY_MAX];
    struct cached *c;
};

struct kpis {
    MDB_dbi facts, counts;
    zhashx_t *cache;       /* "unit\x1f" "period\x1f" "key" -> struct cached */
    struct cached **dirty; /* the cache's dirty entries, for kpis_flush */
    size_t n_dirty, cap_dirty;
    struct memo *memo;
    size_t n_memo;
    int offset_min;
    uint64_t errors;
};

static void fail(struct kpis *k, const char *what, int rc)
{
    if (k->errors++ % ERR_LOG_EVERY == 0)
        gl_error("broker: KPI counters: %s: %s (%llu so far)", what, mdb_strerror(rc), (unsigned long long)k->errors);
}

static void free_item(void **item)
{
    free(*item);
    *item = NULL;
}

int kpis_open(broker_t *b, MDB_txn *txn)
{
    struct kpis *k = calloc(1, sizeof *k);
    if (!k)
        return ENOMEM;
    int rc = mdb_dbi_open(txn, "kpi_facts", MDB_CREATE, &k->facts);
    rc = rc ? rc : mdb_dbi_open(txn, "kpi_counts", MDB_CREATE, &k->counts);
    if (rc || !(k->cache = zhashx_new())) {
        gl_error("broker: cannot open the KPI databases: %s", rc ? mdb_strerror(rc) : "out of memory");
        free(k);
        return rc ? rc : ENOMEM;
    }
    zhashx_set_destructor(k->cache, free_item);
    k->offset_min = gl_calendar_utc_offset_min(b->topo->calendar);
    b->kpis = k;
    return 0;
}

void kpis_close(broker_t *b)
{
    struct kpis *k = b->kpis;
    if (!k)
        return;
    zhashx_destroy(&k->cache);
    free(k->dirty);
    free(k->memo);
    free(k);
    b->kpis = NULL;
}

/* ---- counters ---- */

static size_t counts_key(char *out, size_t size, const char *unit, enum gl_kpi_period p, const char *key)
{
    int n = snprintf(out, size, "%s\x1f%s\x1f%s", unit, gl_kpi_period_name(p), key);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* The cached counters of (unit, p, key), loaded from txn on a miss;
 * NULL when absent and !make. */
static struct cached *counts_of(struct kpis *k, MDB_txn *txn, const char *unit, enum gl_kpi_period p, const char *key,
                                bool make)
{
    char ck[GL_NODE_ID_MAX + 2 * GL_KPI_KEY_MAX + 4];
    size_t klen = counts_key(ck, sizeof ck, unit, p, key);
    struct cached *c = zhashx_lookup(k->cache, ck);
    if (c)
        return c;
    MDB_val mk = {klen, ck}, v;
    int rc = txn ? mdb_get(txn, k->counts, &mk, &v) : MDB_NOTFOUND;
    if (rc != 0 && rc != MDB_NOTFOUND)
        fail(k, "read counters", rc);
    if (rc != 0 && !make)
        return NULL;
    if (!(c = calloc(1, sizeof *c + klen + 1)))
        return NULL;
    memcpy(c->key, ck, klen + 1);
    if (rc == 0 && v.mv_size == GL_KC_N * 8)
        for (int i = 0; i < GL_KC_N; i++)
            c->c.c[i] = (int64_t)gl_be64_get((const uint8_t *)v.mv_data + 8 * i);
    if (zhashx_insert(k->cache, ck, c) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

/* c's counters changed: listed for the next flush. false when the list
 * cannot grow (the change stays in the cache, unwritten). */
static bool mark_dirty(struct kpis *k, struct cached *c)
{
    if (c->dirty)
        return true;
    if (k->n_dirty == k->cap_dirty) {
        size_t cap = k->cap_dirty ? 2 * k->cap_dirty : 256;
        struct cached **a = realloc(k->dirty, cap * sizeof *a);
        if (!a)
            return false;
        k->dirty = a;
        k->cap_dirty = cap;
    }
    k->dirty[k->n_dirty++] = c;
    c->dirty = true;
    return true;
}

void kpis_flush(broker_t *b, MDB_txn *txn)
{
    struct kpis *k = b->kpis;
    if (!k || !txn)
        return;
    size_t i = 0;
    for (; i < k->n_dirty; i++) {
        struct cached *c = k->dirty[i];
        uint8_t row[GL_KC_N * 8];
        for (int j = 0; j < GL_KC_N; j++)
            gl_be64_put(row + 8 * j, (uint64_t)c->c.c[j]);
        MDB_val mk = {strlen(c->key), c->key}, v = {sizeof row, row};
        int rc = mdb_put(txn, k->counts, &mk, &v, 0);
        if (rc) {
            fail(k, "write counters", rc);
            break;
        }
        c->dirty = false;
    }
    /* What was not written stays listed for the next commit. */
    if (i && i < k->n_dirty)
        memmove(k->dirty, k->dirty + i, (k->n_dirty - i) * sizeof *k->dirty);
    k->n_dirty -= i;
    if (k->n_dirty == 0 && zhashx_size(k->cache) > KPIS_CACHE) {
        zhashx_purge(k->cache);
        if (k->memo)
            memset(k->memo, 0, k->n_memo * sizeof *k->memo);
    }
}

/* ---- one event ---- */

void kpis_apply(broker_t *b, MDB_txn *txn, const bus_event_t *ev)
{
    struct kpis *k = b->kpis;
    if (!k || !txn || !ev->case_id || !ev->case_id[0] || strcmp(ev->kind, "status") == 0)
        return; /* a copy of another node's change: nothing of this node's */
    const gl_topology_t *t = b->topo;
    const gl_node_t *self = gl_topology_find(t, ev->node);
    if (!self)
        return; /* a node the topology does not know adds nothing */
    /* The node and its ancestors (gl_kpi_units), with their places. */
    const gl_node_t *units[UNITS_MAX];
    size_t nu = 0;
    for (const gl_node_t *n = self; n && nu < UNITS_MAX; n = gl_topology_parent(t, n))
        units[nu++] = n;
    if (k->n_memo < t->n_nodes * GL_KPI_PERIODS) {
        struct memo *m = realloc(k->memo, t->n_nodes * GL_KPI_PERIODS * sizeof *m);
        if (m) {
            memset(m + k->n_memo, 0, (t->n_nodes * GL_KPI_PERIODS - k->n_memo) * sizeof *m);
            k->memo = m;
            k->n_memo = t->n_nodes * GL_KPI_PERIODS;
        }
    }
    char fk[2 * GL_NODE_ID_MAX + 4];
    int n = snprintf(fk, sizeof fk, "%s\x1f%s", ev->node, ev->case_id);
    if (n < 0 || (size_t)n >= sizeof fk)
        return;
    MDB_val mk = {(size_t)n, fk}, v;
    gl_kpi_facts f = {0};
    int rc = mdb_get(txn, k->facts, &mk, &v);
    if (rc == 0 && v.mv_size == 1 + sizeof f && ((const uint8_t *)v.mv_data)[0] == GL_KPI_FACTS_VERSION)
        memcpy(&f, (const uint8_t *)v.mv_data + 1, sizeof f);
    else if (rc != 0 && rc != MDB_NOTFOUND) {
        fail(k, "read facts", rc);
        return;
    }
    bool changed;
    gl_kpi_delta d[GL_KPI_MAX_DELTAS];
    size_t nd = gl_kpi_step(b->topo->calendar, self->tier, ev, &f, &changed, d);
    if (changed) {
        uint8_t row[1 + sizeof f];
        row[0] = GL_KPI_FACTS_VERSION;
        memcpy(row + 1, &f, sizeof f);
        MDB_val nv = {sizeof row, row};
        if ((rc = mdb_put(txn, k->facts, &mk, &nv, 0)) != 0) {
            fail(k, "write facts", rc);
            return;
        }
    }
    for (size_t i = 0; i < nd; i++)
        for (int p = 0; p < GL_KPI_PERIODS; p++) {
            char key[GL_KPI_KEY_MAX];
            gl_kpi_period_key((enum gl_kpi_period)p, d[i].at_ms, k->offset_min, key);
            for (size_t u = 0; u < nu; u++) {
                size_t at = (size_t)(units[u] - t->nodes) * GL_KPI_PERIODS + (size_t)p;
                struct memo *m = at < k->n_memo ? &k->memo[at] : NULL;
                struct cached *c = m ? m->c : NULL;
                if (!c || m->unit != units[u]->id || strcmp(m->key, key) != 0) {
                    c = counts_of(k, txn, units[u]->id, (enum gl_kpi_period)p, key, true);
                    if (!c) {
                        fail(k, "cache counters", ENOMEM);
                        continue;
                    }
                    if (m) {
                        m->unit = units[u]->id;
                        memcpy(m->key, key, sizeof m->key);
                        m->c = c;
                    }
                }
                if (!mark_dirty(k, c)) {
                    fail(k, "list dirty counters", ENOMEM);
                    continue;
                }
                c->c.c[d[i].k] += d[i].amount;
            }
        }
}

/* ---- HTTP ---- */

/* The period asked (period=, at=) into *p, key, from, to; false when the
 * request was answered with an error. */
static bool period_of(struct kpis *k, gl_http_req_t *r, enum gl_kpi_period *p, char key[GL_KPI_KEY_MAX], int64_t *from,
                      int64_t *to)
{
    const char *ps = gl_http_query(r, "period"), *as = gl_http_query(r, "at");
    if (!ps || !ps[0])
        ps = "month";
    if (!gl_kpi_period_parse(ps, p)) {
        gl_http_error(r, 400, "bad-period", "period must be day, week, month or year, not '%.40s'", ps);
        return false;
    }
    int64_t at = gl_now_ms();
    if (as && as[0] && !gl_kpi_parse_date(as, k->offset_min, &at)) {
        gl_http_error(r, 400, "bad-date", "at must be a date YYYY-MM-DD, not '%.40s'", as);
        return false;
    }
    gl_kpi_period_key(*p, at, k->offset_min, key);
    gl_kpi_period_bounds(*p, at, k->offset_min, from, to);
    return true;
}

static void set_period(json_t *o, enum gl_kpi_period p, const char *key, int64_t from, int64_t to)
{
    char a[40], z[40];
    json_object_set_new(o, "period", json_string(gl_kpi_period_name(p)));
    json_object_set_new(o, "key", json_string(key));
    json_object_set_new(o, "from", json_string(gl_iso_time(from, a, sizeof a)));
    json_object_set_new(o, "to", json_string(gl_iso_time(to, z, sizeof z)));
    json_object_set_new(o, "formula", json_string(GL_KPI_FORMULA));
    json_object_set_new(o, "min_sample", json_integer(gl_kpi_min_sample()));
}

void kpis_serve_unit(broker_t *b, gl_http_req_t *r)
{
    struct kpis *k = b->kpis;
    if (!k) {
        gl_http_error(r, 503, "unavailable", "the broker keeps no KPI counters (its store did not open)");
        return;
    }
    const char *unit = gl_http_query(r, "unit");
    const gl_node_t *n = unit && unit[0] ? gl_topology_find(b->topo, unit) : NULL;
    if (!n) {
        gl_http_error(r, 400, "bad-unit", "unit must be a node of the topology, not '%.100s'", unit ? unit : "");
        return;
    }
    enum gl_kpi_period p;
    char key[GL_KPI_KEY_MAX];
    int64_t from, to;
    if (!period_of(k, r, &p, key, &from, &to))
        return;
    struct cached *c = counts_of(k, durable_txn(b), n->id, p, key, false);
    json_t *doc = gl_kpi_json(c ? &c->c : NULL);
    if (!doc) {
        gl_http_error(r, 503, "unavailable", "out of memory");
        return;
    }
    json_object_set_new(doc, "unit", json_string(n->id));
    json_object_set_new(doc, "name", json_string(n->name ? n->name : n->id));
    json_object_set_new(doc, "tier", json_string(gl_tier_name(n->tier)));
    set_period(doc, p, key, from, to);
    gl_http_json(r, 200, doc);
}

static json_t *row_json(const gl_topology_t *t, const gl_kpi_row *row)
{
    const gl_node_t *n = gl_topology_find(t, row->unit);
    return json_pack("{s:s, s:s, s:I, s:I, s:o, s:b, s:o}", "unit", row->unit, "name",
                     n && n->name ? n->name : row->unit, "numerator", (json_int_t)row->num, "denominator",
                     (json_int_t)row->den, "value", row->has ? json_real(row->value) : json_null(), "ranked",
                     row->ranked, "rank", row->ranked ? json_integer(row->rank) : json_null());
}

void kpis_serve_league(broker_t *b, gl_http_req_t *r)
{
    struct kpis *k = b->kpis;
    if (!k) {
        gl_http_error(r, 503, "unavailable", "the broker keeps no KPI counters (its store did not open)");
        return;
    }
    const gl_topology_t *t = b->topo;
    const char *ts = gl_http_query(r, "tier"), *ks = gl_http_query(r, "kpi");
    int tier = -1;
    for (int i = 1; ts && i <= 5; i++)
        if (strcmp(ts, gl_tier_name(i)) == 0)
            tier = i;
    if (tier < 0) {
        gl_http_error(r, 400, "bad-tier", "tier must be township, community, grid or department, not '%.40s'",
                      ts ? ts : "");
        return;
    }
    int id = gl_kpi_find(ks && ks[0] ? ks : "response");
    if (id < 0) {
        gl_http_error(r, 400, "bad-kpi", "no KPI named '%.40s'", ks);
        return;
    }
    enum gl_kpi_period p;
    char key[GL_KPI_KEY_MAX];
    int64_t from, to;
    if (!period_of(k, r, &p, key, &from, &to))
        return;
    size_t n = 0;
    for (size_t i = 0; i < t->n_nodes; i++)
        n += (int)t->nodes[i].tier == tier;
    gl_kpi_row *rows = calloc(n ? n : 1, sizeof *rows);
    const gl_kpi_counts **cs = calloc(n ? n : 1, sizeof *cs);
    if (!rows || !cs) {
        free(rows);
        free(cs);
        gl_http_error(r, 503, "unavailable", "out of memory");
        return;
    }
    MDB_txn *txn = durable_txn(b);
    n = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        if ((int)t->nodes[i].tier != tier)
            continue;
        struct cached *c = counts_of(k, txn, t->nodes[i].id, p, key, false);
        rows[n].unit = t->nodes[i].id;
        cs[n++] = c ? &c->c : NULL;
    }
    size_t red, black;
    uint32_t min = gl_kpi_min_sample();
    gl_kpi_rank((enum gl_kpi_id)id, rows, cs, n, min, &red, &black);
    json_t *all = json_array(), *excluded = json_array(), *rl = json_array(), *bl = json_array();
    size_t ranked = 0;
    for (size_t i = 0; i < n; i++) {
        ranked += rows[i].ranked;
        json_array_append_new(all, row_json(t, &rows[i]));
        if (!rows[i].ranked)
            json_array_append_new(excluded,
                                  json_pack("{s:s, s:I, s:s}", "unit", rows[i].unit, "sample", (json_int_t)rows[i].den,
                                            "why", rows[i].has ? "below the minimum sample" : "no sample"));
    }
    for (size_t i = 0; i < red; i++)
        json_array_append_new(rl, row_json(t, &rows[i]));
    for (size_t i = 0; i < black; i++)
        json_array_append_new(bl, row_json(t, &rows[ranked - 1 - i]));
    const gl_kpi_def *def = gl_kpi_def_of((enum gl_kpi_id)id);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o}", "tier", gl_tier_name(tier), "kpi", def->key,
                            "name", def->name, "higher_better", def->higher_better, "rows", all, "excluded", excluded,
                            "red", rl, "black", bl);
    free(rows);
    free(cs);
    if (!doc) {
        gl_http_error(r, 503, "unavailable", "out of memory");
        return;
    }
    set_period(doc, p, key, from, to);
    gl_http_json(r, 200, doc);
}

/* ---- for the reports ---- */

bool kpis_counts(broker_t *b, const char *unit, enum gl_kpi_period p, const char *key, gl_kpi_counts *out)
{
    struct kpis *k = b->kpis;
    struct cached *c = k ? counts_of(k, durable_txn(b), unit, p, key, false) : NULL;
    if (c)
        *out = c->c;
    else
        memset(out, 0, sizeof *out);
    return c != NULL;
}

int kpis_offset_min(broker_t *b)
{
    return b->kpis ? b->kpis->offset_min : 0;
}
