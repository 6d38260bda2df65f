/* files.c: the engine's attachments (photos). A file is stored once per
 * node under its SHA-256, in GL_FILE_CHUNK pieces (store.h); a case names
 * its files by hash. Before the first message of a case that names a file
 * goes to a neighbour, the file's chunks go ahead of it on the same
 * reliable link, each link once (files_sent), so every node that holds or
 * held the case, or follows it, has the file when the case arrives. A node
 * takes a neighbour's chunks in order, checks the hash when the last is in,
 * and only then counts the file as stored. The operations: attach (store a
 * file a person uploads; the reply names it) and attachment (read it back).
 * Replies are packed by the engine; nothing here is kept past a call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "codec.h"
#include "engine_int.h"
#include "error.h"
#include "log.h"

static int info_of(gl_engine_t *e, MDB_txn *txn, const char *hex, Gridlink__V1__Attachment **out)
{
    uint8_t h[32];
    *out = NULL;
    if (!gl_sha256_from_hex(hex, h))
        return GL_EINVAL;
    return gl_store_file_info(txn, e->store, h, out);
}

int files_check(gl_engine_t *e, MDB_txn *txn, char *const *hashes, size_t n, char *why, size_t whylen)
{
    for (size_t i = 0; i < n; i++) {
        Gridlink__V1__Attachment *a = NULL;
        int rc = info_of(e, txn, hashes[i], &a);
        bool complete = rc == 0 && a->complete;
        if (a)
            gridlink__v1__attachment__free_unpacked(a, NULL);
        if (rc != 0 && rc != GL_ENOENT && rc != GL_EINVAL)
            return rc;
        if (!complete) {
            snprintf(why, whylen, "attachment %.64s is not stored at %s: upload it here first", hashes[i], e->id);
            return GL_EINVAL;
        }
    }
    return GL_OK;
}

int files_add(gl_case *c, char *const *hashes, size_t n, char *why, size_t whylen)
{
    size_t fresh = 0;
    for (size_t i = 0; i < n; i++) {
        bool have = false;
        for (size_t k = 0; k < c->n_attachments && !have; k++)
            have = strcmp(c->attachments[k], hashes[i]) == 0;
        for (size_t k = 0; k < i && !have; k++)
            have = strcmp(hashes[k], hashes[i]) == 0;
        fresh += !have;
    }
    if (c->n_attachments + fresh > GL_MAX_ATTACHMENTS) {
        snprintf(why, whylen, "case %s would have more than %d attachments", c->id, GL_MAX_ATTACHMENTS);
        return GL_ETOOBIG;
    }
    if (!fresh)
        return GL_OK;
    char **a = realloc(c->attachments, (c->n_attachments + fresh) * sizeof *a);
    if (!a)
        return GL_ENOMEM;
    c->attachments = a;
    for (size_t i = 0; i < n; i++) {
        bool have = false;
        for (size_t k = 0; k < c->n_attachments && !have; k++)
            have = strcmp(c->attachments[k], hashes[i]) == 0;
        if (have)
            continue;
        char *s = strdup(hashes[i]);
        if (!s)
            return GL_ENOMEM;
        c->attachments[c->n_attachments++] = s;
    }
    return GL_OK;
}

/* Send one stored file to the link's peer, chunk by chunk. */
static int push_one(gl_engine_t *e, MDB_txn *txn, gl_link_t *l, const uint8_t *h, const Gridlink__V1__Attachment *a)
{
    for (uint32_t i = 0; i < a->chunks; i++) {
        const void *data;
        size_t len;
        int rc = gl_store_file_chunk_get(txn, e->store, h, i, &data, &len);
        if (rc != 0)
            return rc == GL_ENOENT ? GL_ESTORE : rc;
        Gridlink__V1__FileChunk fc = GRIDLINK__V1__FILE_CHUNK__INIT;
        fc.sha256.data = (uint8_t *)h;
        fc.sha256.len = 32;
        fc.index = i;
        fc.count = a->chunks;
        fc.size = a->size;
        fc.content_type = a->content_type;
        fc.data.data = (uint8_t *)data;
        fc.data.len = len;
        Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
        env.body_case = GRIDLINK__V1__ENVELOPE__BODY_FILE_CHUNK;
        env.file_chunk = &fc;
        if ((rc = gl_link_enqueue(l, txn, &env)) != 0)
            return rc;
    }
    return gl_store_file_sent_put(txn, e->store, gl_link_peer(l), h);
}

