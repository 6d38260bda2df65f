/* keys.c: CurveZMQ keypairs on disk, one czmq zcert per name (see keys.h).
 *
 * Files live in HOME/keys (mode 0700): NAME.cert holds the public key,
 * NAME.cert_secret both keys (mode 0600). A new pair is first written under
 * the name NAME.cert.new (its secret file created 0600 before any key byte is
 * written), flushed to disk, and then renamed into place secret first, public
 * last; a pair counts as present only when both files exist, so a crash at
 * any point leaves either the old state or a complete pair.
 *
 * gl_keys_load hands the caller a zcert_t to destroy; gl_keys_ensure copies
 * public keys into the topology, which owns those copies. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "home.h"
#include "log.h"

#define BROKER_NAME   "broker"
#define OPERATOR_NAME "operator"

static int keys_dir(const char *home, char *buf, size_t size)
{
    if (!home || !*home)
        return GL_EINVAL;
    return gl_home_path(buf, size, home, "keys");
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool all_zero(const byte *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Loads NAME from dir: GL_ENOENT unless both files exist, GL_EIO if they do
 * but do not hold a usable keypair. */
static int load_from(const char *dir, const char *name, zcert_t **out)
{
    char pub[PATH_MAX], sec[PATH_MAX];
    *out = NULL;
    if (snprintf(pub, sizeof pub, "%s/%s.cert", dir, name) >= (int)sizeof pub ||
        snprintf(sec, sizeof sec, "%s/%s.cert_secret", dir, name) >= (int)sizeof sec)
        return GL_EINVAL;
    if (!file_exists(pub) || !file_exists(sec))
        return GL_ENOENT;
    zcert_t *cert = zcert_load(pub);
    if (!cert || all_zero(zcert_secret_key(cert), 32) || !gl_key_z85_valid(zcert_public_txt(cert))) {
        zcert_destroy(&cert);
        return GL_EIO;
    }
    *out = cert;
    return GL_OK;
}

int gl_keys_load(const char *home, const char *name, zcert_t **out)
{
    char dir[PATH_MAX];
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (!gl_node_id_valid(name) || keys_dir(home, dir, sizeof dir) != 0)
        return GL_EINVAL;
    return load_from(dir, name, out);
}

/* Writes a fresh pair for name as NAME.cert.new{,_secret}; *pub gets the
 * public key (41 bytes). */
static int generate(const char *dir, const char *name, char *pub)
{
    char base[PATH_MAX], sec[PATH_MAX];
    if (snprintf(base, sizeof base, "%s/%s.cert.new", dir, name) >= (int)sizeof base ||
        snprintf(sec, sizeof sec, "%s_secret", base) >= (int)sizeof sec)
        return GL_EINVAL;
    /* Create the secret file 0600 before zcert_save fills it, so the secret
     * is never readable by others, whatever the umask. */
    unlink(sec);
    int fd = open(sec, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return gl_err_from_errno(errno);
    int rc = fchmod(fd, 0600) == 0 ? GL_OK : gl_err_from_errno(errno);
    close(fd);
    if (rc != 0)
        return rc;

    zcert_t *cert = zcert_new();
    if (!cert)
        return GL_ENOMEM;
    zcert_set_meta(cert, "name", "%s", name);
    zcert_set_meta(cert, "created-by", "gridlink");
    if (zcert_save(cert, base) != 0) {
        rc = GL_EIO;
        unlink(base);
        unlink(sec);
    } else {
        memcpy(pub, zcert_public_txt(cert), GL_KEY_Z85_LEN + 1);
    }
    zcert_destroy(&cert);
    return rc;
}

/* Moves a generated pair into place: secret first, so that the public file,
 * whose presence makes the pair count, appears last. */
static int install(const char *dir, const char *name)
{
    char from[PATH_MAX], to[PATH_MAX];
    if (snprintf(from, sizeof from, "%s/%s.cert.new_secret", dir, name) >= (int)sizeof from ||
        snprintf(to, sizeof to, "%s/%s.cert_secret", dir, name) >= (int)sizeof to)
        return GL_EINVAL;
    if (rename(from, to) != 0)
        return gl_err_from_errno(errno);
    chmod(to, 0600);
    if (snprintf(from, sizeof from, "%s/%s.cert.new", dir, name) >= (int)sizeof from ||
        snprintf(to, sizeof to, "%s/%s.cert", dir, name) >= (int)sizeof to)
        return GL_EINVAL;
    if (rename(from, to) != 0)
        return gl_err_from_errno(errno);
    return GL_OK;
}

int gl_keys_rotate(const char *home, const char *name, char *pub)
{
    char dir[PATH_MAX], path[PATH_MAX];
    if (!name || !pub || keys_dir(home, dir, sizeof dir) != 0 ||
        snprintf(path, sizeof path, "%s/%s.cert", dir, name) >= (int)sizeof path)
        return GL_EINVAL;
    if (!file_exists(path))
        return GL_ENOENT;
    int rc = generate(dir, name, pub);
    if (rc != 0)
        return rc;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0 && syncfs(dfd) != 0)
        rc = gl_err_from_errno(errno);
    if (rc == 0)
        rc = install(dir, name);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return rc;
}

