/* link.c: see link.h. Owns the link's numbering, acks, resends, refusals
 * and the handshake (Hello, Welcome, the protocol versions they carry);
 * link_reset.c handles a peer that comes back with another store, and
 * link_int.h is what the two share. gl_link_new hands the caller the
 * gl_link_t, which gl_link_free frees. */
#include "link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "deadletter.h"
#include "error.h"
#include "log.h"
#include "topology.h"

#include "link_int.h"

/* Copy at most REASON_MAX bytes of s, cut on a UTF-8 character boundary. */
static void copy_reason(char *dst, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > REASON_MAX) {
        n = REASON_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, s, n);
    dst[n] = 0;
}

static int sweep_oversized(gl_link_t *l, int64_t now);

int gl_link_new(gl_store_t *store, const gl_link_cfg *cfg, gl_link_send_fn *send, void *ctx, gl_link_t **out)
{
    if (!store || !cfg || !cfg->self || !cfg->peer || !send || !out)
        return GL_EINVAL;
    gl_link_t *l = calloc(1, sizeof *l);
    if (!l)
        return GL_ENOMEM;
    l->self = strdup(cfg->self);
    l->peer = strdup(cfg->peer);
    l->cfg = *cfg;
    l->cfg.self = l->self;
    l->cfg.peer = l->peer;
    if (!l->cfg.window)
        l->cfg.window = 1024;
    if (!l->cfg.rto_ms)
        l->cfg.rto_ms = 2000;
    if (!l->cfg.heartbeat_ms)
        l->cfg.heartbeat_ms = 1000;
    if (!l->cfg.liveness)
        l->cfg.liveness = 3;
    if (!l->cfg.proto_version)
        l->cfg.proto_version = GL_PROTO_VERSION;
    l->store = store;
    l->send = send;
    l->ctx = ctx;
    MDB_txn *txn;
    int rc = gl_store_begin(store, NULL, false, &txn);
    if (rc == 0) {
        rc = gl_store_peer_get(txn, store, l->peer, &l->m);
        char name[GL_NODE_ID_MAX + 16];
        link_peer_store_name(l, name, sizeof name);
        size_t len = 0;
        if (rc == 0 && gl_store_meta_get(txn, store, name, l->peer_store, sizeof l->peer_store, &len) == 0)
            l->have_peer_store = len == GL_STORE_ID_BYTES;
        gl_store_abort(txn);
    }
    if (rc != 0) {
        gl_link_free(&l);
        return rc;
    }
    l->w = l->save = l->m;
    l->sent = l->m.out_acked;
    l->need_hello = cfg->to_parent;
    l->need_pump = true;
    rc = sweep_oversized(l, 0);
    if (rc != 0) {
        gl_link_free(&l);
        return rc;
    }
    *out = l;
    return GL_OK;
}

void gl_link_free(gl_link_t **pl)
{
    if (!pl || !*pl)
        return;
    free((*pl)->self);
    free((*pl)->peer);
    free(*pl);
    *pl = NULL;
}

const char *gl_link_peer(const gl_link_t *l)
{
    return l->peer;
}

int gl_link_enqueue(gl_link_t *l, MDB_txn *txn, Gridlink__V1__Envelope *env)
{
    env->version = l->cfg.proto_version;
    env->sender = l->self;
    env->seq = l->w.out_next;
    env->ack = 0;
    uint8_t *buf;
    size_t len;
    int rc = gl_pack(&env->base, &buf, &len);
    if (rc != 0)
        return rc;
    if (len > GL_MAX_MESSAGE) {
        /* The peer would refuse it: never put it on the link. */
        free(buf);
        return GL_ETOOBIG;
    }
    rc = gl_store_outbox_put(txn, l->store, l->peer, env->seq, buf, len);
    free(buf);
    if (rc != 0)
        return rc;
    l->w.out_next++;
    l->need_pump = true;
    return GL_OK;
}

