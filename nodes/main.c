/* main.c: gridlink-node, the process that runs one or more tier nodes.
 *
 *   gridlink-node --home DIR --node ID [--node ID ...] [--group MODE]
 *                 [--window N] [--map-size BYTES] [--log-level L]
 *
 * Every hosted node ID is on the command line so `ps` shows which process
 * serves which nodes. With --group MODE each --node names the leader of a
 * group as `gridlink up --group MODE` forms them (groups.h), and the
 * process starts itself again in place (same PID) with every node of those
 * groups named. --map-size sets the initial LMDB map of stores created
 * by this process (suffix K, M or G for KiB, MiB, GiB); the map doubles on
 * demand when it fills, so a small value is how tests exercise growth. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "host.h"
#include "error.h"
#include "groups.h"
#include "home.h"
#include "log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: gridlink-node --home DIR --node ID [--node ID ...] [--group node|community|township|auto]\n"
               "                     [--window N] [--map-size BYTES[K|M|G]] [--log-level debug|info|warn|error]\n");
}

/* Smallest initial map accepted. A new store needs five 4 KiB pages to open
 * (two meta pages, the main database, `meta` and its first records; measured
 * with LMDB 0.9 on x86-64), and any write after that needs more; 32 KiB opens
 * and then grows on the first batches. */
#define MIN_MAP_SIZE (32u * 1024)

/* "65536", "256K", "64M", "4G" -> bytes; false if malformed or out of range. */
static bool parse_size(const char *s, size_t *out)
{
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return false;
    unsigned shift = 0;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default: break;
    }
    if (*end || v > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)(v << shift);
    return true;
}

/* Descriptors: every link, store and HTTP connection takes one; the soft
 * limit (often 1024) goes up to what the hard limit allows, at most 65536. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* --group: the command line naming every node of the groups led by ids,
 * and exec of it; returns only on failure, with the exit status. */
static int exec_groups(const char *home, const char *mode, char **ids, size_t n_ids, const char *const *keep,
                       size_t n_keep)
{
    gl_topology_t *t = NULL;
    char err[512];
    if (gl_home_topology(home, &t, err, sizeof err) != 0) {
        fprintf(stderr, "gridlink-node: cannot load %s/topology.json: %s\n", home, err);
        return 1;
    }
    int *order = malloc(t->n_nodes * sizeof *order), *group_of = malloc(t->n_nodes * sizeof *group_of);
    size_t *first = calloc(t->n_nodes + 1, sizeof *first), groups = 0;
    char **args = calloc(n_keep + 2 * t->n_nodes + 1, sizeof *args);
    int rc = 1;
    if (!order || !group_of || !first || !args || gl_groups_plan(t, mode, order, group_of, &groups) != 0) {
        fprintf(stderr, "gridlink-node: cannot group the nodes of %s/topology.json by %s\n", home, mode);
        goto out;
    }
    /* order[first[g]] is group g's leader; its members follow it. */
    for (size_t k = t->n_nodes; k-- > 0;)
        first[group_of[order[k]]] = k;
    first[groups] = t->n_nodes;
    size_t n = 0;
    for (size_t i = 0; i < n_keep; i++)
        args[n++] = (char *)keep[i];
    for (size_t i = 0; i < n_ids; i++) {
        const gl_node_t *node = gl_topology_find(t, ids[i]);
        if (!node) {
            fprintf(stderr, "gridlink-node: node %s is not in %s/topology.json\n", ids[i], home);
            rc = 2;
            goto out;
        }
        int idx = (int)(node - t->nodes), g = group_of[idx];
        if (order[first[g]] != idx) {
            fprintf(stderr, "gridlink-node: with --group %s, %s runs in the process of %s: name that node\n", mode,
                    ids[i], t->nodes[order[first[g]]].id);
            rc = 2;
            goto out;
        }
        for (size_t k = first[g]; k < first[g + 1]; k++) {
            args[n++] = "--node";
            args[n++] = t->nodes[order[k]].id;
        }
    }
    args[n] = NULL;
    execv("/proc/self/exe", args);
    fprintf(stderr, "gridlink-node: cannot start again with the nodes of the group: %s\n", strerror(errno));
out:
    free(args);
    free(first);
    free(order);
    free(group_of);
    gl_topology_free(&t);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"home", required_argument, 0, 'h'},
                                         {"node", required_argument, 0, 'n'},
                                         {"window", required_argument, 0, 'w'},
                                         {"map-size", required_argument, 0, 'm'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"group", required_argument, 0, 'g'},
                                         {"help", no_argument, 0, '?'},
                                         {0, 0, 0, 0}};
    const char *home = NULL;
    char **ids = calloc((size_t)argc, sizeof *ids);
    size_t n_ids = 0;
    unsigned long window = 0;
    size_t map_size = 0;
    int level = GL_LOG_INFO;
    const char *group = NULL;
    /* What goes on the command line again after --group is expanded. */
    const char **keep = calloc(2 * (size_t)argc + 3, sizeof *keep);
    size_t n_keep = 0;
    keep[n_keep++] = argv[0];
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h': home = optarg; break;
        case 'n': ids[n_ids++] = optarg; break;
        case 'g':
            if (!gl_groups_mode_valid(optarg)) {
                fprintf(stderr, "gridlink-node: --group is node, community, township or auto, not '%s'\n", optarg);
                return 2;
            }
            group = optarg;
            break;
        case 'w': {
            char *end;
            errno = 0;
            window = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || window < 1 || window > 1000000) {
                fprintf(stderr, "gridlink-node: --window takes a number from 1 to 1000000, not '%s'\n", optarg);
                return 2;
            }
            keep[n_keep++] = "--window";
            keep[n_keep++] = optarg;
            break;
        }
        case 'm':
            if (!parse_size(optarg, &map_size) || map_size < MIN_MAP_SIZE) {
                fprintf(stderr,
                        "gridlink-node: --map-size %s: give a size of at least %u bytes (suffix K, M, G allowed)\n",
                        optarg, MIN_MAP_SIZE);
                return 2;
            }
            keep[n_keep++] = "--map-size";
            keep[n_keep++] = optarg;
            break;
        case 'l':
            level = gl_log_level_parse(optarg);
            if (level < 0) {
                fprintf(stderr, "gridlink-node: unknown log level %s\n", optarg);
                return 2;
            }
            keep[n_keep++] = "--log-level";
            keep[n_keep++] = optarg;
            break;
        default: usage(stderr); return 2;
        }
    }
    if (!home || n_ids == 0 || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (group) {
        keep[n_keep++] = "--home";
        keep[n_keep++] = home;
        int rc = exec_groups(home, group, ids, n_ids, keep, n_keep);
        free(keep);
        free(ids);
        return rc;
    }
    free(keep);
    char tag[128];
    snprintf(tag, sizeof tag, "node %s%s", ids[0], n_ids > 1 ? "+" : "");
    gl_log_init(tag, (enum gl_log_level)level);
    gl_supervised_init();
    raise_fd_limit();
    host_set_map_size(map_size);
    int rc = host_run(home, ids, n_ids, (uint32_t)window);
    free(ids);
    return rc;
}
