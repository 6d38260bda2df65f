/* test_lifecycle.c: the case lifecycle of the node engine, action by state.
 * A small district (a township with two communities, one with two grids)
 * runs in memory; for every action and every state a case in that state is
 * put into the stores of its holder (the community xinbei.sanjing.c01) and
 * of the nodes that follow it, the action is asked where the actor relation
 * of the action holds, and the outcome is checked against the table written
 * out below: allowed pairs move the case to the state the table says, at the
 * holder and at the node that asked; refused pairs are refused with
 * GL_ESTATE, a text naming the action and the state, and nothing written.
 * Then who may act, the arguments actions need, and what extensions,
 * suspensions and a "not resolved" rating do to the clocks and counters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_net.h"
#include "error.h"
#include "log.h"

#define DISTRICT "xinbei"
#define TOWNSHIP "xinbei.sanjing"
#define C01      "xinbei.sanjing.c01"
#define C02      "xinbei.sanjing.c02"
#define G1       "xinbei.sanjing.c01.g1"
#define G2       "xinbei.sanjing.c01.g2"

#define HOUR_MS (3600 * 1000LL)
#define DAY_MS  (24 * HOUR_MS)
#define WARN_MS (15 * 60 * 1000LL) /* the due-soon warning: warn_before_s by default */
#define T0      1700000000000LL

/* Long limits, so no deadline passes unless a test moves the clock. */
static const char *topology_json =
    "{\"name\": \"lifecycle\", \"port_base\": 17300,"
    " \"sla\": ["
    "  {\"tier\": \"grid\", \"accept_s\": 0, \"resolve_s\": 0},"
    "  {\"tier\": \"community\", \"accept_s\": 3600, \"resolve_s\": 86400},"
    "  {\"tier\": \"township\", \"accept_s\": 7200, \"resolve_s\": 172800},"
    "  {\"tier\": \"district\", \"accept_s\": 14400, \"resolve_s\": 259200}],"
    " \"categories\": ["
    "  {\"code\": \"urban\", \"name\": \"城管\", \"accept_s\": 86400, \"resolve_s\": 432000, \"subcategories\": ["
    "   {\"code\": \"urban/roads\", \"name\": \"道路设施\", \"accept_s\": 86400, \"resolve_s\": 432000}]},"
    "  {\"code\": \"services\", \"name\": \"社区服务\", \"accept_s\": 86400, \"resolve_s\": 432000, \"subcategories\": "
    "["
    "   {\"code\": \"services/elderly\", \"name\": \"养老服务\", \"accept_s\": 86400, \"resolve_s\": 432000}]}],"
    " \"community_tasks\": [\"services/elderly\"],"
    " \"nodes\": ["
    "  {\"id\": \"xinbei\", \"tier\": \"district\", \"name\": \"新北区\"},"
    "  {\"id\": \"xinbei.sanjing\", \"tier\": \"township\", \"name\": \"三井街道\"},"
    "  {\"id\": \"xinbei.sanjing.c01\", \"tier\": \"community\", \"name\": \"第一社区\"},"
    "  {\"id\": \"xinbei.sanjing.c01.g1\", \"tier\": \"grid\", \"name\": \"第1网格\"},"
    "  {\"id\": \"xinbei.sanjing.c01.g2\", \"tier\": \"grid\", \"name\": \"第2网格\"},"
    "  {\"id\": \"xinbei.sanjing.c02\", \"tier\": \"community\", \"name\": \"第二社区\"}]}";

/* ---- the expected lifecycle, written out ---- */

#define S(x) GRIDLINK__V1__CASE_STATE__STATE_##x
enum {
    REP = S(REPORTED),
    ACC = S(ACCEPTED),
    INP = S(IN_PROGRESS),
    RES = S(RESOLVED),
    CLO = S(CLOSED),
    RET = S(RETURNED),
    ESC = S(ESCALATED),
    ASG = S(ASSIGNED),
    SUS = S(SUSPENDED),
    ARB = S(ARBITRATION),
    MRG = S(MERGED),
    N_STATES = MRG + 1,
};

#define NO   0  /* refused in this state */
#define SAME -1 /* allowed; the state stays */
#define BACK -2 /* allowed; back to the state the case was suspended from */

/* Who may take the action, relative to the case. */
enum who {
    HOLDER,     /* the node that has it */
    ORIGINATOR, /* who verifies and rates: here the grid that reported it */
    ASSIGNER,   /* who gave the holder the work: here the township */
    UPPER,      /* a tier above the holder: here the township */
};

/* Where the case goes when the action is taken. */
enum where { STAYS, BACK_TO_HANDER, UP, DOWN };

