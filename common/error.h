/* error.h: the project-wide error space.
 *
 * Every gridlink function that can fail returns 0 or one of these negative
 * codes. LMDB, errno and ZeroMQ codes are mapped here in one place, so callers
 * never need to know which library failed. */
#ifndef GL_ERROR_H
#define GL_ERROR_H

#include <stddef.h>

enum gl_err {
    GL_OK = 0,
    GL_EINVAL = -1,      /* bad argument or malformed input */
    GL_ENOENT = -2,      /* no such node, case or record */
    GL_ESTATE = -3,      /* transition not allowed from the current state */
    GL_EPERM = -4,       /* not the holder, outside jurisdiction, unknown key */
    GL_EPROTO = -5,      /* undecodable or out-of-protocol message */
    GL_ENOSPC = -6,      /* map or filesystem full */
    GL_EIO = -7,         /* storage I/O error */
    GL_EDOWN = -8,       /* peer or node not reachable */
    GL_ENOMEM = -9,      /* allocation failed */
    GL_EEXIST = -10,     /* already exists */
    GL_EAGAIN = -11,     /* try again later (window full, would block) */
    GL_ELOCKED = -12,    /* node environment held by another process */
    GL_ESTORE = -13,     /* any other LMDB failure */
    GL_ETIMEDOUT = -14,  /* no answer in time */
    GL_EMAPFULL = -15,   /* LMDB map full: grow the map and retry the batch */
    GL_ETOOBIG = -16,    /* a case or message past the limits every node accepts */
    GL_ECONFLICT = -17,  /* an ID already used for something else */
    GL_EADDRINUSE = -18, /* a port to listen on is taken by another program */
};

/* A static, human-readable sentence for a gl_err code (never NULL). */
const char *gl_strerror(int err);

/* Write a one-line reason into err (if err is non-NULL and errlen > 0). */
void gl_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Map an LMDB return code (MDB_* or errno) to a gl_err code. 0 maps to 0. */
int gl_err_from_mdb(int rc);

/* Map an errno value to a gl_err code. */
int gl_err_from_errno(int e);

#endif
