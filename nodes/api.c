/* api.c: the staff HTTP API (see api.h). Requests become CtlRequests for
 * the engine's operation table: query strings for reads, JSON bodies read
 * by the generic protobuf reader (pbjson) for writes; the fields that say
 * who and where (node, op, user, case, action) come from the path and the
 * token, never from the body. Answers are the engine's CtlReply shaped as
 * JSON, a case as `show --json` prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "session.h"
#include "casejson.h"
#include "codec.h"
#include "error.h"
#include "log.h"
#include "names.h"
#include "openapi.h"
#include "pbjson.h"
#include "policy.h"

#define OP(x)     GRIDLINK__V1__OP__OP_##x
#define MAX_PARTS 8

static int status_of(int code)
{
    switch (code) {
    case GL_EINVAL:
    case GL_EPROTO: return 400;
    case GL_EPERM: return 403;
    case GL_ENOENT: return 404;
    case GL_ESTATE:
    case GL_ECONFLICT:
    case GL_EEXIST: return 409;
    case GL_ETOOBIG: return 413;
    case GL_EAGAIN: return 429;
    case GL_ENOSPC:
    case GL_EMAPFULL:
    case GL_EIO:
    case GL_ESTORE:
    case GL_EDOWN:
    case GL_ETIMEDOUT:
    case GL_ELOCKED:
    case GL_EADDRINUSE: return 503;
    default: return 500;
    }
}

static const char *code_name(int status)
{
    switch (status) {
    case 400: return "bad-request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not-found";
    case 405: return "method-not-allowed";
    case 409: return "conflict";
    case 413: return "too-large";
    case 429: return "too-many";
    case 503: return "unavailable";
    default: return "internal";
    }
}

void gl_api_fail(gl_http_req_t *r, int code, const char *message)
{
    int status = status_of(code);
    gl_http_error(r, status, code_name(status), "%s", message && message[0] ? message : gl_strerror(code));
}

void gl_api_call_clear(gl_api_call *call)
{
    if (call->req)
        gridlink__v1__ctl_request__free_unpacked(call->req, NULL);
    call->req = NULL;
}

/* The path split at '/', at most n parts; the count, or -1 past n. */
static int split(const char *path, char *buf, size_t len, char **parts, int n)
{
    if (strlen(path) >= len)
        return -1;
    snprintf(buf, len, "%s", path);
    int k = 0;
    for (char *save = NULL, *p = strtok_r(buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (k == n)
            return -1;
        parts[k++] = p;
    }
    return k;
}

static bool flag(gl_http_req_t *r, const char *key)
{
    const char *v = gl_http_query(r, key);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0);
}

static char *dup_query(gl_http_req_t *r, const char *key)
{
    const char *v = gl_http_query(r, key);
    return strdup(v ? v : "");
}

/* GET .../cases: the list's filters and page from the query string. */
static int list_request(gl_http_req_t *r, Gridlink__V1__CtlRequest *q, char *why, size_t whylen)
{
    const char *kind = gl_http_query(r, "kind");
    if (kind && kind[0]) {
        Gridlink__V1__CaseKind k;
        if (!gl_kind_from(kind, &k)) {
            snprintf(why, whylen, "unknown kind '%.40s' (incident, request, task, whistle)", kind);
            return GL_EINVAL;
        }
        q->kind = k;
    }
    q->state = dup_query(r, "state");
    q->category = dup_query(r, "category");
    q->holder = dup_query(r, "holder");
    q->text = dup_query(r, "text");
    q->after = dup_query(r, "after");
    q->overdue = flag(r, "overdue");
    q->due_soon = flag(r, "due_soon");
    q->unplaced = flag(r, "unplaced");
    q->holding = flag(r, "holding");
    const char *limit = gl_http_query(r, "limit"), *page = gl_http_query(r, "page");
    long lim = limit ? strtol(limit, NULL, 10) : 50, pg = page ? strtol(page, NULL, 10) : 1;
    if (lim < 1 || lim > GL_LIST_PAGE_MAX || pg < 1 || pg > 1000000) {
        snprintf(why, whylen, "limit is 1..%d and page 1..1000000", GL_LIST_PAGE_MAX);
        return GL_EINVAL;
    }
    q->limit = (uint32_t)lim;
    q->offset = (uint32_t)((pg - 1) * lim);
    return GL_OK;
}

