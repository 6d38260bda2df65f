/* cmd_watch.c: `gridlink watch`, a live view of the district's change feed,
 * as a Clone client of the broker.
 *
 * It watches with a key from HOME/keys (--key, default the operator's) and
 * sees what the topology grants that key (see the bus protocol in codec.h).
 * It always opens a DEALER to the broker's request endpoint (bus_in). A key
 * that may see the whole district also subscribes to the broker's output
 * (bus_out); once the broker's first "hugz" proves that subscription is in
 * place, it asks for a snapshot: the broker's view of the cases (printed
 * first with --snapshot) and every node's last sequence (its mark). Live
 * events are read only after that, so none is lost in between; those at or
 * below a node's mark are already in the snapshot and are skipped. Any other
 * key (a node's, a scoped monitor's) subscribes over the DEALER instead; the
 * broker's acknowledgement takes the place of the first hugz, and the live
 * events queued before the snapshot's end are in the snapshot already.
 *
 * From then on each node's events are printed exactly once and in sequence
 * order: an event past the next expected one is held back, the missing range
 * is asked of the broker (which answers from its window or from the node's
 * log), and the held events follow once the hole is filled. The broker's
 * periodic "marks" reveal a lost tail the same way. Output is one JSON object
 * a line with --json (the BusEvent's fields, "time" and "state"), or a
 * readable line; progress and repairs are reported on stderr. A refusal (out
 * of the key's grant) or a cut-off (read too slowly) ends the watch.
 * `--marks` prints the broker's per-node marks and exits.
 *
 * Ownership: everything lives in one watch_t on gl_cmd_watch's stack; held
 * events are owned by their node's list until printed or dropped. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "names.h"
#include "cli.h"
#include "codec.h"
#include "display.h"
#include "error.h"
#include "keys.h"
#include "pbjson.h"
#include "sock.h"

#define SNAPSHOT_RETRY_MS 3000
#define ASK_TIMEOUT_MS    5000
#define ASK_RETRY_MS      500    /* the broker answered short: its view is behind; ask again soon */
#define HELD_MAX          200000 /* events held back across all nodes */

typedef Gridlink__V1__BusEvent bus_event_t;

typedef struct wfeed {
    uint64_t last; /* printed (or skipped as already known) up to here */
    uint64_t want; /* highest sequence heard of */
    bool based;    /* last is meaningful */
    bool asking;   /* a replay request is out */
    int64_t asked_ms, retry_at;
    zlistx_t *held; /* bus_event_t, ascending seq, all > last + 1 */
} wfeed_t;

typedef struct {
    const char *prefix, *kind;
    bool json;
    bool subscribed; /* live events come over the DEALER (a scoped key), not bus_out */
    bool refused;    /* the broker refused or cut off this watch */
    long count, printed;
    zsock_t *sub, *req;
    zhashx_t *feeds;
    size_t held;
    uint64_t repaired, asks, skipped;
} watch_t;

/* Columns the readable lines give a node with its name: the widest of the
 * topology's nodes under prefix (set once names are known). */
static size_t node_cols = 28;

static void set_node_cols(const gl_topology_t *t, const char *prefix)
{
    char buf[GL_NODE_ID_MAX + 128];
    size_t widest = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        if (prefix && !gl_topology_in_subtree(prefix, t->nodes[i].id))
            continue;
        size_t w = cli_width(cli_node_name(t->nodes[i].id, buf, sizeof buf));
        if (w > widest)
            widest = w;
    }
    if (widest)
        node_cols = widest;
}

static void print_json_event(const bus_event_t *ev)
{
    char when[40];
    json_t *j = gl_pbjson_from_message(&ev->base, 0);
    if (!j)
        return;
    json_object_set_new(j, "time", json_string(cli_iso_time(ev->time_ms, when, sizeof when)));
    if (ev->case_id[0])
        json_object_set_new(j, "state", json_string(gl_state_name(ev->state)));
    const struct {
        const char *key, *name;
    } names[] = {{"node_name", cli_node_display(ev->node)},
                 {"holder_name", cli_node_display(ev->holder)},
                 {"peer_name", cli_node_display(ev->peer)},
                 {"category_name", cli_category_display(ev->category)}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].name)
            json_object_set_new(j, names[i].key, json_string(names[i].name));
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

