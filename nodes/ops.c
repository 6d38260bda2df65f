/* ops.c: the table of operations every front door serves (name, reads or
 * writes, who may call it, handler; at the end of this file), and the
 * operations that write: a case reported or taken in (submit, request), a
 * task dispatched down, a person's action (act, rate), an operator's dead
 * letter sent again or dropped. Each checks what it was given before it
 * writes, and answers its token with the case or with the reason it refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "deadletter.h"
#include "engine_int.h"
#include "error.h"
#include "log.h"

static int reply_case(gl_engine_t *e, gl_token tok, gl_case *c, const char *note)
{
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    rep.case_id = c->id;
    rep.case_ = c;
    rep.note = (char *)(note ? note : "");
    return eng_reply(e, tok, &rep);
}

/* A resident's contact and answered attributes, copied from the request
 * (packed and read back: the case owns its copy). */
static int copy_resident(gl_case *c, const Gridlink__V1__CtlRequest *req)
{
    if (req->media_url && req->media_url[0])
        case_set_str(&c->media_url, req->media_url);
    if (!req->contact && req->n_attributes == 0)
        return GL_OK;
    Gridlink__V1__Case part = GRIDLINK__V1__CASE__INIT;
    part.contact = req->contact;
    part.n_attributes = req->n_attributes;
    part.attributes = req->attributes;
    uint8_t *buf;
    size_t len;
    if (gl_pack(&part.base, &buf, &len) != 0)
        return GL_ENOMEM;
    Gridlink__V1__Case *back = gridlink__v1__case__unpack(NULL, len, buf);
    free(buf);
    if (!back)
        return GL_ENOMEM;
    c->contact = back->contact;
    c->n_attributes = back->n_attributes;
    c->attributes = back->attributes;
    back->contact = NULL;
    back->n_attributes = 0;
    back->attributes = NULL;
    gridlink__v1__case__free_unpacked(back, NULL);
    return GL_OK;
}

/* A new case minted here, filled from the request. */
static int mint(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, Gridlink__V1__CaseKind kind,
                gl_case **out)
{
    char id[GL_NODE_ID_MAX + 24];
    int rc = eng_mint_id(e, txn, id, sizeof id);
    if (rc != 0)
        return rc;
    gl_case *c = case_new();
    if (!c)
        return GL_ENOMEM;
    case_set_str(&c->id, id);
    c->kind = kind;
    case_set_str(&c->category, req->category);
    c->priority = req->priority;
    case_set_str(&c->grid, e->self->tier == TIER(GRID) ? e->id : "");
    case_set_str(&c->address, req->address);
    case_set_str(&c->text, req->text);
    case_set_str(&c->reporter, req->reporter);
    case_set_str(&c->came_from, "");
    case_set_str(&c->originator, e->id);
    c->created_ms = e->now;
    c->state = ST(REPORTED);
    c->version = 1;
    if (req->located) { /* where it is, as the reporter's phone or the request says */
        c->located = true;
        c->lat = req->lat;
        c->lon = req->lon;
    }
    if (kind == GRIDLINK__V1__CASE_KIND__KIND_REQUEST && (rc = copy_resident(c, req)) != 0) {
        gridlink__v1__case__free_unpacked(c, NULL);
        return rc;
    }
    char why[16];
    if ((rc = files_add(c, req->attachments, req->n_attachments, why, sizeof why)) != 0) {
        gridlink__v1__case__free_unpacked(c, NULL);
        return rc; /* checked before (attached_ok) */
    }
    *out = c;
    return GL_OK;
}

static const char *user_of(const gl_caller *who, const Gridlink__V1__CtlRequest *req)
{
    if (who->user && who->user[0])
        return who->user;
    return req->user && req->user[0] ? req->user : "";
}

/* The files a request attaches are stored here: 1, else the refusal. */
static int attached_ok(gl_engine_t *e, MDB_txn *txn, gl_token tok, const Gridlink__V1__CtlRequest *req)
{
    char why[256];
    int rc = files_check(e, txn, req->attachments, req->n_attachments, why, sizeof why);
    if (rc == GL_EINVAL)
        return eng_refuse(e, tok, rc, "%s", why);
    return rc == 0 ? 1 : rc;
}

