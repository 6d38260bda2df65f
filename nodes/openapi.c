/* openapi.c: the staff API's OpenAPI 3.0 document (see openapi.h). The
 * routes and their parameters are written here, once, as api.c serves
 * them; every message the API writes or reads is described by the generic
 * schema routines (gl_pbjson_schema, gl_case_json_schema), the enums (states,
 * kinds, actions, reasons, roles) by the names the code uses. A method a
 * path does not list is answered 405 (components/responses/MethodNotAllowed)
 * and a path the document does not list 404 (NotFound). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "casejson.h"
#include "error.h"
#include "names.h"
#include "openapi.h"
#include "pbjson.h"
#include "users.h"

#define PB(x)     (&gridlink__v1__##x##__descriptor)
#define SCHEMA(x) GL_PBJSON_SCHEMA_REF x

static char *served; /* the process's document, serialized */
static size_t served_len;

/* The error answers: each status with the codes it carries. */
static const struct {
    int status;
    const char *name;
    const char *codes[3];
    const char *about;
} errors[] = {
    {400, "BadRequest", {"bad-request"}, "the request is malformed: JSON, a field, a parameter, a refused value"},
    {401, "Unauthorized", {"unauthorized"}, "no token, or one that is not valid (expired, logged out, unknown)"},
    {403, "Forbidden", {"forbidden"}, "the account's role or scope does not allow it"},
    {404, "NotFound", {"not-found"}, "no such route, node or case"},
    {405, "MethodNotAllowed", {"method-not-allowed"}, "the path does not take this method"},
    {409, "Conflict", {"conflict"}, "the case's state or holder does not allow the action"},
    {411, "LengthRequired", {"length-required"}, "a body without a Content-Length (chunked) is refused"},
    {413, "TooLarge", {"too-large"}, "the body is larger than the route takes, or the case is full"},
    {429, "TooMany", {"too-many"}, "too many failed logins, or too much at once: try again later"},
    {500, "Internal", {"internal"}, "the node failed to answer"},
    {503, "Unavailable", {"unavailable", "stopping"}, "the node's store or accounts cannot be used now, or it stops"},
};

static const char *error_name(int status)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].status == status)
            return errors[i].name;
    return NULL;
}

static json_t *ref(const char *section, const char *name)
{
    char buf[160];
    snprintf(buf, sizeof buf, "#/components/%s/%s", section, name);
    return json_pack("{s:s}", "$ref", buf);
}

static json_t *string_enum(const char *const *names, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    return json_pack("{s:s, s:o}", "type", "string", "enum", a);
}

/* The names of an enum's values but its unknown (0), as name_of gives them. */
static json_t *names_enum(const ProtobufCEnumDescriptor *d, const char *(*name_of)(int))
{
    const char *names[64];
    size_t n = 0;
    for (unsigned v = 0; v < d->n_values && n < 64; v++)
        if (d->values[v].value != 0)
            names[n++] = name_of(d->values[v].value);
    return string_enum(names, n);
}

static const char *action_name(int v)
{
    return gl_action_name((gl_action)v);
}
static const char *state_name(int v)
{
    return gl_state_name((gl_state)v);
}
static const char *reason_name(int v)
{
    return gl_reason_name((Gridlink__V1__ReturnReason)v);
}
static const char *kind_name(int v)
{
    return gl_kind_name((Gridlink__V1__CaseKind)v);
}

static json_t *roles_enum(void)
{
    const char *names[16];
    size_t n = 0;
    for (int r = 0; r < 16; r++)
        if (gl_user_role_valid(r))
            names[n++] = gl_user_role_name((enum gl_user_role)r);
    return string_enum(names, n);
}

static json_t *error_schema(size_t i)
{
    size_t n = 0;
    while (n < 3 && errors[i].codes[n])
        n++;
    return json_pack("{s:s, s:[s], s:b, s:{s:{s:s, s:[s,s], s:b, s:{s:o, s:{s:s}}}}}", "type", "object", "required",
                     "error", "additionalProperties", 0, "properties", "error", "type", "object", "required", "code",
                     "message", "additionalProperties", 0, "properties", "code", string_enum(errors[i].codes, n),
                     "message", "type", "string");
}

static json_t *json_content(json_t *schema)
{
    return json_pack("{s:{s:o}}", "application/json", "schema", schema);
}

static json_t *answer(const char *about, json_t *schema)
{
    return json_pack("{s:s, s:o}", "description", about, "content", json_content(schema));
}