static const char *state_names[N_STATES] = {
    [REP] = "reported",  [ACC] = "accepted",    [INP] = "in_progress", [RES] = "resolved",
    [CLO] = "closed",    [RET] = "returned",    [ESC] = "escalated",   [ASG] = "assigned",
    [SUS] = "suspended", [ARB] = "arbitration", [MRG] = "merged",
};

/* clang-format off */
static const struct row {
    const char *action;
    enum who who;
    enum where where;
    int to[N_STATES]; /* by the state before: the state after, NO, SAME or BACK */
} table[] = {
    /* action     who          goes                 REP   ACC   INP   RES   CLO   RET   ESC   ASG   SUS   ARB   MRG */
    {"accept",    HOLDER,      STAYS,           {0, ACC,  NO,   NO,   NO,   NO,   ACC,  ACC,  ACC,  NO,   ACC,  NO}},
    {"start",     HOLDER,      STAYS,           {0, NO,   INP,  NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO}},
    {"resolve",   HOLDER,      STAYS,           {0, NO,   RES,  RES,  NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO}},
    {"verify",    ORIGINATOR,  STAYS,           {0, NO,   NO,   NO,   CLO,  NO,   NO,   NO,   NO,   NO,   NO,   NO}},
    {"close",     ORIGINATOR,  STAYS,           {0, NO,   NO,   NO,   CLO,  NO,   NO,   NO,   NO,   NO,   NO,   NO}},
    {"rework",    ORIGINATOR,  STAYS,           {0, NO,   NO,   NO,   INP,  NO,   NO,   NO,   NO,   NO,   NO,   NO}},
    {"reopen",    ORIGINATOR,  STAYS,           {0, NO,   NO,   NO,   INP,  NO,   NO,   NO,   NO,   NO,   NO,   NO}},
    {"return",    HOLDER,      BACK_TO_HANDER,  {0, RET,  RET,  RET,  NO,   NO,   RET,  RET,  RET,  NO,   RET,  NO}},
    {"extend",    HOLDER,      STAYS,           {0, SAME, SAME, SAME, NO,   NO,   SAME, SAME, SAME, NO,   SAME, NO}},
    {"approve",   ASSIGNER,    STAYS,           {0, SAME, SAME, SAME, NO,   NO,   SAME, SAME, SAME, SAME, SAME, NO}},
    {"refuse",    ASSIGNER,    STAYS,           {0, SAME, SAME, SAME, NO,   NO,   SAME, SAME, SAME, SAME, SAME, NO}},
    {"suspend",   HOLDER,      STAYS,           {0, NO,   SUS,  SUS,  NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO}},
    {"resume",    HOLDER,      STAYS,           {0, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   BACK, NO,   NO}},
    {"urge",      UPPER,       STAYS,           {0, SAME, SAME, SAME, SAME, NO,   SAME, SAME, SAME, SAME, SAME, NO}},
    {"escalate",  HOLDER,      UP,              {0, ESC,  ESC,  ESC,  NO,   NO,   ESC,  ESC,  ESC,  NO,   ESC,  NO}},
    {"assign",    HOLDER,      DOWN,            {0, ASG,  ASG,  ASG,  NO,   NO,   ASG,  ASG,  ASG,  NO,   ASG,  NO}},
    {"merge",     HOLDER,      STAYS,           {0, MRG,  MRG,  MRG,  NO,   NO,   MRG,  MRG,  MRG,  MRG,  MRG,  NO}},
    {"rate",      ORIGINATOR,  STAYS,           {0, NO,   NO,   NO,   NO,   CLO,  NO,   NO,   NO,   NO,   NO,   NO}},
};
/* clang-format on */

#define N_ROWS (sizeof table / sizeof table[0])

/* The state a suspended case goes back to on resume (its resume_state). */
#define SUSPENDED_FROM ACC
#define ASKED_MS       (2 * HOUR_MS)

static const char *asker_of(enum who w)
{
    switch (w) {
    case HOLDER: return C01;
    case ORIGINATOR: return G1;
    default: return TOWNSHIP;
    }
}

/* ---- fixture ---- */

