/* topology.c: loading, validating, deriving and saving the district topology
 * (see topology.h for the file format).
 *
 * A gl_topology_t owns every string, the nodes and monitors arrays, each
 * node's children array, area and address keys, the policy, the catalogue,
 * the community task set, the calendar and the private id -> index map (a
 * czmq zhashx holding index + 1, so that "absent" stays NULL). gl_topology_free
 * releases all of it. Lookups hand out pointers into the topology, valid until
 * it is freed.
 *
 * The file is untrusted input: every JSON value's type is checked, unknown
 * keys are refused (they would be lost on save, and a typo should not pass
 * quietly), and the first problem is reported in err naming the node and the
 * field. Endpoints not given in the file are derived from port_base and are
 * never written back, so that a later change of port_base moves them all. */
#include "topology.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "jsoncheck.h"
#include "error.h"

#define DEFAULT_LISTEN_HOST "127.0.0.1"
#define PORT_BASE_MIN       1024
#define PORT_BASE_MAX       65000
#define MAX_NODES           100000
#define MAX_ENDPOINT_LEN    1024
#define MAX_FILE_SIZE       (64 * 1024 * 1024)
#define NODE_PART_MAX       63
#define MAX_ADDRESSES       256
#define ADDRESS_MAX_LEN     255

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- syntax checks --------------------------------------------------- */

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Explains why s is not a node ID, or returns NULL if it is one. */
static const char *id_problem(const char *s)
{
    if (!s || !*s)
        return "is empty";
    size_t len = strlen(s);
    if (len > GL_NODE_ID_MAX)
        return "is longer than 255 characters";
    size_t part = 0;
    for (const char *p = s;; p++) {
        if (*p == '.' || *p == 0) {
            if (part == 0)
                return "has an empty dotted part";
            if (*p == 0)
                return NULL;
            part = 0;
            continue;
        }
        if (!id_char(*p))
            return "may only contain a-z 0-9 _ - and dots";
        if (++part > NODE_PART_MAX)
            return "has a dotted part longer than 63 characters";
    }
}

bool gl_node_id_valid(const char *s)
{
    return id_problem(s) == NULL;
}

bool gl_topology_in_subtree(const char *ancestor, const char *id)
{
    if (!ancestor || !id || !*ancestor)
        return false;
    size_t n = strlen(ancestor);
    return strncmp(ancestor, id, n) == 0 && (id[n] == 0 || id[n] == '.');
}

bool gl_key_z85_valid(const char *s)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   ".-:+=^!/*?&<>()[]{}@%$#";
    if (!s || strlen(s) != GL_KEY_Z85_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!strchr(alphabet, *p))
            return false;
    /* Every character is in the alphabet; the decoder still rejects groups
     * whose value overflows 32 bits. */
    uint8_t raw[32];
    return zmq_z85_decode(raw, s) != NULL;
}

/* Explains why s is not a host for a tcp:// endpoint, or returns NULL: a DNS
 * name, an IPv4 address, or an IPv6 address in brackets. No wildcard: the
 * same endpoint is bound by one side and connected to by the other. */
static const char *host_problem(const char *s, size_t len)
{
    char buf[256];
    if (len == 0)
        return "the host is empty";
    if (len >= sizeof buf)
        return "the host is longer than 253 characters";
    memcpy(buf, s, len);
    buf[len] = 0;
    uint8_t addr[16];
    if (buf[0] == '[') {
        if (len < 3 || buf[len - 1] != ']')
            return "an IPv6 host must be written [ADDRESS]";
        buf[len - 1] = 0;
        return inet_pton(AF_INET6, buf + 1, addr) == 1 ? NULL : "the host is not an IPv6 address";
    }
    if (len > 253)
        return "the host is longer than 253 characters";
    bool numeric = true;
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = buf[i];
        if (c == '.' || c == 0) {
            if (label == 0 || buf[i - 1] == '-')
                return "the host is not a host name or an IPv4 address";
            label = 0;
            continue;
        }
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && label > 0))
            return "the host is not a host name or an IPv4 address";
        if (++label > 63)
            return "the host has a label longer than 63 characters";
        numeric = numeric && c >= '0' && c <= '9';
    }
    if (numeric && inet_pton(AF_INET, buf, addr) != 1)
        return "the host is not an IPv4 address";
    return NULL;
}

/* Explains why s is not an endpoint a topology may name, or returns NULL:
 * tcp://HOST:PORT with PORT 1..65535, or ipc:// with an absolute, normalised
 * path that fits a unix socket address. Where an ipc endpoint may lie is
 * checked against the home by gl_topology_check_home. */
