/* fuzz_http.c: whatever bytes a client sends the node's HTTP server (the
 * request line, headers, bodies, chunked or pipelined requests) are
 * answered or refused, never crash it or leave it stuck: each input is sent
 * on a fresh loopback connection to a server on its own libuv loop, the
 * write side is closed, and the loop runs until the server closes the
 * connection. The handler reads every part of the request and answers it
 * (or holds it and answers on the next turn, as the node does for writes). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "http.h"

static uv_loop_t loop;
static gl_http_t *server;
static gl_http_req_t *held;

static void handle(gl_http_req_t *r, void *arg)
{
    (void)arg;
    size_t len;
    const uint8_t *b = gl_http_body(r, &len);
    const char *q = gl_http_query(r, "page");
    const char *h = gl_http_header(r, "Authorization");
    const char *c = gl_http_cookie(r, "gl_token");
    size_t sum = len + strlen(gl_http_method(r)) + strlen(gl_http_path(r)) + (q ? strlen(q) : 0) + (h ? strlen(h) : 0) +
                 (c ? strlen(c) : 0) + (len ? b[0] : 0);
    if (strcmp(gl_http_method(r), "POST") == 0 && !held) {
        held = r; /* answered later, from the loop */
        gl_http_hold(r);
        return;
    }
    gl_http_json(r, sum % 2 ? 200 : 404, json_pack("{s:I}", "n", (json_int_t)sum));
}

static size_t limit(const char *method, const char *url, size_t max_body)
{
    (void)method;
    return strstr(url, "upload") ? 4 * max_body : max_body;
}

static int start(void)
{
    uv_loop_init(&loop);
    gl_http_limits lim = {.max_body = 4096, .max_conns = 16, .idle_timeout_s = 2, .header_s = 2, .body_limit = limit};
    char err[256];
    if (gl_http_start(&loop, "127.0.0.1", 0, &lim, handle, NULL, &server, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int started;
    if (!started)
        started = !start();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)gl_http_port(server))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        abort();
    size_t off = 0;
    char buf[65536];
    bool closed = false, shut = false;
    for (int turn = 0; turn < 20000 && !closed; turn++) {
        if (off < size) {
            ssize_t n = send(fd, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
                off += (size_t)n;
            else if (n < 0 && errno != EAGAIN)
                off = size; /* the server closed: stop sending */
        } else if (!shut) {
            /* The end of the input, on a turn of its own: the server sees
             * its end as a new event, as it would a client going away. */
            shutdown(fd, SHUT_WR);
            shut = true;
        }
        uv_run(&loop, UV_RUN_NOWAIT);
        if (held) {
            gl_http_req_t *r = held;
            held = NULL;
            gl_http_error(r, 409, "conflict", "held and answered");
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (poll(&p, 1, 0) == 1) {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0) {
                closed = n == 0 || errno != EAGAIN;
                break;
            }
        }
        if (!closed)
            poll(&p, 1, 1);
    }
    close(fd);
    uv_run(&loop, UV_RUN_NOWAIT);
    if (!closed) {
        fprintf(stderr, "the server did not close a connection whose client had finished\n");
        abort();
    }
    return 0;
}
