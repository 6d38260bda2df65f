/* cmd_cases.c: the case commands (submit, show, list, act), each one
 * request on the control socket of the process hosting the node, and what
 * every case command shares (cli.h): their options, the control call, HOME's
 * topology for display names (display.h), and a case as JSON or readable
 * text. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casejson.h"
#include "names.h"
#include "cli.h"
#include "codec.h"
#include "ctl.h"
#include "display.h"
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

#define TIMEOUT_MAX_MS 600000

/* HOME's topology as the last parse loaded it, for display names. */
static gl_topology_t *names_topo;

static void names_free(void)
{
    cli_names_set(NULL);
    gl_topology_free(&names_topo);
}

static int yes_no(const char *cmd, const char *opt, const char *text, int *out)
{
    if (strcmp(text, "yes") == 0)
        *out = 1;
    else if (strcmp(text, "no") == 0)
        *out = 0;
    else
        return cli_usage(cmd, "%s takes yes or no, not '%s'", opt, text);
    return 0;
}

static int node_arg(const char *cmd, const char *opt, const char *id, const gl_topology_t *t, const char *home)
{
    if (!id[0] || !gl_node_id_valid(id))
        return cli_usage(cmd, "%s takes a node ID, not '%s'", opt, id);
    if (!gl_topology_find(t, id))
        return cli_usage(cmd, "%s: unknown node %s (not in %s/topology.json)", opt, id, home);
    return 0;
}

static int tier_arg(const char *cmd, const char *text, int *out)
{
    if (strcmp(text, "township") == 0)
        *out = GRIDLINK__V1__TIER__TIER_TOWNSHIP;
    else if (strcmp(text, "community") == 0)
        *out = GRIDLINK__V1__TIER__TIER_COMMUNITY;
    else if (strcmp(text, "grid") == 0)
        *out = GRIDLINK__V1__TIER__TIER_GRID;
    else if (strcmp(text, "department") == 0)
        *out = GRIDLINK__V1__TIER__TIER_DEPARTMENT;
    else
        return cli_usage(cmd, "unknown tier '%s' (township, community, grid, department)", text);
    return 0;
}

/* An extension: a clock duration, or working hours (4wh) or days (2wd). */
static int extension_arg(const char *cmd, const char *text, int64_t *amount, uint32_t *unit)
{
    size_t n = strlen(text);
    if (n > 2 && (strcmp(text + n - 2, "wh") == 0 || strcmp(text + n - 2, "wd") == 0)) {
        bool days = text[n - 1] == 'd';
        char *end;
        errno = 0;
        long long v = isdigit((unsigned char)text[0]) ? strtoll(text, &end, 10) : -1;
        if (v < 1 || errno || end != text + n - 2 || v > (days ? 60 : 480))
            return cli_usage(cmd, "--by takes 1..480 working hours (4wh) or 1..60 working days (2wd), not '%s'", text);
        *amount = v;
        *unit = days ? GRIDLINK__V1__TIME_UNIT__TIME_WORKING_DAYS : GRIDLINK__V1__TIME_UNIT__TIME_WORKING_HOURS;
        return 0;
    }
    *unit = GRIDLINK__V1__TIME_UNIT__TIME_CLOCK_MS;
    return cli_duration(cmd, "--by", text, amount);
}

/* A coordinate in degrees, within -limit..limit. */
static int degrees(const char *cmd, const char *opt, const char *text, double limit, double *out, bool *given)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < -limit || v > limit)
        return cli_usage(cmd, "%s takes degrees from %g to %g (WGS 84), not '%s'", opt, -limit, limit, text);
    *out = v;
    *given = true;
    return 0;
}

