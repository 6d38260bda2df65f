/* test_files.c: photos in the engines of a small district (engine_net): a
 * grid stores a photo of several chunks and reports with it; the community
 * and, after an escalation, the township hold it byte for byte; a second
 * case naming the same photo sends no chunk again; an upload that is not a
 * photo, a case naming a photo never stored, a chunk out of order and a
 * file whose bytes do not have its hash are all refused or dropped, and
 * nothing half-received is ever served. A photo is published for the
 * public feed by the holder (publish-photo), only one of the case's, and
 * the step travels with the case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "codec.h"
#include "engine.h"
#include "engine_net.h"
#include "error.h"
#include "log.h"

#define TOWNSHIP "xinbei.sanjing"
#define C01      "xinbei.sanjing.c01"
#define G1       "xinbei.sanjing.c01.g1"
#define T0       1700000000000LL

static const char *topology_json =
    "{\"name\": \"district\", \"port_base\": 17300,"
    " \"nodes\": ["
    "  {\"id\": \"xinbei\", \"tier\": \"district\", \"name\": \"新北区\"},"
    "  {\"id\": \"xinbei.sanjing\", \"tier\": \"township\", \"name\": \"三井街道\"},"
    "  {\"id\": \"xinbei.sanjing.c01\", \"tier\": \"community\", \"name\": \"第一社区\"},"
    "  {\"id\": \"xinbei.sanjing.c01.g1\", \"tier\": \"grid\", \"name\": \"第一社区第1网格\"}]}";

static int setup(void **state)
{
    net_t *n = net_new(topology_json);
    net_start(n, T0);
    *state = n;
    return 0;
}

static int teardown(void **state)
{
    net_t *n = *state;
    net_free(&n);
    return 0;
}

/* A JPEG-looking file of len bytes. */
static uint8_t *photo(size_t len, uint8_t seed)
{
    uint8_t *b = malloc(len);
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(i * 31 + seed);
    memcpy(b, "\xff\xd8\xff\xe0", 4);
    return b;
}

static int attach(net_t *n, const char *node, const uint8_t *data, size_t len, const char *type, char *hex)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "attach";
    req.data.data = (uint8_t *)data;
    req.data.len = len;
    req.content_type = (char *)type;
    Gridlink__V1__CtlReply *rep = net_call(n, node, &req, T0);
    int code = rep->code;
    if (code == 0 && hex)
        snprintf(hex, 65, "%s", rep->attachment->sha256);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return code;
}

/* The file as node serves it: 0 and its bytes, or the refusal's code. */
static int fetch(net_t *n, const char *node, const char *hex, uint8_t **out, size_t *len)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "attachment";
    req.sha256 = (char *)hex;
    Gridlink__V1__CtlReply *rep = net_call(n, node, &req, T0);
    int code = rep->code;
    if (code == 0) {
        *out = malloc(rep->data.len);
        memcpy(*out, rep->data.data, rep->data.len);
        *len = rep->data.len;
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return code;
}

static void expect_file(net_t *n, const char *node, const char *hex, const uint8_t *want, size_t len)
{
    uint8_t *got = NULL;
    size_t got_len = 0;
    int code = fetch(n, node, hex, &got, &got_len);
    if (code != 0)
        fail_msg("%s does not serve %s: %d", node, hex, code);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, want, len);
    free(got);
}

static Gridlink__V1__CtlReply *report(net_t *n, const char *hex, int64_t now)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "submit";
    req.category = "urban/roads";
    req.text = "路面塌陷";
    char *list[] = {(char *)hex};
    req.attachments = list;
    req.n_attachments = 1;
    return net_call(n, G1, &req, now);
}

