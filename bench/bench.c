/* bench.c: `gridlink bench [SCENARIO...]`, the benchmark driver.
 *
 * Scenarios: intake (intake.c), escalation, fanout, recovery, district
 * (district.c, lifecycle.c), http (http.c), scaling (scaling.c)
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

static bn_run B;

/* ---- what the scenarios share ---- */

void bn_probe(const bn_run *r, const char *scen, const char *when)
{
    bn_settle();
    double v = bn_disk_probe(r->root, bn_q(r, 1000, 200));
    if (v < 0)
        return;
    char name[64];
    snprintf(name, sizeof name, "disk syncs/s %s", when);
    bn_add(scen, name, "/s", v);
    bn_progress("%s: the disk takes %.0f synced 4 KiB writes a second (%s)", scen, v, when);
}

int bn_make_home(const char *root, char *home, size_t size, const char *name, int towns, int comms, int grids, bool bus,
                 int *port_base)
{
    bn_path_in(home, size, root, "%s", name);
    bn_rmtree(home);
    char topo[PATH_MAX];
    bn_path_in(topo, sizeof topo, root, "%s.json", name);
    if (bn_topology_write(topo, towns, comms, grids, 0) != 0)
        return -1;
    int nports = 2 + towns + towns * comms + 4;
    *port_base = bn_free_ports(nports);
    if (*port_base < 0)
        return -1;
    return bn_home_init(home, topo, *port_base, bus);
}

void bn_presize(const char *home, const char *node, int mb)
{
    char dir[PATH_MAX];
    gl_home_path(dir, sizeof dir, home, "data/%s", node);
    gl_mkdir_p(dir);
    gl_store_opts o = {.map_size = (size_t)mb << 20};
    gl_store_t *s;
    if (gl_store_open(dir, node, &o, &s) == 0)
        gl_store_close(&s);
}

/* ---- escalation ---- */

void bn_esc_name(char *buf, size_t size, long open)
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
    bn_path_in(log, sizeof log, B.root, "escalation.log");
    bn_path_in(out, sizeof out, B.root, "escalation.out");
    bn_path_in(ready, sizeof ready, B.root, "escsub.ready");
    bn_path_in(caught, sizeof caught, B.root, "escsub.caught");
    if (bn_make_home(B.root, home, sizeof home, "escalation", 1, 1, 1, true, &pb) != 0) {
        bn_note("escalation: could not set up the bench home");
        return;
    }
    long open = bn_q(&B, BN_ESC_OPEN, BN_ESC_OPEN_QUICK), near = bn_q(&B, 2000, 200), step_us = 3000;
    int lead_ms = bn_q(&B, 9000, 4000);
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
    if (!bn_wait_file(ready, 10000))
        bn_note("escalation: the subscriber never went live (see %s)", log);
    pid_t p_up = bn_node_start(home, up, log);
    int64_t t_start = bn_now_us();
    pid_t p_comm = bn_node_start(home, comm, log);
    if (bn_wait(sub, 190000) == 0 && bn_exists(caught)) {
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
    if (!bn_wait_file(ready, 10000))
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
        bn_esc_name(name, sizeof name, open);
        bn_add_result("escalation", name, &r, keys);
    } else {
        bn_note("escalation: the subscriber failed (see %s)", log);
    }
    bn_stop(p_comm, 5000);
    bn_stop(p_up, 5000);
    bn_stop(broker, 3000);
    bn_rmtree(home);
}

/* ---- recovery ---- */

static void recovery(void)
{
    char home[PATH_MAX], log[PATH_MAX], out[PATH_MAX], dir[PATH_MAX];
    int pb;
    bn_path_in(log, sizeof log, B.root, "recovery.log");
    bn_path_in(out, sizeof out, B.root, "recovery.out");
    if (bn_make_home(B.root, home, sizeof home, "recovery", 1, 1, 4, false, &pb) != 0) {
        bn_note("recovery: could not set up the bench home");
        return;
    }
    long cases = bn_q(&B, BN_REC_CASES, 20000), dl = bn_q(&B, BN_REC_CASES, 2000);
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
        bn_run_client(log, out, &cr,
                      "mode=link home=%s under=bn.t1.c1 devices=4 window=64 warmup_ms=100 measure_ms=%d tag=%d", home,
                      bn_q(&B, 1500, 300), 20 + run);
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
    int comms = bn_q(&B, 10, 2), grids = bn_q(&B, 7, 2);
    bn_path_in(log, sizeof log, B.root, "fanout.log");
    bn_path_in(out, sizeof out, B.root, "fanout.out");
    if (bn_make_home(B.root, home, sizeof home, "fanout", 1, comms, grids, true, &pb) != 0) {
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
        bn_presize(home, cid[c], 512);
        const char *ids[] = {cid[c], NULL};
        pids[np++] = bn_node_start(home, ids, log);
    }
    bool ok = true;
    for (int c = 1; c <= comms && ok; c++)
        ok = bn_wait_serving(home, cid[c], 10000) >= 0;
    if (!ok) {
        bn_note("fanout: a community did not start (see %s)", log);
    } else {
        int rate = bn_q(&B, 10000, 500);
        bn_progress("fanout run %d: %d cases/s from %d grids across %d communities", run, rate, comms * grids, comms);
        bn_result r;
        if (bn_run_client(
                log, out, &r,
                "mode=link home=%s under=bn.t1 window=%d rate=%d sub=1 kind=received prefix=bn.t1 warmup_ms=%d "
                "measure_ms=%d tag=%d",
                home, comms * grids * 64, rate, bn_q(&B, 1000, 300), bn_q(&B, 5000, 500), run) >= 0) {
            static const char *const keys[] = {"tput", "ev_p50_ms", "ev_p99_ms", "ev_max_ms", "p99_ms", NULL};
            char name[64];
            snprintf(name, sizeof name, "%d/s", rate);
            bn_add_result("fanout", name, &r, keys);
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

static void district(void)
{
    char log[PATH_MAX];
    bn_path_in(log, sizeof log, B.root, "district.log");
    bn_result r = {0};
    int rate = bn_q(&B, 5250, 100); /* 5% above the target: a district that keeps up closes >= 5000/s */
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
    bn_add_result("district", "xinbei", &r, keys);
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
            if (cli_int("bench", "--runs", optarg, 1, BN_MAX_RUNS, &num) != 0)
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
    if (B.runs < 1 || B.runs > BN_MAX_RUNS)
        return cli_fail("bench", "--runs must be 1..%d", BN_MAX_RUNS);
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
    bn_report_open(&B);

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
            bn_path_in(conf, sizeof conf, B.root, "probe.conf");
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
            bn_probe(&B, all[k], "at the start");
        switch (k) {
        case 0:
            for (int r = 1; r <= B.runs; r++)
                bn_intake_run(&B, r);
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

    bn_report_close(total);
    if (!B.keep)
        bn_rmtree(B.root);
    else
        printf("kept %s\n", B.root);
    return 0;
}
