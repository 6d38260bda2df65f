/* notify.c: see notify.h. One watchdog timer per process, file-static: a
 * process has one service manager and one loop that answers for it. */
#include "notify.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#ifdef GRIDLINK_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

static uv_timer_t watchdog;
static bool watchdog_on;

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

void gl_notify_ready(uv_loop_t *loop, const char *status)
{
    char msg[512];
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status ? status : "serving");
    /* 0: keep NOTIFY_SOCKET and WATCHDOG_USEC for the watchdog below; the
     * processes gridlink starts itself (`gridlink up`) clear them. */
    int rc = sd_notify(0, msg);
    if (rc < 0)
        gl_warn("cannot tell the service manager we are ready: %s", strerror(-rc));
    uint64_t usec = 0;
    if (watchdog_on || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return;
    uint64_t every_ms = usec / 2000;
    if (every_ms == 0)
        every_ms = 1;
    if (uv_timer_init(loop, &watchdog) != 0)
        return;
    uv_timer_start(&watchdog, on_watchdog, 0, every_ms);
    watchdog_on = true;
    gl_info("watchdog: pinging the service manager every %llu ms", (unsigned long long)every_ms);
}

void gl_notify_stopping(void)
{
    sd_notify(0, "STOPPING=1");
    if (watchdog_on) {
        uv_timer_stop(&watchdog);
        uv_close((uv_handle_t *)&watchdog, NULL);
        watchdog_on = false;
    }
}

bool gl_notify_built(void)
{
    return true;
}

#else

void gl_notify_ready(uv_loop_t *loop, const char *status)
{
    (void)loop;
    (void)status;
}

void gl_notify_stopping(void) {}

bool gl_notify_built(void)
{
    return false;
}

#endif
