/* open311_form.c: an Open311 POST body read into a request operation (see
 * open311_form.h). Every length is bounded before anything is copied. */
#include "open311_form.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "error.h"
#include "service_attrs.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The decoded copy of s[0..n), or NULL (*bad says why) */
static char *decode(const char *s, size_t n, size_t max, const char **bad)
{
    if (n > 3 * max) {
        *bad = "too long";
        return NULL;
    }
    char *out = malloc(n + 1);
    if (!out) {
        *bad = "out of memory";
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                *bad = "a malformed %-escape";
                return NULL;
            }
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == 0) {
            free(out);
            *bad = "a NUL byte";
            return NULL;
        }
        out[k++] = c;
    }
    out[k] = 0;
    if (k > max) {
        free(out);
        *bad = "too long";
        return NULL;
    }
    if (!gl_utf8_valid(out, k)) {
        free(out);
        *bad = "not UTF-8";
        return NULL;
    }
    return out;
}

void gl_open311_form_free(gl_o311_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->keys[i]);
        free(f->values[i]);
    }
    free(f->keys);
    free(f->values);
    memset(f, 0, sizeof *f);
}

int gl_open311_form_parse(const char *body, size_t len, gl_o311_form *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    out->keys = calloc(GL_O311_FORM_PAIRS, sizeof *out->keys);
    out->values = calloc(GL_O311_FORM_PAIRS, sizeof *out->values);
    if (!out->keys || !out->values) {
        gl_open311_form_free(out);
        return GL_ENOMEM;
    }
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            if (out->n == GL_O311_FORM_PAIRS) {
                gl_errf(why, whylen, "a form of more than %d fields", GL_O311_FORM_PAIRS);
                gl_open311_form_free(out);
                return GL_EINVAL;
            }
            size_t eq = i;
            while (eq < end && body[eq] != '=')
                eq++;
            const char *bad = NULL;
            char *k = decode(body + i, eq - i, GL_O311_KEY_MAX, &bad);
            char *v = k ? decode(body + eq + (eq < end), end - eq - (eq < end), GL_O311_VALUE_MAX, &bad) : NULL;
            if (!k || !v) {
                gl_errf(why, whylen, "form field %.40s%s: %s", k ? k : "", k ? "" : "(its name)", bad);
                free(k);
                free(v);
                gl_open311_form_free(out);
                return bad && strcmp(bad, "out of memory") == 0 ? GL_ENOMEM : GL_EINVAL;
            }
            out->keys[out->n] = k;
            out->values[out->n++] = v;
        }
        i = end + 1;
    }
    return GL_OK;
}

const char *gl_open311_form_get(const gl_o311_form *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->keys[i], key) == 0)
            return f->values[i];
    return NULL;
}

const gl_category_t *gl_open311_service(const gl_catalogue_t *cat, const char *code)
{
    const gl_category_t *c = code ? gl_category_find(cat, code) : NULL;
    return c && (c->kind || c->n_subs == 0) ? c : NULL;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int set(char **field, const char *v)
{
    char *s = strdup(v ? v : "");
    if (!s)
        return GL_ENOMEM;
    *field = s;
    return GL_OK;
}

static bool number(const char *s, double lo, double hi, double *out)
{
    if (!s || !s[0] || strlen(s) > 32 || strspn(s, "+-.0123456789eE") != strlen(s))
        return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno || !isfinite(d) || d < lo || d > hi)
        return false;
    *out = d;
    return true;
}

/* attribute[code] or attribute[code][]: the code into code; multi says which. */
static bool attribute_key(const char *k, char code[65], bool *multi)
{
    if (strncmp(k, "attribute[", 10) != 0)
        return false;
    const char *p = k + 10, *close = strchr(p, ']');
    if (!close || close == p || close - p > 64)
        return false;
    memcpy(code, p, (size_t)(close - p));
    code[close - p] = 0;
    *multi = strcmp(close, "][]") == 0;
    return *multi || close[1] == 0;
}

