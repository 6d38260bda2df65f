/* http.c: the node process's HTTP server (see http.h). libmicrohttpd runs
 * in "external" mode on its epoll descriptor, which a uv_poll_t watches;
 * after every run the loop asks it when to run again: never (no timer), in
 * N ms (a one-shot timer) or at once (an idle handle, so that the loop does
 * not block on a descriptor that will not signal the work left over).
 * Requests are answered on the handler's last call, never its first, so
 * that keep-alive holds; only early refusals (411, 413) are answered on the
 * first call, which closes the connection.
 *
 * libmicrohttpd's timeout counts inactivity only, so a client that sends
 * its headers a byte at a time would never be cut off: every connection
 * carries a deadline of its own (its first request's headers, a body, the
 * next request of a kept-alive connection), and a sweep once a second shuts
 * down the socket of any connection past it, which the library then closes.
 * Connections from one address other than loopback are bounded the same
 * way (loopback is where a reverse proxy speaks for everyone).
 *
 * Streams (SSE) are callback responses: the reader hands out what the
 * stream buffers and suspends the connection when there is nothing; a write
 * queues the connection for resumption, done a batch at a time. */
#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "error.h"
#include "http.h"
#include "jsontext.h"
#include "log.h"

#define HEADER_BYTES ((size_t)32768) /* request line and headers of one connection */
#define BODY_S       120             /* a request body must be in by then (a photo over a slow link) */
#define SWEEP_MS     1000
#define STREAM_BLOCK ((size_t)16384)

/* One connection: its deadline and the address it counts against. */
struct conn {
    struct MHD_Connection *c;
    int64_t deadline_ms; /* 0: none (a request being answered) */
    char addr[INET6_ADDRSTRLEN];
    bool counted; /* in the per-address table */
    struct conn *prev, *next;
};

struct gl_http_stream {
    gl_http_t *h;
    struct MHD_Connection *conn;
    uint8_t *buf;
    size_t off, len, cap;
    bool suspended, queued, drain_due, was_full, ending;
    gl_http_stream_fn on_drain, on_close;
    void *arg;
    gl_http_stream_t *prev, *next; /* every open stream */
    gl_http_stream_t *wnext;       /* the wake list */
};

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
    size_t max_body;
    struct MHD_Response *resp;
    unsigned status;
    gl_http_req_t *prev, *next; /* the held list */
    char tag[GL_HTTP_TAG_MAX];  /* the handler's note for its later answer */
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
    uv_timer_t sweep;
    struct conn *conns;
    zhashx_t *per_addr; /* address -> connections from it (as a pointer-sized count) */
    gl_http_stream_t *streams;
    gl_http_stream_t *wake, *wake_tail;
};

static int64_t now_ms(void)
{
    return (int64_t)(zclock_mono());
}

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

/* Streams with something to send again: resumed a batch at a time (each
 * resumption costs the library a pass over the connection). */
static bool resume_some(gl_http_t *h)
{
    for (int n = 0; h->wake && n < (int)GL_HTTP_RESUME_BATCH; n++) {
        gl_http_stream_t *s = h->wake;
        h->wake = s->wnext;
        if (!h->wake)
            h->wake_tail = NULL;
        s->wnext = NULL;
        s->queued = false;
        if (s->suspended) {
            s->suspended = false;
            MHD_resume_connection(s->conn);
        }
    }
    return h->wake != NULL;
}

static void drain_callbacks(gl_http_t *h)
{
    for (gl_http_stream_t *s = h->streams, *next; s; s = next) {
        next = s->next;
        if (s->drain_due) {
            s->drain_due = false;
            if (s->on_drain)
                s->on_drain(s, s->arg);
        }
    }
}

