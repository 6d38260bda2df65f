/* survey_public.c: residents' needs surveys (see survey_public.h). Reads
 * are answered from the unit's committed store; an answer becomes the
 * engine's survey-answer operation with the resident's role. JSON made
 * here is handed to the HTTP server. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "survey.h"
#include "survey_public.h"

#define PREFIX "/public/v1/surveys"

static void fail(gl_http_req_t *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(gl_http_req_t *r, int status, const char *code, const char *fmt, ...)
{
    char why[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    gl_resident_fail(r, status, code, "%s", why);
}

bool gl_survey_public_owns(const char *path)
{
    size_t n = sizeof PREFIX - 1;
    return strncmp(path, PREFIX, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static bool unit_tier(const gl_node_t *nd)
{
    return nd->tier == GRIDLINK__V1__TIER__TIER_DISTRICT || nd->tier == GRIDLINK__V1__TIER__TIER_TOWNSHIP ||
           nd->tier == GRIDLINK__V1__TIER__TIER_COMMUNITY;
}

/* The unit node id served here: its store, or NULL with r answered. */
static gl_store_t *unit_store(gl_http_req_t *r, const gl_survey_door *d, const char *id, const gl_node_t **nd)
{
    *nd = id && gl_node_id_valid(id) ? gl_topology_find(d->topo, id) : NULL;
    gl_store_t *s = *nd && unit_tier(*nd) ? d->find(d->arg, id) : NULL;
    if (!s)
        fail(r, 404, "not-found", "这里没有单位 %.100s 的调查 (no unit %.100s served here)", id ? id : "",
             id ? id : "");
    return s;
}

struct open_list {
    const char *unit;
    int64_t now;
    json_t *arr;
    const char *name;
};

static int add_open(const Gridlink__V1__Survey *sv, void *arg)
{
    struct open_list *l = arg;
    if (strcmp(sv->unit, l->unit) == 0 && gl_survey_open(sv, l->now))
        json_array_append_new(l->arr, gl_survey_json(sv, l->name, NULL, 0, false));
    return 0;
}

static void list(gl_http_req_t *r, const gl_survey_door *d)
{
    const gl_node_t *nd;
    gl_store_t *s = unit_store(r, d, gl_http_query(r, "node"), &nd);
    if (!s)
        return;
    MDB_txn *txn;
    if (gl_store_begin(s, NULL, false, &txn) != 0) {
        fail(r, 503, "unavailable", "the node's store cannot be read");
        return;
    }
    struct open_list l = {.unit = nd->id, .now = d->now, .arr = json_array(), .name = nd->name};
    int rc = gl_store_survey_foreach(txn, s, add_open, &l);
    gl_store_abort(txn);
    if (rc != 0) {
        json_decref(l.arr);
        fail(r, 503, "unavailable", "the node's surveys cannot be read");
        return;
    }
    gl_http_json(r, 200, json_pack("{s:s, s:s, s:o}", "node", nd->id, "node_name", nd->name, "surveys", l.arr));
}

/* The unit's own survey id, read from s; NULL with r answered. */
static Gridlink__V1__Survey *survey_of(gl_http_req_t *r, gl_store_t *s, const char *unit, const char *id)
{
    if (!gl_survey_id_valid(id, unit)) {
        fail(r, 404, "not-found", "没有该调查 (no survey %.100s of %.100s)", id, unit);
        return NULL;
    }
    MDB_txn *txn;
    if (gl_store_begin(s, NULL, false, &txn) != 0) {
        fail(r, 503, "unavailable", "the node's store cannot be read");
        return NULL;
    }
    Gridlink__V1__Survey *sv = NULL;
    int rc = gl_store_survey_get(txn, s, id, &sv);
    gl_store_abort(txn);
    if (rc != 0)
        fail(r, rc == GL_ENOENT ? 404 : 503, rc == GL_ENOENT ? "not-found" : "unavailable", "%s",
             rc == GL_ENOENT ? "没有该调查 (no such survey)" : "the node's store cannot be read");
    return rc == 0 ? sv : NULL;
}

static void show(gl_http_req_t *r, const gl_survey_door *d, const char *unit, const char *id)
{
    const gl_node_t *nd;
    gl_store_t *s = unit_store(r, d, unit, &nd);
    Gridlink__V1__Survey *sv = s ? survey_of(r, s, nd->id, id) : NULL;
    if (!sv)
        return;
    json_t *j = gl_survey_json(sv, nd->name, NULL, 0, false);
    json_object_set_new(j, "open", json_boolean(gl_survey_open(sv, d->now)));
    gridlink__v1__survey__free_unpacked(sv, NULL);
    gl_http_json(r, 200, j);
}

