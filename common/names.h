/* names.h: the names of the protocol's enums (states, actions, event kinds,
 * operations, return reasons, kinds, tiers), taken from the .proto's
 * descriptors, and the way back from a name to a value.
 *
 * A value's name is its descriptor name without the prefix up to the first
 * '_', in lower case: STATE_IN_PROGRESS is "in_progress". Actions, event
 * kinds and operations use '-' between words (EVENT_LINK_UP is "link-up",
 * OP_DEAD_RETRY is "dead-retry"); states keep '_'. Returned names are static
 * strings; "unknown" stands for a value the descriptor does not have. */
#ifndef GL_NAMES_H
#define GL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "gridlink.pb-c.h"

typedef Gridlink__V1__CaseState gl_state;
typedef Gridlink__V1__Action gl_action;
typedef Gridlink__V1__EventKind gl_event;
typedef Gridlink__V1__Op gl_op;

const char *gl_state_name(gl_state s);
const char *gl_action_name(gl_action a);
const char *gl_event_name(gl_event k);
const char *gl_op_name(gl_op op);
const char *gl_reason_name(Gridlink__V1__ReturnReason r);
const char *gl_kind_name(Gridlink__V1__CaseKind k);

/* Name to value; false (and *out untouched) when the name is not one. The
 * unknown value (0) is never returned. */
bool gl_state_from(const char *name, gl_state *out);
bool gl_action_from(const char *name, gl_action *out);
bool gl_op_from(const char *name, gl_op *out);
bool gl_reason_from(const char *name, Gridlink__V1__ReturnReason *out);
bool gl_kind_from(const char *name, Gridlink__V1__CaseKind *out);
bool gl_event_from(const char *name, gl_event *out);

/* The names of an enum's known values, joined by ", " into buf (for help and
 * error texts). Returns buf. */
const char *gl_action_list(char *buf, size_t len);
const char *gl_state_list(char *buf, size_t len);
const char *gl_reason_list(char *buf, size_t len);
const char *gl_event_list(char *buf, size_t len);

/* Chinese display name of a state, an action and a return reason. */
const char *gl_state_label(gl_state s);
const char *gl_action_label(gl_action a);
const char *gl_reason_label(Gridlink__V1__ReturnReason r);

/* A finished case (closed or merged): no deadline runs; a closed one may still be rated. */
bool gl_state_is_final(gl_state s);

#endif
