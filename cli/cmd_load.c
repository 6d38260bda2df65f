/* cmd_load.c: `gridlink load`, the load generator and its loss/duplicate
 * check.
 *
 * Load: N cases are submitted at R per second, spread round-robin over the
 * grids under --prefix. Each grid is a simulated device group: one DEALER on
 * the control socket of the process hosting it (ipc://HOME/run/GRID.sock),
 * with up to W submits in flight. A DEALER/ROUTER pair keeps order per
 * connection and the node answers a connection's submits in arrival order,
 * so replies are matched to requests by order; each request also carries a
 * token in its text ("gridlink load RUN #K"), which the node echoes back in
 * the case it returns, so a reply is checked against the request it answers
 * and requests the node never answered are noticed. A reply with a case is
 * an acknowledgement: the case ID is appended at once (one write(2) a line)
 * to HOME/load/acked-STAMP.txt, so a crash of the generator keeps it. An
 * error reply, a request the node skipped, or no reply within the request
 * timeout (node down, process killed) is an unacked attempt: the case is
 * submitted again later at the same grid (it may exist once or not at all,
 * and is not checked). On a timeout the socket is replaced, so a late reply
 * can never be taken for another request's.
 *
 * Check (also alone, with --check-only FILE): wait until no node on the
 * checked paths has anything in its outbox (health.outbox_pending), then
 * take a census of every node on those paths (the prefix's subtree and its
 * ancestors, plus the path of every acked case's origin) and read their
 * logs. An acked case is found when exactly one node holds it (holder is
 * itself), lost when none does; following holder pointers from the origin's
 * copy up the path must lead to that node (else "inconsistent"). A case is
 * duplicated when two nodes hold it, when one node logged "received" or
 * "reported" for it twice, or when the same ID was acknowledged twice. The
 * census is taken again until two in a row saw the same copies (case,
 * holder, state, version) at every node with every outbox empty before and
 * after each, so that no case was moving while it was taken (deadlines may
 * still be escalating cases when the load ends), up to the timeout; the
 * log check is not repeated. stdout
 * gets exactly one line, "N acked, N found, N lost, N duplicated"; details,
 * throughput and latency go to stderr. Exit 0 only with nothing lost,
 * duplicated or inconsistent (and, for a load, all N cases acknowledged).
 *
 * Ownership: everything is owned by the struct load on gl_cmd_load's stack
 * and freed before it returns: the topology, the grid array with each
 * grid's socket and in-flight ring, the latency array, the acked file
 * descriptor and the check's hash table (keys and records owned by the
 * table). CtlReply messages are freed right after use. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <czmq.h>

#include "cli.h"
#include "codec.h"
#include "ctl.h"
#include "error.h"
#include "home.h"
#include "sock.h"

#define MAX_CASES       100000000ull
#define MAX_WINDOW      1024
#define RETRY_DELAY_US  250000 /* a failed submit waits this long before it goes again */
#define PROGRESS_US     5000000
#define CALL_TIMEOUT_MS 3000
#define PAGE            5000
#define MAX_DEPTH       8  /* district, township, community, grid: 4; room for deeper trees */
#define SHOW_MAX        10 /* anomalies listed one by one on stderr */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- load ---------------------------------------------------------------- */

struct flight {
    uint64_t token;
    int64_t sent_us;
};

struct grid {
    const gl_node_t *node;
    zsock_t *sock;
    struct flight *ring; /* in-flight submits in send order, capacity = window */
    size_t head, n;
    uint64_t retries;   /* failed submits waiting to go again */
    int64_t hold_until; /* no send before this (after a failure) */
    uint64_t acked;
};

struct load {
    const char *home, *prefix, *check_file;
    uint64_t cases;
    double rate;
    uint32_t window;
    int timeout_s, request_ms;
    int census_pause_ms; /* between two censuses of the check */
    gl_topology_t *topo;
    struct grid *grids;
    size_t n_grids;
    char run[128]; /* token prefix of this run's requests */
    char acked_path[PATH_MAX];
    int acked_fd;
    /* counters */
    uint64_t attempts, issued, acked, late_acks, unacked, timeouts, errors, skipped, send_fail, strays;
    int last_error;
    char last_error_text[256];
    uint32_t *lat_us; /* submit-to-ack latency of each acked case */
    size_t n_lat, cap_lat;
    int64_t t_start, t_last_ack;
    bool write_failed;
};

