/* open311_out.c: Open311's answers (see open311.h). One JSON document is
 * built for every answer; JSON sends it as it is, XML writes it with
 * libxml2's xmlTextWriter: an object's keys become elements, an array's
 * items elements named after it (services > service, service_requests >
 * request, attributes > attribute, values > value, notes > note, errors >
 * error), true and false as such, null as an empty element. The writer's
 * buffer is freed here; the document is taken and released here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlwriter.h>

#include "casejson.h"
#include "error.h"
#include "jsontext.h"
#include "open311.h"

static uint64_t refused;

void o311_count_refusal(void)
{
    refused++;
}

uint64_t gl_open311_refused(void)
{
    return refused;
}

static const char *item_name(const char *list)
{
    static const char *const map[][2] = {{"services", "service"},     {"service_requests", "request"},
                                         {"attributes", "attribute"}, {"values", "value"},
                                         {"notes", "note"},           {"errors", "error"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], list) == 0)
            return map[i][1];
    return "item";
}

/* Text with the control characters XML 1.0 cannot carry as spaces. */
static int write_text(xmlTextWriterPtr w, const char *s)
{
    size_t n = strlen(s);
    char *t = malloc(n + 1);
    if (!t)
        return -1;
    for (size_t i = 0; i <= n; i++)
        t[i] = (unsigned char)s[i] < 0x20 && s[i] && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' ? ' ' : s[i];
    int rc = xmlTextWriterWriteString(w, BAD_CAST t);
    free(t);
    return rc;
}

static int write_value(xmlTextWriterPtr w, const char *name, const json_t *v)
{
    int rc = xmlTextWriterStartElement(w, BAD_CAST name);
    if (rc < 0)
        return rc;
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if ((rc = write_value(w, k, x)) < 0)
                return rc;
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if ((rc = write_value(w, item_name(name), x)) < 0)
                return rc;
        }
        break;
    }
    case JSON_STRING: rc = write_text(w, json_string_value(v)); break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        rc = xmlTextWriterWriteString(w, BAD_CAST num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.10g", json_real_value(v));
        rc = xmlTextWriterWriteString(w, BAD_CAST num);
        break;
    case JSON_TRUE: rc = xmlTextWriterWriteString(w, BAD_CAST "true"); break;
    case JSON_FALSE: rc = xmlTextWriterWriteString(w, BAD_CAST "false"); break;
    default: break;
    }
    if (rc < 0)
        return rc;
    return xmlTextWriterEndElement(w);
}

static void send_xml(gl_http_req_t *r, int status, const json_t *doc, const char *root)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    int rc = w ? xmlTextWriterStartDocument(w, NULL, "utf-8", NULL) : -1;
    if (rc >= 0)
        rc = write_value(w, root, doc);
    if (rc >= 0)
        rc = xmlTextWriterEndDocument(w);
    if (w)
        xmlFreeTextWriter(w); /* flushes into buf */
    if (rc < 0 || !buf)
        gl_http_respond(r, 500, "text/plain; charset=utf-8", "the answer cannot be written\n", 29);
    else
        gl_http_respond(r, status, "text/xml; charset=utf-8", xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
    if (buf)
        xmlBufferFree(buf);
}

void o311_send(gl_http_req_t *r, enum o311_fmt fmt, int status, json_t *doc, const char *root)
{
    if (!doc) {
        gl_http_respond(r, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
        return;
    }
    if (fmt == O311_XML) {
        send_xml(r, status, doc, root);
        json_decref(doc);
        return;
    }
    size_t len = 0;
    char *s = gl_json_text(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10), &len);
    json_decref(doc);
    if (!s) {
        gl_http_respond(r, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
        return;
    }
    gl_http_respond(r, status, "application/json; charset=utf-8", s, len);
    free(s);
}

void o311_error(gl_http_req_t *r, enum o311_fmt fmt, int status, const char *fmt_s, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt_s);
    vsnprintf(why, sizeof why, fmt_s, ap);
    va_end(ap);
    refused++;
    o311_send(r, fmt, status, json_pack("[{s:i, s:s}]", "code", status, "description", why), "errors");
}

