/* surveys.c: the engine's needs surveys (需求调查, survey.h): a unit
 * (district, township, community) publishes a survey, issues survey codes
 * (调查码), takes residents' answers one per code, closes it, and turns a
 * need into a task (the dispatch of ops.c). Every change of a survey
 * climbs to the parent as a SurveyTally; each ancestor keeps the newest
 * (highest version) and passes it on, so the district lists its
 * subtree's surveys with their counts. When the parent's link comes up,
 * the unit's own surveys go again (a parent that lost them, or holds a
 * restored store's, gets them; one that has them ignores them). Answers
 * stay at the unit.
 *
 * Surveys read from the store are freed here; the codes a tickets reply
 * carries exist only in that reply (the store keeps their hashes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "codec.h"
#include "engine_int.h"
#include "error.h"
#include "log.h"
#include "rescode.h"
#include "survey.h"

#define CODE_LEN GL_PUBLIC_CODE_LEN

static bool unit_tier(const gl_engine_t *e)
{
    return e->self->tier == TIER(DISTRICT) || e->self->tier == TIER(TOWNSHIP) || e->self->tier == TIER(COMMUNITY);
}

static int reply_survey(gl_engine_t *e, gl_token tok, gl_survey *s, char **codes, size_t n_codes,
                        gl_survey_answer **answers, size_t n_answers)
{
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    rep.surveys = &s;
    rep.n_surveys = 1;
    rep.codes = codes;
    rep.n_codes = n_codes;
    rep.answers = answers;
    rep.n_answers = n_answers;
    return eng_reply(e, tok, &rep);
}

/* The new version of s goes to the parent (the district keeps it). */
static int send_up(gl_engine_t *e, MDB_txn *txn, gl_survey *s)
{
    if (!e->uplink)
        return GL_OK;
    Gridlink__V1__SurveyTally t = GRIDLINK__V1__SURVEY_TALLY__INIT;
    t.survey = s;
    Gridlink__V1__Envelope env = GRIDLINK__V1__ENVELOPE__INIT;
    env.body_case = GRIDLINK__V1__ENVELOPE__BODY_SURVEY_TALLY;
    env.survey_tally = &t;
    return gl_link_enqueue(e->uplink, txn, &env);
}

/* Store the changed survey (version + 1, this store's identity) and send it up. */
static int save(gl_engine_t *e, MDB_txn *txn, gl_survey *s)
{
    s->version++;
    if (s->store.len != GL_STORE_ID_BYTES || memcmp(s->store.data, gl_store_id(e->store), GL_STORE_ID_BYTES) != 0) {
        uint8_t *id = malloc(GL_STORE_ID_BYTES);
        if (!id)
            return GL_ENOMEM;
        memcpy(id, gl_store_id(e->store), GL_STORE_ID_BYTES);
        free(s->store.data);
        s->store.data = id;
        s->store.len = GL_STORE_ID_BYTES;
    }
    int rc = gl_store_survey_put(txn, e->store, s);
    return rc == 0 ? send_up(e, txn, s) : rc;
}

/* This unit's own survey of req->survey_id: 1 with *out, else answered. */
static int own(gl_engine_t *e, MDB_txn *txn, gl_token tok, const Gridlink__V1__CtlRequest *req, gl_survey **out)
{
    *out = NULL;
    int rc = gl_store_survey_get(txn, e->store, req->survey_id, out);
    if (rc == GL_ENOENT || (rc == 0 && strcmp((*out)->unit, e->id) != 0)) {
        if (*out)
            gridlink__v1__survey__free_unpacked(*out, NULL);
        *out = NULL;
        return eng_refuse(e, tok, GL_ENOENT, "no survey %s of %s (没有该调查)", req->survey_id, e->id);
    }
    return rc == 0 ? 1 : rc;
}

