/* topology_load.c: reading a topology (gl_topology_load_file,
 * gl_topology_load_buffer): each section of the file parsed and checked
 * (broker, monitors, categories with the community tasks and SLA rules,
 * calendar, nodes with their areas and address keys), the nodes linked into
 * the tree and the id index built, then the endpoints derived (topology.c).
 * On success the topology belongs to the caller (gl_topology_free); on
 * failure whatever was built is freed here.
 *
 * The file is untrusted input: every JSON value's type is checked, unknown
 * keys are refused (they would be lost on save, and a typo should not pass
 * quietly), and the first problem is reported in err naming the node and the
 * field. */
#include "topology.h"

#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"
#include "error.h"
#include "topology_int.h"

#define MAX_NODES       100000
#define MAX_FILE_SIZE   (64 * 1024 * 1024)
#define MAX_ADDRESSES   256
#define ADDRESS_MAX_LEN 255

/* ---- JSON helpers ---------------------------------------------------- */

/* Optional string member: *out NULL when absent or JSON null; false if the
 * member has another type. */
static bool opt_string(const json_t *obj, const char *key, const char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v))
        return false;
    *out = json_string_value(v);
    return true;
}

/* ---- loading --------------------------------------------------------- */

static int parse_broker(gl_topology_t *t, const json_t *b, char *err, size_t errlen)
{
    static const char *const keys[] = {"bus_in", "bus_out", "public_key"};
    const char *bad = NULL, *in = NULL, *out = NULL, *key = NULL;
    if (!json_is_object(b)) {
        gl_errf(err, errlen, "broker: must be an object");
        return GL_EINVAL;
    }
    if (!gl_json_only_keys(b, keys, 3, &bad)) {
        gl_errf(err, errlen, "broker: unknown key '%.40s'", bad);
        return GL_EINVAL;
    }
    const char *why = NULL;
    if (!opt_string(b, "bus_in", &in) || (in && (why = topo_endpoint_problem(in)))) {
        gl_errf(err, errlen, "broker: bus_in %s%.80s%s%s", in ? "'" : "", in ? in : "", in ? "': " : "",
                why ? why : "must be a string");
        return GL_EINVAL;
    }
    if (!opt_string(b, "bus_out", &out) || (out && (why = topo_endpoint_problem(out)))) {
        gl_errf(err, errlen, "broker: bus_out %s%.80s%s%s", out ? "'" : "", out ? out : "", out ? "': " : "",
                why ? why : "must be a string");
        return GL_EINVAL;
    }
    if ((in == NULL) != (out == NULL)) {
        gl_errf(err, errlen, "broker: bus_in and bus_out must be given together");
        return GL_EINVAL;
    }
    if (!opt_string(b, "public_key", &key) || (key && !gl_key_z85_valid(key))) {
        gl_errf(err, errlen, "broker: public_key must be a 40-character Z85 key");
        return GL_EINVAL;
    }
    t->bus_explicit = in != NULL;
    t->bus_in = dup_or_null(in);
    t->bus_out = dup_or_null(out);
    t->broker_key = dup_or_null(key);
    if ((in && (!t->bus_in || !t->bus_out)) || (key && !t->broker_key)) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    return GL_OK;
}

