/* cmd_facts.c: `gridlink facts`: the facts a unit reports for the plan's
 * indicators (facts.h), over the control socket of the process hosting
 * the node:
 *   set --node N NAME VALUE [--as-of YYYY-MM-DD] [--note TEXT]   a new value
 *   show --node N [NAME]        each fact's value now, and every change
 *   names                       the facts, who reports them, their types
 * Prints readable text, or JSON with --json (the staff API's shape). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "display.h"
#include "error.h"
#include "facts.h"
#include "policy.h"

static int names(bool json)
{
    json_t *arr = json ? json_array() : NULL;
    for (int i = 0; i < GL_FACT_N; i++) {
        const gl_fact_def *d = &gl_fact_defs[i];
        if (json)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name", d->name, "zh", d->zh, "type",
                                                 gl_fact_type_name(d->type), "tier", gl_tier_name(d->tier)));
        else
            printf("%-30s %-10s %-8s %s\n", d->name, gl_tier_name(d->tier), gl_fact_type_name(d->type), d->zh);
    }
    if (json)
        cli_print_json(json_pack("{s:o}", "facts", arr));
    return 0;
}

static int parse_value(const char *cmd, const char *text, double *v)
{
    if (strcmp(text, "yes") == 0 || strcmp(text, "是") == 0) {
        *v = 1;
        return 0;
    }
    if (strcmp(text, "no") == 0 || strcmp(text, "否") == 0) {
        *v = 0;
        return 0;
    }
    char *end;
    *v = strtod(text, &end);
    if (!text[0] || *end || !isfinite(*v))
        return cli_usage(cmd, "VALUE is a number (a flag is 1 or 0, yes or no): '%s'", text);
    return 0;
}

static void print_facts(const Gridlink__V1__CtlReply *rep)
{
    printf("当前值:\n");
    for (size_t i = 0; i < rep->n_events; i++) {
        const gl_fact *f = rep->events[i]->fact;
        bool last = i + 1 == rep->n_events || !rep->events[i + 1]->fact ||
                    strcmp(rep->events[i + 1]->fact->name, f ? f->name : "") != 0;
        if (!f || !last)
            continue;
        int k = gl_fact_find(f->name);
        printf("  %-30s %-12g 自 %s  %s\n", f->name, f->value, f->as_of, k >= 0 ? gl_fact_defs[k].zh : "");
    }
    printf("变更记录:\n");
    for (size_t i = 0; i < rep->n_events; i++) {
        const Gridlink__V1__BusEvent *ev = rep->events[i];
        if (!ev->fact)
            continue;
        char when[40];
        printf("  #%llu %s  %s = %g (自 %s) 由 %s%s%s\n", (unsigned long long)ev->seq,
               cli_local_time(ev->time_ms, when, sizeof when), ev->fact->name, ev->fact->value, ev->fact->as_of,
               ev->fact->by[0] ? ev->fact->by : "-", ev->fact->note[0] ? "  " : "", ev->fact->note);
    }
}

int gl_cmd_facts(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"node", required_argument, 0, 'n'},
                                       {"as-of", required_argument, 0, 'a'},
                                       {"note", required_argument, 0, 'N'},
                                       {"json", no_argument, 0, 'j'},
                                       {"timeout", required_argument, 0, 'T'},
                                       {0, 0, 0, 0}};
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage("facts", "say what to do: set, show or names");
    const char *verb = argv[1];
    bool set = strcmp(verb, "set") == 0, show = strcmp(verb, "show") == 0;
    if (!set && !show && strcmp(verb, "names") != 0)
        return cli_usage("facts", "unknown subcommand '%s' (set, show, names)", verb);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "facts %s", verb);
    cli_case_opts o = {0};
    o.timeout_ms = 5000;
    const char *as_of = NULL, *note = NULL;
    cli_opts_reset();
    int c, rc;
    long long ms;
    while ((c = cli_next_opt(cmd, argc - 1, argv + 1, lo, set ? "HnaNjT" : show ? "HnjT" : "Hj")) != -1) {
        switch (c) {
        case 'H': o.home = optarg; break;
        case 'n': o.node = optarg; break;
        case 'a': as_of = optarg; break;
        case 'N': note = optarg; break;
        case 'j': o.json = true; break;
        case 'T':
            if ((rc = cli_int(cmd, "--timeout", optarg, 1, 600000, &ms)) != 0)
                return rc;
            o.timeout_ms = (int)ms;
            break;
        default: return CLI_USAGE;
        }
    }
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    if (!set && !show) {
        if (npos)
            return cli_usage(cmd, "unexpected argument '%s'", pos[0]);
        return names(o.json);
    }
    if (set && npos != 2)
        return cli_usage(cmd, "give the fact's NAME and VALUE");
    if (show && npos > 1)
        return cli_usage(cmd, "unexpected argument '%s'", pos[1]);
    o.home = cli_home(o.home);
    if (!o.node || !gl_node_id_valid(o.node))
        return cli_usage(cmd, "--node NODE_ID is required");
    if (npos && gl_fact_find(pos[0]) < 0)
        return cli_usage(cmd, "no fact '%s' (gridlink facts names lists them)", pos[0]);
    if (as_of && !gl_fact_date_ok(as_of))
        return cli_usage(cmd, "--as-of is a date YYYY-MM-DD");
    gl_fact f = GRIDLINK__V1__FACT__INIT;
    f.name = npos ? pos[0] : "";
    f.as_of = (char *)(as_of ? as_of : "");
    f.note = (char *)(note ? note : "");
    if (set && parse_value(cmd, pos[1], &f.value) != 0)
        return CLI_USAGE;
    if (set) {
        char why[256];
        if (gl_fact_check(&f, GRIDLINK__V1__TIER__TIER_UNKNOWN, why, sizeof why) != 0)
            return cli_usage(cmd, "%s", why);
    }
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = set ? "fact-set" : "facts";
    req.fact = &f;
    Gridlink__V1__CtlReply *rep;
    if (cli_case_call(cmd, &o, &req, &rep) != 0)
        return 1;
    if (o.json && set && rep->n_events)
        cli_print_json(gl_fact_event_json(rep->events[0]));
    else if (o.json)
        cli_print_json(gl_facts_listing_json(o.node, rep->events, rep->n_events));
    else if (set && rep->n_events)
        printf("%s = %g (自 %s), #%llu\n", rep->events[0]->fact ? rep->events[0]->fact->name : "",
               rep->events[0]->fact ? rep->events[0]->fact->value : 0,
               rep->events[0]->fact ? rep->events[0]->fact->as_of : "", (unsigned long long)rep->events[0]->seq);
    else
        print_facts(rep);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
