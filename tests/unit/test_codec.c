/* test_codec.c: what the decoders accept and what they refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "error.h"

static uint8_t *pack_env(Gridlink__V1__Envelope *e, size_t *len)
{
    uint8_t *buf;
    assert_int_equal(gl_pack(&e->base, &buf, len), 0);
    return buf;
}

static Gridlink__V1__Case sample_case(void)
{
    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
    c.id = "x.t.c.g1-000001";
    c.holder = "x.t.c";
    c.grid = "x.t.c.g1";
    c.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    c.text = "路灯不亮";
    return c;
}

static int decode(Gridlink__V1__Envelope *e, char *err)
{
    size_t len;
    uint8_t *buf = pack_env(e, &len);
    Gridlink__V1__Envelope *out = NULL;
    int rc = gl_decode_envelope(buf, len, &out, err, 256);
    free(buf);
    if (out)
        gridlink__v1__envelope__free_unpacked(out, NULL);
    return rc;
}

static void test_valid_transfer(void **state)
{
    (void)state;
    Gridlink__V1__Case c = sample_case();
    Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
    tr.case_ = &c;
    tr.reason = "reported";
    Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
    e.version = GL_PROTO_VERSION;
    e.sender = "x.t.c.g1";
    e.seq = 1;
    e.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
    e.transfer = &tr;
    char err[256] = "";
    assert_int_equal(decode(&e, err), 0);
}

static void test_refusals(void **state)
{
    (void)state;
    char err[256];
    Gridlink__V1__Case c = sample_case();
    Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
    tr.case_ = &c;
    tr.reason = "reported";
    Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
    e.version = GL_PROTO_VERSION;
    e.sender = "x.t.c.g1";
    e.seq = 1;
    e.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
    e.transfer = &tr;

    e.version = 2;
    assert_int_equal(decode(&e, err), GL_EPROTO);
    assert_non_null(strstr(err, "version"));
    /* Its number is not one to refuse. */
    size_t plen;
    uint8_t *packed = pack_env(&e, &plen);
    uint64_t peek_seq = 9;
    char peek_sender[256];
    assert_int_equal(gl_envelope_peek(packed, plen, &peek_seq, peek_sender, sizeof peek_sender), GL_OK);
    assert_int_equal(peek_seq, 0);
    assert_string_equal(peek_sender, "x.t.c.g1");
    free(packed);
    /* Another version's Hello gets through, for the link to answer it. */
    Gridlink__V1__Hello hello = GRIDLINK__V1__HELLO__INIT;
    hello.node = "x.t.c.g1";
    hello.proto_version = 2;
    Gridlink__V1__Envelope h = GRIDLINK__V1__ENVELOPE__INIT;
    h.version = 2;
    h.sender = "x.t.c.g1";
    h.body_case = GRIDLINK__V1__ENVELOPE__BODY_HELLO;
    h.hello = &hello;
    assert_int_equal(decode(&h, err), GL_OK);
    h.version = 0;
    assert_int_equal(decode(&h, err), GL_EPROTO);
    e.version = GL_PROTO_VERSION;

    e.sender = "Bad Sender!";
    assert_int_equal(decode(&e, err), GL_EPROTO);
    e.sender = "x.t.c.g1";

    e.seq = 0; /* a transfer must be sequenced */
    assert_int_equal(decode(&e, err), GL_EPROTO);
    e.seq = 1;

    c.text = "\xff\xfe not utf-8";
    assert_int_equal(decode(&e, err), GL_EPROTO);
    c.text = "ok";

    c.state = (Gridlink__V1__CaseState)42;
    assert_int_equal(decode(&e, err), GL_EPROTO);
    c.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;

    c.id = "no-counter-x";
    assert_int_equal(decode(&e, err), GL_EPROTO);
    c.id = "x.t.c.g1-000001";

    Gridlink__V1__Envelope *out = NULL;
    uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_int_equal(gl_decode_envelope(junk, sizeof junk, &out, err, sizeof err), GL_EPROTO);
    assert_null(out);
    assert_int_equal(gl_decode_envelope(junk, 0, &out, err, sizeof err), GL_EPROTO);
}

static int decode_ctl(Gridlink__V1__CtlRequest *r, char *err)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(gl_pack(&r->base, &buf, &len), 0);
    Gridlink__V1__CtlRequest *out = NULL;
    int rc = gl_decode_ctl_request(buf, len, &out, err, 256);
    free(buf);
    if (out)
        gridlink__v1__ctl_request__free_unpacked(out, NULL);
    return rc;
}

/* Every operation gets what it needs, or the request is refused with a
 * reason the node can send back. */
