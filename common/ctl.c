/* ctl.c: see ctl.h. */
#include "ctl.h"

#include <czmq.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "error.h"
#include "home.h"
#include "sock.h"

const char *gl_ctl_operator(void)
{
    static char name[129];
    if (name[0])
        return name;
    const char *env = getenv("GRIDLINK_OPERATOR");
    const struct passwd *pw = env && env[0] ? NULL : getpwuid(geteuid());
    snprintf(name, sizeof name, "%s", env && env[0] ? env : pw && pw->pw_name ? pw->pw_name : "operator");
    if (!gl_utf8_valid(name, strlen(name)))
        snprintf(name, sizeof name, "operator");
    return name;
}

int gl_ctl_call(const char *home, const Gridlink__V1__CtlRequest *in, int timeout_ms, Gridlink__V1__CtlReply **reply,
                char *err, size_t errlen)
{
    *reply = NULL;
    /* The person at the shell is named in what the request changes. */
    Gridlink__V1__CtlRequest named = *in;
    if (!named.user || !named.user[0])
        named.user = (char *)gl_ctl_operator();
    const Gridlink__V1__CtlRequest *req = &named;
    char path[PATH_MAX];
    if (gl_home_path(path, sizeof path, home, "run/%s.sock", req->node) != 0) {
        snprintf(err, errlen, "home path too long");
        return GL_EINVAL;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "node %s is down (no process serves it)", req->node);
        return GL_EDOWN;
    }
    char endpoint[PATH_MAX + 8];
    snprintf(endpoint, sizeof endpoint, "ipc://%s", path);
    zsock_t *s = gl_sock_new(ZMQ_DEALER, GL_MAX_CTL_REPLY_FRAME);
    if (!s) {
        snprintf(err, errlen, "cannot create socket");
        return GL_EIO;
    }
    if (zsock_connect(s, "%s", endpoint) != 0) {
        zsock_destroy(&s);
        snprintf(err, errlen, "cannot connect to %s", endpoint);
        return GL_EDOWN;
    }
    uint8_t *buf;
    size_t len;
    int rc = gl_pack(&req->base, &buf, &len);
    if (rc != 0) {
        zsock_destroy(&s);
        return rc;
    }
    zframe_t *f = zframe_new(buf, len);
    free(buf);
    zsock_set_sndtimeo(s, timeout_ms);
    if (zframe_send(&f, s, 0) != 0) {
        zframe_destroy(&f);
        zsock_destroy(&s);
        snprintf(err, errlen, "node %s is down (request not sent)", req->node);
        return GL_EDOWN;
    }
    zpoller_t *p = zpoller_new(s, NULL);
    void *which = zpoller_wait(p, timeout_ms);
    zpoller_destroy(&p);
    if (!which) {
        zsock_destroy(&s);
        snprintf(err, errlen, "node %s is down (no answer in %d ms)", req->node, timeout_ms);
        return GL_EDOWN;
    }
    zframe_t *r = zframe_recv(s);
    zsock_destroy(&s);
    if (!r) {
        snprintf(err, errlen, "node %s: empty reply", req->node);
        return GL_EPROTO;
    }
    rc = gl_decode_ctl_reply(zframe_data(r), zframe_size(r), reply, err, errlen);
    zframe_destroy(&r);
    return rc;
}
