/* ctl.h: the local control channel between the CLI and node processes.
 *
 * Each node process binds one ROUTER on ipc://HOME/run/proc-PID.sock and
 * links HOME/run/NODE_ID.sock to it for every node it hosts, so a client that
 * knows a node ID finds its process without any registry. Requests and
 * replies are CtlRequest / CtlReply protobufs; this channel is local and
 * protected by the home directory's permissions (mode 0700), not CurveZMQ. */
#ifndef GL_CTL_H
#define GL_CTL_H

#include "gridlink.pb-c.h"

/* Send req to the process hosting req->node under home and wait up to
 * timeout_ms for the reply. *reply is owned by the caller
 * (gridlink__v1__ctl_reply__free_unpacked). GL_EDOWN if no process hosts the
 * node or it does not answer in time; err gets a one-line reason. A request
 * that names no person goes as the operator's (gl_ctl_operator), so the
 * case history records who at the node's machine made a change. */
int gl_ctl_call(const char *home, const Gridlink__V1__CtlRequest *req, int timeout_ms, Gridlink__V1__CtlReply **reply,
                char *err, size_t errlen);

/* The person at the shell: $GRIDLINK_OPERATOR, else the login name. */
const char *gl_ctl_operator(void);

#endif
