/* fuzz_bus_request.c: the bus request decoder (what node processes and the
 * broker accept from the other side) must refuse any byte string cleanly,
 * and what it accepts must be safe to render. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pbjson.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    Gridlink__V1__BusRequest *req = NULL;
    if (gl_decode_bus_request(data, size, &req, err, sizeof err) == 0) {
        /* What the decoder promises its callers. */
        if (strcmp(req->op, "replay") == 0 &&
            (!req->node[0] || req->from_seq == 0 || (req->to_seq && req->to_seq < req->from_seq)))
            abort();
        if (strcmp(req->op, "replay") != 0 && strcmp(req->op, "snapshot") != 0 && strcmp(req->op, "subscribe") != 0)
            abort();
        if (req->prefix[0] && !gl_node_id_valid(req->prefix))
            abort();
        json_t *j = gl_pbjson_from_message(&req->base, 0);
        char *s = json_dumps(j, JSON_COMPACT);
        free(s);
        json_decref(j);
        gridlink__v1__bus_request__free_unpacked(req, NULL);
    } else if (req) {
        abort();
    }
    return 0;
}
