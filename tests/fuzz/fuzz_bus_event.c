/* fuzz_bus_event.c: what the broker takes from a node process and what a
 * subscriber takes from the broker goes through gl_decode_bus_event; it may
 * not crash or leak on any byte string. Owns nothing: a decoded event is
 * freed here. */
#include <stdint.h>
#include <stdlib.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    Gridlink__V1__BusEvent *ev = NULL;
    if (gl_decode_bus_event(data, size, &ev, err, sizeof err) == 0)
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
    return 0;
}