int cli_case_parse(const char *cmd, int argc, char **argv, const char *allowed, cli_case_opts *o)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"node", required_argument, 0, 'n'},
                                       {"category", required_argument, 0, 'c'},
                                       {"text", required_argument, 0, 't'},
                                       {"note", required_argument, 0, 'N'},
                                       {"priority", required_argument, 0, 'p'},
                                       {"kind", required_argument, 0, 'k'},
                                       {"address", required_argument, 0, 'a'},
                                       {"reporter", required_argument, 0, 'r'},
                                       {"timeout", required_argument, 0, 'T'},
                                       {"json", no_argument, 0, 'j'},
                                       {"to", required_argument, 0, 'o'},
                                       {"under", required_argument, 0, 'u'},
                                       {"tier", required_argument, 0, 'L'},
                                       {"sign-within", required_argument, 0, 's'},
                                       {"due", required_argument, 0, 'd'},
                                       {"community", required_argument, 0, 'C'},
                                       {"reason", required_argument, 0, 'R'},
                                       {"by", required_argument, 0, 'b'},
                                       {"into", required_argument, 0, 'I'},
                                       {"resolved", required_argument, 0, 'v'},
                                       {"satisfied", required_argument, 0, 'S'},
                                       {"state", required_argument, 0, 'e'},
                                       {"overdue", no_argument, 0, 'O'},
                                       {"holding", no_argument, 0, 'g'},
                                       {"due-soon", no_argument, 0, 'W'},
                                       {"report-within", required_argument, 0, 'w'},
                                       {"lat", required_argument, 0, 'y'},
                                       {"lon", required_argument, 0, 'x'},
                                       {"unplaced", no_argument, 0, 'U'},
                                       {"limit", required_argument, 0, 'l'},
                                       {"after", required_argument, 0, 'A'},
                                       {"holder", required_argument, 0, 'X'},
                                       {"search", required_argument, 0, 'Q'},
                                       {"photo", required_argument, 0, 'P'},
                                       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->timeout_ms = 5000;
    o->resolved = o->satisfied = -1;
    cli_opts_reset();
    int c;
    long long v;
    char list[512];
    while ((c = cli_next_opt(cmd, argc, argv, lo, allowed)) != -1) {
        int rc = 0;
        switch (c) {
        case 'H': o->home = optarg; break;
        case 'n': o->node = optarg; break;
        case 'c': o->category = optarg; break;
        case 't': o->text = optarg; break;
        case 'N': o->note = optarg; break;
        case 'a': o->address = optarg; break;
        case 'r': o->reporter = optarg; break;
        case 'j': o->json = true; break;
        case 'o': o->to = optarg; break;
        case 'u': o->under = optarg; break;
        case 'C': o->community = optarg; break;
        case 'I': o->into = optarg; break;
        case 'O': o->overdue = true; break;
        case 'g': o->holding = true; break;
        case 'W': o->due_soon = true; break;
        case 'U': o->unplaced = true; break;
        case 'A': o->after = optarg; break;
        case 'X': o->holder = optarg; break;
        case 'Q': o->search = optarg; break;
        case 'P':
            if (!gl_sha256_hex_valid(optarg))
                rc = cli_usage(cmd, "--photo takes a photo's SHA-256 as gridlink attach printed it, not '%s'", optarg);
            else if (o->n_photos == GL_MAX_ATTACHMENTS)
                rc = cli_usage(cmd, "at most %d photos", GL_MAX_ATTACHMENTS);
            else
                o->photos[o->n_photos++] = optarg;
            break;
        case 'l':
            if ((rc = cli_int(cmd, "--limit", optarg, 1, GL_LIST_PAGE_MAX, &v)) == 0)
                o->limit = (int)v;
            break;
        case 'y': rc = degrees(cmd, "--lat", optarg, 90, &o->lat, &o->has_lat); break;
        case 'x': rc = degrees(cmd, "--lon", optarg, 180, &o->lon, &o->has_lon); break;
        case 'L': rc = tier_arg(cmd, optarg, &o->tier); break;
        case 's': rc = cli_duration(cmd, "--sign-within", optarg, &o->sign_within_ms); break;
        case 'w': rc = cli_duration(cmd, "--report-within", optarg, &o->sign_within_ms); break;
        case 'd': rc = cli_duration(cmd, "--due", optarg, &o->due_ms); break;
        case 'b': rc = extension_arg(cmd, optarg, &o->by_ms, &o->by_unit); break;
        case 'v': rc = yes_no(cmd, "--resolved", optarg, &o->resolved); break;
        case 'S': rc = yes_no(cmd, "--satisfied", optarg, &o->satisfied); break;
        case 'T':
            if ((rc = cli_int(cmd, "--timeout", optarg, 1, TIMEOUT_MAX_MS, &v)) == 0)
                o->timeout_ms = (int)v;
            break;
        case 'R': {
            Gridlink__V1__ReturnReason r;
            if (gl_reason_from(optarg, &r))
                o->reason = (int)r;
            else
                rc = cli_usage(cmd, "unknown reason '%s' (%s)", optarg, gl_reason_list(list, sizeof list));
            break;
        }
        case 'e': {
            gl_state st;
            o->state = optarg;
            if (!gl_state_from(optarg, &st))
                rc = cli_usage(cmd, "unknown state '%s' (%s)", optarg, gl_state_list(list, sizeof list));
            break;
        }
        case 'p':
            o->priority = gl_priority_parse(optarg);
            if (o->priority < 0)
                rc = cli_usage(cmd, "unknown priority '%s' (normal, urgent, emergency)", optarg);
            break;
        case 'k': {
            Gridlink__V1__CaseKind k;
            if (gl_kind_from(optarg, &k))
                o->kind = (int)k;
            else
                rc = cli_usage(cmd, "unknown kind '%s' (incident, request, task, whistle)", optarg);
            break;
        }
        default: return CLI_USAGE;
        }
        if (rc != 0)
            return rc;
    }
    o->home = cli_home(o->home);
    if (!o->node || !o->node[0])
        return cli_usage(cmd, "--node NODE_ID is required");
    if (!gl_node_id_valid(o->node))
        return cli_usage(cmd, "'%s' is not a node ID", o->node);
    if (!names_topo) {
        if (cli_topology(cmd, o->home, &names_topo) != 0)
            return 1;
        atexit(names_free);
        cli_names_set(names_topo);
    }
    if (!gl_topology_find(names_topo, o->node))
        return cli_usage(cmd, "unknown node %s (not in %s/topology.json)", o->node, o->home);
    bool many = strcmp(cmd, "whistle") == 0; /* --to lists nodes */
    if (many && o->to) {
        char one[GL_NODE_ID_MAX + 1];
        for (const char *p = o->to, *comma; *p; p = comma ? comma + 1 : p + strlen(p)) {
            comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one ? len : sizeof one - 1), p);
            int rc = node_arg(cmd, "--to", one, names_topo, o->home);
            if (rc != 0)
                return rc;
        }
    }
    if (o->after && !gl_case_id_valid(o->after))
        return cli_usage(cmd, "--after takes a case ID, not '%s'", o->after);
    const char *ids[][2] = {
        {"--to", many ? NULL : o->to}, {"--under", o->under}, {"--community", o->community}, {"--holder", o->holder}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        int rc = ids[i][1] ? node_arg(cmd, ids[i][0], ids[i][1], names_topo, o->home) : 0;
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cli_positionals(const char *cmd, int argc, char **argv, int n, const char *usage)
{
    if (argc - optind > n)
        return cli_usage(cmd, "unexpected argument '%s'; usage: %s", argv[optind + n], usage);
    if (argc - optind < n)
        return cli_usage(cmd, "missing argument; usage: %s", usage);
    return 0;
}

int cli_case_id_arg(const char *cmd, const char *id)
{
    if (!id[0])
        return cli_usage(cmd, "the case ID is empty");
    if (!gl_case_id_valid(id))
        return cli_usage(cmd, "'%s' is not a case ID (NODE_ID-NUMBER)", id);
    return 0;
}

int cli_case_call(const char *cmd, const cli_case_opts *o, Gridlink__V1__CtlRequest *req, Gridlink__V1__CtlReply **rep)
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

void cli_print_json(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

int64_t cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *cli_case_json(const Gridlink__V1__Case *c, Gridlink__V1__Case *const *parts, size_t n_parts, int64_t now)
{
    return gl_case_json(cli_names(), c, parts, n_parts, now);
}

static void print_counters(const Gridlink__V1__CaseCounters *k)
{
    if (!k)
        return;
    const struct {
        const char *name;
        uint32_t n;
    } all[] = {{"returns", k->returns},
               {"reworks", k->reworks},
               {"reopens", k->reopens},
               {"urges", k->urges},
               {"extensions", k->extensions},
               {"extensions refused", k->extensions_refused},
               {"suspensions", k->suspensions},
               {"sign-for missed", k->overdue_accept},
               {"completion missed", k->overdue_resolve},
               {"escalations", k->escalations},
               {"shuffles", k->shuffles}};
    int shown = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i].n)
            printf("%s%s %u", shown++ ? ", " : "  counters: ", all[i].name, all[i].n);
    if (shown)
        printf("\n");
}

