/* fuzz_topology.c: feeds arbitrary bytes to the topology loader, which must
 * refuse bad input with an error and never crash or leak. Anything that loads
 * is also serialized, its lookups exercised and its ipc endpoints checked
 * against a home, to reach the code that trusts a validated topology. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
        if (p && (!gl_topology_in_subtree(p->id, n->id) || (int)p->tier + 1 != (int)n->tier))
            abort();
        if (n->public_key)
            (void)gl_topology_find_by_key(t, n->public_key);
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
