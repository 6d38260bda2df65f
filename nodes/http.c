/* http.c: the node process's HTTP server (see http.h). libmicrohttpd runs
 * in "external" mode on its epoll descriptor, which a uv_poll_t watches;
 * after every run the loop asks it when to run again: never (no timer), in
 * N ms (a one-shot timer) or at once (an idle handle, so that the loop does
 * not block on a descriptor that will not signal the work left over).
 * Requests are answered on the handler's last call, never its first, so
 * that keep-alive holds; only early refusals (411, 413) are answered on the
 * first call, which closes the connection. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "error.h"
#include "http.h"
#include "log.h"

#define HEADER_TIMEOUT_S 5               /* until the request's headers are in */
#define HEADER_BYTES     ((size_t)32768) /* request line and headers of one connection */

struct gl_http_req {
    gl_http_t *h;
    struct MHD_Connection *conn;
    char method[16];
    char *path;
    uint8_t *body;
    size_t len, cap;
    bool started;   /* the handler was called */
    bool held;      /* its answer comes later */
    bool suspended; /* the connection waits for it */
    bool resuming;  /* answered while suspended: queue on the next call */
    struct MHD_Response *resp;
    unsigned status;
    gl_http_req_t *prev, *next; /* the held list */
};

struct gl_http {
    uv_loop_t *uv;
    struct MHD_Daemon *d;
    uv_poll_t poll;
    uv_timer_t timer;
    uv_idle_t idle;
    gl_http_limits lim;
    gl_http_handler fn;
    void *arg;
    int port;
    gl_http_counts counts;
    gl_http_req_t *held;
    int open_handles;
};

static void run(gl_http_t *h);

static void on_idle(uv_idle_t *i)
{
    run(i->data);
}

static void on_timer(uv_timer_t *t)
{
    run(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    run(p->data);
}

/* When to run again: never, in N ms, or on the loop's next turn. */
static void rearm(gl_http_t *h)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(h->d, &ms) != MHD_YES) {
        uv_idle_stop(&h->idle);
        uv_timer_stop(&h->timer);
    } else if (ms == 0) {
        uv_idle_start(&h->idle, on_idle);
    } else {
        uv_idle_stop(&h->idle);
        uv_timer_start(&h->timer, on_timer, ms, 0);
    }
}

static void run(gl_http_t *h)
{
    if (!h->d)
        return;
    MHD_run(h->d);
    rearm(h);
}

static void unhold(gl_http_req_t *r)
{
    gl_http_t *h = r->h;
    if (r->prev)
        r->prev->next = r->next;
    else if (h->held == r)
        h->held = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static enum MHD_Result queue(gl_http_req_t *r)
{
    enum MHD_Result ok = MHD_queue_response(r->conn, r->status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return ok;
}

/* An answer before the handler ran: the connection closes after it. */
static enum MHD_Result refuse_early(gl_http_req_t *r, unsigned status, const char *code, const char *message)
{
    r->h->counts.refused++;
    gl_http_error(r, (int)status, code, "%s", message);
    return queue(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls)
{
    gl_http_t *h = cls;
    gl_http_req_t *r = *con_cls;
    (void)version;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->h = h;
        r->conn = conn;
        snprintf(r->method, sizeof r->method, "%s", method);
        r->path = strdup(url);
        *con_cls = r;
        if (!r->path)
            return MHD_NO;
        /* Headers are in: the ordinary idle timeout from here on. */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, h->lim.idle_timeout_s);
        const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (te)
            return refuse_early(r, MHD_HTTP_LENGTH_REQUIRED, "length-required",
                                "a request body needs a Content-Length (no chunked uploads)");
        if (cl && strtoull(cl, NULL, 10) > h->lim.max_body) {
            char msg[96];
            snprintf(msg, sizeof msg, "a request body may be at most %zu bytes", h->lim.max_body);
            return refuse_early(r, MHD_HTTP_CONTENT_TOO_LARGE, "too-large", msg);
        }
        return MHD_YES;
    }
    if (*size) {
        if (r->len + *size > h->lim.max_body)
            return MHD_NO; /* cannot happen past the Content-Length check; close */
        if (r->len + *size > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + *size)
                cap *= 2;
            uint8_t *b = realloc(r->body, cap);
            if (!b)
                return MHD_NO;
            r->body = b;
            r->cap = cap;
        }
        memcpy(r->body + r->len, data, *size);
        r->len += *size;
        *size = 0;
        return MHD_YES;
    }
    if (r->resuming) {
        r->resuming = false;
        return queue(r);
    }
    if (!r->started) {
        r->started = true;
        h->counts.requests++;
        h->fn(r, h->arg);
    }
    if (r->resp)
        return queue(r); /* answered, even if it was held meanwhile */
    if (r->held && !r->suspended) {
        r->suspended = true;
        MHD_suspend_connection(conn);
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)conn;
    (void)why;
    gl_http_req_t *r = *con_cls;
    if (!r)
        return;
    if (r->held)
        unhold(r);
    if (r->resp)
        MHD_destroy_response(r->resp);
    free(r->path);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* A new connection: a short timeout until its headers are in (a client
 * that sends them a byte at a time is cut off sooner). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)HEADER_TIMEOUT_S);
}

