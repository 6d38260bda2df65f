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
/* Load the keypair NAME from HOME/keys. *out owned by caller (zcert_destroy). */
int gl_keys_load(const char *home, const char *name, zcert_t **out);

#endif
