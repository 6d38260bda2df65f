/* bench.h: what the benchmark's files share.
 *
 * `gridlink bench` is a driver (bench.c) that sets up temporary homes,
 * starts real gridlink processes, runs workers and collects figures, which
 * report.c turns into the table, the TARGET lines and the plots. Every
 * worker is this same binary started again as `gridlink bench _worker ROLE
 * key=value...` (workers.c), so that clients and servers always sit in
 * separate processes; the peers (NATS JetStream, Redis Streams) are driven
 * by a separate binary, gridlink-bench-peers (peers.c), which alone links
 * their C clients. A worker writes its figures as `key value` lines to the
 * file named by its out= argument. */
#ifndef GL_BENCH_H
#define GL_BENCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "topology.h"

/* ---- clock and samples (util.c) ---- */

int64_t bn_now_us(void);  /* CLOCK_MONOTONIC */
int64_t bn_wall_us(void); /* CLOCK_REALTIME */

typedef struct bn_samples {
    double *v;
    size_t n, cap;
} bn_samples;

void bn_samples_add(bn_samples *s, double v);
void bn_samples_free(bn_samples *s);
/* qsort order of doubles, ascending. */
int bn_cmp_double(const void *a, const void *b);
/* Sorts in place; q in 0..1. 0 when empty. */
double bn_samples_q(bn_samples *s, double q);

/* key=value arguments */
typedef struct bn_args {
    int n;
    char **k, **v;
} bn_args;
void bn_args_parse(bn_args *a, int argc, char **argv);
const char *bn_arg(const bn_args *a, const char *key, const char *def);
long bn_arg_l(const bn_args *a, const char *key, long def);
double bn_arg_d(const bn_args *a, const char *key, double def);

/* Result files: `key value` lines. */
typedef struct bn_result {
    int n;
    char key[64][48];
    double val[64];
} bn_result;
void bn_result_set(bn_result *r, const char *key, double v);
int bn_result_write(const bn_result *r, const char *path);
int bn_result_read(bn_result *r, const char *path);
double bn_result_get(const bn_result *r, const char *key, double def);

/* ---- processes (util.c) ---- */

/* Path of a program next to the running gridlink binary. */
void bn_sibling(char *buf, size_t size, const char *name);
/* User + system time of pid and its threads, in µs; -1 when unknown. */
double bn_cpu_us(pid_t pid);
/* Bytes written to the block device that holds $TMPDIR (sectors written
 * in /sys/dev/block/MAJ:MIN/stat), -1 when unknown (a tmpfs, say). A
 * process's write_bytes (/proc/PID/io) is not used: on this kernel's ext4
 * it counted 2.7 to 5.9 times the bytes the node passed to its writes and
 * the device wrote. The figure is the whole device's, so it is read over a
 * window in which only the server measured writes. */
double bn_storage_bytes(void);
/* A server's CPU time and storage writes over a measuring window:
 * bn_cpu_watch_init with its pid (0: none), bn_cpu_tick from the measuring
 * loop (it reads both once at t_meas and once at t_end), bn_cpu_per the µs
 * per operation over n operations, bn_storage_per the bytes written to
 * storage per operation, bn_steal_pct the share of the machine's CPU time
 * the hypervisor took (steal in /proc/stat) in the window, in percent (-1
 * when the window was not seen whole). */
typedef struct bn_cpu_watch {
    pid_t pid;
    double start, end;
    double wb_start, wb_end;
    double steal_start, steal_end, all_start, all_end;
} bn_cpu_watch;
void bn_cpu_watch_init(bn_cpu_watch *w, pid_t pid);
void bn_cpu_tick(bn_cpu_watch *w, int64_t now, int64_t t_meas, int64_t t_end);
double bn_cpu_per(const bn_cpu_watch *w, uint64_t n);
double bn_storage_per(const bn_cpu_watch *w, uint64_t n);
double bn_steal_pct(const bn_cpu_watch *w);
/* prog's path on PATH (or the usual system directories) into buf; false,
 * with buf empty, when it is not installed. */
