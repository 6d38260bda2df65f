/* store_backup.c: a hot, consistent, compacted copy of a node's store while
 * the node runs (LMDB's copy inside one read transaction, so it sees one
 * committed state), and putting such a copy back in place of a store whose
 * node is stopped. A restored store is a store its neighbours have not
 * seen: it gets a new identity, and its links' own numbering starts over
 * (the messages it still has to send are numbered again from 1), so each
 * neighbour renumbers what it still has for it after what the copy says it
 * applied, and nothing is taken twice. What the node received after the
 * copy was made is gone from it; its neighbours keep their own copies.
 * Nothing here keeps memory past a call. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "store.h"
#include "store_int.h"

int gl_store_backup(const char *dir, const char *node_id, const char *to, char *err, size_t errlen)
{
    struct stat st;
    if (stat(to, &st) != 0 || !S_ISDIR(st.st_mode)) {
        gl_errf(err, errlen, "%s is not a directory", to);
        return GL_EINVAL;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/data.mdb", to);
    if (stat(path, &st) == 0) {
        gl_errf(err, errlen, "%s holds a store already", to);
        return GL_EEXIST;
    }
    gl_store_opts o = {.read_only = true};
    gl_store_t *s;
    int rc = gl_store_open(dir, node_id, &o, &s);
    if (rc != 0) {
        gl_errf(err, errlen, "cannot open the store of %s in %s: %s", node_id, dir, gl_strerror(rc));
        return rc;
    }
    rc = mdb_env_copy2(s->env, to, MDB_CP_COMPACT);
    gl_store_close(&s);
    if (rc != 0) {
        gl_errf(err, errlen, "copying the store to %s: %s", to, mdb_strerror(rc));
        return gl_err_from_mdb(rc);
    }
    return GL_OK;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
    int rc = GL_OK;
    if (in < 0 || (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        rc = gl_err_from_errno(errno);
        gl_errf(err, errlen, "cannot copy %s to %s: %s", from, to, strerror(errno));
    }
    char buf[1 << 16];
    ssize_t n;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || write(out, buf, (size_t)n) != n) {
            rc = gl_err_from_errno(errno ? errno : EIO);
            gl_errf(err, errlen, "copying %s: %s", from, strerror(errno));
        }
    }
    if (rc == 0 && fsync(out) != 0) {
        rc = gl_err_from_errno(errno);
        gl_errf(err, errlen, "syncing %s: %s", to, strerror(errno));
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

struct held {
    uint8_t *buf;
    size_t len;
};
struct collect {
    struct held *m;
    size_t n, cap;
    int rc;
};

static int collect_one(uint64_t seq, const void *data, size_t len, void *arg)
{
    (void)seq;
    struct collect *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct held *m = realloc(c->m, cap * sizeof *m);
        if (!m)
            return c->rc = GL_ENOMEM;
        c->m = m;
        c->cap = cap;
    }
    uint8_t *b = malloc(len ? len : 1);
    if (!b)
        return c->rc = GL_ENOMEM;
    memcpy(b, data, len);
    c->m[c->n].buf = b;
    c->m[c->n++].len = len;
    return 0;
}

/* The link to one peer numbers its messages from 1 again: what it has not
 * had acknowledged gets 1, 2, ...; what it applied from the peer stays. */
static int renumber(MDB_txn *txn, gl_store_t *s, const char *peer)
{
    gl_peer_marks m;
    int rc = gl_store_peer_get(txn, s, peer, &m);
    if (rc != 0)
        return rc;
    struct collect c = {0};
    rc = gl_store_outbox_scan(txn, s, peer, m.out_acked + 1, 0, collect_one, &c);
    if (rc == 0)
        rc = c.rc;
    if (rc == 0 && m.out_next > 1)
        rc = gl_store_outbox_trim(txn, s, peer, m.out_next - 1, NULL);
    uint64_t seq = 0;
    for (size_t i = 0; i < c.n; i++) {
        Gridlink__V1__Envelope *e = rc == 0 ? gridlink__v1__envelope__unpack(NULL, c.m[i].len, c.m[i].buf) : NULL;
        if (rc == 0 && !e)
            rc = GL_ESTORE;
        if (rc == 0) {
            e->seq = ++seq;
            e->ack = 0;
            size_t n = gridlink__v1__envelope__get_packed_size(e);
            uint8_t *b = malloc(n ? n : 1);
            rc = b ? GL_OK : GL_ENOMEM;
            if (b) {
                gridlink__v1__envelope__pack(e, b);
                rc = gl_store_outbox_put(txn, s, peer, seq, b, n);
                free(b);
            }
        }
        if (e)
            gridlink__v1__envelope__free_unpacked(e, NULL);
        free(c.m[i].buf);
    }
    free(c.m);
    if (rc == 0) {
        m.out_acked = 0;
        m.out_next = seq + 1;
        rc = gl_store_peer_put(txn, s, peer, &m);
    }
    return rc;
}

