/* test_topology.c: loading topologies (the committed mini, demo and xinbei
 * files), endpoint derivation, areas and address keys, and file errors.
 * Validation of broken topologies is test_topology_check.c's, saving and
 * key generation test_topology_save.c's; helpers in topo_fx.c.
 *
 * The committed files are found through GL_SRC (the source tree), or, when
 * that is unset, from topo_fx.c's own path, which CMake passes absolute. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "error.h"
#include "home.h"
#include "keys.h"
#include "topo_fx.h"
#include "topology.h"

/* The grid total gen-xinbei.sh produces, and its departments (six of the
 * district, two per township); update both together. */
#define XINBEI_GRIDS       672
#define XINBEI_DEPARTMENTS 26

/* ---- the committed files --------------------------------------------- */

static void test_mini(void **state)
{
    (void)state;
    gl_topology_t *t = tfx_load_committed("mini.json");
    assert_string_equal(t->name, "mini");
    assert_int_equal(t->n_nodes, 7);
    assert_int_equal(t->port_base, 17300);
    assert_string_equal(t->listen_host, "127.0.0.1");
    assert_string_equal(t->nodes[t->root].id, "xinbei");
    assert_string_equal(t->nodes[t->root].name, "新北区");
    assert_int_equal(t->nodes[t->root].parent, -1);

    const gl_node_t *d = gl_topology_find(t, "xinbei");
    const gl_node_t *s = gl_topology_find(t, "xinbei.sanjing");
    const gl_node_t *c = gl_topology_find(t, "xinbei.sanjing.c01");
    const gl_node_t *g1 = gl_topology_find(t, "xinbei.sanjing.c01.g1");
    const gl_node_t *g2 = gl_topology_find(t, "xinbei.sanjing.c01.g2");
    assert_non_null(d);
    assert_non_null(s);
    assert_non_null(c);
    assert_non_null(g1);
    assert_non_null(g2);
    assert_null(gl_topology_find(t, "xinbei.sanjing.c02"));
    assert_null(gl_topology_find(t, NULL));
    assert_int_equal(gl_topology_index_of(t, "nope"), -1);
    assert_int_equal(d->tier, T_DISTRICT);
    assert_int_equal(s->tier, T_TOWNSHIP);
    assert_int_equal(c->tier, T_COMMUNITY);
    assert_int_equal(g2->tier, T_GRID);
    assert_string_equal(s->name, "三井街道");

    assert_ptr_equal(gl_topology_parent(t, g2), c);
    assert_ptr_equal(gl_topology_parent(t, c), s);
    assert_ptr_equal(gl_topology_parent(t, s), d);
    assert_null(gl_topology_parent(t, d));
    assert_int_equal(c->n_children, 2);
    assert_ptr_equal(&t->nodes[c->children[0]], g1);
    assert_ptr_equal(&t->nodes[c->children[1]], g2);
    assert_int_equal(g1->n_children, 0);

    /* The two grids tile lon 119.95..119.97, lat 31.86..31.88, split at
     * 119.96; the community places three address keys. */
    assert_ptr_equal(gl_topology_locate(t, 119.955, 31.87), g1);
    assert_ptr_equal(gl_topology_locate(t, 119.965, 31.87), g2);
    assert_ptr_equal(gl_topology_locate(t, 119.96, 31.87), g1);
    assert_ptr_equal(gl_topology_locate(t, 119.97, 31.88), g2);
    assert_null(gl_topology_locate(t, 119.90, 31.90));
    assert_null(gl_topology_locate(t, 119.965, 31.885));
    assert_null(c->area);
    assert_int_equal(c->n_addresses, 3);
    assert_ptr_equal(gl_topology_community_by_address(t, "常州市新北区三井花园5幢"), c);
    assert_ptr_equal(gl_topology_community_by_address(t, "晋陵北路100号"), c);
    assert_null(gl_topology_community_by_address(t, "河海东路1号"));

    /* bus = base, base+1; nodes with children base+2.. in file order. */
    assert_string_equal(t->bus_in, "tcp://127.0.0.1:17300");
    assert_string_equal(t->bus_out, "tcp://127.0.0.1:17301");
    assert_string_equal(d->endpoint, "tcp://127.0.0.1:17302");
    assert_string_equal(s->endpoint, "tcp://127.0.0.1:17303");
    assert_string_equal(c->endpoint, "tcp://127.0.0.1:17304");
    assert_null(g1->endpoint);
    assert_false(d->endpoint_explicit);
    assert_null(d->public_key);

    /* Two departments, appended last: one under the district, one under
     * the township; they bind nothing and moved no port. */
    const gl_node_t *urban = gl_topology_find(t, "xinbei.urban");
    const gl_node_t *market = gl_topology_find(t, "xinbei.sanjing.market");
    assert_non_null(urban);
    assert_non_null(market);
    assert_int_equal(urban->tier, T_DEPT);
    assert_int_equal(market->tier, T_DEPT);
    assert_string_equal(urban->name, "区城市管理局");
    assert_string_equal(market->name, "三井街道市场监管所");
    assert_ptr_equal(gl_topology_parent(t, urban), d);
    assert_ptr_equal(gl_topology_parent(t, market), s);
    assert_null(urban->endpoint);
    assert_null(market->endpoint);
    assert_int_equal(d->n_children, 2);
    assert_int_equal(s->n_children, 2);
    assert_ptr_equal(&t->nodes[d->children[1]], urban);

    int64_t a, r;
    assert_int_equal(gl_policy_deadline_for(t->policy, T_COMMUNITY, "urban", 0, &a, &r), 0);
    assert_int_equal(a, 3000);
    assert_int_equal(r, 8000);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_DISTRICT, "party", 2, &a, &r), 0);
    assert_int_equal(a, 3000);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_GRID, "urban", 0, &a, &r), 0);
    assert_int_equal(a, 0);
    assert_int_equal(r, 0);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_DEPT, "urban/roads", 0, &a, &r), 0);
    assert_int_equal(a, 3000);
    assert_int_equal(r, 8000);
    gl_topology_free(&t);
    assert_null(t);
    gl_topology_free(&t);
}

