/* engine_int.h: what the engine's files share. From the bottom up:
 * engine.c (the object, effects, case helpers, routing), deadlines.c (time
 * limits), lifecycle.c (the transition table), clock.c (deadlines passing),
 * files.c (attachments), appraisals.c (群众评议), tree.c (what arrives from neighbours), ops.c (people's operations)
 * and views.c (the reads); each calls only those below it. Nothing outside the engine includes this header. */
#ifndef GL_ENGINE_INT_H
#define GL_ENGINE_INT_H

#include "engine.h"

#define ST(x)   GRIDLINK__V1__CASE_STATE__STATE_##x
#define ACT(x)  GRIDLINK__V1__ACTION__ACTION_##x
#define EV(x)   GRIDLINK__V1__EVENT_KIND__EVENT_##x
#define OP(x)   GRIDLINK__V1__OP__OP_##x
#define TIER(x) GRIDLINK__V1__TIER__TIER_##x

typedef Gridlink__V1__Case gl_case;

struct child_peer {
    const gl_node_t *topo;
    gl_link_t *link;
};

struct gl_engine {
    char http_url[128]; /* the staff API of the process, "" when none */
    const gl_topology_t *topo;
    const gl_node_t *self;
    const char *id;
    const gl_node_t *parent;
    gl_store_t *store;
    gl_link_t *uplink;
    struct child_peer *children;
    size_t n_children;

    int64_t now; /* time of the request being applied */
    gl_effect *fx;
    size_t n_fx, cap_fx;
    bool deadlines_changed;
    int last_refusal; /* why the last frame was refused, 0 if taken */
    bool pending_up;  /* escalations may wait for the parent's link */
    gl_engine_counts counts;
};

/* The arguments of an action, whoever asked for it. */
struct act_args {
    gl_action action;
    const char *actor; /* node where it was asked */
    const char *user;  /* person there, "" if unknown */
    const char *note;
    int64_t amount_ms;                 /* extend: an amount of amount_unit */
    uint32_t amount_unit;              /* enum gl_time_unit: clock ms, working hours or days */
    Gridlink__V1__ReturnReason reason; /* return */
    const char *into;                  /* merge */
    const char *to;                    /* assign */
    bool resolved, satisfied;          /* rate */
};

/* The topology's catalogue and rules as the engine asks them. */
bool eng_category_known(const gl_engine_t *e, const char *code, char *why, size_t whylen);
bool eng_community_task(const gl_engine_t *e, const char *code);
/* The topology's department node_id, when it is attached to this node or a
 * tier above it (one this node may call, 吹哨); NULL otherwise. */
const gl_node_t *eng_department_above(const gl_engine_t *e, const char *node_id);
int eng_return_limit(const gl_engine_t *e);

