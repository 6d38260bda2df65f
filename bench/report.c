/* report.c: the figures of a `gridlink bench` run and their report.
 *
 * Scenarios add one value a run to a named figure (bn_add, bn_add_result);
 * bn_report_close prints each figure's median, min and max over the runs
 * as a table on stdout and into latest.md, then the notes, one TARGET line
 * a target (bn_target, bn_check and the limits below) and the gnuplot
 * plots. Everything here is static storage of bounded size: nothing to
 * free. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "home.h"

#define MAX_FIGS 256

typedef struct fig {
    char scen[16];
    char name[64];
    char unit[12];
    double v[BN_MAX_RUNS];
    int n;
} fig;

static struct {
    fig figs[MAX_FIGS];
    int n_figs;
    char notes[32][512];
    int n_notes;
    int targets_met, targets_missed;
    FILE *md;
    char md_path[PATH_MAX], md_tmp[PATH_MAX + 8];
} F;

static const bn_run *R;

void bn_note(const char *fmt, ...)
{
    if (F.n_notes >= 32)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(F.notes[F.n_notes], sizeof F.notes[0], fmt, ap);
    va_end(ap);
    for (int i = 0; i < F.n_notes; i++)
        if (strcmp(F.notes[i], F.notes[F.n_notes]) == 0)
            return;
    F.n_notes++;
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
    for (int i = 0; i < F.n_figs; i++)
        if (strcmp(F.figs[i].scen, scen) == 0 && strcmp(F.figs[i].name, name) == 0)
            return &F.figs[i];
    if (F.n_figs == MAX_FIGS)
        return NULL;
    fig *f = &F.figs[F.n_figs++];
    memset(f, 0, sizeof *f);
    snprintf(f->scen, sizeof f->scen, "%s", scen);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->unit, sizeof f->unit, "%s", unit);
    return f;
}

void bn_add(const char *scen, const char *name, const char *unit, double v)
{
    fig *f = fig_get(scen, name, unit);
    if (f && f->n < BN_MAX_RUNS)
        f->v[f->n++] = v;
}

static double fig_stat(const fig *f, int which) /* 0 median, 1 min, 2 max */
{
    if (!f || f->n == 0)
        return -1;
    double s[BN_MAX_RUNS];
    memcpy(s, f->v, sizeof(double) * (size_t)f->n);
    qsort(s, (size_t)f->n, sizeof *s, bn_cmp_double);
    if (which == 1)
        return s[0];
    if (which == 2)
        return s[f->n - 1];
    return f->n % 2 ? s[f->n / 2] : (s[f->n / 2 - 1] + s[f->n / 2]) / 2;
}

double bn_med(const char *scen, const char *name)
{
    for (int i = 0; i < F.n_figs; i++)
        if (strcmp(F.figs[i].scen, scen) == 0 && strcmp(F.figs[i].name, name) == 0)
            return fig_stat(&F.figs[i], 0);
    return -1;
}

/* Add every key of a worker's result file under prefix. */
void bn_add_result(const char *scen, const char *prefix, const bn_result *r, const char *const *keys)
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
                           : strstr(keys[i], "_pct")   ? "%"
                                                       : "";
        bn_add(scen, name, unit, v);
    }
}

