/* fuzz_survey.c: any bytes as a survey's definition and a resident's
 * answer (both JSON, split at the first NUL byte; with none, the bytes are
 * tried as each against a fixed definition) must be refused with a reason
 * or read into messages that pass the checks, pack, and tally; the
 * results' JSON is made of them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "survey.h"

static const char fixed[] =
    "{\"title\": \"需求\", \"questions\": ["
    "{\"id\": \"a\", \"kind\": \"single\", \"text\": \"甲\", \"required\": true, \"options\": [\"x\", \"y\"]},"
    "{\"id\": \"b\", \"kind\": \"multi\", \"text\": \"乙\", \"options\": [\"x\", \"y\", \"z\"]},"
    "{\"id\": \"c\", \"kind\": \"scale\", \"text\": \"丙\"}, {\"id\": \"d\", \"kind\": \"number\", \"text\": \"丁\"},"
    "{\"id\": \"e\", \"kind\": \"text\", \"text\": \"戊\"}]}";

static gl_survey *definition(const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return NULL;
    char why[512] = "";
    gl_survey *s = NULL;
    int rc = gl_survey_from_json(j, &s, why, sizeof why);
    json_decref(j);
    if ((rc == 0) != (s != NULL) || (rc != 0 && !why[0]))
        abort();
    if (s && gl_survey_check(s, false, why, sizeof why) != 0)
        abort();
    return s;
}

static void answer(gl_survey *s, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return;
    char why[512] = "";
    gl_survey_answer *a = NULL;
    int rc = gl_survey_answer_from_json(j, s, &a, why, sizeof why);
    json_decref(j);
    if ((rc == 0) != (a != NULL) || (rc != 0 && !why[0]))
        abort();
    if (!a)
        return;
    if (gl_survey_answer_check(a, s, why, sizeof why) != 0)
        abort();
    uint8_t *buf;
    size_t n;
    if (gl_pack(&a->base, &buf, &n) != 0)
        abort();
    free(buf);
    gl_survey_tally(s, a);
    s->id = strdup("x.y-s1");
    s->unit = strdup("x.y");
    s->version = 1;
    if (gl_survey_check(s, true, why, sizeof why) != 0)
        abort();
    json_t *out = gl_survey_json(s, "单位", &a, 1, true);
    if (!out)
        abort();
    json_decref(out);
    gridlink__v1__survey_answer__free_unpacked(a, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const uint8_t *nul = memchr(data, 0, size);
    if (nul) {
        gl_survey *s = definition(text, (size_t)(nul - data));
        if (s) {
            answer(s, (const char *)nul + 1, size - (size_t)(nul - data) - 1);
            gridlink__v1__survey__free_unpacked(s, NULL);
        }
        return 0;
    }
    gl_survey *s = definition(text, size);
    if (s)
        gridlink__v1__survey__free_unpacked(s, NULL);
    s = definition(fixed, sizeof fixed - 1);
    if (!s)
        abort();
    answer(s, text, size);
    gridlink__v1__survey__free_unpacked(s, NULL);
    return 0;
}