int files_push(gl_engine_t *e, MDB_txn *txn, gl_link_t *l, const gl_case *c)
{
    for (size_t i = 0; i < c->n_attachments; i++) {
        uint8_t h[32];
        if (!gl_sha256_from_hex(c->attachments[i], h))
            continue;
        int rc = gl_store_file_sent(txn, e->store, gl_link_peer(l), h);
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        Gridlink__V1__Attachment *a = NULL;
        rc = gl_store_file_info(txn, e->store, h, &a);
        if (rc == GL_ENOENT)
            continue; /* not here (still coming from a neighbour): the case goes on without it */
        if (rc == 0 && a->complete)
            rc = push_one(e, txn, l, h, a);
        gridlink__v1__attachment__free_unpacked(a, NULL);
        if (rc != 0)
            return rc;
    }
    return GL_OK;
}

/* Is the stored file's hash the one it is stored under? */
static int verify(gl_engine_t *e, MDB_txn *txn, const uint8_t *h, uint32_t chunks, bool *ok)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (uint32_t i = 0; i < chunks; i++) {
        const void *data;
        size_t len;
        int rc = gl_store_file_chunk_get(txn, e->store, h, i, &data, &len);
        if (rc != 0)
            return rc;
        crypto_hash_sha256_update(&st, data, len);
    }
    uint8_t got[32];
    crypto_hash_sha256_final(&st, got);
    *ok = sodium_memcmp(got, h, 32) == 0;
    return GL_OK;
}

int files_on_chunk(gl_engine_t *e, MDB_txn *txn, const char *from, const Gridlink__V1__FileChunk *f, char *why,
                   size_t whylen)
{
    const uint8_t *h = f->sha256.data;
    char hex[65];
    gl_sha256_to_hex(h, hex);
    const char *bad = f->index == 0 ? gl_file_type_refusal(f->content_type, f->data.data, f->data.len) : NULL;
    if (bad) {
        snprintf(why, whylen, "file %s from %s: %s", hex, from, bad);
        e->counts.malformed++;
        return GL_EPROTO;
    }
    Gridlink__V1__Attachment *a = NULL;
    int rc = gl_store_file_info(txn, e->store, h, &a);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    if (a && a->complete) { /* here already: from a person, or from another neighbour */
        gridlink__v1__attachment__free_unpacked(a, NULL);
        return GL_OK;
    }
    if (f->index == 0) {
        if (a) /* an earlier transfer that never finished: start over */
            rc = gl_store_file_del(txn, e->store, h, a->have);
        if (a)
            gridlink__v1__attachment__free_unpacked(a, NULL);
        a = NULL;
        if (rc != 0 && rc != GL_ENOENT)
            return rc;
    } else if (!a || a->have != f->index || a->chunks != f->count || a->size != f->size ||
               strcmp(a->content_type, f->content_type) != 0) {
        snprintf(why, whylen, "file %s: chunk %u of %u from %s does not follow what is here", hex, f->index, f->count,
                 from);
        if (a)
            gridlink__v1__attachment__free_unpacked(a, NULL);
        e->counts.malformed++;
        return GL_EPROTO;
    }
    Gridlink__V1__Attachment fresh = GRIDLINK__V1__ATTACHMENT__INIT;
    Gridlink__V1__Attachment *cur = a ? a : &fresh;
    if (!a) {
        fresh.sha256 = hex;
        fresh.content_type = f->content_type;
        fresh.size = f->size;
        fresh.chunks = f->count;
    }
    rc = gl_store_file_chunk_put(txn, e->store, h, f->index, f->data.data, f->data.len);
    cur->have = f->index + 1;
    bool ok = true;
    if (rc == 0 && cur->have == cur->chunks)
        rc = verify(e, txn, h, cur->chunks, &ok);
    if (rc == 0 && !ok) {
        /* Taken (its chunks were, in earlier batches) but not kept: the
         * cases that name it show it as missing here. */
        gl_warn("node %s: file %s from %s does not have that SHA-256; dropped", e->id, hex, from);
        e->counts.malformed++;
        rc = gl_store_file_del(txn, e->store, h, cur->chunks);
    } else if (rc == 0) {
        cur->complete = cur->have == cur->chunks;
        rc = gl_store_file_info_put(txn, e->store, h, cur);
        if (rc == 0 && cur->complete)
            gl_info("node %s: file %s (%s, %llu bytes) from %s stored", e->id, hex, cur->content_type,
                    (unsigned long long)cur->size, from);
    }
    if (a)
        gridlink__v1__attachment__free_unpacked(a, NULL);
    return rc;
}