/* One readable line: local time of day, kind, node, then the case (state
 * with its label, holder, category) or the other node of a link event. */
static void print_event(const bus_event_t *ev, bool json)
{
    char when[40], a[GL_NODE_ID_MAX + 128], st[64];
    if (json) {
        print_json_event(ev);
        fflush(stdout);
        return;
    }
    printf("%s  ", cli_local_clock(ev->time_ms, when, sizeof when));
    cli_pad(stdout, ev->kind, 10);
    putchar(' ');
    cli_pad(stdout, cli_node_name(ev->node, a, sizeof a), node_cols);
    putchar(' ');
    if (ev->case_id[0]) {
        printf("%-34s ", ev->case_id);
        snprintf(st, sizeof st, "%s %s", gl_state_name(ev->state), gl_state_label(ev->state));
        cli_pad(stdout, st, 22);
        printf(" -> %s", cli_node_name(ev->holder, a, sizeof a));
        if (ev->category[0])
            printf("  %s", cli_category_name(ev->category, a, sizeof a));
        if (ev->note[0])
            printf("  (%s)", ev->note);
    } else {
        printf("%s", ev->peer[0] ? cli_node_name(ev->peer, a, sizeof a) : "");
        if (ev->note[0])
            printf("  (%s)", ev->note);
    }
    putchar('\n');
    fflush(stdout);
}

static void show(watch_t *w, const bus_event_t *ev)
{
    if (w->kind && strcmp(w->kind, ev->kind) != 0)
        return;
    if (w->count >= 0 && w->printed >= w->count)
        return;
    print_event(ev, w->json);
    w->printed++;
}

static void free_event(void **item)
{
    bus_event_t *ev = *item;
    *item = NULL;
    if (ev)
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
}

static int cmp_seq(const void *a, const void *b)
{
    uint64_t x = ((const bus_event_t *)a)->seq, y = ((const bus_event_t *)b)->seq;
    return x < y ? -1 : x > y;
}

static void wfeed_destroy(void **item)
{
    wfeed_t *f = *item;
    *item = NULL;
    if (f) {
        zlistx_destroy(&f->held);
        free(f);
    }
}

static wfeed_t *wfeed_get(watch_t *w, const char *node)
{
    wfeed_t *f = zhashx_lookup(w->feeds, node);
    if (f)
        return f;
    f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->held = zlistx_new();
    zlistx_set_destructor(f->held, free_event);
    zlistx_set_comparator(f->held, cmp_seq);
    zhashx_insert(w->feeds, node, f);
    return f;
}

static void send_request(watch_t *w, const Gridlink__V1__BusRequest *req)
{
    uint8_t *buf;
    size_t len;
    if (gl_pack(&req->base, &buf, &len) != 0)
        return;
    zmq_send(zsock_resolve(w->req), buf, len, ZMQ_DONTWAIT);
    free(buf);
}

/* Ask the broker for the hole after f->last, if there is one and no request
 * is out. */
static void ask(watch_t *w, const char *node, wfeed_t *f)
{
    if (f->asking || zclock_mono() < f->retry_at)
        return;
    bus_event_t *first = zlistx_first(f->held);
    uint64_t to = first ? first->seq - 1 : f->want;
    if (to <= f->last)
        return;
    Gridlink__V1__BusRequest req = GRIDLINK__V1__BUS_REQUEST__INIT;
    req.op = "replay";
    req.node = (char *)node;
    req.from_seq = f->last + 1;
    req.to_seq = to;
    send_request(w, &req);
    f->asking = true;
    f->asked_ms = zclock_mono();
    w->asks++;
}

