/* gl_busprobe.c: a client of the broker's bus holding a real, admitted key,
 * for the tests that check what such a key can and cannot do. Each mode
 * connects with CERT (a zcert file, its secret beside it) to ENDPOINT, whose
 * CurveZMQ server key is SERVER_KEY, does one thing and exits 0; results go
 * to stdout, one line each.
 *
 *   flood   BUS_IN  KEY CERT NODE COUNT  send COUNT replay requests of NODE's
 *                                        whole log and never read; print
 *                                        "sent N", then hold the connection
 *                                        until killed
 *   request BUS_IN  KEY CERT MS F=V...   send one BusRequest (op, node, from,
 *                                        to, prefix) and print every reply as
 *                                        JSON until one with end=true arrives
 *                                        (subscribe: until MS have passed)
 *   publish BUS_IN  KEY CERT F=V...      publish one BusEvent (node, seq,
 *                                        kind, case_id, state, holder,
 *                                        time_ms, version, note) as a node's
 *                                        process would
 *   mark    BUS_IN  KEY CERT NODE SEQ    send a node mark claiming SEQ
 *   listen  BUS_OUT KEY CERT MS [TOPIC...] subscribe (to the TOPICs, default
 *                                        all) and print "TOPIC" for each
 *                                        message, "hugz BODY" for hugz, for MS
 *   keygen  PATH                         write a new keypair to PATH and
 *                                        PATH_secret (czmq's format)
 *
 * Everything it allocates is freed before it exits. */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "pbjson.h"

static void usage(void)
{
    fprintf(stderr, "usage: gl_busprobe flood|request|publish|mark|listen ENDPOINT SERVER_KEY CERT ...\n"
                    "       gl_busprobe keygen PATH\n");
    exit(2);
}

static zsock_t *connect_to(int type, const char *endpoint, const char *server_key, zcert_t *cert)
{
    zsock_t *s = zsock_new(type);
    if (!s)
        return NULL;
    zsock_set_linger(s, 2000);
    zcert_apply(cert, s);
    zsock_set_curve_serverkey(s, server_key);
    if (type == ZMQ_DEALER) {
        /* Read nothing ahead: what the broker sends stays on its side. */
        zsock_set_rcvhwm(s, 1);
        zsock_set_rcvbuf(s, 4096);
    }
    if (zsock_connect(s, "%s", endpoint) != 0) {
        zsock_destroy(&s);
        return NULL;
    }
    return s;
}

static int send_msg(zsock_t *s, const ProtobufCMessage *m, const char *topic)
{
    uint8_t *buf;
    size_t len;
    if (gl_pack(m, &buf, &len) != 0)
        return -1;
    int rc = 0;
    if (topic && zmq_send(zsock_resolve(s), topic, strlen(topic), ZMQ_SNDMORE) < 0)
        rc = -1;
    if (rc == 0 && zmq_send(zsock_resolve(s), buf, len, 0) < 0)
        rc = -1;
    free(buf);
    return rc;
}

/* "name=value" -> value if arg names the field, else NULL. */
static const char *field(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int mode_flood(zsock_t *s, const char *node, long count)
{
    Gridlink__V1__BusRequest req = GRIDLINK__V1__BUS_REQUEST__INIT;
    req.op = "replay";
    req.node = (char *)node;
    req.from_seq = 1;
    long sent = 0;
    zsock_set_sndtimeo(s, 5000);
    for (long i = 0; i < count; i++)
        if (send_msg(s, &req.base, NULL) == 0)
            sent++;
    printf("sent %ld\n", sent);
    fflush(stdout);
    /* Hold the connection open, reading nothing, until the test ends us. */
    while (!zsys_interrupted)
        pause();
    return 0;
}

static int mode_request(zsock_t *s, int ms, int argc, char **argv)
{
    Gridlink__V1__BusRequest req = GRIDLINK__V1__BUS_REQUEST__INIT;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = field(argv[i], "op")))
            req.op = (char *)v;
        else if ((v = field(argv[i], "node")))
            req.node = (char *)v;
        else if ((v = field(argv[i], "prefix")))
            req.prefix = (char *)v;
        else if ((v = field(argv[i], "from")))
            req.from_seq = strtoull(v, NULL, 10);
        else if ((v = field(argv[i], "to")))
            req.to_seq = strtoull(v, NULL, 10);
        else
            usage();
    }
    bool until_end = strcmp(req.op, "subscribe") != 0;
    zsock_set_rcvhwm(s, 1000);
    if (send_msg(s, &req.base, NULL) != 0)
        return 1;
    zpoller_t *p = zpoller_new(s, NULL);
    int64_t end = zclock_mono() + ms;
    bool done = false;
    while (!done && !zsys_interrupted && zclock_mono() < end) {
        if (!zpoller_wait(p, (int)(end - zclock_mono())))
            continue;
        zframe_t *f = zframe_recv(s);
        if (!f)
            continue;
        Gridlink__V1__BusReply *rep = gridlink__v1__bus_reply__unpack(NULL, zframe_size(f), zframe_data(f));
        zframe_destroy(&f);
        if (!rep) {
            printf("{\"undecodable\":true}\n");
            continue;
        }
        json_t *j = gl_pbjson_from_message(&rep->base, 0);
        char *txt = json_dumps(j, JSON_COMPACT);
        if (txt)
            printf("%s\n", txt);
        fflush(stdout);
        free(txt);
        json_decref(j);
        done = until_end && rep->end && strcmp(rep->op, req.op) == 0;
        gridlink__v1__bus_reply__free_unpacked(rep, NULL);
    }
    zpoller_destroy(&p);
    return 0;
}

