/* fuzz_json_request.c: a JSON body of the HTTP API read into a CtlRequest
 * by the generic protobuf reader must be refused cleanly or give a message
 * that packs and passes the control decoder's checks or is refused by them. */
#include <stdint.h>
#include <stdlib.h>

#include "codec.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return 0;
    ProtobufCMessage *m = NULL;
    char why[256];
    if (gl_pbjson_to_message(&gridlink__v1__ctl_request__descriptor, j, &m, why, sizeof why) == 0) {
        uint8_t *buf;
        size_t len;
        if (gl_pack(m, &buf, &len) == 0) {
            Gridlink__V1__CtlRequest *req = NULL;
            char err[256];
            if (gl_decode_ctl_request(buf, len, &req, err, sizeof err) == 0)
                gridlink__v1__ctl_request__free_unpacked(req, NULL);
            free(buf);
        }
        protobuf_c_message_free_unpacked(m, NULL);
    }
    json_decref(j);
    return 0;
}
