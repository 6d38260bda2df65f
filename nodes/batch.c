/* batch.c: each node's batch: every input read in one loop pass (frames
 * from the parent and children, control requests) is applied by the node's
 * engine in one write transaction; the commit comes first, then the effects
 * (replies, bus events), the links' acks and messages. Inputs are kept until
 * the commit so that a batch aborted by a full map can be applied again after
 * the map grows. The deadline timer feeds the same batch. See host_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "codec.h"
#include "error.h"
#include "host_int.h"
#include "log.h"

#define MAX_GROW 8

MDB_txn *batch_txn(node_t *n)
{
    if (n->txn)
        return n->txn;
    int rc = gl_store_begin(n->store, NULL, true, &n->txn);
    if (rc != 0) {
        gl_error("node %s: cannot begin a write transaction: %s", n->id, gl_strerror(rc));
        n->store_errors++;
        n->txn = NULL;
        return NULL;
    }
    if (!n->dirty) {
        n->dirty = true;
        n->host->dirty[n->host->n_dirty++] = n;
    }
    return n->txn;
}

void ctl_send(zsock_t *ctl, zframe_t *rid, const uint8_t *buf, size_t len)
{
    zframe_t *r = zframe_dup(rid);
    zframe_send(&r, ctl, ZFRAME_MORE);
    zframe_t *f = zframe_new(buf, len);
    zframe_send(&f, ctl, 0);
    zframe_destroy(&r);
    zframe_destroy(&f);
}

void ctl_send_error(zsock_t *ctl, zframe_t *rid, int code, const char *text)
{
    uint8_t *buf;
    size_t len;
    if (gl_engine_error_reply(code, text, &buf, &len) != 0)
        return;
    ctl_send(ctl, rid, buf, len);
    free(buf);
}

void batch_links_each(node_t *n, void (*fn)(gl_link_t *))
{
    if (n->uplink)
        fn(n->uplink);
    for (size_t i = 0; i < n->n_children; i++)
        fn(n->children[i].link);
}

/* An HTTP input's refusal, in its door's shape. */
static void http_fail(struct input *in, int code, const char *message)
{
    if (in->answerer)
        in->answerer->fail(in->http, code, message);
    else
        gl_api_fail(in->http, code, message);
}

void batch_free_inputs(node_t *n)
{
    for (size_t i = 0; i < n->n_in; i++) {
        free(n->in[i].buf);
        zframe_destroy(&n->in[i].rid);
        if (n->in[i].http) /* every request gets an answer */
            http_fail(&n->in[i], GL_EIO, "the node gave no answer");
        n->in[i].http = NULL;
    }
    n->n_in = 0;
    n->in_bytes = 0;
}

const gl_caller host_operator = {.role = GL_ROLE_OPERATOR};

/* HTTP takes files (attach) in its requests; the control socket's frames
 * are bounded by the socket. */
static size_t max_request(const struct input *in)
{
    return in->kind == IN_HTTP ? GL_MAX_FILE_REQUEST : GL_MAX_MESSAGE;
}

static int dispatch(node_t *n, MDB_txn *txn, struct input *in, gl_token tok)
{
    int64_t now = host_now(n->host);
    if (in->kind != IN_CTL && in->kind != IN_HTTP) {
        int rc = gl_engine_frame(n->engine, txn, in->kind == IN_CHILD ? in->child : -1, in->buf, in->len, now);
        if (gl_engine_last_refusal(n->engine))
            n->last_refusal = gl_engine_last_refusal(n->engine);
        return rc;
    }
    char err[256];
    Gridlink__V1__CtlRequest *req;
    int rc = gl_decode_ctl_request_max(in->buf, in->len, max_request(in), &req, err, sizeof err);
    if (rc != 0)
        return rc;
    /* the person's name lives in the input, which a growing batch moves */
    gl_caller who = {.role = in->who.role, .user = in->user};
    rc = gl_engine_call(n->engine, txn, in->kind == IN_HTTP ? &who : &host_operator, req, tok, now);
    gridlink__v1__ctl_request__free_unpacked(req, NULL);
    return rc;
}

static bool is_store_error(int rc)
{
    return rc == GL_EMAPFULL || rc == GL_ENOSPC || rc == GL_EIO || rc == GL_ESTORE || rc == GL_ENOMEM ||
           rc == GL_EAGAIN;
}

static void abort_batch(node_t *n)
{
    if (n->txn)
        gl_store_abort(n->txn);
    n->txn = NULL;
    batch_links_each(n, gl_link_abort);
    gl_engine_batch_aborted(n->engine);
    /* Deadline work done in the batch is undone too; look at the index again. */
    n->deadlines_changed = true;
    /* A full map met by that work went with the transaction; whoever meets
     * it next (the deadlines firing again, an input) grows the map then. */
    n->map_full = false;
}