static void test_demo(void **state)
{
    (void)state;
    gl_topology_t *t = tfx_load_committed("demo.json");
    int per_tier[N_TIERS] = {0};
    for (size_t i = 0; i < t->n_nodes; i++)
        per_tier[t->nodes[i].tier]++;
    assert_int_equal(per_tier[T_DISTRICT], 1);
    assert_int_equal(per_tier[T_TOWNSHIP], 3);
    assert_int_equal(per_tier[T_COMMUNITY], 6);
    assert_in_range(per_tier[T_GRID], 12, 18);
    assert_int_equal(per_tier[T_DEPT], 2);
    assert_int_equal(gl_topology_find(t, "xinbei.sanjing.urban")->tier, T_DEPT);
    assert_int_equal(t->port_base, 17100);
    int64_t a, r;
    assert_int_equal(gl_policy_deadline_for(t->policy, T_TOWNSHIP, "governance/safety",
                                            GRIDLINK__V1__PRIORITY__PRIORITY_EMERGENCY, &a, &r),
                     0);
    assert_int_equal(a, 5000);
    assert_int_equal(gl_policy_deadline_for(t->policy, T_DISTRICT, "urban", 0, &a, &r), 0);
    assert_int_equal(a, 20000);
    assert_int_equal(r, 60000);
    gl_topology_free(&t);
}

