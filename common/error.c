/* error.c: messages for the gl_err codes and the mapping from library codes. */
#include "error.h"

#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>

const char *gl_strerror(int err)
{
    switch (err) {
    case GL_OK: return "success";
    case GL_EINVAL: return "invalid argument or malformed input";
    case GL_ENOENT: return "no such node, case or record";
    case GL_ESTATE: return "transition not allowed from the current state";
    case GL_EPERM: return "not permitted";
    case GL_EPROTO: return "protocol error";
    case GL_ENOSPC: return "storage full";
    case GL_EIO: return "storage I/O error";
    case GL_EDOWN: return "node not reachable";
    case GL_ENOMEM: return "out of memory";
    case GL_EEXIST: return "already exists";
    case GL_EAGAIN: return "resource temporarily unavailable";
    case GL_ELOCKED: return "node store is in use by another process";
    case GL_ESTORE: return "storage error";
    case GL_ETIMEDOUT: return "timed out";
    case GL_EMAPFULL: return "storage map full";
    case GL_ETOOBIG: return "larger than the tree accepts";
    case GL_ECONFLICT: return "ID already used for different content";
    case GL_EADDRINUSE: return "address already in use (another program has the port)";
    default: return "unknown error";
    }
}

int gl_err_from_errno(int e)
{
    switch (e) {
    case 0: return GL_OK;
    case ENOENT: return GL_ENOENT;
    case EINVAL: return GL_EINVAL;
    case ENOSPC:
    case EDQUOT:
    case EFBIG: return GL_ENOSPC;
    case EIO: return GL_EIO;
    case EADDRINUSE: return GL_EADDRINUSE;
    case ENOMEM: return GL_ENOMEM;
    case EEXIST: return GL_EEXIST;
    case EAGAIN: return GL_EAGAIN;
    case EACCES:
    case EPERM: return GL_EPERM;
    case EHOSTUNREACH: return GL_EDOWN;
    case ETIMEDOUT: return GL_ETIMEDOUT;
    default: return GL_EIO;
    }
}

int gl_err_from_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS: return GL_OK;
    case MDB_NOTFOUND: return GL_ENOENT;
    case MDB_KEYEXIST: return GL_EEXIST;
    case MDB_MAP_FULL: return GL_EMAPFULL;
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case MDB_READERS_FULL: return GL_EAGAIN;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_PANIC: return GL_ESTORE;
    default:
        if (rc > 0)
            return gl_err_from_errno(rc);
        return GL_ESTORE;
    }
}

void gl_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
