/* appraisals.c: the engine's operations of 群众评议, at the district only
 * (engine_int.h): appraise (a resident's appraisal of a unit for the
 * current month, by a 回执码 of a request filed here or a 评议码 issued
 * here for that month), appraisal-tickets (K new 评议码 for a month, only
 * their hashes stored; the codes go once in the reply) and appraisals
 * (a tier's league table for a month, quarter, year or week, by
 * common/appraisal.h's rules). The arithmetic is appraisal.c's; the keys
 * store_appraisals.c's. Replies are packed here and freed with the
 * effects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraisal.h"
#include "engine_int.h"
#include "error.h"
#include "publicity.h"
#include "rescode.h"

#define MAX_TICKETS 1000

static bool appraisable(Gridlink__V1__Tier t)
{
    return t == TIER(TOWNSHIP) || t == TIER(COMMUNITY) || t == TIER(DEPARTMENT);
}

static int at_district(gl_engine_t *e, gl_token tok)
{
    if (e->self->tier != TIER(DISTRICT))
        return eng_refuse(e, tok, GL_EINVAL, "appraisals are kept at the district, not at %s", e->id);
    return 1;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int appraisals_op_appraise(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                           gl_op op, gl_token tok)
{
    (void)who, (void)op;
    int rc = at_district(e, tok);
    if (rc != 1)
        return rc;
    const gl_node_t *unit = req->unit[0] ? gl_topology_find(e->topo, req->unit) : NULL;
    if (!unit || !appraisable(unit->tier))
        return eng_refuse(e, tok, GL_ENOENT, "没有这个评议对象：%.255s", req->unit);
    if (req->level < 1 || req->level > 3)
        return eng_refuse(e, tok, GL_EINVAL, "请选择满意（3）、基本满意（2）或不满意（1）");
    if (chars(req->note) > GL_APPRAISAL_COMMENT)
        return eng_refuse(e, tok, GL_EINVAL, "意见建议最多%d个字", GL_APPRAISAL_COMMENT);
    gl_period now;
    gl_period_month_of(e->now, gl_pub_offset_min(e->topo), &now);
    if (req->period[0] && strcmp(req->period, now.text) != 0)
        return eng_refuse(e, tok, GL_EINVAL, "只能评议本月（%s）", now.text);
    if (req->receipt.len != GL_RECEIPT_HASH)
        return eng_refuse(e, tok, GL_EINVAL, "an appraisal needs the hash of its code");
    char month[8], case_id[GL_NODE_ID_MAX + 24];
    bool ticket = false;
    rc = gl_store_ticket_get(txn, e->store, req->receipt.data, month);
    if (rc == 0) {
        if (strcmp(month, now.text) != 0)
            return eng_refuse(e, tok, GL_EINVAL, "该评议码用于%s，不能用于本月（%s）", month, now.text);
        ticket = true;
    } else if (rc == GL_ENOENT) {
        rc = gl_store_receipt_get(txn, e->store, req->receipt.data, case_id, sizeof case_id);
        if (rc == GL_ENOENT)
            return eng_refuse(e, tok, GL_ENOENT, "未找到该评议码或回执码");
    }
    if (rc != 0)
        return rc;
    Gridlink__V1__Appraisal a = GRIDLINK__V1__APPRAISAL__INIT;
    a.unit = unit->id;
    a.period = now.text;
    a.level = req->level;
    a.comment = req->note;
    a.time_ms = e->now;
    a.ticket = ticket;
    rc = gl_store_appraisal_put(txn, e->store, req->receipt.data, &a);
    if (rc == GL_EEXIST)
        return eng_refuse(e, tok, GL_EEXIST, "本月（%s）已用此码评议过%s（%s），每个码每月对同一单位只能评议一次",
                          now.text, unit->name, unit->id);
    if (rc != 0)
        return rc;
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    char note[64];
    snprintf(note, sizeof note, "%s", now.text);
    rep.note = note;
    return eng_reply(e, tok, &rep);
}

int appraisals_op_tickets(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                          gl_op op, gl_token tok)
{
    (void)who, (void)op;
    int rc = at_district(e, tok);
    if (rc != 1)
        return rc;
    gl_period p;
    if (!gl_period_parse(req->period, true, &p))
        return eng_refuse(e, tok, GL_EINVAL, "tickets are for a month, --period YYYY-MM");
    if (req->max < 1 || req->max > MAX_TICKETS)
        return eng_refuse(e, tok, GL_EINVAL, "--count is 1..%d", MAX_TICKETS);
    char **codes = calloc(req->max, sizeof *codes);
    char *buf = malloc((size_t)req->max * (GL_PUBLIC_CODE_LEN + 1));
    if (!codes || !buf) {
        free(codes);
        free(buf);
        return GL_ENOMEM;
    }
    for (uint32_t i = 0; i < req->max && rc == 1; i++) {
        codes[i] = buf + (size_t)i * (GL_PUBLIC_CODE_LEN + 1);
        for (int tries = 0; tries < 4; tries++) { /* 60 bits: a clash is all but impossible */
            uint8_t hash[GL_RECEIPT_HASH];
            gl_resident_code_make(codes[i]);
            gl_resident_code_hash(codes[i], hash);
            char id[8];
            int have = gl_store_receipt_get(txn, e->store, hash, id, sizeof id);
            int put = have == GL_ENOENT ? gl_store_ticket_put(txn, e->store, hash, p.text) : GL_EEXIST;
            if (put == 0)
                break;
            if (put != GL_EEXIST || tries == 3)
                rc = put;
        }
    }
    if (rc == 1) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.codes = codes;
        rep.n_codes = req->max;
        rep.note = p.text;
        rc = eng_reply(e, tok, &rep);
    }
    free(codes);
    free(buf);
    return rc;
}

