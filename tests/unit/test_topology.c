/* test_topology.c: loading and validating topologies (the committed mini,
 * demo and xinbei files and hand-made broken ones), endpoint derivation,
 * saving, and key generation into a temporary home.
 *
 * The committed files are found through GL_SRC (the source tree), or, when
 * that is unset, from this file's own path, which CMake passes absolute. */
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
#include "topology.h"

#define T_DISTRICT  GRIDLINK__V1__TIER__TIER_DISTRICT
#define T_TOWNSHIP  GRIDLINK__V1__TIER__TIER_TOWNSHIP
#define T_COMMUNITY GRIDLINK__V1__TIER__TIER_COMMUNITY
#define T_GRID      GRIDLINK__V1__TIER__TIER_GRID
#define T_DEPT      GRIDLINK__V1__TIER__TIER_DEPARTMENT
#define N_TIERS     (T_DEPT + 1)

/* The grid total gen-xinbei.sh produces, and its departments (six of the
 * district, two per township); update both together. */
#define XINBEI_GRIDS       672
#define XINBEI_DEPARTMENTS 26

static const char *src_dir(void)
{
    static char buf[PATH_MAX];
    const char *env = getenv("GL_SRC");
    if (env && *env)
        return env;
    snprintf(buf, sizeof buf, "%s", __FILE__);
    char *tail = strstr(buf, "/tests/unit/test_topology.c");
    if (tail)
        *tail = 0;
    else
        snprintf(buf, sizeof buf, ".");
    return buf;
}