static int publish(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                   gl_token tok)
{
    if (!unit_tier(e))
        return eng_refuse(e, tok, GL_EPERM,
                          "surveys are published by the district, a township or a community; %s is a %s", e->id,
                          gl_tier_name(e->self->tier));
    char why[512];
    if (!req->survey)
        return eng_refuse(e, tok, GL_EINVAL, "survey-publish needs the survey's definition");
    if (gl_survey_check(req->survey, false, why, sizeof why) != 0)
        return eng_refuse(e, tok, GL_EINVAL, "%s", why);
    if (req->survey->closes_ms && req->survey->closes_ms <= e->now)
        return eng_refuse(e, tok, GL_EINVAL, "the survey closes in the past (截止时间已过)");
    uint64_t counter = 0;
    int rc = gl_store_meta_get_u64(txn, e->store, "survey_counter", &counter);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    if ((rc = gl_store_meta_put_u64(txn, e->store, "survey_counter", ++counter)) != 0)
        return rc;
    uint8_t *buf;
    size_t len;
    if (gl_pack(&req->survey->base, &buf, &len) != 0)
        return GL_ENOMEM;
    gl_survey *s = gridlink__v1__survey__unpack(NULL, len, buf);
    free(buf);
    if (!s)
        return GL_ENOMEM;
    char id[GL_NODE_ID_MAX + 24];
    snprintf(id, sizeof id, "%s-s%llu", e->id, (unsigned long long)counter);
    case_set_str(&s->id, id);
    case_set_str(&s->unit, e->id);
    case_set_str(&s->by, who->user && who->user[0] ? who->user : req->user);
    s->created_ms = e->now;
    s->closed = false;
    s->answers = 0;
    s->tickets = 0;
    s->version = 0;
    for (size_t i = 0; i < s->n_questions; i++) {
        Gridlink__V1__SurveyQuestion *q = s->questions[i];
        if (q->n_counts)
            memset(q->counts, 0, q->n_counts * sizeof *q->counts);
        q->answered = 0;
        q->sum = q->min = q->max = 0;
    }
    rc = save(e, txn, s);
    if (rc == 0)
        rc = reply_survey(e, tok, s, NULL, 0, NULL, 0);
    gridlink__v1__survey__free_unpacked(s, NULL);
    return rc;
}

static int close_survey(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, gl_token tok)
{
    gl_survey *s;
    int rc = own(e, txn, tok, req, &s);
    if (rc != 1)
        return rc;
    rc = GL_OK;
    if (!s->closed) {
        s->closed = true;
        rc = save(e, txn, s);
    }
    if (rc == 0)
        rc = reply_survey(e, tok, s, NULL, 0, NULL, 0);
    gridlink__v1__survey__free_unpacked(s, NULL);
    return rc;
}

static int tickets(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, gl_token tok)
{
    if (req->count == 0 || req->count > GL_SURVEY_MAX_TICKETS)
        return eng_refuse(e, tok, GL_EINVAL, "survey codes are issued 1..%d at a time (--count)",
                          GL_SURVEY_MAX_TICKETS);
    gl_survey *s;
    int rc = own(e, txn, tok, req, &s);
    if (rc != 1)
        return rc;
    if (s->closed) {
        gridlink__v1__survey__free_unpacked(s, NULL);
        return eng_refuse(e, tok, GL_ESTATE, "survey %s is closed (调查已结束)", req->survey_id);
    }
    char **codes = calloc(req->count, sizeof *codes);
    char *block = malloc((size_t)req->count * (CODE_LEN + 1));
    rc = codes && block ? GL_OK : GL_ENOMEM;
    size_t made = 0;
    while (rc == 0 && made < req->count) {
        char *c = block + made * (CODE_LEN + 1);
        gl_resident_code_make(c);
        uint8_t h[GL_RECEIPT_HASH];
        gl_resident_code_hash(c, h);
        rc = gl_store_survey_ticket_put(txn, e->store, s->id, h);
        if (rc == GL_EEXIST) {
            rc = GL_OK; /* drawn twice: draw again */
            continue;
        }
        codes[made++] = c;
    }
    if (rc == 0) {
        s->tickets += req->count;
        rc = save(e, txn, s);
    }
    if (rc == 0)
        rc = reply_survey(e, tok, s, codes, made, NULL, 0);
    if (block)
        sodium_memzero(block, (size_t)req->count * (CODE_LEN + 1));
    free(block);
    free(codes);
    gridlink__v1__survey__free_unpacked(s, NULL);
    return rc;
}

