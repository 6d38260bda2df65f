/* log.h: leveled logging to stderr with a timestamp and a process tag.
 *
 * One logger per process; the tag (set once at start, usually the program
 * and its first node ID) is copied. Lines are written whole with one write(2)
 * so that processes sharing a log file do not interleave within a line. */
#ifndef GL_LOG_H
#define GL_LOG_H

#include <stdarg.h>

enum gl_log_level { GL_LOG_DEBUG = 0, GL_LOG_INFO, GL_LOG_WARN, GL_LOG_ERROR };

void gl_log_init(const char *tag, enum gl_log_level min);
void gl_log_set_level(enum gl_log_level min);
/* Parse "debug", "info", "warn", "error"; returns -1 if unknown. */
int gl_log_level_parse(const char *s);
void gl_log(enum gl_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define gl_debug(...) gl_log(GL_LOG_DEBUG, __VA_ARGS__)
#define gl_info(...)  gl_log(GL_LOG_INFO, __VA_ARGS__)
#define gl_warn(...)  gl_log(GL_LOG_WARN, __VA_ARGS__)
#define gl_error(...) gl_log(GL_LOG_ERROR, __VA_ARGS__)

#endif
