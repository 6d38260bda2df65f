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

#endif
