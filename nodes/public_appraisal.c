/* public_appraisal.c: 群众评议 on residents' door (see public_appraisal.h).
 * Answers are made here and freed by the HTTP server's copy; the
 * CtlRequest made goes into the caller's gl_api_call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraisal.h"
#include "codec.h"
#include "error.h"
#include "policy.h"
#include "public_appraisal.h"
#include "publicity.h"
#include "resident.h"

#define TIER(x) GRIDLINK__V1__TIER__TIER_##x
#define BASE    "/public/v1/appraisal"

bool gl_public_appraisal_owns(const char *path)
{
    size_t n = sizeof BASE - 1;
    return strncmp(path, BASE, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static const char *name_of(int status)
{
    switch (status) {
    case 400: return "bad-request";
    case 404: return "not-found";
    case 409: return "appraised";
    default: return "unavailable";
    }
}

/* ---- the units ---- */

static const Gridlink__V1__Tier tiers[] = {TIER(TOWNSHIP), TIER(COMMUNITY), TIER(DEPARTMENT)};
static const char *const tier_labels[] = {"街道（镇）", "社区（村）", "职能部门"};

static void units(gl_http_req_t *r, const gl_o311_door *d)
{
    const gl_topology_t *t = d->topo;
    gl_period now;
    gl_period_month_of(d->now, gl_pub_offset_min(t), &now);
    json_t *groups = json_array(), *levels = json_array();
    for (unsigned l = 3; l >= 1; l--)
        json_array_append_new(levels, json_pack("{s:i, s:s}", "level", (int)l, "name", gl_appraisal_level_name(l)));
    for (size_t k = 0; k < sizeof tiers / sizeof tiers[0]; k++) {
        json_t *list = json_array();
        for (size_t i = 0; i < t->n_nodes; i++) {
            const gl_node_t *n = &t->nodes[i];
            if (n->tier != tiers[k])
                continue;
            const gl_node_t *up = gl_topology_parent(t, n);
            json_array_append_new(list,
                                  json_pack("{s:s, s:s, s:s, s:s}", "id", n->id, "name", n->name ? n->name : "",
                                            "parent", up ? up->id : "", "parent_name", up && up->name ? up->name : ""));
        }
        json_array_append_new(groups, json_pack("{s:s, s:s, s:o}", "tier", gl_tier_name(tiers[k]), "label",
                                                tier_labels[k], "units", list));
    }
    gl_http_json(
        r, 200,
        json_pack("{s:s, s:s, s:o, s:o}", "district", d->node, "period", now.text, "levels", levels, "tiers", groups));
}

/* ---- an appraisal ---- */

static void appraised(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                      size_t len, int64_t now)
{
    (void)op, (void)node, (void)now;
    Gridlink__V1__CtlReply *rep = gridlink__v1__ctl_reply__unpack(NULL, len, reply);
    if (!rep || rep->code != 0) {
        int status = rep ? gl_resident_status(rep->code) : 503;
        gl_resident_fail(r, status, name_of(status), "%s",
                         rep && rep->error[0] ? rep->error : "the node gave no answer");
        if (rep)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return;
    }
    int idx = -1;
    unsigned level = 0;
    sscanf(gl_http_tag(r), "%d:%u", &idx, &level);
    const gl_node_t *u = idx >= 0 && (size_t)idx < t->n_nodes ? &t->nodes[idx] : NULL;
    const char *ln = gl_appraisal_level_name(level);
    json_t *doc = json_pack("{s:b, s:s, s:s, s:s, s:i, s:s, s:s}", "appraised", 1, "unit", u ? u->id : "", "unit_name",
                            u && u->name ? u->name : "", "period", rep->note, "level", (int)level, "level_name",
                            ln ? ln : "", "message", "感谢您的评议");
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    gl_http_json(r, 201, doc);
}

static void refused(gl_http_req_t *r, int code, const char *message)
{
    int status = gl_resident_status(code);
    gl_resident_fail(r, status, name_of(status), "%s", message && message[0] ? message : gl_strerror(code));
}

static const gl_api_answerer answer = {appraised, refused};

/* 1 when the code (normalised) is a ticket or a receipt of the district,
 * 0 when it is neither, or a store error. */
static int code_known(const gl_o311_door *d, const uint8_t *hash)
{
    MDB_txn *txn;
    int rc = gl_store_begin(d->store, NULL, false, &txn);
    if (rc != 0)
        return rc;
    char month[8], id[GL_NODE_ID_MAX + 24];
    rc = gl_store_ticket_get(txn, d->store, hash, month);
    if (rc == GL_ENOENT)
        rc = gl_store_receipt_get(txn, d->store, hash, id, sizeof id);
    gl_store_abort(txn);
    return rc == 0 ? 1 : rc == GL_ENOENT ? 0 : rc;
}

