/* sock.c: see sock.h.
 *
 * A gl_sockmon_t owns its name, its table of open connections (fd -> struct
 * conn, keys and records owned by the table) and the failure it is waiting
 * to report; the loop owns the PAIR socket that reads the monitor's events. */
#include "sock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "codec.h"
#include "error.h"
#include "log.h"

/* Room for a burst of connection events: libzmq's I/O thread blocks when
 * the monitor's queue is full, which would stall every connection. */
#define MON_RCVHWM  100000
#define MAX_TRACKED 65536 /* open connections remembered with their address */

zsock_t *gl_sock_new(int type, int64_t max_frame)
{
    zsock_t *s = zsock_new(type);
    if (!s)
        return NULL;
    void *h = zsock_resolve(s);
    int ivl = GL_HANDSHAKE_MS, linger = 0;
    if (zmq_setsockopt(h, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame) != 0 ||
        zmq_setsockopt(h, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl) != 0 ||
        zmq_setsockopt(h, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        gl_error("socket: cannot set its limits: %s", zmq_strerror(zmq_errno()));
        zsock_destroy(&s);
        return NULL;
    }
    return s;
}

/* An open connection, from its accept to its disconnect. */
struct conn {
    char peer[72];       /* "" when unknown */
    uint64_t succeeded0; /* the socket's handshake successes at its accept */
};

struct gl_sockmon {
    char *name;
    void *watched; /* the libzmq socket, not owned */
    gl_zsock_t *zs;
    zhashx_t *conns; /* "fd" -> struct conn */
    uint64_t failed, refused, succeeded;
    /* A handshake failure is reported by libzmq just before the disconnect
     * of the same connection, which names its fd: the failure waits here for
     * it, so that the log line can give the peer's address. */
    bool pending;
    uint16_t pending_event;
    uint32_t pending_value;
};

static const char *protocol_reason(uint32_t v)
{
    switch (v) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: return "security mechanism mismatch (a client without CurveZMQ?)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: return "cryptographic error (wrong server key?)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND:
    case ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE: return "unexpected handshake command";
    case ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE: return "key exchange failed";
    case ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA: return "invalid handshake metadata";
    default: break;
    }
    if (v >= ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED &&
        v <= ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME)
        return "malformed handshake command";
    if ((v & 0xf0000000u) == ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED)
        return "bad answer from the ZAP handler";
    return "protocol error";
}

