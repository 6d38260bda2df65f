/* main.c: `gridlink`, the operator's and staff's command line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "home.h"
#include "log.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"up", gl_cmd_up,
     "[--topology FILE] [--home DIR] [--port-base N] [--group auto|node|community|township] [--demo] [--quiet]\n"
     "        start the broker and every node, restart what dies, stop all on Ctrl-C"},
    {"submit", gl_cmd_submit,
     "--node GRID_ID --category CAT --text TEXT [--priority P] [--kind K] [--note N] [--address A]\n"
     "        [--reporter R] [--json]\n"
     "        report a case; prints its ID"},
    {"show", gl_cmd_show, "--node NODE_ID CASE_ID [--json]      one case with its history"},
    {"list", gl_cmd_list, "--node NODE_ID [--json]              the cases a node holds or has held"},
    {"act", gl_cmd_act, "--node NODE_ID CASE_ID accept|start|resolve|close|reopen|escalate [--note TEXT] [--json]"},
    {"health", gl_cmd_health, "--node NODE_ID                      links, log and outbox of a node"},
    {"deadletters", gl_cmd_deadletters,
     "--node NODE_ID [--json] | --peer PEER (--retry SEQ | --drop SEQ)\n"
     "        messages the node's neighbours refused for good: list, send again, drop"},
    {"watch", gl_cmd_watch,
     "[--key NAME] [--prefix NODE_PATH] [--kind KIND] [--json] [--count N] [--seconds S]\n"
     "        the live change feed, as much of it as key NAME (default operator) may see"},
    {"keygen", gl_cmd_keygen, "[--topology FILE] [--port-base N]   create keys and HOME/topology.json"},
    {"topology", gl_cmd_topology, "check FILE                        validate a topology file"},
    {"load", gl_cmd_load,
     "--cases N --rate R [--prefix NODE_PATH] [--window W] [--timeout S] [--request-timeout MS]\n"
     "        [--census-pause MS]   load generator with a loss/duplicate check;\n"
     "        --check-only FILE [--prefix P] [--timeout S] [--census-pause MS] checks only"},
    {"bench", gl_cmd_bench,
     "[SCENARIO]                          the benchmark (intake, escalation, fanout, recovery, district)"},
    {"demo", gl_cmd_demo, "[--interval-ms N]                   simulated staff traffic for a demo"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gridlink COMMAND [--home DIR] [options]\n\n"
               "HOME defaults to $GRIDLINK_HOME, else ./gridlink-home. The case commands also take\n"
               "--timeout MS (1..600000, default 5000). Exit status: 0 done, 1 failed, 2 bad usage.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    gl_log_init("gridlink", GL_LOG_WARN);
    gl_supervised_init();
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "gridlink: unknown command '%s' (gridlink help lists them)\n", argv[1]);
    return 2;
}
