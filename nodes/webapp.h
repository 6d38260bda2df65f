/* webapp.h: the web pages' files, served by the node process's HTTP door
 * beside the API (every path that does not start with /api/), and by the
 * broker's beside its own:
 *
 *   GET /            -> 302 to the door's home (/app/ at a node process,
 *                    /dashboard/ at the broker)
 *   GET /app/...     the app's files from the web directory: the environment's
 *                    GRIDLINK_WEB_DIR, else the build's GL_WEB_DIR (the
 *                    checkout's web/); /app/ is its index.html
 *   GET /public/...  residents' pages (web/public/, no login; public.h is
 *                    their API): index.html files a request, follow.html
 *                    follows one by its code, feed.html is a unit's
 *                    public feed (feed.h)
 *   GET /dashboard/... the district center's dashboard (web/dashboard/,
 *                    fed by the broker's API)
 *   GET /lib/NAME/...  a browser library Debian installs under
 *                    /usr/share/javascript (libjs-* packages), NAME one of
 *                    an allow-list (bootstrap5, leaflet)
 *
 * A path is a file's only when its every part is of [A-Za-z0-9._-], none
 * starts with a dot, and the file it resolves to (symlinks followed) is a
 * regular file of at most GL_WEBAPP_MAX_FILE bytes inside the directories
 * allowed for it: the web directory for /app, the library's directory and
 * the Debian package directory its symlinks lead to for /lib. Anything else
 * is a plain 404 page. Answers carry the content type by the file's
 * extension, an ETag and Last-Modified (If-None-Match gets 304), and
 * Cache-Control: no-cache for the app (always revalidated, so a new version
 * shows at the next load) and a day for the libraries. Files are small and
 * read whole, at once, on the loop.
 *
 * Ownership: nothing is kept between requests; the answer is copied into
 * the HTTP server's response. */
#ifndef GL_WEBAPP_H
#define GL_WEBAPP_H

#include "http.h"

#define GL_WEBAPP_MAX_FILE ((size_t)4 * 1024 * 1024)

/* Answer r, a request for a path outside /api/; home is where / leads. */
void gl_webapp_serve(gl_http_req_t *r, const char *home);

#endif