void cli_print_case(const Gridlink__V1__Case *c, Gridlink__V1__Case *const *parts, size_t n_parts)
{
    char when[48], a[GL_NODE_ID_MAX + 128], b[GL_NODE_ID_MAX + 128];
    int64_t now = cli_now_ms();
    printf("%s  [%s %s]%s  %s\n", c->id, gl_state_name(c->state), gl_state_label(c->state),
           gl_case_late(c, now) ? " OVERDUE" : "", c->text);
    printf("  %s, category %s, priority %s, created %s\n", gl_kind_name(c->kind),
           cli_category_name(c->category, a, sizeof a), gl_priority_name(c->priority),
           cli_local_time_zone(c->created_ms, when, sizeof when));
    printf("  held by %s, originator %s\n", cli_node_name(c->holder, a, sizeof a),
           cli_node_name(c->originator, b, sizeof b));
    if (c->community[0])
        printf("  for community %s\n", cli_node_name(c->community, a, sizeof a));
    if (c->located)
        printf("  at %.6f, %.6f (lat, lon)%s%s\n", c->lat, c->lon, c->grid[0] ? " in grid " : "",
               c->grid[0] ? cli_node_name(c->grid, b, sizeof b) : "");
    if (c->unplaced)
        printf("  待分拨: in %s's routing queue, to be assigned by a person\n", cli_node_name(c->holder, b, sizeof b));
    if (c->accept_due_ms)
        printf("  accept by %s\n", cli_local_time(c->accept_due_ms, when, sizeof when));
    if (c->resolve_due_ms)
        printf("  resolve by %s\n", cli_local_time(c->resolve_due_ms, when, sizeof when));
    if (gl_case_due_soon(c, now))
        printf("  即将超时 (due soon)\n");
    if (c->extension_asked_ms)
        printf("  extension of %lld %s asked, waiting for %s\n",
               (long long)(c->extension_unit == GRIDLINK__V1__TIME_UNIT__TIME_CLOCK_MS ? c->extension_asked_ms / 1000
                                                                                       : c->extension_asked_ms),
               c->extension_unit == GRIDLINK__V1__TIME_UNIT__TIME_WORKING_HOURS  ? "working hours (工作时)"
               : c->extension_unit == GRIDLINK__V1__TIME_UNIT__TIME_WORKING_DAYS ? "working days (工作日)"
                                                                                 : "s",
               c->assigned_by[0] ? cli_node_name(c->assigned_by, a, sizeof a) : "the tier above");
    if (c->merged_into[0])
        printf("  merged into %s\n", c->merged_into);
    if (c->rating)
        printf("  rated: resolved %s, satisfied %s\n", c->rating->resolved ? "yes" : "no",
               c->rating->satisfied ? "yes" : "no");
    print_counters(c->counters);
    if (c->parent_task[0])
        printf("  part of task %s\n", c->parent_task);
    for (size_t i = 0; i < c->n_children; i++) {
        const Gridlink__V1__Case *p = gl_case_part_of(c->children[i], parts, n_parts);
        gl_state st = p ? p->state : GRIDLINK__V1__CASE_STATE__STATE_UNKNOWN;
        printf("  part %s  %s  [%s %s]  %s%s%s\n", c->children[i], cli_node_name(p ? p->holder : "", a, sizeof a),
               gl_state_name(st), gl_state_label(st), gl_part_signed(st) ? "signed" : "not signed",
               gl_part_finished(st) ? ", finished" : "", p && gl_case_late(p, now) ? ", overdue" : "");
    }
    cli_table_t *t = cli_table_new(6);
    for (size_t i = 0; t && i < c->n_history; i++) {
        const Gridlink__V1__HistoryEntry *h = c->history[i];
        char at[48];
        snprintf(at, sizeof at, "  %s", cli_local_time(h->time_ms, when, sizeof when));
        const char *row[] = {
            at,     h->action, gl_state_name(h->state), gl_state_label(h->state), cli_node_name(h->node, a, sizeof a),
            h->note};
        cli_table_add(t, row);
    }
    if (t)
        cli_table_print(t, stdout);
    cli_table_free(&t);
}