static Gridlink__V1__CaseAttribute *answer_of(Gridlink__V1__CtlRequest *q, const char *code)
{
    for (size_t i = 0; i < q->n_attributes; i++)
        if (strcmp(q->attributes[i]->code, code) == 0)
            return q->attributes[i];
    if (q->n_attributes == GL_MAX_CASE_ATTRIBUTES)
        return NULL;
    Gridlink__V1__CaseAttribute *a = malloc(sizeof *a);
    if (!a)
        return NULL;
    gridlink__v1__case_attribute__init(a);
    if (set(&a->code, code) != 0) {
        free(a);
        return NULL;
    }
    q->attributes[q->n_attributes++] = a;
    return a;
}

static int add_value(Gridlink__V1__CaseAttribute *a, const char *v)
{
    if (a->n_values == GL_MAX_ATTRIBUTE_VALUES || strlen(v) > GL_MAX_ATTRIBUTE_VALUE)
        return GL_EINVAL;
    char **vals = realloc(a->values, (a->n_values + 1) * sizeof *vals);
    if (!vals)
        return GL_ENOMEM;
    a->values = vals;
    return set(&a->values[a->n_values++], v) == 0 ? GL_OK : GL_ENOMEM;
}

/* The resident's name as the case shows it: family name first when either
 * part is not ASCII (王 丽 -> 王丽), else "first last"; the phone after it. */
static int reporter_of(const char *first, const char *last, const char *phone, char **out)
{
    bool ascii = true;
    for (const char *p = first; *p; p++)
        ascii = ascii && (unsigned char)*p < 0x80;
    for (const char *p = last; *p; p++)
        ascii = ascii && (unsigned char)*p < 0x80;
    char buf[128];
    if (ascii)
        snprintf(buf, sizeof buf, "%.40s%s%.40s", first, first[0] && last[0] ? " " : "", last);
    else
        snprintf(buf, sizeof buf, "%.40s%.40s", last, first);
    size_t n = strlen(buf);
    if (phone[0])
        snprintf(buf + n, sizeof buf - n, "%s%.40s", n ? " " : "", phone);
    /* a cut in the middle of a character is not kept */
    n = strlen(buf);
    while (n && !gl_utf8_valid(buf, n))
        buf[--n] = 0;
    return set(out, buf);
}

