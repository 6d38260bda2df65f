/* topo_fx.h: what the topology's unit tests share (topo_fx.c): loading
 * the committed files and hand-made JSON, temporary directories, fresh
 * keys, and the node and topology fragments the broken examples are made
 * of. The helpers fail the running cmocka test on any error. */
#ifndef GL_TEST_TOPO_FX_H
#define GL_TEST_TOPO_FX_H

#include "keys.h"
#include "topology.h"

#define T_DISTRICT  GRIDLINK__V1__TIER__TIER_DISTRICT
#define T_TOWNSHIP  GRIDLINK__V1__TIER__TIER_TOWNSHIP
#define T_COMMUNITY GRIDLINK__V1__TIER__TIER_COMMUNITY
#define T_GRID      GRIDLINK__V1__TIER__TIER_GRID
#define T_DEPT      GRIDLINK__V1__TIER__TIER_DEPARTMENT
#define N_TIERS     (T_DEPT + 1)

/* JSON fragments: one node of each tier, a topology around nodes, and the
 * values the validation cases vary. */
#define D           "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\"}"
#define T           "{\"id\":\"a.t\",\"tier\":\"township\",\"name\":\"T\"}"
#define C           "{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\"}"
#define G           "{\"id\":\"a.t.c.g\",\"tier\":\"grid\",\"name\":\"G\"}"
#define TOPO(nodes) "{\"port_base\":17300,\"nodes\":[" nodes "]}"
#define EP(e)       "{\"id\":\"a\",\"tier\":\"district\",\"name\":\"A\",\"endpoint\":\"" e "\"}"
#define LONG100     "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
#define KEY_OK      "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define AREA_SQUARE "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"
#define AREA_OPEN   "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}"
#define DEPT(id)    "{\"id\":\"" id "\",\"tier\":\"department\",\"name\":\"X\"}"
#define ADDR(list)  "{\"id\":\"a.t.c\",\"tier\":\"community\",\"name\":\"C\",\"addresses\":[" list "]}"

/* A topology with explicit endpoints and a listen host (port base 17300). */
extern const char *const tfx_explicit_json;

/* deploy/topology/<name> of the source tree (GL_SRC, else this file's path). */
gl_topology_t *tfx_load_committed(const char *name);
/* A topology from text that must load. */
gl_topology_t *tfx_load_text(const char *json);
/* A fresh directory under /tmp (the caller frees the path and removes it
 * with tfx_rm_rf). */
char *tfx_make_tmpdir(void);
void tfx_rm_rf(const char *dir);
/* A new CurveZMQ public key. */
void tfx_fresh_key(char out[GL_KEY_Z85_LEN + 1]);

#endif
