/* jsontext.h: jansson documents written as compact JSON text, byte for byte
 * what json_dumps() writes with the same flags, at a fraction of its cost:
 * no cycle check that formats and hashes the address of every object and
 * array, no callback per run of characters, no copy at the end. Documents
 * are trees the caller built (a cycle fails at the depth limit, as an
 * oversized nesting does).
 *
 * gl_json_text returns a malloc'ed, NUL-terminated string (the caller
 * frees it) and its length in *len when len is not NULL; NULL when the
 * document cannot be written: out of memory, a string or key that is not
 * UTF-8 (json_dumps() writes a broken document for such a key), a value
 * more than GL_JSON_TEXT_DEPTH levels deep (the root is level 1), or what
 * json_dumps() refuses.
 * Flags: JSON_COMPACT, JSON_PRESERVE_ORDER (jansson keeps insertion order
 * anyway) and JSON_REAL_PRECISION(n); any other flag (indentation, sorted
 * keys, escaped slashes or non-ASCII, JSON_ENCODE_ANY) is handed to
 * json_dumps() itself. */
#ifndef GL_JSONTEXT_H
#define GL_JSONTEXT_H

#include <jansson.h>
#include <stddef.h>

#define GL_JSON_TEXT_DEPTH 2048 /* levels, as deep as jansson reads */

char *gl_json_text(const json_t *doc, size_t flags, size_t *len);

#endif
