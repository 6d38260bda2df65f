/* lifecycle.c: the district scenario's load worker (`_worker district`).
 *
 * New cases start at `rate` a second, evenly paced, for `seconds`; each is
 * then worked through its whole lifecycle over the real control channel,
 * every step its own request to the process hosting the node that acts:
 *
 *   report  submit at a grid -> accept, resolve at its community -> verify
 *           at the grid (the originator; the grid sends it on to the holder,
 *           which closes the case)
 *   task    one new case in `task_every`: dispatch from the community's
 *           township -> accept, resolve at the community -> verify at the
 *           township; every second task is first returned by the community
 *           (reason not-ours) and assigned to it again by the township
 *
 * At most `max_open` cases are under way at once (default: 4 s of the
 * rate): new cases wait while the district works through the ones it has,
 * so what is measured is the rate cases get closed. A step that crosses
 * nodes waits `step_ms` after the step before it was
 * acknowledged (the case has to travel); a step refused because the case
 * has not arrived yet (unknown case, or the copy there not yet in the state
 * the step needs) is tried again `retry_ms` later, up to `tries` times.
 *
 * Every node spoken to has its own DEALER socket, so the replies of one
 * socket come back in the order of its requests (a process commits each
 * node's batch in order): each reply is matched to the request at the head
 * of that socket's queue, and a successful reply's case ID is checked
 * against it (`mismatched` counts the replies that did not fit).
 *
 * The `ids` file gets one line per case that was acknowledged:
 * "CASE_ID COMMUNITY r|t 0|1" (report or task; 1 when its verify was
 * acknowledged), for the driver's check of the stores (district.c). With
 * intake_only=1 the cases are only reported (the scaling scenario). The
 * cases live in one array (freed at the end); the scheduler is a binary heap
 * of case indexes keyed on each case's due time. */
#include <czmq.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "codec.h"
#include "error.h"
#include "home.h"
#include "names.h"
#include "sock.h"

enum step { S_SUBMIT, S_DISPATCH, S_RETURN, S_ASSIGN, S_ACCEPT, S_RESOLVE, S_VERIFY, S_DONE, S_FAILED, N_STEPS };

static const char *const step_name[N_STEPS] = {"submit",  "dispatch", "return", "assign", "accept",
                                               "resolve", "verify",   "done",   "failed"};

typedef struct lc_case {
    char id[GL_NODE_ID_MAX + 24];
    int64_t due_us;  /* when the next step may go */
    int64_t sent_us; /* when the step in flight went */
    int32_t grid;    /* reporting grid (reports), node index */
    int32_t comm;    /* community that works it */
    uint8_t step;
    uint8_t tries;
    bool task, returns;
} lc_case;

#define RING 64 /* requests in flight per node, at most */

typedef struct lc_node {
    const char *id;
    zsock_t *zs;
    void *raw;
    int town;            /* township node index (communities) */
    uint32_t ring[RING]; /* case indexes in flight, in order */
    uint8_t ring_step[RING];
    int head, n;
    bool dirty; /* to be read before the next wait */
} lc_node;

typedef struct lc {
    lc_case *cases;
    size_t n_cases, cap_cases;
    uint32_t *heap;
    size_t n_heap;
    lc_node *nodes;
    size_t n_nodes;
    uint32_t *dirty; /* nodes to read: sent to, or signalled */
    size_t n_dirty;
    size_t in_flight;
    int window;
    int64_t step_us, retry_us;
    int max_tries;
    uint64_t sent[N_STEPS], ok[N_STEPS], refused[N_STEPS], retried, mismatched, failed;
    bn_samples lat[N_STEPS];
    int64_t last_done_us;
    uint64_t done;
} lc;

static bool before(const lc *L, uint32_t a, uint32_t b)
{
    return L->cases[a].due_us < L->cases[b].due_us;
}

