/* survey.c: needs surveys' definitions, answers, tallies and results (see
 * survey.h). The messages built here are allocated field by field with
 * malloc, as protobuf-c's free_unpacked frees them. */
#include "survey.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casejson.h"
#include "codec.h"
#include "error.h"
#include "service_attrs.h"
#include "topology.h"

#define KIND(x) GRIDLINK__V1__SURVEY_KIND__SURVEY_##x

static int refuse(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (whylen)
        vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return GL_EINVAL;
}

static const struct {
    Gridlink__V1__SurveyKind kind;
    const char *name, *label;
} kinds[] = {
    {KIND(SINGLE), "single", "单选"}, {KIND(MULTI), "multi", "多选"}, {KIND(SCALE), "scale", "评分"},
    {KIND(NUMBER), "number", "数值"}, {KIND(TEXT), "text", "文字"},
};

const char *gl_survey_kind_name(Gridlink__V1__SurveyKind k)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == k)
            return kinds[i].name;
    return "unknown";
}

const char *gl_survey_kind_label(Gridlink__V1__SurveyKind k)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == k)
            return kinds[i].label;
    return "未知";
}

static bool kind_from(const char *name, Gridlink__V1__SurveyKind *out)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0) {
            *out = kinds[i].kind;
            return true;
        }
    return false;
}

static bool has_options(Gridlink__V1__SurveyKind k)
{
    return k == KIND(SINGLE) || k == KIND(MULTI);
}

/* The number of counts a question of kind k with n options keeps. */
static size_t counts_of(Gridlink__V1__SurveyKind k, size_t n_options)
{
    return has_options(k) ? n_options : k == KIND(SCALE) ? GL_SURVEY_SCALE : 0;
}

/* Characters of valid UTF-8 s no longer than max characters; false otherwise. */
static bool text_fits(const char *s, size_t max, bool nonempty)
{
    if (!s)
        return !nonempty;
    size_t len = strlen(s);
    if (len > max * 4 || !gl_utf8_valid(s, len) || (nonempty && !len))
        return false;
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += ((unsigned char)*p & 0xC0) != 0x80;
    return n <= max;
}

