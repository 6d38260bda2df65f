/* plan.c: see plan.h. */
#include "plan.h"

#include <czmq.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casejson.h"
#include "core.h"
#include "door.h"
#include "durable.h"
#include "error.h"
#include "facts.h"
#include "feed.h"
#include "home.h"
#include "indicators.h"
#include "log.h"
#include "policy.h"
#include "store.h"

#define DAY_MIN    1440
#define DAY_BYTES  (DAY_MIN / 8)
#define YEAR_FIRST 2000
#define YEARS      100
#define BROKER_ROW "" /* the broker's own minutes */
#define KEY_MAX    (GL_NODE_ID_MAX + GL_FACT_NAME_MAX + 16)

/* One node's liveness: today's bitmap and up-minutes per year. */
struct up {
    uint8_t bits[DAY_BYTES];
    uint32_t years[YEARS];
};

struct plan {
    MDB_dbi facts, uptime;
    uv_timer_t tick;
    int64_t day;   /* local day of the bitmaps in memory (days since 1970-01-01) */
    zhashx_t *ups; /* node id ("" the broker) -> struct up */
    uint64_t refused, errors;
};

static struct plan *plan_of(broker_t *b)
{
    return b->plan;
}

static void fail(struct plan *p, const char *what, int rc)
{
    if (p->errors++ % 1000 == 0)
        gl_error("broker: plan indicators: %s: %s (%llu so far)", what, mdb_strerror(rc),
                 (unsigned long long)p->errors);
}

/* The local year of a local day number. */
static int year_of_day(int64_t day)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

static int64_t local_minute(int64_t ms)
{
    return ms / 60000 + GL_FACTS_OFFSET_MIN;
}

static size_t uptime_key(uint8_t *kb, const char *node, int64_t day)
{
    size_t n = strlen(node);
    memcpy(kb, node, n);
    kb[n] = 0;
    kb[n + 1] = (uint8_t)(day >> 24);
    kb[n + 2] = (uint8_t)(day >> 16);
    kb[n + 3] = (uint8_t)(day >> 8);
    kb[n + 4] = (uint8_t)day;
    return n + 5;
}

static struct up *up_of(struct plan *p, const char *node)
{
    struct up *u = zhashx_lookup(p->ups, node);
    if (!u && (u = calloc(1, sizeof *u)))
        zhashx_insert(p->ups, node, u);
    return u;
}

static int popcount(const uint8_t *bits)
{
    int n = 0;
    for (int i = 0; i < DAY_BYTES; i++)
        n += __builtin_popcount(bits[i]);
    return n;
}

/* Every stored bitmap into the years' totals, and today's into memory. */
static int load_uptime(struct plan *p, MDB_txn *txn, int64_t today)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, p->uptime, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *kp = k.mv_data;
        if (k.mv_size < 5 || k.mv_size > GL_NODE_ID_MAX + 5 || v.mv_size != DAY_BYTES || kp[k.mv_size - 5] != 0)
            continue;
        char node[GL_NODE_ID_MAX + 1];
        memcpy(node, kp, k.mv_size - 5);
        node[k.mv_size - 5] = 0;
        const uint8_t *d = kp + k.mv_size - 4;
        int64_t day = (int64_t)((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]);
        int y = year_of_day(day) - YEAR_FIRST;
        struct up *u = up_of(p, node);
        if (!u)
            continue;
        if (y >= 0 && y < YEARS)
            u->years[y] += (uint32_t)popcount(v.mv_data);
        if (day == today)
            memcpy(u->bits, v.mv_data, DAY_BYTES);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Mark minute m of today for node: 1 when it was not marked yet. */
