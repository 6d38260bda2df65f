/* pbjson_schema.c: the JSON Schema of what pbjson.c writes, from the same
 * descriptors: one routine for every message type, so that a document
 * describing the JSON (the HTTP API's OpenAPI document) follows the .proto.
 *
 * The rules are pbjson.c's, read as a schema:
 *   - keys are field names; no other key appears (additionalProperties false);
 *   - a field without presence (a proto3 scalar, string or bytes) and a
 *     repeated field are always written under GL_PBJSON_DEFAULTS, so they are
 *     required then; a sub-message, a oneof member or an `optional` field
 *     appears exactly when set, so it never is; a proto2 required field is;
 *   - enums are strings, their short names (every value of the descriptor);
 *   - 32- and 64-bit integers are JSON integers (int32/int64 formats; the
 *     unsigned ones with their bounds), floats and doubles numbers, bytes
 *     lower-case hex;
 *   - a nested message or enum is {"$ref": GL_PBJSON_SCHEMA_REF + its short
 *     name}, its own schema added to the caller's table under that name.
 *
 * Ownership: every function returns a new jansson reference (NULL when out
 * of memory or, for a list of fields, when a name is not a field); the table
 * of schemas is the caller's, and only gains entries. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pbjson.h"

static int add_message(const ProtobufCMessageDescriptor *d, int flags, json_t *defs);

static json_t *ref_to(const char *name)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", GL_PBJSON_SCHEMA_REF, name);
    return json_pack("{s:s}", "$ref", buf);
}

json_t *gl_pbjson_enum_schema(const ProtobufCEnumDescriptor *d)
{
    json_t *names = json_array();
    for (unsigned v = 0; names && v < d->n_values; v++)
        if (json_array_append_new(names, json_string(gl_pbjson_enum_name(d, d->values[v].value))) != 0) {
            json_decref(names);
            names = NULL;
        }
    if (!names)
        return NULL;
    return json_pack("{s:s, s:o, s:s+}", "type", "string", "enum", names, "description", "protobuf enum ", d->name);
}

/* The schema of one value of field f (not the array around a repeated one). */
static json_t *value_schema(const ProtobufCFieldDescriptor *f, int flags, json_t *defs)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: return json_pack("{s:s, s:s}", "type", "integer", "format", "int32");
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_pack("{s:s, s:s, s:i, s:I}", "type", "integer", "format", "int64", "minimum", 0, "maximum",
                         (json_int_t)UINT32_MAX);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: return json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        /* pbjson writes a value past INT64_MAX as a real; none is ever used */
        return json_pack("{s:s, s:s, s:i}", "type", "integer", "format", "int64", "minimum", 0);
    case PROTOBUF_C_TYPE_FLOAT: return json_pack("{s:s, s:s}", "type", "number", "format", "float");
    case PROTOBUF_C_TYPE_DOUBLE: return json_pack("{s:s, s:s}", "type", "number", "format", "double");
    case PROTOBUF_C_TYPE_BOOL: return json_pack("{s:s}", "type", "boolean");
    case PROTOBUF_C_TYPE_STRING: return json_pack("{s:s}", "type", "string");
    case PROTOBUF_C_TYPE_BYTES: return json_pack("{s:s, s:s}", "type", "string", "pattern", "^([0-9a-f]{2})*$");
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        if (!json_object_get(defs, e->short_name) && json_object_set_new(defs, e->short_name, gl_pbjson_enum_schema(e)))
            return NULL;
        return ref_to(e->short_name);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *m = f->descriptor;
        return add_message(m, flags, defs) == 0 ? ref_to(m->short_name) : NULL;
    }
    }
    return NULL;
}

static json_t *field_schema(const ProtobufCFieldDescriptor *f, int flags, json_t *defs)
{
    json_t *v = value_schema(f, flags, defs);
    if (!v || f->label != PROTOBUF_C_LABEL_REPEATED)
        return v;
    return json_pack("{s:s, s:o}", "type", "array", "items", v);
}

/* Whether pbjson writes field f whatever its value. */
static bool always_written(const ProtobufCFieldDescriptor *f, int flags)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return false;
    switch (f->label) {
    case PROTOBUF_C_LABEL_REQUIRED: return true;
    case PROTOBUF_C_LABEL_REPEATED: return (flags & GL_PBJSON_DEFAULTS) != 0;
    case PROTOBUF_C_LABEL_NONE: return f->type != PROTOBUF_C_TYPE_MESSAGE && (flags & GL_PBJSON_DEFAULTS);
    default: return false;
    }
}

/* An object schema of fields of d: all of them (names NULL) or those named. */
static json_t *object_schema(const ProtobufCMessageDescriptor *d, const char *const *names, int flags, json_t *defs)
{
    json_t *props = json_object(), *req = json_array();
    json_t *o = json_pack("{s:s, s:s+, s:o, s:b}", "type", "object", "description", "protobuf message ", d->name,
                          "properties", props, "additionalProperties", 0);
    if (!props || !req || !o)
        goto fail;
    for (unsigned i = 0; !names && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (json_object_set_new(props, f->name, field_schema(f, flags, defs)) != 0)
            goto fail;
        if (always_written(f, flags) && json_array_append_new(req, json_string(f->name)) != 0)
            goto fail;
    }
    for (size_t i = 0; names && names[i]; i++) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, names[i]);
        if (!f || json_object_set_new(props, f->name, field_schema(f, flags, defs)) != 0)
            goto fail;
    }
    if (json_array_size(req) && json_object_set(o, "required", req) != 0)
        goto fail;
    json_decref(req);
    return o;
fail:
    json_decref(req);
    json_decref(o);
    return NULL;
}

static int add_message(const ProtobufCMessageDescriptor *d, int flags, json_t *defs)
{
    if (json_object_get(defs, d->short_name))
        return 0;
    /* A placeholder first, so that a message reaching itself stops here. */
    if (json_object_set_new(defs, d->short_name, json_object()) != 0)
        return -1;
    json_t *s = object_schema(d, NULL, flags, defs);
    return s && json_object_set_new(defs, d->short_name, s) == 0 ? 0 : -1;
}

json_t *gl_pbjson_schema(const ProtobufCMessageDescriptor *d, int flags, json_t *defs)
{
    return object_schema(d, NULL, flags, defs);
}

json_t *gl_pbjson_schema_ref(const ProtobufCMessageDescriptor *d, int flags, json_t *defs)
{
    return add_message(d, flags, defs) == 0 ? ref_to(d->short_name) : NULL;
}

json_t *gl_pbjson_schema_fields(const ProtobufCMessageDescriptor *d, const char *const *names, json_t *defs)
{
    return object_schema(d, names, 0, defs);
}