static gl_topology_t *load_committed(const char *name)
{
    char path[PATH_MAX], err[256] = "";
    if (snprintf(path, sizeof path, "%s/deploy/topology/%s", src_dir(), name) >= (int)sizeof path)
        fail_msg("path too long");
    gl_topology_t *t = NULL;
    int rc = gl_topology_load_file(path, &t, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: rc %d: %s", path, rc, err);
    return t;
}

static gl_topology_t *load_text(const char *json)
{
    char err[256] = "";
    gl_topology_t *t = NULL;
    int rc = gl_topology_load_buffer(json, strlen(json), &t, err, sizeof err);
    if (rc != 0)
        fail_msg("rejected: %s\n%s", err, json);
    return t;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/gl-test-topology-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void fresh_key(char out[GL_KEY_Z85_LEN + 1])
{
    char secret[GL_KEY_Z85_LEN + 1];
    assert_int_equal(zmq_curve_keypair(out, secret), 0);
}

/* ---- the committed files --------------------------------------------- */

static void test_mini(void **state)
{
    (void)state;
    gl_topology_t *t = load_committed("mini.json");
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
    gl_topology_t *t = load_committed("demo.json");
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
    gl_topology_t *t = load_committed("xinbei.json");
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

static const char *const explicit_json =
    "{\"name\":\"x\",\"port_base\":17300,\"listen_host\":\"10.0.0.5\",\"nodes\":["
    "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"},"
    "{\"id\":\"a.t\",\"tier\":\"township\",\"name\":\"T\",\"endpoint\":\"ipc:///tmp/gl-t.sock\"},"
    "{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\"},"
    "{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\"},"
    "{\"id\":\"a.u\",\"tier\":\"township\",\"name\":\"U\"}]}";

static void test_set_port_base(void **state)
{
    (void)state;
    gl_topology_t *t = load_text(explicit_json);
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
    t = load_text("{\"broker\":{\"bus_in\":\"tcp://h:1\",\"bus_out\":\"tcp://h:2\"},\"nodes\":["
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
    gl_topology_t *t = load_committed("mini.json");
    char k1[GL_KEY_Z85_LEN + 1], k2[GL_KEY_Z85_LEN + 1];
    fresh_key(k1);
    fresh_key(k2);
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

/* ---- validation ------------------------------------------------------ */

#define D           "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"}"
#define T           "{\"id\":\"a.t\",\"tier\":\"township\",\"name\":\"T\"}"
#define C           "{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\"}"
#define G           "{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\"}"
#define TOPO(nodes) "{\"port_base\":17300,\"nodes\":[" nodes "]}"
#define EP(e)       "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"endpoint\":\"" e "\"}"
#define LONG100     "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
#define KEY_OK      "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define AREA_SQUARE "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"
#define AREA_OPEN   "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}"
#define DEPT(id)    "{\"id\":\"" id "\",\"tier\":\"department\",\"name\":\"X\"}"
#define ADDR(list)  "{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\",\"addresses\":[" list "]}"

static void test_validation(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        /* the tree */
        {TOPO(D "," T "," T), "node 'a.t': duplicate id (first at nodes[1])"},
        {TOPO(D "," T ",{\"id\":\"a.x.c\",\"tier\":\"community\",\"name\":\"C\"}"),
         "node 'a.x.c': parent 'a.x' not found"},
        {TOPO(D ",{\"id\":\"a.c\",\"tier\":\"community\",\"name\":\"C\"}"),
         "node 'a.c': parent 'a' is a district, expected township"},
        {TOPO(D "," T "," C "," G ",{\"id\":\"a.t.c.g.h\",\"tier\":\"grid\",\"name\":\"H\"}"),
         "node 'a.t.c.g.h': parent 'a.t.c.g' is a grid, expected community"},
        {TOPO(D "," T ",{\"id\":\"a.t.x\",\"tier\":\"township\",\"name\":\"X\"}"),
         "node 'a.t.x': parent 'a.t' is a township, expected district"},
        {TOPO(D ",{\"id\":\"b\",\"tier\":\"district\",\"name\":\"B\"}"), "node 'b': second district, 'a' is already"},
        {TOPO(D ",{\"id\":\"a.b\",\"tier\":\"district\",\"name\":\"B\"}"), "node 'a.b': a district is the root"},
        {TOPO("{\"id\":\"t\",\"tier\":\"township\",\"name\":\"T\"}"), "node 't': a township needs a parent"},
        /* ids */
        {TOPO(D ",{\"id\":\"a.T\",\"tier\":\"township\",\"name\":\"T\"}"), "node 'a.T': id may only contain"},
        {TOPO(D ",{\"id\":\"a..t\",\"tier\":\"township\",\"name\":\"T\"}"), "node 'a..t': id has an empty"},
        {TOPO(D ",{\"id\":\"a.t t\",\"tier\":\"township\",\"name\":\"T\"}"), "node 'a.t t': id may only"},
        {TOPO(D ",{\"id\":\"\",\"tier\":\"township\",\"name\":\"T\"}"), "node '': id is empty"},
        {TOPO(D ",{\"tier\":\"township\",\"name\":\"T\"}"), "nodes[1]: id missing"},
        {TOPO(D ",{\"id\":7,\"tier\":\"township\",\"name\":\"T\"}"), "nodes[1]: id missing or not a string"},
        /* fields */
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"public_key\":\"abc\"}"),
         "node 'a': public_key must be a 40-character Z85 key"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"public_key\":\"" KEY_OK "x\"}"),
         "node 'a': public_key"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"public_key\":42}"), "node 'a': public_key"},
        {TOPO("{\"id\":\"a\",\"tier\":\"village\",\"name\":\"A\"}"), "node 'a': tier must be"},
        {TOPO("{\"id\":\"a\",\"tier\":\"any\",\"name\":\"A\"}"), "node 'a': tier must be"},
        {TOPO("{\"id\":\"a\",\"name\":\"A\"}"), "node 'a': tier must be"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\"}"), "node 'a': name must be"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"\"}"), "node 'a': name must be"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"parent\":\"x\"}"),
         "node 'a': unknown key 'parent'"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"endpoint\":\"http://h:1\"}"),
         "node 'a': endpoint 'http://h:1': only tcp://HOST:PORT and ipc:///PATH are allowed"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"endpoint\":\"tcp://\"}"), "node 'a': endpoint"},
        {TOPO(D "," T "," C ",{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\",\"endpoint\":\"tcp://h:1\"}"),
         "node 'a.t.c.g': endpoint given, but a grid binds nothing"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"endpoint\":\"tcp://127.0.0.1:17300\"}," T),
         "node 'a': endpoint tcp://127.0.0.1:17300 is also used by broker bus_in"},
        {TOPO("7"), "nodes[0]: must be an object"},
        /* endpoints: tcp with a real host and port, absolute ipc paths, nothing else */
        {TOPO(EP("inproc://x")), "node 'a': endpoint 'inproc://x': only tcp://HOST:PORT"},
        {TOPO(EP("pgm://eth0;239.192.1.1:5555")), "endpoint 'pgm://eth0;239.192.1.1:5555': only tcp"},
        {TOPO(EP("epgm://eth0;239.192.1.1:5555")), "only tcp://HOST:PORT and ipc:///PATH are allowed"},
        {TOPO(EP("ws://h:80")), "only tcp://HOST:PORT and ipc:///PATH are allowed"},
        {TOPO(EP("udp://h:1")), "only tcp://HOST:PORT and ipc:///PATH are allowed"},
        {TOPO(EP("vmci://1:2")), "only tcp://HOST:PORT and ipc:///PATH are allowed"},
        {TOPO(EP("tcp://h")), "endpoint 'tcp://h': has no port (tcp://HOST:PORT)"},
        {TOPO(EP("tcp://h:")), "the port must be 1 to 65535"},
        {TOPO(EP("tcp://h:0")), "the port must be 1 to 65535"},
        {TOPO(EP("tcp://h:65536")), "the port must be 1 to 65535"},
        {TOPO(EP("tcp://h:099")), "the port must be 1 to 65535"},
        {TOPO(EP("tcp://h:+80")), "the port must be 1 to 65535"},
        {TOPO(EP("tcp://h:8x")), "the port must be 1 to 65535"},
        {TOPO(EP("tcp://h:1;h2:2")), "the host is not a host name"},
        {TOPO(EP("tcp://:1")), "the host is empty"},
        {TOPO(EP("tcp://*:1")), "the host is not a host name or an IPv4 address"},
        {TOPO(EP("tcp://h_1:1")), "the host is not a host name"},
        {TOPO(EP("tcp://-h:1")), "the host is not a host name"},
        {TOPO(EP("tcp://h-:1")), "the host is not a host name"},
        {TOPO(EP("tcp://a..b:1")), "the host is not a host name"},
        {TOPO(EP("tcp://256.1.1.1:1")), "the host is not an IPv4 address"},
        {TOPO(EP("tcp://1.2.3:1")), "the host is not an IPv4 address"},
        {TOPO(EP("tcp://::1:1")), "the host is not a host name"},
        {TOPO(EP("tcp://[::1:1")), "an IPv6 host must be written [ADDRESS]"},
        {TOPO(EP("tcp://[x::1]:1")), "the host is not an IPv6 address"},
        {TOPO(EP("ipc://run/a.ipc")), "endpoint 'ipc://run/a.ipc': an ipc path must be absolute"},
        {TOPO(EP("ipc://@abstract")), "an ipc path must be absolute"},
        {TOPO(EP("ipc://*")), "an ipc path must be absolute"},
        {TOPO(EP("ipc:///home/g/run/../../etc/passwd")), "the path has an empty, '.' or '..' part"},
        {TOPO(EP("ipc:///home/g/./run/a.ipc")), "the path has an empty, '.' or '..' part"},
        {TOPO(EP("ipc:///home//run/a.ipc")), "the path has an empty, '.' or '..' part"},
        {TOPO(EP("ipc:///home/g/run/")), "the path has an empty, '.' or '..' part"},
        {TOPO(EP("ipc:///" LONG100 "/" LONG100 ".ipc")), "the path is too long for a unix socket"},
        {"{\"broker\":{\"bus_in\":\"inproc://bus\",\"bus_out\":\"tcp://h:2\"},\"port_base\":17300,\"nodes\":[" D "]}",
         "broker: bus_in 'inproc://bus': only tcp"},
        {"{\"broker\":{\"bus_in\":\"tcp://h:1\",\"bus_out\":\"tcp://h:0\"},\"port_base\":17300,\"nodes\":[" D "]}",
         "broker: bus_out 'tcp://h:0': the port must be 1 to 65535"},
        {"{\"broker\":{\"bus_in\":5,\"bus_out\":\"tcp://h:2\"},\"port_base\":17300,\"nodes\":[" D "]}",
         "broker: bus_in must be a string"},
        {"{\"listen_host\":\"*\",\"port_base\":17300,\"nodes\":[" D "]}", "listen_host: must be a host name"},
        {"{\"listen_host\":\"::1\",\"port_base\":17300,\"nodes\":[" D "]}", "listen_host"},
        /* the file as a whole */
        {"[]", "topology: must be a JSON object"},
        {"{\"nodes\":[" D "," T "]}", "port_base: missing"},
        {"{\"port_base\":80,\"nodes\":[" D "]}", "port_base: must be an integer in 1024..65000"},
        {"{\"port_base\":65001,\"nodes\":[" D "]}", "port_base"},
        {"{\"port_base\":\"17300\",\"nodes\":[" D "]}", "port_base"},
        {"{\"port_base\":17300.5,\"nodes\":[" D "]}", "port_base"},
        {"{\"port_base\":17300,\"nodes\":[]}", "nodes: must be a non-empty array"},
        {"{\"port_base\":17300,\"nodes\":{}}", "nodes: must be a non-empty array"},
        {"{\"port_base\":17300}", "nodes: must be a non-empty array"},
        {"{\"port_base\":17300,\"ports\":1,\"nodes\":[" D "]}", "topology: unknown key 'ports'"},
        {"{\"port_base\":17300,\"port_base\":17400,\"nodes\":[" D "]}", "duplicate"},
        {"{\"port_base\":17300,\"nodes\":[" D "]} x", "line 1"},
        {"{\"port_base\":17300,\"nodes\":[" D, "line 1"},
        {"", "line 1"},
        {"{\"name\":5,\"port_base\":17300,\"nodes\":[" D "]}", "name: must be a string"},
        {"{\"listen_host\":\"bad host\",\"port_base\":17300,\"nodes\":[" D "]}", "listen_host"},
        {"{\"listen_host\":\"\",\"port_base\":17300,\"nodes\":[" D "]}", "listen_host"},
        {"{\"broker\":{\"bus_in\":\"tcp://h:1\"},\"port_base\":17300,\"nodes\":[" D "]}",
         "broker: bus_in and bus_out must be given together"},
        {"{\"broker\":{\"bus_in\":\"udp://h:1\",\"bus_out\":\"tcp://h:2\"},\"port_base\":17300,\"nodes\":[" D "]}",
         "broker: bus_in"},
        {"{\"broker\":{\"public_key\":\"x\"},\"port_base\":17300,\"nodes\":[" D "]}", "broker: public_key"},
        {"{\"broker\":[],\"port_base\":17300,\"nodes\":[" D "]}", "broker: must be an object"},
        {"{\"broker\":{\"bus\":1},\"port_base\":17300,\"nodes\":[" D "]}", "broker: unknown key 'bus'"},
        {"{\"broker\":{\"bus_in\":\"tcp://h:1\",\"bus_out\":\"tcp://h:1\"},\"port_base\":17300,\"nodes\":[" D "]}",
         "broker bus_out: endpoint tcp://h:1 is also used by broker bus_in"},
        {"{\"monitors\":{},\"port_base\":17300,\"nodes\":[" D "]}", "monitors: must be an array"},
        {"{\"monitors\":[{\"name\":\"ops\"}],\"port_base\":17300,\"nodes\":[" D "]}", "monitor 'ops': public_key"},
        {"{\"monitors\":[{\"name\":\"Ops\",\"public_key\":\"" KEY_OK "\"}],\"port_base\":17300,\"nodes\":[" D "]}",
         "monitors[0]: name"},
        {"{\"monitors\":[{\"name\":\"o\",\"public_key\":\"" KEY_OK "\"},{\"name\":\"o\",\"public_key\":\"" KEY_OK
         "\"}],\"port_base\":17300,\"nodes\":[" D "]}",
         "monitor 'o': listed twice"},
        {"{\"monitors\":[{\"name\":\"o\",\"public_key\":\"" KEY_OK "\",\"scope\":\"a.x\"}],"
         "\"port_base\":17300,\"nodes\":[" D "," T "]}",
         "monitor 'o': scope 'a.x' is not a node of the topology"},
        {"{\"monitors\":[{\"name\":\"o\",\"public_key\":\"" KEY_OK "\",\"scope\":\"A..t\"}],"
         "\"port_base\":17300,\"nodes\":[" D "]}",
         "monitor 'o': scope must be a node id"},
        {"{\"monitors\":[{\"name\":\"o\",\"public_key\":\"" KEY_OK "\",\"scope\":7}],"
         "\"port_base\":17300,\"nodes\":[" D "]}",
         "monitor 'o': scope must be a node id"},
        {"{\"sla\":[{\"tier\":\"town\"}],\"port_base\":17300,\"nodes\":[" D "]}", "sla[0]: tier"},
        /* departments: under the district or a township, nothing under them, no endpoint */
        {TOPO(D "," T "," C ",{\"id\":\"a.t.c.d\",\"tier\":\"department\",\"name\":\"X\"}"),
         "node 'a.t.c.d': parent 'a.t.c' is a community, but a department sits under the district or a township"},
        {TOPO(D "," T "," C "," G ",{\"id\":\"a.t.c.g.d\",\"tier\":\"department\",\"name\":\"X\"}"),
         "node 'a.t.c.g.d': parent 'a.t.c.g' is a grid, but a department sits under"},
        {TOPO(D "," DEPT("a.d") ",{\"id\":\"a.d.x\",\"tier\":\"department\",\"name\":\"X\"}"),
         "node 'a.d.x': parent 'a.d' is a department, and nothing sits under a department"},
        {TOPO(D "," DEPT("a.d") ",{\"id\":\"a.d.t\",\"tier\":\"township\",\"name\":\"X\"}"),
         "node 'a.d.t': parent 'a.d' is a department, and nothing sits under a department"},
        {TOPO(D "," T "," DEPT("a.t.d") ",{\"id\":\"a.t.d.g\",\"tier\":\"grid\",\"name\":\"X\"}"),
         "node 'a.t.d.g': parent 'a.t.d' is a department"},
        {TOPO(DEPT("d")), "node 'd': a department needs a parent"},
        {TOPO(D ",{\"id\":\"a.d\",\"tier\":\"department\",\"name\":\"X\",\"endpoint\":\"tcp://h:1\"}"),
         "node 'a.d': endpoint given, but a department binds nothing"},
        {TOPO(D ",{\"id\":\"a.d\",\"tier\":\"department\",\"name\":\"X\",\"area\":" AREA_SQUARE "}"),
         "node 'a.d': area given, but only a grid has an area"},
        {TOPO(D ",{\"id\":\"a.d\",\"tier\":\"department\",\"name\":\"X\",\"addresses\":[\"x\"]}"),
         "node 'a.d': addresses given, but only a community"},
        {TOPO(D ",{\"id\":\"a.d\",\"tier\":\"dept\",\"name\":\"X\"}"),
         "node 'a.d': tier must be district, township, community, grid or department"},
        {TOPO(D "," DEPT("a.d") "," T "," DEPT("a.t.d") "," C "," G), NULL},
        /* areas and address keys */
        {TOPO(D "," T "," C ",{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\",\"area\":" AREA_OPEN "}"),
         "node 'a.t.c.g': area: ring 0: not closed"},
        {TOPO(D "," T "," C ",{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\",\"area\":[]}"),
         "node 'a.t.c.g': area: must be a GeoJSON Polygon object"},
        {TOPO(D "," T "," C ",{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\",\"area\":{\"type\":\"Polygon\","
                "\"coordinates\":[[[0,0],[1,0],[1,1e999],[0,0]]]}}"),
         "line 1"},
        {TOPO(D "," T ",{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\",\"area\":" AREA_SQUARE "}"),
         "node 'a.t.c': area given, but only a grid has an area"},
        {TOPO("{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"area\":" AREA_SQUARE "}"),
         "node 'a': area given, but only a grid"},
        {TOPO(D "," T "," C ",{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\",\"addresses\":[\"x\"]}"),
         "node 'a.t.c.g': addresses given, but only a community has address keys"},
        {TOPO(D ",{\"id\":\"a.t\",\"tier\":\"township\",\"name\":\"T\",\"addresses\":[\"三井\"]}"),
         "node 'a.t': addresses given, but only a community"},
        {TOPO(D "," T "," ADDR("\"晋陵北路\"")), NULL},
        {TOPO(D "," T "," ADDR("\"\"")), "node 'a.t.c': addresses[0] is empty"},
        {TOPO(D "," T "," ADDR("\"a\",7")), "node 'a.t.c': addresses[1] is not a string"},
        {TOPO(D "," T "," ADDR("\"a\\tb\"")), "addresses[0] contains a control character"},
        {TOPO(D "," T "," ADDR("\"晋陵北路\",\"三井花园\",\"晋陵北路\"")),
         "node 'a.t.c': address '晋陵北路' listed twice"},
        {TOPO(D "," T ",{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\",\"addresses\":\"晋陵北路\"}"),
         "node 'a.t.c': addresses must be an array of strings"},
        {"{\"sla\":{},\"port_base\":17300,\"nodes\":[" D "]}", "sla: must be an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        gl_topology_t *t = (gl_topology_t *)0x1;
        if (!cases[i].msg) { /* the control case of its neighbours: loads */
            gl_topology_t *ok = load_text(cases[i].json);
            gl_topology_free(&ok);
            continue;
        }
        int rc = gl_topology_load_buffer(cases[i].json, strlen(cases[i].json), &t, err, sizeof err);
        if (rc != GL_EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu: rc %d, err '%s', wanted '%s'\n  input: %s", i, rc, err, cases[i].msg, cases[i].json);
        assert_null(t);
    }

    /* The same shapes, fixed, load. */
    gl_topology_t *t = load_text(TOPO(D "," T "," C "," G));
    gl_topology_free(&t);
    static const char *const good[] = {
        TOPO(EP("tcp://127.0.0.1:1")),      TOPO(EP("tcp://10.231.0.2:65535")),  TOPO(EP("tcp://[::1]:17300")),
        TOPO(EP("tcp://[fe80::1]:17300")),  TOPO(EP("tcp://node-1.example:80")), TOPO(EP("tcp://localhost:17300")),
        TOPO(EP("ipc:///tmp/g/run/a.ipc")), TOPO(EP("ipc:///tmp/g/run/.x/a")),
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        t = load_text(good[i]);
        gl_topology_free(&t);
    }
    t = load_text("{\"listen_host\":\"[::1]\",\"port_base\":17300,\"nodes\":[" D "," T "]}");
    assert_string_equal(t->nodes[0].endpoint, "tcp://[::1]:17302");
    gl_topology_free(&t);
    t = load_text("{\"port_base\":17300,\"monitors\":[{\"name\":\"ops\",\"public_key\":\"" KEY_OK "\"}],"
                  "\"broker\":{\"public_key\":\"" KEY_OK "\"},\"sla\":null,\"nodes\":[" D "]}");
    assert_int_equal(t->n_monitors, 1);
    assert_string_equal(t->monitors[0].public_key, KEY_OK);
    assert_string_equal(t->broker_key, KEY_OK);
    assert_int_equal(t->policy->n_rules, 0);
    gl_topology_free(&t);

    /* Parents may come after their children in the file. */
    t = load_text(TOPO(G "," C "," T "," D));
    assert_int_equal(t->root, 3);
    assert_int_equal(gl_topology_find(t, "a.t.c.g")->parent, 1);
    gl_topology_free(&t);

    /* NULL err and NULL input are handled. */
    assert_int_equal(gl_topology_load_buffer("[]", 2, &t, NULL, 0), GL_EINVAL);
    assert_int_equal(gl_topology_load_buffer(NULL, 0, &t, NULL, 0), GL_EINVAL);
}

