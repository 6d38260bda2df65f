/* resident.c: codes, per-address counts and counted refusals for the
 * residents' pages (see resident.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "resident.h"

#define HOUR_MS (3600LL * 1000)

static uint64_t refused;

uint64_t gl_resident_refused(void)
{
    return refused;
}

int gl_resident_status(int code)
{
    switch (code) {
    case GL_EINVAL:
    case GL_EPROTO:
    case GL_EPERM: return 400;
    case GL_ENOENT: return 404;
    case GL_ESTATE:
    case GL_EEXIST: return 409;
    default: return 503;
    }
}

void gl_resident_fail(gl_http_req_t *r, int status, const char *code, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    refused++;
    gl_http_error(r, status, code, "%s", why);
}

/* ---- per-address counts ---- */

struct slot {
    char addr[48];
    int64_t since; /* the window's start */
    uint32_t count[GL_RC_KINDS];
};
static struct slot slots[GL_PUBLIC_ADDRS];

uint32_t gl_resident_limit(const char *env, uint32_t def)
{
    const char *v = getenv(env);
    char *end;
    long n = v && v[0] ? strtol(v, &end, 10) : -1;
    return n >= 1 && n <= 1000000 && !*end ? (uint32_t)n : def;
}

/* The address's counts in this hour's window: its slot, or the stalest
 * slot taken over. */
static struct slot *slot_of(gl_http_req_t *r, int64_t now)
{
    char addr[48];
    gl_http_peer(r, addr, sizeof addr);
    struct slot *stale = &slots[0];
    for (size_t i = 0; i < GL_PUBLIC_ADDRS; i++) {
        struct slot *s = &slots[i];
        if (s->addr[0] && strcmp(s->addr, addr) == 0) {
            if (now - s->since >= HOUR_MS) {
                s->since = now;
                memset(s->count, 0, sizeof s->count);
            }
            return s;
        }
        if (!s->addr[0] || s->since < stale->since)
            stale = s;
        if (!s->addr[0])
            break;
    }
    memset(stale, 0, sizeof *stale);
    snprintf(stale->addr, sizeof stale->addr, "%s", addr[0] ? addr : "?");
    stale->since = now;
    return stale;
}

bool gl_resident_over(gl_http_req_t *r, int64_t now, enum gl_resident_count k, uint32_t limit, const char *what)
{
    if (slot_of(r, now)->count[k] < limit)
        return false;
    gl_resident_fail(r, 429, "too-many", "%u %s an hour from one address; please try again later (请稍后再试)", limit,
                     what);
    return true;
}

void gl_resident_count(gl_http_req_t *r, int64_t now, enum gl_resident_count k)
{
    slot_of(r, now)->count[k]++;
}
