/* bench.h: what the benchmark's files share.
 *
 * `gridlink bench` is a driver (bench.c) that sets up temporary homes,
 * starts real gridlink processes, runs workers and collects figures. Every
 * worker is this same binary started again as `gridlink bench _worker ROLE
 * key=value...` (workers.c), so that clients and servers always sit in
 * separate processes; the peers (NATS JetStream, Redis Streams) are driven
 * by a separate binary, gridlink-bench-peers (peers.c), which alone links
 * their C clients. A worker writes its figures as `key value` lines to the
 * file named by its out= argument. */
#ifndef GL_BENCH_H
#define GL_BENCH_H

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
/* Bytes pid and its threads caused to be written to storage (write_bytes
 * of /proc/PID/io), -1 when unknown. */
double bn_storage_bytes(pid_t pid);
/* A server's CPU time and storage writes over a measuring window:
 * bn_cpu_watch_init with its pid (0: none), bn_cpu_tick from the measuring
 * loop (it reads both once at t_meas and once at t_end), bn_cpu_per the µs
 * per operation over n operations, bn_storage_per the bytes written to
 * storage per operation (-1 when the window was not seen whole). */
typedef struct bn_cpu_watch {
    pid_t pid;
    double start, end;
    double wb_start, wb_end;
} bn_cpu_watch;
void bn_cpu_watch_init(bn_cpu_watch *w, pid_t pid);
void bn_cpu_tick(bn_cpu_watch *w, int64_t now, int64_t t_meas, int64_t t_end);
double bn_cpu_per(const bn_cpu_watch *w, uint64_t n);
double bn_storage_per(const bn_cpu_watch *w, uint64_t n);
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

/* ---- the report (bench.c), for the scenarios kept in their own files ---- */

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
