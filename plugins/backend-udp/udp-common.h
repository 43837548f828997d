/* udp-common.h: pure helpers of the UDP backend (wire.md 9.5): datagram
 * classification, address keys, parameter checks.  No sockets are touched
 * here, so unit tests and the fuzz target link this directly. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "receptor/receptor-plugin.h"

/* wire.md 4 / 13.2: the largest payload a UDP dialer sends (UDPMaxPacketLen). */
#define UDP_MAX_PACKET_LEN 65507
/* wire.md 4 / 13.2: read buffer (NormalBufferSize); no UDP datagram is larger. */
#define UDP_READ_BUFFER_SIZE 65536
/* STYLE 4 "bounded everything": concurrent sessions of one udp-listener.  Each
 * session costs a core link; a flood of spoofed source addresses must not
 * create unbounded state. */
#define UDP_MAX_SESSIONS 1024
/* Datagrams handled per main-loop dispatch before yielding (fairness). */
#define UDP_READ_BATCH 64
/* At most one "dropping datagram" line per listener per this interval. */
#define UDP_DROP_LOG_INTERVAL_US (1 * G_USEC_PER_SEC)
/* Netceptor message types 0..3 (wire.md 2). */
#define UDP_NETCEPTOR_TYPE_MAX 3
#define UDP_NETCEPTOR_ROUTING_UPDATE 1

/* What to do with one received datagram. */
typedef enum {
	UDP_DATAGRAM_OK = 0,        /* deliver it */
	UDP_DATAGRAM_EMPTY = 1,     /* zero bytes: no Netceptor message is empty (wire.md 2) */
	UDP_DATAGRAM_BAD_TYPE = 2,  /* first byte is no Netceptor message type */
	UDP_DATAGRAM_NOT_HELLO = 3, /* from an unknown address and not a routing update */
	UDP_DATAGRAM_TOO_LARGE = 4  /* (send side) above UDP_MAX_PACKET_LEN */
} UdpDatagramVerdict;

/* Classify a received datagram.  `new_session` is TRUE when no session exists
 * for its source address: a session is only created for a datagram that can
 * start one, i.e. a routing update with a JSON object body (wire.md 5.2); the
 * peer repeats it every second, so nothing is lost by ignoring the rest.
 * On an existing session only empty datagrams are refused; the core judges
 * the message itself. */
UdpDatagramVerdict udp_datagram_classify(const guint8 *data, gsize len, gboolean new_session);

/* Check a message before sending: empty or larger than UDP_MAX_PACKET_LEN is
 * refused (wire.md 4: log and drop instead of tearing the link down). */
UdpDatagramVerdict udp_datagram_check_send(gsize len);

/* One-line reason for a verdict. (transfer none) */
const char *udp_datagram_verdict_text(UdpDatagramVerdict verdict);

/* Session key of a source address as Go prints it: "ip:port", IPv6 as
 * "[ip]:port", IPv4-mapped IPv6 as plain IPv4 (wire.md 9.5). (transfer full) */
char *udp_address_key(GSocketAddress *address);

/* Parse a bind address as the listener accepts it: an IPv4 or IPv6 literal,
 * IPv6 optionally in brackets, "localhost", or "" (any).  `*dual_stack` is
 * TRUE for the wildcard 0.0.0.0 / "" (Go listens dual-stack there, wire.md 9.3).
 * (transfer full) (nullable) */
GInetAddress *udp_parse_bind_address(const char *bindaddr, gboolean *dual_stack,
				     GError **error);

/* Split "host:port" as Go's net.SplitHostPort does (IPv6 in brackets) and
 * check the port number.  Errors read "address <a>: missing port in address"
 * and the like.  (out) (transfer full) host. */
gboolean udp_split_host_port(const char *address, char **host, guint16 *port, GError **error);

/* cost > 0 and every nodecost value > 0 (config.md 9.4). */
gboolean udp_check_costs(GVariant *params, GError **error);

/* (transfer none) (nullable) string parameter */
const char *udp_param_string(GVariant *params, const char *name);

/* Go-like text of a socket error ("connection refused", ...). (transfer full) */
char *udp_error_text(const GError *error);