/* A monitor's scope: parsed, checked against the nodes, the whole district
 * when absent, and kept by a save. */
/* Departments take no port, and a node whose only children are departments
 * takes its port after all the others, so that adding departments anywhere
 * in the file moves no port. */
static void test_department_ports(void **state)
{
    (void)state;
#define U  "{\"id\":\"a.u\",\"tier\":\"township\",\"name\":\"U\"}"
#define V  "{\"id\":\"a.v\",\"tier\":\"township\",\"name\":\"V\"}"
#define VC "{\"id\":\"a.v.c\",\"tier\":\"community\",\"name\":\"VC\"}"
    static const char *const ids[] = {"a", "a.t", "a.t.c", "a.v", "a.v.c"};
    gl_topology_t *before = load_text(TOPO(D "," T "," C "," G "," U "," V "," VC));
    gl_topology_t *after = load_text(TOPO(
        D "," DEPT("a.d1") "," T "," DEPT("a.t.d") "," C "," G "," U "," DEPT("a.u.d") "," V "," VC "," DEPT("a.d2")));
#undef U
#undef V
#undef VC
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const gl_node_t *a = gl_topology_find(before, ids[i]), *b = gl_topology_find(after, ids[i]);
        if (a->endpoint ? !b->endpoint || strcmp(a->endpoint, b->endpoint) != 0 : b->endpoint != NULL)
            fail_msg("%s: %s without departments, %s with them", ids[i], a->endpoint ? a->endpoint : "(none)",
                     b->endpoint ? b->endpoint : "(none)");
    }
    assert_string_equal(gl_topology_find(after, "a.v")->endpoint, "tcp://127.0.0.1:17305");
    assert_null(gl_topology_find(before, "a.u")->endpoint);
    /* a.u's department connects to it: a.u binds the next port. */
    assert_string_equal(gl_topology_find(after, "a.u")->endpoint, "tcp://127.0.0.1:17306");
    const char *depts[] = {"a.d1", "a.t.d", "a.u.d", "a.d2"};
    for (size_t i = 0; i < 4; i++) {
        const gl_node_t *d = gl_topology_find(after, depts[i]);
        assert_int_equal(d->tier, T_DEPT);
        assert_null(d->endpoint);
        assert_int_equal(d->n_children, 0);
    }
    assert_int_equal(gl_topology_find(after, "a")->n_children, 5);
    assert_int_equal(gl_topology_find(after, "a.t")->n_children, 2);
    assert_ptr_equal(gl_topology_parent(after, gl_topology_find(after, "a.t.d")), gl_topology_find(after, "a.t"));

    /* Saved and loaded again, departments stay departments. */
    char *dir = make_tmpdir();
    char path[PATH_MAX], err[256] = "";
    snprintf(path, sizeof path, "%s/topology.json", dir);
    assert_int_equal(gl_topology_save(after, path), 0);
    gl_topology_t *again = NULL;
    if (gl_topology_load_file(path, &again, err, sizeof err) != 0)
        fail_msg("reload: %s", err);
    assert_int_equal(gl_topology_find(again, "a.u.d")->tier, T_DEPT);
    assert_string_equal(gl_topology_find(again, "a.u")->endpoint, "tcp://127.0.0.1:17306");
    gl_topology_free(&again);
    rm_rf(dir);
    free(dir);
    gl_topology_free(&before);
    gl_topology_free(&after);
}

