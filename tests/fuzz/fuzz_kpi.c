/* fuzz_kpi.c: the KPI formulas take bus events from the network and their
 * facts from the broker's store: gl_kpi_step on any decoded event with any
 * facts (the input's first bytes), the accumulator on the event fed twice,
 * and the date of an HTTP query (the input as a string) may not crash,
 * overflow or leak. Owns its topology, accumulator and event, freed here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "kpi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char topo_json[] = "{\"name\":\"f\",\"port_base\":17300,\"nodes\":["
                                "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"},"
                                "{\"id\":\"a.d\",\"tier\":\"department\",\"name\":\"D\"},"
                                "{\"id\":\"a.b\",\"tier\":\"township\",\"name\":\"B\"},"
                                "{\"id\":\"a.b.c\",\"tier\":\"community\",\"name\":\"C\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gl_topology_t *topo;
    char err[256];
    if (!topo && gl_topology_load_buffer(topo_json, strlen(topo_json), &topo, err, sizeof err) != 0)
        abort();
    char date[16] = "";
    memcpy(date, data, size < sizeof date - 1 ? size : sizeof date - 1);
    int64_t ms;
    (void)gl_kpi_parse_date(date, 480, &ms);

    gl_kpi_facts f = {0};
    size_t skip = size >= sizeof f ? sizeof f : 0;
    memcpy(&f, data, skip);
    Gridlink__V1__BusEvent *ev = NULL;
    if (gl_decode_bus_event(data + skip, size - skip, &ev, err, sizeof err) != 0 &&
        gl_decode_bus_event(data, size, &ev, err, sizeof err) != 0)
        return 0;
    bool changed;
    gl_kpi_delta d[GL_KPI_MAX_DELTAS];
    (void)gl_kpi_step(topo->calendar, GRIDLINK__V1__TIER__TIER_DEPARTMENT, ev, &f, &changed, d);
    gl_kpi_acc *a = gl_kpi_acc_new(topo);
    if (a) {
        (void)gl_kpi_acc_feed(a, ev);
        (void)gl_kpi_acc_feed(a, ev);
        json_decref(gl_kpi_json(gl_kpi_acc_get(a, ev->node, GL_KPI_MONTH, "2026-12")));
        gl_kpi_acc_free(a);
    }
    gridlink__v1__bus_event__free_unpacked(ev, NULL);
    return 0;
}