typedef struct fixture {
    net_t *net;
    int next_id;
    char target[64]; /* an open case c01 holds, for merges */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->net = net_new(topology_json);
    net_start(f->net, T0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    net_free(&f->net);
    free(f);
    return 0;
}

/* A case minted at grid g1 and held by c01 in state st, with what every
 * row's actor relation needs: reported by g1 (its originator), assigned to
 * c01 by the township (which also handed it over). Running deadlines, a
 * suspension and an extension waiting for its answer as the state asks. */
static void craft(Gridlink__V1__Case *c, char *id, size_t idsize, int n, int st, bool asked, int64_t now)
{
    gridlink__v1__case__init(c);
    snprintf(id, idsize, G1 "-%06d", n);
    c->id = id;
    c->kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    c->category = "urban/roads";
    c->grid = G1;
    c->text = "a broken kerb at the school gate";
    c->reporter = "grid worker";
    c->created_ms = now - HOUR_MS;
    c->state = (Gridlink__V1__CaseState)st;
    c->holder = C01;
    c->originator = G1;
    c->assigned_by = TOWNSHIP;
    c->handed_by = TOWNSHIP;
    c->came_from = TOWNSHIP;
    c->version = 5;
    c->hops = 2;
    switch (st) {
    case REP:
    case RET:
    case ESC:
    case ASG:
    case ARB:
        c->accept_due_ms = now + HOUR_MS;
        c->resolve_due_ms = now + DAY_MS;
        break;
    case ACC:
    case INP: c->resolve_due_ms = now + DAY_MS; break;
    case SUS:
        c->resume_state = (Gridlink__V1__CaseState)SUSPENDED_FROM;
        c->suspended_at_ms = now - HOUR_MS;
        c->resolve_left_ms = 20 * HOUR_MS;
        break;
    default: break;
    }
    if (asked)
        c->extension_asked_ms = ASKED_MS;
}

/* The case as every node that follows it has it. */
static void put_everywhere(fixture *f, const Gridlink__V1__Case *c)
{
    net_put_case(f->net, C01, c);
    net_put_case(f->net, TOWNSHIP, c);
    net_put_case(f->net, G1, c);
}

static const char *merge_target(fixture *f)
{
    if (!f->target[0]) {
        Gridlink__V1__Case c;
        char id[64];
        craft(&c, id, sizeof id, 999999, INP, false, T0);
        c.text = "the same kerb, reported twice";
        put_everywhere(f, &c);
        snprintf(f->target, sizeof f->target, "%s", id);
    }
    return f->target;
}

/* The request for a row's action, with the arguments the action needs. */
static void request_for(fixture *f, const struct row *r, const char *case_id, Gridlink__V1__CtlRequest *req)
{
    gridlink__v1__ctl_request__init(req);
    bool rate = strcmp(r->action, "rate") == 0;
    req->op = rate ? "rate" : "act";
    req->action = rate ? "" : (char *)r->action;
    req->case_id = (char *)case_id;
    req->resolved = true;
    req->satisfied = true;
    if (strcmp(r->action, "return") == 0)
        req->reason = "not-ours";
    if (strcmp(r->action, "extend") == 0)
        req->by_ms = HOUR_MS;
    if (strcmp(r->action, "assign") == 0)
        req->to = G1;
    if (strcmp(r->action, "merge") == 0)
        req->into = (char *)merge_target(f);
}

static const char *holder_after(const struct row *r)
{
    switch (r->where) {
    case BACK_TO_HANDER: return TOWNSHIP;
    case UP: return TOWNSHIP;
    case DOWN: return G1;
    default: return C01;
    }
}

/* One action in one state. */
static void run_pair(fixture *f, const struct row *r, int st, int64_t now)
{
    Gridlink__V1__Case c;
    char id[64];
    bool asked = strcmp(r->action, "approve") == 0 || strcmp(r->action, "refuse") == 0;
    craft(&c, id, sizeof id, ++f->next_id, st, asked, now);
    put_everywhere(f, &c);
    Gridlink__V1__CtlRequest req;
    request_for(f, r, id, &req);
    const char *asker = asker_of(r->who);
    Gridlink__V1__CtlReply *rep = net_call(f->net, asker, &req, now);
    int expect = r->to[st];
    if (expect == NO) {
        char text[256];
        snprintf(text, sizeof text, "cannot %s case %s: it is %s", r->action, id, state_names[st]);
        if (rep->code != GL_ESTATE || strncmp(rep->error, text, strlen(text)) != 0)
            fail_msg("%s in state %s at %s: expected GL_ESTATE \"%s...\", got %d \"%s\"", r->action, state_names[st],
                     asker, text, rep->code, rep->error);
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        /* Refused before anything was written: nothing travels, no copy moves. */
        assert_int_equal(net_settle(f->net, now), 0);
        const char *where[] = {C01, TOWNSHIP, G1};
        for (size_t i = 0; i < 3; i++) {
            Gridlink__V1__Case *k = net_case(f->net, where[i], id);
            assert_non_null(k);
            assert_int_equal(k->version, 5);
            assert_int_equal(k->state, st);
            assert_string_equal(k->holder, C01);
            gridlink__v1__case__free_unpacked(k, NULL);
        }
        return;
    }
    if (rep->code != 0)
        fail_msg("%s in state %s at %s: expected success, got %d \"%s\"", r->action, state_names[st], asker, rep->code,
                 rep->error);
    int want = expect == SAME ? st : expect == BACK ? SUSPENDED_FROM : expect;
    const char *holder = holder_after(r);
    if (strcmp(asker, C01) == 0) {
        assert_non_null(rep->case_);
        if ((int)rep->case_->state != want)
            fail_msg("%s in state %s: the reply says %s, not %s", r->action, state_names[st],
                     state_names[rep->case_->state], state_names[want]);
        assert_string_equal(rep->case_->holder, holder);
    } else {
        /* Asked away from the holder: sent on, applied there. */
        assert_non_null(strstr(rep->note, "sent to " C01));
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    net_settle(f->net, now);
    /* The holder that was, the asker and the new holder agree. */
    const char *where[] = {C01, asker, holder};
    for (size_t i = 0; i < 3; i++) {
        Gridlink__V1__Case *k = net_case(f->net, where[i], id);
        assert_non_null(k);
        if ((int)k->state != want || strcmp(k->holder, holder) != 0)
            fail_msg("%s in state %s: %s has it %s at %s, not %s at %s", r->action, state_names[st], where[i],
                     state_names[k->state], k->holder, state_names[want], holder);
        assert_true(k->version > 5);
        gridlink__v1__case__free_unpacked(k, NULL);
    }
}

static void test_every_action_in_every_state(void **state)
{
    fixture *f = *state;
    int allowed = 0, refused = 0;
    for (size_t i = 0; i < N_ROWS; i++)
        for (int st = REP; st < N_STATES; st++) {
            run_pair(f, &table[i], st, T0 + 1000);
            if (table[i].to[st] == NO)
                refused++;
            else
                allowed++;
        }
    assert_int_equal(allowed + refused, 18 * 11);
    assert_int_equal(allowed, 77);
    net_assert_quiet(f->net);
}

/* The table names every action the protocol has. */
static void test_table_covers_every_action(void **state)
{
    (void)state;
    for (int a = 1; a <= GRIDLINK__V1__ACTION__ACTION_REOPEN; a++) {
        const char *name = gl_action_name(a);
        bool found = false;
        for (size_t i = 0; i < N_ROWS && !found; i++)
            found = strcmp(table[i].action, name) == 0;
        if (!found)
            fail_msg("action %s has no row", name);
    }
    assert_int_equal(N_ROWS, GRIDLINK__V1__ACTION__ACTION_REOPEN);
}

/* ---- who may act ---- */

static Gridlink__V1__CtlReply *ask(fixture *f, const char *node, Gridlink__V1__CtlRequest *req, int64_t now)
{
    return net_call(f->net, node, req, now);
}

static void expect_refusal(Gridlink__V1__CtlReply *rep, int code, const char *text)
{
    assert_non_null(rep);
    if (rep->code != code || !strstr(rep->error, text))
        fail_msg("expected %d \"%s\", got %d \"%s\"", code, text, rep->code, rep->error);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static void expect_ok(Gridlink__V1__CtlReply *rep)
{
    assert_non_null(rep);
    if (rep->code != 0)
        fail_msg("expected success, got %d \"%s\"", rep->code, rep->error);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
}

static Gridlink__V1__CtlRequest act(const char *case_id, const char *action)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "act";
    req.action = (char *)action;
    req.case_id = (char *)case_id;
    return req;
}

static void put_case(fixture *f, int st, bool asked, char *id, size_t idsize)
{
    Gridlink__V1__Case c;
    craft(&c, id, idsize, ++f->next_id, st, asked, T0);
    put_everywhere(f, &c);
}

static void test_who_may_act(void **state)
{
    fixture *f = *state;
    char id[64], text[256];
    int64_t now = T0 + 1000;

    /* verify at the holder, which did not report it */
    put_case(f, RES, false, id, sizeof id);
    Gridlink__V1__CtlRequest req = act(id, "verify");
    snprintf(text, sizeof text, "only the originator (" G1 ") may verify case %s, not " C01, id);
    expect_refusal(ask(f, C01, &req, now), GL_EPERM, text);
    /* nor at the township, which holds a copy */
    snprintf(text, sizeof text, "only the originator (" G1 ") may verify case %s, not " TOWNSHIP, id);
    expect_refusal(ask(f, TOWNSHIP, &req, now), GL_EPERM, text);
    put_case(f, CLO, false, id, sizeof id);
    req.op = "rate";
    req.action = "";
    req.case_id = id;
    snprintf(text, sizeof text, "only the originator (" G1 ") may rate case %s, not " C01, id);
    expect_refusal(ask(f, C01, &req, now), GL_EPERM, text);

    /* urge by the holder itself, and from below it */
    put_case(f, INP, false, id, sizeof id);
    req = act(id, "urge");
    snprintf(text, sizeof text, "only a tier above the holder may urge case %s, not " C01, id);
    expect_refusal(ask(f, C01, &req, now), GL_EPERM, text);
    snprintf(text, sizeof text, "only a tier above the holder may urge case %s, not " G1, id);
    expect_refusal(ask(f, G1, &req, now), GL_EPERM, text);
    /* the district, two tiers above, may */
    Gridlink__V1__Case *copy = net_case(f->net, C01, id);
    net_put_case(f->net, DISTRICT, copy);
    gridlink__v1__case__free_unpacked(copy, NULL);
    expect_ok(ask(f, DISTRICT, &req, now));
    net_settle(f->net, now);
    Gridlink__V1__Case *k = net_case(f->net, C01, id);
    assert_int_equal(k->counters->urges, 1);
    assert_int_equal(k->state, INP);
    gridlink__v1__case__free_unpacked(k, NULL);

    /* an extension answered by the holder instead of the assigner */
    put_case(f, INP, true, id, sizeof id);
    req = act(id, "approve");
    snprintf(text, sizeof text, "only the node that assigned the work (" TOWNSHIP ") may approve case %s, not " C01,
             id);
    expect_refusal(ask(f, C01, &req, now), GL_EPERM, text);

    /* the holder's actions, asked elsewhere */
    req = act(id, "resolve");
    snprintf(text, sizeof text, "case %s is held by " C01 ", not " TOWNSHIP, id);
    expect_refusal(ask(f, TOWNSHIP, &req, now), GL_EPERM, text);
    snprintf(text, sizeof text, "case %s is held by " C01 ", not " G1, id);
    expect_refusal(ask(f, G1, &req, now), GL_EPERM, text);

    /* a case not known where it is asked */
    req = act(id, "urge");
    snprintf(text, sizeof text, "unknown case %s at " C02, id);
    expect_refusal(ask(f, C02, &req, now), GL_ENOENT, text);

    /* an action that does not exist */
    req = act(id, "forgive");
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "unknown action 'forgive'");

    assert_int_equal(net_settle(f->net, now), 0);
    net_assert_quiet(f->net);
}

/* ---- what actions need ---- */

static void test_required_arguments(void **state)
{
    fixture *f = *state;
    char id[64], text[256];
    int64_t now = T0 + 1000;
    put_case(f, INP, false, id, sizeof id);
    Gridlink__V1__CtlRequest req = act(id, "return");
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "a return needs a reason (--reason ");
    req.reason = "because";
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "unknown reason 'because'");

    req = act(id, "extend");
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL,
                   "an extension needs the time asked for (--by DURATION, 4wh or 2wd)");
    req.by_ms = -HOUR_MS;
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "an extension needs the time asked for");
    /* after the deadline it is too late to ask */
    req.by_ms = HOUR_MS;
    snprintf(text, sizeof text, "an extension must be asked before the deadline; case %s was due already", id);
    expect_refusal(ask(f, C01, &req, T0 + DAY_MS), GL_ESTATE, text);
    /* one extension at a time */
    expect_ok(ask(f, C01, &req, now));
    snprintf(text, sizeof text, "case %s already waits for an answer to an extension", id);
    expect_refusal(ask(f, C01, &req, now), GL_ESTATE, text);

    req = act(id, "assign");
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL,
                   "assign needs a node below " C01 " or a department above it (--to NODE)");
    req.to = C02;
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL,
                   "assign needs a node below " C01 " or a department above it (--to NODE), not " C02);
    req.to = C01;
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL,
                   "assign needs a node below " C01 " or a department above it (--to NODE), not " C01);
    req.to = TOWNSHIP;
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "not " TOWNSHIP);
    req.to = "xinbei.sanjing.c01.g9";
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "not xinbei.sanjing.c01.g9");

    req = act(id, "merge");
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "merge needs another case this node holds (--into CASE_ID)");
    req.into = id;
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "merge needs another case this node holds (--into CASE_ID)");
    req.into = G2 "-000001";
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, "case " G2 "-000001 is not known here");
    char closed[64];
    put_case(f, CLO, false, closed, sizeof closed);
    req.into = closed;
    snprintf(text, sizeof text, "%s is closed, held by " C01, closed);
    expect_refusal(ask(f, C01, &req, now), GL_EINVAL, text);

    /* nothing waits for an answer */
    char other[64];
    put_case(f, INP, false, other, sizeof other);
    req = act(other, "approve");
    snprintf(text, sizeof text, "case %s has no extension waiting for an answer", other);
    expect_refusal(ask(f, TOWNSHIP, &req, now), GL_ESTATE, text);

    /* a return needs someone who handed the case over; a binding one none */
    Gridlink__V1__Case c;
    char mine[64];
    craft(&c, mine, sizeof mine, ++f->next_id, ACC, false, T0);
    c.handed_by = "";
    c.assigned_by = "";
    put_everywhere(f, &c);
    req = act(mine, "return");
    req.reason = "not-ours";
    snprintf(text, sizeof text, "case %s was not handed over by anyone; there is nobody to return it to", mine);
    expect_refusal(ask(f, C01, &req, now), GL_EPERM, text);
    craft(&c, mine, sizeof mine, ++f->next_id, ASG, false, T0);
    c.binding = true;
    put_everywhere(f, &c);
    req.case_id = mine;
    snprintf(text, sizeof text, "case %s was assigned by a binding decision (审定) and cannot be returned", mine);
    expect_refusal(ask(f, C01, &req, now), GL_EPERM, text);

    /* the district has nowhere to escalate to */
    craft(&c, mine, sizeof mine, ++f->next_id, INP, false, T0);
    c.holder = DISTRICT;
    c.assigned_by = "";
    net_put_case(f->net, DISTRICT, &c);
    req = act(mine, "escalate");
    expect_refusal(ask(f, DISTRICT, &req, now), GL_EPERM, "the district has no tier above it to escalate to");

    net_settle(f->net, now);
    net_assert_quiet(f->net);
}

