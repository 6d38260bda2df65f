/* store_fx.h: what the store's unit tests share (store_fx.c).
 *
 * Each test gets a fresh mkdtemp directory (sfx_setup; removed with
 * everything in it by sfx_teardown) and opens its store in the
 * subdirectory dir, so the "create the directory" path is exercised too.
 * The helpers fail the running cmocka test on any error. */
#ifndef GL_TEST_STORE_FX_H
#define GL_TEST_STORE_FX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define KIB 1024u

struct sfx {
    char root[1024];
    char dir[1100];
};

int sfx_setup(void **state);
int sfx_teardown(void **state);
/* A store opened for writing (map 0: the default size). */
gl_store_t *sfx_open(const char *dir, const char *node, size_t map);
MDB_txn *sfx_begin(gl_store_t *s, bool write);
/* A reported incident with id, text and holder g1 (strings borrowed). */
void sfx_case_init(Gridlink__V1__Case *c, const char *id, const char *text);
uint64_t sfx_count_cases(gl_store_t *s);

#endif