bool bn_find_prog(const char *prog, char *buf, size_t size);
/* fork + exec argv (NULL-terminated) with stdout and stderr to logfile
 * (appended; NULL keeps them). Returns the pid or -1. */
pid_t bn_spawn(char *const argv[], const char *logfile);
/* Wait up to timeout_ms for pid to exit; returns its exit status, or -1 on
 * timeout (the process is then killed). */
int bn_wait(pid_t pid, int timeout_ms);
/* SIGTERM, wait up to grace_ms, then SIGKILL; reaps. */
void bn_stop(pid_t pid, int grace_ms);
/* Run a worker of this binary and wait for it; returns exit status. */
int bn_run_worker(const char *role, const char *logfile, int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Resident set size of pid in KiB (VmRSS), or -1. */
long bn_rss_kib(pid_t pid);
/* A kB field of /proc/PID/status ("RssAnon", "RssFile"), or -1. */
long bn_status_kib(pid_t pid, const char *field);
/* A base port with `count` free consecutive TCP ports on 127.0.0.1, from
 * 21000 up to the kernel's ephemeral range (ip_local_port_range). */
int bn_free_ports(int count);
void bn_sleep_ms(int ms);
/* Before a measured phase: sync() the whole system and wait (5 s at most)
 * until the kernel's dirty and writeback pages are under BN_SETTLE_KIB, so
 * no phase pays for the writes of the one before it (a peer's, a bare
 * server's, its own last window's). */
#define BN_SETTLE_KIB 16384
void bn_settle(void);
/* The disk's pace: synced 4 KiB overwrites of one page a second (pwrite +
 * fdatasync) in dir over ms, or -1. The same device's pace swings between
 * runs on a shared machine; a run's figures are read beside it. */
double bn_disk_probe(const char *dir, int ms);
/* rm -rf */
void bn_rmtree(const char *path);
/* dir/fmt... into buf (empty when it does not fit). */
void bn_path_in(char *buf, size_t size, const char *dir, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Whether the file p exists (now; within timeout_ms). */
bool bn_exists(const char *p);
bool bn_wait_file(const char *p, int timeout_ms);
/* Whether 127.0.0.1:port takes a TCP connection within timeout_ms. */
bool bn_wait_listening(int port, int timeout_ms);
/* Run the client worker with args (and out=out) after a settle, and read
 * its result file into r: the worker's exit status, -1 without a result. */
int bn_run_client(const char *logfile, const char *out, bn_result *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- homes (util.c) ---- */

/* Write a topology JSON for a bench district: one district `bn`, `towns`
 * townships bn.tK, `comms` communities per township bn.tK.cJ, `grids` grids
 * per community bn.tK.cJ.gI (all numbered from 1). SLA deadlines are a day
 * or more unless sla_s > 0 sets every tier's accept/resolve. */
int bn_topology_write(const char *path, int towns, int comms, int grids, int sla_s);
/* keygen into home from topology file; with_bus false drops the broker so
 * nodes keep the bus off. */
int bn_home_init(const char *home, const char *topology_file, int port_base, bool with_bus);
/* Start a gridlink-node process hosting ids (NULL-terminated) in home. */
pid_t bn_node_start(const char *home, const char *const *ids, const char *logfile);
pid_t bn_broker_start(const char *home, const char *logfile);
/* Wait until the node answers health on its control socket. Returns ms
 * waited or -1. */
int bn_wait_serving(const char *home, const char *node, int timeout_ms);

/* ---- the run (bench.c) ---- */

#define BN_MAX_RUNS 10

/* What `gridlink bench` was asked for and what it found installed; set up
 * by gl_cmd_bench, read by every scenario and by the report. */
typedef struct bn_run {
    int runs;
    bool quick;
    bool keep;
    int district_s;
    char root[PATH_MAX];    /* the run's temporary directory */
    char out_dir[PATH_MAX]; /* where latest.md and the plots go */
    char peers_bin[PATH_MAX], nats_bin[PATH_MAX], redis_bin[PATH_MAX];
    bool have_peers, have_nats, have_redis;
    bool nats_sync_always;
} bn_run;

/* normal, or quick under --quick */
static inline int bn_q(const bn_run *r, int normal, int quick)
{
    return r->quick ? quick : normal;
}
/* The disk's pace now (bn_disk_probe, after a settle), as a figure of
 * scenario `scen` named "disk syncs/s <when>". */
void bn_probe(const bn_run *r, const char *scen, const char *when);
/* A fresh home root/name for a bench topology (bn_topology_write's
 * shape, the bus on or off); its first port into *port_base. */
int bn_make_home(const char *root, char *home, size_t size, const char *name, int towns, int comms, int grids, bool bus,
                 int *port_base);
/* Pre-create a node's store with a map of mb MiB, so none grows mid-run. */
void bn_presize(const char *home, const char *node, int mb);

/* ---- the intake scenario (intake.c) ---- */

#define BN_N_WINDOWS 3
extern const int bn_windows[BN_N_WINDOWS]; /* 1, 64, 1000 in flight */
/* One run: the node, the bare servers and the peers, window by window. */
void bn_intake_run(const bn_run *r, int run);

/* ---- escalation and recovery (bench.c): what the targets name ---- */

#define BN_ESC_OPEN       1000000L
#define BN_ESC_OPEN_QUICK 2000L
#define BN_REC_CASES      1000000L
/* The figures' prefix for a run with `open` open deadlines: "1M open,". */
void bn_esc_name(char *buf, size_t size, long open);

/* ---- the district scenario (district.c) ---- */

int bn_district_run(const char *root, const char *log, int seconds, int rate, bool quick, bn_result *r);

/* ---- the report (report.c) ---- */

/* Opens out_dir/latest.md (written to a .tmp until bn_report_close);
 * r must outlive the report. */
void bn_report_open(const bn_run *r);
/* The machine line, the table, the notes, the TARGET lines (not under
 * --quick) and the plots, on stdout and into latest.md. */
void bn_report_close(double total_s);

/* One run's value of a figure: the table shows median, min and max over the
 * runs. unit is "/s", "ms" or another short word ("" for a count). */
void bn_add(const char *scen, const char *name, const char *unit, double v);
/* The median of a figure over the runs so far; -1 when it has none. */
double bn_med(const char *scen, const char *name);
/* A line under the table's notes (the same text once). */
void bn_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A progress line on stderr. */
void bn_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A TARGET line: fig_v against need times ref (>= when higher, else <=),
 * counted as met or missed; "not measured" when either is missing. */
void bn_target(const char *name, double fig_v, const char *fig_unit, double ref, const char *ref_desc, double need,
               bool higher);
/* A TARGET line for a condition that holds or not: "TARGET name: <text>
 * (1.00x) met", or "(-) missed". */
void bn_check(const char *name, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Every key of a worker's result file that it holds, as figures of scen
 * named "<prefix> <key>", the unit read off the key's suffix. */
void bn_add_result(const char *scen, const char *prefix, const bn_result *r, const char *const *keys);

/* ---- the http scenario (http.c) ---- */

/* runs runs of the scenario in fresh directories under root (see http.c). */
void bn_http(const char *root, int runs, bool quick);
/* Its TARGET lines, when it ran. */
void bn_http_targets(void);

/* ---- the scaling scenario (scaling.c) ---- */

/* runs runs of the scenario in fresh directories under root. */
void bn_scaling(const char *root, int runs, bool quick);
/* Its plot's data and gnuplot script in out_dir (script path into gp);
 * the rows written, 0 when it did not run. */
int bn_scaling_plot(const char *out_dir, bool quick, char *gp, size_t gp_size);

/* ---- workers (workers.c) ---- */
int bn_worker_main(int argc, char **argv);

/* Case building shared by the prefill and the client. */
struct ProtobufCMessage;
/* Build a 300-byte (packed envelope) transfer body for case id from grid. */
void *bn_case_new(const char *id, const char *grid, const char *holder, int64_t now_ms, size_t text_len);

#endif