/* ---- clocks and counters ---- */

static Gridlink__V1__Case *at(fixture *f, const char *node, const char *id)
{
    Gridlink__V1__Case *k = net_case(f->net, node, id);
    assert_non_null(k);
    return k;
}

/* An extension asked by the holder and approved by the assigner moves the
 * resolve deadline by exactly the time asked, in the case and in the index;
 * a refused one moves nothing. */
static void test_extend_and_approve(void **state)
{
    fixture *f = *state;
    char id[64];
    put_case(f, INP, false, id, sizeof id); /* resolve due T0 + 1 day */
    assert_int_equal(net_next_due(f->net, C01), T0 + DAY_MS);
    Gridlink__V1__CtlRequest req = act(id, "extend");
    req.by_ms = 3 * HOUR_MS;
    expect_ok(ask(f, C01, &req, T0 + 10 * HOUR_MS));
    net_settle(f->net, T0 + 10 * HOUR_MS);
    Gridlink__V1__Case *k = at(f, C01, id);
    assert_int_equal(k->extension_asked_ms, 3 * HOUR_MS);
    assert_int_equal(k->resolve_due_ms, T0 + DAY_MS); /* asking moves nothing */
    gridlink__v1__case__free_unpacked(k, NULL);
    k = at(f, TOWNSHIP, id);
    assert_int_equal(k->extension_asked_ms, 3 * HOUR_MS); /* the assigner sees the question */
    gridlink__v1__case__free_unpacked(k, NULL);

    req = act(id, "approve");
    expect_ok(ask(f, TOWNSHIP, &req, T0 + 11 * HOUR_MS));
    net_settle(f->net, T0 + 11 * HOUR_MS);
    k = at(f, C01, id);
    assert_int_equal(k->resolve_due_ms, T0 + DAY_MS + 3 * HOUR_MS);
    assert_int_equal(k->resolve_warn_ms, T0 + DAY_MS + 3 * HOUR_MS - WARN_MS); /* the warning moved along */
    assert_int_equal(k->extension_asked_ms, 0);
    assert_int_equal(k->counters->extensions, 1);
    assert_int_equal(k->state, INP);
    gridlink__v1__case__free_unpacked(k, NULL);
    assert_int_equal(net_next_due(f->net, C01), T0 + DAY_MS + 3 * HOUR_MS - WARN_MS); /* its warning first */
    /* the old deadline is gone: nothing fires at it */
    net_fire(f->net, C01, T0 + DAY_MS + HOUR_MS);
    k = at(f, C01, id);
    assert_false(k->overdue);
    assert_int_equal(k->resolve_due_ms, T0 + DAY_MS + 3 * HOUR_MS);
    gridlink__v1__case__free_unpacked(k, NULL);
    k = at(f, TOWNSHIP, id);
    assert_int_equal(k->extension_asked_ms, 0);
    assert_int_equal(k->resolve_due_ms, T0 + DAY_MS + 3 * HOUR_MS);
    gridlink__v1__case__free_unpacked(k, NULL);

    /* asked again and refused */
    req = act(id, "extend");
    req.by_ms = HOUR_MS;
    expect_ok(ask(f, C01, &req, T0 + 12 * HOUR_MS));
    net_settle(f->net, T0 + 12 * HOUR_MS);
    req = act(id, "refuse");
    expect_ok(ask(f, TOWNSHIP, &req, T0 + 12 * HOUR_MS));
    net_settle(f->net, T0 + 12 * HOUR_MS);
    k = at(f, C01, id);
    assert_int_equal(k->resolve_due_ms, T0 + DAY_MS + 3 * HOUR_MS);
    assert_int_equal(k->extension_asked_ms, 0);
    assert_int_equal(k->counters->extensions, 1);
    assert_int_equal(k->counters->extensions_refused, 1);
    gridlink__v1__case__free_unpacked(k, NULL);

    /* asked in working hours and approved: counted on the calendar (the
     * built-in one, UTC+8: 09:13 on a Thursday plus 2 working hours is 11:13) */
    req = act(id, "extend");
    req.by_ms = 2;
    req.by_unit = GRIDLINK__V1__TIME_UNIT__TIME_WORKING_HOURS;
    expect_ok(ask(f, C01, &req, T0 + 13 * HOUR_MS));
    net_settle(f->net, T0 + 13 * HOUR_MS);
    k = at(f, TOWNSHIP, id);
    assert_int_equal(k->extension_asked_ms, 2);
    assert_int_equal(k->extension_unit, GRIDLINK__V1__TIME_UNIT__TIME_WORKING_HOURS);
    gridlink__v1__case__free_unpacked(k, NULL);
    req = act(id, "approve");
    expect_ok(ask(f, TOWNSHIP, &req, T0 + 13 * HOUR_MS));
    net_settle(f->net, T0 + 13 * HOUR_MS);
    k = at(f, C01, id);
    assert_int_equal(k->resolve_due_ms, T0 + DAY_MS + 5 * HOUR_MS);
    assert_int_equal(k->counters->extensions, 2);
    gridlink__v1__case__free_unpacked(k, NULL);
    net_assert_quiet(f->net);
}

