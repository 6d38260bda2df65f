/* service_attrs.h: the typed attributes of a service (a catalogue
 * category), as Open311 GeoReport v2 describes them, and the check of a
 * resident's answers against them.
 *
 * In a topology file a category may carry
 *   "description": "...", "keywords": "路面, 坑洞",
 *   "attributes": [
 *     {"code": "area", "datatype": "number", "required": true,
 *      "description": "路面破损的面积", "datatype_description": "平方米", "order": 1},
 *     {"code": "blocking", "datatype": "singlevaluelist", "required": true,
 *      "description": "是否影响通行", "values": [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]}]
 * datatype is string, number, datetime, text, singlevaluelist or
 * multivaluelist; values (1..64 of them, unique keys) are given exactly for
 * the two lists. "variable" (default true: the resident answers it),
 * "required" (default false) and "order" (default the position, 1..) are
 * optional; codes and keys are 1..32 characters of [A-Za-z0-9_-], unique
 * within the service; a service has at most GL_SERVICE_ATTRS_MAX.
 *
 * gl_service_attrs_parse checks such an array and returns a new, normalised
 * copy (every key present, in the order above) that the catalogue keeps;
 * gl_service_attrs_check reads answers against that copy. Neither keeps a
 * pointer into what it is given. */
#ifndef GL_SERVICE_ATTRS_H
#define GL_SERVICE_ATTRS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridlink.pb-c.h"

#define GL_SERVICE_ATTRS_MAX  16
#define GL_SERVICE_VALUES_MAX 64

/* A checked, normalised copy of the category's "attributes" (a new
 * reference into *out), or GL_EINVAL with a reason naming category code and
 * the attribute in err. */
int gl_service_attrs_parse(const json_t *attrs, const char *code, json_t **out, char *err, size_t errlen);

/* The answers (n of them, each a code and its values) against a service's
 * normalised attributes (NULL: it has none): every required attribute
 * answered, each answer one of the service's codes, given once, with one
 * value (several only for a multivaluelist, each listed once), of its
 * datatype (a number, an ISO 8601 date and time, a key of the list).
 * GL_EINVAL with the reason in err. */
int gl_service_attrs_check(const json_t *attrs, Gridlink__V1__CaseAttribute *const *answers, size_t n, char *err,
                           size_t errlen);

/* Is s an ISO 8601 date-time as Open311 gives them (YYYY-MM-DDTHH:MM[:SS[.fff]]
 * with Z or +hh:mm / -hh:mm, or a date alone, taken as UTC midnight)? A
 * space stands for the '+' of an offset, as an unescaped query string
 * decodes it. The instant in ms since the epoch into *ms. */
bool gl_iso8601_parse(const char *s, int64_t *ms);

#endif
