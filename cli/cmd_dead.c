/* cmd_dead.c: `gridlink deadletters`, the messages a node's neighbours
 * refused for good: list them, send one again, or drop it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ctl.h"
#include "error.h"
#include "pbjson.h"

int gl_cmd_deadletters(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},    {"node", required_argument, 0, 'n'},
                                       {"peer", required_argument, 0, 'p'},    {"retry", required_argument, 0, 'r'},
                                       {"drop", required_argument, 0, 'd'},    {"json", no_argument, 0, 'j'},
                                       {"timeout", required_argument, 0, 'T'}, {0, 0, 0, 0}};
    const char *home = NULL, *node = NULL, *peer = NULL, *op = "dead-letters";
    long long seq = 0, timeout = 5000;
    bool json = false;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("deadletters", argc, argv, lo, NULL)) != -1) {
        switch (c) {
        case 'H': home = optarg; break;
        case 'n': node = optarg; break;
        case 'p': peer = optarg; break;
        case 'j': json = true; break;
        case 'r':
        case 'd':
            if (strcmp(op, "dead-letters") != 0)
                return cli_usage("deadletters", "give one of --retry and --drop");
            op = c == 'r' ? "dead-retry" : "dead-drop";
            if (cli_int("deadletters", c == 'r' ? "--retry" : "--drop", optarg, 1, INT64_MAX, &seq) != 0)
                return CLI_USAGE;
            break;
        case 'T':
            if (cli_int("deadletters", "--timeout", optarg, 1, 3600000, &timeout) != 0)
                return CLI_USAGE;
            break;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage("deadletters", "unexpected argument '%s'", argv[optind]);
    if (!node)
        return cli_usage("deadletters", "--node NODE_ID is required");
    if (seq && !peer)
        return cli_usage("deadletters", "--peer names the neighbour the message was for");
    home = cli_home(home);
    gl_topology_t *t;
    if (cli_topology("deadletters", home, &t) != 0)
        return 1;
    bool known = gl_topology_find(t, node) != NULL;
    gl_topology_free(&t);
    if (!known)
        return cli_fail("deadletters", "unknown node %s", node);

    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = (char *)node;
    req.op = (char *)op;
    req.peer = (char *)(peer ? peer : "");
    req.from_seq = (uint64_t)seq;
    Gridlink__V1__CtlReply *rep;
    char err[512];
    if (gl_ctl_call(home, &req, (int)timeout, &rep, err, sizeof err) != 0)
        return cli_fail("deadletters", "%s", err);
    int rc = 0;
    if (rep->code != 0) {
        rc = cli_fail("deadletters", "%s", rep->error && rep->error[0] ? rep->error : gl_strerror(rep->code));
    } else if (seq) {
        printf("%s dead letter %" PRIu64 " for %s%s%s\n",
               strcmp(op, "dead-retry") == 0 ? "sent again:" : "dropped:", (uint64_t)seq, peer,
               rep->case_id[0] ? ", case " : "", rep->case_id);
    } else if (json) {
        json_t *a = json_array();
        for (size_t i = 0; i < rep->n_dead_letters; i++)
            json_array_append_new(a, gl_pbjson_from_message(&rep->dead_letters[i]->base, GL_PBJSON_DEFAULTS));
        char *s = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            puts(s);
        free(s);
        json_decref(a);
    } else if (rep->n_dead_letters == 0) {
        printf("%s: no dead letters\n", node);
    } else {
        printf("%-24s %8s  %-19s  %-28s %s\n", "peer", "seq", "time", "case", "reason");
        for (size_t i = 0; i < rep->n_dead_letters; i++) {
            const Gridlink__V1__DeadLetter *d = rep->dead_letters[i];
            char when[32];
            time_t tt = (time_t)(d->time_ms / 1000);
            struct tm tm;
            localtime_r(&tt, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
            printf("%-24s %8" PRIu64 "  %-19s  %-28s %s: %s\n", d->peer, d->seq, when, d->case_id[0] ? d->case_id : "-",
                   gl_strerror(d->code), d->reason);
        }
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return rc;
}
