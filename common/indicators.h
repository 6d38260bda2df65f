/* indicators.h: the plan's indicators (tables 1 and 2 of the 2017 plan)
 * computed from the facts units reported (facts.h) and from node
 * liveness, against the plan's yearly targets, for the district or one
 * township. Pure code: the caller gathers each node's facts as of the
 * year's end and its up-time, and gets one row per indicator.
 *
 * The targets are the data file deploy/topology/data/plan-targets.csv,
 * compiled in (gl_plan_targets_csv); an empty cell is no target that
 * year. A year after 2020 is held to 2020's targets (the plan's end
 * state); a year before 2017 has none.
 *
 * Definitions (communities: the tier's nodes in scope; a village is a
 * community whose fact `rural` is 1, or, without it, whose name ends in
 * 村; units that reported nothing count as not meeting a share):
 *   harmonious_community_rate        communities with harmonious_community = 1 / communities
 *   service_room_compliance          communities with service_room_m2 >= 700 (urban) or >= 500 (village) / communities
 *   township_service_center_rate     townships with service_center = 1 / townships
 *   social_worker_cert_rate_u45      sum of social_workers_u45_certified / sum of social_workers_u45
 *   social_orgs_per_urban_community  sum of social_orgs / urban communities that reported it (an average)
 *   social_orgs_per_rural_community  the same for villages
 *   grid_management_coverage         townships with grid_management = 1 / townships
 *   democratic_consultation_coverage communities with democratic_consultation = 1 / communities
 *   urban_service_room_avg           sum of service_room_m2 / urban communities that reported it
 *   rural_service_room_avg           the same for villages
 *   office_room_within_20pct         communities with office_room_m2 <= 20% of service_room_m2 / communities
 *   social_worker_income_rate        communities with social_worker_avg_income >= the district's
 *                                    urban_avg_wage / communities
 *   informatization_coverage         node-minutes with the node's links up / node-minutes the broker
 *                                    watched, over every node in scope
 * A share's value is 100 * numerator / denominator (percent); it and an
 * average have no value when the denominator is 0. met: value >= target.
 *
 * Nothing here allocates except gl_indicators_json (the caller's). */
#ifndef GL_INDICATORS_H
#define GL_INDICATORS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "facts.h"
#include "topology.h"

#define GL_PLAN_FIRST_YEAR    2017
#define GL_PLAN_LAST_YEAR     2020
#define GL_INDICATORS_FORMULA "gl-ind-1"

enum gl_ind_id {
    GL_I_HARMONIOUS,
    GL_I_SERVICE_ROOM,
    GL_I_SERVICE_CENTER,
    GL_I_WORKER_CERT,
    GL_I_ORGS_URBAN,
    GL_I_ORGS_RURAL,
    GL_I_GRID_MANAGEMENT,
    GL_I_DEMOCRATIC,
    GL_I_ROOM_URBAN_AVG,
    GL_I_ROOM_RURAL_AVG,
    GL_I_OFFICE_ROOM,
    GL_I_WORKER_INCOME,
    GL_I_INFORMATIZATION,
    GL_IND_N
};

/* One node's inputs: its facts as of the period's end, and how many
 * minutes of the period its links were up. */
typedef struct gl_ind_node {
    double v[GL_FACT_N];
    bool has[GL_FACT_N];
    uint64_t up_min;
} gl_ind_node;

typedef struct gl_indicator {
    const char *id;
    const char *zh;
    const char *unit; /* the CSV's unit column: percent_of_communities, count, ... */
    bool share;       /* a percentage of numerator / denominator (else an average) */
    double numerator, denominator;
    bool has_value;
    double value;
    bool has_target;
    double target;
    bool met;
    uint32_t units;    /* the units it is computed over, in scope */
    uint32_t reported; /* of those, the ones that reported what it needs */
    const char *plan;  /* table 2's words for the year, where it has words: may be NULL */
} gl_indicator;

/* Parse the compiled-in targets (once; later calls return at once).
 * 0, or GL_EINVAL when the file lacks an indicator or a cell is bad. */
int gl_plan_targets_load(void);
/* The target of indicator i in year: true with *target, or false. */
bool gl_plan_target(int i, int year, double *target);

/* Compute every indicator over the subtree of unit (a township or the
 * district's root; NULL: the whole topology) for year. nodes has one entry
 * per topology node, by index; observed_min is the minutes of the year the
 * broker watched. GL_ENOENT when unit is not a node, GL_EINVAL when it is
 * neither the district nor a township. */
int gl_indicators_compute(const gl_topology_t *t, const gl_ind_node *nodes, uint64_t observed_min, int year,
                          const char *unit, gl_indicator out[GL_IND_N]);
/* The rows as the API gives them: {"id", "zh", "unit", "value", "target",
 * "met", "numerator", "denominator", "units", "reported", "plan"}, null
 * where there is none. */
json_t *gl_indicators_json(const gl_indicator rows[GL_IND_N]);
/* A node counts as a village (rural community). */
bool gl_ind_is_rural(const gl_node_t *n, const gl_ind_node *in);

#endif