/* Print the held events that now follow on. */
static void drain(watch_t *w, wfeed_t *f)
{
    bus_event_t *ev;
    while ((ev = zlistx_first(f->held)) && ev->seq <= f->last + 1) {
        if (ev->seq == f->last + 1) {
            show(w, ev);
            f->last = ev->seq;
        }
        zlistx_delete(f->held, zlistx_cursor(f->held)); /* frees ev */
        w->held--;
    }
}

/* Take one event of a node (ownership passes): print it if it is the next
 * one, hold it back if it is early, drop it if it was seen. */
static void deliver(watch_t *w, bus_event_t *ev, bool replayed)
{
    wfeed_t *f = wfeed_get(w, ev->node);
    if (!f) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    if (!f->based) {
        /* A node the snapshot did not know: start with what arrives. */
        f->based = true;
        f->last = ev->seq - 1;
    }
    if (ev->seq > f->want)
        f->want = ev->seq;
    if (ev->seq <= f->last) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    if (ev->seq == f->last + 1) {
        show(w, ev);
        f->last = ev->seq;
        if (replayed)
            w->repaired++;
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        drain(w, f);
        return;
    }
    /* Early: hold it back, in order, once. */
    for (bus_event_t *h = zlistx_last(f->held); h && h->seq >= ev->seq; h = zlistx_prev(f->held)) {
        if (h->seq == ev->seq) {
            gridlink__v1__bus_event__free_unpacked(ev, NULL);
            return;
        }
    }
    if (w->held >= HELD_MAX) {
        /* Asked for again later; nothing is lost, only fetched twice. */
        ask(w, ev->node, f);
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return;
    }
    zlistx_insert(f->held, ev, false); /* sorted, searching from the end */
    w->held++;
    ask(w, ev->node, f);
}

static void on_marks(watch_t *w, const Gridlink__V1__BusReply *rep)
{
    for (size_t i = 0; i < rep->n_marks; i++) {
        const Gridlink__V1__NodeMark *m = rep->marks[i];
        if (w->prefix && !gl_topology_in_subtree(w->prefix, m->node))
            continue;
        wfeed_t *f = wfeed_get(w, m->node);
        if (!f)
            continue;
        if (!f->based) {
            f->based = true;
            f->last = m->seq;
            continue;
        }
        if (m->seq > f->want)
            f->want = m->seq;
        ask(w, m->node, f);
    }
}

static void on_live(watch_t *w, Gridlink__V1__BusReply *rep)
{
    for (size_t i = 0; i < rep->n_events; i++) {
        bus_event_t *ev = rep->events[i];
        rep->events[i] = NULL;
        if (w->prefix && !gl_topology_in_subtree(w->prefix, ev->node))
            gridlink__v1__bus_event__free_unpacked(ev, NULL);
        else
            deliver(w, ev, false);
    }
}

static void on_reply(watch_t *w, Gridlink__V1__BusReply *rep)
{
    if (strcmp(rep->op, "live") == 0) {
        on_live(w, rep);
        return;
    }
    if (strcmp(rep->op, "marks") == 0) {
        on_marks(w, rep);
        return;
    }
    if (strcmp(rep->op, "replay") != 0 || !rep->node[0]) {
        if (rep->code != 0 && strcmp(rep->op, "error") == 0) {
            /* Cut off (it read too slowly) or refused: its subscription and
             * requests are gone; say so and stop rather than go on blind. */
            fprintf(stderr, "watch: the broker stopped serving this watch: %s\n", rep->error);
            w->refused = true;
        }
        return;
    }
    wfeed_t *f = zhashx_lookup(w->feeds, rep->node);
    if (!f)
        return;
    for (size_t i = 0; i < rep->n_events; i++) {
        bus_event_t *ev = rep->events[i];
        rep->events[i] = NULL;
        deliver(w, ev, true);
    }
    if (!rep->end)
        return;
    f->asking = false;
    if (rep->code != 0) {
        fprintf(stderr, "watch: the broker cannot replay %s yet: %s\n", rep->node, rep->error);
        f->retry_at = zclock_mono() + 2000;
    } else if (zlistx_first(f->held) || f->want > f->last) {
        f->retry_at = zclock_mono() + ASK_RETRY_MS;
    }
    ask(w, rep->node, f);
}

