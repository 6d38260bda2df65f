/* test_pbjson_schema.c: the JSON Schemas made from the descriptors
 * (gl_pbjson_schema) and the case JSON's (gl_case_json_schema), checked
 * against what the producers really write: a small validator of the schema
 * keywords the routines use walks each output, so a key the schema does not
 * declare, a value of another type or a required key missing fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casejson.h"
#include "gridlink.pb-c.h"
#include "pbjson.h"

static char why[512];

static bool invalid(const char *path, const char *what)
{
    snprintf(why, sizeof why, "%s: %s", path, what);
    return false;
}

/* Whether v satisfies schema s (refs looked up in defs); why says where not. */
static bool valid(const json_t *defs, const json_t *s, const json_t *v, const char *path)
{
    const char *ref = json_string_value(json_object_get(s, "$ref"));
    if (ref) {
        size_t n = strlen(GL_PBJSON_SCHEMA_REF);
        const json_t *target = strncmp(ref, GL_PBJSON_SCHEMA_REF, n) == 0 ? json_object_get(defs, ref + n) : NULL;
        return target ? valid(defs, target, v, path) : invalid(path, "a $ref that does not resolve");
    }
    const json_t *any = json_object_get(s, "anyOf");
    if (any) {
        for (size_t i = 0; i < json_array_size(any); i++)
            if (valid(defs, json_array_get(any, i), v, path))
                return true;
        return invalid(path, "none of anyOf");
    }
    const char *type = json_string_value(json_object_get(s, "type"));
    if (!type)
        return invalid(path, "a schema without a type");
    char sub[256];
    if (strcmp(type, "object") == 0) {
        if (!json_is_object(v))
            return invalid(path, "not an object");
        const json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
        for (size_t i = 0; i < json_array_size(req); i++)
            if (!json_object_get(v, json_string_value(json_array_get(req, i)))) {
                snprintf(sub, sizeof sub, "required key %s missing", json_string_value(json_array_get(req, i)));
                return invalid(path, sub);
            }
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            snprintf(sub, sizeof sub, "%s/%s", path, k);
            const json_t *p = json_object_get(props, k);
            if (!p && json_is_false(json_object_get(s, "additionalProperties")))
                return invalid(sub, "not declared");
            if (p && !valid(defs, p, x, sub))
                return false;
        }
        return true;
    }
    if (strcmp(type, "array") == 0) {
        if (!json_is_array(v))
            return invalid(path, "not an array");
        for (size_t i = 0; i < json_array_size(v); i++) {
            snprintf(sub, sizeof sub, "%s/%zu", path, i);
            if (!valid(defs, json_object_get(s, "items"), json_array_get(v, i), sub))
                return false;
        }
        return true;
    }
    if (strcmp(type, "string") == 0) {
        if (!json_is_string(v))
            return invalid(path, "not a string");
        const json_t *e = json_object_get(s, "enum");
        bool listed = !e;
        for (size_t i = 0; e && i < json_array_size(e); i++)
            listed = listed || json_equal(json_array_get(e, i), v);
        if (!listed)
            return invalid(path, "not one of the enum's names");
        const char *pattern = json_string_value(json_object_get(s, "pattern"));
        const char *format = json_string_value(json_object_get(s, "format"));
        if (format && strcmp(format, "date-time") == 0)
            pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$";
        if (pattern) {
            regex_t rx;
            assert_int_equal(regcomp(&rx, pattern, REG_EXTENDED | REG_NOSUB), 0);
            int rc = regexec(&rx, json_string_value(v), 0, NULL, 0);
            regfree(&rx);
            if (rc != 0)
                return invalid(path, "does not match its pattern");
        }
        return true;
    }
    if (strcmp(type, "integer") == 0) {
        if (!json_is_integer(v))
            return invalid(path, "not an integer");
        const json_t *min = json_object_get(s, "minimum"), *max = json_object_get(s, "maximum");
        if ((min && json_integer_value(v) < json_integer_value(min)) ||
            (max && json_integer_value(v) > json_integer_value(max)))
            return invalid(path, "out of its bounds");
        return true;
    }
    if (strcmp(type, "number") == 0)
        return json_is_number(v) ? true : invalid(path, "not a number");
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v) ? true : invalid(path, "not a boolean");
    return invalid(path, "a type this validator does not know");
}