static void run(gl_http_t *h)
{
    if (!h->d)
        return;
    bool more = resume_some(h);
    MHD_run(h->d);
    drain_callbacks(h);
    more = resume_some(h) || more;
    rearm(h);
    if (more)
        uv_idle_start(&h->idle, on_idle);
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
        /* Headers are in: the body has its own deadline. */
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct conn *cx = ci ? ci->socket_context : NULL;
        if (cx)
            cx->deadline_ms = now_ms() + (int64_t)BODY_S * 1000;
        r->max_body = h->lim.body_limit ? h->lim.body_limit(method, url, h->lim.max_body) : h->lim.max_body;
        const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (te)
            return refuse_early(r, MHD_HTTP_LENGTH_REQUIRED, "length-required",
                                "a request body needs a Content-Length (no chunked uploads)");
        if (cl && strtoull(cl, NULL, 10) > r->max_body) {
            char msg[96];
            snprintf(msg, sizeof msg, "a request body may be at most %zu bytes", r->max_body);
            return refuse_early(r, MHD_HTTP_CONTENT_TOO_LARGE, "too-large", msg);
        }
        return MHD_YES;
    }
    if (*size) {
        if (r->len + *size > r->max_body)
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
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (ci && ci->socket_context)
            ((struct conn *)ci->socket_context)->deadline_ms = 0; /* all in: answering is ours */
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
    gl_http_t *h = cls;
    (void)why;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && ci->socket_context) /* kept alive: the next request must come whole within the idle time */
        ((struct conn *)ci->socket_context)->deadline_ms = now_ms() + (int64_t)h->lim.idle_timeout_s * 1000;
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

static bool loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return true; /* not from the network */
}

