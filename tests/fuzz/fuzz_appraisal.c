/* fuzz_appraisal.c: any bytes as the body of a resident's appraisal
 * (POST /public/v1/appraisal) must be refused with a reason and an empty
 * form, or give a form whose fields hold what the rules say: a level of
 * 1..3, a unit, a code, a month or nothing as the period, and a comment of
 * at most GL_APPRAISAL_COMMENT characters; such a form, made into the
 * appraise operation as the door makes it, passes the node's decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appraisal.h"
#include "codec.h"
#include "error.h"
#include "topology.h"

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256] = "";
    gl_appraisal_form f;
    int rc = gl_appraisal_form_parse((const char *)data, size, &f, why, sizeof why);
    if (rc != 0) {
        if ((rc != GL_EINVAL && rc != GL_ETOOBIG) || !why[0] || f.comment || f.level)
            abort();
        return 0;
    }
    gl_period p;
    if (f.level < 1 || f.level > 3 || !f.unit[0] || !f.code[0] || !f.comment ||
        chars(f.comment) > GL_APPRAISAL_COMMENT || (f.period[0] && !gl_period_parse(f.period, true, &p)))
        abort();
    if (gl_node_id_valid(f.unit)) { /* the door refuses other units before this */
        Gridlink__V1__CtlRequest q = GRIDLINK__V1__CTL_REQUEST__INIT;
        uint8_t hash[32] = {1};
        q.op = "appraise";
        q.node = "xinbei";
        q.user = "public";
        q.unit = f.unit;
        q.period = f.period;
        q.level = f.level;
        q.note = f.comment;
        q.receipt.data = hash;
        q.receipt.len = sizeof hash;
        uint8_t *buf;
        size_t len;
        if (gl_pack(&q.base, &buf, &len) == 0) {
            Gridlink__V1__CtlRequest *back = NULL;
            char err[256];
            if (gl_decode_ctl_request(buf, len, &back, err, sizeof err) != 0)
                abort();
            gridlink__v1__ctl_request__free_unpacked(back, NULL);
            free(buf);
        }
    }
    gl_appraisal_form_free(&f);
    return 0;
}
