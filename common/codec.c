/* codec.c: see codec.h. */
#include "codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "names.h"
#include "facts.h"
#include "survey.h"
#include "topology.h"

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return GL_EPROTO;
}

bool gl_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

size_t gl_utf8_seq_len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    return len && len <= n && gl_utf8_valid(s, len) ? len : 0;
}

static bool text_ok(const char *s, size_t max)
{
    if (!s)
        return true;
    size_t n = strnlen(s, max + 1);
    return n <= max && gl_utf8_valid(s, n);
}

static bool id_ok(const char *s, bool allow_empty)
{
    if (!s || !*s)
        return allow_empty;
    return gl_node_id_valid(s);
}

bool gl_case_id_valid(const char *s)
{
    /* origin node ID, '-', decimal counter */
    if (!s)
        return false;
    const char *dash = strrchr(s, '-');
    if (!dash || dash == s || !dash[1] || strlen(s) > GL_NODE_ID_MAX + 21)
        return false;
    for (const char *p = dash + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    char node[GL_NODE_ID_MAX + 1];
    size_t n = (size_t)(dash - s);
    if (n > GL_NODE_ID_MAX)
        return false;
    memcpy(node, s, n);
    node[n] = 0;
    return gl_node_id_valid(node);
}

int gl_check_case(const Gridlink__V1__Case *c, char *err, size_t errlen)
{
    if (!c)
        return refuse(err, errlen, "case missing");
    if (!gl_case_id_valid(c->id))
        return refuse(err, errlen, "bad case id");
    if (c->state <= GRIDLINK__V1__CASE_STATE__STATE_UNKNOWN || c->state > GRIDLINK__V1__CASE_STATE__STATE_MERGED)
        return refuse(err, errlen, "case %s: unknown state %d", c->id, (int)c->state);
    if (c->resume_state < 0 || c->resume_state > GRIDLINK__V1__CASE_STATE__STATE_MERGED)
        return refuse(err, errlen, "case %s: unknown resume state", c->id);
    if (c->kind < 0 || c->kind > GRIDLINK__V1__CASE_KIND__KIND_TASK)
        return refuse(err, errlen, "case %s: unknown kind", c->id);
    if (c->priority < 0 || c->priority > GRIDLINK__V1__PRIORITY__PRIORITY_EMERGENCY)
        return refuse(err, errlen, "case %s: unknown priority", c->id);
    if (!id_ok(c->holder, false) || !id_ok(c->grid, true) || !id_ok(c->came_from, true) ||
        !id_ok(c->originator, true) || !id_ok(c->assigned_by, true) || !id_ok(c->handed_by, true) ||
        !id_ok(c->community, true))
        return refuse(err, errlen, "case %s: bad node id in holder, grid, originator or a move", c->id);
    if ((c->parent_task && c->parent_task[0] && !gl_case_id_valid(c->parent_task)) ||
        (c->merged_into && c->merged_into[0] && !gl_case_id_valid(c->merged_into)))
        return refuse(err, errlen, "case %s: bad parent task or merged-into ID", c->id);
    if (c->n_children > GL_MAX_TASK_PARTS || c->n_return_counts > 64)
        return refuse(err, errlen, "case %s: too many task parts or return records", c->id);
    for (size_t i = 0; i < c->n_children; i++)
        if (!gl_case_id_valid(c->children[i]))
            return refuse(err, errlen, "case %s: bad task part ID", c->id);
    for (size_t i = 0; i < c->n_return_counts; i++) {
        const Gridlink__V1__ReturnCount *r = c->return_counts[i];
        if (!r || !id_ok(r->from, false) || !id_ok(r->to, false))
            return refuse(err, errlen, "case %s: bad return record", c->id);
    }
    if (c->rating && !id_ok(c->rating->by, true))
        return refuse(err, errlen, "case %s: bad rating", c->id);
    if (!text_ok(c->text, GL_MAX_TEXT) || !text_ok(c->category, 128) || !text_ok(c->address, 512) ||
        !text_ok(c->reporter, 128))
        return refuse(err, errlen, "case %s: text too long or not UTF-8", c->id);
    if (c->n_history > GL_MAX_HISTORY || c->n_attachments > GL_MAX_ATTACHMENTS)
        return refuse(err, errlen, "case %s: too many history entries or attachments", c->id);
    for (size_t i = 0; i < c->n_history; i++) {
        const Gridlink__V1__HistoryEntry *h = c->history[i];
        if (!h || !text_ok(h->action, 64) || !id_ok(h->node, true) || !text_ok(h->note, GL_MAX_TEXT) ||
            !text_ok(h->by, 128) || !id_ok(h->peer, true))
            return refuse(err, errlen, "case %s: bad history entry %zu", c->id, i);
    }
    for (size_t i = 0; i < c->n_attachments; i++)
        if (!gl_sha256_hex_valid(c->attachments[i]))
            return refuse(err, errlen, "case %s: an attachment is not a SHA-256", c->id);
    return GL_OK;
}

bool gl_envelope_is_control(const Gridlink__V1__Envelope *e)
{
    switch (e->body_case) {
    case GRIDLINK__V1__ENVELOPE__BODY_HELLO:
    case GRIDLINK__V1__ENVELOPE__BODY_WELCOME:
    case GRIDLINK__V1__ENVELOPE__BODY_HEARTBEAT:
    case GRIDLINK__V1__ENVELOPE__BODY_REFUSAL:
    case GRIDLINK__V1__ENVELOPE__BODY_ERROR:
    case GRIDLINK__V1__ENVELOPE__BODY__NOT_SET: return true;
    default: return false;
    }
}

const char *gl_envelope_case_id(const Gridlink__V1__Envelope *e)
{
    const Gridlink__V1__Case *c = NULL;
    if (e->body_case == GRIDLINK__V1__ENVELOPE__BODY_TRANSFER && e->transfer)
        c = e->transfer->case_;
    else if (e->body_case == GRIDLINK__V1__ENVELOPE__BODY_STATUS && e->status)
        c = e->status->case_;
    else if (e->body_case == GRIDLINK__V1__ENVELOPE__BODY_REQUEST && e->request)
        return e->request->case_id ? e->request->case_id : "";
    return c && c->id ? c->id : "";
}

int gl_envelope_peek(const uint8_t *buf, size_t len, uint64_t *seq, char *sender, size_t sender_size)
{
    *seq = 0;
    if (sender_size)
        sender[0] = 0;
    if (len == 0 || len > GL_MAX_FRAME)
        return GL_EPROTO;
    Gridlink__V1__Envelope *e = gridlink__v1__envelope__unpack(NULL, len, buf);
    if (!e)
        return GL_EPROTO;
    int rc = GL_EPROTO;
    if (id_ok(e->sender, false) && strlen(e->sender) < sender_size) {
        memcpy(sender, e->sender, strlen(e->sender) + 1);
        *seq = e->version == GL_PROTO_VERSION ? e->seq : 0;
        rc = GL_OK;
    }
    gridlink__v1__envelope__free_unpacked(e, NULL);
    return rc;
}

void gl_frame_digest(const uint8_t *buf, size_t len, uint8_t *out)
{
    crypto_generichash(out, GL_DIGEST_BYTES, buf, len, NULL, 0);
}

int gl_decode_envelope(const uint8_t *buf, size_t len, Gridlink__V1__Envelope **out, char *err, size_t errlen)
{
    *out = NULL;
    if (len == 0 || len > GL_MAX_MESSAGE)
        return refuse(err, errlen, "envelope size %zu out of range", len);
    Gridlink__V1__Envelope *e = gridlink__v1__envelope__unpack(NULL, len, buf);
    if (!e)
        return refuse(err, errlen, "envelope does not decode");
    int rc = GL_OK;
    /* Another version's Hello, Welcome or Error is let through, so that the
     * link can tell the peer why it will not link; anything else of another
     * version is refused here. */
    bool handshake = e->body_case == GRIDLINK__V1__ENVELOPE__BODY_HELLO ||
                     e->body_case == GRIDLINK__V1__ENVELOPE__BODY_WELCOME ||
                     e->body_case == GRIDLINK__V1__ENVELOPE__BODY_ERROR;
    if (e->version != GL_PROTO_VERSION && (!handshake || e->version == 0))
        rc = refuse(err, errlen, "envelope version %u, expected %u", e->version, GL_PROTO_VERSION);
    else if (!id_ok(e->sender, false))
        rc = refuse(err, errlen, "envelope sender is not a node id");
    else {
        switch (e->body_case) {
        case GRIDLINK__V1__ENVELOPE__BODY_TRANSFER:
            if (!e->transfer || !text_ok(e->transfer->reason, 32))
                rc = refuse(err, errlen, "transfer without case");
            else
                rc = gl_check_case(e->transfer->case_, err, errlen);
            break;
        case GRIDLINK__V1__ENVELOPE__BODY_STATUS:
            rc = e->status ? gl_check_case(e->status->case_, err, errlen) : refuse(err, errlen, "status without case");
            break;
        case GRIDLINK__V1__ENVELOPE__BODY_REQUEST: {
            const Gridlink__V1__CaseRequest *q = e->request;
            gl_action a;
            if (!q || !gl_case_id_valid(q->case_id) || !id_ok(q->by, false) || !text_ok(q->note, GL_MAX_TEXT) ||
                !text_ok(q->user, 128) || !gl_action_from(gl_action_name(q->action), &a) || q->amount_ms < 0 ||
                q->reason < 0 || q->reason > GRIDLINK__V1__RETURN_REASON__REASON_OTHER)
                rc = refuse(err, errlen, "bad case request");
            break;
        }
        case GRIDLINK__V1__ENVELOPE__BODY_FILE_CHUNK: {
            const Gridlink__V1__FileChunk *f = e->file_chunk;
            if (!f || f->sha256.len != 32 || f->count == 0 || f->count > GL_MAX_FILE_CHUNKS || f->index >= f->count ||
                f->size == 0 || f->size > GL_MAX_ATTACHMENT || f->data.len == 0 || f->data.len > GL_FILE_CHUNK ||
                (uint64_t)f->count != (f->size + GL_FILE_CHUNK - 1) / GL_FILE_CHUNK ||
                (f->index + 1 < f->count && f->data.len != GL_FILE_CHUNK) ||
                (f->index + 1 == f->count && f->data.len != f->size - (uint64_t)f->index * GL_FILE_CHUNK) ||
                !text_ok(f->content_type, 64) || gl_file_type_refusal(f->content_type, NULL, 0) != NULL)
                rc = refuse(err, errlen, "bad file chunk");
            break;
        }
        case GRIDLINK__V1__ENVELOPE__BODY_SURVEY_TALLY: {
            const Gridlink__V1__SurveyTally *t = e->survey_tally;
            char why[200];
            if (!t || gl_survey_check(t->survey, true, why, sizeof why) != 0)
                rc = refuse(err, errlen, "bad survey tally: %s", t && t->survey ? why : "no survey");
            else if (!gl_survey_id_valid(t->survey->id, t->survey->unit))
                rc = refuse(err, errlen, "bad survey tally: the id is not of its unit");
            break;
        }
        case GRIDLINK__V1__ENVELOPE__BODY_HELLO:
            if (!e->hello || !id_ok(e->hello->node, false) || e->hello->store_id.len > 64)
                rc = refuse(err, errlen, "hello without node or with a bad store id");
            break;
        case GRIDLINK__V1__ENVELOPE__BODY_WELCOME:
            if (!e->welcome || !id_ok(e->welcome->node, false) || e->welcome->store_id.len > 64)
                rc = refuse(err, errlen, "welcome without node or with a bad store id");
            break;
        case GRIDLINK__V1__ENVELOPE__BODY_REFUSAL:
            if (!e->refusal || e->refusal->seq == 0 || e->refusal->digest.len != GL_DIGEST_BYTES ||
                !text_ok(e->refusal->reason, 1024) || e->refusal->code >= 0)
                rc = refuse(err, errlen, "bad refusal");
            break;
        case GRIDLINK__V1__ENVELOPE__BODY_SKIP:
            if (!e->skip || !text_ok(e->skip->reason, 1024))
                rc = refuse(err, errlen, "bad skip");
            break;
        case GRIDLINK__V1__ENVELOPE__BODY_ERROR:
            if (!e->error || !text_ok(e->error->text, 1024))
                rc = refuse(err, errlen, "bad error body");
            break;
        case GRIDLINK__V1__ENVELOPE__BODY_HEARTBEAT:
        case GRIDLINK__V1__ENVELOPE__BODY__NOT_SET: break;
        default: rc = refuse(err, errlen, "unknown body");
        }
        /* The link's own control messages are never numbered; everything
         * else the link carries for its user, and that must be. */
        bool control = gl_envelope_is_control(e);
        if (rc == GL_OK && control == (e->seq != 0))
            rc = refuse(err, errlen, "sequence number %s", control ? "on a link control message" : "missing");
    }
    if (rc != GL_OK) {
        gridlink__v1__envelope__free_unpacked(e, NULL);
        return rc;
    }
    *out = e;
    return GL_OK;
}

static int check_event(const Gridlink__V1__BusEvent *e, char *err, size_t errlen)
{
    if (!e || !id_ok(e->node, false) || e->seq == 0)
        return refuse(err, errlen, "event without node or sequence");
    if (!text_ok(e->kind, 32) || !e->kind[0] || strchr(e->kind, ' ') || !text_ok(e->case_id, 300) ||
        !id_ok(e->holder, true) || !id_ok(e->peer, true) || !text_ok(e->note, GL_MAX_TEXT) ||
        !text_ok(e->category, 128))
        return refuse(err, errlen, "event from %s: bad field", e->node);
    if (e->state < 0 || e->state > GRIDLINK__V1__CASE_STATE__STATE_MERGED)
        return refuse(err, errlen, "event from %s: unknown state %d", e->node, (int)e->state);
    if (e->fact) {
        char why[200];
        if (gl_fact_check(e->fact, GRIDLINK__V1__TIER__TIER_UNKNOWN, why, sizeof why) != 0)
            return refuse(err, errlen, "event from %s: bad fact: %s", e->node, why);
    }
    return GL_OK;
}

int gl_decode_bus_event(const uint8_t *buf, size_t len, Gridlink__V1__BusEvent **out, char *err, size_t errlen)
{
    *out = NULL;
    if (len == 0 || len > GL_MAX_MESSAGE)
        return refuse(err, errlen, "event size %zu out of range", len);
    Gridlink__V1__BusEvent *e = gridlink__v1__bus_event__unpack(NULL, len, buf);
    if (!e)
        return refuse(err, errlen, "event does not decode");
    int rc = check_event(e, err, errlen);
    if (rc != GL_OK) {
        gridlink__v1__bus_event__free_unpacked(e, NULL);
        return rc;
    }
    *out = e;
    return GL_OK;
}

/* What each operation needs: a known op, and for act and show a case ID
 * (act also an action), so no request without them reaches a node. */
/* The survey fields of a request: a definition, an id, an answer. */
static int check_ctl_survey(const Gridlink__V1__CtlRequest *r, gl_op op, char *err, size_t errlen)
{
    char why[200];
    if (r->survey && gl_survey_check(r->survey, false, why, sizeof why) != 0)
        return refuse(err, errlen, "%s", why);
    bool needs_id = op == GRIDLINK__V1__OP__OP_SURVEY || op == GRIDLINK__V1__OP__OP_SURVEY_CLOSE ||
                    op == GRIDLINK__V1__OP__OP_SURVEY_TICKETS || op == GRIDLINK__V1__OP__OP_SURVEY_ANSWER ||
                    op == GRIDLINK__V1__OP__OP_SURVEY_TASK;
    if ((needs_id || r->survey_id[0]) && !gl_survey_id_valid(r->survey_id, NULL))
        return refuse(err, errlen, "'%.200s' is not a survey ID (UNIT-sN)", r->survey_id);
    if (op == GRIDLINK__V1__OP__OP_SURVEY_PUBLISH && !r->survey)
        return refuse(err, errlen, "survey-publish needs the survey's definition");
    if (!text_ok(r->question, GL_SURVEY_QID) || r->count > GL_SURVEY_MAX_TICKETS || r->option < 0 ||
        r->option > GL_SURVEY_MAX_OPTIONS)
        return refuse(err, errlen, "a survey question, option or count is out of range");
    const Gridlink__V1__SurveyAnswer *a = r->answer;
    if (a && (a->n_values > GL_SURVEY_MAX_QUESTIONS || !text_ok(a->via, 16)))
        return refuse(err, errlen, "an answer answers at most %d questions", GL_SURVEY_MAX_QUESTIONS);
    for (size_t i = 0; a && i < a->n_values; i++) {
        const Gridlink__V1__SurveyValue *v = a->values[i];
        if (!text_ok(v->question, GL_SURVEY_QID) || v->n_choices > GL_SURVEY_MAX_OPTIONS ||
            !text_ok(v->text, 4 * GL_SURVEY_ANSWER_TEXT))
            return refuse(err, errlen, "an answer's value is out of range");
    }
    if (op == GRIDLINK__V1__OP__OP_SURVEY_ANSWER && (!a || r->receipt.len != 32))
        return refuse(err, errlen, "survey-answer needs the answers and the code's hash");
    return GL_OK;
}

static int check_ctl_op(const Gridlink__V1__CtlRequest *r, char *err, size_t errlen)
{
    int rc_survey;
    gl_op op;
    if (!gl_op_from(r->op, &op))
        return refuse(err, errlen, "unknown operation '%.32s'", r->op);
    bool needs_case =
        op == GRIDLINK__V1__OP__OP_ACT || op == GRIDLINK__V1__OP__OP_SHOW || op == GRIDLINK__V1__OP__OP_RATE;
    if (needs_case && !r->case_id[0])
        return refuse(err, errlen, "%s needs a case ID", r->op);
    if (needs_case && !gl_case_id_valid(r->case_id))
        return refuse(err, errlen, "'%.300s' is not a case ID", r->case_id);
    if (strcmp(r->op, "act") == 0 && !r->action[0])
        return refuse(err, errlen, "act needs an action");
    bool names_dead = strcmp(r->op, "dead-retry") == 0 || strcmp(r->op, "dead-drop") == 0;
    if (names_dead && (!id_ok(r->peer, false) || r->from_seq == 0))
        return refuse(err, errlen, "%s needs a neighbour (peer) and a sequence number", r->op);
    if (!id_ok(r->peer, true) || !id_ok(r->to, true) || !id_ok(r->under, true) || !id_ok(r->community, true) ||
        !id_ok(r->holder, true) || !id_ok(r->unit, true))
        return refuse(err, errlen, "a node named in the request is not a node id");
    if (r->n_departments > GL_MAX_WHISTLE_DEPARTMENTS)
        return refuse(err, errlen, "a whistle calls at most %d departments", GL_MAX_WHISTLE_DEPARTMENTS);
    for (size_t i = 0; i < r->n_departments; i++)
        if (!id_ok(r->departments[i], false))
            return refuse(err, errlen, "a department named in the request is not a node id");
    if (r->after[0] && !gl_case_id_valid(r->after))
        return refuse(err, errlen, "'%.300s' is not a case ID", r->after);
    if (r->limit > GL_LIST_PAGE_MAX)
        return refuse(err, errlen, "a list page holds at most %d cases", GL_LIST_PAGE_MAX);
    if (r->into[0] && !gl_case_id_valid(r->into))
        return refuse(err, errlen, "'%.300s' is not a case ID", r->into);
    if (r->n_attachments > GL_MAX_ATTACHMENTS)
        return refuse(err, errlen, "a case holds at most %d attachments", GL_MAX_ATTACHMENTS);
    for (size_t i = 0; i < r->n_attachments; i++)
        if (!gl_sha256_hex_valid(r->attachments[i]))
            return refuse(err, errlen, "an attachment is named by its SHA-256 (64 hex digits)");
    if ((r->sha256[0] || op == GRIDLINK__V1__OP__OP_ATTACHMENT) && !gl_sha256_hex_valid(r->sha256))
        return refuse(err, errlen, "a file is named by its SHA-256 (64 hex digits)");
    if (!text_ok(r->period, 16) || r->level > 3)
        return refuse(err, errlen, "an appraisal's period or level is not one");
    if (op == GRIDLINK__V1__OP__OP_FACT_SET) {
        char why[200];
        if (!r->fact)
            return refuse(err, errlen, "fact-set needs the fact");
        if (gl_fact_check(r->fact, GRIDLINK__V1__TIER__TIER_UNKNOWN, why, sizeof why) != 0)
            return refuse(err, errlen, "%s", why);
    }
    if (op == GRIDLINK__V1__OP__OP_FACTS && r->fact && r->fact->name[0] && gl_fact_find(r->fact->name) < 0)
        return refuse(err, errlen, "no fact '%.60s'", r->fact->name);
    if (!text_ok(r->content_type, 64))
        return refuse(err, errlen, "content type too long or not UTF-8");
    if (op == GRIDLINK__V1__OP__OP_ATTACH && r->data.len == 0)
        return refuse(err, errlen, "attach needs the file's bytes");
    if (r->data.len > GL_MAX_ATTACHMENT)
        return refuse(err, errlen, "a file may be at most %u bytes", GL_MAX_ATTACHMENT);
    const Gridlink__V1__ResidentContact *ct = r->contact;
    if (ct && (!text_ok(ct->first_name, 128) || !text_ok(ct->last_name, 128) || !text_ok(ct->email, 254) ||
               !text_ok(ct->phone, 64) || !text_ok(ct->device_id, 128) || !text_ok(ct->account_id, 128) ||
               !text_ok(ct->client, 128)))
        return refuse(err, errlen, "a contact field is too long or not UTF-8");
    if (!text_ok(r->media_url, GL_MAX_MEDIA_URL))
        return refuse(err, errlen, "media_url too long or not UTF-8");
    if (r->n_attributes > GL_MAX_CASE_ATTRIBUTES)
        return refuse(err, errlen, "a case answers at most %d attributes", GL_MAX_CASE_ATTRIBUTES);
    for (size_t i = 0; i < r->n_attributes; i++) {
        const Gridlink__V1__CaseAttribute *a = r->attributes[i];
        if (!text_ok(a->code, 64) || !a->code[0] || a->n_values > GL_MAX_ATTRIBUTE_VALUES)
            return refuse(err, errlen, "an attribute needs a code of at most 64 bytes and %d values at most",
                          GL_MAX_ATTRIBUTE_VALUES);
        for (size_t j = 0; j < a->n_values; j++)
            if (!text_ok(a->values[j], GL_MAX_ATTRIBUTE_VALUE))
                return refuse(err, errlen, "attribute %s: a value too long or not UTF-8", a->code);
    }
    if ((rc_survey = check_ctl_survey(r, op, err, errlen)) != GL_OK)
        return rc_survey;
    if (r->by_ms < 0 || r->sign_within_ms < 0 || r->due_ms < 0 || r->tier < 0 ||
        r->tier > GRIDLINK__V1__TIER__TIER_DEPARTMENT)
        return refuse(err, errlen, "a duration or tier in the request is out of range");
    return GL_OK;
}

int gl_decode_ctl_request(const uint8_t *buf, size_t len, Gridlink__V1__CtlRequest **out, char *err, size_t errlen)
{
    return gl_decode_ctl_request_max(buf, len, GL_MAX_MESSAGE, out, err, errlen);
}

int gl_decode_ctl_request_max(const uint8_t *buf, size_t len, size_t max, Gridlink__V1__CtlRequest **out, char *err,
                              size_t errlen)
{
    *out = NULL;
    if (len > max)
        return refuse(err, errlen, "request too large");
    Gridlink__V1__CtlRequest *r = gridlink__v1__ctl_request__unpack(NULL, len, buf);
    if (!r)
        return refuse(err, errlen, "request does not decode");
    int rc = GL_OK;
    if (!id_ok(r->node, false))
        rc = refuse(err, errlen, "request without a valid node id");
    else if (!text_ok(r->op, 32) || !text_ok(r->case_id, 300) || !text_ok(r->action, 32) ||
             !text_ok(r->note, GL_MAX_TEXT) || !text_ok(r->category, 128) || !text_ok(r->text, GL_MAX_TEXT) ||
             !text_ok(r->address, 512) || !text_ok(r->reporter, 128) || !text_ok(r->into, 300) ||
             !text_ok(r->reason, 32) || !text_ok(r->state, 32) || !text_ok(r->user, 128))
        rc = refuse(err, errlen, "request field too long or not UTF-8");
    else if (r->priority < 0 || r->priority > GRIDLINK__V1__PRIORITY__PRIORITY_EMERGENCY || r->kind < 0 ||
             r->kind > GRIDLINK__V1__CASE_KIND__KIND_WHISTLE)
        rc = refuse(err, errlen, "request has an unknown priority or kind");
    else
        rc = check_ctl_op(r, err, errlen);
    if (rc != GL_OK) {
        gridlink__v1__ctl_request__free_unpacked(r, NULL);
        return rc;
    }
    *out = r;
    return GL_OK;
}

int gl_decode_ctl_reply(const uint8_t *buf, size_t len, Gridlink__V1__CtlReply **out, char *err, size_t errlen)
{
    *out = NULL;
    if (len > GL_MAX_CTL_REPLY)
        return refuse(err, errlen, "reply too large");
    Gridlink__V1__CtlReply *r = gridlink__v1__ctl_reply__unpack(NULL, len, buf);
    if (!r)
        return refuse(err, errlen, "reply does not decode");
    *out = r;
    return GL_OK;
}

int gl_decode_bus_request(const uint8_t *buf, size_t len, Gridlink__V1__BusRequest **out, char *err, size_t errlen)
{
    *out = NULL;
    if (len > GL_BUS_MAX_REQUEST)
        return refuse(err, errlen, "bus request size %zu out of range", len);
    Gridlink__V1__BusRequest *r = gridlink__v1__bus_request__unpack(NULL, len, buf);
    if (!r)
        return refuse(err, errlen, "bus request does not decode");
    int rc = GL_OK;
    if (!text_ok(r->op, 32) || !id_ok(r->node, true) || !id_ok(r->prefix, true))
        rc = refuse(err, errlen, "bus request: bad op, node or prefix");
    else if (strcmp(r->op, "replay") == 0) {
        if (!r->node[0] || r->from_seq == 0 || (r->to_seq != 0 && r->to_seq < r->from_seq))
            rc = refuse(err, errlen, "bus replay request: needs a node and a range 1 <= from <= to");
    } else if (strcmp(r->op, "snapshot") != 0 && strcmp(r->op, "subscribe") != 0) {
        rc = refuse(err, errlen, "bus request: unknown op '%.32s'", r->op);
    }
    if (rc != GL_OK) {
        gridlink__v1__bus_request__free_unpacked(r, NULL);
        return rc;
    }
    *out = r;
    return GL_OK;
}

int gl_decode_bus_reply(const uint8_t *buf, size_t len, Gridlink__V1__BusReply **out, char *err, size_t errlen)
{
    *out = NULL;
    if (len > GL_BUS_MAX_REPLY)
        return refuse(err, errlen, "bus reply size %zu out of range", len);
    Gridlink__V1__BusReply *r = gridlink__v1__bus_reply__unpack(NULL, len, buf);
    if (!r)
        return refuse(err, errlen, "bus reply does not decode");
    int rc = GL_OK;
    if (!text_ok(r->op, 32) || !r->op[0] || !id_ok(r->node, true) || !text_ok(r->error, 1024))
        rc = refuse(err, errlen, "bus reply: bad op, node or error text");
    else if (r->n_events > 4 * GL_BUS_CHUNK || r->n_marks > GL_BUS_MAX_MARKS)
        rc = refuse(err, errlen, "bus reply: %zu events and %zu marks, too many", r->n_events, r->n_marks);
    else if (r->code > 0)
        rc = refuse(err, errlen, "bus reply: code %d is not 0 or a gl_err", (int)r->code);
    for (size_t i = 0; rc == GL_OK && i < r->n_events; i++) {
        const Gridlink__V1__BusEvent *e = r->events[i];
        rc = check_event(e, err, errlen);
        if (rc == GL_OK && r->node[0] && strcmp(e->node, r->node) != 0)
            rc = refuse(err, errlen, "bus reply for %s carries an event of %s", r->node, e->node);
        if (rc == GL_OK && r->node[0] && i > 0 && e->seq <= r->events[i - 1]->seq)
            rc = refuse(err, errlen, "bus reply for %s: sequence %llu out of order", r->node,
                        (unsigned long long)e->seq);
    }
    if (rc == GL_OK && r->n_events > 0 && r->pruned_through >= r->events[0]->seq)
        rc = refuse(err, errlen, "bus reply for %s: events at or below its pruned_through %llu", r->node,
                    (unsigned long long)r->pruned_through);
    for (size_t i = 0; rc == GL_OK && i < r->n_marks; i++)
        if (!r->marks[i] || !id_ok(r->marks[i]->node, false))
            rc = refuse(err, errlen, "bus reply: mark %zu names no node", i);
    if (rc != GL_OK) {
        gridlink__v1__bus_reply__free_unpacked(r, NULL);
        return rc;
    }
    *out = r;
    return GL_OK;
}

int gl_bus_hwm(void)
{
    const char *v = getenv("GRIDLINK_BUS_HWM");
    if (v && *v) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end == 0 && n >= 1 && n <= 10000000)
            return (int)n;
    }
    return GL_BUS_DEFAULT_HWM;
}

