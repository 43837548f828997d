/* rc-wire.h: the Netceptor message codec (wire.md 1-4, 12, 13).
 *
 * Pure: never sees a socket, never logs above debug. Messages are whole
 * Netceptor messages as a backend delivers them: one type byte then a body.
 * Hot-path decoders (data messages) return an RcWireStatus; JSON decoders
 * (routing updates, service advertisements, unreachables) return NULL and set
 * a GError in RC_ERROR / RC_ERROR_PROTOCOL.
 *
 * JSON is emitted byte-for-byte as Go's encoding/json would (wire.md 3.1):
 * no whitespace, struct keys in Go declaration order, map keys sorted
 * bytewise, Go float and string formatting. It is parsed with json-glib,
 * liberally as Go does (wire.md 3.2): case-insensitive keys, unknown keys
 * ignored, null = zero value, integer fields must be plain integers in range.
 */
#pragma once

#include <glib.h>

#include "rc-limits.h"
#include "receptor/receptor-plugin.h" /* RC_ERROR */

/* Message type byte (wire.md 2). */
#define RC_MSG_DATA       0
#define RC_MSG_ROUTE      1
#define RC_MSG_SERVICE_AD 2
#define RC_MSG_REJECT     3

/* Service-advertisement connection types (wire.md 2.3). */
#define RC_CONN_TYPE_DATAGRAM   0
#define RC_CONN_TYPE_STREAM     1
#define RC_CONN_TYPE_STREAM_TLS 2

/* Unreachable problem texts (wire.md 7.4), exact. */
#define RC_PROBLEM_SERVICE_UNKNOWN "service unknown"
#define RC_PROBLEM_EXPIRED         "message expired"
#define RC_PROBLEM_REJECTED        "blocked by firewall"

/* Status of a hot-path decode. */
typedef enum {
	RC_WIRE_OK = 0,
	RC_WIRE_EMPTY = 1,      /* zero-length message (Go panics; we ignore it, wire.md 2) */
	RC_WIRE_WRONG_TYPE = 2, /* first byte is not the expected type */
	RC_WIRE_TOO_SHORT = 3   /* data message shorter than 36 bytes (wire.md 2.1) */
} RcWireStatus;

/* The spec's text for a status, e.g. "data too short to be a valid message"
 * (wire.md 2.1), to be logged after "Error translating data to message struct: ".
 * (transfer none) */
const char *rc_wire_status_message(RcWireStatus status);

/* ------------------------------------------------------------ names (1.2, 1.3) */

/* HighwayHash-64 with the all-zero key of `len` bytes of `name` (wire.md 1.3).
 * The caller substitutes `localhost` first (wire.md 1.1). The header carries the
 * result big-endian; rc_wire_encode_data does that. */
guint64 rc_wire_name_hash(const char *name, gsize len);

/* TRUE when `svc` fits a service field (at most 8 bytes, wire.md 1.2). */
gboolean rc_wire_service_name_valid(const char *svc);

/* Write `svc` NUL-padded into exactly 8 bytes (wire.md 1.2). Only the first
 * 8 bytes are used: check rc_wire_service_name_valid before. */
void rc_wire_service_to_fixed(const char *svc, guint8 out[8]);

/* Decode an 8-byte service field: trailing NULs are stripped, interior NULs kept
 * (so the result may contain NULs; its length is then reported through
 * rc_wire_service_fixed_len). (transfer full) */
char *rc_wire_service_from_fixed(const guint8 in[8]);
/* Length of the decoded service name (bytes before the trailing NUL padding). */
gsize rc_wire_service_fixed_len(const guint8 in[8]);

/* ------------------------------------------------------------ data (2.1) */

/* A decoded data-message header. Strings are NUL-terminated copies; `payload`
 * points into the decoded message (transfer none, valid while it is). */
typedef struct {
	guint8 hops_to_live;
	guint64 from_node; /* name hash (wire.md 1.3) */
	guint64 to_node;   /* name hash */
	char from_service[RC_WIRE_SERVICE_LEN + 1];
	char to_service[RC_WIRE_SERVICE_LEN + 1];
	const guint8 *payload;
	gsize payload_len;
} RcDataHeader;

/* Decode a whole type-0 message (type byte included). No allocation.
 * Returns RC_WIRE_OK and fills `out`, or a status (then `out` is undefined). */
RcWireStatus rc_wire_decode_data(const guint8 *msg, gsize len, RcDataHeader *out);

/* Encode a whole type-0 message: type byte, `hops`, reserved 00 00, hashes
 * big-endian, services NUL-padded (each must be valid: at most 8 bytes), then
 * `len` payload bytes (`payload` may be NULL when len is 0). (transfer full) */
GBytes *rc_wire_encode_data(guint8 hops, guint64 from, guint64 to, const char *from_svc,
			    const char *to_svc, const guint8 *payload, gsize len);

/* The 3-byte reject message 03 5b 5d (wire.md 2.5). (transfer full) */
GBytes *rc_wire_encode_reject(void);

/* ------------------------------------------------------------ JSON helpers (3.1) */

/* Append `value` as Go's encoding/json formats a float64 (1 -> "1", 2.5 -> "2.5",
 * 1e20 -> "100000000000000000000", 1e21 -> "1e+21", 1e-7 -> "1e-7"). Returns FALSE and appends
 * nothing for NaN or infinities (Go refuses to encode them). */
gboolean rc_wire_json_append_double(GString *out, double value);
/* Append `str` as a quoted JSON string with Go's escaping (wire.md 3.1:
 * <, >, & as \u003c..., U+2028/9 escaped, invalid UTF-8 as \ufffd). */
