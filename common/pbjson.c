/* pbjson.c: protobuf-c messages to JSON by walking their descriptors.
 *
 * Owns: the enum short-name cache (a small static table; each entry's names
 * are one heap block that lives until the process exits, which is what lets
 * gl_pbjson_enum_name hand out pointers without an owner on the caller side).
 *
 * Ownership: gl_pbjson_from_message returns a new jansson reference the caller
 * json_decref()s; the message is only read. Nothing else is allocated for the
 * caller.
 *
 * Presence rules, matching proto3's JSON mapping:
 *   - fields without presence (proto3 scalars, strings, bytes) are omitted at
 *     their zero value unless GL_PBJSON_DEFAULTS is set;
 *   - repeated fields are omitted when empty unless GL_PBJSON_DEFAULTS (then []);
 *   - fields with presence (oneof members, sub-messages, proto2/proto3
 *     `optional`) appear exactly when set, whatever the flags, because "unset"
 *     and "set to zero" mean different things for them;
 *   - required fields always appear.
 * Values the JSON cannot carry natively are mapped, never dropped: unknown
 * enum numbers stay numbers, non-finite floats become "NaN"/"Infinity"/
 * "-Infinity" strings, uint64 above INT64_MAX becomes a (rounded) real, and
 * strings that are not valid UTF-8 are repaired with U+FFFD. */
#include "pbjson.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "error.h"

/* No message in gridlink.proto nests deeper than four levels; the bound only
 * protects against a recursive descriptor someone adds later. */
#define MAX_DEPTH 32

/* ---- enum short names ------------------------------------------------- */

/* gridlink.proto has four enums; room for many more before falling back. */
#define ENUM_CACHE_SIZE 64

typedef struct enum_names {
    const ProtobufCEnumDescriptor *desc;
    char **short_names; /* parallel to desc->values; one block with the text */
} enum_names;

static enum_names enum_cache[ENUM_CACHE_SIZE];
static size_t enum_cache_used;
/* The HTTP API and the CLI are single-threaded today, but zauth and future
 * worker threads share the process; a mutex costs nothing at this rate. */
static pthread_mutex_t enum_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Length of the longest prefix ending in '_' that every value name shares and
 * that leaves at least one character of every name. */
static size_t common_prefix_len(const ProtobufCEnumDescriptor *d)
{
    if (d->n_values == 0)
        return 0;
    const char *first = d->values[0].name;
    size_t best = 0;
    for (size_t i = 0; first[i]; i++) {
        for (unsigned v = 1; v < d->n_values; v++)
            if (d->values[v].name[i] != first[i])
                return best;
        if (first[i] != '_')
            continue;
        /* Only a boundary after which every name still has text counts. */
        bool all_longer = true;
        for (unsigned v = 0; v < d->n_values; v++)
            if (d->values[v].name[i + 1] == 0)
                all_longer = false;
        if (all_longer)
            best = i + 1;
    }
    return best;
}

/* Builds the lower-case short names for d in one allocation: the pointer
 * array followed by the strings. NULL on allocation failure. */
static char **build_short_names(const ProtobufCEnumDescriptor *d)
{
    size_t prefix = common_prefix_len(d);
    size_t text = 0;
    for (unsigned v = 0; v < d->n_values; v++)
        text += strlen(d->values[v].name) - prefix + 1;
    size_t ptrs = (size_t)d->n_values * sizeof(char *);
    char **names = malloc(ptrs + text + 1);
    if (!names)
        return NULL;
    char *p = (char *)names + ptrs;
    for (unsigned v = 0; v < d->n_values; v++) {
        names[v] = p;
        for (const char *s = d->values[v].name + prefix; *s; s++)
            *p++ = (char)tolower((unsigned char)*s);
        *p++ = 0;
    }
    return names;
}

/* The cached short names of d, built on first use; NULL only when the cache is
 * full or memory ran out, in which case callers use the full names. */
static char **short_names_for(const ProtobufCEnumDescriptor *d)
{
    char **names = NULL;
    pthread_mutex_lock(&enum_cache_lock);
    for (size_t i = 0; i < enum_cache_used; i++)
        if (enum_cache[i].desc == d) {
            names = enum_cache[i].short_names;
            goto out;
        }
    if (enum_cache_used < ENUM_CACHE_SIZE) {
        names = build_short_names(d);
        if (names) {
            enum_cache[enum_cache_used].desc = d;
            enum_cache[enum_cache_used].short_names = names;
            enum_cache_used++;
        }
    }
out:
    pthread_mutex_unlock(&enum_cache_lock);
    return names;
}

/* Index of value in d->values, or -1. values[] is sorted by number but may be
 * sparse, so a linear scan is the simple correct choice for enums this small. */
static int enum_index(const ProtobufCEnumDescriptor *d, int value)
{
    for (unsigned v = 0; v < d->n_values; v++)
        if (d->values[v].value == value)
            return (int)v;
    return -1;
}

const char *gl_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value)
{
    if (!d)
        return NULL;
    int idx = enum_index(d, value);
    if (idx < 0)
        return NULL;
    char **names = short_names_for(d);
    /* Degrade to the full name rather than fail: still unambiguous, and
     * gl_pbjson_enum_value accepts it. */
    return names ? names[idx] : d->values[idx].name;
}

int gl_pbjson_enum_value(const ProtobufCEnumDescriptor *d, const char *name, int *value)
{
    if (!d || !name || !value)
        return GL_EINVAL;
    char **names = short_names_for(d);
    for (unsigned v = 0; v < d->n_values; v++) {
        /* Case-insensitive so "ESCALATED" from a form or a shell works too. */
        if ((names && strcasecmp(names[v], name) == 0) || strcmp(d->values[v].name, name) == 0) {
            *value = d->values[v].value;
            return GL_OK;
        }
    }
    return GL_ENOENT;
}