static void heap_push(lc *L, uint32_t i)
{
    size_t k = L->n_heap++;
    L->heap[k] = i;
    while (k > 0) {
        size_t p = (k - 1) / 2;
        if (!before(L, L->heap[k], L->heap[p]))
            break;
        uint32_t t = L->heap[k];
        L->heap[k] = L->heap[p];
        L->heap[p] = t;
        k = p;
    }
}

static uint32_t heap_pop(lc *L)
{
    uint32_t top = L->heap[0];
    L->heap[0] = L->heap[--L->n_heap];
    size_t k = 0;
    for (;;) {
        size_t l = 2 * k + 1, r = l + 1, m = k;
        if (l < L->n_heap && before(L, L->heap[l], L->heap[m]))
            m = l;
        if (r < L->n_heap && before(L, L->heap[r], L->heap[m]))
            m = r;
        if (m == k)
            break;
        uint32_t t = L->heap[k];
        L->heap[k] = L->heap[m];
        L->heap[m] = t;
        k = m;
    }
    return top;
}

/* The node that takes step s of case c. */
static int actor_of(const lc *L, const lc_case *c, int s)
{
    switch (s) {
    case S_SUBMIT: return c->grid;
    case S_DISPATCH:
    case S_ASSIGN: return L->nodes[c->comm].town;
    case S_VERIFY: return c->task ? L->nodes[c->comm].town : c->grid;
    default: return c->comm;
    }
}

static char text[201];

/* Send step c->step of case i; false when the actor's queue is full. */
static bool send_step(lc *L, uint32_t i, int64_t now)
{
    lc_case *c = &L->cases[i];
    int s = c->step;
    lc_node *nd = &L->nodes[actor_of(L, c, s)];
    if (nd->n >= L->window)
        return false;
    char note[32];
    snprintf(note, sizeof note, "b%u", i);
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = (char *)nd->id;
    switch (s) {
    case S_SUBMIT:
        req.op = "submit";
        req.category = "services/elderly";
        req.text = text;
        req.note = note;
        req.reporter = "bench";
        break;
    case S_DISPATCH:
        req.op = "dispatch";
        req.category = "services/elderly";
        req.text = text;
        req.note = note;
        req.to = (char *)L->nodes[c->comm].id;
        break;
    default:
        req.op = "act";
        req.case_id = c->id;
        req.action = s == S_RETURN ? "return" : s == S_ASSIGN ? "assign" : (char *)step_name[s];
        if (s == S_RETURN)
            req.reason = (char *)gl_reason_name(GRIDLINK__V1__RETURN_REASON__REASON_NOT_OURS);
        if (s == S_ASSIGN)
            req.to = (char *)L->nodes[c->comm].id;
        req.note = s == S_RESOLVE ? "已处置" : "";
        break;
    }
    uint8_t buf[1024];
    size_t n = gridlink__v1__ctl_request__pack(&req, buf);
    if (zmq_send(nd->raw, buf, n, ZMQ_DONTWAIT) < 0)
        return false;
    int slot = (nd->head + nd->n) % RING;
    nd->ring[slot] = i;
    nd->ring_step[slot] = (uint8_t)s;
    nd->n++;
    L->in_flight++;
    if (!nd->dirty) {
        /* A send can take in the socket's read signal: read it anyway. */
        nd->dirty = true;
        L->dirty[L->n_dirty++] = (uint32_t)(nd - L->nodes);
    }
    c->sent_us = now;
    L->sent[s]++;
    return true;
}

static bool intake_only;

/* What follows step s of case c once it was acknowledged. */
static int next_step(const lc_case *c, int s)
{
    switch (s) {
    case S_SUBMIT: return intake_only ? S_DONE : S_ACCEPT;
    case S_DISPATCH: return c->returns ? S_RETURN : S_ACCEPT;
    case S_RETURN: return S_ASSIGN;
    case S_ASSIGN: return S_ACCEPT;
    case S_ACCEPT: return S_RESOLVE;
    case S_RESOLVE: return S_VERIFY;
    default: return S_DONE;
    }
}

