/* category.c: the category catalogue and category sets (see category.h),
 * with the built-in catalogue.
 *
 * A gl_catalogue_t owns its kinds array; each kind owns its subs array; every
 * entry owns its code, name and display strings. A gl_category_set_t owns its
 * codes array and each code. The free functions release all of it. JSON
 * passed in is only read.
 *
 * Input is untrusted like the rest of a topology file: types are checked,
 * unknown keys refused, and the first problem is reported naming the entry
 * by its code (or by its index when it has no usable code). */
#include "category.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"
#include "service_attrs.h"
#include "error.h"

#define PART_MAX     31
#define NAME_MAX_LEN 96
#define MAX_KINDS    64
#define MAX_SUBS     256 /* per kind */
#define MAX_SET      1024
#define MAX_LIMIT_S  (10LL * 366 * 24 * 3600) /* the policy's cap on deadlines */

/* ---- the built-in catalogue ------------------------------------------ */

/* Limits in the builtin table: working hours, working days, clock hours
 * and minutes. */
#define WH(n)                                                                                                          \
    {                                                                                                                  \
        n, GL_TIME_WORKING_HOURS                                                                                       \
    }
#define WD(n)                                                                                                          \
    {                                                                                                                  \
        n, GL_TIME_WORKING_DAYS                                                                                        \
    }
#define H(n)                                                                                                           \
    {                                                                                                                  \
        (n) * 3600000LL, GL_TIME_MS                                                                                    \
    }
#define MIN(n)                                                                                                         \
    {                                                                                                                  \
        (n) * 60000LL, GL_TIME_MS                                                                                      \
    }

/* Each kind comes first, followed by its subcategories. Sources of the
 * figures:
 *   12345 practice (蚌埠 2019 rules): a work order is signed for within 1
 *     working day, phone-channel orders resolved within 5 working days,
 *     online and provincial-hotline orders within 3; major emergencies are
 *     handed over within 10 minutes.
 *   Bureau rules for hotline matters: help and consultation within 3
 *     working days, complaints, reports and suggestions within 13.
 *   City rules with 红黄灯 monitoring: consultation 2 working days, help 5.
 *   Beijing practice: emergencies 2 h, utilities 24 h.
 *   数字城管 立案/处置/结案 tables (济源; a second city's table): 道路不洁
 *     5 working hours, 路面积水 4 working hours, 积存垃圾渣土 4 working days,
 *     水域不洁 15 working days, 绿地养护 5 working days, 私搭乱建 停工 within
 *     4 working hours and 拆除 within 20 working days.
 *   吹哨报到 (扬州广陵): complex matters closed within 10 working days.
 * No stored table gives a sign-for limit per 数字城管 小类: entries resolved
 * in working hours are signed for within 1 working hour, the others within
 * the 12345 working day. */