static void test_xinbei(void **state)
{
    (void)state;
    static const struct {
        const char *id;
        size_t communities;
    } units[] = {
        {"xinbei.sanjing", 14}, {"xinbei.hehai", 10},     {"xinbei.longhutang", 8}, {"xinbei.xinqiao", 10},
        {"xinbei.xuejia", 10},  {"xinbei.chunjiang", 14}, {"xinbei.luoxi", 10},     {"xinbei.xixiashu", 9},
        {"xinbei.menghe", 12},  {"xinbei.benniu", 11},
    };
    gl_topology_t *t = tfx_load_committed("xinbei.json");
    assert_int_equal(t->port_base, 20000);
    int per_tier[N_TIERS] = {0};
    size_t links = 0, with_endpoint = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        const gl_node_t *n = &t->nodes[i];
        per_tier[n->tier]++;
        links += n->n_children;
        for (size_t k = 0; k < n->n_children; k++)
            assert_int_equal(t->nodes[n->children[k]].parent, (int)i);
        const gl_node_t *p = gl_topology_parent(t, n);
        if (n->tier == T_DISTRICT) {
            assert_null(p);
        } else {
            /* One tier up, but for departments: the district or a township. */
            assert_non_null(p);
            if (n->tier == T_DEPT)
                assert_true(p->tier == T_DISTRICT || p->tier == T_TOWNSHIP);
            else
                assert_int_equal(p->tier, n->tier - 1);
            assert_true(gl_topology_in_subtree(p->id, n->id));
        }
        if (n->tier == T_GRID || n->tier == T_DEPT) {
            assert_null(n->endpoint);
            assert_in_range(n->n_children, 0, 0);
        }
        if (n->tier == T_COMMUNITY) {
            /* urban communities (cNN) 6-10 grids, villages (vNN) 3-5 */
            bool village = strrchr(n->id, '.')[1] == 'v';
            assert_in_range(n->n_children, village ? 3 : 6, village ? 5 : 10);
        }
        if (n->endpoint) {
            with_endpoint++;
            assert_int_equal(n->n_children > 0, 1);
        }
        assert_ptr_equal(gl_topology_find(t, n->id), n);
    }
    assert_int_equal(per_tier[T_DISTRICT], 1);
    assert_int_equal(per_tier[T_TOWNSHIP], 10);
    assert_int_equal(per_tier[T_COMMUNITY], 108);
    assert_int_equal(per_tier[T_GRID], XINBEI_GRIDS);
    assert_int_equal(per_tier[T_DEPT], XINBEI_DEPARTMENTS);
    assert_int_equal(links, t->n_nodes - 1);
    assert_int_equal(with_endpoint, 1 + 10 + 108);
    assert_int_equal(t->nodes[t->root].n_children, 10 + 6);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        const gl_node_t *n = gl_topology_find(t, units[u].id);
        assert_non_null(n);
        assert_int_equal(n->n_children, units[u].communities + 2); /* its 城管中队 and 派出所 */
    }
    /* The departments come last, so every port is as it was without them. */
    for (size_t i = t->n_nodes - XINBEI_DEPARTMENTS; i < t->n_nodes; i++)
        assert_int_equal(t->nodes[i].tier, T_DEPT);
    assert_string_equal(gl_topology_find(t, "xinbei.police")->name, "公安新北分局");
    assert_string_equal(gl_topology_find(t, "xinbei.benniu.urban")->name, "奔牛镇城管中队");

    /* Every endpoint, the bus's included, is distinct and inside the
     * derived port range. */
    size_t n_eps = 0;
    const char **eps = calloc(t->n_nodes + 2, sizeof *eps);
    eps[n_eps++] = t->bus_in;
    eps[n_eps++] = t->bus_out;
    for (size_t i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].endpoint)
            eps[n_eps++] = t->nodes[i].endpoint;
    for (size_t i = 0; i < n_eps; i++) {
        int port = atoi(strrchr(eps[i], ':') + 1);
        assert_in_range(port, 20000, 20000 + 1 + 119);
        for (size_t j = i + 1; j < n_eps; j++)
            assert_string_not_equal(eps[i], eps[j]);
    }
    free(eps);

    /* The grids tile the district: the centre of each grid's area is
     * located back to that grid, each community's address keys place it,
     * and a point beyond the district is in no grid. */
    size_t with_area = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        const gl_node_t *n = &t->nodes[i];
        if (n->tier == T_COMMUNITY) {
            assert_int_equal(n->n_addresses, 2);
            for (size_t k = 0; k < n->n_addresses; k++)
                if (gl_topology_community_by_address(t, n->addresses[k]) != n)
                    fail_msg("%s: its key '%s' places another community", n->id, n->addresses[k]);
        }
        if (n->tier != T_GRID)
            continue;
        assert_non_null(n->area);
        with_area++;
        double w, s, e, north;
        gl_area_bounds(n->area, &w, &s, &e, &north);
        assert_true(w >= 119.85 && e <= 120.05 && s >= 31.80 && north <= 32.05 && w < e && s < north);
        const gl_node_t *g = gl_topology_locate(t, (w + e) / 2, (s + north) / 2);
        if (g != n)
            fail_msg("the centre of %s is located in %s", n->id, g ? g->id : "no grid");
    }
    assert_int_equal(with_area, XINBEI_GRIDS);
    assert_non_null(gl_topology_locate(t, 119.85, 31.80));
    assert_non_null(gl_topology_locate(t, 120.05, 32.05));
    assert_non_null(gl_topology_locate(t, 119.9501, 31.9234));
    assert_null(gl_topology_locate(t, 119.8499, 31.9));
    assert_null(gl_topology_locate(t, 120.0, 32.0501));
    const gl_node_t *c = gl_topology_community_by_address(t, "常州市新北区三井3花园12幢");
    assert_non_null(c);
    assert_string_equal(c->id, "xinbei.sanjing.c03");
    c = gl_topology_community_by_address(t, "奔牛5路18号");
    assert_non_null(c);
    assert_string_equal(c->id, "xinbei.benniu.v02");
    assert_null(gl_topology_community_by_address(t, "晋陵北路"));
    gl_topology_free(&t);
}