static int parse_monitors(gl_topology_t *t, const json_t *arr, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "public_key", "scope"};
    if (!json_is_array(arr)) {
        gl_errf(err, errlen, "monitors: must be an array");
        return GL_EINVAL;
    }
    size_t n = json_array_size(arr);
    if (n == 0)
        return GL_OK;
    t->monitors = calloc(n, sizeof *t->monitors);
    if (!t->monitors) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *m = json_array_get(arr, i);
        const char *bad = NULL, *name = NULL, *key = NULL, *scope = NULL;
        if (!json_is_object(m)) {
            gl_errf(err, errlen, "monitors[%zu]: must be an object", i);
            return GL_EINVAL;
        }
        if (!gl_json_only_keys(m, keys, 3, &bad)) {
            gl_errf(err, errlen, "monitors[%zu]: unknown key '%.40s'", i, bad);
            return GL_EINVAL;
        }
        if (!opt_string(m, "name", &name) || !name || !topo_monitor_name_valid(name)) {
            gl_errf(err, errlen, "monitors[%zu]: name must be 1..63 characters of a-z 0-9 _ -", i);
            return GL_EINVAL;
        }
        for (size_t j = 0; j < t->n_monitors; j++) {
            if (strcmp(t->monitors[j].name, name) == 0) {
                gl_errf(err, errlen, "monitor '%s': listed twice", name);
                return GL_EINVAL;
            }
        }
        if (!opt_string(m, "public_key", &key) || !key || !gl_key_z85_valid(key)) {
            gl_errf(err, errlen, "monitor '%s': public_key must be a 40-character Z85 key", name);
            return GL_EINVAL;
        }
        if (!opt_string(m, "scope", &scope) || (scope && !gl_node_id_valid(scope))) {
            gl_errf(err, errlen, "monitor '%s': scope must be a node id", name);
            return GL_EINVAL;
        }
        t->monitors[i].name = strdup(name);
        t->monitors[i].public_key = strdup(key);
        t->monitors[i].scope = dup_or_null(scope);
        t->n_monitors++;
        if (!t->monitors[i].name || !t->monitors[i].public_key || (scope && !t->monitors[i].scope)) {
            gl_errf(err, errlen, "out of memory");
            return GL_ENOMEM;
        }
    }
    return GL_OK;
}

/* Explains why s is not an address key, or returns NULL. */
static const char *address_problem(const json_t *v)
{
    if (!json_is_string(v))
        return "is not a string";
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0)
        return "is empty";
    if (len > ADDRESS_MAX_LEN)
        return "is longer than 255 bytes";
    if (strlen(s) != len)
        return "contains a NUL";
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "contains a control character";
    return NULL;
}

/* A community's address keys, checked and copied into n. */
static int parse_addresses(gl_node_t *n, const json_t *v, char *err, size_t errlen)
{
    if (!json_is_array(v)) {
        gl_errf(err, errlen, "node '%s': addresses must be an array of strings", n->id);
        return GL_EINVAL;
    }
    size_t count = json_array_size(v);
    if (count > MAX_ADDRESSES) {
        gl_errf(err, errlen, "node '%s': %zu addresses, at most %d supported", n->id, count, MAX_ADDRESSES);
        return GL_EINVAL;
    }
    if (count == 0)
        return GL_OK;
    if (!(n->addresses = calloc(count, sizeof *n->addresses))) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t k = 0; k < count; k++) {
        const json_t *a = json_array_get(v, k);
        const char *why = address_problem(a);
        if (why) {
            gl_errf(err, errlen, "node '%s': addresses[%zu] %s (an address key is 1..255 bytes of UTF-8 text)", n->id,
                    k, why);
            return GL_EINVAL;
        }
        const char *s = json_string_value(a);
        for (size_t j = 0; j < n->n_addresses; j++) {
            if (strcmp(n->addresses[j], s) == 0) {
                gl_errf(err, errlen, "node '%s': address '%s' listed twice", n->id, s);
                return GL_EINVAL;
            }
        }
        if (!(n->addresses[k] = strdup(s))) {
            gl_errf(err, errlen, "out of memory");
            return GL_ENOMEM;
        }
        n->n_addresses++;
    }
    return GL_OK;
}

