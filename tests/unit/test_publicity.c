/* test_publicity.c: the public rules (publicity.h) through every public
 * rendering: a case carrying a reporter's name, a phone, an e-mail, an
 * exact address, coordinates, internal notes and an unpublished photo is
 * put through the feed builder, and neither the page's JSON nor the Atom
 * (feed_atom.c) holds any of them, while the category's Chinese name, the
 * community, the closing note, the rating, a published photo and the
 * figures are there. The cases are made here and freed with protobuf-c. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "feed.h"
#include "names.h"
#include "publicity.h"
#include "topology.h"

#define ST(x) GRIDLINK__V1__CASE_STATE__STATE_##x
#define C1    "xinbei.sanjing.c01"
#define HOUR  3600000LL

static const char *const secrets[] = {
    "张三丰",
    "13912345678",
    "zhangsan@example.com",
    "幸福路88号",
    "31.812345",
    "119.974321",
    "31.81",
    "119.97",
    "联系人",
    "回访张三丰",
    "内部",
    "居民来电",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* the unpublished photo */
    "device-77",
};
#define PUBLISHED "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static gl_topology_t *topo;
static int64_t month_start, month_end;

static const char *src_dir(void)
{
    static char buf[PATH_MAX];
    const char *env = getenv("GL_SRC");
    if (env && *env)
        return env;
    snprintf(buf, sizeof buf, "%s", __FILE__);
    char *tail = strstr(buf, "/tests/unit/test_publicity.c");
    if (tail)
        *tail = 0;
    else
        snprintf(buf, sizeof buf, ".");
    return buf;
}

static int setup(void **state)
{
    (void)state;
    char path[PATH_MAX], err[256] = "";
    if (snprintf(path, sizeof path, "%s/deploy/topology/mini.json", src_dir()) >= (int)sizeof path)
        fail_msg("path too long");
    if (gl_topology_load_file(path, &topo, err, sizeof err) != 0)
        fail_msg("%s: %s", path, err);
    assert_true(gl_pub_month(gl_pub_offset_min(topo), "2026-12", 0, &month_start, &month_end));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gl_topology_free(&topo);
    return 0;
}

static void step(Gridlink__V1__Case *c, const char *action, gl_state s, const char *node, int64_t t, const char *note)
{
    Gridlink__V1__HistoryEntry *h = malloc(sizeof *h);
    gridlink__v1__history_entry__init(h);
    h->action = strdup(action);
    h->state = s;
    h->node = strdup(node);
    h->time_ms = t;
    h->note = strdup(note);
    h->by = strdup("staff");
    c->history = realloc(c->history, (c->n_history + 1) * sizeof *c->history);
    c->history[c->n_history++] = h;
}

/* A resident's request at C1, closed, with everything that is private. */
static Gridlink__V1__Case *private_case(bool publish)
{
    int64_t t0 = month_start + 24 * HOUR;
    Gridlink__V1__Case *c = malloc(sizeof *c);
    gridlink__v1__case__init(c);
    c->id = strdup(C1 "-000001");
    c->kind = GRIDLINK__V1__CASE_KIND__KIND_REQUEST;
    c->category = strdup("urban/lighting");
    c->grid = strdup(C1 ".g1");
    c->community = strdup(C1);
    c->holder = strdup(C1);
    c->originator = strdup(C1);
    c->address = strdup("三井街道幸福路88号3单元502室");
    c->lat = 31.812345;
    c->lon = 119.974321;
    c->located = true;
    c->text = strdup("楼道灯坏了，张三丰，电话13912345678");
    c->reporter = strdup("张三丰");
    c->media_url = strdup("http://example.com/zhangsan@example.com.jpg");
    c->contact = malloc(sizeof *c->contact);
    gridlink__v1__resident_contact__init(c->contact);
    c->contact->first_name = strdup("三丰");
    c->contact->last_name = strdup("张");
    c->contact->email = strdup("zhangsan@example.com");
    c->contact->phone = strdup("13912345678");
    c->contact->device_id = strdup("device-77");
    c->created_ms = t0;
    c->n_attachments = 2;
    c->attachments = malloc(2 * sizeof *c->attachments);
    c->attachments[0] = strdup(secrets[12]);
    c->attachments[1] = strdup(PUBLISHED);
    step(c, "reported", ST(REPORTED), C1, t0, "居民来电 张三丰 13912345678");
    step(c, "accepted", ST(ACCEPTED), C1, t0 + HOUR, "联系人张三丰");
    step(c, "started", ST(IN_PROGRESS), C1, t0 + 2 * HOUR, "幸福路88号现场查看");
    step(c, "resolved", ST(RESOLVED), C1, t0 + 3 * HOUR, "[内部] 联系人张三丰 13912345678");
    step(c, "resolved", ST(RESOLVED), C1, t0 + 4 * HOUR, "已更换楼道灯");
    step(c, "verified", ST(CLOSED), C1, t0 + 5 * HOUR, "内部：回访张三丰");
    if (publish)
        step(c, "photo-published", ST(CLOSED), C1, t0 + 6 * HOUR, PUBLISHED);
    c->state = ST(CLOSED);
    c->rating = malloc(sizeof *c->rating);
    gridlink__v1__rating__init(c->rating);
    c->rating->resolved = true;
    c->rating->satisfied = true;
    c->rating->by = strdup("zhangsan@example.com");
    c->rating->time_ms = t0 + 7 * HOUR;
    return c;
}

