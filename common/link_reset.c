/* link_reset.c: a link's peer that comes back with another store (wiped,
 * replaced, restored): its identity is recorded in the store's meta, and a
 * new one starts the link's numbering over, the unacknowledged messages
 * enqueued again under new numbers. Buffers taken from the outbox are
 * freed before a call returns. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "link_int.h"
#include "log.h"
#include "store.h"

struct pending {
    uint64_t seq;
    uint8_t *buf;
    size_t len;
};

struct collect_ctx {
    struct pending *p;
    size_t n, cap;
    int rc;
};

static int collect_one(uint64_t seq, const void *data, size_t len, void *arg)
{
    struct collect_ctx *cc = arg;
    if (cc->n == cc->cap) {
        size_t cap = cc->cap ? cc->cap * 2 : 64;
        struct pending *a = realloc(cc->p, cap * sizeof *a);
        if (!a) {
            cc->rc = GL_ENOMEM;
            return 1;
        }
        cc->p = a;
        cc->cap = cap;
    }
    uint8_t *b = malloc(len ? len : 1);
    if (!b) {
        cc->rc = GL_ENOMEM;
        return 1;
    }
    memcpy(b, data, len);
    cc->p[cc->n++] = (struct pending){seq, b, len};
    return 0;
}

/* Enqueue a packed envelope again under this link's next number. */
int link_requeue(gl_link_t *l, MDB_txn *txn, const uint8_t *buf, size_t len)
{
    Gridlink__V1__Envelope *e = gridlink__v1__envelope__unpack(NULL, len, buf);
    if (!e)
        return GL_ESTORE;
    char *sender = e->sender; /* enqueue points it at our own name */
    int rc = gl_link_enqueue(l, txn, e);
    e->sender = sender;
    gridlink__v1__envelope__free_unpacked(e, NULL);
    return rc;
}

/* Record the peer's store identity, in the store and in the link. */
static int remember_peer_store(gl_link_t *l, MDB_txn *txn, const ProtobufCBinaryData *id)
{
    char name[GL_NODE_ID_MAX + 16];
    link_peer_store_name(l, name, sizeof name);
    int rc = gl_store_meta_put(txn, l->store, name, id->data, id->len);
    if (rc != 0)
        return rc;
    memcpy(l->peer_store, id->data, GL_STORE_ID_BYTES);
    l->have_peer_store = true;
    return GL_OK;
}

/* The peer came back with another store: it has applied `peer_applied` of
 * ours (its new store's view) and none of its old numbers mean anything. */
static int peer_reset(gl_link_t *l, MDB_txn *txn, const ProtobufCBinaryData *id, uint64_t peer_applied, int64_t now)
{
    struct collect_ctx cc = {0};
    int rc = gl_store_outbox_scan(txn, l->store, l->peer, l->w.out_acked + 1, 0, collect_one, &cc);
    if (rc == 0)
        rc = cc.rc;
    if (rc == 0 && l->w.out_next > 1)
        rc = gl_store_outbox_trim(txn, l->store, l->peer, l->w.out_next - 1, NULL);
    if (rc == 0) {
        gl_warn("link %s->%s: peer came back with a new store; its numbering starts over, %zu unacknowledged "
                "message(s) renumbered (%llu acknowledged by its old store are not resent)",
                l->self, l->peer, cc.n, (unsigned long long)l->w.out_acked);
        l->w.in_applied = 0;
        l->w.out_acked = peer_applied;
        l->w.out_next = peer_applied + 1;
        rc = gl_store_peer_put(txn, l->store, l->peer, &l->w);
    }
    for (size_t i = 0; i < cc.n; i++) {
        if (rc == 0)
            rc = link_requeue(l, txn, cc.p[i].buf, cc.p[i].len);
        free(cc.p[i].buf);
    }
    free(cc.p);
    if (rc != 0)
        return rc;
    if ((rc = remember_peer_store(l, txn, id)) != 0)
        return rc;
    l->sent = l->w.out_acked;
    l->last_progress_ms = now;
    l->need_pump = true;
    l->st.store_resets++;
    return GL_LINK_RESET;
}

/* Hello or Welcome named the peer's store: remember it, or notice a new one. */
int link_check_peer_store(gl_link_t *l, MDB_txn *txn, const ProtobufCBinaryData *id, uint64_t peer_applied, int64_t now)
{
    if (id->len != GL_STORE_ID_BYTES)
        return GL_LINK_HANDLED; /* a peer that does not say */
    bool known = l->have_peer_store;
    if (known && memcmp(l->peer_store, id->data, GL_STORE_ID_BYTES) == 0)
        return GL_LINK_HANDLED;
    /* Another store than the one we knew; or, with none recorded yet, a peer
     * that says it applied fewer of ours than it acknowledged, which only a
     * store that lost its state can do. */
    if (known || peer_applied < l->w.out_acked)
        return peer_reset(l, txn, id, peer_applied, now);
    int rc = remember_peer_store(l, txn, id);
    return rc != 0 ? rc : GL_LINK_HANDLED;
}
