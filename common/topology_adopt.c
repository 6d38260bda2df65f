/* topology_adopt.c: see gl_topology_adopt in topology.h. The shape is
 * compared field by field; the rest is swapped pointer by pointer, so that
 * nothing is copied and nothing that points into live's nodes moves. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "topology.h"

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int differs(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int differs(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return GL_EINVAL;
}

/* GL_OK when fresh has live's shape, else why names the first difference. */
static int same_shape(const gl_topology_t *a, const gl_topology_t *b, bool node_keys, char *why, size_t whylen)
{
    if (a->n_nodes != b->n_nodes)
        return differs(why, whylen, "%zu nodes instead of %zu", b->n_nodes, a->n_nodes);
    if (a->root != b->root)
        return differs(why, whylen, "another district node");
    for (size_t i = 0; i < a->n_nodes; i++) {
        const gl_node_t *x = &a->nodes[i], *y = &b->nodes[i];
        if (strcmp(x->id, y->id) != 0)
            return differs(why, whylen, "node %s where %s was", y->id, x->id);
        if (x->tier != y->tier)
            return differs(why, whylen, "node %s has another tier", x->id);
        if (x->parent != y->parent)
            return differs(why, whylen, "node %s has another parent", x->id);
        if (x->n_children != y->n_children ||
            (x->n_children && memcmp(x->children, y->children, x->n_children * sizeof *x->children) != 0))
            return differs(why, whylen, "node %s has other children", x->id);
        if (!same_str(x->endpoint, y->endpoint))
            return differs(why, whylen, "node %s has another endpoint", x->id);
        if (!node_keys && !x->public_key != !y->public_key)
            return differs(why, whylen, "node %s has a key in one of the two only", x->id);
        if (node_keys && !same_str(x->public_key, y->public_key))
            return differs(why, whylen, "node %s has another key", x->id);
    }
    if (!same_str(a->listen_host, b->listen_host))
        return differs(why, whylen, "another listen_host");
    if (a->port_base != b->port_base || a->http_port_base != b->http_port_base)
        return differs(why, whylen, "another port base");
    if (!same_str(a->bus_in, b->bus_in) || !same_str(a->bus_out, b->bus_out))
        return differs(why, whylen, "other bus endpoints");
    if (!same_str(a->broker_key, b->broker_key))
        return differs(why, whylen, "another broker key");
    return GL_OK;
}

#define SWAP(type, a, b)                                                                                               \
    do {                                                                                                               \
        type tmp_ = (a);                                                                                               \
        (a) = (b);                                                                                                     \
        (b) = tmp_;                                                                                                    \
    } while (0)

static void move_rest(gl_topology_t *live, gl_topology_t *fresh)
{
    SWAP(char *, live->name, fresh->name);
    SWAP(gl_monitor_t *, live->monitors, fresh->monitors);
    SWAP(size_t, live->n_monitors, fresh->n_monitors);
    SWAP(gl_policy_t *, live->policy, fresh->policy);
    SWAP(gl_catalogue_t *, live->catalogue, fresh->catalogue);
    SWAP(gl_category_set_t *, live->community_tasks, fresh->community_tasks);
    SWAP(int, live->return_limit, fresh->return_limit);
    SWAP(int, live->warn_before_s, fresh->warn_before_s);
    SWAP(int, live->retain_days, fresh->retain_days);
    SWAP(gl_calendar_t *, live->calendar, fresh->calendar);
    for (size_t i = 0; i < live->n_nodes; i++) {
        gl_node_t *x = &live->nodes[i], *y = &fresh->nodes[i];
        SWAP(char *, x->name, y->name);
        SWAP(gl_area_t *, x->area, y->area);
        SWAP(char **, x->addresses, y->addresses);
        SWAP(size_t, x->n_addresses, y->n_addresses);
    }
}

int gl_topology_adopt(gl_topology_t *live, gl_topology_t *fresh, char *why, size_t whylen)
{
    if (!live || !fresh)
        return GL_EINVAL;
    int rc = same_shape(live, fresh, true, why, whylen);
    if (rc != GL_OK)
        return rc;
    move_rest(live, fresh);
    return GL_OK;
}

int gl_topology_adopt_keys(gl_topology_t *live, gl_topology_t *fresh, bool keys_only, size_t *changed,
                           size_t *n_changed, char *why, size_t whylen)
{
    if (!live || !fresh || !changed || !n_changed)
        return GL_EINVAL;
    *n_changed = 0;
    int rc = same_shape(live, fresh, false, why, whylen);
    if (rc != GL_OK)
        return rc;
    for (size_t i = 0; i < live->n_nodes; i++) {
        gl_node_t *x = &live->nodes[i], *y = &fresh->nodes[i];
        if (!same_str(x->public_key, y->public_key)) {
            SWAP(char *, x->public_key, y->public_key);
            changed[(*n_changed)++] = i;
        }
    }
    if (!keys_only)
        move_rest(live, fresh);
    return GL_OK;
}
