/* topology_save.c: writing a topology back to its file (gl_topology_save):
 * the JSON writer and the atomic replace (PATH.tmp, fsync, rename, then an
 * fsync of the directory). Derived endpoints, the built-in catalogue and the
 * built-in calendar are left out, so that loading the file derives them
 * again. The topology is only read; the JSON tree is built and freed here. */
#include "topology.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "error.h"

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
    if (rc == 0 && t->http_port_base)
        rc = json_object_set_new(root, "http_port_base", json_integer(t->http_port_base));
    if (rc == 0 && t->return_limit)
        rc = json_object_set_new(root, "return_limit", json_integer(t->return_limit));
    if (rc == 0 && t->warn_before_s != GL_WARN_BEFORE_DEFAULT_S)
        rc = json_object_set_new(root, "warn_before_s", json_integer(t->warn_before_s));
    if (rc == 0 && t->retain_days != GL_RETAIN_DAYS_DEFAULT)
        rc = json_object_set_new(root, "retain_days", json_integer(t->retain_days));
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
