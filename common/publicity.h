/* publicity.h: what of a case the public may see (村务公开), decided here
 * once for every public output: the public feed of a community or township
 * (its page's JSON and its Atom feed) and the steps Open311 tells a
 * resident.
 *
 * The rules:
 *   - a case is shown by its ID, kind, category (code and Chinese names),
 *     state and outcome, dates, deadline kept or not, rating (resolved?
 *     satisfied?) and place coarsened to its community's name (the
 *     township's for a case no community is named for); never its text,
 *     reporter, resident contact, attributes, media URL, address or
 *     coordinates;
 *   - its steps are shown by their Chinese label when they are a resident's
 *     business (gl_pub_step_label); the tree's own moves are not;
 *   - a note is shown only on a resolving or closing step (resolved,
 *     verified, closed) and only when it is not marked internal: a note
 *     that begins with "[内部]", "内部：" or "内部:" stays with the staff;
 *   - a photo (an attachment's SHA-256) is shown only after the holder
 *     published it (`act CASE publish-photo --note SHA`, a history step
 *     photo-published with the SHA as its note).
 *
 * The unit's figures for a period come from gl_pub_figures_add, the one
 * place their formulas are written (README, "The public feed").
 *
 * Ownership: every json_t returned is a new reference, the caller's; a
 * gl_pub_feed is made by gl_pub_feed_new and freed by gl_pub_feed_done
 * (which hands back the document) or gl_pub_feed_free. Cases passed in
 * stay the caller's and are not kept. */
#ifndef GL_PUBLICITY_H
#define GL_PUBLICITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "gridlink.pb-c.h"
#include "topology.h"

#define GL_PUB_NOTE_MAX  600 /* bytes of a public note */
#define GL_PUB_MAX_ITEMS 500 /* cases (and tasks) a feed document lists, newest first */

/* The Chinese label of a step a resident may see, NULL for the tree's own. */
const char *gl_pub_step_label(const char *action);
/* A step's note may be shown. */
bool gl_pub_note_shown(const Gridlink__V1__HistoryEntry *h);
/* The note marks itself internal. */
bool gl_pub_note_internal(const char *note);
/* The photo sha (one of c's attachments) was published. */
bool gl_pub_photo_shown(const Gridlink__V1__Case *c, const char *sha);
/* The display name the case's place is coarsened to ("" when none). */
const char *gl_pub_place(const gl_topology_t *t, const Gridlink__V1__Case *c);
/* The case was worked by unit: it holds it, or a step at it accepted or
 * resolved it; a case but a task also when unit is the originator of it
 * closed (谁发起、谁结案) or closed it there. A task the unit dispatched is
 * not the unit's. */
bool gl_pub_handled(const Gridlink__V1__Case *c, const char *unit);
/* When the case was closed (its last step into closed), 0 when it is not. */
int64_t gl_pub_closed_ms(const Gridlink__V1__Case *c);
/* When the case last changed: its newest history step, else its creation. */
int64_t gl_pub_updated_ms(const Gridlink__V1__Case *c);

/* Times in the calendar's zone: RFC 3339 ("2026-12-02T13:17:11+08:00")
 * and as the page shows them ("2026-12-02 13:17"). */
int gl_pub_offset_min(const gl_topology_t *t);
const char *gl_pub_rfc3339(int offset_min, int64_t ms, char *buf, size_t size);
const char *gl_pub_local(int offset_min, int64_t ms, char *buf, size_t size);

/* The calendar month month ("YYYY-MM"; NULL or "" for the one now is in)
 * in the calendar's zone as [start, end) in ms. False when month is not
 * such a month (1970-01..9999-12). */
bool gl_pub_month(int offset_min, const char *month, int64_t now, int64_t *start, int64_t *end);

/* The public view of one case (see the rules above); NULL when out of memory. */
json_t *gl_pub_case_json(const gl_topology_t *t, const Gridlink__V1__Case *c, int offset_min);

/* A unit's figures for a period [start, end): of the cases it handled that
 * were made in the period (tasks included), */
typedef struct gl_pub_figures {
    uint64_t taken;                      /* every one */
    uint64_t closed;                     /* those closed now */
    uint64_t closed_in_time;             /* closed with no deadline missed (no overdue count, not marked overdue) */
    int64_t close_ms_sum;                /* sum over the closed of closing time minus making time */
    uint64_t rated, resolved, satisfied; /* ratings given, and their answers */
} gl_pub_figures;
/* Counts c in f when it was made in [start, end). */
void gl_pub_figures_add(gl_pub_figures *f, const Gridlink__V1__Case *c, int64_t start, int64_t end);
/* The figures as the feed gives them: taken, closed, closed_in_time,
 * in_time_rate (closed_in_time / closed, null when none closed),
 * avg_close_hours (close_ms_sum / closed in hours, one decimal, null when
 * none), rated, resolved, satisfied. */
json_t *gl_pub_figures_json(const gl_pub_figures *f);

/* A unit's feed document for a period, built one case at a time. */
typedef struct gl_pub_feed gl_pub_feed;
gl_pub_feed *gl_pub_feed_new(const gl_topology_t *t, const char *unit, int64_t start, int64_t end, int64_t now);
/* Takes a case of the unit's store: counted and listed when the unit
 * handled it and it was made in the period. GL_OK or GL_ENOMEM. */
int gl_pub_feed_add(gl_pub_feed *f, const Gridlink__V1__Case *c);
/* The document: {node, name, tier, period, start, end, updated, figures,
 * cases: [...], tasks: {taken: [...], refused}}; refused is the count of
 * tasks the unit was not given because they were not on the access list.
 * Frees f. */
json_t *gl_pub_feed_done(gl_pub_feed *f, uint64_t refused);
void gl_pub_feed_free(gl_pub_feed *f);

#endif
