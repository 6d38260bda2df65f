/* public.c: residents' public door (see public.h): a request filed
 * through Open311's form with a follow-up code (resident.h), read by its code from the intake's store, and rated.
 * Answers are made here and freed by the HTTP server's copy; the CtlRequests made go into the caller's gl_api_call. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "names.h"
#include "open311_form.h"
#include "public.h"
#include "public_appraisal.h"
#include "resident.h"

#define ST(x)     GRIDLINK__V1__CASE_STATE__STATE_##x
#define RATE_BODY 2048 /* bytes of a rating's JSON */
#define RATE_NOTE 500  /* characters of its note */

static void fail(gl_http_req_t *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(gl_http_req_t *r, int status, const char *code, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    gl_resident_fail(r, status, code, "%s", why);
}

/* ---- answers after the commit ---- */

static const char *name_of(int status)
{
    switch (status) {
    case 400: return "bad-request";
    case 404: return "not-found";
    case 409: return "conflict";
    default: return "unavailable";
    }
}

static Gridlink__V1__CtlReply *reply_ok(gl_http_req_t *r, const uint8_t *reply, size_t len)
{
    Gridlink__V1__CtlReply *rep = gridlink__v1__ctl_reply__unpack(NULL, len, reply);
    if (!rep || rep->code != 0) {
        int status = rep ? gl_resident_status(rep->code) : 503;
        fail(r, status, name_of(status), "%s", rep && rep->error[0] ? rep->error : "the node gave no answer");
        if (rep)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return NULL;
    }
    return rep;
}

static void filed(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                  size_t len, int64_t now)
{
    (void)op, (void)node, (void)now;
    Gridlink__V1__CtlReply *rep = reply_ok(r, reply, len);
    if (!rep)
        return;
    char notice[512] = "已受理";
    if (rep->case_)
        o311_notice(t, rep->case_, notice, sizeof notice);
    const char *code = gl_http_tag(r);
    char url[96];
    snprintf(url, sizeof url, "/public/follow.html?code=%s", code);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "code", code, "service_request_id",
                            rep->case_ ? rep->case_->id : "", "notice", notice, "url", url);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    gl_http_json(r, 201, doc);
}

static void rated(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                  size_t len, int64_t now)
{
    (void)op, (void)t, (void)node, (void)now;
    Gridlink__V1__CtlReply *rep = reply_ok(r, reply, len);
    if (!rep)
        return;
    const Gridlink__V1__Case *c = rep->case_;
    bool resolved = c && c->rating ? c->rating->resolved : strcmp(gl_http_tag(r), "resolved") == 0;
    json_t *doc = json_pack("{s:b, s:b, s:s}", "rated", 1, "reopened", !resolved, "message",
                            resolved ? "感谢您的评价" : "感谢您的评价，已通知重新办理");
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    gl_http_json(r, 200, doc);
}

static void failed(gl_http_req_t *r, int code, const char *message)
{
    int status = gl_resident_status(code);
    fail(r, status, name_of(status), "%s", message && message[0] ? message : gl_strerror(code));
}

static const gl_api_answerer filed_answer = {filed, failed}, rated_answer = {rated, failed};

/* ---- a new request ---- */

static int file_request(gl_http_req_t *r, const gl_o311_door *d, gl_api_call *call)
{
    if (gl_resident_over(r, d->now, GL_RC_FILINGS, gl_resident_limit("GRIDLINK_PUBLIC_FILINGS", 20), "requests"))
        return 1;
    gl_resident_count(r, d->now, GL_RC_FILINGS);
    size_t len;
    const uint8_t *body = gl_http_body(r, &len);
    char why[512] = "";
    gl_o311_form form;
    if (gl_open311_form_parse((const char *)body, len, &form, why, sizeof why) != 0) {
        fail(r, 400, "bad-request", "the body is a form (application/x-www-form-urlencoded): %s", why);
        return 1;
    }
    Gridlink__V1__CtlRequest *q = NULL;
    int status = gl_open311_form_request(&form, d->topo->catalogue, &q, why, sizeof why);
    gl_open311_form_free(&form);
    if (status != 0) {
        fail(r, status, name_of(status), "%s", why);
        return 1;
    }
    char code[GL_PUBLIC_CODE_LEN + 1];
    gl_resident_code_make(code);
    q->receipt.data = malloc(GL_RECEIPT_HASH);
    q->receipt.len = GL_RECEIPT_HASH;
    if (q->receipt.data)
        gl_resident_code_hash(code, q->receipt.data);
    q->node = strdup(d->node);
    q->user = strdup("public");
    q->contact->client = strdup("public");
    if (!q->receipt.data || !q->node || !q->user || !q->contact->client) {
        gridlink__v1__ctl_request__free_unpacked(q, NULL);
        fail(r, 503, "unavailable", "out of memory");
        return 1;
    }
    snprintf(call->node, sizeof call->node, "%s", d->node);
    snprintf(call->user, sizeof call->user, "public");
    call->req = q;
    call->op = GRIDLINK__V1__OP__OP_REQUEST;
    call->who.role = GL_ROLE_RESIDENT;
    call->who.user = call->user;
    call->answerer = &filed_answer;
    gl_http_set_tag(r, code);
    return 0;
}

