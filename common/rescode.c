/* rescode.c: residents' codes (see rescode.h). */
#include <string.h>

#include <sodium.h>

#include "rescode.h"

static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; /* 32: no 0, O, 1, I */

void gl_resident_code_hash(const char *code, uint8_t hash[GL_RECEIPT_HASH])
{
    crypto_generichash(hash, GL_RECEIPT_HASH, (const unsigned char *)code, strlen(code), NULL, 0);
}

void gl_resident_code_make(char out[GL_PUBLIC_CODE_LEN + 1])
{
    uint8_t raw[GL_PUBLIC_CODE_LEN];
    randombytes_buf(raw, sizeof raw);
    for (int i = 0; i < GL_PUBLIC_CODE_LEN; i++)
        out[i] = alphabet[raw[i] & 31]; /* 32 divides 256: no bias */
    out[GL_PUBLIC_CODE_LEN] = 0;
    sodium_memzero(raw, sizeof raw);
}

bool gl_resident_code_norm(const char *in, char out[GL_PUBLIC_CODE_LEN + 1])
{
    size_t n = 0;
    for (size_t i = 0; in[i] && i < 64; i++) {
        char c = in[i];
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!strchr(alphabet, c) || n == GL_PUBLIC_CODE_LEN)
            return false;
        out[n++] = c;
    }
    out[n] = 0;
    return n == GL_PUBLIC_CODE_LEN && strlen(in) < 64;
}