static int apply_one(node_t *n, size_t idx);

/* Why an input was refused: the decoder's reason when it does not decode
 * (decoded again here, on the refusal path only), else the error's text. */
static void refusal_reason(const struct input *in, int rc, char *why, size_t len)
{
    snprintf(why, len, "%s", gl_strerror(rc));
    if (in->kind == IN_CTL || in->kind == IN_HTTP) {
        Gridlink__V1__CtlRequest *req = NULL;
        if (gl_decode_ctl_request_max(in->buf, in->len, max_request(in), &req, why, len) == 0)
            gridlink__v1__ctl_request__free_unpacked(req, NULL);
    } else {
        Gridlink__V1__Envelope *env = NULL;
        if (gl_decode_envelope(in->buf, in->len, &env, why, len) == 0)
            gridlink__v1__envelope__free_unpacked(env, NULL);
    }
    if (!why[0])
        snprintf(why, len, "%s", gl_strerror(rc));
}

/* The map filled up mid-batch: nothing of the batch was acknowledged, so
 * abort it, grow the map, and apply the same inputs again. */
static int regrow_and_replay(node_t *n)
{
    for (int attempt = 0; attempt < MAX_GROW; attempt++) {
        abort_batch(n);
        int rc = gl_store_grow(n->store);
        if (rc != 0)
            return rc;
        gl_info("node %s: map grown to %zu KiB, replaying %zu inputs", n->id, gl_store_map_size(n->store) >> 10,
                n->n_in);
        if (!batch_txn(n))
            return GL_ESTORE;
        n->replaying = true;
        rc = 0;
        for (size_t i = 0; i < n->n_in && rc == 0; i++)
            rc = apply_one(n, i);
        n->replaying = false;
        if (rc != GL_EMAPFULL)
            return rc;
    }
    return GL_ENOSPC;
}

/* Reply to every control request of a failed batch, so no client waits. */
static void fail_batch(node_t *n, int rc)
{
    /* A full filesystem shows as ENOSPC once, then as EIO from LMDB's short
     * writes: name the free space so the operator sees the real cause. */
    char space[128] = "";
    struct statvfs vfs;
    if ((rc == GL_ENOSPC || rc == GL_EIO) && statvfs(gl_store_dir(n->store), &vfs) == 0)
        snprintf(space, sizeof space, "; %llu bytes free on its filesystem",
                 (unsigned long long)vfs.f_bavail * vfs.f_frsize);
    gl_error("node %s: batch of %zu inputs refused: %s%s (senders keep their messages)", n->id, n->n_in,
             gl_strerror(rc), space);
    n->store_errors++;
    abort_batch(n);
    zsock_t *ctl = gl_zsock_sock(n->host->ctl);
    for (size_t i = 0; i < n->n_in; i++) {
        if (n->in[i].kind != IN_CTL && n->in[i].kind != IN_HTTP)
            continue;
        char msg[256];
        snprintf(msg, sizeof msg, "node %s could not store the request: %s", n->id, gl_strerror(rc));
        if (n->in[i].kind == IN_CTL) {
            ctl_send_error(ctl, n->in[i].rid, rc, msg);
        } else if (n->in[i].http) {
            http_fail(&n->in[i], rc, msg);
            n->in[i].http = NULL;
        }
    }
    gl_zsock_kick(n->host->ctl);
    batch_free_inputs(n);
}

/* Apply one input inside the batch transaction. Every input handler checks
 * what it was given before it writes anything, so an input refused by case
 * logic or by the decoder leaves no trace in the store; an error after a
 * write can only be a storage error, and that spoils the whole batch, which
 * is then aborted (and, for a full map, grown and applied again). This
 * saves a nested LMDB transaction per input, whose begin and merge cost more
 * than the input itself. */