static void mark(broker_t *b, struct plan *p, const char *node, int m, int year)
{
    struct up *u = up_of(p, node);
    if (!u || (u->bits[m / 8] & (1u << (m % 8))))
        return;
    u->bits[m / 8] |= (uint8_t)(1u << (m % 8));
    if (year >= YEAR_FIRST && year < YEAR_FIRST + YEARS)
        u->years[year - YEAR_FIRST]++;
    MDB_txn *txn = durable_txn(b);
    if (!txn)
        return;
    uint8_t kb[GL_NODE_ID_MAX + 5];
    MDB_val k = {uptime_key(kb, node, p->day), kb}, v = {DAY_BYTES, u->bits};
    int rc = mdb_put(txn, p->uptime, &k, &v, 0);
    if (rc)
        fail(p, "write up-time", rc);
}

void plan_sample(broker_t *b)
{
    struct plan *p = plan_of(b);
    if (!p)
        return;
    int64_t minute = local_minute(gl_now_ms()), day = minute / DAY_MIN;
    int m = (int)(minute % DAY_MIN);
    if (day != p->day) {
        for (struct up *u = zhashx_first(p->ups); u; u = zhashx_next(p->ups))
            memset(u->bits, 0, sizeof u->bits);
        p->day = day;
    }
    int year = year_of_day(day);
    mark(b, p, BROKER_ROW, m, year);
    int64_t now = core_now_ms(b);
    for (size_t i = 0; i < b->topo->n_nodes; i++) {
        const char *id = b->topo->nodes[i].id;
        const feed_t *f = zhashx_lookup(b->feeds, id);
        if (f && f->heard_ms && now - f->heard_ms <= DOOR_LIVE_MS)
            mark(b, p, id, m, year);
    }
}

static void on_tick(uv_timer_t *t)
{
    plan_sample(t->data);
}

static void free_up(void **item)
{
    free(*item);
    *item = NULL;
}

int plan_open(broker_t *b, MDB_txn *txn)
{
    struct plan *p = calloc(1, sizeof *p);
    if (!p)
        return ENOMEM;
    p->ups = zhashx_new();
    zhashx_set_destructor(p->ups, free_up);
    p->day = local_minute(gl_now_ms()) / DAY_MIN;
    int rc = mdb_dbi_open(txn, "facts", MDB_CREATE, &p->facts);
    rc = rc ? rc : mdb_dbi_open(txn, "uptime", MDB_CREATE, &p->uptime);
    rc = rc ? rc : load_uptime(p, txn, p->day);
    if (rc) {
        gl_error("broker: plan indicators: cannot open their databases: %s", mdb_strerror(rc));
        zhashx_destroy(&p->ups);
        free(p);
        return rc;
    }
    if (gl_plan_targets_load() != 0)
        gl_error("broker: the plan's targets do not load; indicators are shown without targets");
    b->plan = p;
    uv_timer_init(b->uv, &p->tick);
    p->tick.data = b;
    uv_timer_start(&p->tick, on_tick, 0, PLAN_TICK_MS);
    return 0;
}

static void free_plan(uv_handle_t *h)
{
    free(h->data);
}

void plan_close(broker_t *b)
{
    struct plan *p = plan_of(b);
    if (!p)
        return;
    b->plan = NULL;
    zhashx_destroy(&p->ups);
    uv_timer_stop(&p->tick);
    p->tick.data = p;
    uv_close((uv_handle_t *)&p->tick, free_plan);
}

uint64_t plan_refused(broker_t *b)
{
    return b->plan ? b->plan->refused : 0;
}

bool plan_fact_believable(broker_t *b, const bus_event_t *ev)
{
    const gl_node_t *n = gl_topology_find(b->topo, ev->node);
    char why[200];
    if (n && gl_fact_check(ev->fact, n->tier, why, sizeof why) == 0)
        return true;
    if (b->plan)
        b->plan->refused++;
    core_warn_peer(b, WARN_FOREIGN, "broker: fact of %s at %llu dropped: %s", ev->node, (unsigned long long)ev->seq,
                   n ? why : "not a node of the topology");
    return false;
}

