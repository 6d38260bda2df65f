/* replay.c: the what-if replay of recorded events (see replay.h).
 *
 * The replay owns the recorded events it is given (freed with
 * gridlink__v1__bus_event__free_unpacked), the events it makes (each field
 * its own allocation, freed here), its case table and the two streams'
 * arrays. Topologies are borrowed. */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "names.h"
#include "policy.h"

struct rec {
    Gridlink__V1__BusEvent *ev;
    size_t node; /* index into nodes */
    bool dropped;
};

struct case_info {
    char *id;
    int priority;
    int64_t sign_within_ms;
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

static void made_free(Gridlink__V1__BusEvent *ev)
{
    if (!ev)
        return;
    free(ev->node);
    free(ev->kind);
    free(ev->case_id);
    free(ev->holder);
    free(ev->note);
    free(ev->category);
    free(ev->peer);
    free(ev);
}

void gl_replay_free(gl_replay_t **rp)
{
    if (!rp || !*rp)
        return;
    gl_replay_t *r = *rp;
    for (size_t i = 0; i < r->n_recs; i++)
        gridlink__v1__bus_event__free_unpacked(r->recs[i].ev, NULL);
    for (size_t i = 0; i < r->n_nodes; i++)
        free(r->nodes[i]);
    for (size_t i = 0; i < r->n_cases; i++)
        free(r->cases[i].id);
    for (size_t i = 0; i < r->n_made; i++)
        made_free(r->made[i]);
    free(r->recs);
    free(r->nodes);
    free(r->cases);
    free(r->made);
    free(r->recorded);
    free(r->replayed);
    free(r);
    *rp = NULL;
}

int gl_replay_case(gl_replay_t *r, const char *case_id, int priority, int64_t sign_within_ms)
{
    if (!r || !case_id || !case_id[0])
        return GL_EINVAL;
    if (r->n_cases && strcmp(r->cases[r->n_cases - 1].id, case_id) == 0) { /* the same case from another node's copy */
        r->cases[r->n_cases - 1].priority = priority;
        r->cases[r->n_cases - 1].sign_within_ms = sign_within_ms;
        return GL_OK;
    }
    if (grow((void **)&r->cases, &r->cap_cases, r->n_cases + 1, sizeof *r->cases) != 0)
        return GL_ENOMEM;
    char *id = strdup(case_id);
    if (!id)
        return GL_ENOMEM;
    r->cases[r->n_cases++] = (struct case_info){id, priority, sign_within_ms};
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
    r->recs[r->n_recs++] = (struct rec){ev, node, false};
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
    struct case_info key = {(char *)id, 0, 0};
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

/* The holder's acceptance clock starts: the engine's dl_start at a case
 * received (tree.c, lc_take_over) or reported where it stays (ops.c). */
static bool clock_starts(const Gridlink__V1__BusEvent *ev)
{
    return (is(ev, "received") || is(ev, "reported")) && holder_is_node(ev);
}

/* A step of nodes/clock.c for an acceptance (or report-in) deadline. */
static bool clock_step(const Gridlink__V1__BusEvent *ev)
{
    return (is(ev, "escalated") || is(ev, "overdue") || is(ev, "escalation-pending")) &&
           (starts_with(ev->note, GL_DUE_NOTE_ACCEPT) || starts_with(ev->note, GL_DUE_NOTE_ABSENT));
}

/* The holder's step that stops its acceptance clock, or the case leaving it. */
static bool clock_stops(const Gridlink__V1__BusEvent *ev)
{
    static const char *const kinds[] = {"accepted", "started", "resolved", "returned", "escalated",
                                        "assigned", "merged",  "closed",   "verified"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (is(ev, kinds[i]))
            return true;
    return ev->holder && ev->holder[0] && !holder_is_node(ev);
}

struct clock {
    size_t start; /* index into recs */
    size_t step;  /* the recorded clock step, or SIZE_MAX */
    size_t stop;  /* the holder's step that stopped it, or SIZE_MAX */
};

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static char *note_of(const char *why)
{
    size_t n = strlen(why) + sizeof GL_REPLAY_NOTE_SUFFIX;
    char *s = malloc(n);
    if (s) {
        memcpy(s, why, strlen(why));
        memcpy(s + strlen(why), GL_REPLAY_NOTE_SUFFIX, sizeof GL_REPLAY_NOTE_SUFFIX);
    }
    return s;
}

/* The step nodes/clock.c takes at due for the clock: the recorded one's
 * kind where there is one, else as fire_one decides (a case assigned from
 * above is marked overdue, a department that does not report in and a case
 * from below climb, at the top it is an alarm). The parent's link is taken
 * to be up. */
static int make_step(gl_replay_t *r, const struct clock *k, int64_t due)
{
    const Gridlink__V1__BusEvent *s = r->recs[k->start].ev;
    const Gridlink__V1__BusEvent *was = k->step != SIZE_MAX ? r->recs[k->step].ev : NULL;
    const gl_node_t *n = gl_topology_find(r->now, s->node);
    const gl_node_t *p = n ? gl_topology_parent(r->now, n) : NULL;
    bool absent = n && n->tier == GRIDLINK__V1__TIER__TIER_DEPARTMENT;
    bool assigned = s->state == GRIDLINK__V1__CASE_STATE__STATE_ASSIGNED;
    const char *kind, *why = absent ? GL_DUE_NOTE_ABSENT : GL_DUE_NOTE_ACCEPT;
    if (was)
        kind = was->kind;
    else if ((assigned && !absent) || !p)
        kind = "overdue";
    else
        kind = "escalated";
    bool up = strcmp(kind, "escalated") == 0 && p;
    if (grow((void **)&r->made, &r->cap_made, r->n_made + 1, sizeof *r->made) != 0)
        return GL_ENOMEM;
    Gridlink__V1__BusEvent *ev = malloc(sizeof *ev);
    if (!ev)
        return GL_ENOMEM;
    gridlink__v1__bus_event__init(ev);
    ev->node = strdup(s->node);
    ev->kind = strdup(kind);
    ev->case_id = dup_or_empty(s->case_id);
    ev->state = up ? GRIDLINK__V1__CASE_STATE__STATE_ESCALATED : was ? was->state : s->state;
    ev->holder = strdup(up ? p->id : s->node);
    ev->time_ms = due;
    ev->note = note_of(was && was->note ? was->note : why);
    ev->category = dup_or_empty(s->category);
    ev->peer = strdup(up ? p->id : "");
    ev->version = was ? was->version : s->version;
    if (!ev->node || !ev->kind || !ev->case_id || !ev->holder || !ev->note || !ev->category || !ev->peer) {
        made_free(ev);
        return GL_ENOMEM;
    }
    r->made[r->n_made++] = ev;
    return GL_OK;
}

static int64_t due_under(const gl_topology_t *t, const gl_node_t *n, const Gridlink__V1__BusEvent *s, int priority)
{
    int64_t due = 0;
    gl_policy_dues(t->policy, t->calendar, n->id, n->tier, s->category, priority, s->time_ms, &due, NULL);
    return due == INT64_MAX ? 0 : due;
}

/* One clock, walked to its end: the same due time under both topologies
 * leaves it as recorded; another drops its recorded step and makes one at
 * the new due time if the holder had not acted by then. */
static int settle(gl_replay_t *r, const struct clock *k, int64_t horizon)
{
    const Gridlink__V1__BusEvent *s = r->recs[k->start].ev;
    const gl_node_t *old_n = gl_topology_find(r->was, s->node);
    const gl_node_t *new_n = gl_topology_find(r->now, s->node);
    r->st.clocks++;
    if (!old_n || !new_n || old_n->tier != new_n->tier) {
        r->st.unknown_nodes++;
        return GL_OK;
    }
    const struct case_info *ci = case_of(r, s->case_id);
    int priority = ci ? ci->priority : GRIDLINK__V1__PRIORITY__PRIORITY_NORMAL;
    bool assigned = s->state == GRIDLINK__V1__CASE_STATE__STATE_ASSIGNED;
    if (assigned && ci && ci->sign_within_ms > 0)
        return GL_OK; /* the dispatcher's limit, under either topology */
    int64_t old_due = due_under(r->was, old_n, s, priority);
    int64_t new_due = due_under(r->now, new_n, s, priority);
    if (old_due == new_due) {
        if (k->step != SIZE_MAX) {
            int64_t lag = r->recs[k->step].ev->time_ms - old_due;
            if (r->st.checked == 0 || lag < r->st.lag_min_ms)
                r->st.lag_min_ms = lag;
            if (r->st.checked == 0 || lag > r->st.lag_max_ms)
                r->st.lag_max_ms = lag;
            r->st.checked++;
        }
        return GL_OK;
    }
    r->st.clocks_changed++;
    if (k->step != SIZE_MAX) {
        r->recs[k->step].dropped = true;
        r->st.dropped++;
    }
    int64_t stop = k->stop != SIZE_MAX ? r->recs[k->stop].ev->time_ms : INT64_MAX;
    if (new_due <= 0 || new_due >= stop || new_due > horizon)
        return GL_OK;
    r->st.simulated++;
    return make_step(r, k, new_due);
}

/* Walk one case's events (refs[0..n), merged order): the clocks of each
 * node that held it. */
static int walk_case(gl_replay_t *r, const size_t *order, const struct ref *refs, size_t n, int64_t horizon)
{
    struct clock open[16];
    size_t n_open = 0;
    const char *open_node[16];
    int rc = GL_OK;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t ri = order[refs[i].pos];
        const Gridlink__V1__BusEvent *ev = r->recs[ri].ev;
        size_t at = n_open;
        for (size_t j = 0; j < n_open; j++)
            if (strcmp(open_node[j], ev->node) == 0)
                at = j;
        if (clock_starts(ev)) {
            if (at < n_open) { /* back again before its clock stopped: that one ends here */
                rc = settle(r, &open[at], horizon);
                open[at] = open[--n_open];
                open_node[at] = open_node[n_open];
            }
            if (n_open == sizeof open / sizeof open[0]) { /* bounded: the oldest ends */
                rc = rc ? rc : settle(r, &open[0], horizon);
                memmove(open, open + 1, --n_open * sizeof open[0]);
                memmove(open_node, open_node + 1, n_open * sizeof open_node[0]);
            }
            open[n_open] = (struct clock){ri, SIZE_MAX, SIZE_MAX};
            open_node[n_open++] = ev->node;
            continue;
        }
        if (at == n_open)
            continue;
        bool step = clock_step(ev);
        if (step && open[at].step == SIZE_MAX)
            open[at].step = ri;
        bool leaves = ev->holder && ev->holder[0] && !holder_is_node(ev);
        if ((step && leaves) || (!step && clock_stops(ev))) {
            if (!step)
                open[at].stop = ri;
            rc = settle(r, &open[at], horizon);
            open[at] = open[--n_open];
            open_node[at] = open_node[n_open];
        }
    }
    for (size_t j = 0; j < n_open && rc == 0; j++)
        rc = settle(r, &open[j], horizon);
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
                r->replayed[r->n_replayed++] = (gl_replay_event){x->ev, false, false};
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
