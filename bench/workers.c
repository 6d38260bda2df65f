/* workers.c: the benchmark's worker roles, each run as its own process:
 *
 *   echo      bare ZeroMQ ROUTER: reads every message a pass finds, answers
 *             each dealer with one cumulative ack; with lmdb=DIR it first
 *             writes the pass's messages in one LMDB transaction and commits
 *             (fsync) - the bare ZeroMQ+LMDB group-commit limit; with
 *             curve=FILE over CurveZMQ, its public key written to FILE;
 *             with onesync=1 a commit syncs its data only (MDB_NOMETASYNC)
 *             and a pass's acks wait for the next commit's data sync, or an
 *             explicit sync when no message is waiting, to make its meta
 *             page durable: one sync a batch under load.
 *   lmdb      bare LMDB: batches of `batch` records of `size` bytes, one
 *             synced commit each, no messaging.
 *   prefill   writes cases, log entries and deadlines straight into a node's
 *             store with the gl_store API, in big transactions.
 *   escsub    a watch subscriber on the broker timing escalations against
 *             the deadlines the prefill set.
 *   client    simulated grid devices (client.c).
 *   district  load and loss/duplicate check for the whole district (district.c). */
#include <czmq.h>
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "codec.h"
#include "error.h"
#include "home.h"
#include "keys.h"
#include "sock.h"
#include "store.h"

int bn_client_main(bn_args *a);
int bn_district_main(bn_args *a);

