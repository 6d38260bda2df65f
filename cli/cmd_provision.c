/* cmd_provision.c: gridlink provision, the home of one machine of a district
 * that runs on many (a bundle).
 *
 * The keys of a whole district are made once, in one home (keygen's, here
 * the provisioning home). A bundle is what one machine's units need from it:
 * the resolved topology (public keys of every node, endpoints), and the
 * keypairs of the nodes its units run (the groups led by the --host-of
 * nodes, as gridlink-node --group forms them), and the broker's when it runs
 * there. No other secret key goes in: a machine holds the secrets of its
 * own nodes only. The bundle directory must be new or empty; its files are
 * synced before the command answers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "groups.h"
#include "home.h"
#include "keys.h"

#define PROVISION_MAX_HOSTED 256 /* --host-of options of one bundle */

/* True when dir does not exist or is an empty directory. */
static bool dir_new_or_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Copies from to a new file to with the given mode, synced. */
static int copy_file(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return gl_err_from_errno(errno);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out < 0) {
        int rc = gl_err_from_errno(errno);
        close(in);
        return rc;
    }
    int rc = fchmod(out, mode) == 0 ? GL_OK : gl_err_from_errno(errno);
    char buf[8192];
    ssize_t n;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0) {
            rc = gl_err_from_errno(errno);
            break;
        }
        for (ssize_t off = 0; rc == 0 && off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0)
                rc = gl_err_from_errno(errno);
            else
                off += w;
        }
    }
    if (rc == 0 && fsync(out) != 0)
        rc = gl_err_from_errno(errno);
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = gl_err_from_errno(errno);
    return rc;
}

