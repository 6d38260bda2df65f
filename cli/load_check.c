/* load_check.c: the check of `gridlink load`, after a load or alone with
 * --check-only FILE (see load.h).
 *
 * Wait until no node on the checked paths has anything in its outbox
 * (health.outbox_pending), then take a census of every node on those paths
 * (the prefix's subtree and its ancestors, plus the path of every acked
 * case's origin) and read their logs. An acked case is found when exactly
 * one node holds it (holder is itself), lost when none does; following
 * holder pointers from the origin's copy up the path must lead to that node
 * (else "inconsistent"). A case is duplicated when two nodes hold it, when
 * one node logged "received" or "reported" for it twice, or when the same
 * ID was acknowledged twice. Cases not minted at a grid (tasks, requests
 * taken in above) are not the load's and are not judged. The census is taken again until two in a row
 * saw the same copies (case, holder, state, version) at every node with
 * every outbox empty before and after each, so that no case was moving
 * while it was taken (deadlines may still be escalating cases when the load
 * ends), up to the timeout; the log check is not repeated. stdout gets
 * exactly one line, "N acked, N found, N lost, N duplicated"; details go to
 * stderr.
 *
 * Ownership: cli_load_check owns the check's hash table (case ID -> record,
 * keys and records owned by the table) and the node set, and frees both
 * before it returns; the scope is borrowed. CtlReply messages are freed
 * right after use. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>

#include "cli.h"
#include "codec.h"
#include "ctl.h"
#include "error.h"
#include "load.h"

#define CALL_TIMEOUT_MS 3000
#define PAGE            5000
#define MAX_DEPTH       8  /* district, township, community, grid: 4; room for deeper trees */
#define SHOW_MAX        10 /* anomalies listed one by one on stderr */

struct rec {
    int16_t path[MAX_DEPTH];      /* topology indexes: origin, its parent, ... root */
    int16_t holder_at[MAX_DEPTH]; /* holder named by the copy at path[k]: index, -1 no copy, -2 unknown node */
    uint8_t depth;                /* 0: origin unknown */
    uint8_t self;                 /* nodes holding it (holder == the node itself) */
    int8_t held_k;                /* where, on the path, the last such node is */
    uint8_t acked;                /* times the ID was acknowledged */
    bool off_path;                /* a copy at a node not on its path */
    bool dup_logged;              /* received/reported twice at one node */
};

struct check {
    const struct cli_load_scope *L;
    zhashx_t *cases; /* case id -> struct rec (both owned) */
    bool *in_set;    /* nodes to settle, count and read, by topology index */
    uint64_t acked_lines, dup_log_events, copies;
    uint64_t digest; /* of the census being taken (see census_node) */
};

static void rec_free(void **p)
{
    free(*p);
    *p = NULL;
}

