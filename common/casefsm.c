/* casefsm.c: see casefsm.h. */
#include "casefsm.h"

#include <string.h>

#include "error.h"

#define S(x) GRIDLINK__V1__CASE_STATE__STATE_##x

static const struct {
    const char *action;
    gl_state from;
    gl_state to;
} table[] = {
    {"accept", S(REPORTED), S(ACCEPTED)},    {"accept", S(ESCALATED), S(ACCEPTED)},
    {"accept", S(RETURNED), S(ACCEPTED)},    {"start", S(ACCEPTED), S(IN_PROGRESS)},
    {"resolve", S(ACCEPTED), S(RESOLVED)},   {"resolve", S(IN_PROGRESS), S(RESOLVED)},
    {"close", S(RESOLVED), S(CLOSED)},       {"reopen", S(RESOLVED), S(IN_PROGRESS)},
    {"escalate", S(REPORTED), S(ESCALATED)}, {"escalate", S(ESCALATED), S(ESCALATED)},
    {"escalate", S(ACCEPTED), S(ESCALATED)}, {"escalate", S(IN_PROGRESS), S(ESCALATED)},
    {"escalate", S(RETURNED), S(ESCALATED)},
};

const char *const gl_case_actions[] = {"accept", "start", "resolve", "close", "reopen", "escalate", NULL};

int gl_case_transition(gl_state from, const char *action, gl_state *to)
{
    if (!action)
        return GL_EINVAL;
    int known = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].action, action) != 0)
            continue;
        known = 1;
        if (table[i].from == from) {
            *to = table[i].to;
            return GL_OK;
        }
    }
    return known ? GL_ESTATE : GL_EINVAL;
}

const char *gl_state_name(gl_state s)
{
    switch (s) {
    case S(REPORTED): return "reported";
    case S(ACCEPTED): return "accepted";
    case S(IN_PROGRESS): return "in_progress";
    case S(RESOLVED): return "resolved";
    case S(CLOSED): return "closed";
    case S(RETURNED): return "returned";
    case S(ESCALATED): return "escalated";
    default: return "unknown";
    }
}

int gl_state_is_final(gl_state s)
{
    return s == S(CLOSED) || s == S(RESOLVED);
}
