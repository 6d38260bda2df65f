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

/* The limits every node accepts, stated once. A receiver refuses what is
 * past them; a sender never produces it: a person's action that would grow a
 * case past the action limits is refused at the holder, and those limits
 * leave room for the entries the tree itself adds on the way (received,
 * escalated, overdue, at most a few per tier). */
#define GL_PROTO_VERSION       1
#define GL_MAX_MESSAGE         (1u << 20) /* no tree message exceeds 1 MiB packed */
#define GL_MAX_TEXT            8192       /* description and note length, bytes */
#define GL_MAX_HISTORY         1024       /* history entries of a case on the wire */
#define GL_HISTORY_RESERVE     64         /* of those, kept for the entries the tree adds */
#define GL_CASE_ACTION_HISTORY (GL_MAX_HISTORY - GL_HISTORY_RESERVE)
#define GL_CASE_ACTION_BYTES   (GL_MAX_MESSAGE - (64u << 10)) /* packed case size after a person's action */
#define GL_MAX_ATTACHMENT      (10u << 20)                    /* bytes of one attached file (a photo) */
#define GL_MAX_ATTACHMENTS     16                             /* files attached to one case */
#define GL_FILE_CHUNK          (256u << 10)                   /* a file crosses a link in chunks of this size */
#define GL_MAX_FILE_CHUNKS     ((GL_MAX_ATTACHMENT + GL_FILE_CHUNK - 1) / GL_FILE_CHUNK)
/* A control request carrying a file (attach) may be this large (HTTP only:
 * the control socket's frames stay under GL_MAX_FRAME). */
#define GL_MAX_FILE_REQUEST        (GL_MAX_ATTACHMENT + (64u << 10))
#define GL_DIGEST_BYTES            16                     /* a refused frame's digest (BLAKE2b-128) */
#define GL_MAX_TASK_PARTS          1024                   /* recipients of one bulk dispatch */
#define GL_LIST_PAGE_MAX           1000                   /* cases in one list reply */
#define GL_LIST_PAGE_BYTES         (16u * GL_MAX_MESSAGE) /* and at most this much of them, packed */
#define GL_MAX_CASE_ATTRIBUTES     32                     /* attributes a resident answers on one request */
#define GL_MAX_ATTRIBUTE_VALUES    32                     /* values of one multivaluelist answer */
#define GL_MAX_ATTRIBUTE_VALUE     1024                   /* bytes of one value */
#define GL_MAX_MEDIA_URL           2048                   /* bytes of a request's picture address */
#define GL_MAX_WHISTLE_DEPARTMENTS 64                     /* departments one whistle calls */
#define GL_MAX_HOPS                32                     /* a case request passed on more often than this is refused */
/* The largest control reply a client accepts: a list or census page. */
#define GL_MAX_CTL_REPLY (64u * GL_MAX_MESSAGE)

/* Socket limits (ZMQ_MAXMSGSIZE, see sock.h): the largest frame a peer may
 * send each kind of socket, from the decoders' own bounds plus GL_FRAME_SLACK,
 * so that a frame just over a decoder's bound is still read and refused with
 * a logged reason, while anything larger closes the connection before libzmq
 * buffers it (handshake commands included, before any key is checked). */
#define GL_FRAME_SLACK 4096u
/* Tree links (envelopes) and control requests. */
#define GL_MAX_FRAME (GL_MAX_MESSAGE + GL_FRAME_SLACK)
/* What a control client reads. */
#define GL_MAX_CTL_REPLY_FRAME (GL_MAX_CTL_REPLY + GL_FRAME_SLACK)
/* A socket's ZMTP handshake (greeting, CURVE commands, ZAP round trip) must
 * finish within this many ms, or libzmq closes the connection. The commands
 * are a few hundred bytes; this leaves room for a busy loop answering ZAP. */
#define GL_HANDSHAKE_MS 5000

