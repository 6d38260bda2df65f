/* cmd_health.c: `gridlink health`. With --node, one node's links, log
 * position, outbox, dead letters and what it refused, as JSON, as the node
 * reports it. Without, the whole home: every node of the topology whose
 * secret key the home holds (a machine's own nodes in a bundle of gridlink
 * provision) asked at once on its control socket, up to WINDOW requests in flight; one line a
 * node (display name, up or down, parent link, outbox, dead letters, cases)
 * and a total, or as JSON {nodes: [...], liveness: {nodes, up,
 * parent_links_down, share_up}, dashboard_url: the broker's HTTP door}.
 *
 * A node is down when it has no control socket, when the process behind it
 * is gone (seen at once), or when its process says nothing for --timeout
 * (default HOME_TIMEOUT_MS): every answer of a process gives the other
 * nodes it hosts the timeout again, since it serves them one after the
 * other, and a process found silent is not asked again. So a home answers
 * within about the timeout after its live processes are done, plus the
 * timeout once more for every WINDOW silent nodes asked at the same time
 * (791 nodes in 11 processes, one of them stopped: about 1.6 s). */
#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "codec.h"
#include "ctl.h"
#include "display.h"
#include "error.h"
#include "home.h"
#include "names.h"
#include "pbjson.h"
#include "sock.h"

#define WINDOW          128  /* requests in flight at once */
#define HOME_TIMEOUT_MS 1000 /* a node's time to answer, without --node */
#define NODE_TIMEOUT_MS 5000 /* with --node */

typedef struct probe {
    const gl_node_t *node;
    char process[GL_NODE_ID_MAX + 1]; /* the socket its control socket links to, else its ID */
    zsock_t *sock;                    /* while the request is out */
    int64_t deadline;
    Gridlink__V1__CtlReply *rep; /* an answer with code 0 */
    char why[256];               /* else why not */
    bool done;
} probe_t;

typedef struct prober {
    const char *home;
    int timeout_ms;
    zhashx_t *silent; /* processes that said nothing for the timeout */
} prober_t;

/* The process behind the control socket at path: the name of the socket it
 * links to (run/proc-PID.sock) into p->process, its PID (0 if unknown) in
 * *pid. A socket that is no link is a process of its own. */
static void process_of(probe_t *p, const char *path, int *pid)
{
    char target[PATH_MAX], tail[16];
    *pid = 0;
    snprintf(p->process, sizeof p->process, "%s", p->node->id);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0)
        return;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    snprintf(p->process, sizeof p->process, "%.*s", (int)sizeof p->process - 1, base);
    if (sscanf(base, "proc-%d.%15s", pid, tail) != 2 || strcmp(tail, "sock") != 0 || *pid < 0)
        *pid = 0;
}

/* Send the health request of p->node, or settle p as down: no socket, a
 * process that no longer exists (killed without cleaning up), or one that
 * was already silent for the timeout. */
static void probe_open(prober_t *pr, probe_t *p)
{
    char path[PATH_MAX];
    struct stat st;
    p->done = true;
    if (gl_home_path(path, sizeof path, pr->home, "run/%s.sock", p->node->id) != 0) {
        snprintf(p->why, sizeof p->why, "home path too long");
        return;
    }
    if (stat(path, &st) != 0) {
        snprintf(p->why, sizeof p->why, "no process serves it");
        return;
    }
    int pid;
    process_of(p, path, &pid);
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
        snprintf(p->why, sizeof p->why, "its process (%d) is gone", pid);
        return;
    }
    if (zhashx_lookup(pr->silent, p->process)) {
        snprintf(p->why, sizeof p->why, "its process gave no answer in %d ms", pr->timeout_ms);
        return;
    }
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = p->node->id;
    req.op = "health";
    uint8_t *buf;
    size_t len;
    p->sock = gl_sock_new(ZMQ_DEALER, GL_MAX_CTL_REPLY_FRAME);
    if (!p->sock || zsock_connect(p->sock, "ipc://%s", path) != 0 || gl_pack(&req.base, &buf, &len) != 0) {
        snprintf(p->why, sizeof p->why, "cannot reach its control socket");
        zsock_destroy(&p->sock);
        return;
    }
    int sent = zmq_send(zsock_resolve(p->sock), buf, len, ZMQ_DONTWAIT);
    free(buf);
    if (sent < 0) {
        snprintf(p->why, sizeof p->why, "request not sent");
        zsock_destroy(&p->sock);
        return;
    }
    p->deadline = zclock_mono() + pr->timeout_ms;
    p->done = false;
}

static void probe_read(probe_t *p)
{
    zframe_t *f = zframe_recv(p->sock);
    zsock_destroy(&p->sock);
    p->done = true;
    if (!f) {
        snprintf(p->why, sizeof p->why, "empty reply");
        return;
    }
    Gridlink__V1__CtlReply *rep = NULL;
    char err[200];
    if (gl_decode_ctl_reply(zframe_data(f), zframe_size(f), &rep, err, sizeof err) != 0) {
        snprintf(p->why, sizeof p->why, "bad reply: %s", err);
    } else if (rep->code != 0 || !rep->health) {
        snprintf(p->why, sizeof p->why, "answered: %s",
                 rep->error && rep->error[0] ? rep->error : gl_strerror(rep->code ? rep->code : GL_EPROTO));
    } else {
        p->rep = rep;
        rep = NULL;
    }
    if (rep)
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    zframe_destroy(&f);
}