static int take_ack(gl_link_t *l, MDB_txn *txn, uint64_t ack, int64_t now)
{
    if (ack <= l->w.out_acked)
        return GL_OK;
    if (ack >= l->w.out_next) {
        /* The peer claims more than was ever sent: its store and ours
         * disagree. Count it and keep our outbox. */
        l->st.bad_acks++;
        gl_warn("link %s->%s: ack %llu beyond last sent %llu, ignored", l->self, l->peer, (unsigned long long)ack,
                (unsigned long long)(l->w.out_next - 1));
        return GL_OK;
    }
    int rc = gl_store_outbox_trim(txn, l->store, l->peer, ack, NULL);
    if (rc != 0)
        return rc;
    l->w.out_acked = ack;
    l->st.acks_in++;
    l->last_progress_ms = now;
    l->need_pump = true;
    return GL_OK;
}

struct find_ctx {
    uint64_t seq;
    uint8_t digest[GL_DIGEST_BYTES];
    uint8_t *buf;
    size_t len;
    bool found;
};

static int find_one(uint64_t seq, const void *data, size_t len, void *arg)
{
    struct find_ctx *fc = arg;
    if (seq == fc->seq) {
        gl_frame_digest(data, len, fc->digest);
        fc->buf = malloc(len ? len : 1);
        if (fc->buf) {
            memcpy(fc->buf, data, len);
            fc->len = len;
            fc->found = true;
        }
    }
    return 1;
}

static void case_of_frame(const uint8_t *buf, size_t len, char *out, size_t size)
{
    out[0] = 0;
    Gridlink__V1__Envelope *e = gridlink__v1__envelope__unpack(NULL, len, buf);
    if (!e)
        return;
    snprintf(out, size, "%s", gl_envelope_case_id(e));
    gridlink__v1__envelope__free_unpacked(e, NULL);
}

/* Move message `seq` (frame[0..frame_len), what the outbox holds under that
 * number) to the dead letters and put a Skip under its number. */
static int dead_letter(gl_link_t *l, MDB_txn *txn, uint64_t seq, const uint8_t *frame, size_t frame_len, int code,
                       const char *reason, int64_t now)
{
    Gridlink__V1__DeadLetter dl = GRIDLINK__V1__DEAD_LETTER__INIT;
    char case_id[GL_NODE_ID_MAX + 24];
    case_of_frame(frame, frame_len, case_id, sizeof case_id);
    dl.peer = l->peer;
    dl.seq = seq;
    dl.time_ms = now;
    dl.code = code;
    dl.reason = (char *)reason;
    dl.envelope.data = (uint8_t *)frame;
    dl.envelope.len = frame_len;
    dl.case_id = case_id;
    int rc = gl_dead_put(txn, l->store, &dl);
    if (rc != 0)
        return rc;
    Gridlink__V1__Skip sk = GRIDLINK__V1__SKIP__INIT;
    sk.code = code;
    sk.reason = (char *)reason;
    Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
    e.version = GL_PROTO_VERSION;
    e.sender = l->self;
    e.seq = seq;
    e.body_case = GRIDLINK__V1__ENVELOPE__BODY_SKIP;
    e.skip = &sk;
    uint8_t *buf;
    size_t len;
    if ((rc = gl_pack(&e.base, &buf, &len)) != 0)
        return rc;
    rc = gl_store_outbox_put(txn, l->store, l->peer, seq, buf, len);
    free(buf);
    if (rc != 0)
        return rc;
    if (l->sent >= seq)
        l->sent = seq - 1;
    l->last_progress_ms = now;
    l->need_pump = true;
    l->st.dead_lettered++;
    snprintf(l->last_dead_case, sizeof l->last_dead_case, "%s", case_id);
    snprintf(l->last_dead_reason, sizeof l->last_dead_reason, "%s", reason);
    gl_warn("link %s->%s: message %llu%s%s refused by the peer (%s: %s); kept as a dead letter, link goes on", l->self,
            l->peer, (unsigned long long)seq, case_id[0] ? " of case " : "", case_id, gl_strerror(code), reason);
    return GL_LINK_DEAD;
}

struct oversized_ctx {
    uint64_t seqs[64];
    size_t n;
};

static int find_oversized(uint64_t seq, const void *data, size_t len, void *arg)
{
    (void)data;
    struct oversized_ctx *oc = arg;
    if (len > GL_MAX_MESSAGE && oc->n < sizeof oc->seqs / sizeof oc->seqs[0])
        oc->seqs[oc->n++] = seq;
    return 0;
}

/* A store written before the size limit was enforced at the sender may hold
 * a message no peer accepts and no socket carries: dead-letter it at start. */
