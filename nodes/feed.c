/* feed.c: the public feed's routes (see feed.h). A document is made from
 * the node's own cases in one read transaction: every case goes through
 * publicity.h's feed builder, which keeps only what the rules let through;
 * the access list's refusals are read from the counts the engine keeps
 * (meta "access_refused:COMMUNITY:YYYY-MM", at the node and at its parent
 * when this process hosts it). A body made here is kept in the cache
 * below, which frees it when its slot is taken again.
 *
 * Anyone may ask, so an answer is kept (CACHE_SLOTS of them, each for at
 * most CACHE_MS) and given again while the node's log, and its township's
 * when that counts its refusals, has not moved: a burst of readers costs
 * one pass over the store. gl_feed_cache_free releases them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "error.h"
#include "feed.h"
#include "jsontext.h"
#include "publicity.h"

#define TIER(x)     GRIDLINK__V1__TIER__TIER_##x
#define CACHE_SLOTS 16
#define CACHE_MS    60000

static uint64_t refused;

struct slot {
    char node[GL_NODE_ID_MAX + 1];
    const gl_topology_t *t;
    int64_t start, at;
    bool atom;
    uint64_t seq, parent_seq;
    char *body;
    size_t len;
};
static struct slot cache[CACHE_SLOTS];
static unsigned cache_next;

void gl_feed_cache_free(void)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        free(cache[i].body);
        memset(&cache[i], 0, sizeof cache[i]);
    }
}

static uint64_t log_seq(gl_store_t *store)
{
    MDB_txn *txn;
    uint64_t seq = 0;
    if (store && gl_store_begin(store, NULL, false, &txn) == 0) {
        gl_store_log_last(txn, store, &seq);
        gl_store_abort(txn);
    }
    return seq;
}

static struct slot *cached(const struct slot *key, int64_t now)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct slot *s = &cache[i];
        if (s->body && strcmp(s->node, key->node) == 0 && s->t == key->t && s->start == key->start &&
            s->atom == key->atom && s->seq == key->seq && s->parent_seq == key->parent_seq && now - s->at < CACHE_MS &&
            now >= s->at)
            return s;
    }
    return NULL;
}

/* Keeps body (taken) under key. */
static void keep(const struct slot *key, char *body, size_t len, int64_t now)
{
    struct slot *s = &cache[cache_next++ % CACHE_SLOTS];
    free(s->body);
    *s = *key;
    s->body = body;
    s->len = len;
    s->at = now;
}

uint64_t gl_feed_refused(void)
{
    return refused;
}

/* An error as the other public answers give them (JSON, http.h). */
static void fail(gl_http_req_t *r, int status, const char *what)
{
    static const struct {
        int status;
        const char *code;
    } codes[] = {{400, "bad-request"}, {404, "not-found"}, {405, "method-not-allowed"}, {503, "unavailable"}};
    const char *code = "error";
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].status == status)
            code = codes[i].code;
    refused++;
    gl_http_error(r, status, code, "%s", what);
}

bool gl_feed_owns(const char *path)
{
    return strcmp(path, "/public/v1/feed.json") == 0 || strcmp(path, "/public/v1/feed.atom") == 0 ||
           strcmp(path, "/public/v1/photo") == 0;
}

/* The refusals counted for community in the UTC month of ms, in store. */
static uint64_t refusals_in(gl_store_t *store, const char *community, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char key[GL_NODE_ID_MAX + 40];
    snprintf(key, sizeof key, "access_refused:%s:%04d-%02d", community, tm.tm_year + 1900, tm.tm_mon + 1);
    MDB_txn *txn;
    uint64_t n = 0;
    if (gl_store_begin(store, NULL, false, &txn) != 0)
        return 0;
    if (gl_store_meta_get_u64(txn, store, key, &n) != 0)
        n = 0;
    gl_store_abort(txn);
    return n;
}

/* Refusals for the unit in the period (counted by UTC month: the month
 * its middle is in): a community's at itself and at its township; a
 * township's for every community below it. */
static uint64_t refusals(const gl_feed_door *d, const gl_node_t *unit, gl_store_t *store, int64_t start, int64_t end)
{
    start += (end - start) / 2;
    if (unit->tier == TIER(COMMUNITY)) {
        uint64_t n = refusals_in(store, unit->id, start);
        const gl_node_t *p = gl_topology_parent(d->t, unit);
        gl_feed_node pn = p ? d->find(d->arg, p->id) : (gl_feed_node){0};
        if (pn.store)
            n += refusals_in(pn.store, unit->id, start);
        return n;
    }
    uint64_t n = 0;
    for (size_t i = 0; i < d->t->n_nodes; i++) {
        const gl_node_t *c = &d->t->nodes[i];
        const gl_node_t *p = gl_topology_parent(d->t, c);
        if (c->tier == TIER(COMMUNITY) && p && strcmp(p->id, unit->id) == 0)
            n += refusals_in(store, c->id, start);
    }
    return n;
}

static int take(const Gridlink__V1__Case *c, void *arg)
{
    return gl_pub_feed_add(arg, c);
}