/* A node's optional place: a grid's area, a community's address keys. */
static int parse_place(gl_node_t *n, const json_t *o, char *err, size_t errlen)
{
    const json_t *area = json_object_get(o, "area");
    const json_t *addresses = json_object_get(o, "addresses");
    if (area && !json_is_null(area)) {
        if (n->tier != GRIDLINK__V1__TIER__TIER_GRID) {
            gl_errf(err, errlen, "node '%s': area given, but only a grid has an area", n->id);
            return GL_EINVAL;
        }
        char why[200];
        int rc = gl_area_parse(area, &n->area, why, sizeof why);
        if (rc == GL_ENOMEM)
            gl_errf(err, errlen, "out of memory");
        else if (rc != 0)
            gl_errf(err, errlen, "node '%s': area: %s", n->id, why);
        if (rc != 0)
            return rc;
    }
    if (addresses && !json_is_null(addresses)) {
        if (n->tier != GRIDLINK__V1__TIER__TIER_COMMUNITY) {
            gl_errf(err, errlen, "node '%s': addresses given, but only a community has address keys", n->id);
            return GL_EINVAL;
        }
        return parse_addresses(n, addresses, err, errlen);
    }
    return GL_OK;
}

static int parse_node(gl_topology_t *t, size_t i, const json_t *o, char *err, size_t errlen)
{
    static const char *const keys[] = {"id", "tier", "name", "endpoint", "public_key", "area", "addresses"};
    gl_node_t *n = &t->nodes[i];
    const char *bad = NULL, *id = NULL, *tier = NULL, *name = NULL, *ep = NULL, *key = NULL;
    n->parent = -1;

    if (!json_is_object(o)) {
        gl_errf(err, errlen, "nodes[%zu]: must be an object", i);
        return GL_EINVAL;
    }
    if (!opt_string(o, "id", &id) || !id) {
        gl_errf(err, errlen, "nodes[%zu]: id missing or not a string", i);
        return GL_EINVAL;
    }
    const char *why = topo_id_problem(id);
    if (why) {
        gl_errf(err, errlen, "node '%.255s': id %s", id, why);
        return GL_EINVAL;
    }
    if (!gl_json_only_keys(o, keys, sizeof keys / sizeof keys[0], &bad)) {
        gl_errf(err, errlen, "node '%s': unknown key '%.40s'", id, bad);
        return GL_EINVAL;
    }
    int tv = opt_string(o, "tier", &tier) && tier ? gl_tier_parse(tier) : -1;
    if (tv <= GRIDLINK__V1__TIER__TIER_UNKNOWN) {
        gl_errf(err, errlen, "node '%s': tier must be district, township, community, grid or department", id);
        return GL_EINVAL;
    }
    if (!opt_string(o, "name", &name) || !name || !*name || strlen(name) > 255) {
        gl_errf(err, errlen, "node '%s': name must be a non-empty string of at most 255 bytes", id);
        return GL_EINVAL;
    }
    if (!opt_string(o, "endpoint", &ep)) {
        gl_errf(err, errlen, "node '%s': endpoint must be a string", id);
        return GL_EINVAL;
    }
    const char *ep_why = ep ? topo_endpoint_problem(ep) : NULL;
    if (ep_why) {
        gl_errf(err, errlen, "node '%s': endpoint '%.80s': %s", id, ep, ep_why);
        return GL_EINVAL;
    }
    if (ep && (tv == GRIDLINK__V1__TIER__TIER_GRID || tv == GRIDLINK__V1__TIER__TIER_DEPARTMENT)) {
        gl_errf(err, errlen, "node '%s': endpoint given, but a %s binds nothing", id, gl_tier_name(tv));
        return GL_EINVAL;
    }
    if (!opt_string(o, "public_key", &key) || (key && !gl_key_z85_valid(key))) {
        gl_errf(err, errlen, "node '%s': public_key must be a 40-character Z85 key", id);
        return GL_EINVAL;
    }
    n->id = strdup(id);
    n->name = strdup(name);
    n->tier = (Gridlink__V1__Tier)tv;
    n->endpoint = dup_or_null(ep);
    n->endpoint_explicit = ep != NULL;
    n->public_key = dup_or_null(key);
    if (!n->id || !n->name || (ep && !n->endpoint) || (key && !n->public_key)) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    return parse_place(n, o, err, errlen);
}

/* Finds each node's parent (its ID minus the last part), checks tiers (one
 * up, or the district or a township for a department) and the single root,
 * and fills the children arrays in file order. */