static bool qid_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > GL_SURVEY_QID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int gl_survey_check(const gl_survey *s, bool with_id, char *why, size_t whylen)
{
    if (!s)
        return refuse(why, whylen, "no survey");
    if (with_id && (!text_fits(s->id, 160, true) || !text_fits(s->unit, 128, true) || s->version == 0))
        return refuse(why, whylen, "a survey needs an id, a unit and a version");
    if (!text_fits(s->title, GL_SURVEY_TITLE, true))
        return refuse(why, whylen, "a survey needs a title of 1..%d characters (标题)", GL_SURVEY_TITLE);
    if (!text_fits(s->intro, GL_SURVEY_INTRO, false))
        return refuse(why, whylen, "an introduction is at most %d characters", GL_SURVEY_INTRO);
    if (!text_fits(s->by, 128, false) || s->created_ms < 0 || s->closes_ms < 0 || s->store.len > 64)
        return refuse(why, whylen, "a survey's author or times are out of range");
    if (s->n_questions == 0 || s->n_questions > GL_SURVEY_MAX_QUESTIONS)
        return refuse(why, whylen, "a survey has 1..%d questions", GL_SURVEY_MAX_QUESTIONS);
    if (s->n_tasks > GL_SURVEY_MAX_TASKS)
        return refuse(why, whylen, "a survey records at most %d tasks", GL_SURVEY_MAX_TASKS);
    for (size_t i = 0; i < s->n_tasks; i++)
        if (!gl_case_id_valid(s->tasks[i]))
            return refuse(why, whylen, "a survey's task is not a case ID");
    for (size_t i = 0; i < s->n_questions; i++) {
        const Gridlink__V1__SurveyQuestion *q = s->questions[i];
        if (!qid_ok(q->id))
            return refuse(why, whylen, "question %zu: an id is 1..%d letters, digits, '_' or '-'", i + 1,
                          GL_SURVEY_QID);
        for (size_t k = 0; k < i; k++)
            if (strcmp(s->questions[k]->id, q->id) == 0)
                return refuse(why, whylen, "question id %s is used twice", q->id);
        if (q->kind < KIND(SINGLE) || q->kind > KIND(TEXT))
            return refuse(why, whylen, "question %s: the kind is single, multi, scale, number or text", q->id);
        if (!text_fits(q->text, GL_SURVEY_QTEXT, true))
            return refuse(why, whylen, "question %s: a text of 1..%d characters", q->id, GL_SURVEY_QTEXT);
        if (has_options(q->kind) ? (q->n_options < 2 || q->n_options > GL_SURVEY_MAX_OPTIONS) : q->n_options != 0)
            return refuse(why, whylen, "question %s: %s", q->id,
                          has_options(q->kind) ? "a choice has 2..20 options" : "only single and multi have options");
        for (size_t k = 0; k < q->n_options; k++) {
            if (!text_fits(q->options[k], GL_SURVEY_OPTION, true))
                return refuse(why, whylen, "question %s: an option is 1..%d characters", q->id, GL_SURVEY_OPTION);
            for (size_t m = 0; m < k; m++)
                if (strcmp(q->options[m], q->options[k]) == 0)
                    return refuse(why, whylen, "question %s: option '%.100s' twice", q->id, q->options[k]);
        }
        if (q->n_counts != counts_of(q->kind, q->n_options))
            return refuse(why, whylen, "question %s: the tallies do not fit its options", q->id);
        if (!isfinite(q->sum) || !isfinite(q->min) || !isfinite(q->max) || q->answered > s->answers)
            return refuse(why, whylen, "question %s: the tallies are out of range", q->id);
    }
    return GL_OK;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static Gridlink__V1__SurveyQuestion *question_from(const json_t *jq, size_t i, char *why, size_t whylen)
{
    if (!json_is_object(jq)) {
        refuse(why, whylen, "question %zu is not an object", i + 1);
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)jq, key, v)
    {
        if (strcmp(key, "id") && strcmp(key, "kind") && strcmp(key, "text") && strcmp(key, "required") &&
            strcmp(key, "options")) {
            refuse(why, whylen, "question %zu: unknown field '%.40s'", i + 1, key);
            return NULL;
        }
    }
    json_t *jid = json_object_get(jq, "id"), *jk = json_object_get(jq, "kind"), *jt = json_object_get(jq, "text");
    json_t *jr = json_object_get(jq, "required"), *jo = json_object_get(jq, "options");
    Gridlink__V1__SurveyKind kind;
    if (!json_is_string(jid) || !json_is_string(jt) || !json_is_string(jk) || (jr && !json_is_boolean(jr)) ||
        (jo && !json_is_array(jo))) {
        refuse(why, whylen, "question %zu: {\"id\", \"kind\", \"text\", \"required\"?, \"options\"?: [...]}", i + 1);
        return NULL;
    }
    if (!kind_from(json_string_value(jk), &kind)) {
        refuse(why, whylen, "question %zu: kind '%.40s' is not single, multi, scale, number or text", i + 1,
               json_string_value(jk));
        return NULL;
    }
    size_t n_opt = jo ? json_array_size(jo) : 0;
    if (n_opt > GL_SURVEY_MAX_OPTIONS) {
        refuse(why, whylen, "question %zu: at most %d options", i + 1, GL_SURVEY_MAX_OPTIONS);
        return NULL;
    }
    Gridlink__V1__SurveyQuestion *q = malloc(sizeof *q);
    if (!q)
        return NULL;
    gridlink__v1__survey_question__init(q);
    q->id = dup_or_empty(json_string_value(jid));
    q->text = dup_or_empty(json_string_value(jt));
    q->kind = kind;
    q->required = json_is_true(jr);
    q->options = n_opt ? calloc(n_opt, sizeof *q->options) : NULL;
    size_t nc = counts_of(kind, n_opt);
    q->counts = nc ? calloc(nc, sizeof *q->counts) : NULL;
    q->n_counts = q->counts ? nc : 0;
    bool ok = q->id && q->text && (!n_opt || q->options) && (!nc || q->counts);
    for (size_t k = 0; ok && k < n_opt; k++) {
        json_t *o = json_array_get(jo, k);
        if (!json_is_string(o)) {
            refuse(why, whylen, "question %zu: an option is a string", i + 1);
            ok = false;
            break;
        }
        q->options[k] = strdup(json_string_value(o));
        ok = q->options[k] != NULL;
        q->n_options = k + 1;
    }
    if (!ok) {
        if (!why[0])
            refuse(why, whylen, "out of memory");
        gridlink__v1__survey_question__free_unpacked(q, NULL);
        return NULL;
    }
    return q;
}

