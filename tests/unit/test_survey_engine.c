/* test_survey_engine.c: needs surveys in the engines of a small district
 * (engine_net): a community publishes a survey and issues survey codes;
 * residents answer once per code (a reused code, an unknown one, an
 * answer off the definition and one by staff are refused); the tallies
 * climb to the township and the district with the counts the answers
 * make; a need becomes a task that the grid holds, recorded on the survey
 * everywhere. A tally from a child about a unit outside its subtree is
 * refused and counted, an older tally is ignored, and one of a restored
 * store (another identity) is taken whatever its version. */
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
#include "survey.h"

#define D        "xinbei"
#define TOWNSHIP "xinbei.sanjing"
#define C01      "xinbei.sanjing.c01"
#define G1       "xinbei.sanjing.c01.g1"
#define T0       1700000000000LL

static const char *topology_json =
    "{\"name\": \"district\", \"port_base\": 17400,"
    " \"categories\": [{\"code\": \"services\", \"name\": \"民生服务\", \"accept_s\": 60, \"resolve_s\": 600,"
    "   \"subcategories\": [{\"code\": \"services/elderly\", \"name\": \"养老服务\", \"accept_s\": 60, \"resolve_s\": "
    "600}]}],"
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

static gl_survey *definition(void)
{
    const char *text = "{\"title\": \"需求\", \"questions\": ["
                       "{\"id\": \"need\", \"kind\": \"single\", \"text\": \"最需要\", \"required\": true, "
                       "\"options\": [\"助餐\", \"托育\"]},"
                       "{\"id\": \"sat\", \"kind\": \"scale\", \"text\": \"满意度\"}]}";
    json_t *j = json_loads(text, 0, NULL);
    gl_survey *s = NULL;
    char why[200];
    assert_int_equal(gl_survey_from_json(j, &s, why, sizeof why), 0);
    json_decref(j);
    return s;
}

static Gridlink__V1__CtlReply *answer(net_t *n, const uint8_t *hash, bool by_receipt, int need, int sat, unsigned role)
{
    Gridlink__V1__SurveyValue v1 = GRIDLINK__V1__SURVEY_VALUE__INIT, v2 = GRIDLINK__V1__SURVEY_VALUE__INIT;
    uint32_t choice = (uint32_t)need;
    v1.question = "need";
    v1.choices = &choice;
    v1.n_choices = need >= 0 ? 1 : 0;
    v2.question = "sat";
    v2.number = sat;
    Gridlink__V1__SurveyValue *vals[] = {&v1, &v2};
    Gridlink__V1__SurveyAnswer a = GRIDLINK__V1__SURVEY_ANSWER__INIT;
    a.values = vals;
    a.n_values = 2;
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "survey-answer";
    req.survey_id = C01 "-s1";
    req.answer = &a;
    req.receipt.data = (uint8_t *)hash;
    req.receipt.len = 32;
    req.by_receipt = by_receipt;
    return net_call_as(n, C01, role, &req, T0 + 1000);
}

static void hash_of(const char *code, uint8_t h[32])
{
    crypto_generichash(h, 32, (const unsigned char *)code, strlen(code), NULL, 0);
}

static gl_survey *stored(net_t *n, const char *node)
{
    MDB_txn *txn;
    gl_store_t *s = net_store(n, node);
    assert_int_equal(gl_store_begin(s, NULL, false, &txn), 0);
    gl_survey *sv = NULL;
    int rc = gl_store_survey_get(txn, s, C01 "-s1", &sv);
    gl_store_abort(txn);
    return rc == 0 ? sv : NULL;
}

