/* topology_check.c: what the strings of a topology may be. Node IDs
 * (gl_node_id_valid, and gl_topology_in_subtree on their dotted paths), Z85
 * keys (gl_key_z85_valid), and for topology_load.c hosts, endpoints and
 * monitor names (topology_int.h); then where an ipc endpoint may lie in the
 * home that runs the topology (gl_topology_check_home). Nothing here
 * allocates: the reasons returned are static strings, and check_home writes
 * its one into the caller's err. */
#include "topology.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "error.h"
#include "topology_int.h"

#define MAX_ENDPOINT_LEN 1024
#define NODE_PART_MAX    63

/* ---- syntax checks --------------------------------------------------- */

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Explains why s is not a node ID, or returns NULL if it is one. */
const char *topo_id_problem(const char *s)
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
    return topo_id_problem(s) == NULL;
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
const char *topo_endpoint_problem(const char *s)
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

bool topo_host_valid(const char *s)
{
    return host_problem(s, strlen(s)) == NULL;
}

bool topo_monitor_name_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > NODE_PART_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!id_char(*p))
            return false;
    return true;
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
