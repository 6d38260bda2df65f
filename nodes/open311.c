/* open311.c: Open311 GeoReport v2 requests routed and read (see
 * open311.h). Services come from the topology's catalogue; requests are
 * the residents' requests (kind request) in the intake node's store, read
 * in one read transaction per answer; a resident's contact, reporter and
 * attributes are never part of an answer, and which steps and notes are
 * told is publicity.h's rule, the public feed's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casejson.h"
#include "codec.h"
#include "error.h"
#include "open311.h"
#include "open311_form.h"
#include "publicity.h"
#include "service_attrs.h"

#define ST(x)        GRIDLINK__V1__CASE_STATE__STATE_##x
#define DAY_MS       (86400LL * 1000)
#define WINDOW_MS    (90 * DAY_MS) /* the default date window */
#define MAX_ROWS     1000
#define MAX_IDS      1000
#define PATH_MAX_LEN 512

/* ---- services ---- */

static json_t *service_json(const gl_category_t *c)
{
    const gl_category_t *kind = c->kind ? c->kind : c;
    return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "service_code", c->code, "service_name", c->name,
                     "description", c->description ? c->description : "", "metadata",
                     c->attributes && json_array_size(c->attributes) > 0, "type", "realtime", "keywords",
                     c->keywords ? c->keywords : "", "group", kind->name);
}

static void services(gl_http_req_t *r, enum o311_fmt fmt, const gl_catalogue_t *cat)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < cat->n_kinds; i++) {
        const gl_category_t *k = &cat->kinds[i];
        if (k->n_subs == 0)
            json_array_append_new(arr, service_json(k));
        for (size_t j = 0; j < k->n_subs; j++)
            json_array_append_new(arr, service_json(&k->subs[j]));
    }
    o311_send(r, fmt, 200, arr, "services");
}

static void definition(gl_http_req_t *r, enum o311_fmt fmt, const gl_category_t *c)
{
    json_t *attrs = c->attributes ? json_deep_copy(c->attributes) : json_array();
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        const char *dd = json_string_value(json_object_get(a, "datatype_description"));
        if (!dd || !dd[0])
            json_object_set_new(a, "datatype_description", json_null());
    }
    o311_send(r, fmt, 200, json_pack("{s:s, s:o}", "service_code", c->code, "attributes", attrs), "service_definition");
}

/* ---- requests ---- */

static bool closed(const Gridlink__V1__Case *c)
{
    return c->state == ST(CLOSED) || c->state == ST(MERGED);
}

/* A step as the resident reads it: its label, and its note when the
 * public rules let it through (publicity.h). */
static void step_text(const Gridlink__V1__HistoryEntry *h, const char *label, char *buf, size_t size)
{
    bool note = gl_pub_note_shown(h);
    if (h->state == ST(CLOSED) && strcmp(h->action, "closed") != 0)
        label = "已办结";
    snprintf(buf, size, "%s%s%.600s", label, note ? "：" : "", note ? h->note : "");
}

static json_t *time_or_null(const gl_topology_t *t, int64_t ms)
{
    char b[48];
    return ms > 0 ? json_string(o311_time(t, ms, b, sizeof b)) : json_null();
}

json_t *o311_request_json(const gl_topology_t *t, const Gridlink__V1__Case *c)
{
    const gl_category_t *svc = gl_category_find(t->catalogue, c->category);
    const gl_node_t *holder = gl_topology_find(t, c->holder);
    json_t *notes = json_array();
    const char *last = "";
    char text[800], lastbuf[800] = "";
    for (size_t i = 0; i < c->n_history; i++) {
        const Gridlink__V1__HistoryEntry *h = c->history[i];
        const char *label = gl_pub_step_label(h->action);
        if (!label)
            continue;
        step_text(h, label, text, sizeof text);
        json_array_append_new(notes, json_pack("{s:o, s:s, s:s}", "datetime", time_or_null(t, h->time_ms),
                                               "description", text, "type", h->action));
        snprintf(lastbuf, sizeof lastbuf, "%s", text);
        last = lastbuf;
    }
    char notice[512];
    o311_notice(t, c, notice, sizeof notice);
    int64_t expected = closed(c) ? 0 : c->resolve_due_ms ? c->resolve_due_ms : c->accept_due_ms;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:s, s:o}",
                          "service_request_id", c->id, "status", closed(c) ? "closed" : "open", "status_notes", last,
                          "service_name", svc ? svc->name : c->category, "service_code", c->category, "description",
                          c->text, "agency_responsible", holder ? holder->name : c->holder, "service_notice", notice,
                          "requested_datetime", time_or_null(t, c->created_ms), "updated_datetime",
                          time_or_null(t, gl_pub_updated_ms(c)), "expected_datetime", time_or_null(t, expected),
                          "address", c->address, "lat", c->located ? json_real(c->lat) : json_null(), "long",
                          c->located ? json_real(c->lon) : json_null(), "media_url", c->media_url, "notes", notes);
    return o;
}

