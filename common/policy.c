/* policy.c: SLA rules (see policy.h) and the tier/priority name tables.
 *
 * A gl_policy_t owns its rules array and each rule's category string; both
 * are freed by gl_policy_free. JSON values passed in stay owned by the
 * caller; gl_policy_to_json returns a new reference the caller releases.
 *
 * Choosing a rule: every rule whose tier, category and priority all match is
 * a candidate. A priority match counts most, then a category match, then a
 * tier match (a rule naming the tier beats a tier "any" rule); between two
 * category matches the longer prefix is the more specific; what is still
 * tied goes to the later rule, so a file can override an earlier default.
 * Only when no rule is for the holder's tier at all (by name or as "any")
 * does the catalogue the policy points at give the limits. */
#include "policy.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *const tier_names[] = {
    [GRIDLINK__V1__TIER__TIER_UNKNOWN] = "any",       [GRIDLINK__V1__TIER__TIER_DISTRICT] = "district",
    [GRIDLINK__V1__TIER__TIER_TOWNSHIP] = "township", [GRIDLINK__V1__TIER__TIER_COMMUNITY] = "community",
    [GRIDLINK__V1__TIER__TIER_GRID] = "grid",         [GRIDLINK__V1__TIER__TIER_DEPARTMENT] = "department",
};
#define N_TIERS (sizeof tier_names / sizeof tier_names[0])

static const char *const priority_names[] = {
    [GRIDLINK__V1__PRIORITY__PRIORITY_NORMAL] = "normal",
    [GRIDLINK__V1__PRIORITY__PRIORITY_URGENT] = "urgent",
    [GRIDLINK__V1__PRIORITY__PRIORITY_EMERGENCY] = "emergency",
};
#define N_PRIORITIES (sizeof priority_names / sizeof priority_names[0])

int gl_tier_parse(const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < N_TIERS; i++)
        if (strcmp(s, tier_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *gl_tier_name(int tier)
{
    if (tier < 0 || (size_t)tier >= N_TIERS)
        return "unknown";
    return tier_names[tier];
}

int gl_priority_parse(const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < N_PRIORITIES; i++)
        if (strcmp(s, priority_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *gl_priority_name(int priority)
{
    if (priority == -1)
        return "any";
    if (priority < 0 || (size_t)priority >= N_PRIORITIES)
        return "unknown";
    return priority_names[priority];
}

/* A category is one or more "/"-separated parts, each non-empty; this keeps
 * prefix matching at "/" boundaries meaningful. */
static bool category_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 255 || s[0] == '/' || s[len - 1] == '/' || strstr(s, "//"))
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Reads one limit given as NAME_s, NAME_ms, NAME_wh or NAME_wd (one of
 * them); absent means no limit. */
static int read_limit(const json_t *rule, size_t i, const char *name, gl_time_limit *out, char *err, size_t errlen)
{
    char why[192];
    int rc = gl_time_limit_from_json(rule, name, true, out, why, sizeof why);
    if (rc == GL_EINVAL)
        gl_errf(err, errlen, "sla[%zu]: %s", i, why);
    return rc == GL_EINVAL ? rc : GL_OK;
}

static int parse_rule(const json_t *rule, size_t i, gl_sla_rule *r, char *err, size_t errlen)
{
    static const char *const known[] = {"tier",      "category",  "priority",   "accept_s",   "accept_ms", "accept_wh",
                                        "accept_wd", "resolve_s", "resolve_ms", "resolve_wh", "resolve_wd"};
    r->tier = GRIDLINK__V1__TIER__TIER_UNKNOWN;
    r->category = NULL;
    r->priority = -1;
    r->accept_ms = r->resolve_ms = 0;
    r->accept = r->resolve = (gl_time_limit){0, GL_TIME_MS};

    if (!json_is_object(rule)) {
        gl_errf(err, errlen, "sla[%zu]: rule must be an object", i);
        return GL_EINVAL;
    }
    /* Unknown keys are refused: a misspelt "resolve_sec" silently ignored
     * would quietly change every deadline it was meant to set. */
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)rule, key, val)
    {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (strcmp(key, known[k]) == 0)
                ok = true;
        if (!ok) {
            gl_errf(err, errlen, "sla[%zu]: unknown key '%.40s'", i, key);
            return GL_EINVAL;
        }
    }

    const json_t *v = json_object_get(rule, "tier");
    if (v) {
        int tier = json_is_string(v) ? gl_tier_parse(json_string_value(v)) : -1;
        if (tier < 0) {
            gl_errf(err, errlen, "sla[%zu]: tier must be any, district, township, community, grid or department", i);
            return GL_EINVAL;
        }
        r->tier = (Gridlink__V1__Tier)tier;
    }
    v = json_object_get(rule, "priority");
    if (v) {
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        int prio = s ? gl_priority_parse(s) : -1;
        if (s && strcmp(s, "any") == 0) {
            prio = -1;
        } else if (prio < 0) {
            gl_errf(err, errlen, "sla[%zu]: priority must be any, normal, urgent or emergency", i);
            return GL_EINVAL;
        }
        r->priority = prio;
    }
    v = json_object_get(rule, "category");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) || !category_valid(json_string_value(v))) {
            gl_errf(err, errlen, "sla[%zu]: category must be a non-empty path like \"urban/roads\"", i);
            return GL_EINVAL;
        }
        r->category = strdup(json_string_value(v));
        if (!r->category) {
            gl_errf(err, errlen, "out of memory");
            return GL_ENOMEM;
        }
    }
    int rc = read_limit(rule, i, "accept", &r->accept, err, errlen);
    if (rc == 0)
        rc = read_limit(rule, i, "resolve", &r->resolve, err, errlen);
    r->accept_ms = gl_time_limit_nominal_ms(r->accept);
    r->resolve_ms = gl_time_limit_nominal_ms(r->resolve);
    if (rc != 0) {
        free(r->category);
        r->category = NULL;
    }
    return rc;
}