/* ---- the table ---- */

struct tally {
    const gl_topology_t *t;
    bool window; /* a week: only appraisals given in [from, to) */
    int64_t from, to;
    int *row_of; /* topology index -> row, -1 when not of the tier */
    gl_appraisal_row *rows;
    uint32_t total;
};

static int count_one(const Gridlink__V1__Appraisal *a, void *arg)
{
    struct tally *y = arg;
    int i = gl_topology_index_of(y->t, a->unit);
    if (i < 0 || y->row_of[i] < 0 || a->level < 1 || a->level > 3)
        return 0; /* another tier's, or a unit no longer in the topology */
    if (y->window && (a->time_ms < y->from || a->time_ms >= y->to))
        return 0;
    y->rows[y->row_of[i]].n[a->level]++;
    y->total++;
    return 0;
}

static uint32_t min_sample(void)
{
    const char *v = getenv("GRIDLINK_APPRAISAL_MIN_SAMPLE");
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : -1;
    return v && *v && !*end && n >= 0 && n <= 1000000 ? (uint32_t)n : GL_APPRAISAL_MIN_SAMPLE;
}

static int reply_table(gl_engine_t *e, gl_token tok, const gl_period *p, Gridlink__V1__Tier tier, const struct tally *y,
                       size_t n, uint32_t min)
{
    size_t n_red, n_black;
    gl_appraisal_rank(y->rows, n, min, &n_red, &n_black);
    Gridlink__V1__AppraisalTable tab = GRIDLINK__V1__APPRAISAL_TABLE__INIT;
    tab.period = (char *)p->text;
    tab.tier = tier;
    tab.formula = GL_APPRAISAL_FORMULA;
    tab.min_sample = min;
    tab.total = y->total;
    Gridlink__V1__AppraisalRow *lines = calloc(n ? n : 1, sizeof *lines);
    Gridlink__V1__AppraisalRow **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    char **red = calloc(n_red ? n_red : 1, sizeof *red), **black = calloc(n_black ? n_black : 1, sizeof *black);
    int rc = GL_ENOMEM;
    if (lines && ptrs && red && black) {
        size_t ranked = 0;
        for (size_t i = 0; i < n; i++) {
            const gl_appraisal_row *r = &y->rows[i];
            const gl_node_t *u = gl_topology_find(e->topo, r->unit);
            Gridlink__V1__AppraisalRow *l = &lines[i];
            gridlink__v1__appraisal_row__init(l);
            l->unit = (char *)r->unit;
            l->name = u ? u->name : (char *)"";
            l->tier = tier;
            l->count = r->count;
            l->dissatisfied = r->n[1];
            l->basically = r->n[2];
            l->satisfied = r->n[3];
            l->satisfaction_rate = round(r->rate * 10000) / 10000;
            l->score = round(r->score * 100) / 100;
            l->rank = r->rank;
            l->ranked = r->ranked;
            ptrs[i] = l;
            ranked += r->ranked;
        }
        for (size_t i = 0; i < n_red; i++)
            red[i] = (char *)y->rows[i].unit;
        for (size_t i = 0; i < n_black; i++)
            black[i] = (char *)y->rows[ranked - 1 - i].unit;
        tab.rows = ptrs;
        tab.n_rows = n;
        tab.red = red;
        tab.n_red = n_red;
        tab.black = black;
        tab.n_black = n_black;
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.appraisals = &tab;
        rc = eng_reply(e, tok, &rep);
    }
    free(lines);
    free(ptrs);
    free(red);
    free(black);
    return rc;
}

int appraisals_op_table(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                        gl_op op, gl_token tok)
{
    (void)who, (void)op;
    int rc = at_district(e, tok);
    if (rc != 1)
        return rc;
    gl_period p;
    if (!req->period[0])
        gl_period_month_of(e->now, gl_pub_offset_min(e->topo), &p);
    else if (!gl_period_parse(req->period, false, &p))
        return eng_refuse(e, tok, GL_EINVAL,
                          "a period is a month YYYY-MM, a quarter YYYY-Qn, a year YYYY or a week YYYY-Www");
    Gridlink__V1__Tier tier = req->tier ? req->tier : TIER(TOWNSHIP);
    if (!appraisable(tier))
        return eng_refuse(e, tok, GL_EINVAL, "a league table is of townships, communities or departments");
    const gl_topology_t *t = e->topo;
    struct tally y = {
        .t = t, .row_of = malloc(t->n_nodes * sizeof(int)), .rows = calloc(t->n_nodes + 1, sizeof *y.rows)};
    if (!y.row_of || !y.rows) {
        free(y.row_of);
        free(y.rows);
        return GL_ENOMEM;
    }
    y.window = p.kind == GL_PERIOD_WEEK;
    gl_period_bounds(&p, gl_pub_offset_min(t), &y.from, &y.to);
    size_t n = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        y.row_of[i] = t->nodes[i].tier == tier ? (int)n : -1;
        if (t->nodes[i].tier == tier)
            y.rows[n++].unit = t->nodes[i].id;
    }
    char month[8];
    rc = 0;
    for (int i = 0; rc == 0 && gl_period_month_text(&p, i, month); i++)
        rc = gl_store_appraisal_foreach(txn, e->store, month, count_one, &y);
    if (rc == 0)
        rc = reply_table(e, tok, &p, tier, &y, n, min_sample());
    free(y.row_of);
    free(y.rows);
    return rc;
}