static int link_nodes(gl_topology_t *t, char *err, size_t errlen)
{
    t->root = -1;
    for (size_t i = 0; i < t->n_nodes; i++) {
        gl_node_t *n = &t->nodes[i];
        const char *dot = strrchr(n->id, '.');
        if (n->tier == GRIDLINK__V1__TIER__TIER_DISTRICT) {
            if (dot) {
                gl_errf(err, errlen, "node '%s': a district is the root and cannot sit under '%.*s'", n->id,
                        (int)(dot - n->id), n->id);
                return GL_EINVAL;
            }
            if (t->root >= 0) {
                gl_errf(err, errlen, "node '%s': second district, '%s' is already the root", n->id,
                        t->nodes[t->root].id);
                return GL_EINVAL;
            }
            t->root = (int)i;
            continue;
        }
        if (!dot) {
            gl_errf(err, errlen, "node '%s': a %s needs a parent; its id must be a dotted path under the district",
                    n->id, gl_tier_name(n->tier));
            return GL_EINVAL;
        }
        char parent_id[GL_NODE_ID_MAX + 1];
        size_t plen = (size_t)(dot - n->id);
        memcpy(parent_id, n->id, plen);
        parent_id[plen] = 0;
        int p = gl_topology_index_of(t, parent_id);
        if (p < 0) {
            gl_errf(err, errlen, "node '%s': parent '%s' not found", n->id, parent_id);
            return GL_EINVAL;
        }
        Gridlink__V1__Tier pt = t->nodes[p].tier;
        if (pt == GRIDLINK__V1__TIER__TIER_DEPARTMENT) {
            gl_errf(err, errlen, "node '%s': parent '%s' is a department, and nothing sits under a department", n->id,
                    parent_id);
            return GL_EINVAL;
        }
        if (n->tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT) {
            if (pt != GRIDLINK__V1__TIER__TIER_DISTRICT && pt != GRIDLINK__V1__TIER__TIER_TOWNSHIP) {
                gl_errf(err, errlen,
                        "node '%s': parent '%s' is a %s, but a department sits under the district or a township", n->id,
                        parent_id, gl_tier_name(pt));
                return GL_EINVAL;
            }
        } else if (pt != n->tier - 1) {
            gl_errf(err, errlen, "node '%s': parent '%s' is a %s, expected %s", n->id, parent_id, gl_tier_name(pt),
                    gl_tier_name(n->tier - 1));
            return GL_EINVAL;
        }
        n->parent = p;
        t->nodes[p].n_children++;
    }
    if (t->root < 0) {
        gl_errf(err, errlen, "nodes: no district (the root of the tree)");
        return GL_EINVAL;
    }
    for (size_t i = 0; i < t->n_nodes; i++) {
        gl_node_t *n = &t->nodes[i];
        if (n->n_children == 0)
            continue;
        n->children = calloc(n->n_children, sizeof *n->children);
        if (!n->children) {
            gl_errf(err, errlen, "out of memory");
            return GL_ENOMEM;
        }
        n->n_children = 0; /* refilled below */
    }
    for (size_t i = 0; i < t->n_nodes; i++) {
        int p = t->nodes[i].parent;
        if (p >= 0)
            t->nodes[p].children[t->nodes[p].n_children++] = (int)i;
    }
    return GL_OK;
}

/* The catalogue (or the built-in one), the community tasks against it, and
 * the SLA rules, whose categories must be in it. */