/* A JSON body as the CtlRequest's fields. */
static int body_request(gl_http_req_t *r, Gridlink__V1__CtlRequest **q, char *why, size_t whylen)
{
    size_t len;
    gl_http_body(r, &len);
    json_t *j = len ? gl_http_body_json(r, why, whylen) : json_object();
    if (!j)
        return GL_EINVAL;
    ProtobufCMessage *m = NULL;
    int rc = gl_pbjson_to_message(&gridlink__v1__ctl_request__descriptor, j, &m, why, whylen);
    json_decref(j);
    *q = (Gridlink__V1__CtlRequest *)m;
    return rc;
}

/* POST .../attachments: the body is the file, its type the Content-Type. */
static int file_request(gl_http_req_t *r, Gridlink__V1__CtlRequest **q, char *why, size_t whylen)
{
    size_t len;
    const uint8_t *b = gl_http_body(r, &len);
    const char *ct = gl_http_header(r, "Content-Type");
    char type[65] = "";
    if (ct)
        snprintf(type, sizeof type, "%.*s", (int)strcspn(ct, "; "), ct);
    const char *bad = gl_file_type_refusal(type, b, len);
    if (!len || bad) {
        snprintf(why, whylen, "%s", !len ? "the body is the photo; it is empty" : bad);
        return GL_EINVAL;
    }
    Gridlink__V1__CtlRequest *m = malloc(sizeof *m);
    uint8_t *data = malloc(len);
    char *t = strdup(type);
    if (!m || !data || !t) {
        free(m);
        free(data);
        free(t);
        return GL_ENOMEM;
    }
    gridlink__v1__ctl_request__init(m);
    memcpy(data, b, len);
    m->data.data = data;
    m->data.len = len;
    m->content_type = t;
    *q = m;
    return GL_OK;
}

/* GET .../events: from the event after Last-Event-ID (or ?after=), else
 * from the node's next event. */
static int events_from(gl_http_req_t *r, Gridlink__V1__CtlRequest *q, char *why, size_t whylen)
{
    const char *last = gl_http_header(r, "Last-Event-ID");
    if (!last || !last[0])
        last = gl_http_query(r, "after");
    if (!last || !last[0])
        return GL_OK; /* from_seq 0: from now on */
    char *end;
    unsigned long long v = strtoull(last, &end, 10);
    if (*end || last[0] == '-') {
        snprintf(why, whylen, "Last-Event-ID is the number of the last event seen");
        return GL_EINVAL;
    }
    q->from_seq = v + 1;
    return GL_OK;
}

/* GET .../appraisals: the league table's period and tier. */
static int table_request(gl_http_req_t *r, Gridlink__V1__CtlRequest *q, char *why, size_t whylen)
{
    const char *tier = gl_http_query(r, "tier");
    int t = tier && tier[0] ? gl_tier_parse(tier) : GRIDLINK__V1__TIER__TIER_TOWNSHIP;
    if (t != GRIDLINK__V1__TIER__TIER_TOWNSHIP && t != GRIDLINK__V1__TIER__TIER_COMMUNITY &&
        t != GRIDLINK__V1__TIER__TIER_DEPARTMENT) {
        snprintf(why, whylen, "tier is township, community or department");
        return GL_EINVAL;
    }
    q->tier = (Gridlink__V1__Tier)t;
    q->period = dup_query(r, "period");
    return q->period ? GL_OK : GL_ENOMEM;
}

