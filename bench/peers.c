/* peers.c: gridlink-bench-peers, the clients for the peer systems the intake
 * benchmark compares against, driven through their own C clients so that no
 * client language skews the comparison:
 *
 *   gridlink-bench-peers nats  port=P window=W size=300 warmup_ms= measure_ms= out=FILE
 *       NATS JetStream: a file-storage stream, js_PublishMsgAsync with at
 *       most W publishes awaiting their ack (PublishAsync.MaxPending).
 *   gridlink-bench-peers redis port=P window=W size=300 warmup_ms= measure_ms= out=FILE
 *       Redis Streams: XADD pipelined with at most W replies outstanding on
 *       one connection (the server runs with appendfsync always).
 *
 * Each message carries its send time in its first 8 bytes; throughput counts
 * the acks that arrive in the measuring period, latency is send -> ack for
 * the messages sent in it; with cpu_pid=PID the server's CPU time and the
 * bytes the storage device wrote over the period, per ack (cpu_us, disk_b).
 * Output: `key value` lines like the other workers. */
#include <hiredis/hiredis.h>
#include <nats/nats.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct meas {
    int64_t t_meas, t_end;
    bn_cpu_watch cpu; /* the server's, cpu_pid=PID */
    _Atomic uint64_t acks, errors;
    bn_samples lat;
};

static void note_ack(struct meas *m, int64_t ts, int64_t now)
{
    if (now >= m->t_meas && now < m->t_end)
        atomic_fetch_add(&m->acks, 1);
    if (ts >= m->t_meas && ts < m->t_end)
        bn_samples_add(&m->lat, (double)(now - ts));
}

static void write_out(struct meas *m, const char *out, int64_t measure_us, long window)
{
    bn_result r = {0};
    bn_result_set(&r, "window", (double)window);
    bn_result_set(&r, "tput", (double)atomic_load(&m->acks) * 1e6 / (double)measure_us);
    bn_result_set(&r, "cpu_us", bn_cpu_per(&m->cpu, atomic_load(&m->acks)));
    bn_result_set(&r, "disk_b", bn_storage_per(&m->cpu, atomic_load(&m->acks)));
    bn_result_set(&r, "steal_pct", bn_steal_pct(&m->cpu));
    bn_result_set(&r, "errors", (double)atomic_load(&m->errors));
    bn_result_set(&r, "n", (double)m->lat.n);
    bn_result_set(&r, "p50_ms", bn_samples_q(&m->lat, 0.50) / 1000);
    bn_result_set(&r, "p99_ms", bn_samples_q(&m->lat, 0.99) / 1000);
    bn_result_set(&r, "p999_ms", bn_samples_q(&m->lat, 0.999) / 1000);
    bn_result_write(&r, out);
}

/* ---- NATS JetStream ---- */

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    struct meas *m = closure;
    int64_t now = bn_now_us();
    if (pa && !pae && natsMsg_GetDataLength(msg) >= 8) {
        int64_t ts;
        memcpy(&ts, natsMsg_GetData(msg), 8);
        note_ack(m, ts, now);
    } else {
        atomic_fetch_add(&m->errors, 1);
    }
    natsMsg_Destroy(msg);
}