static void feed(gl_http_req_t *r, const gl_feed_door *d, const gl_node_t *unit, gl_store_t *store, bool atom)
{
    int off = gl_pub_offset_min(d->t);
    int64_t start, end;
    if (!gl_pub_month(off, gl_http_query(r, "month"), d->now, &start, &end)) {
        fail(r, 400, "month is YYYY-MM");
        return;
    }
    const gl_node_t *p = unit->tier == TIER(COMMUNITY) ? gl_topology_parent(d->t, unit) : NULL;
    struct slot key = {.t = d->t, .start = start, .atom = atom, .seq = log_seq(store)};
    key.parent_seq = p ? log_seq(d->find(d->arg, p->id).store) : 0;
    snprintf(key.node, sizeof key.node, "%s", unit->id);
    const char *hdr[] = {"Cache-Control", "no-cache", NULL};
    const char *type = atom ? "application/atom+xml; charset=utf-8" : "application/json; charset=utf-8";
    const struct slot *hit = cached(&key, d->now);
    if (hit) {
        gl_http_respond_with(r, 200, type, hit->body, hit->len, hdr);
        return;
    }
    gl_pub_feed *f = gl_pub_feed_new(d->t, unit->id, start, end, d->now);
    MDB_txn *txn;
    if (!f || gl_store_begin(store, NULL, false, &txn) != 0) {
        gl_pub_feed_free(f);
        fail(r, 503, "the node's store cannot be read");
        return;
    }
    int rc = gl_store_case_foreach(txn, store, take, f);
    gl_store_abort(txn);
    json_t *doc = rc == 0 ? gl_pub_feed_done(f, refusals(d, unit, store, start, end)) : NULL;
    if (rc != 0)
        gl_pub_feed_free(f);
    char *body = NULL;
    size_t len = 0;
    if (doc && atom)
        rc = gl_feed_atom(doc, &body, &len);
    else if (doc)
        body = gl_json_text(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10), &len);
    json_decref(doc);
    if (!body) {
        fail(r, 503, "the feed cannot be made");
        return;
    }
    gl_http_respond_with(r, 200, type, body, len, hdr);
    keep(&key, body, len, d->now);
}

/* A published photo of a case the unit handled. */
static void photo(gl_http_req_t *r, const gl_node_t *unit, gl_store_t *store)
{
    const char *id = gl_http_query(r, "case"), *sha = gl_http_query(r, "sha");
    uint8_t h[32];
    if (!id || !sha || !gl_case_id_valid(id) || strlen(sha) != 64 || !gl_sha256_from_hex(sha, h)) {
        fail(r, 400, "a photo is asked by node, case and sha");
        return;
    }
    MDB_txn *txn;
    if (gl_store_begin(store, NULL, false, &txn) != 0) {
        fail(r, 503, "the node's store cannot be read");
        return;
    }
    Gridlink__V1__Case *c = NULL;
    Gridlink__V1__Attachment *a = NULL;
    bool shown =
        gl_store_case_get(txn, store, id, &c) == 0 && gl_pub_handled(c, unit->id) && gl_pub_photo_shown(c, sha);
    if (c)
        gridlink__v1__case__free_unpacked(c, NULL);
    if (!shown || gl_store_file_info(txn, store, h, &a) != 0 || !a->complete) {
        gl_store_abort(txn);
        if (a)
            gridlink__v1__attachment__free_unpacked(a, NULL);
        fail(r, 404, "no published photo");
        return;
    }
    uint8_t *buf = malloc(a->size ? a->size : 1);
    size_t at = 0;
    int rc = buf ? GL_OK : GL_ENOMEM;
    for (uint32_t i = 0; rc == 0 && i < a->chunks; i++) {
        const void *data;
        size_t len;
        rc = gl_store_file_chunk_get(txn, store, h, i, &data, &len);
        if (rc == 0 && at + len > a->size)
            rc = GL_ESTORE;
        if (rc == 0) {
            memcpy(buf + at, data, len);
            at += len;
        }
    }
    gl_store_abort(txn);
    if (rc == 0) {
        const char *hdr[] = {"X-Content-Type-Options", "nosniff", NULL};
        const char *type = strncmp(a->content_type, "image/", 6) == 0 ? a->content_type : "application/octet-stream";
        gl_http_respond_with(r, 200, type, buf, at, hdr);
    } else {
        fail(r, 503, "the photo cannot be read");
    }
    free(buf);
    gridlink__v1__attachment__free_unpacked(a, NULL);
}

void gl_feed_route(gl_http_req_t *r, const gl_feed_door *d)
{
    const char *path = gl_http_path(r), *method = gl_http_method(r);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        fail(r, 405, "the public feed is read with GET");
        return;
    }
    bool atom = strcmp(path, "/public/v1/feed.atom") == 0, pic = strcmp(path, "/public/v1/photo") == 0;
    if (!gl_feed_owns(path)) {
        fail(r, 404, "no such resource");
        return;
    }
    const char *id = gl_http_query(r, "node");
    const gl_node_t *unit = id && strlen(id) <= GL_NODE_ID_MAX ? gl_topology_find(d->t, id) : NULL;
    gl_feed_node n = unit ? d->find(d->arg, unit->id) : (gl_feed_node){0};
    if (!unit || !n.store || (unit->tier != TIER(COMMUNITY) && unit->tier != TIER(TOWNSHIP))) {
        fail(r, 404, "the public feed is of a community or township this process hosts (?node=ID)");
        return;
    }
    if (pic)
        photo(r, unit, n.store);
    else
        feed(r, d, unit, n.store, atom);
}
