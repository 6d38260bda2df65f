/* api_surveys.c: the staff API's needs surveys (api.h):
 *
 *   GET  /api/v1/nodes/{node}/surveys                the unit's and its subtree's surveys, with counts
 *   POST /api/v1/nodes/{node}/surveys                {"title", "intro", "closes", "questions": [...]} (survey.h)
 *   GET  /api/v1/nodes/{node}/surveys/{id}           definition and results (texts for the unit's staff)
 *   POST /api/v1/nodes/{node}/surveys/{id}/close
 *   POST /api/v1/nodes/{node}/surveys/{id}/tickets   {"count": K} -> {"codes": [...]} (given once)
 *   POST /api/v1/nodes/{node}/surveys/{id}/task      {"question", "option"?, "to", "category", "title"?, "note"?}
 *
 * The request made belongs to the call (gl_api_call_clear); answers are
 * JSON made here and handed to the HTTP server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "casejson.h"
#include "codec.h"
#include "error.h"
#include "names.h"
#include "survey.h"

#define OP(x) GRIDLINK__V1__OP__OP_##x

static json_t *body(gl_http_req_t *r, char *why, size_t whylen)
{
    size_t len;
    const uint8_t *b = gl_http_body(r, &len);
    if (len > GL_SURVEY_BODY) {
        snprintf(why, whylen, "the body is at most %u bytes", GL_SURVEY_BODY);
        return NULL;
    }
    if (!len)
        return json_object();
    json_error_t e;
    json_t *j = json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        snprintf(why, whylen, "the body is not JSON: %s (line %d)", e.text, e.line);
    return j;
}

static int str_of(json_t *j, const char *key, char **field, size_t max, char *why, size_t whylen)
{
    json_t *v = json_object_get(j, key);
    if (!v)
        return GL_OK;
    if (!json_is_string(v) || json_string_length(v) > max) {
        snprintf(why, whylen, "%s is a string of at most %zu bytes", key, max);
        return GL_EINVAL;
    }
    char *s = strdup(json_string_value(v));
    if (!s)
        return GL_ENOMEM;
    *field = s;
    return GL_OK;
}

/* The body of .../task into q. */
static int task_body(json_t *j, Gridlink__V1__CtlRequest *q, char *why, size_t whylen)
{
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "question") && strcmp(key, "option") && strcmp(key, "to") && strcmp(key, "category") &&
            strcmp(key, "title") && strcmp(key, "note") && strcmp(key, "due_ms") && strcmp(key, "sign_within_ms")) {
            snprintf(why, whylen, "unknown field '%.40s' (question, option, to, category, title, note)", key);
            return GL_EINVAL;
        }
    }
    json_t *opt = json_object_get(j, "option");
    if (opt && !json_is_integer(opt) && !json_is_null(opt)) {
        snprintf(why, whylen, "option is the option's number 1..n");
        return GL_EINVAL;
    }
    if (json_is_integer(opt)) {
        json_int_t o = json_integer_value(opt);
        if (o < 0 || o > GL_SURVEY_MAX_OPTIONS) {
            snprintf(why, whylen, "option is the option's number 1..n");
            return GL_EINVAL;
        }
        q->option = (int32_t)o;
    }
    json_t *due = json_object_get(j, "due_ms"), *sign = json_object_get(j, "sign_within_ms");
    if ((due && (!json_is_integer(due) || json_integer_value(due) < 0)) ||
        (sign && (!json_is_integer(sign) || json_integer_value(sign) < 0))) {
        snprintf(why, whylen, "due_ms and sign_within_ms are milliseconds");
        return GL_EINVAL;
    }
    q->due_ms = due ? json_integer_value(due) : 0;
    q->sign_within_ms = sign ? json_integer_value(sign) : 0;
    int rc = str_of(j, "question", &q->question, GL_SURVEY_QID, why, whylen);
    if (rc == 0)
        rc = str_of(j, "to", &q->to, GL_NODE_ID_MAX, why, whylen);
    if (rc == 0)
        rc = str_of(j, "category", &q->category, 128, why, whylen);
    if (rc == 0)
        rc = str_of(j, "title", &q->text, 1000, why, whylen);
    if (rc == 0)
        rc = str_of(j, "note", &q->note, 2000, why, whylen);
    if (rc == 0 && (!q->question[0] || !q->to[0] || !q->category[0])) {
        snprintf(why, whylen, "a task names the question, the node it goes to (to) and its category");
        rc = GL_EINVAL;
    }
    return rc;
}

static char *sdup(const char *s)
{
    return strdup(s);
}

