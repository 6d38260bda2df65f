/* load.h: what `gridlink load`'s two halves share: the load generator
 * (cmd_load.c, which also parses the command line) and the checker
 * (load_check.c), which the generator runs on the IDs it recorded and
 * `--check-only FILE` runs alone. The checker borrows everything in its
 * scope from the caller and frees nothing of it. */
#ifndef GL_CLI_LOAD_H
#define GL_CLI_LOAD_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "topology.h"

/* Set by the command's SIGINT/SIGTERM handler; both halves stop early on it. */
extern volatile sig_atomic_t cli_load_interrupted;

/* Monotonic clock, in microseconds. */
static inline int64_t cli_load_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Where and how the checker looks; all borrowed. */
struct cli_load_scope {
    const char *home;
    const char *prefix;        /* the checked subtree (its ancestors are checked too) */
    const gl_topology_t *topo; /* HOME's topology */
    int census_pause_ms;       /* between two censuses */
};

/* Checks every case ID listed in acked_path (one a line, '#' comments):
 * waits up to settle_s for the outboxes to drain, scans the logs, takes
 * censuses until two agree, then prints "N acked, N found, N lost, N
 * duplicated" on stdout and the details on stderr. 0 when nothing is
 * lost, duplicated or inconsistent; 1 otherwise or on failure (reported). */
int cli_load_check(const struct cli_load_scope *scope, const char *acked_path, int settle_s);

#endif
