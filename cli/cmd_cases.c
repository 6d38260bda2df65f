/* cmd_cases.c: the case commands (submit, show, list, act, health). Each is
 * one request on the control socket of the process hosting the node. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "names.h"
#include "cli.h"
#include "codec.h"
#include "ctl.h"
#include "home.h"
#include "error.h"
#include "pbjson.h"
#include "policy.h"

const char *cli_home(const char *given)
{
    if (given && *given)
        return given;
    const char *env = getenv("GRIDLINK_HOME");
    return env && *env ? env : "./gridlink-home";
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "gridlink %s: %s\n", cmd, msg);
    return 1;
}

int cli_topology(const char *cmd, const char *home, gl_topology_t **out)
{
    char err[512];
    if (gl_home_topology(home, out, err, sizeof err) != 0)
        return cli_fail(cmd, "%s", err);
    return 0;
}

struct opts {
    const char *home, *node, *category, *text, *note, *address, *reporter;
    int priority, kind, timeout_ms;
    bool json;
};

#define TIMEOUT_MAX_MS 600000

/* Options of the case commands; `allowed` lists the ones cmd takes (by
 * their short codes). 0, or the exit status of a usage (CLI_USAGE) or
 * other (1) error, already reported. */
static int parse(const char *cmd, int argc, char **argv, const char *allowed, struct opts *o)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},     {"node", required_argument, 0, 'n'},
                                       {"category", required_argument, 0, 'c'}, {"text", required_argument, 0, 't'},
                                       {"note", required_argument, 0, 'N'},     {"priority", required_argument, 0, 'p'},
                                       {"kind", required_argument, 0, 'k'},     {"address", required_argument, 0, 'a'},
                                       {"reporter", required_argument, 0, 'r'}, {"timeout", required_argument, 0, 'T'},
                                       {"json", no_argument, 0, 'j'},           {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->timeout_ms = 5000;
    cli_opts_reset();
    int c;
    long long v;
    while ((c = cli_next_opt(cmd, argc, argv, lo, allowed)) != -1) {
        switch (c) {
        case 'H': o->home = optarg; break;
        case 'n': o->node = optarg; break;
        case 'c': o->category = optarg; break;
        case 't': o->text = optarg; break;
        case 'N': o->note = optarg; break;
        case 'a': o->address = optarg; break;
        case 'r': o->reporter = optarg; break;
        case 'j': o->json = true; break;
        case 'T':
            if (cli_int(cmd, "--timeout", optarg, 1, TIMEOUT_MAX_MS, &v) != 0)
                return CLI_USAGE;
            o->timeout_ms = (int)v;
            break;
        case 'p':
            o->priority = gl_priority_parse(optarg);
            if (o->priority < 0)
                return cli_usage(cmd, "unknown priority '%s' (normal, urgent, emergency)", optarg);
            break;
        case 'k':
            if (strcmp(optarg, "incident") == 0)
                o->kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
            else if (strcmp(optarg, "request") == 0)
                o->kind = GRIDLINK__V1__CASE_KIND__KIND_REQUEST;
            else if (strcmp(optarg, "task") == 0)
                o->kind = GRIDLINK__V1__CASE_KIND__KIND_TASK;
            else
                return cli_usage(cmd, "unknown kind '%s' (incident, request, task)", optarg);
            break;
        default: return CLI_USAGE;
        }
    }
    o->home = cli_home(o->home);
    if (!o->node || !o->node[0])
        return cli_usage(cmd, "--node NODE_ID is required");
    if (!gl_node_id_valid(o->node))
        return cli_usage(cmd, "'%s' is not a node ID", o->node);
    gl_topology_t *t;
    if (cli_topology(cmd, o->home, &t) != 0)
        return 1;
    bool known = gl_topology_find(t, o->node) != NULL;
    gl_topology_free(&t);
    if (!known)
        return cli_usage(cmd, "unknown node %s (not in %s/topology.json)", o->node, o->home);
    return 0;
}

/* The positional arguments after the options: exactly n of them. */
static int positionals(const char *cmd, int argc, char **argv, int n, const char *usage)
{
    if (argc - optind > n)
        return cli_usage(cmd, "unexpected argument '%s'; usage: %s", argv[optind + n], usage);
    if (argc - optind < n)
        return cli_usage(cmd, "missing argument; usage: %s", usage);
    return 0;
}

static int case_id_arg(const char *cmd, const char *id)
{
    if (!id[0])
        return cli_usage(cmd, "the case ID is empty");
    if (!gl_case_id_valid(id))
        return cli_usage(cmd, "'%s' is not a case ID (NODE_ID-NUMBER)", id);
    return 0;
}