static struct rec *rec_get(struct check *C, const char *id)
{
    struct rec *r = zhashx_lookup(C->cases, id);
    if (r)
        return r;
    r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->held_k = -1;
    for (int k = 0; k < MAX_DEPTH; k++)
        r->holder_at[k] = -1;
    /* The origin is the ID without its "-counter". */
    const char *dash = strrchr(id, '-');
    char origin[GL_NODE_ID_MAX + 1];
    size_t n = dash ? (size_t)(dash - id) : 0;
    if (n > 0 && n <= GL_NODE_ID_MAX) {
        memcpy(origin, id, n);
        origin[n] = 0;
        int i = gl_topology_index_of(C->L->topo, origin);
        while (i >= 0 && r->depth < MAX_DEPTH) {
            r->path[r->depth++] = (int16_t)i;
            i = C->L->topo->nodes[i].parent;
        }
        if (i >= 0)
            r->depth = 0; /* deeper than we can follow: treated as unknown */
    }
    if (zhashx_insert(C->cases, id, r) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

static void mark_path(struct check *C, int i)
{
    for (; i >= 0; i = C->L->topo->nodes[i].parent)
        C->in_set[i] = true;
}

static int load_acked(struct check *C, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cli_fail("load", "cannot read %s: %s", path, strerror(errno));
    char line[1024];
    size_t lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strcspn(line, "\r\n");
        if (line[n] == 0 && !feof(f)) {
            rc = cli_fail("load", "%s:%zu: line too long", path, lineno);
            break;
        }
        line[n] = 0;
        if (n == 0 || line[0] == '#')
            continue;
        if (!gl_utf8_valid(line, n) || strchr(line, ' ')) {
            rc = cli_fail("load", "%s:%zu: not a case ID", path, lineno);
            break;
        }
        struct rec *r = rec_get(C, line);
        if (!r) {
            rc = cli_fail("load", "out of memory");
            break;
        }
        if (r->acked < UINT8_MAX)
            r->acked++;
        C->acked_lines++;
        if (r->depth)
            mark_path(C, r->path[0]);
    }
    fclose(f);
    return rc;
}

/* One health pass over the set: true when every node answered and none has
 * anything in its outbox; *pending and why (when not) say what is left. */
static bool outboxes_empty(struct check *C, uint64_t *pending, char *why, size_t whylen)
{
    const struct cli_load_scope *L = C->L;
    bool all = true;
    *pending = 0;
    for (size_t i = 0; i < L->topo->n_nodes && !cli_load_interrupted; i++) {
        if (!C->in_set[i])
            continue;
        Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
        req.node = L->topo->nodes[i].id;
        req.op = "health";
        Gridlink__V1__CtlReply *rep = NULL;
        char err[256] = "no answer";
        if (gl_ctl_call(L->home, &req, 1000, &rep, err, sizeof err) != 0 || rep->code != 0 || !rep->health) {
            all = false;
            snprintf(why, whylen, "%s: %s", req.node, rep ? "health refused" : err);
        } else if (rep->health->outbox_pending) {
            *pending += rep->health->outbox_pending;
            snprintf(why, whylen, "%" PRIu64 " messages pending at %s", rep->health->outbox_pending, req.node);
        }
        if (rep)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    }
    return all && *pending == 0 && !cli_load_interrupted;
}

/* Wait until nothing is pending in any outbox of the set; 0 when settled. */
static int settle(struct check *C, int timeout_s)
{
    int64_t t0 = cli_load_now_us(), deadline = t0 + (int64_t)timeout_s * 1000000;
    char why[512] = "";
    uint64_t pending;
    for (;;) {
        if (outboxes_empty(C, &pending, why, sizeof why)) {
            fprintf(stderr, "gridlink load: outboxes drained after %.1f s\n", (double)(cli_load_now_us() - t0) / 1e6);
            return 0;
        }
        if (cli_load_interrupted)
            return GL_ETIMEDOUT;
        if (cli_load_now_us() >= deadline) {
            fprintf(stderr, "gridlink load: not settled after %d s (%s); checking anyway\n", timeout_s, why);
            return GL_ETIMEDOUT;
        }
        usleep(200000);
    }
}

/* One control call, tried again while the node is down until the deadline. */
static int call_retry(const struct cli_load_scope *L, Gridlink__V1__CtlRequest *req, int64_t deadline,
                      Gridlink__V1__CtlReply **rep)
{
    char err[256] = "no answer";
    for (;;) {
        int rc = gl_ctl_call(L->home, req, CALL_TIMEOUT_MS, rep, err, sizeof err);
        if (rc == 0 && (*rep)->code == 0)
            return 0;
        if (rc == 0) {
            snprintf(err, sizeof err, "%s", (*rep)->error ? (*rep)->error : gl_strerror((*rep)->code));
            rc = (*rep)->code;
            gridlink__v1__ctl_reply__free_unpacked(*rep, NULL);
            *rep = NULL;
        }
        if (cli_load_interrupted || cli_load_now_us() >= deadline || (rc != GL_EDOWN && rc != GL_ETIMEDOUT)) {
            fprintf(stderr, "gridlink load: %s at %s failed: %s\n", req->op, req->node, err);
            return rc ? rc : GL_EIO;
        }
        usleep(200000);
    }
}

static void census_reset(struct check *C)
{
    for (struct rec *r = zhashx_first(C->cases); r; r = zhashx_next(C->cases)) {
        r->self = 0;
        r->held_k = -1;
        r->off_path = false;
        for (int k = 0; k < MAX_DEPTH; k++)
            r->holder_at[k] = -1;
    }
    C->copies = 0;
    C->digest = 14695981039346656037ull;
}

/* FNV-1a over bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* One node's part of the census; every copy it lists (case, holder, state,
 * version) also goes into C->digest, so two censuses that saw the same
 * copies everywhere have the same digest. */
static int census_node(struct check *C, int idx, int64_t deadline)
{
    const struct cli_load_scope *L = C->L;
    const char *id = L->topo->nodes[idx].id;
    char after[512] = "";
    uint64_t offset = 0;
    for (;;) {
        Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
        req.node = (char *)id;
        req.op = "census";
        req.case_id = after;
        req.from_seq = offset;
        req.max = PAGE;
        Gridlink__V1__CtlReply *rep = NULL;
        int rc = call_retry(L, &req, deadline, &rep);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < rep->n_cases; i++) {
            const Gridlink__V1__Case *c = rep->cases[i];
            if (!c->id || !c->id[0])
                continue;
            struct rec *r = rec_get(C, c->id);
            if (!r) {
                gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
                return GL_ENOMEM;
            }
            C->copies++;
            uint64_t d = fnv(C->digest, &idx, sizeof idx);
            d = fnv(d, c->id, strlen(c->id) + 1);
            d = fnv(d, c->holder ? c->holder : "", c->holder ? strlen(c->holder) + 1 : 1);
            d = fnv(d, &c->state, sizeof c->state);
            C->digest = fnv(d, &c->version, sizeof c->version);
            int k = 0;
            while (k < r->depth && r->path[k] != idx)
                k++;
            if (k == r->depth) {
                r->off_path = true;
                continue;
            }
            int h = c->holder ? gl_topology_index_of(L->topo, c->holder) : -1;
            r->holder_at[k] = (int16_t)(h >= 0 ? h : -2);
            if (h == idx) {
                if (r->self < UINT8_MAX)
                    r->self++;
                r->held_k = (int8_t)k;
            }
        }
        bool more = rep->next_seq != 0 && rep->n_cases > 0 && rep->case_id && rep->case_id[0];
        if (more) {
            snprintf(after, sizeof after, "%s", rep->case_id);
            offset = rep->next_seq;
        }
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        if (!more)
            return 0;
    }
}

