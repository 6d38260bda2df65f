/* cmd_demo.c: `gridlink demo`, simulated staff traffic for a running home:
 * reports at random grids, now and then a hotline request placed by
 * location and a township's whistle to departments, and communities and
 * departments working what they hold. Runs until interrupted. Everything
 * it allocates is freed each round. */
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "geo.h"

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

/* A resident's call to the district's hotline from the middle of grid g's
 * area, placed by the district at g's community. */
static void demo_hotline(const char *home, const gl_topology_t *t, const gl_node_t *g)
{
    double w, s, e, n;
    gl_area_bounds(g->area, &w, &s, &e, &n);
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = t->nodes[t->root].id;
    req.op = "request";
    req.category = "urban/lighting";
    req.text = "市民热线：楼下路灯不亮";
    req.located = true;
    req.lat = (s + n) / 2;
    req.lon = (w + e) / 2;
    Gridlink__V1__CtlReply *rep = NULL;
    char err[512];
    if (gl_ctl_call(home, &req, 3000, &rep, err, sizeof err) == 0)
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

/* 吹哨: township `tw` calls its own departments and the district's first. */
static void demo_whistle(const char *home, const gl_topology_t *t, const gl_node_t *tw)
{
    char *depts[8];
    size_t n = 0;
    bool district_one = false;
    for (size_t i = 0; i < t->n_nodes && n < 8; i++) {
        const gl_node_t *d = &t->nodes[i];
        if (d->tier != GRIDLINK__V1__TIER__TIER_DEPARTMENT)
            continue;
        const gl_node_t *up = gl_topology_parent(t, d);
        if (up == tw || (up == &t->nodes[t->root] && !district_one)) {
            district_one = district_one || up != tw;
            depts[n++] = d->id;
        }
    }
    if (n == 0)
        return;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = tw->id;
    req.op = "whistle";
    req.category = "urban/building";
    req.text = "吹哨报到：违法搭建联合整治";
    req.departments = depts;
    req.n_departments = n;
    req.sign_within_ms = 10 * 60 * 1000;
    Gridlink__V1__CtlReply *rep = NULL;
    char err[512];
    if (gl_ctl_call(home, &req, 3000, &rep, err, sizeof err) == 0)
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

/* Submit a case every interval at a random grid; now and then a hotline
 * request placed by location and a township's whistle to departments; let
 * a community or a department take some in hand, so the stream shows every
 * kind of step and not only escalations. */
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
    for (unsigned round = 1; !zsys_interrupted; round++) {
        size_t pick = (size_t)rand() % n_grids;
        const gl_node_t *grid = NULL;
        for (size_t i = 0; i < t->n_nodes && !grid; i++)
            if (t->nodes[i].tier == GRIDLINK__V1__TIER__TIER_GRID && pick-- == 0)
                grid = &t->nodes[i];
        const gl_node_t *community = gl_topology_parent(t, grid);
        const gl_node_t *township = community ? gl_topology_parent(t, community) : NULL;
        if (round % 5 == 0 && grid->area)
            demo_hotline(home, t, grid);
        if (round % 10 == 0 && township)
            demo_whistle(home, t, township);
        /* Now and then a department works, instead of the community. */
        const gl_node_t *worker = community;
        if (rand() % 3 == 0) {
            size_t n_dept = 0;
            for (size_t i = 0; i < t->n_nodes; i++)
                n_dept += t->nodes[i].tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT;
            size_t d = n_dept ? (size_t)rand() % n_dept : 0;
            for (size_t i = 0; i < t->n_nodes && n_dept; i++)
                if (t->nodes[i].tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT && d-- == 0)
                    worker = &t->nodes[i];
        }
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
        /* Half the time, the community (or department) works the oldest
         * case it holds. */
        if (worker && rand() % 2 == 0) {
            Gridlink__V1__CtlRequest lr = GRIDLINK__V1__CTL_REQUEST__INIT;
            lr.node = worker->id;
            lr.op = "list";
            if (gl_ctl_call(home, &lr, 3000, &rep, err, sizeof err) == 0) {
                for (size_t i = 0; i < rep->n_cases; i++) {
                    Gridlink__V1__Case *cs = rep->cases[i];
                    if (strcmp(cs->holder, worker->id) != 0)
                        continue;
                    /* The holder accepts (signs for it, reports in) and
                     * resolves; the node that reported or gave the case
                     * verifies it (谁发起、谁结案). */
                    const char *action = NULL, *at = worker->id;
                    if (cs->state == GRIDLINK__V1__CASE_STATE__STATE_REPORTED ||
                        cs->state == GRIDLINK__V1__CASE_STATE__STATE_ASSIGNED)
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