/* ---- derivation ------------------------------------------------------ */

static void test_set_port_base(void **state)
{
    (void)state;
    gl_topology_t *t = tfx_load_text(tfx_explicit_json);
    const gl_node_t *a = gl_topology_find(t, "a");
    const gl_node_t *tw = gl_topology_find(t, "a.t");
    const gl_node_t *c = gl_topology_find(t, "a.t.c");
    assert_string_equal(a->endpoint, "tcp://10.0.0.5:17302");
    assert_string_equal(tw->endpoint, "ipc:///tmp/gl-t.sock");
    assert_true(tw->endpoint_explicit);
    /* a.t keeps its slot (17303) though explicit, so a.t.c is 17304. */
    assert_string_equal(c->endpoint, "tcp://10.0.0.5:17304");
    assert_null(gl_topology_find(t, "a.u")->endpoint); /* no children */

    assert_int_equal(gl_topology_set_port_base(t, 30000), 0);
    assert_int_equal(t->port_base, 30000);
    assert_string_equal(t->bus_in, "tcp://10.0.0.5:30000");
    assert_string_equal(t->bus_out, "tcp://10.0.0.5:30001");
    assert_string_equal(a->endpoint, "tcp://10.0.0.5:30002");
    assert_string_equal(tw->endpoint, "ipc:///tmp/gl-t.sock");
    assert_string_equal(c->endpoint, "tcp://10.0.0.5:30004");

    /* Refused values leave everything as it was. */
    assert_int_equal(gl_topology_set_port_base(t, 80), GL_EINVAL);
    assert_int_equal(gl_topology_set_port_base(t, 65001), GL_EINVAL);
    assert_int_equal(gl_topology_set_port_base(t, 0), GL_EINVAL);
    assert_int_equal(t->port_base, 30000);
    assert_string_equal(a->endpoint, "tcp://10.0.0.5:30002");
    assert_int_equal(gl_topology_set_port_base(t, 65000), 0);
    assert_string_equal(c->endpoint, "tcp://10.0.0.5:65004");
    assert_int_equal(gl_topology_set_port_base(NULL, 20000), GL_EINVAL);
    gl_topology_free(&t);

    /* With every endpoint explicit, no port_base is needed. */
    t = tfx_load_text("{\"broker\":{\"bus_in\":\"tcp://h:1\",\"bus_out\":\"tcp://h:2\"},\"nodes\":["
                      "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"endpoint\":\"tcp://h:3\"},"
                      "{\"id\":\"a.t\",\"tier\":\"township\",\"name\":\"T\"}]}");
    assert_int_equal(t->port_base, 0);
    assert_true(t->bus_explicit);
    assert_string_equal(t->bus_in, "tcp://h:1");
    assert_string_equal(t->nodes[0].endpoint, "tcp://h:3");
    assert_int_equal(gl_topology_set_port_base(t, 0), 0);
    assert_int_equal(gl_topology_set_port_base(t, 40000), 0);
    assert_string_equal(t->bus_in, "tcp://h:1");
    gl_topology_free(&t);
}