const char *o311_time(const gl_topology_t *t, int64_t ms, char *buf, size_t size)
{
    /* The calendar's offset, read again when a reload brings another
     * calendar (the new one is made while the old lives: never the same
     * address). */
    static const gl_calendar_t *seen;
    static int offset_min;
    if (t->calendar != seen) {
        seen = t->calendar;
        json_t *cal = gl_calendar_to_json(t->calendar);
        const char *o = json_string_value(json_object_get(cal, "utc_offset"));
        int h = 8, m = 0;
        if (o && strlen(o) == 6 && sscanf(o + 1, "%2d:%2d", &h, &m) == 2)
            offset_min = (o[0] == '-' ? -1 : 1) * (h * 60 + m);
        else
            offset_min = 8 * 60;
        json_decref(cal);
    }
    time_t s = (time_t)(ms / 1000) + offset_min * 60;
    struct tm tm;
    if (size == 0 || !gmtime_r(&s, &tm)) {
        if (size)
            buf[0] = 0;
        return buf;
    }
    int a = offset_min < 0 ? -offset_min : offset_min;
    size_t k = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    if (k < size)
        snprintf(buf + k, size - k, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
    return buf;
}

void o311_notice(const gl_topology_t *t, const Gridlink__V1__Case *c, char *buf, size_t size)
{
    const gl_node_t *h = gl_topology_find(t, c->holder);
    if (c->unplaced)
        snprintf(buf, size, "已受理，待分拨（%s）", h ? h->name : c->holder);
    else
        snprintf(buf, size, "已受理，由%s办理", h ? h->name : c->holder);
}

/* An engine's refusal of a request whose key was good: the request itself
 * was wrong (a place outside the intake's district, say), 400. */
static int status_of(int code)
{
    switch (code) {
    case GL_EINVAL:
    case GL_EPROTO:
    case GL_EPERM: return 400;
    case GL_ENOENT: return 404;
    default: return 503;
    }
}

static void answer(gl_http_req_t *r, enum o311_fmt fmt, const gl_topology_t *t, const uint8_t *reply, size_t len)
{
    Gridlink__V1__CtlReply *rep = gridlink__v1__ctl_reply__unpack(NULL, len, reply);
    if (!rep || rep->code != 0 || !rep->case_) {
        o311_error(r, fmt, rep ? status_of(rep->code) : 503, "%s",
                   rep && rep->error[0] ? rep->error : "the node gave no answer");
        if (rep)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        return;
    }
    const Gridlink__V1__Case *c = rep->case_;
    char notice[512];
    o311_notice(t, c, notice, sizeof notice);
    const char *account = c->contact && c->contact->account_id[0] ? c->contact->account_id : NULL;
    json_t *doc = json_pack("[{s:s, s:s, s:o}]", "service_request_id", c->id, "service_notice", notice, "account_id",
                            account ? json_string(account) : json_null());
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    o311_send(r, fmt, 200, doc, "service_requests");
}

static void answer_json(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                        size_t len, int64_t now)
{
    (void)op, (void)node, (void)now;
    answer(r, O311_JSON, t, reply, len);
}

static void answer_xml(gl_http_req_t *r, gl_op op, const gl_topology_t *t, const char *node, const uint8_t *reply,
                       size_t len, int64_t now)
{
    (void)op, (void)node, (void)now;
    answer(r, O311_XML, t, reply, len);
}

static void fail_json(gl_http_req_t *r, int code, const char *message)
{
    o311_error(r, O311_JSON, status_of(code), "%s", message && message[0] ? message : gl_strerror(code));
}

static void fail_xml(gl_http_req_t *r, int code, const char *message)
{
    o311_error(r, O311_XML, status_of(code), "%s", message && message[0] ? message : gl_strerror(code));
}

const gl_api_answerer o311_answer_json = {answer_json, fail_json};
const gl_api_answerer o311_answer_xml = {answer_xml, fail_xml};