int gl_survey_from_json(const json_t *j, gl_survey **out, char *why, size_t whylen)
{
    *out = NULL;
    if (whylen)
        why[0] = 0;
    if (!json_is_object(j))
        return refuse(why, whylen, "a survey is a JSON object {\"title\", \"intro\", \"closes\", \"questions\"}");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        if (strcmp(key, "title") && strcmp(key, "intro") && strcmp(key, "closes") && strcmp(key, "questions"))
            return refuse(why, whylen, "unknown field '%.40s' (title, intro, closes, questions)", key);
    }
    json_t *jt = json_object_get(j, "title"), *ji = json_object_get(j, "intro"), *jc = json_object_get(j, "closes");
    json_t *jq = json_object_get(j, "questions");
    if (!json_is_string(jt) || (ji && !json_is_string(ji)) || (jc && !json_is_string(jc) && !json_is_null(jc)) ||
        !json_is_array(jq))
        return refuse(why, whylen,
                      "a survey needs a title (string) and questions (array); intro and closes are strings");
    size_t n = json_array_size(jq);
    if (n == 0 || n > GL_SURVEY_MAX_QUESTIONS)
        return refuse(why, whylen, "a survey has 1..%d questions", GL_SURVEY_MAX_QUESTIONS);
    int64_t closes = 0;
    if (json_is_string(jc) && json_string_length(jc) && !gl_iso8601_parse(json_string_value(jc), &closes))
        return refuse(why, whylen, "closes is an ISO 8601 time (2026-12-31T18:00:00+08:00)");
    if (closes < 0)
        return refuse(why, whylen, "closes is out of range");
    gl_survey *s = malloc(sizeof *s);
    if (!s)
        return GL_ENOMEM;
    gridlink__v1__survey__init(s);
    s->title = dup_or_empty(json_string_value(jt));
    s->intro = dup_or_empty(ji ? json_string_value(ji) : "");
    s->closes_ms = closes;
    s->questions = calloc(n, sizeof *s->questions);
    int rc = s->title && s->intro && s->questions ? GL_OK : GL_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        s->questions[i] = question_from(json_array_get(jq, i), i, why, whylen);
        if (!s->questions[i])
            rc = why[0] && strcmp(why, "out of memory") ? GL_EINVAL : GL_ENOMEM;
        else
            s->n_questions = i + 1;
    }
    if (rc == 0)
        rc = gl_survey_check(s, false, why, whylen);
    if (rc != 0) {
        gridlink__v1__survey__free_unpacked(s, NULL);
        return rc;
    }
    *out = s;
    return GL_OK;
}

/* ---- answers ---- */

static const Gridlink__V1__SurveyQuestion *question_of(const gl_survey *def, const char *id)
{
    for (size_t i = 0; i < def->n_questions; i++)
        if (strcmp(def->questions[i]->id, id) == 0)
            return def->questions[i];
    return NULL;
}

/* An option of q given as its text or its number 1..n: its index, or -1. */
static int option_of(const Gridlink__V1__SurveyQuestion *q, const json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t k = json_integer_value(v);
        return k >= 1 && (size_t)k <= q->n_options ? (int)(k - 1) : -1;
    }
    if (json_is_string(v))
        for (size_t i = 0; i < q->n_options; i++)
            if (strcmp(q->options[i], json_string_value(v)) == 0)
                return (int)i;
    return -1;
}