static void test_subtree_and_ids(void **state)
{
    (void)state;
    assert_true(gl_topology_in_subtree("a", "a"));
    assert_true(gl_topology_in_subtree("a", "a.b"));
    assert_true(gl_topology_in_subtree("a", "a.b.c"));
    assert_true(gl_topology_in_subtree("a.b", "a.b.c"));
    assert_false(gl_topology_in_subtree("a", "ab"));
    assert_false(gl_topology_in_subtree("a.b", "a.bc"));
    assert_false(gl_topology_in_subtree("a.b", "a"));
    assert_false(gl_topology_in_subtree("a.b", "b"));
    assert_false(gl_topology_in_subtree("", "a"));
    assert_false(gl_topology_in_subtree(NULL, "a"));
    assert_false(gl_topology_in_subtree("a", NULL));
    assert_true(gl_topology_in_subtree("xinbei.sanjing", "xinbei.sanjing.c01.g2"));
    assert_false(gl_topology_in_subtree("xinbei.sanjing.c01", "xinbei.sanjing.c010"));

    char part63[64], part64[65], long_id[300];
    memset(part63, 'a', 63);
    part63[63] = 0;
    memset(part64, 'a', 64);
    part64[64] = 0;
    assert_true(gl_node_id_valid("xinbei"));
    assert_true(gl_node_id_valid("xinbei.sanjing.c01.g2"));
    assert_true(gl_node_id_valid("a_b-9.c"));
    assert_true(gl_node_id_valid(part63));
    assert_false(gl_node_id_valid(part64));
    assert_false(gl_node_id_valid(""));
    assert_false(gl_node_id_valid(NULL));
    assert_false(gl_node_id_valid("."));
    assert_false(gl_node_id_valid("a."));
    assert_false(gl_node_id_valid(".a"));
    assert_false(gl_node_id_valid("a..b"));
    assert_false(gl_node_id_valid("Xinbei"));
    assert_false(gl_node_id_valid("a b"));
    assert_false(gl_node_id_valid("a/b"));
    assert_false(gl_node_id_valid("新北"));
    /* 4 x 63 + 3 dots = 255 is the longest; one more part is too long. */
    snprintf(long_id, sizeof long_id, "%s.%s.%s.%s", part63, part63, part63, part63);
    assert_int_equal(strlen(long_id), 255);
    assert_true(gl_node_id_valid(long_id));
    snprintf(long_id, sizeof long_id, "%s.%s.%s.%s.a", part63, part63, part63, part63);
    assert_false(gl_node_id_valid(long_id));
}

static void test_keys_and_lookup(void **state)
{
    (void)state;
    gl_topology_t *t = tfx_load_committed("mini.json");
    char k1[GL_KEY_Z85_LEN + 1], k2[GL_KEY_Z85_LEN + 1];
    tfx_fresh_key(k1);
    tfx_fresh_key(k2);
    assert_true(gl_key_z85_valid(k1));
    assert_false(gl_key_z85_valid("short"));
    assert_false(gl_key_z85_valid(NULL));
    assert_false(gl_key_z85_valid("~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"));
    /* All characters valid, but each group overflows 32 bits. */
    assert_false(gl_key_z85_valid("########################################"));

    assert_null(gl_topology_find_by_key(t, k1));
    assert_int_equal(gl_topology_set_key(t, "xinbei.sanjing", k1), 0);
    assert_int_equal(gl_topology_set_key(t, "xinbei", k2), 0);
    assert_int_equal(gl_topology_set_key(t, "xinbei.nowhere", k1), GL_ENOENT);
    assert_int_equal(gl_topology_set_key(t, "xinbei", "tooshort"), GL_EINVAL);
    assert_string_equal(gl_topology_find(t, "xinbei")->public_key, k2);
    assert_ptr_equal(gl_topology_find_by_key(t, k1), gl_topology_find(t, "xinbei.sanjing"));
    assert_ptr_equal(gl_topology_find_by_key(t, k2), gl_topology_find(t, "xinbei"));
    assert_null(gl_topology_find_by_key(t, NULL));
    assert_int_equal(gl_topology_set_key(t, "xinbei", NULL), 0);
    assert_null(gl_topology_find(t, "xinbei")->public_key);
    assert_null(gl_topology_find_by_key(t, k2));
    gl_topology_free(&t);
}

/* ---- areas and address keys ----------------------------------------- */

/* Two communities; c1.g1 and c1.g2 share the edge at x = 1, c1.g2 has a
 * hole that c2.g1 (overlapping c1.g2) covers half of; c2.g2 has no area;
 * c3 shares a key with c1. */