/* A task the township gave C1, on the access list, accepted. */
static Gridlink__V1__Case *task_case(void)
{
    Gridlink__V1__Case *c = malloc(sizeof *c);
    gridlink__v1__case__init(c);
    c->id = strdup("xinbei.sanjing-000002");
    c->kind = GRIDLINK__V1__CASE_KIND__KIND_TASK;
    c->category = strdup("services/elderly");
    c->holder = strdup(C1);
    c->community = strdup(C1);
    c->text = strdup("走访独居老人张三丰，13912345678");
    c->created_ms = month_start + 48 * HOUR;
    step(c, "assigned", ST(ASSIGNED), "xinbei.sanjing", c->created_ms, "派给联系人张三丰");
    step(c, "accepted", ST(ACCEPTED), C1, c->created_ms + HOUR, "");
    c->state = ST(ACCEPTED);
    return c;
}

/* The page's JSON and the Atom of C1's feed over the given cases. */
static void render(Gridlink__V1__Case **cases, size_t n, char **json, char **atom)
{
    gl_pub_feed *f = gl_pub_feed_new(topo, C1, month_start, month_end, month_end - 1);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(gl_pub_feed_add(f, cases[i]), 0);
    json_t *doc = gl_pub_feed_done(f, 3);
    assert_non_null(doc);
    *json = json_dumps(doc, JSON_COMPACT);
    size_t len;
    assert_int_equal(gl_feed_atom(doc, atom, &len), 0);
    assert_int_equal(strlen(*atom), len);
    json_decref(doc);
    xmlDocPtr x = xmlReadMemory(*atom, (int)len, "feed.atom", NULL, XML_PARSE_NONET);
    assert_non_null(x);
    xmlNodePtr root = xmlDocGetRootElement(x);
    assert_string_equal((const char *)root->name, "feed");
    assert_string_equal((const char *)root->ns->href, "http://www.w3.org/2005/Atom");
    xmlFreeDoc(x);
}

static void assert_private(const char *what, const char *s)
{
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (strstr(s, secrets[i]))
            fail_msg("%s shows '%s': %s", what, secrets[i], s);
}

static void test_nothing_private_is_shown(void **state)
{
    (void)state;
    Gridlink__V1__Case *cases[] = {private_case(true), task_case()};
    char *json, *atom;
    render(cases, 2, &json, &atom);
    assert_private("the page's JSON", json);
    assert_private("the Atom feed", atom);
    const char *public_parts[] = {"路灯照明",   "三井街道第一社区",      "已更换楼道灯", "已办结",
                                  C1 "-000001", "xinbei.sanjing-000002", "养老服务",     PUBLISHED};
    for (size_t i = 0; i < sizeof public_parts / sizeof public_parts[0]; i++) {
        if (!strstr(json, public_parts[i]))
            fail_msg("the page's JSON lacks '%s': %s", public_parts[i], json);
        if (!strstr(atom, public_parts[i]))
            fail_msg("the Atom lacks '%s': %s", public_parts[i], atom);
    }
    json_t *doc = json_loads(json, 0, NULL);
    json_t *c = json_array_get(json_object_get(doc, "cases"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "closed")), "2026-12-02T05:00:00+08:00");
    assert_string_equal(json_string_value(json_object_get(c, "closed_local")), "2026-12-02 05:00");
    assert_true(json_is_true(json_object_get(json_object_get(c, "rating"), "satisfied")));
    assert_null(json_object_get(c, "address"));
    json_t *task = json_array_get(json_object_get(json_object_get(doc, "tasks"), "taken"), 0);
    assert_true(json_is_true(json_object_get(task, "on_access_list")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "tasks"), "refused")), 3);
    json_t *fig = json_object_get(doc, "figures");
    assert_int_equal(json_integer_value(json_object_get(fig, "taken")), 2);
    assert_int_equal(json_integer_value(json_object_get(fig, "closed")), 1);
    assert_int_equal(json_integer_value(json_object_get(fig, "closed_in_time")), 1);
    assert_true(json_real_value(json_object_get(fig, "avg_close_hours")) == 5.0);
    assert_int_equal(json_integer_value(json_object_get(fig, "satisfied")), 1);
    assert_non_null(strstr(atom, "<updated>2026-12-03T01:00:00+08:00</updated>"));
    assert_non_null(strstr(atom, "<author>"));
    json_decref(doc);
    free(json);
    free(atom);
    for (size_t i = 0; i < 2; i++)
        gridlink__v1__case__free_unpacked(cases[i], NULL);
}

