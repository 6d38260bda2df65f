/* httpd.c: gridlink-bench-httpd, the trivial server of the benchmark's http
 * scenario: the node's HTTP module (nodes/http.c) on a libuv loop with the
 * staff API's limits (gl_http_api_limits), answering every request with 201
 * and a fixed small JSON document, storing nothing. What it costs per
 * request is the HTTP layer's own share of the API's cost.
 *
 *   gridlink-bench-httpd port=P ready=FILE
 *
 * Listens on 127.0.0.1:P, creates FILE once it listens, and stops on
 * SIGTERM or SIGINT. The module owns every request; the handler answers at
 * once from a static buffer (the module copies it). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "bench.h"
#include "http.h"

static const char answer[] = "{\"id\":\"bench\",\"state\":\"reported\"}";

static void on_request(gl_http_req_t *r, void *arg)
{
    (void)arg;
    gl_http_respond(r, 201, "application/json; charset=utf-8", answer, sizeof answer - 1);
}

struct server {
    gl_http_t *http;
    uv_signal_t term, intr;
};

static void on_signal(uv_signal_t *s, int signum)
{
    (void)signum;
    struct server *sv = s->data;
    gl_http_stop(&sv->http);
    uv_close((uv_handle_t *)&sv->term, NULL);
    uv_close((uv_handle_t *)&sv->intr, NULL);
}

int main(int argc, char **argv)
{
    bn_args a;
    bn_args_parse(&a, argc - 1, argv + 1);
    long port = bn_arg_l(&a, "port", 0);
    const char *ready = bn_arg(&a, "ready", NULL);
    if (port <= 0 || port > 65535 || !ready) {
        fprintf(stderr, "usage: gridlink-bench-httpd port=P ready=FILE\n");
        return 2;
    }
    uv_loop_t *uv = uv_default_loop();
    struct server sv = {0};
    gl_http_limits lim = gl_http_api_limits();
    char err[256];
    if (gl_http_start(uv, "127.0.0.1", (int)port, &lim, on_request, NULL, &sv.http, err, sizeof err) != 0) {
        fprintf(stderr, "gridlink-bench-httpd: %s\n", err);
        return 1;
    }
    uv_signal_init(uv, &sv.term);
    uv_signal_init(uv, &sv.intr);
    sv.term.data = sv.intr.data = &sv;
    uv_signal_start(&sv.term, on_signal, SIGTERM);
    uv_signal_start(&sv.intr, on_signal, SIGINT);
    FILE *f = fopen(ready, "w");
    if (!f) {
        fprintf(stderr, "gridlink-bench-httpd: cannot create %s\n", ready);
        return 1;
    }
    fclose(f);
    uv_run(uv, UV_RUN_DEFAULT);
    uv_loop_close(uv);
    return 0;
}