static int parse_categories(gl_topology_t *t, const json_t *root, char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, "categories");
    int rc;
    if (v && !json_is_null(v)) {
        rc = gl_catalogue_from_json(v, &t->catalogue, err, errlen);
    } else if ((rc = gl_catalogue_default(&t->catalogue)) != 0) {
        gl_errf(err, errlen, rc == GL_ENOMEM ? "out of memory" : "categories: the built-in catalogue is invalid");
        return rc;
    }
    if (rc != 0)
        return rc;
    v = json_object_get(root, "community_tasks");
    rc = v && !json_is_null(v)
             ? gl_category_set_from_json(t->catalogue, v, "community_tasks", &t->community_tasks, err, errlen)
             : gl_category_set_empty(&t->community_tasks);
    if (rc == GL_ENOMEM)
        gl_errf(err, errlen, "out of memory");
    if (rc != 0)
        return rc;
    v = json_object_get(root, "sla");
    if ((rc = gl_policy_from_json(json_is_null(v) ? NULL : v, &t->policy, err, errlen)) != 0)
        return rc;
    for (size_t i = 0; i < t->policy->n_rules; i++) {
        const char *cat = t->policy->rules[i].category;
        if (cat && !gl_category_find(t->catalogue, cat)) {
            gl_errf(err, errlen, "sla[%zu]: category '%s' is not in the catalogue", i, cat);
            return GL_EINVAL;
        }
    }
    t->policy->defaults = t->catalogue;
    return GL_OK;
}

static int parse_root(gl_topology_t *t, const json_t *root, char *err, size_t errlen)
{
    static const char *const keys[] = {"name",     "listen_host",   "port_base",       "broker",     "monitors",
                                       "sla",      "categories",    "community_tasks", "nodes",      "return_limit",
                                       "calendar", "warn_before_s", "http_port_base",  "retain_days"};
    const char *bad = NULL, *s = NULL;
    int rc;

    if (!json_is_object(root)) {
        gl_errf(err, errlen, "topology: must be a JSON object");
        return GL_EINVAL;
    }
    if (!gl_json_only_keys(root, keys, sizeof keys / sizeof keys[0], &bad)) {
        gl_errf(err, errlen, "topology: unknown key '%.40s'", bad);
        return GL_EINVAL;
    }
    if (!opt_string(root, "name", &s) || (s && strlen(s) > 255)) {
        gl_errf(err, errlen, "name: must be a string of at most 255 bytes");
        return GL_EINVAL;
    }
    t->name = strdup(s ? s : "");
    if (!opt_string(root, "listen_host", &s) || (s && !topo_host_valid(s))) {
        gl_errf(err, errlen, "listen_host: must be a host name, an IPv4 address or an [IPv6] address");
        return GL_EINVAL;
    }
    t->listen_host = strdup(s ? s : DEFAULT_LISTEN_HOST);
    if (!t->name || !t->listen_host) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }

    int port_base = 0;
    const json_t *v = json_object_get(root, "port_base");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < PORT_BASE_MIN || json_integer_value(v) > PORT_BASE_MAX) {
            gl_errf(err, errlen, "port_base: must be an integer in %d..%d", PORT_BASE_MIN, PORT_BASE_MAX);
            return GL_EINVAL;
        }
        port_base = (int)json_integer_value(v);
    }

    v = json_object_get(root, "http_port_base");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1024 || json_integer_value(v) > 60000) {
            gl_errf(err, errlen, "http_port_base: must be an integer in 1024..60000");
            return GL_EINVAL;
        }
        t->http_port_base = (int)json_integer_value(v);
    }

    v = json_object_get(root, "return_limit");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100) {
            gl_errf(err, errlen, "return_limit: must be an integer in 1..100");
            return GL_EINVAL;
        }
        t->return_limit = (int)json_integer_value(v);
    }

    t->warn_before_s = GL_WARN_BEFORE_DEFAULT_S;
    v = json_object_get(root, "warn_before_s");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 7 * 86400) {
            gl_errf(err, errlen, "warn_before_s: must be an integer in 0..604800 (0: no warnings)");
            return GL_EINVAL;
        }
        t->warn_before_s = (int)json_integer_value(v);
    }

    t->retain_days = GL_RETAIN_DAYS_DEFAULT;
    v = json_object_get(root, "retain_days");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 36500) {
            gl_errf(err, errlen, "retain_days: must be an integer in 0..36500 (0: keep everything)");
            return GL_EINVAL;
        }
        t->retain_days = (int)json_integer_value(v);
    }

    v = json_object_get(root, "broker");
    if (v && !json_is_null(v) && (rc = parse_broker(t, v, err, errlen)) != 0)
        return rc;
    v = json_object_get(root, "monitors");
    if (v && !json_is_null(v) && (rc = parse_monitors(t, v, err, errlen)) != 0)
        return rc;
    if ((rc = parse_categories(t, root, err, errlen)) != 0)
        return rc;
    v = json_object_get(root, "calendar");
    if ((rc = gl_calendar_from_json(json_is_null(v) ? NULL : v, &t->calendar, err, errlen)) != 0)
        return rc;

    const json_t *nodes = json_object_get(root, "nodes");
    if (!json_is_array(nodes) || json_array_size(nodes) == 0) {
        gl_errf(err, errlen, "nodes: must be a non-empty array");
        return GL_EINVAL;
    }
    size_t n = json_array_size(nodes);
    if (n > MAX_NODES) {
        gl_errf(err, errlen, "nodes: %zu nodes, at most %d supported", n, MAX_NODES);
        return GL_EINVAL;
    }
    t->nodes = calloc(n, sizeof *t->nodes);
    t->index = zhashx_new();
    if (!t->nodes || !t->index) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        rc = parse_node(t, i, json_array_get(nodes, i), err, errlen);
        t->n_nodes = i + 1; /* so that free sees the partly filled node */
        if (rc != 0)
            return rc;
        int first = gl_topology_index_of(t, t->nodes[i].id);
        if (first >= 0) {
            gl_errf(err, errlen, "node '%s': duplicate id (first at nodes[%d])", t->nodes[i].id, first);
            return GL_EINVAL;
        }
        zhashx_insert(t->index, t->nodes[i].id, (void *)(intptr_t)(i + 1));
    }
    if ((rc = link_nodes(t, err, errlen)) != 0)
        return rc;
    for (size_t i = 0; i < t->n_monitors; i++) {
        if (t->monitors[i].scope && !gl_topology_find(t, t->monitors[i].scope)) {
            gl_errf(err, errlen, "monitor '%s': scope '%s' is not a node of the topology", t->monitors[i].name,
                    t->monitors[i].scope);
            return GL_EINVAL;
        }
    }
    const char *unit;
    for (size_t i = 0; (unit = gl_calendar_unit_node(t->calendar, i)); i++) {
        if (!gl_topology_find(t, unit)) {
            gl_errf(err, errlen, "calendar.units[%zu]: '%s' is not a node of the topology", i, unit);
            return GL_EINVAL;
        }
    }
    return topo_derive_endpoints(t, port_base, err, errlen);
}

