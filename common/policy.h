/* policy.h: SLA policy, the time a holder has to accept and to resolve a case.
 *
 * A policy is an ordered list of rules, each matching a tier and optionally a
 * category prefix and a priority. The most specific matching rule wins
 * (priority match beats category match beats tier-only); among equally
 * specific rules the later one wins, so a topology can override defaults.
 * Within a level, a rule naming the tier beats one for "any" tier, and a
 * longer category prefix ("urban/roads") beats a shorter one ("urban"). A
 * category matches a case's category whole or as a prefix ending at a "/".
 * The policy owns its rules and their strings; free with gl_policy_free. */
#ifndef GL_POLICY_H
#define GL_POLICY_H

#include <jansson.h>
#include <stdint.h>

#include "calendar.h"
#include "category.h"
#include "gridlink.pb-c.h"

typedef struct gl_sla_rule {
    Gridlink__V1__Tier tier; /* TIER_UNKNOWN matches every tier */
    char *category;          /* prefix of the case category; NULL matches any */
    int priority;            /* a Gridlink__V1__Priority value, or -1 for any */
    gl_time_limit accept;    /* time to accept; amount 0 = no acceptance deadline */
    gl_time_limit resolve;   /* time to resolve; amount 0 = no resolution deadline */
    int64_t accept_ms;       /* accept's nominal length (gl_time_limit_nominal_ms) */
    int64_t resolve_ms;      /* resolve's nominal length */
} gl_sla_rule;

typedef struct gl_policy {
    gl_sla_rule *rules;
    size_t n_rules;
    const gl_catalogue_t *defaults; /* limits for tiers without rules, or NULL; not owned */
} gl_policy_t;

/* Build a policy from a JSON array of rule objects:
 *   {"tier": "community", "category": "urban", "priority": "urgent",
 *    "accept_s": 3600, "resolve_wd": 5}
 * Each limit is given once, on the clock (accept_s or accept_ms) or in
 * working time (accept_wh working hours, accept_wd working days; see
 * calendar.h), and likewise for resolve; absent is no such deadline. Tier
 * "any" or absent matches all tiers. On error returns GL_EINVAL and writes a one-line
 * reason into err. *out is owned by the caller. */
int gl_policy_from_json(const json_t *rules, gl_policy_t **out, char *err, size_t errlen);
/* Serialize back to a JSON array (new reference, owned by caller). */
json_t *gl_policy_to_json(const gl_policy_t *p);
void gl_policy_free(gl_policy_t **p);

/* Limits for a case at a holder of `tier`, each an amount and its unit, for
 * gl_calendar_add. Writes amount 0 for a deadline no rule sets. When no rule
 * names the tier or "any", the catalogue's limits for the category are used
 * (gl_category_time_limits). Returns GL_ENOENT if neither decides (both
 * outputs no limit). Output pointers may be NULL. */
int gl_policy_limits_for(const gl_policy_t *p, Gridlink__V1__Tier tier, const char *category, int priority,
                         gl_time_limit *accept, gl_time_limit *resolve);
/* The same limits as nominal lengths in ms (a working hour as 1 h, a working
 * day as 24 h): for display and ordering, not for computing a due time. */
int gl_policy_deadline_for(const gl_policy_t *p, Gridlink__V1__Tier tier, const char *category, int priority,
                           int64_t *accept_ms, int64_t *resolve_ms);

/* The due times of a holder's limits started at start_ms: the limits of
 * gl_policy_limits_for, each counted on cal for node with
 * gl_calendar_add_limit; 0 for a deadline no rule sets. The engine starts a
 * holder's deadlines with it (nodes/deadlines.c) and the replay counts them
 * again with it (replay.c), so the two agree. Outputs may be NULL. */
void gl_policy_dues(const gl_policy_t *p, const gl_calendar_t *cal, const char *node, Gridlink__V1__Tier tier,
                    const char *category, int priority, int64_t start_ms, int64_t *accept_due, int64_t *resolve_due);

/* The notes the engine logs when a deadline passes (nodes/clock.c), each
 * the start of the event's note: how a replay tells the clock's steps from
 * people's. */
#define GL_DUE_NOTE_ACCEPT  "not accepted in time"
#define GL_DUE_NOTE_ABSENT  "did not report in (报到) in time"
#define GL_DUE_NOTE_RESOLVE "not resolved in time"

/* Names <-> enums, shared by topology, CLI and JSON output. Parsers return
 * -1 for unknown names. */
int gl_tier_parse(const char *s);
const char *gl_tier_name(int tier);
int gl_priority_parse(const char *s);
const char *gl_priority_name(int priority);

#endif