static void test_monitor_scope(void **state)
{
    (void)state;
    gl_topology_t *t = load_text("{\"port_base\":17300,\"monitors\":["
                                 "{\"name\":\"desk\",\"public_key\":\"" KEY_OK "\",\"scope\":\"a.t\"},"
                                 "{\"name\":\"ops\",\"public_key\":\"" KEY_OK "\"}],"
                                 "\"nodes\":[" D "," T "," C "," G "]}");
    const gl_monitor_t *desk = gl_topology_find_monitor(t, "desk"), *ops = gl_topology_find_monitor(t, "ops");
    assert_non_null(desk);
    assert_non_null(ops);
    assert_null(gl_topology_find_monitor(t, "nobody"));
    assert_string_equal(gl_topology_monitor_scope(t, desk), "a.t");
    assert_null(ops->scope);
    assert_string_equal(gl_topology_monitor_scope(t, ops), "a");
    assert_null(gl_topology_monitor_scope(t, NULL));

    char *dir = make_tmpdir();
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/topology.json", dir) >= (int)sizeof path)
        fail_msg("path too long");
    assert_int_equal(gl_topology_save(t, path), 0);
    gl_topology_free(&t);
    char err[256] = "";
    assert_int_equal(gl_topology_load_file(path, &t, err, sizeof err), 0);
    assert_string_equal(gl_topology_find_monitor(t, "desk")->scope, "a.t");
    assert_null(gl_topology_find_monitor(t, "ops")->scope);
    gl_topology_free(&t);
    rm_rf(dir);
    free(dir);
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
    gl_topology_t *t = load_text(places_json);
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
    char *dir = make_tmpdir();
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
    rm_rf(dir);
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
    char *dir = make_tmpdir();
    assert_int_equal(gl_topology_load_file(dir, &t, err, sizeof err) < 0, 1);
    assert_null(t);
    rm_rf(dir);
    free(dir);
}