static const char *const places_json =
    "{\"port_base\":17300,\"nodes\":["
    "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"},"
    "{\"id\":\"a.t\",\"tier\":\"township\",\"name\":\"T\"},"
    "{\"id\":\"a.t.c1\",\"tier\":\"community\",\"name\":\"C1\",\"addresses\":[\"晋陵北路\",\"三井花园\",\"花园\"]},"
    "{\"id\":\"a.t.c1.g1\",\"tier\":\"grid\",\"name\":\"G\",\"area\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},"
    "{\"id\":\"a.t.c1.g2\",\"tier\":\"grid\",\"name\":\"G\",\"area\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[1,0],[2,0],[2,1],[1,1],[1,0]],[[1.4,0.4],[1.6,0.4],[1.6,0.6],[1.4,0.6],[1.4,0.4]]]}},"
    "{\"id\":\"a.t.c2\",\"tier\":\"community\",\"name\":\"C2\",\"addresses\":[\"三井花园二期\",\"龙锦路\"]},"
    "{\"id\":\"a.t.c2.g1\",\"tier\":\"grid\",\"name\":\"G\",\"area\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[1.5,0],[3,0],[3,1],[1.5,1],[1.5,0]]]}},"
    "{\"id\":\"a.t.c2.g2\",\"tier\":\"grid\",\"name\":\"G\"},"
    "{\"id\":\"a.t.c2.g3\",\"tier\":\"grid\",\"name\":\"G\",\"area\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[119.95,31.86],[119.96,31.86],[119.96,31.88],[119.95,31.88],[119.95,31.86]]]}},"
    "{\"id\":\"a.t.c3\",\"tier\":\"community\",\"name\":\"C3\",\"addresses\":[\"新北大道\",\"晋陵北路\"]}]}";

static void expect_place(const gl_topology_t *t, double lon, double lat, const char *want)
{
    const gl_node_t *n = gl_topology_locate(t, lon, lat);
    if (want ? !n || strcmp(n->id, want) != 0 : n != NULL)
        fail_msg("(%g, %g) located in %s, wanted %s", lon, lat, n ? n->id : "no grid", want ? want : "no grid");
}

static void expect_community(const gl_topology_t *t, const char *address, const char *want)
{
    const gl_node_t *n = gl_topology_community_by_address(t, address);
    if (want ? !n || strcmp(n->id, want) != 0 : n != NULL)
        fail_msg("'%s' placed in %s, wanted %s", address ? address : "(null)", n ? n->id : "no community",
                 want ? want : "no community");
}

static void check_places(const gl_topology_t *t)
{
    expect_place(t, 0.5, 0.5, "a.t.c1.g1");
    expect_place(t, 1, 0.5, "a.t.c1.g1"); /* the shared edge: the first in file order */
    expect_place(t, 1.2, 0.5, "a.t.c1.g2");
    expect_place(t, 1.7, 0.5, "a.t.c1.g2");  /* c1.g2 and c2.g1 overlap: the first */
    expect_place(t, 1.55, 0.5, "a.t.c2.g1"); /* in c1.g2's hole, inside c2.g1 */
    expect_place(t, 1.45, 0.5, NULL);        /* in the hole, outside c2.g1 */
    expect_place(t, 1.4, 0.5, "a.t.c1.g2");  /* on the hole's edge */
    expect_place(t, 2.5, 0.99, "a.t.c2.g1");
    expect_place(t, 119.955, 31.87, "a.t.c2.g3");
    expect_place(t, 3.01, 0.5, NULL);
    expect_place(t, -0.5, 0.5, NULL);
    expect_place(t, NAN, 0.5, NULL);

    expect_community(t, "常州市新北区三井花园12幢", "a.t.c1");
    expect_community(t, "三井花园二期5幢301室", "a.t.c2"); /* the longer key wins */
    expect_community(t, "龙锦路88号", "a.t.c2");
    expect_community(t, "花园", "a.t.c1");
    expect_community(t, "晋陵北路", "a.t.c1");                 /* c1 and c3 have it: the first */
    expect_community(t, "新北大道与晋陵北路交叉口", "a.t.c1"); /* keys of the same length: the first */
    expect_community(t, "新北大道100号", "a.t.c3");
    expect_community(t, "河海东路", NULL);
    expect_community(t, "三井", NULL);
    expect_community(t, "", NULL);
    expect_community(t, NULL, NULL);
}