static int answer(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, gl_token tok)
{
    if (req->receipt.len != GL_RECEIPT_HASH || !req->answer)
        return eng_refuse(e, tok, GL_EINVAL, "an answer carries the code's %d-byte hash and the answers",
                          GL_RECEIPT_HASH);
    gl_survey *s;
    int rc = own(e, txn, tok, req, &s);
    if (rc != 1)
        return rc;
    char why[512] = "";
    int code = 0;
    if (!gl_survey_open(s, e->now)) {
        code = GL_ESTATE;
        snprintf(why, sizeof why, "该调查已结束 (survey %s is closed)", s->id);
    } else if (!req->by_receipt && (rc = gl_store_survey_ticket_has(txn, e->store, s->id, req->receipt.data)) != 1) {
        code = rc < 0 ? rc : GL_ENOENT;
        snprintf(why, sizeof why, "未找到该调查码或回执码 (no such code for this survey)");
    } else if ((rc = gl_store_survey_answered(txn, e->store, s->id, req->receipt.data)) != 0) {
        code = rc < 0 ? rc : GL_EEXIST;
        snprintf(why, sizeof why, "此码已参与过本次调查，每个码只能回答一次 (this code has answered already)");
    } else if (gl_survey_answer_check(req->answer, s, why, sizeof why) != 0) {
        code = GL_EINVAL;
    }
    if (code) {
        gridlink__v1__survey__free_unpacked(s, NULL);
        return code == GL_ENOENT || code == GL_EEXIST || code == GL_ESTATE || code == GL_EINVAL
                   ? eng_refuse(e, tok, code, "%s", why)
                   : code;
    }
    Gridlink__V1__SurveyAnswer a = *req->answer;
    a.time_ms = e->now;
    a.via = (char *)(req->by_receipt ? "receipt" : "ticket");
    rc = gl_store_survey_answer_put(txn, e->store, s->id, req->receipt.data, &a);
    if (rc == 0) {
        gl_survey_tally(s, req->answer);
        rc = save(e, txn, s);
    }
    if (rc == 0)
        rc = reply_survey(e, tok, s, NULL, 0, NULL, 0);
    gridlink__v1__survey__free_unpacked(s, NULL);
    return rc;
}

/* ---- a need into a task ---- */

/* A text cut off by its buffer ends at a whole character. */
static void utf8_cut(char *s)
{
    size_t n = strlen(s);
    while (n && !gl_utf8_valid(s, n))
        s[--n] = 0;
}

