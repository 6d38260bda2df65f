/* test_jsontext.c: gl_json_text against json_dumps, byte for byte: fixed
 * documents with every kind of value and escape, a case as the API answers
 * it, documents drawn at random (strings of every byte class, integers at
 * their limits, reals, nesting), the flags handed to jansson, and what
 * must fail: invalid UTF-8, nesting past the limit, a bare scalar. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

/* Both writers on doc with flags; they must agree exactly. */
static void assert_same(const json_t *doc, size_t flags)
{
    char *want = json_dumps(doc, flags);
    size_t len = 0;
    char *got = gl_json_text(doc, flags, &len);
    assert_non_null(want);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(want);
    free(got);
}

static void test_fixed(void **state)
{
    (void)state;
    const char *docs[] = {
        "{}",
        "[]",
        "[null,true,false,0,-1,1,9223372036854775807,-9223372036854775808]",
        "{\"a\":1,\"b\":[1,2,{\"c\":\"d\"}],\"e\":{}}",
        "[0.0,-0.0,1.5,0.1,1e300,-2.5e-300,123456789.125,3.0e20,1e-5]",
        "[\"\",\"plain\",\"井盖缺失，路灯不亮\",\"emoji \\ud83d\\ude00\",\"\\u00e9\\u07ff\\u0800\\uffff\"]",
        "[\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f\"]",
        "[\"\\u0001\\u001f\\u007f\", \"a\\u0000b\"]",
        "{\"\\u4e2d\\u6587\":\"键\",\"k\\\"ey\":\"v\\\\al\",\"\\n\":0}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_error_t e;
        json_t *j = json_loads(docs[i], JSON_ALLOW_NUL, &e);
        assert_non_null(j);
        assert_same(j, JSON_COMPACT);
        assert_same(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_same(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
        assert_same(j, JSON_COMPACT | JSON_REAL_PRECISION(3));
        /* handed to jansson: the same by construction, checked all the same */
        assert_same(j, JSON_INDENT(2));
        assert_same(j, JSON_COMPACT | JSON_SORT_KEYS);
        assert_same(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH);
        assert_same(j, 0);
        json_decref(j);
    }
}

/* A case as the staff API answers it, in insertion order. */
static void test_case_shape(void **state)
{
    (void)state;
    json_t *h = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "action", "reported", "state", "reported", "node",
                          "xinbei.sanjing.c01.g1", "time_ms", (json_int_t)1796302144345, "note", "", "time",
                          "2026-12-03T12:49:04.345Z");
    json_t *c = json_pack("{s:s, s:s, s:f, s:f, s:s, s:[o], s:b, s:I, s:{s:i}}", "id", "xinbei.sanjing.c01.g1-000123",
                          "text", "井盖缺失\n（人行道）", "lat", 31.87, "lon", 119.955, "category_name", "城管",
                          "history", h, "alarmed", 0, "version", (json_int_t)3, "counters", "returns", 0);
    assert_non_null(c);
    assert_same(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(c);
}

/* ---- random documents ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* A valid UTF-8 string mixing ASCII, escapes, controls and 2-, 3- and 4-byte
 * characters. */
static json_t *random_string(void)
{
    static const char *const pieces[] = {
        "a",
        "Z",
        " ",
        "\"",
        "\\",
        "/",
        "\t",
        "\n",
        "\r",
        "\b",
        "\f",
        "\x01",
        "\x1f",
        "\x7f",
        "\xc3\xa9",         /* é */
        "\xde\xba",         /* a 2-byte letter at the top of its range */
        "\xe4\xb8\xad",     /* 中 */
        "\xef\xbc\x8c",     /* ， */
        "\xf0\x9f\x98\x80", /* a 4-byte emoji */
        "\xef\xbb\xbf",     /* BOM */
        "\xe2\x80\xa8",     /* LINE SEPARATOR, which jansson does not escape */
    };
    char buf[256];
    size_t n = 0, want = next() % 24;
    for (size_t i = 0; i < want; i++) {
        const char *p = pieces[next() % (sizeof pieces / sizeof *pieces)];
        size_t k = strlen(p);
        memcpy(buf + n, p, k);
        n += k;
    }
    if (next() % 8 == 0)
        buf[n++] = 0; /* an embedded NUL */
    return json_stringn(buf, n);
}

static json_t *random_value(int depth)
{
    switch (next() % (depth > 5 ? 6 : 8)) {
    case 0: return json_null();
    case 1: return json_boolean(next() % 2);
    case 2: {
        static const json_int_t edges[] = {0, 1, -1, 9, 10, -10, 99, INT64_MAX, INT64_MIN, 1796302144345};
        return json_integer(next() % 2 ? edges[next() % 10] : (json_int_t)(((uint64_t)next() << 32) | next()));
    }
    case 3: {
        double d = (double)(int32_t)next() / (double)(next() | 1) * pow(10, (int)(next() % 40) - 20);
        return json_real(d);
    }
    case 4:
    case 5: return random_string();
    case 6: {
        json_t *a = json_array();
        for (size_t i = next() % 6; i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (size_t i = next() % 6; i > 0; i--) {
            json_t *k = random_string();
            json_object_setn_new(o, json_string_value(k), json_string_length(k), random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

static void test_random(void **state)
{
    (void)state;
    for (int i = 0; i < 5000; i++) {
        json_t *doc = json_array();
        json_array_append_new(doc, random_value(0));
        json_array_append_new(doc, random_value(0));
        assert_same(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_same(doc, JSON_COMPACT | JSON_REAL_PRECISION(10));
        json_decref(doc);
    }
}

static void test_refused(void **state)
{
    (void)state;
    /* strings jansson was told not to check: neither writer takes them */
    const char *bad[] = {"\xff",
                         "\xc0\x80",
                         "\xed\xa0\x80",
                         "\xf4\x90\x80\x80",
                         "\xe4\xb8",
                         "ok\x80",
                         "\xf5\x80\x80\x80",
                         "\xc1\xbf",
                         "\xe4\xb8"
                         "a",
                         "\xf0\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *j = json_pack("{s:o}", "text", json_stringn_nocheck(bad[i], strlen(bad[i])));
        assert_null(json_dumps(j, JSON_COMPACT));
        assert_null(gl_json_text(j, JSON_COMPACT, NULL));
        json_decref(j);
    }
    /* a bare scalar, as json_dumps without JSON_ENCODE_ANY */
    json_t *s = json_string("x");
    assert_null(gl_json_text(s, JSON_COMPACT, NULL));
    assert_null(gl_json_text(NULL, JSON_COMPACT, NULL));
    json_decref(s);
    /* a key jansson was told not to check */
    json_t *k = json_object();
    json_object_set_new_nocheck(k, "ab\xff", json_true());
    assert_null(gl_json_text(k, JSON_COMPACT, NULL));
    json_decref(k);
    /* a value as deep as jansson reads (its level counted from the root's
     * 1) is written; one level more fails instead of running down the stack */
    json_t *deep = json_array(), *cur = deep;
    for (int i = 2; i < GL_JSON_TEXT_DEPTH; i++) {
        json_t *a = json_array();
        json_array_append_new(cur, a);
        cur = a;
    }
    json_array_append_new(cur, json_integer(7));
    assert_same(deep, JSON_COMPACT);
    char *text = json_dumps(deep, JSON_COMPACT);
    json_error_t e;
    json_t *back = json_loads(text, 0, &e); /* the limit is jansson's reader's */
    assert_non_null(back);
    json_decref(back);
    free(text);
    json_t *more = json_array();
    json_array_append_new(more, deep);
    assert_null(gl_json_text(more, JSON_COMPACT, NULL));
    json_decref(more);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_case_shape),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
