/* feed_atom.c: a unit's public feed document (publicity.h) as an Atom feed
 * (RFC 4287), written with libxml2's xmlTextWriter: the feed's id, title,
 * updated, author and links, one entry for the period's figures and one per
 * case and per task, each with id, title, updated, published, summary,
 * category and a link to the public page. Everything written comes from the
 * document; the writer's buffer is freed here, the copy handed out is the
 * caller's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "error.h"
#include "feed.h"

#define ATOM_NS "http://www.w3.org/2005/Atom"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int element(xmlTextWriterPtr w, const char *name, const char *text)
{
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text);
}

static int link_to(xmlTextWriterPtr w, const char *rel, const char *type, const char *href)
{
    if (xmlTextWriterStartElement(w, BAD_CAST "link") < 0 ||
        xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST rel) < 0 ||
        (type && xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST type) < 0) ||
        xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST href) < 0)
        return -1;
    return xmlTextWriterEndElement(w);
}

/* Appends to buf what fits, cut on a UTF-8 character's boundary. */
static void add(char *buf, size_t size, const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(buf);
    if (n + 1 >= size)
        return;
    int w = snprintf(buf + n, size - n, fmt, a, b);
    if (w < 0 || (size_t)w < size - n)
        return;
    size_t end = strlen(buf), lead = end;
    while (lead > n && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead > n) { /* buf[lead - 1] starts the last character: is it whole? */
        unsigned char c = (unsigned char)buf[lead - 1];
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (end - (lead - 1) < len)
            buf[lead - 1] = 0;
    }
}

static void summary_of(const json_t *c, bool task, char *buf, size_t size)
{
    buf[0] = 0;
    add(buf, size, "%s%s", str(c, "kind_label"), "");
    add(buf, size, "；类别：%s · %s", str(c, "group_name"), str(c, "category_name"));
    if (str(c, "place")[0])
        add(buf, size, "；地点：%s%s", str(c, "place"), "");
    add(buf, size, "；受理时间：%s%s", str(c, "created_local"), "");
    add(buf, size, "；结果：%s%s", str(c, "outcome"), "");
    const json_t *it = json_object_get(c, "in_time");
    if (json_is_boolean(it))
        add(buf, size, "（%s，%s）", str(c, "closed_local"), json_is_true(it) ? "按时办结" : "超时办结");
    if (task)
        add(buf, size, "；%s%s",
            json_is_true(json_object_get(c, "on_access_list")) ? "在社区工作准入清单内" : "不在社区工作准入清单内", "");
    const json_t *r = json_object_get(c, "rating");
    if (json_is_object(r))
        add(buf, size, "；回访评价：%s、%s", json_is_true(json_object_get(r, "resolved")) ? "已解决" : "未解决",
            json_is_true(json_object_get(r, "satisfied")) ? "满意" : "不满意");
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(c, "steps"), i, s)
    {
        if (json_object_get(s, "note"))
            add(buf, size, "；%s：%s", str(s, "label"), str(s, "note"));
    }
    if (json_array_size(json_object_get(c, "photos")) > 0)
        add(buf, size, "；附公开照片%s%s", "", "");
}

static int entry(xmlTextWriterPtr w, const char *node, const json_t *c, bool task)
{
    char id[512], title[512], href[512], summary[4096];
    snprintf(id, sizeof id, "tag:gridlink,2026:%s/case/%s", node, str(c, "id"));
    snprintf(title, sizeof title, "%s%s · %s：%s", task ? "任务 " : "", str(c, "group_name"), str(c, "category_name"),
             str(c, "outcome"));
    snprintf(href, sizeof href, "/public/feed.html?node=%s#%s", node, str(c, "id"));
    summary_of(c, task, summary, sizeof summary);
    if (xmlTextWriterStartElement(w, BAD_CAST "entry") < 0 || element(w, "id", id) < 0 ||
        element(w, "title", title) < 0 || element(w, "updated", str(c, "updated")) < 0 ||
        element(w, "published", str(c, "created")) < 0 || link_to(w, "alternate", "text/html", href) < 0)
        return -1;
    if (xmlTextWriterStartElement(w, BAD_CAST "category") < 0 ||
        xmlTextWriterWriteAttribute(w, BAD_CAST "term", BAD_CAST str(c, "category")) < 0 ||
        xmlTextWriterWriteAttribute(w, BAD_CAST "label", BAD_CAST str(c, "category_name")) < 0 ||
        xmlTextWriterEndElement(w) < 0)
        return -1;
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(c, "photos"), i, p)
    {
        snprintf(href, sizeof href, "/public/v1/photo?node=%s&case=%s&sha=%s", node, str(c, "id"),
                 json_string_value(p));
        if (link_to(w, "enclosure", NULL, href) < 0)
            return -1;
    }
    if (element(w, "summary", summary) < 0)
        return -1;
    return xmlTextWriterEndElement(w);
}

