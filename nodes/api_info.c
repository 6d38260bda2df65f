/* api_info.c: the staff API's small reads that need no engine, answered
 * from the account and the topology (see api.h): who I am, the category
 * catalogue, and one node of the tree with its neighbours. */
#include <string.h>

#include "api.h"
#include "policy.h"

static const char *tier_label(Gridlink__V1__Tier tier)
{
    switch (tier) {
    case GRIDLINK__V1__TIER__TIER_DISTRICT: return "区";
    case GRIDLINK__V1__TIER__TIER_TOWNSHIP: return "街道";
    case GRIDLINK__V1__TIER__TIER_COMMUNITY: return "社区";
    case GRIDLINK__V1__TIER__TIER_GRID: return "网格";
    case GRIDLINK__V1__TIER__TIER_DEPARTMENT: return "职能部门";
    default: return "";
    }
}

/* {"id", "name", "tier", "tier_label"} of n. */
static json_t *node_brief(const gl_node_t *n)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", n->id, "name", n->name ? n->name : "", "tier", gl_tier_name(n->tier),
                     "tier_label", tier_label(n->tier));
}

static void me(gl_http_req_t *r, const gl_topology_t *t, const gl_account *a)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "name", a->name, "role", gl_user_role_name(a->role), "role_label",
                          gl_user_role_label(a->role), "scope", a->scope);
    if (j && a->display[0])
        json_object_set_new(j, "display_name", json_string(a->display));
    const gl_node_t *n = gl_topology_find(t, a->scope);
    if (j && n)
        json_object_set_new(j, "node", node_brief(n));
    gl_http_json(r, 200, j);
}

static json_t *category_json(const gl_category_t *c)
{
    return json_pack("{s:s, s:s, s:s}", "code", c->code, "name", c->name, "display", c->display);
}

static void categories(gl_http_req_t *r, const gl_topology_t *t)
{
    json_t *kinds = json_array();
    for (size_t i = 0; t->catalogue && i < t->catalogue->n_kinds; i++) {
        const gl_category_t *k = &t->catalogue->kinds[i];
        json_t *kj = category_json(k), *subs = json_array();
        for (size_t s = 0; s < k->n_subs; s++)
            json_array_append_new(subs, category_json(&k->subs[s]));
        json_object_set_new(kj, "subcategories", subs);
        json_array_append_new(kinds, kj);
    }
    gl_http_json(r, 200, json_pack("{s:o}", "categories", kinds));
}

static void node(gl_http_req_t *r, const gl_topology_t *t, const gl_account *a, const char *id)
{
    const gl_node_t *n = gl_node_id_valid(id) ? gl_topology_find(t, id) : NULL;
    if (!n) {
        gl_http_error(r, 404, "not-found", "no node %.200s in this district", id);
        return;
    }
    if (!gl_account_in_scope(a, id)) {
        gl_http_error(r, 403, "forbidden", "%s (scope %s) may not see %s", a->name, a->scope, id);
        return;
    }
    json_t *j = node_brief(n), *children = json_array(), *departments = json_array();
    const gl_node_t *parent = gl_topology_parent(t, n);
    if (parent) {
        json_object_set_new(j, "parent", json_string(parent->id));
        json_object_set_new(j, "parent_name", json_string(parent->name ? parent->name : ""));
    }
    for (size_t i = 0; i < n->n_children; i++) {
        const gl_node_t *c = &t->nodes[n->children[i]];
        json_array_append_new(c->tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT ? departments : children, node_brief(c));
    }
    json_object_set_new(j, "children", children);
    json_object_set_new(j, "departments", departments);
    if (n->area) {
        double west, south, east, north;
        gl_area_bounds(n->area, &west, &south, &east, &north);
        json_object_set_new(j, "area_centre",
                            json_pack("{s:f, s:f}", "lat", (south + north) / 2, "lon", (west + east) / 2));
    }
    gl_http_json(r, 200, j);
}

int gl_api_info(gl_http_req_t *r, const gl_topology_t *t, const gl_account *a, char **parts, int n)
{
    bool me_ = n == 3 && strcmp(parts[2], "me") == 0;
    bool cats = n == 3 && strcmp(parts[2], "categories") == 0;
    bool nd = n == 4 && strcmp(parts[2], "nodes") == 0;
    if (!me_ && !cats && !nd)
        return 0;
    if (strcmp(gl_http_method(r), "GET") != 0)
        gl_http_error(r, 405, "method-not-allowed", "%s is read with GET", gl_http_path(r));
    else if (me_)
        me(r, t, a);
    else if (cats)
        categories(r, t);
    else
        node(r, t, a, parts[3]);
    return 1;
}