static int check_intake(gl_engine_t *e, MDB_txn *txn, gl_token tok, const Gridlink__V1__CtlRequest *req)
{
    if (!req->text[0])
        return eng_refuse(e, tok, GL_EINVAL, "a case needs a description (--text)");
    char why[1024];
    if (!eng_category_known(e, req->category, why, sizeof why))
        return eng_refuse(e, tok, GL_EINVAL, "%s", why);
    if (req->located && !(req->lat >= -90 && req->lat <= 90 && req->lon >= -180 && req->lon <= 180))
        return eng_refuse(e, tok, GL_EINVAL, "a location is --lat -90..90 and --lon -180..180 (WGS 84 degrees)");
    return attached_ok(e, txn, tok, req);
}

static int ctl_submit(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                      gl_token tok)
{
    int rc = check_intake(e, txn, tok, req);
    if (rc != 1)
        return rc;
    Gridlink__V1__CaseKind kind = req->kind ? req->kind : GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    if (kind == GRIDLINK__V1__CASE_KIND__KIND_TASK)
        return eng_refuse(e, tok, GL_EINVAL, "a task goes down the tree: use dispatch, not submit");
    if (kind == GRIDLINK__V1__CASE_KIND__KIND_WHISTLE)
        return eng_refuse(e, tok, GL_EINVAL, "departments are called with whistle, not submit");
    gl_case *c;
    if ((rc = mint(e, txn, req, kind, &c)) != 0)
        return rc;
    bool forward = e->self->tier == TIER(GRID) && e->parent;
    case_set_str(&c->holder, forward ? e->parent->id : e->id);
    if (forward) {
        case_set_str(&c->handed_by, e->id);
        c->hops = 1;
    }
    case_history_add(c, "reported", e->id, e->now, req->note);
    case_history_by(c, user_of(who, req), forward ? e->parent->id : "");
    if (!forward)
        rc = dl_start(e, txn, c, true, true);
    if (rc == 0)
        rc = gl_store_case_put(txn, e->store, c);
    if (rc == 0 && forward)
        rc = eng_send_up(e, txn, c, "reported");
    if (rc == 0)
        rc = eng_log(e, txn, EV(REPORTED), c, forward ? e->parent->id : "", req->note);
    if (rc == 0)
        rc = reply_case(e, tok, c, NULL);
    gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

/* Where a request goes: the community of the grid whose area holds its
 * point (the grid recorded), else the community named, else the one whose
 * address keys its address contains. *how says which; NULL when none. */
static const gl_node_t *place(gl_engine_t *e, const Gridlink__V1__CtlRequest *req, const gl_node_t **grid,
                              const char **how)
{
    *grid = NULL;
    if (req->located && (*grid = gl_topology_locate(e->topo, req->lon, req->lat)) != NULL) {
        *how = "location";
        return gl_topology_parent(e->topo, *grid);
    }
    const gl_node_t *com = req->community[0] ? gl_topology_find(e->topo, req->community) : NULL;
    if (com) {
        *how = "community";
        return com;
    }
    if (req->address[0] && (com = gl_topology_community_by_address(e->topo, req->address)) != NULL) {
        *how = "address";
        return com;
    }
    return NULL;
}

/* A resident's request, taken at the district (hotline), a township or a
 * community's own intake: the intake node is its originator. It goes to
 * the community place() finds below the intake; one that nothing places
 * waits in the intake's routing queue (待分拨) for a person to assign it,
 * or stays at the community that took it. */
static int ctl_request(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                       gl_token tok)
{
    int rc = check_intake(e, txn, tok, req);
    if (rc != 1)
        return rc;
    if (req->receipt.len && (req->receipt.len != GL_RECEIPT_HASH || who->role != GL_ROLE_RESIDENT))
        return eng_refuse(e, tok, GL_EINVAL, "a receipt is the %d-byte hash of a resident's follow-up code",
                          GL_RECEIPT_HASH);
    if (e->self->tier == TIER(GRID) || e->self->tier == TIER(DEPARTMENT))
        return eng_refuse(e, tok, GL_EPERM, "requests are taken at a community, a township or the district; %s is a %s",
                          e->id, gl_tier_name(e->self->tier));
    const gl_node_t *grid, *com;
    const char *how = NULL;
    com = place(e, req, &grid, &how);
    if (com && com->tier != TIER(COMMUNITY))
        return eng_refuse(e, tok, GL_EINVAL, "a request is for a community (--community ID); not a community: %s",
                          com->id);
    if (!com && req->community[0])
        return eng_refuse(e, tok, GL_EINVAL, "no community %s in the topology", req->community);
    bool local = e->self->tier == TIER(COMMUNITY);
    char note[GL_NODE_ID_MAX + 200] = "";
    if (com && !gl_topology_in_subtree(e->id, com->id)) {
        if (local || strcmp(how, "community") == 0)
            return eng_refuse(e, tok, GL_EPERM, "%s is not under %s; take the request where it belongs", com->id,
                              e->id);
        snprintf(note, sizeof note, "placed by %s in %s, outside %s: to be passed on", how, com->id, e->id);
        com = NULL;
        grid = NULL;
    }
    if (!com && local)
        com = e->self;
    gl_case *c;
    if ((rc = mint(e, txn, req, GRIDLINK__V1__CASE_KIND__KIND_REQUEST, &c)) != 0)
        return rc;
    if (grid)
        case_set_str(&c->grid, grid->id);
    if (com)
        case_set_str(&c->community, com->id);
    else if (!note[0])
        snprintf(note, sizeof note, "nothing places it: in the routing queue (待分拨)");
    c->unplaced = com == NULL;
    bool here = !com || strcmp(com->id, e->id) == 0;
    if (com && !here && how)
        snprintf(note, sizeof note, "placed by %s%s%s", how, grid ? " in " : "", grid ? grid->id : "");
    case_history_add(c, "reported", e->id, e->now, req->note[0] ? req->note : "resident's request");
    case_history_by(c, user_of(who, req), here ? "" : com->id);
    if (here) {
        case_set_str(&c->holder, e->id);
        if (note[0])
            case_history_add(c, "queued", e->id, e->now, note);
        rc = dl_start(e, txn, c, true, true);
    } else {
        c->state = ST(ASSIGNED);
        case_set_str(&c->holder, com->id);
        case_set_str(&c->assigned_by, e->id);
        case_set_str(&c->handed_by, e->id);
        c->hops = 1;
        case_history_add(c, "assigned", e->id, e->now, note);
        case_history_by(c, user_of(who, req), com->id);
    }
    if (rc == 0)
        rc = gl_store_case_put(txn, e->store, c);
    if (rc == 0 && req->receipt.len == GL_RECEIPT_HASH) /* the follow-up code's hash */
        rc = gl_store_receipt_put(txn, e->store, req->receipt.data, c->id);
    if (rc == 0)
        rc = eng_log(e, txn, EV(REPORTED), c, here ? "" : com->id, c->unplaced ? note : "request");
    if (rc == 0 && !here)
        rc = eng_log(e, txn, EV(ASSIGNED), c, com->id, note);
    if (rc == 0 && !here)
        rc = eng_spread(e, txn, c, NULL, false);
    if (rc == 0)
        rc = reply_case(e, tok, c, NULL);
    gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

/* The recipients of a dispatch: one node, or every node of a tier under a
 * prefix; all strictly below the dispatcher. */
static int recipients(gl_engine_t *e, const Gridlink__V1__CtlRequest *req, const gl_node_t ***out, size_t *n, char *why,
                      size_t whylen)
{
    *n = 0;
    const gl_node_t **list = calloc(e->topo->n_nodes, sizeof *list);
    if (!list)
        return GL_ENOMEM;
    if (req->to[0]) {
        const gl_node_t *to = gl_topology_find(e->topo, req->to);
        if (!to || strcmp(to->id, e->id) == 0 || !gl_topology_in_subtree(e->id, to->id)) {
            snprintf(why, whylen, "%s is not a node below %s", req->to, e->id);
            free(list);
            return GL_EINVAL;
        }
        list[(*n)++] = to;
    } else {
        const char *under = req->under[0] ? req->under : e->id;
        if (!gl_topology_in_subtree(e->id, under)) {
            snprintf(why, whylen, "%s is not under %s", under, e->id);
            free(list);
            return GL_EPERM;
        }
        for (size_t i = 0; i < e->topo->n_nodes; i++) {
            const gl_node_t *nd = &e->topo->nodes[i];
            if (nd->tier == req->tier && strcmp(nd->id, e->id) != 0 && gl_topology_in_subtree(under, nd->id))
                list[(*n)++] = nd;
        }
        if (*n == 0) {
            snprintf(why, whylen, "no %s node under %s", gl_tier_name(req->tier), under);
            free(list);
            return GL_EINVAL;
        }
        if (*n > GL_MAX_TASK_PARTS) {
            snprintf(why, whylen, "%zu recipients; one dispatch reaches at most %d", *n, GL_MAX_TASK_PARTS);
            free(list);
            return GL_ETOOBIG;
        }
    }
    *out = list;
    return GL_OK;
}

static int new_task(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                    const char *to, const char *parent, gl_case **out)
{
    gl_case *c;
    int rc = mint(e, txn, req, GRIDLINK__V1__CASE_KIND__KIND_TASK, &c);
    if (rc != 0)
        return rc;
    c->sign_within_ms = req->sign_within_ms;
    c->due_within_ms = req->due_ms;
    if (to) {
        c->state = ST(ASSIGNED);
        case_set_str(&c->holder, to);
        case_set_str(&c->assigned_by, e->id);
        case_set_str(&c->handed_by, e->id);
        case_set_str(&c->parent_task, parent ? parent : "");
        c->hops = 1;
    } else {
        c->state = ST(IN_PROGRESS);
        case_set_str(&c->holder, e->id);
    }
    case_history_add(c, "dispatched", e->id, e->now, req->note);
    case_history_by(c, user_of(who, req), to ? to : "");
    *out = c;
    return GL_OK;
}

static int send_parts(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                      const gl_node_t **to, size_t n, Gridlink__V1__CaseKind parent_kind, gl_token tok);

static int dispatch(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                    gl_token tok, bool community_ok)
{
    if (e->self->tier != TIER(DISTRICT) && e->self->tier != TIER(TOWNSHIP) &&
        !(community_ok && e->self->tier == TIER(COMMUNITY)))
        return eng_refuse(e, tok, GL_EPERM, "only the district and townships dispatch tasks; %s is a %s", e->id,
                          gl_tier_name(e->self->tier));
    int rc = check_intake(e, txn, tok, req);
    if (rc != 1)
        return rc;
    const gl_node_t **to = NULL;
    size_t n = 0;
    char why[512];
    if ((rc = recipients(e, req, &to, &n, why, sizeof why)) != 0)
        return rc == GL_ENOMEM ? rc : eng_refuse(e, tok, rc, "%s", why);
    /* Work access (社区工作准入): refused whole, before anything is minted,
     * and counted for every community it would have reached. */
    size_t refused = 0;
    for (size_t i = 0; i < n; i++)
        refused += to[i]->tier == TIER(COMMUNITY) && !eng_community_task(e, req->category);
    if (refused) {
        for (size_t i = 0; i < n && rc == 0; i++)
            if (to[i]->tier == TIER(COMMUNITY))
                rc = eng_count_access(e, txn, to[i]->id);
        snprintf(why, sizeof why,
                 "work access: communities may not be given %s tasks (not in the topology's community_tasks); "
                 "refused for %zu communit%s",
                 req->category, refused, refused == 1 ? "y" : "ies");
        for (size_t i = 0; i < n && rc == 0; i++)
            if (to[i]->tier == TIER(COMMUNITY))
                rc = eng_log(e, txn, EV(ACCESS_REFUSED), NULL, to[i]->id, why);
        free(to);
        return rc != 0 ? rc : eng_refuse(e, tok, GL_EPERM, "%s", why);
    }
    rc = send_parts(e, txn, who, req, to, n, req->to[0] ? 0 : GRIDLINK__V1__CASE_KIND__KIND_TASK, tok);
    free(to);
    return rc;
}

static int ctl_dispatch(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                        gl_token tok)
{
    return dispatch(e, txn, who, req, tok, false);
}

int ops_dispatch_for_survey(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                            gl_token tok)
{
    if (!req->to[0])
        return eng_refuse(e, tok, GL_EINVAL, "a survey's task goes to one node below (to)");
    return dispatch(e, txn, who, req, tok, true);
}

/* The tasks of a dispatch or a whistle, one per recipient, under a parent
 * of kind parent_kind that lists them (0: one task, no parent); replies
 * with the parent's ID (or the task's) and every task's. */
static int send_parts(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                      const gl_node_t **to, size_t n, Gridlink__V1__CaseKind parent_kind, gl_token tok)
{
    int rc = GL_OK;
    gl_case *parent = NULL;
    char **ids = calloc(n, sizeof *ids);
    if (!ids)
        return GL_ENOMEM;
    gl_case *single = NULL;
    if (parent_kind && (rc = new_task(e, txn, who, req, NULL, NULL, &parent)) == 0) {
        parent->kind = parent_kind;
        parent->children = calloc(n, sizeof *parent->children);
        rc = parent->children ? GL_OK : GL_ENOMEM;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        gl_case *t;
        rc = new_task(e, txn, who, req, to[i]->id, parent ? parent->id : NULL, &t);
        if (rc != 0)
            break;
        if ((rc = gl_store_case_put(txn, e->store, t)) == 0 &&
            (rc = eng_log(e, txn, EV(DISPATCHED), t, to[i]->id, parent ? parent->id : "")) == 0)
            rc = eng_spread(e, txn, t, NULL, false);
        ids[i] = strdup(t->id);
        if (parent)
            parent->children[parent->n_children++] = strdup(t->id);
        if (!parent && n == 1 && rc == 0)
            single = t; /* the answer shows the one task */
        else
            gridlink__v1__case__free_unpacked(t, NULL);
    }
    if (rc == 0 && parent) {
        char note[64];
        snprintf(note, sizeof note, "%zu %s", n,
                 parent_kind == GRIDLINK__V1__CASE_KIND__KIND_WHISTLE ? "departments called (吹哨)" : "tasks");
        if (!case_fits(parent))
            rc = GL_ETOOBIG;
        if (rc == 0 && (rc = gl_store_case_put(txn, e->store, parent)) == 0)
            rc = eng_log(e, txn, EV(DISPATCHED), parent, "", note);
    }
    if (rc == 0) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.case_ids = ids;
        rep.n_case_ids = n;
        rep.case_id = parent ? parent->id : ids[0];
        rep.case_ = parent ? parent : single;
        rc = eng_reply(e, tok, &rep);
    }
    if (single)
        gridlink__v1__case__free_unpacked(single, NULL);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    if (parent)
        gridlink__v1__case__free_unpacked(parent, NULL);
    return rc == GL_ETOOBIG ? eng_refuse(e, tok, rc, "the task has too many recipients to list") : rc;
}

/* 吹哨报到: a township (or the district) calls departments to a problem at
 * once. Each department called gets its part, to report in (sign for it)
 * within the whistle's time and then work; a department may be the
 * caller's own or one attached to a tier above it. The whistle closes when
 * every part is closed (lc_part_closed). */
static int ctl_whistle(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                       gl_token tok)
{
    if (e->self->tier != TIER(DISTRICT) && e->self->tier != TIER(TOWNSHIP))
        return eng_refuse(e, tok, GL_EPERM, "only the district and townships blow the whistle; %s is a %s", e->id,
                          gl_tier_name(e->self->tier));
    int rc = check_intake(e, txn, tok, req);
    if (rc != 1)
        return rc;
    if (req->n_departments == 0)
        return eng_refuse(e, tok, GL_EINVAL, "a whistle calls one or more departments (--to DEPT[,DEPT...])");
    if (req->sign_within_ms <= 0)
        return eng_refuse(e, tok, GL_EINVAL, "a whistle gives the time to report in (--report-within DURATION)");
    const gl_node_t **to = calloc(req->n_departments, sizeof *to);
    if (!to)
        return GL_ENOMEM;
    for (size_t i = 0; i < req->n_departments; i++) {
        const gl_node_t *d = eng_department_above(e, req->departments[i]);
        if (!d) {
            free(to);
            return eng_refuse(e, tok, GL_EINVAL, "%s is not a department of %s or of a tier above it",
                              req->departments[i], e->id);
        }
        for (size_t k = 0; k < i; k++)
            if (to[k] == d) {
                free(to);
                return eng_refuse(e, tok, GL_EINVAL, "%s is called twice", d->id);
            }
        to[i] = d;
    }
    rc = send_parts(e, txn, who, req, to, req->n_departments, GRIDLINK__V1__CASE_KIND__KIND_WHISTLE, tok);
    free(to);
    return rc;
}

static int parse_action(const Gridlink__V1__CtlRequest *req, gl_op op, struct act_args *a, char *why, size_t whylen)
{
    if (op == OP(RATE)) {
        a->action = ACT(RATE);
    } else if (!gl_action_from(req->action, &a->action)) {
        char list[512];
        snprintf(why, whylen, "unknown action '%s' (%s)", req->action, gl_action_list(list, sizeof list));
        return GL_EINVAL;
    }
    if (req->reason[0] && !gl_reason_from(req->reason, &a->reason)) {
        char list[256];
        snprintf(why, whylen, "unknown reason '%s' (%s)", req->reason, gl_reason_list(list, sizeof list));
        return GL_EINVAL;
    }
    a->note = req->note;
    a->amount_ms = req->by_ms;
    a->amount_unit = req->by_unit;
    a->into = req->into;
    a->to = req->to;
    a->resolved = req->resolved;
    a->satisfied = req->satisfied;
    return GL_OK;
}

/* act and rate: applied here when this node holds the case; otherwise
 * checked against the copy here and sent on to the holder. */
static int ctl_act(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                   gl_token tok)
{
    struct act_args a = {.actor = e->id, .user = user_of(who, req)};
    char why[768] = "";
    int rc = parse_action(req, op, &a, why, sizeof why);
    if (rc != 0)
        return eng_refuse(e, tok, rc, "%s", why);
    gl_case *c = NULL;
    rc = gl_store_case_get(txn, e->store, req->case_id, &c);
    if (rc == GL_ENOENT)
        return eng_refuse(e, tok, GL_ENOENT, "unknown case %s at %s", req->case_id, e->id);
    if (rc != 0)
        return rc;
    if (req->n_attachments && strcmp(c->holder, e->id) != 0) {
        char held[600];
        snprintf(held, sizeof held, "photos are attached where case %s is held (%s), not at %s", c->id, c->holder,
                 e->id);
        gridlink__v1__case__free_unpacked(c, NULL);
        return eng_refuse(e, tok, GL_EPERM, "%s", held);
    }
    if (req->n_attachments) {
        /* Added to the copy before the step, which stores and spreads it. */
        int ok = attached_ok(e, txn, tok, req); /* 1, or answered (0), or a storage error */
        rc = ok;
        if (ok == 1 && (rc = files_add(c, req->attachments, req->n_attachments, why, sizeof why)) != 0) {
            ok = 0;
            if (rc == GL_ETOOBIG)
                rc = eng_refuse(e, tok, rc, "%s", why);
        }
        if (ok != 1) {
            gridlink__v1__case__free_unpacked(c, NULL);
            return rc;
        }
    }
    if (strcmp(c->holder, e->id) == 0) {
        rc = lc_apply(e, txn, c, &a, why, sizeof why);
        if (rc == 0)
            rc = reply_case(e, tok, c, NULL);
        else if (eng_is_refusal(rc))
            rc = eng_refuse(e, tok, rc, "%s", why);
        gridlink__v1__case__free_unpacked(c, NULL);
        return rc;
    }
    /* Held elsewhere: refuse now what the holder would refuse for sure. */
    rc = lc_check(e, c, &a, why, sizeof why);
    if (rc == GL_EPERM && strstr(why, "only the holder")) {
        char held[600];
        snprintf(held, sizeof held, "case %s is held by %s, not %s", c->id, c->holder, e->id);
        gridlink__v1__case__free_unpacked(c, NULL);
        return eng_refuse(e, tok, GL_EPERM, "%s", held);
    }
    if (rc != 0) {
        gridlink__v1__case__free_unpacked(c, NULL);
        return eng_refuse(e, tok, rc, "%s", why);
    }
    Gridlink__V1__CaseRequest q = GRIDLINK__V1__CASE_REQUEST__INIT;
    q.case_id = c->id;
    q.action = a.action;
    q.by = (char *)e->id;
    q.user = (char *)a.user;
    q.note = (char *)req->note;
    q.amount_ms = req->by_ms;
    q.amount_unit = req->by_unit;
    q.reason = a.reason;
    q.resolved = req->resolved;
    q.satisfied = req->satisfied;
    q.time_ms = e->now;
    rc = eng_forward_request(e, txn, &q, c->holder, NULL);
    if (rc == GL_ENOENT) {
        rc = eng_refuse(e, tok, GL_EDOWN, "case %s is held by %s, which cannot be reached from %s", c->id, c->holder,
                        e->id);
    } else if (rc == 0) {
        char note[600];
        snprintf(note, sizeof note, "%s sent to %s, which holds case %s", gl_action_name(a.action), c->holder, c->id);
        rc = eng_log(e, txn, EV(STATUS), c, c->holder, note);
        if (rc == 0)
            rc = reply_case(e, tok, c, note);
    }
    gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

/* An operator sends a dead letter again (it gets a new sequence number and
 * may be refused again) or drops it. */
static gl_link_t *link_to(gl_engine_t *e, const char *peer)
{
    if (e->parent && strcmp(e->parent->id, peer) == 0)
        return e->uplink;
    for (size_t i = 0; i < e->n_children; i++)
        if (strcmp(e->children[i].topo->id, peer) == 0)
            return e->children[i].link;
    return NULL;
}

static int ctl_dead(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, bool retry, gl_token tok)
{
    gl_link_t *l = link_to(e, req->peer);
    if (!l)
        return eng_refuse(e, tok, GL_ENOENT, "%s is not a neighbour of this node (--peer)", req->peer);
    if (req->from_seq == 0)
        return eng_refuse(e, tok, GL_EINVAL, "name the dead letter by its sequence number");
    Gridlink__V1__DeadLetter *dl = NULL;
    int rc = gl_dead_get(txn, e->store, req->peer, req->from_seq, &dl);
    if (rc == GL_ENOENT)
        return eng_refuse(e, tok, GL_ENOENT, "no dead letter %llu for %s", (unsigned long long)req->from_seq,
                          req->peer);
    if (rc != 0)
        return rc;
    rc = retry ? gl_link_retry_dead(l, txn, req->from_seq) : gl_dead_del(txn, e->store, req->peer, req->from_seq);
    if (rc == 0)
        rc = eng_log(e, txn, retry ? EV(DEAD_RETRIED) : EV(DEAD_DROPPED), NULL, req->peer, dl->case_id);
    if (rc == 0) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.case_id = dl->case_id;
        rc = eng_reply(e, tok, &rep);
    }
    gridlink__v1__dead_letter__free_unpacked(dl, NULL);
    return rc == GL_ETOOBIG ? eng_refuse(e, tok, rc, "the message is larger than the tree accepts") : rc;
}

static int op_submit(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                     gl_token tok)
{
    (void)op;
    return ctl_submit(e, txn, who, req, tok);
}

static int op_request(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                      gl_token tok)
{
    (void)op;
    return ctl_request(e, txn, who, req, tok);
}

static int op_dispatch(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                       gl_op op, gl_token tok)
{
    (void)op;
    return ctl_dispatch(e, txn, who, req, tok);
}

static int op_whistle(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                      gl_token tok)
{
    (void)op;
    return ctl_whistle(e, txn, who, req, tok);
}

static int op_act(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                  gl_token tok)
{
    return ctl_act(e, txn, who, req, op, tok);
}

static int op_dead(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                   gl_token tok)
{
    (void)who;
    return ctl_dead(e, txn, req, op == OP(DEAD_RETRY), tok);
}

static int op_view(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                   gl_token tok)
{
    (void)who;
    return views_read(e, txn, req, op, tok);
}

/* ---- the table: every operation any front door serves ---- */

typedef int (*op_fn)(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
                     gl_token tok);

struct op_row {
    gl_engine_op def; /* first: gl_engine_op_find returns a pointer to it */
    op_fn fn;
};

#define STAFF    (GL_ROLE_OPERATOR | GL_ROLE_STAFF)
#define RESIDENT GL_ROLE_RESIDENT

static const struct op_row ops[] = {
    {{OP(SUBMIT), true, STAFF}, op_submit},
    {{OP(REQUEST), true, STAFF | RESIDENT}, op_request},
    {{OP(DISPATCH), true, STAFF}, op_dispatch},
    {{OP(WHISTLE), true, STAFF}, op_whistle},
    {{OP(ACT), true, STAFF}, op_act},
    {{OP(RATE), true, STAFF | RESIDENT}, op_act},
    {{OP(DEAD_RETRY), true, GL_ROLE_OPERATOR}, op_dead},
    {{OP(DEAD_DROP), true, GL_ROLE_OPERATOR}, op_dead},
    {{OP(SHOW), false, STAFF | RESIDENT}, op_view},
    {{OP(LIST), false, STAFF}, op_view},
    {{OP(CENSUS), false, GL_ROLE_OPERATOR}, op_view},
    {{OP(LOG), false, GL_ROLE_OPERATOR}, op_view},
    {{OP(HEALTH), false, STAFF}, op_view},
    {{OP(PING), false, STAFF | RESIDENT}, op_view},
    {{OP(DEAD_LETTERS), false, GL_ROLE_OPERATOR}, op_view},
    {{OP(ATTACH), true, STAFF}, files_op_attach},
    {{OP(ATTACHMENT), false, STAFF}, files_op_read},
    {{OP(APPRAISE), true, RESIDENT}, appraisals_op_appraise},
    {{OP(APPRAISAL_TICKETS), true, GL_ROLE_OPERATOR}, appraisals_op_tickets},
    {{OP(APPRAISALS), false, STAFF}, appraisals_op_table},
    {{OP(SURVEY_PUBLISH), true, STAFF}, surveys_op},
    {{OP(SURVEY_CLOSE), true, STAFF}, surveys_op},
    {{OP(SURVEY_TICKETS), true, STAFF}, surveys_op},
    {{OP(SURVEY_TASK), true, STAFF}, surveys_op},
    {{OP(SURVEY_ANSWER), true, RESIDENT}, surveys_op},
    {{OP(SURVEYS), false, STAFF}, surveys_op},
    {{OP(SURVEY), false, STAFF | RESIDENT}, surveys_op},
    {{OP(FACT_SET), true, STAFF}, facts_op},
    {{OP(FACTS), false, STAFF}, facts_op},
};

static const struct op_row *row_of(const char *name)
{
    gl_op op;
    if (!gl_op_from(name, &op))
        return NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].def.op == op)
            return &ops[i];
    return NULL;
}

const gl_engine_op *gl_engine_op_find(const char *name)
{
    const struct op_row *r = row_of(name);
    return r ? &r->def : NULL;
}

int gl_engine_call(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                   gl_token tok, int64_t now)
{
    e->now = now;
    const struct op_row *r = row_of(req->op);
    if (!r)
        return eng_refuse(e, tok, GL_EINVAL, "unknown operation '%s'", req->op);
    if (!(r->def.roles & who->role))
        return eng_refuse(e, tok, GL_EPERM, "%s may not be called from here", req->op);
    return r->fn(e, txn, who, req, r->def.op, tok);
}