static const struct {
    const char *code;
    const char *name;
    gl_time_limit accept;
    gl_time_limit resolve;
} builtin[] = {
    /* 12345: sign-for 1 WD, phone-channel order 5 WD. */
    {"party", "党建", WD(1), WD(5)},
    {"party/activities", "组织活动", WD(1), WD(5)},
    {"party/members", "党员服务", WD(1), WD(5)},
    {"party/volunteers", "志愿服务", WD(1), WD(5)},

    /* 12345: sign-for 1 WD, phone-channel order 5 WD. */
    {"governance", "综治", WD(1), WD(5)},
    /* 12345 online order: 3 WD, the shortest order limit. */
    {"governance/safety", "安全隐患", WD(1), WD(3)},
    /* 吹哨报到: complex matters within 10 WD. */
    {"governance/disputes", "矛盾纠纷", WD(1), WD(10)},
    /* 12345 major emergency hand-over 10 min; Beijing emergencies 2 h. */
    {"governance/emergency", "突发事件", MIN(10), H(2)},
    /* Bureau rules: complaints and reports within 13 WD. */
    {"governance/petition", "信访诉求", WD(1), WD(13)},
    /* 12345: phone-channel order 5 WD. */
    {"governance/population", "实有人口", WD(1), WD(5)},

    /* 12345: sign-for 1 WD, phone-channel order 5 WD. */
    {"urban", "城管", WD(1), WD(5)},
    /* 数字城管: 道路不洁 5 working hours. */
    {"urban/sanitation", "环境卫生", WH(1), WH(5)},
    /* 数字城管: 积存垃圾渣土 4 WD. */
    {"urban/garbage", "垃圾渣土", WD(1), WD(4)},
    /* 12345: phone-channel order 5 WD. */
    {"urban/roads", "道路设施", WD(1), WD(5)},
    /* 数字城管: 路面积水 4 working hours. */
    {"urban/waterlogging", "路面积水", WH(1), WH(4)},
    /* 12345: phone-channel order 5 WD. */
    {"urban/lighting", "路灯照明", WD(1), WD(5)},
    /* 数字城管: 绿地养护 5 WD. */
    {"urban/greenery", "园林绿化", WD(1), WD(5)},
    /* 数字城管 私搭乱建: stop the work within 4 working hours, demolish
     * within 20 WD. */
    {"urban/building", "违法搭建", WH(4), WD(20)},
    /* No table found; in working hours like the other street-order events
     * (路面积水 4 working hours). */
    {"urban/parking", "停车秩序", WH(1), WH(4)},
    /* 数字城管: 水域不洁 15 WD. */
    {"urban/waterways", "河道水域", WD(1), WD(15)},
    /* Beijing: utilities 24 h. */
    {"urban/utilities", "市政公用", WH(1), H(24)},

    /* City rules: help within 5 WD. */
    {"services", "社区服务", WD(1), WD(5)},
    {"services/elderly", "养老服务", WD(1), WD(5)},
    /* Bureau rules: help within 3 WD. */
    {"services/welfare", "社会救助", WD(1), WD(3)},
    /* City rules: help within 5 WD. */
    {"services/employment", "就业服务", WD(1), WD(5)},
    {"services/disability", "助残服务", WD(1), WD(5)},
    /* City rules: consultation within 2 WD. */
    {"services/consultation", "政策咨询", WD(1), WD(2)},
};
#define N_BUILTIN (sizeof builtin / sizeof builtin[0])

/* ---- syntax ---------------------------------------------------------- */

/* Length of the part at s up to '/' or the end if it is 1..31 characters of
 * [a-z0-9_-] starting with a letter, else 0. */
