/* notify.h: telling a service manager how the process is doing.
 *
 * Under systemd (Type=notify) a process says READY=1 once it serves and,
 * when the unit has WatchdogSec=, WATCHDOG=1 at half that interval from a
 * timer on its own libuv loop, so a loop that stops turning gets the
 * process restarted. Built without libsystemd (GRIDLINK_SYSTEMD=OFF, or
 * libsystemd-dev absent) every call does nothing, and so does every call in
 * a process that no service manager started (no NOTIFY_SOCKET). */
#ifndef GL_NOTIFY_H
#define GL_NOTIFY_H

#include <stdbool.h>
#include <uv.h>

/* READY=1 with STATUS=status, and the watchdog timer on loop when the
 * manager asked for one. Call once, when the process serves. */
void gl_notify_ready(uv_loop_t *loop, const char *status);
/* STOPPING=1, and the watchdog timer closed (before the loop is closed). */
void gl_notify_stopping(void);
/* Whether this build speaks the notify protocol at all. */
bool gl_notify_built(void);

#endif
