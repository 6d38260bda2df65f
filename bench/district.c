/* district.c: the whole district on this machine.
 *
 * The Xinbei 2017 topology (deploy/topology/xinbei.json, 791 nodes; the mini
 * topology with --quick) runs as one gridlink-node process per township
 * (hosting the township, its communities and their grids) plus one for the
 * district and the broker. The load (`_worker district`, lifecycle.c) starts
 * cases at the given rate and works each through its lifecycle (report,
 * accept, resolve, verify; some tasks dispatched by townships, half of them
 * returned and assigned again) over the real control channel. After the load
 * the driver waits until every grid's and township's outbox is empty, stops
 * the district, and then checks every community's store: each acknowledged
 * report received exactly once (0 lost, 0 duplicated), and every case whose
 * verify was acknowledged closed at its community. The lifecycle throughput
 * is the cases found closed over the time from the first report to the last
 * verify plus the drain.
 *
 * The district center's view lag (an event committed at a node, then applied
 * to the broker's view) comes from the broker's own histogram on its /metrics
 * (gridlink_broker_bus_lag_seconds): the buckets' growth from just before the
 * load until the broker has applied every event the nodes logged, with p50 and
 * p99 interpolated inside their bucket as Prometheus' histogram_quantile does. */
#include <czmq.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "codec.h"
#include "ctl.h"
#include "error.h"
#include "home.h"
#include "sock.h"
#include "store.h"

/* ---- the driver's side ---- */

static bool find_topology(char *buf, size_t size, const char *name)
{
    char exe[PATH_MAX];
    if (gl_exe_dir(exe, sizeof exe) != 0)
        exe[0] = 0;
    const char *cands[] = {"deploy/topology/%s", "%s/../deploy/topology/%s", "%s/../../deploy/topology/%s"};
    for (int i = 0; i < 3; i++) {
        if (i == 0)
            snprintf(buf, size, cands[0], name);
        else if (snprintf(buf, size, cands[i], exe, name) >= (int)size)
            continue;
        if (access(buf, R_OK) == 0)
            return true;
    }
    return false;
}

/* ---- the broker's view lag ---- */

#define LAG_BUCKETS 40

typedef struct {
    int n;
    double le[LAG_BUCKETS]; /* upper bounds, seconds; the last is +Inf */
    double cum[LAG_BUCKETS];
    double events;   /* applied to the view, live and replayed */
    double replayed; /* of those, fetched from a node's log after a gap */
    double gaps;     /* gaps in a node's sequence the broker saw */
} lag_scrape;

/* GET /metrics at the broker with curl, parsed into s. */
static int lag_read(const char *curl, const char *url, const char *file, const char *log, lag_scrape *s)
{
    memset(s, 0, sizeof *s);
    unlink(file);
    char *argv[] = {(char *)curl, "-s", "-f", "-m", "10", "-o", (char *)file, (char *)url, NULL};
    if (bn_wait(bn_spawn(argv, log), 15000) != 0)
        return -1;
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    static const char bucket[] = "gridlink_broker_bus_lag_seconds_bucket{le=\"";
    static const char events[] = "gridlink_broker_events_total{";
    static const char replayed[] = "gridlink_broker_events_total{how=\"replayed\"}";
    static const char gaps[] = "gridlink_broker_gaps_total ";
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, bucket, sizeof bucket - 1) == 0 && s->n < LAG_BUCKETS) {
            char *le = line + sizeof bucket - 1, *q = strchr(le, '"');
            if (!q || q[1] != '}')
                continue;
            *q = 0;
            s->le[s->n] = strcmp(le, "+Inf") == 0 ? INFINITY : strtod(le, NULL);
            s->cum[s->n++] = strtod(q + 2, NULL);
        } else if (strncmp(line, events, sizeof events - 1) == 0) {
            char *sp = strrchr(line, ' ');
            if (sp)
                s->events += strtod(sp + 1, NULL);
            if (sp && strncmp(line, replayed, sizeof replayed - 1) == 0)
                s->replayed = strtod(sp + 1, NULL);
        } else if (strncmp(line, gaps, sizeof gaps - 1) == 0) {
            s->gaps = strtod(line + sizeof gaps - 1, NULL);
        }
    }
    fclose(f);
    return s->n > 0 && isinf(s->le[s->n - 1]) ? 0 : -1;
}

/* The q-quantile of the observations made between a and b, in ms; -1
 * without any. */
