/* home.c: see home.h. */
#include "home.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "topology.h"

int gl_home_path(char *buf, size_t size, const char *home, const char *fmt, ...)
{
    int n = snprintf(buf, size, "%s/", home);
    if (n < 0 || (size_t)n >= size)
        return GL_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)m >= size - (size_t)n)
        return GL_EINVAL;
    return GL_OK;
}

int gl_mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return GL_EINVAL;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return gl_err_from_errno(errno);
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return gl_err_from_errno(errno);
    return GL_OK;
}

int gl_exe_dir(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return GL_EIO;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash)
        return GL_EIO;
    *slash = 0;
    return GL_OK;
}

int gl_home_topology(const char *home, struct gl_topology **out, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (gl_home_path(path, sizeof path, home, "topology.json") != 0) {
        snprintf(err, errlen, "home path too long");
        return GL_EINVAL;
    }
    int rc = gl_topology_load_file(path, out, err, errlen);
    if (rc == 0 && (rc = gl_topology_check_home(*out, home, err, errlen)) != 0)
        gl_topology_free(out);
    return rc;
}

long long gl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gl_supervised_init(void)
{
    const char *v = getenv("GRIDLINK_SUPERVISOR_PID");
    if (!v || !*v)
        return;
    pid_t sup = (pid_t)atol(v);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* The supervisor may have died before the line above took effect. */
    if (getppid() != sup)
        _exit(1);
}
