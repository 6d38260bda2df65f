/* service_attrs.c: a service's typed attributes (see service_attrs.h):
 * reading them from the topology into a normalised JSON copy, and checking
 * a resident's answers against that copy. */
#include "service_attrs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "error.h"
#include "jsoncheck.h"

#define CODE_MAX 32
#define DESC_MAX 512

static const char *const datatypes[] = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"};

static bool code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool text_ok(const json_t *v, bool empty_ok)
{
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    return s && (empty_ok || n > 0) && n <= DESC_MAX && gl_utf8_valid(s, n);
}

static bool is_list(const char *datatype)
{
    return strcmp(datatype, "singlevaluelist") == 0 || strcmp(datatype, "multivaluelist") == 0;
}

static int parse_values(const json_t *vals, const char *code, const char *attr, json_t *out, char *err, size_t errlen)
{
    static const char *const keys[] = {"key", "name"};
    size_t n = json_array_size(vals);
    if (!json_is_array(vals) || n == 0 || n > GL_SERVICE_VALUES_MAX) {
        gl_errf(err, errlen, "category '%s': attribute '%s': a list's values are an array of 1..%d {key, name}", code,
                attr, GL_SERVICE_VALUES_MAX);
        return GL_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(vals, i);
        const char *bad = NULL, *key = json_string_value(json_object_get(v, "key"));
        if (!json_is_object(v) || !gl_json_only_keys(v, keys, 2, &bad) || !code_ok(key) ||
            !text_ok(json_object_get(v, "name"), false)) {
            gl_errf(err, errlen,
                    "category '%s': attribute '%s': values[%zu] must be {\"key\": 1..%d of A-Z a-z 0-9 _ -, "
                    "\"name\": text}",
                    code, attr, i, CODE_MAX);
            return GL_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(key, json_string_value(json_object_get(json_array_get(vals, j), "key"))) == 0) {
                gl_errf(err, errlen, "category '%s': attribute '%s': value key '%s' listed twice", code, attr, key);
                return GL_EINVAL;
            }
        json_array_append_new(out, json_pack("{s:s, s:O}", "key", key, "name", json_object_get(v, "name")));
    }
    return GL_OK;
}

static int parse_one(const json_t *a, size_t i, const char *code, json_t *list, char *err, size_t errlen)
{
    static const char *const keys[] = {"code",        "datatype", "required", "variable",
                                       "description", "order",    "values",   "datatype_description"};
    const char *bad = NULL;
    if (!json_is_object(a) || !gl_json_only_keys(a, keys, 8, &bad)) {
        gl_errf(err, errlen, "category '%s': attributes[%zu]: %s%.40s", code, i,
                json_is_object(a) ? "unknown key " : "must be an object", json_is_object(a) ? bad : "");
        return GL_EINVAL;
    }
    const char *ac = json_string_value(json_object_get(a, "code"));
    if (!code_ok(ac)) {
        gl_errf(err, errlen, "category '%s': attributes[%zu]: code must be 1..%d characters of A-Z a-z 0-9 _ -", code,
                i, CODE_MAX);
        return GL_EINVAL;
    }
    for (size_t j = 0; j < json_array_size(list); j++)
        if (strcmp(ac, json_string_value(json_object_get(json_array_get(list, j), "code"))) == 0) {
            gl_errf(err, errlen, "category '%s': attribute '%s' listed twice", code, ac);
            return GL_EINVAL;
        }
    const char *dt = json_string_value(json_object_get(a, "datatype"));
    bool known = false;
    for (size_t k = 0; dt && k < sizeof datatypes / sizeof datatypes[0]; k++)
        known = known || strcmp(dt, datatypes[k]) == 0;
    if (!known) {
        gl_errf(err, errlen,
                "category '%s': attribute '%s': datatype must be string, number, datetime, text, singlevaluelist "
                "or multivaluelist",
                code, ac);
        return GL_EINVAL;
    }
    const json_t *req = json_object_get(a, "required"), *var = json_object_get(a, "variable");
    const json_t *desc = json_object_get(a, "description"), *dd = json_object_get(a, "datatype_description");
    const json_t *order = json_object_get(a, "order"), *vals = json_object_get(a, "values");
    if ((req && !json_is_boolean(req)) || (var && !json_is_boolean(var))) {
        gl_errf(err, errlen, "category '%s': attribute '%s': required and variable are true or false", code, ac);
        return GL_EINVAL;
    }
    if (!text_ok(desc, false) || (dd && !text_ok(dd, true))) {
        gl_errf(err, errlen,
                "category '%s': attribute '%s': description (and datatype_description) are text of at most %d "
                "bytes; description is required",
                code, ac, DESC_MAX);
        return GL_EINVAL;
    }
    if (order && (!json_is_integer(order) || json_integer_value(order) < 1 || json_integer_value(order) > 1000)) {
        gl_errf(err, errlen, "category '%s': attribute '%s': order is an integer 1..1000", code, ac);
        return GL_EINVAL;
    }
    if (!is_list(dt) && vals) {
        gl_errf(err, errlen, "category '%s': attribute '%s': only a singlevaluelist or multivaluelist has values", code,
                ac);
        return GL_EINVAL;
    }
    json_t *o = json_pack("{s:b, s:s, s:s, s:b, s:s, s:I, s:O}", "variable", var ? json_is_true(var) : 1, "code", ac,
                          "datatype", dt, "required", req ? json_is_true(req) : 0, "datatype_description",
                          dd ? json_string_value(dd) : "", "order",
                          (json_int_t)(order ? json_integer_value(order) : (json_int_t)i + 1), "description", desc);
    if (!o) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    json_array_append_new(list, o);
    if (is_list(dt)) {
        json_t *out = json_array();
        json_object_set_new(o, "values", out);
        return parse_values(vals, code, ac, out, err, errlen);
    }
    return GL_OK;
}

