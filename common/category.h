/* category.h: the category catalogue, the kinds of matter a case may be
 * about, and sets of category codes such as the community work-access list.
 *
 * The catalogue has two levels. A kind is one of the integrated grid's fields
 * of work (code "urban", display name "城管"); each kind has subcategories
 * whose codes are the kind's code, a slash and one more part ("urban/roads",
 * "道路设施"). Every entry carries default limits: the time its holder has to
 * sign for (accept) a case and to resolve it. SLA rules of the topology take
 * precedence over them (see policy.h). Codes are 1..31 characters of
 * [a-z0-9_-] per part, starting with a letter.
 *
 * In a topology file the catalogue is an array of kinds:
 *   "categories": [
 *     {"code": "urban", "name": "城管", "accept_wd": 1, "resolve_wd": 5,
 *      "subcategories": [
 *        {"code": "urban/sanitation", "name": "环境卫生", "accept_wh": 1, "resolve_wh": 5},
 *        {"code": "urban/utilities", "name": "市政公用", "accept_wh": 1, "resolve_s": 86400}, ...]},
 *     ...]
 * An entry may also give "description", "keywords" (text for Open311's
 * service list) and "attributes" (what a resident answers; service_attrs.h).
 * Every entry gives both limits, each once: on the clock in whole seconds
 * (accept_s, 0..316224000), or in working time (accept_wh working hours,
 * accept_wd working days; see calendar.h); 0 is no such deadline. accept
 * may not be longer than resolve when both are set, compared by their
 * nominal lengths (a working hour as 1 h, a working day as 24 h). A file
 * without "categories" gets the built-in catalogue (gl_catalogue_default).
 *
 * A category set is a list of codes in which a kind's code stands for all
 * of its subcategories: "community_tasks": ["services", "urban/sanitation"].
 *
 * A gl_catalogue_t owns its entries and their strings; a gl_category_set_t
 * owns its codes. Free them with gl_catalogue_free and gl_category_set_free.
 * Lookups return pointers into the catalogue, valid until it is freed. JSON
 * values passed in stay owned by the caller; the *_to_json functions return
 * new references the caller releases. */
#ifndef GL_CATEGORY_H
#define GL_CATEGORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"

#define GL_CATEGORY_CODE_MAX 63 /* "kind/name", 31 characters a part */

typedef struct gl_category {
    char *code;                     /* "urban" or "urban/roads" */
    char *name;                     /* this entry's own name: "城管", "道路设施" */
    char *display;                  /* with its kind's name: "城管/道路设施"; a kind's is its name */
    gl_time_limit accept;           /* time to sign for a case; amount 0 = none */
    gl_time_limit resolve;          /* time to resolve it; amount 0 = none */
    int64_t accept_ms;              /* accept's nominal length (gl_time_limit_nominal_ms) */
    int64_t resolve_ms;             /* resolve's nominal length */
    const struct gl_category *kind; /* a subcategory's kind; NULL for a kind */
    struct gl_category *subs;       /* a kind's subcategories, in file order */
    size_t n_subs;
    /* What Open311 shows of the service: optional text ("" when none) and
     * typed attributes (a normalised array, service_attrs.h; NULL when none). */
    char *description;
    char *keywords;
    json_t *attributes;
} gl_category_t;

typedef struct gl_catalogue {
    gl_category_t *kinds; /* in file order */
    size_t n_kinds;
    size_t n_subs; /* subcategories of all kinds together */
    bool builtin;  /* made by gl_catalogue_default, not read from a file */
} gl_catalogue_t;

typedef struct gl_category_set {
    char **codes; /* kinds and subcategories of one catalogue, in file order */
    size_t n;
} gl_category_set_t;

/* Build a catalogue from a JSON array of kinds (format above). On error
 * returns GL_EINVAL (GL_ENOMEM) and writes a one-line reason naming the
 * entry into err. */
int gl_catalogue_from_json(const json_t *kinds, gl_catalogue_t **out, char *err, size_t errlen);
/* The built-in catalogue: 党建 party, 综治 governance, 城管 urban and 社区服务
 * services with their subcategories and the limits of common practice.
 * 0, GL_ENOMEM, or GL_EINVAL if the built-in table itself were invalid. */
int gl_catalogue_default(gl_catalogue_t **out);
/* Serialize back to the array gl_catalogue_from_json reads (new reference,
 * NULL when out of memory). */
json_t *gl_catalogue_to_json(const gl_catalogue_t *cat);
void gl_catalogue_free(gl_catalogue_t **cat);

/* The entry whose code is exactly code, a kind or a subcategory; NULL if
 * there is none. */
const gl_category_t *gl_category_find(const gl_catalogue_t *cat, const char *code);
/* Display name of code: "城管/道路设施" for a subcategory, "城管" for a kind;
 * NULL if code is not in the catalogue. Points into cat. */
const char *gl_category_display_name(const gl_catalogue_t *cat, const char *code);
/* The catalogue's default limits for code: its own entry's, or else those of
 * the longest code of the catalogue that is a prefix of it ending at a '/'
 * (the kind's for "urban/potholes", urban/roads' for "urban/roads/holes"), as
 * SLA rules match. GL_ENOENT (both outputs no limit) when there is none.
 * Output pointers may be NULL. */
int gl_category_time_limits(const gl_catalogue_t *cat, const char *code, gl_time_limit *accept, gl_time_limit *resolve);
/* The same as nominal lengths in ms (a working hour as 1 h, a working day as
 * 24 h), 0 for none. */
int gl_category_limits(const gl_catalogue_t *cat, const char *code, int64_t *accept_ms, int64_t *resolve_ms);
/* Every valid code, each kind followed by its subcategories, separated by
 * ", ": "party, party/activities, ...". If they do not all fit in len bytes,
 * as many whole codes as fit are written followed by "..." and GL_ETOOBIG is
 * returned; 0 otherwise. buf is always NUL-terminated (len > 0). */
int gl_category_list(const gl_catalogue_t *cat, char *buf, size_t len);
/* 0 if code is in the catalogue; else GL_EINVAL with "unknown category 'x';
 * valid: party, party/activities, ..." in err. */
int gl_category_check(const gl_catalogue_t *cat, const char *code, char *err, size_t errlen);

/* Build a set from a JSON array of codes of cat. what names the array in
 * error messages ("community_tasks[2]: unknown category 'x'"). A code may be
 * listed once. GL_EINVAL (GL_ENOMEM) with a one-line reason in err. */
int gl_category_set_from_json(const gl_catalogue_t *cat, const json_t *codes, const char *what, gl_category_set_t **out,
                              char *err, size_t errlen);
/* An empty set; 0 or GL_ENOMEM. */
int gl_category_set_empty(gl_category_set_t **out);
/* Serialize back to an array of strings (new reference, NULL when out of
 * memory). */
json_t *gl_category_set_to_json(const gl_category_set_t *s);
void gl_category_set_free(gl_category_set_t **s);
/* True if code is in cat and s lists it or its kind. A kind itself is only
 * covered when s lists the kind, not when it lists some of its
 * subcategories. */
bool gl_category_set_has(const gl_category_set_t *s, const gl_catalogue_t *cat, const char *code);

#endif