/* Was the case minted at a grid (the load's own traffic)? A task or a
 * request is received again each time it is assigned back, by design. */
static bool grid_minted(const struct cli_load_scope *L, const char *case_id)
{
    const char *dash = strrchr(case_id, '-');
    char origin[GL_NODE_ID_MAX + 1];
    size_t n = dash ? (size_t)(dash - case_id) : 0;
    if (!n || n >= sizeof origin)
        return false;
    memcpy(origin, case_id, n);
    origin[n] = 0;
    const gl_node_t *o = gl_topology_find(L->topo, origin);
    return o && o->tier == GRIDLINK__V1__TIER__TIER_GRID;
}

static int scan_log(struct check *C, int idx, int64_t deadline)
{
    const struct cli_load_scope *L = C->L;
    const char *id = L->topo->nodes[idx].id;
    zhashx_t *seen = zhashx_new();
    if (!seen)
        return GL_ENOMEM;
    uint64_t from = 1;
    int rc = 0;
    while (rc == 0) {
        Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
        req.node = (char *)id;
        req.op = "log";
        req.from_seq = from;
        req.max = PAGE;
        Gridlink__V1__CtlReply *rep = NULL;
        rc = call_retry(L, &req, deadline, &rep);
        if (rc != 0)
            break;
        for (size_t i = 0; i < rep->n_events; i++) {
            const Gridlink__V1__BusEvent *ev = rep->events[i];
            if (!ev->case_id || !ev->case_id[0] || !ev->kind ||
                (strcmp(ev->kind, "received") != 0 && strcmp(ev->kind, "reported") != 0) ||
                !grid_minted(L, ev->case_id))
                continue;
            char key[600];
            snprintf(key, sizeof key, "%s %s", ev->kind, ev->case_id);
            if (zhashx_lookup(seen, key)) {
                C->dup_log_events++;
                struct rec *r = rec_get(C, ev->case_id);
                if (r)
                    r->dup_logged = true;
                if (C->dup_log_events <= SHOW_MAX)
                    fprintf(stderr, "gridlink load: %s logged '%s' twice for %s (again at seq %" PRIu64 ")\n", id,
                            ev->kind, ev->case_id, ev->seq);
            } else {
                zhashx_insert(seen, key, (void *)1);
            }
        }
        bool more = rep->next_seq != 0 && rep->next_seq > from;
        from = rep->next_seq;
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        if (!more)
            break;
    }
    zhashx_destroy(&seen);
    return rc;
}

