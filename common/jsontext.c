/* jsontext.c: see jsontext.h. */
#include "jsontext.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* The flags written here; the precision's bits (JSON_REAL_PRECISION) are
 * passed on to jansson for the reals. */
#define PRECISION_BITS JSON_REAL_PRECISION(0x1F)
#define HANDLED        (JSON_COMPACT | JSON_PRESERVE_ORDER | PRECISION_BITS)

typedef struct text {
    char *p;
    size_t n, cap;
    bool bad;
} text;

static bool room(text *t, size_t more)
{
    if (t->bad)
        return false;
    if (t->n + more < t->cap) /* one byte kept for the final NUL */
        return true;
    size_t cap = t->cap ? t->cap : 512;
    while (cap <= t->n + more)
        cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p) {
        t->bad = true;
        return false;
    }
    t->p = p;
    t->cap = cap;
    return true;
}

static void put(text *t, const char *s, size_t n)
{
    if (room(t, n)) {
        memcpy(t->p + t->n, s, n);
        t->n += n;
    }
}

static void put_char(text *t, char c)
{
    if (room(t, 1))
        t->p[t->n++] = c;
}

static void put_string(text *t, const char *str, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    put_char(t, '"');
    size_t run = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t n = gl_utf8_seq_len(str + i, len - i);
            if (n == 0) {
                t->bad = true;
                return;
            }
            i += n;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        put(t, str + run, i - run);
        char esc[6] = {'\\', 0};
        size_t k = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0x0F];
            k = 6;
        }
        put(t, esc, k);
        run = ++i;
    }
    put(t, str + run, len - run);
    put_char(t, '"');
}

static void put_integer(text *t, json_int_t v)
{
    char buf[24], *end = buf + sizeof buf, *p = end;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    put(t, p, (size_t)(end - p));
}

static void put_value(text *t, const json_t *j, size_t flags, int depth)
{
    if (t->bad)
        return;
    if (!j || depth > GL_JSON_TEXT_DEPTH) {
        t->bad = true; /* depth: j's level, the root's 1, as jansson's reader counts */
        return;
    }
    switch (json_typeof(j)) {
    case JSON_NULL: put(t, "null", 4); break;
    case JSON_TRUE: put(t, "true", 4); break;
    case JSON_FALSE: put(t, "false", 5); break;
    case JSON_INTEGER: put_integer(t, json_integer_value(j)); break;
    case JSON_REAL: {
        /* Rare in our documents: jansson's own shortest form, exactly. */
        char buf[64];
        size_t n = json_dumpb(j, buf, sizeof buf, JSON_ENCODE_ANY | (flags & PRECISION_BITS));
        if (n == 0 || n > sizeof buf)
            t->bad = true;
        else
            put(t, buf, n);
        break;
    }
    case JSON_STRING: put_string(t, json_string_value(j), json_string_length(j)); break;
    case JSON_ARRAY: {
        put_char(t, '[');
        size_t n = json_array_size(j);
        for (size_t i = 0; i < n && !t->bad; i++) {
            if (i)
                put_char(t, ',');
            put_value(t, json_array_get(j, i), flags, depth + 1);
        }
        put_char(t, ']');
        break;
    }
    case JSON_OBJECT: {
        put_char(t, '{');
        bool first = true;
        for (void *it = json_object_iter((json_t *)j); it && !t->bad; it = json_object_iter_next((json_t *)j, it)) {
            if (!first)
                put_char(t, ',');
            first = false;
            put_string(t, json_object_iter_key(it), json_object_iter_key_len(it));
            put_char(t, ':');
            put_value(t, json_object_iter_value(it), flags, depth + 1);
        }
        put_char(t, '}');
        break;
    }
    default: t->bad = true;
    }
}

char *gl_json_text(const json_t *doc, size_t flags, size_t *len)
{
    if (!(flags & JSON_COMPACT) || (flags & ~(size_t)HANDLED)) {
        char *s = json_dumps(doc, flags);
        if (s && len)
            *len = strlen(s);
        return s;
    }
    if (!doc || !(json_is_object(doc) || json_is_array(doc)))
        return NULL; /* json_dumps() writes only these without JSON_ENCODE_ANY */
    text t = {0};
    put_value(&t, doc, flags, 1);
    if (t.bad || !room(&t, 0)) {
        free(t.p);
        return NULL;
    }
    t.p[t.n] = 0;
    if (len)
        *len = t.n;
    return t.p;
}
