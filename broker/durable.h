/* durable.h: the broker's durable view, in its own LMDB environment
 * (HOME/broker/): per node, the last sequence applied to the view; per
 * case, the event that shows it (view.c's order) with what the case went
 * through (escalated, the latest overdue); and per node, the counts of
 * the cases it holds. Everything an event changes is written in the same
 * write transaction as its node's sequence, so the stored view is always
 * that of a prefix of each node's log, and applying an event twice changes
 * nothing: a restart resumes each node's feed after its stored sequence,
 * replaying only what it missed, and comes back to the counts a rebuild
 * from the whole logs gives.
 *
 * Commits are grouped: the transaction stays open across the events of
 * DURABLE_COMMIT_MS and is committed by a timer (and at stop). Losing an
 * uncommitted tail to a crash loses nothing: those events come again.
 * For the same reason a commit syncs once (MDB_NOMETASYNC): its data pages
 * are synced before its meta page is written, so the store stays whole,
 * and the meta page reaches the disk with the next commit's sync; a power
 * cut may undo the last commit, whose events the feeds then fetch again.
 *
 * Counts are kept per holder node, in memory (mirroring the store) and in
 * the store: open (every state but closed and merged), overdue (open, and
 * the case's latest overdue was at its holder), escalated (open, and
 * escalated at least once), resolved (反馈, waiting for verification),
 * returned (退回), and closed; and per node where cases arose (the case
 * ID's prefix: a grid, for what its staff reported), the open and the
 * overdue among them, for the map.
 *
 * durable_open loads the feeds' sequences into b->feeds and the case view
 * into b->view; durable_close commits and closes. The counts table is the
 * broker's (durable_counts lends it). */
#ifndef GL_BROKER_DURABLE_H
#define GL_BROKER_DURABLE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "view.h"

typedef struct broker broker_t;

#define DURABLE_COMMIT_MS 100

enum durable_bucket {
    DB_OPEN,
    DB_OVERDUE,
    DB_ESCALATED,
    DB_RESOLVED,
    DB_RETURNED,
    DB_CLOSED,
    DB_ORIGIN_OPEN,    /* open cases that arose at this node (its ID starts the case's) */
    DB_ORIGIN_OVERDUE, /* and of those, the overdue */
    DB_BUCKETS
};
extern const char *const durable_bucket_names[DB_BUCKETS];

typedef struct durable_counts {
    int64_t n[DB_BUCKETS];
} durable_counts;

int durable_open(broker_t *b, const char *home);
void durable_close(broker_t *b);
/* ev was applied to node's feed at sequence ev->seq: record it. */
void durable_apply(broker_t *b, const bus_event_t *ev);
/* node's feed goes on after seq: what lies between was archived by the
 * node and is not in the view (feed.c's skip). */
void durable_skip(broker_t *b, const char *node, uint64_t seq);
/* node's feed starts again from 0 (its store was replaced). */
void durable_reset_feed(broker_t *b, const char *node);
/* The counts of holder node, or NULL when it holds nothing. */
const durable_counts *durable_counts_of(broker_t *b, const char *node);
/* The open write transaction, begun when none is (NULL after an error):
 * what reads of the stored view see, uncommitted changes included; the
 * plan's indicators (plan.h) and the KPI counters (kpis.h) write and read
 * their databases in it. */
MDB_txn *durable_txn(broker_t *b);
/* Commits the open transaction, if any (the timer does; so does stop). */
void durable_commit(broker_t *b);

#endif
