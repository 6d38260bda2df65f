/* test_open311_form.c: a service's attributes read from a topology's
 * catalogue (and refused with reasons), the resident's answers checked
 * against them, ISO 8601 times, and an Open311 POST body read into a
 * request operation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "error.h"
#include "open311_form.h"
#include "service_attrs.h"

#define ROADS                                                                                                           \
    "[{\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":1,\"resolve_s\":2,\"subcategories\":[{\"code\":"             \
    "\"urban/roads\",\"name\":\"道路设施\",\"accept_s\":1,\"resolve_s\":2,\"attributes\":["                         \
    "{\"code\":\"area\",\"datatype\":\"number\",\"required\":true,\"description\":\"面积\"},"                         \
    "{\"code\":\"blocking\",\"datatype\":\"singlevaluelist\",\"required\":true,\"description\":\"是否影响通行\"," \
    "\"values\":[{\"key\":\"yes\",\"name\":\"是\"},{\"key\":\"no\",\"name\":\"否\"}]},"                               \
    "{\"code\":\"kinds\",\"datatype\":\"multivaluelist\",\"description\":\"种类\","                                   \
    "\"values\":[{\"key\":\"a\",\"name\":\"甲\"},{\"key\":\"b\",\"name\":\"乙\"}]},"                                  \
    "{\"code\":\"when\",\"datatype\":\"datetime\",\"description\":\"时间\"}]}]}]"

static gl_catalogue_t *catalogue(const char *text, char *err, size_t errlen, int *rc)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("bad test JSON: %s", je.text);
    gl_catalogue_t *cat = NULL;
    *rc = gl_catalogue_from_json(j, &cat, err, errlen);
    json_decref(j);
    return cat;
}

static void test_attributes(void **state)
{
    (void)state;
    char err[512] = "";
    int rc;
    gl_catalogue_t *cat = catalogue(ROADS, err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    const gl_category_t *roads = gl_category_find(cat, "urban/roads");
    assert_int_equal(json_array_size(roads->attributes), 4);
    const json_t *area = json_array_get(roads->attributes, 0);
    assert_true(json_is_true(json_object_get(area, "variable")));
    assert_int_equal(json_integer_value(json_object_get(area, "order")), 1);
    /* written out and read back the same */
    json_t *back = gl_catalogue_to_json(cat);
    char *text = json_dumps(back, 0);
    gl_catalogue_t *again = catalogue(text, err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    assert_true(json_equal(gl_category_find(again, "urban/roads")->attributes, roads->attributes));
    free(text);
    json_decref(back);
    gl_catalogue_free(&again);
    gl_catalogue_free(&cat);
}

#define WITH(attrs)                                                                                                    \
    "[{\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":1,\"resolve_s\":2,\"subcategories\":[{\"code\":"            \
    "\"urban/roads\",\"name\":\"道路设施\",\"accept_s\":1,\"resolve_s\":2,\"attributes\":" attrs "}]}]"

static void test_attribute_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json, *msg;
    } cases[] = {
        {WITH("{}"), "category 'urban/roads': attributes must be an array"},
        {WITH("[7]"), "attributes[0]: must be an object"},
        {WITH("[{\"code\":\"a b\",\"datatype\":\"string\",\"description\":\"x\"}]"), "attributes[0]: code must be"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"colour\",\"description\":\"x\"}]"), "attribute 'a': datatype must be"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"string\"}]"), "attribute 'a': description"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"string\",\"description\":\"x\",\"required\":1}]"),
         "attribute 'a': required and variable are true or false"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"string\",\"description\":\"x\",\"order\":0}]"), "order is an integer"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"string\",\"description\":\"x\",\"values\":[]}]"),
         "only a singlevaluelist or multivaluelist has values"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"singlevaluelist\",\"description\":\"x\"}]"),
         "attribute 'a': a list's values are an array"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"singlevaluelist\",\"description\":\"x\",\"values\":[{\"key\":\"k\"}]}]"),
         "attribute 'a': values[0] must be"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"multivaluelist\",\"description\":\"x\",\"values\":[{\"key\":\"k\","
              "\"name\":\"n\"},{\"key\":\"k\",\"name\":\"m\"}]}]"),
         "value key 'k' listed twice"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"string\",\"description\":\"x\"},{\"code\":\"a\",\"datatype\":"
              "\"text\",\"description\":\"y\"}]"),
         "attribute 'a' listed twice"},
        {WITH("[{\"code\":\"a\",\"datatype\":\"string\",\"description\":\"x\",\"colour\":1}]"), "unknown key colour"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        int rc;
        gl_catalogue_t *cat = catalogue(cases[i].json, err, sizeof err, &rc);
        if (rc != GL_EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu: rc %d, err '%s', wanted '%s'", i, rc, err, cases[i].msg);
        assert_null(cat);
    }
}