static int call(const char *cmd, const struct opts *o, Gridlink__V1__CtlRequest *req, Gridlink__V1__CtlReply **rep)
{
    char err[512];
    req->node = (char *)o->node;
    int rc = gl_ctl_call(o->home, req, o->timeout_ms, rep, err, sizeof err);
    if (rc != 0)
        return cli_fail(cmd, "%s", err);
    if ((*rep)->code != 0) {
        cli_fail(cmd, "%s", (*rep)->error && (*rep)->error[0] ? (*rep)->error : gl_strerror((*rep)->code));
        gridlink__v1__ctl_reply__free_unpacked(*rep, NULL);
        *rep = NULL;
        return 1;
    }
    return 0;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

static void fmt_time(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_case(const Gridlink__V1__Case *c)
{
    char when[32];
    fmt_time(c->created_ms, when, sizeof when);
    printf("%s  [%s]  %s\n", c->id, gl_state_name(c->state), c->text);
    printf("  category %s, priority %s, held by %s, reported %s\n", c->category, gl_priority_name(c->priority),
           c->holder, when);
    if (c->accept_due_ms) {
        fmt_time(c->accept_due_ms, when, sizeof when);
        printf("  accept by %s\n", when);
    }
    if (c->resolve_due_ms) {
        fmt_time(c->resolve_due_ms, when, sizeof when);
        printf("  resolve by %s\n", when);
    }
    for (size_t i = 0; i < c->n_history; i++) {
        const Gridlink__V1__HistoryEntry *h = c->history[i];
        fmt_time(h->time_ms, when, sizeof when);
        printf("  %s  %-10s %-11s %s%s%s\n", when, h->action, gl_state_name(h->state), h->node, h->note[0] ? "  " : "",
               h->note);
    }
}

int gl_cmd_submit(int argc, char **argv)
{
    struct opts o;
    int rc = parse("submit", argc, argv, "HnctNpkarTj", &o);
    if (rc == 0)
        rc = positionals("submit", argc, argv, 0, "gridlink submit --node GRID_ID --category CAT --text TEXT");
    if (rc != 0)
        return rc;
    if (!o.category || !o.category[0] || !o.text || !o.text[0])
        return cli_usage("submit", "--category and --text are required (and not empty)");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "submit";
    req.category = (char *)o.category;
    req.text = (char *)o.text;
    req.note = (char *)(o.note ? o.note : "");
    req.address = (char *)(o.address ? o.address : "");
    req.reporter = (char *)(o.reporter ? o.reporter : "");
    req.priority = o.priority;
    req.kind = o.kind;
    Gridlink__V1__CtlReply *rep;
    if (call("submit", &o, &req, &rep) != 0)
        return 1;
    if (o.json)
        print_json(gl_pbjson_from_message(&rep->case_->base, 0));
    else
        printf("%s\n", rep->case_id);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_show(int argc, char **argv)
{
    struct opts o;
    int rc = parse("show", argc, argv, "HnTj", &o);
    if (rc == 0)
        rc = positionals("show", argc, argv, 1, "gridlink show --node NODE_ID CASE_ID [--json]");
    if (rc == 0)
        rc = case_id_arg("show", argv[optind]);
    if (rc != 0)
        return rc;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "show";
    req.case_id = argv[optind];
    Gridlink__V1__CtlReply *rep;
    if (call("show", &o, &req, &rep) != 0)
        return 1;
    if (o.json)
        print_json(gl_pbjson_from_message(&rep->case_->base, 0));
    else
        print_case(rep->case_);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_list(int argc, char **argv)
{
    struct opts o;
    int rc = parse("list", argc, argv, "HnTj", &o);
    if (rc == 0)
        rc = positionals("list", argc, argv, 0, "gridlink list --node NODE_ID [--json]");
    if (rc != 0)
        return rc;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "list";
    Gridlink__V1__CtlReply *rep;
    if (call("list", &o, &req, &rep) != 0)
        return 1;
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < rep->n_cases; i++)
            json_array_append_new(arr, gl_pbjson_from_message(&rep->cases[i]->base, 0));
        print_json(arr);
    } else {
        for (size_t i = 0; i < rep->n_cases; i++) {
            const Gridlink__V1__Case *c = rep->cases[i];
            printf("%-40s %-11s %-30s %s\n", c->id, gl_state_name(c->state), c->holder, c->text);
        }
        if (rep->n_cases == 0)
            printf("(no cases at %s)\n", o.node);
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_act(int argc, char **argv)
{
    struct opts o;
    int rc = parse("act", argc, argv, "HnNTj", &o);
    if (rc == 0)
        rc =
            positionals("act", argc, argv, 2,
                        "gridlink act --node NODE_ID CASE_ID accept|start|resolve|close|reopen|escalate [--note TEXT]");
    if (rc == 0)
        rc = case_id_arg("act", argv[optind]);
    if (rc != 0)
        return rc;
    gl_action action;
    char list[512];
    if (!gl_action_from(argv[optind + 1], &action))
        return cli_usage("act", "unknown action '%s' (%s)", argv[optind + 1], gl_action_list(list, sizeof list));
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "act";
    req.case_id = argv[optind];
    req.action = argv[optind + 1];
    req.note = (char *)(o.note ? o.note : "");
    Gridlink__V1__CtlReply *rep;
    if (call("act", &o, &req, &rep) != 0)
        return 1;
    if (o.json)
        print_json(gl_pbjson_from_message(&rep->case_->base, 0));
    else
        printf("%s %s (held by %s)\n", rep->case_->id, gl_state_name(rep->case_->state), rep->case_->holder);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_health(int argc, char **argv)
{
    struct opts o;
    int rc = parse("health", argc, argv, "HnTj", &o);
    if (rc == 0)
        rc = positionals("health", argc, argv, 0, "gridlink health --node NODE_ID");
    if (rc != 0)
        return rc;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "health";
    Gridlink__V1__CtlReply *rep;
    if (call("health", &o, &req, &rep) != 0)
        return 1;
    print_json(gl_pbjson_from_message(&rep->health->base, GL_PBJSON_DEFAULTS));
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
