/* cmd_keys.c: setting up a home (keygen) and checking topology files. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "error.h"
#include "home.h"
#include "keys.h"
#include "policy.h"

extern const char gl_demo_topology[];
extern const size_t gl_demo_topology_len;

static int load_source(const char *cmd, const char *file, gl_topology_t **t)
{
    char err[512];
    int rc = file ? gl_topology_load_file(file, t, err, sizeof err)
                  : gl_topology_load_buffer(gl_demo_topology, gl_demo_topology_len, t, err, sizeof err);
    if (rc != 0)
        return cli_fail(cmd, "%s: %s", file ? file : "embedded demo topology", err);
    return 0;
}

int gl_cmd_keygen(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"topology", required_argument, 0, 't'},
                                       {"port-base", required_argument, 0, 'p'},
                                       {0, 0, 0, 0}};
    const char *home = NULL, *file = NULL;
    int port_base = 0;
    long long v;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("keygen", argc, argv, lo, NULL)) != -1) {
        if (c == 'H')
            home = optarg;
        else if (c == 't')
            file = optarg;
        else if (c == 'p' && cli_int("keygen", "--port-base", optarg, 1024, 65000, &v) == 0)
            port_base = (int)v;
        else
            return CLI_USAGE;
    }
    if (optind != argc)
        return cli_usage("keygen", "unexpected argument '%s'", argv[optind]);
    home = cli_home(home);
    zsys_handler_set(NULL);
    gl_topology_t *t = NULL;
    char path[PATH_MAX];
    gl_home_path(path, sizeof path, home, "topology.json");
    /* Without --topology, keep the home's own topology if it has one. */
    if (!file && access(path, R_OK) == 0)
        file = path;
    if (load_source("keygen", file, &t) != 0)
        return 1;
    if (port_base && gl_topology_set_port_base(t, port_base) != 0) {
        gl_topology_free(&t);
        return cli_fail("keygen", "port base %d does not fit this topology", port_base);
    }
    int created = 0;
    char run[PATH_MAX], why[512];
    int rc = gl_home_path(run, sizeof run, home, "run");
    if (rc == 0)
        rc = gl_mkdir_p(run);
    if (rc == 0 && gl_topology_check_home(t, home, why, sizeof why) != 0) {
        gl_topology_free(&t);
        return cli_fail("keygen", "%s: %s", file ? file : "embedded demo topology", why);
    }
    if (rc == 0)
        rc = gl_keys_ensure(home, t, &created);
    if (rc == 0)
        rc = gl_topology_save(t, path);
    gl_topology_free(&t);
    if (rc != 0)
        return cli_fail("keygen", "cannot write keys or topology under %s: %s", home, gl_strerror(rc));
    printf("%d keypair(s) created; topology written to %s\n", created, path);
    return 0;
}

int gl_cmd_topology(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "check") != 0)
        return cli_usage("topology", "usage: gridlink topology check FILE");
    gl_topology_t *t;
    if (load_source("topology", argv[2], &t) != 0)
        return 1;
    size_t per[GRIDLINK__V1__TIER__TIER_DEPARTMENT + 1] = {0};
    for (size_t i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].tier >= 1 && t->nodes[i].tier <= GRIDLINK__V1__TIER__TIER_DEPARTMENT)
            per[t->nodes[i].tier]++;
    printf("%s: %zu nodes (%zu district, %zu townships, %zu communities, %zu grids, %zu departments), %zu SLA rules\n",
           t->name, t->n_nodes, per[GRIDLINK__V1__TIER__TIER_DISTRICT], per[GRIDLINK__V1__TIER__TIER_TOWNSHIP],
           per[GRIDLINK__V1__TIER__TIER_COMMUNITY], per[GRIDLINK__V1__TIER__TIER_GRID],
           per[GRIDLINK__V1__TIER__TIER_DEPARTMENT], t->policy ? t->policy->n_rules : 0);
    printf("categories: %zu kinds, %zu subcategories%s; %zu community task entries\n", t->catalogue->n_kinds,
           t->catalogue->n_subs, t->catalogue->builtin ? " (built-in)" : "", t->community_tasks->n);
    gl_topology_free(&t);
    return 0;
}
