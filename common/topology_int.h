/* topology_int.h: what the topology's files share. topology_check.c says
 * what a node ID, a host, an endpoint and a monitor name may be; topology.c
 * (the model) derives the endpoints; topology_load.c uses both while it
 * parses a file; topology_save.c needs neither. Nothing outside these files
 * includes this header. */
#ifndef GL_TOPOLOGY_INT_H
#define GL_TOPOLOGY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

#define DEFAULT_LISTEN_HOST "127.0.0.1"
#define PORT_BASE_MIN       1024
#define PORT_BASE_MAX       65000

static inline char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* topology_check.c. The _problem functions explain why s is not one, in a
 * static string, or return NULL if it is; the _valid ones say whether it is. */
const char *topo_id_problem(const char *s);       /* a node ID */
const char *topo_endpoint_problem(const char *s); /* an endpoint a topology may name */
bool topo_host_valid(const char *s);              /* a host for a tcp:// endpoint */
bool topo_monitor_name_valid(const char *s);      /* 1..63 characters of a-z 0-9 _ - */

/* topology.c: computes every endpoint for port_base and sets them and
 * t->port_base, or leaves t as it was and says why in err. */
int topo_derive_endpoints(gl_topology_t *t, int port_base, char *err, size_t errlen);

#endif
