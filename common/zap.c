/* zap.c: see zap.h. */
#include "zap.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "sock.h"

#define ZAP_MAX_FRAME 4096 /* RFC 27 frames: short strings and a 32-byte key */
#define MAX_DOMAINS   100000

struct gl_zap {
    gl_zsock_t *zs;
    zhashx_t *lists;  /* domain -> zhashx (key z85 -> user id) */
    zhashx_t *denied; /* domain -> uint64_t refusals, owned */
    uint64_t admitted, refused;
};

static void free_list(void **item)
{
    zhashx_t *h = *item;
    zhashx_destroy(&h);
    *item = NULL;
}

static void free_count(void **item)
{
    free(*item);
    *item = NULL;
}

static void on_request(gl_zsock_t *zsk, zmsg_t *req, void *arg)
{
    gl_zap_t *z = arg;
    zsock_t *sock = gl_zsock_sock(zsk);
    /* RFC 27: version, request id, domain, address, identity, mechanism, credentials */
    char *version = zmsg_popstr(req);
    char *request_id = zmsg_popstr(req);
    char *domain = zmsg_popstr(req);
    char *address = zmsg_popstr(req);
    char *identity = zmsg_popstr(req);
    char *mechanism = zmsg_popstr(req);
    zframe_t *cred = zmsg_pop(req);
    const char *user = NULL;
    char key[41] = "";
    if (version && strcmp(version, "1.0") == 0 && mechanism && strcmp(mechanism, "CURVE") == 0 && cred &&
        zframe_size(cred) == 32 && domain) {
        zmq_z85_encode(key, zframe_data(cred), 32);
        zhashx_t *list = zhashx_lookup(z->lists, domain);
        if (list)
            user = zhashx_lookup(list, key);
    }
    if (user) {
        z->admitted++;
        gl_debug("zap: admitted %s on %s from %s", user, domain, address ? address : "?");
    } else {
        z->refused++;
        uint64_t *count = zhashx_lookup(z->denied, domain ? domain : "");
        if (!count && zhashx_size(z->denied) < MAX_DOMAINS && (count = calloc(1, sizeof *count)))
            zhashx_insert(z->denied, domain ? domain : "", count);
        if (count)
            (*count)++;
        gl_warn("zap: refused key %s on domain %s from %s (not listed)", key[0] ? key : "(none)", domain ? domain : "?",
                address ? address : "?");
    }
    zmsg_t *rep = zmsg_new();
    zmsg_addstr(rep, "1.0");
    zmsg_addstr(rep, request_id ? request_id : "");
    zmsg_addstr(rep, user ? "200" : "400");
    zmsg_addstr(rep, user ? "OK" : "key not admitted");
    zmsg_addstr(rep, user ? user : "");
    zmsg_addmem(rep, "", 0);
    zmsg_send(&rep, sock);
    zmsg_destroy(&rep);
    gl_zsock_kick(zsk);
    free(version);
    free(request_id);
    free(domain);
    free(address);
    free(identity);
    free(mechanism);
    zframe_destroy(&cred);
}

int gl_zap_new(gl_loop_t *loop, gl_zap_t **out)
{
    gl_zap_t *z = calloc(1, sizeof *z);
    if (!z)
        return GL_ENOMEM;
    z->lists = zhashx_new();
    zhashx_set_destructor(z->lists, free_list);
    z->denied = zhashx_new();
    zhashx_set_destructor(z->denied, free_count);
    zsock_t *sock = gl_sock_new(ZMQ_REP, ZAP_MAX_FRAME);
    if (!sock || zsock_bind(sock, "inproc://zeromq.zap.01") != 0) {
        gl_error("zap: cannot bind the ZAP handler (another one in this process?)");
        zsock_destroy(&sock);
        zhashx_destroy(&z->lists);
        zhashx_destroy(&z->denied);
        free(z);
        return GL_EIO;
    }
    int rc = gl_loop_add(loop, sock, on_request, z, &z->zs);
    if (rc != 0) {
        zsock_destroy(&sock);
        zhashx_destroy(&z->lists);
        zhashx_destroy(&z->denied);
        free(z);
        return rc;
    }
    *out = z;
    return GL_OK;
}

void gl_zap_free(gl_zap_t **pz)
{
    if (!pz || !*pz)
        return;
    gl_zap_t *z = *pz;
    *pz = NULL;
    gl_loop_remove(&z->zs);
    zhashx_destroy(&z->lists);
    zhashx_destroy(&z->denied);
    free(z);
}

int gl_zap_allow(gl_zap_t *z, const char *domain, const char *key_z85, const char *user_id)
{
    if (!z || !domain || !key_z85 || strlen(key_z85) != 40 || !user_id)
        return GL_EINVAL;
    zhashx_t *list = zhashx_lookup(z->lists, domain);
    if (!list) {
        list = zhashx_new();
        zhashx_set_destructor(list, (zhashx_destructor_fn *)zstr_free);
        zhashx_set_duplicator(list, (zhashx_duplicator_fn *)strdup);
        zhashx_insert(z->lists, domain, list);
    }
    zhashx_update(list, key_z85, (void *)user_id);
    return GL_OK;
}

int gl_zap_revoke(gl_zap_t *z, const char *domain, const char *key_z85)
{
    if (!z || !domain || !key_z85)
        return GL_EINVAL;
    zhashx_t *list = zhashx_lookup(z->lists, domain);
    if (!list || !zhashx_lookup(list, key_z85))
        return GL_ENOENT;
    zhashx_delete(list, key_z85);
    return GL_OK;
}

uint64_t gl_zap_admitted(const gl_zap_t *z)
{
    return z->admitted;
}
uint64_t gl_zap_refused(const gl_zap_t *z)
{
    return z->refused;
}

uint64_t gl_zap_denied_count(const gl_zap_t *z, const char *domain)
{
    const uint64_t *count = z && domain ? zhashx_lookup(z->denied, domain) : NULL;
    return count ? *count : 0;
}

void gl_curve_server(zsock_t *sock, zcert_t *cert, const char *domain)
{
    zsock_set_zap_domain(sock, domain);
    zcert_apply(cert, sock);
    zsock_set_curve_server(sock, 1);
}

void gl_curve_client(zsock_t *sock, zcert_t *cert, const char *server_key_z85)
{
    zcert_apply(cert, sock);
    zsock_set_curve_serverkey(sock, server_key_z85);
}

const char *gl_frame_user(zframe_t *frame)
{
    const char *u = zframe_meta(frame, "User-Id");
    return (u && *u) ? u : NULL;
}
