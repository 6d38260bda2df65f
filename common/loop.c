/* loop.c: see loop.h. The design follows the prepare/check/idle scheme used
 * to put edge-triggered ZeroMQ descriptors into a level-triggered loop. */
#include "loop.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"

#define READ_BUDGET 1024
#define MAX_FLUSH   8

struct gl_zsock {
    gl_loop_t *loop;
    zsock_t *sock;
    void *handle; /* raw libzmq socket */
    uv_poll_t poll;
    gl_zsock_read_fn *fn;
    void *arg;
    bool ready; /* worth reading: fd fired, budget ran out, or kicked */
    bool closing;
    bool yield; /* the handler took enough for this pass */
    size_t slot;
};

struct gl_loop {
    uv_loop_t *uv;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_idle_t idle;
    gl_zsock_t **socks;
    size_t n_socks, cap_socks;
    struct {
        gl_loop_flush_fn *fn;
        void *arg;
    } flush[MAX_FLUSH];
    int n_flush;
    bool in_service;
    bool again;
};

static void noop_idle(uv_idle_t *h)
{
    (void)h;
}

static bool readable(gl_zsock_t *zs)
{
    int ev = 0;
    size_t sz = sizeof ev;
    if (zmq_getsockopt(zs->handle, ZMQ_EVENTS, &ev, &sz) != 0)
        return false;
    return (ev & ZMQ_POLLIN) != 0;
}

static void service(gl_loop_t *l)
{
    if (l->in_service)
        return;
    l->in_service = true;
    bool pending = false;
    for (size_t i = 0; i < l->n_socks; i++) {
        gl_zsock_t *zs = l->socks[i];
        if (!zs || zs->closing || !zs->ready)
            continue;
        zs->ready = false;
        /* The receive fails with EAGAIN when nothing is left, which is as
         * good as asking ZMQ_EVENTS first and saves a call per message. */
        zs->yield = false;
        for (int budget = READ_BUDGET; budget > 0 && !zs->closing && !zs->yield; budget--) {
            zmsg_t *msg = zmsg_recv_nowait(zs->sock);
            if (!msg)
                break;
            zs->fn(zs, msg, zs->arg);
            zmsg_destroy(&msg);
        }
        /* Re-reading ZMQ_EVENTS is what re-arms the edge; if data remains
         * after the budget, look again on the next pass. */
        if (!zs->closing && readable(zs)) {
            zs->ready = true;
            pending = true;
        }
    }
    for (int i = 0; i < l->n_flush; i++)
        l->flush[i].fn(l->flush[i].arg);
    /* Sends in the flush may have changed the readable state of any socket
     * without an edge on its fd. */
    for (size_t i = 0; i < l->n_socks; i++) {
        gl_zsock_t *zs = l->socks[i];
        if (!zs || zs->closing)
            continue;
        if (zs->ready || readable(zs)) {
            zs->ready = true;
            pending = true;
        }
    }
    if (l->again) {
        l->again = false;
        pending = true;
    }
    if (pending)
        uv_idle_start(&l->idle, noop_idle);
    else
        uv_idle_stop(&l->idle);
    l->in_service = false;
}

static void on_prepare(uv_prepare_t *h)
{
    service(h->data);
}
static void on_check(uv_check_t *h)
{
    service(h->data);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    gl_zsock_t *zs = h->data;
    zs->ready = true;
}

int gl_loop_new(uv_loop_t *uv, gl_loop_t **out)
{
    gl_loop_t *l = calloc(1, sizeof *l);
    if (!l)
        return GL_ENOMEM;
    l->uv = uv;
    uv_prepare_init(uv, &l->prepare);
    uv_check_init(uv, &l->check);
    uv_idle_init(uv, &l->idle);
    l->prepare.data = l->check.data = l->idle.data = l;
    uv_prepare_start(&l->prepare, on_prepare);
    uv_check_start(&l->check, on_check);
    /* The prepare and check handles alone must not keep the loop alive. */
    uv_unref((uv_handle_t *)&l->prepare);
    uv_unref((uv_handle_t *)&l->check);
    uv_unref((uv_handle_t *)&l->idle);
    *out = l;
    return GL_OK;
}