static bool in_list(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

struct match {
    char id[GL_NODE_ID_MAX + 24];
    int64_t created;
};

struct filter {
    const char *codes, *status;
    int64_t start, end, updated_after, updated_before;
    struct match *m;
    size_t n, cap;
    int rc;
};

static int take(const Gridlink__V1__Case *c, void *arg)
{
    struct filter *f = arg;
    if (c->kind != GRIDLINK__V1__CASE_KIND__KIND_REQUEST || c->created_ms < f->start || c->created_ms > f->end)
        return 0;
    if (f->codes && !in_list(f->codes, c->category))
        return 0;
    if (f->status && !in_list(f->status, closed(c) ? "closed" : "open"))
        return 0;
    int64_t u = gl_pub_updated_ms(c);
    if ((f->updated_after && u <= f->updated_after) || (f->updated_before && u >= f->updated_before))
        return 0;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        struct match *m = realloc(f->m, cap * sizeof *m);
        if (!m)
            return f->rc = GL_ENOMEM;
        f->m = m;
        f->cap = cap;
    }
    snprintf(f->m[f->n].id, sizeof f->m[f->n].id, "%s", c->id);
    f->m[f->n++].created = c->created_ms;
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    const struct match *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? 1 : -1;
    return strcmp(y->id, x->id);
}

static bool date_arg(gl_http_req_t *r, enum o311_fmt fmt, const char *key, int64_t *out)
{
    const char *v = gl_http_query(r, key);
    *out = 0;
    if (!v || !v[0])
        return true;
    if (!gl_iso8601_parse(v, out)) {
        o311_error(r, fmt, 400, "%s is an ISO 8601 date and time with its zone, e.g. 2026-12-01T08:00:00+08:00", key);
        return false;
    }
    return true;
}

static bool count_arg(gl_http_req_t *r, enum o311_fmt fmt, const char *key, long lo, long hi, long def, long *out)
{
    const char *v = gl_http_query(r, key);
    *out = def;
    if (!v || !v[0])
        return true;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < lo || n > hi) {
        o311_error(r, fmt, 400, "%s is a whole number %ld..%ld", key, lo, hi);
        return false;
    }
    *out = n;
    return true;
}