/* An operation: its id, summary, body (or NULL), its answers (status ->
 * response) and the error statuses it may give (0-terminated). GETs take
 * the cookie too. */
static json_t *operation(const char *id, const char *summary, bool get, json_t *body, json_t *ok, const int *errs)
{
    json_t *op = json_pack("{s:s, s:s, s:o}", "operationId", id, "summary", summary, "responses", ok);
    if (!op)
        return NULL;
    for (size_t i = 0; errs[i]; i++) {
        char status[8];
        snprintf(status, sizeof status, "%d", errs[i]);
        json_object_set_new(ok, status, ref("responses", error_name(errs[i])));
    }
    if (body)
        json_object_set_new(op, "requestBody", body);
    if (get)
        json_object_set_new(op, "security", json_pack("[{s:[]}, {s:[]}]", "bearer", "cookie"));
    return op;
}

static json_t *params(const char *const *names)
{
    json_t *a = json_array();
    for (size_t i = 0; a && names[i]; i++)
        json_array_append_new(a, ref("parameters", names[i]));
    return a;
}

static json_t *path_param(const char *name, const char *about, json_t *schema)
{
    return json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "in", "path", "required", 1, "description", about,
                     "schema", schema);
}

static json_t *query_param(const char *name, const char *about, json_t *schema)
{
    return json_pack("{s:s, s:s, s:s, s:o}", "name", name, "in", "query", "description", about, "schema", schema);
}

static json_t *str(void)
{
    return json_pack("{s:s}", "type", "string");
}
static json_t *flag(void)
{
    return json_pack("{s:s}", "type", "boolean");
}

static json_t *parameters(void)
{
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "node",
        path_param("node", "a node this process hosts (xinbei.sanjing.c01)", str()), "id",
        path_param("id", "a case ID (xinbei.sanjing.c01.g1-000001)", str()), "action",
        path_param("action", "the action (rate: the originator's return visit)",
                   names_enum(&gridlink__v1__action__descriptor, action_name)),
        "sha256",
        path_param("sha256", "the attachment's SHA-256, lower-case hex",
                   json_pack("{s:s, s:s}", "type", "string", "pattern", "^[0-9a-f]{64}$")),
        "state", query_param("state", "in this state", names_enum(&gridlink__v1__case_state__descriptor, state_name)),
        "kind", query_param("kind", "of this kind", names_enum(&gridlink__v1__case_kind__descriptor, kind_name)),
        "category", query_param("category", "of this category or under it (urban, urban/roads)", str()), "holder",
        query_param("holder", "held by this node", str()), "text",
        query_param("text", "the text, address or ID contains this", str()), "overdue",
        query_param("overdue", "late only (1, true or yes)", flag()), "due_soon",
        query_param("due_soon", "due soon (即将超时) only", flag()), "unplaced",
        query_param("unplaced", "the routing queue (待分拨) only", flag()), "holding",
        query_param("holding", "held by this node only", flag()), "limit",
        query_param("limit", "cases in a page",
                    json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", 1, "maximum", GL_LIST_PAGE_MAX,
                              "default", 50)),
        "page",
        query_param(
            "page", "the page, from 1",
            json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", 1, "maximum", 1000000, "default", 1)),
        "after", query_param("after", "continue after this case ID (a list's next)", str()), "If-None-Match",
        json_pack("{s:s, s:s, s:s, s:o}", "name", "If-None-Match", "in", "header", "description",
                  "the ETag of a copy held: 304 when it is this photo's", "schema", str()));
}

/* The league table's query (群众评议), beside the others. */
static json_t *appraisal_parameters(json_t *p)
{
    if (p) {
        json_object_set_new(
            p, "period",
            query_param(
                "period",
                "a month YYYY-MM (this month by default), a quarter YYYY-Qn, a year YYYY or an ISO week YYYY-Www",
                json_pack("{s:s, s:s}", "type", "string", "pattern", "^[0-9]{4}(-[0-9]{2}|-Q[1-4]|-W[0-9]{2})?$")));
        json_object_set_new(p, "tier",
                            query_param("tier", "the units ranked (township by default)",
                                        json_pack("{s:s, s:[s, s, s]}", "type", "string", "enum", "township",
                                                  "community", "department")));
    }
    return p;
}

/* What the API writes around the messages: login, lists, write results,
 * attachments, and the routes' own objects. */