/* ---- saving ---------------------------------------------------------- */

static void test_save_round_trip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[PATH_MAX], tmp[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/topology.json", dir) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        fail_msg("path too long");

    gl_topology_t *t = load_text(explicit_json);
    char ka[GL_KEY_Z85_LEN + 1], kg[GL_KEY_Z85_LEN + 1], kb[GL_KEY_Z85_LEN + 1];
    fresh_key(ka);
    fresh_key(kg);
    fresh_key(kb);
    assert_int_equal(gl_topology_set_key(t, "a", ka), 0);
    assert_int_equal(gl_topology_set_key(t, "a.t.c.g", kg), 0);
    t->broker_key = strdup(kb);
    gl_policy_free(&t->policy);
    json_t *rules = json_loads("[{\"tier\":\"community\",\"accept_s\":3,\"resolve_s\":8},"
                               "{\"category\":\"urban/roads\",\"priority\":\"urgent\",\"accept_ms\":1500}]",
                               0, NULL);
    assert_int_equal(gl_policy_from_json(rules, &t->policy, NULL, 0), 0);
    json_decref(rules);
    assert_int_equal(gl_topology_save(t, path), 0);
    assert_int_equal(access(tmp, F_OK), -1);

    /* Only the explicit endpoint is in the file. */
    json_t *saved = json_load_file(path, 0, NULL);
    assert_non_null(saved);
    json_t *nodes = json_object_get(saved, "nodes");
    assert_int_equal(json_array_size(nodes), 5);
    assert_null(json_object_get(json_array_get(nodes, 0), "endpoint"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 1), "endpoint")),
                        "ipc:///tmp/gl-t.sock");
    assert_int_equal(json_integer_value(json_object_get(saved, "port_base")), 17300);
    assert_string_equal(json_string_value(json_object_get(saved, "listen_host")), "10.0.0.5");
    json_decref(saved);

    char err[256] = "";
    gl_topology_t *u = NULL;
    if (gl_topology_load_file(path, &u, err, sizeof err) != 0)
        fail_msg("reload: %s", err);
    assert_int_equal(u->n_nodes, t->n_nodes);
    for (size_t i = 0; i < t->n_nodes; i++) {
        assert_string_equal(u->nodes[i].id, t->nodes[i].id);
        assert_string_equal(u->nodes[i].name, t->nodes[i].name);
        assert_int_equal(u->nodes[i].tier, t->nodes[i].tier);
        assert_int_equal(u->nodes[i].endpoint_explicit, t->nodes[i].endpoint_explicit);
        if (t->nodes[i].endpoint)
            assert_string_equal(u->nodes[i].endpoint, t->nodes[i].endpoint);
        else
            assert_null(u->nodes[i].endpoint);
        if (t->nodes[i].public_key)
            assert_string_equal(u->nodes[i].public_key, t->nodes[i].public_key);
        else
            assert_null(u->nodes[i].public_key);
    }
    assert_string_equal(u->broker_key, kb);
    assert_string_equal(u->bus_in, t->bus_in);
    json_t *p1 = gl_policy_to_json(t->policy), *p2 = gl_policy_to_json(u->policy);
    assert_true(json_equal(p1, p2));
    json_decref(p1);
    json_decref(p2);

    /* Derived endpoints were not frozen into the file. */
    assert_int_equal(gl_topology_set_port_base(u, 25000), 0);
    assert_string_equal(gl_topology_find(u, "a")->endpoint, "tcp://10.0.0.5:25002");

    /* Saving over an existing file replaces it. */
    assert_int_equal(gl_topology_save(u, path), 0);
    gl_topology_free(&u);
    assert_int_equal(gl_topology_load_file(path, &u, err, sizeof err), 0);
    assert_int_equal(u->port_base, 25000);
    gl_topology_free(&u);

    char bad[PATH_MAX];
    snprintf(bad, sizeof bad, "%s/no/such/dir/t.json", dir);
    assert_true(gl_topology_save(t, bad) < 0);
    assert_int_equal(gl_topology_save(NULL, path), GL_EINVAL);
    gl_topology_free(&t);
    rm_rf(dir);
    free(dir);
}

