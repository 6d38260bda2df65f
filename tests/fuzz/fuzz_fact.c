/* fuzz_fact.c: any bytes as the staff API's body of a fact
 * ({"name", "value", "as_of"?, "note"?}) must be refused with a reason or
 * read into a Fact that passes the checks, packs, and goes into a fact
 * event that the bus's decoder takes back; and any bytes as a date are a
 * date or not without reading past them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256] = "";
    gl_fact *f = NULL;
    int rc = gl_fact_from_json((const char *)data, size, &f, why, sizeof why);
    if ((rc == 0) != (f != NULL) || (rc != 0 && !why[0]))
        abort();
    if (f) {
        if (gl_fact_check(f, GRIDLINK__V1__TIER__TIER_UNKNOWN, why, sizeof why) != 0 || gl_fact_find(f->name) < 0)
            abort();
        Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
        ev.node = "xinbei.sanjing.c01";
        ev.seq = 1;
        ev.kind = "fact";
        ev.fact = f;
        uint8_t *buf;
        size_t len;
        if (gl_pack(&ev.base, &buf, &len) != 0)
            abort();
        Gridlink__V1__BusEvent *back = NULL;
        char err[256];
        if (gl_decode_bus_event(buf, len, &back, err, sizeof err) != 0)
            abort();
        json_decref(gl_fact_event_json(back));
        gridlink__v1__bus_event__free_unpacked(back, NULL);
        free(buf);
        gridlink__v1__fact__free_unpacked(f, NULL);
    }
    char date[11];
    size_t n = size < 10 ? size : 10;
    memcpy(date, data, n);
    date[n] = 0;
    (void)gl_fact_date_ok(date);
    return 0;
}