static int sweep_oversized(gl_link_t *l, int64_t now)
{
    if (l->m.out_next - 1 <= l->m.out_acked)
        return GL_OK;
    MDB_txn *txn;
    int rc = gl_store_begin(l->store, NULL, true, &txn);
    if (rc != 0)
        return rc;
    struct oversized_ctx oc = {.n = 0};
    rc = gl_store_outbox_scan(txn, l->store, l->peer, l->m.out_acked + 1, 0, find_oversized, &oc);
    for (size_t i = 0; rc == 0 && i < oc.n; i++) {
        struct find_ctx fc = {.seq = oc.seqs[i]};
        rc = gl_store_outbox_scan(txn, l->store, l->peer, oc.seqs[i], 1, find_one, &fc);
        if (rc >= 0 && fc.found) {
            char why[96];
            snprintf(why, sizeof why, "%zu bytes, more than the %u a peer accepts", fc.len, GL_MAX_MESSAGE);
            rc = dead_letter(l, txn, oc.seqs[i], fc.buf, fc.len, GL_ETOOBIG, why, now);
            rc = rc == GL_LINK_DEAD ? GL_OK : rc;
        }
        free(fc.buf);
    }
    if (rc != 0 || oc.n == 0) {
        gl_store_abort(txn);
        return rc < 0 ? rc : GL_OK;
    }
    rc = gl_link_save(l, txn);
    if (rc != 0) {
        gl_store_abort(txn);
        return rc;
    }
    rc = gl_store_commit(txn);
    if (rc == 0)
        l->m = l->save = l->w;
    return rc;
}

/* The peer refused one of our messages for good. */
static int take_refusal(gl_link_t *l, MDB_txn *txn, const Gridlink__V1__Refusal *r, int64_t now)
{
    if (r->seq <= l->w.out_acked || r->seq >= l->w.out_next) {
        l->st.stale_refusals++;
        return GL_LINK_HANDLED;
    }
    struct find_ctx fc = {.seq = r->seq};
    int rc = gl_store_outbox_scan(txn, l->store, l->peer, r->seq, 1, find_one, &fc);
    if (rc < 0) {
        free(fc.buf);
        return rc;
    }
    if (!fc.found || memcmp(fc.digest, r->digest.data, GL_DIGEST_BYTES) != 0) {
        /* Not what we hold under that number (a Skip already, or a refusal
         * of a message someone else sent with our key). */
        free(fc.buf);
        l->st.stale_refusals++;
        return GL_LINK_HANDLED;
    }
    char reason[REASON_MAX + 1];
    copy_reason(reason, r->reason);
    rc = dead_letter(l, txn, r->seq, fc.buf, fc.len, r->code, reason, now);
    free(fc.buf);
    return rc;
}

/* A Hello or Welcome of another protocol version: not taken, logged when the
 * version changes, counted; a child is told why (an Error), a parent is
 * asked again by the next Hello. A Welcome from a build that did not state
 * its version speaks the envelope's. */
static int other_version(gl_link_t *l, const Gridlink__V1__Envelope *env)
{
    uint32_t v = env->version;
    if (env->body_case == GRIDLINK__V1__ENVELOPE__BODY_HELLO && env->hello->proto_version)
        v = env->hello->proto_version;
    else if (env->body_case == GRIDLINK__V1__ENVELOPE__BODY_WELCOME && env->welcome->proto_version)
        v = env->welcome->proto_version;
    else if (env->body_case != GRIDLINK__V1__ENVELOPE__BODY_HELLO &&
             env->body_case != GRIDLINK__V1__ENVELOPE__BODY_WELCOME)
        return 0;
    if (v == l->cfg.proto_version)
        return 0;
    l->st.proto_mismatch++;
    if (v != l->peer_proto)
        gl_warn("link %s<-%s: the peer speaks protocol version %u, this node %u: not linked; upgrade the older "
                "binary of the two",
                l->self, l->peer, v, l->cfg.proto_version);
    l->peer_proto = v;
    l->need_version = !l->cfg.to_parent;
    return 1;
}