static const char *endpoint_problem(const char *s)
{
    size_t len = strlen(s);
    if (len > MAX_ENDPOINT_LEN)
        return "is too long";
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return "contains a space or a control character";
    if (strncmp(s, "tcp://", 6) == 0) {
        const char *hp = s + 6, *colon = strrchr(hp, ':');
        if (!colon)
            return "has no port (tcp://HOST:PORT)";
        const char *why = host_problem(hp, (size_t)(colon - hp));
        if (why)
            return why;
        const char *port = colon + 1;
        size_t n = strlen(port);
        if (n == 0 || n > 5 || strspn(port, "0123456789") != n || port[0] == '0' || atoi(port) > 65535)
            return "the port must be 1 to 65535";
        return NULL;
    }
    if (strncmp(s, "ipc://", 6) == 0) {
        const char *path = s + 6;
        if (path[0] != '/')
            return "an ipc path must be absolute (ipc:///PATH)";
        if (strlen(path) > GL_IPC_PATH_MAX)
            return "the path is too long for a unix socket";
        for (const char *p = path; *p; p++) {
            if (*p != '/')
                continue;
            const char *next = p + 1, *end = strchrnul(next, '/');
            size_t part = (size_t)(end - next);
            if (part == 0 || (part == 1 && next[0] == '.') || (part == 2 && next[0] == '.' && next[1] == '.'))
                return "the path has an empty, '.' or '..' part";
        }
        return NULL;
    }
    return "only tcp://HOST:PORT and ipc:///PATH are allowed";
}

static bool host_valid(const char *s)
{
    return host_problem(s, strlen(s)) == NULL;
}

