/* feed.h: the public feed (村务公开) of every community and township a node
 * process hosts, on its HTTP door without login:
 *
 *   GET /public/v1/feed.json?node=ID[&month=YYYY-MM]   the page's document
 *   GET /public/v1/feed.atom?node=ID[&month=YYYY-MM]   Atom (RFC 4287)
 *   GET /public/v1/photo?node=ID&case=CASE&sha=SHA     a published photo
 *
 * and the page /public/feed.html?node=ID (web/public/, webapp.h). What a
 * document holds is decided by publicity.h alone; feed.c reads the node's
 * store in one read transaction and feed_atom.c writes the Atom with
 * libxml2's xmlTextWriter. Refusals (unknown node, bad month, a photo not
 * published) are counted (gl_feed_refused).
 *
 * Ownership: nothing is kept between requests; gl_feed_atom's buffer is the
 * caller's (free). */
#ifndef GL_FEED_H
#define GL_FEED_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "store.h"
#include "topology.h"

/* A node of the process, as the door finds it. */
typedef struct gl_feed_node {
    const char *id;
    gl_store_t *store;
} gl_feed_node;

typedef struct gl_feed_door {
    const gl_topology_t *t;
    /* The node id hosted here, or .store NULL when not. */
    gl_feed_node (*find)(void *arg, const char *id);
    void *arg;
    int64_t now;
} gl_feed_door;

/* The path is one of the feed's (the door sends the rest of /public/v1/ to
 * residents' door, public.h). */
bool gl_feed_owns(const char *path);
void gl_feed_route(gl_http_req_t *r, const gl_feed_door *d);
uint64_t gl_feed_refused(void);
/* Releases the answers kept for readers (door_stop). */
void gl_feed_cache_free(void);

/* feed_atom.c: the Atom document of a feed document (gl_pub_feed_done's);
 * GL_OK with a NUL-terminated buffer in *out (the caller's), else GL_ENOMEM
 * or GL_EINVAL. */
int gl_feed_atom(const json_t *doc, char **out, size_t *len);

#endif
