/* replay.c: the what-if replay of recorded events (see replay.h).
 *
 * The replay owns the recorded events it is given (freed with
 * gridlink__v1__bus_event__free_unpacked), the events it makes (each field
 * its own allocation, freed here), its case table and the two streams'
 * arrays. Topologies are borrowed. */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "names.h"
#include "policy.h"

struct rec {
    Gridlink__V1__BusEvent *ev;
    Gridlink__V1__BusEvent *replaced; /* its replayed copy, or NULL: as recorded */
    size_t node;                      /* index into nodes */
    bool dropped;
};

struct case_info {
    char *id;
    int priority;
    int64_t sign_within_ms, due_within_ms;
};

struct gl_replay {
    const gl_topology_t *was, *now;
    struct rec *recs;
    size_t n_recs, cap_recs;
    char **nodes; /* node IDs in the order their first events came */
    size_t n_nodes, cap_nodes;
    struct case_info *cases;
    size_t n_cases, cap_cases;
    Gridlink__V1__BusEvent **made;
    size_t n_made, cap_made;
    gl_replay_event *recorded; /* n_recs */
    gl_replay_event *replayed;
    size_t n_replayed;
    gl_replay_stats st;
    bool ran;
};

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return GL_OK;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * size);
    if (!p)
        return GL_ENOMEM;
    *arr = p;
    *cap = n;
    return GL_OK;
}

int gl_replay_new(const gl_topology_t *was, const gl_topology_t *now, gl_replay_t **out)
{
    if (!out || !was || !now)
        return GL_EINVAL;
    gl_replay_t *r = calloc(1, sizeof *r);
    if (!r)
        return GL_ENOMEM;
    r->was = was;
    r->now = now;
    *out = r;
    return GL_OK;
}

void gl_replay_free(gl_replay_t **rp)
{
    if (!rp || !*rp)
        return;
    gl_replay_t *r = *rp;
    for (size_t i = 0; i < r->n_recs; i++) {
        gridlink__v1__bus_event__free_unpacked(r->recs[i].ev, NULL);
        if (r->recs[i].replaced)
            gridlink__v1__bus_event__free_unpacked(r->recs[i].replaced, NULL);
    }
    for (size_t i = 0; i < r->n_nodes; i++)
        free(r->nodes[i]);
    for (size_t i = 0; i < r->n_cases; i++)
        free(r->cases[i].id);
    for (size_t i = 0; i < r->n_made; i++)
        gridlink__v1__bus_event__free_unpacked(r->made[i], NULL);
    free(r->recs);
    free(r->nodes);
    free(r->cases);
    free(r->made);
    free(r->recorded);
    free(r->replayed);
    free(r);
    *rp = NULL;
}

int gl_replay_case(gl_replay_t *r, const char *case_id, int priority, int64_t sign_within_ms, int64_t due_within_ms)
{
    if (!r || !case_id || !case_id[0])
        return GL_EINVAL;
    if (grow((void **)&r->cases, &r->cap_cases, r->n_cases + 1, sizeof *r->cases) != 0)
        return GL_ENOMEM;
    char *id = strdup(case_id);
    if (!id)
        return GL_ENOMEM;
    r->cases[r->n_cases++] = (struct case_info){id, priority, sign_within_ms, due_within_ms};
    return GL_OK;
}

int gl_replay_add(gl_replay_t *r, Gridlink__V1__BusEvent *ev)
{
    if (!r || !ev)
        return GL_EINVAL;
    if (r->ran || !ev->node || !ev->node[0] || !ev->kind || !ev->kind[0]) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return r->ran ? GL_ESTATE : GL_EINVAL;
    }
    size_t node = r->n_nodes;
    if (r->n_recs && strcmp(r->nodes[r->recs[r->n_recs - 1].node], ev->node) == 0)
        node = r->recs[r->n_recs - 1].node;
    for (size_t i = 0; node == r->n_nodes && i < r->n_nodes; i++)
        if (strcmp(r->nodes[i], ev->node) == 0)
            node = i;
    int rc = grow((void **)&r->recs, &r->cap_recs, r->n_recs + 1, sizeof *r->recs);
    if (rc == 0 && node == r->n_nodes) {
        rc = grow((void **)&r->nodes, &r->cap_nodes, r->n_nodes + 1, sizeof *r->nodes);
        char *id = rc == 0 ? strdup(ev->node) : NULL;
        if (id)
            r->nodes[r->n_nodes++] = id;
        else
            rc = GL_ENOMEM;
    }
    if (rc != 0) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return rc;
    }
    r->recs[r->n_recs++] = (struct rec){ev, NULL, node, false};
    return GL_OK;
}