void plan_apply(broker_t *b, MDB_txn *txn, const bus_event_t *ev)
{
    struct plan *p = plan_of(b);
    if (!p || !ev->fact)
        return;
    const gl_node_t *n = gl_topology_find(b->topo, ev->node);
    char why[200];
    if (!n || gl_fact_check(ev->fact, n->tier, why, sizeof why) != 0) {
        if (p->refused++ % 1000 == 0)
            gl_warn("broker: fact of %s at %llu not taken: %s", ev->node, (unsigned long long)ev->seq,
                    n ? why : "not a node of the topology");
        return;
    }
    uint8_t kb[KEY_MAX];
    size_t nl = strlen(ev->node), fl = strlen(ev->fact->name);
    memcpy(kb, ev->node, nl);
    kb[nl] = 0;
    memcpy(kb + nl + 1, ev->fact->name, fl);
    kb[nl + 1 + fl] = 0;
    gl_be64_put(kb + nl + 2 + fl, ev->seq);
    size_t len = protobuf_c_message_get_packed_size(&ev->base);
    MDB_val k = {nl + 10 + fl, kb}, v = {len, NULL};
    int rc = mdb_put(txn, p->facts, &k, &v, MDB_RESERVE);
    if (rc) {
        fail(p, "write a fact", rc);
        return;
    }
    protobuf_c_message_pack(&ev->base, v.mv_data);
}

/* ---- the indicators ---- */

struct best {
    char as_of[11];
    uint64_t seq;
};

/* Each node's facts as of the end of year into in (by topology index). */
static int gather(broker_t *b, MDB_txn *txn, int year, gl_ind_node *in, struct best *best)
{
    struct plan *p = plan_of(b);
    char end[11];
    snprintf(end, sizeof end, "%04d-12-31", year);
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, p->facts, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        bus_event_t *ev = gridlink__v1__bus_event__unpack(NULL, v.mv_size, v.mv_data);
        if (!ev)
            continue;
        int i = gl_topology_index_of(b->topo, ev->node), f = ev->fact ? gl_fact_find(ev->fact->name) : -1;
        if (i >= 0 && f >= 0 && ev->fact->as_of && strcmp(ev->fact->as_of, end) <= 0) {
            struct best *bb = &best[(size_t)i * GL_FACT_N + (size_t)f];
            int c = strcmp(ev->fact->as_of, bb->as_of);
            if (!in[i].has[f] || c > 0 || (c == 0 && ev->seq > bb->seq)) {
                in[i].has[f] = true;
                in[i].v[f] = ev->fact->value;
                snprintf(bb->as_of, sizeof bb->as_of, "%s", ev->fact->as_of);
                bb->seq = ev->seq;
            }
        }
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
    }
    mdb_cursor_close(cur);
    if (year >= YEAR_FIRST && year < YEAR_FIRST + YEARS)
        for (size_t i = 0; i < b->topo->n_nodes; i++) {
            const struct up *u = zhashx_lookup(p->ups, b->topo->nodes[i].id);
            in[i].up_min = u ? u->years[year - YEAR_FIRST] : 0;
        }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static json_t *unit_json(const gl_node_t *n)
{
    return json_pack("{s:s, s:s, s:s}", "id", n->id, "name", n->name ? n->name : n->id, "tier", gl_tier_name(n->tier));
}

/* What the indicators of a year are computed from: every node's facts as of
 * the year's end and up-minutes, and the broker's own watched minutes. 0 or
 * a GL_E* code; *in is the caller's to free. */
static int inputs(broker_t *b, int year, gl_ind_node **in, uint64_t *observed)
{
    struct plan *p = plan_of(b);
    const gl_topology_t *t = b->topo;
    MDB_txn *txn = durable_txn(b);
    *in = calloc(t->n_nodes ? t->n_nodes : 1, sizeof **in);
    struct best *best = calloc((t->n_nodes ? t->n_nodes : 1) * GL_FACT_N, sizeof *best);
    int rc = !p || !txn ? GL_ESTORE : !*in || !best ? GL_ENOMEM : gather(b, txn, year, *in, best);
    free(best);
    const struct up *bu = p ? zhashx_lookup(p->ups, BROKER_ROW) : NULL;
    *observed = bu ? bu->years[year - YEAR_FIRST] : 0;
    if (rc != 0) {
        free(*in);
        *in = NULL;
    }
    return rc;
}