static int task(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_token tok)
{
    gl_survey *s;
    int rc = own(e, txn, tok, req, &s);
    if (rc != 1)
        return rc;
    const Gridlink__V1__SurveyQuestion *q = NULL;
    for (size_t i = 0; i < s->n_questions && !q; i++)
        if (strcmp(s->questions[i]->id, req->question) == 0)
            q = s->questions[i];
    const char *bad = NULL;
    if (!q)
        bad = "no such question in the survey (--question)";
    else if (req->option < 0 || (req->option > 0 && (size_t)req->option > q->n_options))
        bad = "the option is its number 1..n among the question's options (--option)";
    else if (s->n_tasks >= GL_SURVEY_MAX_TASKS)
        bad = "the survey records no more tasks";
    else if (!req->to[0])
        bad = "a task goes to a node below (--to)";
    if (bad) {
        gridlink__v1__survey__free_unpacked(s, NULL);
        return eng_refuse(e, tok, GL_EINVAL, "%s", bad);
    }
    char text[GL_MAX_TEXT + 1], count[64];
    if (req->option > 0)
        snprintf(count, sizeof count, "%llu 人选择", (unsigned long long)q->counts[req->option - 1]);
    else
        snprintf(count, sizeof count, "%llu 人回答", (unsigned long long)q->answered);
    snprintf(text, sizeof text, "%s%s需求调查「%s」(%s) 问题「%s」%s%s%s：%s，共 %llu 份答卷",
             req->text[0] ? req->text : "", req->text[0] ? "。" : "", s->title, s->id, q->text,
             req->option > 0 ? "选项「" : "", req->option > 0 ? q->options[req->option - 1] : "",
             req->option > 0 ? "」" : "", count, (unsigned long long)s->answers);
    utf8_cut(text);
    Gridlink__V1__CtlRequest d = *req;
    d.text = text;
    d.kind = GRIDLINK__V1__CASE_KIND__KIND_TASK;
    d.n_attachments = 0;
    size_t mark = gl_engine_fx_mark(e);
    rc = ops_dispatch_for_survey(e, txn, who, &d, tok);
    /* The dispatch answered tok: its case goes into the survey's record. */
    size_t n_fx;
    const gl_effect *fx = gl_engine_fx(e, &n_fx);
    for (size_t i = mark; rc == 0 && i < n_fx; i++) {
        if (fx[i].kind != GL_FX_REPLY || fx[i].token != tok)
            continue;
        Gridlink__V1__CtlReply *rep = gridlink__v1__ctl_reply__unpack(NULL, fx[i].len, fx[i].buf);
        if (rep && rep->code == 0 && rep->case_id[0] && gl_case_id_valid(rep->case_id)) {
            char **tasks = realloc(s->tasks, (s->n_tasks + 1) * sizeof *tasks);
            if (tasks) {
                s->tasks = tasks;
                s->tasks[s->n_tasks] = strdup(rep->case_id);
                if (s->tasks[s->n_tasks]) {
                    s->n_tasks++;
                    rc = save(e, txn, s);
                }
            }
        }
        if (rep)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        break;
    }
    gridlink__v1__survey__free_unpacked(s, NULL);
    return rc;
}

/* ---- reads ---- */

struct listing {
    const char *under;
    gl_survey **list;
    size_t n, cap;
};

static int collect(const Gridlink__V1__Survey *sv, void *arg)
{
    struct listing *l = arg;
    if (!gl_topology_in_subtree(l->under, sv->unit))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        gl_survey **p = realloc(l->list, cap * sizeof *p);
        if (!p)
            return GL_ENOMEM;
        l->list = p;
        l->cap = cap;
    }
    uint8_t *buf;
    size_t len;
    if (gl_pack(&sv->base, &buf, &len) != 0)
        return GL_ENOMEM;
    l->list[l->n] = gridlink__v1__survey__unpack(NULL, len, buf);
    free(buf);
    return l->list[l->n++] ? 0 : GL_ENOMEM;
}

static int list(gl_engine_t *e, MDB_txn *txn, gl_token tok)
{
    struct listing l = {.under = e->id};
    int rc = gl_store_survey_foreach(txn, e->store, collect, &l);
    if (rc == 0) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.surveys = l.list;
        rep.n_surveys = l.n;
        rc = eng_reply(e, tok, &rep);
    }
    for (size_t i = 0; i < l.n; i++)
        if (l.list[i])
            gridlink__v1__survey__free_unpacked(l.list[i], NULL);
    free(l.list);
    return rc;
}

struct answers {
    gl_survey_answer **list;
    size_t n, cap;
};

static int collect_answer(const Gridlink__V1__SurveyAnswer *a, void *arg)
{
    struct answers *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        gl_survey_answer **p = realloc(l->list, cap * sizeof *p);
        if (!p)
            return GL_ENOMEM;
        l->list = p;
        l->cap = cap;
    }
    uint8_t *buf;
    size_t len;
    if (gl_pack(&a->base, &buf, &len) != 0)
        return GL_ENOMEM;
    l->list[l->n] = gridlink__v1__survey_answer__unpack(NULL, len, buf);
    free(buf);
    return l->list[l->n++] ? 0 : GL_ENOMEM;
}

