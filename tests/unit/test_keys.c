/* test_keys.c: keypairs on disk (keys.c) and the ZAP handler's admission
 * lists (zap.c), for a key rotated with `gridlink keys rotate`: the home of
 * the committed mini topology in a temporary directory; one node's pair
 * replaced (a new public key, the secret 0600, nothing left over, the other
 * pairs untouched); a name with no pair refused; a revoked key gone from
 * its domain and only from there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "error.h"
#include "keys.h"
#include "loop.h"
#include "topology.h"
#include "zap.h"

#define C01 "xinbei.sanjing.c01"

static gl_topology_t *mini(void)
{
    const char *src = getenv("GL_SRC");
    char path[PATH_MAX], err[512] = "";
    snprintf(path, sizeof path, "%s/deploy/topology/mini.json", src && *src ? src : ".");
    gl_topology_t *t = NULL;
    if (gl_topology_load_file(path, &t, err, sizeof err) != 0)
        fail_msg("%s: %s", path, err);
    return t;
}

static void rm_tree(const char *dir)
{
    char keys[PATH_MAX];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    DIR *d = opendir(keys);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[PATH_MAX * 2];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", keys, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(keys);
    rmdir(dir);
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_rotate_replaces_one_pair(void **state)
{
    (void)state;
    char home[] = "/tmp/gl-test-keys-XXXXXX";
    assert_non_null(mkdtemp(home));
    gl_topology_t *t = mini();
    assert_int_equal(gl_keys_ensure(home, t, NULL), GL_OK);
    char before[GL_KEY_Z85_LEN + 1], other[GL_KEY_Z85_LEN + 1];
    strcpy(before, gl_topology_find(t, C01)->public_key);
    strcpy(other, gl_topology_find(t, "xinbei.sanjing")->public_key);
    char keys[PATH_MAX];
    snprintf(keys, sizeof keys, "%s/keys", home);
    int files = count_files(keys);

    char pub[GL_KEY_Z85_LEN + 1] = "";
    assert_int_equal(gl_keys_rotate(home, C01, pub), GL_OK);
    assert_int_equal(strlen(pub), GL_KEY_Z85_LEN);
    assert_string_not_equal(pub, before);
    /* The pair on disk is the new one, whole. */
    zcert_t *cert = NULL;
    assert_int_equal(gl_keys_load(home, C01, &cert), GL_OK);
    assert_string_equal(zcert_public_txt(cert), pub);
    zcert_destroy(&cert);
    char secret[PATH_MAX * 2];
    snprintf(secret, sizeof secret, "%s/%s.cert_secret", keys, C01);
    struct stat st;
    assert_int_equal(stat(secret, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Nothing left over; the other pairs untouched. */
    assert_int_equal(count_files(keys), files);
    assert_int_equal(gl_keys_load(home, "xinbei.sanjing", &cert), GL_OK);
    assert_string_equal(zcert_public_txt(cert), other);
    zcert_destroy(&cert);
    /* gl_keys_ensure keeps the rotated pair. */
    assert_int_equal(gl_keys_ensure(home, t, NULL), GL_OK);
    assert_string_equal(gl_topology_find(t, C01)->public_key, pub);
    /* A name without a pair is refused, and nothing is made for it. */
    assert_int_equal(gl_keys_rotate(home, "xinbei.sanjing.c09", pub), GL_ENOENT);
    assert_int_equal(count_files(keys), files);

    gl_topology_free(&t);
    rm_tree(home);
}

#define KEY_A "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define KEY_B "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

static void test_revoke(void **state)
{
    (void)state;
    uv_loop_t uv;
    assert_int_equal(uv_loop_init(&uv), 0);
    gl_loop_t *loop = NULL;
    assert_int_equal(gl_loop_new(&uv, &loop), GL_OK);
    gl_zap_t *z = NULL;
    assert_int_equal(gl_zap_new(loop, &z), GL_OK);
    assert_int_equal(gl_zap_allow(z, "xinbei.sanjing", KEY_A, C01), GL_OK);
    assert_int_equal(gl_zap_allow(z, "bus-in", KEY_A, C01), GL_OK);
    assert_int_equal(gl_zap_revoke(z, "xinbei.sanjing", KEY_B), GL_ENOENT);
    assert_int_equal(gl_zap_revoke(z, "nowhere", KEY_A), GL_ENOENT);
    assert_int_equal(gl_zap_revoke(z, "xinbei.sanjing", KEY_A), GL_OK);
    assert_int_equal(gl_zap_revoke(z, "xinbei.sanjing", KEY_A), GL_ENOENT);
    /* Only from that domain. */
    assert_int_equal(gl_zap_revoke(z, "bus-in", KEY_A), GL_OK);
    assert_int_equal(gl_zap_revoke(NULL, "bus-in", KEY_A), GL_EINVAL);
    gl_zap_free(&z);
    gl_loop_free(&loop);
    uv_run(&uv, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&uv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotate_replaces_one_pair),
        cmocka_unit_test(test_revoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
