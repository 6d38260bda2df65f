/* replay.h: what-if replay: the recorded events of a period counted again
 * under another topology's SLA rules and calendar.
 *
 * The replay is given every node's log (each node's events in its own log
 * order) and the stored copies' priorities and dispatcher limits, merges
 * the logs by time (each node's order kept; gl_replay_run) and walks every
 * case's clocks at each holder, where the engine runs them: the
 * acceptance clock from the case's receipt (or its report where it is
 * held) to its acceptance, start or leaving; the completion clock from the
 * receipt of a case from below or assigned from above, and again from a
 * 返工 or 重办, to its resolution or leaving. Each clock's due time is
 * counted with the engine's own function (gl_policy_dues) under the new
 * topology, and compared with the one it had: the due time the engine
 * logged with the clock's start (accept_due_ms, resolve_due_ms), or for an
 * event without one the same function's under the topology the period was
 * recorded with. Where the two are the same the recorded events stand as
 * they are, so the period replayed unchanged is the period recorded, event
 * for event. Where they differ, the clock's recorded step (the
 * escalation, overdue mark or pending escalation nodes/clock.c logged) is
 * dropped, and when the holder had not acted by the new due time a step
 * of the same kind is made at that time: the case escalates (or is marked overdue where it was
 * assigned from above, or at the district) when the new rule says. The
 * replayed events carry what the engine would have logged: the clock's
 * events at the holder its new due time (accept_due_ms, resolve_due_ms),
 * and the case's later events their missed deadlines
 * (counters.overdue_accept, overdue_resolve) one less for each dropped step
 * and one more for each made one, so that the KPIs (common/kpi.h) fed the
 * replayed stream judge by the new rules. People's recorded actions happen
 * at their recorded times; what a made escalation would have set off at
 * the tier above is not invented. A dispatcher's own limits (--sign-within,
 * --due) are the same under every topology and stand, and so does a
 * completion clock that was suspended (挂账) or extended (延期) while it ran;
 * due-soon warnings stand as recorded.
 *
 * Nothing here reads a store or the clock. The replay owns the events it is
 * given and those it makes; gl_replay_free frees them all. Topologies are
 * borrowed and must outlive the replay. */
#ifndef GL_REPLAY_H
#define GL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridlink.pb-c.h"
#include "topology.h"

typedef struct gl_replay gl_replay_t;

/* One event of a stream. ev points into the replay. */
typedef struct gl_replay_event {
    const Gridlink__V1__BusEvent *ev;
    bool simulated; /* made by the replay: a clock that fell due under the new rules */
    bool dropped;   /* recorded, but not so under the new rules (in the recorded stream only) */
} gl_replay_event;

typedef struct gl_replay_stats {
    size_t events;         /* recorded events given */
    size_t clocks;         /* clocks walked (acceptance and completion) */
    size_t clocks_changed; /* ... whose due time the new topology moves */
    size_t dropped;        /* recorded clock steps dropped */
    size_t simulated;      /* steps made at new due times */
    size_t checked;        /* recorded clock steps at an unchanged due time */
    int64_t lag_min_ms;    /* of those, the least and most time between due time and step */
    int64_t lag_max_ms;
    size_t unknown_nodes; /* clocks of nodes the new topology lacks (they stand) */
    size_t bent;          /* moved completion clocks that stand: suspended or extended */
    size_t logged_dues;   /* clocks whose start logged its due time (the old due time then) */
    size_t logged_differ; /* ... other than the recorded topology gives (it changed meanwhile) */
} gl_replay_stats;

/* was: the topology the period was recorded with; now: the one to replay
 * under. 0, GL_EINVAL or GL_ENOMEM. */
int gl_replay_new(const gl_topology_t *was, const gl_topology_t *now, gl_replay_t **out);
void gl_replay_free(gl_replay_t **r);

/* What a stored copy of the case says that its events do not: its priority
 * and its dispatcher's sign-for and completion limits (0: none). A case
 * not given counts as normal priority without them; one given by several
 * nodes' copies, as any of them. */
int gl_replay_case(gl_replay_t *r, const char *case_id, int priority, int64_t sign_within_ms, int64_t due_within_ms);
/* One recorded event; a node's events must come in its log order. The
 * replay takes ev (unpacked by protobuf-c with the default allocator) and
 * frees it. GL_EINVAL for an event without node or kind (ev is freed). */
int gl_replay_add(gl_replay_t *r, Gridlink__V1__BusEvent *ev);

/* Merge and re-count. Nothing is made after horizon_ms (the time the logs
 * were read): a clock still running then had not fallen due. Once only;
 * GL_ESTATE after that. */
int gl_replay_run(gl_replay_t *r, int64_t horizon_ms);

/* The recorded stream, merged (dropped steps flagged), and the replayed
 * one (the recorded events not dropped, as the new rules have them, and
 * the simulated ones), both in time order, each node's events in its log
 * order; valid after gl_replay_run until gl_replay_free. */
size_t gl_replay_recorded_count(const gl_replay_t *r);
gl_replay_event gl_replay_recorded(const gl_replay_t *r, size_t i);
size_t gl_replay_replayed_count(const gl_replay_t *r);
gl_replay_event gl_replay_replayed(const gl_replay_t *r, size_t i);
const gl_replay_stats *gl_replay_stats_of(const gl_replay_t *r);

/* The note a simulated step carries after the reason: "(replayed)". */
#define GL_REPLAY_NOTE_SUFFIX " (replayed under the new rules)"

#endif
