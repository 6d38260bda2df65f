/* main.c: gridlink-node, the process that runs one or more tier nodes.
 *
 *   gridlink-node --home DIR --node ID [--node ID ...] [--window N] [--log-level L]
 *
 * Every hosted node ID is on the command line so `ps` shows which process
 * serves which nodes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: gridlink-node --home DIR --node ID [--node ID ...] [--window N] [--log-level debug|info|warn|error]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"home", required_argument, 0, 'h'},
                                         {"node", required_argument, 0, 'n'},
                                         {"window", required_argument, 0, 'w'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, '?'},
                                         {0, 0, 0, 0}};
    const char *home = NULL;
    char **ids = calloc((size_t)argc, sizeof *ids);
    size_t n_ids = 0;
    unsigned long window = 0;
    int level = GL_LOG_INFO;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h': home = optarg; break;
        case 'n': ids[n_ids++] = optarg; break;
        case 'w': window = strtoul(optarg, NULL, 10); break;
        case 'l':
            level = gl_log_level_parse(optarg);
            if (level < 0) {
                fprintf(stderr, "gridlink-node: unknown log level %s\n", optarg);
                return 2;
            }
            break;
        default: usage(stderr); return 2;
        }
    }
    if (!home || n_ids == 0 || optind != argc) {
        usage(stderr);
        return 2;
    }
    char tag[128];
    snprintf(tag, sizeof tag, "node %s%s", ids[0], n_ids > 1 ? "+" : "");
    gl_log_init(tag, (enum gl_log_level)level);
    int rc = host_run(home, ids, n_ids, (uint32_t)window);
    free(ids);
    return rc;
}