void cli_print_outcome(const Gridlink__V1__CtlReply *rep)
{
    const Gridlink__V1__Case *c = rep->case_;
    char h[GL_NODE_ID_MAX + 128];
    printf("%s %s (%s), held by %s\n", c->id, gl_state_name(c->state), gl_state_label(c->state),
           cli_node_name(c->holder, h, sizeof h));
    if (rep->note && rep->note[0])
        printf("%s\n", rep->note);
}

int cli_intake(const char *cmd, const cli_case_opts *o, Gridlink__V1__CtlRequest *req)
{
    if (!o->category || !o->category[0] || !o->text || !o->text[0])
        return cli_usage(cmd, "--category and --text are required (and not empty)");
    req->category = (char *)o->category;
    req->text = (char *)o->text;
    req->note = (char *)(o->note ? o->note : "");
    req->address = (char *)(o->address ? o->address : "");
    req->reporter = (char *)(o->reporter ? o->reporter : "");
    req->priority = o->priority;
    req->attachments = (char **)o->photos;
    req->n_attachments = o->n_photos;
    if (o->has_lat != o->has_lon)
        return cli_usage(cmd, "a location is --lat and --lon together");
    req->located = o->has_lat;
    req->lat = o->lat;
    req->lon = o->lon;
    return 0;
}