/* Length of the valid UTF-8 sequence at s (n > 0 bytes available), or 0
 * if the bytes there are not one. As strict as jansson: no overlong forms,
 * no surrogates, nothing above U+10FFFF. */
size_t gl_utf8_seq_len(const char *s, size_t n);
bool gl_utf8_valid(const char *s, size_t len);
/* A case ID: a node ID, '-', a decimal counter. */
bool gl_case_id_valid(const char *s);

int gl_decode_envelope(const uint8_t *buf, size_t len, Gridlink__V1__Envelope **out, char *err, size_t errlen);
int gl_decode_bus_event(const uint8_t *buf, size_t len, Gridlink__V1__BusEvent **out, char *err, size_t errlen);
int gl_decode_ctl_request(const uint8_t *buf, size_t len, Gridlink__V1__CtlRequest **out, char *err, size_t errlen);
/* The same, for a front door that accepts requests up to max bytes. */
int gl_decode_ctl_request_max(const uint8_t *buf, size_t len, size_t max, Gridlink__V1__CtlRequest **out, char *err,
                              size_t errlen);
/* A file's SHA-256 as 64 lower-case hex digits: valid? And to bytes. */
bool gl_sha256_hex_valid(const char *s);
bool gl_sha256_from_hex(const char *s, uint8_t out[32]);
void gl_sha256_to_hex(const uint8_t in[32], char out[65]);
/* May a file of this content type be attached, and do its first bytes say
 * it is one? (photos: JPEG, PNG, WebP, GIF). NULL reason when it may. */
const char *gl_file_type_refusal(const char *content_type, const uint8_t *data, size_t len);
int gl_decode_ctl_reply(const uint8_t *buf, size_t len, Gridlink__V1__CtlReply **out, char *err, size_t errlen);
/* Bus repair, snapshot and subscription (see "bus protocol" below). A
 * request must name a known op (replay, snapshot, subscribe); replay needs a
 * node and 1 <= from_seq <= to_seq (to_seq 0 = to the end); a prefix is
 * empty or a node ID. A reply's events are checked like
 * gl_decode_bus_event's, must all be of reply->node when it names one, and
 * come in strictly increasing sequence order per node. */
int gl_decode_bus_request(const uint8_t *buf, size_t len, Gridlink__V1__BusRequest **out, char *err, size_t errlen);
int gl_decode_bus_reply(const uint8_t *buf, size_t len, Gridlink__V1__BusReply **out, char *err, size_t errlen);
/* A frame the full decoder refused may still carry a readable header: its
 * sender and sequence number (0 if none), so the receiver can refuse that
 * sequence number instead of staying silent. A frame of another protocol
 * version has 0: its number is not refused (which would make the sender
 * drop the message), it waits until the two sides speak one version. GL_EPROTO if even that cannot
 * be read. sender is copied into a buffer of GL_NODE_ID_MAX + 1 bytes. */
int gl_envelope_peek(const uint8_t *buf, size_t len, uint64_t *seq, char *sender, size_t sender_size);
/* True for the link's own control bodies (hello, welcome, heartbeat,
 * refusal, error), which never carry a sequence number; every other body is
 * the link user's and always does. */
bool gl_envelope_is_control(const Gridlink__V1__Envelope *e);
/* The case a message is about ("" if none); points into e. */
const char *gl_envelope_case_id(const Gridlink__V1__Envelope *e);
/* The digest a Refusal carries for a frame: GL_DIGEST_BYTES into out. */
void gl_frame_digest(const uint8_t *buf, size_t len, uint8_t *out);
/* Checks a case carried in a message (transfer or status). */
int gl_check_case(const Gridlink__V1__Case *c, char *err, size_t errlen);

