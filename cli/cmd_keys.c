/* cmd_keys.c: setting up a home (keygen), checking topology files, and one
 * node's new keypair (keys rotate). */
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

/* keys rotate: a new keypair for one node in the home, its public key in
 * HOME/topology.json, and with --to the bundle of the node's machine. */
static int keys_rotate(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"node", required_argument, 0, 'n'},
                                       {"group", required_argument, 0, 'g'},
                                       {"host-of", required_argument, 0, 'o'},
                                       {"broker", no_argument, 0, 'b'},
                                       {"to", required_argument, 0, 't'},
                                       {0, 0, 0, 0}};
    const char *home = NULL, *node = NULL, *group = NULL, *bundle = NULL;
    enum { MAX_HOSTED = 256 };
    const char *hosted[MAX_HOSTED];
    size_t n_hosted = 0;
    bool broker = false;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("keys", argc, argv, lo, NULL)) != -1) {
        if (c == 'H')
            home = optarg;
        else if (c == 'n')
            node = optarg;
        else if (c == 'g')
            group = optarg;
        else if (c == 'o' && n_hosted < MAX_HOSTED)
            hosted[n_hosted++] = optarg;
        else if (c == 'o')
            return cli_usage("keys", "at most %d --host-of options", MAX_HOSTED);
        else if (c == 'b')
            broker = true;
        else if (c == 't')
            bundle = optarg;
        else
            return CLI_USAGE;
    }
    if (optind != argc)
        return cli_usage("keys", "unexpected argument '%s'", argv[optind]);
    if (!node)
        return cli_usage("keys", "--node NODE_ID is required");
    if (!gl_node_id_valid(node))
        return cli_usage("keys", "'%s' is not a node ID", node);
    if (!bundle && (group || n_hosted || broker))
        return cli_usage("keys", "--group, --host-of and --broker describe the bundle of --to DIR");
    home = cli_home(home);
    zsys_handler_set(NULL);
    char path[PATH_MAX], err[512];
    gl_home_path(path, sizeof path, home, "topology.json");
    gl_topology_t *t = NULL;
    if (gl_topology_load_file(path, &t, err, sizeof err) != 0)
        return cli_fail("keys", "%s: %s", path, err);
    const gl_node_t *n = gl_topology_find(t, node);
    if (!n) {
        gl_topology_free(&t);
        return cli_fail("keys", "node %s is not in %s", node, path);
    }
    char pub[GL_KEY_Z85_LEN + 1];
    int rc = gl_keys_rotate(home, node, pub);
    if (rc == GL_ENOENT) {
        gl_topology_free(&t);
        return cli_fail("keys",
                        "%s/keys holds no keypair of %s (a machine's bundle holds only its own nodes' keys: "
                        "rotate in the provisioning home)",
                        home, node);
    }
    if (rc == 0)
        rc = gl_topology_set_key(t, node, pub);
    if (rc == 0)
        rc = gl_topology_save(t, path);
    if (rc != 0) {
        gl_topology_free(&t);
        return cli_fail("keys", "cannot write the new key of %s under %s: %s", node, home, gl_strerror(rc));
    }
    printf("node %s: new key %s; written to %s/keys and %s\n", node, pub, home, path);
    const gl_node_t *parent = gl_topology_parent(t, n);
    printf("reload (SIGHUP) with this topology.json: the broker");
    if (parent)
        printf(", %s", parent->id);
    for (size_t i = 0; i < n->n_children; i++)
        printf(", %s", t->nodes[n->children[i]].id);
    printf("; then restart the process of %s\n", node);
    gl_topology_free(&t);
    if (!bundle)
        return 0;
    fflush(stdout);
    /* The bundle of the node's machine, as `gridlink provision` makes it. */
    char *pargv[8 + 2 * MAX_HOSTED + 2];
    int pargc = 0;
    pargv[pargc++] = "provision";
    pargv[pargc++] = "--home";
    pargv[pargc++] = (char *)home;
    if (group) {
        pargv[pargc++] = "--group";
        pargv[pargc++] = (char *)group;
    }
    if (n_hosted == 0)
        hosted[n_hosted++] = node;
    for (size_t i = 0; i < n_hosted; i++) {
        pargv[pargc++] = "--host-of";
        pargv[pargc++] = (char *)hosted[i];
    }
    if (broker)
        pargv[pargc++] = "--broker";
    pargv[pargc++] = "--to";
    pargv[pargc++] = (char *)bundle;
    pargv[pargc] = NULL;
    return gl_cmd_provision(pargc, pargv);
}

int gl_cmd_keys(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "rotate") != 0)
        return cli_usage("keys", "usage: gridlink keys rotate --node NODE_ID [--to DIR ...]");
    return keys_rotate(argc - 1, argv + 1);
}
