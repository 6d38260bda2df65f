/* tree.c: what arrives from the tree: a case handed up (transfer), a
 * case's new version from a neighbour (status), a person's action passed on
 * towards the holder (request), and the link's own outcomes (a dead letter,
 * a peer with a new store). Every handler checks before it writes, so a
 * refusal leaves nothing behind but what it counts on purpose; a refused
 * sequenced message is refused by number, so the link goes on.
 *
 * A copy is replaced only by a newer version coming from the direction of
 * the holder it knows: only the holder changes a case, and tree paths keep
 * each link's order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "engine_int.h"
#include "error.h"
#include "log.h"

static uint64_t case_counter_of(const char *case_id)
{
    const char *dash = strrchr(case_id, '-');
    return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

/* Is `incoming` the case we already hold under its ID, sent again? */
static bool same_case(const gl_case *old, const gl_case *incoming)
{
    return old->created_ms == incoming->created_ms && strcmp(old->text, incoming->text) == 0 &&
           strcmp(old->category, incoming->category) == 0 && strcmp(old->grid, incoming->grid) == 0 &&
           strcmp(old->reporter, incoming->reporter) == 0;
}

/* A child handed us a case: a new report or an escalation. Everything is
 * checked before anything is written; a refusal returns its code with the
 * reason in why, and the link tells the child. */
static int on_transfer(gl_engine_t *e, MDB_txn *txn, const char *from, Gridlink__V1__CaseTransfer *tr, char *why,
                       size_t whylen)
{
    gl_case *c = tr->case_;
    bool escalated = strcmp(tr->reason, "escalated") == 0;
    if (!escalated && strcmp(tr->reason, "reported") != 0) {
        snprintf(why, whylen, "case %s: unknown transfer reason '%s'", c->id, tr->reason);
        return GL_EPROTO;
    }
    char origin[GL_NODE_ID_MAX + 1];
    if (!case_origin(c->id, origin, sizeof origin)) {
        snprintf(why, whylen, "case %s has no origin", c->id);
        return GL_EPROTO;
    }
    bool minted_below = gl_topology_in_subtree(from, origin);
    gl_case *old = NULL;
    int rc = gl_store_case_get(txn, e->store, c->id, &old);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    /* A case minted under node X travels only X's branch: the origin, and
     * the grid it arose in, lie in the sending child's subtree; a new report
     * comes only from the node that minted it. A case that came down
     * through us (assigned, dispatched) climbs back only from the branch
     * that held it. */
    if (!minted_below && !(old && escalated && gl_topology_in_subtree(from, old->holder))) {
        snprintf(why, whylen, "case %s was not minted in %s's subtree", c->id, from);
        if (old)
            gridlink__v1__case__free_unpacked(old, NULL);
        e->counts.spoofed++;
        return GL_EPERM;
    }
    if (!old && c->grid[0] && !gl_topology_in_subtree(from, c->grid)) {
        snprintf(why, whylen, "case %s names grid %s outside %s's subtree", c->id, c->grid, from);
        e->counts.spoofed++;
        return GL_EPERM;
    }
    if (!escalated && strcmp(origin, from) != 0) {
        snprintf(why, whylen, "case %s is reported by %s but was minted at %s", c->id, from, origin);
        if (old)
            gridlink__v1__case__free_unpacked(old, NULL);
        e->counts.spoofed++;
        return GL_EPERM;
    }
    if (strcmp(c->holder, e->id) != 0) {
        snprintf(why, whylen, "case %s is handed to %s, not to %s", c->id, c->holder, e->id);
        if (old)
            gridlink__v1__case__free_unpacked(old, NULL);
        return GL_EPERM;
    }
    if (old) {
        bool same = same_case(old, c);
        bool repeat = !escalated || c->version <= old->version || strcmp(old->holder, e->id) == 0 ||
                      !gl_topology_in_subtree(from, old->holder);
        gridlink__v1__case__free_unpacked(old, NULL);
        if (!same) {
            snprintf(why, whylen, "case ID %s is already used here for a different case", c->id);
            return GL_ECONFLICT;
        }
        if (repeat) {
            gl_info("node %s: case %s from %s is already here, taken as a repeat", e->id, c->id, from);
            return GL_OK;
        }
    }
    case_set_str(&c->came_from, from);
    case_set_str(&c->handed_by, from);
    c->state = escalated ? ST(ESCALATED) : ST(REPORTED);
    c->accept_due_ms = c->resolve_due_ms = c->accept_warn_ms = c->resolve_warn_ms = 0;
    c->escalation_pending = false;
    case_history_add(c, "received", e->id, e->now, escalated ? "escalated from below" : "");
    case_history_by(c, NULL, from);
    c->version++;
    if (!case_fits(c)) {
        snprintf(why, whylen, "case %s is too large to take (%zu history entries)", c->id, c->n_history);
        return GL_ETOOBIG;
    }
    rc = dl_start(e, txn, c, true, true);
    if (rc == 0)
        rc = gl_store_case_put(txn, e->store, c);
    if (rc == 0)
        rc = eng_log(e, txn, EV(RECEIVED), c, from, escalated ? "escalated" : "reported");
    if (rc == 0)
        rc = eng_spread(e, txn, c, from, false);
    return rc;
}

