/* bench.c: `gridlink bench [SCENARIO...]`, the benchmark driver.
 *
 * Scenarios: intake, escalation, fanout, recovery, district (district.c,
 * lifecycle.c), http (http.c), scaling (scaling.c)
 * (all of them when none is named). Each runs --runs times (3 by default) in
 * fresh temporary homes under $TMPDIR (ext4 /tmp here: fsync is real),
 * starting real gridlink-node and gridlink-broker processes and separate
 * worker processes for the load (see workers.c); on a 2-core machine client
 * and server share the cores, which the report says. Every figure is
 * printed as median, min and max over the runs; the table goes to stdout
 * and to bench/results/latest.md (or --out DIR), the throughput and latency
 * figures to a PNG drawn by gnuplot, and each target to one line:
 *   TARGET <name>: <figure> vs <limit or peer figure> (<ratio>) met|missed
 * --quick shrinks every count and duration for the smoke test and prints no
 * targets. */
#include <errno.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "error.h"
#include "home.h"
#include "store.h"

#define MAX_RUNS 10
#define MAX_FIGS 256

typedef struct fig {
    char scen[16];
    char name[64];
    char unit[12];
    double v[MAX_RUNS];
    int n;
} fig;

typedef struct bench {
    int runs;
    bool quick;
    bool keep;
    int district_s;
    char root[PATH_MAX];
    char out_dir[PATH_MAX];
    fig figs[MAX_FIGS];
    int n_figs;
    char notes[32][512];
    int n_notes;
    char peers_bin[PATH_MAX], nats_bin[PATH_MAX], redis_bin[PATH_MAX];
    bool have_peers, have_nats, have_redis;
    bool nats_sync_always;
    int targets_met, targets_missed;
    FILE *md;
} bench;

static bench B;

void bn_note(const char *fmt, ...)
{
    if (B.n_notes >= 32)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(B.notes[B.n_notes], sizeof B.notes[0], fmt, ap);
    va_end(ap);
    for (int i = 0; i < B.n_notes; i++)
        if (strcmp(B.notes[i], B.notes[B.n_notes]) == 0)
            return;
    B.n_notes++;
}

void bn_progress(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static fig *fig_get(const char *scen, const char *name, const char *unit)
{
    for (int i = 0; i < B.n_figs; i++)
        if (strcmp(B.figs[i].scen, scen) == 0 && strcmp(B.figs[i].name, name) == 0)
            return &B.figs[i];
    if (B.n_figs == MAX_FIGS)
        return NULL;
    fig *f = &B.figs[B.n_figs++];
    memset(f, 0, sizeof *f);
    snprintf(f->scen, sizeof f->scen, "%s", scen);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->unit, sizeof f->unit, "%s", unit);
    return f;
}

void bn_add(const char *scen, const char *name, const char *unit, double v)
{
    fig *f = fig_get(scen, name, unit);
    if (f && f->n < MAX_RUNS)
        f->v[f->n++] = v;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double fig_stat(const fig *f, int which) /* 0 median, 1 min, 2 max */
{
    if (!f || f->n == 0)
        return -1;
    double s[MAX_RUNS];
    memcpy(s, f->v, sizeof(double) * (size_t)f->n);
    qsort(s, (size_t)f->n, sizeof *s, cmp_d);
    if (which == 1)
        return s[0];
    if (which == 2)
        return s[f->n - 1];
    return f->n % 2 ? s[f->n / 2] : (s[f->n / 2 - 1] + s[f->n / 2]) / 2;
}

double bn_med(const char *scen, const char *name)
{
    for (int i = 0; i < B.n_figs; i++)
        if (strcmp(B.figs[i].scen, scen) == 0 && strcmp(B.figs[i].name, name) == 0)
            return fig_stat(&B.figs[i], 0);
    return -1;
}

/* Add every key of a worker's result file under prefix. */
static void add_result(const char *scen, const char *prefix, const bn_result *r, const char *const *keys)
{
    for (int i = 0; keys[i]; i++) {
        double v = bn_result_get(r, keys[i], -1);
        if (v < 0)
            continue;
        char name[64];
        snprintf(name, sizeof name, "%s %s", prefix, keys[i]);
        const char *unit = strstr(keys[i], "_ms")      ? "ms"
                           : strstr(keys[i], "tput")   ? "/s"
                           : strstr(keys[i], "cpu_us") ? "µs/case"
                           : strstr(keys[i], "disk_b") ? "B/case"
                                                       : "";
        bn_add(scen, name, unit, v);
    }
}

static void path_in(char *buf, size_t size, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void path_in(char *buf, size_t size, const char *dir, const char *fmt, ...)
{
    char rel[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    if (snprintf(buf, size, "%s/%s", dir, rel) >= (int)size)
        buf[0] = 0;
}

static int d(int normal, int quick)
{
    return B.quick ? quick : normal;
}

/* The disk's pace now (bn_disk_probe, after a settle), as a figure of
 * scenario `scen` named "disk syncs/s <when>". */
static void probe(const char *scen, const char *when)
{
    bn_settle();
    double v = bn_disk_probe(B.root, d(1000, 200));
    if (v < 0)
        return;
    char name[64];
    snprintf(name, sizeof name, "disk syncs/s %s", when);
    bn_add(scen, name, "/s", v);
    bn_progress("%s: the disk takes %.0f synced 4 KiB writes a second (%s)", scen, v, when);
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static bool wait_file(const char *p, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 10; i++) {
        if (exists(p))
            return true;
        bn_sleep_ms(10);
    }
    return false;
}

/* Whether 127.0.0.1:port takes a TCP connection within timeout_ms. */
static bool wait_listening(int port, int timeout_ms)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < timeout_ms / 10; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return false;
        int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rc == 0)
            return true;
        bn_sleep_ms(10);
    }
    return false;
}

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin:/usr/sbin:/sbin";
    char *copy = strdup(path), *save = NULL;
    bool found = false;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, prog);
        found = access(p, X_OK) == 0;
    }
    free(copy);
    return found;
}

/* A fresh home under the run root for a bench topology. */
static int make_home(char *home, size_t size, const char *name, int towns, int comms, int grids, bool bus,
                     int *port_base)
{
    path_in(home, size, B.root, "%s", name);
    bn_rmtree(home);
    char topo[PATH_MAX];
    path_in(topo, sizeof topo, B.root, "%s.json", name);
    if (bn_topology_write(topo, towns, comms, grids, 0) != 0)
        return -1;
    int nports = 2 + towns + towns * comms + 4;
    *port_base = bn_free_ports(nports);
    if (*port_base < 0)
        return -1;
    return bn_home_init(home, topo, *port_base, bus);
}

/* Pre-create a node's store with a roomy map so no growth happens mid-run. */
static void presize(const char *home, const char *node, int mb)
{
    char dir[PATH_MAX];
    gl_home_path(dir, sizeof dir, home, "data/%s", node);
    gl_mkdir_p(dir);
    gl_store_opts o = {.map_size = (size_t)mb << 20};
    gl_store_t *s;
    if (gl_store_open(dir, node, &o, &s) == 0)
        gl_store_close(&s);
}

