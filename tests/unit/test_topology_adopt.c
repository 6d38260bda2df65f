/* test_topology_adopt.c: a running process taking a new version of its
 * topology in place (gl_topology_adopt): the committed mini topology against
 * edited copies of itself. What may change moves into the live topology and
 * the old goes to the caller; a change of shape is refused, named, and leaves
 * the live topology as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "topology.h"

static json_t *mini_json(void)
{
    const char *src = getenv("GL_SRC");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/deploy/topology/mini.json", src && *src ? src : ".");
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j)
        fail_msg("%s: %s", path, jerr.text);
    return j;
}

static gl_topology_t *load(json_t *j)
{
    char *text = json_dumps(j, 0);
    assert_non_null(text);
    gl_topology_t *t = NULL;
    char err[512] = "";
    int rc = gl_topology_load_buffer(text, strlen(text), &t, err, sizeof err);
    free(text);
    if (rc != 0)
        fail_msg("load: %s", err);
    return t;
}

static json_t *node_named(json_t *j, const char *id)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(j, "nodes"), i,
                       n) if (strcmp(json_string_value(json_object_get(n, "id")), id) == 0) return n;
    fail_msg("no node %s", id);
    return NULL;
}

static void test_takes_what_may_change(void **state)
{
    (void)state;
    json_t *j = mini_json();
    gl_topology_t *live = load(j);
    json_object_set_new(json_array_get(json_object_get(j, "sla"), 1), "accept_s", json_integer(1234));
    json_object_set_new(j, "return_limit", json_integer(5));
    json_object_set_new(j, "warn_before_s", json_integer(60));
    json_object_set_new(node_named(j, "xinbei.sanjing.c01"), "name", json_string("三井街道第一社区（新）"));
    json_object_set_new(node_named(j, "xinbei.sanjing.c01"), "addresses", json_pack("[s]", "新地址"));
    gl_topology_t *fresh = load(j);

    const gl_node_t *c01 = gl_topology_find(live, "xinbei.sanjing.c01");
    const char *c01_id = c01->id;
    gl_policy_t *old_policy = live->policy, *new_policy = fresh->policy;
    gl_calendar_t *old_calendar = live->calendar;
    gl_catalogue_t *new_catalogue = fresh->catalogue;
    char why[256] = "";
    assert_int_equal(gl_topology_adopt(live, fresh, why, sizeof why), GL_OK);

    /* The nodes stay where they were, with their IDs. */
    assert_ptr_equal(gl_topology_find(live, "xinbei.sanjing.c01"), c01);
    assert_ptr_equal(c01->id, c01_id);
    /* What may change is the fresh file's, and the caller has the old. */
    assert_ptr_equal(live->policy, new_policy);
    assert_ptr_equal(fresh->policy, old_policy);
    assert_ptr_equal(live->catalogue, new_catalogue);
    assert_ptr_equal(fresh->calendar, old_calendar);
    assert_int_equal(live->return_limit, 5);
    assert_int_equal(live->warn_before_s, 60);
    assert_string_equal(c01->name, "三井街道第一社区（新）");
    assert_int_equal(c01->n_addresses, 1);
    assert_string_equal(c01->addresses[0], "新地址");
    int64_t accept_ms = 0, resolve_ms = 0;
    gl_policy_deadline_for(live->policy, GRIDLINK__V1__TIER__TIER_COMMUNITY, "urban/roads",
                           GRIDLINK__V1__PRIORITY__PRIORITY_NORMAL, &accept_ms, &resolve_ms);
    assert_int_equal(accept_ms, 1234000);

    gl_topology_free(&fresh);
    /* The live topology is whole after the old parts are freed. */
    assert_string_equal(gl_topology_find(live, "xinbei.sanjing.c01")->name, "三井街道第一社区（新）");
    gl_topology_free(&live);
    json_decref(j);
}