/* engine.c */
/* A refusal of case logic (the person is told why), not a storage error. */
bool eng_is_refusal(int rc);
int eng_reply(gl_engine_t *e, gl_token tok, const Gridlink__V1__CtlReply *rep);
int eng_refuse(gl_engine_t *e, gl_token tok, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int eng_log(gl_engine_t *e, MDB_txn *txn, gl_event kind, const gl_case *c, const char *peer, const char *note);
/* Append ev (node, kind and time set; seq is set here) to the log and
 * publish it, as eng_log does. */
int eng_log_event(gl_engine_t *e, MDB_txn *txn, Gridlink__V1__BusEvent *ev);
void case_set_str(char **field, const char *v);
void case_history_add(gl_case *c, const char *action, const char *node, int64_t now, const char *note);
/* The last history entry's who and peer (after case_history_add). */
void case_history_by(gl_case *c, const char *by, const char *peer);
bool case_fits(const gl_case *c);
gl_case *case_new(void);
Gridlink__V1__CaseCounters *case_counters(gl_case *c);
/* The node a case ID was minted at. */
bool case_origin(const char *case_id, char *out, size_t size);
/* The neighbour on the way to target ("" for self): a child or the parent;
 * NULL when target is neither below nor above (not in the tree). */
gl_link_t *eng_next_hop(gl_engine_t *e, const char *target, const char **peer);
/* Tell the case's followers (holder, origin, originator, assigner, and the
 * parent when up is set) of its new version, except the peer it came from. */
int eng_spread(gl_engine_t *e, MDB_txn *txn, const gl_case *c, const char *except, bool up);
int eng_send_up(gl_engine_t *e, MDB_txn *txn, gl_case *c, const char *reason);
/* Send a person's action on towards the case's holder. */
int eng_forward_request(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CaseRequest *q, const char *target,
                        const char *except);
/* A new case ID minted here. */
int eng_mint_id(gl_engine_t *e, MDB_txn *txn, char *id, size_t size);
/* Count a work-access refusal for community this month. */
int eng_count_access(gl_engine_t *e, MDB_txn *txn, const char *community);

/* lifecycle.c: apply an action to a case this node holds (c is changed and
 * stored; the followers are told). Refusals return GL_ESTATE, GL_EPERM,
 * GL_EINVAL, GL_ETOOBIG with the reason in why, before anything is written. */
int lc_apply(gl_engine_t *e, MDB_txn *txn, gl_case *c, const struct act_args *a, char *why, size_t whylen);
/* Check only (for an action asked where the case is not held). */
int lc_check(gl_engine_t *e, const gl_case *c, const struct act_args *a, char *why, size_t whylen);
/* This node takes over a case that came to it (assigned, returned,
 * received from below): its deadlines start. */
int lc_take_over(gl_engine_t *e, MDB_txn *txn, gl_case *c);
/* Part `part` of a task or whistle held here changed: when every part of
 * it is closed (or merged), the parent closes. */
int lc_part_changed(gl_engine_t *e, MDB_txn *txn, const gl_case *part);
/* Escalate a held case to the parent (the clock or a person). */
int lc_escalate(gl_engine_t *e, MDB_txn *txn, gl_case *c, const char *note, const char *by);
/* Who may do action a to c, as a text ("the holder", "the originator"...). */
const char *lc_who_text(gl_action a);

/* deadlines.c */
/* Start the policy's accept and/or resolve deadline for c at this node,
 * counted on the topology's calendar from now. */
int dl_start(gl_engine_t *e, MDB_txn *txn, gl_case *c, bool accept, bool resolve);
/* Start deadlines accept_ms and resolve_ms of clock time from now (0: none);
 * for a case resuming from suspension (suspended_at_ms set), what was left
 * of a working-time limit is counted in working time. */
int dl_start_ms(gl_engine_t *e, MDB_txn *txn, gl_case *c, int64_t accept_ms, int64_t resolve_ms);
int dl_clear(gl_engine_t *e, MDB_txn *txn, gl_case *c, bool accept, bool resolve);
/* Move the resolve deadline by ms. */
int dl_extend(gl_engine_t *e, MDB_txn *txn, gl_case *c, int64_t amount, uint32_t unit);
/* The due-soon warning of c's accept (or resolve) deadline fired: put the
 * deadline itself in the index. */
int dl_arm_due(gl_engine_t *e, MDB_txn *txn, const gl_case *c, bool accept);
/* An escalation that waits for the parent's link. */
int dl_pending_add(gl_engine_t *e, MDB_txn *txn, const char *case_id);

/* clock.c: the parent's link is back: the escalations that waited climb. */
int clock_pending_flush(gl_engine_t *e, MDB_txn *txn);

/* files.c: attachments (photos), stored once by SHA-256. */
/* Are these files stored here, whole? GL_EINVAL with the reason if not. */
int files_check(gl_engine_t *e, MDB_txn *txn, char *const *hashes, size_t n, char *why, size_t whylen);
/* Add the hashes c does not name yet (GL_ETOOBIG past GL_MAX_ATTACHMENTS). */
int files_add(gl_case *c, char *const *hashes, size_t n, char *why, size_t whylen);
/* Before a message about c goes on l: the files c names that l's peer was
 * not sent yet go ahead of it. */
int files_push(gl_engine_t *e, MDB_txn *txn, gl_link_t *l, const gl_case *c);
/* A chunk from a neighbour (checked by the decoder). */
int files_on_chunk(gl_engine_t *e, MDB_txn *txn, const char *from, const Gridlink__V1__FileChunk *f, char *why,
                   size_t whylen);
/* The peer came back with a new store: it has none of what it was sent. */
int files_peer_reset(gl_engine_t *e, MDB_txn *txn, const char *peer);
int files_op_attach(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                    gl_token tok);
int files_op_read(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                  gl_token tok);

/* appraisals.c: 群众评议 at the district (appraise, appraisal-tickets,
 * appraisals). */
int appraisals_op_appraise(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                           gl_op op, gl_token tok);
int appraisals_op_tickets(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                          gl_op op, gl_token tok);
int appraisals_op_table(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                        gl_op op, gl_token tok);
/* ops.c: a survey's need dispatched as a task (req is a dispatch; a
 * community may send it to its grids). */
int ops_dispatch_for_survey(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                            gl_token tok);

/* surveys.c: the survey operations, and a tally from the child `from`. */
int surveys_op(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
               gl_token tok);
int surveys_on_tally(gl_engine_t *e, MDB_txn *txn, const char *from, const Gridlink__V1__SurveyTally *t, char *why,
                     size_t whylen);
/* facts.c: fact-set and facts (the plan's indicators' facts). */
int facts_op(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
             gl_token tok);
/* The parent's link is up: the unit's own surveys' tallies go again. */
int surveys_parent_up(gl_engine_t *e, MDB_txn *txn);

/* views.c */
int views_read(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, gl_op op, gl_token tok);

#endif