/* ---- a request by its code ---- */

/* The case of code (normalised), or an answer given here (NULL). */
static Gridlink__V1__Case *case_of(gl_http_req_t *r, const gl_o311_door *d, const char *raw)
{
    char code[GL_PUBLIC_CODE_LEN + 1];
    if (!gl_resident_code_norm(raw, code)) {
        fail(r, 400, "bad-code", "a follow-up code is %d letters and digits (回执码格式不正确)", GL_PUBLIC_CODE_LEN);
        return NULL;
    }
    if (gl_resident_over(r, d->now, GL_RC_MISSES, gl_resident_limit("GRIDLINK_PUBLIC_MISSES", 60), "unknown codes"))
        return NULL;
    uint8_t hash[GL_RECEIPT_HASH];
    gl_resident_code_hash(code, hash);
    MDB_txn *txn;
    if (gl_store_begin(d->store, NULL, false, &txn) != 0) {
        fail(r, 503, "unavailable", "the node's store cannot be read");
        return NULL;
    }
    char id[GL_NODE_ID_MAX + 24];
    Gridlink__V1__Case *c = NULL;
    int rc = gl_store_receipt_get(txn, d->store, hash, id, sizeof id);
    if (rc == 0)
        rc = gl_store_case_get(txn, d->store, id, &c);
    gl_store_abort(txn);
    if (rc != 0) {
        if (rc == GL_ENOENT)
            gl_resident_count(r, d->now, GL_RC_MISSES);
        fail(r, rc == GL_ENOENT ? 404 : 503, rc == GL_ENOENT ? "unknown-code" : "unavailable", "%s",
             rc == GL_ENOENT ? "no request has this follow-up code (未找到该回执码)"
                             : "the node's store cannot be read");
        return NULL;
    }
    return c;
}

static json_t *time_or_null(const gl_topology_t *t, int64_t ms)
{
    char b[48];
    return ms > 0 ? json_string(o311_time(t, ms, b, sizeof b)) : json_null();
}

static void show(gl_http_req_t *r, const gl_o311_door *d, const char *raw)
{
    Gridlink__V1__Case *c = case_of(r, d, raw);
    if (!c)
        return;
    json_t *doc = o311_request_json(d->topo, c);
    if (!doc) {
        gridlink__v1__case__free_unpacked(c, NULL);
        fail(r, 503, "unavailable", "out of memory");
        return;
    }
    /* Open311's view, without where exactly and what it shows. */
    json_object_del(doc, "address");
    json_object_del(doc, "lat");
    json_object_del(doc, "long");
    json_object_del(doc, "media_url");
    bool final = gl_state_is_final(c->state), is_closed = c->state == ST(CLOSED);
    bool has_rating = c->rating && c->rating->time_ms > 0;
    json_object_set_new(doc, "state", json_string(gl_state_name(c->state)));
    json_object_set_new(doc, "state_label", json_string(gl_state_label(c->state)));
    json_object_set_new(doc, "accept_due", final ? json_null() : time_or_null(d->topo, c->accept_due_ms));
    json_object_set_new(doc, "resolve_due", final ? json_null() : time_or_null(d->topo, c->resolve_due_ms));
    json_object_set_new(doc, "rating",
                        has_rating
                            ? json_pack("{s:b, s:b, s:o}", "resolved", c->rating->resolved, "satisfied",
                                        c->rating->satisfied, "datetime", time_or_null(d->topo, c->rating->time_ms))
                            : json_null());
    json_object_set_new(doc, "can_rate", json_boolean(is_closed && !has_rating));
    gridlink__v1__case__free_unpacked(c, NULL);
    gl_http_json(r, 200, doc);
}

/* ---- a rating ---- */

