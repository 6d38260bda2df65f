/* test_survey.c: needs surveys: definitions read from JSON and refused
 * with reasons past their bounds, residents' answers read against a
 * definition, the tallies of a set of answers against counts computed
 * here, the store's one answer per code, survey IDs, and a SurveyTally on
 * the wire checked by the envelope decoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "error.h"
#include "store.h"
#include "survey.h"

#define DEF                                                                                                            \
    "{\"title\": \"社区需求\", \"intro\": \"请填写\", \"questions\": ["                                         \
    "{\"id\": \"need\", \"kind\": \"single\", \"text\": \"最需要\", \"required\": true, "                           \
    "\"options\": [\"助餐\", \"托育\", \"停车\"]},"                                                              \
    "{\"id\": \"also\", \"kind\": \"multi\", \"text\": \"还要\", \"options\": [\"法律\", \"就业\"]},"            \
    "{\"id\": \"sat\", \"kind\": \"scale\", \"text\": \"满意度\"},"                                                 \
    "{\"id\": \"age\", \"kind\": \"number\", \"text\": \"年龄\"},"                                                   \
    "{\"id\": \"say\", \"kind\": \"text\", \"text\": \"建议\"}]}"

static gl_survey *def_of(const char *text, int *rc, char *why, size_t whylen)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("bad test JSON: %s", je.text);
    gl_survey *s = NULL;
    *rc = gl_survey_from_json(j, &s, why, whylen);
    json_decref(j);
    return s;
}

static gl_survey *good_def(void)
{
    int rc;
    char why[300] = "";
    gl_survey *s = def_of(DEF, &rc, why, sizeof why);
    if (rc != 0)
        fail_msg("the definition is refused: %s", why);
    return s;
}

static void definition_read(void **state)
{
    (void)state;
    gl_survey *s = good_def();
    assert_string_equal(s->title, "社区需求");
    assert_int_equal(s->n_questions, 5);
    assert_int_equal(s->questions[0]->kind, GRIDLINK__V1__SURVEY_KIND__SURVEY_SINGLE);
    assert_true(s->questions[0]->required);
    assert_int_equal(s->questions[0]->n_counts, 3);
    assert_int_equal(s->questions[2]->n_counts, GL_SURVEY_SCALE);
    assert_int_equal(s->questions[3]->n_counts, 0);
    gridlink__v1__survey__free_unpacked(s, NULL);
}

static void refused(const char *text, const char *reason)
{
    int rc;
    char why[300] = "";
    gl_survey *s = def_of(text, &rc, why, sizeof why);
    if (rc != GL_EINVAL || s)
        fail_msg("taken: %s", text);
    if (!strstr(why, reason))
        fail_msg("refused for '%s', not for '%s': %s", why, reason, text);
}

static void definition_refused(void **state)
{
    (void)state;
    refused("[]", "object");
    refused("{\"title\": \"t\", \"questions\": []}", "1..40");
    refused("{\"title\": \"\", \"questions\": [{\"id\": \"a\", \"kind\": \"text\", \"text\": \"q\"}]}", "title");
    refused("{\"title\": \"t\", \"questions\": [{\"id\": \"a\", \"kind\": \"pick\", \"text\": \"q\"}]}", "kind");
    refused("{\"title\": \"t\", \"questions\": [{\"id\": \"a\", \"kind\": \"single\", \"text\": \"q\", "
            "\"options\": [\"x\"]}]}",
            "2..20");
    refused("{\"title\": \"t\", \"questions\": [{\"id\": \"a\", \"kind\": \"single\", \"text\": \"q\", "
            "\"options\": [\"x\", \"x\"]}]}",
            "twice");
    refused("{\"title\": \"t\", \"questions\": [{\"id\": \"a\", \"kind\": \"text\", \"text\": \"q\", "
            "\"options\": [\"x\", \"y\"]}]}",
            "only single and multi");
    refused("{\"title\": \"t\", \"questions\": [{\"id\": \"a\", \"kind\": \"text\", \"text\": \"q\"}, "
            "{\"id\": \"a\", \"kind\": \"text\", \"text\": \"r\"}]}",
            "twice");
    refused("{\"title\": \"t\", \"questions\": [{\"id\": \"a b\", \"kind\": \"text\", \"text\": \"q\"}]}", "id");
    refused("{\"title\": \"t\", \"closes\": \"tomorrow\", \"questions\": [{\"id\": \"a\", \"kind\": \"text\", "
            "\"text\": \"q\"}]}",
            "ISO 8601");
    refused("{\"title\": \"t\", \"colour\": 1, \"questions\": []}", "unknown field");
    /* Past the bounds: 41 questions, a title of 101 characters. */
    char big[16384];
    size_t n = (size_t)snprintf(big, sizeof big, "{\"title\": \"t\", \"questions\": [");
    for (int i = 0; i < 41; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"id\": \"q%d\", \"kind\": \"text\", \"text\": \"q\"}",
                              i ? "," : "", i);
    snprintf(big + n, sizeof big - n, "]}");
    refused(big, "1..40");
    char title[512] = "";
    for (int i = 0; i < 101; i++)
        strcat(title, "字");
    snprintf(big, sizeof big,
             "{\"title\": \"%s\", \"questions\": [{\"id\": \"a\", \"kind\": \"text\", \"text\": \"q\"}]}", title);
    refused(big, "title");
}