static int figures(xmlTextWriterPtr w, const json_t *doc)
{
    const char *node = str(doc, "node");
    const json_t *f = json_object_get(doc, "figures");
    char id[512], title[256], href[512], summary[1024], avg[32] = "—", rate[32] = "—";
    const json_t *a = json_object_get(f, "avg_close_hours"), *r = json_object_get(f, "in_time_rate");
    if (json_is_number(a))
        snprintf(avg, sizeof avg, "%.1f 小时", json_number_value(a));
    if (json_is_number(r))
        snprintf(rate, sizeof rate, "%.1f%%", json_number_value(r) * 100);
    snprintf(id, sizeof id, "tag:gridlink,2026:%s/figures/%s", node, str(doc, "period"));
    snprintf(title, sizeof title, "%s %s 办件情况", str(doc, "name"), str(doc, "period"));
    snprintf(href, sizeof href, "/public/feed.html?node=%s&month=%s", node, str(doc, "period"));
    snprintf(summary, sizeof summary,
             "受理 %lld 件，办结 %lld 件，按时办结 %lld 件（按时办结率 %s），平均办结用时 %s；回访评价 %lld 件，"
             "其中已解决 %lld 件、满意 %lld 件；因不在社区工作准入清单而未接收的任务 %lld 件",
             (long long)json_integer_value(json_object_get(f, "taken")),
             (long long)json_integer_value(json_object_get(f, "closed")),
             (long long)json_integer_value(json_object_get(f, "closed_in_time")), rate, avg,
             (long long)json_integer_value(json_object_get(f, "rated")),
             (long long)json_integer_value(json_object_get(f, "resolved")),
             (long long)json_integer_value(json_object_get(f, "satisfied")),
             (long long)json_integer_value(json_object_get(json_object_get(doc, "tasks"), "refused")));
    if (xmlTextWriterStartElement(w, BAD_CAST "entry") < 0 || element(w, "id", id) < 0 ||
        element(w, "title", title) < 0 || element(w, "updated", str(doc, "updated")) < 0 ||
        link_to(w, "alternate", "text/html", href) < 0 || element(w, "summary", summary) < 0)
        return -1;
    return xmlTextWriterEndElement(w);
}

static int write_feed(xmlTextWriterPtr w, const json_t *doc)
{
    const char *node = str(doc, "node");
    char id[256], title[256], self[512], page[512];
    snprintf(id, sizeof id, "tag:gridlink,2026:%s/feed", node);
    snprintf(title, sizeof title, "%s 村务公开", str(doc, "name"));
    snprintf(self, sizeof self, "/public/v1/feed.atom?node=%s&month=%s", node, str(doc, "period"));
    snprintf(page, sizeof page, "/public/feed.html?node=%s", node);
    if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
        xmlTextWriterStartElementNS(w, NULL, BAD_CAST "feed", BAD_CAST ATOM_NS) < 0 ||
        xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST "zh-CN") < 0 || element(w, "id", id) < 0 ||
        element(w, "title", title) < 0 || element(w, "updated", str(doc, "updated")) < 0)
        return -1;
    if (xmlTextWriterStartElement(w, BAD_CAST "author") < 0 || element(w, "name", str(doc, "name")) < 0 ||
        xmlTextWriterEndElement(w) < 0 || link_to(w, "self", "application/atom+xml", self) < 0 ||
        link_to(w, "alternate", "text/html", page) < 0 || figures(w, doc) < 0)
        return -1;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        if (entry(w, node, c, false) < 0)
            return -1;
    }
    json_array_foreach(json_object_get(json_object_get(doc, "tasks"), "taken"), i, c)
    {
        if (entry(w, node, c, true) < 0)
            return -1;
    }
    if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndDocument(w) < 0)
        return -1;
    return 0;
}

int gl_feed_atom(const json_t *doc, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!json_is_object(doc))
        return GL_EINVAL;
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (!w) {
        if (buf)
            xmlBufferFree(buf);
        return GL_ENOMEM;
    }
    xmlTextWriterSetIndent(w, 1);
    int rc = write_feed(w, doc);
    xmlFreeTextWriter(w); /* flushes into buf */
    if (rc == 0) {
        size_t n = (size_t)xmlBufferLength(buf);
        *out = malloc(n + 1);
        if (*out) {
            memcpy(*out, xmlBufferContent(buf), n);
            (*out)[n] = 0;
            *len = n;
        }
    }
    xmlBufferFree(buf);
    if (rc != 0)
        return GL_EINVAL;
    return *out ? GL_OK : GL_ENOMEM;
}