/* Is node `id` in the direction of `peer` as seen from here? */
static bool toward(const gl_engine_t *e, const char *peer, const char *id)
{
    if (!id || !id[0])
        return false;
    if (e->parent && strcmp(peer, e->parent->id) == 0)
        return !gl_topology_in_subtree(e->id, id);
    return gl_topology_in_subtree(peer, id);
}

static bool followed_below(const gl_engine_t *e, const gl_case *c)
{
    char origin[GL_NODE_ID_MAX + 1] = "";
    case_origin(c->id, origin, sizeof origin);
    const char *t[] = {c->holder, origin, c->originator, c->assigned_by};
    for (size_t i = 0; i < 4; i++)
        if (t[i] && t[i][0] && gl_topology_in_subtree(e->id, t[i]))
            return true;
    return false;
}

/* A child hands this node a case it has never seen, for a binding
 * assignment (审定): returned too often below, it goes to the tier above
 * both nodes, which need not have followed it. That can only be a case
 * that arose in the child's subtree: one minted elsewhere passed through
 * this node on its way down, which keeps a copy. */
static bool handed_up_for_arbitration(const gl_engine_t *e, const char *from, const gl_case *c)
{
    char origin[GL_NODE_ID_MAX + 1];
    return c->state == ST(ARBITRATION) && strcmp(c->holder, e->id) == 0 && case_origin(c->id, origin, sizeof origin) &&
           gl_topology_in_subtree(from, origin) && (!c->grid[0] || gl_topology_in_subtree(from, c->grid));
}

/* A whistle's part (or a task) assigned from `from`'s side to a department
 * attached to this node or a tier above: it passes through here. */
static bool called_department(const gl_engine_t *e, const char *from, const gl_case *c)
{
    return c->state == ST(ASSIGNED) && c->assigned_by && gl_topology_in_subtree(from, c->assigned_by) &&
           eng_department_above(e, c->holder);
}

static bool minted_below(const char *from, const gl_case *c)
{
    char origin[GL_NODE_ID_MAX + 1];
    return case_origin(c->id, origin, sizeof origin) && gl_topology_in_subtree(from, origin);
}

