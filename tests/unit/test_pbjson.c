/* test_pbjson.c: the descriptor-driven protobuf -> JSON converter.
 *
 * Every check compares the whole document, dumped with sorted keys in compact
 * form, with an exact expected string, so an extra or missing field fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gridlink.pb-c.h"
#include "pbjson.h"

/* Converts msg and returns its canonical dump; the caller frees it. */
static char *dump(const void *msg, int flags)
{
    json_t *j = gl_pbjson_from_message(msg, flags);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(s);
    json_decref(j);
    return s;
}

static void assert_dump(const void *msg, int flags, const char *expected)
{
    char *s = dump(msg, flags);
    assert_string_equal(s, expected);
    free(s);
}

static void test_case_with_history(void **state)
{
    (void)state;
    Gridlink__V1__HistoryEntry h1 = GRIDLINK__V1__HISTORY_ENTRY__INIT;
    h1.action = "reported";
    h1.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    h1.node = "xinbei.sanjing.c03.g2";
    h1.time_ms = 1700000000000LL;
    Gridlink__V1__HistoryEntry h2 = GRIDLINK__V1__HISTORY_ENTRY__INIT;
    h2.action = "escalated";
    h2.state = GRIDLINK__V1__CASE_STATE__STATE_ESCALATED;
    h2.node = "xinbei.sanjing.c03";
    h2.time_ms = 1700000360000LL;
    h2.note = "accept deadline passed";
    Gridlink__V1__HistoryEntry *hist[] = {&h1, &h2};
    char *att[] = {"sha256:aa", "sha256:bb"};

    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
    c.id = "xinbei.sanjing.c03.g2-000042";
    c.kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    c.category = "urban/road";
    c.priority = GRIDLINK__V1__PRIORITY__PRIORITY_URGENT;
    c.grid = "xinbei.sanjing.c03.g2";
    c.lat = 25.0625; /* exactly representable, so the dump is exact */
    c.lon = 121.5;
    c.text = "路灯损坏";
    c.n_attachments = 2;
    c.attachments = att;
    c.holder = "xinbei.sanjing";
    c.state = GRIDLINK__V1__CASE_STATE__STATE_ESCALATED;
    c.created_ms = 1700000000000LL;
    c.version = 3;
    c.n_history = 2;
    c.history = hist;
    c.alarmed = 1;

    assert_dump(&c, 0,
                "{\"alarmed\":true,\"attachments\":[\"sha256:aa\",\"sha256:bb\"],"
                "\"category\":\"urban/road\",\"created_ms\":1700000000000,"
                "\"grid\":\"xinbei.sanjing.c03.g2\","
                "\"history\":[{\"action\":\"reported\",\"node\":\"xinbei.sanjing.c03.g2\","
                "\"state\":\"reported\",\"time_ms\":1700000000000},"
                "{\"action\":\"escalated\",\"node\":\"xinbei.sanjing.c03\","
                "\"note\":\"accept deadline passed\",\"state\":\"escalated\","
                "\"time_ms\":1700000360000}],"
                "\"holder\":\"xinbei.sanjing\",\"id\":\"xinbei.sanjing.c03.g2-000042\","
                "\"kind\":\"incident\",\"lat\":25.0625,\"lon\":121.5,\"priority\":\"urgent\","
                "\"state\":\"escalated\",\"text\":\"路灯损坏\",\"version\":3}");
}

static void test_defaults(void **state)
{
    (void)state;
    Gridlink__V1__HistoryEntry h = GRIDLINK__V1__HISTORY_ENTRY__INIT;
    assert_dump(&h, 0, "{}");
    assert_dump(&h, GL_PBJSON_DEFAULTS,
                "{\"action\":\"\",\"by\":\"\",\"node\":\"\",\"note\":\"\",\"peer\":\"\","
                "\"state\":\"unknown\",\"time_ms\":0}");
    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;

    /* Sub-messages have presence: unset stays absent even with DEFAULTS. */
    Gridlink__V1__CaseStatus st = GRIDLINK__V1__CASE_STATUS__INIT;
    assert_dump(&st, GL_PBJSON_DEFAULTS, "{}");
    st.case_ = &c;
    assert_dump(&st, 0, "{\"case\":{}}");
}

