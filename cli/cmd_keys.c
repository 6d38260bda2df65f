/* cmd_keys.c: setting up a home (keygen), checking topology files, and the
 * demo traffic that makes a local district come alive. */
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

static const struct {
    const char *category;
    const char *text;
} samples[] = {
    {"urban/sanitation", "垃圾桶满溢，需要清运"},
    {"urban/roads", "人行道地砖破损，老人容易绊倒"},
    {"urban/lighting", "小区路灯不亮"},
    {"governance/safety", "楼道堆放杂物，存在消防隐患"},
    {"governance/disputes", "邻里噪音纠纷，请求调解"},
    {"services/elderly", "独居老人需要上门探访"},
    {"services/welfare", "居民咨询低保申请材料"},
    {"party/activities", "党员志愿服务活动场地预约"},
    {"urban/greenery", "绿化带树木倒伏"},
    {"governance/emergency", "河道护栏缺失，存在落水危险"},
};

/* Submit a case every interval at a random grid; now and then let the
 * community take some in hand, so the stream shows every kind of step and
 * not only escalations. */
int gl_cmd_demo(int argc, char **argv)
{
    static const struct option lo[] = {
        {"home", required_argument, 0, 'H'}, {"interval-ms", required_argument, 0, 'i'}, {0, 0, 0, 0}};
    const char *home = NULL;
    int interval = 3000;
    long long v;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("demo", argc, argv, lo, NULL)) != -1) {
        if (c == 'H')
            home = optarg;
        else if (c == 'i' && cli_int("demo", "--interval-ms", optarg, 1, 3600000, &v) == 0)
            interval = (int)v;
        else
            return CLI_USAGE;
    }
    if (optind != argc)
        return cli_usage("demo", "unexpected argument '%s'", argv[optind]);
    home = cli_home(home);
    gl_topology_t *t;
    if (cli_topology("demo", home, &t) != 0)
        return 1;
    zsys_handler_set(NULL);
    zsys_catch_interrupts();
    size_t n_grids = 0;
    for (size_t i = 0; i < t->n_nodes; i++)
        n_grids += t->nodes[i].tier == GRIDLINK__V1__TIER__TIER_GRID;
    if (n_grids == 0) {
        gl_topology_free(&t);
        return cli_fail("demo", "the topology has no grids");
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const size_t n_samples = sizeof samples / sizeof samples[0];
    while (!zsys_interrupted) {
        size_t pick = (size_t)rand() % n_grids;
        const gl_node_t *grid = NULL;
        for (size_t i = 0; i < t->n_nodes && !grid; i++)
            if (t->nodes[i].tier == GRIDLINK__V1__TIER__TIER_GRID && pick-- == 0)
                grid = &t->nodes[i];
        const gl_node_t *community = gl_topology_parent(t, grid);
        size_t s = (size_t)rand() % n_samples;
        Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
        req.node = grid->id;
        req.op = "submit";
        req.category = (char *)samples[s].category;
        req.text = (char *)samples[s].text;
        req.priority = strstr(samples[s].category, "emergency") ? GRIDLINK__V1__PRIORITY__PRIORITY_EMERGENCY
                                                                : GRIDLINK__V1__PRIORITY__PRIORITY_NORMAL;
        Gridlink__V1__CtlReply *rep = NULL;
        char err[512];
        if (gl_ctl_call(home, &req, 3000, &rep, err, sizeof err) == 0)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        /* Half the time, the community works the oldest case it holds. */
        if (community && rand() % 2 == 0) {
            Gridlink__V1__CtlRequest lr = GRIDLINK__V1__CTL_REQUEST__INIT;
            lr.node = community->id;
            lr.op = "list";
            if (gl_ctl_call(home, &lr, 3000, &rep, err, sizeof err) == 0) {
                for (size_t i = 0; i < rep->n_cases; i++) {
                    Gridlink__V1__Case *cs = rep->cases[i];
                    if (strcmp(cs->holder, community->id) != 0)
                        continue;
                    /* The community accepts and resolves; the grid that
                     * reported the case verifies it (谁发起、谁结案). */
                    const char *action = NULL, *at = community->id;
                    if (cs->state == GRIDLINK__V1__CASE_STATE__STATE_REPORTED)
                        action = "accept";
                    else if (cs->state == GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED)
                        action = "resolve";
                    else if (cs->state == GRIDLINK__V1__CASE_STATE__STATE_RESOLVED && cs->originator[0]) {
                        action = "verify";
                        at = cs->originator;
                    }
                    if (!action)
                        continue;
                    Gridlink__V1__CtlRequest ar = GRIDLINK__V1__CTL_REQUEST__INIT;
                    Gridlink__V1__CtlReply *arep = NULL;
                    ar.node = (char *)at;
                    ar.op = "act";
                    ar.case_id = cs->id;
                    ar.action = (char *)action;
                    ar.note = "";
                    if (gl_ctl_call(home, &ar, 3000, &arep, err, sizeof err) == 0)
                        gridlink__v1__ctl_reply__free_unpacked(arep, NULL);
                    break;
                }
                gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
            }
        }
        zclock_sleep(interval);
    }
    gl_topology_free(&t);
    return 0;
}