/* Suspended, the clocks stand still: no deadline runs, and on resume each
 * is due as much later as the case stood still; suspended_ms counts it. */
static void test_suspend_and_resume(void **state)
{
    fixture *f = *state;
    char id[64];
    Gridlink__V1__Case c;
    craft(&c, id, sizeof id, ++f->next_id, ASG, false, T0); /* accept T0 + 1 h, resolve T0 + 1 day */
    put_everywhere(f, &c);
    expect_ok(net_act(f->net, C01, id, "accept", T0 + 10 * 60000));
    assert_int_equal(net_next_due(f->net, C01), T0 + DAY_MS);

    int64_t t1 = T0 + 2 * HOUR_MS, t2 = t1 + 5 * HOUR_MS;
    expect_ok(net_act(f->net, C01, id, "suspend", t1));
    net_settle(f->net, t1);
    Gridlink__V1__Case *k = at(f, C01, id);
    assert_int_equal(k->state, SUS);
    assert_int_equal(k->resume_state, ACC);
    assert_int_equal(k->resolve_due_ms, 0);
    assert_int_equal(k->accept_due_ms, 0);
    assert_int_equal(k->resolve_left_ms, DAY_MS - 2 * HOUR_MS);
    assert_int_equal(k->counters->suspensions, 1);
    gridlink__v1__case__free_unpacked(k, NULL);
    assert_int_equal(net_next_due(f->net, C01), 0);
    /* the township, the holder's parent, hears of it */
    k = at(f, TOWNSHIP, id);
    assert_int_equal(k->state, SUS);
    gridlink__v1__case__free_unpacked(k, NULL);
    /* a day and more later, nothing has fired */
    net_fire(f->net, C01, T0 + 2 * DAY_MS);
    k = at(f, C01, id);
    assert_false(k->overdue);
    assert_int_equal(k->state, SUS);
    gridlink__v1__case__free_unpacked(k, NULL);

    expect_ok(net_act(f->net, C01, id, "resume", t2));
    net_settle(f->net, t2);
    k = at(f, C01, id);
    assert_int_equal(k->state, ACC);
    assert_int_equal(k->resolve_due_ms, T0 + DAY_MS + 5 * HOUR_MS);
    assert_int_equal(k->accept_due_ms, 0);
    assert_int_equal(k->counters->suspended_ms, 5 * HOUR_MS);
    assert_int_equal(k->suspended_at_ms, 0);
    assert_int_equal(k->resolve_left_ms, 0);
    gridlink__v1__case__free_unpacked(k, NULL);
    assert_int_equal(net_next_due(f->net, C01), T0 + DAY_MS + 5 * HOUR_MS - WARN_MS); /* its warning first */

    /* a second suspension adds to the first; an extension approved while
     * suspended is added to what is left */
    int64_t t3 = t2 + HOUR_MS, t4 = t3 + 30 * 60000;
    Gridlink__V1__CtlRequest req = act(id, "extend");
    req.by_ms = 2 * HOUR_MS;
    expect_ok(ask(f, C01, &req, t3 - 1000));
    expect_ok(net_act(f->net, C01, id, "start", t3 - 500));
    expect_ok(net_act(f->net, C01, id, "suspend", t3));
    net_settle(f->net, t3);
    expect_ok(net_act(f->net, TOWNSHIP, id, "approve", t3 + 1000));
    net_settle(f->net, t3 + 1000);
    k = at(f, C01, id);
    assert_int_equal(k->state, SUS);
    assert_int_equal(k->resolve_left_ms, T0 + DAY_MS + 5 * HOUR_MS - t3 + 2 * HOUR_MS);
    gridlink__v1__case__free_unpacked(k, NULL);
    expect_ok(net_act(f->net, C01, id, "resume", t4));
    net_settle(f->net, t4);
    k = at(f, C01, id);
    assert_int_equal(k->state, INP);
    assert_int_equal(k->resolve_due_ms, T0 + DAY_MS + 5 * HOUR_MS + 30 * 60000 + 2 * HOUR_MS);
    assert_int_equal(k->counters->suspended_ms, 5 * HOUR_MS + 30 * 60000);
    assert_int_equal(k->counters->suspensions, 2);
    assert_int_equal(k->counters->extensions, 1);
    gridlink__v1__case__free_unpacked(k, NULL);
    assert_int_equal(net_next_due(f->net, C01),
                     T0 + DAY_MS + 5 * HOUR_MS + 30 * 60000 + 2 * HOUR_MS - WARN_MS); /* its warning first */
    net_assert_quiet(f->net);
}