static void on_reply(lc *L, lc_node *nd, const uint8_t *data, size_t size, int64_t now, FILE *ids)
{
    if (nd->n == 0) {
        L->mismatched++;
        return;
    }
    uint32_t i = nd->ring[nd->head];
    int s = nd->ring_step[nd->head];
    nd->head = (nd->head + 1) % RING;
    nd->n--;
    L->in_flight--;
    lc_case *c = &L->cases[i];
    char err[256];
    Gridlink__V1__CtlReply *rep = NULL;
    bool ok = gl_decode_ctl_reply(data, size, &rep, err, sizeof err) == 0 && rep->code == 0;
    if (ok && s == S_SUBMIT) {
        char want[32];
        snprintf(want, sizeof want, "b%u", i);
        if (!rep->case_id || !rep->case_id[0] || !rep->case_ || rep->case_->n_history == 0 ||
            strcmp(rep->case_->history[0]->note, want) != 0) {
            L->mismatched++;
            ok = false;
        } else {
            snprintf(c->id, sizeof c->id, "%s", rep->case_id);
        }
    } else if (ok && s == S_DISPATCH) {
        if (rep->n_case_ids != 1) {
            L->mismatched++;
            ok = false;
        } else {
            snprintf(c->id, sizeof c->id, "%s", rep->case_ids[0]);
        }
    } else if (ok && rep->case_ && rep->case_->id && strcmp(rep->case_->id, c->id) != 0) {
        L->mismatched++;
        ok = false;
    }
    if (ok) {
        L->ok[s]++;
        bn_samples_add(&L->lat[s], (double)(now - c->sent_us));
        c->tries = 0;
        c->step = (uint8_t)next_step(c, s);
        if (c->step == S_DONE) {
            L->done++;
            L->last_done_us = now;
            if (ids)
                fprintf(ids, "%s %s %c 1\n", c->id, L->nodes[c->comm].id, c->task ? 't' : 'r');
        } else {
            /* Same node (accept -> resolve): at once; else after the trip. */
            c->due_us = now + (c->step == S_RESOLVE ? 0 : L->step_us);
            heap_push(L, i);
        }
    } else {
        L->refused[s]++;
        int code = rep ? rep->code : GL_EPROTO;
        bool early = (code == GL_ENOENT || code == GL_ESTATE) && s != S_SUBMIT && s != S_DISPATCH;
        if (early && ++c->tries < L->max_tries) {
            L->retried++;
            c->due_us = now + L->retry_us;
            heap_push(L, i);
        } else {
            if (L->failed < 5)
                fprintf(stderr, "district: %s of %s at %s refused: %s\n", step_name[s], c->id[0] ? c->id : "(new)",
                        nd->id, rep ? (rep->error ? rep->error : gl_strerror(rep->code)) : err);
            L->failed++;
            if (ids && c->id[0])
                fprintf(ids, "%s %s %c 0\n", c->id, L->nodes[c->comm].id, c->task ? 't' : 'r');
            c->step = S_FAILED;
        }
    }
    if (rep)
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static int find_node(const lc *L, const char *id)
{
    for (size_t i = 0; i < L->n_nodes; i++)
        if (strcmp(L->nodes[i].id, id) == 0)
            return (int)i;
    return -1;
}

int bn_district_main(bn_args *a)
{
    zsys_handler_set(NULL);
    const char *home = bn_arg(a, "home", NULL);
    double rate = bn_arg_d(a, "rate", 100);
    int64_t dur = bn_arg_l(a, "seconds", 5) * 1000000;
    const char *ids_out = bn_arg(a, "ids", NULL);
    long task_every = bn_arg_l(a, "task_every", 20);
    intake_only = bn_arg_l(a, "intake_only", 0) != 0;
    uint64_t max_open = (uint64_t)bn_arg_l(a, "max_open", (long)(rate * 4) + 100);
    if (intake_only)
        task_every = 0;
    lc L = {0};
    L.window = (int)bn_arg_l(a, "window", 16);
    if (L.window < 1 || L.window > RING)
        L.window = RING;
    L.step_us = bn_arg_l(a, "step_ms", 300) * 1000;
    L.retry_us = bn_arg_l(a, "retry_ms", 250) * 1000;
    L.max_tries = (int)bn_arg_l(a, "tries", 120);
    char err[512];
    gl_topology_t *t;
    if (!home || gl_home_topology(home, &t, err, sizeof err) != 0) {
        fprintf(stderr, "district: %s\n", err);
        return 1;
    }
    /* One socket per grid, community and township: about 800 here. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    zsys_set_max_sockets((size_t)t->n_nodes + 64);
    L.nodes = calloc(t->n_nodes, sizeof *L.nodes);
    int *grids = calloc(t->n_nodes, sizeof *grids);
    size_t n_grids = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        const gl_node_t *nd = &t->nodes[i];
        if (nd->tier != GRIDLINK__V1__TIER__TIER_GRID && nd->tier != GRIDLINK__V1__TIER__TIER_COMMUNITY &&
            nd->tier != GRIDLINK__V1__TIER__TIER_TOWNSHIP)
            continue;
        char link[PATH_MAX], target[PATH_MAX];
        gl_home_path(link, sizeof link, home, "run/%s.sock", nd->id);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k <= 0) {
            fprintf(stderr, "district: node %s has no control socket\n", nd->id);
            return 1;
        }
        target[k] = 0;
        lc_node *n = &L.nodes[L.n_nodes];
        n->id = nd->id;
        n->town = -1;
        n->zs = gl_sock_new(ZMQ_DEALER, GL_MAX_CTL_REPLY_FRAME);
        if (!n->zs || zsock_connect(n->zs, "ipc://%s/run/%s", home, target) != 0) {
            fprintf(stderr, "district: cannot connect to %s for %s\n", target, nd->id);
            return 1;
        }
        zsock_set_sndhwm(n->zs, 0);
        zsock_set_rcvhwm(n->zs, 0);
        n->raw = zsock_resolve(n->zs);
        if (nd->tier == GRIDLINK__V1__TIER__TIER_GRID)
            grids[n_grids++] = (int)L.n_nodes;
        L.n_nodes++;
    }
    /* Each grid's community, each community's township. */
    int *comm_of = calloc(L.n_nodes, sizeof *comm_of);
    for (size_t i = 0; i < L.n_nodes; i++) {
        const gl_node_t *nd = gl_topology_find(t, L.nodes[i].id);
        const gl_node_t *p = nd ? gl_topology_parent(t, nd) : NULL;
        int pi = p ? find_node(&L, p->id) : -1;
        if (nd->tier == GRIDLINK__V1__TIER__TIER_GRID)
            comm_of[i] = pi;
        else if (nd->tier == GRIDLINK__V1__TIER__TIER_COMMUNITY)
            L.nodes[i].town = pi;
    }
    for (size_t g = 0; g < n_grids; g++)
        if (comm_of[grids[g]] < 0 || L.nodes[comm_of[grids[g]]].town < 0) {
            fprintf(stderr, "district: grid %s has no community and township\n", L.nodes[grids[g]].id);
            return 1;
        }
    /* Shuffle the grids so consecutive cases spread over processes. */
    srand(12345);
    for (size_t i = n_grids; i > 1; i--) {
        size_t j = (size_t)rand() % i;
        int x = grids[i - 1];
        grids[i - 1] = grids[j];
        grids[j] = x;
    }
    L.cap_cases = (size_t)(rate * (double)dur / 1e6) + 1024;
    L.cases = calloc(L.cap_cases, sizeof *L.cases);
    L.heap = calloc(L.cap_cases, sizeof *L.heap);
    uint32_t *defer = calloc(L.cap_cases, sizeof *defer);
    /* The sockets' signal descriptors in one epoll set: a wait costs what
     * is ready, not the ~800 sockets (zmq_poll looks at each every time). */
    L.dirty = calloc(L.n_nodes, sizeof *L.dirty);
    struct epoll_event *evs = calloc(L.n_nodes, sizeof *evs);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!L.cases || !L.heap || !defer || !L.dirty || !evs || ep < 0) {
        fprintf(stderr, "district: out of memory for %zu cases\n", L.cap_cases);
        return 1;
    }
    for (size_t s = 0; s < L.n_nodes; s++) {
        int fd;
        size_t fl = sizeof fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
        if (zmq_getsockopt(L.nodes[s].raw, ZMQ_FD, &fd, &fl) != 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            fprintf(stderr, "district: cannot watch the socket of %s\n", L.nodes[s].id);
            return 1;
        }
    }
    int64_t sweep = 0;
    memset(text, 't', 200);
    text[200] = 0;
    FILE *ids = ids_out ? fopen(ids_out, "w") : NULL;
    uint64_t skipped = 0;
    int64_t t0 = bn_now_us(), end = t0 + dur, drain_end = end + bn_arg_l(a, "drain_s", 120) * 1000000;
    size_t next_grid = 0;
    for (;;) {
        int64_t now = bn_now_us();
        if (now >= end && ((L.in_flight == 0 && L.n_heap == 0) || now > drain_end))
            break;
        /* Steps that are due, oldest first; a busy node's wait a little. */
        size_t n_defer = 0;
        while (L.n_heap > 0 && L.cases[L.heap[0]].due_us <= now) {
            uint32_t i = heap_pop(&L);
            if (!send_step(&L, i, now))
                defer[n_defer++] = i;
        }
        for (size_t k = 0; k < n_defer; k++) {
            L.cases[defer[k]].due_us = now + 2000;
            heap_push(&L, defer[k]);
        }
        /* New cases at the rate, while fewer than max_open are under way:
         * a district that falls behind closes what it has first. */
        uint64_t under_way = L.n_cases - L.done - L.failed;
        if (now < end && under_way < max_open) {
            uint64_t allowed = (uint64_t)(rate * (double)(now - t0) / 1e6) + 1;
            size_t misses = 0;
            while (L.n_cases < allowed && L.n_cases < L.cap_cases && misses < n_grids &&
                   L.n_cases - L.done - L.failed < max_open) {
                int g = grids[next_grid];
                next_grid = (next_grid + 1) % n_grids;
                uint32_t i = (uint32_t)L.n_cases;
                lc_case *c = &L.cases[i];
                memset(c, 0, sizeof *c);
                c->grid = g;
                c->comm = comm_of[g];
                c->task = task_every > 0 && (long)(i % (uint32_t)task_every) == task_every - 1;
                c->returns = c->task && (i / (uint32_t)task_every) % 2 == 1;
                c->step = c->task ? S_DISPATCH : S_SUBMIT;
                if (!send_step(&L, i, now)) {
                    /* That node is behind: the case goes to the next grid. */
                    skipped++;
                    misses++;
                    continue;
                }
                L.n_cases++;
            }
        }
        int ne = epoll_wait(ep, evs, (int)L.n_nodes, L.n_dirty ? 0 : 1);
        for (int k = 0; k < ne; k++) {
            lc_node *nd = &L.nodes[evs[k].data.u32];
            if (!nd->dirty) {
                nd->dirty = true;
                L.dirty[L.n_dirty++] = evs[k].data.u32;
            }
        }
        now = bn_now_us();
        /* Every 100 ms every socket waiting for a reply is read too. */
        if (now - sweep > 100000) {
            sweep = now;
            for (size_t s = 0; s < L.n_nodes; s++)
                if (L.nodes[s].n > 0 && !L.nodes[s].dirty) {
                    L.nodes[s].dirty = true;
                    L.dirty[L.n_dirty++] = (uint32_t)s;
                }
        }
        size_t n_read = L.n_dirty;
        L.n_dirty = 0;
        for (size_t k = 0; k < n_read; k++) {
            lc_node *nd = &L.nodes[L.dirty[k]];
            nd->dirty = false;
            for (;;) {
                zmq_msg_t m;
                zmq_msg_init(&m);
                if (zmq_msg_recv(&m, nd->raw, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close(&m);
                    break;
                }
                on_reply(&L, nd, zmq_msg_data(&m), zmq_msg_size(&m), now, ids);
                zmq_msg_close(&m);
            }
        }
    }
    double secs = (double)(bn_now_us() - t0) / 1e6;
    /* Cases still open when the worker stopped waiting. */
    uint64_t open = 0;
    for (size_t i = 0; i < L.n_cases; i++) {
        lc_case *c = &L.cases[i];
        if (c->step == S_DONE || c->step == S_FAILED)
            continue;
        if (c->id[0]) {
            open++;
            if (ids)
                fprintf(ids, "%s %s %c 0\n", c->id, L.nodes[c->comm].id, c->task ? 't' : 'r');
        }
    }
    if (ids)
        fclose(ids);
    bn_result r = {0};
    bn_result_set(&r, "started", (double)L.n_cases);
    bn_result_set(&r, "started_tput", (double)L.n_cases / ((double)dur / 1e6));
    bn_result_set(&r, "acked", (double)(L.ok[S_SUBMIT] + L.ok[S_DISPATCH]));
    bn_result_set(&r, "tasks", (double)L.ok[S_DISPATCH]);
    bn_result_set(&r, "returned", (double)L.ok[S_RETURN]);
    bn_result_set(&r, "verified", (double)L.done);
    bn_result_set(&r, "failed", (double)L.failed);
    bn_result_set(&r, "open_at_end", (double)open);
    bn_result_set(&r, "retried", (double)L.retried);
    bn_result_set(&r, "mismatched", (double)L.mismatched);
    bn_result_set(&r, "skipped", (double)skipped);
    bn_result_set(&r, "seconds", secs);
    double life_s = L.last_done_us > t0 ? (double)(L.last_done_us - t0) / 1e6 : secs;
    bn_result_set(&r, "lifecycle_s", life_s);
    bn_result_set(&r, "acked_tput", (double)(L.ok[S_SUBMIT] + L.ok[S_DISPATCH]) / ((double)dur / 1e6));
    bn_result_set(&r, "p50_ms", bn_samples_q(&L.lat[S_SUBMIT], 0.5) / 1000);
    bn_result_set(&r, "p99_ms", bn_samples_q(&L.lat[S_SUBMIT], 0.99) / 1000);
    bn_result_set(&r, "act_p99_ms", bn_samples_q(&L.lat[S_ACCEPT], 0.99) / 1000);
    bn_result_set(&r, "verify_p99_ms", bn_samples_q(&L.lat[S_VERIFY], 0.99) / 1000);
    uint64_t reqs = 0;
    for (int s = 0; s < N_STEPS; s++)
        reqs += L.sent[s];
    bn_result_set(&r, "requests", (double)reqs);
    /* The load's own CPU, to tell a slow driver from a slow district. */
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        bn_result_set(&r, "driver_cpu_s",
                      (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                          (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    bn_result_write(&r, bn_arg(a, "out", NULL));
    for (size_t s = 0; s < L.n_nodes; s++)
        zsock_destroy(&L.nodes[s].zs);
    for (int s = 0; s < N_STEPS; s++)
        bn_samples_free(&L.lat[s]);
    free(L.nodes);
    free(L.cases);
    free(L.heap);
    free(defer);
    free(evs);
    free(L.dirty);
    close(ep);
    free(grids);
    free(comm_of);
    gl_topology_free(&t);
    return 0;
}
