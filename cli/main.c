/* main.c: `gridlink`, the operator's and staff's command line: finds the
 * command in the table (cmdtab.c) and runs it, or prints help from that
 * table. Nothing here allocates. */
#include <stdio.h>
#include <string.h>

#include "cmdtab.h"
#include "home.h"
#include "log.h"

static bool is_help(const char *arg)
{
    return strcmp(arg, "help") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int main(int argc, char **argv)
{
    gl_log_init("gridlink", GL_LOG_WARN);
    gl_supervised_init();
    if (argc < 2) {
        cli_help_list(stderr);
        return 2;
    }
    if (is_help(argv[1])) {
        /* `gridlink help COMMAND` is `gridlink COMMAND --help`. */
        const cli_command *c = argc > 2 ? cli_command_find(argv[2]) : NULL;
        if (c)
            cli_help_command(stdout, c);
        else
            cli_help_list(stdout);
        return 0;
    }
    const cli_command *c = cli_command_find(argv[1]);
    if (!c) {
        fprintf(stderr, "gridlink: unknown command '%s' (gridlink help lists them)\n", argv[1]);
        return 2;
    }
    if (cli_wants_help(c, argc - 1, argv + 1)) {
        cli_help_command(stdout, c);
        return 0;
    }
    return c->fn(argc - 1, argv + 1);
}