/* A new identity and fresh numbering on every link. */
static int make_new(gl_store_t *s)
{
    MDB_txn *txn;
    int rc = gl_store_begin(s, NULL, true, &txn);
    if (rc != 0)
        return rc;
    randombytes_buf(s->id, sizeof s->id);
    rc = gl_store_meta_put(txn, s, "store_id", s->id, sizeof s->id);
    char **peers = NULL;
    size_t n = 0, cap = 0;
    MDB_cursor *cur = NULL;
    if (rc == 0 && (rc = mdb_cursor_open(txn, s->dbi[GL_DB_PEERS], &cur)) != 0)
        rc = mdb_fail("open peers cursor", rc);
    MDB_val k, v;
    for (int r = cur ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : MDB_NOTFOUND; rc == 0 && r == 0;
         r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(peers, cap * sizeof *p);
            if (!p) {
                rc = GL_ENOMEM;
                break;
            }
            peers = p;
        }
        peers[n] = strndup(k.mv_data, k.mv_size);
        rc = peers[n++] ? GL_OK : GL_ENOMEM;
    }
    if (cur)
        mdb_cursor_close(cur);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = renumber(txn, s, peers[i]);
        free(peers[i]);
    }
    free(peers);
    if (rc != 0) {
        gl_store_abort(txn);
        return rc;
    }
    return gl_store_commit(txn);
}

int gl_store_restore(const char *from, const char *dir, const char *node_id, char *err, size_t errlen)
{
    /* The copy must be a store of this node, of a schema this build knows
     * (an older one is migrated when the restored store is opened below). */
    gl_store_opts ro = {.read_only = true};
    gl_store_t *s;
    int rc = gl_store_open(from, node_id, &ro, &s);
    if (rc != 0) {
        gl_errf(err, errlen, "%s is not a readable store of %s: %s", from, node_id, gl_strerror(rc));
        return rc;
    }
    gl_store_close(&s);
    /* The node must be stopped: its lock is taken for the swap. */
    char lock[PATH_MAX], src[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX], lk[PATH_MAX];
    snprintf(lock, sizeof lock, "%s/gridlink.lock", dir);
    snprintf(src, sizeof src, "%s/data.mdb", from);
    snprintf(tmp, sizeof tmp, "%s/data.mdb.restoring", dir);
    snprintf(dst, sizeof dst, "%s/data.mdb", dir);
    snprintf(lk, sizeof lk, "%s/lock.mdb", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        gl_errf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
        return gl_err_from_errno(errno);
    }
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        bool busy = fd >= 0 && errno == EWOULDBLOCK;
        gl_errf(err, errlen, busy ? "node %s is running (its store is locked): stop it first" : "cannot lock %s: %s",
                busy ? node_id : lock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return busy ? GL_ELOCKED : GL_EIO;
    }
    rc = copy_file(src, tmp, err, errlen);
    if (rc == 0 && rename(tmp, dst) != 0) {
        rc = gl_err_from_errno(errno);
        gl_errf(err, errlen, "cannot put the copy in place: %s", strerror(errno));
    }
    if (rc == 0)
        unlink(lk); /* the reader table of the old file */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    close(fd); /* gl_store_open takes it again */
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    rc = gl_store_open(dir, node_id, NULL, &s);
    if (rc == 0) {
        rc = make_new(s);
        gl_store_close(&s);
    }
    if (rc != 0)
        gl_errf(err, errlen, "the copy is in place but could not be given a new identity: %s", gl_strerror(rc));
    return rc;
}