static int show(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_token tok)
{
    gl_survey *s = NULL;
    int rc = gl_store_survey_get(txn, e->store, req->survey_id, &s);
    if (rc == GL_ENOENT || (rc == 0 && !gl_topology_in_subtree(e->id, s->unit))) {
        if (s)
            gridlink__v1__survey__free_unpacked(s, NULL);
        return eng_refuse(e, tok, GL_ENOENT, "no survey %s at or below %s", req->survey_id, e->id);
    }
    if (rc != 0)
        return rc;
    /* The answers (texts among them) are the unit's staff's, never a resident's. */
    struct answers l = {0};
    if (strcmp(s->unit, e->id) == 0 && who->role != GL_ROLE_RESIDENT)
        rc = gl_store_survey_answer_foreach(txn, e->store, s->id, collect_answer, &l);
    if (rc == 0)
        rc = reply_survey(e, tok, s, NULL, 0, l.list, l.n);
    for (size_t i = 0; i < l.n; i++)
        if (l.list[i])
            gridlink__v1__survey_answer__free_unpacked(l.list[i], NULL);
    free(l.list);
    gridlink__v1__survey__free_unpacked(s, NULL);
    return rc;
}

int surveys_op(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
               gl_token tok)
{
    switch (op) {
    case OP(SURVEY_PUBLISH): return publish(e, txn, who, req, tok);
    case OP(SURVEY_CLOSE): return close_survey(e, txn, req, tok);
    case OP(SURVEY_TICKETS): return tickets(e, txn, req, tok);
    case OP(SURVEY_ANSWER): return answer(e, txn, req, tok);
    case OP(SURVEY_TASK): return task(e, txn, who, req, tok);
    case OP(SURVEYS): return list(e, txn, tok);
    case OP(SURVEY): return show(e, txn, who, req, tok);
    default: return eng_refuse(e, tok, GL_EINVAL, "not a survey operation");
    }
}

/* ---- tallies from below ---- */

int surveys_on_tally(gl_engine_t *e, MDB_txn *txn, const char *from, const Gridlink__V1__SurveyTally *t, char *why,
                     size_t whylen)
{
    gl_survey *s = t->survey; /* checked by the decoder */
    if (!gl_topology_in_subtree(from, s->unit) || !gl_survey_id_valid(s->id, s->unit)) {
        snprintf(why, whylen, "survey %.100s of %.100s is not of %s's subtree", s->id, s->unit, from);
        e->counts.spoofed++;
        return GL_EPERM;
    }
    gl_survey *old = NULL;
    int rc = gl_store_survey_get(txn, e->store, s->id, &old);
    if (rc != 0 && rc != GL_ENOENT)
        return rc;
    /* Newer: a higher version, or any version of a store that is not the
     * one the copy here came from (the unit's store was restored). */
    bool newer = !old || s->version > old->version || s->store.len != old->store.len ||
                 (s->store.len && memcmp(s->store.data, old->store.data, s->store.len) != 0);
    if (old)
        gridlink__v1__survey__free_unpacked(old, NULL);
    if (!newer)
        return GL_OK; /* an older tally, overtaken */
    rc = gl_store_survey_put(txn, e->store, s);
    return rc == 0 ? send_up(e, txn, s) : rc;
}

static int resend_own(const Gridlink__V1__Survey *sv, void *arg)
{
    struct {
        gl_engine_t *e;
        MDB_txn *txn;
    } *a = arg;
    return strcmp(sv->unit, a->e->id) == 0 ? send_up(a->e, a->txn, (gl_survey *)sv) : 0;
}

int surveys_parent_up(gl_engine_t *e, MDB_txn *txn)
{
    if (!e->uplink)
        return GL_OK;
    struct {
        gl_engine_t *e;
        MDB_txn *txn;
    } a = {e, txn};
    return gl_store_survey_foreach(txn, e->store, resend_own, &a);
}