int gl_api_surveys(gl_http_req_t *r, const gl_topology_t *t, const gl_account *a, char **p, int n, gl_api_call *call)
{
    (void)t;
    const char *method = gl_http_method(r), *node = p[3];
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    const char *op = NULL, *id = n >= 6 ? p[5] : NULL;
    if (n == 5 && get)
        op = "surveys";
    else if (n == 5 && post)
        op = "survey-publish";
    else if (n == 6 && get)
        op = "survey";
    else if (n == 7 && post && strcmp(p[6], "close") == 0)
        op = "survey-close";
    else if (n == 7 && post && strcmp(p[6], "tickets") == 0)
        op = "survey-tickets";
    else if (n == 7 && post && strcmp(p[6], "task") == 0)
        op = "survey-task";
    if (!op) {
        bool known =
            n == 5 || n == 6 ||
            (n == 7 && (strcmp(p[6], "close") == 0 || strcmp(p[6], "tickets") == 0 || strcmp(p[6], "task") == 0));
        gl_http_error(r, known ? 405 : 404, known ? "method-not-allowed" : "not-found", "%s %.200s is not served",
                      method, gl_http_path(r));
        return 1;
    }
    if (id && !gl_survey_id_valid(id, NULL)) {
        gl_http_error(r, 400, "bad-request", "'%.200s' is not a survey ID (UNIT-sN)", id);
        return 1;
    }
    const gl_engine_op *eop = gl_engine_op_find(op);
    if (!eop || !gl_user_role_may(a->role, eop->op, eop->writes) || !gl_account_in_scope(a, node)) {
        gl_http_error(r, 403, "forbidden", "%s (%s, scope %s) may not %s at %s", a->name, gl_user_role_name(a->role),
                      a->scope, op, node);
        return 1;
    }
    Gridlink__V1__CtlRequest *q = malloc(sizeof *q);
    if (!q) {
        gl_http_error(r, 500, "internal", "out of memory");
        return 1;
    }
    gridlink__v1__ctl_request__init(q);
    char why[512] = "";
    int rc = GL_OK;
    json_t *j = post ? body(r, why, sizeof why) : NULL;
    if (post && !j)
        rc = GL_EINVAL;
    if (rc == 0 && eop->op == OP(SURVEY_PUBLISH))
        rc = gl_survey_from_json(j, &q->survey, why, sizeof why);
    if (rc == 0 && eop->op == OP(SURVEY_TICKETS)) {
        json_t *c = json_object_get(j, "count");
        if (!json_is_integer(c) || json_integer_value(c) < 1 || json_integer_value(c) > GL_SURVEY_MAX_TICKETS ||
            json_object_size(j) != 1) {
            snprintf(why, sizeof why, "tickets take {\"count\": 1..%d}", GL_SURVEY_MAX_TICKETS);
            rc = GL_EINVAL;
        } else {
            q->count = (uint32_t)json_integer_value(c);
        }
    }
    if (rc == 0 && eop->op == OP(SURVEY_TASK))
        rc = task_body(j, q, why, sizeof why);
    json_decref(j);
    q->node = sdup(node);
    q->op = sdup(op);
    q->user = sdup(a->name);
    if (id)
        q->survey_id = sdup(id);
    if (rc == 0 && (!q->node || !q->op || !q->user || (id && !q->survey_id)))
        rc = GL_ENOMEM;
    if (rc != 0) {
        gridlink__v1__ctl_request__free_unpacked(q, NULL);
        gl_api_fail(r, rc, why);
        return 1;
    }
    snprintf(call->node, sizeof call->node, "%s", node);
    snprintf(call->user, sizeof call->user, "%s", a->name);
    call->req = q;
    call->op = eop->op;
    call->who.role = a->role == GL_USER_ADMIN ? GL_ROLE_OPERATOR : GL_ROLE_STAFF;
    call->who.user = call->user;
    return 0;
}

static const char *unit_name(const gl_topology_t *t, const char *unit)
{
    const gl_node_t *nd = gl_topology_find(t, unit);
    return nd && nd->name && nd->name[0] ? nd->name : unit;
}

json_t *gl_api_survey_reply(const Gridlink__V1__CtlReply *rep, gl_op op, const gl_topology_t *t, int64_t now,
                            int *status)
{
    *status = 200;
    if (op == OP(SURVEYS)) {
        json_t *arr = json_array();
        for (size_t i = 0; i < rep->n_surveys; i++)
            json_array_append_new(arr,
                                  gl_survey_json(rep->surveys[i], unit_name(t, rep->surveys[i]->unit), NULL, 0, true));
        return json_pack("{s:o}", "surveys", arr);
    }
    if (op == OP(SURVEY_TASK)) {
        *status = 201;
        json_t *j = rep->case_ ? gl_case_json(t, rep->case_, NULL, 0, now) : json_object();
        if (j && rep->n_case_ids) {
            json_t *ids = json_array();
            for (size_t i = 0; i < rep->n_case_ids; i++)
                json_array_append_new(ids, json_string(rep->case_ids[i]));
            json_object_set_new(j, "case_ids", ids);
        }
        return j;
    }
    const gl_survey *s = rep->n_surveys ? rep->surveys[0] : NULL;
    if (!s)
        return json_object();
    if (op == OP(SURVEY_TICKETS)) {
        json_t *codes = json_array();
        for (size_t i = 0; i < rep->n_codes; i++)
            json_array_append_new(codes, json_string(rep->codes[i]));
        *status = 201;
        return json_pack("{s:s, s:o, s:I}", "survey", s->id, "codes", codes, "tickets", (json_int_t)s->tickets);
    }
    if (op == OP(SURVEY_PUBLISH))
        *status = 201;
    return gl_survey_json(s, unit_name(t, s->unit), rep->answers, rep->n_answers, true);
}