/* A neighbour sent a case's new version. */
static int on_status(gl_engine_t *e, MDB_txn *txn, const char *from, bool from_child, Gridlink__V1__CaseStatus *st,
                     char *why, size_t whylen)
{
    gl_case *c = st->case_;
    gl_case *old = NULL;
    int rc = gl_store_case_get(txn, e->store, c->id, &old);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    bool handed_up = rc == GL_ENOENT && from_child && handed_up_for_arbitration(e, from, c);
    bool called = rc == GL_ENOENT && from_child && called_department(e, from, c) && minted_below(from, c);
    if (rc == GL_ENOENT) {
        if (!handed_up && !called && (from_child || !followed_below(e, c))) {
            gl_warn("node %s: status from %s for unknown case %s ignored", e->id, from, c->id);
            return GL_OK;
        }
    } else {
        bool stale = c->version <= old->version;
        bool direction = toward(e, from, old->holder);
        bool mine = strcmp(old->holder, e->id) == 0;
        if (!stale && (!direction || mine)) {
            snprintf(why, whylen, "case %s is held by %s; %s may not change it", c->id, old->holder, from);
            gridlink__v1__case__free_unpacked(old, NULL);
            e->counts.spoofed++;
            return GL_EPERM;
        }
        if (stale) {
            gridlink__v1__case__free_unpacked(old, NULL);
            return GL_OK;
        }
    }
    if (from_child && !handed_up && !gl_topology_in_subtree(from, c->holder) &&
        !toward(e, from, old ? old->holder : "") && !called_department(e, from, c)) {
        snprintf(why, whylen, "case %s: %s may not hand it to %s", c->id, from, c->holder);
        if (old)
            gridlink__v1__case__free_unpacked(old, NULL);
        e->counts.spoofed++;
        return GL_EPERM;
    }
    bool take = strcmp(c->holder, e->id) == 0;
    bool access_refused = take && c->kind == GRIDLINK__V1__CASE_KIND__KIND_TASK && e->self->tier == TIER(COMMUNITY) &&
                          c->state == ST(ASSIGNED) && !eng_community_task(e, c->category);
    if (old)
        gridlink__v1__case__free_unpacked(old, NULL);
    if (access_refused) {
        snprintf(why, whylen, "work access: communities may not be given %s tasks (not in community_tasks)",
                 c->category);
        e->counts.refused_actions++;
        int r = eng_count_access(e, txn, e->id);
        if (r == 0)
            r = eng_log(e, txn, EV(ACCESS_REFUSED), c, from, why);
        return r != 0 ? r : GL_EPERM;
    }
    case_set_str(&c->came_from, from);
    if (!case_fits(c)) {
        snprintf(why, whylen, "case %s is too large to pass on (%zu history entries)", c->id, c->n_history);
        return GL_ETOOBIG;
    }
    if (take)
        return lc_take_over(e, txn, c);
    if ((rc = gl_store_case_put(txn, e->store, c)) != 0 || (rc = eng_log(e, txn, EV(STATUS), c, from, "")) != 0 ||
        (rc = eng_spread(e, txn, c, from, false)) != 0)
        return rc;
    return lc_part_changed(e, txn, c);
}

/* A person's action asked elsewhere, on its way to the holder. */
static int on_request(gl_engine_t *e, MDB_txn *txn, const char *from, Gridlink__V1__CaseRequest *q, char *why,
                      size_t whylen)
{
    if (!toward(e, from, q->by)) {
        snprintf(why, whylen, "a request from %s names %s, which is not on its side", from, q->by);
        e->counts.spoofed++;
        return GL_EPERM;
    }
    gl_case *c = NULL;
    int rc = gl_store_case_get(txn, e->store, q->case_id, &c);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    char note[600];
    if (rc == GL_ENOENT || strcmp(c->holder, e->id) != 0) {
        char origin[GL_NODE_ID_MAX + 1] = "";
        case_origin(q->case_id, origin, sizeof origin);
        const char *target = c ? c->holder : origin;
        int fr = q->hops >= GL_MAX_HOPS ? GL_ENOENT : eng_forward_request(e, txn, q, target, from);
        if (fr == GL_ENOENT) {
            snprintf(note, sizeof note, "%s from %s: case %s cannot be found from here", gl_action_name(q->action),
                     q->by, q->case_id);
            fr = eng_log(e, txn, EV(REQUEST_REFUSED), c, q->by, note);
        }
        if (c)
            gridlink__v1__case__free_unpacked(c, NULL);
        return fr;
    }
    struct act_args a = {.action = q->action,
                         .actor = q->by,
                         .user = q->user,
                         .note = q->note,
                         .amount_ms = q->amount_ms,
                         .amount_unit = q->amount_unit,
                         .reason = q->reason,
                         .resolved = q->resolved,
                         .satisfied = q->satisfied};
    char reason[512] = "";
    rc = lc_apply(e, txn, c, &a, reason, sizeof reason);
    if (eng_is_refusal(rc)) {
        snprintf(note, sizeof note, "%s from %s refused: %s", gl_action_name(q->action), q->by, reason);
        e->counts.refused_actions++;
        gl_warn("node %s: %s", e->id, note);
        rc = eng_log(e, txn, EV(REQUEST_REFUSED), c, q->by, note);
    }
    gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

/* Tell the peer that sequenced message `seq` will never be accepted here. */
static void refuse_seq(gl_engine_t *e, gl_link_t *l, uint64_t seq, const uint8_t *buf, size_t len, int code,
                       const char *why)
{
    gl_link_refuse(l, seq, buf, len, code, why);
    e->counts.refused_in++;
    e->last_refusal = code;
    gl_warn("node %s: message %llu from %s refused (%s): %s", e->id, (unsigned long long)seq, gl_link_peer(l),
            gl_strerror(code), why);
}

/* The rebuilt child must never mint an ID we already hold: find the highest
 * counter of the cases it minted. */
static uint64_t highest_counter_of(gl_engine_t *e, MDB_txn *txn, const char *origin)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, gl_store_dbi(e->store, GL_DB_CASES), &cur) != 0)
        return 0;
    char prefix[GL_NODE_ID_MAX + 2];
    size_t plen = (size_t)snprintf(prefix, sizeof prefix, "%s-", origin);
    MDB_val k = {plen, prefix}, v;
    uint64_t best = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size > plen && memcmp(k.mv_data, prefix, plen) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char id[GL_NODE_ID_MAX + 32];
        if (k.mv_size >= sizeof id)
            continue;
        memcpy(id, k.mv_data, k.mv_size);
        id[k.mv_size] = 0;
        if (strchr(id + plen, '-'))
            continue; /* "<origin>-x-..." cannot be ours: counters are digits */
        uint64_t n = case_counter_of(id);
        if (n > best)
            best = n;
    }
    mdb_cursor_close(cur);
    return best;
}