static volatile sig_atomic_t stop_flag;
static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void catch_stop(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static void touch(const char *path)
{
    if (!path)
        return;
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

static void be64(uint8_t *p, uint64_t v)
{
    gl_be64_put(p, v);
}

/* ---- echo ---- */

struct peer {
    uint8_t rid[256];
    size_t rid_len;
    uint64_t max;
    bool touched;
    uint64_t held; /* onesync: the max whose meta page is not yet synced */
    bool pending;
};

/* onesync: send the acks held back for the commit before. */
static void send_held(void *s, struct peer *peers, int n_peers)
{
    for (int k = 0; k < n_peers; k++) {
        if (!peers[k].pending)
            continue;
        peers[k].pending = false;
        zmq_send(s, peers[k].rid, peers[k].rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(s, &peers[k].held, 8, ZMQ_DONTWAIT);
    }
}

static int echo_main(bn_args *a)
{
    catch_stop();
    const char *ep = bn_arg(a, "endpoint", NULL);
    const char *dir = bn_arg(a, "lmdb", NULL);
    bool onesync = dir && atoi(bn_arg(a, "onesync", "0")) != 0;
    MDB_env *env = NULL;
    MDB_dbi dbi = 0;
    if (dir) {
        mdb_env_create(&env);
        mdb_env_set_mapsize(env, (size_t)4 << 30);
        /* fully synced commits; onesync leaves the meta page to the next sync */
        int rc = mdb_env_open(env, dir, onesync ? MDB_NOMETASYNC : 0, 0600);
        if (rc) {
            fprintf(stderr, "echo: lmdb %s: %s\n", dir, mdb_strerror(rc));
            return 1;
        }
        MDB_txn *txn;
        mdb_txn_begin(env, NULL, 0, &txn);
        mdb_dbi_open(txn, NULL, 0, &dbi);
        mdb_txn_commit(txn);
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_ROUTER);
    int v = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &v, sizeof v);
    v = 200000;
    zmq_setsockopt(s, ZMQ_RCVHWM, &v, sizeof v);
    zmq_setsockopt(s, ZMQ_SNDHWM, &v, sizeof v);
    /* The limits gl_sock_new gives every other socket. */
    int64_t max_frame = GL_MAX_FRAME;
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame);
    v = GL_HANDSHAKE_MS;
    zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &v, sizeof v);
    /* curve=FILE: CurveZMQ with a fresh key pair, its public key into FILE
     * for the clients (no ZAP handler: any client key is let in). */
    const char *curve = bn_arg(a, "curve", NULL);
    if (curve) {
        zcert_t *cert = zcert_new();
        FILE *kf = cert ? fopen(curve, "w") : NULL;
        v = 1;
        if (!kf || fprintf(kf, "%s\n", zcert_public_txt(cert)) < 0 || fclose(kf) != 0 ||
            zmq_setsockopt(s, ZMQ_CURVE_SERVER, &v, sizeof v) != 0 ||
            zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, zcert_secret_key(cert), 32) != 0) {
            fprintf(stderr, "echo: cannot set up CurveZMQ (%s)\n", curve);
            return 1;
        }
        zcert_destroy(&cert);
    }
    if (!ep || zmq_bind(s, ep) != 0) {
        fprintf(stderr, "echo: cannot bind %s: %s\n", ep ? ep : "(none)", zmq_strerror(zmq_errno()));
        return 1;
    }
    touch(bn_arg(a, "ready", NULL));
    struct peer *peers = calloc(1024, sizeof *peers);
    int n_peers = 0;
    uint64_t batches = 0, msgs = 0;
    uint8_t key[16];
    bool held = false;
    while (!stop_flag) {
        zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, held ? 0 : 100) <= 0) {
            if (held) { /* idle: sync the last meta page now */
                int rc = mdb_env_sync(env, 1);
                if (rc) {
                    fprintf(stderr, "echo: sync: %s\n", mdb_strerror(rc));
                    return 1;
                }
                send_held(s, peers, n_peers);
                held = false;
            }
            continue;
        }
        MDB_txn *txn = NULL;
        int n = 0;
        while (n < 65536) {
            zmq_msg_t rid, body;
            zmq_msg_init(&rid);
            if (zmq_msg_recv(&rid, s, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&rid);
                break;
            }
            zmq_msg_init(&body);
            zmq_msg_recv(&body, s, 0);
            size_t rl = zmq_msg_size(&rid);
            int k;
            for (k = 0; k < n_peers; k++)
                if (peers[k].rid_len == rl && memcmp(peers[k].rid, zmq_msg_data(&rid), rl) == 0)
                    break;
            if (k == n_peers && n_peers < 1024 && rl <= sizeof peers[0].rid) {
                memcpy(peers[k].rid, zmq_msg_data(&rid), rl);
                peers[k].rid_len = rl;
                n_peers++;
            }
            if (k < n_peers && zmq_msg_size(&body) >= 8) {
                uint64_t seq;
                memcpy(&seq, zmq_msg_data(&body), 8);
                if (seq > peers[k].max)
                    peers[k].max = seq;
                peers[k].touched = true;
                if (env) {
                    if (!txn)
                        mdb_txn_begin(env, NULL, 0, &txn);
                    be64(key, (uint64_t)k);
                    be64(key + 8, seq);
                    MDB_val kv = {sizeof key, key}, dv = {zmq_msg_size(&body), zmq_msg_data(&body)};
                    int rc = mdb_put(txn, dbi, &kv, &dv, 0);
                    if (rc) {
                        fprintf(stderr, "echo: put: %s\n", mdb_strerror(rc));
                        return 1;
                    }
                }
            }
            zmq_msg_close(&rid);
            zmq_msg_close(&body);
            n++;
        }
        if (n == 0)
            continue;
        if (txn) {
            int rc = mdb_txn_commit(txn);
            if (rc) {
                fprintf(stderr, "echo: commit: %s\n", mdb_strerror(rc));
                return 1;
            }
        }
        batches++;
        msgs += (uint64_t)n;
        if (onesync && txn) {
            send_held(s, peers, n_peers); /* this commit's data sync covered their meta page */
            for (int k = 0; k < n_peers; k++) {
                if (!peers[k].touched)
                    continue;
                peers[k].touched = false;
                peers[k].held = peers[k].max;
                peers[k].pending = true;
                held = true;
            }
            continue;
        }
        for (int k = 0; k < n_peers; k++) {
            if (!peers[k].touched)
                continue;
            peers[k].touched = false;
            zmq_send(s, peers[k].rid, peers[k].rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
            zmq_send(s, &peers[k].max, 8, ZMQ_DONTWAIT);
        }
    }
    bn_result r = {0};
    bn_result_set(&r, "batches", (double)batches);
    bn_result_set(&r, "msgs", (double)msgs);
    bn_result_set(&r, "avg_batch", batches ? (double)msgs / (double)batches : 0);
    bn_result_write(&r, bn_arg(a, "out", NULL));
    zmq_close(s);
    zmq_ctx_term(ctx);
    if (env)
        mdb_env_close(env);
    free(peers);
    return 0;
}