/* Ask every node, WINDOW at a time; each probe ends answered or down. A
 * process that answers one of its nodes gives the others it hosts the
 * timeout again from then on: it serves them one after the other. */
static void probe_all(probe_t *probes, size_t n, const char *home, int timeout_ms)
{
    prober_t pr = {.home = home, .timeout_ms = timeout_ms, .silent = zhashx_new()};
    size_t next = 0, flying = 0;
    probe_t *out[WINDOW];
    zmq_pollitem_t items[WINDOW];
    while (next < n || flying > 0) {
        while (next < n && flying < WINDOW) {
            probe_open(&pr, &probes[next]);
            if (!probes[next].done)
                out[flying++] = &probes[next];
            next++;
        }
        if (flying == 0)
            continue;
        int64_t now = zclock_mono(), first = out[0]->deadline;
        for (size_t i = 0; i < flying; i++) {
            items[i] = (zmq_pollitem_t){.socket = zsock_resolve(out[i]->sock), .events = ZMQ_POLLIN};
            if (out[i]->deadline < first)
                first = out[i]->deadline;
        }
        zmq_poll(items, (int)flying, first > now ? (long)(first - now) : 0);
        now = zclock_mono();
        for (size_t i = 0; i < flying; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            probe_read(out[i]);
            for (size_t k = 0; k < flying; k++)
                if (!out[k]->done && strcmp(out[k]->process, out[i]->process) == 0 &&
                    out[k]->deadline < now + timeout_ms)
                    out[k]->deadline = now + timeout_ms;
        }
        size_t kept = 0;
        for (size_t i = 0; i < flying; i++) {
            probe_t *p = out[i];
            if (!p->done && p->deadline <= now) {
                zsock_destroy(&p->sock);
                p->done = true;
                snprintf(p->why, sizeof p->why, "no answer in %d ms", timeout_ms);
                zhashx_insert(pr.silent, p->process, p);
            }
            if (!p->done)
                out[kept++] = p;
        }
        flying = kept;
    }
    zhashx_destroy(&pr.silent);
}

static const char *tier_name(Gridlink__V1__Tier t)
{
    const char *name = gl_pbjson_enum_name(&gridlink__v1__tier__descriptor, (int)t);
    return name ? name : "unknown";
}

static json_t *probe_json(const probe_t *p)
{
    json_t *j = json_object();
    json_object_set_new(j, "node", json_string(p->node->id));
    if (p->node->name && p->node->name[0])
        json_object_set_new(j, "node_name", json_string(p->node->name));
    json_object_set_new(j, "tier", json_string(tier_name(p->node->tier)));
    json_object_set_new(j, "up", json_boolean(p->rep != NULL));
    if (!p->rep) {
        json_object_set_new(j, "error", json_string(p->why));
        return j;
    }
    json_t *h = gl_pbjson_from_message(&p->rep->health->base, GL_PBJSON_DEFAULTS);
    if (h)
        json_object_update(j, h);
    json_decref(h);
    return j;
}

static void print_home(const probe_t *probes, size_t n)
{
    cli_table_t *t = cli_table_new(8);
    if (!t)
        return;
    const char *head[] = {"node", "name", "state", "parent link", "outbox", "dead letters", "cases", ""};
    cli_table_add(t, head);
    size_t up = 0, parents_down = 0;
    uint64_t outbox = 0, dead = 0, cases = 0, archived_events = 0, archived_cases = 0;
    for (size_t i = 0; i < n; i++) {
        const probe_t *p = &probes[i];
        const Gridlink__V1__NodeHealth *h = p->rep ? p->rep->health : NULL;
        char ob[24] = "-", dl[24] = "-", cs[24] = "-";
        const char *parent = "-";
        if (h) {
            up++;
            outbox += h->outbox_pending;
            dead += h->dead_letters;
            cases += h->cases;
            archived_events += h->archived_events;
            archived_cases += h->archived_cases;
            snprintf(ob, sizeof ob, "%" PRIu64, h->outbox_pending);
            snprintf(dl, sizeof dl, "%" PRIu64, h->dead_letters);
            snprintf(cs, sizeof cs, "%" PRIu64, h->cases);
            if (p->node->parent >= 0) {
                parent = h->parent_up ? "up" : "down";
                parents_down += !h->parent_up;
            }
        }
        const char *row[] = {p->node->id, p->node->name, h ? "up" : "down", parent, ob, dl, cs, h ? "" : p->why};
        cli_table_add(t, row);
    }
    cli_table_print(t, stdout);
    cli_table_free(&t);
    printf("total: %zu node%s, %zu up, %zu down; %zu parent link%s down; %" PRIu64 " pending in outboxes, %" PRIu64
           " dead letter%s, %" PRIu64 " case record%s\n",
           n, n == 1 ? "" : "s", up, n - up, parents_down, parents_down == 1 ? "" : "s", outbox, dead,
           dead == 1 ? "" : "s", cases, cases == 1 ? "" : "s");
    if (archived_events || archived_cases)
        printf("archived (归档, past the retention): %" PRIu64 " log entries, %" PRIu64 " cases\n", archived_events,
               archived_cases);
}

