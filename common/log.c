/* log.c: see log.h.
 *
 * The rate limit keeps one slot per format string in a small open-addressed
 * table keyed by the format's address (a call site's literal); when the table
 * is full, the slot whose interval began longest ago is reported and reused.
 * Everything is file-static and guarded by one mutex, so lines from several
 * threads stay whole and counts stay exact. */
#include "log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 128

struct slot {
    const char *fmt; /* NULL: free */
    enum gl_log_level lvl;
    int64_t start_ms; /* the current interval began here */
    int printed;      /* lines printed in this interval */
    uint64_t suppressed;
};

static char log_tag[64] = "gridlink";
static enum gl_log_level log_min = GL_LOG_INFO;
static int log_fd = STDERR_FILENO;
static int log_burst = GL_LOG_BURST, log_interval_ms = GL_LOG_INTERVAL_MS;
static int64_t (*log_clock)(void);
static struct slot slots[SLOTS];
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static bool flush_at_exit;

static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gl_log_init(const char *tag, enum gl_log_level min)
{
    if (tag)
        snprintf(log_tag, sizeof log_tag, "%s", tag);
    log_min = min;
    if (!flush_at_exit) {
        flush_at_exit = true;
        atexit(gl_log_flush);
    }
}

void gl_log_set_level(enum gl_log_level min)
{
    log_min = min;
}

void gl_log_set_fd(int fd)
{
    log_fd = fd;
}

void gl_log_set_clock(int64_t (*now_ms)(void))
{
    log_clock = now_ms;
}

void gl_log_set_limit(int burst, int interval_ms)
{
    pthread_mutex_lock(&log_mu);
    log_burst = burst < 0 ? 0 : burst;
    log_interval_ms = interval_ms < 1 ? 1 : interval_ms;
    memset(slots, 0, sizeof slots);
    pthread_mutex_unlock(&log_mu);
}

int gl_log_level_parse(const char *s)
{
    static const char *levels[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, levels[i]) == 0)
            return i;
    return -1;
}

/* Writes one line: the prefix, then fmt with ap. Caller holds log_mu. */
static void emit(enum gl_log_level lvl, const char *fmt, va_list ap)
{
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s[%d]: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000), names[lvl],
                     log_tag, (int)getpid());
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    size_t len =
        (size_t)n + (m < 0 ? 0 : ((size_t)m >= sizeof line - (size_t)n - 1 ? sizeof line - (size_t)n - 2 : (size_t)m));
    line[len++] = '\n';
    ssize_t w = write(log_fd, line, len);
    (void)w;
}

static void emitf(enum gl_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emitf(enum gl_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, fmt, ap);
    va_end(ap);
}

/* Says how many lines of s were suppressed, and clears the count. */
static void report(struct slot *s, int64_t now)
{
    if (s->suppressed == 0)
        return;
    emitf(s->lvl, "log: %llu more line(s) like \"%.160s\" suppressed in %.1f s", (unsigned long long)s->suppressed,
          s->fmt, (double)(now - s->start_ms) / 1000.0);
    s->suppressed = 0;
}

/* The slot of fmt, claimed if need be. Caller holds log_mu. */
static struct slot *slot_of(const char *fmt, enum gl_log_level lvl, int64_t now)
{
    size_t h = ((uintptr_t)fmt >> 3) % SLOTS;
    struct slot *oldest = NULL;
    for (size_t i = 0; i < SLOTS; i++) {
        struct slot *s = &slots[(h + i) % SLOTS];
        if (s->fmt == fmt)
            return s;
        if (!s->fmt) {
            *s = (struct slot){.fmt = fmt, .lvl = lvl, .start_ms = now};
            return s;
        }
        if (!oldest || s->start_ms < oldest->start_ms)
            oldest = s;
    }
    report(oldest, now);
    *oldest = (struct slot){.fmt = fmt, .lvl = lvl, .start_ms = now};
    return oldest;
}

void gl_log(enum gl_log_level lvl, const char *fmt, ...)
{
    if (lvl < log_min)
        return;
    pthread_mutex_lock(&log_mu);
    if (log_burst > 0) {
        int64_t now = log_clock ? log_clock() : mono_ms();
        struct slot *s = slot_of(fmt, lvl, now);
        if (now - s->start_ms >= log_interval_ms) {
            report(s, now);
            s->start_ms = now;
            s->printed = 0;
        }
        if (s->printed >= log_burst) {
            s->suppressed++;
            pthread_mutex_unlock(&log_mu);
            return;
        }
        s->printed++;
        s->lvl = lvl;
    }
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&log_mu);
}

void gl_log_flush(void)
{
    pthread_mutex_lock(&log_mu);
    int64_t now = log_clock ? log_clock() : mono_ms();
    for (size_t i = 0; i < SLOTS; i++)
        if (slots[i].fmt)
            report(&slots[i], now);
    pthread_mutex_unlock(&log_mu);
}
