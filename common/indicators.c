/* indicators.c: see indicators.h. */
#include "indicators.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"

#define T(x)             GRIDLINK__V1__TIER__TIER_##x
#define YEARS            (GL_PLAN_LAST_YEAR - GL_PLAN_FIRST_YEAR + 1)
#define URBAN_ROOM_MIN   700.0
#define RURAL_ROOM_MIN   500.0
#define OFFICE_SHARE_MAX 0.2

extern const char gl_plan_targets_csv[];
extern const size_t gl_plan_targets_csv_len;

static const char *const ids[GL_IND_N] = {
    [GL_I_HARMONIOUS] = "harmonious_community_rate",        [GL_I_SERVICE_ROOM] = "service_room_compliance",
    [GL_I_SERVICE_CENTER] = "township_service_center_rate", [GL_I_WORKER_CERT] = "social_worker_cert_rate_u45",
    [GL_I_ORGS_URBAN] = "social_orgs_per_urban_community",  [GL_I_ORGS_RURAL] = "social_orgs_per_rural_community",
    [GL_I_GRID_MANAGEMENT] = "grid_management_coverage",    [GL_I_DEMOCRATIC] = "democratic_consultation_coverage",
    [GL_I_ROOM_URBAN_AVG] = "urban_service_room_avg",       [GL_I_ROOM_RURAL_AVG] = "rural_service_room_avg",
    [GL_I_OFFICE_ROOM] = "office_room_within_20pct",        [GL_I_WORKER_INCOME] = "social_worker_income_rate",
    [GL_I_INFORMATIZATION] = "informatization_coverage",
};

/* Table 2's row 7 (城乡社区信息化) gives words, not numbers. */
static const char *const informatization_plan[YEARS] = {
    "100%达市要求,并在2个社区进行试点功能拓展",
    "试点扩大至2个镇(街道)",
    "全面进行新功能推广",
    "巩固和完善",
};

static struct {
    bool loaded;
    char zh[GL_IND_N][160];
    char unit[GL_IND_N][40];
    bool has[GL_IND_N][YEARS];
    double target[GL_IND_N][YEARS];
} plan;

static int index_of(const char *id)
{
    for (int i = 0; i < GL_IND_N; i++)
        if (strcmp(ids[i], id) == 0)
            return i;
    return -1;
}

