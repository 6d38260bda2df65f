/* cli.h: what the gridlink subcommands share: finding the home directory,
 * loading its topology, checking node IDs and printing one-line errors. */
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