int gl_policy_from_json(const json_t *rules, gl_policy_t **out, char *err, size_t errlen)
{
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    if (rules && !json_is_array(rules)) {
        gl_errf(err, errlen, "sla: must be an array of rules");
        return GL_EINVAL;
    }
    gl_policy_t *p = calloc(1, sizeof *p);
    if (!p) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    size_t n = rules ? json_array_size(rules) : 0;
    if (n > 0) {
        p->rules = calloc(n, sizeof *p->rules);
        if (!p->rules) {
            free(p);
            gl_errf(err, errlen, "out of memory");
            return GL_ENOMEM;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int rc = parse_rule(json_array_get(rules, i), i, &p->rules[i], err, errlen);
        if (rc != 0) {
            gl_policy_free(&p);
            return rc;
        }
        p->n_rules++;
    }
    *out = p;
    return GL_OK;
}

json_t *gl_policy_to_json(const gl_policy_t *p)
{
    json_t *arr = json_array();
    if (!arr || !p)
        return arr;
    for (size_t i = 0; i < p->n_rules; i++) {
        const gl_sla_rule *r = &p->rules[i];
        json_t *o = json_object();
        int rc = o ? 0 : -1;
        if (rc == 0)
            rc = json_object_set_new(o, "tier", json_string(gl_tier_name(r->tier)));
        if (rc == 0 && r->category)
            rc = json_object_set_new(o, "category", json_string(r->category));
        if (rc == 0 && r->priority >= 0)
            rc = json_object_set_new(o, "priority", json_string(gl_priority_name(r->priority)));
        if (rc == 0)
            rc = gl_time_limit_to_json(o, "accept", r->accept);
        if (rc == 0)
            rc = gl_time_limit_to_json(o, "resolve", r->resolve);
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

void gl_policy_free(gl_policy_t **pp)
{
    if (!pp || !*pp)
        return;
    gl_policy_t *p = *pp;
    for (size_t i = 0; i < p->n_rules; i++)
        free(p->rules[i].category);
    free(p->rules);
    free(p);
    *pp = NULL;
}

/* "urban" matches "urban" and "urban/roads" but not "urbanx". */
static bool category_matches(const char *prefix, const char *category)
{
    size_t n = strlen(prefix);
    return strncmp(prefix, category, n) == 0 && (category[n] == 0 || category[n] == '/');
}

int gl_policy_limits_for(const gl_policy_t *p, Gridlink__V1__Tier tier, const char *category, int priority,
                         gl_time_limit *accept, gl_time_limit *resolve)
{
    gl_time_limit dummy_a, dummy_r;
    if (!accept)
        accept = &dummy_a;
    if (!resolve)
        resolve = &dummy_r;
    *accept = *resolve = (gl_time_limit){0, GL_TIME_MS};
    if (!p)
        return GL_ENOENT;

    const gl_sla_rule *best = NULL;
    int best_score = -1;
    size_t best_cat_len = 0;
    bool tier_has_rules = false;
    for (size_t i = 0; i < p->n_rules; i++) {
        const gl_sla_rule *r = &p->rules[i];
        if (r->tier != GRIDLINK__V1__TIER__TIER_UNKNOWN && r->tier != tier)
            continue;
        tier_has_rules = true;
        if (r->priority >= 0 && r->priority != priority)
            continue;
        if (r->category && !(category && category_matches(r->category, category)))
            continue;
        int score =
            (r->priority >= 0 ? 4 : 0) + (r->category ? 2 : 0) + (r->tier != GRIDLINK__V1__TIER__TIER_UNKNOWN ? 1 : 0);
        size_t cat_len = r->category ? strlen(r->category) : 0;
        if (score > best_score || (score == best_score && cat_len >= best_cat_len)) {
            best = r;
            best_score = score;
            best_cat_len = cat_len;
        }
    }
    if (!best && !tier_has_rules && p->defaults && category)
        return gl_category_time_limits(p->defaults, category, accept, resolve);
    if (!best)
        return GL_ENOENT;
    *accept = best->accept;
    *resolve = best->resolve;
    return GL_OK;
}

int gl_policy_deadline_for(const gl_policy_t *p, Gridlink__V1__Tier tier, const char *category, int priority,
                           int64_t *accept_ms, int64_t *resolve_ms)
{
    gl_time_limit a, r;
    int rc = gl_policy_limits_for(p, tier, category, priority, &a, &r);
    if (accept_ms)
        *accept_ms = gl_time_limit_nominal_ms(a);
    if (resolve_ms)
        *resolve_ms = gl_time_limit_nominal_ms(r);
    return rc;
}

void gl_policy_dues(const gl_policy_t *p, const gl_calendar_t *cal, const char *node, Gridlink__V1__Tier tier,
                    const char *category, int priority, int64_t start_ms, int64_t *accept_due, int64_t *resolve_due)
{
    gl_time_limit a, r;
    gl_policy_limits_for(p, tier, category, priority, &a, &r);
    if (accept_due)
        *accept_due = a.amount > 0 ? gl_calendar_add_limit(cal, node, start_ms, a) : 0;
    if (resolve_due)
        *resolve_due = r.amount > 0 ? gl_calendar_add_limit(cal, node, start_ms, r) : 0;
}