static int add_schemas(json_t *s)
{
    json_t *caseref = gl_case_json_schema(s);
    json_decref(caseref);
    json_t *view = json_deep_copy(json_object_get(s, "CaseJson"));
    json_t *vprops = json_object_get(view, "properties");
    if (!caseref || !vprops)
        return GL_ENOMEM;
    json_object_set_new(view, "description", json_string("the case as it is after a write, with what happened"));
    json_object_set_new(vprops, "case_ids",
                        json_pack("{s:s, s:{s:s}, s:s}", "type", "array", "items", "type", "string", "description",
                                  "a dispatch's tasks, one a recipient"));
    json_object_set_new(vprops, "note",
                        json_pack("{s:s, s:s}", "type", "string", "description", "where an action was sent on"));
    json_object_set_new(s, "CaseResult", view);
    json_decref(gl_pbjson_schema_ref(PB(node_health), GL_PBJSON_DEFAULTS, s));
    json_decref(gl_pbjson_schema_ref(PB(bus_event), 0, s));
    /* An event's counters and rating are written sparse, a case's whole. */
    json_t *ev_props = json_object_get(json_object_get(s, "BusEvent"), "properties");
    json_object_set_new(ev_props, "counters", gl_pbjson_schema(PB(case_counters), 0, s));
    json_object_set_new(ev_props, "rating", gl_pbjson_schema(PB(rating), 0, s));
    json_decref(gl_pbjson_schema_ref(PB(appraisal_table), GL_PBJSON_DEFAULTS, s));

    static const char *const new_case[] = {"kind",      "category",    "text",        "priority", "address",
                                           "reporter",  "note",        "located",     "lat",      "lon",
                                           "community", "to",          "under",       "tier",     "sign_within_ms",
                                           "due_ms",    "departments", "attachments", NULL};
    static const char *const act[] = {"note", "reason",   "by_ms",     "by_unit",     "into",
                                      "to",   "resolved", "satisfied", "attachments", NULL};
    json_t *nc = gl_pbjson_schema_fields(PB(ctl_request), new_case, s);
    json_t *ab = gl_pbjson_schema_fields(PB(ctl_request), act, s);
    if (!nc || !ab) {
        json_decref(nc);
        json_decref(ab);
        return GL_ENOMEM;
    }
    json_object_set_new(nc, "description",
                        json_string("a new case: an incident (the default), a resident's request (kind request: "
                                    "located, lat, lon, address or community), a task (kind task: to, or under and "
                                    "tier; sign_within_ms, due_ms) or a whistle (kind whistle: departments)"));
    json_object_set_new(ab, "description",
                        json_string("an action's arguments: note; return: reason; extend: by_ms "
                                    "and by_unit; merge: into; assign: to; rate: resolved, "
                                    "satisfied"));
    json_object_set_new(json_object_get(ab, "properties"), "reason",
                        names_enum(&gridlink__v1__return_reason__descriptor, reason_name));
    json_object_set_new(s, "NewCase", nc);
    json_object_set_new(s, "ActionArguments", ab);

    int rc = 0;
    rc |= json_object_set_new(s, "LoginRequest",
                              json_pack("{s:s, s:[s,s], s:b, s:{s:{s:s}, s:{s:s, s:s}}}", "type", "object", "required",
                                        "name", "password", "additionalProperties", 0, "properties", "name", "type",
                                        "string", "password", "type", "string", "format", "password"));
    rc |= json_object_set_new(s, "Login",
                              json_pack("{s:s, s:[s,s,s,s,s], s:b, s:{s:{s:s}, s:{s:s, s:s}, s:{s:s}, s:o, s:{s:s}}}",
                                        "type", "object", "required", "token", "expires", "name", "role", "scope",
                                        "additionalProperties", 0, "properties", "token", "type", "string", "expires",
                                        "type", "string", "format", "date-time", "name", "type", "string", "role",
                                        roles_enum(), "scope", "type", "string"));
    rc |= json_object_set_new(s, "LoggedOut",
                              json_pack("{s:s, s:[s], s:b, s:{s:{s:s}}}", "type", "object", "required", "logged_out",
                                        "additionalProperties", 0, "properties", "logged_out", "type", "boolean"));
    rc |= json_object_set_new(s, "CaseList",
                              json_pack("{s:s, s:[s,s], s:b, s:{s:{s:s, s:o}, s:{s:s, s:s, s:i}, s:{s:s, s:s}}}",
                                        "type", "object", "required", "cases", "matched", "additionalProperties", 0,
                                        "properties", "cases", "type", "array", "items", ref("schemas", "CaseJson"),
                                        "matched", "type", "integer", "format", "int64", "minimum", 0, "next", "type",
                                        "string", "description", "more match: ask again with after = this"));
    rc |= json_object_set_new(
        s, "Attachment",
        json_pack("{s:s, s:[s,s,s], s:b, s:{s:{s:s, s:s}, s:{s:s, s:i, s:i}, s:o}}", "type", "object", "required",
                  "sha256", "size", "content_type", "additionalProperties", 0, "properties", "sha256", "type", "string",
                  "pattern", "^[0-9a-f]{64}$", "size", "type", "integer", "minimum", 1, "maximum", GL_MAX_ATTACHMENT,
                  "content_type",
                  string_enum((const char *[]){"image/jpeg", "image/png", "image/webp", "image/gif"}, 4)));
    rc |= json_object_set_new(s, "Me",
                              json_pack("{s:s, s:[s,s,s,s], s:{s:{s:s}, s:o, s:{s:s}, s:{s:s}, s:{s:s}, s:o}}", "type",
                                        "object", "required", "name", "role", "role_label", "scope", "properties",
                                        "name", "type", "string", "role", roles_enum(), "role_label", "type", "string",
                                        "scope", "type", "string", "display_name", "type", "string", "node",
                                        ref("schemas", "NodeBrief")));
    rc |= json_object_set_new(s, "NodeBrief",
                              json_pack("{s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:s}, s:o, s:{s:s}}}", "type", "object",
                                        "required", "id", "name", "tier", "tier_label", "properties", "id", "type",
                                        "string", "name", "type", "string", "tier", ref("schemas", "Tier"),
                                        "tier_label", "type", "string"));
    rc |= json_object_set_new(s, "Category",
                              json_pack("{s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:o}}}", "type",
                                        "object", "required", "code", "name", "display", "properties", "code", "type",
                                        "string", "name", "type", "string", "display", "type", "string",
                                        "subcategories", "type", "array", "items", ref("schemas", "Category")));
    rc |= json_object_set_new(s, "Categories",
                              json_pack("{s:s, s:[s], s:{s:{s:s, s:o}}}", "type", "object", "required", "categories",
                                        "properties", "categories", "type", "array", "items",
                                        ref("schemas", "Category")));
    rc |= json_object_set_new(s, "NodeInfo",
                              json_pack("{s:s, s:[s,s,s,s,s], s:{s:{s:s}, s:{s:s}, s:o, s:{s:s}, s:{s:s}, s:{s:s}, "
                                        "s:{s:s, s:o}, s:{s:s, s:o}, s:{s:s, s:[s,s], s:{s:{s:s}, s:{s:s}}}}}",
                                        "type", "object", "required", "id", "name", "tier", "children", "departments",
                                        "properties", "id", "type", "string", "name", "type", "string", "tier",
                                        ref("schemas", "Tier"), "tier_label", "type", "string", "parent", "type",
                                        "string", "parent_name", "type", "string", "children", "type", "array", "items",
                                        ref("schemas", "NodeBrief"), "departments", "type", "array", "items",
                                        ref("schemas", "NodeBrief"), "area_centre", "type", "object", "required", "lat",
                                        "lon", "properties", "lat", "type", "number", "lon", "type", "number"));
    json_object_set_new(s, "Tier", gl_pbjson_enum_schema(&gridlink__v1__tier__descriptor));
    return rc ? GL_ENOMEM : GL_OK;
}

