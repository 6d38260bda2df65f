/* plan.h: the broker's side of the plan's indicators, kept in the durable
 * view's LMDB environment (durable.h) next to the case view:
 *
 *   facts   node, 0x00, fact name, 0x00, u64 BE seq -> BusEvent (kind fact):
 *           every value a unit reported, as its log holds it, written in the
 *           same transaction as the node's feed sequence (so exactly once)
 *   uptime  node, 0x00, u32 BE local day -> 180 bytes: one bit per minute
 *           of the day (Asia/Shanghai) in which the node was live (heard on
 *           the bus within DOOR_LIVE_MS); node "" is the broker itself, the
 *           minutes it was watching
 *
 * A timer samples liveness every PLAN_TICK_MS. In memory: each node's
 * bitmap of the current day and its up-minutes per year (loaded from
 * uptime at open), so the indicators need no scan of the bitmaps.
 *
 * GET /api/v1/indicators?year=YYYY[&unit=TOWNSHIP] computes indicators.h's
 * rows from these for the district or one township: each fact as of the
 * year's end (the entry with the latest as_of not after Dec 31, the later
 * report of one date winning), and the year's up-minutes. The district's
 * answer also carries each township's rows.
 *
 * Stores written before facts existed get the two databases empty at open:
 * no node's log had a fact before them, so nothing is missing. plan_open
 * and plan_close belong to durable_open and durable_close; the state is
 * b->plan. */
#ifndef GL_BROKER_PLAN_H
#define GL_BROKER_PLAN_H

#include <lmdb.h>
#include <stdbool.h>

#include "http.h"
#include "indicators.h"
#include "view.h"

typedef struct broker broker_t;

#define PLAN_TICK_MS 10000

int plan_open(broker_t *b, MDB_txn *txn);
void plan_close(broker_t *b);
/* ev (kind fact, ev->fact set) was applied at its node's sequence: keep it. */
void plan_apply(broker_t *b, MDB_txn *txn, const bus_event_t *ev);
/* A fact event from the bus that its node may report (a node of the
 * topology, a fact of its tier): else false, counted and logged, and the
 * event is dropped before it takes its sequence (intake.c). */
bool plan_fact_believable(broker_t *b, const bus_event_t *ev);
/* Take one liveness sample now (the timer's work; tests call it too). */
void plan_sample(broker_t *b);
void plan_serve(broker_t *b, gl_http_req_t *r);
/* The indicators of year for unit (the district or a township) into out,
 * as GET /api/v1/indicators computes them. 0 or a GL_E* code (GL_EINVAL
 * for a year the broker keeps nothing of). */
int plan_indicators(broker_t *b, int year, const char *unit, gl_indicator out[GL_IND_N]);
/* Fact events refused (a node not of the topology, a fact of another tier). */
uint64_t plan_refused(broker_t *b);

#endif