int gl_link_receive(gl_link_t *l, MDB_txn *txn, const Gridlink__V1__Envelope *env, int64_t now_ms)
{
    l->last_recv_ms = now_ms;
    if (other_version(l, env))
        return GL_LINK_HANDLED;
    if (env->body_case == GRIDLINK__V1__ENVELOPE__BODY_ERROR) {
        l->st.errors_in++;
        gl_warn("link %s<-%s: the peer says: %s", l->self, l->peer, env->error->text);
        return GL_LINK_HANDLED;
    }
    l->up = true;
    int rc = GL_OK;
    /* A Hello or Welcome naming a new store resets the numbering first, so
     * its ack is read in the new numbering. */
    if (env->body_case == GRIDLINK__V1__ENVELOPE__BODY_HELLO)
        rc = link_check_peer_store(l, txn, &env->hello->store_id, env->hello->applied, now_ms);
    else if (env->body_case == GRIDLINK__V1__ENVELOPE__BODY_WELCOME)
        rc = link_check_peer_store(l, txn, &env->welcome->store_id, env->welcome->applied, now_ms);
    if (rc < 0)
        return rc;
    int outcome = rc;
    if (outcome != GL_LINK_RESET && (rc = take_ack(l, txn, env->ack, now_ms)) != 0)
        return rc;
    if (env->seq != 0) {
        if (env->seq == l->w.in_applied + 1) {
            if (env->body_case != GRIDLINK__V1__ENVELOPE__BODY_SKIP)
                return GL_LINK_APPLY;
            l->st.skipped++;
            gl_warn("link %s->%s: message %llu was refused here earlier and skipped by the peer (%s)", l->self, l->peer,
                    (unsigned long long)env->seq, env->skip->reason);
            rc = gl_link_applied(l, txn, env->seq);
            return rc != 0 ? rc : GL_LINK_HANDLED;
        }
        if (env->seq <= l->w.in_applied)
            l->st.duplicates++;
        else
            l->st.gaps++;
        l->need_ack = true;
        return GL_LINK_HANDLED;
    }
    switch (env->body_case) {
    case GRIDLINK__V1__ENVELOPE__BODY_HELLO:
        /* The child (re)connected: resend everything it has not applied. */
        rc = take_ack(l, txn, env->hello->applied, now_ms);
        if (rc != 0)
            return rc;
        l->sent = l->w.out_acked;
        l->need_welcome = true;
        l->need_pump = true;
        return outcome;
    case GRIDLINK__V1__ENVELOPE__BODY_WELCOME:
        rc = take_ack(l, txn, env->welcome->applied, now_ms);
        if (rc != 0)
            return rc;
        l->sent = l->w.out_acked;
        l->welcomed = true;
        l->need_pump = true;
        return outcome;
    case GRIDLINK__V1__ENVELOPE__BODY_REFUSAL: return take_refusal(l, txn, env->refusal, now_ms);
    default: return GL_LINK_HANDLED;
    }
}

void gl_link_refuse(gl_link_t *l, uint64_t seq, const uint8_t *buf, size_t len, int code, const char *reason)
{
    l->st.refused_in++;
    l->need_ack = true;
    for (size_t i = 0; i < l->n_refusals; i++)
        if (l->refusals[i].seq == seq)
            return;
    if (l->n_refusals == REFUSALS_MAX) {
        memmove(&l->refusals[0], &l->refusals[1], (REFUSALS_MAX - 1) * sizeof l->refusals[0]);
        l->n_refusals--;
    }
    struct refusal *r = &l->refusals[l->n_refusals++];
    r->seq = seq;
    gl_frame_digest(buf, len, r->digest);
    r->code = code < 0 ? code : GL_EPROTO;
    copy_reason(r->reason, reason);
}

const char *gl_link_last_dead_case(const gl_link_t *l)
{
    return l->last_dead_case;
}

const char *gl_link_last_dead_reason(const gl_link_t *l)
{
    return l->last_dead_reason;
}

int gl_link_retry_dead(gl_link_t *l, MDB_txn *txn, uint64_t seq)
{
    Gridlink__V1__DeadLetter *dl;
    int rc = gl_dead_get(txn, l->store, l->peer, seq, &dl);
    if (rc != 0)
        return rc;
    rc = link_requeue(l, txn, dl->envelope.data, dl->envelope.len);
    gridlink__v1__dead_letter__free_unpacked(dl, NULL);
    if (rc == 0)
        rc = gl_dead_del(txn, l->store, l->peer, seq);
    return rc;
}