/* ---- keys ------------------------------------------------------------ */

static void read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
}

/* ---- ipc endpoints against the home ---------------------------------- */

/* A topology whose township binds ep (and whose broker binds bus, if any). */
static gl_topology_t *with_ipc(const char *ep, const char *bus)
{
    char json[8192];
    snprintf(json, sizeof json,
             "{\"port_base\":17300,%s%s%s\"nodes\":[{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"},"
             "{\"id\":\"a.t\",\"tier\":\"township\",\"name\":\"T\",\"endpoint\":\"%s\"},"
             "{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\"}]}",
             bus ? "\"broker\":{\"bus_in\":\"" : "", bus ? bus : "", bus ? "\",\"bus_out\":\"tcp://h:2\"}," : "", ep);
    return load_text(json);
}

static void expect_home(const char *home, const char *ep, const char *bus, const char *msg)
{
    gl_topology_t *t = with_ipc(ep, bus);
    char err[512] = "";
    int rc = gl_topology_check_home(t, home, err, sizeof err);
    gl_topology_free(&t);
    if (msg == NULL ? rc != 0 : rc != GL_EINVAL || !strstr(err, msg))
        fail_msg("%s (bus %s) in home %s: rc %d, err '%s', wanted '%s'", ep, bus ? bus : "-", home, rc, err,
                 msg ? msg : "(accepted)");
}