static size_t part_len(const char *s)
{
    size_t n = 0;
    if (!(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; s[n] && s[n] != '/'; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return n <= PART_MAX ? n : 0;
}

static bool kind_code_valid(const char *s)
{
    size_t n = part_len(s);
    return n > 0 && s[n] == 0;
}

/* A subcategory code is KIND/NAME; *kind_len gets the length of KIND. */
static bool sub_code_valid(const char *s, size_t *kind_len)
{
    size_t n = part_len(s);
    if (n == 0 || s[n] != '/')
        return false;
    size_t m = part_len(s + n + 1);
    *kind_len = n;
    return m > 0 && s[n + 1 + m] == 0;
}

static bool name_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > NAME_MAX_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/')
            return false;
    return true;
}

/* ---- freeing --------------------------------------------------------- */

static void entry_free(gl_category_t *e)
{
    free(e->code);
    free(e->name);
    free(e->display);
    free(e->description);
    free(e->keywords);
    json_decref(e->attributes);
    for (size_t i = 0; i < e->n_subs; i++)
        entry_free(&e->subs[i]);
    free(e->subs);
}

void gl_catalogue_free(gl_catalogue_t **cp)
{
    if (!cp || !*cp)
        return;
    gl_catalogue_t *cat = *cp;
    for (size_t i = 0; i < cat->n_kinds; i++)
        entry_free(&cat->kinds[i]);
    free(cat->kinds);
    free(cat);
    *cp = NULL;
}

/* ---- parsing --------------------------------------------------------- */

/* A required limit: NAME_s, NAME_wh or NAME_wd. */
static int read_limit(const json_t *o, const char *code, const char *name, gl_time_limit *lim, char *err, size_t errlen)
{
    char why[192];
    int rc = gl_time_limit_from_json(o, name, false, lim, why, sizeof why);
    if (rc == GL_ENOENT)
        gl_errf(err, errlen,
                "category '%s': %s_s must be an integer number of seconds in 0..%lld (or give %s_wh or %s_wd)", code,
                name, MAX_LIMIT_S, name, name);
    else if (rc != 0)
        gl_errf(err, errlen, "category '%s': %s", code, why);
    return rc == 0 ? GL_OK : GL_EINVAL;
}

static const gl_category_t *find_in(const gl_catalogue_t *cat, const char *code)
{
    for (size_t i = 0; i < cat->n_kinds; i++) {
        const gl_category_t *k = &cat->kinds[i];
        if (k->code && strcmp(k->code, code) == 0)
            return k;
        for (size_t j = 0; j < k->n_subs; j++)
            if (k->subs[j].code && strcmp(k->subs[j].code, code) == 0)
                return &k->subs[j];
    }
    return NULL;
}

/* The entry whose code is the first n bytes of s. */
static const gl_category_t *find_prefix(const gl_catalogue_t *cat, const char *s, size_t n)
{
    char code[GL_CATEGORY_CODE_MAX + 1];
    if (n > GL_CATEGORY_CODE_MAX)
        return NULL;
    memcpy(code, s, n);
    code[n] = 0;
    return find_in(cat, code);
}

/* Fills e from o: a kind when kind is NULL, else a subcategory of kind.
 * where names o by position for errors before its code is known. e is
 * already linked into cat, so cat sees the entries parsed so far. */
static int parse_entry(const gl_catalogue_t *cat, const json_t *o, const char *where, gl_category_t *e,
                       const gl_category_t *kind, char *err, size_t errlen)
{
    static const char *const kind_keys[] = {"code",       "name",      "accept_s",    "accept_wh",
                                            "accept_wd",  "resolve_s", "resolve_wh",  "resolve_wd",
                                            "attributes", "keywords",  "description", "subcategories"};
    const char *bad = NULL;
    if (!json_is_object(o)) {
        gl_errf(err, errlen, "%s: must be an object", where);
        return GL_EINVAL;
    }
    const json_t *v = json_object_get(o, "code");
    const char *code = json_is_string(v) ? json_string_value(v) : NULL;
    size_t kind_len = 0;
    if (!kind && (!code || !kind_code_valid(code))) {
        gl_errf(err, errlen,
                "%s: code must be a kind code, 1..31 characters a-z 0-9 _ - from a letter on (like \"urban\")", where);
        return GL_EINVAL;
    }
    if (kind && (!code || !sub_code_valid(code, &kind_len))) {
        gl_errf(err, errlen, "%s: code must be KIND/NAME, each part like a kind code (like \"%s/roads\")", where,
                kind->code);
        return GL_EINVAL;
    }
    if (kind && (kind_len != strlen(kind->code) || strncmp(code, kind->code, kind_len) != 0)) {
        gl_errf(err, errlen, "category '%s': not under its kind '%s' (its code must start with '%s/')", code,
                kind->code, kind->code);
        return GL_EINVAL;
    }
    if (find_in(cat, code)) {
        gl_errf(err, errlen, "category '%s': listed twice", code);
        return GL_EINVAL;
    }
    if (!gl_json_only_keys(o, kind_keys, kind ? 11 : 12, &bad)) {
        gl_errf(err, errlen, "category '%s': unknown key '%.40s'", code, bad);
        return GL_EINVAL;
    }
    v = json_object_get(o, "name");
    if (!json_is_string(v) || !name_valid(json_string_value(v))) {
        gl_errf(err, errlen, "category '%s': name must be a non-empty string of at most %d bytes without '/'", code,
                NAME_MAX_LEN);
        return GL_EINVAL;
    }
    const char *name = json_string_value(v);
    gl_time_limit accept, resolve;
    int rc = read_limit(o, code, "accept", &accept, err, errlen);
    if (rc == 0)
        rc = read_limit(o, code, "resolve", &resolve, err, errlen);
    if (rc != 0)
        return rc;
    int64_t accept_ms = gl_time_limit_nominal_ms(accept), resolve_ms = gl_time_limit_nominal_ms(resolve);
    if (accept_ms > 0 && resolve_ms > 0 && accept_ms > resolve_ms) {
        char ka[32], kr[32];
        int64_t va = accept.unit == GL_TIME_MS ? accept.amount / 1000 : accept.amount;
        int64_t vr = resolve.unit == GL_TIME_MS ? resolve.amount / 1000 : resolve.amount;
        gl_errf(err, errlen, "category '%s': %s (%lld) is longer than %s (%lld)", code,
                gl_time_limit_key("accept", accept, ka, sizeof ka), (long long)va,
                gl_time_limit_key("resolve", resolve, kr, sizeof kr), (long long)vr);
        return GL_EINVAL;
    }
    e->code = strdup(code);
    e->name = strdup(name);
    if (kind) {
        size_t n = strlen(kind->name) + 1 + strlen(name) + 1;
        if ((e->display = malloc(n)))
            snprintf(e->display, n, "%s/%s", kind->name, name);
    } else {
        e->display = strdup(name);
    }
    const json_t *desc = json_object_get(o, "description"), *kw = json_object_get(o, "keywords");
    if ((desc && (!json_is_string(desc) || json_string_length(desc) > 1024)) ||
        (kw && (!json_is_string(kw) || json_string_length(kw) > 256))) {
        gl_errf(err, errlen, "category '%s': description is text of at most 1024 bytes, keywords of at most 256", code);
        return GL_EINVAL;
    }
    const json_t *attrs = json_object_get(o, "attributes");
    if (attrs && (rc = gl_service_attrs_parse(attrs, code, &e->attributes, err, errlen)) != 0)
        return rc;
    e->description = strdup(desc ? json_string_value(desc) : "");
    e->keywords = strdup(kw ? json_string_value(kw) : "");
    e->accept = accept;
    e->resolve = resolve;
    e->accept_ms = accept_ms;
    e->resolve_ms = resolve_ms;
    e->kind = kind;
    if (!e->code || !e->name || !e->display || !e->description || !e->keywords) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    return GL_OK;
}

static int parse_kind(gl_catalogue_t *cat, const json_t *o, size_t i, char *err, size_t errlen)
{
    char where[96]; /* a kind code is at most 31 characters */
    gl_category_t *k = &cat->kinds[i];
    snprintf(where, sizeof where, "categories[%zu]", i);
    cat->n_kinds = i + 1; /* so that free and find see the partly filled kind */
    int rc = parse_entry(cat, o, where, k, NULL, err, errlen);
    if (rc != 0)
        return rc;
    const json_t *subs = json_object_get(o, "subcategories");
    if (!subs || json_is_null(subs))
        return GL_OK;
    if (!json_is_array(subs) || json_array_size(subs) > MAX_SUBS) {
        gl_errf(err, errlen, "category '%s': subcategories must be an array of at most %d entries", k->code, MAX_SUBS);
        return GL_EINVAL;
    }
    size_t n = json_array_size(subs);
    if (n == 0)
        return GL_OK;
    if (!(k->subs = calloc(n, sizeof *k->subs))) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t j = 0; j < n; j++) {
        snprintf(where, sizeof where, "category '%s': subcategories[%zu]", k->code, j);
        k->n_subs = j + 1;
        if ((rc = parse_entry(cat, json_array_get(subs, j), where, &k->subs[j], k, err, errlen)) != 0)
            return rc;
        cat->n_subs++;
    }
    return GL_OK;
}

