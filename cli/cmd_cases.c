/* cmd_cases.c: the case commands (submit, show, list, act, health). Each is
 * one request on the control socket of the process hosting the node. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casefsm.h"
#include "cli.h"
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

static int parse(const char *cmd, int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},     {"node", required_argument, 0, 'n'},
                                       {"category", required_argument, 0, 'c'}, {"text", required_argument, 0, 't'},
                                       {"note", required_argument, 0, 'N'},     {"priority", required_argument, 0, 'p'},
                                       {"kind", required_argument, 0, 'k'},     {"address", required_argument, 0, 'a'},
                                       {"reporter", required_argument, 0, 'r'}, {"timeout", required_argument, 0, 'T'},
                                       {"json", no_argument, 0, 'j'},           {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->timeout_ms = 5000;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'H': o->home = optarg; break;
        case 'n': o->node = optarg; break;
        case 'c': o->category = optarg; break;
        case 't': o->text = optarg; break;
        case 'N': o->note = optarg; break;
        case 'a': o->address = optarg; break;
        case 'r': o->reporter = optarg; break;
        case 'j': o->json = true; break;
        case 'T': o->timeout_ms = atoi(optarg); break;
        case 'p':
            o->priority = gl_priority_parse(optarg);
            if (o->priority < 0)
                return cli_fail(cmd, "unknown priority '%s' (normal, urgent, emergency)", optarg);
            break;
        case 'k':
            if (strcmp(optarg, "incident") == 0)
                o->kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
            else if (strcmp(optarg, "request") == 0)
                o->kind = GRIDLINK__V1__CASE_KIND__KIND_REQUEST;
            else if (strcmp(optarg, "task") == 0)
                o->kind = GRIDLINK__V1__CASE_KIND__KIND_TASK;
            else
                return cli_fail(cmd, "unknown kind '%s' (incident, request, task)", optarg);
            break;
        default: return cli_fail(cmd, "bad option (see gridlink help)");
        }
    }
    o->home = cli_home(o->home);
    if (!o->node)
        return cli_fail(cmd, "--node NODE_ID is required");
    gl_topology_t *t;
    if (cli_topology(cmd, o->home, &t) != 0)
        return 1;
    bool known = gl_topology_find(t, o->node) != NULL;
    gl_topology_free(&t);
    if (!known)
        return cli_fail(cmd, "unknown node %s", o->node);
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
    if (parse("submit", argc, argv, &o) != 0)
        return 1;
    if (optind != argc)
        return cli_fail("submit", "unexpected argument '%s'", argv[optind]);
    if (!o.category || !o.text)
        return cli_fail("submit", "--category and --text are required");
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
    if (parse("show", argc, argv, &o) != 0)
        return 1;
    if (optind + 1 != argc)
        return cli_fail("show", "usage: gridlink show --node NODE_ID CASE_ID [--json]");
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
    if (parse("list", argc, argv, &o) != 0)
        return 1;
    if (optind != argc)
        return cli_fail("list", "unexpected argument '%s'", argv[optind]);
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
    if (parse("act", argc, argv, &o) != 0)
        return 1;
    if (optind + 2 != argc)
        return cli_fail(
            "act",
            "usage: gridlink act --node NODE_ID CASE_ID accept|start|resolve|close|reopen|escalate [--note TEXT]");
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
    if (parse("health", argc, argv, &o) != 0)
        return 1;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "health";
    Gridlink__V1__CtlReply *rep;
    if (call("health", &o, &req, &rep) != 0)
        return 1;
    print_json(gl_pbjson_from_message(&rep->health->base, GL_PBJSON_DEFAULTS));
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