static int grid_connect(struct load *L, struct grid *g)
{
    char path[PATH_MAX];
    if (gl_home_path(path, sizeof path, L->home, "run/%s.sock", g->node->id) != 0)
        return GL_EINVAL;
    zsock_t *s = gl_sock_new(ZMQ_DEALER, GL_MAX_CTL_REPLY_FRAME);
    if (!s)
        return GL_EIO;
    zsock_set_sndhwm(s, (int)L->window * 2 + 16);
    /* Connecting to a socket that is not there yet is fine: ZeroMQ keeps
     * trying, and a node restarted by `up` links its new socket to the same
     * name. */
    if (zsock_connect(s, "ipc://%s", path) != 0) {
        zsock_destroy(&s);
        return GL_EIO;
    }
    g->sock = s;
    return GL_OK;
}

static void note_error(struct load *L, int code, const char *text)
{
    L->errors++;
    L->last_error = code;
    snprintf(L->last_error_text, sizeof L->last_error_text, "%s", text && text[0] ? text : gl_strerror(code));
}

/* The attempt at the head of g's ring got no acknowledgement: count it and
 * queue its case again at the same grid. */
static void fail_head(struct load *L, struct grid *g, int64_t now)
{
    g->head = (g->head + 1) % L->window;
    g->n--;
    L->unacked++;
    g->retries++;
    g->hold_until = now + RETRY_DELAY_US;
}

static void record_ack(struct load *L, const char *case_id, int64_t latency_us, int64_t now)
{
    char line[512];
    int k = snprintf(line, sizeof line, "%s\n", case_id);
    if (k <= 0 || (size_t)k >= sizeof line || write(L->acked_fd, line, (size_t)k) != k) {
        if (!L->write_failed)
            fprintf(stderr, "gridlink load: cannot append to %s: %s\n", L->acked_path, strerror(errno));
        L->write_failed = true;
    }
    if (latency_us >= 0) {
        if (L->n_lat == L->cap_lat) {
            size_t cap = L->cap_lat ? L->cap_lat * 2 : 4096;
            uint32_t *a = realloc(L->lat_us, cap * sizeof *a);
            if (a) {
                L->lat_us = a;
                L->cap_lat = cap;
            }
        }
        if (L->n_lat < L->cap_lat)
            L->lat_us[L->n_lat++] = latency_us > UINT32_MAX ? UINT32_MAX : (uint32_t)latency_us;
    }
    L->t_last_ack = now;
}

/* The token of one of this run's requests in a case text, or 0. */
static uint64_t token_of(const struct load *L, const char *text)
{
    size_t n = strlen(L->run);
    if (!text || strncmp(text, L->run, n) != 0)
        return 0;
    char *end;
    unsigned long long t = strtoull(text + n, &end, 10);
    return *end == 0 ? (uint64_t)t : 0;
}

static void on_reply(struct load *L, struct grid *g, const uint8_t *buf, size_t len, int64_t now)
{
    char err[256];
    Gridlink__V1__CtlReply *rep = NULL;
    if (gl_decode_ctl_reply(buf, len, &rep, err, sizeof err) != 0) {
        note_error(L, GL_EPROTO, err);
        if (g->n)
            fail_head(L, g, now);
        return;
    }
    const Gridlink__V1__Case *c = rep->case_;
    if (rep->code != 0 || !c || !c->id || !c->id[0]) {
        /* An error answers the oldest request still waiting. */
        note_error(L, rep->code ? rep->code : GL_EPROTO, rep->error);
        if (g->n)
            fail_head(L, g, now);
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return;
    }
    uint64_t tok = token_of(L, c->text);
    size_t pos = 0;
    while (pos < g->n && g->ring[(g->head + pos) % L->window].token != tok)
        pos++;
    if (tok == 0 || pos == g->n) {
        /* Not a request of ours that is waiting: from another client, or one
         * already given up on. If it is ours, the node did acknowledge it,
         * so it is recorded and checked like any other. */
        if (tok != 0) {
            L->late_acks++;
            record_ack(L, c->id, -1, now);
        } else {
            L->strays++;
        }
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return;
    }
    /* Requests sent before this one got no reply at all: the node skipped
     * them. They are unacked attempts like any other failure. */
    for (size_t i = 0; i < pos; i++) {
        L->skipped++;
        fail_head(L, g, now);
    }
    struct flight *f = &g->ring[g->head];
    g->head = (g->head + 1) % L->window;
    g->n--;
    g->acked++;
    L->acked++;
    record_ack(L, c->id, now - f->sent_us, now);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static void drain(struct load *L, struct grid *g, int64_t now)
{
    void *s = zsock_resolve(g->sock);
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        bool more = zmq_msg_more(&m);
        if (!more)
            on_reply(L, g, zmq_msg_data(&m), zmq_msg_size(&m), now);
        zmq_msg_close(&m);
        while (more) { /* a node answers with one frame; drop any extra */
            zmq_msg_t x;
            zmq_msg_init(&x);
            if (zmq_msg_recv(&x, s, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&x);
                break;
            }
            more = zmq_msg_more(&x);
            zmq_msg_close(&x);
        }
    }
}

