/* fuzz_topology.c: feeds arbitrary bytes to the topology loader, which must
 * refuse bad input with an error and never crash or leak. Anything that loads
 * is also serialized, its lookups exercised (by ID, key, point and address)
 * and its ipc endpoints checked against a home, to reach the code that
 * trusts a validated topology. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True if c has a key of at least min bytes that occurs in address. */
static bool has_key_in(const gl_node_t *c, const char *address, size_t min)
{
    for (size_t k = 0; k < c->n_addresses; k++)
        if (strlen(c->addresses[k]) >= min && strstr(address, c->addresses[k]))
            return true;
    return false;
}

/* The corners and the centre of a grid's bounding box, and its area written
 * out and parsed again: what locate finds contains the point, and the copy
 * agrees with the original. */
static void check_area(const gl_topology_t *t, const gl_node_t *n)
{
    double w, s, e, north;
    gl_area_bounds(n->area, &w, &s, &e, &north);
    const double pts[][2] = {{w, s}, {e, north}, {(w + e) / 2, (s + north) / 2}, {w - 1e-9, s}, {e, north + 1e-9}};
    json_t *j = gl_area_to_json(n->area);
    gl_area_t *copy = NULL;
    char err[256];
    if (!j || gl_area_parse(j, &copy, err, sizeof err) != 0)
        abort();
    json_decref(j);
    for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++) {
        bool in = gl_area_contains(n->area, pts[k][0], pts[k][1]);
        if (in != gl_area_contains(copy, pts[k][0], pts[k][1]) || (k >= 3 && in))
            abort();
        const gl_node_t *g = gl_topology_locate(t, pts[k][0], pts[k][1]);
        if (g ? !gl_area_contains(g->area, pts[k][0], pts[k][1]) : in)
            abort();
    }
    gl_area_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gl_topology_t *t = NULL;
    char err[256];
    if (gl_topology_load_buffer((const char *)data, size, &t, err, sizeof err) != 0)
        return 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        const gl_node_t *n = &t->nodes[i];
        if (gl_topology_find(t, n->id) != n)
            abort();
        const gl_node_t *p = gl_topology_parent(t, n);
        bool department = n->tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT;
        if (p &&
            (!gl_topology_in_subtree(p->id, n->id) ||
             (department ? p->tier != GRIDLINK__V1__TIER__TIER_DISTRICT && p->tier != GRIDLINK__V1__TIER__TIER_TOWNSHIP
                         : (int)p->tier + 1 != (int)n->tier)))
            abort();
        if ((department || n->tier == GRIDLINK__V1__TIER__TIER_GRID) && (n->n_children > 0 || n->endpoint))
            abort();
        if (n->public_key)
            (void)gl_topology_find_by_key(t, n->public_key);
        if ((n->area && n->tier != GRIDLINK__V1__TIER__TIER_GRID) ||
            (n->n_addresses && n->tier != GRIDLINK__V1__TIER__TIER_COMMUNITY))
            abort();
        if (n->area)
            check_area(t, n);
        for (size_t k = 0; k < n->n_addresses; k++) {
            /* A key finds a community with a key at least as long in it. */
            const gl_node_t *c = gl_topology_community_by_address(t, n->addresses[k]);
            if (!c || !has_key_in(c, n->addresses[k], strlen(n->addresses[k])))
                abort();
        }
    }
    for (size_t i = 0; i < t->n_monitors; i++) {
        const char *scope = gl_topology_monitor_scope(t, &t->monitors[i]);
        if (!scope || !gl_topology_find(t, scope) || gl_topology_find_monitor(t, t->monitors[i].name) == NULL)
            abort();
    }
    json_t *sla = gl_policy_to_json(t->policy);
    json_decref(sla);
    int64_t a, r;
    (void)gl_policy_deadline_for(t->policy, GRIDLINK__V1__TIER__TIER_COMMUNITY, "urban/roads", 1, &a, &r);
    (void)gl_topology_set_port_base(t, 20000);
    (void)gl_topology_check_home(t, "/nonexistent-gridlink-home", err, sizeof err);
    (void)gl_topology_check_home(t, "/tmp", err, sizeof err);
    gl_topology_free(&t);
    return 0;
}