static int log_dead(gl_engine_t *e, MDB_txn *txn, const char *peer, const char *case_id, const char *reason)
{
    gl_case *c = NULL;
    if (case_id[0] && gl_store_case_get(txn, e->store, case_id, &c) != 0)
        c = NULL;
    int rc = eng_log(e, txn, EV(DEAD_LETTER), c, peer, reason);
    if (c)
        gridlink__v1__case__free_unpacked(c, NULL);
    return rc;
}

static int apply_payload(gl_engine_t *e, MDB_txn *txn, const char *peer, bool from_child, Gridlink__V1__Envelope *env,
                         char *why, size_t whylen)
{
    switch (env->body_case) {
    case GRIDLINK__V1__ENVELOPE__BODY_TRANSFER:
        if (from_child)
            return on_transfer(e, txn, peer, env->transfer, why, whylen);
        break;
    case GRIDLINK__V1__ENVELOPE__BODY_STATUS: return on_status(e, txn, peer, from_child, env->status, why, whylen);
    case GRIDLINK__V1__ENVELOPE__BODY_REQUEST: return on_request(e, txn, peer, env->request, why, whylen);
    case GRIDLINK__V1__ENVELOPE__BODY_FILE_CHUNK: return files_on_chunk(e, txn, peer, env->file_chunk, why, whylen);
    case GRIDLINK__V1__ENVELOPE__BODY_SURVEY_TALLY:
        if (from_child)
            return surveys_on_tally(e, txn, peer, env->survey_tally, why, whylen);
        break;
    default: break;
    }
    snprintf(why, whylen, "a %s does not send that message", from_child ? "child" : "parent");
    return GL_EPROTO;
}

int gl_engine_last_refusal(const gl_engine_t *e)
{
    return e->last_refusal;
}