int cli_new_case(const char *cmd, const cli_case_opts *o, Gridlink__V1__CtlRequest *req)
{
    Gridlink__V1__CtlReply *rep;
    if (cli_case_call(cmd, o, req, &rep) != 0)
        return 1;
    if (o->json)
        cli_print_json(cli_case_json(rep->case_, NULL, 0, cli_now_ms()));
    else
        printf("%s\n", rep->case_id);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_submit(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("submit", argc, argv, "HnctNpkarTjPyx", &o);
    if (rc == 0)
        rc = cli_positionals("submit", argc, argv, 0, "gridlink submit --node GRID_ID --category CAT --text TEXT");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    if (rc == 0)
        rc = cli_intake("submit", &o, &req);
    if (rc != 0)
        return rc;
    req.op = "submit";
    req.kind = o.kind;
    return cli_new_case("submit", &o, &req);
}

int gl_cmd_show(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("show", argc, argv, "HnTj", &o);
    if (rc == 0)
        rc = cli_positionals("show", argc, argv, 1, "gridlink show --node NODE_ID CASE_ID [--json]");
    if (rc == 0)
        rc = cli_case_id_arg("show", argv[optind]);
    if (rc != 0)
        return rc;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "show";
    req.case_id = argv[optind];
    req.node = (char *)o.node;
    Gridlink__V1__CtlReply *rep;
    char err[512];
    if (gl_ctl_call(o.home, &req, o.timeout_ms, &rep, err, sizeof err) != 0)
        return cli_fail("show", "%s", err);
    if (rep->code == GL_ENOENT) {
        /* Not in the store: an archived case answers from the archive. */
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        int arc = cli_archive_show(o.home, o.node, req.case_id, o.json);
        if (arc >= 0)
            return arc;
        return cli_fail("show", "%s", gl_strerror(GL_ENOENT));
    }
    if (rep->code != 0) {
        cli_fail("show", "%s", rep->error && rep->error[0] ? rep->error : gl_strerror(rep->code));
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return 1;
    }
    if (o.json)
        cli_print_json(cli_case_json(rep->case_, rep->cases, rep->n_cases, cli_now_ms()));
    else
        cli_print_case(rep->case_, rep->cases, rep->n_cases);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

/* The cases one a line, their columns lined up: ID, kind, state with its
 * label, holder, category, and the text (marked OVERDUE when late). */
static int print_list(Gridlink__V1__Case *const *cases, size_t n, int64_t now)
{
    char h[GL_NODE_ID_MAX + 128], st[64], cat[GL_CATEGORY_CODE_MAX + 128], text[GL_MAX_TEXT + 16];
    cli_table_t *t = cli_table_new(6);
    for (size_t i = 0; t && i < n; i++) {
        const Gridlink__V1__Case *c = cases[i];
        snprintf(st, sizeof st, "%s %s", gl_state_name(c->state), gl_state_label(c->state));
        snprintf(text, sizeof text, "%s%s",
                 gl_case_late(c, now)       ? "OVERDUE "
                 : gl_case_due_soon(c, now) ? "即将超时 "
                                            : "",
                 c->text);
        const char *row[] = {c->id,
                             gl_kind_name(c->kind),
                             st,
                             cli_node_name(c->holder, h, sizeof h),
                             cli_category_name(c->category, cat, sizeof cat),
                             text};
        if (cli_table_add(t, row) != 0)
            cli_table_free(&t);
    }
    if (!t)
        return cli_fail("list", "out of memory");
    cli_table_print(t, stdout);
    cli_table_free(&t);
    return 0;
}

int gl_cmd_list(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("list", argc, argv, "HnTjekOgcWUlAXQ", &o);
    if (rc == 0)
        rc = cli_positionals("list", argc, argv, 0,
                             "gridlink list --node NODE_ID [--state S] [--kind K] [--category C] [--overdue] "
                             "[--due-soon] [--unplaced] [--holding] [--holder NODE] [--search TEXT] "
                             "[--limit N [--after CASE_ID]] [--json]");
    if (rc != 0)
        return rc;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "list";
    req.state = (char *)(o.state ? o.state : "");
    req.kind = o.kind;
    req.category = (char *)(o.category ? o.category : "");
    req.overdue = o.overdue;
    req.holding = o.holding;
    req.due_soon = o.due_soon;
    req.unplaced = o.unplaced;
    req.holder = (char *)(o.holder ? o.holder : "");
    req.text = (char *)(o.search ? o.search : "");
    req.limit = (uint32_t)o.limit;
    req.after = (char *)(o.after ? o.after : "");
    /* Without --limit, every page; with it, one, and where the next starts. */
    Gridlink__V1__CtlReply **pages = NULL;
    size_t n_pages = 0, n = 0;
    char next[GL_NODE_ID_MAX + 32] = "";
    for (;;) {
        Gridlink__V1__CtlReply *rep, **more = realloc(pages, (n_pages + 1) * sizeof *pages);
        if (!more) {
            rc = cli_fail("list", "out of memory");
            break;
        }
        pages = more;
        if (cli_case_call("list", &o, &req, &rep) != 0) {
            rc = 1;
            break;
        }
        pages[n_pages++] = rep;
        n += rep->n_cases;
        snprintf(next, sizeof next, "%s", rep->next_case);
        if (o.limit || !next[0])
            break;
        req.after = next;
    }
    Gridlink__V1__Case **all = rc == 0 ? calloc(n ? n : 1, sizeof *all) : NULL;
    if (rc == 0 && !all)
        rc = cli_fail("list", "out of memory");
    size_t k = 0;
    for (size_t p = 0; all && p < n_pages; p++)
        for (size_t i = 0; i < pages[p]->n_cases; i++)
            all[k++] = pages[p]->cases[i];
    int64_t now = cli_now_ms();
    if (all && o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, cli_case_json(all[i], NULL, 0, now));
        cli_print_json(arr);
    } else if (all) {
        char at[GL_NODE_ID_MAX + 128];
        rc = print_list(all, n, now);
        if (n == 0)
            printf("(no matching cases at %s)\n", cli_node_name(o.node, at, sizeof at));
    }
    if (all && o.limit && next[0])
        fprintf(stderr, "%llu match; more after %s (--after %s)\n", (unsigned long long)pages[n_pages - 1]->matched,
                next, next);
    free(all);
    for (size_t p = 0; p < n_pages; p++)
        gridlink__v1__ctl_reply__free_unpacked(pages[p], NULL);
    free(pages);
    return rc;
}

/* What an action needs beyond the case, and what only it takes. */
static int act_options(const cli_case_opts *o, gl_action a)
{
    const struct {
        gl_action action;
        bool given;
        const char *opt;
    } extra[] = {{GRIDLINK__V1__ACTION__ACTION_RETURN, o->reason != 0, "--reason CODE"},
                 {GRIDLINK__V1__ACTION__ACTION_EXTEND, o->by_ms != 0, "--by DURATION"},
                 {GRIDLINK__V1__ACTION__ACTION_MERGE, o->into != NULL, "--into CASE_ID"},
                 {GRIDLINK__V1__ACTION__ACTION_ASSIGN, o->to != NULL, "--to NODE"}};
    if (a == GRIDLINK__V1__ACTION__ACTION_RATE)
        return cli_usage("act", "rate has its own command: gridlink rate CASE_ID --resolved yes|no --satisfied yes|no");
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        if (extra[i].action == a && !extra[i].given)
            return cli_usage("act", "%s needs %s", gl_action_name(a), extra[i].opt);
        if (extra[i].action != a && extra[i].given)
            return cli_usage("act", "%.*s goes with %s, not %s", (int)strcspn(extra[i].opt, " "), extra[i].opt,
                             gl_action_name(extra[i].action), gl_action_name(a));
    }
    if (o->into && !gl_case_id_valid(o->into))
        return cli_usage("act", "'%s' is not a case ID (NODE_ID-NUMBER)", o->into);
    return 0;
}

