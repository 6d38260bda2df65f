/* topology.c: the topology in memory (see topology.h for the file format):
 * the lookups, freeing, and the endpoints derived from port_base, with
 * gl_topology_set_port_base and gl_topology_set_key that change it. Loading
 * is topology_load.c, saving topology_save.c, and what a node ID, a key, a
 * host or an endpoint may be topology_check.c; topology_int.h is what they
 * share.
 *
 * A gl_topology_t owns every string, the nodes and monitors arrays, each
 * node's children array, area and address keys, the policy, the catalogue,
 * the community task set, the calendar and the private id -> index map (a
 * czmq zhashx holding index + 1, so that "absent" stays NULL, filled by
 * topology_load.c). gl_topology_free releases all of it. Lookups hand out
 * pointers into the topology, valid until it is freed.
 *
 * Endpoints not given in the file are derived from port_base and are never
 * written back, so that a later change of port_base moves them all. */
#include "topology.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "topology_int.h"

/* ---- the index ------------------------------------------------------- */

int gl_topology_index_of(const gl_topology_t *t, const char *id)
{
    if (!t || !t->index || !id)
        return -1;
    void *v = zhashx_lookup((zhashx_t *)t->index, id);
    return v ? (int)((intptr_t)v - 1) : -1;
}

const gl_node_t *gl_topology_find(const gl_topology_t *t, const char *id)
{
    int i = gl_topology_index_of(t, id);
    return i < 0 ? NULL : &t->nodes[i];
}

const gl_node_t *gl_topology_parent(const gl_topology_t *t, const gl_node_t *n)
{
    if (!t || !n || n->parent < 0 || (size_t)n->parent >= t->n_nodes)
        return NULL;
    return &t->nodes[n->parent];
}

const gl_monitor_t *gl_topology_find_monitor(const gl_topology_t *t, const char *name)
{
    for (size_t i = 0; t && name && i < t->n_monitors; i++)
        if (strcmp(t->monitors[i].name, name) == 0)
            return &t->monitors[i];
    return NULL;
}

const char *gl_topology_monitor_scope(const gl_topology_t *t, const gl_monitor_t *m)
{
    if (!t || !m)
        return NULL;
    return m->scope ? m->scope : t->nodes[t->root].id;
}

bool gl_topology_community_task(const gl_topology_t *t, const char *code)
{
    return t && gl_category_set_has(t->community_tasks, t->catalogue, code);
}

const gl_node_t *gl_topology_locate(const gl_topology_t *t, double lon, double lat)
{
    for (size_t i = 0; t && i < t->n_nodes; i++)
        if (t->nodes[i].area && gl_area_contains(t->nodes[i].area, lon, lat))
            return &t->nodes[i];
    return NULL;
}

const gl_node_t *gl_topology_community_by_address(const gl_topology_t *t, const char *address)
{
    const gl_node_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; t && address && i < t->n_nodes; i++) {
        const gl_node_t *n = &t->nodes[i];
        for (size_t k = 0; k < n->n_addresses; k++) {
            size_t len = strlen(n->addresses[k]);
            if (len > best_len && strstr(address, n->addresses[k])) {
                best = n;
                best_len = len;
            }
        }
    }
    return best;
}

const gl_node_t *gl_topology_find_by_key(const gl_topology_t *t, const char *z85)
{
    if (!t || !z85)
        return NULL;
    for (size_t i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].public_key && strcmp(t->nodes[i].public_key, z85) == 0)
            return &t->nodes[i];
    return NULL;
}

/* ---- freeing --------------------------------------------------------- */