static int apply_one(node_t *n, size_t idx)
{
    struct input *in = &n->in[idx];
    size_t fx_mark = gl_engine_fx_mark(n->engine);
    batch_links_each(n, gl_link_mark);
    int rc = dispatch(n, n->txn, in, idx);
    if (rc == 0)
        return 0;
    batch_links_each(n, gl_link_unwind);
    gl_engine_fx_unwind(n->engine, fx_mark);
    if (is_store_error(rc))
        return rc;
    /* Refused input: counted and logged, the batch goes on; a control
     * client is told why, in its turn with the batch's other replies. */
    n->bad_messages++;
    n->last_refusal = rc;
    char why[256];
    refusal_reason(in, rc, why, sizeof why);
    const char *from = in->kind == IN_PARENT  ? "the parent"
                       : in->kind == IN_CHILD ? n->children[in->child].topo->id
                       : in->kind == IN_HTTP  ? "an HTTP client"
                                              : "a control client";
    gl_warn("node %s: input from %s refused: %s", n->id, from, why);
    if (in->kind == IN_CTL) {
        char msg[320];
        snprintf(msg, sizeof msg, "node %s refused the request: %s", n->id, why);
        ctl_send_error(gl_zsock_sock(n->host->ctl), in->rid, rc, msg);
        gl_zsock_kick(n->host->ctl);
    } else if (in->kind == IN_HTTP && in->http) {
        http_fail(in, rc, why);
        in->http = NULL;
    }
    return 0;
}

/* Returns 0 if the input was taken, or the reason it was refused. */
static int batch_take(node_t *n, struct input *in);

int batch_input(node_t *n, enum in_kind kind, int child, zframe_t *rid, zframe_t *body)
{
    struct input in = {.kind = kind, .child = child};
    in.len = zframe_size(body);
    in.buf = malloc(in.len ? in.len : 1);
    if (!in.buf)
        return GL_ENOMEM;
    memcpy(in.buf, zframe_data(body), in.len);
    in.rid = rid ? zframe_dup(rid) : NULL;
    return batch_take(n, &in);
}

int batch_input_http(node_t *n, gl_http_req_t *r, const gl_api_call *call, const uint8_t *buf, size_t len)
{
    struct input in = {
        .kind = IN_HTTP, .child = -1, .http = r, .op = call->op, .who = call->who, .answerer = call->answerer};
    snprintf(in.user, sizeof in.user, "%s", call->user);
    in.len = len;
    in.buf = malloc(len ? len : 1);
    if (!in.buf) {
        http_fail(&in, GL_ENOMEM, "out of memory");
        return GL_ENOMEM;
    }
    memcpy(in.buf, buf, len);
    return batch_take(n, &in);
}

/* The input (taken: its buffers are the batch's from here) into the batch. */
static int batch_take(node_t *n, struct input *src)
{
    int rc = batch_txn(n) ? GL_OK : GL_ESTORE; /* nothing acknowledged: the sender will resend */
    if (rc == 0 && n->n_in == n->cap_in) {
        size_t cap = n->cap_in ? n->cap_in * 2 : 64;
        struct input *a = realloc(n->in, cap * sizeof *a);
        if (a) {
            n->in = a;
            n->cap_in = cap;
        } else {
            rc = GL_ENOMEM;
        }
    }
    if (rc != 0) {
        if (src->http)
            http_fail(src, rc, "the node cannot take requests now");
        free(src->buf);
        zframe_destroy(&src->rid);
        return rc;
    }
    struct input *in = &n->in[n->n_in++];
    *in = *src;
    n->in_bytes += in->len;
    in->who.user = NULL; /* dispatch() points it at in->user */
    n->last_refusal = 0;
    if (n->map_full) {
        /* Work outside an input earlier in this pass (deadlines, liveness)
         * met a full map. A deadline's MDB_MAP_FULL spoils the batch
         * transaction (LMDB answers MDB_BAD_TXN to every later use), so
         * applying this input would fail the batch for nothing: grow now and
         * apply the batch's inputs, this one included, in a fresh one. */
        rc = regrow_and_replay(n);
    } else {
        rc = apply_one(n, n->n_in - 1);
        if (rc == GL_EMAPFULL)
            rc = regrow_and_replay(n);
    }
    if (rc != 0) {
        fail_batch(n, rc);
        return rc;
    }
    return n->last_refusal;
}

/* The links' marks, written once per batch, just before its commit. */
static int save_links(node_t *n)
{
    int rc = n->uplink ? gl_link_save(n->uplink, n->txn) : GL_OK;
    for (size_t i = 0; rc == 0 && i < n->n_children; i++)
        rc = gl_link_save(n->children[i].link, n->txn);
    return rc;
}

static int save_and_commit(node_t *n)
{
    int rc = save_links(n);
    if (rc == 0) {
        rc = gl_store_commit(n->txn);
    } else {
        gl_store_abort(n->txn);
    }
    n->txn = NULL;
    return rc;
}

