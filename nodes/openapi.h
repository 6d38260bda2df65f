/* openapi.h: the OpenAPI 3.0 document of the staff API (api.h), served at
 * GET /api/v1/openapi.json without a token. Its paths are the API's routes;
 * its schemas come from the protobuf descriptors (pbjson_schema.c) and the
 * case JSON's own table (casejson.c), so the document follows the code.
 *
 * Owns: the process's document, built once by gl_openapi_init for the base
 * URL the process serves (its servers entry) and kept, serialized, until
 * gl_openapi_free. */
#ifndef GL_OPENAPI_H
#define GL_OPENAPI_H

#include <jansson.h>

#include "http.h"

/* The document for base_url ("http://HOST:PORT/api/v1"): a new reference
 * the caller json_decref()s, NULL when out of memory. */
json_t *gl_openapi_document(const char *base_url);

/* openapi_surveys.c: the needs surveys' paths and schemas, added to doc. */
int gl_openapi_surveys(json_t *doc);

/* openapi_facts.c: the facts' path and schemas, added to doc. */
int gl_openapi_facts(json_t *doc);

/* Build and keep the process's document; GL_ENOMEM when it cannot. */
int gl_openapi_init(const char *base_url);
void gl_openapi_free(void);

/* Answer r, a request for the document: 200 with it for GET, 405 for any
 * other method, 503 when there is none. */
void gl_openapi_answer(gl_http_req_t *r);

#endif
