/* codec.h: decoding and checking everything that arrives from outside.
 *
 * Every decoder bounds the input size, unpacks with protobuf-c, and then
 * checks what protobuf cannot: the envelope version, node IDs, UTF-8 text,
 * string lengths, enum ranges and required fields. A refusal returns
 * GL_EPROTO (or GL_EINVAL) with a one-line reason in err; nothing here
 * asserts or aborts on input. Decoded messages are owned by the caller and
 * freed with the matching gridlink__v1__*__free_unpacked(msg, NULL). */
#ifndef GL_CODEC_H
#define GL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridlink.pb-c.h"

#define GL_PROTO_VERSION 1
#define GL_MAX_MESSAGE (1u << 20) /* no single message exceeds 1 MiB */
#define GL_MAX_TEXT 8192          /* description and note length, bytes */
#define GL_MAX_HISTORY 1024

bool gl_utf8_valid(const char *s, size_t len);

int gl_decode_envelope(const uint8_t *buf, size_t len, Gridlink__V1__Envelope **out, char *err, size_t errlen);
int gl_decode_bus_event(const uint8_t *buf, size_t len, Gridlink__V1__BusEvent **out, char *err, size_t errlen);
int gl_decode_ctl_request(const uint8_t *buf, size_t len, Gridlink__V1__CtlRequest **out, char *err, size_t errlen);
int gl_decode_ctl_reply(const uint8_t *buf, size_t len, Gridlink__V1__CtlReply **out, char *err, size_t errlen);
/* Checks a case carried in a message (transfer or status). */
int gl_check_case(const Gridlink__V1__Case *c, char *err, size_t errlen);

/* Pack any message into a new malloc'd buffer (*buf owned by the caller). */
int gl_pack(const ProtobufCMessage *msg, uint8_t **buf, size_t *len);

#endif
