/* loop.h: ZeroMQ sockets inside one libuv loop.
 *
 * ZMQ_FD is edge-triggered and may wake the loop with nothing to read, so the
 * poll callback only marks a socket as worth looking at; all reading happens
 * in one service routine that runs from the loop's single prepare handle
 * (after timers, before blocking) and its single check handle (after I/O).
 * The routine drains every marked socket while ZMQ_EVENTS says readable, with
 * a per-socket budget (1024 messages, or less when the handler yields) so a
 * busy peer cannot starve timers and a batch stays bounded, then runs the
 * flush callbacks (where nodes commit their batch and only then send acks),
 * then re-reads ZMQ_EVENTS of every registered socket: a send processes its
 * socket's pending commands and can take the edge its fd would have raised,
 * and the loop does not track which sockets the flush sent on. If any socket
 * is still readable, an idle handle keeps the next poll from blocking.
 *
 * gl_zsock_t owns its zsock_t: gl_loop_remove closes the poll handle first
 * and destroys the socket in the close callback. The loop owns every
 * gl_zsock_t registered with it; gl_loop_free removes them all. */
#ifndef GL_LOOP_H
#define GL_LOOP_H

#include <czmq.h>
#include <stdbool.h>
#include <uv.h>

typedef struct gl_loop gl_loop_t;
typedef struct gl_zsock gl_zsock_t;

/* Handle one message read from zs. The loop owns msg and destroys it when
 * the handler returns. */
typedef void(gl_zsock_read_fn)(gl_zsock_t *zs, zmsg_t *msg, void *arg);
/* Run once per service pass after all reads. */
typedef void(gl_loop_flush_fn)(void *arg);

int gl_loop_new(uv_loop_t *uv, gl_loop_t **out);
/* Stops the handles, closes every socket, frees the loop; runs the uv loop
 * until the close callbacks are done. Sets *l to NULL. */
void gl_loop_free(gl_loop_t **l);
uv_loop_t *gl_loop_uv(gl_loop_t *l);

/* Register sock (ownership passes to the loop on success). Sets RCVTIMEO and
 * SNDTIMEO to 0 so nothing in the loop can block. */
int gl_loop_add(gl_loop_t *l, zsock_t *sock, gl_zsock_read_fn *fn, void *arg, gl_zsock_t **out);
/* Close and destroy; sets *zs to NULL. */
void gl_loop_remove(gl_zsock_t **zs);
zsock_t *gl_zsock_sock(gl_zsock_t *zs);
/* From a read handler: enough for this pass (a batch is full); what is left
 * on zs is read in the next pass, after the flush. */
void gl_zsock_yield(gl_zsock_t *zs);
/* Tell the loop a send happened on zs, so its ZMQ_EVENTS are re-read. */
void gl_zsock_kick(gl_zsock_t *zs);

int gl_loop_add_flush(gl_loop_t *l, gl_loop_flush_fn *fn, void *arg);
/* Ask for another service pass without waiting for I/O. */
void gl_loop_wake(gl_loop_t *l);

#endif
