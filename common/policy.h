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

#include "category.h"
#include "gridlink.pb-c.h"

typedef struct gl_sla_rule {
    Gridlink__V1__Tier tier; /* TIER_UNKNOWN matches every tier */
    char *category;          /* prefix of the case category; NULL matches any */
    int priority;            /* a Gridlink__V1__Priority value, or -1 for any */
    int64_t accept_ms;       /* time to accept; 0 = no acceptance deadline */
    int64_t resolve_ms;      /* time to resolve; 0 = no resolution deadline */
} gl_sla_rule;

typedef struct gl_policy {
    gl_sla_rule *rules;
    size_t n_rules;
    const gl_catalogue_t *defaults; /* limits for tiers without rules, or NULL; not owned */
} gl_policy_t;

/* Build a policy from a JSON array of rule objects:
 *   {"tier": "community", "category": "urban", "priority": "urgent",
 *    "accept_s": 3600, "resolve_s": 86400}
 * (accept_ms / resolve_ms are accepted as well as *_s; tier "any" or absent
 * matches all tiers). On error returns GL_EINVAL and writes a one-line
 * reason into err. *out is owned by the caller. */
int gl_policy_from_json(const json_t *rules, gl_policy_t **out, char *err, size_t errlen);
/* Serialize back to a JSON array (new reference, owned by caller). */
json_t *gl_policy_to_json(const gl_policy_t *p);
void gl_policy_free(gl_policy_t **p);

/* Deadlines for a case at a holder of `tier`. Writes 0 for a deadline no rule
 * sets. When no rule names the tier or "any", the catalogue's limits for the
 * category are used (gl_category_limits). Returns GL_ENOENT if neither
 * decides (both outputs 0). */
int gl_policy_deadline_for(const gl_policy_t *p, Gridlink__V1__Tier tier, const char *category, int priority,
                           int64_t *accept_ms, int64_t *resolve_ms);

/* Names <-> enums, shared by topology, CLI and JSON output. Parsers return
 * -1 for unknown names. */
int gl_tier_parse(const char *s);
const char *gl_tier_name(int tier);
int gl_priority_parse(const char *s);
const char *gl_priority_name(int priority);

#endif