void gl_topology_free(gl_topology_t **tp)
{
    if (!tp || !*tp)
        return;
    gl_topology_t *t = *tp;
    for (size_t i = 0; i < t->n_nodes; i++) {
        gl_node_t *n = &t->nodes[i];
        free(n->id);
        free(n->name);
        free(n->children);
        free(n->endpoint);
        free(n->public_key);
        gl_area_free(n->area);
        for (size_t k = 0; k < n->n_addresses; k++)
            free(n->addresses[k]);
        free(n->addresses);
    }
    free(t->nodes);
    for (size_t i = 0; i < t->n_monitors; i++) {
        free(t->monitors[i].name);
        free(t->monitors[i].public_key);
        free(t->monitors[i].scope);
    }
    free(t->monitors);
    gl_policy_free(&t->policy);
    gl_catalogue_free(&t->catalogue);
    gl_category_set_free(&t->community_tasks);
    gl_calendar_free(&t->calendar);
    zhashx_t *index = t->index;
    zhashx_destroy(&index);
    free(t->name);
    free(t->listen_host);
    free(t->bus_in);
    free(t->bus_out);
    free(t->broker_key);
    free(t);
    *tp = NULL;
}

/* ---- endpoint derivation --------------------------------------------- */

/* Which round of derived ports node n takes a port in: 0 if it has a child
 * that is not a department, 1 if all its children are departments, -1 if
 * it has none. */
static int port_round(const gl_topology_t *t, const gl_node_t *n)
{
    if (n->n_children == 0)
        return -1;
    for (size_t c = 0; c < n->n_children; c++)
        if (t->nodes[n->children[c]].tier != GRIDLINK__V1__TIER__TIER_DEPARTMENT)
            return 0;
    return 1;
}

/* Computes every endpoint for port_base into fresh strings, checks they are
 * all distinct, and only then replaces the old ones, so that a failure
 * leaves t as it was. */
int topo_derive_endpoints(gl_topology_t *t, int port_base, char *err, size_t errlen)
{
    size_t n_parents = 0;
    bool need_base = !t->bus_explicit;
    for (size_t i = 0; i < t->n_nodes; i++) {
        if (t->nodes[i].n_children == 0)
            continue;
        n_parents++;
        if (!t->nodes[i].endpoint_explicit)
            need_base = true;
    }
    if (port_base != 0 && (port_base < PORT_BASE_MIN || port_base > PORT_BASE_MAX)) {
        gl_errf(err, errlen, "port_base: %d is outside %d..%d", port_base, PORT_BASE_MIN, PORT_BASE_MAX);
        return GL_EINVAL;
    }
    if (need_base && port_base == 0) {
        gl_errf(err, errlen, "port_base: missing, and needed for endpoints not given in the file");
        return GL_EINVAL;
    }
    if (port_base != 0 && (size_t)port_base + 1 + n_parents > 65535) {
        gl_errf(err, errlen, "port_base: %d leaves no room for %zu derived ports below 65536", port_base,
                n_parents + 2);
        return GL_EINVAL;
    }

    size_t n_eps = 2 + t->n_nodes;
    char **eps = calloc(n_eps, sizeof *eps); /* [0] bus_in, [1] bus_out, [2 + i] node i */
    zhashx_t *seen = zhashx_new();
    int rc = (eps && seen) ? GL_OK : GL_ENOMEM;
    const char *host = t->listen_host ? t->listen_host : DEFAULT_LISTEN_HOST;

    if (rc == 0) {
        if (t->bus_explicit) {
            eps[0] = dup_or_null(t->bus_in);
            eps[1] = dup_or_null(t->bus_out);
        } else {
            eps[0] = zsys_sprintf("tcp://%s:%d", host, port_base);
            eps[1] = zsys_sprintf("tcp://%s:%d", host, port_base + 1);
        }
        if (!eps[0] || !eps[1])
            rc = GL_ENOMEM;
    }
    /* Every node with children takes a slot, explicit or not, so that
     * giving one node an explicit endpoint does not move the others; those
     * with departments only take theirs after all the others, so that
     * adding a department does not either. A node without children has
     * only an explicit endpoint, if any; it is taken in the first round. */
    int k = 0;
    for (int round = 0; rc == 0 && round < 2; round++) {
        for (size_t i = 0; rc == 0 && i < t->n_nodes; i++) {
            const gl_node_t *n = &t->nodes[i];
            int r = port_round(t, n);
            if (r != round && !(r < 0 && round == 0))
                continue;
            int slot = r >= 0 ? k++ : -1;
            if (n->endpoint_explicit)
                eps[2 + i] = dup_or_null(n->endpoint);
            else if (slot >= 0)
                eps[2 + i] = zsys_sprintf("tcp://%s:%d", host, port_base + 2 + slot);
            else
                continue;
            if (!eps[2 + i])
                rc = GL_ENOMEM;
        }
    }
    for (size_t i = 0; rc == 0 && i < n_eps; i++) {
        if (!eps[i])
            continue;
        const char *owner = i == 0 ? "broker bus_in" : i == 1 ? "broker bus_out" : t->nodes[i - 2].id;
        const char *other = zhashx_lookup(seen, eps[i]);
        if (other) {
            gl_errf(err, errlen, "%s%s%s: endpoint %s is also used by %s", i >= 2 ? "node '" : "", owner,
                    i >= 2 ? "'" : "", eps[i], other);
            rc = GL_EINVAL;
            break;
        }
        zhashx_insert(seen, eps[i], (void *)owner);
    }
    if (rc == GL_ENOMEM)
        gl_errf(err, errlen, "out of memory");

    if (rc == 0) {
        free(t->bus_in);
        free(t->bus_out);
        t->bus_in = eps[0];
        t->bus_out = eps[1];
        for (size_t i = 0; i < t->n_nodes; i++) {
            free(t->nodes[i].endpoint);
            t->nodes[i].endpoint = eps[2 + i];
        }
        t->port_base = port_base;
    } else if (eps) {
        for (size_t i = 0; i < n_eps; i++)
            free(eps[i]);
    }
    free(eps);
    zhashx_destroy(&seen);
    return rc;
}

