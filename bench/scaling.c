/* scaling.c: the scaling scenario, how the cost of a case grows.
 *
 * Nodes per process: a bench topology (district bn, one township, its
 * communities and N grids: 1, 10, 100, 800; --quick 1 and 10), the grids all
 * hosted by one gridlink-node process, the district, township and
 * communities by another (bus off). The load worker (lifecycle.c with
 * intake_only=1) submits flat out at every grid over the control channel,
 * with about 256 requests in flight in all (at most 64 a grid, at least 1);
 * figures: reports acknowledged a second, and the grid process's CPU (user
 * + system, every thread) over the whole load per report (`cpu_us`), the
 * communities' process's beside it (`up_cpu_us`), and the grid process's
 * CPU idle over 2 s before the load, in % of a core.
 *
 * Open cases in the store: one community node (bus off) whose store the
 * prefill worker has filled with open cases, each with a deadline (10k,
 * 100k, 1M, 10M; --quick 1k and 10k), grown in steps between the measurements
 * with the node stopped; at each step the simulated grid devices (client.c,
 * 16 devices, window 64) measure its intake and the node's CPU per case.
 *
 * Both series go to the table (scenario "scaling") and to scaling.png in the
 * output directory, drawn by gnuplot. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "home.h"
#include "store.h"

static const int node_levels[] = {1, 10, 100, 800};
static const long open_levels[] = {10000, 100000, 1000000, 10000000};
#define N_NODE_LEVELS 4
#define N_OPEN_LEVELS 4

/* Communities and grids per community for n grids in all. */
static void shape(int n, int *comms, int *grids)
{
    *comms = n <= 10 ? 1 : n <= 100 ? n / 10 : n / 8;
    *grids = n / *comms;
}

static void open_label(char *buf, size_t size, long n)
{
    if (n >= 1000000)
        snprintf(buf, size, "%ldM", n / 1000000);
    else
        snprintf(buf, size, "%ldk", n / 1000);
}

static int home_for(const char *root, const char *name, int comms, int grids, char *home, size_t size)
{
    char topo[PATH_MAX];
    snprintf(home, size, "%s/%s", root, name);
    snprintf(topo, sizeof topo, "%s/%s.json", root, name);
    bn_rmtree(home);
    if (bn_topology_write(topo, 1, comms, grids, 0) != 0)
        return -1;
    int pb = bn_free_ports(2 + 1 + comms + 4);
    return pb < 0 ? -1 : bn_home_init(home, topo, pb, false);
}

static int idle_ms = 2000;

static void nodes_level(const char *root, const char *log, int n, int seconds)
{
    int comms, grids;
    shape(n, &comms, &grids);
    char home[PATH_MAX], out[PATH_MAX], ids[PATH_MAX];
    if (home_for(root, "scaling-nodes", comms, grids, home, sizeof home) != 0) {
        bn_note("scaling: could not set up a home for %d grids", n);
        return;
    }
    snprintf(out, sizeof out, "%s/scaling.out", root);
    snprintf(ids, sizeof ids, "%s/scaling.ids", root);
    int total = comms * grids;
    const char **up = calloc((size_t)comms + 3, sizeof *up);
    const char **down = calloc((size_t)total + 1, sizeof *down);
    char(*names)[64] = calloc((size_t)(comms + total + 2), sizeof *names);
    int k = 0, nu = 0, nd = 0;
    snprintf(names[k], sizeof names[k], "bn");
    up[nu++] = names[k++];
    snprintf(names[k], sizeof names[k], "bn.t1");
    up[nu++] = names[k++];
    for (int c = 1; c <= comms; c++) {
        snprintf(names[k], sizeof names[k], "bn.t1.c%d", c);
        up[nu++] = names[k++];
        for (int g = 1; g <= grids; g++) {
            snprintf(names[k], sizeof names[k], "bn.t1.c%d.g%d", c, g);
            down[nd++] = names[k++];
        }
    }
    pid_t p_up = bn_node_start(home, up, log);
    pid_t p_down = bn_node_start(home, down, log);
    int64_t t0 = bn_now_us();
    bool ok = bn_wait_serving(home, up[nu - 1], 30000) >= 0;
    for (int i = 0; i < nd && ok; i++)
        ok = bn_wait_serving(home, down[i], 60000) >= 0;
    double start_s = (double)(bn_now_us() - t0) / 1e6;
    char name[64];
    if (!ok) {
        bn_note("scaling: %d grids in one process did not all serve (see %s)", total, log);
    } else {
        int window = 256 / total;
        window = window < 1 ? 1 : window > 64 ? 64 : window;
        bn_progress("scaling: %d grid nodes in one process (serving after %.1f s), %d s flat out", total, start_s,
                    seconds);
        bn_settle();
        /* What the grids cost doing nothing: 2 s idle first. */
        double i0 = bn_cpu_us(p_down);
        int64_t ti = bn_now_us();
        bn_sleep_ms(idle_ms);
        double i1 = bn_cpu_us(p_down);
        double idle_pct = i0 >= 0 && i1 >= 0 ? (i1 - i0) * 100 / (double)(bn_now_us() - ti) : -1;
        double c0 = bn_cpu_us(p_down), u0 = bn_cpu_us(p_up);
        unlink(out);
        int rc = bn_run_worker("district", log, (seconds + 120) * 1000,
                               "home=%s rate=50000 seconds=%d window=%d intake_only=1 drain_s=30 ids=%s out=%s", home,
                               seconds, window, ids, out);
        double c1 = bn_cpu_us(p_down), u1 = bn_cpu_us(p_up);
        bn_result r;
        if (rc == 0 && bn_result_read(&r, out) == 0) {
            double acked = bn_result_get(&r, "acked", 0);
            snprintf(name, sizeof name, "nodes %d tput", total);
            bn_add("scaling", name, "/s", bn_result_get(&r, "acked", 0) / bn_result_get(&r, "seconds", 1));
            snprintf(name, sizeof name, "nodes %d cpu_us", total);
            bn_add("scaling", name, "µs/case", acked > 0 && c0 >= 0 && c1 >= 0 ? (c1 - c0) / acked : -1);
            snprintf(name, sizeof name, "nodes %d up_cpu_us", total);
            bn_add("scaling", name, "µs/case", acked > 0 && u0 >= 0 && u1 >= 0 ? (u1 - u0) / acked : -1);
            snprintf(name, sizeof name, "nodes %d idle CPU", total);
            bn_add("scaling", name, "% core", idle_pct);
            snprintf(name, sizeof name, "nodes %d start_s", total);
            bn_add("scaling", name, "s", start_s);
            snprintf(name, sizeof name, "nodes %d RSS", total);
            bn_add("scaling", name, "MiB", (double)bn_rss_kib(p_down) / 1024);
        } else {
            bn_note("scaling: the load on %d grids failed (see %s)", total, log);
        }
    }
    bn_stop(p_down, 15000);
    bn_stop(p_up, 15000);
    bn_rmtree(home);
    free(up);
    free(down);
    free(names);
}