size_t gl_api_body_limit(const char *method, const char *url, size_t max_body)
{
    size_t n = strlen(url);
    if (strcmp(method, "POST") == 0 && n > 12 && strcmp(url + n - 12, "/attachments") == 0)
        return GL_MAX_ATTACHMENT;
    return max_body;
}

static int set_str(char **field, const char *value)
{
    char *s = strdup(value);
    if (!s)
        return GL_ENOMEM;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = s;
    return GL_OK;
}

int gl_api_route(gl_http_req_t *r, gl_users_t *users, const gl_topology_t *t, int64_t now, gl_api_call *call)
{
    memset(call, 0, sizeof *call);
    const char *method = gl_http_method(r);
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    char buf[1024], *p[MAX_PARTS];
    int n = split(gl_http_path(r), buf, sizeof buf, p, MAX_PARTS);
    if (n < 3 || strcmp(p[0], "api") != 0 || strcmp(p[1], "v1") != 0) {
        gl_http_error(r, 404, "not-found", "no such resource: %.200s", gl_http_path(r));
        return 1;
    }
    if (n == 3 && strcmp(p[2], "openapi.json") == 0) {
        gl_openapi_answer(r); /* the document is public, like the login */
        return 1;
    }
    if (n == 3 && strcmp(p[2], "login") == 0) {
        if (!post)
            gl_http_error(r, 405, "method-not-allowed", "log in with POST");
        else if (!users)
            gl_http_error(r, 503, "unavailable", "this home has no accounts (gridlink user add)");
        else
            gl_session_login(r, users, now);
        return 1;
    }
    gl_account a;
    const char *token = NULL;
    if (gl_session_authenticate(r, users, now, &a, &token) != 0)
        return 1;
    if (n == 3 && strcmp(p[2], "logout") == 0) {
        if (!post) {
            gl_http_error(r, 405, "method-not-allowed", "log out with POST");
            return 1;
        }
        gl_session_logout(r, users, token);
        return 1;
    }
    if (gl_api_info(r, t, &a, p, n) != 0)
        return 1;
    if (n < 5 || strcmp(p[2], "nodes") != 0 || !gl_node_id_valid(p[3]) || !gl_topology_find(t, p[3])) {
        gl_http_error(r, 404, "not-found", "no such resource: %.200s", gl_http_path(r));
        return 1;
    }
    const char *node = p[3], *what = p[4];
    if (strcmp(what, "surveys") == 0)
        return gl_api_surveys(r, t, &a, p, n, call);
    if (strcmp(what, "facts") == 0)
        return gl_api_facts(r, t, &a, p, n, call);
    bool files = strcmp(what, "attachments") == 0;
    const char *id = n >= 6 ? p[5] : NULL;
    if (id && !files && !gl_case_id_valid(id)) {
        gl_http_error(r, 400, "bad-request", "'%.200s' is not a case ID", id);
        return 1;
    }
    if (id && files && !gl_sha256_hex_valid(id)) {
        gl_http_error(r, 400, "bad-request", "'%.200s' is not a file's SHA-256 (64 lower-case hex digits)", id);
        return 1;
    }
    char why[512] = "";
    int rc = GL_OK;
    Gridlink__V1__CtlRequest *q = NULL;
    const char *op = NULL, *action = NULL;
    if (strcmp(what, "health") == 0 && n == 5 && get) {
        op = "health";
    } else if (strcmp(what, "cases") == 0 && n == 5 && get) {
        op = "list";
    } else if (strcmp(what, "cases") == 0 && n == 5 && post) {
        op = "submit"; /* by the body's kind, below */
    } else if (strcmp(what, "cases") == 0 && n == 6 && get) {
        op = "show";
    } else if (strcmp(what, "cases") == 0 && n == 8 && post && strcmp(p[6], "actions") == 0) {
        action = p[7];
        op = strcmp(action, "rate") == 0 ? "rate" : "act";
    } else if (files && n == 5 && post) {
        op = "attach";
    } else if (files && n == 6 && get) {
        op = "attachment";
    } else if (strcmp(what, "events") == 0 && n == 5 && get) {
        op = "log";
        call->events = true;
    } else if (strcmp(what, "appraisals") == 0 && n == 5 && get) {
        op = "appraisals";
    } else {
        bool known = strcmp(what, "cases") == 0 || strcmp(what, "health") == 0 || files ||
                     strcmp(what, "events") == 0 || strcmp(what, "appraisals") == 0;
        gl_http_error(r, known ? 405 : 404, known ? "method-not-allowed" : "not-found", "%s %.200s is not served",
                      method, gl_http_path(r));
        return 1;
    }
    if (post && strcmp(op, "attach") == 0) {
        rc = file_request(r, &q, why, sizeof why);
    } else if (post) {
        rc = body_request(r, &q, why, sizeof why);
    } else {
        q = malloc(sizeof *q);
        if (q)
            gridlink__v1__ctl_request__init(q);
        rc = q ? GL_OK : GL_ENOMEM;
        if (rc == 0 && strcmp(op, "list") == 0)
            rc = list_request(r, q, why, sizeof why);
        if (rc == 0 && id && files)
            rc = set_str(&q->sha256, id);
        if (rc == 0 && call->events)
            rc = events_from(r, q, why, sizeof why);
        if (rc == 0 && strcmp(op, "appraisals") == 0)
            rc = table_request(r, q, why, sizeof why);
    }
    if (rc == 0 && strcmp(op, "submit") == 0) {
        switch (q->kind) {
        case GRIDLINK__V1__CASE_KIND__KIND_REQUEST: op = "request"; break;
        case GRIDLINK__V1__CASE_KIND__KIND_TASK: op = "dispatch"; break;
        case GRIDLINK__V1__CASE_KIND__KIND_WHISTLE: op = "whistle"; break;
        default: break;
        }
    }
    if (rc == 0)
        rc = set_str(&q->node, node);
    if (rc == 0)
        rc = set_str(&q->op, op);
    if (rc == 0)
        rc = set_str(&q->user, a.name);
    if (rc == 0 && id)
        rc = set_str(&q->case_id, id);
    if (rc == 0 && action && strcmp(op, "act") == 0)
        rc = set_str(&q->action, action);
    const gl_engine_op *eop = rc == 0 ? gl_engine_op_find(op) : NULL;
    if (rc == 0 && !eop)
        rc = GL_EINVAL;
    if (rc != 0) {
        if (q)
            gridlink__v1__ctl_request__free_unpacked(q, NULL);
        gl_api_fail(r, rc, why);
        return 1;
    }
    /* Who may: the role for the operation, the scope for the node. The
     * event stream is everyone's who may list the node's cases. */
    gl_op asked = call->events ? GRIDLINK__V1__OP__OP_LIST : eop->op;
    if (!gl_user_role_may(a.role, asked, eop->writes) || !gl_account_in_scope(&a, node)) {
        gridlink__v1__ctl_request__free_unpacked(q, NULL);
        gl_http_error(r, 403, "forbidden", "%s (%s, scope %s) may not %s at %s", a.name, gl_user_role_name(a.role),
                      a.scope, op, node);
        return 1;
    }
    if (id && files) {
        /* A file never changes under its hash: the browser's copy is good. */
        const char *inm = gl_http_header(r, "If-None-Match");
        char etag[70];
        snprintf(etag, sizeof etag, "\"%s\"", id);
        if (inm && strcmp(inm, etag) == 0) {
            gridlink__v1__ctl_request__free_unpacked(q, NULL);
            const char *headers[] = {"ETag", etag, "Cache-Control", "private, max-age=31536000, immutable", NULL};
            gl_http_respond_with(r, 304, NULL, "", 0, headers);
            return 1;
        }
    }
    snprintf(call->node, sizeof call->node, "%s", node);
    snprintf(call->user, sizeof call->user, "%s", a.name);
    call->req = q;
    call->op = eop->op;
    call->who.role = a.role == GL_USER_ADMIN ? GL_ROLE_OPERATOR : GL_ROLE_STAFF;
    call->who.user = call->user;
    return 0;
}