static void test_check_home(void **state)
{
    (void)state;
    char *home = make_tmpdir();
    char run[256], ep[512], bus[512], path[512];
    assert_true(strlen(home) < 200);
    snprintf(run, sizeof run, "%s/run", home);
    /* No run directory yet: nothing can be bound under it. */
    snprintf(ep, sizeof ep, "ipc://%s/run/t.ipc", home);
    expect_home(home, ep, NULL, "must be an ipc socket");
    assert_int_equal(mkdir(run, 0700), 0);
    expect_home(home, ep, NULL, NULL);
    expect_home(home, "tcp://127.0.0.1:17310", NULL, NULL);

    /* Outside the run directory, or a name the home uses for something else. */
    char want[512];
    snprintf(want, sizeof want, "node 'a.t': endpoint 'ipc:///etc/passwd' must be an ipc socket %s/NAME.ipc", run);
    expect_home(home, "ipc:///etc/passwd", NULL, want);
    snprintf(ep, sizeof ep, "ipc://%s/topology.ipc", home);
    expect_home(home, ep, NULL, "must be an ipc socket");
    snprintf(ep, sizeof ep, "ipc://%s/run/a.t.sock", home);
    expect_home(home, ep, NULL, "must be an ipc socket");
    snprintf(ep, sizeof ep, "ipc://%s/run/up.pid", home);
    expect_home(home, ep, NULL, "must be an ipc socket");
    snprintf(ep, sizeof ep, "ipc://%s/run/.t.ipc", home);
    expect_home(home, ep, NULL, "must be an ipc socket");
    snprintf(ep, sizeof ep, "ipc://%s/run/.ipc", home);
    expect_home(home, ep, NULL, "must be an ipc socket");
    snprintf(path, sizeof path, "%s/sub", run);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(ep, sizeof ep, "ipc://%s/run/sub/t.ipc", home);
    expect_home(home, ep, NULL, "must be an ipc socket");
    /* A directory in run/ that leads elsewhere does not count as run/. */
    snprintf(path, sizeof path, "%s/elsewhere", run);
    assert_int_equal(symlink("/tmp", path), 0);
    snprintf(ep, sizeof ep, "ipc://%s/run/elsewhere/t.ipc", home);
    expect_home(home, ep, NULL, "must be an ipc socket");
    /* The broker's endpoints are held to the same rule. */
    snprintf(ep, sizeof ep, "ipc://%s/run/t.ipc", home);
    expect_home(home, ep, "ipc:///tmp/bus.ipc", "broker bus_in: endpoint 'ipc:///tmp/bus.ipc' must be");
    snprintf(bus, sizeof bus, "ipc://%s/run/bus.ipc", home);
    expect_home(home, ep, bus, NULL);

    /* A relative home and a home reached through a symlink name the same run. */
    char cwd[PATH_MAX], link[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(home), 0);
    expect_home("./", ep, NULL, NULL);
    assert_int_equal(chdir(cwd), 0);
    snprintf(link, sizeof link, "%s.link", home);
    assert_int_equal(symlink(home, link), 0);
    expect_home(link, ep, NULL, NULL);
    unlink(link);

    /* gl_home_topology refuses a home's topology.json that breaks the rule. */
    gl_topology_t *t = with_ipc("ipc:///etc/passwd", NULL);
    snprintf(path, sizeof path, "%s/topology.json", home);
    assert_int_equal(gl_topology_save(t, path), 0);
    gl_topology_free(&t);
    char err[512] = "";
    t = (gl_topology_t *)0x1;
    assert_int_equal(gl_home_topology(home, &t, err, sizeof err), GL_EINVAL);
    assert_null(t);
    assert_non_null(strstr(err, "'ipc:///etc/passwd' must be an ipc socket"));
    t = with_ipc(ep, NULL);
    assert_int_equal(gl_topology_save(t, path), 0);
    gl_topology_free(&t);
    assert_int_equal(gl_home_topology(home, &t, err, sizeof err), 0);
    assert_string_equal(gl_topology_find(t, "a.t")->endpoint, ep);
    gl_topology_free(&t);
    rm_rf(home);
    free(home);
}

