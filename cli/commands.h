/* commands.h: entry points of the `gridlink` subcommands, called through the
 * command table (cmdtab.c).
 *
 * Each command gets argv with argv[0] set to the subcommand name and returns
 * the process exit status (0 success, 1 failure, 2 usage error). */
#ifndef GL_COMMANDS_H
#define GL_COMMANDS_H

#include <stddef.h>

struct gl_topology;

/* `gridlink up`: run a whole local district (broker, nodes, watch) under one supervisor. */
int gl_cmd_up(int argc, char **argv);

#endif