static json_t *components(void)
{
    json_t *schemas = json_object(), *responses = json_object();
    if (!schemas || !responses || add_schemas(schemas) != 0) {
        json_decref(schemas);
        json_decref(responses);
        return NULL;
    }
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        json_object_set_new(responses, errors[i].name, answer(errors[i].about, error_schema(i)));
    return json_pack("{s:o, s:o, s:o, s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}}", "schemas", schemas, "responses",
                     responses, "parameters", appraisal_parameters(parameters()), "securitySchemes", "bearer", "type",
                     "http", "scheme", "bearer", "description", "a token from POST /login, 12 hours", "cookie", "type",
                     "apiKey", "in", "cookie", "name", "gl_token", "description",
                     "the same token in a cookie, for reads from the web pages");
}

static json_t *body(const char *schema, bool required)
{
    return json_pack("{s:b, s:o}", "required", required, "content", json_content(ref("schemas", schema)));
}

static json_t *ok(const char *status, const char *about, const char *schema)
{
    return json_pack("{s:o}", status, answer(about, ref("schemas", schema)));
}

static json_t *paths(void)
{
    static const int e_login[] = {400, 401, 429, 503, 0}, e_read[] = {401, 500, 0},
                     e_node[] = {400, 401, 403, 404, 429, 500, 503, 0},
                     e_write[] = {400, 401, 403, 404, 409, 411, 413, 429, 500, 503, 0},
                     e_image[] = {400, 401, 403, 404, 411, 413, 429, 500, 503, 0};
    static const char *const p_node[] = {"node", NULL}, *const p_case[] = {"node", "id", NULL},
                             *const p_act[] = {"node", "id", "action", NULL},
                             *const p_att[] = {"node", "sha256", "If-None-Match", NULL},
                             *const p_list[] = {"state",   "kind",     "category", "holder",  "text",
                                                "overdue", "due_soon", "unplaced", "holding", "limit",
                                                "page",    "after",    NULL};
    json_t *login = operation("login", "sign in with the home's accounts (gridlink user add)", false,
                              body("LoginRequest", true), ok("200", "signed in", "Login"), e_login);
    json_object_set_new(login, "security", json_array());
    json_object_set_new(json_object_get(json_object_get(login, "responses"), "200"), "headers",
                        json_pack("{s:{s:s, s:{s:s}}}", "Set-Cookie", "description",
                                  "gl_token=TOKEN; HttpOnly; SameSite=Strict: the token for reads from the web pages",
                                  "schema", "type", "string"));
    json_t *logout = operation("logout", "end this token", false, NULL, ok("200", "signed out", "LoggedOut"), e_read);
    json_object_set_new(
        json_object_get(json_object_get(logout, "responses"), "200"), "headers",
        json_pack("{s:{s:s, s:{s:s}}}", "Set-Cookie", "description", "the cookie cleared", "schema", "type", "string"));
    /* A photo never changes under its hash. */
    json_t *cached =
        json_pack("{s:{s:s, s:{s:s}}, s:{s:s, s:{s:s}}}", "ETag", "description", "\"SHA256\"", "schema", "type",
                  "string", "Cache-Control", "description", "private, immutable", "schema", "type", "string");
    json_t *list = operation("listCases", "the cases this node holds or has held, filtered, a page at a time", true,
                             NULL, ok("200", "a page of cases", "CaseList"), e_node);
    json_object_set_new(list, "parameters", params(p_list));
    json_t *image = json_pack("{s:s, s:s}", "type", "string", "format", "binary");
    json_t *images = json_pack("{s:{s:O}, s:{s:O}, s:{s:O}, s:{s:O}}", "image/jpeg", "schema", image, "image/png",
                               "schema", image, "image/webp", "schema", image, "image/gif", "schema", image);
    json_t *events = json_pack(
        "{s:{s:s, s:{s:{s:{s:s}, s:o}}}}", "200", "description",
        "Server-Sent Events: each event's id is the node's log sequence and its data a BusEvent in JSON", "content",
        "text/event-stream", "schema", "type", "string", "x-event-data", ref("schemas", "BusEvent"));
    json_t *events_op = operation("events", "the node's events as they happen", true, NULL, events, e_node);
    json_object_set_new(events_op, "parameters",
                        json_pack("[{s:s, s:s, s:s, s:{s:s}}]", "name", "Last-Event-ID", "in", "header", "description",
                                  "resume after this sequence", "schema", "type", "string"));
    json_t *doc = json_pack(
        "{s:{s:o}, s:{s:o}, s:{s:o}, s:{s:o}, s:{s:o}, s:{s:o, s:o}, s:{s:o, s:o}, s:{s:o, s:o, s:o}, s:{s:o, s:o},"
        " s:{s:o, s:o}, s:{s:o, s:o}, s:{s:o, s:o}, s:{s:o, s:o}}",
        "/openapi.json", "get",
        json_pack("{s:s, s:s, s:[], s:{s:o}}", "operationId", "openapi", "summary", "this document", "security",
                  "responses", "200", answer("the OpenAPI 3.0 document", json_pack("{s:s}", "type", "object"))),
        "/login", "post", login, "/logout", "post", logout, "/me", "get",
        operation("me", "the account of this token", true, NULL, ok("200", "the account", "Me"), e_read), "/categories",
        "get",
        operation("categories", "the catalogue of categories", true, NULL, ok("200", "the catalogue", "Categories"),
                  e_read),
        "/nodes/{node}", "parameters", params(p_node), "get",
        operation("node", "the node: name, tier, parent", true, NULL, ok("200", "the node", "NodeInfo"), e_node),
        "/nodes/{node}/health", "parameters", params(p_node), "get",
        operation("health", "the node's links, log, outbox and counts", true, NULL,
                  ok("200", "its health", "NodeHealth"), e_node),
        "/nodes/{node}/cases", "parameters", params(p_node), "get", list, "post",
        operation("newCase", "report an incident, take a request, dispatch a task, blow a whistle", false,
                  body("NewCase", true),
                  ok("201", "the new case (a bulk task: the parent, its parts in case_ids)", "CaseResult"), e_write),
        "/nodes/{node}/cases/{id}", "parameters", params(p_case), "get",
        operation("case", "one case with its history (a bulk task with its parts)", true, NULL,
                  ok("200", "the case", "CaseJson"), e_node),
        "/nodes/{node}/cases/{id}/actions/{action}", "parameters", params(p_act), "post",
        operation("act", "work the case; asked where it is not held, the action goes on to the holder", false,
                  body("ActionArguments", false),
                  json_pack("{s:o, s:o}", "200", answer("done here", ref("schemas", "CaseResult")), "202",
                            answer("the case is held elsewhere now: the action was sent on to its holder (the result "
                                   "shows there a moment later), or it moved the case (return, escalate, assign)",
                                   ref("schemas", "CaseResult"))),
                  e_write),
        "/nodes/{node}/attachments", "parameters", params(p_node), "post",
        operation("putAttachment", "store a photo (at most 10 MiB), named by its SHA-256", false,
                  json_pack("{s:b, s:O}", "required", 1, "content", images),
                  json_pack("{s:o, s:o}", "201", answer("stored", ref("schemas", "Attachment")), "200",
                            answer("stored already", ref("schemas", "Attachment"))),
                  e_image),
        "/nodes/{node}/attachments/{sha256}", "parameters", params(p_att), "get",
        operation("getAttachment", "a photo's bytes", true, NULL,
                  json_pack("{s:{s:s, s:O, s:O}, s:{s:s, s:O}}", "200", "description", "the image", "content", images,
                            "headers", cached, "304", "description", "not modified (If-None-Match)", "headers", cached),
                  e_node),
        "/nodes/{node}/events", "parameters", params(p_node), "get", events_op);
    static const char *const p_appr[] = {"node", "period", "tier", NULL};
    json_object_set_new(doc, "/nodes/{node}/appraisals",
                        json_pack("{s:o, s:o}", "parameters", params(p_appr), "get",
                                  operation("appraisals",
                                            "群众评议 at the district: a tier's league table for a period, with the "
                                            "red and black lists (formula gl-appraisal-1)",
                                            true, NULL, ok("200", "the league table", "AppraisalTable"), e_node)));
    json_decref(cached);
    json_decref(image);
    json_decref(images);
    return doc;
}