static bool flag(json_t *body, const char *key, bool *out)
{
    json_t *v = json_object_get(body, key);
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int rate(gl_http_req_t *r, const gl_o311_door *d, const char *raw, gl_api_call *call)
{
    size_t len;
    const uint8_t *body = gl_http_body(r, &len);
    if (len > RATE_BODY) {
        fail(r, 413, "too-large", "a rating is at most %d bytes", RATE_BODY);
        return 1;
    }
    json_error_t jerr;
    json_t *j = len ? json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    bool resolved = false, satisfied = false;
    json_t *jn = json_object_get(j, "note");
    const char *note = json_is_string(jn) ? json_string_value(jn) : "";
    if (!json_is_object(j) || !flag(j, "resolved", &resolved) || !flag(j, "satisfied", &satisfied) ||
        (jn && !json_is_string(jn)) || chars(note) > RATE_NOTE) {
        json_decref(j);
        fail(r, 400, "bad-request",
             "a rating is {\"resolved\": true|false, \"satisfied\": true|false} with an optional note of at most %d "
             "characters",
             RATE_NOTE);
        return 1;
    }
    Gridlink__V1__Case *c = case_of(r, d, raw);
    if (!c) {
        json_decref(j);
        return 1;
    }
    const char *why = NULL, *what = NULL;
    if (c->rating && c->rating->time_ms > 0) {
        what = "rated";
        why = "this request was rated already (已评价，每件只评价一次)";
    } else if (c->state != ST(CLOSED)) {
        what = "not-closed";
        why = "a request is rated when it is closed (办结后方可评价)";
    }
    char case_id[GL_NODE_ID_MAX + 24];
    snprintf(case_id, sizeof case_id, "%s", c->id);
    gridlink__v1__case__free_unpacked(c, NULL);
    if (why) {
        json_decref(j);
        fail(r, 409, what, "%s", why);
        return 1;
    }
    Gridlink__V1__CtlRequest *q = malloc(sizeof *q);
    if (q) {
        gridlink__v1__ctl_request__init(q);
        q->op = strdup("rate");
        q->node = strdup(d->node);
        q->case_id = strdup(case_id);
        q->user = strdup("public");
        q->note = strdup(note);
        q->resolved = resolved;
        q->satisfied = satisfied;
    }
    json_decref(j);
    if (!q || !q->op || !q->node || !q->case_id || !q->user || !q->note) {
        if (q)
            gridlink__v1__ctl_request__free_unpacked(q, NULL);
        fail(r, 503, "unavailable", "out of memory");
        return 1;
    }
    snprintf(call->node, sizeof call->node, "%s", d->node);
    snprintf(call->user, sizeof call->user, "public");
    call->req = q;
    call->op = GRIDLINK__V1__OP__OP_RATE;
    call->who.role = GL_ROLE_RESIDENT;
    call->who.user = call->user;
    call->answerer = &rated_answer;
    gl_http_set_tag(r, resolved ? "resolved" : "not-resolved");
    return 0;
}

/* ---- routing ---- */

int gl_public_route(gl_http_req_t *r, const gl_o311_door *d, gl_api_call *call)
{
    memset(call, 0, sizeof *call);
    const char *path = gl_http_path(r), *method = gl_http_method(r);
    if (gl_public_appraisal_owns(path))
        return gl_public_appraisal_route(r, d, call);
    static const char prefix[] = "/public/v1/requests";
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (strncmp(path, prefix, sizeof prefix - 1) != 0 ||
        (path[sizeof prefix - 1] != 0 && path[sizeof prefix - 1] != '/')) {
        fail(r, 404, "not-found", "no such resource: %.200s", path);
        return 1;
    }
    if (!d->node || !d->store) {
        fail(r, 404, "not-found", "this process serves no node that takes residents' requests");
        return 1;
    }
    const char *rest = path + sizeof prefix - 1;
    if (!rest[0] || strcmp(rest, "/") == 0) {
        if (!post) {
            fail(r, 405, "method-not-allowed", "a request is filed with POST");
            return 1;
        }
        return file_request(r, d, call);
    }
    char code[80];
    const char *slash = strchr(rest + 1, '/');
    size_t n = slash ? (size_t)(slash - rest - 1) : strlen(rest + 1);
    if (n >= sizeof code) {
        fail(r, 400, "bad-code", "a follow-up code is %d letters and digits (回执码格式不正确)", GL_PUBLIC_CODE_LEN);
        return 1;
    }
    memcpy(code, rest + 1, n);
    code[n] = 0;
    if (!slash) {
        if (!get) {
            fail(r, 405, "method-not-allowed", "a request is read with GET");
            return 1;
        }
        show(r, d, code);
        return 1;
    }
    if (strcmp(slash, "/rate") != 0) {
        fail(r, 404, "not-found", "no such resource: %.200s", path);
        return 1;
    }
    if (!post) {
        fail(r, 405, "method-not-allowed", "a rating is sent with POST");
        return 1;
    }
    return rate(r, d, code, call);
}