static const char *categories[] = {"urban/roads", "governance/safety", "services/elderly", "party/activities"};

/* Send one submit on g; 0, or GL_EAGAIN if the socket would not take it. */
static int submit(struct load *L, struct grid *g, int64_t now)
{
    uint64_t token = ++L->attempts;
    char text[sizeof L->run + 24];
    snprintf(text, sizeof text, "%s%" PRIu64, L->run, token);
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = g->node->id;
    req.op = "submit";
    req.category = (char *)categories[token % (sizeof categories / sizeof categories[0])];
    req.text = text;
    req.reporter = "gridlink load";
    uint8_t *buf;
    size_t len;
    int rc = gl_pack(&req.base, &buf, &len);
    if (rc != 0)
        return rc;
    rc = zmq_send(zsock_resolve(g->sock), buf, len, ZMQ_DONTWAIT);
    free(buf);
    if (rc < 0) {
        L->send_fail++;
        g->hold_until = now + RETRY_DELAY_US;
        return GL_EAGAIN;
    }
    struct flight *f = &g->ring[(g->head + g->n) % L->window];
    f->token = token;
    f->sent_us = now;
    g->n++;
    return GL_OK;
}

/* Start as many submits as the rate allows, round-robin over the grids. */
static void dispatch(struct load *L, double *credit, size_t *rr, int64_t now)
{
    bool progress = true;
    while (progress && *credit >= 1.0) {
        progress = false;
        for (size_t k = 0; k < L->n_grids && *credit >= 1.0; k++) {
            struct grid *g = &L->grids[(*rr + k) % L->n_grids];
            if (g->n >= L->window || now < g->hold_until)
                continue;
            if (!g->sock && grid_connect(L, g) != 0) {
                g->hold_until = now + RETRY_DELAY_US;
                continue;
            }
            bool retry = g->retries > 0;
            if (!retry && L->issued >= L->cases)
                continue;
            if (submit(L, g, now) != 0)
                continue;
            if (retry)
                g->retries--;
            else
                L->issued++;
            *credit -= 1.0;
            progress = true;
        }
        *rr = (*rr + 1) % L->n_grids;
    }
}