void gl_api_answer(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                   size_t len, int64_t now)
{
    Gridlink__V1__CtlReply *rep = gridlink__v1__ctl_reply__unpack(NULL, len, reply);
    if (!rep) {
        gl_http_error(r, 500, "internal", "the node's answer does not decode");
        return;
    }
    if (rep->code != 0) {
        gl_api_fail(r, rep->code, rep->error);
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return;
    }
    json_t *j = NULL;
    int status = 200;
    switch (op) {
    case OP(SURVEYS):
    case OP(SURVEY):
    case OP(SURVEY_PUBLISH):
    case OP(SURVEY_CLOSE):
    case OP(SURVEY_TICKETS):
    case OP(SURVEY_TASK): j = gl_api_survey_reply(rep, op, t, now, &status); break;
    case OP(FACT_SET):
    case OP(FACTS): j = gl_api_facts_reply(rep, op, node, &status); break;
    case OP(LIST): {
        json_t *arr = json_array();
        for (size_t i = 0; i < rep->n_cases; i++)
            json_array_append_new(arr, gl_case_json(t, rep->cases[i], NULL, 0, now));
        j = json_pack("{s:o, s:I}", "cases", arr, "matched", (json_int_t)rep->matched);
        if (j && rep->next_case[0])
            json_object_set_new(j, "next", json_string(rep->next_case));
        break;
    }
    case OP(SHOW): j = rep->case_ ? gl_case_json(t, rep->case_, rep->cases, rep->n_cases, now) : json_object(); break;
    case OP(HEALTH):
        j = rep->health ? gl_pbjson_from_message(&rep->health->base, GL_PBJSON_DEFAULTS) : json_object();
        break;
    case OP(APPRAISALS):
        j = rep->appraisals ? gl_pbjson_from_message(&rep->appraisals->base, GL_PBJSON_DEFAULTS) : json_object();
        break;
    case OP(ATTACH):
        if (rep->attachment)
            j = json_pack("{s:s, s:I, s:s}", "sha256", rep->attachment->sha256, "size",
                          (json_int_t)rep->attachment->size, "content_type", rep->attachment->content_type);
        status = rep->note[0] ? 200 : 201; /* stored already, or new here */
        break;
    case OP(ATTACHMENT): {
        char etag[70];
        snprintf(etag, sizeof etag, "\"%s\"", rep->attachment ? rep->attachment->sha256 : "");
        const char *headers[] = {"ETag", etag, "Cache-Control", "private, max-age=31536000, immutable", NULL};
        gl_http_respond_with(r, 200, rep->attachment ? rep->attachment->content_type : "application/octet-stream",
                             rep->data.data, rep->data.len, headers);
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return;
    }
    default: {
        /* a write: the case as it is now, or where the action went */
        bool created = op == OP(SUBMIT) || op == OP(REQUEST) || op == OP(DISPATCH) || op == OP(WHISTLE);
        j = rep->case_ ? gl_case_json(t, rep->case_, NULL, 0, now) : json_object();
        if (created)
            status = 201;
        else if (!rep->case_ || strcmp(rep->case_->holder, node) != 0)
            status = 202; /* sent on to the holder: the result shows there a moment later */
        if (j && rep->n_case_ids) {
            json_t *ids = json_array();
            for (size_t i = 0; i < rep->n_case_ids; i++)
                json_array_append_new(ids, json_string(rep->case_ids[i]));
            json_object_set_new(j, "case_ids", ids);
        }
        if (j && rep->note[0])
            json_object_set_new(j, "note", json_string(rep->note));
        break;
    }
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    gl_http_json(r, status, j);
}
