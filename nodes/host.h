/* host.h: entry point of a node process hosting one or more nodes. */
#ifndef GL_HOST_H
#define GL_HOST_H

#include <stddef.h>
#include <stdint.h>

/* Run the nodes `ids` of the topology in HOME until SIGINT/SIGTERM.
 * window: unacknowledged messages per link (0 = default). Returns the
 * process exit status. */
/* Initial LMDB map size in bytes for stores created by host_run (an existing
 * store keeps its grown size); 0 = GL_STORE_DEFAULT_MAP. Call before host_run. */
void host_set_map_size(size_t bytes);

int host_run(const char *home, char **ids, size_t n_ids, uint32_t window);

#endif
