/* intake.c: the intake scenario of `gridlink bench`.
 *
 * One community node (bus off) takes sequenced CaseTransfer envelopes from
 * simulated grid devices over CurveZMQ, at windows of 1, 64 and 1000 in
 * flight and then at a low fixed rate. Against it, in the same run: three
 * bare echo servers (plain ZeroMQ, ZeroMQ with LMDB group commit, and that
 * over CurveZMQ; workers.c), bare LMDB commits of the same batch sizes,
 * NATS JetStream and Redis Streams (peers.c). All of them are started
 * together and each window is measured on every one in turn, so the two
 * figures of a ratio are taken seconds apart. Processes it starts are
 * stopped and their directories removed before it returns. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "home.h"

const int bn_windows[BN_N_WINDOWS] = {1, 64, 1000};

static const bn_run *R;

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
    bn_path_in(ready, sizeof ready, R->root, "echo%d.ready", idx);
    bn_path_in(b->dir, sizeof b->dir, R->root, "bare-lmdb%d", idx);
    bn_path_in(sout, sizeof sout, R->root, "echo%d.out", idx);
    bn_path_in(keyfile, sizeof keyfile, R->root, "echo%d.key", idx);
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
    if (!bn_wait_file(ready, 5000)) {
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
    bn_path_in(dir, sizeof dir, R->root, "%s-data", nats ? "nats" : "redis");
    bn_rmtree(dir);
    gl_mkdir_p(dir);
    snprintf(portarg, sizeof portarg, "%d", port);
    if (nats) {
        bn_path_in(conf, sizeof conf, R->root, "nats.conf");
        FILE *f = fopen(conf, "w");
        if (!f)
            return -1;
        fprintf(f, "listen: 127.0.0.1:%d\njetstream {\n  store_dir: \"%s\"\n%s}\n", port, dir,
                R->nats_sync_always ? "  sync_interval: always\n" : "");
        fclose(f);
        char *argv[] = {(char *)R->nats_bin, "-c", conf, NULL};
        *pid = bn_spawn(argv, log);
    } else {
        char *argv[] = {(char *)R->redis_bin,
                        "--port",
                        portarg,
                        "--bind",
                        "127.0.0.1",
                        "--dir",
                        dir,
                        "--appendonly",
                        "yes",
                        "--appendfsync",
                        "always",
                        "--save",
                        "",
                        "--protected-mode",
                        "no",
                        "--daemonize",
                        "no",
                        NULL};
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
    argv[k++] = (char *)R->peers_bin;
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
void bn_intake_run(const bn_run *cfg, int run)
{
    R = cfg;
    static const char *const keys[] = {"tput", "p50_ms", "p99_ms", "p999_ms", "cpu_us", "disk_b", "steal_pct", NULL};
    char home[PATH_MAX], log[PATH_MAX], out[PATH_MAX], name[64];
    int pb;
    int warm = bn_q(R, 500, 200), meas = bn_q(R, 2500, 400);
    bn_path_in(log, sizeof log, R->root, "intake.log");
    bn_path_in(out, sizeof out, R->root, "intake.out");
    if (bn_make_home(R->root, home, sizeof home, "intake", 1, 1, 16, false, &pb) != 0) {
        bn_note("intake: could not set up the bench home");
        return;
    }
    bn_presize(home, "bn.t1.c1", 2048);
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
    int peer_base = R->have_peers ? bn_free_ports(2) : -1;
    for (int p = 0; peer_base > 0 && p < 2; p++) {
        bool nats = p == 0;
        if ((nats && R->have_nats) || (!nats && R->have_redis))
            peer_port[p] = peer_start(nats, peer_base + p, log, &peer_pid[p]);
    }
    for (int p = 0; p < 2; p++)
        if (peer_port[p] > 0 && !bn_wait_listening(peer_port[p], 5000)) {
            bn_note("intake: %s did not listen on port %d (see %s)", p == 0 ? "nats-server" : "redis-server",
                    peer_port[p], log);
            bn_stop(peer_pid[p], 2000);
            peer_pid[p] = -1;
            peer_port[p] = -1;
        }
    bn_result r;
    for (int i = 0; i < BN_N_WINDOWS; i++) {
        int w = bn_windows[i];
        char when[48];
        snprintf(when, sizeof when, "at window %d", w);
        bn_probe(R, "intake", when);
        bn_progress("intake run %d: node, window %d", run, w);
        if (bn_run_client(log, out, &r,
                          "mode=link home=%s under=bn.t1.c1 devices=%d window=%d warmup_ms=%d measure_ms=%d tag=%d "
                          "cpu_pid=%d",
                          home, devices_for(w), w, warm, meas, 10 * run + i + 1, (int)node) < 0) {
            bn_note("intake: node client failed at window %d (see %s)", w, log);
        } else {
            snprintf(name, sizeof name, "node w%d", w);
            bn_add_result("intake", name, &r, keys);
        }
        for (int v = 0; v < 3; v++) {
            if (bare[v].pid < 0)
                continue;
            bn_progress("intake run %d: %s, window %d", run, bare[v].label, w);
            if (bn_run_client(log, out, &r,
                              "mode=raw endpoint=%s devices=%d window=%d warmup_ms=%d measure_ms=%d cpu_pid=%d%s",
                              bare[v].ep, devices_for(w), w, warm, meas, (int)bare[v].pid, bare[v].keyarg) < 0)
                continue;
            snprintf(name, sizeof name, "%s w%d", bare[v].label, w);
            bn_add_result("intake", name, &r, keys);
        }
        /* Bare LMDB: the same records in the same batch sizes. */
        char dir[PATH_MAX];
        bn_path_in(dir, sizeof dir, R->root, "bare-lmdb-%d", w);
        bn_rmtree(dir);
        gl_mkdir_p(dir);
        bn_progress("intake run %d: bare LMDB, batch %d", run, w);
        unlink(out);
        bn_settle();
        bn_run_worker("lmdb", log, 60000, "dir=%s batch=%d size=300 warmup_ms=%d measure_ms=%d out=%s", dir, w,
                      warm / 2, meas, out);
        if (bn_result_read(&r, out) == 0) {
            snprintf(name, sizeof name, "bare lmdb b%d", w);
            bn_add_result("intake", name, &r, keys);
        }
        bn_rmtree(dir);
        for (int p = 0; p < 2; p++) {
            bool nats = p == 0;
            if (peer_port[p] < 0)
                continue;
            bn_progress("intake run %d: %s, window %d", run, nats ? "NATS JetStream" : "Redis Streams", w);
            if (peer_client(nats, peer_port[p], peer_pid[p], w, warm, meas, log, out, &r) == 0) {
                snprintf(name, sizeof name, "%s w%d", nats ? "nats js" : "redis xadd", w);
                bn_add_result("intake", name, &r, keys);
            } else {
                bn_note("intake: the %s client failed at window %d (see %s)", nats ? "NATS" : "Redis", w, log);
            }
        }
    }
    /* The low load, the node's and then the bare limit's. */
    int low_rate = 300;
    static const char *const lk[] = {"p50_ms", "p99_ms", "p999_ms", NULL};
    bn_probe(R, "intake", "at the low load");
    bn_progress("intake run %d: node, low rate", run);
    if (bn_run_client(log, out, &r,
                      "mode=link home=%s under=bn.t1.c1 devices=16 window=64 rate=%d warmup_ms=%d measure_ms=%d tag=%d",
                      home, low_rate, warm, bn_q(R, 5000, 500), 10 * run + 9) >= 0) {
        snprintf(name, sizeof name, "node low %d/s", low_rate);
        bn_add_result("intake", name, &r, lk);
    }
    if (bare[1].pid >= 0) {
        bn_progress("intake run %d: bare ZeroMQ+LMDB, low rate", run);
        if (bn_run_client(log, out, &r, "mode=raw endpoint=%s devices=16 window=64 rate=%d warmup_ms=%d measure_ms=%d",
                          bare[1].ep, low_rate, warm, bn_q(R, 5000, 500)) >= 0) {
            snprintf(name, sizeof name, "bare zmq+lmdb low %d/s", low_rate);
            bn_add_result("intake", name, &r, lk);
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
        bn_path_in(dir, sizeof dir, R->root, "%s-data", p == 0 ? "nats" : "redis");
        bn_rmtree(dir);
    }
}
