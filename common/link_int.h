/* link_int.h: what link.c and link_reset.c share: the gl_link struct
 * (owned and freed by link.c) and the handling of a peer's store identity.
 * Nothing outside these two files includes this header. */
#ifndef GL_LINK_INT_H
#define GL_LINK_INT_H

#include <stdio.h>

#include "codec.h"
#include "link.h"
#include "topology.h"

#define REFUSALS_MAX 8 /* refusals waiting for a flush; an older one is sent again on the resend */
#define REASON_MAX   200

struct refusal {
    uint64_t seq;
    uint8_t digest[GL_DIGEST_BYTES];
    int code;
    char reason[REASON_MAX + 1];
};

struct gl_link {
    char *self, *peer;
    gl_link_cfg cfg;
    gl_store_t *store;
    gl_link_send_fn *send;
    void *ctx;
    gl_peer_marks m;    /* committed */
    gl_peer_marks w;    /* working, inside the open batch */
    gl_peer_marks save; /* before the current input */
    uint64_t sent;      /* highest sequence sent on this connection */
    int64_t last_recv_ms, last_send_ms, last_progress_ms;
    bool need_ack, need_welcome, need_hello, need_pump;
    bool welcomed;       /* child side: the parent answered our Hello */
    bool need_version;   /* parent side: tell the child we speak another version */
    uint32_t peer_proto; /* the version of the peer's last refused Hello or Welcome */
    bool up;
    gl_link_stats st;
    struct refusal refusals[REFUSALS_MAX];
    size_t n_refusals;
    uint8_t peer_store[GL_STORE_ID_BYTES];
    bool have_peer_store;
    uint64_t origin_counter;
    char last_dead_case[GL_NODE_ID_MAX + 24];
    char last_dead_reason[REASON_MAX + 1];
};

static inline void link_peer_store_name(const gl_link_t *l, char *buf, size_t size)
{
    snprintf(buf, size, "peer_store:%s", l->peer);
}

/* Hello or Welcome named the peer's store (id): remember it, or notice a
 * new one and start the link's numbering over (GL_LINK_RESET). */
int link_check_peer_store(gl_link_t *l, MDB_txn *txn, const ProtobufCBinaryData *id, uint64_t peer_applied,
                          int64_t now);

/* Enqueue a packed envelope again under this link's next number. */
int link_requeue(gl_link_t *l, MDB_txn *txn, const uint8_t *buf, size_t len);

#endif