static bool monitor_name_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > NODE_PART_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!id_char(*p))
            return false;
    return true;
}

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
static int derive_endpoints(gl_topology_t *t, int port_base, char *err, size_t errlen)
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
    return derive_endpoints(t, port_base, err, sizeof err);
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
    if (!opt_string(b, "bus_in", &in) || (in && (why = endpoint_problem(in)))) {
        gl_errf(err, errlen, "broker: bus_in %s%.80s%s%s", in ? "'" : "", in ? in : "", in ? "': " : "",
                why ? why : "must be a string");
        return GL_EINVAL;
    }
    if (!opt_string(b, "bus_out", &out) || (out && (why = endpoint_problem(out)))) {
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
        if (!opt_string(m, "name", &name) || !name || !monitor_name_valid(name)) {
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
    const char *why = id_problem(id);
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
    const char *ep_why = ep ? endpoint_problem(ep) : NULL;
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
    static const char *const keys[] = {"name",     "listen_host",  "port_base",  "broker",
                                       "monitors", "sla",          "categories", "community_tasks",
                                       "nodes",    "return_limit", "calendar",   "warn_before_s"};
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
    if (!opt_string(root, "listen_host", &s) || (s && !host_valid(s))) {
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
    return derive_endpoints(t, port_base, err, errlen);
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

/* ---- the home's rules ------------------------------------------------ */

static int check_ipc(const char *owner, const char *ep, const char *run, char *err, size_t errlen)
{
    if (!ep || strncmp(ep, "ipc://", 6) != 0)
        return GL_OK;
    const char *path = ep + 6;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t n = strlen(name);
    bool name_ok = n > 4 && name[0] != '.' && strcmp(name + n - 4, ".ipc") == 0 &&
                   strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
    char dir[PATH_MAX], real[PATH_MAX];
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    bool dir_ok = false;
    if (name_ok && dlen > 0 && dlen < sizeof dir) {
        memcpy(dir, path, dlen);
        dir[dlen] = 0;
        dir_ok = realpath(dir, real) && strcmp(real, run) == 0;
    }
    if (!name_ok || !dir_ok) {
        gl_errf(err, errlen, "%s: endpoint '%.120s' must be an ipc socket %s/NAME.ipc (libzmq replaces what is there)",
                owner, ep, run);
        return GL_EINVAL;
    }
    return GL_OK;
}

int gl_topology_check_home(const gl_topology_t *t, const char *home, char *err, size_t errlen)
{
    if (!t || !home || !*home) {
        gl_errf(err, errlen, "no topology or no home");
        return GL_EINVAL;
    }
    char run[PATH_MAX], real[PATH_MAX];
    if (snprintf(run, sizeof run, "%s/run", home) >= (int)sizeof run) {
        gl_errf(err, errlen, "home path too long");
        return GL_EINVAL;
    }
    if (!realpath(run, real)) {
        /* No run directory yet: it will be HOME/run. */
        if (!realpath(home, real) || strlen(real) + 4 >= sizeof real) {
            gl_errf(err, errlen, "home %.200s: %s", home, strerror(errno));
            return GL_EINVAL;
        }
        strcat(real, "/run");
    }
    int rc = check_ipc("broker bus_in", t->bus_in, real, err, errlen);
    if (rc == 0)
        rc = check_ipc("broker bus_out", t->bus_out, real, err, errlen);
    for (size_t i = 0; rc == 0 && i < t->n_nodes; i++) {
        char owner[GL_NODE_ID_MAX + 16];
        snprintf(owner, sizeof owner, "node '%s'", t->nodes[i].id);
        rc = check_ipc(owner, t->nodes[i].endpoint, real, err, errlen);
    }
    return rc;
}

/* ---- saving ---------------------------------------------------------- */

static int set_str(json_t *o, const char *key, const char *val)
{
    return val ? json_object_set_new(o, key, json_string(val)) : 0;
}

static json_t *to_json(const gl_topology_t *t)
{
    json_t *root = json_object();
    int rc = root ? 0 : -1;
    if (rc == 0)
        rc = set_str(root, "name", t->name ? t->name : "");
    if (rc == 0)
        rc = set_str(root, "listen_host", t->listen_host);
    if (rc == 0 && t->port_base)
        rc = json_object_set_new(root, "port_base", json_integer(t->port_base));
    if (rc == 0 && t->return_limit)
        rc = json_object_set_new(root, "return_limit", json_integer(t->return_limit));
    if (rc == 0 && t->warn_before_s != GL_WARN_BEFORE_DEFAULT_S)
        rc = json_object_set_new(root, "warn_before_s", json_integer(t->warn_before_s));
    if (rc == 0 && (t->bus_explicit || t->broker_key)) {
        json_t *b = json_object();
        rc = b ? 0 : -1;
        if (rc == 0 && t->bus_explicit)
            rc = set_str(b, "bus_in", t->bus_in) || set_str(b, "bus_out", t->bus_out);
        if (rc == 0)
            rc = set_str(b, "public_key", t->broker_key);
        if (rc == 0)
            rc = json_object_set_new(root, "broker", b);
        else
            json_decref(b);
    }
    if (rc == 0 && t->n_monitors > 0) {
        json_t *arr = json_array();
        rc = arr ? json_object_set_new(root, "monitors", arr) : -1;
        for (size_t i = 0; rc == 0 && i < t->n_monitors; i++) {
            json_t *m = json_object();
            rc = m ? json_array_append_new(arr, m) : -1;
            if (rc == 0)
                rc = set_str(m, "name", t->monitors[i].name) || set_str(m, "public_key", t->monitors[i].public_key) ||
                     set_str(m, "scope", t->monitors[i].scope);
        }
    }
    if (rc == 0) {
        json_t *sla = gl_policy_to_json(t->policy);
        rc = sla ? json_object_set_new(root, "sla", sla) : -1;
    }
    if (rc == 0 && t->catalogue && !t->catalogue->builtin) {
        json_t *cats = gl_catalogue_to_json(t->catalogue);
        rc = cats ? json_object_set_new(root, "categories", cats) : -1;
    }
    if (rc == 0) {
        json_t *tasks = gl_category_set_to_json(t->community_tasks);
        rc = tasks ? json_object_set_new(root, "community_tasks", tasks) : -1;
    }
    if (rc == 0 && t->calendar && !gl_calendar_builtin(t->calendar)) {
        json_t *cal = gl_calendar_to_json(t->calendar);
        rc = cal ? json_object_set_new(root, "calendar", cal) : -1;
    }
    if (rc == 0) {
        json_t *arr = json_array();
        rc = arr ? json_object_set_new(root, "nodes", arr) : -1;
        for (size_t i = 0; rc == 0 && i < t->n_nodes; i++) {
            const gl_node_t *n = &t->nodes[i];
            json_t *o = json_object();
            rc = o ? json_array_append_new(arr, o) : -1;
            if (rc == 0)
                rc =
                    set_str(o, "id", n->id) || set_str(o, "tier", gl_tier_name(n->tier)) || set_str(o, "name", n->name);
            if (rc == 0 && n->endpoint_explicit)
                rc = set_str(o, "endpoint", n->endpoint);
            if (rc == 0 && n->area) {
                json_t *area = gl_area_to_json(n->area);
                rc = area ? json_object_set_new(o, "area", area) : -1;
            }
            if (rc == 0 && n->n_addresses > 0) {
                json_t *keys = json_array();
                rc = keys ? json_object_set_new(o, "addresses", keys) : -1;
                for (size_t k = 0; rc == 0 && k < n->n_addresses; k++)
                    rc = json_array_append_new(keys, json_string(n->addresses[k]));
            }
            if (rc == 0)
                rc = set_str(o, "public_key", n->public_key);
        }
    }
    if (rc != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* fsync the directory holding path, so that a rename into it is durable. */
static void sync_parent_dir(const char *path)
{
    char copy[PATH_MAX];
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int gl_topology_save(const gl_topology_t *t, const char *path)
{
    if (!t || !path)
        return GL_EINVAL;
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return GL_EINVAL;
    json_t *root = to_json(t);
    if (!root)
        return GL_ENOMEM;
    int rc = GL_OK;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        rc = gl_err_from_errno(errno);
        json_decref(root);
        return rc;
    }
    errno = 0;
    if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) != 0 ||
        fputc('\n', f) == EOF || fflush(f) != 0)
        rc = gl_err_from_errno(errno ? errno : EIO);
    if (rc == 0 && fsync(fileno(f)) != 0)
        rc = gl_err_from_errno(errno);
    if (fclose(f) != 0 && rc == 0)
        rc = gl_err_from_errno(errno);
    json_decref(root);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = gl_err_from_errno(errno);
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    sync_parent_dir(path);
    return GL_OK;
}