static void test_photo_climbs_with_its_case(void **state)
{
    net_t *n = *state;
    size_t len = 3 * GL_FILE_CHUNK + 1234; /* four chunks */
    uint8_t *data = photo(len, 7);
    char hex[65];
    assert_int_equal(attach(n, G1, data, len, "image/jpeg", hex), 0);
    char again[65];
    assert_int_equal(attach(n, G1, data, len, "image/jpeg", again), 0); /* stored once */
    assert_string_equal(hex, again);

    Gridlink__V1__CtlReply *rep = report(n, hex, T0 + 1000);
    assert_int_equal(rep->code, 0);
    char id[64];
    snprintf(id, sizeof id, "%s", rep->case_id);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    int first = net_settle(n, T0 + 1000);
    expect_file(n, C01, hex, data, len);
    Gridlink__V1__Case *c = net_case(n, C01, id);
    assert_non_null(c);
    assert_int_equal(c->n_attachments, 1);
    assert_string_equal(c->attachments[0], hex);
    gridlink__v1__case__free_unpacked(c, NULL);
    /* The township has not seen the case, nor the photo. */
    uint8_t *none = NULL;
    size_t none_len;
    assert_int_equal(fetch(n, TOWNSHIP, hex, &none, &none_len), GL_ENOENT);

    /* A second report with the same photo: no chunk crosses again. */
    rep = report(n, hex, T0 + 2000);
    assert_int_equal(rep->code, 0);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    int second = net_settle(n, T0 + 2000);
    assert_true(second < first);

    /* Escalated, the case brings it to the township. */
    Gridlink__V1__CtlReply *r = net_act(n, C01, id, "escalate", T0 + 3000);
    assert_int_equal(r->code, 0);
    gridlink__v1__ctl_reply__free_unpacked(r, NULL);
    net_settle(n, T0 + 3000);
    expect_file(n, TOWNSHIP, hex, data, len);
    net_assert_quiet(n);
    free(data);
}

static void test_refusals(void **state)
{
    net_t *n = *state;
    assert_int_equal(attach(n, G1, (const uint8_t *)"just some text", 14, "image/png", NULL), GL_EINVAL);
    uint8_t *data = photo(1000, 3);
    assert_int_equal(attach(n, G1, data, 1000, "text/html", NULL), GL_EINVAL);
    /* A case naming a photo never stored here. */
    uint8_t h[32];
    char hex[65];
    crypto_hash_sha256(h, data, 1000);
    gl_sha256_to_hex(h, hex);
    Gridlink__V1__CtlReply *rep = report(n, hex, T0 + 1000);
    assert_int_equal(rep->code, GL_EINVAL);
    assert_non_null(strstr(rep->error, "not stored"));
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    assert_int_equal(net_case_count(n, G1), 0);
    free(data);
}

/* A chunk handed straight to the community's engine as the grid's next
 * sequenced message (as a compromised grid might send it). */
static void inject(net_t *n, const Gridlink__V1__FileChunk *fc)
{
    gl_link_t *l = net_link(n, C01, G1);
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.version = GL_PROTO_VERSION;
    env.sender = G1;
    env.seq = gl_link_expected(l);
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_FILE_CHUNK;
    env.file_chunk = (Gridlink__V1__FileChunk *)fc;
    size_t len = gridlink__v1__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(len);
    gridlink__v1__envelope__pack(&env, buf);
    gl_store_t *s = net_store(n, C01);
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(s, NULL, true, &txn), 0);
    gl_link_mark(l);
    assert_int_equal(gl_engine_frame(net_engine(n, C01), txn, 0, buf, len, T0), 0);
    assert_int_equal(gl_link_save(l, txn), 0);
    assert_int_equal(gl_store_commit(txn), 0);
    gl_link_commit(l);
    free(buf);
}

