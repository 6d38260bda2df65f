/* fuzz_envelope.c: everything a tree link receives goes through
 * gl_decode_envelope (unpack plus the checks protobuf cannot make), a frame
 * it refuses through gl_envelope_peek (to refuse it by number) and
 * gl_frame_digest, and, for the API and logs, through gl_pbjson_from_message;
 * none may crash or leak on any byte string.
 * Owns nothing: each input's decoded message and JSON are freed here. */
#include <stdint.h>
#include <stdlib.h>

#include "codec.h"
#include "gridlink.pb-c.h"
#include "pbjson.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    Gridlink__V1__Envelope *checked = NULL;
    if (gl_decode_envelope(data, size, &checked, err, sizeof err) == 0) {
        gridlink__v1__envelope__free_unpacked(checked, NULL);
    } else {
        uint64_t seq;
        char sender[GL_NODE_ID_MAX + 1];
        uint8_t digest[GL_DIGEST_BYTES];
        if (gl_envelope_peek(data, size, &seq, sender, sizeof sender) == 0 && seq != 0)
            gl_frame_digest(data, size, digest);
    }
    Gridlink__V1__Envelope *env = gridlink__v1__envelope__unpack(NULL, size, data);
    if (!env)
        return 0;
    /* Both presence modes walk different branches of the converter. */
    for (int flags = 0; flags <= GL_PBJSON_DEFAULTS; flags += GL_PBJSON_DEFAULTS) {
        json_t *j = gl_pbjson_from_message(&env->base, flags);
        if (j) {
            char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
            free(s);
            json_decref(j);
        }
    }
    gridlink__v1__envelope__free_unpacked(env, NULL);
    return 0;
}
