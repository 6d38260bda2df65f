/* stream.c: see stream.h. */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casejson.h"
#include "category.h"
#include "core.h"
#include "door.h"
#include "durable.h"
#include "error.h"
#include "feed.h"
#include "home.h"
#include "jsontext.h"
#include "log.h"
#include "names.h"

struct sclient {
    struct stream *st;
    gl_http_stream_t *s;
    durable_counts *sent; /* per topology node: what it was last sent */
    bool full;            /* send every node's counts next tick */
    struct sclient *next;
};

struct stream {
    broker_t *b;
    uv_timer_t timer;
    struct sclient *clients;
    size_t n_clients;
    json_t *alarms, *reports; /* since the last tick, newest last */
    json_t *recent;           /* the last STREAM_RECENT alarms, newest last */
    bool changed;             /* counts may have changed since the last tick */
};

static const char *name_of(broker_t *b, const char *id)
{
    const gl_node_t *n = id && id[0] ? gl_topology_find(b->topo, id) : NULL;
    return n && n->name ? n->name : id;
}

json_t *stream_event_json(broker_t *b, const bus_event_t *ev)
{
    char when[40];
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "node", ev->node, "node_name",
                          name_of(b, ev->node), "seq", (json_int_t)ev->seq, "kind", ev->kind, "case_id", ev->case_id,
                          "state", gl_state_name(ev->state), "state_label", gl_state_label(ev->state), "holder",
                          ev->holder, "time", gl_iso_time(ev->time_ms, when, sizeof when));
    if (!o)
        return NULL;
    if (ev->holder[0])
        json_object_set_new(o, "holder_name", json_string(name_of(b, ev->holder)));
    if (ev->category[0]) {
        json_object_set_new(o, "category", json_string(ev->category));
        const char *cn = gl_category_display_name(b->topo->catalogue, ev->category);
        if (cn)
            json_object_set_new(o, "category_name", json_string(cn));
    }
    if (ev->note[0])
        json_object_set_new(o, "note", json_string(ev->note));
    return o;
}

json_t *stream_counts_json(broker_t *b, const char *node)
{
    const durable_counts *c = durable_counts_of(b, node);
    json_t *o = json_object();
    for (int k = 0; k < DB_BUCKETS; k++)
        json_object_set_new(o, durable_bucket_names[k], json_integer(c ? c->n[k] : 0));
    return o;
}

static void push_bounded(json_t *arr, json_t *item, size_t max)
{
    json_array_append_new(arr, item);
    while (json_array_size(arr) > max)
        json_array_remove(arr, 0);
}

void stream_note(broker_t *b, const bus_event_t *ev)
{
    struct stream *st = b->stream;
    if (!st)
        return;
    st->changed = true;
    bool alarm = strcmp(ev->kind, "escalated") == 0 || strcmp(ev->kind, "overdue") == 0 ||
                 strcmp(ev->kind, "due_soon") == 0 || strcmp(ev->kind, "escalation_pending") == 0;
    bool report = strcmp(ev->kind, "reported") == 0;
    if (!alarm && !report)
        return;
    json_t *j = stream_event_json(b, ev);
    if (!j)
        return;
    if (alarm) {
        push_bounded(st->recent, json_incref(j), STREAM_RECENT);
        if (st->n_clients)
            push_bounded(st->alarms, json_incref(j), STREAM_ALARMS);
    } else if (st->n_clients) {
        push_bounded(st->reports, json_incref(j), STREAM_REPORTS);
    }
    json_decref(j);
}

json_t *stream_recent(broker_t *b)
{
    json_t *out = json_array();
    json_t *r = b->stream ? b->stream->recent : NULL;
    for (size_t i = r ? json_array_size(r) : 0; i > 0; i--)
        json_array_append(out, json_array_get(r, i - 1));
    return out;
}

/* The district's sums and how many nodes are heard on the bus. */
static json_t *summary(broker_t *b)
{
    durable_counts all = {0};
    size_t live = 0;
    int64_t now = core_now_ms(b);
    for (size_t i = 0; i < b->topo->n_nodes; i++) {
        const char *id = b->topo->nodes[i].id;
        const durable_counts *c = durable_counts_of(b, id);
        for (int k = 0; c && k < DB_BUCKETS; k++)
            all.n[k] += c->n[k];
        const feed_t *f = zhashx_lookup(b->feeds, id);
        live += f && f->heard_ms && now - f->heard_ms <= DOOR_LIVE_MS;
    }
    json_t *d = json_object();
    for (int k = 0; k < DB_BUCKETS; k++)
        json_object_set_new(d, durable_bucket_names[k], json_integer(all.n[k]));
    return json_pack("{s:o, s:{s:I, s:I}}", "district", d, "liveness", "nodes", (json_int_t)b->topo->n_nodes, "live",
                     (json_int_t)live);
}