/* ---- bare LMDB ---- */

static int lmdb_main(bn_args *a)
{
    const char *dir = bn_arg(a, "dir", NULL);
    long batch = bn_arg_l(a, "batch", 1);
    size_t size = (size_t)bn_arg_l(a, "size", 300);
    int64_t warmup = bn_arg_l(a, "warmup_ms", 300) * 1000;
    int64_t measure = bn_arg_l(a, "measure_ms", 2000) * 1000;
    MDB_env *env;
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, (size_t)4 << 30);
    int rc = dir ? mdb_env_open(env, dir, 0, 0600) : EINVAL;
    if (rc) {
        fprintf(stderr, "lmdb: %s: %s\n", dir ? dir : "(no dir)", mdb_strerror(rc));
        return 1;
    }
    MDB_dbi dbi;
    MDB_txn *txn;
    mdb_txn_begin(env, NULL, 0, &txn);
    mdb_dbi_open(txn, NULL, 0, &dbi);
    mdb_txn_commit(txn);
    uint8_t *val = malloc(size);
    memset(val, 'x', size);
    uint8_t key[8];
    uint64_t counter = 0, records = 0;
    bn_samples lat = {0};
    int64_t t0 = bn_now_us(), tm = t0 + warmup, te = tm + measure;
    for (;;) {
        int64_t s = bn_now_us();
        if (s >= te)
            break;
        mdb_txn_begin(env, NULL, 0, &txn);
        for (long i = 0; i < batch; i++) {
            be64(key, ++counter);
            MDB_val kv = {sizeof key, key}, dv = {size, val};
            if ((rc = mdb_put(txn, dbi, &kv, &dv, 0)) != 0) {
                fprintf(stderr, "lmdb: put: %s\n", mdb_strerror(rc));
                return 1;
            }
        }
        if ((rc = mdb_txn_commit(txn)) != 0) {
            fprintf(stderr, "lmdb: commit: %s\n", mdb_strerror(rc));
            return 1;
        }
        int64_t e = bn_now_us();
        if (s >= tm) {
            bn_samples_add(&lat, (double)(e - s));
            records += (uint64_t)batch;
        }
    }
    bn_result r = {0};
    bn_result_set(&r, "tput", (double)records * 1e6 / (double)measure);
    bn_result_set(&r, "commits", (double)lat.n);
    bn_result_set(&r, "p50_ms", bn_samples_q(&lat, 0.5) / 1000);
    bn_result_set(&r, "p99_ms", bn_samples_q(&lat, 0.99) / 1000);
    bn_result_set(&r, "p999_ms", bn_samples_q(&lat, 0.999) / 1000);
    bn_result_write(&r, bn_arg(a, "out", NULL));
    bn_samples_free(&lat);
    free(val);
    mdb_env_close(env);
    return 0;
}

/* ---- prefill ---- */

static int64_t due_of(long i, long near, int64_t base_ms, long step_us, int64_t far_ms)
{
    if (i < near)
        return base_ms + ((int64_t)i * step_us) / 1000;
    return base_ms + far_ms + i;
}

