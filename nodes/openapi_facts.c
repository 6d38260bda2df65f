/* openapi_facts.c: the facts' part of the staff API's OpenAPI document
 * (openapi.h, api_facts.c): their path and schemas, written here as JSON
 * text and added to the document openapi.c builds. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "openapi.h"

static const char schemas[] =
    "{\"FactRequest\": {\"type\": \"object\", \"required\": [\"name\", \"value\"], \"additionalProperties\": false,"
    " \"description\": \"a fact for the plan's indicators (gridlink facts names lists them); a flag is 1 or 0\","
    " \"properties\": {\"name\": {\"type\": \"string\"}, \"value\": {\"type\": \"number\", \"minimum\": 0},"
    "  \"as_of\": {\"type\": \"string\", \"pattern\": \"^[0-9]{4}-[0-9]{2}-[0-9]{2}$\","
    "   \"description\": \"the local date the value holds from (default today)\"},"
    "  \"note\": {\"type\": \"string\", \"maxLength\": 500}}},"
    " \"FactEntry\": {\"type\": \"object\", \"required\": [\"name\", \"zh\", \"value\", \"as_of\", \"by\", \"note\","
    " \"node\", \"seq\", \"time\"], \"additionalProperties\": false, \"properties\": {"
    "  \"name\": {\"type\": \"string\"}, \"zh\": {\"type\": \"string\"}, \"value\": {\"type\": \"number\"},"
    "  \"as_of\": {\"type\": \"string\"}, \"by\": {\"type\": \"string\"}, \"note\": {\"type\": \"string\"},"
    "  \"node\": {\"type\": \"string\"}, \"seq\": {\"type\": \"integer\", \"minimum\": 1,"
    "   \"description\": \"the entry of the node's log that recorded it\"},"
    "  \"time\": {\"type\": \"string\", \"format\": \"date-time\"}}},"
    " \"FactListing\": {\"type\": \"object\", \"required\": [\"node\", \"facts\", \"history\"],"
    " \"additionalProperties\": false, \"properties\": {\"node\": {\"type\": \"string\"},"
    "  \"facts\": {\"type\": \"object\", \"additionalProperties\": {\"$ref\": \"#/components/schemas/FactEntry\"},"
    "   \"description\": \"each fact's latest report\"},"
    "  \"history\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/components/schemas/FactEntry\"},"
    "   \"description\": \"every change, by name and then in the order reported\"}}}}";

static json_t *op(const char *id, const char *summary, bool get, const char *body, const char *status,
                  const char *about, const char *schema)
{
    char ref[128];
    snprintf(ref, sizeof ref, "#/components/schemas/%s", schema);
    json_t *responses = json_pack("{s:{s:s, s:{s:{s:{s:s}}}}}", status, "description", about, "content",
                                  "application/json", "schema", "$ref", ref);
    static const char *const errs[][2] = {{"400", "BadRequest"}, {"401", "Unauthorized"}, {"403", "Forbidden"},
                                          {"404", "NotFound"},   {"429", "TooMany"},      {"500", "Internal"},
                                          {"503", "Unavailable"}};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        char r[96];
        snprintf(r, sizeof r, "#/components/responses/%s", errs[i][1]);
        json_object_set_new(responses, errs[i][0], json_pack("{s:s}", "$ref", r));
    }
    json_t *o = json_pack("{s:s, s:s, s:o}", "operationId", id, "summary", summary, "responses", responses);
    if (body) {
        snprintf(ref, sizeof ref, "#/components/schemas/%s", body);
        json_object_set_new(
            o, "requestBody",
            json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content", "application/json", "schema", "$ref", ref));
    }
    if (get) {
        json_object_set_new(o, "security", json_pack("[{s:[]}, {s:[]}]", "bearer", "cookie"));
        json_object_set_new(o, "parameters",
                            json_pack("[{s:s, s:s, s:b, s:s, s:{s:s}}]", "name", "name", "in", "query", "required", 0,
                                      "description", "one fact's history only", "schema", "type", "string"));
    }
    return o;
}

int gl_openapi_facts(json_t *doc)
{
    json_error_t e;
    json_t *s = json_loads(schemas, 0, &e);
    json_t *paths = json_object_get(doc, "paths");
    json_t *have = json_object_get(json_object_get(doc, "components"), "schemas");
    if (!s || !paths || !have) {
        json_decref(s);
        return GL_ENOMEM;
    }
    json_object_update(have, s);
    json_decref(s);
    json_t *node = json_pack("[{s:s}]", "$ref", "#/components/parameters/node");
    return json_object_set_new(
               paths, "/nodes/{node}/facts",
               json_pack("{s:o, s:o, s:o}", "parameters", node, "get",
                         op("listFacts", "the unit's facts for the plan's indicators: each one now, and every change",
                            true, NULL, "200", "the facts", "FactListing"),
                         "post",
                         op("setFact", "report a fact's new value (the unit's own staff)", false, "FactRequest", "201",
                            "the change as recorded", "FactEntry"))) != 0
               ? GL_ENOMEM
               : GL_OK;
}
