/* groups.c: see groups.h. */
#include "groups.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

#define AUTO_NODE_LIMIT 40 /* auto grouping: one process per node up to this size */

int gl_groups_mode_valid(const char *mode)
{
    return mode && (strcmp(mode, "auto") == 0 || strcmp(mode, "node") == 0 || strcmp(mode, "community") == 0 ||
                    strcmp(mode, "township") == 0);
}

const char *gl_groups_mode(const gl_topology_t *t, const char *mode)
{
    if (strcmp(mode, "auto") == 0)
        return t->n_nodes <= AUTO_NODE_LIMIT ? "node" : "township";
    return mode;
}

/* The node whose process hosts node i under mode: itself, its community (for
 * a grid), or its township (for anything below the district). A department
 * goes where its parent goes, as a grid goes with its community: a
 * township's departments with the township, the district's with the
 * district. Walks parents rather than assuming depths, so a tier that skips
 * a level still groups. */
static int group_leader(const gl_topology_t *t, int i, const char *mode)
{
    Gridlink__V1__Tier want;
    if (strcmp(mode, "node") != 0 && t->nodes[i].tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT && t->nodes[i].parent >= 0)
        return group_leader(t, t->nodes[i].parent, mode);
    if (strcmp(mode, "community") == 0) {
        if (t->nodes[i].tier != GRIDLINK__V1__TIER__TIER_GRID)
            return i;
        want = GRIDLINK__V1__TIER__TIER_COMMUNITY;
    } else if (strcmp(mode, "township") == 0) {
        want = GRIDLINK__V1__TIER__TIER_TOWNSHIP;
    } else {
        return i;
    }
    for (int j = i; j >= 0; j = t->nodes[j].parent)
        if (t->nodes[j].tier == want)
            return j;
    return i; /* above the wanted tier (the district): alone */
}

int gl_groups_plan(const gl_topology_t *t, const char *mode, int *order, int *group_of, size_t *n_groups)
{
    if (!t || !mode || !order || !group_of || !n_groups || t->n_nodes == 0 || t->root < 0)
        return GL_EINVAL;
    if (!gl_groups_mode_valid(mode))
        return GL_EINVAL;
    mode = gl_groups_mode(t, mode);

    /* Breadth-first from the root: parents come before children, so a
     * leader is always numbered before the nodes it hosts and groups come
     * out district first, which is the order they should start in. */
    int *bfs = malloc(t->n_nodes * sizeof *bfs);
    if (!bfs)
        return GL_ENOMEM;
    size_t head = 0, tail = 0;
    bfs[tail++] = t->root;
    while (head < tail) {
        const gl_node_t *n = &t->nodes[bfs[head++]];
        for (size_t c = 0; c < n->n_children && tail < t->n_nodes; c++)
            bfs[tail++] = n->children[c];
    }
    if (tail != t->n_nodes) { /* a node not reachable from the root */
        free(bfs);
        return GL_EINVAL;
    }

    size_t groups = 0;
    for (size_t k = 0; k < tail; k++) {
        int i = bfs[k];
        int leader = group_leader(t, i, mode);
        group_of[i] = leader == i ? (int)groups++ : group_of[leader];
    }
    /* Stable counting sort of the BFS order by group: members stay parents
     * first, with the leader at the head of its group. */
    size_t *start = calloc(groups + 1, sizeof *start);
    if (!start) {
        free(bfs);
        return GL_ENOMEM;
    }
    for (size_t k = 0; k < tail; k++)
        start[group_of[bfs[k]] + 1]++;
    for (size_t g = 0; g < groups; g++)
        start[g + 1] += start[g];
    for (size_t k = 0; k < tail; k++)
        order[start[group_of[bfs[k]]]++] = bfs[k];
    free(start);
    free(bfs);
    *n_groups = groups;
    return GL_OK;
}