static int appraise(gl_http_req_t *r, const gl_o311_door *d, gl_api_call *call)
{
    if (gl_resident_over(r, d->now, GL_RC_ANSWERS, gl_resident_limit("GRIDLINK_PUBLIC_APPRAISALS", 60), "appraisals"))
        return 1;
    size_t len;
    const uint8_t *body = gl_http_body(r, &len);
    char why[256];
    gl_appraisal_form f;
    int rc = gl_appraisal_form_parse((const char *)body, len, &f, why, sizeof why);
    if (rc != 0) {
        gl_resident_fail(r, rc == GL_ETOOBIG ? 413 : 400, rc == GL_ETOOBIG ? "too-large" : "bad-request", "%s", why);
        return 1;
    }
    char code[GL_PUBLIC_CODE_LEN + 1];
    const gl_node_t *u = gl_node_id_valid(f.unit) ? gl_topology_find(d->topo, f.unit) : NULL;
    if (!gl_resident_code_norm(f.code, code)) {
        gl_resident_fail(r, 400, "bad-code", "评议码或回执码是%d位字母和数字", GL_PUBLIC_CODE_LEN);
    } else if (!u || !(u->tier == TIER(TOWNSHIP) || u->tier == TIER(COMMUNITY) || u->tier == TIER(DEPARTMENT))) {
        gl_resident_fail(r, 404, "unknown-unit", "没有这个评议对象：%.100s", f.unit);
    } else if (!gl_resident_over(r, d->now, GL_RC_MISSES, gl_resident_limit("GRIDLINK_PUBLIC_MISSES", 60),
                                 "unknown codes")) {
        gl_resident_count(r, d->now, GL_RC_ANSWERS);
        uint8_t hash[GL_RECEIPT_HASH];
        gl_resident_code_hash(code, hash);
        int known = code_known(d, hash);
        if (known == 0)
            gl_resident_count(r, d->now, GL_RC_MISSES);
        if (known != 1) {
            gl_resident_fail(r, known == 0 ? 404 : 503, known == 0 ? "unknown-code" : "unavailable", "%s",
                             known == 0 ? "未找到该评议码或回执码" : "the node's store cannot be read");
        } else {
            Gridlink__V1__CtlRequest *q = malloc(sizeof *q);
            uint8_t *h = malloc(GL_RECEIPT_HASH);
            if (q)
                gridlink__v1__ctl_request__init(q);
            if (q && h) {
                memcpy(h, hash, GL_RECEIPT_HASH);
                q->receipt.data = h;
                q->receipt.len = GL_RECEIPT_HASH;
                h = NULL;
                q->op = strdup("appraise");
                q->node = strdup(d->node);
                q->user = strdup("public");
                q->unit = strdup(u->id);
                q->period = strdup(f.period);
                q->note = strdup(f.comment);
                q->level = f.level;
            }
            free(h);
            if (!q || !q->receipt.data || !q->op || !q->node || !q->user || !q->unit || !q->period || !q->note) {
                if (q)
                    gridlink__v1__ctl_request__free_unpacked(q, NULL);
                gl_resident_fail(r, 503, "unavailable", "out of memory");
            } else {
                snprintf(call->node, sizeof call->node, "%s", d->node);
                snprintf(call->user, sizeof call->user, "public");
                call->req = q;
                call->op = GRIDLINK__V1__OP__OP_APPRAISE;
                call->who.role = GL_ROLE_RESIDENT;
                call->who.user = call->user;
                call->answerer = &answer;
                char tag[32];
                snprintf(tag, sizeof tag, "%d:%u", gl_topology_index_of(d->topo, u->id), f.level);
                gl_http_set_tag(r, tag);
                gl_appraisal_form_free(&f);
                return 0;
            }
        }
    }
    gl_appraisal_form_free(&f);
    return 1;
}

int gl_public_appraisal_route(gl_http_req_t *r, const gl_o311_door *d, gl_api_call *call)
{
    memset(call, 0, sizeof *call);
    const char *path = gl_http_path(r), *method = gl_http_method(r);
    const char *rest = path + sizeof BASE - 1;
    const gl_node_t *in = d->node ? gl_topology_find(d->topo, d->node) : NULL;
    if (!in || !d->store || in->tier != TIER(DISTRICT)) {
        gl_resident_fail(
            r, 404, "not-found",
            "群众评议由区里的服务受理，请在区里的网址评议 (appraisals are taken by the district's process)");
        return 1;
    }
    if (strcmp(rest, "/units") == 0) {
        if (strcmp(method, "GET") != 0)
            gl_resident_fail(r, 405, "method-not-allowed", "the units are read with GET");
        else
            units(r, d);
        return 1;
    }
    if (rest[0] && strcmp(rest, "/") != 0) {
        gl_resident_fail(r, 404, "not-found", "no such resource: %.200s", path);
        return 1;
    }
    if (strcmp(method, "POST") != 0) {
        gl_resident_fail(r, 405, "method-not-allowed", "an appraisal is sent with POST");
        return 1;
    }
    return appraise(r, d, call);
}