static void test_ctl_requests(void **state)
{
    (void)state;
    char err[256];
    Gridlink__V1__CtlRequest r = GRIDLINK__V1__CTL_REQUEST__INIT;
    r.node = "x.t.c";
    r.op = "act";
    r.case_id = "x.t.c.g1-000001";
    r.action = "accept";
    assert_int_equal(decode_ctl(&r, err), 0);
    r.case_id = "";
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    assert_string_equal(err, "act needs a case ID");
    r.case_id = "not a case";
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    assert_string_equal(err, "'not a case' is not a case ID");
    r.case_id = "x.t.c.g1-000001";
    r.action = "";
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    assert_string_equal(err, "act needs an action");
    r.op = "show";
    assert_int_equal(decode_ctl(&r, err), 0);
    r.case_id = "";
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    assert_string_equal(err, "show needs a case ID");
    static const char *const no_case[] = {"submit", "list", "health", "ping", "census", "log"};
    for (size_t i = 0; i < sizeof no_case / sizeof no_case[0]; i++) {
        r.op = (char *)no_case[i];
        assert_int_equal(decode_ctl(&r, err), 0);
    }
    r.op = "";
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    r.op = "drop-tables";
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    assert_string_equal(err, "unknown operation 'drop-tables'");
    r.op = "list";
    r.node = "";
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    /* A dispatch may name any tier, departments included, and no other. */
    r.node = "x.t";
    r.op = "dispatch";
    r.under = "x.t";
    r.tier = GRIDLINK__V1__TIER__TIER_DEPARTMENT;
    assert_int_equal(decode_ctl(&r, err), 0);
    r.tier = GRIDLINK__V1__TIER__TIER_DEPARTMENT + 1;
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    assert_string_equal(err, "a duration or tier in the request is out of range");
    r.tier = -1;
    assert_int_equal(decode_ctl(&r, err), GL_EPROTO);
    r.tier = 0;
    r.under = "";
    assert_true(gl_case_id_valid("xinbei.sanjing.c01.g1-000042"));
    assert_false(gl_case_id_valid("xinbei.sanjing.c01.g1-"));
    assert_false(gl_case_id_valid("-000042"));
    assert_false(gl_case_id_valid(""));
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(gl_utf8_valid("abc", 3));
    assert_true(gl_utf8_valid("网格", strlen("网格")));
    assert_false(gl_utf8_valid("\xe7\xbd", 2));         /* truncated */
    assert_false(gl_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(gl_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(gl_utf8_valid("\xf4\x90\x80\x80", 4)); /* beyond U+10FFFF */
}

static int decode_request(const char *op, const char *node, const char *prefix, uint64_t from, uint64_t to)
{
    Gridlink__V1__BusRequest r = GRIDLINK__V1__BUS_REQUEST__INIT;
    r.op = (char *)op;
    r.node = (char *)node;
    r.prefix = (char *)prefix;
    r.from_seq = from;
    r.to_seq = to;
    uint8_t *buf;
    size_t len;
    assert_int_equal(gl_pack(&r.base, &buf, &len), 0);
    char err[256];
    Gridlink__V1__BusRequest *out = NULL;
    int rc = gl_decode_bus_request(buf, len, &out, err, sizeof err);
    free(buf);
    if (rc == 0) {
        assert_non_null(out);
        gridlink__v1__bus_request__free_unpacked(out, NULL);
    } else {
        assert_null(out);
    }
    return rc;
}

static void test_bus_requests(void **state)
{
    (void)state;
    assert_int_equal(decode_request("snapshot", "", "", 0, 0), GL_OK);
    assert_int_equal(decode_request("snapshot", "", "x.t", 0, 0), GL_OK);
    assert_int_equal(decode_request("subscribe", "", "", 0, 0), GL_OK);
    assert_int_equal(decode_request("subscribe", "", "x.t.c", 0, 0), GL_OK);
    assert_int_equal(decode_request("subscribe", "", "X..t", 0, 0), GL_EPROTO);
    assert_int_equal(decode_request("replay", "x.t", "", 1, 0), GL_OK);
    assert_int_equal(decode_request("replay", "x.t", "", 5, 4), GL_EPROTO);
    assert_int_equal(decode_request("replay", "", "", 1, 0), GL_EPROTO);
    assert_int_equal(decode_request("unsubscribe", "", "", 0, 0), GL_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_transfer), cmocka_unit_test(test_refusals),     cmocka_unit_test(test_ctl_requests),
        cmocka_unit_test(test_utf8),           cmocka_unit_test(test_bus_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
