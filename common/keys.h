/* keys.h: CurveZMQ keypairs for nodes, the broker and operators.
 *
 * Keys live in HOME/keys/: for each name, `NAME.cert` (public) and
 * `NAME.cert_secret` (secret, mode 0600), in czmq's zcert text format. Names
 * are node IDs, "broker", and "operator" (the CLI's own key, listed in the
 * topology's monitors). */
#ifndef GL_KEYS_H
#define GL_KEYS_H

#include <czmq.h>

#include "topology.h"

/* Make sure HOME/keys holds a keypair for every node of t, the broker and
 * the operator, creating any that are missing, and write their public keys
 * into t (node public_key, broker_key, monitor "operator"). Existing keys are
 * kept. *created (may be NULL) gets how many keypairs were made. */
int gl_keys_ensure(const char *home, gl_topology_t *t, int *created);
/* Replace the keypair NAME in HOME/keys with a new one (the old one is
 * gone: its secret is not kept) and write its public key into pub (41
 * bytes). The new pair is synced before it takes the old one's place, the
 * secret file first, so a crash leaves one whole pair of the two. */
int gl_keys_rotate(const char *home, const char *name, char *pub);
/* Load the keypair NAME from HOME/keys. *out owned by caller (zcert_destroy). */
int gl_keys_load(const char *home, const char *name, zcert_t **out);

#endif