static void expect_code(Gridlink__V1__CtlReply *rep, int code)
{
    if (rep->code != code)
        fail_msg("reply %d (%s), expected %d", rep->code, rep->error, code);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static void test_survey_climbs(void **state)
{
    net_t *n = *state;
    gl_survey *def = definition();
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "survey-publish";
    req.survey = def;
    Gridlink__V1__CtlReply *rep = net_call(n, C01, &req, T0);
    assert_int_equal(rep->code, 0);
    assert_string_equal(rep->surveys[0]->id, C01 "-s1");
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    expect_code(net_call(n, G1, &req, T0), GL_EPERM); /* a grid publishes none */
    gridlink__v1__survey__free_unpacked(def, NULL);

    Gridlink__V1__CtlRequest tk = GRIDLINK__V1__CTL_REQUEST__INIT;
    tk.op = "survey-tickets";
    tk.survey_id = C01 "-s1";
    tk.count = 3;
    rep = net_call(n, C01, &tk, T0);
    assert_int_equal(rep->code, 0);
    assert_int_equal(rep->n_codes, 3);
    uint8_t h[3][32];
    for (int i = 0; i < 3; i++)
        hash_of(rep->codes[i], h[i]);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);

    expect_code(answer(n, h[0], false, 0, 4, GL_ROLE_RESIDENT), 0);
    expect_code(answer(n, h[1], false, 0, 5, GL_ROLE_RESIDENT), 0);
    expect_code(answer(n, h[2], false, 1, 2, GL_ROLE_RESIDENT), 0);
    uint8_t receipt[32] = {7};
    expect_code(answer(n, receipt, true, 1, 4, GL_ROLE_RESIDENT), 0); /* a follow-up code the door found */
    expect_code(answer(n, h[1], false, 1, 1, GL_ROLE_RESIDENT), GL_EEXIST);
    expect_code(answer(n, receipt, true, 0, 1, GL_ROLE_RESIDENT), GL_EEXIST);
    uint8_t unknown[32] = {9};
    expect_code(answer(n, unknown, false, 0, 1, GL_ROLE_RESIDENT), GL_ENOENT);
    expect_code(answer(n, unknown, true, 5, 1, GL_ROLE_RESIDENT), GL_EINVAL);  /* no option 6 */
    expect_code(answer(n, unknown, true, -1, 3, GL_ROLE_RESIDENT), GL_EINVAL); /* need is required */
    expect_code(answer(n, unknown, true, 0, 3, GL_ROLE_OPERATOR), GL_EPERM);   /* a resident's only */
    net_settle(n, T0 + 2000);

    const char *nodes[] = {C01, TOWNSHIP, D};
    for (int i = 0; i < 3; i++) {
        gl_survey *s = stored(n, nodes[i]);
        if (!s)
            fail_msg("%s has no copy of the survey", nodes[i]);
        assert_int_equal(s->answers, 4);
        assert_int_equal(s->questions[0]->counts[0], 2);
        assert_int_equal(s->questions[0]->counts[1], 2);
        assert_int_equal(s->questions[1]->counts[3], 2); /* 4 twice */
        assert_true(s->questions[1]->sum == 15);
        gridlink__v1__survey__free_unpacked(s, NULL);
    }

    /* A need into a task at the grid. */
    Gridlink__V1__CtlRequest t = GRIDLINK__V1__CTL_REQUEST__INIT;
    t.op = "survey-task";
    t.survey_id = C01 "-s1";
    t.question = "need";
    t.option = 1;
    t.to = G1;
    t.category = "services/elderly";
    rep = net_call(n, C01, &t, T0 + 3000);
    assert_int_equal(rep->code, 0);
    char task[64];
    snprintf(task, sizeof task, "%s", rep->case_id);
    assert_non_null(strstr(rep->case_->text, "助餐"));
    assert_non_null(strstr(rep->case_->text, "2 人选择"));
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    net_settle(n, T0 + 4000);
    Gridlink__V1__Case *c = net_case(n, G1, task);
    assert_non_null(c);
    assert_string_equal(c->holder, G1);
    gridlink__v1__case__free_unpacked(c, NULL);
    gl_survey *s = stored(n, D);
    assert_int_equal(s->n_tasks, 1);
    assert_string_equal(s->tasks[0], task);
    gridlink__v1__survey__free_unpacked(s, NULL);
    net_assert_quiet(n);
}

/* A tally from `from` (a child of `at`, index child) as the link carries it. */
static void inject(net_t *n, const char *at, const char *from, int child, gl_survey *s)
{
    gl_link_t *l = net_link(n, at, from);
    Gridlink__V1__SurveyTally t = GRIDLINK__V1__SURVEY_TALLY__INIT;
    t.survey = s;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.version = GL_PROTO_VERSION;
    env.sender = (char *)from;
    env.seq = gl_link_expected(l);
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_SURVEY_TALLY;
    env.survey_tally = &t;
    uint8_t *buf;
    size_t len;
    assert_int_equal(gl_pack(&env.base, &buf, &len), 0);
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(net_store(n, at), NULL, true, &txn), 0);
    gl_link_mark(l);
    assert_int_equal(gl_engine_frame(net_engine(n, at), txn, child, buf, len, T0), 0);
    assert_int_equal(gl_link_save(l, txn), 0);
    assert_int_equal(gl_store_commit(txn), 0);
    gl_link_commit(l);
    free(buf);
}

static void test_forged_and_old_tallies(void **state)
{
    net_t *n = *state;
    gl_survey *s = definition();
    s->id = strdup(C01 "-s1");
    s->unit = strdup(C01);
    s->version = 5;
    s->answers = 1;
    s->questions[0]->counts[0] = 1;
    s->questions[0]->answered = 1;
    /* The grid speaks for its community: refused, counted. */
    uint64_t spoofed = gl_engine_counters(net_engine(n, C01))->spoofed;
    inject(n, C01, G1, 0, s);
    assert_int_equal(gl_engine_counters(net_engine(n, C01))->spoofed, spoofed + 1);
    assert_null(stored(n, C01));
    /* The community's own tally is taken at the township, an older one is not. */
    inject(n, TOWNSHIP, C01, 0, s);
    s->version = 3;
    s->answers = 9;
    inject(n, TOWNSHIP, C01, 0, s);
    gl_survey *got = stored(n, TOWNSHIP);
    assert_non_null(got);
    assert_int_equal(got->version, 5);
    assert_int_equal(got->answers, 1);
    gridlink__v1__survey__free_unpacked(got, NULL);
    /* The community's store restored from a backup: its versions start
     * lower, under another identity, and are taken. */
    s->store.data = malloc(16);
    memset(s->store.data, 0xA5, 16);
    s->store.len = 16;
    s->version = 2;
    s->answers = 0;
    s->questions[0]->counts[0] = 0;
    s->questions[0]->answered = 0;
    inject(n, TOWNSHIP, C01, 0, s);
    got = stored(n, TOWNSHIP);
    assert_int_equal(got->version, 2);
    assert_int_equal(got->answers, 0);
    gridlink__v1__survey__free_unpacked(got, NULL);
    gridlink__v1__survey__free_unpacked(s, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_survey_climbs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_and_old_tallies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
