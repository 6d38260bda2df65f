/* gl_probe.c: a stranger at a node's door. It connects a DEALER to a
 * parent's tree endpoint with a chosen CurveZMQ key and routing ID, says
 * Hello and optionally tries to hand over a case, then reports on stdout
 * whether anything came back ("answered" or "silent"). The security tests use
 * it with keys that must be refused and, as a control, with a child's own key.
 *
 *   gl_probe ENDPOINT SERVER_KEY_Z85 IDENTITY (CERT_FILE | random) [CASE_ID [SEQ COUNT [REASON]]]
 *
 * With SEQ and COUNT it sends COUNT transfers of CASE_ID under the sequence
 * numbers SEQ, SEQ+1, ..., as someone holding a child's key would to take
 * numbers or cases that are not its own (REASON "reported" or "escalated"),
 * and says "refused" if a Refusal came back.
 *
 * GL_PROBE_VERSION=N makes it speak protocol version N (in its Hello and its
 * envelopes); an Error that comes back is printed as "told: TEXT".
 */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gridlink.pb-c.h"

static void send_env(zsock_t *s, Gridlink__V1__Envelope *e)
{
    size_t n = gridlink__v1__envelope__get_packed_size(e);
    uint8_t *buf = malloc(n);
    gridlink__v1__envelope__pack(e, buf);
    zframe_t *f = zframe_new(buf, n);
    zframe_send(&f, s, 0);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 9 || argc == 7) {
        fprintf(stderr, "usage: gl_probe ENDPOINT SERVER_KEY IDENTITY (CERT|random) [CASE_ID [SEQ COUNT [REASON]]]\n");
        return 2;
    }
    unsigned long long first = argc >= 8 ? strtoull(argv[6], NULL, 10) : 1;
    unsigned long long count = argc >= 8 ? strtoull(argv[7], NULL, 10) : 1;
    zsys_handler_set(NULL);
    zcert_t *cert = strcmp(argv[4], "random") == 0 ? zcert_new() : zcert_load(argv[4]);
    if (!cert) {
        fprintf(stderr, "gl_probe: cannot load %s\n", argv[4]);
        return 2;
    }
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_identity(s, argv[3]);
    zsock_set_linger(s, 0);
    zcert_apply(cert, s);
    zsock_set_curve_serverkey(s, argv[2]);
    zsock_set_sndtimeo(s, 2000);
    zsock_connect(s, "%s", argv[1]);

    const char *pv = getenv("GL_PROBE_VERSION");
    uint32_t version = pv && *pv ? (uint32_t)strtoul(pv, NULL, 10) : 1;
    Gridlink__V1__Hello h = GRIDLINK__V1__HELLO__INIT;
    h.node = argv[3];
    h.proto_version = version;
    Gridlink__V1__Envelope e = GRIDLINK__V1__ENVELOPE__INIT;
    e.version = version;
    e.sender = argv[3];
    e.body_case = GRIDLINK__V1__ENVELOPE__BODY_HELLO;
    e.hello = &h;
    send_env(s, &e);
    for (unsigned long long k = 0; argc >= 6 && k < count; k++) {
        Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
        c.id = argv[5];
        c.holder = argv[3];
        c.grid = argv[3];
        c.category = "governance";
        c.text = "forged report";
        c.state = GRIDLINK__V1__CASE_STATE__STATE_REPORTED;
        Gridlink__V1__CaseTransfer tr = GRIDLINK__V1__CASE_TRANSFER__INIT;
        tr.case_ = &c;
        tr.reason = argc == 9 ? argv[8] : "reported";
        Gridlink__V1__Envelope t = GRIDLINK__V1__ENVELOPE__INIT;
        t.version = version;
        t.sender = argv[3];
        t.seq = first + k;
        t.body_case = GRIDLINK__V1__ENVELOPE__BODY_TRANSFER;
        t.transfer = &tr;
        send_env(s, &t);
    }
    zpoller_t *p = zpoller_new(s, NULL);
    bool answered = false, refused = false;
    char told[1100] = "";
    while (zpoller_wait(p, answered ? 300 : 3000) != NULL) {
        answered = true;
        zframe_t *f = zframe_recv(s);
        if (!f)
            break;
        Gridlink__V1__Envelope *r = gridlink__v1__envelope__unpack(NULL, zframe_size(f), zframe_data(f));
        if (r && r->body_case == GRIDLINK__V1__ENVELOPE__BODY_REFUSAL)
            refused = true;
        if (r && r->body_case == GRIDLINK__V1__ENVELOPE__BODY_ERROR && r->error && r->error->text)
            snprintf(told, sizeof told, "%s", r->error->text);
        if (r)
            gridlink__v1__envelope__free_unpacked(r, NULL);
        zframe_destroy(&f);
    }
    if (told[0])
        printf("told: %s\n", told);
    else
        printf("%s\n", refused ? "refused" : answered ? "answered" : "silent");
    zpoller_destroy(&p);
    zsock_destroy(&s);
    zcert_destroy(&cert);
    return 0;
}
