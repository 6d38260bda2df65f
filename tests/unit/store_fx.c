/* store_fx.c: the store tests' fixture and helpers (store_fx.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "store_fx.h"

int sfx_setup(void **state)
{
    struct sfx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->root, sizeof f->root, "%s/gl-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/node", f->root);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int sfx_teardown(void **state)
{
    struct sfx *f = *state;
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

gl_store_t *sfx_open(const char *dir, const char *node, size_t map)
{
    gl_store_opts o = {.map_size = map, .read_only = false};
    gl_store_t *s = NULL;
    assert_int_equal(gl_store_open(dir, node, &o, &s), 0);
    assert_non_null(s);
    return s;
}

MDB_txn *sfx_begin(gl_store_t *s, bool write)
{
    MDB_txn *t = NULL;
    assert_int_equal(gl_store_begin(s, NULL, write, &t), 0);
    assert_non_null(t);
    return t;
}

void sfx_case_init(Gridlink__V1__Case *c, const char *id, const char *text)
{
    gridlink__v1__case__init(c);
    c->id = (char *)id;
    c->text = (char *)text;
    c->kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    c->state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
    c->holder = "g1";
    c->version = 1;
}

uint64_t sfx_count_cases(gl_store_t *s)
{
    MDB_txn *t = sfx_begin(s, false);
    uint64_t n = 99999;
    assert_int_equal(gl_store_case_count(t, s, &n), 0);
    gl_store_abort(t);
    return n;
}