int gl_topology_set_port_base(gl_topology_t *t, int port_base)
{
    if (!t)
        return GL_EINVAL;
    char err[256];
    int http = t->http_port_base ? t->http_port_base + (port_base - t->port_base) : 0;
    if (t->http_port_base && (http < 1024 || http + (int)t->n_nodes >= 65535))
        return GL_EINVAL; /* the HTTP ports, which move along, would not fit */
    int rc = topo_derive_endpoints(t, port_base, err, sizeof err);
    if (rc == 0)
        t->http_port_base = http;
    return rc;
}

int gl_topology_set_key(gl_topology_t *t, const char *node_id, const char *z85)
{
    if (!t || !node_id)
        return GL_EINVAL;
    if (z85 && !gl_key_z85_valid(z85))
        return GL_EINVAL;
    int i = gl_topology_index_of(t, node_id);
    if (i < 0)
        return GL_ENOENT;
    char *copy = NULL;
    if (z85 && !(copy = strdup(z85)))
        return GL_ENOMEM;
    free(t->nodes[i].public_key);
    t->nodes[i].public_key = copy;
    return GL_OK;
}

static void span_of(const char *endpoint, int *lo, int *hi, bool *any)
{
    if (!endpoint || strncmp(endpoint, "tcp://", 6) != 0)
        return;
    const char *colon = strrchr(endpoint, ':');
    int port = colon ? atoi(colon + 1) : 0;
    if (port <= 0)
        return;
    if (!*any || port < *lo)
        *lo = port;
    if (!*any || port > *hi)
        *hi = port;
    *any = true;
}

int gl_topology_broker_http_port(const gl_topology_t *t)
{
    return t->http_port_base ? t->http_port_base + (int)t->n_nodes : 0;
}

bool gl_topology_port_span(const gl_topology_t *t, int *lo, int *hi)
{
    bool any = false;
    for (size_t i = 0; i < t->n_nodes; i++)
        span_of(t->nodes[i].endpoint, lo, hi, &any);
    span_of(t->bus_in, lo, hi, &any);
    span_of(t->bus_out, lo, hi, &any);
    if (t->http_port_base) {
        char ep[64];
        snprintf(ep, sizeof ep, "tcp://h:%d", t->http_port_base);
        span_of(ep, lo, hi, &any);
        snprintf(ep, sizeof ep, "tcp://h:%d", gl_topology_broker_http_port(t));
        span_of(ep, lo, hi, &any);
    }
    return any;
}

bool gl_ephemeral_ports(int *lo, int *hi)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (!f)
        return false;
    bool ok = fscanf(f, "%d %d", lo, hi) == 2 && *lo > 0 && *hi >= *lo;
    fclose(f);
    return ok;
}
