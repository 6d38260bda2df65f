/* rescode.h: residents' codes, the follow-up code (回执码) of a request and
 * the appraisal ticket (评议码): GL_PUBLIC_CODE_LEN characters of an
 * alphabet without 0, O, 1 and I, made from libsodium's randombytes, and
 * kept only as their BLAKE2b-256 hash (GL_RECEIPT_HASH bytes), as tokens
 * are kept. The node's residents' pages (resident.h) and the engine's
 * appraisal tickets share them. Nothing here allocates. */
#ifndef GL_RESCODE_H
#define GL_RESCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define GL_PUBLIC_CODE_LEN 12

void gl_resident_code_make(char out[GL_PUBLIC_CODE_LEN + 1]);
/* A code as a resident may type it (lower case, with spaces or hyphens)
 * in its stored form; false when it is not one. */
bool gl_resident_code_norm(const char *in, char out[GL_PUBLIC_CODE_LEN + 1]);
void gl_resident_code_hash(const char *code, uint8_t hash[GL_RECEIPT_HASH]);

#endif