static void test_iso8601(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(gl_iso8601_parse("2026-12-01T08:30:00+08:00", &ms));
    assert_int_equal(ms, 1796085000000LL);
    assert_true(gl_iso8601_parse("2026-12-01T00:30:00Z", &ms));
    assert_int_equal(ms, 1796085000000LL);
    assert_true(gl_iso8601_parse("2026-12-01T00:30:00.250Z", &ms));
    assert_int_equal(ms, 1796085000250LL);
    assert_true(gl_iso8601_parse("2026-12-01T08:30:00 08:00", &ms));
    assert_int_equal(ms, 1796085000000LL);
    assert_true(gl_iso8601_parse("2026-11-30T16:30-0800", &ms));
    assert_int_equal(ms, 1796085000000LL);
    assert_true(gl_iso8601_parse("2026-12-01", &ms));
    assert_int_equal(ms, 1796083200000LL);
    static const char *const bad[] = {"",
                                      "yesterday",
                                      "2026-12-01T08:30:00",
                                      "2026-02-30",
                                      "2026-13-01",
                                      "2026-12-01T25:00:00Z",
                                      "2026-12-01T08:30:00+08:00x",
                                      "2026-12-01T08:30:00.Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gl_iso8601_parse(bad[i], &ms))
            fail_msg("'%s' taken as a time", bad[i]);
}

static int request_of(const gl_catalogue_t *cat, const char *body, Gridlink__V1__CtlRequest **q, char *why,
                      size_t whylen)
{
    gl_o311_form f;
    int rc = gl_open311_form_parse(body, strlen(body), &f, why, whylen);
    if (rc != 0)
        return rc;
    rc = gl_open311_form_request(&f, cat, q, why, whylen);
    gl_open311_form_free(&f);
    return rc;
}

static void test_form(void **state)
{
    (void)state;
    char err[512] = "";
    int rc;
    gl_catalogue_t *cat = catalogue(ROADS, err, sizeof err, &rc);
    assert_int_equal(rc, 0);
    gl_o311_form f;
    assert_int_equal(gl_open311_form_parse("a=1&&b=x+y%21&c&=z", 18, &f, err, sizeof err), 0);
    assert_string_equal(gl_open311_form_get(&f, "a"), "1");
    assert_string_equal(gl_open311_form_get(&f, "b"), "x y!");
    assert_string_equal(gl_open311_form_get(&f, "c"), "");
    assert_string_equal(gl_open311_form_get(&f, ""), "z");
    assert_null(gl_open311_form_get(&f, "d"));
    gl_open311_form_free(&f);
    static const char *const malformed[] = {"a=%zz", "a=%4", "a=%00", "a=%ff%fe"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(gl_open311_form_parse(malformed[i], strlen(malformed[i]), &f, err, sizeof err), GL_EINVAL);

    Gridlink__V1__CtlRequest *q = NULL;
    assert_int_equal(request_of(cat,
                                "api_key=k&service_code=urban%2Froads&lat=31.87&long=119.955&description=%E8%B7%AF"
                                "&attribute[area]=2.5&attribute[blocking]=yes&attribute[kinds][]=a&attribute[kinds][]=b"
                                "&attribute[when]=&first_name=%E4%B8%BD&last_name=%E7%8E%8B&phone=139&email=a%40b.cn",
                                &q, err, sizeof err),
                     0);
    assert_string_equal(q->op, "request");
    assert_string_equal(q->category, "urban/roads");
    assert_true(q->located);
    assert_true(q->lat == 31.87 && q->lon == 119.955);
    assert_string_equal(q->text, "路");
    assert_string_equal(q->reporter, "王丽 139");
    assert_string_equal(q->contact->email, "a@b.cn");
    assert_int_equal(q->n_attributes, 3);
    assert_int_equal(q->attributes[2]->n_values, 2);
    gridlink__v1__ctl_request__free_unpacked(q, NULL);

    static const struct {
        const char *body, *msg;
        int status;
    } refused[] = {
        {"lat=1&long=2", "service_code is required", 400},
        {"service_code=urban%2Fnone&lat=1&long=2", "no service", 404},
        {"service_code=urban&lat=1&long=2", "no service", 404}, /* a kind with subcategories */
        {"service_code=urban%2Froads&attribute[area]=1&attribute[blocking]=no", "needs a location", 400},
        {"service_code=urban%2Froads&lat=91&long=2&attribute[area]=1&attribute[blocking]=no", "lat and long", 400},
        {"service_code=urban%2Froads&lat=1&attribute[area]=1&attribute[blocking]=no", "lat and long", 400},
        {"service_code=urban%2Froads&lat=1&long=2&attribute[blocking]=no", "attribute[area] is required", 400},
        {"service_code=urban%2Froads&lat=1&long=2&attribute[area]=&attribute[blocking]=no",
         "attribute[area] is required", 400},
        {"service_code=urban%2Froads&lat=1&long=2&attribute[area]=x&attribute[blocking]=no", "not a number", 400},
        {"service_code=urban%2Froads&lat=1&long=2&attribute[area]=1&attribute[blocking]=maybe", "listed keys", 400},
        {"service_code=urban%2Froads&lat=1&long=2&attribute[area]=1&attribute[area]=2&attribute[blocking]=no",
         "exactly one value", 400},
        {"service_code=urban%2Froads&lat=1&long=2&attribute[area]=1&attribute[blocking]=no&attribute[when]=soon",
         "ISO 8601", 400},
        {"service_code=urban%2Froads&lat=1&long=2&attribute[area]=1&attribute[blocking]=no&attribute[colour]=red",
         "not an attribute of this service", 400},
        {"service_code=urban%2Froads&lat=1&long=2&attribute[area]=1&attribute[blocking]=no&attribute[x=1",
         "is not attribute[CODE]", 400},
        {"service_code=urban%2Froads&address_string=x&attribute[area]=1&attribute[blocking]=no&email=nobody", "email",
         400},
        {"service_code=urban%2Froads&address_string=x&attribute[area]=1&attribute[blocking]=no&media_url=file:/x",
         "media_url", 400},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        q = NULL;
        err[0] = 0;
        rc = request_of(cat, refused[i].body, &q, err, sizeof err);
        if (rc != refused[i].status || !strstr(err, refused[i].msg))
            fail_msg("case %zu: %d '%s', wanted %d '%s'", i, rc, err, refused[i].status, refused[i].msg);
        assert_null(q);
    }
    /* a description of 4000 characters is taken, one more is not, nor
     * one of more bytes than a case's text holds */
    size_t n = 4000 * 9 + 200;
    char *body = malloc(n);
    int head = snprintf(body, n,
                        "service_code=urban%%2Froads&address_string=x&attribute[area]=1&attribute[blocking]=no"
                        "&description=");
    int k = head;
    for (int i = 0; i < 4000; i++)
        body[k++] = 'a';
    body[k] = 0;
    assert_int_equal(request_of(cat, body, &q, err, sizeof err), 0);
    gridlink__v1__ctl_request__free_unpacked(q, NULL);
    snprintf(body + k, n - (size_t)k, "a");
    assert_int_equal(request_of(cat, body, &q, err, sizeof err), 400);
    assert_non_null(strstr(err, "4000 characters"));
    k = head;
    for (int i = 0; i < 2731; i++) /* 8193 bytes */
        k += snprintf(body + k, n - (size_t)k, "%%E8%%B7%%AF");
    assert_int_equal(request_of(cat, body, &q, err, sizeof err), 400);
    assert_non_null(strstr(err, "bytes"));
    free(body);
    gl_catalogue_free(&cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_attribute_errors),
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