static int value_from(const Gridlink__V1__SurveyQuestion *q, const json_t *v, Gridlink__V1__SurveyValue *out, char *why,
                      size_t whylen)
{
    switch (q->kind) {
    case KIND(SINGLE): {
        int k = option_of(q, v);
        if (k < 0)
            return refuse(why, whylen, "问题 %s: 请选择一个选项 (one of its options, or its number 1..%zu)", q->id,
                          q->n_options);
        out->choices = malloc(sizeof *out->choices);
        if (!out->choices)
            return GL_ENOMEM;
        out->choices[0] = (uint32_t)k;
        out->n_choices = 1;
        return GL_OK;
    }
    case KIND(MULTI): {
        size_t n = json_is_array(v) ? json_array_size(v) : 0;
        if (!json_is_array(v) || n > q->n_options)
            return refuse(why, whylen, "问题 %s: 多选题的答案是选项的列表 (an array of its options)", q->id);
        out->choices = n ? calloc(n, sizeof *out->choices) : NULL;
        if (n && !out->choices)
            return GL_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            int k = option_of(q, json_array_get(v, i));
            if (k < 0)
                return refuse(why, whylen, "问题 %s: 第 %zu 个选项不存在 (not one of its options)", q->id, i + 1);
            for (size_t m = 0; m < out->n_choices; m++)
                if (out->choices[m] == (uint32_t)k)
                    return refuse(why, whylen, "问题 %s: 选项重复 (an option twice)", q->id);
            out->choices[out->n_choices++] = (uint32_t)k;
        }
        return GL_OK;
    }
    case KIND(SCALE):
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > GL_SURVEY_SCALE)
            return refuse(why, whylen, "问题 %s: 评分为 1 到 5 的整数 (an integer 1..5)", q->id);
        out->number = (double)json_integer_value(v);
        return GL_OK;
    case KIND(NUMBER):
        if (!json_is_number(v) || !isfinite(json_number_value(v)) || fabs(json_number_value(v)) > GL_SURVEY_NUMBER_MAX)
            return refuse(why, whylen, "问题 %s: 请填写数字 (a number of at most 1e9)", q->id);
        out->number = json_number_value(v);
        return GL_OK;
    case KIND(TEXT):
        if (!json_is_string(v) || !text_fits(json_string_value(v), GL_SURVEY_ANSWER_TEXT, false))
            return refuse(why, whylen, "问题 %s: 文字不超过 %d 字 (a text of at most %d characters)", q->id,
                          GL_SURVEY_ANSWER_TEXT, GL_SURVEY_ANSWER_TEXT);
        out->text = strdup(json_string_value(v));
        return out->text ? GL_OK : GL_ENOMEM;
    default: return refuse(why, whylen, "question %s has no kind", q->id);
    }
}

/* A value that says nothing: null, "", []. */
static bool blank(const json_t *v)
{
    return json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

int gl_survey_answer_from_json(const json_t *answers, const gl_survey *def, gl_survey_answer **out, char *why,
                               size_t whylen)
{
    *out = NULL;
    if (!json_is_object(answers))
        return refuse(why, whylen, "answers 是对象 {问题编号: 答案} (an object of question id to value)");
    if (json_object_size(answers) > def->n_questions)
        return refuse(why, whylen, "答案多于问题 (more answers than questions)");
    gl_survey_answer *a = malloc(sizeof *a);
    if (!a)
        return GL_ENOMEM;
    gridlink__v1__survey_answer__init(a);
    a->values = calloc(def->n_questions, sizeof *a->values);
    int rc = a->values ? GL_OK : GL_ENOMEM;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)answers, key, v)
    {
        if (rc != 0)
            break;
        const Gridlink__V1__SurveyQuestion *q = question_of(def, key);
        if (!q) {
            rc = refuse(why, whylen, "没有问题 %.40s (no such question)", key);
            break;
        }
        if (blank(v))
            continue; /* not answered */
        Gridlink__V1__SurveyValue *sv = malloc(sizeof *sv);
        if (!sv) {
            rc = GL_ENOMEM;
            break;
        }
        gridlink__v1__survey_value__init(sv);
        a->values[a->n_values++] = sv;
        sv->question = strdup(q->id);
        rc = sv->question ? value_from(q, v, sv, why, whylen) : GL_ENOMEM;
    }
    if (rc == 0)
        rc = gl_survey_answer_check(a, def, why, whylen);
    if (rc != 0) {
        gridlink__v1__survey_answer__free_unpacked(a, NULL);
        return rc;
    }
    *out = a;
    return GL_OK;
}

