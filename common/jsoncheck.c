/* jsoncheck.c: see jsoncheck.h. */
#include "jsoncheck.h"

#include <string.h>

bool gl_json_only_keys(const json_t *obj, const char *const *keys, size_t n, const char **bad)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++)
            ok = strcmp(key, keys[i]) == 0;
        if (!ok) {
            *bad = key;
            return false;
        }
    }
    return true;
}
