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

#endif
