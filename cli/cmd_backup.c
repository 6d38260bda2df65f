/* cmd_backup.c: `gridlink backup` (a hot, compacted copy of one node's
 * store, taken while the node runs) and `gridlink restore` (that copy put
 * back in place of the node's store while the node is stopped, given a new
 * identity so that its neighbours renumber their links with it and nothing
 * is taken twice; see store_backup.c). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "home.h"
#include "names.h"
#include "store.h"

static int run(const char *cmd, int argc, char **argv, bool restore)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"node", required_argument, 0, 'n'},
                                       {"to", required_argument, 0, 't'},
                                       {"from", required_argument, 0, 'f'},
                                       {0, 0, 0, 0}};
    const char *home = NULL, *node = NULL, *dir = NULL;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt(cmd, argc, argv, lo, restore ? "Hnf" : "Hnt")) != -1) {
        if (c == 'H')
            home = optarg;
        else if (c == 'n')
            node = optarg;
        else if (c == 't' || c == 'f')
            dir = optarg;
        else
            return CLI_USAGE;
    }
    if (optind != argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if (!node || !dir)
        return cli_usage(cmd, "give --node NODE_ID and %s DIR", restore ? "--from" : "--to");
    home = cli_home(home);
    gl_topology_t *t = NULL;
    if (cli_topology(cmd, home, &t) != 0)
        return 1;
    bool known = gl_node_id_valid(node) && gl_topology_find(t, node);
    gl_topology_free(&t);
    if (!known)
        return cli_usage(cmd, "%s is not a node of %s/topology.json", node, home);
    char store[PATH_MAX], err[600] = "";
    if (gl_home_path(store, sizeof store, home, "data/%s", node) != 0)
        return cli_fail(cmd, "home path too long");
    int rc = restore ? gl_store_restore(dir, store, node, err, sizeof err)
                     : gl_store_backup(store, node, dir, err, sizeof err);
    if (rc != 0)
        return cli_fail(cmd, "%s", err[0] ? err : gl_strerror(rc));
    if (restore)
        printf("restored %s from %s: a new store identity; its neighbours renumber their links with it when it "
               "starts\n",
               node, dir);
    else
        printf("backed up %s to %s\n", node, dir);
    return 0;
}

int gl_cmd_backup(int argc, char **argv)
{
    return run("backup", argc, argv, false);
}

int gl_cmd_restore(int argc, char **argv)
{
    return run("restore", argc, argv, true);
}
