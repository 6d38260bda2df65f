/* test_topology_save.c: a topology written back and loaded again
 * (common/topology_save.c), and key generation into a temporary home;
 * helpers in topo_fx.c. */
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

/* ---- saving ---------------------------------------------------------- */

static void test_save_round_trip(void **state)
{
    (void)state;
    char *dir = tfx_make_tmpdir();
    char path[PATH_MAX], tmp[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/topology.json", dir) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        fail_msg("path too long");

    gl_topology_t *t = tfx_load_text(tfx_explicit_json);
    char ka[GL_KEY_Z85_LEN + 1], kg[GL_KEY_Z85_LEN + 1], kb[GL_KEY_Z85_LEN + 1];
    tfx_fresh_key(ka);
    tfx_fresh_key(kg);
    tfx_fresh_key(kb);
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
    tfx_rm_rf(dir);
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

static void test_keys_ensure(void **state)
{
    (void)state;
    char *home = tfx_make_tmpdir();
    char path[PATH_MAX];
    gl_topology_t *t = tfx_load_committed("mini.json");
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
    gl_topology_t *u = tfx_load_committed("mini.json");
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
    u = tfx_load_committed("mini.json");
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
    u = tfx_load_committed("mini.json");
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
    tfx_rm_rf(home);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_round_trip),
        cmocka_unit_test(test_keys_ensure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