struct verdict {
    uint64_t acked, found, lost, duplicated, inconsistent, off_path, unknown_origin;
};

/* Follow holder pointers from the origin's copy up the path; true if they
 * end at the node that holds the case. */
static bool chain_ok(const struct rec *r)
{
    int k = 0;
    for (int steps = 0; steps < MAX_DEPTH; steps++) {
        int h = r->holder_at[k];
        if (h < 0)
            return false; /* no copy on the way, or a holder we do not know */
        if (h == r->path[k])
            return k == r->held_k;
        int j = k + 1;
        while (j < r->depth && r->path[j] != h)
            j++;
        if (j == r->depth)
            return false; /* points off the path */
        k = j;
    }
    return false;
}

static void describe(const struct check *C, const char *id, const struct rec *r, const char *what)
{
    char buf[1024];
    size_t o = 0;
    for (int k = 0; k < r->depth && o < sizeof buf; k++) {
        int h = r->holder_at[k];
        o += (size_t)snprintf(buf + o, sizeof buf - o, " %s:%s", C->L->topo->nodes[r->path[k]].id,
                              h == -1   ? "(no copy)"
                              : h == -2 ? "(unknown holder)"
                                        : C->L->topo->nodes[h].id);
    }
    fprintf(stderr, "gridlink load: %s %s; copies along its path (node:holder):%s\n", what, id, o ? buf : " none");
}

static struct verdict judge(const struct check *C, bool verbose)
{
    struct verdict v = {0};
    uint64_t shown = 0;
    zhashx_t *h = C->cases;
    for (struct rec *r = zhashx_first(h); r; r = zhashx_next(h)) {
        const char *id = zhashx_cursor(h);
        /* The load reports at grids; cases minted elsewhere (tasks
         * dispatched down, requests taken in above) move by other rules and
         * are someone else's traffic: not judged here. */
        if (!r->acked && r->depth > 0 && C->L->topo->nodes[r->path[0]].tier != GRIDLINK__V1__TIER__TIER_GRID)
            continue;
        bool dup = r->self > 1 || r->acked > 1 || r->dup_logged;
        if (dup)
            v.duplicated++;
        if (r->off_path)
            v.off_path++;
        if (verbose && dup && shown++ < SHOW_MAX)
            describe(C, id, r,
                     r->acked > 1  ? "acknowledged twice:"
                     : r->self > 1 ? "held by two nodes:"
                                   : "logged twice:");
        if (!r->acked)
            continue;
        v.acked += r->acked;
        if (r->depth == 0) {
            v.unknown_origin++;
            v.lost++;
            if (verbose && shown++ < SHOW_MAX)
                fprintf(stderr, "gridlink load: %s names no node of the topology\n", id);
            continue;
        }
        if (r->self == 0) {
            v.lost++;
            if (verbose && shown++ < SHOW_MAX)
                describe(C, id, r, "lost:");
            continue;
        }
        v.found++;
        if (r->self == 1 && !chain_ok(r)) {
            v.inconsistent++;
            if (verbose && shown++ < SHOW_MAX)
                describe(C, id, r, "holder chain broken:");
        }
    }
    return v;
}

