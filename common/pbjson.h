/* pbjson.h: protobuf-c messages to JSON, driven by the message descriptors.
 *
 * One generic routine serves every message type: field names become keys,
 * enums become their short lower-case names with the common prefix removed
 * (STATE_ESCALATED -> "escalated"), repeated fields become arrays, nested
 * messages become objects, 64-bit integers stay numbers, bytes become
 * hex strings, fields at their proto3 default are omitted unless
 * GL_PBJSON_DEFAULTS is given. */
#ifndef GL_PBJSON_H
#define GL_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

enum { GL_PBJSON_DEFAULTS = 1 };

/* New reference owned by the caller, or NULL on allocation failure. */
json_t *gl_pbjson_from_message(const ProtobufCMessage *msg, int flags);
/* Short enum value name as described above; NULL if the value is unknown.
 * Points into static storage owned by this module. */
const char *gl_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value);
/* Reverse of gl_pbjson_enum_name (also accepts the full upper-case name);
 * returns 0 and sets *value, or GL_ENOENT. */
int gl_pbjson_enum_value(const ProtobufCEnumDescriptor *d, const char *name, int *value);

/* The reverse (pbjson_parse.c): a message of type d from a JSON object,
 * with the rules above read backwards (enums by short name or number, bytes
 * as hex, nested objects at most GL_PBJSON_MAX_DEPTH deep). An unknown key
 * or a value of the wrong type gives GL_EINVAL with the field named in why.
 * *out is freed with protobuf_c_message_free_unpacked(*out, NULL). */
#define GL_PBJSON_MAX_DEPTH 8
int gl_pbjson_to_message(const ProtobufCMessageDescriptor *d, const json_t *obj, ProtobufCMessage **out, char *why,
                         size_t whylen);

/* The JSON Schema (an OpenAPI 3.0 schema object) of what
 * gl_pbjson_from_message(msg, flags) writes for a message of type d
 * (pbjson_schema.c): its keys, their types, the keys always written. Nested
 * messages and enums are {"$ref": GL_PBJSON_SCHEMA_REF NAME} (their short
 * names), their schemas added to defs (an object, name -> schema) unless a
 * schema of that name is there already. New references, NULL when out of
 * memory; defs stays the caller's. */
#define GL_PBJSON_SCHEMA_REF "#/components/schemas/"
json_t *gl_pbjson_schema(const ProtobufCMessageDescriptor *d, int flags, json_t *defs);
/* d's schema added to defs under its short name; {"$ref": ...} to it. */
json_t *gl_pbjson_schema_ref(const ProtobufCMessageDescriptor *d, int flags, json_t *defs);
/* An object of only the fields named (a NULL-terminated list), none of them
 * required, nothing else allowed: what a request body may carry. NULL when
 * a name is not a field of d. */
json_t *gl_pbjson_schema_fields(const ProtobufCMessageDescriptor *d, const char *const *names, json_t *defs);
/* {"type": "string", "enum": [every short name of d]}. */
json_t *gl_pbjson_enum_schema(const ProtobufCEnumDescriptor *d);

#endif