int gl_catalogue_from_json(const json_t *kinds, gl_catalogue_t **out, char *err, size_t errlen)
{
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (!json_is_array(kinds) || json_array_size(kinds) == 0 || json_array_size(kinds) > MAX_KINDS) {
        gl_errf(err, errlen, "categories: must be an array of 1..%d kinds", MAX_KINDS);
        return GL_EINVAL;
    }
    gl_catalogue_t *cat = calloc(1, sizeof *cat);
    size_t n = json_array_size(kinds);
    if (!cat || !(cat->kinds = calloc(n, sizeof *cat->kinds))) {
        free(cat);
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = parse_kind(cat, json_array_get(kinds, i), i, err, errlen);
        if (rc != 0) {
            gl_catalogue_free(&cat);
            return rc;
        }
    }
    *out = cat;
    return GL_OK;
}

static json_t *entry_to_json(const gl_category_t *e)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "code", json_string(e->code)) != 0 ||
        json_object_set_new(o, "name", json_string(e->name)) != 0 ||
        gl_time_limit_to_json(o, "accept", e->accept) != 0 || gl_time_limit_to_json(o, "resolve", e->resolve) != 0 ||
        (e->description && e->description[0] && json_object_set_new(o, "description", json_string(e->description))) ||
        (e->keywords && e->keywords[0] && json_object_set_new(o, "keywords", json_string(e->keywords))) ||
        (e->attributes && json_object_set_new(o, "attributes", json_deep_copy(e->attributes)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *gl_catalogue_to_json(const gl_catalogue_t *cat)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && cat && i < cat->n_kinds; i++) {
        const gl_category_t *k = &cat->kinds[i];
        json_t *o = entry_to_json(k), *subs = json_array();
        int rc = o && subs ? 0 : -1;
        for (size_t j = 0; rc == 0 && j < k->n_subs; j++) {
            json_t *s = entry_to_json(&k->subs[j]);
            rc = s ? json_array_append_new(subs, s) : -1;
        }
        if (rc == 0 && k->n_subs > 0) {
            rc = json_object_set_new(o, "subcategories", subs);
            subs = NULL;
        }
        json_decref(subs);
        if (rc == 0)
            rc = json_array_append_new(arr, o);
        else
            json_decref(o);
        if (rc != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

int gl_catalogue_default(gl_catalogue_t **out)
{
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    json_t *kinds = json_array(), *subs = NULL;
    int rc = kinds ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < N_BUILTIN; i++) {
        json_t *o = json_pack("{s:s, s:s}", "code", builtin[i].code, "name", builtin[i].name);
        if (o && (gl_time_limit_to_json(o, "accept", builtin[i].accept) != 0 ||
                  gl_time_limit_to_json(o, "resolve", builtin[i].resolve) != 0)) {
            json_decref(o);
            o = NULL;
        }
        bool is_kind = !strchr(builtin[i].code, '/');
        if (o && is_kind) {
            subs = json_array();
            rc = subs ? json_object_set_new(o, "subcategories", subs) : -1;
        }
        json_t *into = is_kind ? kinds : subs;
        if (rc == 0 && o && into) {
            rc = json_array_append_new(into, o);
        } else {
            json_decref(o);
            rc = -1;
        }
    }
    rc = rc == 0 ? gl_catalogue_from_json(kinds, out, NULL, 0) : GL_ENOMEM;
    json_decref(kinds);
    if (rc == 0)
        (*out)->builtin = true;
    return rc;
}

/* ---- lookups --------------------------------------------------------- */

const gl_category_t *gl_category_find(const gl_catalogue_t *cat, const char *code)
{
    return cat && code ? find_in(cat, code) : NULL;
}

const char *gl_category_display_name(const gl_catalogue_t *cat, const char *code)
{
    const gl_category_t *e = gl_category_find(cat, code);
    return e ? e->display : NULL;
}

int gl_category_time_limits(const gl_catalogue_t *cat, const char *code, gl_time_limit *accept, gl_time_limit *resolve)
{
    gl_time_limit dummy_a, dummy_r;
    if (!accept)
        accept = &dummy_a;
    if (!resolve)
        resolve = &dummy_r;
    *accept = *resolve = (gl_time_limit){0, GL_TIME_MS};
    const gl_category_t *e = gl_category_find(cat, code);
    /* Codes are at most two parts, so the longest prefix is the first part
     * or the first two. */
    const char *first = code && !e ? strchr(code, '/') : NULL;
    const char *second = first ? strchr(first + 1, '/') : NULL;
    if (second)
        e = find_prefix(cat, code, (size_t)(second - code));
    if (!e && first)
        e = find_prefix(cat, code, (size_t)(first - code));
    if (!e)
        return GL_ENOENT;
    *accept = e->accept;
    *resolve = e->resolve;
    return GL_OK;
}

int gl_category_limits(const gl_catalogue_t *cat, const char *code, int64_t *accept_ms, int64_t *resolve_ms)
{
    gl_time_limit a, r;
    int rc = gl_category_time_limits(cat, code, &a, &r);
    if (accept_ms)
        *accept_ms = gl_time_limit_nominal_ms(a);
    if (resolve_ms)
        *resolve_ms = gl_time_limit_nominal_ms(r);
    return rc;
}

int gl_category_list(const gl_catalogue_t *cat, char *buf, size_t len)
{
    static const char more[] = ", ...";
    if (!buf || len == 0)
        return GL_EINVAL;
    buf[0] = 0;
    size_t full = 0, used = 0;
    for (size_t i = 0; cat && i < cat->n_kinds; i++)
        for (size_t j = 0; j <= cat->kinds[i].n_subs; j++)
            full += (full ? 2 : 0) + strlen(j == 0 ? cat->kinds[i].code : cat->kinds[i].subs[j - 1].code);
    bool fits = full < len;
    for (size_t i = 0; cat && i < cat->n_kinds; i++) {
        for (size_t j = 0; j <= cat->kinds[i].n_subs; j++) {
            const char *code = j == 0 ? cat->kinds[i].code : cat->kinds[i].subs[j - 1].code;
            const char *sep = used ? ", " : "";
            size_t n = strlen(sep) + strlen(code);
            /* When the list is cut, keep room for ", ..." after the last code. */
            if (!fits && used + n + sizeof more > len) {
                snprintf(buf + used, len - used, "%s", used ? more : more + 2);
                return GL_ETOOBIG;
            }
            memcpy(buf + used, sep, strlen(sep));
            memcpy(buf + used + strlen(sep), code, strlen(code) + 1);
            used += n;
        }
    }
    return GL_OK;
}

int gl_category_check(const gl_catalogue_t *cat, const char *code, char *err, size_t errlen)
{
    if (gl_category_find(cat, code))
        return GL_OK;
    char valid[1024];
    gl_category_list(cat, valid, sizeof valid);
    gl_errf(err, errlen, "unknown category '%.*s'; valid: %s", GL_CATEGORY_CODE_MAX, code ? code : "", valid);
    return GL_EINVAL;
}

/* ---- category sets --------------------------------------------------- */

void gl_category_set_free(gl_category_set_t **sp)
{
    if (!sp || !*sp)
        return;
    for (size_t i = 0; i < (*sp)->n; i++)
        free((*sp)->codes[i]);
    free((*sp)->codes);
    free(*sp);
    *sp = NULL;
}

int gl_category_set_empty(gl_category_set_t **out)
{
    if (!out)
        return GL_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? GL_OK : GL_ENOMEM;
}

int gl_category_set_from_json(const gl_catalogue_t *cat, const json_t *codes, const char *what, gl_category_set_t **out,
                              char *err, size_t errlen)
{
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (!json_is_array(codes) || json_array_size(codes) > MAX_SET) {
        gl_errf(err, errlen, "%s: must be an array of at most %d category codes", what, MAX_SET);
        return GL_EINVAL;
    }
    gl_category_set_t *s = calloc(1, sizeof *s);
    size_t n = json_array_size(codes);
    if (!s || (n > 0 && !(s->codes = calloc(n, sizeof *s->codes)))) {
        free(s);
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(codes, i);
        const char *code = json_is_string(v) ? json_string_value(v) : NULL;
        int rc = GL_EINVAL;
        if (!code)
            gl_errf(err, errlen, "%s[%zu]: must be a string, a category code", what, i);
        else if (!gl_category_find(cat, code))
            gl_errf(err, errlen, "%s[%zu]: unknown category '%.*s'", what, i, GL_CATEGORY_CODE_MAX, code);
        else
            rc = GL_OK;
        for (size_t j = 0; rc == 0 && j < s->n; j++) {
            if (strcmp(s->codes[j], code) == 0) {
                gl_errf(err, errlen, "%s[%zu]: '%s' listed twice (first at %s[%zu])", what, i, code, what, j);
                rc = GL_EINVAL;
            }
        }
        if (rc == 0 && !(s->codes[s->n] = strdup(code))) {
            gl_errf(err, errlen, "out of memory");
            rc = GL_ENOMEM;
        }
        if (rc != 0) {
            gl_category_set_free(&s);
            return rc;
        }
        s->n++;
    }
    *out = s;
    return GL_OK;
}

json_t *gl_category_set_to_json(const gl_category_set_t *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && s && i < s->n; i++) {
        if (json_array_append_new(arr, json_string(s->codes[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

bool gl_category_set_has(const gl_category_set_t *s, const gl_catalogue_t *cat, const char *code)
{
    const gl_category_t *e = gl_category_find(cat, code);
    if (!s || !e)
        return false;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->codes[i], e->code) == 0 || (e->kind && strcmp(s->codes[i], e->kind->code) == 0))
            return true;
    return false;
}