static int fill(const gl_o311_form *f, const gl_catalogue_t *cat, Gridlink__V1__CtlRequest *q, char *why, size_t whylen)
{
#define GET(k) (gl_open311_form_get(f, k) ? gl_open311_form_get(f, k) : "")
    const char *code = gl_open311_form_get(f, "service_code");
    if (!code || !code[0]) {
        gl_errf(why, whylen, "service_code is required");
        return 400;
    }
    const gl_category_t *svc = gl_open311_service(cat, code);
    if (!svc) {
        gl_errf(why, whylen, "no service '%.64s' (GET services for the list)", code);
        return 404;
    }
    const char *lat = gl_open311_form_get(f, "lat"), *lon = gl_open311_form_get(f, "long");
    const char *addr = GET("address_string");
    if (!addr[0])
        addr = GET("address_id");
    if ((lat && lat[0]) || (lon && lon[0])) {
        if (!number(lat, -90, 90, &q->lat) || !number(lon, -180, 180, &q->lon)) {
            gl_errf(why, whylen, "lat and long are decimal degrees (WGS 84), lat -90..90 and long -180..180");
            return 400;
        }
        q->located = true;
    } else if (!addr[0]) {
        gl_errf(why, whylen, "a request needs a location: lat and long, or address_string");
        return 400;
    }
    if (strlen(addr) > 512) {
        gl_errf(why, whylen, "address_string is at most 512 bytes");
        return 400;
    }
    const char *desc = GET("description");
    if (utf8_chars(desc) > GL_O311_DESCRIPTION || strlen(desc) > GL_MAX_TEXT) {
        gl_errf(why, whylen, "description is at most %d characters and %d bytes", GL_O311_DESCRIPTION, GL_MAX_TEXT);
        return 400;
    }
    static const struct {
        const char *key;
        size_t max;
    } contact[] = {{"first_name", 128},
                   {"last_name", 128},
                   {"email", 254},
                   {"phone", 64},
                   {"device_id", 128},
                   {"account_id", 128},
                   {"media_url", GL_MAX_MEDIA_URL}};
    for (size_t i = 0; i < sizeof contact / sizeof contact[0]; i++)
        if (strlen(GET(contact[i].key)) > contact[i].max) {
            gl_errf(why, whylen, "%s is at most %zu bytes", contact[i].key, contact[i].max);
            return 400;
        }
    const char *email = GET("email");
    if (email[0] && (!strchr(email, '@') || strpbrk(email, " \t\r\n<>"))) {
        gl_errf(why, whylen, "email is not an e-mail address");
        return 400;
    }
    const char *media = GET("media_url");
    if (media[0] && strncmp(media, "http://", 7) != 0 && strncmp(media, "https://", 8) != 0) {
        gl_errf(why, whylen, "media_url is an http:// or https:// address");
        return 400;
    }
    if (!(q->attributes = calloc(GL_MAX_CASE_ATTRIBUTES, sizeof *q->attributes)))
        return 500;
    for (size_t i = 0; i < f->n; i++) {
        char acode[65];
        bool multi;
        if (!attribute_key(f->keys[i], acode, &multi)) {
            if (strncmp(f->keys[i], "attribute", 9) == 0) {
                gl_errf(why, whylen, "'%.60s' is not attribute[CODE] or attribute[CODE][]", f->keys[i]);
                return 400;
            }
            continue;
        }
        if (!f->values[i][0])
            continue; /* left empty: not answered */
        Gridlink__V1__CaseAttribute *a = answer_of(q, acode);
        if (!a) {
            gl_errf(why, whylen, "at most %d attributes", GL_MAX_CASE_ATTRIBUTES);
            return 400;
        }
        int rc = add_value(a, f->values[i]);
        if (rc == GL_ENOMEM)
            return 500;
        if (rc) {
            gl_errf(why, whylen, "attribute[%s]: at most %d values of %d bytes", acode, GL_MAX_ATTRIBUTE_VALUES,
                    GL_MAX_ATTRIBUTE_VALUE);
            return 400;
        }
    }
    if (gl_service_attrs_check(svc->attributes, q->attributes, q->n_attributes, why, whylen) != 0)
        return 400;
    char text[GL_O311_DESCRIPTION * 4 + 256];
    snprintf(text, sizeof text, "%s", desc[0] ? desc : svc->display);
    Gridlink__V1__ResidentContact *ct = malloc(sizeof *ct);
    if (!ct)
        return 500;
    gridlink__v1__resident_contact__init(ct);
    q->contact = ct;
    int rc = set(&q->op, "request") || set(&q->category, svc->code) || set(&q->text, text) || set(&q->address, addr) ||
             set(&q->media_url, media) || set(&ct->first_name, GET("first_name")) ||
             set(&ct->last_name, GET("last_name")) || set(&ct->email, email) || set(&ct->phone, GET("phone")) ||
             set(&ct->device_id, GET("device_id")) || set(&ct->account_id, GET("account_id")) ||
             reporter_of(GET("first_name"), GET("last_name"), GET("phone"), &q->reporter);
    q->kind = GRIDLINK__V1__CASE_KIND__KIND_REQUEST;
    return rc ? 500 : 0;
#undef GET
}

int gl_open311_form_request(const gl_o311_form *f, const gl_catalogue_t *cat, Gridlink__V1__CtlRequest **out, char *why,
                            size_t whylen)
{
    *out = NULL;
    Gridlink__V1__CtlRequest *q = malloc(sizeof *q);
    if (!q)
        return 500;
    gridlink__v1__ctl_request__init(q);
    int status = fill(f, cat, q, why, whylen);
    if (status != 0) {
        if (status == 500)
            gl_errf(why, whylen, "out of memory");
        gridlink__v1__ctl_request__free_unpacked(q, NULL);
        return status;
    }
    *out = q;
    return 0;
}