static void expire(struct load *L, struct grid *g, int64_t now)
{
    if (g->n == 0 || now - g->ring[g->head].sent_us < (int64_t)L->request_ms * 1000)
        return;
    /* The oldest request had no answer in time: the node is down or was
     * killed. Everything in flight on this connection is given up, and a
     * fresh socket makes sure no late reply is matched to a new request. */
    L->timeouts++;
    while (g->n)
        fail_head(L, g, now);
    zsock_destroy(&g->sock);
    if (grid_connect(L, g) != 0)
        g->hold_until = now + RETRY_DELAY_US;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void report_load(struct load *L)
{
    double secs = (double)((L->t_last_ack > L->t_start ? L->t_last_ack : now_us()) - L->t_start) / 1e6;
    double p50 = 0, p99 = 0, pmax = 0;
    if (L->n_lat) {
        qsort(L->lat_us, L->n_lat, sizeof *L->lat_us, cmp_u32);
        p50 = L->lat_us[L->n_lat / 2] / 1000.0;
        size_t i99 = (size_t)ceil((double)L->n_lat * 0.99) - 1;
        p99 = L->lat_us[i99 < L->n_lat ? i99 : L->n_lat - 1] / 1000.0;
        pmax = L->lat_us[L->n_lat - 1] / 1000.0;
    }
    fprintf(stderr,
            "gridlink load: %" PRIu64 " cases acked in %.1f s over %zu grids: %.0f/s (asked for %.0f/s); "
            "submit-to-ack p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
            L->acked + L->late_acks, secs, L->n_grids, secs > 0 ? (double)L->acked / secs : 0.0, L->rate, p50, p99,
            pmax);
    fprintf(stderr,
            "gridlink load: %" PRIu64 " unacked attempts (%" PRIu64 " timeouts, %" PRIu64 " error replies, %" PRIu64
            " skipped), %" PRIu64 " late acks, %" PRIu64 " refused sends, %" PRIu64 " stray replies\n",
            L->unacked, L->timeouts, L->errors, L->skipped, L->late_acks, L->send_fail, L->strays);
    if (L->errors)
        fprintf(stderr, "gridlink load: last error reply: %s\n", L->last_error_text);
}

/* Returns 0 when all N cases were acknowledged. */
static int run_load(struct load *L)
{
    for (size_t i = 0; i < L->n_grids; i++) {
        struct grid *g = &L->grids[i];
        g->ring = calloc(L->window, sizeof *g->ring);
        if (!g->ring || grid_connect(L, g) != 0)
            return cli_fail("load", "cannot open a control socket for %s", g->node->id);
    }
    zmq_pollitem_t *items = calloc(L->n_grids, sizeof *items);
    size_t *which = calloc(L->n_grids, sizeof *which); /* poll item -> grid */
    if (!items || !which) {
        free(items);
        free(which);
        return cli_fail("load", "out of memory");
    }
    L->t_start = L->t_last_ack = now_us();
    int64_t last = L->t_start, next_progress = L->t_start + PROGRESS_US;
    double credit = 1.0, cap = L->rate * 0.05 > 2.0 ? L->rate * 0.05 : 2.0;
    size_t rr = 0;
    int rc = 0;
    while (L->acked < L->cases && !interrupted) {
        int64_t now = now_us();
        credit += (double)(now - last) * L->rate / 1e6;
        if (credit > cap)
            credit = cap;
        last = now;
        dispatch(L, &credit, &rr, now);
        size_t n_items = 0;
        for (size_t i = 0; i < L->n_grids; i++) {
            if (!L->grids[i].sock)
                continue; /* could not be opened again yet: dispatch retries */
            items[n_items].socket = zsock_resolve(L->grids[i].sock);
            items[n_items].events = ZMQ_POLLIN;
            items[n_items].revents = 0;
            which[n_items++] = i;
        }
        long wait_ms = credit >= 1.0 ? 1 : (long)ceil((1.0 - credit) * 1000.0 / L->rate);
        if (wait_ms < 1)
            wait_ms = 1;
        if (wait_ms > 50)
            wait_ms = 50;
        if (zmq_poll(items, (int)n_items, wait_ms) < 0 && zmq_errno() != EINTR) {
            rc = cli_fail("load", "poll failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        now = now_us();
        for (size_t k = 0; k < n_items; k++)
            if (items[k].revents & ZMQ_POLLIN)
                drain(L, &L->grids[which[k]], now);
        for (size_t i = 0; i < L->n_grids; i++)
            expire(L, &L->grids[i], now);
        if (now >= next_progress) {
            next_progress = now + PROGRESS_US;
            double secs = (double)(now - L->t_start) / 1e6;
            fprintf(stderr,
                    "gridlink load: %" PRIu64 "/%" PRIu64 " acked after %.0f s (%.0f/s), %" PRIu64
                    " unacked attempts\n",
                    L->acked, L->cases, secs, (double)L->acked / secs, L->unacked);
        }
        if (now - L->t_last_ack > (int64_t)L->timeout_s * 1000000) {
            rc = cli_fail("load", "no acknowledgement for %d s; giving up with %" PRIu64 " of %" PRIu64 " acked",
                          L->timeout_s, L->acked, L->cases);
            break;
        }
    }
    free(items);
    free(which);
    /* Replies still due are not waited for: those attempts stay unacked. */
    for (size_t i = 0; i < L->n_grids; i++) {
        L->unacked += L->grids[i].n;
        L->grids[i].n = 0;
        zsock_destroy(&L->grids[i].sock);
    }
    report_load(L);
    if (interrupted)
        return cli_fail("load", "interrupted; the acknowledged cases are in %s (check them with --check-only)",
                        L->acked_path);
    return rc;
}

/* ---- check --------------------------------------------------------------- */

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
    struct load *L;
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
    struct load *L = C->L;
    bool all = true;
    *pending = 0;
    for (size_t i = 0; i < L->topo->n_nodes && !interrupted; i++) {
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
    return all && *pending == 0 && !interrupted;
}

/* Wait until nothing is pending in any outbox of the set; 0 when settled. */
static int settle(struct check *C, int timeout_s)
{
    int64_t t0 = now_us(), deadline = t0 + (int64_t)timeout_s * 1000000;
    char why[512] = "";
    uint64_t pending;
    for (;;) {
        if (outboxes_empty(C, &pending, why, sizeof why)) {
            fprintf(stderr, "gridlink load: outboxes drained after %.1f s\n", (double)(now_us() - t0) / 1e6);
            return 0;
        }
        if (interrupted)
            return GL_ETIMEDOUT;
        if (now_us() >= deadline) {
            fprintf(stderr, "gridlink load: not settled after %d s (%s); checking anyway\n", timeout_s, why);
            return GL_ETIMEDOUT;
        }
        usleep(200000);
    }
}

/* One control call, tried again while the node is down until the deadline. */
static int call_retry(struct load *L, Gridlink__V1__CtlRequest *req, int64_t deadline, Gridlink__V1__CtlReply **rep)
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
        if (interrupted || now_us() >= deadline || (rc != GL_EDOWN && rc != GL_ETIMEDOUT)) {
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
    struct load *L = C->L;
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

static int scan_log(struct check *C, int idx, int64_t deadline)
{
    struct load *L = C->L;
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
                (strcmp(ev->kind, "received") != 0 && strcmp(ev->kind, "reported") != 0))
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

static int run_check(struct load *L, const char *acked_path, int settle_s)
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
    if (interrupted) {
        rc = cli_fail("load", "interrupted before the check");
        goto out;
    }
    int64_t deadline = now_us() + (int64_t)(settle_s > 30 ? settle_s : 30) * 1000000;
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
    while (rc == 0 && !interrupted) {
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
        if (now_us() >= deadline)
            break;
        usleep((useconds_t)L->census_pause_ms * 1000);
    }
    if (rc == 0 && !interrupted) {
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

/* ---- command ------------------------------------------------------------- */

/* A usage error: one line on stderr, exit status 2. */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_fail("load", "%s", msg);
    return 2;
}

static int open_acked(struct load *L)
{
    char dir[PATH_MAX];
    if (gl_home_path(dir, sizeof dir, L->home, "load") != 0 || gl_mkdir_p(dir) != 0)
        return cli_fail("load", "cannot create %s/load", L->home);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char stamp[48];
    size_t k = strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(stamp + k, sizeof stamp - k, ".%03ld", ts.tv_nsec / 1000000);
    if (gl_home_path(L->acked_path, sizeof L->acked_path, L->home, "load/acked-%s.txt", stamp) != 0)
        return cli_fail("load", "home path too long");
    L->acked_fd = open(L->acked_path, O_WRONLY | O_CREAT | O_APPEND | O_EXCL | O_CLOEXEC, 0600);
    if (L->acked_fd < 0)
        return cli_fail("load", "cannot create %s: %s", L->acked_path, strerror(errno));
    snprintf(L->run, sizeof L->run, "gridlink load %s.%d #", stamp, (int)getpid());
    char head[512];
    int n = snprintf(head, sizeof head, "# gridlink load: %" PRIu64 " cases at %.1f/s under %s, window %u\n", L->cases,
                     L->rate, L->prefix, L->window);
    if (n > 0 && (size_t)n < sizeof head && write(L->acked_fd, head, (size_t)n) != n)
        return cli_fail("load", "cannot write %s: %s", L->acked_path, strerror(errno));
    fprintf(stderr, "gridlink load: acknowledged case IDs go to %s\n", L->acked_path);
    return 0;
}

int gl_cmd_load(int argc, char **argv)
{
    static const struct option lo[] = {
        {"home", required_argument, 0, 'H'},         {"cases", required_argument, 0, 'n'},
        {"rate", required_argument, 0, 'r'},         {"prefix", required_argument, 0, 'p'},
        {"window", required_argument, 0, 'w'},       {"check-only", required_argument, 0, 'c'},
        {"timeout", required_argument, 0, 't'},      {"request-timeout", required_argument, 0, 'T'},
        {"census-pause", required_argument, 0, 'P'}, {0, 0, 0, 0}};
    struct load L = {.window = 8, .timeout_s = 60, .request_ms = 3000, .census_pause_ms = 200, .acked_fd = -1};
    long long v;
    bool load_opts = false; /* an option that only a load takes */
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("load", argc, argv, lo, NULL)) != -1) {
        switch (c) {
        case 'H': L.home = optarg; break;
        case 'p': L.prefix = optarg; break;
        case 'c': L.check_file = optarg; break;
        case 'n':
            if (cli_int("load", "--cases", optarg, 1, (long long)MAX_CASES, &v) != 0)
                return CLI_USAGE;
            L.cases = (uint64_t)v;
            load_opts = true;
            break;
        case 'r': {
            char *end;
            L.rate = strtod(optarg, &end);
            if (end == optarg || *end || !(L.rate > 0) || L.rate > 1e6)
                return bad("--rate takes cases per second, more than 0 and at most 1000000, not '%s'", optarg);
            load_opts = true;
            break;
        }
        case 'w':
            if (cli_int("load", "--window", optarg, 1, MAX_WINDOW, &v) != 0)
                return CLI_USAGE;
            L.window = (uint32_t)v;
            load_opts = true;
            break;
        case 't':
            if (cli_int("load", "--timeout", optarg, 1, 86400, &v) != 0)
                return CLI_USAGE;
            L.timeout_s = (int)v;
            break;
        case 'T':
            if (cli_int("load", "--request-timeout", optarg, 10, 600000, &v) != 0)
                return CLI_USAGE;
            L.request_ms = (int)v;
            load_opts = true;
            break;
        case 'P':
            if (cli_int("load", "--census-pause", optarg, 0, 60000, &v) != 0)
                return CLI_USAGE;
            L.census_pause_ms = (int)v;
            break;
        default: return CLI_USAGE;
        }
    }
    if (optind != argc)
        return bad("unexpected argument '%s'", argv[optind]);
    if (L.check_file && load_opts)
        return bad("--check-only checks a file; --cases, --rate, --window and --request-timeout belong to a load");
    if (!L.check_file && (!L.cases || !(L.rate > 0)))
        return bad("--cases N and --rate R are required (or --check-only FILE)");
    if (L.prefix && !gl_node_id_valid(L.prefix))
        return bad("--prefix '%s' is not a node path", L.prefix);
    L.home = cli_home(L.home);
    if (cli_topology("load", L.home, &L.topo) != 0)
        return 1;
    int rc = 0;
    if (!L.prefix)
        L.prefix = L.topo->nodes[L.topo->root].id;
    if (!gl_topology_find(L.topo, L.prefix)) {
        rc = bad("--prefix %s is not a node of the topology", L.prefix);
        goto out;
    }
    zsys_handler_set(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (L.check_file) {
        rc = run_check(&L, L.check_file, L.timeout_s);
        goto out;
    }
    for (size_t i = 0; i < L.topo->n_nodes; i++)
        L.n_grids += L.topo->nodes[i].tier == GRIDLINK__V1__TIER__TIER_GRID &&
                     gl_topology_in_subtree(L.prefix, L.topo->nodes[i].id);
    if (L.n_grids == 0) {
        rc = cli_fail("load", "no grid under %s", L.prefix);
        goto out;
    }
    L.grids = calloc(L.n_grids, sizeof *L.grids);
    if (!L.grids) {
        rc = cli_fail("load", "out of memory");
        goto out;
    }
    for (size_t i = 0, k = 0; i < L.topo->n_nodes; i++)
        if (L.topo->nodes[i].tier == GRIDLINK__V1__TIER__TIER_GRID &&
            gl_topology_in_subtree(L.prefix, L.topo->nodes[i].id))
            L.grids[k++].node = &L.topo->nodes[i];
    if ((rc = open_acked(&L)) != 0)
        goto out;
    int load_rc = run_load(&L);
    if (interrupted) {
        rc = 1;
        goto out;
    }
    if (L.write_failed)
        load_rc = cli_fail("load", "some acknowledged IDs could not be written to %s", L.acked_path);
    rc = run_check(&L, L.acked_path, L.timeout_s);
    if (load_rc != 0)
        rc = 1;
out:
    if (L.grids) {
        for (size_t i = 0; i < L.n_grids; i++) {
            zsock_destroy(&L.grids[i].sock);
            free(L.grids[i].ring);
        }
        free(L.grids);
    }
    if (L.acked_fd >= 0)
        close(L.acked_fd);
    free(L.lat_us);
    gl_topology_free(&L.topo);
    return rc;
}