/* ---- strings ---------------------------------------------------------- */

/* A JSON string of s with each invalid byte replaced by U+FFFD. Used only
 * after jansson refused s, so the cost of a copy is paid for bad input only. */
static json_t *lossy_string(const char *s)
{
    size_t n = strlen(s);
    /* Worst case every byte becomes the three-byte replacement. */
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t len = gl_utf8_seq_len(s + i, n - i);
        if (len == 0) {
            buf[o++] = (char)0xEF;
            buf[o++] = (char)0xBF;
            buf[o++] = (char)0xBD;
            i++;
        } else {
            memcpy(buf + o, p + i, len);
            o += len;
            i += len;
        }
    }
    json_t *j = json_stringn(buf, o);
    free(buf);
    return j;
}

static json_t *string_value(const char *s)
{
    if (!s)
        return json_string("");
    json_t *j = json_string(s);
    if (!j)
        j = lossy_string(s);
    return j;
}

static json_t *bytes_value(const ProtobufCBinaryData *b)
{
    static const char hex[] = "0123456789abcdef";
    char *buf = malloc(b->len * 2 + 1);
    if (!buf)
        return NULL;
    for (size_t i = 0; i < b->len; i++) {
        buf[2 * i] = hex[b->data[i] >> 4];
        buf[2 * i + 1] = hex[b->data[i] & 0x0F];
    }
    json_t *j = json_stringn(buf, b->len * 2);
    free(buf);
    return j;
}

/* ---- scalar values ---------------------------------------------------- */

static json_t *real_value(double d)
{
    /* JSON has no NaN or infinities; proto3's JSON mapping spells them so. */
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
}

/* Size of one stored value of a field's type, as laid out by protobuf-c. */
static size_t value_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: return sizeof(uint32_t);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    }
    return 0;
}

static json_t *message_value(const ProtobufCMessage *msg, int flags, int depth);

/* JSON for the value stored at p, of field f's type. NULL means out of
 * memory (or a type this protobuf-c does not define). */
static json_t *field_value(const ProtobufCFieldDescriptor *f, const void *p, int flags, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: return json_integer((json_int_t) * (const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = *(const uint64_t *)p;
        /* jansson integers are signed 64-bit; the header promises numbers, so
         * the (never expected) top half becomes an approximate real. */
        if (v > (uint64_t)INT64_MAX)
            return json_real((double)v);
        return json_integer((json_int_t)v);
    }
    case PROTOBUF_C_TYPE_FLOAT: return real_value(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE: return real_value(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL: return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const char *name = gl_pbjson_enum_name(f->descriptor, v);
        /* A value from a newer peer is kept as its number, not lost. */
        return name ? json_string(name) : json_integer(v);
    }
    case PROTOBUF_C_TYPE_STRING: return string_value(*(char *const *)p);
    case PROTOBUF_C_TYPE_BYTES: return bytes_value(p);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        if (!sub)
            return json_null();
        return message_value(sub, flags, depth + 1);
    }
    }
    return NULL;
}

/* True if the value at p is its type's proto3 zero value. */
static bool is_zero(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE: return *(ProtobufCMessage *const *)p == NULL;
    default: {
        /* Bitwise, like protobuf-c's packer: -0.0 is not the default. */
        const unsigned char *b = p;
        for (size_t i = 0; i < value_size(f->type); i++)
            if (b[i])
                return false;
        return true;
    }
    }
}

/* Whether field f of msg belongs in the output. */
static bool field_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, int flags)
{
    const char *base = (const char *)msg;
    const void *p = base + f->offset;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    switch (f->label) {
    case PROTOBUF_C_LABEL_REQUIRED: return true;
    case PROTOBUF_C_LABEL_OPTIONAL:
        /* Strings and messages signal presence by their pointer; a proto2
         * string still pointing at its default was never set. */
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            const char *s = *(char *const *)p;
            return s && s != f->default_value;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            return *(ProtobufCMessage *const *)p != NULL;
        return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
    case PROTOBUF_C_LABEL_REPEATED:
        return (flags & GL_PBJSON_DEFAULTS) || *(const size_t *)(base + f->quantifier_offset) > 0;
    case PROTOBUF_C_LABEL_NONE:
        /* A proto3 sub-message has presence even without `optional`. */
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            return *(ProtobufCMessage *const *)p != NULL;
        return (flags & GL_PBJSON_DEFAULTS) || !is_zero(f, p);
    }
    return false;
}

static json_t *repeated_value(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, int flags, int depth)
{
    const char *base = (const char *)msg;
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *items = *(const char *const *)(base + f->offset);
    size_t step = value_size(f->type);
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n && items; i++) {
        json_t *v = field_value(f, items + i * step, flags, depth);
        if (!v || json_array_append_new(arr, v) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *message_value(const ProtobufCMessage *msg, int flags, int depth)
{
    if (depth > MAX_DEPTH)
        return json_null();
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!field_present(msg, f, flags))
            continue;
        json_t *v = f->label == PROTOBUF_C_LABEL_REPEATED ? repeated_value(msg, f, flags, depth)
                                                          : field_value(f, (const char *)msg + f->offset, flags, depth);
        if (!v || json_object_set_new(obj, f->name, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *gl_pbjson_from_message(const ProtobufCMessage *msg, int flags)
{
    if (!msg || !msg->descriptor)
        return NULL;
    return message_value(msg, flags, 0);
}