static int mode_publish(zsock_t *s, int argc, char **argv)
{
    Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
    ev.kind = "status";
    for (int i = 0; i < argc; i++) {
        const char *v;
        int st;
        if ((v = field(argv[i], "node")))
            ev.node = (char *)v;
        else if ((v = field(argv[i], "seq")))
            ev.seq = strtoull(v, NULL, 10);
        else if ((v = field(argv[i], "kind")))
            ev.kind = (char *)v;
        else if ((v = field(argv[i], "case_id")))
            ev.case_id = (char *)v;
        else if ((v = field(argv[i], "holder")))
            ev.holder = (char *)v;
        else if ((v = field(argv[i], "note")))
            ev.note = (char *)v;
        else if ((v = field(argv[i], "time_ms")))
            ev.time_ms = strtoll(v, NULL, 10);
        else if ((v = field(argv[i], "version")))
            ev.version = (uint32_t)strtoul(v, NULL, 10);
        else if ((v = field(argv[i], "fact")) && strchr(v, ':')) {
            /* fact=NAME:VALUE, dated today */
            static Gridlink__V1__Fact f = GRIDLINK__V1__FACT__INIT;
            static char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(strchr(v, ':') - v), v);
            f.name = name;
            f.value = strtod(strchr(v, ':') + 1, NULL);
            f.as_of = "2017-01-01";
            ev.fact = &f;
        } else if ((v = field(argv[i], "state")) &&
                   gl_pbjson_enum_value(&gridlink__v1__case_state__descriptor, v, &st) == 0)
            ev.state = (Gridlink__V1__CaseState)st;
        else
            usage();
    }
    char topic[600];
    snprintf(topic, sizeof topic, "%s %s", ev.kind, ev.node);
    return send_msg(s, &ev.base, topic) == 0 ? 0 : 1;
}

static int mode_mark(zsock_t *s, const char *node, uint64_t seq)
{
    Gridlink__V1__NodeMark m = GRIDLINK__V1__NODE_MARK__INIT;
    m.node = (char *)node;
    m.seq = seq;
    Gridlink__V1__NodeMark *mp[] = {&m};
    Gridlink__V1__BusReply rep = GRIDLINK__V1__BUS_REPLY__INIT;
    rep.op = "mark";
    rep.marks = mp;
    rep.n_marks = 1;
    return send_msg(s, &rep.base, GL_BUS_REPLY) == 0 ? 0 : 1;
}

static int mode_listen(zsock_t *s, int ms, int n_topics, char **topics)
{
    for (int i = 0; i < n_topics; i++)
        zsock_set_subscribe(s, topics[i]);
    if (n_topics == 0)
        zsock_set_subscribe(s, "");
    zpoller_t *p = zpoller_new(s, NULL);
    int64_t end = zclock_mono() + ms;
    while (!zsys_interrupted && zclock_mono() < end) {
        if (!zpoller_wait(p, (int)(end - zclock_mono())))
            continue;
        zmsg_t *msg = zmsg_recv(s);
        if (!msg)
            continue;
        char *t = zmsg_popstr(msg);
        zframe_t *body = zmsg_first(msg);
        if (t && strcmp(t, "hugz") == 0 && body)
            printf("hugz %.*s\n", (int)zframe_size(body), (const char *)zframe_data(body));
        else
            printf("%s\n", t ? t : "");
        fflush(stdout);
        free(t);
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    zsys_handler_set(NULL);
    signal(SIGTERM, SIG_DFL);
    const char *mode = argv[1];
    if (strcmp(mode, "keygen") == 0) {
        zcert_t *c = zcert_new();
        int rc = c && zcert_save(c, argv[2]) == 0 ? 0 : 1;
        zcert_destroy(&c);
        return rc;
    }
    if (argc < 5)
        usage();
    zcert_t *cert = zcert_load(argv[4]);
    if (!cert) {
        fprintf(stderr, "gl_busprobe: cannot load %s\n", argv[4]);
        return 2;
    }
    int type = strcmp(mode, "listen") == 0 ? ZMQ_SUB : ZMQ_DEALER;
    zsock_t *s = connect_to(type, argv[2], argv[3], cert);
    if (!s) {
        fprintf(stderr, "gl_busprobe: cannot connect to %s\n", argv[2]);
        zcert_destroy(&cert);
        return 2;
    }
    int rc = 2;
    if (strcmp(mode, "flood") == 0 && argc == 7)
        rc = mode_flood(s, argv[5], atol(argv[6]));
    else if (strcmp(mode, "request") == 0 && argc >= 7)
        rc = mode_request(s, atoi(argv[5]), argc - 6, argv + 6);
    else if (strcmp(mode, "publish") == 0 && argc >= 6)
        rc = mode_publish(s, argc - 5, argv + 5);
    else if (strcmp(mode, "mark") == 0 && argc == 7)
        rc = mode_mark(s, argv[5], strtoull(argv[6], NULL, 10));
    else if (strcmp(mode, "listen") == 0 && argc >= 6)
        rc = mode_listen(s, atoi(argv[5]), argc - 6, argv + 6);
    else
        usage();
    zsock_destroy(&s);
    zcert_destroy(&cert);
    return rc;
}