/* ---- the merge ---- */

/* Every node's events in its log order, merged by time; between equal
 * times the node whose events came first goes first. *order gets indexes
 * into recs. */
static int merge(gl_replay_t *r, size_t **order)
{
    size_t n = r->n_recs, k = r->n_nodes;
    size_t *out = malloc((n ? n : 1) * sizeof *out);
    size_t *count = calloc(k + 1, sizeof *count);
    size_t *start = calloc(k + 1, sizeof *start);
    size_t *byn = malloc((n ? n : 1) * sizeof *byn);
    size_t *head = calloc(k + 1, sizeof *head);
    if (!out || !count || !start || !byn || !head) {
        free(out);
        free(count);
        free(start);
        free(byn);
        free(head);
        return GL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        count[r->recs[i].node]++;
    for (size_t j = 1; j <= k; j++)
        start[j] = start[j - 1] + count[j - 1];
    for (size_t j = 0; j < k; j++)
        head[j] = start[j];
    for (size_t i = 0; i < n; i++)
        byn[head[r->recs[i].node]++] = i;
    for (size_t j = 0; j < k; j++)
        head[j] = start[j];
    for (size_t m = 0; m < n; m++) {
        size_t best = k;
        int64_t best_t = 0;
        for (size_t j = 0; j < k; j++) {
            if (head[j] >= start[j] + count[j])
                continue;
            int64_t t = r->recs[byn[head[j]]].ev->time_ms;
            if (best == k || t < best_t) {
                best = j;
                best_t = t;
            }
        }
        out[m] = byn[head[best]++];
    }
    free(count);
    free(start);
    free(byn);
    free(head);
    *order = out;
    return GL_OK;
}

/* ---- the clocks ---- */

struct ref {
    const char *case_id;
    size_t pos; /* in the merged order */
};

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    int c = strcmp(x->case_id, y->case_id);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static int case_cmp(const void *a, const void *b)
{
    const struct case_info *x = a, *y = b;
    return strcmp(x->id, y->id);
}

static const struct case_info *case_of(const gl_replay_t *r, const char *id)
{
    struct case_info key = {(char *)id, 0, 0, 0};
    if (!r->n_cases)
        return NULL;
    return bsearch(&key, r->cases, r->n_cases, sizeof *r->cases, case_cmp);
}

static bool is(const Gridlink__V1__BusEvent *ev, const char *kind)
{
    return strcmp(ev->kind, kind) == 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool holder_is_node(const Gridlink__V1__BusEvent *ev)
{
    return ev->holder && strcmp(ev->holder, ev->node) == 0;
}

enum which { ACCEPT, RESOLVE };

/* Where the engine starts a holder's clocks (dl_start): at a case received
 * from below or reported where it stays, both; taken over from above
 * (lc_take_over), the acceptance clock, and the completion clock too when
 * it was assigned; again at a 返工 or 重办 (C_START_RESOLVE), the
 * completion clock. */
static bool clock_starts(const Gridlink__V1__BusEvent *ev, enum which w)
{
    if (!holder_is_node(ev))
        return false;
    if (is(ev, "received") || is(ev, "reported")) {
        if (w == ACCEPT)
            return true;
        return ev->state != GRIDLINK__V1__CASE_STATE__STATE_RETURNED &&
               ev->state != GRIDLINK__V1__CASE_STATE__STATE_ARBITRATION;
    }
    return w == RESOLVE && (is(ev, "reworked") || is(ev, "reopened"));
}

/* A step nodes/clock.c takes when the clock's deadline passes. */
static bool clock_step(const Gridlink__V1__BusEvent *ev, enum which w)
{
    if (!is(ev, "escalated") && !is(ev, "overdue") && !is(ev, "escalation-pending"))
        return false;
    if (w == RESOLVE)
        return starts_with(ev->note, GL_DUE_NOTE_RESOLVE);
    return starts_with(ev->note, GL_DUE_NOTE_ACCEPT) || starts_with(ev->note, GL_DUE_NOTE_ABSENT);
}

/* The holder's step that stops the clock (the lifecycle's C_STOP_ACCEPT and
 * C_STOP_BOTH), or the case leaving it. */
static bool clock_stops(const Gridlink__V1__BusEvent *ev, enum which w)
{
    static const char *const kinds[] = {
        "resolved", "returned", "escalated", "assigned", "merged",
        "closed",   "verified", "accepted",  "started"}; /* the last two stop only the acceptance clock */
    size_t n = sizeof kinds / sizeof kinds[0] - (w == RESOLVE ? 2 : 0);
    for (size_t i = 0; i < n; i++)
        if (is(ev, kinds[i]))
            return true;
    return ev->holder && ev->holder[0] && !holder_is_node(ev);
}

/* A step that moves a completion clock in ways the replay does not count
 * again: such a clock stands as recorded. */
static bool clock_bent(const Gridlink__V1__BusEvent *ev)
{
    return is(ev, "suspended") || is(ev, "resumed") || is(ev, "extended");
}

struct clock {
    enum which which;
    const char *node;
    size_t start, start_pos; /* index into recs, position in the merged order */
    size_t step, step_pos;   /* the recorded clock step, or SIZE_MAX */
    size_t stop, stop_pos;   /* the holder's step that stopped it, or SIZE_MAX */
    bool bent;               /* suspended or extended while it ran */
};

/* A clock the new topology moves, and what follows from it. */
struct moved {
    struct clock k;
    size_t end_pos; /* the last position of its events at the holder */
    int64_t old_due, new_due;
    bool make; /* a step is made at new_due */
};

/* An unpacked copy of ev (the replay's), or NULL when out of memory. */
static Gridlink__V1__BusEvent *clone(const Gridlink__V1__BusEvent *ev)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (gl_pack(&ev->base, &buf, &len) != 0)
        return NULL;
    Gridlink__V1__BusEvent *c = gridlink__v1__bus_event__unpack(NULL, len, buf);
    free(buf);
    return c;
}

static int keep(Gridlink__V1__BusEvent ***arr, size_t *n, size_t *cap, Gridlink__V1__BusEvent *ev)
{
    if (!ev)
        return GL_ENOMEM;
    if (grow((void **)arr, cap, *n + 1, sizeof **arr) != 0) {
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        return GL_ENOMEM;
    }
    (*arr)[(*n)++] = ev;
    return GL_OK;
}

static char *note_of(const char *why, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", why, GL_REPLAY_NOTE_SUFFIX);
    return buf;
}

/* The step nodes/clock.c takes at due for the clock: the recorded one's
 * kind where there is one, else as fire_one decides (a case assigned from
 * above is marked overdue, a department that does not report in and a case
 * from below climb, at the top it is an alarm); the parent's link is taken
 * to be up. base: the case's event just before (its counters, one more
 * deadline missed). */
static int make_step(gl_replay_t *r, const struct moved *m, const Gridlink__V1__BusEvent *base)
{
    const Gridlink__V1__BusEvent *s = r->recs[m->k.start].ev;
    const Gridlink__V1__BusEvent *was = m->k.step != SIZE_MAX ? r->recs[m->k.step].ev : NULL;
    const gl_node_t *n = gl_topology_find(r->now, s->node);
    const gl_node_t *p = n ? gl_topology_parent(r->now, n) : NULL;
    bool accept = m->k.which == ACCEPT;
    bool absent = accept && n && n->tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT;
    bool assigned = s->state == GRIDLINK__V1__CASE_STATE__STATE_ASSIGNED;
    const char *kind;
    if (was)
        kind = was->kind;
    else if ((assigned && !absent) || !p)
        kind = "overdue";
    else
        kind = "escalated";
    bool up = strcmp(kind, "escalated") == 0 && p;
    if (!base)
        base = s;
    char note[GL_MAX_TEXT + 64];
    Gridlink__V1__BusEvent ev = *s;
    Gridlink__V1__CaseCounters k = GRIDLINK__V1__CASE_COUNTERS__INIT;
    if (base->counters) {
        k = *base->counters;
        if (accept)
            k.overdue_accept++;
        else
            k.overdue_resolve++;
        if (up)
            k.escalations++;
        ev.counters = &k;
    }
    const char *why = was && was->note ? was->note
                      : absent         ? GL_DUE_NOTE_ABSENT
                      : accept         ? GL_DUE_NOTE_ACCEPT
                                       : GL_DUE_NOTE_RESOLVE;
    ev.seq = 0;
    ev.kind = (char *)kind;
    ev.state = up ? GRIDLINK__V1__CASE_STATE__STATE_ESCALATED : was ? was->state : base->state;
    ev.holder = up ? p->id : s->node;
    ev.peer = up ? p->id : "";
    ev.time_ms = m->new_due;
    ev.note = note_of(why, note, sizeof note);
    ev.accept_due_ms = up || accept ? 0 : base->accept_due_ms;
    ev.resolve_due_ms = up || !accept ? 0 : base->resolve_due_ms;
    ev.version = base->version;
    ev.part = base->part;
    ev.rating = NULL;
    return keep(&r->made, &r->n_made, &r->cap_made, clone(&ev));
}

static int64_t due_under(const gl_topology_t *t, const gl_node_t *n, const Gridlink__V1__BusEvent *s, int priority,
                         enum which w)
{
    int64_t a = 0, d = 0;
    gl_policy_dues(t->policy, t->calendar, n->id, n->tier, s->category, priority, s->time_ms, &a, &d);
    int64_t due = w == ACCEPT ? a : d;
    return due == INT64_MAX ? 0 : due;
}

/* One clock, walked to its end: the same due time under both topologies
 * leaves it as recorded; another drops its recorded step and, if the
 * holder had not acted by the new due time, makes one then (*m). Returns
 * whether the clock moved. */
static bool settle(gl_replay_t *r, const struct clock *k, int64_t horizon, struct moved *m)
{
    const Gridlink__V1__BusEvent *s = r->recs[k->start].ev;
    const gl_node_t *old_n = gl_topology_find(r->was, s->node);
    const gl_node_t *new_n = gl_topology_find(r->now, s->node);
    r->st.clocks++;
    if (!old_n || !new_n || old_n->tier != new_n->tier) {
        r->st.unknown_nodes++;
        return false;
    }
    const struct case_info *ci = case_of(r, s->case_id);
    int priority = ci ? ci->priority : GRIDLINK__V1__PRIORITY__PRIORITY_NORMAL;
    if (s->state == GRIDLINK__V1__CASE_STATE__STATE_ASSIGNED && ci &&
        (k->which == ACCEPT ? ci->sign_within_ms : ci->due_within_ms) > 0 && is(s, "received"))
        return false; /* the dispatcher's limit, under either topology */
    /* The due time the engine logged with the clock's start (nodes of this
     * version log it), else the one the recorded topology gives. */
    int64_t old_due = due_under(r->was, old_n, s, priority, k->which);
    int64_t logged = k->which == ACCEPT ? s->accept_due_ms : s->resolve_due_ms;
    if (logged > 0) {
        r->st.logged_dues++;
        if (logged != old_due)
            r->st.logged_differ++;
        old_due = logged;
    }
    int64_t new_due = due_under(r->now, new_n, s, priority, k->which);
    if (old_due == new_due) {
        if (k->step != SIZE_MAX && !k->bent) {
            int64_t lag = r->recs[k->step].ev->time_ms - old_due;
            if (r->st.checked == 0 || lag < r->st.lag_min_ms)
                r->st.lag_min_ms = lag;
            if (r->st.checked == 0 || lag > r->st.lag_max_ms)
                r->st.lag_max_ms = lag;
            r->st.checked++;
        }
        return false;
    }
    if (k->bent) {
        r->st.bent++;
        return false;
    }
    r->st.clocks_changed++;
    if (k->step != SIZE_MAX) {
        r->recs[k->step].dropped = true;
        r->st.dropped++;
    }
    int64_t stop = k->stop != SIZE_MAX ? r->recs[k->stop].ev->time_ms : INT64_MAX;
    *m = (struct moved){*k, SIZE_MAX, old_due, new_due, new_due > 0 && new_due < stop && new_due <= horizon};
    m->end_pos = k->stop != SIZE_MAX ? k->stop_pos : k->step != SIZE_MAX ? k->step_pos : SIZE_MAX;
    r->st.simulated += m->make;
    return true;
}

/* The case's events as replayed: where a clock moved, its events at the
 * holder carry the new due time, and every later event of the case one
 * deadline missed less for a dropped step and one more for a made one (the
 * case's counters, as the engine would have kept them). */
static int rewrite_case(gl_replay_t *r, const size_t *order, const struct ref *refs, size_t n, const struct moved *mv,
                        size_t n_mv)
{
    for (size_t i = 0; i < n; i++) {
        size_t pos = refs[i].pos, ri = order[pos];
        const Gridlink__V1__BusEvent *ev = r->recs[ri].ev;
        int64_t d_oa = 0, d_or = 0, adue = ev->accept_due_ms, rdue = ev->resolve_due_ms;
        for (size_t j = 0; j < n_mv; j++) {
            const struct moved *m = &mv[j];
            bool accept = m->k.which == ACCEPT;
            int64_t *d = accept ? &d_oa : &d_or;
            if (m->k.step != SIZE_MAX && m->k.step_pos < pos)
                (*d)--;
            if (m->make && m->new_due < ev->time_ms)
                (*d)++;
            int64_t have = accept ? ev->accept_due_ms : ev->resolve_due_ms;
            if (m->old_due > 0 && have == m->old_due && pos >= m->k.start_pos && pos <= m->end_pos &&
                strcmp(ev->node, m->k.node) == 0)
                *(accept ? &adue : &rdue) = m->new_due;
        }
        if (((d_oa == 0 && d_or == 0) || !ev->counters) && adue == ev->accept_due_ms && rdue == ev->resolve_due_ms)
            continue;
        Gridlink__V1__BusEvent *c = clone(ev);
        if (!c)
            return GL_ENOMEM;
        c->accept_due_ms = adue;
        c->resolve_due_ms = rdue;
        if (c->counters) {
            int64_t oa = (int64_t)c->counters->overdue_accept + d_oa;
            int64_t or_ = (int64_t)c->counters->overdue_resolve + d_or;
            c->counters->overdue_accept = oa > 0 ? (uint32_t)oa : 0;
            c->counters->overdue_resolve = or_ > 0 ? (uint32_t)or_ : 0;
        }
        r->recs[ri].replaced = c;
    }
    for (size_t j = 0; j < n_mv; j++) {
        if (!mv[j].make)
            continue;
        const Gridlink__V1__BusEvent *base = NULL;
        for (size_t i = 0; i < n; i++) {
            const struct rec *x = &r->recs[order[refs[i].pos]];
            if (x->ev->time_ms > mv[j].new_due)
                break;
            if (!x->dropped)
                base = x->replaced ? x->replaced : x->ev;
        }
        int rc = make_step(r, &mv[j], base);
        if (rc != 0)
            return rc;
    }
    return GL_OK;
}

#define MAX_OPEN 16 /* clocks of one case open at once; past it the oldest ends */

struct walk {
    struct clock open[MAX_OPEN];
    size_t n_open;
    struct moved *mv;
    size_t n_mv, cap_mv;
};

/* Settle open clock j and take it off the open ones. */
static int end_clock(gl_replay_t *r, struct walk *w, size_t j, int64_t horizon)
{
    struct moved m;
    int rc = GL_OK;
    if (settle(r, &w->open[j], horizon, &m)) {
        rc = grow((void **)&w->mv, &w->cap_mv, w->n_mv + 1, sizeof *w->mv);
        if (rc == 0)
            w->mv[w->n_mv++] = m;
    }
    w->n_open--;
    w->open[j] = w->open[w->n_open];
    return rc;
}

/* Walk one case's events (refs[0..n), merged order): the clocks of each
 * node that held it, then the case as replayed. */
static int walk_case(gl_replay_t *r, const size_t *order, const struct ref *refs, size_t n, int64_t horizon)
{
    struct walk w = {.n_open = 0};
    int rc = GL_OK;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t pos = refs[i].pos, ri = order[pos];
        const Gridlink__V1__BusEvent *ev = r->recs[ri].ev;
        /* steps and stops of the clocks running at this node */
        for (size_t j = w.n_open; j-- > 0 && rc == 0;) {
            struct clock *k = &w.open[j];
            if (strcmp(k->node, ev->node) != 0)
                continue;
            if (clock_starts(ev, k->which)) { /* started again before it stopped: it ends here */
                rc = end_clock(r, &w, j, horizon);
                continue;
            }
            bool step = clock_step(ev, k->which);
            if (step && k->step == SIZE_MAX) {
                k->step = ri;
                k->step_pos = pos;
            }
            if (k->which == RESOLVE && clock_bent(ev))
                k->bent = true;
            bool leaves = ev->holder && ev->holder[0] && !holder_is_node(ev);
            if ((step && leaves) || (!step && clock_stops(ev, k->which))) {
                if (!step) {
                    k->stop = ri;
                    k->stop_pos = pos;
                }
                rc = end_clock(r, &w, j, horizon);
            }
        }
        for (enum which wh = ACCEPT; wh <= RESOLVE && rc == 0; wh++) {
            if (!clock_starts(ev, wh))
                continue;
            if (w.n_open == MAX_OPEN && (rc = end_clock(r, &w, 0, horizon)) != 0)
                break;
            w.open[w.n_open++] = (struct clock){wh, ev->node, ri, pos, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, false};
        }
    }
    while (w.n_open > 0 && rc == 0)
        rc = end_clock(r, &w, w.n_open - 1, horizon);
    if (rc == 0 && w.n_mv > 0)
        rc = rewrite_case(r, order, refs, n, w.mv, w.n_mv);
    free(w.mv);
    return rc;
}