int gl_http_start(uv_loop_t *uv, const char *host, int port, const gl_http_limits *lim, gl_http_handler fn, void *arg,
                  gl_http_t **out, char *err, size_t errlen)
{
    *out = NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "HTTP: '%s' is not an IPv4 address to listen on", host);
        return GL_EINVAL;
    }
    gl_http_t *h = calloc(1, sizeof *h);
    if (!h)
        return GL_ENOMEM;
    h->uv = uv;
    h->lim = *lim;
    h->fn = fn;
    h->arg = arg;
    h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
                            MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                            lim->max_conns, MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_timeout_s,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, HEADER_BYTES, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                            h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "HTTP: cannot listen on %s:%d (in use, or not an address of this host)", host, port);
        free(h);
        return GL_EIO;
    }
    const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    const union MHD_DaemonInfo *ei = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->port = pi ? pi->port : port;
    if (!ei || uv_poll_init(uv, &h->poll, ei->epoll_fd) != 0) {
        snprintf(err, errlen, "HTTP: cannot watch the server's descriptor");
        MHD_stop_daemon(h->d);
        free(h);
        return GL_EIO;
    }
    uv_timer_init(uv, &h->timer);
    uv_idle_init(uv, &h->idle);
    h->poll.data = h->timer.data = h->idle.data = h;
    uv_poll_start(&h->poll, UV_READABLE, on_poll);
    rearm(h);
    *out = h;
    return GL_OK;
}

gl_http_limits gl_http_api_limits(void)
{
    return (gl_http_limits){.max_body = (size_t)256 * 1024, .max_conns = 512, .idle_timeout_s = 30};
}

int gl_http_port(const gl_http_t *h)
{
    return h->port;
}

gl_http_counts gl_http_counters(const gl_http_t *h)
{
    return h->counts;
}

static void on_handle_closed(uv_handle_t *hd)
{
    gl_http_t *h = hd->data;
    if (--h->open_handles == 0)
        free(h);
}

void gl_http_stop(gl_http_t **hp)
{
    gl_http_t *h = *hp;
    *hp = NULL;
    if (!h)
        return;
    while (h->held) {
        gl_http_req_t *r = h->held;
        gl_http_error(r, 503, "stopping", "the node is stopping");
    }
    uv_poll_stop(&h->poll);
    uv_timer_stop(&h->timer);
    uv_idle_stop(&h->idle);
    MHD_stop_daemon(h->d);
    h->d = NULL;
    h->open_handles = 3;
    uv_close((uv_handle_t *)&h->poll, on_handle_closed);
    uv_close((uv_handle_t *)&h->timer, on_handle_closed);
    uv_close((uv_handle_t *)&h->idle, on_handle_closed);
}

const char *gl_http_method(const gl_http_req_t *r)
{
    return r->method;
}

const char *gl_http_path(const gl_http_req_t *r)
{
    return r->path;
}

const char *gl_http_query(const gl_http_req_t *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *gl_http_header(const gl_http_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const uint8_t *gl_http_body(const gl_http_req_t *r, size_t *len)
{
    *len = r->len;
    return r->body ? r->body : (const uint8_t *)"";
}

void gl_http_respond(gl_http_req_t *r, int status, const char *content_type, const void *body, size_t len)
{
    if (r->resp || r->resuming)
        return; /* answered already */
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    r->resp = resp;
    r->status = (unsigned)status;
    if (status >= 400)
        r->h->counts.errors++;
    if (r->held) {
        unhold(r);
        r->held = false;
    }
    if (r->suspended) {
        r->suspended = false;
        r->resuming = true;
        MHD_resume_connection(r->conn);
        if (r->h->d)
            uv_idle_start(&r->h->idle, on_idle); /* resuming does not wake the loop */
    }
}

void gl_http_json(gl_http_req_t *r, int status, json_t *doc)
{
    char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!s) {
        static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        gl_http_respond(r, 500, "application/json; charset=utf-8", oom, sizeof oom - 1);
        return;
    }
    gl_http_respond(r, status, "application/json; charset=utf-8", s, strlen(s));
    free(s);
}

void gl_http_error(gl_http_req_t *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gl_http_json(r, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

void gl_http_hold(gl_http_req_t *r)
{
    if (r->resp || r->held)
        return;
    r->held = true;
    r->next = r->h->held;
    if (r->next)
        r->next->prev = r;
    r->h->held = r;
}