static int set_operator(gl_topology_t *t, const char *z85)
{
    for (size_t i = 0; i < t->n_monitors; i++) {
        if (strcmp(t->monitors[i].name, OPERATOR_NAME) != 0)
            continue;
        char *copy = strdup(z85);
        if (!copy)
            return GL_ENOMEM;
        free(t->monitors[i].public_key);
        t->monitors[i].public_key = copy;
        return GL_OK;
    }
    gl_monitor_t *m = realloc(t->monitors, (t->n_monitors + 1) * sizeof *m);
    if (!m)
        return GL_ENOMEM;
    t->monitors = m;
    m[t->n_monitors].name = strdup(OPERATOR_NAME);
    m[t->n_monitors].public_key = strdup(z85);
    m[t->n_monitors].scope = NULL;
    if (!m[t->n_monitors].name || !m[t->n_monitors].public_key) {
        free(m[t->n_monitors].name);
        free(m[t->n_monitors].public_key);
        return GL_ENOMEM;
    }
    t->n_monitors++;
    return GL_OK;
}

int gl_keys_ensure(const char *home, gl_topology_t *t, int *created)
{
    char dir[PATH_MAX];
    if (created)
        *created = 0;
    if (!t || keys_dir(home, dir, sizeof dir) != 0)
        return GL_EINVAL;
    /* A node called "broker" or "operator" would share that key file. */
    if (gl_topology_find(t, BROKER_NAME) || gl_topology_find(t, OPERATOR_NAME)) {
        gl_error("keys: a node may not be named '%s' or '%s'", BROKER_NAME, OPERATOR_NAME);
        return GL_EINVAL;
    }
    int rc = gl_mkdir_p(dir);
    if (rc != 0)
        return rc;
    chmod(dir, 0700);

    size_t n = t->n_nodes + 2;
    char(*pubs)[GL_KEY_Z85_LEN + 1] = calloc(n, sizeof *pubs);
    bool *fresh = calloc(n, sizeof *fresh);
    if (!pubs || !fresh) {
        free(pubs);
        free(fresh);
        return GL_ENOMEM;
    }
    size_t n_fresh = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *name = i < t->n_nodes ? t->nodes[i].id : i == t->n_nodes ? BROKER_NAME : OPERATOR_NAME;
        zcert_t *cert = NULL;
        rc = load_from(dir, name, &cert);
        if (rc == 0) {
            memcpy(pubs[i], zcert_public_txt(cert), GL_KEY_Z85_LEN + 1);
            zcert_destroy(&cert);
        } else if (rc == GL_ENOENT) {
            rc = generate(dir, name, pubs[i]);
            fresh[i] = rc == 0;
            n_fresh += rc == 0;
        } else {
            gl_error("keys: %s/%s.cert exists but holds no usable keypair; move it away to regenerate", dir, name);
        }
    }
    if (rc == 0 && n_fresh > 0) {
        /* One filesystem sync for the whole batch before the renames
         * publish the new pairs, then one for the directory. */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0 && syncfs(dfd) != 0)
            rc = gl_err_from_errno(errno);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (!fresh[i])
                continue;
            const char *name = i < t->n_nodes ? t->nodes[i].id : i == t->n_nodes ? BROKER_NAME : OPERATOR_NAME;
            rc = install(dir, name);
        }
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    for (size_t i = 0; rc == 0 && i < t->n_nodes; i++)
        rc = gl_topology_set_key(t, t->nodes[i].id, pubs[i]);
    if (rc == 0) {
        char *copy = strdup(pubs[t->n_nodes]);
        if (copy) {
            free(t->broker_key);
            t->broker_key = copy;
        } else {
            rc = GL_ENOMEM;
        }
    }
    if (rc == 0)
        rc = set_operator(t, pubs[t->n_nodes + 1]);
    if (rc == 0 && created)
        *created = (int)n_fresh;
    free(pubs);
    free(fresh);
    return rc;
}
