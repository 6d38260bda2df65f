/* fuzz_ctl_reply.c: the CLI decodes a node's control replies with
 * gl_decode_ctl_reply and prints them through gl_pbjson_from_message; neither
 * may crash or leak on any byte string. Owns nothing: the reply and its JSON
 * are freed here. */
#include <stdint.h>
#include <stdlib.h>

#include "codec.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    Gridlink__V1__CtlReply *rep = NULL;
    if (gl_decode_ctl_reply(data, size, &rep, err, sizeof err) != 0)
        return 0;
    json_t *j = gl_pbjson_from_message(&rep->base, GL_PBJSON_DEFAULTS);
    if (j) {
        char *s = json_dumps(j, JSON_COMPACT);
        free(s);
        json_decref(j);
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