static void assert_valid(const json_t *defs, const json_t *s, const json_t *v)
{
    why[0] = 0;
    if (!valid(defs, s, v, "")) {
        char *dump = json_dumps(v, JSON_COMPACT);
        print_error("%s\nin %s\n", why, dump);
        free(dump);
        fail();
    }
}

static void assert_invalid(const json_t *defs, const json_t *s, const json_t *v)
{
    assert_false(valid(defs, s, v, ""));
}

/* A case with every kind of field set: repeated strings and messages, a
 * nested message, enums, 64-bit times, doubles. */
typedef struct sample {
    Gridlink__V1__Case c;
    Gridlink__V1__HistoryEntry h1, h2;
    Gridlink__V1__HistoryEntry *hist[2];
    Gridlink__V1__CaseCounters counters;
    Gridlink__V1__Rating rating;
    char *attachments[1];
    char *children[2];
} sample;

static void sample_init(sample *s)
{
    memset(s, 0, sizeof *s);
    gridlink__v1__case__init(&s->c);
    gridlink__v1__history_entry__init(&s->h1);
    gridlink__v1__history_entry__init(&s->h2);
    gridlink__v1__case_counters__init(&s->counters);
    gridlink__v1__rating__init(&s->rating);
    s->h1.action = "reported";
    s->h1.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    s->h1.node = "xinbei.sanjing.c01.g1";
    s->h1.time_ms = 1796187758162LL;
    s->h2.action = "accepted";
    s->h2.state = GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED;
    s->h2.node = "xinbei.sanjing.c01";
    s->h2.time_ms = 1796187759000LL;
    s->h2.by = "zhao";
    s->hist[0] = &s->h1;
    s->hist[1] = &s->h2;
    s->counters.urges = 2;
    s->counters.suspended_ms = 5000000000LL;
    s->rating.resolved = true;
    s->rating.by = "xinbei.sanjing.c01.g1";
    s->attachments[0] = "3f2a";
    s->children[0] = "xinbei.sanjing-000002";
    s->children[1] = "xinbei.sanjing-000003";
    Gridlink__V1__Case *c = &s->c;
    c->id = "xinbei.sanjing.c01.g1-000001";
    c->kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    c->category = "urban/roads";
    c->priority = GRIDLINK__V1__PRIORITY__PRIORITY_URGENT;
    c->state = GRIDLINK__V1__CASE_STATE__STATE_IN_PROGRESS;
    c->holder = "xinbei.sanjing.c01";
    c->lat = 31.875;
    c->lon = 119.9375;
    c->located = true;
    c->created_ms = 1796187758162LL;
    c->accept_due_ms = 1796191358162LL;
    c->accept_warn_ms = 1796190458162LL;
    c->resolve_due_ms = 1796194958162LL;
    c->version = 4;
    c->n_history = 2;
    c->history = s->hist;
    c->counters = &s->counters;
    c->rating = &s->rating;
    c->n_attachments = 1;
    c->attachments = s->attachments;
}

static void test_case_schema_declares_every_field(void **state)
{
    (void)state;
    json_t *defs = json_object();
    json_t *s = gl_pbjson_schema(&gridlink__v1__case__descriptor, GL_PBJSON_DEFAULTS, defs);
    assert_non_null(s);
    const json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
    assert_int_equal(json_object_size(props), gridlink__v1__case__descriptor.n_fields);
    assert_true(json_is_false(json_object_get(s, "additionalProperties")));
    /* scalars and repeated fields are always written; sub-messages only when set */
    char *r = json_dumps(req, JSON_COMPACT);
    assert_non_null(strstr(r, "\"id\""));
    assert_non_null(strstr(r, "\"history\""));
    assert_non_null(strstr(r, "\"lat\""));
    assert_null(strstr(r, "\"counters\""));
    assert_null(strstr(r, "\"rating\""));
    free(r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(props, "state"), "$ref")),
                        GL_PBJSON_SCHEMA_REF "CaseState");
    assert_string_equal(json_string_value(json_object_get(json_object_get(props, "created_ms"), "format")), "int64");
    for (const char *const *n = (const char *const[]){"HistoryEntry", "CaseCounters", "Rating", "ReturnCount",
                                                      "CaseState", "CaseKind", "Priority", NULL};
         *n; n++)
        assert_non_null(json_object_get(defs, *n));
    /* enums as pbjson names them */
    const json_t *states = json_object_get(json_object_get(defs, "CaseState"), "enum");
    assert_int_equal(json_array_size(states), gridlink__v1__case_state__descriptor.n_values);
    assert_string_equal(json_string_value(json_array_get(states, 3)), "in_progress");
    json_decref(s);
    json_decref(defs);
}

