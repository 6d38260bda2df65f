/* log.h: leveled logging to stderr with a timestamp and a process tag.
 *
 * One logger per process; the tag (set once at start, usually the program
 * and its first node ID) is copied. Lines are written whole with one write(2)
 * so that processes sharing a log file do not interleave within a line.
 *
 * Repeated lines are rate-limited: each format string (that is, each call
 * site) prints at most `burst` lines per `interval_ms`; further lines with
 * that format are counted, not printed. The first line of the format after
 * its interval is preceded by one saying how many were suppressed, and
 * gl_log_flush (also run at exit) says it for every format that has some.
 * So a peer that floods a node with bad input costs a few lines, not one per
 * message, and the log still shows how many there were. */
#ifndef GL_LOG_H
#define GL_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum gl_log_level { GL_LOG_DEBUG = 0, GL_LOG_INFO, GL_LOG_WARN, GL_LOG_ERROR };

#define GL_LOG_BURST       5
#define GL_LOG_INTERVAL_MS 10000

void gl_log_init(const char *tag, enum gl_log_level min);
void gl_log_set_level(enum gl_log_level min);
/* Parse "debug", "info", "warn", "error"; returns -1 if unknown. */
int gl_log_level_parse(const char *s);
void gl_log(enum gl_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* At most burst lines per format and interval (defaults GL_LOG_BURST and
 * GL_LOG_INTERVAL_MS); burst 0 lifts the limit. */
void gl_log_set_limit(int burst, int interval_ms);
/* Report every suppressed count now. */
void gl_log_flush(void);
/* Where lines go (default stderr) and the clock the limit uses (default
 * CLOCK_MONOTONIC in ms; NULL restores it), for tests. */
void gl_log_set_fd(int fd);
void gl_log_set_clock(int64_t (*now_ms)(void));

#define gl_debug(...) gl_log(GL_LOG_DEBUG, __VA_ARGS__)
#define gl_info(...)  gl_log(GL_LOG_INFO, __VA_ARGS__)
#define gl_warn(...)  gl_log(GL_LOG_WARN, __VA_ARGS__)
#define gl_error(...) gl_log(GL_LOG_ERROR, __VA_ARGS__)

#endif