static void out2(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out2(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (F.md) {
        va_start(ap, fmt);
        vfprintf(F.md, fmt, ap);
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
    for (int i = 0; i < F.n_figs; i++) {
        fig *f = &F.figs[i];
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
        F.targets_missed++;
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
        F.targets_met++;
    else
        F.targets_missed++;
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
        F.targets_met++;
    else
        F.targets_missed++;
}

static void limit(const char *name, double v, const char *unit, double lim, bool below)
{
    if (v < 0) {
        out2("TARGET %s: not measured missed\n", name);
        F.targets_missed++;
        return;
    }
    bool met = below ? v < lim : v >= lim;
    char a[32], b[32];
    fmt_num(a, sizeof a, v);
    fmt_num(b, sizeof b, lim);
    out2("TARGET %s: %s %s vs limit %s %s (%.2fx) %s\n", name, a, unit, below ? "<" : ">=", b, v / lim,
         met ? "met" : "missed");
    if (met)
        F.targets_met++;
    else
        F.targets_missed++;
}

static bool ran(const char *scen)
{
    for (int i = 0; i < F.n_figs; i++)
        if (strcmp(F.figs[i].scen, scen) == 0)
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
        for (int w = 0; w < BN_N_WINDOWS; w++) {
            char mine[64], ref[64];
            snprintf(mine, sizeof mine, "node w%d tput", bn_windows[w]);
            snprintf(ref, sizeof ref, "bare zmq+lmdb+curve w%d tput", bn_windows[w]);
            double a = bn_med("intake", mine), b = bn_med("intake", ref);
            if (a > 0 && b > 0)
                out2("intake w%d: the node at %.2fx the bare ZeroMQ+LMDB limit over CurveZMQ\n", bn_windows[w], a / b);
            snprintf(mine, sizeof mine, "node w%d cpu_us", bn_windows[w]);
            snprintf(ref, sizeof ref, "bare zmq+lmdb+curve w%d cpu_us", bn_windows[w]);
            a = bn_med("intake", mine);
            b = bn_med("intake", ref);
            if (a > 0 && b > 0)
                out2("intake w%d: %.1f µs of the node's CPU a case, %.1f µs for the bare limit over CurveZMQ\n",
                     bn_windows[w], a, b);
            snprintf(mine, sizeof mine, "node w%d disk_b", bn_windows[w]);
            snprintf(ref, sizeof ref, "bare zmq+lmdb w%d disk_b", bn_windows[w]);
            a = bn_med("intake", mine);
            b = bn_med("intake", ref);
            if (a >= 0 && b > 0)
                out2("intake w%d: %.0f bytes written to storage a case by the node, %.0f by the bare limit (%.1fx)\n",
                     bn_windows[w], a, b, a / b);
        }
        /* The disk's pace at each window (every server measured in turn
         * right after), for reading the figures beside it. */
        char paces[256] = "";
        size_t used = 0;
        for (int w = 0; w <= BN_N_WINDOWS; w++) {
            char fname[64];
            if (w < BN_N_WINDOWS)
                snprintf(fname, sizeof fname, "disk syncs/s at window %d", bn_windows[w]);
            else
                snprintf(fname, sizeof fname, "disk syncs/s at the low load");
            double v = bn_med("intake", fname);
            if (v > 0 && used < sizeof paces)
                used += (size_t)snprintf(paces + used, sizeof paces - used, "%s%.0f %s", used ? ", " : "", v,
                                         fname + strlen("disk syncs/s "));
        }
        if (used)
            out2("intake: the disk took synced 4 KiB writes a second: %s\n", paces);
        /* The hypervisor's share of the machine's CPU while the node and the
         * bare limit were measured: a slow phase the disk does not explain. */
        char steal[256] = "";
        used = 0;
        for (int w = 0; w < BN_N_WINDOWS; w++) {
            char a[64], b[64];
            snprintf(a, sizeof a, "node w%d steal_pct", bn_windows[w]);
            snprintf(b, sizeof b, "bare zmq+lmdb w%d steal_pct", bn_windows[w]);
            double x = bn_med("intake", a), y = bn_med("intake", b);
            if (x >= 0 && y >= 0 && used < sizeof steal)
                used += (size_t)snprintf(steal + used, sizeof steal - used, "%sw%d %.1f%% and %.1f%%", used ? ", " : "",
                                         bn_windows[w], x, y);
        }
        if (used)
            out2("intake: CPU steal (the hypervisor's share of the machine's CPU) while the node and the bare "
                 "ZeroMQ+LMDB limit were measured: %s\n",
                 steal);
    }
    if (ran("escalation")) {
        char fname[64], tn[64];
        bn_esc_name(fname, sizeof fname, BN_ESC_OPEN);
        strcat(fname, " p99_ms");
        snprintf(tn, sizeof tn, "escalation-p99-%ld-open", BN_ESC_OPEN);
        limit(tn, bn_med("escalation", fname), "ms", 50, true);
        bn_esc_name(fname, sizeof fname, BN_ESC_OPEN);
        strcat(fname, " missing");
        double miss = bn_med("escalation", fname);
        bn_check("escalation-none-missing", miss == 0, "%.0f of the deadlines due had no escalation event", miss);
    }
    if (ran("fanout"))
        limit("fanout-p99", bn_med("fanout", R->quick ? "500/s ev_p99_ms" : "10000/s ev_p99_ms"), "ms", 20, true);
    if (ran("recovery")) {
        char tn[64];
        snprintf(tn, sizeof tn, "recovery-serving-%ld-cases", BN_REC_CASES);
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
        if (R->district_s < 300)
            out2("(district ran %d s, not the 5 minutes the target names: --district-seconds 300)\n", R->district_s);
    }
    bn_http_targets();
}

static void plot(void)
{
    char dat[PATH_MAX], gp[PATH_MAX], png[PATH_MAX];
    bn_path_in(dat, sizeof dat, R->out_dir, "latest.dat");
    bn_path_in(gp, sizeof gp, R->out_dir, "latest.gp");
    bn_path_in(png, sizeof png, R->out_dir, "latest.png");
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
    for (int w = 0; w < BN_N_WINDOWS; w++) {
        fprintf(f, "%d", bn_windows[w]);
        for (int s = 0; s < 6; s++) {
            char name[64];
            snprintf(name, sizeof name, "%s %c%d tput", sys[s], s == 3 ? 'b' : 'w', bn_windows[w]);
            double v = bn_med("intake", name);
            fprintf(f, " %.1f", v < 0 ? 0 : v);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n\n# latency figure p50 p99\n");
    char esc50[64], esc99[64];
    bn_esc_name(esc50, sizeof esc50, R->quick ? BN_ESC_OPEN_QUICK : BN_ESC_OPEN);
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
        {"fanout", R->quick ? "500/s ev_p50_ms" : "10000/s ev_p50_ms",
         R->quick ? "500/s ev_p99_ms" : "10000/s ev_p99_ms", "fan-out"},
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
            png, R->runs,
            ran("intake")
                ? "plot for [c=2:7]"
                : "set label 1 'intake not run' at screen 0.2,0.5\nset yrange [0:1]\nplot 0 notitle with lines #",
            dat, dat);
    fclose(f);
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", gp);
    char gnuplot[PATH_MAX];
    if (!bn_find_prog("gnuplot", gnuplot, sizeof gnuplot)) {
        bn_note("no gnuplot: the plot was not drawn (bench/setup.sh installs it)");
        return;
    }
    if (system(cmd) == 0)
        out2("\nplot: %s\n", png);
    else
        out2("\ngnuplot failed on %s\n", gp);
    if (ran("scaling") && bn_scaling_plot(R->out_dir, R->quick, gp, sizeof gp) > 0) {
        snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", gp);
        bn_path_in(png, sizeof png, R->out_dir, "scaling.png");
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
         when, sysconf(_SC_NPROCESSORS_ONLN), cpu, R->root, BN_SETTLE_KIB / 1024, R->runs,
         R->quick ? " (--quick: tiny counts, no targets)" : "");
}

void bn_report_open(const bn_run *r)
{
    R = r;
    memset(&F, 0, sizeof F);
    gl_mkdir_p(r->out_dir);
    bn_path_in(F.md_path, sizeof F.md_path, r->out_dir, "latest.md");
    snprintf(F.md_tmp, sizeof F.md_tmp, "%s.tmp", F.md_path);
    F.md = fopen(F.md_tmp, "w");
}

void bn_report_close(double total_s)
{
    machine_line();
    table();
    out2("\nwhole benchmark: %.0f s\n", total_s);
    if (F.n_notes) {
        out2("\nnotes:\n");
        for (int i = 0; i < F.n_notes; i++)
            out2("- %s\n", F.notes[i]);
    }
    if (!R->quick)
        targets();
    plot();
    if (F.md) {
        fclose(F.md);
        F.md = NULL;
        rename(F.md_tmp, F.md_path);
        printf("table written to %s\n", F.md_path);
    }
}