uv_loop_t *gl_loop_uv(gl_loop_t *l)
{
    return l->uv;
}

int gl_loop_add(gl_loop_t *l, zsock_t *sock, gl_zsock_read_fn *fn, void *arg, gl_zsock_t **out)
{
    if (!l || !sock || !fn)
        return GL_EINVAL;
    if (l->n_socks == l->cap_socks) {
        size_t cap = l->cap_socks ? l->cap_socks * 2 : 16;
        gl_zsock_t **s = realloc(l->socks, cap * sizeof *s);
        if (!s)
            return GL_ENOMEM;
        l->socks = s;
        l->cap_socks = cap;
    }
    gl_zsock_t *zs = calloc(1, sizeof *zs);
    if (!zs)
        return GL_ENOMEM;
    zs->loop = l;
    zs->sock = sock;
    zs->handle = zsock_resolve(sock);
    zs->fn = fn;
    zs->arg = arg;
    zsock_set_rcvtimeo(sock, 0);
    zsock_set_sndtimeo(sock, 0);
    int fd = zsock_fd(sock);
    int rc = uv_poll_init_socket(l->uv, &zs->poll, fd);
    if (rc != 0) {
        gl_error("loop: cannot poll socket fd %d: %s", fd, uv_strerror(rc));
        free(zs);
        return GL_EIO;
    }
    zs->poll.data = zs;
    uv_poll_start(&zs->poll, UV_READABLE, on_poll);
    zs->slot = l->n_socks;
    l->socks[l->n_socks++] = zs;
    zs->ready = true; /* something may already be queued */
    if (out)
        *out = zs;
    return GL_OK;
}

static void on_poll_closed(uv_handle_t *h)
{
    gl_zsock_t *zs = h->data;
    zsock_destroy(&zs->sock);
    free(zs);
}

void gl_loop_remove(gl_zsock_t **pzs)
{
    if (!pzs || !*pzs)
        return;
    gl_zsock_t *zs = *pzs;
    *pzs = NULL;
    gl_loop_t *l = zs->loop;
    zs->closing = true;
    /* Keep the slot array dense: move the last socket into this slot. */
    size_t last = l->n_socks - 1;
    if (zs->slot != last) {
        l->socks[zs->slot] = l->socks[last];
        l->socks[zs->slot]->slot = zs->slot;
    }
    l->n_socks--;
    uv_poll_stop(&zs->poll);
    uv_close((uv_handle_t *)&zs->poll, on_poll_closed);
}

zsock_t *gl_zsock_sock(gl_zsock_t *zs)
{
    return zs->sock;
}

void gl_zsock_yield(gl_zsock_t *zs)
{
    zs->yield = true;
}

void gl_zsock_kick(gl_zsock_t *zs)
{
    if (zs)
        zs->ready = true;
}

int gl_loop_add_flush(gl_loop_t *l, gl_loop_flush_fn *fn, void *arg)
{
    if (l->n_flush == MAX_FLUSH)
        return GL_ENOMEM;
    l->flush[l->n_flush].fn = fn;
    l->flush[l->n_flush].arg = arg;
    l->n_flush++;
    return GL_OK;
}

void gl_loop_wake(gl_loop_t *l)
{
    l->again = true;
    uv_idle_start(&l->idle, noop_idle);
}

void gl_loop_free(gl_loop_t **pl)
{
    if (!pl || !*pl)
        return;
    gl_loop_t *l = *pl;
    *pl = NULL;
    while (l->n_socks > 0) {
        gl_zsock_t *zs = l->socks[l->n_socks - 1];
        gl_loop_remove(&zs);
    }
    uv_close((uv_handle_t *)&l->prepare, NULL);
    uv_close((uv_handle_t *)&l->check, NULL);
    uv_close((uv_handle_t *)&l->idle, NULL);
    uv_run(l->uv, UV_RUN_NOWAIT);
    free(l->socks);
    free(l);
}
