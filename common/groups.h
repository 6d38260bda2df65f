/* groups.h: how the nodes of a topology share processes, for `gridlink up
 * --group` and `gridlink-node --group`.
 *
 * Modes: node (one process per node), community (a community with its
 * grids), township (a township with everything under it; the district
 * alone), auto (node up to 40 nodes, else township). A department goes
 * where its parent goes. A group is named for its leader, the node at its
 * head, which comes first in it. */
#ifndef GL_GROUPS_H
#define GL_GROUPS_H

#include <stddef.h>

#include "topology.h"

/* True for node, community, township and auto. */
int gl_groups_mode_valid(const char *mode);
/* The mode auto stands for in t; any other mode as it is. */
const char *gl_groups_mode(const gl_topology_t *t, const char *mode);
/* order[] (t->n_nodes entries) lists node indexes group by group, parents
 * first, each group's leader at its head; group_of[] maps a node index to
 * its group; *n_groups is their number. GL_EINVAL for an unknown mode or a
 * node the root does not reach. */
int gl_groups_plan(const gl_topology_t *t, const char *mode, int *order, int *group_of, size_t *n_groups);

#endif