int gl_survey_answer_check(const gl_survey_answer *a, const gl_survey *def, char *why, size_t whylen)
{
    if (!a || a->n_values > def->n_questions || !text_fits(a->via, 16, false))
        return refuse(why, whylen, "答案多于问题 (more answers than questions)");
    for (size_t i = 0; i < a->n_values; i++) {
        const Gridlink__V1__SurveyValue *v = a->values[i];
        const Gridlink__V1__SurveyQuestion *q = question_of(def, v->question);
        if (!q)
            return refuse(why, whylen, "没有问题 %.40s (no such question)", v->question);
        for (size_t k = 0; k < i; k++)
            if (strcmp(a->values[k]->question, v->question) == 0)
                return refuse(why, whylen, "问题 %s 回答了两次 (answered twice)", q->id);
        bool choice = has_options(q->kind);
        if (!choice && v->n_choices)
            return refuse(why, whylen, "问题 %s 不是选择题 (not a choice)", q->id);
        if (q->kind == KIND(SINGLE) && v->n_choices != 1)
            return refuse(why, whylen, "问题 %s: 请选择一个选项 (one option)", q->id);
        if (q->kind == KIND(MULTI) && (v->n_choices == 0 || v->n_choices > q->n_options))
            return refuse(why, whylen, "问题 %s: 请至少选择一项 (at least one option)", q->id);
        for (size_t k = 0; k < v->n_choices; k++) {
            if (v->choices[k] >= q->n_options)
                return refuse(why, whylen, "问题 %s: 选项不存在 (no such option)", q->id);
            for (size_t m = 0; m < k; m++)
                if (v->choices[m] == v->choices[k])
                    return refuse(why, whylen, "问题 %s: 选项重复 (an option twice)", q->id);
        }
        if (q->kind == KIND(SCALE) && (v->number != floor(v->number) || v->number < 1 || v->number > GL_SURVEY_SCALE))
            return refuse(why, whylen, "问题 %s: 评分为 1 到 5 (1..5)", q->id);
        if (q->kind == KIND(NUMBER) && (!isfinite(v->number) || fabs(v->number) > GL_SURVEY_NUMBER_MAX))
            return refuse(why, whylen, "问题 %s: 数字超出范围 (out of range)", q->id);
        if (q->kind != KIND(TEXT) && v->text && v->text[0])
            return refuse(why, whylen, "问题 %s 不是文字题 (not a text question)", q->id);
        if (q->kind == KIND(TEXT) && !text_fits(v->text, GL_SURVEY_ANSWER_TEXT, false))
            return refuse(why, whylen, "问题 %s: 文字过长 (too long)", q->id);
    }
    for (size_t i = 0; i < def->n_questions; i++) {
        const Gridlink__V1__SurveyQuestion *q = def->questions[i];
        if (!q->required)
            continue;
        bool found = false;
        for (size_t k = 0; k < a->n_values && !found; k++)
            found = strcmp(a->values[k]->question, q->id) == 0 &&
                    (q->kind != KIND(TEXT) || (a->values[k]->text && a->values[k]->text[0]));
        if (!found)
            return refuse(why, whylen, "请回答必答题「%s」(question %s is required)", q->text, q->id);
    }
    return GL_OK;
}

void gl_survey_tally(gl_survey *s, const gl_survey_answer *a)
{
    s->answers++;
    for (size_t i = 0; i < a->n_values; i++) {
        const Gridlink__V1__SurveyValue *v = a->values[i];
        Gridlink__V1__SurveyQuestion *q = NULL;
        for (size_t k = 0; k < s->n_questions && !q; k++)
            if (strcmp(s->questions[k]->id, v->question) == 0)
                q = s->questions[k];
        if (!q)
            continue;
        q->answered++;
        if (has_options(q->kind)) {
            for (size_t k = 0; k < v->n_choices; k++)
                if (v->choices[k] < q->n_counts)
                    q->counts[v->choices[k]]++;
        } else if (q->kind == KIND(SCALE) || q->kind == KIND(NUMBER)) {
            if (q->kind == KIND(SCALE) && v->number >= 1 && v->number <= q->n_counts)
                q->counts[(size_t)v->number - 1]++;
            q->min = q->answered == 1 || v->number < q->min ? v->number : q->min;
            q->max = q->answered == 1 || v->number > q->max ? v->number : q->max;
            q->sum += v->number;
        }
    }
}

bool gl_survey_open(const gl_survey *s, int64_t now)
{
    return !s->closed && (s->closes_ms == 0 || now < s->closes_ms);
}

