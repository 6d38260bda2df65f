/* gl_ctlraw.c: one control request exactly as given, without the CLI's own
 * checks, so that tests can see how a node answers requests the CLI would
 * never send. Prints "code N: ERROR" (N 0 on success) and exits 0 when the
 * node answered, 1 when it did not answer within 3 s.
 *
 *   gl_ctlraw HOME NODE OP [CASE_ID [ACTION]]
 */
#include <stdio.h>

#include "ctl.h"
#include "error.h"

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: gl_ctlraw HOME NODE OP [CASE_ID [ACTION]]\n");
        return 2;
    }
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = argv[2];
    req.op = argv[3];
    if (argc > 4)
        req.case_id = argv[4];
    if (argc > 5)
        req.action = argv[5];
    Gridlink__V1__CtlReply *rep = NULL;
    char err[512] = "";
    int rc = gl_ctl_call(argv[1], &req, 3000, &rep, err, sizeof err);
    if (rc != 0) {
        printf("no answer: %s\n", err);
        return 1;
    }
    printf("code %d: %s\n", (int)rep->code, rep->error ? rep->error : "");
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