static void test_places(void **state)
{
    (void)state;
    gl_topology_t *t = tfx_load_text(places_json);
    const gl_node_t *c1 = gl_topology_find(t, "a.t.c1");
    assert_int_equal(c1->n_addresses, 3);
    assert_string_equal(c1->addresses[1], "三井花园");
    assert_null(c1->area);
    assert_non_null(gl_topology_find(t, "a.t.c1.g1")->area);
    assert_null(gl_topology_find(t, "a.t.c2.g2")->area);
    assert_int_equal(gl_topology_find(t, "a.t.c2.g2")->n_addresses, 0);
    check_places(t);
    assert_null(gl_topology_locate(NULL, 0.5, 0.5));
    assert_null(gl_topology_community_by_address(NULL, "花园"));

    /* Saved and loaded again: the same areas and keys, the coordinates as
     * they were written. */
    char *dir = tfx_make_tmpdir();
    char path[PATH_MAX], err[256] = "";
    if (snprintf(path, sizeof path, "%s/topology.json", dir) >= (int)sizeof path)
        fail_msg("path too long");
    assert_int_equal(gl_topology_save(t, path), 0);
    gl_topology_t *u = NULL;
    if (gl_topology_load_file(path, &u, err, sizeof err) != 0)
        fail_msg("reload: %s", err);
    check_places(u);
    for (size_t i = 0; i < t->n_nodes; i++) {
        const gl_node_t *a = &t->nodes[i], *b = &u->nodes[i];
        assert_int_equal(a->n_addresses, b->n_addresses);
        for (size_t k = 0; k < a->n_addresses; k++)
            assert_string_equal(a->addresses[k], b->addresses[k]);
        assert_int_equal(a->area == NULL, b->area == NULL);
        if (a->area) {
            json_t *ja = gl_area_to_json(a->area), *jb = gl_area_to_json(b->area);
            assert_true(json_equal(ja, jb));
            json_decref(ja);
            json_decref(jb);
        }
    }
    gl_topology_free(&u);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[65536];
    text[fread(text, 1, sizeof text - 1, f)] = 0;
    fclose(f);
    assert_non_null(strstr(text, "119.95,"));
    assert_non_null(strstr(text, "31.88"));
    assert_null(strstr(text, "119.9500000"));
    assert_null(strstr(text, "\"addresses\": []"));
    tfx_rm_rf(dir);
    free(dir);
    gl_topology_free(&t);
}

/* At most 256 address keys of at most 255 bytes each. */
static void test_address_limits(void **state)
{
    (void)state;
    static const struct {
        size_t n, len;
        const char *msg;
    } cases[] = {
        {256, 8, NULL},
        {257, 8, "node 'a.t.c': 257 addresses, at most 256 supported"},
        {1, 255, NULL},
        {1, 256, "node 'a.t.c': addresses[0] is longer than 255 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *keys = json_array();
        for (size_t k = 0; k < cases[i].n; k++) {
            char key[300];
            snprintf(key, sizeof key, "%0*zu", (int)cases[i].len, k);
            json_array_append_new(keys, json_string(key));
        }
        json_t *root = json_pack("{s:i,s:[{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s,s:o}]}", "port_base", 17300, "nodes",
                                 "id", "a", "tier", "district", "name", "A", "id", "a.t", "tier", "township", "name",
                                 "T", "id", "a.t.c", "tier", "community", "name", "C", "addresses", keys);
        char *text = json_dumps(root, 0);
        json_decref(root);
        char err[512] = "";
        gl_topology_t *t = NULL;
        int rc = gl_topology_load_buffer(text, strlen(text), &t, err, sizeof err);
        free(text);
        if (cases[i].msg ? rc != GL_EINVAL || !strstr(err, cases[i].msg) : rc != 0)
            fail_msg("case %zu: rc %d, err '%s', wanted '%s'", i, rc, err, cases[i].msg ? cases[i].msg : "(loads)");
        if (rc == 0)
            assert_int_equal(gl_topology_find(t, "a.t.c")->n_addresses, cases[i].n);
        gl_topology_free(&t);
    }
}

static void test_load_file_errors(void **state)
{
    (void)state;
    char err[256] = "";
    gl_topology_t *t = NULL;
    assert_int_equal(gl_topology_load_file("/nonexistent/gl-topology.json", &t, err, sizeof err), GL_ENOENT);
    assert_non_null(strstr(err, "/nonexistent/gl-topology.json"));
    assert_null(t);
    char *dir = tfx_make_tmpdir();
    assert_int_equal(gl_topology_load_file(dir, &t, err, sizeof err) < 0, 1);
    assert_null(t);
    tfx_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mini),
        cmocka_unit_test(test_demo),
        cmocka_unit_test(test_xinbei),
        cmocka_unit_test(test_set_port_base),
        cmocka_unit_test(test_subtree_and_ids),
        cmocka_unit_test(test_keys_and_lookup),
        cmocka_unit_test(test_places),
        cmocka_unit_test(test_address_limits),
        cmocka_unit_test(test_load_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