static void test_bad_chunks_from_a_neighbour(void **state)
{
    net_t *n = *state;
    size_t len = 2 * GL_FILE_CHUNK;
    uint8_t *data = photo(len, 9);
    uint8_t h[32];
    crypto_hash_sha256(h, data, len);
    char hex[65];
    gl_sha256_to_hex(h, hex);
    Gridlink__V1__FileChunk fc = GRIDLINK__V1__FILE_CHUNK__INIT;
    fc.sha256.data = h;
    fc.sha256.len = 32;
    fc.count = 2;
    fc.size = len;
    fc.content_type = "image/jpeg";
    fc.data.len = GL_FILE_CHUNK;

    /* The second chunk before the first: refused by number. */
    uint64_t refused = gl_engine_counters(net_engine(n, C01))->refused_in;
    fc.index = 1;
    fc.data.data = data + GL_FILE_CHUNK;
    inject(n, &fc);
    assert_int_equal(gl_engine_counters(net_engine(n, C01))->refused_in, refused + 1);

    /* Both in order, but the second altered: taken, checked, dropped. */
    uint64_t malformed = gl_engine_counters(net_engine(n, C01))->malformed;
    fc.index = 0;
    fc.data.data = data;
    inject(n, &fc);
    uint8_t *none = NULL;
    size_t none_len;
    assert_int_equal(fetch(n, C01, hex, &none, &none_len), GL_ENOENT); /* half a file is never served */
    data[len - 1] ^= 1;
    fc.index = 1;
    fc.data.data = data + GL_FILE_CHUNK;
    inject(n, &fc);
    assert_int_equal(gl_engine_counters(net_engine(n, C01))->malformed, malformed + 1);
    assert_int_equal(fetch(n, C01, hex, &none, &none_len), GL_ENOENT);

    /* Sent right, it is stored. */
    data[len - 1] ^= 1;
    fc.index = 0;
    fc.data.data = data;
    inject(n, &fc);
    fc.index = 1;
    fc.data.data = data + GL_FILE_CHUNK;
    inject(n, &fc);
    expect_file(n, C01, hex, data, len);
    free(data);
}

static Gridlink__V1__CtlReply *publish(net_t *n, const char *node, const char *id, const char *sha, int64_t now)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "act";
    req.case_id = (char *)id;
    req.action = "publish-photo";
    req.note = (char *)sha;
    return net_call(n, node, &req, now);
}

static void test_publish_photo(void **state)
{
    net_t *n = *state;
    uint8_t *data = photo(5000, 3);
    char hex[65], other[65];
    assert_int_equal(attach(n, G1, data, 5000, "image/jpeg", hex), 0);
    data[100] ^= 1;
    assert_int_equal(attach(n, C01, data, 5000, "image/jpeg", other), 0);
    free(data);
    Gridlink__V1__CtlReply *rep = report(n, hex, T0 + 1000);
    assert_int_equal(rep->code, 0);
    char id[64];
    snprintf(id, sizeof id, "%s", rep->case_id);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    net_settle(n, T0 + 1000);
    /* A file that is not the case's, or none, is refused. */
    const char *bad[] = {other, "", "not-a-hash"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rep = publish(n, C01, id, bad[i], T0 + 2000);
        assert_int_equal(rep->code, GL_EINVAL);
        assert_non_null(strstr(rep->error, "publish-photo"));
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    }
    /* The holder publishes it; the grid's copy hears of it. */
    rep = publish(n, C01, id, hex, T0 + 3000);
    assert_int_equal(rep->code, 0);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    net_settle(n, T0 + 3000);
    Gridlink__V1__Case *c = net_case(n, C01, id);
    assert_int_equal(net_history(c, "photo-published", C01), 1);
    assert_string_equal(c->history[c->n_history - 1]->note, hex);
    assert_int_equal(c->state, GRIDLINK__V1__CASE_STATE__STATE_REPORTED); /* the state stays */
    gridlink__v1__case__free_unpacked(c, NULL);
    assert_int_equal(net_events(n, C01, "photo-published", id), 1);
    c = net_case(n, G1, id);
    assert_int_equal(net_history(c, "photo-published", C01), 1);
    gridlink__v1__case__free_unpacked(c, NULL);
    net_assert_quiet(n);
}

int main(void)
{
    gl_log_init("test_files", GL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_photo_climbs_with_its_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_chunks_from_a_neighbour, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_photo, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
