/* geo.h: a grid's area (网格范围), a GeoJSON Polygon in longitude and
 * latitude (RFC 7946), and whether a point lies in it.
 *
 * In a topology file:
 *   "area": {"type": "Polygon",
 *            "coordinates": [[[119.95, 31.86], [119.96, 31.86], [119.96, 31.88],
 *                             [119.95, 31.88], [119.95, 31.86]], [ a hole... ]]}
 * The first ring is the outline, every further ring a hole cut out of it.
 * A ring has at least 4 positions and its last repeats its first; a
 * position is [longitude, latitude] (no altitude), longitude in -180..180,
 * latitude in -90..90, both finite numbers. An area has at most
 * GL_AREA_MAX_RINGS rings and GL_AREA_MAX_POSITIONS positions in all. The
 * object has no keys but "type" and "coordinates" (a "bbox" or any other
 * member would be lost when the topology is saved). The winding order of
 * the rings is not checked (RFC 7946 asks parsers not to), and edges are
 * straight lines in longitude and latitude; an area may not cross the
 * 180th meridian.
 *
 * Containment: a point is in the area when it is inside the outline and
 * not strictly inside any hole, each ring tested by the even-odd rule. The
 * area is closed: a point on an edge or a vertex of any ring, the holes'
 * included, is in it. Two grids that share an edge therefore both contain
 * the points of that edge, and the topology gives such a point to the first
 * of them in file order (gl_topology_locate). "On an edge" is decided in
 * double arithmetic, which is exact for edges along a meridian or a
 * parallel, the usual case of tiles.
 *
 * This is our own small function rather than a packaged library: libgeos
 * (or GDAL over it) would bring a C++ runtime into every node process for
 * one predicate over a few dozen vertices.
 *
 * Ownership: gl_area_parse copies what it needs from the JSON, which stays
 * the caller's; the area is freed with gl_area_free. gl_area_to_json
 * returns a new reference the caller releases. */
#ifndef GL_GEO_H
#define GL_GEO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define GL_AREA_MAX_RINGS     64
#define GL_AREA_MAX_POSITIONS 4096

typedef struct gl_area gl_area_t;

/* Parse a Polygon geometry. GL_EINVAL with a one-line reason in err when it
 * is not one (see above), GL_ENOMEM when out of memory. */
int gl_area_parse(const json_t *geometry, gl_area_t **out, char *err, size_t errlen);
/* True if (lon, lat) is in the area (closed, holes cut out; see above).
 * False for a NULL area and for a coordinate that is not finite. */
bool gl_area_contains(const gl_area_t *a, double lon, double lat);
/* The bounding box of the outline. */
void gl_area_bounds(const gl_area_t *a, double *west, double *south, double *east, double *north);
/* The geometry as it would be written in a file; NULL when out of memory. */
json_t *gl_area_to_json(const gl_area_t *a);
void gl_area_free(gl_area_t *a);

#endif