int plan_indicators(broker_t *b, int year, const char *unit, gl_indicator out[GL_IND_N])
{
    if (year < YEAR_FIRST || year >= YEAR_FIRST + YEARS)
        return GL_EINVAL;
    gl_ind_node *in;
    uint64_t observed;
    int rc = inputs(b, year, &in, &observed);
    if (rc == 0)
        rc = gl_indicators_compute(b->topo, in, observed, year, unit, out);
    free(in);
    return rc;
}

void plan_serve(broker_t *b, gl_http_req_t *r)
{
    struct plan *p = plan_of(b);
    if (!p) {
        gl_http_error(r, 503, "unavailable", "the broker's durable view is not open");
        return;
    }
    char today[16];
    gl_fact_today(gl_now_ms(), today, sizeof today);
    int year = atoi(today);
    const char *ys = gl_http_query(r, "year"), *unit = gl_http_query(r, "unit");
    if (ys) {
        char *endp;
        long y = strtol(ys, &endp, 10);
        if (!ys[0] || *endp || y < YEAR_FIRST || y >= YEAR_FIRST + YEARS) {
            gl_http_error(r, 400, "bad-request", "year is a year from %d to %d", YEAR_FIRST, YEAR_FIRST + YEARS - 1);
            return;
        }
        year = (int)y;
    }
    const gl_topology_t *t = b->topo;
    const gl_node_t *root = NULL;
    for (size_t i = 0; i < t->n_nodes && !root; i++)
        if (t->nodes[i].parent < 0)
            root = &t->nodes[i];
    const gl_node_t *scope = unit && unit[0] ? gl_topology_find(t, unit) : root;
    if (!scope) {
        gl_http_error(r, 404, "not-found", "no unit %.200s in the topology", unit);
        return;
    }
    if (scope->tier != GRIDLINK__V1__TIER__TIER_DISTRICT && scope->tier != GRIDLINK__V1__TIER__TIER_TOWNSHIP) {
        gl_http_error(r, 400, "bad-request", "indicators are per township or district-wide; %s is a %s", scope->id,
                      gl_tier_name(scope->tier));
        return;
    }
    gl_ind_node *in;
    uint64_t observed;
    int rc = inputs(b, year, &in, &observed);
    gl_indicator rows[GL_IND_N];
    if (rc == 0)
        rc = gl_indicators_compute(t, in, observed, year, scope->id, rows);
    if (rc != 0) {
        free(in);
        gl_http_error(r, 503, "unavailable", "the indicators cannot be computed now (%s)", gl_strerror(rc));
        return;
    }
    char when[40];
    json_t *doc = json_pack("{s:i, s:o, s:s, s:s, s:I, s:o}", "year", year, "unit", unit_json(scope), "formula",
                            GL_INDICATORS_FORMULA, "as_of", gl_iso_time(gl_now_ms(), when, sizeof when),
                            "observed_minutes", (json_int_t)observed, "indicators", gl_indicators_json(rows));
    if (scope->tier == GRIDLINK__V1__TIER__TIER_DISTRICT) {
        json_t *towns = json_array();
        for (size_t i = 0; i < t->n_nodes; i++) {
            const gl_node_t *n = &t->nodes[i];
            if (n->tier != GRIDLINK__V1__TIER__TIER_TOWNSHIP ||
                gl_indicators_compute(t, in, observed, year, n->id, rows) != 0)
                continue;
            json_t *o = unit_json(n);
            json_object_set_new(o, "indicators", gl_indicators_json(rows));
            json_array_append_new(towns, o);
        }
        json_object_set_new(doc, "townships", towns);
    }
    free(in);
    gl_http_json(r, 200, doc);
}