int gl_engine_frame(gl_engine_t *e, MDB_txn *txn, int child, const uint8_t *buf, size_t len, int64_t now)
{
    e->now = now;
    e->last_refusal = 0;
    bool from_child = child >= 0;
    gl_link_t *l = from_child ? e->children[child].link : e->uplink;
    const char *peer = from_child ? e->children[child].topo->id : e->parent->id;
    char err[256];
    Gridlink__V1__Envelope *env;
    int rc = gl_decode_envelope(buf, len, &env, err, sizeof err);
    if (rc != 0) {
        e->counts.malformed++;
        uint64_t seq;
        char sender[GL_NODE_ID_MAX + 1];
        if (gl_envelope_peek(buf, len, &seq, sender, sizeof sender) == 0 && seq != 0 && strcmp(sender, peer) == 0 &&
            seq == gl_link_expected(l)) {
            refuse_seq(e, l, seq, buf, len, GL_EPROTO, err);
            return GL_OK;
        }
        e->last_refusal = GL_EPROTO;
        gl_warn("node %s: undecodable frame of %zu bytes from %s: %s", e->id, len, peer, err);
        return GL_OK;
    }
    if (strcmp(env->sender, peer) != 0) {
        char why[300];
        snprintf(why, sizeof why, "sender '%.100s' is not the authenticated peer '%.100s'", env->sender, peer);
        e->counts.spoofed++;
        if (env->seq != 0 && env->seq == gl_link_expected(l))
            refuse_seq(e, l, env->seq, buf, len, GL_EPERM, why);
        else
            gl_warn("node %s: frame from %s refused: %s", e->id, peer, why);
        e->last_refusal = GL_EPERM;
        gridlink__v1__envelope__free_unpacked(env, NULL);
        return GL_OK;
    }
    uint64_t mismatched = gl_link_get_stats(l)->proto_mismatch;
    rc = gl_link_receive(l, txn, env, now);
    e->counts.proto_mismatch += gl_link_get_stats(l)->proto_mismatch - mismatched;
    if (rc == GL_LINK_APPLY) {
        char why[400] = "";
        /* Every payload handler checks before it writes, so a refusal
         * leaves nothing behind but what it counts on purpose. */
        rc = apply_payload(e, txn, peer, from_child, env, why, sizeof why);
        if (eng_is_refusal(rc)) {
            refuse_seq(e, l, env->seq, buf, len, rc, why[0] ? why : gl_strerror(rc));
            rc = GL_OK;
        } else if (rc == 0) {
            rc = gl_link_applied(l, txn, env->seq);
        }
    } else if (rc == GL_LINK_DEAD) {
        rc = log_dead(e, txn, gl_link_peer(l), gl_link_last_dead_case(l), gl_link_last_dead_reason(l));
    } else if (rc == GL_LINK_RESET) {
        e->counts.store_resets++;
        rc = eng_log(e, txn, EV(PEER_RESET), NULL, peer, "came back with a new store");
        if (rc == 0)
            rc = files_peer_reset(e, txn, peer);
        if (rc == 0 && from_child)
            gl_link_set_origin_counter(l, highest_counter_of(e, txn, peer));
    }
    if (rc >= 0 && !from_child && env->body_case == GRIDLINK__V1__ENVELOPE__BODY_WELCOME &&
        env->version == GL_PROTO_VERSION &&
        (env->welcome->proto_version == 0 || env->welcome->proto_version == GL_PROTO_VERSION) &&
        env->welcome->origin_counter > 0) {
        uint64_t counter = 0;
        int r = gl_store_meta_get_u64(txn, e->store, "case_counter", &counter);
        if ((r == 0 || r == GL_ENOENT) && counter < env->welcome->origin_counter) {
            gl_warn("node %s: the parent knows cases up to %llu minted here; case numbering continues after it", e->id,
                    (unsigned long long)env->welcome->origin_counter);
            r = gl_store_meta_put_u64(txn, e->store, "case_counter", env->welcome->origin_counter);
        }
        if (r != 0 && r != GL_ENOENT)
            rc = r;
    }
    gridlink__v1__envelope__free_unpacked(env, NULL);
    return rc < 0 ? rc : GL_OK;
}

int gl_engine_link_changed(gl_engine_t *e, MDB_txn *txn, const char *peer, bool up, int64_t now)
{
    e->now = now;
    int rc = eng_log(e, txn, up ? EV(LINK_UP) : EV(LINK_DOWN), NULL, peer, up ? "up" : "down");
    if (rc == 0 && up && e->parent && strcmp(peer, e->parent->id) == 0)
        rc = clock_pending_flush(e, txn);
    if (rc == 0 && up && e->parent && strcmp(peer, e->parent->id) == 0)
        rc = surveys_parent_up(e, txn);
    return rc;
}