static void test_ctl_reply_repeated_cases(void **state)
{
    (void)state;
    Gridlink__V1__Case a = GRIDLINK__V1__CASE__INIT;
    a.id = "g1-000001";
    a.state = GRIDLINK__V1__CASE_STATE__STATE_IN_PROGRESS;
    Gridlink__V1__Case b = GRIDLINK__V1__CASE__INIT;
    b.id = "g1-000002";
    b.state = GRIDLINK__V1__CASE_STATE__STATE_CLOSED;
    b.priority = GRIDLINK__V1__PRIORITY__PRIORITY_EMERGENCY;
    Gridlink__V1__Case *cases[] = {&a, &b};

    char *up[] = {"xinbei.sanjing.c01", "xinbei.sanjing.c02"};
    Gridlink__V1__NodeHealth h = GRIDLINK__V1__NODE_HEALTH__INIT;
    h.node = "xinbei.sanjing";
    h.parent = "xinbei";
    h.parent_up = 1;
    h.n_children_up = 2;
    h.children_up = up;
    h.log_seq = 17;
    h.cases = 2;

    Gridlink__V1__CtlReply r = GRIDLINK__V1__CTL_REPLY__INIT;
    r.code = GL_ENOENT;
    r.error = "partial";
    r.n_cases = 2;
    r.cases = cases;
    r.health = &h;

    assert_dump(&r, 0,
                "{\"cases\":[{\"id\":\"g1-000001\",\"state\":\"in_progress\"},"
                "{\"id\":\"g1-000002\",\"priority\":\"emergency\",\"state\":\"closed\"}],"
                "\"code\":-2,\"error\":\"partial\","
                "\"health\":{\"cases\":2,\"children_up\":[\"xinbei.sanjing.c01\","
                "\"xinbei.sanjing.c02\"],\"log_seq\":17,\"node\":\"xinbei.sanjing\","
                "\"parent\":\"xinbei\",\"parent_up\":true}}");
}

static void test_envelope_oneof(void **state)
{
    (void)state;
    Gridlink__V1__Hello hello = GRIDLINK__V1__HELLO__INIT;
    hello.node = "xinbei.sanjing";
    hello.proto_version = 1;
    hello.applied = 41;
    hello.heartbeat_ms = 1000;

    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.version = 1;
    env.sender = "xinbei.sanjing";
    env.sent_ms = 1700000000123LL;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    assert_dump(&env, 0,
                "{\"hello\":{\"applied\":41,\"heartbeat_ms\":1000,\"node\":\"xinbei.sanjing\","
                "\"proto_version\":1},\"sender\":\"xinbei.sanjing\",\"sent_ms\":1700000000123,"
                "\"version\":1}");

    /* Only the member named by the case field counts, even though every
     * member of the union reads the same pointer. */
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY__NOT_SET;
    assert_dump(&env, GL_PBJSON_DEFAULTS,
                "{\"ack\":0,\"sender\":\"xinbei.sanjing\",\"sent_ms\":1700000000123,"
                "\"seq\":0,\"version\":1}");

    /* A set member at its zero value is still present. */
    Gridlink__V1__Heartbeat hb = GRIDLINK__V1__HEARTBEAT__INIT;
    Gridlink__V1__Envelope env2 = GRIDLINK__V1__ENVELOPE__INIT;
    env2.body_case = GRIDLINK__V1__ENVELOPE__BODY_HEARTBEAT;
    env2.heartbeat = &hb;
    assert_dump(&env2, 0, "{\"heartbeat\":{}}");

    /* Nested oneof payload with an enum inside. */
    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
    c.id = "x-1";
    c.state = GRIDLINK__V1__CASE_STATE__STATE_RETURNED;
    Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
    tr.case_ = &c;
    tr.reason = "escalated";
    Gridlink__V1__Envelope env3 = GRIDLINK__V1__ENVELOPE__INIT;
    env3.seq = 7;
    env3.ack = 6;
    env3.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
    env3.transfer = &tr;
    assert_dump(&env3, 0,
                "{\"ack\":6,\"seq\":7,\"transfer\":{\"case\":{\"id\":\"x-1\",\"state\":\"returned\"},"
                "\"reason\":\"escalated\"}}");
}

static void test_odd_numbers(void **state)
{
    (void)state;
    /* Unknown enum values (a newer peer), non-finite doubles, uint64 beyond
     * jansson's signed range: all representable, none dropped. */
    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
    c.state = (Gridlink__V1__CaseState)99;
    c.lat = NAN;
    c.lon = -INFINITY;
    assert_dump(&c, 0, "{\"lat\":\"NaN\",\"lon\":\"-Infinity\",\"state\":99}");

    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.seq = UINT64_MAX;
    env.ack = (uint64_t)INT64_MAX;
    assert_dump(&env, 0, "{\"ack\":9223372036854775807,\"seq\":1.8446744073709552e19}");

    Gridlink__V1__Error err = GRIDLINK__V1__ERROR__INIT;
    err.code = INT32_MIN;
    assert_dump(&err, 0, "{\"code\":-2147483648}");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
    /* A stray byte, a lead byte followed by ASCII, an encoded surrogate, an
     * overlong '/', a truncated sequence at the end; valid text around them
     * must survive untouched. */
    c.text = "ok\xff"
             "a\xc3("
             "\xed\xa0\x80"
             "\xc0\xaf"
             "路\xe8\xb7";
    c.reporter = "fine";
    assert_dump(&c, 0,
                "{\"reporter\":\"fine\",\"text\":\"ok\xef\xbf\xbd"
                "a\xef\xbf\xbd("
                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                "\xef\xbf\xbd\xef\xbf\xbd"
                "路\xef\xbf\xbd\xef\xbf\xbd\"}");

    /* Repeated strings go through the same path. */
    char *att[] = {"\x80", "good"};
    Gridlink__V1__Case d = GRIDLINK__V1__CASE__INIT;
    d.n_attachments = 2;
    d.attachments = att;
    assert_dump(&d, 0, "{\"attachments\":[\"\xef\xbf\xbd\",\"good\"]}");
}

