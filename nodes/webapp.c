/* webapp.c: the staff web app's static files (see webapp.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "webapp.h"

#ifndef GL_WEB_DIR
#define GL_WEB_DIR "web"
#endif

#define LIB_ROOT "/usr/share/javascript"

/* The libraries served under /lib/NAME/, and where the symlinks of their
 * Debian packages lead (/usr/share/javascript/bootstrap5/css/bootstrap.css
 * is a link into /usr/share/bootstrap-html). */
static const struct lib {
    const char *name;
    const char *also; /* another directory its files may resolve into, or NULL */
} libs[] = {
    {"bootstrap5", "/usr/share/bootstrap-html"}, /* the staff app's UI */
    {"chart.js", NULL},                          /* the survey results' charts (libjs-chart.js) */
    {"leaflet", NULL},                           /* the dashboard's map (libjs-leaflet) */
};

static const struct type {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

static void plain(gl_http_req_t *r, int status, const char *text)
{
    char body[600];
    int n = snprintf(body, sizeof body, "%s\n", text);
    gl_http_respond(r, status, "text/plain; charset=utf-8", body, n > 0 ? (size_t)n : 0);
}

static void not_found(gl_http_req_t *r)
{
    plain(r, 404, "404 未找到 (not found)");
}

/* A relative path the app may ask for: parts of [A-Za-z0-9._-], none empty
 * or starting with a dot (no "..", no hidden files), at most 200 bytes. */
static bool rel_ok(const char *rel)
{
    size_t len = strlen(rel);
    if (len == 0 || len > 200)
        return false;
    bool start = true;
    for (const char *p = rel; *p; p++) {
        char c = *p;
        if (c == '/') {
            if (start)
                return false; /* an empty part */
            start = true;
            continue;
        }
        if (start && c == '.')
            return false;
        start = false;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        if (!ok)
            return false;
    }
    return !start;
}

/* Is real (a resolved path) inside dir (resolved here)? */
static bool inside(const char *real, const char *dir)
{
    char rdir[PATH_MAX];
    if (!dir || !realpath(dir, rdir))
        return false;
    size_t n = strlen(rdir);
    return strncmp(real, rdir, n) == 0 && real[n] == '/';
}

static void http_date(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Serve root/rel when it resolves inside root or also. */
static void serve_file(gl_http_req_t *r, const char *root, const char *also, const char *rel, const char *cache)
{
    char path[PATH_MAX], real[PATH_MAX];
    if (!rel_ok(rel) || snprintf(path, sizeof path, "%s/%s", root, rel) >= (int)sizeof path || !realpath(path, real) ||
        !(inside(real, root) || inside(real, also))) {
        not_found(r);
        return;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        not_found(r);
        return;
    }
    if ((size_t)st.st_size > GL_WEBAPP_MAX_FILE) {
        close(fd);
        plain(r, 403, "403 文件过大 (file too large)");
        return;
    }
    char etag[80], modified[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
    http_date(st.st_mtim.tv_sec, modified, sizeof modified);
    const char *headers[] = {"ETag", etag, "Last-Modified", modified, "Cache-Control", cache, NULL};
    const char *match = gl_http_header(r, "If-None-Match");
    if (match && strstr(match, etag)) {
        close(fd);
        gl_http_respond_with(r, 304, type_of(real), "", 0, headers);
        return;
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *buf = malloc(len ? len : 1);
    while (buf && got < len) {
        ssize_t k = read(fd, buf + got, len - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (!buf || got != len) {
        free(buf);
        plain(r, 500, "500 读取失败 (cannot read the file)");
        return;
    }
    gl_http_respond_with(r, 200, type_of(real), buf, len, headers);
    free(buf);
}

static const char *web_dir(void)
{
    const char *d = getenv("GRIDLINK_WEB_DIR");
    return d && d[0] ? d : GL_WEB_DIR;
}

/* A page directory: /NAME redirects to /NAME/, /NAME/... is served from
 * the web directory's dir (NULL: its top) with index.html for the bare
 * directory. True when path was one. */
static bool pages(gl_http_req_t *r, const char *path, const char *prefix, const char *dir)
{
    size_t n = strlen(prefix); /* "/app" */
    if (strncmp(path, prefix, n) != 0 || (path[n] && path[n] != '/'))
        return false;
    if (!path[n]) {
        char to[64];
        snprintf(to, sizeof to, "%s/", prefix);
        const char *h[] = {"Location", to, NULL};
        gl_http_respond_with(r, 302, "text/plain; charset=utf-8", to, strlen(to), h);
        return true;
    }
    char rel[256];
    const char *file = path[n + 1] ? path + n + 1 : "index.html";
    snprintf(rel, sizeof rel, "%s%s%.200s", dir ? dir : "", dir ? "/" : "", file);
    serve_file(r, web_dir(), NULL, rel, "no-cache");
    return true;
}

void gl_webapp_serve(gl_http_req_t *r, const char *home)
{
    const char *method = gl_http_method(r), *path = gl_http_path(r);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        const char *allow[] = {"Allow", "GET, HEAD", NULL};
        gl_http_respond_with(r, 405, "text/plain; charset=utf-8", "405 method not allowed\n", 23, allow);
        return;
    }
    if (strcmp(path, "/") == 0) {
        const char *to[] = {"Location", home, NULL};
        gl_http_respond_with(r, 302, "text/plain; charset=utf-8", home, strlen(home), to);
        return;
    }
    if (pages(r, path, "/app", NULL) || pages(r, path, "/public", "public") ||
        pages(r, path, "/dashboard", "dashboard"))
        return;
    if (strncmp(path, "/lib/", 5) == 0) {
        const char *name = path + 5, *slash = strchr(name, '/');
        for (size_t i = 0; slash && i < sizeof libs / sizeof libs[0]; i++) {
            size_t n = strlen(libs[i].name);
            if ((size_t)(slash - name) == n && strncmp(name, libs[i].name, n) == 0) {
                char root[PATH_MAX];
                snprintf(root, sizeof root, "%s/%s", LIB_ROOT, libs[i].name);
                serve_file(r, root, libs[i].also, slash + 1, "public, max-age=86400");
                return;
            }
        }
    }
    not_found(r);
}