/* True when HOME/keys holds the secret key of node id. */
static bool home_has_key(const char *home, const char *id)
{
    char path[PATH_MAX];
    struct stat st;
    return gl_home_path(path, sizeof path, home, "keys/%s.cert_secret", id) == 0 && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode);
}

/* Every node of the home: those of t whose secret key it holds (all of them
 * in a home made by keygen or up; a machine's own in a bundle made by
 * provision), or every node of t when it holds none. 0 when all are up, 1
 * otherwise. */
static int health_home(const char *home, const gl_topology_t *t, int timeout_ms, bool json)
{
    probe_t *probes = calloc(t->n_nodes ? t->n_nodes : 1, sizeof *probes);
    if (!probes)
        return cli_fail("health", "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < t->n_nodes; i++)
        if (home_has_key(home, t->nodes[i].id))
            probes[n++].node = &t->nodes[i];
    if (n == 0)
        for (; n < t->n_nodes; n++)
            probes[n].node = &t->nodes[n];
    probe_all(probes, n, home, timeout_ms);
    size_t up = 0;
    for (size_t i = 0; i < n; i++)
        up += probes[i].rep != NULL;
    if (json) {
        json_t *arr = json_array();
        size_t parents_down = 0;
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, probe_json(&probes[i]));
            parents_down += probes[i].rep && probes[i].rep->health->parent[0] && !probes[i].rep->health->parent_up;
        }
        json_t *doc = json_pack("{s:o, s:{s:I, s:I, s:I, s:f}}", "nodes", arr, "liveness", "nodes", (json_int_t)n, "up",
                                (json_int_t)up, "parent_links_down", (json_int_t)parents_down, "share_up",
                                n ? (double)up / (double)n : 0.0);
        int port = gl_topology_broker_http_port(t);
        if (port) {
            char url[300];
            snprintf(url, sizeof url, "http://%s:%d", t->listen_host, port);
            json_object_set_new(doc, "dashboard_url", json_string(url));
        }
        cli_print_json(doc);
    } else {
        print_home(probes, n);
    }
    for (size_t i = 0; i < n; i++)
        if (probes[i].rep)
            gridlink__v1__ctl_reply__free_unpacked(probes[i].rep, NULL);
    free(probes);
    return up == n ? 0 : 1;
}

static int health_node(const char *home, const char *node, int timeout_ms)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = (char *)node;
    req.op = "health";
    Gridlink__V1__CtlReply *rep;
    char err[512];
    if (gl_ctl_call(home, &req, timeout_ms, &rep, err, sizeof err) != 0)
        return cli_fail("health", "%s", err);
    if (rep->code != 0 || !rep->health) {
        cli_fail("health", "%s", rep->error && rep->error[0] ? rep->error : gl_strerror(rep->code));
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return 1;
    }
    json_t *j = gl_pbjson_from_message(&rep->health->base, GL_PBJSON_DEFAULTS);
    const char *name = cli_node_display(node);
    if (j && name)
        json_object_set_new(j, "node_name", json_string(name));
    name = cli_node_display(rep->health->parent);
    if (j && name)
        json_object_set_new(j, "parent_name", json_string(name));
    cli_print_json(j);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_health(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"node", required_argument, 0, 'n'},
                                       {"timeout", required_argument, 0, 'T'},
                                       {"json", no_argument, 0, 'j'},
                                       {0, 0, 0, 0}};
    const char *home = NULL, *node = NULL;
    long long timeout = 0;
    bool json = false;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("health", argc, argv, lo, NULL)) != -1) {
        switch (c) {
        case 'H': home = optarg; break;
        case 'n': node = optarg; break;
        case 'j': json = true; break;
        case 'T':
            if (cli_int("health", "--timeout", optarg, 1, 600000, &timeout) != 0)
                return CLI_USAGE;
            break;
        default: return CLI_USAGE;
        }
    }
    int rc = cli_positionals("health", argc, argv, 0, "gridlink health [--node NODE_ID] [--json]");
    if (rc != 0)
        return rc;
    if (node && (!node[0] || !gl_node_id_valid(node)))
        return cli_usage("health", "--node takes a node ID, not '%s'", node);
    home = cli_home(home);
    gl_topology_t *t;
    if (cli_topology("health", home, &t) != 0)
        return 1;
    cli_names_set(t);
    if (node && !gl_topology_find(t, node))
        rc = cli_usage("health", "unknown node %s (not in %s/topology.json)", node, home);
    else if (node)
        rc = health_node(home, node, timeout ? (int)timeout : NODE_TIMEOUT_MS);
    else
        rc = health_home(home, t, timeout ? (int)timeout : HOME_TIMEOUT_MS, json);
    cli_names_set(NULL);
    gl_topology_free(&t);
    return rc;
}