/* The answer's requests, from ids (a comma list) or from the filters. */
static void requests_list(gl_http_req_t *r, enum o311_fmt fmt, const gl_o311_door *d)
{
    struct filter f = {.codes = gl_http_query(r, "service_code"), .status = gl_http_query(r, "status")};
    const char *ids = gl_http_query(r, "service_request_id");
    if (f.codes && !f.codes[0])
        f.codes = NULL;
    if (f.status && !f.status[0])
        f.status = NULL;
    for (const char *p = f.status; p && *p;) {
        size_t len = strcspn(p, ",");
        if (!((len == 4 && strncmp(p, "open", 4) == 0) || (len == 6 && strncmp(p, "closed", 6) == 0))) {
            o311_error(r, fmt, 400, "status is open, closed or both (open,closed)");
            return;
        }
        p = p[len] ? p + len + 1 : NULL;
    }
    long page, page_size;
    if (!date_arg(r, fmt, "start_date", &f.start) || !date_arg(r, fmt, "end_date", &f.end) ||
        !date_arg(r, fmt, "updated_after", &f.updated_after) ||
        !date_arg(r, fmt, "updated_before", &f.updated_before) || !count_arg(r, fmt, "page", 1, 1000000, 1, &page) ||
        !count_arg(r, fmt, "page_size", 1, MAX_ROWS, MAX_ROWS, &page_size))
        return;
    if (!f.end)
        f.end = f.start ? f.start + WINDOW_MS : d->now;
    if (!f.start)
        f.start = f.end - WINDOW_MS;
    if (f.start > f.end) {
        o311_error(r, fmt, 400, "start_date is after end_date");
        return;
    }
    MDB_txn *txn;
    if (gl_store_begin(d->store, NULL, false, &txn) != 0) {
        o311_error(r, fmt, 503, "the node's store cannot be read");
        return;
    }
    json_t *arr = json_array();
    if (ids && ids[0]) {
        size_t k = 0;
        for (const char *p = ids; p && *p && k < MAX_IDS; k++) {
            char id[GL_NODE_ID_MAX + 24];
            size_t len = strcspn(p, ",");
            snprintf(id, sizeof id, "%.*s", (int)(len < sizeof id ? len : 0), p); /* too long: no case */
            Gridlink__V1__Case *c = NULL;
            if (gl_case_id_valid(id) && gl_store_case_get(txn, d->store, id, &c) == 0 &&
                c->kind == GRIDLINK__V1__CASE_KIND__KIND_REQUEST)
                json_array_append_new(arr, o311_request_json(d->topo, c));
            if (c)
                gridlink__v1__case__free_unpacked(c, NULL);
            p = p[len] ? p + len + 1 : NULL;
        }
    } else {
        int rc = gl_store_case_foreach(txn, d->store, take, &f);
        if (rc != 0 || f.rc != 0) {
            gl_store_abort(txn);
            free(f.m);
            json_decref(arr);
            o311_error(r, fmt, 503, "the node's cases cannot be read");
            return;
        }
        if (f.n)
            qsort(f.m, f.n, sizeof *f.m, newest_first);
        size_t from = (size_t)(page - 1) * (size_t)page_size;
        for (size_t i = from; i < f.n && i < from + (size_t)page_size; i++) {
            Gridlink__V1__Case *c = NULL;
            if (gl_store_case_get(txn, d->store, f.m[i].id, &c) == 0)
                json_array_append_new(arr, o311_request_json(d->topo, c));
            if (c)
                gridlink__v1__case__free_unpacked(c, NULL);
        }
        free(f.m);
    }
    gl_store_abort(txn);
    o311_send(r, fmt, 200, arr, "service_requests");
}

/* One request (tokens: the token is the request's ID, given at once). */
static void request_one(gl_http_req_t *r, enum o311_fmt fmt, const gl_o311_door *d, const char *id, bool token)
{
    if (!gl_case_id_valid(id)) {
        o311_error(r, fmt, 404, "no service request '%.80s'", id);
        return;
    }
    MDB_txn *txn;
    if (gl_store_begin(d->store, NULL, false, &txn) != 0) {
        o311_error(r, fmt, 503, "the node's store cannot be read");
        return;
    }
    Gridlink__V1__Case *c = NULL;
    int rc = gl_store_case_get(txn, d->store, id, &c);
    gl_store_abort(txn);
    if (rc != 0 || c->kind != GRIDLINK__V1__CASE_KIND__KIND_REQUEST) {
        if (c)
            gridlink__v1__case__free_unpacked(c, NULL);
        o311_error(r, fmt, 404, "no service request '%.80s' at %s", id, d->node);
        return;
    }
    json_t *doc = token ? json_pack("[{s:s, s:s}]", "service_request_id", c->id, "token", id)
                        : json_pack("[o]", o311_request_json(d->topo, c));
    gridlink__v1__case__free_unpacked(c, NULL);
    o311_send(r, fmt, 200, doc, "service_requests");
}

/* ---- a new request ---- */