static void addr_text(const struct sockaddr *sa, char *out, size_t size)
{
    out[0] = 0;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

static void cut(struct conn *cx)
{
    const union MHD_ConnectionInfo *fi = MHD_get_connection_info(cx->c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (fi)
        shutdown(fi->connect_fd, SHUT_RDWR); /* the library sees the end and closes it */
    cx->deadline_ms = 0;
}

/* A connection opens (its first headers have a short deadline, and it
 * counts against its address) or closes. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    gl_http_t *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *cx = calloc(1, sizeof *cx);
        *socket_context = cx;
        if (!cx)
            return;
        cx->c = conn;
        cx->deadline_ms = now_ms() + (int64_t)h->lim.header_s * 1000;
        cx->next = h->conns;
        if (h->conns)
            h->conns->prev = cx;
        h->conns = cx;
        const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (h->lim.per_address && h->per_addr && ai && ai->client_addr && !loopback(ai->client_addr)) {
            addr_text(ai->client_addr, cx->addr, sizeof cx->addr);
            uintptr_t n = (uintptr_t)zhashx_lookup(h->per_addr, cx->addr) + 1;
            zhashx_update(h->per_addr, cx->addr, (void *)n);
            cx->counted = true;
            if (n > h->lim.per_address) {
                h->counts.per_address++;
                gl_warn("HTTP: %s has %u connections open; the newest is closed", cx->addr, h->lim.per_address);
                cut(cx);
            }
        }
        return;
    }
    struct conn *cx = *socket_context;
    if (!cx)
        return;
    if (cx->counted) {
        uintptr_t n = (uintptr_t)zhashx_lookup(h->per_addr, cx->addr);
        if (n <= 1)
            zhashx_delete(h->per_addr, cx->addr);
        else
            zhashx_update(h->per_addr, cx->addr, (void *)(n - 1));
    }
    if (cx->prev)
        cx->prev->next = cx->next;
    else
        h->conns = cx->next;
    if (cx->next)
        cx->next->prev = cx->prev;
    free(cx);
    *socket_context = NULL;
}

/* Once a second: connections past their deadline are shut down. */
static void on_sweep(uv_timer_t *t)
{
    gl_http_t *h = t->data;
    int64_t now = now_ms();
    bool any = false;
    for (struct conn *cx = h->conns; cx; cx = cx->next)
        if (cx->deadline_ms && now > cx->deadline_ms) {
            h->counts.cut_slow++;
            cut(cx);
            any = true;
        }
    if (any)
        run(h);
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
    if (!h->lim.header_s)
        h->lim.header_s = 5;
    h->per_addr = zhashx_new();
    h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
                            MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                            lim->max_conns, MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_timeout_s,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, HEADER_BYTES, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                            h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "HTTP: cannot listen on %s:%d (in use, or not an address of this host)", host, port);
        zhashx_destroy(&h->per_addr);
        free(h);
        return GL_EIO;
    }
    const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    const union MHD_DaemonInfo *ei = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->port = pi ? pi->port : port;
    if (!ei || uv_poll_init(uv, &h->poll, ei->epoll_fd) != 0) {
        snprintf(err, errlen, "HTTP: cannot watch the server's descriptor");
        MHD_stop_daemon(h->d);
        zhashx_destroy(&h->per_addr);
        free(h);
        return GL_EIO;
    }
    uv_timer_init(uv, &h->timer);
    uv_timer_init(uv, &h->sweep);
    uv_idle_init(uv, &h->idle);
    h->poll.data = h->timer.data = h->idle.data = h->sweep.data = h;
    uv_poll_start(&h->poll, UV_READABLE, on_poll);
    uv_timer_start(&h->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
    rearm(h);
    *out = h;
    return GL_OK;
}

gl_http_limits gl_http_api_limits(void)
{
    return (gl_http_limits){
        .max_body = (size_t)256 * 1024, .max_conns = 4096, .idle_timeout_s = 30, .header_s = 5, .per_address = 64};
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
    if (--h->open_handles == 0) {
        zhashx_destroy(&h->per_addr);
        free(h);
    }
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
    /* Streams end; no connection may stay suspended past this. */
    for (gl_http_stream_t *s = h->streams; s; s = s->next) {
        s->ending = true;
        s->on_drain = NULL;
        if (s->suspended) {
            s->suspended = false;
            MHD_resume_connection(s->conn);
        }
    }
    h->wake = h->wake_tail = NULL;
    MHD_run(h->d);
    uv_poll_stop(&h->poll);
    uv_timer_stop(&h->timer);
    uv_timer_stop(&h->sweep);
    uv_idle_stop(&h->idle);
    MHD_stop_daemon(h->d);
    h->d = NULL;
    h->open_handles = 4;
    uv_close((uv_handle_t *)&h->poll, on_handle_closed);
    uv_close((uv_handle_t *)&h->timer, on_handle_closed);
    uv_close((uv_handle_t *)&h->idle, on_handle_closed);
    uv_close((uv_handle_t *)&h->sweep, on_handle_closed);
}

const char *gl_http_method(const gl_http_req_t *r)
{
    return r->method;
}

const char *gl_http_path(const gl_http_req_t *r)
{
    return r->path;
}

const char *gl_http_peer(const gl_http_req_t *r, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ai = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (size)
        buf[0] = 0;
    if (ai && ai->client_addr && size)
        addr_text(ai->client_addr, buf, size);
    return buf;
}

void gl_http_set_tag(gl_http_req_t *r, const char *tag)
{
    snprintf(r->tag, sizeof r->tag, "%s", tag ? tag : "");
}

const char *gl_http_tag(const gl_http_req_t *r)
{
    return r->tag;
}

const char *gl_http_query(const gl_http_req_t *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *gl_http_header(const gl_http_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *gl_http_cookie(const gl_http_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const uint8_t *gl_http_body(const gl_http_req_t *r, size_t *len)
{
    *len = r->len;
    return r->body ? r->body : (const uint8_t *)"";
}

void gl_http_respond_with(gl_http_req_t *r, int status, const char *content_type, const void *body, size_t len,
                          const char *const *headers)
{
    if (r->resp || r->resuming)
        return; /* answered already */
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return;
    bool cache_given = false;
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2) {
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
        cache_given = cache_given || strcasecmp(headers[i], MHD_HTTP_HEADER_CACHE_CONTROL) == 0;
    }
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (!cache_given)
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

void gl_http_respond(gl_http_req_t *r, int status, const char *content_type, const void *body, size_t len)
{
    gl_http_respond_with(r, status, content_type, body, len, NULL);
}

void gl_http_json_with(gl_http_req_t *r, int status, json_t *doc, const char *const *headers)
{
    size_t len = 0;
    char *s = doc ? gl_json_text(doc, JSON_COMPACT | JSON_PRESERVE_ORDER, &len) : NULL;
    json_decref(doc);
    if (!s) {
        static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        gl_http_respond(r, 500, "application/json; charset=utf-8", oom, sizeof oom - 1);
        return;
    }
    gl_http_respond_with(r, status, "application/json; charset=utf-8", s, len, headers);
    free(s);
}

json_t *gl_http_body_json(gl_http_req_t *r, char *why, size_t whylen)
{
    size_t len;
    const uint8_t *b = gl_http_body(r, &len);
    json_error_t e;
    json_t *j = json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        snprintf(why, whylen, "the body is not JSON: %s (line %d)", e.text, e.line);
    return j;
}

void gl_http_json(gl_http_req_t *r, int status, json_t *doc)
{
    gl_http_json_with(r, status, doc, NULL);
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

/* ---- streams ---- */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    gl_http_stream_t *s = cls;
    size_t have = s->len - s->off;
    if (have) {
        size_t n = have < max ? have : max;
        memcpy(buf, s->buf + s->off, n);
        s->off += n;
        if (s->off == s->len)
            s->off = s->len = 0;
        if (s->was_full && s->len - s->off < GL_HTTP_STREAM_MAX / 2) {
            s->was_full = false;
            s->drain_due = true;
        }
        return (ssize_t)n;
    }
    if (s->ending)
        return MHD_CONTENT_READER_END_OF_STREAM;
    /* Nothing to send: park the connection until a write. */
    s->suspended = true;
    MHD_suspend_connection(s->conn);
    s->drain_due = s->on_drain != NULL;
    return 0;
}

static void stream_free(void *cls)
{
    gl_http_stream_t *s = cls;
    gl_http_t *h = s->h;
    if (s->prev)
        s->prev->next = s->next;
    else
        h->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (s->queued) { /* off the wake list */
        gl_http_stream_t **p = &h->wake;
        h->wake_tail = NULL;
        while (*p) {
            if (*p == s)
                *p = s->wnext;
            else {
                h->wake_tail = *p;
                p = &(*p)->wnext;
            }
        }
    }
    if (s->on_close)
        s->on_close(s, s->arg);
    free(s->buf);
    free(s);
}

gl_http_stream_t *gl_http_stream_open(gl_http_req_t *r, const char *content_type, gl_http_stream_fn on_drain,
                                      gl_http_stream_fn on_close, void *arg)
{
    if (r->resp || r->resuming || r->held)
        return NULL;
    gl_http_stream_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->h = r->h;
    s->conn = r->conn;
    s->on_drain = on_drain;
    s->arg = arg;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s, stream_free);
    if (!resp) {
        free(s);
        return NULL;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* a reverse proxy passes events on at once */
    s->on_close = on_close;                                   /* from here the response owns s */
    s->next = r->h->streams;
    if (s->next)
        s->next->prev = s;
    r->h->streams = s;
    r->resp = resp;
    r->status = 200;
    return s;
}

int gl_http_stream_write(gl_http_stream_t *s, const void *buf, size_t len)
{
    if (s->ending)
        return GL_EIO;
    size_t have = s->len - s->off;
    if (have + len > GL_HTTP_STREAM_MAX) {
        s->was_full = true;
        return GL_EAGAIN;
    }
    if (s->len + len > s->cap) {
        if (s->off) {
            memmove(s->buf, s->buf + s->off, have);
            s->off = 0;
            s->len = have;
        }
        if (s->len + len > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + len)
                cap *= 2;
            uint8_t *b = realloc(s->buf, cap);
            if (!b)
                return GL_ENOMEM;
            s->buf = b;
            s->cap = cap;
        }
    }
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
    if (s->suspended && !s->queued) {
        gl_http_t *h = s->h;
        s->queued = true;
        s->wnext = NULL;
        if (h->wake_tail)
            h->wake_tail->wnext = s;
        else
            h->wake = s;
        h->wake_tail = s;
        if (h->d)
            uv_idle_start(&h->idle, on_idle);
    }
    return GL_OK;
}

size_t gl_http_stream_pending(const gl_http_stream_t *s)
{
    return s->len - s->off;
}