static void test_enum_names(void **state)
{
    (void)state;
    const ProtobufCEnumDescriptor *st = &gridlink__v1__case_state__descriptor;
    const ProtobufCEnumDescriptor *tier = &gridlink__v1__tier__descriptor;
    assert_string_equal(gl_pbjson_enum_name(st, GRIDLINK__V1__CASE_STATE__STATE_ESCALATED), "escalated");
    assert_string_equal(gl_pbjson_enum_name(st, GRIDLINK__V1__CASE_STATE__STATE_IN_PROGRESS), "in_progress");
    assert_string_equal(gl_pbjson_enum_name(tier, GRIDLINK__V1__TIER__TIER_DISTRICT), "district");
    assert_string_equal(gl_pbjson_enum_name(&gridlink__v1__priority__descriptor, 2), "emergency");
    assert_string_equal(gl_pbjson_enum_name(&gridlink__v1__case_kind__descriptor, 2), "request");
    assert_null(gl_pbjson_enum_name(st, 99));
    assert_null(gl_pbjson_enum_name(st, -1));
    /* Cached: the same storage every time. */
    assert_ptr_equal(gl_pbjson_enum_name(tier, 3), gl_pbjson_enum_name(tier, 3));

    int v = -1;
    assert_int_equal(gl_pbjson_enum_value(st, "STATE_CLOSED", &v), 0);
    assert_int_equal(v, GRIDLINK__V1__CASE_STATE__STATE_CLOSED);
    assert_int_equal(gl_pbjson_enum_value(tier, "grid", &v), 0);
    assert_int_equal(v, GRIDLINK__V1__TIER__TIER_GRID);
    assert_int_equal(gl_pbjson_enum_value(st, "bogus", &v), GL_ENOENT);
    assert_int_equal(gl_pbjson_enum_value(st, "", &v), GL_ENOENT);
    assert_int_equal(gl_pbjson_enum_value(st, NULL, &v), GL_EINVAL);

    /* Every value of every enum survives name -> value. */
    const ProtobufCEnumDescriptor *all[] = {tier, st, &gridlink__v1__priority__descriptor,
                                            &gridlink__v1__case_kind__descriptor};
    for (size_t e = 0; e < sizeof all / sizeof all[0]; e++) {
        for (unsigned i = 0; i < all[e]->n_values; i++) {
            int want = all[e]->values[i].value;
            const char *name = gl_pbjson_enum_name(all[e], want);
            assert_non_null(name);
            int got = -1;
            assert_int_equal(gl_pbjson_enum_value(all[e], name, &got), 0);
            assert_int_equal(got, want);
            assert_int_equal(gl_pbjson_enum_value(all[e], all[e]->values[i].name, &got), 0);
            assert_int_equal(got, want);
        }
    }
}

static void test_packed_round_trip(void **state)
{
    (void)state;
    /* What the node actually does: decode bytes off the wire, then convert. */
    Gridlink__V1__Welcome w = GRIDLINK__V1__WELCOME__INIT;
    w.node = "xinbei";
    w.applied = 5;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.sender = "xinbei";
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_WELCOME;
    env.welcome = &w;
    uint8_t buf[256];
    size_t n = gridlink__v1__envelope__pack(&env, buf);
    Gridlink__V1__Envelope *back = gridlink__v1__envelope__unpack(NULL, n, buf);
    assert_non_null(back);
    assert_dump(back, 0, "{\"sender\":\"xinbei\",\"welcome\":{\"applied\":5,\"node\":\"xinbei\"}}");
    gridlink__v1__envelope__free_unpacked(back, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_with_history),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_ctl_reply_repeated_cases),
        cmocka_unit_test(test_envelope_oneof),
        cmocka_unit_test(test_odd_numbers),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_packed_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