static int prefill_main(bn_args *a)
{
    const char *dir = bn_arg(a, "dir", NULL);
    const char *node = bn_arg(a, "node", NULL);
    const char *grid = bn_arg(a, "grid", NULL);
    long cases = bn_arg_l(a, "cases", 1000);
    long deadlines = bn_arg_l(a, "deadlines", 0);
    long near = bn_arg_l(a, "near", 0);
    int64_t base_ms = bn_arg_l(a, "due_base_ms", 0);
    long step_us = bn_arg_l(a, "due_step_us", 1000);
    int64_t far_ms = bn_arg_l(a, "far_ms", 86400000);
    long tag = bn_arg_l(a, "tag", 9);
    long batch = bn_arg_l(a, "batch", 20000);
    size_t text_len = (size_t)bn_arg_l(a, "text", 160);
    if (!dir || !node || !grid) {
        fprintf(stderr, "prefill: dir, node and grid are required\n");
        return 2;
    }
    gl_mkdir_p(dir);
    gl_store_opts o = {.map_size = (size_t)bn_arg_l(a, "map_mb", 1024) << 20};
    gl_store_t *st;
    int rc = gl_store_open(dir, node, &o, &st);
    if (rc != 0) {
        fprintf(stderr, "prefill: cannot open %s: %s\n", dir, gl_strerror(rc));
        return 1;
    }
    char *text = malloc(text_len + 1);
    memset(text, 'y', text_len);
    text[text_len] = 0;
    int64_t now = bn_wall_us() / 1000;
    int64_t t0 = bn_now_us();
    char id[256];
    for (long i = 0; i < cases && rc == 0;) {
        MDB_txn *txn;
        if ((rc = gl_store_begin(st, NULL, true, &txn)) != 0)
            break;
        long end = i + batch < cases ? i + batch : cases;
        for (; i < end && rc == 0; i++) {
            snprintf(id, sizeof id, "%s-%llu", grid,
                     (unsigned long long)tag * 1000000000ULL + (unsigned long long)i + 1);
            Gridlink__V1__HistoryEntry h1 = GRIDLINK__V1__HISTORY_ENTRY__INIT, h2 = GRIDLINK__V1__HISTORY_ENTRY__INIT;
            h1.action = "reported";
            h1.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
            h1.node = (char *)grid;
            h1.time_ms = now;
            h1.note = "";
            h2 = h1;
            h2.action = "received";
            h2.node = (char *)node;
            Gridlink__V1__HistoryEntry *hp[2] = {&h1, &h2};
            Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
            c.id = id;
            c.kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
            c.category = "services/elderly";
            c.grid = (char *)grid;
            c.address = "";
            c.text = text;
            c.reporter = "bench";
            c.holder = (char *)node;
            c.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
            c.created_ms = now;
            c.version = 2;
            c.came_from = (char *)grid;
            c.n_history = 2;
            c.history = hp;
            if (i < deadlines) {
                c.resolve_due_ms = due_of(i, near, base_ms, step_us, far_ms);
                rc = gl_store_deadline_put(txn, st, c.resolve_due_ms, GL_DEADLINE_RESOLVE, id);
            }
            if (rc == 0)
                rc = gl_store_case_put(txn, st, &c);
            if (rc == 0) {
                Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
                ev.node = (char *)node;
                ev.kind = "received";
                ev.case_id = id;
                ev.state = c.state;
                ev.holder = (char *)node;
                ev.time_ms = now;
                ev.note = "reported";
                ev.category = c.category;
                ev.peer = (char *)grid;
                rc = gl_store_log_append(txn, st, &ev);
            }
        }
        if (rc == 0)
            rc = gl_store_commit(txn);
        else
            gl_store_abort(txn);
    }
    if (rc != 0)
        fprintf(stderr, "prefill: %s\n", gl_strerror(rc));
    bn_result r = {0};
    bn_result_set(&r, "cases", (double)cases);
    bn_result_set(&r, "seconds", (double)(bn_now_us() - t0) / 1e6);
    bn_result_set(&r, "map_mb", (double)(gl_store_map_size(st) >> 20));
    bn_result_write(&r, bn_arg(a, "out", NULL));
    gl_store_close(&st);
    free(text);
    return rc == 0 ? 0 : 1;
}

/* ---- escalation subscriber ---- */