static void test_keys_ensure(void **state)
{
    (void)state;
    char *home = make_tmpdir();
    char path[PATH_MAX];
    gl_topology_t *t = load_committed("mini.json");
    int created = -1;
    assert_int_equal(gl_keys_ensure(home, t, &created), 0);
    assert_int_equal(created, (int)t->n_nodes + 2);

    struct stat st;
    snprintf(path, sizeof path, "%s/keys", home);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    for (size_t i = 0; i < t->n_nodes; i++) {
        const char *key = t->nodes[i].public_key;
        assert_non_null(key);
        assert_int_equal(strlen(key), GL_KEY_Z85_LEN);
        assert_true(gl_key_z85_valid(key));
        if (snprintf(path, sizeof path, "%s/keys/%s.cert_secret", home, t->nodes[i].id) >= (int)sizeof path)
            fail_msg("path too long");
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        zcert_t *cert = NULL;
        assert_int_equal(gl_keys_load(home, t->nodes[i].id, &cert), 0);
        assert_string_equal(zcert_public_txt(cert), key);
        zcert_destroy(&cert);
    }
    assert_non_null(t->broker_key);
    assert_int_equal(strlen(t->broker_key), GL_KEY_Z85_LEN);
    snprintf(path, sizeof path, "%s/keys/broker.cert_secret", home);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(t->n_monitors, 1);
    assert_string_equal(t->monitors[0].name, "operator");
    zcert_t *op = NULL;
    assert_int_equal(gl_keys_load(home, "operator", &op), 0);
    assert_string_equal(zcert_public_txt(op), t->monitors[0].public_key);
    zcert_destroy(&op);
    /* No half-written pairs are left behind. */
    snprintf(path, sizeof path, "%s/keys/broker.cert.new", home);
    assert_int_equal(access(path, F_OK), -1);

    /* A second run on a fresh copy of the topology creates nothing and
     * finds the same keys. */
    gl_topology_t *u = load_committed("mini.json");
    assert_int_equal(gl_keys_ensure(home, u, &created), 0);
    assert_int_equal(created, 0);
    for (size_t i = 0; i < t->n_nodes; i++)
        assert_string_equal(u->nodes[i].public_key, t->nodes[i].public_key);
    assert_string_equal(u->broker_key, t->broker_key);
    assert_string_equal(u->monitors[0].public_key, t->monitors[0].public_key);
    /* ... and running it again on the same topology keeps one operator. */
    assert_int_equal(gl_keys_ensure(home, u, NULL), 0);
    assert_int_equal(u->n_monitors, 1);

    /* Keys survive a save and reload, and the node keys are unique. */
    snprintf(path, sizeof path, "%s/topology.json", home);
    assert_int_equal(gl_topology_save(u, path), 0);
    gl_topology_free(&u);
    char err[256] = "";
    assert_int_equal(gl_topology_load_file(path, &u, err, sizeof err), 0);
    for (size_t i = 0; i < t->n_nodes; i++) {
        assert_string_equal(u->nodes[i].public_key, t->nodes[i].public_key);
        assert_ptr_equal(gl_topology_find_by_key(u, t->nodes[i].public_key), &u->nodes[i]);
    }
    assert_string_equal(u->monitors[0].name, "operator");
    assert_string_equal(u->broker_key, t->broker_key);
    gl_topology_free(&u);

    /* A lost pair is regenerated alone. */
    snprintf(path, sizeof path, "%s/keys/xinbei.sanjing.cert", home);
    assert_int_equal(unlink(path), 0);
    u = load_committed("mini.json");
    assert_int_equal(gl_keys_ensure(home, u, &created), 0);
    assert_int_equal(created, 1);
    assert_string_not_equal(gl_topology_find(u, "xinbei.sanjing")->public_key,
                            gl_topology_find(t, "xinbei.sanjing")->public_key);
    assert_string_equal(gl_topology_find(u, "xinbei")->public_key, gl_topology_find(t, "xinbei")->public_key);
    gl_topology_free(&u);

    /* A damaged pair is reported, not silently replaced. */
    snprintf(path, sizeof path, "%s/keys/xinbei.cert_secret", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("garbage\n", f);
    fclose(f);
    u = load_committed("mini.json");
    assert_int_equal(gl_keys_ensure(home, u, &created), GL_EIO);
    gl_topology_free(&u);
    char text[64];
    read_file(path, text, sizeof text);
    assert_string_equal(text, "garbage\n");

    zcert_t *cert = NULL;
    assert_int_equal(gl_keys_load(home, "nobody", &cert), GL_ENOENT);
    assert_int_equal(gl_keys_load(home, "../keys/xinbei", &cert), GL_EINVAL);
    assert_null(cert);
    gl_topology_free(&t);
    rm_rf(home);
    free(home);
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
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_department_ports),
        cmocka_unit_test(test_monitor_scope),
        cmocka_unit_test(test_places),
        cmocka_unit_test(test_address_limits),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_save_round_trip),
        cmocka_unit_test(test_check_home),
        cmocka_unit_test(test_keys_ensure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