static void test_photo_only_when_published(void **state)
{
    (void)state;
    Gridlink__V1__Case *c = private_case(false);
    assert_false(gl_pub_photo_shown(c, PUBLISHED));
    char *json, *atom;
    render(&c, 1, &json, &atom);
    assert_null(strstr(json, PUBLISHED));
    assert_null(strstr(atom, PUBLISHED));
    assert_private("the page's JSON", json);
    free(json);
    free(atom);
    step(c, "photo-published", ST(CLOSED), C1, c->created_ms + 6 * HOUR, PUBLISHED);
    assert_true(gl_pub_photo_shown(c, PUBLISHED));
    assert_false(gl_pub_photo_shown(c, secrets[12]));
    /* a step naming a file that is not the case's publishes nothing */
    step(c, "photo-published", ST(CLOSED), C1, c->created_ms + 6 * HOUR, "cccc");
    assert_false(gl_pub_photo_shown(c, "cccc"));
    gridlink__v1__case__free_unpacked(c, NULL);
}

static void test_rules(void **state)
{
    (void)state;
    assert_true(gl_pub_note_internal("[内部] x"));
    assert_true(gl_pub_note_internal("内部：x"));
    assert_true(gl_pub_note_internal("内部:x"));
    assert_false(gl_pub_note_internal("已处理，不属内部"));
    assert_null(gl_pub_step_label("escalated"));
    assert_null(gl_pub_step_label("photo-published"));
    assert_string_equal(gl_pub_step_label("resolved"), "已处置");
    Gridlink__V1__HistoryEntry h = GRIDLINK__V1__HISTORY_ENTRY__INIT;
    h.action = "accepted";
    h.note = "已签收";
    assert_false(gl_pub_note_shown(&h));
    h.action = "resolved";
    assert_true(gl_pub_note_shown(&h));
    h.note = "";
    assert_false(gl_pub_note_shown(&h));
    Gridlink__V1__Case *t = task_case();
    assert_string_equal(gl_pub_place(topo, t), "三井街道第一社区");
    assert_true(gl_pub_handled(t, C1));
    free(t->community);
    t->community = strdup("");
    free(t->holder);
    t->holder = strdup("xinbei.sanjing");
    t->originator = strdup("xinbei"); /* was the default empty string */
    t->state = ST(CLOSED);
    assert_string_equal(gl_pub_place(topo, t), "三井街道"); /* no community: the township's name */
    assert_true(gl_pub_handled(t, C1));                     /* it accepted it */
    assert_true(gl_pub_handled(t, "xinbei.sanjing"));
    assert_false(gl_pub_handled(t, "xinbei")); /* a task its dispatcher closed is not the dispatcher's */
    gridlink__v1__case__free_unpacked(t, NULL);
    int64_t s, e;
    const char *bad[] = {"2026-13", "2026-1", "26-12", "2026-12x", "abcd-ef", "2026-00", "1969-12"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(gl_pub_month(480, bad[i], 0, &s, &e));
    assert_true(gl_pub_month(480, "2026-12", 0, &s, &e));
    char b[48];
    assert_string_equal(gl_pub_rfc3339(480, s, b, sizeof b), "2026-12-01T00:00:00+08:00");
    assert_string_equal(gl_pub_rfc3339(480, e, b, sizeof b), "2027-01-01T00:00:00+08:00");
    assert_string_equal(gl_pub_rfc3339(-90, 0, b, sizeof b), "1969-12-31T22:30:00-01:30");
}

static void test_figures(void **state)
{
    (void)state;
    gl_pub_figures f = {0};
    json_t *j = gl_pub_figures_json(&f);
    assert_true(json_is_null(json_object_get(j, "avg_close_hours")));
    assert_true(json_is_null(json_object_get(j, "in_time_rate")));
    json_decref(j);
    Gridlink__V1__Case *a = private_case(false), *b = private_case(false), *t = task_case();
    Gridlink__V1__CaseCounters k = GRIDLINK__V1__CASE_COUNTERS__INIT;
    k.overdue_resolve = 1;
    b->counters = &k; /* closed late */
    gl_pub_figures_add(&f, a, month_start, month_end);
    gl_pub_figures_add(&f, b, month_start, month_end);
    gl_pub_figures_add(&f, t, month_start, month_end);
    gl_pub_figures_add(&f, a, month_end, month_end + HOUR); /* made before the period */
    b->counters = NULL;
    assert_int_equal(f.taken, 3);
    assert_int_equal(f.closed, 2);
    assert_int_equal(f.closed_in_time, 1);
    j = gl_pub_figures_json(&f);
    assert_true(json_real_value(json_object_get(j, "in_time_rate")) == 0.5);
    assert_true(json_real_value(json_object_get(j, "avg_close_hours")) == 5.0);
    json_decref(j);
    gridlink__v1__case__free_unpacked(a, NULL);
    gridlink__v1__case__free_unpacked(b, NULL);
    gridlink__v1__case__free_unpacked(t, NULL);
}

/* More cases than a document lists: the newest GL_PUB_MAX_ITEMS, every one counted. */
static void test_many(void **state)
{
    (void)state;
    gl_pub_feed *f = gl_pub_feed_new(topo, C1, month_start, month_end, month_end - 1);
    assert_non_null(f);
    const size_t n = 4 * GL_PUB_MAX_ITEMS + 321;
    for (size_t i = 0; i < n; i++) {
        Gridlink__V1__Case *c = task_case();
        char id[64];
        snprintf(id, sizeof id, "xinbei.sanjing-%06zu", i + 1);
        free(c->id);
        c->id = strdup(id);
        c->created_ms = month_start + (int64_t)((i * 7919) % n) * 60000; /* out of order */
        c->history[0]->time_ms = c->history[1]->time_ms = c->created_ms;
        assert_int_equal(gl_pub_feed_add(f, c), 0);
        gridlink__v1__case__free_unpacked(c, NULL);
    }
    json_t *doc = gl_pub_feed_done(f, 0);
    json_t *taken = json_object_get(json_object_get(doc, "tasks"), "taken");
    assert_int_equal(json_array_size(taken), GL_PUB_MAX_ITEMS);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "figures"), "taken")), n);
    char newest[48];
    gl_pub_rfc3339(gl_pub_offset_min(topo), month_start + (int64_t)(n - 1) * 60000, newest, sizeof newest);
    assert_string_equal(json_string_value(json_object_get(json_array_get(taken, 0), "updated")), newest);
    for (size_t i = 1; i < GL_PUB_MAX_ITEMS; i++)
        assert_true(strcmp(json_string_value(json_object_get(json_array_get(taken, i - 1), "updated")),
                           json_string_value(json_object_get(json_array_get(taken, i), "updated"))) >= 0);
    json_decref(doc);
}