int files_peer_reset(gl_engine_t *e, MDB_txn *txn, const char *peer)
{
    return gl_store_file_sent_clear(txn, e->store, peer);
}

/* ---- the operations ---- */

int files_op_attach(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                    gl_token tok)
{
    (void)who;
    (void)op;
    const char *bad = gl_file_type_refusal(req->content_type, req->data.data, req->data.len);
    if (bad)
        return eng_refuse(e, tok, GL_EINVAL, "%s", bad);
    if (req->data.len == 0 || req->data.len > GL_MAX_ATTACHMENT)
        return eng_refuse(e, tok, GL_ETOOBIG, "a file may be 1 to %u bytes", GL_MAX_ATTACHMENT);
    uint8_t h[32];
    crypto_hash_sha256(h, req->data.data, req->data.len);
    char hex[65];
    gl_sha256_to_hex(h, hex);
    Gridlink__V1__Attachment *old = NULL;
    int rc = gl_store_file_info(txn, e->store, h, &old);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    rc = GL_OK;
    Gridlink__V1__Attachment a = GRIDLINK__V1__ATTACHMENT__INIT;
    a.sha256 = hex;
    a.content_type = req->content_type;
    a.size = req->data.len;
    a.chunks = (uint32_t)((req->data.len + GL_FILE_CHUNK - 1) / GL_FILE_CHUNK);
    a.have = a.chunks;
    a.complete = true;
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    if (old && old->complete) {
        rep.note = "stored already";
        a.content_type = old->content_type;
    } else {
        if (old)
            rc = gl_store_file_del(txn, e->store, h, old->have);
        for (uint32_t i = 0; rc == 0 && i < a.chunks; i++) {
            size_t off = (size_t)i * GL_FILE_CHUNK, len = req->data.len - off;
            rc = gl_store_file_chunk_put(txn, e->store, h, i, req->data.data + off,
                                         len > GL_FILE_CHUNK ? GL_FILE_CHUNK : len);
        }
        if (rc == 0)
            rc = gl_store_file_info_put(txn, e->store, h, &a);
    }
    if (rc == 0) {
        rep.attachment = &a;
        rc = eng_reply(e, tok, &rep);
    }
    if (old)
        gridlink__v1__attachment__free_unpacked(old, NULL);
    return rc;
}

int files_op_read(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                  gl_token tok)
{
    (void)who;
    (void)op;
    Gridlink__V1__Attachment *a = NULL;
    int rc = info_of(e, txn, req->sha256, &a);
    if (rc == GL_ENOENT || rc == GL_EINVAL || (rc == 0 && !a->complete)) {
        if (a)
            gridlink__v1__attachment__free_unpacked(a, NULL);
        return eng_refuse(e, tok, GL_ENOENT, "no file %.64s at %s", req->sha256, e->id);
    }
    if (rc != 0)
        return rc;
    uint8_t h[32];
    gl_sha256_from_hex(req->sha256, h);
    uint8_t *buf = malloc(a->size ? a->size : 1);
    size_t at = 0;
    rc = buf ? GL_OK : GL_ENOMEM;
    for (uint32_t i = 0; rc == 0 && i < a->chunks; i++) {
        const void *data;
        size_t len;
        rc = gl_store_file_chunk_get(txn, e->store, h, i, &data, &len);
        if (rc == 0 && at + len > a->size)
            rc = GL_ESTORE;
        if (rc == 0) {
            memcpy(buf + at, data, len);
            at += len;
        }
    }
    if (rc == 0) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.attachment = a;
        rep.data.data = buf;
        rep.data.len = at;
        rc = eng_reply(e, tok, &rep);
    }
    free(buf);
    gridlink__v1__attachment__free_unpacked(a, NULL);
    return rc;
}
