/* sock.h: every ZeroMQ socket of the project is made here, with the limits
 * no socket may go without, and bound sockets can have their handshakes
 * watched.
 *
 * gl_sock_new sets, before the socket is used: ZMQ_MAXMSGSIZE (the largest
 * frame the peer may send it; one of the GL_*_FRAME limits of codec.h), so
 * that libzmq closes a connection announcing a larger frame instead of
 * buffering it, handshake commands included, before any key is checked;
 * ZMQ_HANDSHAKE_IVL GL_HANDSHAKE_MS, so a connection that does not finish
 * its handshake in time is closed; and linger 0. The caller owns the socket.
 *
 * A gl_sockmon_t watches one bound socket through zmq_socket_monitor: each
 * failed handshake (a plaintext client against a CURVE server, a greeting
 * that is not ZMTP 3, a malformed, oversized or late handshake, a key ZAP
 * refused) is counted and logged (rate-limited by log.c) with the peer's
 * address when it is known. The address is read when libzmq reports the
 * connection accepted; a connection gone by then is reported without one.
 * libzmq 4.3 has no handshake event for a non-ZMTP-3 greeting or a frame
 * over ZMQ_MAXMSGSIZE, only the disconnect: such a connection is counted
 * when no handshake at all succeeded on the socket between its accept and
 * its disconnect (a working connection always has its own success there, so
 * none is ever counted; a failure while another peer connects may be
 * missed). The monitor's PAIR socket is registered with the loop (which owns
 * it); the gl_sockmon_t is the caller's, freed with gl_sockmon_free while the
 * watched socket and the loop still exist (it stops the monitor first:
 * libzmq would block on events nobody reads). */
#ifndef GL_SOCK_H
#define GL_SOCK_H

#include <czmq.h>
#include <stdint.h>

#include "loop.h"

zsock_t *gl_sock_new(int type, int64_t max_frame);

typedef struct gl_sockmon gl_sockmon_t;

/* Watch sock (call before bind); name labels its log lines ("node X",
 * "control"). */
int gl_sockmon_new(gl_loop_t *loop, zsock_t *sock, const char *name, gl_sockmon_t **out);
void gl_sockmon_free(gl_sockmon_t **m);
/* Handshakes that failed for a protocol reason, timed out, or ended before
 * they completed (ZAP refusals not included). */
uint64_t gl_sockmon_failed(const gl_sockmon_t *m);
/* Handshakes ZAP refused (the key was not admitted). */
uint64_t gl_sockmon_refused(const gl_sockmon_t *m);

#endif