/* Notes that overflow a summary: cut on a character, the Atom still XML
 * whichever byte of a character the cut falls on. */
static void test_long_notes(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        Gridlink__V1__Case *c = private_case(false);
        char note[1024];
        snprintf(note, sizeof note, "%.*s", k, "ab");
        for (int i = 0; i < 300; i++)
            strcat(note, "修");
        for (int i = 0; i < 12; i++)
            step(c, "resolved", ST(RESOLVED), C1, c->created_ms + 5 * HOUR, note);
        char *json, *atom;
        render(&c, 1, &json, &atom); /* render checks the Atom parses */
        assert_non_null(strstr(atom, "修修修"));
        json_t *doc = json_loads(json, 0, NULL);
        assert_non_null(doc); /* valid UTF-8 */
        size_t i;
        json_t *st;
        json_array_foreach(json_object_get(json_array_get(json_object_get(doc, "cases"), 0), "steps"), i, st)
        {
            const char *n = json_string_value(json_object_get(st, "note"));
            assert_true(!n || strlen(n) <= GL_PUB_NOTE_MAX);
        }
        json_decref(doc);
        free(json);
        free(atom);
        gridlink__v1__case__free_unpacked(c, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_private_is_shown),
        cmocka_unit_test(test_photo_only_when_published),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_long_notes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
