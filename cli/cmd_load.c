/* cmd_load.c: the load generator (not yet written). */
#include "cli.h"

int gl_cmd_load(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail("load", "not available in this build");
}
