/* fuzz_open311_form.c: any bytes as the body of an Open311 POST must be
 * refused with a reason or give a request operation that packs and passes
 * the control decoder's checks (the node's own front check). The services
 * are a catalogue with one attribute of every datatype, made once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "open311_form.h"

static const char catalogue_json[] =
    "[{\"code\":\"urban\",\"name\":\"城管\",\"accept_s\":1,\"resolve_s\":2,\"subcategories\":["
    "{\"code\":\"urban/roads\",\"name\":\"道路设施\",\"accept_s\":1,\"resolve_s\":2,\"attributes\":["
    "{\"code\":\"area\",\"datatype\":\"number\",\"required\":true,\"description\":\"面积\"},"
    "{\"code\":\"blocking\",\"datatype\":\"singlevaluelist\",\"description\":\"是否影响通行\","
    "\"values\":[{\"key\":\"yes\",\"name\":\"是\"},{\"key\":\"no\",\"name\":\"否\"}]},"
    "{\"code\":\"kinds\",\"datatype\":\"multivaluelist\",\"description\":\"种类\","
    "\"values\":[{\"key\":\"a\",\"name\":\"甲\"},{\"key\":\"b\",\"name\":\"乙\"}]},"
    "{\"code\":\"when\",\"datatype\":\"datetime\",\"description\":\"时间\"},"
    "{\"code\":\"pole\",\"datatype\":\"string\",\"description\":\"编号\"},"
    "{\"code\":\"more\",\"datatype\":\"text\",\"description\":\"补充\"}]},"
    "{\"code\":\"urban/lighting\",\"name\":\"路灯照明\",\"accept_s\":1,\"resolve_s\":2}]}]";

static gl_catalogue_t *services(void)
{
    static gl_catalogue_t *cat;
    if (!cat) {
        json_t *j = json_loads(catalogue_json, 0, NULL);
        if (!j || gl_catalogue_from_json(j, &cat, NULL, 0) != 0)
            abort();
        json_decref(j);
    }
    return cat;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512];
    gl_o311_form f;
    if (gl_open311_form_parse((const char *)data, size, &f, why, sizeof why) != 0)
        return 0;
    Gridlink__V1__CtlRequest *q = NULL;
    int status = gl_open311_form_request(&f, services(), &q, why, sizeof why);
    gl_open311_form_free(&f);
    if (status != 0) {
        if (q || (status != 400 && status != 404 && status != 500) || !why[0])
            abort();
        return 0;
    }
    q->node = strdup("xinbei");
    uint8_t *buf;
    size_t len;
    if (q->node && gl_pack(&q->base, &buf, &len) == 0) {
        Gridlink__V1__CtlRequest *back = NULL;
        char err[256];
        if (gl_decode_ctl_request(buf, len, &back, err, sizeof err) != 0)
            abort(); /* what the form reader takes, the node's decoder takes */
        gridlink__v1__ctl_request__free_unpacked(back, NULL);
        free(buf);
    }
    gridlink__v1__ctl_request__free_unpacked(q, NULL);
    return 0;
}