static void open_series(const char *root, const char *log, bool quick, int measure_ms)
{
    char home[PATH_MAX], out[PATH_MAX], dir[PATH_MAX], name[64], lab[24];
    if (home_for(root, "scaling-open", 1, 16, home, sizeof home) != 0) {
        bn_note("scaling: could not set up the open-cases home");
        return;
    }
    snprintf(out, sizeof out, "%s/scaling.out", root);
    gl_home_path(dir, sizeof dir, home, "data/bn.t1.c1");
    long have = 0;
    int n_levels = quick ? 2 : N_OPEN_LEVELS;
    for (int l = 0; l < n_levels; l++) {
        long want = quick ? open_levels[l] / 10 : open_levels[l];
        open_label(lab, sizeof lab, want);
        bn_progress("scaling: filling the community's store to %s open cases", lab);
        unlink(out);
        if (bn_run_worker("prefill", log, 1800000,
                          "dir=%s node=bn.t1.c1 grid=bn.t1.c1.g1 cases=%ld deadlines=%ld near=0 due_base_ms=%lld "
                          "tag=%d map_mb=16384 out=%s",
                          dir, want - have, want - have, (long long)(bn_wall_us() / 1000), 80 + l, out) != 0) {
            bn_note("scaling: the prefill to %s open cases failed (see %s)", lab, log);
            break;
        }
        have = want;
        const char *ids[] = {"bn.t1.c1", NULL};
        pid_t node = bn_node_start(home, ids, log);
        if (bn_wait_serving(home, "bn.t1.c1", 30000) < 0) {
            bn_note("scaling: the community on %s open cases did not serve (see %s)", lab, log);
            bn_stop(node, 5000);
            break;
        }
        bn_progress("scaling: intake with %s open cases in the store", lab);
        unlink(out);
        bn_settle(); /* the fill's writes are not the intake's */
        int rc = bn_run_worker("client", log, 120000,
                               "mode=link home=%s under=bn.t1.c1 devices=16 window=64 warmup_ms=%d measure_ms=%d "
                               "tag=%d cpu_pid=%d out=%s",
                               home, measure_ms / 4, measure_ms, 90 + l, (int)node, out);
        bn_result r;
        if (rc == 0 && bn_result_read(&r, out) == 0) {
            snprintf(name, sizeof name, "open %s tput", lab);
            bn_add("scaling", name, "/s", bn_result_get(&r, "tput", -1));
            snprintf(name, sizeof name, "open %s cpu_us", lab);
            bn_add("scaling", name, "µs/case", bn_result_get(&r, "cpu_us", -1));
            snprintf(name, sizeof name, "open %s p99_ms", lab);
            bn_add("scaling", name, "ms", bn_result_get(&r, "p99_ms", -1));
        } else {
            bn_note("scaling: the client failed at %s open cases (see %s)", lab, log);
        }
        bn_stop(node, 5000);
    }
    bn_rmtree(home);
}