static void send_tick(struct stream *st, struct sclient *c, json_t *shared)
{
    broker_t *b = st->b;
    if (gl_http_stream_pending(c->s) > GL_HTTP_STREAM_MAX / 2) {
        c->full = true; /* behind: everything again once drained */
        return;
    }
    json_t *doc = json_deep_copy(shared);
    json_t *nodes = json_object();
    for (size_t i = 0; i < b->topo->n_nodes; i++) {
        const char *id = b->topo->nodes[i].id;
        const durable_counts *now = durable_counts_of(b, id);
        durable_counts zero = {0};
        if (!now)
            now = &zero;
        if (!c->full && memcmp(now, &c->sent[i], sizeof *now) == 0)
            continue;
        c->sent[i] = *now;
        json_object_set_new(nodes, id, stream_counts_json(b, id));
    }
    json_object_set_new(doc, "nodes", nodes);
    json_object_set_new(doc, "full", json_boolean(c->full));
    c->full = false;
    size_t len = 0;
    char *text = gl_json_text(doc, JSON_COMPACT, &len);
    json_decref(doc);
    if (!text)
        return;
    char *frame = malloc(len + 32);
    if (frame) {
        int n = snprintf(frame, len + 32, "event: tick\ndata: %s\n\n", text);
        if (gl_http_stream_write(c->s, frame, (size_t)n) != 0)
            c->full = true;
    }
    free(frame);
    free(text);
}

static void on_tick(uv_timer_t *t)
{
    struct stream *st = t->data;
    if (!st->clients)
        return;
    bool any_full = false;
    for (struct sclient *c = st->clients; c; c = c->next)
        any_full = any_full || c->full;
    if (!st->changed && !any_full && json_array_size(st->alarms) == 0)
        return;
    json_t *shared = summary(st->b);
    char when[40];
    json_object_set_new(shared, "as_of", json_string(gl_iso_time(gl_now_ms(), when, sizeof when)));
    json_object_set(shared, "alarms", st->alarms);
    json_object_set(shared, "reports", st->reports);
    for (struct sclient *c = st->clients; c; c = c->next)
        send_tick(st, c, shared);
    json_decref(shared);
    json_array_clear(st->alarms);
    json_array_clear(st->reports);
    st->changed = false;
}

static void on_drain(gl_http_stream_t *s, void *arg)
{
    (void)s;
    (void)arg; /* the next tick sends what it skipped */
}

static void on_close(gl_http_stream_t *s, void *arg)
{
    (void)s;
    struct sclient *c = arg;
    struct stream *st = c->st;
    for (struct sclient **pp = &st->clients; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    st->n_clients--;
    free(c->sent);
    free(c);
}

void stream_open(broker_t *b, gl_http_req_t *r)
{
    struct stream *st = b->stream;
    if (st->n_clients >= STREAM_MAX) {
        gl_http_error(r, 503, "unavailable", "the broker serves %d dashboard streams already", STREAM_MAX);
        return;
    }
    struct sclient *c = calloc(1, sizeof *c);
    if (c)
        c->sent = calloc(b->topo->n_nodes ? b->topo->n_nodes : 1, sizeof *c->sent);
    if (!c || !c->sent) {
        if (c)
            free(c->sent);
        free(c);
        gl_http_error(r, 503, "unavailable", "out of memory");
        return;
    }
    c->st = st;
    c->full = true;
    c->s = gl_http_stream_open(r, "text/event-stream; charset=utf-8", on_drain, on_close, c);
    if (!c->s) {
        free(c->sent);
        free(c);
        gl_http_error(r, 500, "internal", "the stream cannot be opened");
        return;
    }
    c->next = st->clients;
    st->clients = c;
    st->n_clients++;
    static const char hello[] = "retry: 2000\n\n";
    gl_http_stream_write(c->s, hello, sizeof hello - 1);
}

int stream_init(broker_t *b)
{
    struct stream *st = calloc(1, sizeof *st);
    if (!st)
        return GL_ENOMEM;
    st->b = b;
    st->alarms = json_array();
    st->reports = json_array();
    st->recent = json_array();
    b->stream = st;
    uv_timer_init(b->uv, &st->timer);
    st->timer.data = st;
    uv_timer_start(&st->timer, on_tick, STREAM_TICK_MS, STREAM_TICK_MS);
    return GL_OK;
}

static void free_stream(uv_handle_t *t)
{
    struct stream *st = t->data;
    json_decref(st->alarms);
    json_decref(st->reports);
    json_decref(st->recent);
    free(st);
}

void stream_free(broker_t *b)
{
    struct stream *st = b->stream;
    if (!st)
        return;
    b->stream = NULL;
    uv_timer_stop(&st->timer);
    uv_close((uv_handle_t *)&st->timer, free_stream);
}