/* One CSV line (no quoting: the file has none) into at most max cells. */
static int split(char *line, char **cells, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        cells[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

int gl_plan_targets_load(void)
{
    if (plan.loaded)
        return 0;
    char *text = strndup(gl_plan_targets_csv, gl_plan_targets_csv_len);
    if (!text)
        return GL_ENOMEM;
    bool seen[GL_IND_N] = {false};
    int rc = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[len - 1] = 0;
        if (lineno == 1 || !line[0])
            continue; /* the header */
        char *c[3 + YEARS];
        if (split(line, c, 3 + YEARS) != 3 + YEARS) {
            gl_error("plan targets: line %d has not %d cells", lineno, 3 + YEARS);
            rc = GL_EINVAL;
            break;
        }
        int i = index_of(c[0]);
        if (i < 0)
            continue; /* an indicator this build does not compute */
        seen[i] = true;
        snprintf(plan.zh[i], sizeof plan.zh[i], "%s", c[1]);
        snprintf(plan.unit[i], sizeof plan.unit[i], "%s", c[2]);
        for (int y = 0; y < YEARS; y++) {
            char *end;
            if (!c[3 + y][0])
                continue;
            double v = strtod(c[3 + y], &end);
            if (*end || !isfinite(v)) {
                gl_error("plan targets: line %d: '%s' is not a number", lineno, c[3 + y]);
                rc = GL_EINVAL;
                break;
            }
            plan.has[i][y] = true;
            plan.target[i][y] = v;
        }
    }
    free(text);
    for (int i = 0; rc == 0 && i < GL_IND_N; i++)
        if (!seen[i]) {
            gl_error("plan targets: no row for %s", ids[i]);
            rc = GL_EINVAL;
        }
    plan.loaded = rc == 0;
    return rc;
}

bool gl_plan_target(int i, int year, double *target)
{
    if (i < 0 || i >= GL_IND_N || year < GL_PLAN_FIRST_YEAR || gl_plan_targets_load() != 0)
        return false;
    int y = (year > GL_PLAN_LAST_YEAR ? GL_PLAN_LAST_YEAR : year) - GL_PLAN_FIRST_YEAR;
    if (!plan.has[i][y])
        return false;
    *target = plan.target[i][y];
    return true;
}

bool gl_ind_is_rural(const gl_node_t *n, const gl_ind_node *in)
{
    if (in && in->has[GL_F_RURAL])
        return in->v[GL_F_RURAL] != 0;
    const char *name = n->name ? n->name : "";
    size_t len = strlen(name), tail = strlen("村");
    return len >= tail && strcmp(name + len - tail, "村") == 0;
}

static bool flag(const gl_ind_node *in, int f)
{
    return in->has[f] && in->v[f] != 0;
}

int gl_indicators_compute(const gl_topology_t *t, const gl_ind_node *nodes, uint64_t observed_min, int year,
                          const char *unit, gl_indicator out[GL_IND_N])
{
    int rc = gl_plan_targets_load();
    if (rc)
        return rc;
    const gl_node_t *root = NULL;
    for (size_t i = 0; i < t->n_nodes && !root; i++)
        if (t->nodes[i].parent < 0)
            root = &t->nodes[i];
    const gl_node_t *scope = unit ? gl_topology_find(t, unit) : root;
    if (!scope)
        return GL_ENOENT;
    if (scope->tier != T(DISTRICT) && scope->tier != T(TOWNSHIP))
        return GL_EINVAL;
    int ri = root ? gl_topology_index_of(t, root->id) : -1;
    const gl_ind_node *dist = ri >= 0 ? &nodes[ri] : NULL;
    bool wage = dist && dist->has[GL_F_URBAN_AVG_WAGE];
    double wage_v = wage ? dist->v[GL_F_URBAN_AVG_WAGE] : 0;

    memset(out, 0, GL_IND_N * sizeof *out);
    for (size_t i = 0; i < t->n_nodes; i++) {
        const gl_node_t *n = &t->nodes[i];
        const gl_ind_node *in = &nodes[i];
        if (!gl_topology_in_subtree(scope->id, n->id))
            continue;
        gl_indicator *o = out;
        o[GL_I_INFORMATIZATION].units++;
        o[GL_I_INFORMATIZATION].reported += in->up_min > 0;
        o[GL_I_INFORMATIZATION].numerator += (double)(in->up_min < observed_min ? in->up_min : observed_min);
        o[GL_I_INFORMATIZATION].denominator += (double)observed_min;
        if (n->tier == T(TOWNSHIP)) {
            int per[] = {GL_I_SERVICE_CENTER, GL_I_GRID_MANAGEMENT}, f[] = {GL_F_SERVICE_CENTER, GL_F_GRID_MANAGEMENT};
            for (int k = 0; k < 2; k++) {
                o[per[k]].units++;
                o[per[k]].denominator++;
                o[per[k]].reported += in->has[f[k]];
                o[per[k]].numerator += flag(in, f[k]);
            }
            continue;
        }
        if (n->tier != T(COMMUNITY))
            continue;
        bool rural = gl_ind_is_rural(n, in);
        int per[] = {GL_I_HARMONIOUS, GL_I_DEMOCRATIC}, f[] = {GL_F_HARMONIOUS, GL_F_DEMOCRATIC_CONSULTATION};
        for (int k = 0; k < 2; k++) {
            o[per[k]].units++;
            o[per[k]].denominator++;
            o[per[k]].reported += in->has[f[k]];
            o[per[k]].numerator += flag(in, f[k]);
        }
        bool room = in->has[GL_F_SERVICE_ROOM_M2];
        double m2 = in->v[GL_F_SERVICE_ROOM_M2];
        o[GL_I_SERVICE_ROOM].units++;
        o[GL_I_SERVICE_ROOM].denominator++;
        o[GL_I_SERVICE_ROOM].reported += room;
        o[GL_I_SERVICE_ROOM].numerator += room && m2 >= (rural ? RURAL_ROOM_MIN : URBAN_ROOM_MIN);
        o[GL_I_OFFICE_ROOM].units++;
        o[GL_I_OFFICE_ROOM].denominator++;
        bool office = room && in->has[GL_F_OFFICE_ROOM_M2];
        o[GL_I_OFFICE_ROOM].reported += office;
        o[GL_I_OFFICE_ROOM].numerator += office && m2 > 0 && in->v[GL_F_OFFICE_ROOM_M2] <= OFFICE_SHARE_MAX * m2;
        o[GL_I_WORKER_INCOME].units++;
        o[GL_I_WORKER_INCOME].denominator++;
        bool income = in->has[GL_F_WORKER_AVG_INCOME];
        o[GL_I_WORKER_INCOME].reported += income;
        o[GL_I_WORKER_INCOME].numerator += income && wage && in->v[GL_F_WORKER_AVG_INCOME] >= wage_v;
        o[GL_I_WORKER_CERT].units++;
        if (in->has[GL_F_WORKERS_U45]) {
            o[GL_I_WORKER_CERT].reported++;
            o[GL_I_WORKER_CERT].denominator += in->v[GL_F_WORKERS_U45];
            double c = in->has[GL_F_WORKERS_U45_CERTIFIED] ? in->v[GL_F_WORKERS_U45_CERTIFIED] : 0;
            o[GL_I_WORKER_CERT].numerator += c < in->v[GL_F_WORKERS_U45] ? c : in->v[GL_F_WORKERS_U45];
        }
        gl_indicator *orgs = &o[rural ? GL_I_ORGS_RURAL : GL_I_ORGS_URBAN];
        gl_indicator *avg = &o[rural ? GL_I_ROOM_RURAL_AVG : GL_I_ROOM_URBAN_AVG];
        orgs->units++;
        if (in->has[GL_F_SOCIAL_ORGS]) {
            orgs->reported++;
            orgs->denominator++;
            orgs->numerator += in->v[GL_F_SOCIAL_ORGS];
        }
        avg->units++;
        if (room) {
            avg->reported++;
            avg->denominator++;
            avg->numerator += m2;
        }
    }
    for (int i = 0; i < GL_IND_N; i++) {
        gl_indicator *o = &out[i];
        o->id = ids[i];
        o->zh = plan.zh[i];
        o->unit = plan.unit[i];
        o->share = strncmp(o->unit, "percent", 7) == 0;
        if (o->denominator > 0) {
            o->has_value = true;
            o->value = o->numerator / o->denominator * (o->share ? 100.0 : 1.0);
        }
        o->has_target = gl_plan_target(i, year, &o->target);
        /* A share is compared at the precision it is shown with (0.01). */
        o->met = o->has_value && o->has_target && o->value + 0.005 >= o->target;
        if (i == GL_I_INFORMATIZATION && year >= GL_PLAN_FIRST_YEAR)
            o->plan = informatization_plan[(year > GL_PLAN_LAST_YEAR ? GL_PLAN_LAST_YEAR : year) - GL_PLAN_FIRST_YEAR];
    }
    return 0;
}

static json_t *num_or_null(bool has, double v)
{
    return has ? json_real(v) : json_null();
}

json_t *gl_indicators_json(const gl_indicator rows[GL_IND_N])
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < GL_IND_N; i++) {
        const gl_indicator *o = &rows[i];
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:f, s:f, s:I, s:I, s:o}", "id", o->id, "zh", o->zh,
                              "unit", o->unit, "kind", o->share ? "share" : "average", "value",
                              num_or_null(o->has_value, round(o->value * 100) / 100), "target",
                              num_or_null(o->has_target, o->target), "met",
                              o->has_value && o->has_target ? json_boolean(o->met) : json_null(), "numerator",
                              o->numerator, "denominator", o->denominator, "units", (json_int_t)o->units, "reported",
                              (json_int_t)o->reported, "plan", o->plan ? json_string(o->plan) : json_null());
        json_array_append_new(arr, j);
    }
    return arr;
}
