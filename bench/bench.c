/* bench.c: the benchmark (not yet written). */
#include "cli.h"

int gl_cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail("bench", "not available in this build");
}
