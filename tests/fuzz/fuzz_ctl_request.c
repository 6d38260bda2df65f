/* fuzz_ctl_request.c: the control-channel request decoder must refuse any
 * byte string cleanly, and what it accepts must be safe to render. */
#include <stdint.h>
#include <stdlib.h>

#include "codec.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    Gridlink__V1__CtlRequest *req = NULL;
    if (gl_decode_ctl_request(data, size, &req, err, sizeof err) == 0) {
        json_t *j = gl_pbjson_from_message(&req->base, 0);
        char *s = json_dumps(j, JSON_COMPACT);
        free(s);
        json_decref(j);
        gridlink__v1__ctl_request__free_unpacked(req, NULL);
    }
    Gridlink__V1__CtlReply *rep = NULL;
    if (gl_decode_ctl_reply(data, size, &rep, err, sizeof err) == 0)
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
