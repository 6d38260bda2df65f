/* caseview.h: GET /api/v1/case?id=CASE on the dashboard's door: the case
 * as the node that holds it has it (its holder from the broker's view),
 * asked over the home's local control channel (ctl.h) and answered in the
 * staff API's case JSON. Nothing is kept; the reply is freed here. */
#ifndef GL_BROKER_CASEVIEW_H
#define GL_BROKER_CASEVIEW_H

#include "core.h"
#include "http.h"

#define CASEVIEW_TIMEOUT_MS 1500

void caseview_serve(broker_t *b, gl_http_req_t *r);

#endif
