/* jsoncheck.h: checks shared by the parsers of the topology file and its
 * parts (nodes, broker, monitors, the category catalogue, the calendar).
 * Nothing is allocated; every pointer returned points into the JSON. */
#ifndef GL_JSONCHECK_H
#define GL_JSONCHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* True if every key of obj is one of keys[0..n); otherwise false with the
 * first other key in *bad. */
bool gl_json_only_keys(const json_t *obj, const char *const *keys, size_t n, const char **bad);

#endif
