/* openapi_surveys.c: the needs surveys' part of the staff API's OpenAPI
 * document (openapi.h, api_surveys.c): their paths and schemas, written
 * here as JSON text and added to the document openapi.c builds. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "openapi.h"

static const char schemas[] =
    "{\"SurveyQuestionDefinition\": {\"type\": \"object\", \"required\": [\"id\", \"kind\", \"text\"],"
    " \"additionalProperties\": false, \"properties\": {"
    "  \"id\": {\"type\": \"string\", \"pattern\": \"^[A-Za-z0-9_-]{1,32}$\"},"
    "  \"kind\": {\"type\": \"string\", \"enum\": [\"single\", \"multi\", \"scale\", \"number\", \"text\"]},"
    "  \"text\": {\"type\": \"string\"}, \"required\": {\"type\": \"boolean\"},"
    "  \"options\": {\"type\": \"array\", \"maxItems\": 20, \"items\": {\"type\": \"string\"}}}},"
    " \"SurveyDefinition\": {\"type\": \"object\", \"required\": [\"title\", \"questions\"],"
    " \"additionalProperties\": false, \"description\": \"a needs survey (需求调查): single and multi take 2..20 "
    "options; scale is 1..5\", \"properties\": {"
    "  \"title\": {\"type\": \"string\"}, \"intro\": {\"type\": \"string\"},"
    "  \"closes\": {\"type\": \"string\", \"format\": \"date-time\"},"
    "  \"questions\": {\"type\": \"array\", \"minItems\": 1, \"maxItems\": 40,"
    "   \"items\": {\"$ref\": \"#/components/schemas/SurveyQuestionDefinition\"}}}},"
    " \"SurveyQuestionResult\": {\"type\": \"object\","
    " \"required\": [\"id\", \"kind\", \"kind_label\", \"text\", \"required\", \"options\", \"answered\"],"
    " \"additionalProperties\": false, \"properties\": {"
    "  \"id\": {\"type\": \"string\"},"
    "  \"kind\": {\"type\": \"string\", \"enum\": [\"single\", \"multi\", \"scale\", \"number\", \"text\"]},"
    "  \"kind_label\": {\"type\": \"string\"}, \"text\": {\"type\": \"string\"}, \"required\": {\"type\": \"boolean\"},"
    "  \"options\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
    "  \"answered\": {\"type\": \"integer\", \"minimum\": 0},"
    "  \"counts\": {\"type\": \"array\", \"items\": {\"type\": \"integer\", \"minimum\": 0},"
    "   \"description\": \"single, multi: per option; scale: per value 1..5\"},"
    "  \"sum\": {\"type\": \"number\"}, \"mean\": {\"type\": \"number\", \"description\": \"when answered\"},"
    "  \"min\": {\"type\": \"number\"}, \"max\": {\"type\": \"number\"},"
    "  \"texts\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": \"text: what residents "
    "wrote (the unit's staff only)\"},"
    "  \"values\": {\"type\": \"array\", \"items\": {\"type\": \"number\"}, \"description\": \"number: the values "
    "(the unit's staff only)\"}}},"
    " \"Survey\": {\"type\": \"object\", \"required\": [\"id\", \"unit\", \"unit_name\", \"title\", \"intro\", "
    "\"created\", \"closed\", \"answers\", \"version\", \"questions\", \"tasks\", \"tickets\", \"by\"],"
    " \"additionalProperties\": false, \"properties\": {"
    "  \"id\": {\"type\": \"string\", \"description\": \"UNIT-sN\"}, \"unit\": {\"type\": \"string\"},"
    "  \"unit_name\": {\"type\": \"string\"}, \"title\": {\"type\": \"string\"}, \"intro\": {\"type\": \"string\"},"
    "  \"created\": {\"type\": \"string\", \"format\": \"date-time\"},"
    "  \"closes\": {\"type\": \"string\", \"format\": \"date-time\"}, \"closed\": {\"type\": \"boolean\"},"
    "  \"answers\": {\"type\": \"integer\", \"minimum\": 0}, \"version\": {\"type\": \"integer\", \"minimum\": 1},"
    "  \"questions\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/components/schemas/SurveyQuestionResult\"}},"
    "  \"tasks\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
    "  \"tickets\": {\"type\": \"integer\", \"minimum\": 0}, \"by\": {\"type\": \"string\"}}},"
    " \"SurveyList\": {\"type\": \"object\", \"required\": [\"surveys\"], \"additionalProperties\": false,"
    "  \"properties\": {\"surveys\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/components/schemas/Survey\"}}}},"
    " \"SurveyTicketsRequest\": {\"type\": \"object\", \"required\": [\"count\"], \"additionalProperties\": false,"
    "  \"properties\": {\"count\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 1000}}},"
    " \"SurveyTickets\": {\"type\": \"object\", \"required\": [\"survey\", \"codes\", \"tickets\"],"
    "  \"additionalProperties\": false, \"properties\": {\"survey\": {\"type\": \"string\"},"
    "  \"codes\": {\"type\": \"array\", \"items\": {\"type\": \"string\", \"pattern\": \"^[2-9A-HJ-NP-Z]{12}$\"},"
    "   \"description\": \"the fresh survey codes (调查码), given only here\"},"
    "  \"tickets\": {\"type\": \"integer\", \"minimum\": 0}}},"
    " \"SurveyTaskRequest\": {\"type\": \"object\", \"required\": [\"question\", \"to\", \"category\"],"
    "  \"additionalProperties\": false, \"properties\": {\"question\": {\"type\": \"string\"},"
    "  \"option\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 20}, \"to\": {\"type\": \"string\"},"
    "  \"category\": {\"type\": \"string\"}, \"title\": {\"type\": \"string\"}, \"note\": {\"type\": \"string\"},"
    "  \"due_ms\": {\"type\": \"integer\", \"minimum\": 0}, \"sign_within_ms\": {\"type\": \"integer\", \"minimum\": "
    "0}}}}";

/* An operation's answers: status -> schema, and the errors it may give. */
static json_t *op(const char *id, const char *summary, bool get, const char *body, const char *status,
                  const char *about, const char *schema, const int *errs)
{
    char ref[128];
    snprintf(ref, sizeof ref, "#/components/schemas/%s", schema);
    json_t *responses = json_pack("{s:{s:s, s:{s:{s:{s:s}}}}}", status, "description", about, "content",
                                  "application/json", "schema", "$ref", ref);
    static const struct {
        int status;
        const char *name;
    } names[] = {{400, "BadRequest"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "NotFound"},   {409, "Conflict"},
                 {413, "TooLarge"},   {429, "TooMany"},      {500, "Internal"},  {503, "Unavailable"}};
    for (size_t i = 0; errs[i]; i++)
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (names[k].status == errs[i]) {
                char s[8], r[96];
                snprintf(s, sizeof s, "%d", errs[i]);
                snprintf(r, sizeof r, "#/components/responses/%s", names[k].name);
                json_object_set_new(responses, s, json_pack("{s:s}", "$ref", r));
            }
    json_t *o = json_pack("{s:s, s:s, s:o}", "operationId", id, "summary", summary, "responses", responses);
    if (body) {
        snprintf(ref, sizeof ref, "#/components/schemas/%s", body);
        json_object_set_new(
            o, "requestBody",
            json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content", "application/json", "schema", "$ref", ref));
    }
    if (get)
        json_object_set_new(o, "security", json_pack("[{s:[]}, {s:[]}]", "bearer", "cookie"));
    return o;
}

int gl_openapi_surveys(json_t *doc)
{
    json_error_t e;
    json_t *s = json_loads(schemas, 0, &e);
    json_t *paths = json_object_get(doc, "paths");
    json_t *have = json_object_get(json_object_get(doc, "components"), "schemas");
    json_t *params = json_object_get(json_object_get(doc, "components"), "parameters");
    if (!s || !paths || !have || !params) {
        json_decref(s);
        return GL_ENOMEM;
    }
    json_object_update(have, s);
    json_decref(s);
    json_object_set_new(params, "survey",
                        json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", "survey", "in", "path", "required", 1,
                                  "description", "a survey ID (xinbei.sanjing.c01-s1)", "schema", "type", "string"));
    static const int e_read[] = {400, 401, 403, 404, 429, 500, 503, 0},
                     e_write[] = {400, 401, 403, 404, 409, 413, 429, 500, 503, 0};
    json_t *node = json_pack("[{s:s}]", "$ref", "#/components/parameters/node");
    json_t *both =
        json_pack("[{s:s}, {s:s}]", "$ref", "#/components/parameters/node", "$ref", "#/components/parameters/survey");
    int rc =
        json_object_set_new(paths, "/nodes/{node}/surveys",
                            json_pack("{s:O, s:o, s:o}", "parameters", node, "get",
                                      op("listSurveys", "the surveys of the node and of its subtree, with their counts",
                                         true, NULL, "200", "the surveys", "SurveyList", e_read),
                                      "post",
                                      op("publishSurvey", "publish a needs survey (需求调查) of this unit", false,
                                         "SurveyDefinition", "201", "the survey published", "Survey", e_write)));
    rc |= json_object_set_new(paths, "/nodes/{node}/surveys/{survey}",
                              json_pack("{s:O, s:o}", "parameters", both, "get",
                                        op("survey", "a survey's definition and results", true, NULL, "200",
                                           "the survey", "Survey", e_read)));
    rc |= json_object_set_new(
        paths, "/nodes/{node}/surveys/{survey}/close",
        json_pack("{s:O, s:o}", "parameters", both, "post",
                  op("closeSurvey", "take no more answers", false, NULL, "200", "closed", "Survey", e_write)));
    rc |= json_object_set_new(paths, "/nodes/{node}/surveys/{survey}/tickets",
                              json_pack("{s:O, s:o}", "parameters", both, "post",
                                        op("surveyTickets", "fresh survey codes (调查码), kept only as hashes", false,
                                           "SurveyTicketsRequest", "201", "the codes", "SurveyTickets", e_write)));
    rc |= json_object_set_new(paths, "/nodes/{node}/surveys/{survey}/task",
                              json_pack("{s:O, s:o}", "parameters", both, "post",
                                        op("surveyTask", "dispatch a need of the results as a task to a node below",
                                           false, "SurveyTaskRequest", "201", "the task", "CaseResult", e_write)));
    json_decref(node);
    json_decref(both);
    return rc ? GL_ENOMEM : GL_OK;
}