static void commit_node(node_t *n)
{
    host_t *h = n->host;
    if (n->txn && n->map_full) {
        int rc = regrow_and_replay(n);
        if (rc != 0) {
            fail_batch(n, rc);
            return;
        }
    }
    if (n->txn) {
        uint64_t t0 = uv_hrtime();
        int rc = save_and_commit(n);
        gl_prom_hist_observe(&n->commit_hist, (double)(uv_hrtime() - t0) / 1e9);
        if (rc == GL_EMAPFULL) {
            rc = regrow_and_replay(n);
            if (rc == 0)
                rc = save_and_commit(n);
        }
        if (rc != 0) {
            n->txn = NULL;
            fail_batch(n, rc);
            return;
        }
    }
    batch_links_each(n, gl_link_commit);
    zsock_t *ctl = gl_zsock_sock(h->ctl);
    size_t n_fx;
    const gl_effect *fx = gl_engine_fx(n->engine, &n_fx);
    bool logged = false;
    for (size_t i = 0; i < n_fx; i++) {
        const gl_effect *e = &fx[i];
        logged = logged || e->kind == GL_FX_EVENT;
        if (e->kind == GL_FX_REPLY) {
            struct input *in = e->token < n->n_in ? &n->in[e->token] : NULL;
            if (in && in->rid) {
                ctl_send(ctl, in->rid, e->buf, e->len);
            } else if (in && in->http) {
                if (in->answerer)
                    in->answerer->answer(in->http, in->op, h->topo, n->id, e->buf, e->len, host_now(h));
                else
                    gl_api_answer(in->http, in->op, h->topo, n->id, e->buf, e->len, host_now(h));
                in->http = NULL;
            }
        } else {
            /* The bus may drop under load; the broker sees the gap in the
             * node's sequence numbers and replays it from the log. */
            bus_publish(e->topic, e->buf, e->len);
        }
    }
    gl_engine_fx_clear(n->engine);
    batch_free_inputs(n);
    if (logged && h->n_sse)
        door_events(n);
    gl_zsock_kick(h->ctl);
    int64_t now = host_now(h);
    if (n->uplink) {
        gl_link_flush(n->uplink, now);
        gl_zsock_kick(n->up);
    }
    for (size_t i = 0; i < n->n_children; i++)
        gl_link_flush(n->children[i].link, now);
    gl_zsock_kick(n->down);
    if (gl_engine_take_deadlines_changed(n->engine) || n->deadlines_changed)
        deadlines_arm(n);
}

void batch_flush(void *arg)
{
    host_t *h = arg;
    for (size_t i = 0; i < h->n_dirty; i++) {
        node_t *n = h->dirty[i];
        /* Still marked dirty while it commits: a map grown during the
         * commit reopens the batch, and must not list the node twice. */
        commit_node(n);
        n->dirty = false;
    }
    h->n_dirty = 0;
}

/* ---- the deadline timer: the engine's clock ---- */

#define FIRE_BUDGET 512

static void on_deadline(uv_timer_t *t)
{
    node_t *n = t->data;
    MDB_txn *txn = batch_txn(n);
    if (!txn) {
        uv_timer_start(&n->deadline_timer, on_deadline, 1000, 0);
        return;
    }
    size_t mark = gl_engine_fx_mark(n->engine);
    batch_links_each(n, gl_link_mark);
    bool more = false;
    int rc = gl_engine_fire(n->engine, txn, host_now(n->host), FIRE_BUDGET, &more);
    if (rc != 0) {
        batch_links_each(n, gl_link_unwind);
        gl_engine_fx_unwind(n->engine, mark);
    }
    if (rc == GL_EMAPFULL) {
        /* The batch is spoiled; the commit grows the map, and the deadlines,
         * still in the index, fire again after it. */
        n->map_full = true;
    } else if (rc != 0) {
        gl_error("node %s: deadline processing failed: %s", n->id, gl_strerror(rc));
        n->store_errors++;
    }
    /* The timer is re-armed after the commit. */
    n->deadlines_changed = true;
}

void deadlines_arm(node_t *n)
{
    n->deadlines_changed = false;
    MDB_txn *txn;
    if (gl_store_begin(n->store, NULL, false, &txn) != 0) {
        uv_timer_start(&n->deadline_timer, on_deadline, 1000, 0);
        return;
    }
    int64_t due;
    int rc = gl_engine_next_due(n->engine, txn, &due);
    gl_store_abort(txn);
    if (rc != 0) {
        uv_timer_stop(&n->deadline_timer);
        return;
    }
    int64_t delay = due - host_now(n->host);
    uv_timer_start(&n->deadline_timer, on_deadline, delay > 0 ? (uint64_t)delay : 0, 0);
}

void deadlines_init(node_t *n)
{
    uv_timer_init(n->host->uv, &n->deadline_timer);
    n->deadline_timer.data = n;
    deadlines_arm(n);
}

void deadlines_close(node_t *n)
{
    uv_close((uv_handle_t *)&n->deadline_timer, NULL);
}
