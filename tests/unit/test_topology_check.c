/* test_topology_check.c: what a topology may not be (common/topology_check.c):
 * hand-made broken topologies refused with their reason, department ports,
 * monitors' scopes, and ipc endpoints checked against the home; helpers in
 * topo_fx.c. */
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

/* ---- validation ------------------------------------------------------ */
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
            gl_topology_t *ok = tfx_load_text(cases[i].json);
            gl_topology_free(&ok);
            continue;
        }
        int rc = gl_topology_load_buffer(cases[i].json, strlen(cases[i].json), &t, err, sizeof err);
        if (rc != GL_EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu: rc %d, err '%s', wanted '%s'\n  input: %s", i, rc, err, cases[i].msg, cases[i].json);
        assert_null(t);
    }

    /* The same shapes, fixed, load. */
    gl_topology_t *t = tfx_load_text(TOPO(D "," T "," C "," G));
    gl_topology_free(&t);
    static const char *const good[] = {
        TOPO(EP("tcp://127.0.0.1:1")),      TOPO(EP("tcp://10.231.0.2:65535")),  TOPO(EP("tcp://[::1]:17300")),
        TOPO(EP("tcp://[fe80::1]:17300")),  TOPO(EP("tcp://node-1.example:80")), TOPO(EP("tcp://localhost:17300")),
        TOPO(EP("ipc:///tmp/g/run/a.ipc")), TOPO(EP("ipc:///tmp/g/run/.x/a")),
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        t = tfx_load_text(good[i]);
        gl_topology_free(&t);
    }
    t = tfx_load_text("{\"listen_host\":\"[::1]\",\"port_base\":17300,\"nodes\":[" D "," T "]}");
    assert_string_equal(t->nodes[0].endpoint, "tcp://[::1]:17302");
    gl_topology_free(&t);
    t = tfx_load_text("{\"port_base\":17300,\"monitors\":[{\"name\":\"ops\",\"public_key\":\"" KEY_OK "\"}],"
                      "\"broker\":{\"public_key\":\"" KEY_OK "\"},\"sla\":null,\"nodes\":[" D "]}");
    assert_int_equal(t->n_monitors, 1);
    assert_string_equal(t->monitors[0].public_key, KEY_OK);
    assert_string_equal(t->broker_key, KEY_OK);
    assert_int_equal(t->policy->n_rules, 0);
    gl_topology_free(&t);

    /* Parents may come after their children in the file. */
    t = tfx_load_text(TOPO(G "," C "," T "," D));
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
    gl_topology_t *before = tfx_load_text(TOPO(D "," T "," C "," G "," U "," V "," VC));
    gl_topology_t *after = tfx_load_text(TOPO(
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
    char *dir = tfx_make_tmpdir();
    char path[PATH_MAX], err[256] = "";
    snprintf(path, sizeof path, "%s/topology.json", dir);
    assert_int_equal(gl_topology_save(after, path), 0);
    gl_topology_t *again = NULL;
    if (gl_topology_load_file(path, &again, err, sizeof err) != 0)
        fail_msg("reload: %s", err);
    assert_int_equal(gl_topology_find(again, "a.u.d")->tier, T_DEPT);
    assert_string_equal(gl_topology_find(again, "a.u")->endpoint, "tcp://127.0.0.1:17306");
    gl_topology_free(&again);
    tfx_rm_rf(dir);
    free(dir);
    gl_topology_free(&before);
    gl_topology_free(&after);
}

static void test_monitor_scope(void **state)
{
    (void)state;
    gl_topology_t *t = tfx_load_text("{\"port_base\":17300,\"monitors\":["
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

    char *dir = tfx_make_tmpdir();
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
    tfx_rm_rf(dir);
    free(dir);
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
    return tfx_load_text(json);
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
    char *home = tfx_make_tmpdir();
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
    tfx_rm_rf(home);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_department_ports),
        cmocka_unit_test(test_monitor_scope),
        cmocka_unit_test(test_check_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