static int escsub_main(bn_args *a)
{
    catch_stop();
    zsys_handler_set(NULL);
    const char *home = bn_arg(a, "home", NULL);
    const char *prefix = bn_arg(a, "prefix", "");
    long count = bn_arg_l(a, "count", 1000);
    int64_t base_ms = bn_arg_l(a, "due_base_ms", 0);
    long step_us = bn_arg_l(a, "due_step_us", 1000);
    long timeout_ms = bn_arg_l(a, "timeout_ms", 30000);
    /* catchup=N: count the prefix's received events instead, and touch
     * caught=FILE once N have come (the broker's view has caught up). */
    long catchup = bn_arg_l(a, "catchup", 0);
    char last_id[128] = "";
    if (catchup > 0 && bn_arg(a, "last", NULL))
        snprintf(last_id, sizeof last_id, "%s", bn_arg(a, "last", NULL));
    char err[256];
    gl_topology_t *t;
    zcert_t *cert;
    if (!home || gl_home_topology(home, &t, err, sizeof err) != 0 || gl_keys_load(home, "operator", &cert) != 0) {
        fprintf(stderr, "escsub: bad home\n");
        return 1;
    }
    zsock_t *sub = gl_sock_new(ZMQ_SUB, GL_BUS_MAX_FRAME);
    zsock_set_rcvhwm(sub, 1000000);
    zsock_set_linger(sub, 0);
    zcert_apply(cert, sub);
    zsock_set_curve_serverkey(sub, t->broker_key);
    zsock_set_subscribe(sub, "hugz");
    char topic[300];
    snprintf(topic, sizeof topic, "%s %s", catchup > 0 ? "received" : "escalated", prefix);
    zsock_set_subscribe(sub, topic);
    zsock_connect(sub, "%s", t->bus_out);
    zpoller_t *p = zpoller_new(sub, NULL);
    bool live = false;
    uint8_t *seen = calloc((size_t)count, 1);
    long got = 0, dup = 0, received = 0;
    bn_samples lat = {0};
    int64_t end = bn_now_us() + timeout_ms * 1000;
    while (!stop_flag && (catchup > 0 ? received < catchup : got < count) && bn_now_us() < end) {
        if (!zpoller_wait(p, 100))
            continue;
        zmsg_t *m = zmsg_recv(sub);
        int64_t now = bn_wall_us();
        zframe_t *tf = m ? zmsg_first(m) : NULL;
        zframe_t *body = m ? zmsg_next(m) : NULL;
        if (tf && zframe_streq(tf, "hugz")) {
            if (!live) {
                live = true;
                touch(bn_arg(a, "ready", NULL));
            }
        } else if (tf && body && catchup > 0) {
            /* Counted, or done at the last one (the broker applies a node's
             * events in order; a subscriber that fell behind may miss some). */
            received++;
            if (last_id[0] && memmem(zframe_data(body), zframe_size(body), last_id, strlen(last_id)))
                received = received > catchup ? received : catchup;
        } else if (tf && body) {
            Gridlink__V1__BusEvent *ev = gridlink__v1__bus_event__unpack(NULL, zframe_size(body), zframe_data(body));
            if (ev && ev->case_id) {
                char *dash = strrchr(ev->case_id, '-');
                long i = dash ? (long)(strtoull(dash + 1, NULL, 10) % 1000000000ULL) - 1 : -1;
                if (i >= 0 && i < count) {
                    if (seen[i]) {
                        dup++;
                    } else {
                        seen[i] = 1;
                        got++;
                        int64_t due_us = (base_ms + ((int64_t)i * step_us) / 1000) * 1000;
                        bn_samples_add(&lat, (double)(now - due_us));
                    }
                }
            }
            if (ev)
                gridlink__v1__bus_event__free_unpacked(ev, NULL);
        }
        zmsg_destroy(&m);
    }
    bn_result r = {0};
    if (catchup > 0 && received >= catchup)
        touch(bn_arg(a, "caught", NULL));
    bn_result_set(&r, "n", (double)got);
    bn_result_set(&r, "missing", (double)(count - got));
    bn_result_set(&r, "dup", (double)dup);
    bn_result_set(&r, "p50_ms", bn_samples_q(&lat, 0.5) / 1000);
    bn_result_set(&r, "p99_ms", bn_samples_q(&lat, 0.99) / 1000);
    bn_result_set(&r, "max_ms", bn_samples_q(&lat, 1.0) / 1000);
    bn_result_write(&r, bn_arg(a, "out", NULL));
    zpoller_destroy(&p);
    zsock_destroy(&sub);
    zcert_destroy(&cert);
    gl_topology_free(&t);
    free(seen);
    bn_samples_free(&lat);
    return 0;
}

int bn_worker_main(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "bench _worker ROLE key=value...\n");
        return 2;
    }
    bn_args a;
    bn_args_parse(&a, argc - 1, argv + 1);
    const char *role = argv[0];
    if (strcmp(role, "echo") == 0)
        return echo_main(&a);
    if (strcmp(role, "lmdb") == 0)
        return lmdb_main(&a);
    if (strcmp(role, "prefill") == 0)
        return prefill_main(&a);
    if (strcmp(role, "escsub") == 0)
        return escsub_main(&a);
    if (strcmp(role, "client") == 0)
        return bn_client_main(&a);
    if (strcmp(role, "district") == 0)
        return bn_district_main(&a);
    fprintf(stderr, "bench: unknown worker role %s\n", role);
    return 2;
}