static void on_timeouts(watch_t *w)
{
    int64_t now = zclock_mono();
    for (wfeed_t *f = zhashx_first(w->feeds); f; f = zhashx_next(w->feeds)) {
        if (f->asking && now - f->asked_ms > ASK_TIMEOUT_MS)
            f->asking = false;
        if (!f->asking)
            ask(w, zhashx_cursor(w->feeds), f);
    }
}

static void take_live(watch_t *w, zmsg_t *msg)
{
    char *tp = zmsg_popstr(msg);
    zframe_t *body = zmsg_first(msg);
    char err[256];
    if (!tp || !body) {
        /* nothing to do */
    } else if (strcmp(tp, "hugz") == 0) {
        /* liveness only */
    } else if (strcmp(tp, GL_BUS_MARKS) == 0) {
        Gridlink__V1__BusReply *rep;
        if (gl_decode_bus_reply(zframe_data(body), zframe_size(body), &rep, err, sizeof err) == 0) {
            on_marks(w, rep);
            gridlink__v1__bus_reply__free_unpacked(rep, NULL);
        }
    } else {
        bus_event_t *ev;
        if (gl_decode_bus_event(zframe_data(body), zframe_size(body), &ev, err, sizeof err) != 0)
            fprintf(stderr, "watch: bad event skipped: %s\n", err);
        else if (w->prefix && !gl_topology_in_subtree(w->prefix, ev->node))
            gridlink__v1__bus_event__free_unpacked(ev, NULL);
        else
            deliver(w, ev, false);
    }
    free(tp);
}

static Gridlink__V1__BusReply *recv_reply(watch_t *w)
{
    zframe_t *f = zframe_recv(w->req);
    if (!f)
        return NULL;
    char err[256];
    Gridlink__V1__BusReply *rep = NULL;
    if (gl_decode_bus_reply(zframe_data(f), zframe_size(f), &rep, err, sizeof err) != 0)
        fprintf(stderr, "watch: bad reply from the broker skipped: %s\n", err);
    zframe_destroy(&f);
    return rep;
}

/* Wait for the first hugz. Returns true once it came. */
static bool await_hugz(watch_t *w, int64_t end)
{
    zpoller_t *p = zpoller_new(w->sub, NULL);
    bool hugz = false;
    while (!hugz) {
        int wait = 1000;
        if (end && (wait = (int)(end - zclock_mono())) <= 0)
            break;
        if (wait > 1000)
            wait = 1000;
        if (zsys_interrupted || (!zpoller_wait(p, wait) && zpoller_terminated(p)))
            break;
        zmsg_t *msg = zmsg_recv_nowait(w->sub);
        if (!msg)
            continue;
        char *tp = zmsg_popstr(msg);
        hugz = tp && strcmp(tp, "hugz") == 0;
        /* Anything before the first hugz came before the snapshot; it is in it. */
        free(tp);
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&p);
    return hugz;
}

/* Subscribe over the DEALER and wait for the broker's acknowledgement.
 * Returns true once it came; false if refused, interrupted or out of time. */
static bool await_subscription(watch_t *w, int64_t end)
{
    Gridlink__V1__BusRequest req = GRIDLINK__V1__BUS_REQUEST__INIT;
    req.op = "subscribe";
    req.prefix = (char *)(w->prefix ? w->prefix : "");
    send_request(w, &req);
    int64_t asked = zclock_mono();
    zpoller_t *p = zpoller_new(w->req, NULL);
    bool ok = false;
    while (!ok && !w->refused && !zsys_interrupted && !(end && zclock_mono() >= end)) {
        if (zclock_mono() - asked > SNAPSHOT_RETRY_MS) {
            fprintf(stderr, "watch: no answer from the broker yet; subscribing again\n");
            send_request(w, &req);
            asked = zclock_mono();
        }
        if (!zpoller_wait(p, 200)) {
            if (zpoller_terminated(p))
                break;
            continue;
        }
        Gridlink__V1__BusReply *rep = recv_reply(w);
        if (!rep)
            continue;
        if (strcmp(rep->op, "subscribe") == 0 && rep->code == 0) {
            ok = true;
        } else if (rep->code != 0) {
            fprintf(stderr, "watch: subscription refused: %s\n", rep->error);
            w->refused = true;
        }
        gridlink__v1__bus_reply__free_unpacked(rep, NULL);
    }
    zpoller_destroy(&p);
    return ok;
}