/* ---- an answer ---- */

static int status_of(int code)
{
    switch (code) {
    case GL_EINVAL:
    case GL_EPROTO:
    case GL_EPERM: return 400;
    case GL_ENOENT: return 404;
    case GL_ESTATE:
    case GL_EEXIST: return 409;
    default: return 503;
    }
}

static const char *name_of(int code)
{
    switch (code) {
    case GL_EINVAL:
    case GL_EPROTO:
    case GL_EPERM: return "bad-request";
    case GL_ENOENT: return "unknown-code";
    case GL_EEXIST: return "answered";
    case GL_ESTATE: return "closed";
    default: return "unavailable";
    }
}

static void answered(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                     size_t len, int64_t now)
{
    (void)op, (void)t, (void)node, (void)now;
    Gridlink__V1__CtlReply *rep = gridlink__v1__ctl_reply__unpack(NULL, len, reply);
    if (!rep || rep->code != 0) {
        int code = rep ? rep->code : GL_EIO;
        fail(r, status_of(code), name_of(code), "%s", rep && rep->error[0] ? rep->error : "the node gave no answer");
        if (rep)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return;
    }
    const Gridlink__V1__Survey *sv = rep->n_surveys ? rep->surveys[0] : NULL;
    json_t *j = json_pack("{s:b, s:s, s:s}", "answered", 1, "survey", sv ? sv->id : "", "message",
                          "提交成功，感谢您参与调查！");
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    gl_http_json(r, 201, j);
}

static void answer_failed(gl_http_req_t *r, int code, const char *message)
{
    fail(r, status_of(code), name_of(code), "%s", message && message[0] ? message : gl_strerror(code));
}

static const gl_api_answerer answerer = {answered, answer_failed};

/* Which code it is: 1 a receipt of the intake, 0 a survey code of sv, or
 * -1 (r answered: unknown, counted). */
static int code_kind(gl_http_req_t *r, const gl_survey_door *d, gl_store_t *s, const char *survey, const uint8_t *hash)
{
    MDB_txn *txn;
    int found = -1;
    if (d->intake && gl_store_begin(d->intake, NULL, false, &txn) == 0) {
        char case_id[GL_NODE_ID_MAX + 24];
        if (gl_store_receipt_get(txn, d->intake, hash, case_id, sizeof case_id) == 0)
            found = 1;
        gl_store_abort(txn);
    }
    if (found < 0 && gl_store_begin(s, NULL, false, &txn) == 0) {
        if (gl_store_survey_ticket_has(txn, s, survey, hash) == 1)
            found = 0;
        gl_store_abort(txn);
    }
    if (found < 0) {
        gl_resident_count(r, d->now, GL_RC_MISSES);
        fail(r, 404, "unknown-code", "未找到该调查码或回执码，请核对后重试 (no such code)");
    }
    return found;
}

