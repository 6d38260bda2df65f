/* core.c: see core.h. */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

#define WARN_EVERY_MS 1000 /* per kind of complaint about a peer: the rest are counted */

void core_warn_peer(broker_t *b, int kind, const char *fmt, ...)
{
    int64_t now = core_now_ms(b);
    if (now < b->warn_next[kind]) {
        b->warn_quiet[kind]++;
        return;
    }
    b->warn_next[kind] = now + WARN_EVERY_MS;
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (b->warn_quiet[kind])
        gl_warn("%s (and %llu like it since the last such line)", line, (unsigned long long)b->warn_quiet[kind]);
    else
        gl_warn("%s", line);
    b->warn_quiet[kind] = 0;
}