int cli_load_check(const struct cli_load_scope *L, const char *acked_path, int settle_s)
{
    struct check C = {.L = L};
    C.cases = zhashx_new();
    C.in_set = calloc(L->topo->n_nodes, sizeof *C.in_set);
    if (!C.cases || !C.in_set) {
        zhashx_destroy(&C.cases);
        free(C.in_set);
        return cli_fail("load", "out of memory");
    }
    zhashx_set_destructor(C.cases, rec_free);
    int rc = 0;
    /* The prefix's subtree and its ancestors: every node an acked case of
     * this prefix can be at. */
    for (size_t i = 0; i < L->topo->n_nodes; i++)
        if (gl_topology_in_subtree(L->prefix, L->topo->nodes[i].id))
            mark_path(&C, (int)i);
    if (load_acked(&C, acked_path) != 0) {
        rc = 1;
        goto out;
    }
    settle(&C, settle_s);
    if (cli_load_interrupted) {
        rc = cli_fail("load", "interrupted before the check");
        goto out;
    }
    int64_t deadline = cli_load_now_us() + (int64_t)(settle_s > 30 ? settle_s : 30) * 1000000;
    size_t n_set = 0;
    for (size_t i = 0; i < L->topo->n_nodes; i++)
        n_set += C.in_set[i];
    for (size_t i = 0; i < L->topo->n_nodes && rc == 0; i++)
        if (C.in_set[i] && scan_log(&C, (int)i, deadline) != 0)
            rc = cli_fail("load", "cannot read the log of %s", L->topo->nodes[i].id);
    /* Deadlines may still be moving cases up the tree, and a case in flight
     * (its old holder already names the new one, which has not applied it
     * yet), or one that moved between the visits of two nodes, would look
     * lost. So the census is taken until two in a row saw the same copies
     * everywhere, with every outbox empty before and after each: then
     * nothing moved while it was taken. */
    struct verdict v = {0};
    bool stable = false, quiet_pair = false;
    uint64_t prev = 0;
    int censuses = 0;
    char why[512] = "";
    while (rc == 0 && !cli_load_interrupted) {
        uint64_t pending = 0;
        why[0] = 0;
        bool quiet = outboxes_empty(&C, &pending, why, sizeof why);
        census_reset(&C);
        for (size_t i = 0; i < L->topo->n_nodes && rc == 0; i++)
            if (C.in_set[i] && census_node(&C, (int)i, deadline) != 0)
                rc = cli_fail("load", "cannot take the census of %s", L->topo->nodes[i].id);
        if (rc != 0)
            break;
        censuses++;
        fprintf(stderr, "gridlink load: census %d: %" PRIu64 " copies\n", censuses, C.copies);
        quiet = quiet && outboxes_empty(&C, &pending, why, sizeof why);
        if (quiet && quiet_pair && C.digest == prev) {
            stable = true;
            break;
        }
        if (!quiet_pair || C.digest != prev)
            snprintf(why + strlen(why), sizeof why - strlen(why), "%scopies changed since the last census",
                     why[0] ? "; " : "");
        quiet_pair = quiet;
        prev = C.digest;
        if (cli_load_now_us() >= deadline)
            break;
        usleep((useconds_t)L->census_pause_ms * 1000);
    }
    if (rc == 0 && !cli_load_interrupted) {
        v = judge(&C, false);
        bool clean = v.lost == 0 && v.duplicated == 0 && v.inconsistent == 0 && v.off_path == 0;
        if (!clean)
            judge(&C, true);
        if (stable)
            fprintf(stderr, "gridlink load: census %d agrees with census %d and every outbox is empty\n", censuses,
                    censuses - 1);
        else
            fprintf(stderr,
                    "gridlink load: cases were still moving after %d censuses (%s); the verdict below is not "
                    "final\n",
                    censuses, why[0] ? why : "no quiet census");
    } else if (rc == 0) {
        rc = cli_fail("load", "interrupted during the census");
    }
    if (rc != 0)
        goto out;
    fprintf(stderr,
            "gridlink load: checked %zu nodes: %zu cases seen in %" PRIu64 " copies; %" PRIu64
            " duplicate log events, %" PRIu64 " inconsistent holder chains, %" PRIu64 " copies off their path\n",
            n_set, zhashx_size(C.cases), C.copies, C.dup_log_events, v.inconsistent, v.off_path);
    printf("%" PRIu64 " acked, %" PRIu64 " found, %" PRIu64 " lost, %" PRIu64 " duplicated\n", v.acked, v.found, v.lost,
           v.duplicated);
    fflush(stdout);
    if (v.lost || v.duplicated || v.inconsistent || v.off_path)
        rc = 1;
out:
    zhashx_destroy(&C.cases);
    free(C.in_set);
    return rc;
}