/* edit j, load it, adopt: refused with why containing want, live untouched. */
static void refused(json_t *j, const char *want)
{
    json_t *orig = mini_json();
    gl_topology_t *live = load(orig);
    gl_topology_t *fresh = load(j);
    gl_policy_t *policy = live->policy;
    size_t n = live->n_nodes;
    char *name = gl_topology_find(live, "xinbei.sanjing.c01")->name;
    char why[256] = "";
    assert_int_equal(gl_topology_adopt(live, fresh, why, sizeof why), GL_EINVAL);
    if (!strstr(why, want))
        fail_msg("why: '%s', wanted '%s'", why, want);
    assert_ptr_equal(live->policy, policy);
    assert_int_equal(live->n_nodes, n);
    assert_ptr_equal(gl_topology_find(live, "xinbei.sanjing.c01")->name, name);
    gl_topology_free(&fresh);
    gl_topology_free(&live);
    json_decref(orig);
}

static void test_refuses_another_shape(void **state)
{
    (void)state;
    json_t *j = mini_json();
    json_array_append_new(json_object_get(j, "nodes"), json_pack("{s:s, s:s, s:s}", "id", "xinbei.sanjing.c01.g3",
                                                                 "name", "第3网格", "tier", "grid"));
    refused(j, "nodes instead of");
    json_decref(j);

    j = mini_json();
    json_object_set_new(node_named(j, "xinbei.sanjing"), "endpoint", json_string("tcp://127.0.0.1:17999"));
    refused(j, "node xinbei.sanjing has another endpoint");
    json_decref(j);

    j = mini_json();
    json_object_set_new(j, "port_base", json_integer(18300));
    refused(j, "endpoint");
    json_decref(j);
}

#define KEY_A "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define KEY_B "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

/* A rotated key moves into the live topology, the old one to the caller,
 * and the node is named; gl_topology_adopt itself refuses the change. */
static void test_takes_a_rotated_key(void **state)
{
    (void)state;
    json_t *j = mini_json();
    json_object_set_new(node_named(j, "xinbei.sanjing.c01"), "public_key", json_string(KEY_A));
    gl_topology_t *live = load(j);
    json_object_set_new(node_named(j, "xinbei.sanjing.c01"), "public_key", json_string(KEY_B));
    json_object_set_new(j, "return_limit", json_integer(7));
    gl_topology_t *fresh = load(j);
    char why[256] = "";
    assert_int_equal(gl_topology_adopt(live, fresh, why, sizeof why), GL_EINVAL);
    assert_non_null(strstr(why, "node xinbei.sanjing.c01 has another key"));

    size_t *changed = calloc(live->n_nodes, sizeof *changed), n_changed = 99;
    assert_non_null(changed);
    /* keys_only: the key, nothing else. */
    assert_int_equal(gl_topology_adopt_keys(live, fresh, true, changed, &n_changed, why, sizeof why), GL_OK);
    assert_int_equal(n_changed, 1);
    const gl_node_t *c01 = gl_topology_find(live, "xinbei.sanjing.c01");
    assert_ptr_equal(&live->nodes[changed[0]], c01);
    assert_string_equal(c01->public_key, KEY_B);
    assert_string_equal(fresh->nodes[changed[0]].public_key, KEY_A);
    assert_int_not_equal(live->return_limit, 7);
    gl_topology_free(&fresh);

    /* The same file again: nothing changed; without keys_only the rest moves. */
    fresh = load(j);
    assert_int_equal(gl_topology_adopt_keys(live, fresh, false, changed, &n_changed, why, sizeof why), GL_OK);
    assert_int_equal(n_changed, 0);
    assert_int_equal(live->return_limit, 7);
    gl_topology_free(&fresh);

    /* Another shape is still refused. */
    json_object_set_new(node_named(j, "xinbei.sanjing"), "endpoint", json_string("tcp://127.0.0.1:17999"));
    fresh = load(j);
    assert_int_equal(gl_topology_adopt_keys(live, fresh, false, changed, &n_changed, why, sizeof why), GL_EINVAL);
    assert_non_null(strstr(why, "another endpoint"));
    assert_string_equal(c01->public_key, KEY_B);
    gl_topology_free(&fresh);
    free(changed);
    gl_topology_free(&live);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_takes_what_may_change),
        cmocka_unit_test(test_refuses_another_shape),
        cmocka_unit_test(test_takes_a_rotated_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