static int post_request(gl_http_req_t *r, enum o311_fmt fmt, const gl_o311_door *d, gl_api_call *call)
{
    size_t len;
    const uint8_t *body = gl_http_body(r, &len);
    char why[512] = "";
    gl_o311_form form;
    int rc = gl_open311_form_parse((const char *)body, len, &form, why, sizeof why);
    if (rc != 0) {
        o311_error(r, fmt, 400, "the body is a form (application/x-www-form-urlencoded): %s", why);
        return 1;
    }
    const char *key = gl_open311_form_get(&form, "api_key");
    gl_apikey client;
    rc = key && key[0] && d->users ? gl_apikey_check(d->users, key, &client) : GL_ENOENT;
    if (rc != 0) {
        bool none = !key || !key[0];
        gl_open311_form_free(&form);
        o311_error(r, fmt, 403, "%s", none ? "api_key is required" : "api_key is not valid");
        return 1;
    }
    Gridlink__V1__CtlRequest *q = NULL;
    int status = gl_open311_form_request(&form, d->topo->catalogue, &q, why, sizeof why);
    gl_open311_form_free(&form);
    if (status != 0) {
        o311_error(r, fmt, status, "%s", why);
        return 1;
    }
    q->node = strdup(d->node);
    q->user = strdup(client.name);
    q->contact->client = strdup(client.name);
    if (!q->node || !q->user || !q->contact->client) {
        gridlink__v1__ctl_request__free_unpacked(q, NULL);
        o311_error(r, fmt, 503, "out of memory");
        return 1;
    }
    snprintf(call->node, sizeof call->node, "%s", d->node);
    snprintf(call->user, sizeof call->user, "%s", client.name);
    call->req = q;
    call->op = GRIDLINK__V1__OP__OP_REQUEST;
    call->who.role = GL_ROLE_RESIDENT;
    call->who.user = call->user;
    call->answerer = fmt == O311_XML ? &o311_answer_xml : &o311_answer_json;
    return 0;
}

/* ---- routing ---- */

/* The path's resource without its format: "services", "services/urban/roads",
 * "requests/ID". False when it ends in neither .json nor .xml. */
static bool resource(const char *path, char *buf, size_t size, enum o311_fmt *fmt)
{
    size_t n = strlen(path);
    if (n >= size)
        return false;
    if (n > 5 && strcmp(path + n - 5, ".json") == 0) {
        *fmt = O311_JSON;
        n -= 5;
    } else if (n > 4 && strcmp(path + n - 4, ".xml") == 0) {
        *fmt = O311_XML;
        n -= 4;
    } else {
        return false;
    }
    memcpy(buf, path, n);
    buf[n] = 0;
    return true;
}

int gl_open311_route(gl_http_req_t *r, const gl_o311_door *d, gl_api_call *call)
{
    memset(call, 0, sizeof *call);
    const char *path = gl_http_path(r), *method = gl_http_method(r);
    static const char prefix[] = "/open311/v2/";
    char what[PATH_MAX_LEN];
    enum o311_fmt fmt = O311_JSON;
    if (strncmp(path, prefix, sizeof prefix - 1) != 0 || !resource(path + sizeof prefix - 1, what, sizeof what, &fmt)) {
        o311_error(r, fmt, 404, "no such resource: %.200s (Open311 GeoReport v2 answers .json and .xml)", path);
        return 1;
    }
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    const gl_catalogue_t *cat = d->topo->catalogue;
    bool is_requests = strcmp(what, "requests") == 0;
    if (!get && !(post && is_requests)) {
        o311_error(r, fmt, 405, "%s is not served here", method);
        return 1;
    }
    if (strcmp(what, "services") == 0) {
        services(r, fmt, cat);
        return 1;
    }
    if (strncmp(what, "services/", 9) == 0) {
        const gl_category_t *c = gl_open311_service(cat, what + 9);
        if (!c)
            o311_error(r, fmt, 404, "no service '%.64s'", what + 9);
        else
            definition(r, fmt, c);
        return 1;
    }
    bool one = strncmp(what, "requests/", 9) == 0, token = strncmp(what, "tokens/", 7) == 0;
    if (!is_requests && !one && !token) {
        o311_error(r, fmt, 404, "no such resource: %.200s", path);
        return 1;
    }
    if (!d->node || !d->store) {
        o311_error(r, fmt, 404, "this process serves no node that takes residents' requests");
        return 1;
    }
    if (post)
        return post_request(r, fmt, d, call);
    if (is_requests)
        requests_list(r, fmt, d);
    else
        request_one(r, fmt, d, what + (one ? 9 : 7), token);
    return 1;
}