/* "Not resolved", says the originator's rating: the case is handled again,
 * with a new resolve deadline, and the reopen is counted. */
static void test_rate_not_resolved_reopens(void **state)
{
    fixture *f = *state;
    char id[64];
    put_case(f, CLO, false, id, sizeof id);
    assert_int_equal(net_next_due(f->net, C01), 0);
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "rate";
    req.case_id = id;
    req.resolved = false;
    req.satisfied = false;
    int64_t now = T0 + 3 * HOUR_MS;
    Gridlink__V1__CtlReply *rep = ask(f, G1, &req, now);
    assert_int_equal(rep->code, 0);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    net_settle(f->net, now);
    const char *where[] = {C01, G1, TOWNSHIP};
    for (size_t i = 0; i < 3; i++) {
        Gridlink__V1__Case *k = at(f, where[i], id);
        assert_int_equal(k->state, INP);
        assert_string_equal(k->holder, C01);
        assert_int_equal(k->counters->reopens, 1);
        assert_int_equal(k->counters->reworks, 0);
        assert_non_null(k->rating);
        assert_false(k->rating->resolved);
        assert_false(k->rating->satisfied);
        assert_string_equal(k->rating->by, G1);
        assert_int_equal(k->rating->time_ms, now);
        assert_int_equal(k->resolve_due_ms, now + DAY_MS); /* the community's limit, from now */
        assert_int_equal(net_history(k, "rated", C01), 1);
        assert_int_equal(net_history(k, "reopened", C01), 1);
        gridlink__v1__case__free_unpacked(k, NULL);
    }
    assert_int_equal(net_next_due(f->net, C01), now + DAY_MS - WARN_MS); /* its warning first */
    assert_int_equal(net_events(f->net, C01, "rated", id), 1);
    assert_int_equal(net_events(f->net, C01, "reopened", id), 1);
    net_assert_quiet(f->net);
}

