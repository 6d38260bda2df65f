/* fuzz_bus_reply.c: the bus reply decoder (replay chunks and marks from node
 * processes, snapshots and replays from the broker) must refuse any byte
 * string cleanly, and what it accepts must keep its promises: events checked,
 * of the named node and in order, every mark naming a node. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pbjson.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    Gridlink__V1__BusReply *rep = NULL;
    if (gl_decode_bus_reply(data, size, &rep, err, sizeof err) == 0) {
        for (size_t i = 0; i < rep->n_events; i++) {
            const Gridlink__V1__BusEvent *e = rep->events[i];
            if (!e || e->seq == 0 || !gl_node_id_valid(e->node))
                abort();
            if (rep->node[0] && (strcmp(e->node, rep->node) != 0 || (i > 0 && e->seq <= rep->events[i - 1]->seq)))
                abort();
        }
        for (size_t i = 0; i < rep->n_marks; i++)
            if (!rep->marks[i] || !gl_node_id_valid(rep->marks[i]->node))
                abort();
        json_t *j = gl_pbjson_from_message(&rep->base, 0);
        char *s = json_dumps(j, JSON_COMPACT);
        free(s);
        json_decref(j);
        gridlink__v1__bus_reply__free_unpacked(rep, NULL);
    } else if (rep) {
        abort();
    }
    return 0;
}