struct made_ref {
    Gridlink__V1__BusEvent *ev;
    size_t i; /* made in walk order: ties keep it */
};

static int made_cmp(const void *a, const void *b)
{
    const struct made_ref *x = a, *y = b;
    if (x->ev->time_ms != y->ev->time_ms)
        return x->ev->time_ms < y->ev->time_ms ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* The made steps by time (they are made in case order). */
static int sort_made(gl_replay_t *r)
{
    struct made_ref *m = malloc((r->n_made ? r->n_made : 1) * sizeof *m);
    if (!m)
        return GL_ENOMEM;
    for (size_t i = 0; i < r->n_made; i++)
        m[i] = (struct made_ref){r->made[i], i};
    qsort(m, r->n_made, sizeof *m, made_cmp);
    for (size_t i = 0; i < r->n_made; i++)
        r->made[i] = m[i].ev;
    free(m);
    return GL_OK;
}

int gl_replay_run(gl_replay_t *r, int64_t horizon_ms)
{
    if (!r)
        return GL_EINVAL;
    if (r->ran)
        return GL_ESTATE;
    r->ran = true;
    r->st.events = r->n_recs;
    if (r->n_cases)
        qsort(r->cases, r->n_cases, sizeof *r->cases, case_cmp);
    size_t *order = NULL;
    int rc = merge(r, &order);
    if (rc != 0)
        return rc;
    struct ref *refs = malloc((r->n_recs ? r->n_recs : 1) * sizeof *refs);
    if (!refs) {
        free(order);
        return GL_ENOMEM;
    }
    size_t n_refs = 0;
    for (size_t m = 0; m < r->n_recs; m++) {
        const Gridlink__V1__BusEvent *ev = r->recs[order[m]].ev;
        if (ev->case_id && ev->case_id[0])
            refs[n_refs++] = (struct ref){ev->case_id, m};
    }
    qsort(refs, n_refs, sizeof *refs, ref_cmp);
    for (size_t i = 0; i < n_refs && rc == 0;) {
        size_t j = i + 1;
        while (j < n_refs && strcmp(refs[j].case_id, refs[i].case_id) == 0)
            j++;
        rc = walk_case(r, order, refs + i, j - i, horizon_ms);
        i = j;
    }
    free(refs);
    if (rc == 0) {
        rc = sort_made(r);
        r->recorded = malloc((r->n_recs ? r->n_recs : 1) * sizeof *r->recorded);
        r->replayed = malloc((r->n_recs + r->n_made + 1) * sizeof *r->replayed);
        if (rc == 0 && (!r->recorded || !r->replayed))
            rc = GL_ENOMEM;
    }
    if (rc == 0) {
        size_t j = 0;
        for (size_t m = 0; m < r->n_recs; m++) {
            const struct rec *x = &r->recs[order[m]];
            r->recorded[m] = (gl_replay_event){x->ev, false, x->dropped};
            for (; j < r->n_made && r->made[j]->time_ms < x->ev->time_ms; j++)
                r->replayed[r->n_replayed++] = (gl_replay_event){r->made[j], true, false};
            if (!x->dropped)
                r->replayed[r->n_replayed++] = (gl_replay_event){x->replaced ? x->replaced : x->ev, false, false};
        }
        for (; j < r->n_made; j++)
            r->replayed[r->n_replayed++] = (gl_replay_event){r->made[j], true, false};
    }
    free(order);
    return rc;
}

size_t gl_replay_recorded_count(const gl_replay_t *r)
{
    return r && r->recorded ? r->n_recs : 0;
}

gl_replay_event gl_replay_recorded(const gl_replay_t *r, size_t i)
{
    return r->recorded[i];
}

size_t gl_replay_replayed_count(const gl_replay_t *r)
{
    return r && r->replayed ? r->n_replayed : 0;
}

gl_replay_event gl_replay_replayed(const gl_replay_t *r, size_t i)
{
    return r->replayed[i];
}

const gl_replay_stats *gl_replay_stats_of(const gl_replay_t *r)
{
    return &r->st;
}
