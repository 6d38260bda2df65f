/* casejson.h: a case as people and programs read it in JSON, the same for
 * `show --json` and the HTTP API: the case's fields (pbjson), its history
 * with ISO 8601 UTC times and node names, the display names of its holder,
 * originator, community and category from the topology, its running
 * deadlines (with their due-soon warnings) and, for a bulk task or a
 * whistle, its parts as the dispatcher's copies have them; and the JSON
 * Schema of that document, made from the same table of added keys the
 * producer writes through. And the judgements both doors make of a case at
 * a time: late, due soon. */
#ifndef GL_CASEJSON_H
#define GL_CASEJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridlink.pb-c.h"
#include "topology.h"

/* New reference (NULL when out of memory). t may be NULL (no names). */
json_t *gl_case_json(const gl_topology_t *t, const Gridlink__V1__Case *c, Gridlink__V1__Case *const *parts,
                     size_t n_parts, int64_t now);
/* The JSON Schema of gl_case_json's output (an OpenAPI 3.0 schema object):
 * pbjson's schema of Case with the keys added here laid over it, every key
 * of the output declared and nothing else allowed. Adds CaseJson and the
 * schemas it reaches to defs (name -> schema, the caller's); returns a new
 * {"$ref": "#/components/schemas/CaseJson"}, NULL when out of memory. */
json_t *gl_case_json_schema(json_t *defs);
/* ISO 8601 UTC with milliseconds ("2026-12-02T01:35:03.752Z") into buf. */
const char *gl_iso_time(int64_t ms, char *buf, size_t size);

/* Open and past a deadline, or marked overdue, escalating or alarmed. */
bool gl_case_late(const Gridlink__V1__Case *c, int64_t now);
/* Open, not late, a deadline running whose due-soon warning time passed. */
bool gl_case_due_soon(const Gridlink__V1__Case *c, int64_t now);
/* The part called id among parts, or NULL. */
const Gridlink__V1__Case *gl_case_part_of(const char *id, Gridlink__V1__Case *const *parts, size_t n);
/* A part's state: signed for (accepted or on), finished (resolved or closed). */
bool gl_part_signed(Gridlink__V1__CaseState s);
bool gl_part_finished(Gridlink__V1__CaseState s);

#endif
