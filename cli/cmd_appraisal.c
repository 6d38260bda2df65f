/* cmd_appraisal.c: `gridlink appraisal`, 群众评议 at the district: tickets
 * (评议码) issued for a month, printed once, one a line (the district keeps
 * only their hashes), and the league table of a tier for a period with its
 * red and black lists. Each is one request on the control socket of the
 * process that hosts the district (the topology's root). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctl.h"
#include "display.h"
#include "error.h"
#include "pbjson.h"
#include "policy.h"

typedef struct appr_opts {
    const char *home, *period, *tier;
    const gl_topology_t *t; /* the home's, for the district's ID and the names */
    long long count;
    bool json;
} appr_opts;

/* One request at the district; 0 with *rep the caller's, else the exit status. */
static int call(const char *cmd, const appr_opts *o, Gridlink__V1__CtlRequest *req, Gridlink__V1__CtlReply **rep)
{
    char err[512];
    req->node = o->t->nodes[o->t->root].id;
    int rc = gl_ctl_call(o->home, req, 10000, rep, err, sizeof err);
    if (rc == 0 && (*rep)->code != 0) {
        cli_fail(cmd, "%s", (*rep)->error[0] ? (*rep)->error : gl_strerror((*rep)->code));
        gridlink__v1__ctl_reply__free_unpacked(*rep, NULL);
        *rep = NULL;
        return 1;
    }
    return rc ? cli_fail(cmd, "%s", err) : 0;
}

static int tickets(const char *cmd, const appr_opts *o)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "appraisal-tickets";
    req.period = (char *)o->period;
    req.max = (uint32_t)o->count;
    Gridlink__V1__CtlReply *rep;
    if (call(cmd, o, &req, &rep) != 0)
        return 1;
    if (o->json) {
        json_t *codes = json_array();
        for (size_t i = 0; i < rep->n_codes; i++)
            json_array_append_new(codes, json_string(rep->codes[i]));
        cli_print_json(json_pack("{s:s, s:o}", "period", rep->note, "codes", codes));
    } else {
        for (size_t i = 0; i < rep->n_codes; i++)
            printf("%s\n", rep->codes[i]);
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

static int table(const char *cmd, const appr_opts *o)
{
    int tier = o->tier ? gl_tier_parse(o->tier) : GRIDLINK__V1__TIER__TIER_TOWNSHIP; /* checked before */
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "appraisals";
    req.period = (char *)(o->period ? o->period : "");
    req.tier = (Gridlink__V1__Tier)tier;
    Gridlink__V1__CtlReply *rep;
    if (call(cmd, o, &req, &rep) != 0)
        return 1;
    const Gridlink__V1__AppraisalTable *tab = rep->appraisals;
    if (!tab) {
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return cli_fail(cmd, "the district gave no table");
    }
    if (o->json) {
        cli_print_json(gl_pbjson_from_message(&tab->base, GL_PBJSON_DEFAULTS));
    } else {
        printf("群众评议 %s, %s: %u appraisals; formula %s, ranked from %u\n", tab->period, gl_tier_name(tab->tier),
               tab->total, tab->formula, tab->min_sample);
        printf("%-5s %6s %6s %6s %6s %8s %7s  %s\n", "rank", "count", "satis", "basic", "dissat", "rate", "score",
               "unit (满意 / 基本满意 / 不满意)");
        for (size_t i = 0; i < tab->n_rows; i++) {
            const Gridlink__V1__AppraisalRow *r = tab->rows[i];
            char rank[8];
            snprintf(rank, sizeof rank, "%u", r->rank);
            printf("%-5s %6u %6u %6u %6u %7.2f%% %7.2f  %s %s\n", r->ranked ? rank : "-", r->count, r->satisfied,
                   r->basically, r->dissatisfied, r->satisfaction_rate * 100, r->score, r->name, r->unit);
        }
        for (int k = 0; k < 2; k++) {
            size_t n = k ? tab->n_black : tab->n_red;
            printf("%s:", k ? "黑榜 (black list)" : "红榜 (red list)");
            for (size_t i = 0; i < n; i++)
                printf(" %s", cli_node_display(k ? tab->black[i] : tab->red[i]));
            printf("%s\n", n ? "" : " (none: too few units ranked)");
        }
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_appraisal(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},  {"period", required_argument, 0, 'p'},
                                       {"count", required_argument, 0, 'c'}, {"tier", required_argument, 0, 't'},
                                       {"json", no_argument, 0, 'j'},        {0, 0, 0, 0}};
    static const struct {
        const char *name, *allowed;
        int (*fn)(const char *cmd, const appr_opts *o);
    } verbs[] = {{"tickets", "Hpcj", tickets}, {"table", "Hptj", table}};
    /* The subcommand may follow options (gridlink appraisal --home H table): bring it first. */
    for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
        bool valued = strcmp(argv[i], "--home") == 0 || strcmp(argv[i], "--period") == 0 ||
                      strcmp(argv[i], "--count") == 0 || strcmp(argv[i], "--tier") == 0;
        if (valued && i + 2 < argc && argv[i + 2][0] != '-') {
            char *verb = argv[i + 2];
            memmove(argv + 2, argv + 1, (size_t)(i + 1) * sizeof *argv);
            argv[1] = verb;
            break;
        }
        i += valued;
    }
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage("appraisal", "say what to do: tickets or table");
    size_t v = 0;
    while (v < sizeof verbs / sizeof verbs[0] && strcmp(verbs[v].name, argv[1]) != 0)
        v++;
    if (v == sizeof verbs / sizeof verbs[0])
        return cli_usage("appraisal", "unknown subcommand '%s' (tickets, table)", argv[1]);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "appraisal %s", verbs[v].name);
    appr_opts o = {0};
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt(cmd, argc - 1, argv + 1, lo, verbs[v].allowed)) != -1) {
        switch (c) {
        case 'H': o.home = optarg; break;
        case 'p': o.period = optarg; break;
        case 't': o.tier = optarg; break;
        case 'j': o.json = true; break;
        case 'c':
            if (cli_int(cmd, "--count", optarg, 1, 1000, &o.count) != 0)
                return CLI_USAGE;
            break;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc - 1)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    if (strcmp(verbs[v].name, "tickets") == 0 && (!o.period || o.count < 1))
        return cli_usage(cmd, "--count K (1..1000) and --period YYYY-MM are required");
    int tier = o.tier ? gl_tier_parse(o.tier) : GRIDLINK__V1__TIER__TIER_TOWNSHIP;
    if (tier != GRIDLINK__V1__TIER__TIER_TOWNSHIP && tier != GRIDLINK__V1__TIER__TIER_COMMUNITY &&
        tier != GRIDLINK__V1__TIER__TIER_DEPARTMENT)
        return cli_usage(cmd, "--tier is township, community or department");
    o.home = cli_home(o.home);
    gl_topology_t *t;
    if (cli_topology(cmd, o.home, &t) != 0)
        return 1;
    cli_names_set(t);
    o.t = t;
    int rc = verbs[v].fn(cmd, &o);
    cli_names_set(NULL);
    gl_topology_free(&t);
    return rc;
}
