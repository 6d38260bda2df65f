/* cmd_load.c: `gridlink load`, the load generator: its options, the
 * submits, and the record of what was acknowledged.
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
 * Then the check (load_check.c) looks for every acknowledged case in the
 * district; `--check-only FILE` runs it alone on an acked file of an
 * earlier run. stdout gets exactly one line, "N acked, N found, N lost, N
 * duplicated"; details, throughput and latency go to stderr. Exit 0 only
 * with nothing lost, duplicated or inconsistent (and, for a load, all N
 * cases acknowledged).
 *
 * Ownership: everything is owned by the struct load on gl_cmd_load's stack
 * and freed before it returns: the topology, the grid array with each
 * grid's socket and in-flight ring, the latency array and the acked file
 * descriptor. The check borrows the topology. CtlReply messages are freed
 * right after use. */
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
#include "load.h"
#include "sock.h"

#define MAX_CASES      100000000ull
#define MAX_WINDOW     1024
#define RETRY_DELAY_US 250000 /* a failed submit waits this long before it goes again */
#define PROGRESS_US    5000000

volatile sig_atomic_t cli_load_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    cli_load_interrupted = 1;
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
    double secs = (double)((L->t_last_ack > L->t_start ? L->t_last_ack : cli_load_now_us()) - L->t_start) / 1e6;
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
    L->t_start = L->t_last_ack = cli_load_now_us();
    int64_t last = L->t_start, next_progress = L->t_start + PROGRESS_US;
    double credit = 1.0, cap = L->rate * 0.05 > 2.0 ? L->rate * 0.05 : 2.0;
    size_t rr = 0;
    int rc = 0;
    while (L->acked < L->cases && !cli_load_interrupted) {
        int64_t now = cli_load_now_us();
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
        now = cli_load_now_us();
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
    if (cli_load_interrupted)
        return cli_fail("load", "interrupted; the acknowledged cases are in %s (check them with --check-only)",
                        L->acked_path);
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

static int check(const struct load *L, const char *acked_path)
{
    struct cli_load_scope scope = {
        .home = L->home, .prefix = L->prefix, .topo = L->topo, .census_pause_ms = L->census_pause_ms};
    return cli_load_check(&scope, acked_path, L->timeout_s);
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
        rc = check(&L, L.check_file);
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
    if (cli_load_interrupted) {
        rc = 1;
        goto out;
    }
    if (L.write_failed)
        load_rc = cli_fail("load", "some acknowledged IDs could not be written to %s", L.acked_path);
    rc = check(&L, L.acked_path);
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