static void test_case_output_validates(void **state)
{
    (void)state;
    sample smp;
    sample_init(&smp);
    json_t *defs = json_object();
    json_t *full = gl_pbjson_schema(&gridlink__v1__case__descriptor, GL_PBJSON_DEFAULTS, defs);
    json_t *sparse_defs = json_object();
    json_t *sparse = gl_pbjson_schema(&gridlink__v1__case__descriptor, 0, sparse_defs);
    json_t *out = gl_pbjson_from_message(&smp.c.base, GL_PBJSON_DEFAULTS);
    json_t *out0 = gl_pbjson_from_message(&smp.c.base, 0);
    assert_valid(defs, full, out);
    assert_valid(sparse_defs, sparse, out0);
    assert_valid(sparse_defs, sparse, out);
    /* without the defaults, keys the full schema requires are missing */
    assert_invalid(defs, full, out0);

    json_t *bad = json_deep_copy(out);
    json_object_set_new(bad, "colour", json_string("red"));
    assert_invalid(defs, full, bad);
    json_decref(bad);
    bad = json_deep_copy(out);
    json_object_set_new(bad, "version", json_string("4"));
    assert_invalid(defs, full, bad);
    json_decref(bad);
    bad = json_deep_copy(out);
    json_object_set_new(bad, "state", json_string("flying"));
    assert_invalid(defs, full, bad);
    json_decref(bad);
    bad = json_deep_copy(out);
    json_object_set_new(json_array_get(json_object_get(bad, "history"), 0), "extra", json_true());
    assert_invalid(defs, full, bad);
    json_decref(bad);
    bad = json_deep_copy(out);
    json_object_set_new(json_object_get(bad, "counters"), "urges", json_integer(-1));
    assert_invalid(defs, full, bad);
    json_decref(bad);

    json_decref(out);
    json_decref(out0);
    json_decref(full);
    json_decref(sparse);
    json_decref(defs);
    json_decref(sparse_defs);
}

static void test_oneof_bytes_and_health(void **state)
{
    (void)state;
    json_t *defs = json_object();
    uint8_t id[4] = {0xde, 0xad, 0xbe, 0xef};
    Gridlink__V1__Hello hello = GRIDLINK__V1__HELLO__INIT;
    hello.node = "xinbei.sanjing";
    hello.applied = 17;
    hello.store_id.data = id;
    hello.store_id.len = sizeof id;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.sender = "xinbei.sanjing";
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    json_t *s = gl_pbjson_schema(&gridlink__v1__envelope__descriptor, GL_PBJSON_DEFAULTS, defs);
    /* a oneof's members are never required */
    char *r = json_dumps(json_object_get(s, "required"), JSON_COMPACT);
    assert_null(strstr(r, "hello"));
    free(r);
    json_t *out = gl_pbjson_from_message(&env.base, GL_PBJSON_DEFAULTS);
    assert_valid(defs, s, out);
    json_object_set_new(json_object_get(out, "hello"), "store_id", json_string("DEADBEEF!"));
    assert_invalid(defs, s, out);
    json_decref(out);
    json_decref(s);

    char *up[] = {"xinbei.sanjing.c01.g1"};
    Gridlink__V1__AccessCount ac = GRIDLINK__V1__ACCESS_COUNT__INIT;
    Gridlink__V1__AccessCount *acs[] = {&ac};
    ac.community = "xinbei.sanjing.c01";
    ac.month = "2026-12";
    ac.count = 3;
    Gridlink__V1__NodeHealth h = GRIDLINK__V1__NODE_HEALTH__INIT;
    h.node = "xinbei.sanjing.c01";
    h.parent_up = true;
    h.n_children_up = 1;
    h.children_up = up;
    h.log_seq = 1ULL << 40;
    h.n_access_refused = 1;
    h.access_refused = acs;
    s = gl_pbjson_schema(&gridlink__v1__node_health__descriptor, GL_PBJSON_DEFAULTS, defs);
    out = gl_pbjson_from_message(&h.base, GL_PBJSON_DEFAULTS);
    assert_valid(defs, s, out);
    json_object_del(out, "log_seq");
    assert_invalid(defs, s, out);
    json_decref(out);
    json_decref(s);
    json_decref(defs);
}