void gl_link_set_origin_counter(gl_link_t *l, uint64_t counter)
{
    if (counter > l->origin_counter)
        l->origin_counter = counter;
}

int gl_link_applied(gl_link_t *l, MDB_txn *txn, uint64_t seq)
{
    (void)txn; /* the marks go to the store once per batch, in gl_link_save */
    l->w.in_applied = seq;
    l->st.applied++;
    l->need_ack = true;
    return GL_OK;
}

int gl_link_save(gl_link_t *l, MDB_txn *txn)
{
    const gl_peer_marks *w = &l->w, *m = &l->m;
    if (w->in_applied == m->in_applied && w->out_next == m->out_next && w->out_acked == m->out_acked)
        return GL_OK;
    return gl_store_peer_put(txn, l->store, l->peer, w);
}

void gl_link_mark(gl_link_t *l)
{
    l->save = l->w;
}
void gl_link_unwind(gl_link_t *l)
{
    l->w = l->save;
}
void gl_link_commit(gl_link_t *l)
{
    l->m = l->save = l->w;
}
void gl_link_abort(gl_link_t *l)
{
    l->w = l->save = l->m;
}

static int send_env(gl_link_t *l, Gridlink__V1__Envelope *env, int64_t now)
{
    env->version = l->cfg.proto_version;
    env->sender = l->self;
    env->ack = l->m.in_applied;
    env->sent_ms = now;
    uint8_t buf[512];
    size_t n = gridlink__v1__envelope__get_packed_size(env);
    if (n > sizeof buf)
        return GL_EINVAL;
    gridlink__v1__envelope__pack(env, buf);
    int rc = l->send(l->ctx, l->peer, buf, n);
    if (rc == 0)
        l->last_send_ms = now;
    return rc;
}

struct pump_ctx {
    gl_link_t *l;
    int rc;
};

static int pump_one(uint64_t seq, const void *data, size_t len, void *arg)
{
    struct pump_ctx *pc = arg;
    gl_link_t *l = pc->l;
    if (seq != l->sent + 1)
        return 1; /* trimmed concurrently or a hole: stop, the resend timer recovers */
    int rc = l->send(l->ctx, l->peer, data, len);
    if (rc != 0) {
        pc->rc = rc;
        return 1;
    }
    l->sent = seq;
    l->st.sent++;
    return 0;
}

static void pump(gl_link_t *l, int64_t now)
{
    uint64_t last = l->m.out_next - 1;
    uint64_t limit = l->m.out_acked + l->cfg.window;
    if (l->sent < l->m.out_acked)
        l->sent = l->m.out_acked;
    if (last > limit)
        last = limit;
    if (l->sent >= last)
        return;
    if (l->sent == l->m.out_acked)
        l->last_progress_ms = now;
    MDB_txn *txn;
    if (gl_store_begin(l->store, NULL, false, &txn) != 0)
        return;
    struct pump_ctx pc = {l, 0};
    gl_store_outbox_scan(txn, l->store, l->peer, l->sent + 1, (size_t)(last - l->sent), pump_one, &pc);
    gl_store_abort(txn);
    l->last_send_ms = now;
}