int gl_topology_load_buffer(const char *json, size_t len, gl_topology_t **out, char *err, size_t errlen)
{
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (!json) {
        gl_errf(err, errlen, "topology: no input");
        return GL_EINVAL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        gl_errf(err, errlen, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return GL_EINVAL;
    }
    gl_topology_t *t = calloc(1, sizeof *t);
    int rc = t ? parse_root(t, root, err, errlen) : GL_ENOMEM;
    json_decref(root);
    if (rc != 0) {
        if (!t)
            gl_errf(err, errlen, "out of memory");
        gl_topology_free(&t);
        return rc;
    }
    *out = t;
    return GL_OK;
}

int gl_topology_load_file(const char *path, gl_topology_t **out, char *err, size_t errlen)
{
    if (!out || !path)
        return GL_EINVAL;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        gl_errf(err, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT ? GL_ENOENT : GL_EIO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = GL_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_SIZE) {
                gl_errf(err, errlen, "%s: larger than %d bytes", path, MAX_FILE_SIZE);
                rc = GL_EINVAL;
                break;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                gl_errf(err, errlen, "out of memory");
                rc = GL_ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                gl_errf(err, errlen, "%s: read error", path);
                rc = GL_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (rc == 0)
        rc = gl_topology_load_buffer(buf, len, out, err, errlen);
    free(buf);
    return rc;
}