/* Make sure live events are coming (the first hugz, or the subscription's
 * acknowledgement), then wait for a whole snapshot. Live events wait in the
 * SUB queue meanwhile; over the DEALER, those before the snapshot's end are
 * already in it. Returns 0 when done, 1 if refused, interrupted or out of
 * time. */
static int start(watch_t *w, const char *live_on, bool print_view, bool marks_only, int64_t end)
{
    if (!marks_only && !(w->subscribed ? await_subscription(w, end) : await_hugz(w, end)))
        return 1;
    Gridlink__V1__BusRequest req = GRIDLINK__V1__BUS_REQUEST__INIT;
    req.op = "snapshot";
    req.prefix = (char *)(w->prefix ? w->prefix : "");
    send_request(w, &req);
    int64_t asked = zclock_mono();
    size_t shown = 0;
    zpoller_t *p = zpoller_new(w->req, NULL);
    int rc = 1;
    while (!zsys_interrupted) {
        if (end && zclock_mono() >= end)
            break;
        if (zclock_mono() - asked > SNAPSHOT_RETRY_MS && shown == 0) {
            fprintf(stderr, "watch: no snapshot from the broker yet; asking again\n");
            send_request(w, &req);
            asked = zclock_mono();
        }
        if (!zpoller_wait(p, 200)) {
            if (zpoller_terminated(p))
                break;
            continue;
        }
        Gridlink__V1__BusReply *rep = recv_reply(w);
        if (!rep)
            continue;
        if (strcmp(rep->op, "snapshot") != 0) {
            if (rep->code != 0 && strcmp(rep->op, "error") == 0) {
                fprintf(stderr, "watch: the broker stopped serving this watch: %s\n", rep->error);
                w->refused = true;
                gridlink__v1__bus_reply__free_unpacked(rep, NULL);
                break;
            }
            gridlink__v1__bus_reply__free_unpacked(rep, NULL);
            continue;
        }
        if (rep->code != 0) {
            fprintf(stderr, "watch: snapshot refused: %s\n", rep->error);
            bool final = rep->code == GL_EPERM || rep->code == GL_EINVAL;
            gridlink__v1__bus_reply__free_unpacked(rep, NULL);
            if (final) {
                w->refused = true; /* asking again would not help */
                break;
            }
            zclock_sleep(500);
            send_request(w, &req);
            asked = zclock_mono();
            continue;
        }
        shown++;
        for (size_t i = 0; print_view && i < rep->n_events; i++)
            show(w, rep->events[i]);
        for (size_t i = 0; i < rep->n_marks; i++) {
            const Gridlink__V1__NodeMark *m = rep->marks[i];
            if (marks_only) {
                if (w->json)
                    printf("{\"node\":\"%s\",\"seq\":%" PRIu64 "}\n", m->node, m->seq);
                else
                    printf("%-28s %" PRIu64 "\n", m->node, m->seq);
                continue;
            }
            wfeed_t *f = wfeed_get(w, m->node);
            if (f) {
                f->based = true;
                f->last = f->want = m->seq;
            }
        }
        bool done = rep->end;
        gridlink__v1__bus_reply__free_unpacked(rep, NULL);
        if (done) {
            rc = 0;
            break;
        }
    }
    zpoller_destroy(&p);
    if (rc == 0 && !marks_only)
        fprintf(stderr, "watch: live on %s%s%s%s\n", live_on, w->subscribed ? " (subscribed)" : "",
                w->prefix ? ", nodes under " : "", w->prefix ? w->prefix : "");
    fflush(stdout);
    return rc;
}

