/* geo.c: parsing, testing and writing back a grid's area (see geo.h).
 *
 * A gl_area_t is one allocation: the bounding box of the outline, the ring
 * ends and every position, ring after ring, each ring keeping its closing
 * position. gl_area_free releases it. */
#include "geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsoncheck.h"

struct gl_area {
    double west, south, east, north; /* of the outline */
    size_t n_rings;
    size_t *ends; /* ends[r]: one past ring r's last position; points into the same block */
    size_t n_positions;
    double xy[]; /* longitude, latitude of each position */
};

/* ---- parsing --------------------------------------------------------- */

/* Reads one coordinate into *out, or explains in err why it cannot. */
static bool read_coord(const json_t *v, const char *what, double lo, double hi, size_t r, size_t k, double *out,
                       char *err, size_t errlen)
{
    if (!json_is_number(v)) {
        gl_errf(err, errlen, "ring %zu position %zu: the %s is not a number", r, k, what);
        return false;
    }
    double d = json_number_value(v);
    if (!isfinite(d)) {
        gl_errf(err, errlen, "ring %zu position %zu: the %s is not a finite number", r, k, what);
        return false;
    }
    if (d < lo || d > hi) {
        gl_errf(err, errlen, "ring %zu position %zu: %s %.10g is outside %g..%g", r, k, what, d, lo, hi);
        return false;
    }
    *out = d;
    return true;
}

/* Checks the shape of coordinates (rings of arrays, enough and not too many
 * positions) and counts the positions; the positions themselves are read
 * afterwards. */
static int count_positions(const json_t *coords, size_t *n_out, char *err, size_t errlen)
{
    if (!json_is_array(coords)) {
        gl_errf(err, errlen, "coordinates must be an array of rings");
        return GL_EINVAL;
    }
    size_t n_rings = json_array_size(coords);
    if (n_rings == 0) {
        gl_errf(err, errlen, "coordinates has no ring (the first ring is the outline)");
        return GL_EINVAL;
    }
    if (n_rings > GL_AREA_MAX_RINGS) {
        gl_errf(err, errlen, "coordinates has %zu rings, at most %d supported", n_rings, GL_AREA_MAX_RINGS);
        return GL_EINVAL;
    }
    size_t total = 0;
    for (size_t r = 0; r < n_rings; r++) {
        const json_t *ring = json_array_get(coords, r);
        if (!json_is_array(ring)) {
            gl_errf(err, errlen, "ring %zu: must be an array of positions", r);
            return GL_EINVAL;
        }
        size_t n = json_array_size(ring);
        if (n < 4) {
            gl_errf(err, errlen, "ring %zu: %zu positions, a ring needs at least 4 (the last repeating the first)", r,
                    n);
            return GL_EINVAL;
        }
        total += n;
        if (total > GL_AREA_MAX_POSITIONS) {
            gl_errf(err, errlen, "more than %d positions in the area", GL_AREA_MAX_POSITIONS);
            return GL_EINVAL;
        }
    }
    *n_out = total;
    return GL_OK;
}