static void test_fields_for_a_body(void **state)
{
    (void)state;
    json_t *defs = json_object();
    static const char *const names[] = {"note", "kind", "by_ms", NULL};
    json_t *s = gl_pbjson_schema_fields(&gridlink__v1__ctl_request__descriptor, names, defs);
    assert_non_null(s);
    assert_int_equal(json_object_size(json_object_get(s, "properties")), 3);
    assert_null(json_object_get(s, "required"));
    json_t *body = json_pack("{s:s, s:s, s:I}", "note", "已签收", "kind", "request", "by_ms", (json_int_t)7200000);
    assert_valid(defs, s, body);
    json_object_set_new(body, "op", json_string("list"));
    assert_invalid(defs, s, body);
    json_decref(body);
    json_decref(s);
    static const char *const wrong[] = {"note", "colour", NULL};
    assert_null(gl_pbjson_schema_fields(&gridlink__v1__ctl_request__descriptor, wrong, defs));
    json_decref(defs);
}

static void test_case_json_validates(void **state)
{
    (void)state;
    sample smp;
    sample_init(&smp);
    Gridlink__V1__Case part = GRIDLINK__V1__CASE__INIT;
    part.id = smp.children[0];
    part.holder = "xinbei.sanjing.market";
    part.state = GRIDLINK__V1__CASE_STATE__STATE_ACCEPTED;
    Gridlink__V1__Case *parts[] = {&part};
    smp.c.kind = GRIDLINK__V1__CASE_KIND__KIND_WHISTLE;
    smp.c.n_children = 2; /* one part known here, one not */
    smp.c.children = smp.children;
    json_t *defs = json_object();
    json_t *ref = gl_case_json_schema(defs);
    assert_non_null(ref);
    const int64_t now = smp.c.accept_warn_ms + 1; /* due soon */
    json_t *out = gl_case_json(NULL, &smp.c, parts, 1, now);
    assert_non_null(json_object_get(out, "deadlines"));
    assert_int_equal(json_array_size(json_object_get(out, "parts")), 2);
    assert_valid(defs, ref, out);

    /* without counters, deadlines or parts: what is always written still is */
    smp.c.counters = NULL;
    smp.c.accept_due_ms = smp.c.resolve_due_ms = 0;
    smp.c.n_children = 0;
    json_t *plain = gl_case_json(NULL, &smp.c, NULL, 0, now);
    assert_valid(defs, ref, plain);
    json_object_del(plain, "late");
    assert_invalid(defs, ref, plain);
    json_decref(plain);

    json_object_set_new(json_array_get(json_object_get(out, "parts"), 0), "colour", json_string("red"));
    assert_invalid(defs, ref, out);
    json_decref(out);
    /* and pbjson's own Case schema does not know the case JSON's keys */
    json_decref(gl_pbjson_schema_ref(&gridlink__v1__case__descriptor, GL_PBJSON_DEFAULTS, defs));
    assert_non_null(json_object_get(defs, "Case"));
    out = gl_case_json(NULL, &smp.c, NULL, 0, now);
    assert_invalid(defs, json_object_get(defs, "Case"), out);
    json_decref(out);
    json_decref(ref);
    json_decref(defs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_schema_declares_every_field),
        cmocka_unit_test(test_case_output_validates),
        cmocka_unit_test(test_oneof_bytes_and_health),
        cmocka_unit_test(test_fields_for_a_body),
        cmocka_unit_test(test_case_json_validates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