/* ---- results ---- */

static json_t *question_json(const Gridlink__V1__SurveyQuestion *q, gl_survey_answer *const *texts, size_t n_texts,
                             bool results)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", q->id, "kind", gl_survey_kind_name(q->kind), "kind_label",
                          gl_survey_kind_label(q->kind), "text", q->text, "required", q->required);
    if (!j)
        return NULL;
    json_t *opts = json_array();
    for (size_t i = 0; i < q->n_options; i++)
        json_array_append_new(opts, json_string(q->options[i]));
    json_object_set_new(j, "options", opts);
    if (!results)
        return j;
    json_object_set_new(j, "answered", json_integer((json_int_t)q->answered));
    if (q->n_counts) {
        json_t *counts = json_array();
        for (size_t i = 0; i < q->n_counts; i++)
            json_array_append_new(counts, json_integer((json_int_t)q->counts[i]));
        json_object_set_new(j, "counts", counts);
    }
    if (q->kind == KIND(SCALE) || q->kind == KIND(NUMBER)) {
        json_object_set_new(j, "sum", json_real(q->sum));
        if (q->answered) { /* mean, min and max of no answers: none */
            json_object_set_new(j, "mean", json_real(q->sum / (double)q->answered));
            json_object_set_new(j, "min", json_real(q->min));
            json_object_set_new(j, "max", json_real(q->max));
        }
    }
    if (q->kind == KIND(TEXT) && texts) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n_texts; i++)
            for (size_t k = 0; k < texts[i]->n_values; k++)
                if (strcmp(texts[i]->values[k]->question, q->id) == 0 && texts[i]->values[k]->text[0])
                    json_array_append_new(arr, json_string(texts[i]->values[k]->text));
        json_object_set_new(j, "texts", arr);
    }
    if (q->kind == KIND(NUMBER) && texts) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n_texts; i++)
            for (size_t k = 0; k < texts[i]->n_values; k++)
                if (strcmp(texts[i]->values[k]->question, q->id) == 0)
                    json_array_append_new(arr, json_real(texts[i]->values[k]->number));
        json_object_set_new(j, "values", arr);
    }
    return j;
}

json_t *gl_survey_json(const gl_survey *s, const char *unit_name, gl_survey_answer *const *texts, size_t n_texts,
                       bool results)
{
    char created[40], closes[40];
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I}", "id", s->id, "unit", s->unit, "unit_name",
                          unit_name ? unit_name : s->unit, "title", s->title, "intro", s->intro, "created",
                          s->created_ms ? gl_iso_time(s->created_ms, created, sizeof created) : "", "closed", s->closed,
                          "answers", (json_int_t)s->answers, "version", (json_int_t)s->version);
    if (!j)
        return NULL;
    if (s->closes_ms) /* else open until closed: no "closes" */
        json_object_set_new(j, "closes", json_string(gl_iso_time(s->closes_ms, closes, sizeof closes)));
    json_t *qs = json_array();
    for (size_t i = 0; i < s->n_questions; i++)
        json_array_append_new(qs, question_json(s->questions[i], texts, n_texts, results));
    json_object_set_new(j, "questions", qs);
    if (!results) { /* the public's: the definition alone */
        json_object_del(j, "answers");
        json_object_del(j, "version");
    } else {
        json_t *tasks = json_array();
        for (size_t i = 0; i < s->n_tasks; i++)
            json_array_append_new(tasks, json_string(s->tasks[i]));
        json_object_set_new(j, "tasks", tasks);
        json_object_set_new(j, "tickets", json_integer((json_int_t)s->tickets));
        json_object_set_new(j, "by", json_string(s->by));
    }
    return j;
}

bool gl_survey_id_valid(const char *id, const char *unit)
{
    const char *dash = id ? strrchr(id, '-') : NULL;
    if (!dash || dash[1] != 's' || !dash[2] || (size_t)(dash - id) > 255)
        return false;
    for (const char *p = dash + 2; *p; p++)
        if (*p < '0' || *p > '9' || p - dash > 20)
            return false;
    char node[256];
    memcpy(node, id, (size_t)(dash - id));
    node[dash - id] = 0;
    return gl_node_id_valid(node) && (!unit || strcmp(node, unit) == 0);
}
