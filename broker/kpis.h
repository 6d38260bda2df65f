/* kpis.h: the broker's KPI counters (common/kpi.h's formulas), durable in
 * the broker's LMDB environment beside the view (durable.c), and their
 * HTTP routes.
 *
 * Two databases: kpi_facts (per node and case, what the node's own log
 * said of the case so far: gl_kpi_facts as bytes after a layout byte) and
 * kpi_counts (per unit, period and period key, the raw counters, big-endian
 * int64s). kpis_apply runs for each event inside durable_apply's write
 * transaction, after the event's feed sequence is written, so counters
 * and sequences commit together and survive a SIGKILL as the view does.
 * Counters are cached in memory (loaded from the store on first use, dirty
 * ones written by kpis_flush before each commit, the cache emptied when it
 * passes KPIS_CACHE entries).
 *
 * Routes (auth as the other dashboard routes, by door.c):
 *   GET /api/v1/kpi?unit=NODE&period=day|week|month|year[&at=YYYY-MM-DD]
 *   GET /api/v1/league?tier=TIER&period=...&kpi=KEY[&at=YYYY-MM-DD]
 * The kpis state is the broker's (b->kpis), freed by kpis_close. */
#ifndef GL_BROKER_KPIS_H
#define GL_BROKER_KPIS_H

#include <lmdb.h>

#include "core.h"
#include "http.h"
#include "kpi.h"

#define KPIS_CACHE 50000

/* Opens (creates) the two databases in txn. 0 or an LMDB error. */
int kpis_open(broker_t *b, MDB_txn *txn);
void kpis_close(broker_t *b);
/* ev was applied in its node's order, in the write transaction txn. */
void kpis_apply(broker_t *b, MDB_txn *txn, const bus_event_t *ev);
/* Writes the dirty counters into txn (before its commit). */
void kpis_flush(broker_t *b, MDB_txn *txn);
void kpis_serve_unit(broker_t *b, gl_http_req_t *r);
/* The counters of unit in period p's key into *out (zero when it has
 * none: false). */
bool kpis_counts(broker_t *b, const char *unit, enum gl_kpi_period p, const char *key, gl_kpi_counts *out);
/* The calendar's offset east of UTC, in minutes, that periods are cut at. */
int kpis_offset_min(broker_t *b);
void kpis_serve_league(broker_t *b, gl_http_req_t *r);

#endif