static int run_client(const char *logfile, const char *out, bn_result *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int run_client(const char *logfile, const char *out, bn_result *r, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    unlink(out);
    bn_settle();
    int rc = bn_run_worker("client", logfile, 120000, "%s out=%s", args, out);
    memset(r, 0, sizeof *r);
    if (bn_result_read(r, out) != 0)
        return -1;
    return rc;
}

/* ---- intake ---- */

static const int windows[] = {1, 64, 1000};
#define N_WINDOWS 3

static int devices_for(int w)
{
    return w == 1 ? 1 : 16;
}

/* One bare echo server (bench/workers.c): plain ZeroMQ, with LMDB group
 * commit into dir, and over CurveZMQ; its endpoint and, for CurveZMQ, the
 * client's serverkey= argument. */
struct bare {
    const char *label;
    bool lmdb, curve;
    pid_t pid;
    char ep[64], dir[PATH_MAX], keyarg[PATH_MAX + 16];
};

static void bare_start(struct bare *b, int idx, const char *log)
{
    char ready[PATH_MAX], sout[PATH_MAX], keyfile[PATH_MAX];
    snprintf(b->ep, sizeof b->ep, "tcp://127.0.0.1:%d", bn_free_ports(1));
    path_in(ready, sizeof ready, B.root, "echo%d.ready", idx);
    path_in(b->dir, sizeof b->dir, B.root, "bare-lmdb%d", idx);
    path_in(sout, sizeof sout, B.root, "echo%d.out", idx);
    path_in(keyfile, sizeof keyfile, B.root, "echo%d.key", idx);
    unlink(ready);
    unlink(keyfile);
    bn_rmtree(b->dir);
    gl_mkdir_p(b->dir);
    b->keyarg[0] = 0;
    if (b->curve)
        snprintf(b->keyarg, sizeof b->keyarg, " serverkey=%s", keyfile);
    char self[PATH_MAX], a1[128], a2[PATH_MAX + 8], a3[PATH_MAX + 8], a4[PATH_MAX + 8], a5[PATH_MAX + 8];
    bn_sibling(self, sizeof self, "gridlink");
    snprintf(a1, sizeof a1, "endpoint=%s", b->ep);
    snprintf(a2, sizeof a2, "ready=%s", ready);
    snprintf(a3, sizeof a3, "lmdb=%s", b->dir);
    snprintf(a4, sizeof a4, "out=%s", sout);
    snprintf(a5, sizeof a5, "curve=%s", keyfile);
    /* CurveZMQ only with LMDB: curve= follows lmdb= */
    char *argv[] = {self, "bench", "_worker", "echo", a1, a2, a4, b->lmdb ? a3 : NULL, b->curve ? a5 : NULL, NULL};
    b->pid = bn_spawn(argv, log);
    if (!wait_file(ready, 5000)) {
        bn_note("intake: bare server %s did not start (see %s)", b->label, log);
        bn_stop(b->pid, 2000);
        b->pid = -1;
    }
}

/* A peer (NATS JetStream or Redis Streams) on loopback port with its data
 * in the run's directory; port, or -1. */
static int peer_start(bool nats, int port, const char *log, pid_t *pid)
{
    char dir[PATH_MAX], conf[PATH_MAX], portarg[16];
    path_in(dir, sizeof dir, B.root, "%s-data", nats ? "nats" : "redis");
    bn_rmtree(dir);
    gl_mkdir_p(dir);
    snprintf(portarg, sizeof portarg, "%d", port);
    if (nats) {
        path_in(conf, sizeof conf, B.root, "nats.conf");
        FILE *f = fopen(conf, "w");
        if (!f)
            return -1;
        fprintf(f, "listen: 127.0.0.1:%d\njetstream {\n  store_dir: \"%s\"\n%s}\n", port, dir,
                B.nats_sync_always ? "  sync_interval: always\n" : "");
        fclose(f);
        char *argv[] = {B.nats_bin, "-c", conf, NULL};
        *pid = bn_spawn(argv, log);
    } else {
        char *argv[] = {B.redis_bin, "--port",           portarg, "--bind",        "127.0.0.1", "--dir",
                        dir,         "--appendonly",     "yes",   "--appendfsync", "always",    "--save",
                        "",          "--protected-mode", "no",    "--daemonize",   "no",        NULL};
        *pid = bn_spawn(argv, log);
    }
    return port;
}

static int peer_client(bool nats, int port, pid_t srv, int w, int warm, int meas, const char *log, const char *out,
                       bn_result *r)
{
    char *argv[16];
    char a1[32], a2[32], a3[32], a4[32], a5[PATH_MAX + 8], a6[32];
    snprintf(a1, sizeof a1, "port=%d", port);
    snprintf(a2, sizeof a2, "window=%d", w);
    snprintf(a3, sizeof a3, "warmup_ms=%d", warm);
    snprintf(a4, sizeof a4, "measure_ms=%d", meas);
    snprintf(a5, sizeof a5, "out=%s", out);
    snprintf(a6, sizeof a6, "cpu_pid=%d", (int)srv);
    int k = 0;
    argv[k++] = B.peers_bin;
    argv[k++] = nats ? "nats" : "redis";
    argv[k++] = a1;
    argv[k++] = a2;
    argv[k++] = a3;
    argv[k++] = a4;
    argv[k++] = a5;
    argv[k++] = "size=300";
    argv[k++] = a6;
    argv[k] = NULL;
    unlink(out);
    bn_settle();
    bn_wait(bn_spawn(argv, log), 60000);
    return bn_result_read(r, out);
}

/* The node, the bare servers and the peers all run from the start; each
 * window is measured on each of them in turn, so the ratios of a window
 * compare phases seconds apart on a disk whose pace drifts. */
static void intake_run(int run)
{
    static const char *const keys[] = {"tput", "p50_ms", "p99_ms", "p999_ms", "cpu_us", "disk_b", NULL};
    char home[PATH_MAX], log[PATH_MAX], out[PATH_MAX], name[64];
    int pb;
    int warm = d(500, 200), meas = d(2500, 400);
    path_in(log, sizeof log, B.root, "intake.log");
    path_in(out, sizeof out, B.root, "intake.out");
    if (make_home(home, sizeof home, "intake", 1, 1, 16, false, &pb) != 0) {
        bn_note("intake: could not set up the bench home");
        return;
    }
    presize(home, "bn.t1.c1", 2048);
    const char *ids[] = {"bn.t1.c1", NULL};
    pid_t node = bn_node_start(home, ids, log);
    if (bn_wait_serving(home, "bn.t1.c1", 10000) < 0) {
        bn_note("intake: the community node did not start (see %s)", log);
        bn_stop(node, 3000);
        return;
    }
    /* Bare ZeroMQ, bare ZeroMQ + LMDB group commit, and the same over
     * CurveZMQ (what encryption costs, apart from gridlink), same clients. */
    struct bare bare[3] = {{.label = "bare zmq"},
                           {.label = "bare zmq+lmdb", .lmdb = true},
                           {.label = "bare zmq+lmdb+curve", .lmdb = true, .curve = true}};
    for (int v = 0; v < 3; v++)
        bare_start(&bare[v], v, log);
    pid_t peer_pid[2] = {-1, -1};
    int peer_port[2] = {-1, -1};
    int peer_base = B.have_peers ? bn_free_ports(2) : -1;
    for (int p = 0; peer_base > 0 && p < 2; p++) {
        bool nats = p == 0;
        if ((nats && B.have_nats) || (!nats && B.have_redis))
            peer_port[p] = peer_start(nats, peer_base + p, log, &peer_pid[p]);
    }
    for (int p = 0; p < 2; p++)
        if (peer_port[p] > 0 && !wait_listening(peer_port[p], 5000)) {
            bn_note("intake: %s did not listen on port %d (see %s)", p == 0 ? "nats-server" : "redis-server",
                    peer_port[p], log);
            bn_stop(peer_pid[p], 2000);
            peer_pid[p] = -1;
            peer_port[p] = -1;
        }
    bn_result r;
    for (int i = 0; i < N_WINDOWS; i++) {
        int w = windows[i];
        char when[48];
        snprintf(when, sizeof when, "at window %d", w);
        probe("intake", when);
        bn_progress("intake run %d: node, window %d", run, w);
        if (run_client(log, out, &r,
                       "mode=link home=%s under=bn.t1.c1 devices=%d window=%d warmup_ms=%d measure_ms=%d tag=%d "
                       "cpu_pid=%d",
                       home, devices_for(w), w, warm, meas, 10 * run + i + 1, (int)node) < 0) {
            bn_note("intake: node client failed at window %d (see %s)", w, log);
        } else {
            snprintf(name, sizeof name, "node w%d", w);
            add_result("intake", name, &r, keys);
        }
        for (int v = 0; v < 3; v++) {
            if (bare[v].pid < 0)
                continue;
            bn_progress("intake run %d: %s, window %d", run, bare[v].label, w);
            if (run_client(log, out, &r,
                           "mode=raw endpoint=%s devices=%d window=%d warmup_ms=%d measure_ms=%d cpu_pid=%d%s",
                           bare[v].ep, devices_for(w), w, warm, meas, (int)bare[v].pid, bare[v].keyarg) < 0)
                continue;
            snprintf(name, sizeof name, "%s w%d", bare[v].label, w);
            add_result("intake", name, &r, keys);
        }
        /* Bare LMDB: the same records in the same batch sizes. */
        char dir[PATH_MAX];
        path_in(dir, sizeof dir, B.root, "bare-lmdb-%d", w);
        bn_rmtree(dir);
        gl_mkdir_p(dir);
        bn_progress("intake run %d: bare LMDB, batch %d", run, w);
        unlink(out);
        bn_settle();
        bn_run_worker("lmdb", log, 60000, "dir=%s batch=%d size=300 warmup_ms=%d measure_ms=%d out=%s", dir, w,
                      warm / 2, meas, out);
        if (bn_result_read(&r, out) == 0) {
            snprintf(name, sizeof name, "bare lmdb b%d", w);
            add_result("intake", name, &r, keys);
        }
        bn_rmtree(dir);
        for (int p = 0; p < 2; p++) {
            bool nats = p == 0;
            if (peer_port[p] < 0)
                continue;
            bn_progress("intake run %d: %s, window %d", run, nats ? "NATS JetStream" : "Redis Streams", w);
            if (peer_client(nats, peer_port[p], peer_pid[p], w, warm, meas, log, out, &r) == 0) {
                snprintf(name, sizeof name, "%s w%d", nats ? "nats js" : "redis xadd", w);
                add_result("intake", name, &r, keys);
            } else {
                bn_note("intake: the %s client failed at window %d (see %s)", nats ? "NATS" : "Redis", w, log);
            }
        }
    }
    /* The low load, the node's and then the bare limit's. */
    int low_rate = 300;
    static const char *const lk[] = {"p50_ms", "p99_ms", "p999_ms", NULL};
    probe("intake", "at the low load");
    bn_progress("intake run %d: node, low rate", run);
    if (run_client(log, out, &r,
                   "mode=link home=%s under=bn.t1.c1 devices=16 window=64 rate=%d warmup_ms=%d measure_ms=%d tag=%d",
                   home, low_rate, warm, d(5000, 500), 10 * run + 9) >= 0) {
        snprintf(name, sizeof name, "node low %d/s", low_rate);
        add_result("intake", name, &r, lk);
    }
    if (bare[1].pid >= 0) {
        bn_progress("intake run %d: bare ZeroMQ+LMDB, low rate", run);
        if (run_client(log, out, &r, "mode=raw endpoint=%s devices=16 window=64 rate=%d warmup_ms=%d measure_ms=%d",
                       bare[1].ep, low_rate, warm, d(5000, 500)) >= 0) {
            snprintf(name, sizeof name, "bare zmq+lmdb low %d/s", low_rate);
            add_result("intake", name, &r, lk);
        }
    }
    bn_stop(node, 5000);
    for (int v = 0; v < 3; v++) {
        if (bare[v].pid >= 0)
            bn_stop(bare[v].pid, 3000);
        bn_rmtree(bare[v].dir);
    }
    for (int p = 0; p < 2; p++) {
        char dir[PATH_MAX];
        if (peer_pid[p] > 0)
            bn_stop(peer_pid[p], 5000);
        path_in(dir, sizeof dir, B.root, "%s-data", p == 0 ? "nats" : "redis");
        bn_rmtree(dir);
    }
}

/* ---- escalation ---- */

#define ESC_OPEN       1000000L
#define ESC_OPEN_QUICK 2000L

/* The figures' prefix for a run with `open` open deadlines: "1M open,". */
static void esc_name(char *buf, size_t size, long open)
{
    if (open >= 1000000)
        snprintf(buf, size, "%ldM open,", open / 1000000);
    else
        snprintf(buf, size, "%ldk open,", open / 1000);
}

/* The subscriber on the broker's output (the operator's key, as `gridlink
 * watch`), spawned; its arguments after home= and out=. */
static pid_t escsub_start(const char *home, const char *out, const char *log, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static pid_t escsub_start(const char *home, const char *out, const char *log, const char *fmt, ...)
{
    char self[PATH_MAX], rest[1024], a0[PATH_MAX + 8], a1[PATH_MAX + 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    bn_sibling(self, sizeof self, "gridlink");
    snprintf(a0, sizeof a0, "home=%s", home);
    snprintf(a1, sizeof a1, "out=%s", out);
    char *argv[24] = {self, "bench", "_worker", "escsub", a0, a1};
    int n = 6;
    for (char *save = NULL, *tok = strtok_r(rest, " ", &save); tok && n < 23; tok = strtok_r(NULL, " ", &save))
        argv[n++] = tok;
    argv[n] = NULL;
    return bn_spawn(argv, log);
}

static void escalation_run(int run)
{
    char home[PATH_MAX], log[PATH_MAX], out[PATH_MAX], ready[PATH_MAX], caught[PATH_MAX], dir[PATH_MAX];
    int pb;
    path_in(log, sizeof log, B.root, "escalation.log");
    path_in(out, sizeof out, B.root, "escalation.out");
    path_in(ready, sizeof ready, B.root, "escsub.ready");
    path_in(caught, sizeof caught, B.root, "escsub.caught");
    if (make_home(home, sizeof home, "escalation", 1, 1, 1, true, &pb) != 0) {
        bn_note("escalation: could not set up the bench home");
        return;
    }
    long open = d(ESC_OPEN, ESC_OPEN_QUICK), near = d(2000, 200), step_us = 3000;
    int lead_ms = d(9000, 4000);
    gl_home_path(dir, sizeof dir, home, "data/bn.t1.c1");
    bn_progress("escalation run %d: %ld open cases with deadlines, %ld due in the %ld s after the start", run, open,
                near, (lead_ms + near * step_us / 1000) / 1000);
    /* First the cases due far later (this takes a while at a million). */
    unlink(out);
    if (bn_run_worker("prefill", log, 1800000,
                      "dir=%s node=bn.t1.c1 grid=bn.t1.c1.g1 cases=%ld deadlines=%ld near=0 due_base_ms=%lld "
                      "tag=%d map_mb=%d out=%s",
                      dir, open - near, open - near, (long long)(bn_wall_us() / 1000), run + 50,
                      open >= 500000 ? 4096 : 1024, out) != 0) {
        bn_note("escalation: prefill failed (see %s)", log);
        return;
    }
    /* A district's broker has long taken its nodes' logs: the community
     * starts once so the broker's view takes the prefill's events (a fresh
     * broker replays them all, and applies a node's events in order), and
     * that catch-up is timed on its own, after the prefill's writes. */
    bn_settle();
    pid_t broker = bn_broker_start(home, log);
    const char *up[] = {"bn", "bn.t1", NULL};
    const char *comm[] = {"bn.t1.c1", NULL};
    unlink(ready);
    unlink(caught);
    unlink(out);
    pid_t sub = escsub_start(
        home, out, log, "prefix=bn.t1.c1 catchup=%ld last=bn.t1.c1.g1-%llu ready=%s caught=%s timeout_ms=180000",
        open - near, (unsigned long long)(run + 50) * 1000000000ULL + (unsigned long long)(open - near), ready, caught);
    if (!wait_file(ready, 10000))
        bn_note("escalation: the subscriber never went live (see %s)", log);
    pid_t p_up = bn_node_start(home, up, log);
    int64_t t_start = bn_now_us();
    pid_t p_comm = bn_node_start(home, comm, log);
    if (bn_wait(sub, 190000) == 0 && exists(caught)) {
        char name[96];
        snprintf(name, sizeof name, "fresh broker, %ld logged events, caught up", open - near);
        bn_add("escalation", name, "s", (double)(bn_now_us() - t_start) / 1e6);
    } else {
        bn_note("escalation: the broker's view did not take the community's %ld logged events (see %s)", open - near,
                log);
    }
    bn_stop(p_comm, 5000);

    /* Then the cases falling due, timed from the end of their fill. */
    int64_t base_ms = bn_wall_us() / 1000 + lead_ms;
    unlink(out);
    if (bn_run_worker("prefill", log, 60000,
                      "dir=%s node=bn.t1.c1 grid=bn.t1.c1.g1 cases=%ld deadlines=%ld near=%ld due_base_ms=%lld "
                      "due_step_us=%ld tag=%d out=%s",
                      dir, near, near, near, (long long)base_ms, step_us, run + 1, out) != 0) {
        bn_note("escalation: prefill failed (see %s)", log);
        bn_stop(p_up, 5000);
        bn_stop(broker, 3000);
        return;
    }
    unlink(ready);
    unlink(out);
    bn_settle();
    sub = escsub_start(home, out, log,
                       "prefix=bn.t1.c1 count=%ld due_base_ms=%lld due_step_us=%ld ready=%s timeout_ms=%ld", near,
                       (long long)base_ms, step_us, ready, lead_ms + near * step_us / 1000 + 10000);
    if (!wait_file(ready, 10000))
        bn_note("escalation: the subscriber never went live (see %s)", log);
    t_start = bn_now_us();
    p_comm = bn_node_start(home, comm, log);
    (void)bn_wait_serving(home, "bn.t1.c1", 10000);
    if (bn_wall_us() / 1000 > base_ms)
        bn_note("escalation: the community started serving after the first deadline (%.0f ms after start)",
                (double)(bn_now_us() - t_start) / 1000);
    int rc = bn_wait(sub, lead_ms + (int)(near * step_us / 1000) + 20000);
    bn_result r;
    if (rc == 0 && bn_result_read(&r, out) == 0) {
        static const char *const keys[] = {"p50_ms", "p99_ms", "max_ms", "missing", NULL};
        char name[64];
        esc_name(name, sizeof name, open);
        add_result("escalation", name, &r, keys);
    } else {
        bn_note("escalation: the subscriber failed (see %s)", log);
    }
    bn_stop(p_comm, 5000);
    bn_stop(p_up, 5000);
    bn_stop(broker, 3000);
    bn_rmtree(home);
}

/* ---- recovery ---- */

#define REC_CASES 1000000L

static void recovery(void)
{
    char home[PATH_MAX], log[PATH_MAX], out[PATH_MAX], dir[PATH_MAX];
    int pb;
    path_in(log, sizeof log, B.root, "recovery.log");
    path_in(out, sizeof out, B.root, "recovery.out");
    if (make_home(home, sizeof home, "recovery", 1, 1, 4, false, &pb) != 0) {
        bn_note("recovery: could not set up the bench home");
        return;
    }
    long cases = d(REC_CASES, 20000), dl = d(REC_CASES, 2000);
    gl_home_path(dir, sizeof dir, home, "data/bn.t1.c1");
    bn_progress("recovery: writing %ld cases and %ld deadlines into the community's store", cases, dl);
    unlink(out);
    if (bn_run_worker("prefill", log, 1800000,
                      "dir=%s node=bn.t1.c1 grid=bn.t1.c1.g1 cases=%ld deadlines=%ld near=0 due_base_ms=%lld "
                      "tag=7 map_mb=4096 out=%s",
                      dir, cases, dl, (long long)(bn_wall_us() / 1000), out) != 0) {
        bn_note("recovery: prefill failed (see %s)", log);
        return;
    }
    bn_result r;
    bn_result_read(&r, out);
    double pf = bn_result_get(&r, "seconds", 0);
    bn_note("recovery: the prefill wrote %ld cases, %ld log entries and %ld deadlines in %.1f s (map %.0f MiB)", cases,
            cases, dl, pf, bn_result_get(&r, "map_mb", 0));
    bool cold = false;
    for (int run = 1; run <= B.runs; run++) {
        /* Drop the page cache where allowed, so the start is a cold one. */
        FILE *dc = fopen("/proc/sys/vm/drop_caches", "w");
        if (dc) {
            sync();
            cold = fputs("3\n", dc) >= 0;
            cold = (fclose(dc) == 0) && cold;
        }
        bn_progress("recovery run %d: starting the community node on %ld cases", run, cases);
        const char *ids[] = {"bn.t1.c1", NULL};
        int64_t t0 = bn_now_us();
        pid_t node = bn_node_start(home, ids, log);
        int ms = bn_wait_serving(home, "bn.t1.c1", 30000);
        double start_ms = ms < 0 ? -1 : (double)(bn_now_us() - t0) / 1000;
        if (ms < 0) {
            bn_note("recovery: the node did not serve within 30 s (see %s)", log);
            bn_stop(node, 5000);
            continue;
        }
        long rss_idle = bn_rss_kib(node);
        /* Serve some traffic, then look at the RSS again. */
        bn_result cr;
        run_client(log, out, &cr,
                   "mode=link home=%s under=bn.t1.c1 devices=4 window=64 warmup_ms=100 measure_ms=%d tag=%d", home,
                   d(1500, 300), 20 + run);
        long rss_load = bn_rss_kib(node);
        /* RSS counts the store's pages mapped from the page cache (shared,
         * reclaimable); the private part is what the node itself holds. */
        long anon_load = bn_status_kib(node, "RssAnon");
        long file_load = bn_status_kib(node, "RssFile");
        bn_add("recovery", "start to serving", "ms", start_ms);
        bn_add("recovery", "RSS serving, idle", "MiB", (double)rss_idle / 1024);
        bn_add("recovery", "RSS serving, after load", "MiB", (double)rss_load / 1024);
        bn_add("recovery", "RSS after load, private (RssAnon)", "MiB", (double)anon_load / 1024);
        bn_add("recovery", "RSS after load, mapped store (RssFile)", "MiB", (double)file_load / 1024);
        bn_add("recovery", "intake while serving tput", "/s", bn_result_get(&cr, "tput", 0));
        bn_stop(node, 5000);
    }
    bn_note("recovery: %s", cold ? "page cache dropped before each start (cold start)"
                                 : "page cache could not be dropped here: starts are warm");
    if (!B.keep)
        bn_rmtree(home);
}

/* ---- fan-out ---- */

static void fanout_run(int run)
{
    char home[PATH_MAX], log[PATH_MAX], out[PATH_MAX];
    int pb;
    int comms = d(10, 2), grids = d(7, 2);
    path_in(log, sizeof log, B.root, "fanout.log");
    path_in(out, sizeof out, B.root, "fanout.out");
    if (make_home(home, sizeof home, "fanout", 1, comms, grids, true, &pb) != 0) {
        bn_note("fanout: could not set up the bench home");
        return;
    }
    pid_t broker = bn_broker_start(home, log);
    const char *up[] = {"bn", "bn.t1", NULL};
    pid_t pids[64];
    int np = 0;
    pids[np++] = bn_node_start(home, up, log);
    char cid[64][32];
    for (int c = 1; c <= comms; c++) {
        snprintf(cid[c], sizeof cid[c], "bn.t1.c%d", c);
        presize(home, cid[c], 512);
        const char *ids[] = {cid[c], NULL};
        pids[np++] = bn_node_start(home, ids, log);
    }
    bool ok = true;
    for (int c = 1; c <= comms && ok; c++)
        ok = bn_wait_serving(home, cid[c], 10000) >= 0;
    if (!ok) {
        bn_note("fanout: a community did not start (see %s)", log);
    } else {
        int rate = d(10000, 500);
        bn_progress("fanout run %d: %d cases/s from %d grids across %d communities", run, rate, comms * grids, comms);
        bn_result r;
        if (run_client(log, out, &r,
                       "mode=link home=%s under=bn.t1 window=%d rate=%d sub=1 kind=received prefix=bn.t1 warmup_ms=%d "
                       "measure_ms=%d tag=%d",
                       home, comms * grids * 64, rate, d(1000, 300), d(5000, 500), run) >= 0) {
            static const char *const keys[] = {"tput", "ev_p50_ms", "ev_p99_ms", "ev_max_ms", "p99_ms", NULL};
            char name[64];
            snprintf(name, sizeof name, "%d/s", rate);
            add_result("fanout", name, &r, keys);
            double lost = bn_result_get(&r, "ev_n", 0) < bn_result_get(&r, "n", 0)
                              ? bn_result_get(&r, "n", 0) - bn_result_get(&r, "ev_n", 0)
                              : 0;
            if (lost > 0)
                bn_note("fanout: run %d: %.0f acknowledged cases had no event at the subscriber", run, lost);
        } else {
            bn_note("fanout: the client failed (see %s)", log);
        }
    }
    for (int i = np - 1; i >= 0; i--)
        bn_stop(pids[i], 5000);
    bn_stop(broker, 3000);
    bn_rmtree(home);
}

/* ---- district ---- */

int bn_district_run(const char *root, const char *log, int seconds, int rate, bool quick, bn_result *r);

static void district(void)
{
    char log[PATH_MAX];
    path_in(log, sizeof log, B.root, "district.log");
    bn_result r = {0};
    int rate = d(5250, 100); /* 5% above the target: a district that keeps up closes >= 5000/s */
    int secs = B.district_s;
    bn_progress("district: the whole Xinbei topology, %d new cases/s for %d s, each through its lifecycle", rate, secs);
    bn_settle();
    if (bn_district_run(B.root, log, secs, rate, B.quick, &r) != 0) {
        bn_note("district: the run failed (see %s)", log);
        if (r.n == 0)
            return;
    }
    static const char *const keys[] = {"nodes",
                                       "started_tput",
                                       "acked",
                                       "tasks",
                                       "returned",
                                       "verified",
                                       "closed",
                                       "verified_not_closed",
                                       "not_closed_at_end",
                                       "failed",
                                       "retried",
                                       "mismatched",
                                       "requests",
                                       "driver_cpu_s",
                                       "lifecycle_tput",
                                       "delivered_tput",
                                       "acked_tput",
                                       "lost",
                                       "duplicated",
                                       "p50_ms",
                                       "p99_ms",
                                       "act_p99_ms",
                                       "verify_p99_ms",
                                       "drain_s",
                                       "view_lag_events",
                                       "view_lag_p50_ms",
                                       "view_lag_p99_ms",
                                       "view_replayed",
                                       "view_gaps",
                                       "broker_cpu_us",
                                       NULL};
    add_result("district", "xinbei", &r, keys);
    /* Steps refused for good: the load worker's first few reasons. */
    if (bn_result_get(&r, "failed", 0) > 0) {
        FILE *f = fopen(log, "r");
        char line[600];
        int n = 0;
        while (f && n < 3 && fgets(line, sizeof line, f))
            if (strncmp(line, "district: ", 10) == 0 && strstr(line, " refused: ")) {
                line[strcspn(line, "\n")] = 0;
                bn_note("%s", line);
                n++;
            }
        if (f)
            fclose(f);
    }
}

/* ---- report ---- */

static void out2(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out2(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (B.md) {
        va_start(ap, fmt);
        vfprintf(B.md, fmt, ap);
        va_end(ap);
    }
}

static void fmt_num(char *buf, size_t n, double v)
{
    if (v < 0)
        snprintf(buf, n, "-");
    else if (v >= 1000)
        snprintf(buf, n, "%.0f", v);
    else if (v >= 10)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.3f", v);
}

static void table(void)
{
    out2("\n| scenario | figure | unit | median | min | max | runs |\n|---|---|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < B.n_figs; i++) {
        fig *f = &B.figs[i];
        char m[32], lo[32], hi[32];
        fmt_num(m, sizeof m, fig_stat(f, 0));
        fmt_num(lo, sizeof lo, fig_stat(f, 1));
        fmt_num(hi, sizeof hi, fig_stat(f, 2));
        out2("| %s | %s | %s | %s | %s | %s | %d |\n", f->scen, f->name, f->unit, m, lo, hi, f->n);
    }
}

/* higher: the figure must be >= ratio * reference; otherwise <= ratio * reference. */
void bn_target(const char *name, double fig_v, const char *fig_unit, double ref, const char *ref_desc, double need,
               bool higher)
{
    if (fig_v < 0 || ref <= 0) {
        out2("TARGET %s: not measured (%s) missed\n", name, ref <= 0 ? "no reference figure" : "no figure");
        B.targets_missed++;
        return;
    }
    double ratio = fig_v / ref;
    bool met = higher ? ratio >= need : ratio <= need;
    char a[32], b[32];
    fmt_num(a, sizeof a, fig_v);
    fmt_num(b, sizeof b, ref);
    out2("TARGET %s: %s %s vs %s %s (%.2fx, needs %s%.2fx) %s\n", name, a, fig_unit, ref_desc, b, ratio,
         higher ? ">=" : "<=", need, met ? "met" : "missed");
    if (met)
        B.targets_met++;
    else
        B.targets_missed++;
}

void bn_check(const char *name, bool ok, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    out2("TARGET %s: %s (%s) %s\n", name, what, ok ? "1.00x" : "-", ok ? "met" : "missed");
    if (ok)
        B.targets_met++;
    else
        B.targets_missed++;
}

static void limit(const char *name, double v, const char *unit, double lim, bool below)
{
    if (v < 0) {
        out2("TARGET %s: not measured missed\n", name);
        B.targets_missed++;
        return;
    }
    bool met = below ? v < lim : v >= lim;
    char a[32], b[32];
    fmt_num(a, sizeof a, v);
    fmt_num(b, sizeof b, lim);
    out2("TARGET %s: %s %s vs limit %s %s (%.2fx) %s\n", name, a, unit, below ? "<" : ">=", b, v / lim,
         met ? "met" : "missed");
    if (met)
        B.targets_met++;
    else
        B.targets_missed++;
}

static bool ran(const char *scen)
{
    for (int i = 0; i < B.n_figs; i++)
        if (strcmp(B.figs[i].scen, scen) == 0)
            return true;
    return false;
}

static void targets(void)
{
    out2("\n");
    if (ran("intake")) {
        static const int tw[] = {64, 1000};
        for (size_t k = 0; k < 2; k++) {
            char tn[64], mine[64], ref[64];
            snprintf(mine, sizeof mine, "node w%d tput", tw[k]);
            snprintf(tn, sizeof tn, "intake-%d-vs-redis", tw[k]);
            snprintf(ref, sizeof ref, "redis xadd w%d tput", tw[k]);
            bn_target(tn, bn_med("intake", mine), "cases/s", bn_med("intake", ref),
                      "Redis Streams (appendfsync always)", 1.0, true);
            snprintf(tn, sizeof tn, "intake-%d-vs-jetstream", tw[k]);
            snprintf(ref, sizeof ref, "nats js w%d tput", tw[k]);
            bn_target(tn, bn_med("intake", mine), "cases/s", bn_med("intake", ref),
                      "NATS JetStream (acks before fsync)", 1.0, true);
        }
        bn_target("intake-1000-vs-bare", bn_med("intake", "node w1000 tput"), "cases/s",
                  bn_med("intake", "bare zmq+lmdb w1000 tput"), "bare ZeroMQ+LMDB group commit", 0.50, true);
        bn_target("intake-64-vs-bare", bn_med("intake", "node w64 tput"), "cases/s",
                  bn_med("intake", "bare zmq+lmdb w64 tput"), "bare ZeroMQ+LMDB group commit", 0.85, true);
        bn_target("intake-1-vs-bare", bn_med("intake", "node w1 tput"), "cases/s",
                  bn_med("intake", "bare zmq+lmdb w1 tput"), "bare ZeroMQ+LMDB single-commit round trip", 0.85, true);
        bn_target("intake-low-load-p99", bn_med("intake", "node low 300/s p99_ms"), "ms",
                  bn_med("intake", "bare zmq+lmdb low 300/s p99_ms"), "bare ZeroMQ+LMDB at the same load, p99", 2.0,
                  false);
        /* Not targets: where the node's time goes against encryption alone. */
        for (int w = 0; w < N_WINDOWS; w++) {
            char mine[64], ref[64];
            snprintf(mine, sizeof mine, "node w%d tput", windows[w]);
            snprintf(ref, sizeof ref, "bare zmq+lmdb+curve w%d tput", windows[w]);
            double a = bn_med("intake", mine), b = bn_med("intake", ref);
            if (a > 0 && b > 0)
                out2("intake w%d: the node at %.2fx the bare ZeroMQ+LMDB limit over CurveZMQ\n", windows[w], a / b);
            snprintf(mine, sizeof mine, "node w%d cpu_us", windows[w]);
            snprintf(ref, sizeof ref, "bare zmq+lmdb+curve w%d cpu_us", windows[w]);
            a = bn_med("intake", mine);
            b = bn_med("intake", ref);
            if (a > 0 && b > 0)
                out2("intake w%d: %.1f µs of the node's CPU a case, %.1f µs for the bare limit over CurveZMQ\n",
                     windows[w], a, b);
            snprintf(mine, sizeof mine, "node w%d disk_b", windows[w]);
            snprintf(ref, sizeof ref, "bare zmq+lmdb w%d disk_b", windows[w]);
            a = bn_med("intake", mine);
            b = bn_med("intake", ref);
            if (a >= 0 && b > 0)
                out2("intake w%d: %.0f bytes written to storage a case by the node, %.0f by the bare limit (%.1fx)\n",
                     windows[w], a, b, a / b);
        }
        /* The disk's pace at each window (every server measured in turn
         * right after), for reading the figures beside it. */
        char paces[256] = "";
        size_t used = 0;
        for (int w = 0; w <= N_WINDOWS; w++) {
            char fname[64];
            if (w < N_WINDOWS)
                snprintf(fname, sizeof fname, "disk syncs/s at window %d", windows[w]);
            else
                snprintf(fname, sizeof fname, "disk syncs/s at the low load");
            double v = bn_med("intake", fname);
            if (v > 0 && used < sizeof paces)
                used += (size_t)snprintf(paces + used, sizeof paces - used, "%s%.0f %s", used ? ", " : "", v,
                                         fname + strlen("disk syncs/s "));
        }
        if (used)
            out2("intake: the disk took synced 4 KiB writes a second: %s\n", paces);
    }
    if (ran("escalation")) {
        char fname[64], tn[64];
        esc_name(fname, sizeof fname, ESC_OPEN);
        strcat(fname, " p99_ms");
        snprintf(tn, sizeof tn, "escalation-p99-%ld-open", ESC_OPEN);
        limit(tn, bn_med("escalation", fname), "ms", 50, true);
        esc_name(fname, sizeof fname, ESC_OPEN);
        strcat(fname, " missing");
        double miss = bn_med("escalation", fname);
        bn_check("escalation-none-missing", miss == 0, "%.0f of the deadlines due had no escalation event", miss);
    }
    if (ran("fanout"))
        limit("fanout-p99", bn_med("fanout", B.quick ? "500/s ev_p99_ms" : "10000/s ev_p99_ms"), "ms", 20, true);
    if (ran("recovery")) {
        char tn[64];
        snprintf(tn, sizeof tn, "recovery-serving-%ld-cases", REC_CASES);
        limit(tn, bn_med("recovery", "start to serving"), "ms", 1000, true);
        limit("recovery-rss", bn_med("recovery", "RSS serving, after load"), "MiB", 64, true);
    }
    if (ran("district")) {
        limit("district-lifecycle-throughput", bn_med("district", "xinbei lifecycle_tput"), "cases/s closed", 5000,
              false);
        double lost = bn_med("district", "xinbei lost"), dup = bn_med("district", "xinbei duplicated");
        bn_check("district-loss-dup", lost == 0 && dup == 0, "%.0f lost, %.0f duplicated vs 0 and 0", lost, dup);
        double vnc = bn_med("district", "xinbei verified_not_closed");
        bn_check("district-closed", vnc == 0, "%.0f cases verified, %.0f of them not closed at their community",
                 bn_med("district", "xinbei verified"), vnc);
        limit("district-view-lag-p99", bn_med("district", "xinbei view_lag_p99_ms"), "ms", 1000, true);
        if (B.district_s < 300)
            out2("(district ran %d s, not the 5 minutes the target names: --district-seconds 300)\n", B.district_s);
    }
    bn_http_targets();
}

static void plot(void)
{
    char dat[PATH_MAX], gp[PATH_MAX], png[PATH_MAX];
    path_in(dat, sizeof dat, B.out_dir, "latest.dat");
    path_in(gp, sizeof gp, B.out_dir, "latest.gp");
    path_in(png, sizeof png, B.out_dir, "latest.png");
    FILE *f = fopen(dat, "w");
    if (!f)
        return;
    const char *sys[] = {"node", "bare zmq", "bare zmq+lmdb", "bare lmdb", "nats js", "redis xadd"};
    const char *lab[] = {"gridlink node", "bare ZeroMQ",    "bare ZeroMQ+LMDB",
                         "bare LMDB",     "NATS JetStream", "Redis Streams"};
    fprintf(f, "window");
    for (int s = 0; s < 6; s++)
        fprintf(f, " \"%s\"", lab[s]);
    fprintf(f, "\n");
    for (int w = 0; w < N_WINDOWS; w++) {
        fprintf(f, "%d", windows[w]);
        for (int s = 0; s < 6; s++) {
            char name[64];
            snprintf(name, sizeof name, "%s %c%d tput", sys[s], s == 3 ? 'b' : 'w', windows[w]);
            double v = bn_med("intake", name);
            fprintf(f, " %.1f", v < 0 ? 0 : v);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n\n# latency figure p50 p99\n");
    char esc50[64], esc99[64];
    esc_name(esc50, sizeof esc50, B.quick ? ESC_OPEN_QUICK : ESC_OPEN);
    memcpy(esc99, esc50, sizeof esc99);
    strcat(esc50, " p50_ms");
    strcat(esc99, " p99_ms");
    struct {
        const char *scen, *name50, *name99, *label;
    } lat[] = {
        {"intake", "node low 300/s p50_ms", "node low 300/s p99_ms", "intake low load"},
        {"intake", "bare lmdb b1 p50_ms", "bare lmdb b1 p99_ms", "bare LMDB commit"},
        {"intake", "node w1000 p50_ms", "node w1000 p99_ms", "intake w1000"},
        {"escalation", esc50, esc99, "escalation"},
        {"fanout", B.quick ? "500/s ev_p50_ms" : "10000/s ev_p50_ms", B.quick ? "500/s ev_p99_ms" : "10000/s ev_p99_ms",
         "fan-out"},
        {"district", "xinbei p50_ms", "xinbei p99_ms", "district submit"},
        {"district", "xinbei view_lag_p50_ms", "xinbei view_lag_p99_ms", "district view lag"},
    };
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++) {
        double a = bn_med(lat[i].scen, lat[i].name50), b = bn_med(lat[i].scen, lat[i].name99);
        fprintf(f, "\"%s\" %.3f %.3f\n", lat[i].label, a < 0 ? 0 : a, b < 0 ? 0 : b);
    }
    fclose(f);
    f = fopen(gp, "w");
    if (!f)
        return;
    fprintf(f,
            "set terminal pngcairo size 1400,600 font 'sans,10' noenhanced\n"
            "set output '%s'\n"
            "set multiplot layout 1,2 title 'gridlink bench (medians of %d runs, 2-core machine, loopback, fsync on "
            "commit)'\n"
            "set style data histogram\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
            "set grid ytics\nset key top left\n"
            "set title 'Durable intake throughput by window (300-byte cases)'\n"
            "set ylabel 'cases/s (log)'\nset logscale y\nset yrange [10:*]\n"
            "%s '%s' index 0 using c:xtic(1) title columnheader(c)\n"
            "unset logscale y\nset yrange [0:*]\n"
            "set title 'Latency (ms)'\nset ylabel 'ms'\nset xtics rotate by -30\n"
            "plot '%s' index 1 using 2:xtic(1) title 'p50', '' index 1 using 3 title 'p99'\n"
            "unset multiplot\n",
            png, B.runs,
            ran("intake")
                ? "plot for [c=2:7]"
                : "set label 1 'intake not run' at screen 0.2,0.5\nset yrange [0:1]\nplot 0 notitle with lines #",
            dat, dat);
    fclose(f);
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", gp);
    if (!in_path("gnuplot")) {
        bn_note("no gnuplot: the plot was not drawn (bench/setup.sh installs it)");
        return;
    }
    if (system(cmd) == 0)
        out2("\nplot: %s\n", png);
    else
        out2("\ngnuplot failed on %s\n", gp);
    if (ran("scaling") && bn_scaling_plot(B.out_dir, B.quick, gp, sizeof gp) > 0) {
        snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", gp);
        path_in(png, sizeof png, B.out_dir, "scaling.png");
        if (system(cmd) == 0)
            out2("plot: %s\n", png);
        else
            out2("gnuplot failed on %s\n", gp);
    }
}

static void machine_line(void)
{
    char cpu[256] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    snprintf(cpu, sizeof cpu, "%s", c + 2);
                    cpu[strcspn(cpu, "\n")] = 0;
                }
                break;
            }
        fclose(f);
    }
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
    out2("# gridlink bench, %s\n\nmachine: %ld cores (%s); client and server processes share them. Storage: %s "
         "(ext4 here), every commit synced; each measured phase starts after a sync() of the whole machine, with under "
         "%d MiB dirty or in writeback. Runs per scenario: %d%s.\n",
         when, sysconf(_SC_NPROCESSORS_ONLN), cpu, B.root, BN_SETTLE_KIB / 1024, B.runs,
         B.quick ? " (--quick: tiny counts, no targets)" : "");
}

int bn_peers_probe(void);

static void usage(void)
{
    fprintf(stderr,
            "usage: gridlink bench [intake|escalation|fanout|recovery|district|http|scaling ...] [--runs N] [--quick]\n"
            "                      [--district-seconds S] [--out DIR] [--keep]\n"
            "  runs every scenario (or the named ones) N times (default 3) and prints median/min/max;\n"
            "  writes DIR/latest.md, DIR/latest.png and DIR/scaling.png (DIR defaults to bench/results).\n"
            "  bench/setup.sh installs gnuplot, wrk and the peers (nats-server, redis-server, their C clients).\n");
}

int gl_cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "_worker") == 0)
        return bn_worker_main(argc - 2, argv + 2);
    static const struct option lo[] = {{"runs", required_argument, 0, 'r'},
                                       {"quick", no_argument, 0, 'q'},
                                       {"district-seconds", required_argument, 0, 'd'},
                                       {"out", required_argument, 0, 'o'},
                                       {"keep", no_argument, 0, 'k'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    memset(&B, 0, sizeof B);
    B.runs = 3;
    B.district_s = -1;
    snprintf(B.out_dir, sizeof B.out_dir, "bench/results");
    cli_opts_reset();
    int c;
    long long num;
    while ((c = cli_next_opt("bench", argc, argv, lo, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (cli_int("bench", "--runs", optarg, 1, MAX_RUNS, &num) != 0)
                return CLI_USAGE;
            B.runs = (int)num;
            break;
        case 'q': B.quick = true; break;
        case 'd':
            if (cli_int("bench", "--district-seconds", optarg, 1, 86400, &num) != 0)
                return CLI_USAGE;
            B.district_s = (int)num;
            break;
        case 'o': snprintf(B.out_dir, sizeof B.out_dir, "%s", optarg); break;
        case 'k': B.keep = true; break;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
    }
    if (B.runs < 1 || B.runs > MAX_RUNS)
        return cli_fail("bench", "--runs must be 1..%d", MAX_RUNS);
    if (B.quick && B.runs == 3)
        B.runs = 1;
    if (B.district_s < 0)
        B.district_s = B.quick ? 5 : 300;
    static const char *const all[] = {"intake", "escalation", "fanout", "recovery", "district", "http", "scaling"};
    enum { N_SCEN = 7 };
    bool want[N_SCEN] = {0};
    bool any = false;
    for (int i = optind; i < argc; i++) {
        bool known = false;
        for (int k = 0; k < N_SCEN; k++)
            if (strcmp(argv[i], all[k]) == 0)
                want[k] = known = any = true;
        if (!known)
            return cli_usage("bench",
                             "unknown scenario '%s' (intake, escalation, fanout, recovery, district, http, scaling)",
                             argv[i]);
    }
    if (!any)
        for (int k = 0; k < N_SCEN; k++)
            want[k] = true;

    /* The workers take their settings as space-separated key=value words,
     * the run root's paths among them. */
    const char *tmp = getenv("TMPDIR");
    if (tmp && strpbrk(tmp, " \t\n"))
        return cli_fail("bench", "TMPDIR '%s' holds white space; point it at a directory whose path has none", tmp);
    snprintf(B.root, sizeof B.root, "%s/glbench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(B.root))
        return cli_fail("bench", "cannot create a temporary directory: %s", strerror(errno));
    gl_mkdir_p(B.out_dir);
    char md[PATH_MAX];
    path_in(md, sizeof md, B.out_dir, "latest.md");
    char mdtmp[PATH_MAX + 8];
    snprintf(mdtmp, sizeof mdtmp, "%s.tmp", md);
    B.md = fopen(mdtmp, "w");

    bn_sibling(B.peers_bin, sizeof B.peers_bin, "gridlink-bench-peers");
    B.have_peers = access(B.peers_bin, X_OK) == 0;
    B.have_nats = B.have_peers && bn_find_prog("nats-server", B.nats_bin, sizeof B.nats_bin);
    B.have_redis = B.have_peers && bn_find_prog("redis-server", B.redis_bin, sizeof B.redis_bin);
    if (want[0]) {
        if (!B.have_peers)
            bn_note("peers: gridlink-bench-peers was not built (libnats-dev and libhiredis-dev missing at build time); "
                    "run bench/setup.sh and rebuild");
        else if (!B.have_nats || !B.have_redis)
            bn_note("peers: nats-server or redis-server missing; run bench/setup.sh");
        if (B.have_nats) {
            /* JetStream 2.9 has no sync-always setting; use it where the version has one. */
            char cmd[3 * PATH_MAX], conf[PATH_MAX];
            path_in(conf, sizeof conf, B.root, "probe.conf");
            FILE *f = fopen(conf, "w");
            if (f) {
                fprintf(f, "jetstream {\n  store_dir: \"%s/probe-js\"\n  sync_interval: always\n}\n", B.root);
                fclose(f);
            }
            snprintf(cmd, sizeof cmd, "'%s' -c '%s' -t >/dev/null 2>&1", B.nats_bin, conf);
            B.nats_sync_always = system(cmd) == 0;
            snprintf(cmd, sizeof cmd, "'%s' --version 2>&1", B.nats_bin);
            FILE *v = popen(cmd, "r");
            char ver[128] = "";
            if (v) {
                if (fgets(ver, sizeof ver, v))
                    ver[strcspn(ver, "\n")] = 0;
                pclose(v);
            }
            bn_note("NATS JetStream (%s): %s", ver,
                    B.nats_sync_always
                        ? "sync_interval: always (fsync before ack)"
                        : "this version has no sync-always setting: it acknowledges before its data is "
                          "synced to disk (default sync interval 2 min), so its figures are not durable ones");
        }
        if (B.have_redis)
            bn_note("Redis Streams: XADD with appendonly yes, appendfsync always (fsync before the reply)");
    }

    int64_t t0 = bn_now_us();
    for (int k = 0; k < N_SCEN; k++) {
        if (!want[k])
            continue;
        int64_t ts = bn_now_us();
        if (k != 0)
            probe(all[k], "at the start");
        switch (k) {
        case 0:
            for (int r = 1; r <= B.runs; r++)
                intake_run(r);
            bn_note(
                "intake: one community node (bus off), %d simulated grid devices on real CurveZMQ links (1 device at "
                "window 1), 300-byte envelopes; bare servers and peers get the same window and payload, bare ones "
                "without CurveZMQ",
                16);
            break;
        case 1:
            for (int r = 1; r <= B.runs; r++)
                escalation_run(r);
            break;
        case 2:
            for (int r = 1; r <= B.runs; r++)
                fanout_run(r);
            break;
        case 3: recovery(); break;
        case 4: district(); break;
        case 5: bn_http(B.root, B.runs, B.quick); break;
        case 6: bn_scaling(B.root, 1, B.quick); break; /* one run: a curve, and a fill to 10M */
        }
        bn_progress("%s took %.0f s", all[k], (double)(bn_now_us() - ts) / 1e6);
    }
    double total = (double)(bn_now_us() - t0) / 1e6;

    machine_line();
    table();
    out2("\nwhole benchmark: %.0f s\n", total);
    if (B.n_notes) {
        out2("\nnotes:\n");
        for (int i = 0; i < B.n_notes; i++)
            out2("- %s\n", B.notes[i]);
    }
    if (!B.quick)
        targets();
    plot();
    if (B.md) {
        fclose(B.md);
        rename(mdtmp, md);
        printf("table written to %s\n", md);
    }
    if (!B.keep)
        bn_rmtree(B.root);
    else
        printf("kept %s\n", B.root);
    return 0;
}