static double lag_quantile(const lag_scrape *a, const lag_scrape *b, double q)
{
    if (a->n != b->n || b->n == 0)
        return -1;
    double total = b->cum[b->n - 1] - a->cum[a->n - 1];
    if (total <= 0)
        return -1;
    double rank = q * total, below = 0, lo = 0;
    for (int i = 0; i < b->n; i++) {
        double c = b->cum[i] - a->cum[i];
        if (c >= rank) {
            if (isinf(b->le[i]))
                return lo * 1000;
            double frac = c > below ? (rank - below) / (c - below) : 1;
            return (lo + (b->le[i] - lo) * frac) * 1000;
        }
        below = c;
        lo = b->le[i];
    }
    return lo * 1000;
}

/* Sum of the log positions of every node under the home; -1 when one does
 * not answer. */
static long long logged_total(const char *home, gl_topology_t *t)
{
    long long total = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
        req.node = t->nodes[i].id;
        req.op = "health";
        Gridlink__V1__CtlReply *rep = NULL;
        char err[256];
        int rc = gl_ctl_call(home, &req, 2000, &rep, err, sizeof err);
        if (rc == 0 && rep && rep->code == 0 && rep->health)
            total += (long long)rep->health->log_seq;
        else
            total = -1;
        if (rep)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        if (total < 0)
            return -1;
    }
    return total;
}

/* Sum of the outbox entries of every node under the home, read from the
 * nodes' health over the control channel. */
static long pending_total(const char *home, gl_topology_t *t, int tier)
{
    long total = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        if ((int)t->nodes[i].tier != tier)
            continue;
        Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
        req.node = t->nodes[i].id;
        req.op = "health";
        Gridlink__V1__CtlReply *rep = NULL;
        char err[256];
        if (gl_ctl_call(home, &req, 2000, &rep, err, sizeof err) != 0 || !rep || rep->code != 0 || !rep->health) {
            if (rep)
                gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
            return -1;
        }
        total += (long)rep->health->outbox_pending;
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    }
    return total;
}