void bn_scaling(const char *root, int runs, bool quick)
{
    char log[PATH_MAX];
    snprintf(log, sizeof log, "%s/scaling.log", root);
    idle_ms = quick ? 300 : 2000;
    for (int run = 1; run <= runs; run++) {
        for (int i = 0; i < (quick ? 2 : N_NODE_LEVELS); i++)
            nodes_level(root, log, node_levels[i], quick ? 2 : 10);
        open_series(root, log, quick, quick ? 400 : 3000);
    }
    bn_note("scaling: one run; nodes per process: one process hosts every grid, another the communities above them, "
            "reports submitted flat out at the grids over the control channel (about 256 in flight in all, so fewer "
            "a grid as grids are added); CPU is the grid process's (cpu_us) and the communities' (up_cpu_us) over the "
            "whole load, per report; idle CPU the grid process's over 2 s before the load");
}

/* scaling.dat and scaling.gp (for scaling.png) in out_dir: throughput and
 * CPU per case against nodes per process and against open cases, log x.
 * Returns the rows written (0: nothing to draw); gp gets the script's path. */
int bn_scaling_plot(const char *out_dir, bool quick, char *gp, size_t gp_size)
{
    char dat[PATH_MAX], png[PATH_MAX];
    snprintf(dat, sizeof dat, "%s/scaling.dat", out_dir);
    snprintf(gp, gp_size, "%s/scaling.gp", out_dir);
    snprintf(png, sizeof png, "%s/scaling.png", out_dir);
    FILE *f = fopen(dat, "w");
    if (!f)
        return 0;
    char name[64], lab[24];
    fprintf(f, "# grid nodes in one process, reports/s, grid process CPU µs/report, communities' CPU µs/report\n");
    int rows = 0;
    for (int i = 0; i < N_NODE_LEVELS; i++) {
        int c, g;
        shape(node_levels[i], &c, &g);
        int n = c * g;
        snprintf(name, sizeof name, "nodes %d tput", n);
        double tp = bn_med("scaling", name);
        if (tp < 0)
            continue;
        snprintf(name, sizeof name, "nodes %d cpu_us", n);
        double cpu = bn_med("scaling", name);
        snprintf(name, sizeof name, "nodes %d up_cpu_us", n);
        fprintf(f, "%d %.1f %.1f %.1f\n", n, tp, cpu, bn_med("scaling", name));
        rows++;
    }
    fprintf(f, "\n\n# open cases in the store, cases/s, node CPU µs/case\n");
    for (int i = 0; i < N_OPEN_LEVELS; i++) {
        long want = quick ? open_levels[i] / 10 : open_levels[i];
        open_label(lab, sizeof lab, want);
        snprintf(name, sizeof name, "open %s tput", lab);
        double tp = bn_med("scaling", name);
        if (tp < 0)
            continue;
        snprintf(name, sizeof name, "open %s cpu_us", lab);
        fprintf(f, "%ld %.1f %.1f\n", want, tp, bn_med("scaling", name));
        rows++;
    }
    fclose(f);
    if (rows == 0)
        return 0;
    f = fopen(gp, "w");
    if (!f)
        return 0;
    fprintf(f,
            "set terminal pngcairo size 1400,600 font 'sans,10' noenhanced\n"
            "set output '%s'\n"
            "set multiplot layout 1,2 title 'gridlink bench: how the cost of a case grows (2-core machine, fsync on "
            "commit)'\n"
            "set grid\nset logscale x\nset key top left\nset ytics nomirror\nset y2tics\n"
            "set ylabel 'reports/s'\nset y2label 'CPU µs per report'\nset yrange [0:*]\nset y2range [0:*]\n"
            "set title 'Against grid nodes hosted in one process'\nset xlabel 'grid nodes in the process'\n"
            "plot '%s' index 0 using 1:2 with linespoints lw 2 title 'reports/s', "
            "'' index 0 using 1:3 axes x1y2 with linespoints title 'CPU µs/report, grid process', "
            "'' index 0 using 1:4 axes x1y2 with linespoints title 'CPU µs/report, communities'\n"
            "set title 'Against open cases already in the store'\nset xlabel 'open cases in the community store'\n"
            "set ylabel 'cases/s'\nset y2label 'CPU µs per case'\n"
            "plot '%s' index 1 using 1:2 with linespoints lw 2 title 'cases/s (16 devices, window 64)', "
            "'' index 1 using 1:3 axes x1y2 with linespoints title 'CPU µs/case, node'\n"
            "unset multiplot\n",
            png, dat, dat);
    fclose(f);
    return rows;
}
