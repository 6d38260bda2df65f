/* cli.h: what the gridlink subcommands share: finding the home directory,
 * loading its topology, checking node IDs, parsing options (args.c) and
 * printing one-line errors. A subcommand exits 0 on success, 1 when what it
 * asked for failed, CLI_USAGE when it was asked wrongly. */
#ifndef GL_CLI_H
#define GL_CLI_H

#include <stdbool.h>

#include "topology.h"

/* --home, else $GRIDLINK_HOME, else ./gridlink-home. Never NULL. */
const char *cli_home(const char *given);
/* Print "gridlink CMD: <reason>" on stderr; returns 1 for `return cli_fail(...)`. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Load HOME/topology.json, or fail with a one-line reason. */
int cli_topology(const char *cmd, const char *home, gl_topology_t **out);

#define CLI_USAGE     2
#define CLI_OPT_ERROR (-2)
struct option;
/* Print "gridlink CMD: <reason> (gridlink help lists the options)" on stderr;
 * returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Start parsing a new argv with cli_next_opt. */
void cli_opts_reset(void);
/* The next option of argv (long options lo only), as getopt_long returns
 * it, -1 after the last; CLI_OPT_ERROR, with the reason printed, for an
 * unknown option, one whose value is missing, or one whose val is not in
 * allowed (NULL allows all of lo). Positional arguments are left from
 * optind on. */
int cli_next_opt(const char *cmd, int argc, char **argv, const struct option *lo, const char *allowed);
/* text as a whole base-10 number in lo..hi into *out, or print why not
 * (naming opt) and return CLI_USAGE. */
int cli_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi, long long *out);

int gl_cmd_submit(int argc, char **argv);
int gl_cmd_show(int argc, char **argv);
int gl_cmd_list(int argc, char **argv);
int gl_cmd_act(int argc, char **argv);
int gl_cmd_health(int argc, char **argv);
int gl_cmd_deadletters(int argc, char **argv);
int gl_cmd_watch(int argc, char **argv);
int gl_cmd_keygen(int argc, char **argv);
int gl_cmd_topology(int argc, char **argv);
int gl_cmd_demo(int argc, char **argv);
int gl_cmd_load(int argc, char **argv);
int gl_cmd_bench(int argc, char **argv);

#endif
