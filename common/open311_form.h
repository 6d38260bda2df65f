/* open311_form.h: a POST of Open311 GeoReport v2 (application/x-www-form-
 * urlencoded, as the specification has it) read into the engine's request
 * operation, with no server around it, so that a fuzz target can call it.
 *
 * gl_open311_form_parse splits and decodes the body ('+' a space, %XX a
 * byte; a malformed escape, a NUL, a pair past GL_O311_FORM_PAIRS or a
 * value that is not UTF-8 is refused). gl_open311_form_request reads the
 * spec's fields from it: service_code (a category of cat), lat and long or
 * address_string (or address_id), description (at most 4000 characters,
 * and GL_MAX_TEXT bytes as every case's text),
 * media_url, the contact fields (email, device_id, account_id, first_name,
 * last_name, phone), attribute[code]=v and attribute[code][]=v, checked
 * against the service's attributes (service_attrs.h); api_key and
 * jurisdiction_id are the caller's (gl_open311_form_get).
 *
 * Ownership: a gl_o311_form owns its decoded strings (gl_open311_form_free);
 * the CtlRequest made is the caller's (gridlink__v1__ctl_request__free_unpacked)
 * and points into nothing of the form. */
#ifndef GL_OPEN311_FORM_H
#define GL_OPEN311_FORM_H

#include <stddef.h>

#include "category.h"
#include "gridlink.pb-c.h"

#define GL_O311_FORM_PAIRS  256
#define GL_O311_KEY_MAX     128
#define GL_O311_VALUE_MAX   16384
#define GL_O311_DESCRIPTION 4000 /* characters */

typedef struct gl_o311_form {
    char **keys, **values;
    size_t n;
} gl_o311_form;

/* 0, or GL_EINVAL with the reason in why (GL_ENOMEM). */
int gl_open311_form_parse(const char *body, size_t len, gl_o311_form *out, char *why, size_t whylen);
void gl_open311_form_free(gl_o311_form *f);
/* The first value of key, NULL when absent. */
const char *gl_open311_form_get(const gl_o311_form *f, const char *key);

/* A request operation (op "request", kind request) from the form's fields.
 * 0; or the HTTP status of the refusal, 400 (a missing or bad parameter) or
 * 404 (no such service), with the reason in why; 500 when out of memory. */
int gl_open311_form_request(const gl_o311_form *f, const gl_catalogue_t *cat, Gridlink__V1__CtlRequest **out, char *why,
                            size_t whylen);

/* The entry of cat that Open311 calls service_code: a subcategory, or a
 * kind without subcategories; NULL when none. */
const gl_category_t *gl_open311_service(const gl_catalogue_t *cat, const char *code);

#endif