void rc_wire_json_append_string(GString *out, const char *str);
/* Same for `len` bytes that may contain NULs. */
void rc_wire_json_append_string_len(GString *out, const char *str, gsize len);

/* ------------------------------------------------------------ routing update (2.2) */

typedef struct {
	char *node_id;         /* "" when absent */
	char *update_id;       /* "" when absent */
	guint64 epoch;         /* UpdateEpoch */
	guint64 sequence;      /* UpdateSequence */
	/* node ID (char*) -> cost (gdouble*, g_free'd). Never NULL: when the JSON had
	 * null or no Connections, the table is empty and connections_null is TRUE
	 * (Go tells null apart from {} in its change detection, wire.md 6.4). */
	GHashTable *connections;
	gboolean connections_null;
	char *forwarding_node; /* "" when absent */
	guint64 suspected_duplicate;
} RcRoutingUpdate;

/* An empty update (all strings "", connections {} and not null). (transfer full) */
RcRoutingUpdate *rc_routing_update_new(void);
/* A deep copy. (transfer full) */
RcRoutingUpdate *rc_routing_update_copy(const RcRoutingUpdate *ru);
void rc_routing_update_free(RcRoutingUpdate *ru);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRoutingUpdate, rc_routing_update_free)

/* Set one connection (clears connections_null). */
void rc_routing_update_set_connection(RcRoutingUpdate *ru, const char *node, double cost);
/* TRUE and *cost when `node` is listed. `cost` may be NULL. */
gboolean rc_routing_update_get_connection(const RcRoutingUpdate *ru, const char *node,
					  double *cost);

/* Decode a routing-update BODY (the message without its type byte) as Go would
 * (wire.md 3.2). (transfer full) NULL with `error` set on a body Go rejects. */
RcRoutingUpdate *rc_routing_update_decode(const guint8 *body, gsize len, GError **error);

/* Encode a whole type-1 message (type byte included), byte-exact with Go
 * (wire.md 2.2, 12.1). NULL when a cost is NaN or infinite (Go sends nothing,
 * wire.md 3.1). (transfer full) */
GBytes *rc_routing_update_encode(const RcRoutingUpdate *ru);

/* ------------------------------------------------------------ time (3.5) */

/* A Go time.Time as carried in advertisements: an absolute instant plus the
 * zone offset it was written in (re-emitted as is, wire.md 3.5). */
typedef struct {
	gint64 unix_s;     /* seconds since 1970-01-01T00:00:00Z */
	guint32 nsec;      /* 0..999999999 */
	gint32 offset_s;   /* zone offset east of UTC; 0 prints "Z" */
} RcWireTime;

/* Parse strict RFC 3339 (upper-case T, Z or +-hh:mm, optional fraction).
 * FALSE when malformed. */
gboolean rc_wire_time_parse(const char *text, gsize len, RcWireTime *out);
/* Go's RFC3339Nano layout; FALSE (nothing appended) for years outside 0000-9999. */
gboolean rc_wire_time_append(GString *out, const RcWireTime *t);
/* Compare instants (zone ignored): <0, 0, >0. */
int rc_wire_time_compare(const RcWireTime *a, const RcWireTime *b);
/* Now, in UTC ("Z"), with nanoseconds from the wall clock (microsecond precision). */
void rc_wire_time_now(RcWireTime *out);

/* ------------------------------------------------------------ service ad (2.3) */

typedef struct {
	char *work_type;
	gboolean secure;
} RcWorkCommand;

typedef struct {
	char *node_id;
	char *service;
	RcWireTime time;
	guint8 conn_type;      /* RC_CONN_TYPE_* */
	GHashTable *tags;      /* nullable (JSON null): char* -> char* */
	GPtrArray *work_commands; /* nullable (JSON null): RcWorkCommand* */
	gboolean cancel;
} RcServiceAd;

/* An empty advertisement (strings "", tags and work_commands NULL). (transfer full) */
RcServiceAd *rc_service_ad_new(void);
RcServiceAd *rc_service_ad_copy(const RcServiceAd *ad);
void rc_service_ad_free(RcServiceAd *ad);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcServiceAd, rc_service_ad_free)
/* Set a tag, creating the table if NULL. */
void rc_service_ad_set_tag(RcServiceAd *ad, const char *key, const char *value);
/* Append a work command, creating the array if NULL. */
void rc_service_ad_add_work_command(RcServiceAd *ad, const char *work_type, gboolean secure);

/* Decode a service-advertisement BODY (without the type byte). Refuses a body
 * with none of the six advertisement keys (Go would crash, wire.md 2.3).
 * (transfer full) */
RcServiceAd *rc_service_ad_decode(const guint8 *body, gsize len, GError **error);
/* Encode a whole type-2 message (type byte included), all seven keys, byte-exact
 * with Go (wire.md 12.4). NULL when the time cannot be encoded. (transfer full) */
GBytes *rc_service_ad_encode(const RcServiceAd *ad);

/* ------------------------------------------------------------ unreachable (2.4) */

typedef struct {
	char *from_node;
	char *to_node;
	char *from_service;
	char *to_service;
	char *problem;
} RcUnreachable;

RcUnreachable *rc_unreachable_new(const char *from_node, const char *to_node,
				  const char *from_service, const char *to_service,
				  const char *problem);
void rc_unreachable_free(RcUnreachable *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcUnreachable, rc_unreachable_free)

/* Decode the JSON PAYLOAD of an unreach data message. (transfer full) */
RcUnreachable *rc_unreachable_decode(const guint8 *payload, gsize len, GError **error);
/* Encode the JSON payload (not a whole message: send it with rc_wire_encode_data
 * from service "unreach" to "unreach", wire.md 7.4). (transfer full) */
GBytes *rc_unreachable_encode(const RcUnreachable *u);
