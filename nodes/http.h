/* http.h: an HTTP/1.1 server on the node process's libuv loop, with
 * libmicrohttpd running without threads of its own: the loop watches its
 * epoll descriptor, runs it when that is readable, when its timeout passes
 * and, when it says it has work left (a timeout of 0), on the next turn of
 * the loop (an idle handle, since its connection sockets are edge-triggered).
 *
 * A request reaches the handler once, whole: method, path, query, headers
 * and a body of at most the limit given (a larger one gets 413 before it is
 * read; one without a length, 411). The handler answers at once
 * (gl_http_respond, gl_http_json, gl_http_error), or holds the request
 * (gl_http_hold) and answers later from the loop; every request gets exactly
 * one answer. Idle connections are closed after the timeout given, and the
 * number of connections and the header bytes of each are bounded.
 *
 * Ownership: the server owns its requests; a request pointer stays valid
 * until it is answered. gl_http_stop answers what is held with 503. */
#ifndef GL_HTTP_H
#define GL_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct gl_http gl_http_t;
typedef struct gl_http_req gl_http_req_t;

typedef void (*gl_http_handler)(gl_http_req_t *r, void *arg);

typedef struct gl_http_limits {
    size_t max_body;         /* bytes of a request body */
    unsigned max_conns;      /* connections at once */
    unsigned idle_timeout_s; /* an idle connection is closed after this */
    unsigned header_s;       /* a new connection's first request line and headers must be in by then */
    unsigned per_address;    /* connections at once from one address other than loopback (0: no limit) */
    /* A larger body for some routes (uploads); NULL: max_body for all. */
    size_t (*body_limit)(const char *method, const char *url, size_t max_body);
} gl_http_limits;

/* The staff API's limits (door.c): 256 KiB bodies, 4096 connections, 64
 * from one address off loopback, 5 s for a new connection's headers, 30 s
 * idle. The benchmark's trivial server (bench/httpd.c) runs with the same. */
gl_http_limits gl_http_api_limits(void);

/* Listen on host (an IPv4 address) and port (0: any free one). GL_EIO with
 * the reason in err when it cannot. */
int gl_http_start(uv_loop_t *uv, const char *host, int port, const gl_http_limits *lim, gl_http_handler fn, void *arg,
                  gl_http_t **out, char *err, size_t errlen);
/* The port listened on. */
int gl_http_port(const gl_http_t *h);
void gl_http_stop(gl_http_t **h);

/* Requests counted since start: served, refused before the handler (size,
 * length, method), and answered with an error status by the handler. */
typedef struct gl_http_counts {
    uint64_t requests, refused, errors;
    uint64_t cut_slow;    /* connections closed for not sending their headers in time */
    uint64_t per_address; /* connections refused past the per-address limit */
} gl_http_counts;
gl_http_counts gl_http_counters(const gl_http_t *h);

const char *gl_http_method(const gl_http_req_t *r);
const char *gl_http_path(const gl_http_req_t *r);
/* A query argument or a header (case-insensitive), NULL when absent. */
const char *gl_http_query(const gl_http_req_t *r, const char *key);
const char *gl_http_header(const gl_http_req_t *r, const char *name);
const char *gl_http_cookie(const gl_http_req_t *r, const char *name);
const uint8_t *gl_http_body(const gl_http_req_t *r, size_t *len);
/* The client's address as text ("" when unknown), in buf. */
const char *gl_http_peer(const gl_http_req_t *r, char *buf, size_t size);
/* A short note the handler keeps with a held request for its answer (at
 * most GL_HTTP_TAG_MAX - 1 bytes, copied); "" until set. */
#define GL_HTTP_TAG_MAX 48
void gl_http_set_tag(gl_http_req_t *r, const char *tag);
const char *gl_http_tag(const gl_http_req_t *r);

/* Answer with status and a body (copied). */
void gl_http_respond(gl_http_req_t *r, int status, const char *content_type, const void *body, size_t len);
/* The same with extra headers: name, value, ..., NULL. A Cache-Control
 * among them replaces the default no-store. */
void gl_http_respond_with(gl_http_req_t *r, int status, const char *content_type, const void *body, size_t len,
                          const char *const *headers);
/* Answer with a JSON document (taken: the reference is the server's). */
void gl_http_json(gl_http_req_t *r, int status, json_t *doc);
/* The body as JSON (duplicate keys refused; a new reference), or NULL with
 * why said. */
json_t *gl_http_body_json(gl_http_req_t *r, char *why, size_t whylen);
void gl_http_json_with(gl_http_req_t *r, int status, json_t *doc, const char *const *headers);
/* Answer {"error": {"code": code, "message": ...}} with status. */
void gl_http_error(gl_http_req_t *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The answer comes later: the connection waits for it. */
void gl_http_hold(gl_http_req_t *r);

/* A streamed answer (Server-Sent Events): opened from the handler, fed with
 * gl_http_stream_write from the loop for as long as the client stays. The
 * stream buffers at most GL_HTTP_STREAM_MAX bytes not yet sent (a write past
 * it is refused with GL_EAGAIN: the feeder waits for on_drain); with nothing
 * to send, the connection is suspended, and a write resumes it (at most
 * GL_HTTP_RESUME_BATCH connections a loop turn). on_drain is called when
 * the buffer has room again, on_close once when the client is gone or the
 * server stops; the stream pointer is invalid after on_close returns. */
#define GL_HTTP_STREAM_MAX   (256u * 1024)
#define GL_HTTP_RESUME_BATCH 64
typedef struct gl_http_stream gl_http_stream_t;
typedef void (*gl_http_stream_fn)(gl_http_stream_t *s, void *arg);
gl_http_stream_t *gl_http_stream_open(gl_http_req_t *r, const char *content_type, gl_http_stream_fn on_drain,
                                      gl_http_stream_fn on_close, void *arg);
int gl_http_stream_write(gl_http_stream_t *s, const void *buf, size_t len);
size_t gl_http_stream_pending(const gl_http_stream_t *s);

#endif