static int answer(gl_http_req_t *r, const gl_survey_door *d, const char *unit, const char *id, gl_api_call *call)
{
    if (gl_resident_over(r, d->now, GL_RC_ANSWERS, gl_resident_limit("GRIDLINK_PUBLIC_ANSWERS", 30), "answers"))
        return 1;
    gl_resident_count(r, d->now, GL_RC_ANSWERS);
    size_t len;
    const uint8_t *b = gl_http_body(r, &len);
    if (len > GL_SURVEY_BODY) {
        fail(r, 413, "too-large", "an answer is at most %u bytes", GL_SURVEY_BODY);
        return 1;
    }
    json_error_t jerr;
    json_t *j = len ? json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    json_t *jc = json_object_get(j, "code"), *ja = json_object_get(j, "answers");
    char code[GL_PUBLIC_CODE_LEN + 1];
    if (!json_is_object(j) || json_object_size(j) != 2 || !json_is_string(jc) || !json_is_object(ja)) {
        json_decref(j);
        fail(r, 400, "bad-request", "答卷格式为 {\"code\": 调查码或回执码, \"answers\": {问题编号: 答案}}");
        return 1;
    }
    if (!gl_resident_code_norm(json_string_value(jc), code)) {
        json_decref(j);
        fail(r, 400, "bad-code", "调查码或回执码为 %d 位字母和数字 (a code is %d letters and digits)",
             GL_PUBLIC_CODE_LEN, GL_PUBLIC_CODE_LEN);
        return 1;
    }
    if (gl_resident_over(r, d->now, GL_RC_MISSES, gl_resident_limit("GRIDLINK_PUBLIC_MISSES", 60), "unknown codes")) {
        json_decref(j);
        return 1;
    }
    const gl_node_t *nd;
    gl_store_t *s = unit_store(r, d, unit, &nd);
    Gridlink__V1__Survey *sv = s ? survey_of(r, s, nd->id, id) : NULL;
    if (!sv) {
        json_decref(j);
        return 1;
    }
    char why[600] = "";
    Gridlink__V1__SurveyAnswer *a = NULL;
    int rc = gl_survey_answer_from_json(ja, sv, &a, why, sizeof why);
    json_decref(j);
    bool open = gl_survey_open(sv, d->now);
    if (rc != 0 || !open) {
        gridlink__v1__survey__free_unpacked(sv, NULL);
        if (!open)
            fail(r, 409, "closed", "该调查已结束 (the survey is closed)");
        else
            fail(r, rc == GL_EINVAL ? 400 : 503, rc == GL_EINVAL ? "bad-answer" : "unavailable", "%s",
                 why[0] ? why : "out of memory");
        if (a)
            gridlink__v1__survey_answer__free_unpacked(a, NULL);
        return 1;
    }
    uint8_t hash[GL_RECEIPT_HASH];
    gl_resident_code_hash(code, hash);
    int kind = code_kind(r, d, s, sv->id, hash);
    gridlink__v1__survey__free_unpacked(sv, NULL);
    if (kind < 0) {
        gridlink__v1__survey_answer__free_unpacked(a, NULL);
        return 1;
    }
    Gridlink__V1__CtlRequest *q = malloc(sizeof *q);
    if (q) {
        gridlink__v1__ctl_request__init(q);
        q->answer = a;
        q->op = strdup("survey-answer");
        q->node = strdup(nd->id);
        q->survey_id = strdup(id);
        q->user = strdup("public");
        q->by_receipt = kind == 1;
        q->receipt.data = malloc(GL_RECEIPT_HASH);
        if (q->receipt.data) {
            memcpy(q->receipt.data, hash, GL_RECEIPT_HASH);
            q->receipt.len = GL_RECEIPT_HASH;
        }
    } else {
        gridlink__v1__survey_answer__free_unpacked(a, NULL);
    }
    if (!q || !q->op || !q->node || !q->survey_id || !q->user || !q->receipt.data) {
        if (q)
            gridlink__v1__ctl_request__free_unpacked(q, NULL);
        fail(r, 503, "unavailable", "out of memory");
        return 1;
    }
    snprintf(call->node, sizeof call->node, "%s", nd->id);
    snprintf(call->user, sizeof call->user, "public");
    call->req = q;
    call->op = GRIDLINK__V1__OP__OP_SURVEY_ANSWER;
    call->who.role = GL_ROLE_RESIDENT;
    call->who.user = call->user;
    call->answerer = &answerer;
    return 0;
}

int gl_survey_public_route(gl_http_req_t *r, const gl_survey_door *d, gl_api_call *call)
{
    memset(call, 0, sizeof *call);
    const char *path = gl_http_path(r) + sizeof PREFIX - 1, *method = gl_http_method(r);
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (!path[0] || strcmp(path, "/") == 0) {
        if (!get)
            fail(r, 405, "method-not-allowed", "surveys are listed with GET");
        else
            list(r, d);
        return 1;
    }
    char buf[600], *parts[4];
    int n = 0;
    if (strlen(path) >= sizeof buf) {
        fail(r, 404, "not-found", "no such resource");
        return 1;
    }
    snprintf(buf, sizeof buf, "%s", path + 1);
    for (char *save = NULL, *p = strtok_r(buf, "/", &save); p && n < 4; p = strtok_r(NULL, "/", &save))
        parts[n++] = p;
    if (n == 2 && get) {
        show(r, d, parts[0], parts[1]);
        return 1;
    }
    if (n == 3 && strcmp(parts[2], "answers") == 0) {
        if (!post) {
            fail(r, 405, "method-not-allowed", "an answer is sent with POST");
            return 1;
        }
        return answer(r, d, parts[0], parts[1], call);
    }
    fail(r, n == 2 ? 405 : 404, n == 2 ? "method-not-allowed" : "not-found", "no such resource: %.200s",
         gl_http_path(r));
    return 1;
}
