/* fuzz_jsontext.c: any JSON document jansson reads is written by
 * gl_json_text exactly as json_dumps writes it (compact, and with a real
 * precision), or refused by both. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

static void same(const json_t *j, size_t flags)
{
    char *want = json_dumps(j, flags);
    size_t len = 0;
    char *got = gl_json_text(j, flags, &len);
    if (!want != !got || (want && (strcmp(want, got) != 0 || len != strlen(want))))
        abort();
    free(want);
    free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &e);
    if (!j)
        return 0;
    same(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    same(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(j);
    return 0;
}