int bn_district_run(const char *root, const char *log, int seconds, int rate, bool quick, bn_result *r)
{
    memset(r, 0, sizeof *r);
    char topo[PATH_MAX], home[PATH_MAX], out[PATH_MAX], ids[PATH_MAX];
    if (!find_topology(topo, sizeof topo, quick ? "mini.json" : "xinbei.json")) {
        fprintf(stderr, "bench: district: cannot find deploy/topology/%s (run from the source tree)\n",
                quick ? "mini.json" : "xinbei.json");
        return -1;
    }
    snprintf(home, sizeof home, "%s/district", root);
    snprintf(out, sizeof out, "%s/district.out", root);
    snprintf(ids, sizeof ids, "%s/district.ids", root);
    char err[512];
    gl_topology_t *t;
    if (gl_topology_load_file(topo, &t, err, sizeof err) != 0)
        return -1;
    int nports = 4;
    for (size_t i = 0; i < t->n_nodes; i++)
        nports += t->nodes[i].n_children > 0;
    gl_topology_free(&t);
    int pb = bn_free_ports(nports);
    if (pb < 0 || bn_home_init(home, topo, pb, true) != 0)
        return -1;
    if (gl_home_topology(home, &t, err, sizeof err) != 0)
        return -1;
    /* HTTP for the broker's /metrics: the processes' doors and the broker's
     * take http_port_base + 0..n_nodes, clear of the links' ports. */
    int hb = -1;
    for (int i = 0; i < 20 && hb < 0; i++) {
        hb = bn_free_ports((int)t->n_nodes + 2);
        if (!(hb + (int)t->n_nodes + 2 <= pb || hb >= pb + nports))
            hb = -1;
    }
    char tpath[PATH_MAX];
    gl_home_path(tpath, sizeof tpath, home, "topology.json");
    t->http_port_base = hb > 0 ? hb : 0;
    if (hb > 0 && gl_topology_save(t, tpath) != 0)
        hb = -1;
    char curl[PATH_MAX], murl[128], mfile[PATH_MAX];
    bool lag = hb > 0 && bn_find_prog("curl", curl, sizeof curl);
    snprintf(murl, sizeof murl, "http://%s:%d/metrics", t->listen_host ? t->listen_host : "127.0.0.1",
             gl_topology_broker_http_port(t));
    snprintf(mfile, sizeof mfile, "%s/broker-metrics.txt", root);
    lag_scrape lag0 = {0}, lag1 = {0};
    bn_result_set(r, "nodes", (double)t->n_nodes);

    /* One process per township with everything under it, one for the district. */
    pid_t pids[256];
    int np = 0;
    pids[np++] = bn_broker_start(home, log);
    const gl_node_t *root_node = &t->nodes[t->root];
    const char *dist_ids[] = {root_node->id, NULL};
    pids[np++] = bn_node_start(home, dist_ids, log);
    for (size_t k = 0; k < root_node->n_children && np < 255; k++) {
        const gl_node_t *town = &t->nodes[root_node->children[k]];
        const char **ids_v = calloc(t->n_nodes + 1, sizeof *ids_v);
        size_t n = 0;
        for (size_t i = 0; i < t->n_nodes; i++)
            if (gl_topology_in_subtree(town->id, t->nodes[i].id))
                ids_v[n++] = t->nodes[i].id;
        pids[np++] = bn_node_start(home, ids_v, log);
        free(ids_v);
    }
    int64_t t_start = bn_now_us();
    bool ok = true;
    for (size_t i = 0; i < t->n_nodes && ok; i++)
        if (t->nodes[i].tier == GRIDLINK__V1__TIER__TIER_GRID || t->nodes[i].tier == GRIDLINK__V1__TIER__TIER_COMMUNITY)
            ok = bn_wait_serving(home, t->nodes[i].id, 30000) >= 0;
    fprintf(stderr, "bench: district: %zu nodes in %d processes serving after %.1f s\n", t->n_nodes, np - 1,
            (double)(bn_now_us() - t_start) / 1e6);
    int rc = -1;
    double broker_cpu0 = bn_cpu_us(pids[0]);
    if (ok && lag && lag_read(curl, murl, mfile, log, &lag0) != 0) {
        fprintf(stderr, "bench: district: the broker's %s does not answer; no view lag\n", murl);
        lag = false;
    }
    if (ok) {
        unlink(out);
        int wrc = bn_run_worker("district", log, (seconds + 180) * 1000,
                                "home=%s rate=%d seconds=%d window=16 step_ms=%d ids=%s out=%s", home, rate, seconds,
                                quick ? 100 : 300, ids, out);
        bn_result lr;
        if (wrc == 0 && bn_result_read(&lr, out) == 0) {
            for (int i = 0; i < lr.n; i++)
                bn_result_set(r, lr.key[i], lr.val[i]);
            /* Drain: every grid's and township's outbox empty (all cases and
             * verifies applied at their community). */
            int64_t d0 = bn_now_us();
            long pend = -1;
            while (bn_now_us() - d0 < 120000000) {
                pend = pending_total(home, t, GRIDLINK__V1__TIER__TIER_GRID);
                long tp = pend == 0 ? pending_total(home, t, GRIDLINK__V1__TIER__TIER_TOWNSHIP) : -1;
                if (pend == 0 && tp == 0)
                    break;
                bn_sleep_ms(200);
            }
            double drain = (double)(bn_now_us() - d0) / 1e6;
            bn_result_set(r, "drain_s", drain);
            bn_result_set(r, "pending_after_drain", (double)pend);
            /* The view has caught up when the broker has applied as many
             * events as the nodes have logged. */
            for (int64_t l0 = bn_now_us(); lag && bn_now_us() - l0 < 60000000; bn_sleep_ms(200)) {
                long long logged = logged_total(home, t);
                if (lag_read(curl, murl, mfile, log, &lag1) != 0) {
                    lag = false;
                    break;
                }
                if (logged >= 0 && lag1.events >= (double)logged)
                    break;
            }
            if (lag) {
                bn_result_set(r, "view_lag_p50_ms", lag_quantile(&lag0, &lag1, 0.5));
                bn_result_set(r, "view_lag_p99_ms", lag_quantile(&lag0, &lag1, 0.99));
                bn_result_set(r, "view_lag_events", lag1.cum[lag1.n - 1] - lag0.cum[lag0.n - 1]);
                bn_result_set(r, "view_replayed", lag1.replayed - lag0.replayed);
                bn_result_set(r, "view_gaps", lag1.gaps - lag0.gaps);
                double cpu = bn_cpu_us(pids[0]) - broker_cpu0;
                if (broker_cpu0 >= 0 && cpu >= 0 && lag1.events > lag0.events)
                    bn_result_set(r, "broker_cpu_us", cpu / (lag1.events - lag0.events));
            }
            rc = 0;
        } else {
            fprintf(stderr, "bench: district: the load worker failed (see %s)\n", log);
        }
    } else {
        fprintf(stderr, "bench: district: not every node came up (see %s)\n", log);
    }
    for (int i = np - 1; i >= 0; i--)
        bn_stop(pids[i], 15000);
    if (rc != 0) {
        gl_topology_free(&t);
        return rc;
    }

    /* The check: every acknowledged report received once at its community,
     * every verified case closed there. */
    zhashx_t *count = zhashx_new();
    zhashx_set_destructor(count, NULL);
    zhashx_set_duplicator(count, NULL);
    uint64_t received = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        if (t->nodes[i].tier != GRIDLINK__V1__TIER__TIER_COMMUNITY)
            continue;
        char dir[PATH_MAX];
        gl_home_path(dir, sizeof dir, home, "data/%s", t->nodes[i].id);
        gl_store_opts o = {.read_only = true};
        gl_store_t *st;
        if (gl_store_open(dir, t->nodes[i].id, &o, &st) != 0)
            continue;
        MDB_txn *txn;
        if (gl_store_begin(st, NULL, false, &txn) == 0) {
            uint64_t last = 0;
            gl_store_log_last(txn, st, &last);
            for (uint64_t s = 1; s <= last; s++) {
                Gridlink__V1__BusEvent *ev;
                if (gl_store_log_get(txn, st, s, &ev) != 0)
                    continue;
                if (strcmp(ev->kind, "received") == 0 && ev->case_id[0]) {
                    uintptr_t c = (uintptr_t)zhashx_lookup(count, ev->case_id);
                    if (c)
                        zhashx_update(count, ev->case_id, (void *)(c + 1));
                    else
                        zhashx_insert(count, ev->case_id, (void *)(uintptr_t)1);
                    received++;
                }
                gridlink__v1__bus_event__free_unpacked(ev, NULL);
            }
            gl_store_abort(txn);
        }
        gl_store_close(&st);
    }
    uint64_t lost = 0, dup = 0, acked = 0, verified = 0, closed = 0, open_left = 0;
    FILE *f = fopen(ids, "r");
    char line[512];
    /* Every community's store open for reading at once, by ID. */
    zhashx_t *stores = zhashx_new();
    zhashx_set_destructor(stores, NULL);
    zhashx_set_duplicator(stores, NULL);
    gl_store_t **sts = calloc(t->n_nodes, sizeof *sts);
    MDB_txn **txns = calloc(t->n_nodes, sizeof *txns);
    for (size_t i = 0; i < t->n_nodes; i++) {
        if (t->nodes[i].tier != GRIDLINK__V1__TIER__TIER_COMMUNITY)
            continue;
        char dir[PATH_MAX];
        gl_home_path(dir, sizeof dir, home, "data/%s", t->nodes[i].id);
        gl_store_opts o = {.read_only = true};
        if (gl_store_open(dir, t->nodes[i].id, &o, &sts[i]) != 0)
            continue;
        if (gl_store_begin(sts[i], NULL, false, &txns[i]) != 0)
            continue;
        zhashx_insert(stores, t->nodes[i].id, (void *)(uintptr_t)(i + 1));
    }
    while (f && fgets(line, sizeof line, f)) {
        char id[256], comm[GL_NODE_ID_MAX + 1], kind;
        int done;
        if (sscanf(line, "%255s %128s %c %d", id, comm, &kind, &done) != 4)
            continue;
        if (kind == 'r') {
            acked++;
            uintptr_t c = (uintptr_t)zhashx_lookup(count, id);
            if (c == 0)
                lost++;
            else if (c > 1)
                dup++;
        }
        if (!done) {
            open_left++;
            continue;
        }
        verified++;
        uintptr_t k = (uintptr_t)zhashx_lookup(stores, comm);
        Gridlink__V1__Case *c = NULL;
        if (k && gl_store_case_get(txns[k - 1], sts[k - 1], id, &c) == 0) {
            closed += c->state == GRIDLINK__V1__CASE_STATE__STATE_CLOSED;
            gridlink__v1__case__free_unpacked(c, NULL);
        }
    }
    for (size_t i = 0; i < t->n_nodes; i++) {
        if (txns[i])
            gl_store_abort(txns[i]);
        if (sts[i])
            gl_store_close(&sts[i]);
    }
    free(sts);
    free(txns);
    zhashx_destroy(&stores);
    if (f)
        fclose(f);
    double load_s = bn_result_get(r, "seconds", seconds);
    double drain_s = bn_result_get(r, "drain_s", 0);
    bn_result_set(r, "received", (double)received);
    bn_result_set(r, "lost", (double)lost);
    bn_result_set(r, "duplicated", (double)dup);
    bn_result_set(r, "delivered_tput", (double)(acked - lost) / (load_s + drain_s));
    bn_result_set(r, "closed", (double)closed);
    bn_result_set(r, "verified_not_closed", (double)(verified - closed));
    bn_result_set(r, "not_closed_at_end", (double)open_left);
    double life_s = bn_result_get(r, "lifecycle_s", load_s);
    bn_result_set(r, "lifecycle_tput", (double)closed / (life_s + drain_s));
    zhashx_destroy(&count);
    gl_topology_free(&t);
    return 0;
}