static void report(gl_sockmon_t *m, const char *peer)
{
    if (!m->pending)
        return;
    m->pending = false;
    const char *from = peer && *peer ? peer : "an unknown address";
    uint32_t v = m->pending_value;
    /* A key ZAP refused is logged by the ZAP handler, with the key. */
    if (m->pending_event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        gl_warn("%s: handshake from %s failed: %s (0x%08x)", m->name, from, protocol_reason(v), (unsigned)v);
    else if (m->pending_event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        gl_warn("%s: handshake from %s not completed: %s", m->name, from,
                v ? strerror((int)v) : "timed out or cut off");
}

/* The peer of a just accepted connection, if fd still is that connection:
 * its local port must be the one the event names. */
static bool peer_of(int fd, const char *endpoint, char *buf, size_t size)
{
    struct sockaddr_storage local, peer;
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(fd, (struct sockaddr *)&local, &ll) != 0 || getpeername(fd, (struct sockaddr *)&peer, &pl) != 0)
        return false;
    if (peer.ss_family == AF_UNIX) {
        snprintf(buf, size, "a local process");
        return true;
    }
    const char *colon = strrchr(endpoint, ':');
    int port = colon ? atoi(colon + 1) : -1;
    char host[INET6_ADDRSTRLEN];
    if (peer.ss_family == AF_INET && local.ss_family == AF_INET) {
        const struct sockaddr_in *l = (const void *)&local, *p = (const void *)&peer;
        if (port > 0 && ntohs(l->sin_port) != port)
            return false;
        inet_ntop(AF_INET, &p->sin_addr, host, sizeof host);
        snprintf(buf, size, "%s:%u", host, (unsigned)ntohs(p->sin_port));
        return true;
    }
    if (peer.ss_family == AF_INET6 && local.ss_family == AF_INET6) {
        const struct sockaddr_in6 *l = (const void *)&local, *p = (const void *)&peer;
        if (port > 0 && ntohs(l->sin6_port) != port)
            return false;
        inet_ntop(AF_INET6, &p->sin6_addr, host, sizeof host);
        snprintf(buf, size, "[%s]:%u", host, (unsigned)ntohs(p->sin6_port));
        return true;
    }
    return false;
}

static void conn_free(void **item)
{
    free(*item);
    *item = NULL;
}

static void on_event(gl_zsock_t *zs, zmsg_t *msg, void *arg)
{
    gl_sockmon_t *m = arg;
    (void)zs;
    zframe_t *f = zmsg_first(msg);
    zframe_t *ep = zmsg_next(msg);
    if (!f || zframe_size(f) != 6)
        return;
    uint16_t event;
    uint32_t value;
    memcpy(&event, zframe_data(f), 2);
    memcpy(&value, zframe_data(f) + 2, 4);
    char endpoint[256] = "";
    if (ep) {
        size_t n = zframe_size(ep) < sizeof endpoint - 1 ? zframe_size(ep) : sizeof endpoint - 1;
        memcpy(endpoint, zframe_data(ep), n);
        endpoint[n] = 0;
    }
    char key[16];
    snprintf(key, sizeof key, "%u", (unsigned)value);
    switch (event) {
    case ZMQ_EVENT_ACCEPTED: {
        zhashx_delete(m->conns, key); /* a reused fd whose disconnect was missed */
        struct conn *c = zhashx_size(m->conns) < MAX_TRACKED ? calloc(1, sizeof *c) : NULL;
        if (!c)
            break;
        c->succeeded0 = m->succeeded;
        if (!peer_of((int)value, endpoint, c->peer, sizeof c->peer))
            c->peer[0] = 0;
        zhashx_insert(m->conns, key, c);
        break;
    }
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: m->succeeded++; break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        report(m, NULL); /* an earlier one whose disconnect never came */
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            m->refused++;
        else
            m->failed++;
        m->pending = true;
        m->pending_event = event;
        m->pending_value = value;
        break;
    case ZMQ_EVENT_DISCONNECTED: {
        struct conn *c = zhashx_lookup(m->conns, key);
        if (m->pending) {
            report(m, c ? c->peer : NULL);
        } else if (c && c->succeeded0 == m->succeeded) {
            /* libzmq gives no handshake event for a greeting that is not
             * ZMTP 3 or a frame over ZMQ_MAXMSGSIZE, only the disconnect.
             * A connection that succeeded has its own success between its
             * accept and its disconnect; with none at all in between, this
             * one cannot have. (One that failed while another succeeded is
             * missed, never one that worked counted.) */
            m->failed++;
            gl_warn("%s: connection from %s closed before its handshake completed (not ZMTP 3, an oversized "
                    "frame, or a client that hung up)",
                    m->name, c->peer[0] ? c->peer : "an unknown address");
        }
        zhashx_delete(m->conns, key);
        break;
    }
    default: break;
    }
}

int gl_sockmon_new(gl_loop_t *loop, zsock_t *sock, const char *name, gl_sockmon_t **out)
{
    *out = NULL;
    gl_sockmon_t *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(name)) || !(m->conns = zhashx_new())) {
        if (m)
            free(m->name);
        free(m);
        return GL_ENOMEM;
    }
    zhashx_set_destructor(m->conns, conn_free);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://gl-monitor-%p", (void *)m);
    int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    zsock_t *pair = NULL;
    int rc = GL_EIO;
    if (zmq_socket_monitor(zsock_resolve(sock), endpoint, events) == 0 && (pair = gl_sock_new(ZMQ_PAIR, 4096))) {
        zsock_set_rcvhwm(pair, MON_RCVHWM);
        if (zsock_connect(pair, "%s", endpoint) == 0)
            rc = gl_loop_add(loop, pair, on_event, m, &m->zs);
    }
    if (rc != 0) {
        gl_error("%s: cannot watch its handshakes: %s", name, zmq_strerror(zmq_errno()));
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
        zsock_destroy(&pair);
        zhashx_destroy(&m->conns);
        free(m->name);
        free(m);
        return rc;
    }
    m->watched = zsock_resolve(sock);
    *out = m;
    return GL_OK;
}

void gl_sockmon_free(gl_sockmon_t **pm)
{
    if (!pm || !*pm)
        return;
    gl_sockmon_t *m = *pm;
    *pm = NULL;
    zmq_socket_monitor(m->watched, NULL, 0);
    gl_loop_remove(&m->zs);
    zhashx_destroy(&m->conns);
    free(m->name);
    free(m);
}

uint64_t gl_sockmon_failed(const gl_sockmon_t *m)
{
    return m ? m->failed : 0;
}

uint64_t gl_sockmon_refused(const gl_sockmon_t *m)
{
    return m ? m->refused : 0;
}
