/* store_int.h: what the store's files share: the gl_store struct (its
 * environment, the database handles opened once by gl_store_open, the
 * store's identity) and the small helpers every accessor uses to check ids,
 * build keys and report LMDB errors. store.c owns the struct's lifetime;
 * store_cases.c and store_peers.c only read it. Nothing outside these files
 * includes this header. */
#ifndef GL_STORE_INT_H
#define GL_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "store.h"

#define ID_MAX  255              /* longest node, peer or case id */
#define KEY_MAX (8 + 1 + ID_MAX) /* largest composite key we build */
/* A database an older read-only store does not have. */
#define GL_STORE_NO_DBI ((MDB_dbi)-1)

struct gl_store {
    MDB_env *env;
    MDB_dbi dbi[GL_DB_COUNT];
    int lock_fd; /* holds the flock; -1 for read-only stores */
    bool read_only;
    size_t map_size; /* last known map size of this process's mapping */
    char *dir;
    uint64_t schema; /* the layout's version as opened (older when read-only) */
    uint8_t id[GL_STORE_ID_BYTES];
};

/* Length of a node, peer or case id, or GL_EINVAL if it is missing, empty or
 * longer than ID_MAX (which keeps every key well under LMDB's 511 bytes). */
static inline int id_len(const char *id, size_t *len)
{
    if (!id)
        return GL_EINVAL;
    size_t n = strnlen(id, ID_MAX + 1);
    if (n == 0 || n > ID_MAX)
        return GL_EINVAL;
    *len = n;
    return 0;
}

/* Map an LMDB result to a gl_err code. Outcomes callers expect and handle
 * (absent key, full map) stay quiet; anything else gets a log line so the
 * cause is not lost behind a generic code. */
static inline int mdb_fail(const char *what, int rc)
{
    if (rc != MDB_NOTFOUND && rc != MDB_MAP_FULL && rc != MDB_KEYEXIST)
        gl_warn("store: %s: %s", what, mdb_strerror(rc));
    return gl_err_from_mdb(rc);
}

static inline MDB_val val_of(const void *p, size_t n)
{
    MDB_val v = {n, (void *)p}; /* LMDB never writes through a key or input value */
    return v;
}

#endif