static void run(watch_t *w, int64_t end)
{
    zpoller_t *poller = w->sub ? zpoller_new(w->sub, w->req, NULL) : zpoller_new(w->req, NULL);
    int64_t next_check = zclock_mono() + 250;
    while (!zsys_interrupted && !w->refused && (w->count < 0 || w->printed < w->count)) {
        int wait = 250;
        if (end) {
            int64_t left = end - zclock_mono();
            if (left <= 0)
                break;
            wait = left < wait ? (int)left : wait;
        }
        void *which = zpoller_wait(poller, wait);
        if (which && which == w->sub) {
            zmsg_t *msg = zmsg_recv(w->sub);
            if (msg)
                take_live(w, msg);
            zmsg_destroy(&msg);
        } else if (which == w->req) {
            Gridlink__V1__BusReply *rep = recv_reply(w);
            if (rep) {
                on_reply(w, rep);
                gridlink__v1__bus_reply__free_unpacked(rep, NULL);
            }
        } else if (zpoller_terminated(poller)) {
            break;
        }
        if (zclock_mono() >= next_check) {
            on_timeouts(w);
            next_check = zclock_mono() + 250;
        }
    }
    zpoller_destroy(&poller);
}

/* The node whose subtree the key z85 may see (see codec.h), or NULL if the
 * topology does not know the key. Points into t. */
static const char *key_grant(const gl_topology_t *t, const char *z85)
{
    const gl_node_t *n = gl_topology_find_by_key(t, z85);
    if (n)
        return n->id;
    for (size_t i = 0; i < t->n_monitors; i++)
        if (t->monitors[i].public_key && strcmp(t->monitors[i].public_key, z85) == 0)
            return gl_topology_monitor_scope(t, &t->monitors[i]);
    return NULL;
}