/* Copies the keypair NAME from the home's keys to the bundle's. */
static int copy_keypair(const char *home, const char *bundle, const char *name)
{
    zcert_t *cert = NULL;
    int rc = gl_keys_load(home, name, &cert);
    zcert_destroy(&cert);
    if (rc != 0)
        return rc;
    char from[PATH_MAX], to[PATH_MAX];
    if (gl_home_path(from, sizeof from, home, "keys/%s.cert_secret", name) != 0 ||
        gl_home_path(to, sizeof to, bundle, "keys/%s.cert_secret", name) != 0)
        return GL_EINVAL;
    rc = copy_file(from, to, 0600);
    if (rc == 0 && (gl_home_path(from, sizeof from, home, "keys/%s.cert", name) != 0 ||
                    gl_home_path(to, sizeof to, bundle, "keys/%s.cert", name) != 0))
        rc = GL_EINVAL;
    if (rc == 0)
        rc = copy_file(from, to, 0644);
    return rc;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The keygen step: keys for every node of file (or the home's topology)
 * in home, and home/topology.json written with them. */
static int ensure_home(const char *home, const char *file, gl_topology_t **out)
{
    char path[PATH_MAX], err[512];
    gl_home_path(path, sizeof path, home, "topology.json");
    if (!file)
        file = path;
    /* check_home resolves HOME/run, as keygen makes it. */
    char run[PATH_MAX];
    if (gl_home_path(run, sizeof run, home, "run") != 0 || gl_mkdir_p(run) != 0)
        return cli_fail("provision", "cannot make %s", run);
    int rc = gl_topology_load_file(file, out, err, sizeof err);
    if (rc != 0)
        return cli_fail("provision", "%s: %s", file, err);
    if (gl_topology_check_home(*out, home, err, sizeof err) != 0) {
        gl_topology_free(out);
        return cli_fail("provision", "%s: %s", file, err);
    }
    int created = 0;
    rc = gl_keys_ensure(home, *out, &created);
    if (rc == 0 && (created > 0 || strcmp(file, path) != 0))
        rc = gl_topology_save(*out, path);
    if (rc != 0) {
        gl_topology_free(out);
        return cli_fail("provision", "cannot write keys or topology under %s: %s", home, gl_strerror(rc));
    }
    return 0;
}

int gl_cmd_provision(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"topology", required_argument, 0, 't'},
                                       {"group", required_argument, 0, 'g'},
                                       {"host-of", required_argument, 0, 'n'},
                                       {"broker", no_argument, 0, 'b'},
                                       {"to", required_argument, 0, 'o'},
                                       {0, 0, 0, 0}};
    const char *home = NULL, *file = NULL, *mode = "node", *bundle = NULL;
    const char *hosted[PROVISION_MAX_HOSTED];
    size_t n_hosted = 0;
    bool broker = false;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("provision", argc, argv, lo, NULL)) != -1) {
        if (c == 'H')
            home = optarg;
        else if (c == 't')
            file = optarg;
        else if (c == 'g')
            mode = optarg;
        else if (c == 'n' && n_hosted < PROVISION_MAX_HOSTED)
            hosted[n_hosted++] = optarg;
        else if (c == 'n')
            return cli_usage("provision", "at most %d --host-of options", PROVISION_MAX_HOSTED);
        else if (c == 'b')
            broker = true;
        else if (c == 'o')
            bundle = optarg;
        else
            return CLI_USAGE;
    }
    if (optind != argc)
        return cli_usage("provision", "unexpected argument '%s'", argv[optind]);
    if (!bundle)
        return cli_usage("provision", "--to DIR is required");
    if (n_hosted == 0 && !broker)
        return cli_usage("provision", "name what the machine runs: --host-of NODE_ID, --broker, or both");
    if (!gl_groups_mode_valid(mode))
        return cli_usage("provision", "--group is node, community, township or auto, not '%s'", mode);
    for (size_t i = 0; i < n_hosted; i++)
        if (!gl_node_id_valid(hosted[i]))
            return cli_usage("provision", "'%s' is not a node ID", hosted[i]);
    home = cli_home(home);
    zsys_handler_set(NULL);
    char resolved[PATH_MAX], home_real[PATH_MAX];
    if (realpath(bundle, resolved) && realpath(home, home_real) && strcmp(resolved, home_real) == 0)
        return cli_fail("provision", "the bundle cannot be the provisioning home itself");
    if (!dir_new_or_empty(bundle))
        return cli_fail("provision", "%s exists and is not empty: a bundle is made into a new directory", bundle);

    gl_topology_t *t = NULL;
    if (ensure_home(home, file, &t) != 0)
        return 1;
    mode = gl_groups_mode(t, mode);
    int *order = malloc(t->n_nodes * sizeof *order), *group_of = malloc(t->n_nodes * sizeof *group_of);
    bool *take = calloc(t->n_nodes, sizeof *take);
    size_t groups = 0;
    int rc = 1;
    if (!order || !group_of || !take || gl_groups_plan(t, mode, order, group_of, &groups) != 0) {
        cli_fail("provision", "cannot group the nodes of the topology by %s", mode);
        goto out;
    }
    /* Each --host-of must lead its group, as gridlink-node@ID requires. */
    for (size_t i = 0; i < n_hosted; i++) {
        int idx = gl_topology_index_of(t, hosted[i]);
        if (idx < 0) {
            cli_fail("provision", "node %s is not in the topology", hosted[i]);
            goto out;
        }
        int leader = -1;
        for (size_t k = 0; k < t->n_nodes && leader < 0; k++)
            if (group_of[order[k]] == group_of[idx])
                leader = order[k];
        if (leader != idx) {
            cli_fail("provision", "with --group %s, %s runs in the process of %s: name that node", mode, hosted[i],
                     t->nodes[leader].id);
            goto out;
        }
        for (size_t k = 0; k < t->n_nodes; k++)
            if (group_of[order[k]] == group_of[idx])
                take[order[k]] = true;
    }

    char path[PATH_MAX];
    int frc = gl_mkdir_p(bundle);
    if (frc == 0 && chmod(bundle, 0700) != 0)
        frc = gl_err_from_errno(errno);
    if (frc == 0)
        frc = gl_home_path(path, sizeof path, bundle, "keys");
    if (frc == 0)
        frc = gl_mkdir_p(path);
    if (frc != 0) {
        cli_fail("provision", "cannot make %s/keys: %s", bundle, gl_strerror(frc));
        goto out;
    }
    size_t n_keys = 0;
    for (size_t k = 0; k <= t->n_nodes; k++) {
        if (k < t->n_nodes && !take[order[k]])
            continue;
        if (k == t->n_nodes && !broker)
            break;
        const char *name = k < t->n_nodes ? t->nodes[order[k]].id : "broker";
        frc = copy_keypair(home, bundle, name);
        if (frc != 0) {
            cli_fail("provision", "cannot copy the keypair of %s from %s/keys: %s", name, home, gl_strerror(frc));
            goto out;
        }
        n_keys++;
    }
    sync_dir(path);
    gl_home_path(path, sizeof path, bundle, "topology.json");
    frc = gl_topology_save(t, path);
    if (frc != 0) {
        cli_fail("provision", "cannot write %s: %s", path, gl_strerror(frc));
        goto out;
    }
    sync_dir(bundle);

    printf("bundle %s: topology.json and %zu keypair(s):", bundle, n_keys);
    for (size_t k = 0; k < t->n_nodes; k++)
        if (take[order[k]])
            printf(" %s", t->nodes[order[k]].id);
    printf("%s\n", broker ? " broker" : "");
    printf("GRIDLINK_GROUP=%s\n", mode);
    printf("units:%s", broker ? " gridlink-broker.service" : "");
    for (size_t i = 0; i < n_hosted; i++)
        printf(" gridlink-node@%s.service", hosted[i]);
    printf("\n");
    rc = 0;
out:
    free(order);
    free(group_of);
    free(take);
    gl_topology_free(&t);
    return rc;
}