/* A case is rated once: a second rating of the closed case is refused, at
 * the originator, and the first stays. */
static void test_rated_once(void **state)
{
    fixture *f = *state;
    char id[64], text[256];
    put_case(f, CLO, false, id, sizeof id);
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "rate";
    req.case_id = id;
    req.resolved = true;
    req.satisfied = true;
    int64_t now = T0 + 3 * HOUR_MS;
    expect_ok(ask(f, G1, &req, now));
    net_settle(f->net, now);
    req.satisfied = false;
    snprintf(text, sizeof text, "case %s was rated already; a case is rated once", id);
    expect_refusal(ask(f, G1, &req, now + 1000), GL_EEXIST, text);
    Gridlink__V1__Case *k = at(f, C01, id);
    assert_int_equal(k->state, CLO);
    assert_true(k->rating->satisfied);
    assert_int_equal(k->rating->time_ms, now);
    gridlink__v1__case__free_unpacked(k, NULL);
}

int main(void)
{
    gl_log_init("test_lifecycle", GL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_covers_every_action),
        cmocka_unit_test_setup_teardown(test_every_action_in_every_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_who_may_act, setup, teardown),
        cmocka_unit_test_setup_teardown(test_required_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extend_and_approve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suspend_and_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_not_resolved_reopens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rated_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