int gl_service_attrs_parse(const json_t *attrs, const char *code, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!json_is_array(attrs) || json_array_size(attrs) > GL_SERVICE_ATTRS_MAX) {
        gl_errf(err, errlen, "category '%s': attributes must be an array of at most %d", code, GL_SERVICE_ATTRS_MAX);
        return GL_EINVAL;
    }
    json_t *list = json_array();
    if (!list) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t i = 0; i < json_array_size(attrs); i++) {
        int rc = parse_one(json_array_get(attrs, i), i, code, list, err, errlen);
        if (rc != 0) {
            json_decref(list);
            return rc;
        }
    }
    *out = list;
    return GL_OK;
}

static const json_t *find_attr(const json_t *attrs, const char *code)
{
    for (size_t i = 0; i < json_array_size(attrs); i++) {
        const json_t *a = json_array_get(attrs, i);
        if (strcmp(json_string_value(json_object_get(a, "code")), code) == 0)
            return a;
    }
    return NULL;
}

static bool number_ok(const char *s)
{
    if (!s[0])
        return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    return *end == 0 && errno == 0 && isfinite(d) && strspn(s, "+-.0123456789eE") == strlen(s);
}

static bool key_ok(const json_t *a, const char *key)
{
    const json_t *vals = json_object_get(a, "values");
    for (size_t i = 0; i < json_array_size(vals); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(vals, i), "key")), key) == 0)
            return true;
    return false;
}

static int check_answer(const json_t *a, const Gridlink__V1__CaseAttribute *ans, char *err, size_t errlen)
{
    const char *dt = json_string_value(json_object_get(a, "datatype"));
    bool multi = strcmp(dt, "multivaluelist") == 0;
    if (ans->n_values == 0 || (!multi && ans->n_values > 1)) {
        gl_errf(err, errlen, "attribute[%s] takes %s", ans->code, multi ? "one value or more" : "exactly one value");
        return GL_EINVAL;
    }
    for (size_t i = 0; i < ans->n_values; i++) {
        const char *v = ans->values[i];
        int64_t ms;
        bool ok = strcmp(dt, "number") == 0     ? number_ok(v)
                  : strcmp(dt, "datetime") == 0 ? gl_iso8601_parse(v, &ms)
                  : is_list(dt)                 ? key_ok(a, v)
                                                : v[0] != 0;
        if (!ok) {
            gl_errf(err, errlen, "attribute[%s]: '%.60s' is not %s", ans->code, v,
                    strcmp(dt, "number") == 0     ? "a number"
                    : strcmp(dt, "datetime") == 0 ? "an ISO 8601 date and time"
                    : is_list(dt)                 ? "one of the listed keys"
                                                  : "a value");
            return GL_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(ans->values[j], v) == 0) {
                gl_errf(err, errlen, "attribute[%s]: '%.60s' given twice", ans->code, v);
                return GL_EINVAL;
            }
    }
    return GL_OK;
}

int gl_service_attrs_check(const json_t *attrs, Gridlink__V1__CaseAttribute *const *answers, size_t n, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const json_t *a = find_attr(attrs, answers[i]->code);
        if (!a) {
            gl_errf(err, errlen, "attribute[%.40s] is not an attribute of this service", answers[i]->code);
            return GL_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(answers[j]->code, answers[i]->code) == 0) {
                gl_errf(err, errlen, "attribute[%s] given twice", answers[i]->code);
                return GL_EINVAL;
            }
        int rc = check_answer(a, answers[i], err, errlen);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < json_array_size(attrs); i++) {
        const json_t *a = json_array_get(attrs, i);
        const char *code = json_string_value(json_object_get(a, "code"));
        if (!json_is_true(json_object_get(a, "required")) || !json_is_true(json_object_get(a, "variable")))
            continue;
        bool given = false;
        for (size_t j = 0; j < n && !given; j++)
            given = strcmp(answers[j]->code, code) == 0;
        if (!given) {
            gl_errf(err, errlen, "attribute[%s] is required (%s)", code,
                    json_string_value(json_object_get(a, "description")));
            return GL_EINVAL;
        }
    }
    return GL_OK;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool gl_iso8601_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, milli = 0, off = 0;
    size_t n = strnlen(s, 64);
    if (n < 10 || n >= 64 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return false;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi))
            return false;
        p += 6;
        if (*p == ':') {
            if (!digits(p + 1, 2, &sec))
                return false;
            p += 3;
            if (*p == '.') {
                int k = 0, frac = 0;
                for (p++; *p >= '0' && *p <= '9'; p++, k++)
                    if (k < 3)
                        frac = frac * 10 + (*p - '0');
                if (k == 0)
                    return false;
                for (; k < 3; k++)
                    frac *= 10;
                milli = frac;
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-' || *p == ' ') { /* ' ': a '+' a query string decoded */
            int oh, om;
            if (!digits(p + 1, 2, &oh) || !(p[3] == ':' ? digits(p + 4, 2, &om) : digits(p + 3, 2, &om)) || oh > 23 ||
                om > 59)
                return false;
            off = (*p == '-' ? -1 : 1) * (oh * 60 + om);
            p += p[3] == ':' ? 6 : 5;
        } else {
            return false; /* a time needs its zone */
        }
    }
    if (*p || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d)
        return false; /* not a day of that month */
    *ms = ((int64_t)t - (int64_t)off * 60) * 1000 + milli;
    return true;
}