json_t *gl_openapi_document(const char *base_url)
{
    const char *intro =
        "The staff API of a gridlink node process: every node it hosts, for the accounts of its home. Bodies "
        "are JSON (photos their bytes); a case is the case JSON of `gridlink show --json`. Errors are "
        "{\"error\": {\"code\", \"message\"}}; a method a path does not list gets 405 (MethodNotAllowed), a "
        "path not listed 404 (NotFound). A JSON body is at most 256 KiB, a photo 10 MiB.";
    json_t *doc =
        json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s, s:s}], s:[{s:[]}], s:o, s:o}", "openapi", "3.0.3", "info", "title",
                  "gridlink staff API", "version", "1", "description", intro, "servers", "url", base_url, "description",
                  "this node process", "security", "bearer", "paths", paths(), "components", components());
    if (doc && (gl_openapi_surveys(doc) != 0 || gl_openapi_facts(doc) != 0)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

int gl_openapi_init(const char *base_url)
{
    gl_openapi_free();
    json_t *doc = gl_openapi_document(base_url);
    served = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    served_len = served ? strlen(served) : 0;
    return served ? GL_OK : GL_ENOMEM;
}

void gl_openapi_free(void)
{
    free(served);
    served = NULL;
    served_len = 0;
}

void gl_openapi_answer(gl_http_req_t *r)
{
    if (strcmp(gl_http_method(r), "GET") != 0)
        gl_http_error(r, 405, "method-not-allowed", "the document is read with GET");
    else if (!served)
        gl_http_error(r, 503, "unavailable", "the document could not be made");
    else
        gl_http_respond(r, 200, "application/json; charset=utf-8", served, served_len);
}