static gl_survey_answer *answer_of(const gl_survey *def, const char *text, int *rc, char *why, size_t whylen)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("bad test JSON: %s", je.text);
    gl_survey_answer *a = NULL;
    *rc = gl_survey_answer_from_json(j, def, &a, why, whylen);
    json_decref(j);
    return a;
}

static void answers_checked(void **state)
{
    (void)state;
    gl_survey *def = good_def();
    static const struct {
        const char *text;
        bool ok;
    } cases[] = {
        {"{\"need\": \"托育\"}", true},
        {"{\"need\": 3, \"also\": [\"法律\", 2], \"sat\": 5, \"age\": 40.5, \"say\": \"好\"}", true},
        {"{\"need\": \"托育\", \"also\": [], \"say\": \"\"}", true},
        {"{}", false},                              /* need is required */
        {"{\"need\": \"飞机\"}", false},            /* not an option */
        {"{\"need\": 4}", false},                   /* options are 1..3 */
        {"{\"need\": 1, \"also\": [1, 1]}", false}, /* twice */
        {"{\"need\": 1, \"sat\": 6}", false},
        {"{\"need\": 1, \"sat\": 2.5}", false},
        {"{\"need\": 1, \"age\": 1e12}", false},
        {"{\"need\": 1, \"age\": \"forty\"}", false},
        {"{\"need\": 1, \"say\": 7}", false},
        {"{\"need\": 1, \"who\": 1}", false},
        {"[1]", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        char why[300] = "";
        gl_survey_answer *a = answer_of(def, cases[i].text, &rc, why, sizeof why);
        if ((rc == 0) != cases[i].ok)
            fail_msg("%s: %s (%s)", cases[i].text, rc == 0 ? "taken" : "refused", why);
        if (!cases[i].ok)
            assert_true(why[0] != 0);
        if (a)
            gridlink__v1__survey_answer__free_unpacked(a, NULL);
    }
    gridlink__v1__survey__free_unpacked(def, NULL);
}

/* Answers made from numbers, tallied, against counts computed here. */
static void tallies_match(void **state)
{
    (void)state;
    gl_survey *s = good_def();
    uint64_t need[3] = {0}, also[2] = {0}, sat[5] = {0}, n_sat = 0, n_age = 0, n_say = 0;
    double sat_sum = 0, age_sum = 0, age_min = 0, age_max = 0;
    unsigned seed = 7;
    for (int i = 0; i < 200; i++) {
        int nd = (int)(rand_r(&seed) % 3), al = (int)(rand_r(&seed) % 4), st = (int)(rand_r(&seed) % 6);
        int age = (int)(rand_r(&seed) % 90), say = (int)(rand_r(&seed) % 2);
        char text[300];
        snprintf(text, sizeof text, "{\"need\": %d, \"also\": [%s], \"sat\": %s, \"age\": %d%s}", nd + 1,
                 al == 0   ? ""
                 : al == 1 ? "1"
                 : al == 2 ? "2"
                           : "1, 2",
                 st ? (char[]){(char)('0' + st), 0} : "null", age, say ? ", \"say\": \"意见\"" : "");
        int rc;
        char why[300];
        gl_survey_answer *a = answer_of(s, text, &rc, why, sizeof why);
        if (rc != 0)
            fail_msg("%s refused: %s", text, why);
        gl_survey_tally(s, a);
        gridlink__v1__survey_answer__free_unpacked(a, NULL);
        need[nd]++;
        also[0] += al == 1 || al == 3;
        also[1] += al == 2 || al == 3;
        if (st) {
            sat[st - 1]++;
            n_sat++;
            sat_sum += st;
        }
        age_min = n_age == 0 || age < age_min ? age : age_min;
        age_max = n_age == 0 || age > age_max ? age : age_max;
        n_age++;
        age_sum += age;
        n_say += say;
    }
    assert_int_equal(s->answers, 200);
    for (int k = 0; k < 3; k++)
        assert_int_equal(s->questions[0]->counts[k], need[k]);
    for (int k = 0; k < 2; k++)
        assert_int_equal(s->questions[1]->counts[k], also[k]);
    for (int k = 0; k < 5; k++)
        assert_int_equal(s->questions[2]->counts[k], sat[k]);
    assert_int_equal(s->questions[2]->answered, n_sat);
    assert_true(s->questions[2]->sum == sat_sum);
    assert_int_equal(s->questions[3]->answered, n_age);
    assert_true(s->questions[3]->sum == age_sum && s->questions[3]->min == age_min && s->questions[3]->max == age_max);
    assert_int_equal(s->questions[4]->answered, n_say);
    /* The results' JSON carries the same. */
    json_t *j = gl_survey_json(s, "社区", NULL, 0, true);
    assert_int_equal(json_integer_value(json_array_get(
                         json_object_get(json_array_get(json_object_get(j, "questions"), 0), "counts"), 1)),
                     need[1]);
    assert_true(json_real_value(json_object_get(json_array_get(json_object_get(j, "questions"), 2), "mean")) ==
                sat_sum / (double)n_sat);
    json_decref(j);
    /* Public: no counts. */
    j = gl_survey_json(s, "社区", NULL, 0, false);
    assert_null(json_object_get(json_array_get(json_object_get(j, "questions"), 0), "counts"));
    assert_null(json_object_get(json_array_get(json_object_get(j, "questions"), 0), "answered"));
    assert_null(json_object_get(j, "answers"));
    json_decref(j);
    gridlink__v1__survey__free_unpacked(s, NULL);
}

static void ids(void **state)
{
    (void)state;
    assert_true(gl_survey_id_valid("xinbei.sanjing.c01-s1", NULL));
    assert_true(gl_survey_id_valid("xinbei.sanjing.c01-s12", "xinbei.sanjing.c01"));
    assert_false(gl_survey_id_valid("xinbei.sanjing.c01-s12", "xinbei.sanjing"));
    assert_false(gl_survey_id_valid("xinbei.sanjing.c01-000012", NULL));
    assert_false(gl_survey_id_valid("xinbei-s", NULL));
    assert_false(gl_survey_id_valid("-s1", NULL));
    assert_false(gl_survey_id_valid("xinbei-s1x", NULL));
}

static void store_one_answer_per_code(void **state)
{
    (void)state;
    char dir[] = "/tmp/gl-test-survey-XXXXXX";
    assert_non_null(mkdtemp(dir));
    gl_store_t *st;
    assert_int_equal(gl_store_open(dir, "xinbei.sanjing.c01", NULL, &st), 0);
    gl_survey *s = good_def();
    s->id = strdup("xinbei.sanjing.c01-s1");
    s->unit = strdup("xinbei.sanjing.c01");
    s->version = 1;
    MDB_txn *txn;
    assert_int_equal(gl_store_begin(st, NULL, true, &txn), 0);
    assert_int_equal(gl_store_survey_put(txn, st, s), 0);
    uint8_t h1[GL_RECEIPT_HASH] = {1}, h2[GL_RECEIPT_HASH] = {2};
    assert_int_equal(gl_store_survey_ticket_put(txn, st, s->id, h1), 0);
    assert_int_equal(gl_store_survey_ticket_put(txn, st, s->id, h1), GL_EEXIST);
    assert_int_equal(gl_store_survey_ticket_has(txn, st, s->id, h1), 1);
    assert_int_equal(gl_store_survey_ticket_has(txn, st, s->id, h2), 0);
    assert_int_equal(gl_store_survey_ticket_has(txn, st, "xinbei.sanjing.c01-s2", h1), 0);
    Gridlink__V1__SurveyAnswer a = GRIDLINK__V1__SURVEY_ANSWER__INIT;
    a.via = "ticket";
    assert_int_equal(gl_store_survey_answered(txn, st, s->id, h1), 0);
    assert_int_equal(gl_store_survey_answer_put(txn, st, s->id, h1, &a), 0);
    assert_int_equal(gl_store_survey_answer_put(txn, st, s->id, h1, &a), GL_EEXIST);
    assert_int_equal(gl_store_survey_answered(txn, st, s->id, h1), 1);
    assert_int_equal(gl_store_commit(txn), 0);
    assert_int_equal(gl_store_begin(st, NULL, false, &txn), 0);
    gl_survey *back = NULL;
    assert_int_equal(gl_store_survey_get(txn, st, s->id, &back), 0);
    assert_string_equal(back->title, s->title);
    gridlink__v1__survey__free_unpacked(back, NULL);
    assert_int_equal(gl_store_survey_get(txn, st, "xinbei.sanjing.c01-s9", &back), GL_ENOENT);
    gl_store_abort(txn);
    gridlink__v1__survey__free_unpacked(s, NULL);
    gl_store_close(&st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A tally on the wire: taken when well-formed, refused otherwise. */
static int decode_tally(gl_survey *s)
{
    Gridlink__V1__SurveyTally t = GRIDLINK__V1__SURVEY_TALLY__INIT;
    t.survey = s;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.version = GL_PROTO_VERSION;
    env.sender = "xinbei.sanjing.c01";
    env.seq = 3;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_SURVEY_TALLY;
    env.survey_tally = &t;
    uint8_t *buf;
    size_t len;
    assert_int_equal(gl_pack(&env.base, &buf, &len), 0);
    Gridlink__V1__Envelope *out = NULL;
    char err[256];
    int rc = gl_decode_envelope(buf, len, &out, err, sizeof err);
    free(buf);
    if (out)
        gridlink__v1__envelope__free_unpacked(out, NULL);
    return rc;
}

static void tally_on_the_wire(void **state)
{
    (void)state;
    gl_survey *s = good_def();
    assert_int_not_equal(decode_tally(s), 0); /* no id, unit, version */
    s->id = strdup("xinbei.sanjing.c01-s1");
    s->unit = strdup("xinbei.sanjing.c01");
    s->version = 2;
    assert_int_equal(decode_tally(s), 0);
    free(s->unit);
    s->unit = strdup("xinbei.sanjing");
    assert_int_not_equal(decode_tally(s), 0); /* the id is not the unit's */
    free(s->unit);
    s->unit = strdup("xinbei.sanjing.c01");
    s->questions[0]->n_counts = 2; /* counts that do not fit the options */
    assert_int_not_equal(decode_tally(s), 0);
    s->questions[0]->n_counts = 3;
    s->questions[0]->answered = 5; /* more than the survey's answers */
    assert_int_not_equal(decode_tally(s), 0);
    gridlink__v1__survey__free_unpacked(s, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(definition_read),
        cmocka_unit_test(definition_refused),
        cmocka_unit_test(answers_checked),
        cmocka_unit_test(tallies_match),
        cmocka_unit_test(ids),
        cmocka_unit_test(store_one_answer_per_code),
        cmocka_unit_test(tally_on_the_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