int gl_area_parse(const json_t *geometry, gl_area_t **out, char *err, size_t errlen)
{
    static const char *const keys[] = {"type", "coordinates"};
    if (!out)
        return GL_EINVAL;
    *out = NULL;
    const char *bad = NULL;
    if (!json_is_object(geometry)) {
        gl_errf(err, errlen, "must be a GeoJSON Polygon object");
        return GL_EINVAL;
    }
    if (!gl_json_only_keys(geometry, keys, 2, &bad)) {
        gl_errf(err, errlen, "unknown key '%.40s' (a Polygon has type and coordinates)", bad);
        return GL_EINVAL;
    }
    const json_t *type = json_object_get(geometry, "type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "Polygon") != 0) {
        gl_errf(err, errlen, "type must be \"Polygon\"");
        return GL_EINVAL;
    }
    const json_t *coords = json_object_get(geometry, "coordinates");
    size_t n_pos = 0;
    int rc = count_positions(coords, &n_pos, err, errlen);
    if (rc != 0)
        return rc;

    size_t n_rings = json_array_size(coords);
    gl_area_t *a = malloc(sizeof *a + n_pos * 2 * sizeof(double) + n_rings * sizeof(size_t));
    if (!a) {
        gl_errf(err, errlen, "out of memory");
        return GL_ENOMEM;
    }
    a->n_rings = n_rings;
    a->n_positions = n_pos;
    a->ends = (size_t *)(void *)(a->xy + n_pos * 2);
    size_t at = 0;
    for (size_t r = 0; r < n_rings; r++) {
        const json_t *ring = json_array_get(coords, r);
        size_t n = json_array_size(ring), first = at;
        for (size_t k = 0; k < n; k++, at++) {
            const json_t *pos = json_array_get(ring, k);
            if (!json_is_array(pos) || json_array_size(pos) != 2) {
                gl_errf(err, errlen, "ring %zu position %zu: must be [longitude, latitude]", r, k);
                free(a);
                return GL_EINVAL;
            }
            if (!read_coord(json_array_get(pos, 0), "longitude", -180, 180, r, k, &a->xy[2 * at], err, errlen) ||
                !read_coord(json_array_get(pos, 1), "latitude", -90, 90, r, k, &a->xy[2 * at + 1], err, errlen)) {
                free(a);
                return GL_EINVAL;
            }
        }
        if (a->xy[2 * first] != a->xy[2 * (at - 1)] || a->xy[2 * first + 1] != a->xy[2 * (at - 1) + 1]) {
            gl_errf(err, errlen, "ring %zu: not closed (its last position must repeat its first)", r);
            free(a);
            return GL_EINVAL;
        }
        a->ends[r] = at;
    }
    a->west = a->east = a->xy[0];
    a->south = a->north = a->xy[1];
    for (size_t k = 1; k < a->ends[0]; k++) {
        a->west = fmin(a->west, a->xy[2 * k]);
        a->east = fmax(a->east, a->xy[2 * k]);
        a->south = fmin(a->south, a->xy[2 * k + 1]);
        a->north = fmax(a->north, a->xy[2 * k + 1]);
    }
    *out = a;
    return GL_OK;
}

/* ---- containment ----------------------------------------------------- */

enum side { OUTSIDE, INSIDE, ON_EDGE };

/* Where (x, y) lies with respect to the closed ring of n positions at p:
 * on one of its edges, or else inside or outside by the even-odd rule (a
 * ray towards +x crosses the ring an odd number of times from inside). */
static enum side ring_side(const double *p, size_t n, double x, double y)
{
    bool in = false;
    for (size_t k = 0; k + 1 < n; k++) {
        double ax = p[2 * k], ay = p[2 * k + 1], bx = p[2 * k + 2], by = p[2 * k + 3];
        if (x >= fmin(ax, bx) && x <= fmax(ax, bx) && y >= fmin(ay, by) && y <= fmax(ay, by) &&
            (bx - ax) * (y - ay) - (by - ay) * (x - ax) == 0)
            return ON_EDGE;
        /* An edge counts when it spans y, half-open at its upper end, so a
         * vertex at the ray's height is counted once. */
        if ((ay > y) != (by > y) && x < ax + (y - ay) * (bx - ax) / (by - ay))
            in = !in;
    }
    return in ? INSIDE : OUTSIDE;
}

bool gl_area_contains(const gl_area_t *a, double lon, double lat)
{
    if (!a || !isfinite(lon) || !isfinite(lat))
        return false;
    if (lon < a->west || lon > a->east || lat < a->south || lat > a->north)
        return false;
    enum side s = ring_side(a->xy, a->ends[0], lon, lat);
    if (s != INSIDE)
        return s == ON_EDGE;
    for (size_t r = 1; r < a->n_rings; r++) {
        size_t first = a->ends[r - 1];
        if (ring_side(a->xy + 2 * first, a->ends[r] - first, lon, lat) == INSIDE)
            return false;
    }
    return true;
}

void gl_area_bounds(const gl_area_t *a, double *west, double *south, double *east, double *north)
{
    if (west)
        *west = a ? a->west : 0;
    if (south)
        *south = a ? a->south : 0;
    if (east)
        *east = a ? a->east : 0;
    if (north)
        *north = a ? a->north : 0;
}

/* ---- writing back and freeing ---------------------------------------- */

json_t *gl_area_to_json(const gl_area_t *a)
{
    if (!a)
        return NULL;
    json_t *coords = json_array();
    json_t *o = json_pack("{s:s,s:o}", "type", "Polygon", "coordinates", coords);
    if (!o)
        return NULL;
    size_t at = 0;
    for (size_t r = 0; r < a->n_rings; r++) {
        json_t *ring = json_array();
        if (json_array_append_new(coords, ring) != 0)
            goto fail;
        for (; at < a->ends[r]; at++) {
            json_t *pos = json_pack("[f,f]", a->xy[2 * at], a->xy[2 * at + 1]);
            if (json_array_append_new(ring, pos) != 0)
                goto fail;
        }
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

void gl_area_free(gl_area_t *a)
{
    free(a);
}
