/* cmd_watch.c: `gridlink watch`, a live view of the district's change feed.
 *
 * It subscribes to the broker's output with the operator's key, waits for
 * the broker's first "hugz" (proof that the subscription is in place), says
 * so on stderr, then prints each event: one JSON object a line with --json,
 * or a readable line. It tracks each node's sequence numbers and reports on
 * stderr any events it missed. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casefsm.h"
#include "cli.h"
#include "codec.h"
#include "keys.h"
#include "pbjson.h"

static const char *const kinds[] = {"reported", "received", "accepted", "started",  "resolved",  "closed",
                                    "reopened", "escalated", "overdue",  "status",  "link-up", "link-down", NULL};

static void iso_time(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03dZ", (int)(ms % 1000));
}

static void print_event(const Gridlink__V1__BusEvent *ev, bool json)
{
    char when[40];
    iso_time(ev->time_ms, when, sizeof when);
    if (json) {
        json_t *j = gl_pbjson_from_message(&ev->base, 0);
        json_object_set_new(j, "time", json_string(when));
        if (ev->case_id[0])
            json_object_set_new(j, "state", json_string(gl_state_name(ev->state)));
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s)
            puts(s);
        free(s);
        json_decref(j);
    } else if (ev->case_id[0]) {
        printf("%s  %-10s %-28s %-34s %-11s -> %s", when + 11, ev->kind, ev->node, ev->case_id,
               gl_state_name(ev->state), ev->holder);
        if (ev->note[0])
            printf("  (%s)", ev->note);
        putchar('\n');
    } else {
        printf("%s  %-10s %-28s %s\n", when + 11, ev->kind, ev->node, ev->peer);
    }
    fflush(stdout);
}

int gl_cmd_watch(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},  {"prefix", required_argument, 0, 'p'},
                                       {"kind", required_argument, 0, 'k'},  {"json", no_argument, 0, 'j'},
                                       {"count", required_argument, 0, 'c'}, {"seconds", required_argument, 0, 's'},
                                       {0, 0, 0, 0}};
    const char *home = NULL, *prefix = NULL, *kind = NULL;
    bool json = false;
    long count = -1, seconds = -1;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'H': home = optarg; break;
        case 'p': prefix = optarg; break;
        case 'k': kind = optarg; break;
        case 'j': json = true; break;
        case 'c': count = atol(optarg); break;
        case 's': seconds = atol(optarg); break;
        default: return cli_fail("watch", "usage: gridlink watch [--home DIR] [--prefix NODE_PATH] [--kind KIND] [--json] [--count N] [--seconds S]");
        }
    }
    home = cli_home(home);
    gl_topology_t *t;
    if (cli_topology("watch", home, &t) != 0)
        return 1;
    if (!t->bus_out || !t->broker_key) {
        gl_topology_free(&t);
        return cli_fail("watch", "the topology in %s has no broker", home);
    }
    if (prefix && !gl_node_id_valid(prefix)) {
        gl_topology_free(&t);
        return cli_fail("watch", "'%s' is not a node path", prefix);
    }
    zsys_handler_set(NULL);
    zcert_t *cert;
    if (gl_keys_load(home, "operator", &cert) != 0) {
        gl_topology_free(&t);
        return cli_fail("watch", "no operator key in %s/keys (run gridlink keygen)", home);
    }
    zsock_t *sub = zsock_new(ZMQ_SUB);
    zsock_set_rcvhwm(sub, 100000);
    zsock_set_linger(sub, 0);
    zcert_apply(cert, sub);
    zsock_set_curve_serverkey(sub, t->broker_key);
    zsock_set_subscribe(sub, "hugz");
    char topic[512];
    for (int i = 0; kinds[i]; i++) {
        if (kind && strcmp(kind, kinds[i]) != 0)
            continue;
        /* Topics are "<kind> <node>", so a subtree filter is a prefix too;
         * the node match is completed below (dot boundary). */
        snprintf(topic, sizeof topic, "%s %s", kinds[i], prefix ? prefix : "");
        zsock_set_subscribe(sub, topic);
    }
    if (zsock_connect(sub, "%s", t->bus_out) != 0) {
        zsock_destroy(&sub);
        zcert_destroy(&cert);
        gl_topology_free(&t);
        return cli_fail("watch", "cannot connect to %s", t->bus_out);
    }
    signal(SIGPIPE, SIG_IGN);
    zhashx_t *last = zhashx_new();
    zhashx_set_destructor(last, (zhashx_destructor_fn *)zstr_free);
    bool live = false;
    long printed = 0;
    int64_t end = seconds >= 0 ? zclock_mono() + seconds * 1000 : 0;
    zpoller_t *poller = zpoller_new(sub, NULL);
    int rc = 0;
    while (!zsys_interrupted && (count < 0 || printed < count)) {
        int wait = 1000;
        if (end) {
            int64_t left = end - zclock_mono();
            if (left <= 0)
                break;
            wait = left < wait ? (int)left : wait;
        }
        if (!zpoller_wait(poller, wait)) {
            if (zpoller_terminated(poller))
                break;
            continue;
        }
        zmsg_t *msg = zmsg_recv(sub);
        if (!msg)
            break;
        char *tp = zmsg_popstr(msg);
        zframe_t *body = zmsg_first(msg);
        if (tp && strcmp(tp, "hugz") == 0) {
            if (!live) {
                live = true;
                fprintf(stderr, "watch: live on %s%s%s\n", t->bus_out, prefix ? ", nodes under " : "",
                        prefix ? prefix : "");
            }
        } else if (body) {
            char err[256];
            Gridlink__V1__BusEvent *ev;
            if (gl_decode_bus_event(zframe_data(body), zframe_size(body), &ev, err, sizeof err) != 0) {
                fprintf(stderr, "watch: bad event skipped: %s\n", err);
            } else if (!prefix || gl_topology_in_subtree(prefix, ev->node)) {
                uint64_t *prev = zhashx_lookup(last, ev->node);
                if (!prev) {
                    prev = calloc(1, sizeof *prev);
                    zhashx_insert(last, ev->node, prev);
                }
                if (*prev && ev->seq > *prev + 1)
                    fprintf(stderr, "watch: missed %llu event(s) from %s\n",
                            (unsigned long long)(ev->seq - *prev - 1), ev->node);
                if (ev->seq > *prev)
                    *prev = ev->seq;
                print_event(ev, json);
                printed++;
                gridlink__v1__bus_event__free_unpacked(ev, NULL);
            } else {
                gridlink__v1__bus_event__free_unpacked(ev, NULL);
            }
        }
        free(tp);
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&poller);
    zhashx_destroy(&last);
    zsock_destroy(&sub);
    zcert_destroy(&cert);
    gl_topology_free(&t);
    return rc;
}