static int run_nats(bn_args *a, struct meas *m, int64_t warmup, int64_t measure)
{
    char url[64];
    snprintf(url, sizeof url, "nats://127.0.0.1:%ld", bn_arg_l(a, "port", 4222));
    long window = bn_arg_l(a, "window", 1);
    size_t size = (size_t)bn_arg_l(a, "size", 300);
    natsConnection *nc = NULL;
    natsStatus s = NATS_ERR;
    for (int i = 0; i < 50 && s != NATS_OK; i++) {
        s = natsConnection_ConnectTo(&nc, url);
        if (s != NATS_OK)
            bn_sleep_ms(100);
    }
    if (s != NATS_OK) {
        fprintf(stderr, "peers: cannot connect to %s: %s\n", url, natsStatus_GetText(s));
        return 1;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = window;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = m;
    jo.PublishAsync.StallWait = 10000;
    jsCtx *js = NULL;
    if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK) {
        fprintf(stderr, "peers: no JetStream context: %s\n", natsStatus_GetText(s));
        return 1;
    }
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "BENCH";
    const char *subj[] = {"bench.>"};
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsErrCode jerr = 0;
    js_DeleteStream(js, "BENCH", NULL, &jerr);
    jsStreamInfo *si = NULL;
    if ((s = js_AddStream(&si, js, &cfg, NULL, &jerr)) != NATS_OK) {
        fprintf(stderr, "peers: cannot add the stream: %s (%d)\n", natsStatus_GetText(s), (int)jerr);
        return 1;
    }
    jsStreamInfo_Destroy(si);
    char *data = malloc(size);
    memset(data, 'x', size);
    int64_t t0 = bn_now_us();
    m->t_meas = t0 + warmup;
    m->t_end = m->t_meas + measure;
    for (;;) {
        int64_t ts = bn_now_us();
        bn_cpu_tick(&m->cpu, ts, m->t_meas, m->t_end);
        if (ts >= m->t_end)
            break;
        memcpy(data, &ts, 8);
        natsMsg *msg = NULL;
        natsMsg_Create(&msg, "bench.intake", NULL, data, (int)size);
        s = js_PublishMsgAsync(js, &msg, NULL);
        if (s != NATS_OK) {
            natsMsg_Destroy(msg);
            atomic_fetch_add(&m->errors, 1);
        }
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 10000;
    js_PublishAsyncComplete(js, &po);
    free(data);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}

/* ---- Redis Streams ---- */

static int run_redis(bn_args *a, struct meas *m, int64_t warmup, int64_t measure)
{
    int port = (int)bn_arg_l(a, "port", 6379);
    long window = bn_arg_l(a, "window", 1);
    size_t size = (size_t)bn_arg_l(a, "size", 300);
    redisContext *c = NULL;
    for (int i = 0; i < 50; i++) {
        c = redisConnect("127.0.0.1", port);
        if (c && !c->err)
            break;
        if (c)
            redisFree(c);
        c = NULL;
        bn_sleep_ms(100);
    }
    if (!c) {
        fprintf(stderr, "peers: cannot connect to redis on port %d\n", port);
        return 1;
    }
    redisReply *rp = redisCommand(c, "DEL bench");
    if (rp)
        freeReplyObject(rp);
    char *data = malloc(size);
    memset(data, 'x', size);
    int64_t *ring = calloc((size_t)window, sizeof *ring);
    uint64_t sent = 0, got = 0;
    int64_t t0 = bn_now_us();
    m->t_meas = t0 + warmup;
    m->t_end = m->t_meas + measure;
    for (;;) {
        int64_t at = bn_now_us();
        bn_cpu_tick(&m->cpu, at, m->t_meas, m->t_end);
        bool sending = at < m->t_end;
        while (sending && sent - got < (uint64_t)window) {
            int64_t ts = bn_now_us();
            memcpy(data, &ts, 8);
            ring[sent % (uint64_t)window] = ts;
            redisAppendCommand(c, "XADD bench * d %b", data, size);
            sent++;
        }
        if (got == sent)
            break;
        void *reply = NULL;
        if (redisGetReply(c, &reply) != REDIS_OK) {
            fprintf(stderr, "peers: redis: %s\n", c->errstr);
            return 1;
        }
        int64_t now = bn_now_us();
        redisReply *r = reply;
        if (r && r->type != REDIS_REPLY_ERROR)
            note_ack(m, ring[got % (uint64_t)window], now);
        else
            atomic_fetch_add(&m->errors, 1);
        if (r)
            freeReplyObject(r);
        got++;
    }
    rp = redisCommand(c, "CONFIG GET appendfsync");
    if (rp && rp->type == REDIS_REPLY_ARRAY && rp->elements == 2)
        fprintf(stderr, "peers: redis appendfsync is %s\n", rp->element[1]->str);
    if (rp)
        freeReplyObject(rp);
    free(ring);
    free(data);
    redisFree(c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr,
                "usage: gridlink-bench-peers nats|redis port=P window=W size=N warmup_ms=N measure_ms=N out=FILE "
                "[cpu_pid=PID]\n");
        return 2;
    }
    bn_args a;
    bn_args_parse(&a, argc - 2, argv + 2);
    struct meas m = {0};
    bn_cpu_watch_init(&m.cpu, (pid_t)bn_arg_l(&a, "cpu_pid", 0));
    int64_t warmup = bn_arg_l(&a, "warmup_ms", 500) * 1000;
    int64_t measure = bn_arg_l(&a, "measure_ms", 2000) * 1000;
    int rc;
    if (strcmp(argv[1], "nats") == 0)
        rc = run_nats(&a, &m, warmup, measure);
    else if (strcmp(argv[1], "redis") == 0)
        rc = run_redis(&a, &m, warmup, measure);
    else
        rc = 2;
    if (rc == 0)
        write_out(&m, bn_arg(&a, "out", NULL), measure, bn_arg_l(&a, "window", 1));
    bn_samples_free(&m.lat);
    return rc;
}
