/* topo_fx.c: the topology tests' helpers (topo_fx.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "topo_fx.h"

const char *const tfx_explicit_json =
    "{\"name\":\"x\",\"port_base\":17300,\"listen_host\":\"10.0.0.5\",\"nodes\":["
    "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"},"
    "{\"id\":\"a.t\",\"tier\":\"township\",\"name\":\"T\",\"endpoint\":\"ipc:///tmp/gl-t.sock\"},"
    "{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\"},"
    "{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\"},"
    "{\"id\":\"a.u\",\"tier\":\"township\",\"name\":\"U\"}]}";

static const char *src_dir(void)
{
    static char buf[PATH_MAX];
    const char *env = getenv("GL_SRC");
    if (env && *env)
        return env;
    snprintf(buf, sizeof buf, "%s", __FILE__);
    char *tail = strstr(buf, "/tests/unit/topo_fx.c");
    if (tail)
        *tail = 0;
    else
        snprintf(buf, sizeof buf, ".");
    return buf;
}

gl_topology_t *tfx_load_committed(const char *name)
{
    char path[PATH_MAX], err[256] = "";
    if (snprintf(path, sizeof path, "%s/deploy/topology/%s", src_dir(), name) >= (int)sizeof path)
        fail_msg("path too long");
    gl_topology_t *t = NULL;
    int rc = gl_topology_load_file(path, &t, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: rc %d: %s", path, rc, err);
    return t;
}

gl_topology_t *tfx_load_text(const char *json)
{
    char err[256] = "";
    gl_topology_t *t = NULL;
    int rc = gl_topology_load_buffer(json, strlen(json), &t, err, sizeof err);
    if (rc != 0)
        fail_msg("rejected: %s\n%s", err, json);
    return t;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tfx_rm_rf(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *tfx_make_tmpdir(void)
{
    char tmpl[] = "/tmp/gl-test-topology-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

void tfx_fresh_key(char out[GL_KEY_Z85_LEN + 1])
{
    char secret[GL_KEY_Z85_LEN + 1];
    assert_int_equal(zmq_curve_keypair(out, secret), 0);
}