void gl_link_flush(gl_link_t *l, int64_t now_ms)
{
    if (l->need_hello) {
        Gridlink__V1__Hello h = GRIDLINK__V1__HELLO__INIT;
        h.node = l->self;
        h.proto_version = l->cfg.proto_version;
        h.applied = l->m.in_applied;
        h.heartbeat_ms = l->cfg.heartbeat_ms;
        h.store_id.data = (uint8_t *)gl_store_id(l->store);
        h.store_id.len = GL_STORE_ID_BYTES;
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        e.body_case = GRIDLINK__V1__ENVELOPE__BODY_HELLO;
        e.hello = &h;
        if (send_env(l, &e, now_ms) == 0)
            l->need_hello = false;
    }
    if (l->need_welcome) {
        Gridlink__V1__Welcome w = GRIDLINK__V1__WELCOME__INIT;
        w.node = l->self;
        w.applied = l->m.in_applied;
        w.heartbeat_ms = l->cfg.heartbeat_ms;
        w.store_id.data = (uint8_t *)gl_store_id(l->store);
        w.store_id.len = GL_STORE_ID_BYTES;
        w.origin_counter = l->origin_counter;
        w.proto_version = l->cfg.proto_version;
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        e.body_case = GRIDLINK__V1__ENVELOPE__BODY_WELCOME;
        e.welcome = &w;
        if (send_env(l, &e, now_ms) == 0) {
            l->need_welcome = false;
            l->need_ack = false;
        }
    }
    if (l->need_version) {
        char text[160];
        snprintf(text, sizeof text, "%s speaks protocol version %u, not %u: upgrade the older binary of the two",
                 l->self, l->cfg.proto_version, l->peer_proto);
        Gridlink__V1__Error er = GRIDLINK__V1__ERROR__INIT;
        er.code = GL_EPROTO;
        er.text = text;
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        e.body_case = GRIDLINK__V1__ENVELOPE__BODY_ERROR;
        e.error = &er;
        if (send_env(l, &e, now_ms) == 0)
            l->need_version = false;
    }
    while (l->n_refusals > 0) {
        struct refusal *r = &l->refusals[0];
        Gridlink__V1__Refusal rf = GRIDLINK__V1__REFUSAL__INIT;
        rf.seq = r->seq;
        rf.digest.data = r->digest;
        rf.digest.len = GL_DIGEST_BYTES;
        rf.code = r->code;
        rf.reason = r->reason;
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        e.body_case = GRIDLINK__V1__ENVELOPE__BODY_REFUSAL;
        e.refusal = &rf;
        if (send_env(l, &e, now_ms) != 0)
            break;
        l->n_refusals--;
        memmove(&l->refusals[0], &l->refusals[1], l->n_refusals * sizeof l->refusals[0]);
        l->need_ack = false; /* it carried the ack */
    }
    if (l->need_ack) {
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        if (send_env(l, &e, now_ms) == 0)
            l->need_ack = false;
    }
    if (l->need_pump) {
        l->need_pump = false;
        pump(l, now_ms);
    }
}

void gl_link_connected(gl_link_t *l, int64_t now_ms)
{
    l->sent = l->m.out_acked;
    l->welcomed = false;
    l->need_hello = l->cfg.to_parent;
    l->need_pump = true;
    l->last_recv_ms = now_ms; /* give the new connection a full liveness period */
}

bool gl_link_tick(gl_link_t *l, int64_t now_ms)
{
    bool went_down = false;
    if (l->up && now_ms - l->last_recv_ms > (int64_t)l->cfg.heartbeat_ms * l->cfg.liveness) {
        l->up = false;
        went_down = true;
        gl_warn("link %s->%s: peer silent for %lld ms, marked down", l->self, l->peer,
                (long long)(now_ms - l->last_recv_ms));
    }
    /* A child keeps saying Hello until its parent answers. */
    if (l->cfg.to_parent && !l->welcomed)
        l->need_hello = true;
    if (l->sent > l->m.out_acked && now_ms - l->last_progress_ms > (int64_t)l->cfg.rto_ms) {
        l->st.resent += l->sent - l->m.out_acked;
        l->sent = l->m.out_acked;
        l->last_progress_ms = now_ms;
        l->need_pump = true;
    } else if (l->sent < l->m.out_next - 1) {
        l->need_pump = true; /* the transport refused earlier: try again */
    }
    if (now_ms - l->last_send_ms >= (int64_t)l->cfg.heartbeat_ms && !l->need_hello) {
        Gridlink__V1__Heartbeat hb = GRIDLINK__V1__HEARTBEAT__INIT;
        hb.time_ms = now_ms;
        Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
        e.body_case = GRIDLINK__V1__ENVELOPE__BODY_HEARTBEAT;
        e.heartbeat = &hb;
        send_env(l, &e, now_ms);
    }
    gl_link_flush(l, now_ms);
    return went_down;
}

uint64_t gl_link_expected(const gl_link_t *l)
{
    return l->w.in_applied + 1;
}

bool gl_link_up(const gl_link_t *l)
{
    return l->up;
}
uint64_t gl_link_pending(const gl_link_t *l)
{
    return l->m.out_next - 1 - l->m.out_acked;
}
const gl_link_stats *gl_link_get_stats(const gl_link_t *l)
{
    return &l->st;
}
const gl_peer_marks *gl_link_marks(const gl_link_t *l)
{
    return &l->m;
}
