/* pbjson_parse.c: JSON to protobuf-c messages, driven by the message
 * descriptors: the reverse of pbjson.c, one routine for every message type.
 * Keys are field names; enums are their short names (as pbjson.c writes
 * them) or numbers; 64-bit integers are numbers; bytes are hex strings;
 * repeated fields are arrays; nested messages are objects, at most
 * GL_PBJSON_MAX_DEPTH deep. An unknown key, a value of the wrong type or out
 * of range is refused with the field named. The message is allocated with
 * malloc and freed with protobuf_c_message_free_unpacked(m, NULL). */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pbjson.h"

#define MAX_REPEATED 4096

static int fail(char *why, size_t len, const ProtobufCFieldDescriptor *f, const char *what)
{
    snprintf(why, len, "%s: %s", f ? f->name : "body", what);
    return GL_EINVAL;
}

static size_t scalar_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM: return 4;
    case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: return 8;
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    default: return 0;
    }
}

static int parse_message(const ProtobufCMessageDescriptor *d, const json_t *obj, int depth, ProtobufCMessage **out,
                         char *why, size_t len);

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* One value of field f from v into the storage at p. */
static int parse_value(const ProtobufCFieldDescriptor *f, const json_t *v, int depth, void *p, char *why, size_t len)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_is_string(v))
            return fail(why, len, f, "must be a string");
        char *s = strdup(json_string_value(v));
        if (!s)
            return GL_ENOMEM;
        *(char **)p = s;
        return GL_OK;
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return fail(why, len, f, "must be true or false");
        *(protobuf_c_boolean *)p = json_is_true(v);
        return GL_OK;
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_FLOAT: {
        if (!json_is_number(v))
            return fail(why, len, f, "must be a number");
        double x = json_number_value(v);
        if (!isfinite(x))
            return fail(why, len, f, "must be a finite number");
        if (f->type == PROTOBUF_C_TYPE_DOUBLE)
            *(double *)p = x;
        else
            *(float *)p = (float)x;
        return GL_OK;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int value;
        if (json_is_string(v) && gl_pbjson_enum_value(f->descriptor, json_string_value(v), &value) == 0) {
            *(int32_t *)p = value;
            return GL_OK;
        }
        if (json_is_integer(v) &&
            protobuf_c_enum_descriptor_get_value(f->descriptor, (int)json_integer_value(v)) != NULL) {
            *(int32_t *)p = (int32_t)json_integer_value(v);
            return GL_OK;
        }
        return fail(why, len, f, "is not one of its names");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(v))
            return fail(why, len, f, "must be a hex string");
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        if (n % 2)
            return fail(why, len, f, "must be a hex string");
        uint8_t *b = malloc(n / 2 ? n / 2 : 1);
        if (!b)
            return GL_ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
            int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                free(b);
                return fail(why, len, f, "must be a hex string");
            }
            b[i] = (uint8_t)(hi << 4 | lo);
        }
        ((ProtobufCBinaryData *)p)->data = b;
        ((ProtobufCBinaryData *)p)->len = n / 2;
        return GL_OK;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        if (!json_is_object(v))
            return fail(why, len, f, "must be an object");
        if (depth >= GL_PBJSON_MAX_DEPTH)
            return fail(why, len, f, "nested too deep");
        return parse_message(f->descriptor, v, depth + 1, (ProtobufCMessage **)p, why, len);
    }
    default: break;
    }
    /* the integers */
    if (!json_is_integer(v))
        return fail(why, len, f, "must be a whole number");
    json_int_t x = json_integer_value(v);
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (x < INT32_MIN || x > INT32_MAX)
            return fail(why, len, f, "is out of range");
        *(int32_t *)p = (int32_t)x;
        return GL_OK;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (x < 0 || x > UINT32_MAX)
            return fail(why, len, f, "is out of range");
        *(uint32_t *)p = (uint32_t)x;
        return GL_OK;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)p = (int64_t)x; return GL_OK;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (x < 0)
            return fail(why, len, f, "is out of range");
        *(uint64_t *)p = (uint64_t)x;
        return GL_OK;
    default: return fail(why, len, f, "has a type this routine does not read");
    }
}

static int parse_field(const ProtobufCFieldDescriptor *f, const json_t *v, int depth, ProtobufCMessage *m, char *why,
                       size_t len)
{
    char *base = (char *)m;
    if (json_is_null(v))
        return GL_OK; /* as absent */
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (!json_is_array(v))
            return fail(why, len, f, "must be an array");
        size_t n = json_array_size(v), sz = scalar_size(f->type);
        if (n > MAX_REPEATED)
            return fail(why, len, f, "has too many entries");
        if (*(size_t *)(base + f->quantifier_offset) != 0)
            return fail(why, len, f, "is given twice");
        if (n == 0 || sz == 0)
            return sz ? GL_OK : fail(why, len, f, "has a type this routine does not read");
        void *arr = calloc(n, sz);
        if (!arr)
            return GL_ENOMEM;
        *(void **)(base + f->offset) = arr;
        for (size_t i = 0; i < n; i++) {
            int rc = parse_value(f, json_array_get(v, i), depth, (char *)arr + i * sz, why, len);
            if (rc != 0)
                return rc; /* the entries read so far are freed with the message */
            *(size_t *)(base + f->quantifier_offset) = i + 1;
        }
        return GL_OK;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return fail(why, len, f, "is part of a oneof, which this routine does not read");
    int rc = parse_value(f, v, depth, base + f->offset, why, len);
    if (rc == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
        *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    return rc;
}

static int parse_message(const ProtobufCMessageDescriptor *d, const json_t *obj, int depth, ProtobufCMessage **out,
                         char *why, size_t len)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (!m)
        return GL_ENOMEM;
    d->message_init(m);
    *out = m;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
        if (!f) {
            snprintf(why, len, "unknown field '%.64s'", key);
            return GL_EINVAL;
        }
        int rc = parse_field(f, v, depth, m, why, len);
        if (rc != 0)
            return rc;
    }
    return GL_OK;
}

int gl_pbjson_to_message(const ProtobufCMessageDescriptor *d, const json_t *obj, ProtobufCMessage **out, char *why,
                         size_t whylen)
{
    *out = NULL;
    if (!json_is_object(obj)) {
        snprintf(why, whylen, "the body must be a JSON object");
        return GL_EINVAL;
    }
    ProtobufCMessage *m = NULL;
    int rc = parse_message(d, obj, 0, &m, why, whylen);
    if (rc != 0) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return GL_OK;
}