int gl_cmd_watch(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},  {"prefix", required_argument, 0, 'p'},
                                       {"kind", required_argument, 0, 'k'},  {"json", no_argument, 0, 'j'},
                                       {"count", required_argument, 0, 'c'}, {"seconds", required_argument, 0, 's'},
                                       {"snapshot", no_argument, 0, 'S'},    {"marks", no_argument, 0, 'M'},
                                       {"key", required_argument, 0, 'K'},   {0, 0, 0, 0}};
    const char *home = NULL, *key = "operator";
    watch_t w = {.count = -1};
    bool print_view = false, marks_only = false;
    long seconds = -1;
    long long v;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("watch", argc, argv, lo, NULL)) != -1) {
        switch (c) {
        case 'H': home = optarg; break;
        case 'p': w.prefix = optarg; break;
        case 'k': w.kind = optarg; break;
        case 'j': w.json = true; break;
        case 'c':
            if (cli_int("watch", "--count", optarg, 0, 1000000000, &v) != 0)
                return CLI_USAGE;
            w.count = (long)v;
            break;
        case 's':
            if (cli_int("watch", "--seconds", optarg, 0, 31536000, &v) != 0)
                return CLI_USAGE;
            seconds = (long)v;
            break;
        case 'S': print_view = true; break;
        case 'M': marks_only = true; break;
        case 'K': key = optarg; break;
        default: return CLI_USAGE;
        }
    }
    if (optind != argc)
        return cli_usage("watch", "unexpected argument '%s'", argv[optind]);
    if (w.prefix && !gl_node_id_valid(w.prefix))
        return cli_usage("watch", "'%s' is not a node path", w.prefix);
    gl_event known;
    if (w.kind && !gl_event_from(w.kind, &known)) {
        char list[1024];
        return cli_usage("watch", "unknown kind '%s' (%s)", w.kind, gl_event_list(list, sizeof list));
    }
    home = cli_home(home);
    gl_topology_t *t;
    if (cli_topology("watch", home, &t) != 0)
        return 1;
    if (!t->bus_out || !t->bus_in || !t->broker_key) {
        cli_names_set(NULL);
        gl_topology_free(&t);
        return cli_fail("watch", "the topology in %s has no broker", home);
    }
    zsys_handler_set(NULL);
    zcert_t *cert;
    if (gl_keys_load(home, key, &cert) != 0) {
        cli_names_set(NULL);
        gl_topology_free(&t);
        return cli_fail("watch", "no key '%s' in %s/keys (run gridlink keygen)", key, home);
    }
    cli_names_set(t);
    const char *grant = key_grant(t, zcert_public_txt(cert));
    if (!grant) {
        zcert_destroy(&cert);
        cli_names_set(NULL);
        gl_topology_free(&t);
        return cli_fail("watch", "the key '%s' is neither a node's nor a monitor's in the topology", key);
    }
    /* Only a key that may see the whole district is let onto bus_out. */
    w.subscribed = strcmp(grant, t->nodes[t->root].id) != 0;
    if (w.subscribed && !w.prefix)
        w.prefix = grant;
    set_node_cols(t, w.prefix);
    int hwm = gl_bus_hwm();
    if (!w.subscribed) {
        w.sub = gl_sock_new(ZMQ_SUB, GL_BUS_MAX_FRAME);
        zsock_set_rcvhwm(w.sub, hwm);
        zsock_set_linger(w.sub, 0);
        zcert_apply(cert, w.sub);
        zsock_set_curve_serverkey(w.sub, t->broker_key);
        zsock_set_subscribe(w.sub, "hugz");
        zsock_set_subscribe(w.sub, GL_BUS_MARKS);
        /* Every kind, even with --kind: the sequence of a node runs through
         * all kinds, and only a whole sequence shows what was missed. Topics
         * are "<kind> <node>", so a subtree filter is a prefix too; the node
         * match is completed on arrival (dot boundary). */
        char topic[512];
        const ProtobufCEnumDescriptor *d = &gridlink__v1__event_kind__descriptor;
        for (unsigned i = 0; i < d->n_values; i++) {
            if (d->values[i].value == 0)
                continue;
            snprintf(topic, sizeof topic, "%s %s", gl_event_name((gl_event)d->values[i].value),
                     w.prefix ? w.prefix : "");
            zsock_set_subscribe(w.sub, topic);
        }
    }
    w.req = gl_sock_new(ZMQ_DEALER, GL_BUS_MAX_FRAME);
    zsock_set_linger(w.req, 0);
    zsock_set_rcvhwm(w.req, 0);
    zcert_apply(cert, w.req);
    zsock_set_curve_serverkey(w.req, t->broker_key);
    if ((w.sub && zsock_connect(w.sub, "%s", t->bus_out) != 0) || zsock_connect(w.req, "%s", t->bus_in) != 0) {
        int rc = cli_fail("watch", "cannot connect to the broker at %s / %s", t->bus_out, t->bus_in);
        zsock_destroy(&w.sub);
        zsock_destroy(&w.req);
        zcert_destroy(&cert);
        cli_names_set(NULL);
        gl_topology_free(&t);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    w.feeds = zhashx_new();
    zhashx_set_destructor(w.feeds, wfeed_destroy);
    int64_t end = seconds >= 0 ? zclock_mono() + seconds * 1000 : 0;
    int rc = start(&w, w.subscribed ? t->bus_in : t->bus_out, print_view, marks_only, end);
    if (rc == 0 && !marks_only)
        run(&w, end);
    if (w.repaired)
        fprintf(stderr, "watch: %" PRIu64 " event(s) filled in by replay (%" PRIu64 " request(s))\n", w.repaired,
                w.asks);
    if (marks_only && rc != 0)
        fprintf(stderr, "watch: no snapshot from the broker\n");
    zhashx_destroy(&w.feeds);
    zsock_destroy(&w.sub);
    zsock_destroy(&w.req);
    zcert_destroy(&cert);
    cli_names_set(NULL);
    gl_topology_free(&t);
    return marks_only || w.refused ? (rc || w.refused) : 0;
}