int gl_pack(const ProtobufCMessage *msg, uint8_t **buf, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return GL_ENOMEM;
    protobuf_c_message_pack(msg, b);
    *buf = b;
    *len = n;
    return GL_OK;
}

bool gl_sha256_hex_valid(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

bool gl_sha256_from_hex(const char *s, uint8_t out[32])
{
    if (!gl_sha256_hex_valid(s))
        return false;
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
    return true;
}

void gl_sha256_to_hex(const uint8_t in[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[64] = 0;
}

/* The photo types a case may carry, each with the bytes its files start with. */
static const struct {
    const char *type;
    const char *magic;
    size_t at, len;
} file_types[] = {
    {"image/jpeg", "\xff\xd8\xff", 0, 3},
    {"image/png", "\x89PNG\r\n\x1a\n", 0, 8},
    {"image/gif", "GIF8", 0, 4},
    {"image/webp", "WEBP", 8, 4},
};

const char *gl_file_type_refusal(const char *content_type, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < sizeof file_types / sizeof file_types[0]; i++) {
        if (!content_type || strcmp(content_type, file_types[i].type) != 0)
            continue;
        if (!data)
            return NULL;
        size_t end = file_types[i].at + file_types[i].len;
        if (len < end || memcmp(data + file_types[i].at, file_types[i].magic, file_types[i].len) != 0)
            return "the file's bytes are not of the type it claims";
        if (strcmp(content_type, "image/webp") == 0 && memcmp(data, "RIFF", 4) != 0)
            return "the file's bytes are not of the type it claims";
        return NULL;
    }
    return "only photos may be attached (image/jpeg, image/png, image/webp, image/gif)";
}