int gl_cmd_act(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("act", argc, argv, "HnNTjRbIoP", &o);
    if (rc == 0)
        rc = cli_positionals("act", argc, argv, 2, "gridlink act --node NODE_ID CASE_ID ACTION [--note TEXT]");
    if (rc == 0)
        rc = cli_case_id_arg("act", argv[optind]);
    if (rc != 0)
        return rc;
    gl_action action;
    char list[512];
    if (!gl_action_from(argv[optind + 1], &action))
        return cli_usage("act", "unknown action '%s' (%s)", argv[optind + 1], gl_action_list(list, sizeof list));
    if ((rc = act_options(&o, action)) != 0)
        return rc;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "act";
    req.case_id = argv[optind];
    req.action = argv[optind + 1];
    req.note = (char *)(o.note ? o.note : "");
    req.reason = (char *)(o.reason ? gl_reason_name(o.reason) : "");
    req.by_ms = o.by_ms;
    req.by_unit = o.by_unit;
    req.into = (char *)(o.into ? o.into : "");
    req.to = (char *)(o.to ? o.to : "");
    req.attachments = (char **)o.photos;
    req.n_attachments = o.n_photos;
    Gridlink__V1__CtlReply *rep;
    if (cli_case_call("act", &o, &req, &rep) != 0)
        return 1;
    if (o.json) {
        json_t *j = cli_case_json(rep->case_, NULL, 0, cli_now_ms());
        if (j && rep->note && rep->note[0])
            json_object_set_new(j, "note", json_string(rep->note));
        cli_print_json(j);
    } else {
        cli_print_outcome(rep);
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