/* Bus protocol. The broker binds one ROUTER on the topology's bus_in (CurveZMQ
 * server, ZAP domain "bus-in": node keys as their node IDs, monitor keys as
 * GL_BUS_MONITOR_PREFIX + name) and one PUB on bus_out. No third endpoint is
 * needed, so nothing can collide with the ports the topology derives.
 *
 * On bus_in, each node process connects one DEALER (its first node's key)
 * and sends two-frame messages: [topic, BusEvent] for a new log entry (topic
 * "<kind> <node>", as republished), or [GL_BUS_REPLY, BusReply] for a replay
 * chunk (op "replay") or a mark (op "mark": every hosted node's last log
 * sequence, every GL_BUS_MARK_MS). The broker sends it one-frame BusRequest
 * {op "replay", node, from_seq, to_seq}.
 *
 * What a key may see is its grant: a node key its own subtree, a monitor key
 * its topology scope (the whole district when it has none). Any admitted key
 * connects a DEALER to bus_in and sends one-frame BusRequests:
 *   "snapshot" (prefix): the view's events and marks under prefix;
 *   "replay" (node, from_seq, to_seq): a node's events;
 *   "subscribe" (prefix): from now on, every event under prefix as it is
 *     applied, one-frame BusReply {op "live", node, events: [one]}, in each
 *     node's sequence order, and every GL_BUS_MARK_MS BusReply {op "marks"}
 *     with the marks under prefix; acknowledged by BusReply {op "subscribe",
 *     node = prefix, end = true}. A connection has one subscription (a new
 *     one replaces it) until it goes away.
 * An empty prefix means the whole grant; a prefix or node outside the grant
 * is refused with code GL_EPERM. The broker answers with one-frame BusReply
 * chunks of at most GL_BUS_CHUNK events, the last with end = true (a
 * snapshot's last chunk carries the marks); a refusal is one reply with end,
 * a negative code and a reason in error. A replay answer may end short of
 * to_seq (the broker's view is behind, or it sends a few megabytes at a
 * time): the client asks again from the next sequence. What one connection
 * has not read is bounded: live events and marks past a lower bound are
 * dropped (the sequence shows the gap; replay repairs it), and past the
 * upper bound the connection is cut off (its queue, subscription and pending
 * replays dropped) and its key's requests are answered with code GL_EAGAIN,
 * "cut off...", for a while.
 *
 * Only keys whose grant is the whole district are admitted to bus_out (a PUB
 * cannot filter per subscriber). There the broker publishes [topic, BusEvent]
 * in per-node sequence order (replayed events included), "hugz" with its
 * counters each second, and [GL_BUS_MARKS, BusReply{op "marks"}] with every
 * node's last sequence so subscribers notice a lost tail. */
#define GL_BUS_REPLY          "reply"
#define GL_BUS_MARKS          "marks"
#define GL_BUS_MONITOR_PREFIX "monitor:"
#define GL_BUS_CHUNK          500           /* events per reply chunk */
#define GL_BUS_CHUNK_BYTES    (512u * 1024) /* and bytes, roughly */
#define GL_BUS_MAX_REPLY      (4u * GL_MAX_MESSAGE)
#define GL_BUS_MAX_MARKS      100000
#define GL_BUS_MARK_MS        2000
#define GL_BUS_DEFAULT_HWM    100000
#define GL_BUS_MAX_REQUEST    (64u * 1024)
/* Socket limits of the bus: what the broker's ROUTER, a monitor's SUB and
 * DEALER read (events, reply chunks, marks), and what a node's bus DEALER
 * and the broker's PUB read (requests, subscriptions). */
#define GL_BUS_MAX_FRAME     (GL_BUS_MAX_REPLY + GL_FRAME_SLACK)
#define GL_BUS_MAX_REQ_FRAME (GL_BUS_MAX_REQUEST + GL_FRAME_SLACK)
/* The bus sockets' high-water mark: $GRIDLINK_BUS_HWM if it is a number in
 * 1..10000000, else GL_BUS_DEFAULT_HWM. A smaller mark trades memory for
 * drops, which the sequence numbers reveal and replay repairs. */
int gl_bus_hwm(void);

/* Pack any message into a new malloc'd buffer (*buf owned by the caller). */
int gl_pack(const ProtobufCMessage *msg, uint8_t **buf, size_t *len);

#endif
