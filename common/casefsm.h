/* casefsm.h: the case lifecycle as one transition table.
 *
 * An action names what a person (or the SLA clock) does to a case; the table
 * says from which states it is allowed and which state follows. Anything not
 * in the table is refused with GL_ESTATE; an unknown action is GL_EINVAL. */
#ifndef GL_CASEFSM_H
#define GL_CASEFSM_H

#include "gridlink.pb-c.h"

typedef Gridlink__V1__CaseState gl_state;

/* Next state for `action` from `from`. */
int gl_case_transition(gl_state from, const char *action, gl_state *to);
/* Short lower-case state name ("escalated"); "unknown" for a bad value. */
const char *gl_state_name(gl_state s);
/* The actions a person may request, NULL-terminated (for help text). */
extern const char *const gl_case_actions[];
/* True if the case is finished (no deadlines run). */
int gl_state_is_final(gl_state s);

#endif
