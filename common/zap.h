/* zap.h: the process's ZAP handler (RFC 27) for CurveZMQ admission.
 *
 * libzmq asks the handler on inproc://zeromq.zap.01 whether a client key may
 * connect to a server socket; the socket's ZAP domain names the admission
 * list to use. Each list maps a client's public key to the user ID that
 * libzmq then attaches to every message from that connection ("User-Id"
 * metadata), so receivers check that the node a message claims to come from
 * is the node whose key signed the handshake. A parent's ROUTER uses its node
 * ID as domain and lists only its children. The handler runs in the loop; it
 * must be created before any CURVE server socket binds. Counters record
 * admissions and refusals, in all and per domain; every refusal is logged
 * (rate-limited by log.c) with the key and the peer's address. The handler
 * owns its lists and counters; free with gl_zap_free. */
#ifndef GL_ZAP_H
#define GL_ZAP_H

#include <stdint.h>

#include "loop.h"

typedef struct gl_zap gl_zap_t;

int gl_zap_new(gl_loop_t *loop, gl_zap_t **out);
void gl_zap_free(gl_zap_t **z);
/* Admit key_z85 on `domain`, reporting it as user_id. Strings are copied. */
int gl_zap_allow(gl_zap_t *z, const char *domain, const char *key_z85, const char *user_id);
/* Stop admitting key_z85 on domain (a retired key): handshakes from then on
 * are refused; connections it already made stay until they close. GL_ENOENT
 * when the key was not listed there. */
int gl_zap_revoke(gl_zap_t *z, const char *domain, const char *key_z85);
uint64_t gl_zap_admitted(const gl_zap_t *z);
uint64_t gl_zap_refused(const gl_zap_t *z);
/* Refusals on one domain (for a node's ROUTER: its node ID). */
uint64_t gl_zap_denied_count(const gl_zap_t *z, const char *domain);

/* Make sock a CURVE server with cert's keys, authenticated against domain.
 * Call before bind. */
void gl_curve_server(zsock_t *sock, zcert_t *cert, const char *domain);
/* Make sock a CURVE client with cert's keys, trusting server_key_z85. */
void gl_curve_client(zsock_t *sock, zcert_t *cert, const char *server_key_z85);
/* The authenticated user ID of the connection a frame came from, or NULL. */
const char *gl_frame_user(zframe_t *frame);

#endif
